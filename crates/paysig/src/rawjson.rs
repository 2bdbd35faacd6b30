//! A JSON object read as received: members in order, a repeated name refused.
//!
//! For notifies delivered as JSON (BeeCloud's webhook, Mifeng's notify): which copy of a
//! repeated field was signed is ambiguous and JSON parsers disagree on which one wins, so a
//! repeat is an error, as it is in [`crate::Params::parse_form`].
//!
//! ```
//! use paysig::rawjson::RawObject;
//! let o = RawObject::parse(br#"{"b":1,"a":"x"}"#).unwrap();
//! assert_eq!(o.get("a").and_then(|v| v.as_str()), Some("x"));
//! assert!(RawObject::parse(br#"{"a":1,"a":2}"#).is_err());
//! ```

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;
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
                // Linear duplicate check (a quadratic one made 40k members take seconds).
                let mut seen: HashSet<String> = HashSet::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    if !seen.insert(k.clone()) {
                        return Err(de::Error::custom(format!("{DUPLICATE}{k}")));
                    }
                    out.push((k, v));
                }
                Ok(RawObject(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
