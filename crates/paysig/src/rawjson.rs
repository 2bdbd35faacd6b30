//! A JSON object read as received: members in order, a repeated name refused.
//!
//! For notifies delivered as JSON (BeeCloud's webhook, Mifeng's notify): which copy of a
//! repeated field was signed is ambiguous and JSON parsers disagree on which one wins, so a
//! repeat is an error, as it is in [`crate::Params::parse_form`].
//!
//! [`params_as_received`] reads the same kind of body into [`Params`] for a `k=v` signature:
//! each member's value is the text the sender wrote (a number keeps its digits: `1.10` stays
//! `1.10`), so the signature is checked over what was sent, never over a re-rendering.
//!
//! ```
//! use paysig::rawjson::RawObject;
//! let o = RawObject::parse(br#"{"b":1,"a":"x"}"#).unwrap();
//! assert_eq!(o.get("a").and_then(|v| v.as_str()), Some("x"));
//! assert!(RawObject::parse(br#"{"a":1,"a":2}"#).is_err());
//! ```

use crate::Params;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fmt;

/// Why a body is not a JSON object of unique members.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RawJsonError {
    /// A member name appears twice.
    #[error("JSON member {name:?} appears more than once")]
    DuplicateKey {
        /// The repeated name.
        name: String,
    },
    /// Not JSON, or not an object.
    #[error("not a JSON object: {reason}")]
    Malformed {
        /// The parser's message.
        reason: String,
    },
}

/// The top-level members of a JSON object, in the order received.
#[derive(Debug, Clone, PartialEq)]
pub struct RawObject(Vec<(String, Value)>);

const DUPLICATE: &str = "\u{0}duplicate:";

impl RawObject {
    /// Parses `body`, refusing repeated member names.
    pub fn parse(body: &[u8]) -> Result<RawObject, RawJsonError> {
        serde_json::from_slice(body).map_err(|e: serde_json::Error| {
            let msg = e.to_string();
            match msg.strip_prefix(DUPLICATE) {
                Some(rest) => RawJsonError::DuplicateKey {
                    name: rest.split(" at line").next().unwrap_or(rest).to_owned(),
                },
                None => RawJsonError::Malformed { reason: msg },
            }
        })
    }

    /// A member; `null` counts as absent.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    /// The members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The members as a JSON map (for typed parsing after verification).
    pub fn to_map(&self) -> serde_json::Map<String, Value> {
        self.0.iter().cloned().collect()
    }
}

impl<'de> serde::Deserialize<'de> for RawObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
                let mut out: Vec<(String, Value)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                // Linear duplicate check over borrowed names (a quadratic one made 40k members
                // take seconds).
                let mut seen: HashSet<&str> = HashSet::with_capacity(out.len());
                if let Some((k, _)) = out.iter().find(|(k, _)| !seen.insert(k.as_str())) {
                    return Err(de::Error::custom(format!("{DUPLICATE}{k}")));
                }
                Ok(RawObject(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// What a nested member (a JSON object or array) becomes in [`params_as_received`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NestedValues {
    /// Refused with [`AsReceivedError::Nested`] (default): no documented signed field is
    /// nested, and how a provider would render one in a `k=v` string is not documented.
    #[default]
    Refuse,
    /// The member's JSON text exactly as received, byte for byte (a compact sender's
    /// `{"a":1}` is signed as `{"a":1}`; whitespace inside it is kept, never normalised).
    RawText,
}

/// Why a body could not be read by [`params_as_received`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AsReceivedError {
    /// A member name appears twice (after unescaping: `"a"` and `"\u0061"` are the same).
    #[error("JSON member {name:?} appears more than once")]
    DuplicateKey {
        /// The repeated name.
        name: String,
    },
    /// Not JSON, or not an object.
    #[error("not a JSON object: {reason}")]
    Malformed {
        /// The parser's message.
        reason: String,
    },
    /// A member is an object or array and [`NestedValues::Refuse`] is in force.
    #[error("JSON member {name:?} is nested (an object or array), not a signed value")]
    Nested {
        /// The member.
        name: String,
    },
}

const NESTED: &str = "\u{0}nested:";

/// Reads the top-level members of a JSON object into [`Params`], in the order received, each
/// value as the text the sender wrote:
///
/// | member | value in the `Params` |
/// |---|---|
/// | string | the string unescaped (`"a\u0026b"` gives `a&b`) |
/// | number | its exact text in the body (`1.10`, `100`, `1e2`, `-0`: never re-rendered) |
/// | `true` / `false` | `true` / `false` |
/// | `null` | empty |
/// | object / array | per `nested` ([`NestedValues`]) |
///
/// A repeated name is refused, in linear time. One pass over the body, no re-serialisation.
/// Whether the resulting `k=v` string has one reading is the caller's check
/// ([`crate::CanonicalRules::build_unambiguous`]).
///
/// ```
/// use paysig::rawjson::{params_as_received, AsReceivedError, NestedValues};
/// let p = params_as_received(br#"{"amount":1.10,"n":100,"s":"x\"y","z":null,"o":{"a": 1}}"#,
///     NestedValues::RawText).unwrap();
/// assert_eq!(p.get("amount"), Some("1.10"));
/// assert_eq!(p.get("n"), Some("100"));
/// assert_eq!(p.get("s"), Some("x\"y"));
/// assert_eq!(p.get("z"), Some(""));
/// assert_eq!(p.get("o"), Some(r#"{"a": 1}"#));
/// assert!(matches!(params_as_received(br#"{"o":[1]}"#, NestedValues::Refuse),
///     Err(AsReceivedError::Nested { name }) if name == "o"));
/// assert!(matches!(params_as_received(br#"{"a":1,"a":1}"#, NestedValues::RawText),
///     Err(AsReceivedError::DuplicateKey { name }) if name == "a"));
/// ```
pub fn params_as_received(body: &[u8], nested: NestedValues) -> Result<Params, AsReceivedError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = de
        .deserialize_map(ParamsVisitor { nested })
        .and_then(|p| de.end().map(|()| p));
    parsed.map_err(|e| {
        let msg = e.to_string();
        if let Some(rest) = msg.strip_prefix(DUPLICATE) {
            AsReceivedError::DuplicateKey {
                name: member_name(rest),
            }
        } else if let Some(rest) = msg.strip_prefix(NESTED) {
            AsReceivedError::Nested {
                name: member_name(rest),
            }
        } else {
            AsReceivedError::Malformed { reason: msg }
        }
    })
}

