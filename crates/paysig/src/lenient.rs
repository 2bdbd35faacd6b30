//! Lenient readers for fields whose JSON type the providers do not keep to.
//!
//! The documents' samples write `"mch_id":"1000123"` where the table says int, and
//! `"refunded":"2"` where it says Int; real responses are as loose. These readers accept a
//! number where a string is documented and a numeric string where a number is documented.
//! They are lenient about the JSON type only: the value must still parse.
//!
//! ```
//! #[derive(serde::Deserialize)]
//! struct R {
//!     #[serde(deserialize_with = "paysig::lenient::number")]
//!     mch_id: u64,
//!     #[serde(deserialize_with = "paysig::lenient::string")]
//!     order_no: String,
//!     #[serde(default, deserialize_with = "paysig::lenient::opt_number")]
//!     state: Option<i32>,
//! }
//! let r: R = serde_json::from_str(r#"{"mch_id":"1000123","order_no":42}"#).unwrap();
//! assert_eq!((r.mch_id, r.order_no.as_str(), r.state), (1000123, "42", None));
//! ```

use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Reads a `String` from a JSON string, number or boolean.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(StringVisitor)
}

/// Reads an `Option<String>`: `null` or absent (with `#[serde(default)]`) is `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an optional string or number")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            string(d).map(Some)
        }
    }
    d.deserialize_option(V)
}

struct NumberVisitor<T>(PhantomData<T>);

impl<'de, T> Visitor<'de> for NumberVisitor<T>
where
    T: FromStr + TryFrom<u64> + TryFrom<i64>,
{
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string holding one")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("integer {v} out of range")))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("integer {v} out of range")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        // Strict: " 1", "1.0", "+1" are refused, as they are in numbers we compare or sign.
        let digits = v.strip_prefix('-').unwrap_or(v);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom(format!("{v:?} is not an integer")));
        }
        v.parse()
            .map_err(|_| E::custom(format!("integer {v:?} out of range")))
    }
}

/// Reads an integer (any of the std integer types) from a JSON integer or a digit string.
pub fn number<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + TryFrom<u64> + TryFrom<i64>,
{
    d.deserialize_any(NumberVisitor(PhantomData))
}

/// Reads an optional integer: `null`, `""` or absent (with `#[serde(default)]`) is `None`.
pub fn opt_number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + TryFrom<u64> + TryFrom<i64>,
{
    struct V<T>(PhantomData<T>);
    impl<'de, T: FromStr + TryFrom<u64> + TryFrom<i64>> Visitor<'de> for V<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an optional integer")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(OptNum(PhantomData))
        }
    }
    struct OptNum<T>(PhantomData<T>);
    impl<'de, T: FromStr + TryFrom<u64> + TryFrom<i64>> Visitor<'de> for OptNum<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an optional integer")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            NumberVisitor(PhantomData).visit_u64(v).map(Some)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            NumberVisitor(PhantomData).visit_i64(v).map(Some)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.is_empty() {
                return Ok(None);
            }
            NumberVisitor(PhantomData).visit_str(v).map(Some)
        }
    }
    d.deserialize_option(V(PhantomData))
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean (true/false, \"true\"/\"false\", 1/0)")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::custom(format!("{v} is not a boolean"))),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!("{v} is not a boolean"))),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v {
            "true" | "TRUE" | "True" | "1" => Ok(true),
            "false" | "FALSE" | "False" | "0" => Ok(false),
            _ => Err(E::custom(format!("{v:?} is not a boolean"))),
        }
    }
}

/// Reads a `bool` from `true`/`false`, `"true"`/`"false"` (any of three casings), `1`/`0` or `"1"`/`"0"`; anything
/// else (including `"yes"`, `2`) is an error.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_any(BoolVisitor)
}

/// Reads a JSON value that may arrive either as itself or as a JSON-encoded string of itself
/// (Sunmi's `cloudPayInfo`, Pooul's `pay_info`).
///
/// ```
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Info { a: u8 }
/// #[derive(serde::Deserialize)]
/// struct R { #[serde(deserialize_with = "paysig::lenient::json_or_string")] info: Info }
/// let x: R = serde_json::from_str(r#"{"info":"{\"a\":1}"}"#).unwrap();
/// let y: R = serde_json::from_str(r#"{"info":{"a":1}}"#).unwrap();
/// assert_eq!(x.info, y.info);
/// ```
pub fn json_or_string<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = serde_json::Value::deserialize(d)?;
    match v {
        serde_json::Value::String(s) => serde_json::from_str(&s).map_err(de::Error::custom),
        other => serde_json::from_value(other).map_err(de::Error::custom),
    }
}

use serde::Deserialize;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct R {
        #[serde(deserialize_with = "number")]
        n: i32,
        #[serde(default, deserialize_with = "opt_number")]
        o: Option<u8>,
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
    }

    #[derive(serde::Deserialize)]
    struct B {
        #[serde(deserialize_with = "super::bool")]
        b: bool,
    }

    #[test]
    fn bools_in_every_documented_spelling() {
        for (text, want) in [
            ("true", true),
            ("\"false\"", false),
            ("1", true),
            ("\"0\"", false),
        ] {
            let b: B = serde_json::from_str(&format!("{{\"b\":{text}}}")).unwrap();
            assert_eq!(b.b, want, "{text}");
        }
        for bad in ["2", "\"yes\"", "null", "-1"] {
            assert!(
                serde_json::from_str::<B>(&format!("{{\"b\":{bad}}}")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn accepts_both_types_and_refuses_garbage() {
        let r: R = serde_json::from_str(r#"{"n":"-2","o":"","s":5}"#).unwrap();
        assert_eq!((r.n, r.o, r.s.as_deref()), (-2, None, Some("5")));
        let r: R = serde_json::from_str(r#"{"n":3,"o":"7","s":null}"#).unwrap();
        assert_eq!((r.n, r.o, r.s), (3, Some(7), None));
        for bad in [
            r#"{"n":"1.0"}"#,
            r#"{"n":" 1"}"#,
            r#"{"n":"x"}"#,
            r#"{"n":1,"o":300}"#,
            r#"{"n":1.5}"#,
            r#"{}"#,
        ] {
            assert!(serde_json::from_str::<R>(bad).is_err(), "{bad}");
        }
    }
}
