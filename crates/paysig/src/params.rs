//! Ordered raw parameter pairs, as sent or as received.
//!
//! Signing and verification always work on these raw pairs, never on a typed struct that has
//! been serialised again: a field the SDK does not model must still be covered by the
//! signature, and a re-serialisation must never change the bytes that were signed.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

/// A key: a literal costs no allocation.
type Key = Cow<'static, str>;

/// Room made at the first push: every documented request has fewer pairs, so the pairs do
/// not grow one reallocation at a time.
const FIRST_CAPACITY: usize = 12;

/// Room made for the values at the first push: a documented request's values fit in it.
const FIRST_TEXT: usize = 256;

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
// The values live one after another in one string, each pair naming its range: a request's
// pairs cost two allocations in all, not one per value.
#[derive(Clone, Default)]
pub struct Params {
    pairs: Vec<(Key, Range<usize>)>,
    text: String,
}

impl Params {
    /// No pairs.
    pub fn new() -> Self {
        Params::default()
    }

    /// Appends a pair (builder style).
    pub fn with(mut self, key: impl Into<String>, value: impl AsRef<str>) -> Self {
        self.push(key, value);
        self
    }

    /// Appends a pair.
    pub fn push(&mut self, key: impl Into<String>, value: impl AsRef<str>) {
        self.push_key(Cow::Owned(key.into()), value.as_ref());
    }

    /// Appends a pair whose key is a literal (builder style); the key is not copied.
    ///
    /// ```
    /// use paysig::Params;
    /// let p = Params::new().with_static("app_id", "a1").with_static("charset", "utf8");
    /// assert_eq!(p.to_form(), "app_id=a1&charset=utf8");
    /// ```
    pub fn with_static(mut self, key: &'static str, value: impl AsRef<str>) -> Self {
        self.push_static(key, value);
        self
    }

    /// Appends a pair whose key is a literal; the key is not copied.
    pub fn push_static(&mut self, key: &'static str, value: impl AsRef<str>) {
        self.push_key(Cow::Borrowed(key), value.as_ref());
    }

    fn push_key(&mut self, key: Key, value: &str) {
        let start = self.value_buffer().len();
        self.text.push_str(value);
        self.push_written(key, start);
    }

    /// The end of the values, for a writer that appends the next value in place and then
    /// calls [`Params::push_written`] (no `String` per value).
    pub(crate) fn value_buffer(&mut self) -> &mut String {
        if self.pairs.capacity() == 0 {
            self.pairs.reserve(FIRST_CAPACITY);
            self.text.reserve(FIRST_TEXT);
        }
        &mut self.text
    }

    /// Appends `key` with the value written into [`Params::value_buffer`] since `start`.
    pub(crate) fn push_written(&mut self, key: Key, start: usize) {
        self.pairs.push((key, start..self.text.len()));
    }

    /// Appends a pair only when `value` is `Some`.
    pub fn push_opt(&mut self, key: impl Into<String>, value: Option<impl AsRef<str>>) {
        if let Some(v) = value {
            self.push(key, v);
        }
    }

    /// Sets `key` to `value`, replacing an existing pair in place or appending.
    pub fn set(&mut self, key: &str, value: impl AsRef<str>) {
        match self.pairs.iter().position(|(k, _)| k.as_ref() == key) {
            Some(i) => {
                // The old value's bytes stay unreferenced until the pairs are dropped.
                let start = self.text.len();
                self.text.push_str(value.as_ref());
                self.pairs[i].1 = start..self.text.len();
            }
            None => self.push(key, value),
        }
    }

    /// The first value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| &self.text[v.clone()])
    }

    /// Removes and returns the value of `key`.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.pairs.iter().position(|(k, _)| k.as_ref() == key)?;
        let (_, range) = self.pairs.remove(i);
        Some(self.text[range].to_owned())
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|(k, v)| (k.as_ref(), &self.text[v.clone()]))
    }

    /// The keys in order (no value looked at).
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_ref())
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Reads an `application/x-www-form-urlencoded` body: percent-decoding, `+` as space.
    /// A key that appears twice is an error.
    pub fn parse_form(body: &[u8]) -> Result<Params, FormError> {
        let mut out = Params::new();
        for (k, v) in form_urlencoded::parse(body) {
            // form_urlencoded replaces invalid UTF-8 with U+FFFD; a signed body must not be
            // silently altered, so refuse it instead.
            if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') {
                return Err(FormError::NotUtf8);
            }
            out.push_key(Cow::Owned(k.into_owned()), &v);
        }
        // One pass over borrowed keys keeps the duplicate check linear and allocation-free:
        // a body of 100k keys must not become a CPU-bound denial of service.
        let mut seen: HashSet<&str> = HashSet::with_capacity(out.len());
        if let Some((k, _)) = out.pairs.iter().find(|(k, _)| !seen.insert(k.as_ref())) {
            return Err(FormError::DuplicateKey { key: k.to_string() });
        }
        Ok(out)
    }

    /// Encodes the pairs, in order, as an `application/x-www-form-urlencoded` body.
    pub fn to_form(&self) -> String {
        // Sized for the unescaped pairs: one allocation when little needs escaping.
        let len = self.text.len() + self.keys().map(|k| k.len() + 2).sum::<usize>() + 16;
        let mut s = form_urlencoded::Serializer::new(String::with_capacity(len));
        for (k, v) in self.iter() {
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
            match v {
                serde_json::Value::String(s) => p.push(k.clone(), s),
                serde_json::Value::Null => p.push(k.clone(), ""),
                other => p.push(k.clone(), other.to_string()),
            }
        }
        p
    }
}

/// Equal when the pairs are, in order (however the values happen to be stored).
impl PartialEq for Params {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Params {}

impl<K: Into<String>, V: AsRef<str>> FromIterator<(K, V)> for Params {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut p = Params::new();
        for (k, v) in iter {
            p.push(k, v);
        }
        p
    }
}

/// Shows keys and values; values of keys that look secret are masked.
impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.iter() {
            if crate::secret::is_secret_key(k) {
                m.entry(&k, &"***");
            } else {
                m.entry(&k, &v);
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
    fn pairs_that_read_the_same_are_equal_however_their_values_were_replaced() {
        let mut a = Params::new().with("a", "old").with("b", "2");
        a.set("a", "1");
        a.push("c", "3");
        assert_eq!(a.remove("c").as_deref(), Some("3"));
        let b = Params::new().with("a", "1").with("b", "2");
        assert_eq!(a, b);
        assert_eq!(a.iter().collect::<Vec<_>>(), [("a", "1"), ("b", "2")]);
        assert_eq!(a.to_form(), "a=1&b=2");
        assert_ne!(a, Params::new().with("a", "1"));
        assert_ne!(
            a,
            Params::new().with("b", "2").with("a", "1"),
            "order counts"
        );
        let empty_value = Params::new().with("a", "").with("b", "");
        assert_eq!(empty_value.get("b"), Some(""));
        assert_ne!(empty_value, Params::new().with("a", "").with("c", ""));
    }

    #[test]
    fn debug_masks_secret_looking_keys() {
        let p = Params::new().with("app_key", "s3cr3t").with("a", "1");
        let d = format!("{p:?}");
        assert!(!d.contains("s3cr3t") && d.contains("\"a\": \"1\""), "{d}");
    }
}
