//! A JSON payload has one reading only if no object in it repeats a member name: serde_json
//! keeps the last copy, other parsers the first, so `{"code":0,"code":1}` means what the
//! reader's parser makes of it. Every verified payload (answers and notifies) is checked at
//! every depth before it is parsed.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// Refuses `json` when an object in it, at any depth, repeats a member name; the error names
/// the member. Malformed JSON is left to the typed parse that follows.
pub(crate) fn check_unique_members(json: &[u8]) -> Result<(), String> {
    match serde_json::from_slice::<Unique>(json) {
        Ok(_) => Ok(()),
        Err(e) => match e.to_string().strip_prefix(DUPLICATE) {
            Some(rest) => Err(format!(
                "duplicate JSON member {:?}: it appears more than once",
                rest.split(" at line").next().unwrap_or(rest)
            )),
            None => Err(e.to_string()),
        },
    }
}

const DUPLICATE: &str = "\u{0}duplicate:";

/// Any JSON value, read only to check its objects.
struct Unique;

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<Unique>()?;
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("{DUPLICATE}{key}")));
            }
        }
        Ok(Unique)
    }
}

#[cfg(test)]
mod tests {
    use super::check_unique_members;

    #[test]
    fn repeated_members_are_refused_at_any_depth() {
        assert!(check_unique_members(br#"{"code":0,"data":{"a":[{"b":1}],"c":"x"}}"#).is_ok());
        for body in [
            &br#"{"code":0,"code":1}"#[..],
            br#"{"data":{"total_fee":1,"total_fee":2}}"#,
            br#"{"data":{"refunds":[{"refund_fee":1,"refund_fee":9}]}}"#,
        ] {
            let e = check_unique_members(body).unwrap_err();
            assert!(e.contains("appears more than once"), "{e}");
        }
        // Escapes name the same member: "\u0063ode" is "code".
        assert!(check_unique_members(br#"{"code":0,"\u0063ode":1}"#).is_err());
    }
}
