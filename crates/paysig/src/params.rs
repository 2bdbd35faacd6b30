//! Ordered raw parameter pairs, as sent or as received.
//!
//! Signing and verification always work on these raw pairs, never on a typed struct that has
//! been serialised again: a field the SDK does not model must still be covered by the
//! signature, and a re-serialisation must never change the bytes that were signed.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// A key: a literal costs no allocation.
type Key = Cow<'static, str>;

/// Room made at the first push: every documented request has fewer pairs, so the pairs do
/// not grow one reallocation at a time.
const FIRST_CAPACITY: usize = 12;

/// Why a form body could not be read into [`Params`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// The same key appeared twice; which value was signed would be ambiguous.
    #[error("form field {key:?} appears more than once")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// The body is not UTF-8 once percent-decoded.
    #[error("form body is not valid UTF-8 after percent-decoding")]
    NotUtf8,
}

/// Ordered `(key, value)` pairs.
///
/// ```
/// use paysig::Params;
/// let p = Params::parse_form(b"b=2&a=x+y%21").unwrap();
/// assert_eq!(p.get("a"), Some("x y!"));
/// assert!(Params::parse_form(b"a=1&a=2").is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(Key, String)>);

impl Params {
    /// No pairs.
    pub fn new() -> Self {
        Params(Vec::new())
    }

    /// Appends a pair (builder style).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(key, value);
        self
    }

    /// Appends a pair.
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.push_key(Cow::Owned(key.into()), value.into());
    }

    /// Appends a pair whose key is a literal (builder style); the key is not copied.
    ///
    /// ```
    /// use paysig::Params;
    /// let p = Params::new().with_static("app_id", "a1").with_static("charset", "utf8");
    /// assert_eq!(p.to_form(), "app_id=a1&charset=utf8");
    /// ```
    pub fn with_static(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.push_static(key, value);
        self
    }

    /// Appends a pair whose key is a literal; the key is not copied.
    pub fn push_static(&mut self, key: &'static str, value: impl Into<String>) {
        self.push_key(Cow::Borrowed(key), value.into());
    }

    fn push_key(&mut self, key: Key, value: String) {
        if self.0.capacity() == 0 {
            self.0.reserve(FIRST_CAPACITY);
        }
        self.0.push((key, value));
    }

    /// Appends a pair only when `value` is `Some`.
    pub fn push_opt(&mut self, key: impl Into<String>, value: Option<impl Into<String>>) {
        if let Some(v) = value {
            self.push(key, v);
        }
    }

    /// Sets `key` to `value`, replacing an existing pair in place or appending.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        match self.0.iter_mut().find(|(k, _)| k.as_ref() == key) {
            Some(pair) => pair.1 = value.into(),
            None => self.push(key, value),
        }
    }

    /// The first value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v.as_str())
    }

    /// Removes and returns the value of `key`.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k.as_ref() == key)?;
        Some(self.0.remove(i).1)
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads an `application/x-www-form-urlencoded` body: percent-decoding, `+` as space.
    /// A key that appears twice is an error.
    pub fn parse_form(body: &[u8]) -> Result<Params, FormError> {
        let mut out: Vec<(Key, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(body) {
            // form_urlencoded replaces invalid UTF-8 with U+FFFD; a signed body must not be
            // silently altered, so refuse it instead.
            if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') {
                return Err(FormError::NotUtf8);
            }
            out.push((Cow::Owned(k.into_owned()), v.into_owned()));
        }
        // One pass over borrowed keys keeps the duplicate check linear and allocation-free:
        // a body of 100k keys must not become a CPU-bound denial of service.
        let mut seen: HashSet<&str> = HashSet::with_capacity(out.len());
        if let Some((k, _)) = out.iter().find(|(k, _)| !seen.insert(k.as_ref())) {
            return Err(FormError::DuplicateKey { key: k.to_string() });
        }
        Ok(Params(out))
    }

    /// Encodes the pairs, in order, as an `application/x-www-form-urlencoded` body.
    pub fn to_form(&self) -> String {
        // Sized for the unescaped pairs: one allocation when little needs escaping.
        let len = self
            .0
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>()
            + 16;
        let mut s = form_urlencoded::Serializer::new(String::with_capacity(len));
        for (k, v) in &self.0 {
            s.append_pair(k, v);
        }
        s.finish()
    }

    /// Builds pairs from the top-level members of a JSON object, scalars written as their
    /// JSON text without quotes (`"a"` → `a`, `1` → `1`, `null` → empty). Nested objects and
    /// arrays are kept as their compact JSON text.
    pub fn from_json_object(obj: &serde_json::Map<String, serde_json::Value>) -> Params {
        let mut p = Params::new();
        for (k, v) in obj {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            p.push(k.clone(), text);
        }
        p
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Params {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Params(
            iter.into_iter()
                .map(|(k, v)| (Cow::Owned(k.into()), v.into()))
                .collect(),
        )
    }
}

/// Shows keys and values; values of keys that look secret are masked.
impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.0 {
            if crate::secret::is_secret_key(k) {
                m.entry(k, &"***");
            } else {
                m.entry(k, v);
            }
        }
        m.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_round_trip_keeps_order_and_decodes() {
        let p = Params::parse_form(b"z=%E5%95%86%E7%B1%B3&a=1+2&e=").unwrap();
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            vec![("z", "商米"), ("a", "1 2"), ("e", "")]
        );
        assert_eq!(Params::parse_form(p.to_form().as_bytes()).unwrap(), p);
    }

    #[test]
    fn duplicate_and_bad_utf8_are_errors() {
        assert_eq!(
            Params::parse_form(b"a=1&b=2&a=1").unwrap_err(),
            FormError::DuplicateKey { key: "a".into() }
        );
        assert_eq!(
            Params::parse_form(b"a=%FF").unwrap_err(),
            FormError::NotUtf8
        );
    }

    #[test]
    fn literal_keys_read_and_compare_as_copied_ones() {
        let mut a = Params::new().with_static("b", "2");
        a.push_static("a", "1");
        let b = Params::new().with("b", "2").with("a", "1");
        assert_eq!(a, b);
        assert_eq!(a.get("a"), Some("1"));
        a.set("b", "3");
        assert_eq!(a.remove("b").as_deref(), Some("3"));
        assert_eq!(a.to_form(), "a=1");
    }

    #[test]
    fn debug_masks_secret_looking_keys() {
        let p = Params::new().with("app_key", "s3cr3t").with("a", "1");
        let d = format!("{p:?}");
        assert!(!d.contains("s3cr3t") && d.contains("\"a\": \"1\""), "{d}");
    }
}
