//! Sunmi's signed form requests as received (sunmi.txt §2.1): the pairs borrowed from the
//! body, and the sandbox's own MD5 check of them.
//!
//! The sandbox checks the signature itself rather than through the SDK's signer, so a mistake
//! in one is not repeated in the other; and a query, the call merchants repeat most, parses
//! and checks its form without copying a pair.

use axum::extract::FromRequestParts;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use paysig::md5::{HexCase, md5_hex};
use std::borrow::Cow;
use std::convert::Infallible;
use url::form_urlencoded;

/// Whether the request says its body is `application/x-www-form-urlencoded`. Read in place:
/// the `HeaderMap` extractor would copy every header of every request for this one test.
pub(crate) struct FormContentType(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for FormContentType {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(FormContentType(
            parts
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded")),
        ))
    }
}

/// The pairs of an `application/x-www-form-urlencoded` body, in the order received; each
/// name at most once.
pub(crate) struct Form<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// Why a body is not a form the sandbox reads.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FormError {
    /// Percent-escapes that decode to invalid UTF-8: the signed bytes would be altered.
    NotUtf8,
    /// A name given twice: which value was signed would be a guess.
    DuplicateKey,
}

impl<'a> Form<'a> {
    /// Decodes the body; pairs without escapes borrow from it.
    pub fn parse(body: &'a [u8]) -> Result<Form<'a>, FormError> {
        let mut pairs = Vec::with_capacity(8);
        for (k, v) in form_urlencoded::parse(body) {
            // form_urlencoded replaces invalid UTF-8 with U+FFFD.
            if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') {
                return Err(FormError::NotUtf8);
            }
            pairs.push((k, v));
        }
        let form = Form { pairs };
        // Sorted names side by side: a duplicate is a neighbour (n log n, whatever the count).
        let sorted = form.sorted();
        if sorted.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(FormError::DuplicateKey);
        }
        Ok(form)
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The pairs, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// The pairs sorted by name bytes.
    fn sorted(&self) -> Vec<(&str, &str)> {
        let mut pairs: Vec<(&str, &str)> = self.iter().collect();
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        pairs
    }

    /// §2.1's signed string: every pair but `sign` (empty values included), sorted by name,
    /// joined as `k=v&k=v`; `extra` bytes of room for the key appended after.
    pub fn canonical(&self, extra: usize) -> String {
        let mut message = String::with_capacity(
            self.pairs
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>()
                + extra,
        );
        for (k, v) in self.sorted().into_iter().filter(|(k, _)| *k != "sign") {
            if !message.is_empty() {
                message.push('&');
            }
            message.push_str(k);
            message.push('=');
            message.push_str(v);
        }
        message
    }

    /// §2.1: the [`canonical`](Self::canonical) string with the app key appended without a
    /// separator; MD5 in upper-case hex. `sign` must be exactly that (a lower-case signature
    /// is refused, as the document's samples are upper case).
    pub fn sign_matches(&self, sign: &str, app_key: &str) -> bool {
        let mut message = self.canonical(app_key.len());
        message.push_str(app_key);
        let expected = md5_hex(message.as_bytes(), HexCase::Upper);
        // Same length, then every byte compared: the time does not tell how much matched.
        expected.len() == sign.len()
            && expected
                .bytes()
                .zip(sign.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_borrowed_pairs_and_decodes_escapes() {
        let f = Form::parse(b"b=2&a=x%26y&c=&d=%E4%B8%AD+1").unwrap();
        assert_eq!(f.get("a"), Some("x&y"));
        assert_eq!(f.get("c"), Some(""));
        assert_eq!(f.get("d"), Some("中 1"));
        assert_eq!(f.get("e"), None);
        let names: Vec<&str> = f.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["b", "a", "c", "d"]);
    }

    #[test]
    fn refuses_duplicates_and_invalid_utf8() {
        assert!(matches!(
            Form::parse(b"a=1&b=2&a=1"),
            Err(FormError::DuplicateKey)
        ));
        assert!(matches!(Form::parse(b"a=%FF"), Err(FormError::NotUtf8)));
        assert!(matches!(Form::parse(b"%FF=1"), Err(FormError::NotUtf8)));
    }

    #[test]
    fn sign_is_md5_of_sorted_pairs_with_key_appended() {
        // Worked by hand: sorted, `sign` left out, the empty value kept, the key appended.
        let message = "app_id=sm1&charset=UTF-8&empty=&orderId=A-1KEY";
        let sign = md5_hex(message.as_bytes(), HexCase::Upper);
        let body = format!("orderId=A-1&sign={sign}&charset=UTF-8&empty=&app_id=sm1");
        let f = Form::parse(body.as_bytes()).unwrap();
        assert!(f.sign_matches(&sign, "KEY"));
        assert!(!f.sign_matches(&sign, "KEY2"));
        assert!(!f.sign_matches(&sign.to_ascii_lowercase(), "KEY"));
        assert!(!f.sign_matches(&sign[..31], "KEY"));
        // Another value under the same signature.
        let tampered = body.replace("A-1", "A-2");
        assert!(
            !Form::parse(tampered.as_bytes())
                .unwrap()
                .sign_matches(&sign, "KEY")
        );
    }

    #[test]
    fn distinct_names_are_no_duplicates_however_many() {
        let body: String = (0..100_000).map(|i| format!("k{i}=v&")).collect();
        assert_eq!(
            Form::parse(body.as_bytes()).unwrap().iter().count(),
            100_000
        );
    }

    /// The sandbox's own check accepts the vector of `fixtures/signing` (hashlib's MD5, not
    /// paysig's) and refuses the request when any one letter or digit of it changes.
    #[test]
    fn sign_check_is_pinned_to_the_fixture_vector() {
        use crate::providers::vectors::{Vector, one_byte_changes};
        let v = Vector::load("sunmi/request_2_1");
        let f = Form::parse(v.params.as_bytes()).unwrap();
        assert_eq!(f.canonical(0), v.canonical);
        assert!(f.sign_matches(&v.signature, &v.key));
        let mut checked = 0;
        for tampered in one_byte_changes(&v.params) {
            let f = Form::parse(tampered.as_bytes()).unwrap();
            assert!(!f.sign_matches(&v.signature, &v.key), "{tampered}");
            checked += 1;
        }
        for sig in one_byte_changes(&v.signature) {
            assert!(!f_sign(&v.params, &sig, &v.key), "{sig}");
            checked += 1;
        }
        assert!(checked > 100, "{checked}");
    }

    fn f_sign(params: &str, sign: &str, key: &str) -> bool {
        Form::parse(params.as_bytes())
            .unwrap()
            .sign_matches(sign, key)
    }
}
