//! A JSON payload has one reading only if no object in it repeats a member name: serde_json
//! keeps the last copy, other parsers the first, so `{"code":0,"code":1}` means what the
//! reader's parser makes of it. Every verified payload (answers and notifies) is checked at
//! every depth before it is parsed.

use paysig::rawjson::MemberName;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// Why a payload has more than one reading (or no reading at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotUnique {
    /// An object repeats this member name.
    Duplicate(String),
    /// The bytes are not JSON (the parser's message).
    Invalid(String),
}

impl std::fmt::Display for NotUnique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotUnique::Duplicate(name) => {
                write!(
                    f,
                    "duplicate JSON member {name:?}: it appears more than once"
                )
            }
            NotUnique::Invalid(reason) => f.write_str(reason),
        }
    }
}

/// Refuses `json` when an object in it, at any depth, repeats a member name; the error names
/// the member. Malformed JSON is refused with the parser's message.
pub(crate) fn check_unique_members(json: &[u8]) -> Result<(), NotUnique> {
    match serde_json::from_slice::<Unique>(json) {
        Ok(_) => Ok(()),
        Err(e) => match e.to_string().strip_prefix(DUPLICATE) {
            Some(rest) => Err(NotUnique::Duplicate(
                rest.split(" at line").next().unwrap_or(rest).to_owned(),
            )),
            None => Err(NotUnique::Invalid(e.to_string())),
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
        // Most objects are small: their names, borrowed from the payload where they hold no
        // escape, are compared on the stack; a larger object moves them into a set.
        const INLINE: usize = 16;
        let mut inline: [Option<Cow<'de, str>>; INLINE] = Default::default();
        let mut len = 0;
        let mut set: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(MemberName(name)) = map.next_key::<MemberName<'de>>()? {
            map.next_value::<Unique>()?;
            let repeated = match &set {
                Some(set) => set.contains(&name),
                None => inline[..len].iter().flatten().any(|seen| *seen == name),
            };
            if repeated {
                return Err(de::Error::custom(format!("{DUPLICATE}{name}")));
            }
            match &mut set {
                Some(set) => {
                    set.insert(name);
                }
                None if len < INLINE => {
                    inline[len] = Some(name);
                    len += 1;
                }
                None => {
                    let mut all: HashSet<_> = inline.iter_mut().filter_map(Option::take).collect();
                    all.insert(name);
                    set = Some(all);
                }
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
            assert!(matches!(e, super::NotUnique::Duplicate(_)), "{e}");
            assert!(e.to_string().contains("appears more than once"), "{e}");
        }
        // Past the names kept on the stack (16), a repeat is still found, early or late.
        let many: Vec<String> = (0..40).map(|i| format!("\"m{i}\":{i}")).collect();
        let wide = format!("{{{}}}", many.join(","));
        assert!(check_unique_members(wide.as_bytes()).is_ok());
        for repeat in ["m3", "m20", "m39"] {
            let body = format!("{{{},\"{repeat}\":0}}", many.join(","));
            assert_eq!(
                check_unique_members(body.as_bytes()),
                Err(super::NotUnique::Duplicate(repeat.into()))
            );
        }
        // Escapes name the same member: "\u0063ode" is "code".
        assert_eq!(
            check_unique_members(br#"{"code":0,"\u0063ode":1}"#),
            Err(super::NotUnique::Duplicate("code".into()))
        );
    }
}