/// The name carried in a custom error, without serde_json's position suffix.
fn member_name(rest: &str) -> String {
    rest.rsplit_once(" at line")
        .map_or(rest, |(name, _)| name)
        .to_owned()
}

struct ParamsVisitor {
    nested: NestedValues,
}

impl<'de> Visitor<'de> for ParamsVisitor {
    type Value = Params;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Params, A::Error> {
        let mut out = Params::new();
        let mut seen: HashSet<String> = HashSet::new();
        while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
            if !seen.insert(k.clone()) {
                return Err(de::Error::custom(format!("{DUPLICATE}{k}")));
            }
            let text = v.get();
            // A RawValue is one complete JSON value without surrounding whitespace, so its
            // first byte says its kind.
            let value = match text.as_bytes().first() {
                Some(b'"') => serde_json::from_str::<String>(text).map_err(de::Error::custom)?,
                Some(b'n') => String::new(),
                Some(b'{' | b'[') => match self.nested {
                    NestedValues::RawText => text.to_owned(),
                    NestedValues::Refuse => {
                        return Err(de::Error::custom(format!("{NESTED}{k}")));
                    }
                },
                // Numbers, true, false: the text as written.
                _ => text.to_owned(),
            };
            out.push(k, value);
        }
        Ok(out)
    }
}

/// A JSON member name as read: borrowed from the input when written without escapes, owned
/// (unescaped) otherwise. For readers that keep names without copying them.
///
/// ```
/// use paysig::rawjson::MemberName;
/// use std::borrow::Cow;
/// let plain: MemberName = serde_json::from_str(r#""sub_code""#).unwrap();
/// assert!(matches!(plain.0, Cow::Borrowed("sub_code")));
/// let escaped: MemberName = serde_json::from_str(r#""sub\u005fcode""#).unwrap();
/// assert!(matches!(escaped.0, Cow::Owned(ref n) if n == "sub_code"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberName<'de>(pub std::borrow::Cow<'de, str>);

impl<'de> de::Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use std::borrow::Cow;
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MemberName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<MemberName<'de>, E> {
                Ok(MemberName(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<MemberName<'de>, E> {
                Ok(MemberName(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<MemberName<'de>, E> {
                Ok(MemberName(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_received_keeps_number_text_and_refuses_what_it_must() {
        let p = params_as_received(
            b" {\"a\" : 1.10 , \"b\":-0,\"c\":1E+2,\"d\":true,\"e\":\"\\u0026=\",\"f\":null} ",
            NestedValues::Refuse,
        )
        .unwrap();
        let pairs: Vec<_> = p.iter().collect();
        assert_eq!(
            pairs,
            vec![
                ("a", "1.10"),
                ("b", "-0"),
                ("c", "1E+2"),
                ("d", "true"),
                ("e", "&="),
                ("f", "")
            ]
        );
        // Names are compared unescaped.
        assert_eq!(
            params_as_received(br#"{"a":1,"\u0061":2}"#, NestedValues::Refuse).unwrap_err(),
            AsReceivedError::DuplicateKey { name: "a".into() }
        );
        let nested = br#"{"o":{"x": [1, 2]},"p":[]}"#;
        let p = params_as_received(nested, NestedValues::RawText).unwrap();
        assert_eq!(p.get("o"), Some(r#"{"x": [1, 2]}"#));
        assert_eq!(p.get("p"), Some("[]"));
        assert_eq!(
            params_as_received(nested, NestedValues::Refuse).unwrap_err(),
            AsReceivedError::Nested { name: "o".into() }
        );
        for bad in [&b"[1]"[..], b"{", b"{}x", b"1", b"", br#"{"a":"\ud800"}"#] {
            assert!(
                matches!(
                    params_as_received(bad, NestedValues::RawText),
                    Err(AsReceivedError::Malformed { .. })
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn duplicates_and_non_objects_are_distinct_errors() {
        assert_eq!(
            RawObject::parse(br#"{"a":1,"b":2,"a":3}"#).unwrap_err(),
            RawJsonError::DuplicateKey { name: "a".into() }
        );
        assert!(matches!(
            RawObject::parse(b"[1]").unwrap_err(),
            RawJsonError::Malformed { .. }
        ));
        assert!(matches!(
            RawObject::parse(b"{").unwrap_err(),
            RawJsonError::Malformed { .. }
        ));
        let o = RawObject::parse(br#"{"z":null,"a":[1]}"#).unwrap();
        assert_eq!(o.get("z"), None);
        assert_eq!(o.iter().map(|(k, _)| k).collect::<Vec<_>>(), vec!["z", "a"]);
    }
}
