//! Serde adapters, one per wire unit used by the four provider documents.
//!
//! Use them with `#[serde(with = "...")]`:
//!
//! | module | written as | read from |
//! |---|---|---|
//! | [`fen_int`] | JSON integer `1` | integer or digit string |
//! | [`fen_str`] | JSON string `"1"` | digit string or integer |
//! | [`yuan_str`] | JSON string `"0.01"` | yuan string, integer, or a decimal number below 10^13 yuan |
//!
//! A yuan amount sent as a JSON number with a fraction (or an exponent) reaches the adapter as
//! an `f64`; below [`MAX_YUAN_NUMBER`] (10^13 yuan) every two-decimal amount has its own
//! double and is read back exactly, at or above it a number is refused (send large amounts as
//! strings, which are exact at any size). Whole-yuan JSON integers are exact up to the `u64`
//! fen limit.
//!
//! Reading is lenient about the JSON type (the documents' own samples disagree with their
//! tables), never about the value: `"1.001"` yuan, `"-1"`, `"1e3"` are all errors.
//! `opt_*` variants handle `Option<Money>` (absent, `null` or `""` read as `None`).
//!
//! ```
//! use paysig::Money;
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Order {
//!     #[serde(with = "paysig::money::wire::yuan_str")]
//!     money: Money,
//!     #[serde(with = "paysig::money::wire::fen_int")]
//!     total_fee: Money,
//! }
//! let o: Order = serde_json::from_str(r#"{"money":"0.01","total_fee":"100"}"#).unwrap();
//! assert_eq!((o.money.fen(), o.total_fee.fen()), (1, 100));
//! assert_eq!(serde_json::to_string(&o).unwrap(), r#"{"money":"0.01","total_fee":100}"#);
//! ```

use super::Money;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// The bound, in yuan, below which a yuan amount sent as a JSON *number* with a fraction or an
/// exponent is read exactly; at or above it the number is refused (send it as a string).
///
/// JSON numbers with a fraction arrive as `f64`. Below 2^44 (> 10^13) doubles are at most
/// 2^-9 yuan apart, far closer than one fen, so every two-decimal amount under the bound has
/// its own double and its shortest decimal form gives back the digits that were sent.
pub const MAX_YUAN_NUMBER: f64 = 1e13;

#[derive(Clone, Copy)]
enum Unit {
    Fen,
    Yuan,
}

struct MoneyVisitor {
    unit: Unit,
}

impl<'de> Visitor<'de> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            Unit::Fen => f.write_str("an amount in fen (integer or digit string)"),
            Unit::Yuan => f.write_str("an amount in yuan (string like \"0.01\" or a number)"),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        match self.unit {
            Unit::Fen => Ok(Money::from_fen(v)),
            Unit::Yuan => v
                .checked_mul(100)
                .map(Money::from_fen)
                .ok_or_else(|| E::custom(format!("amount {v} yuan overflows"))),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!("amount {v} is negative"))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        match self.unit {
            Unit::Fen => Err(E::custom(format!(
                "amount {v} in fen is not a whole number"
            ))),
            // f64's Display is the shortest text that reads back to the same double, so for
            // a JSON literal like 0.01 it gives back "0.01"; the exact decimal parser then
            // decides. No float arithmetic touches the value.
            // Exact only below the bound (see `MAX_YUAN_NUMBER`); above it the double has
            // already lost digits, so refuse rather than round.
            Unit::Yuan if v.abs() >= MAX_YUAN_NUMBER => Err(E::custom(format!(
                "amount {v} yuan as a JSON number is at or above 10^13 yuan and cannot be read \
                 exactly; send large amounts as strings"
            ))),
            Unit::Yuan => Money::parse_yuan(&v.to_string()).map_err(E::custom),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        match self.unit {
            Unit::Fen => Money::parse_fen(v),
            Unit::Yuan => Money::parse_yuan(v),
        }
        .map_err(E::custom)
    }
}

struct OptVisitor(Unit);

impl<'de> Visitor<'de> for OptVisitor {
    type Value = Option<Money>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an optional amount")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(OptInner(self.0))
    }
}

struct OptInner(Unit);

impl<'de> Visitor<'de> for OptInner {
    type Value = Option<Money>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an optional amount")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        MoneyVisitor { unit: self.0 }.visit_u64(v).map(Some)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        MoneyVisitor { unit: self.0 }.visit_i64(v).map(Some)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        MoneyVisitor { unit: self.0 }.visit_f64(v).map(Some)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.is_empty() {
            return Ok(None);
        }
        MoneyVisitor { unit: self.0 }.visit_str(v).map(Some)
    }
}

fn de_money<'de, D: Deserializer<'de>>(d: D, unit: Unit) -> Result<Money, D::Error> {
    d.deserialize_any(MoneyVisitor { unit })
}

fn de_opt<'de, D: Deserializer<'de>>(d: D, unit: Unit) -> Result<Option<Money>, D::Error> {
    d.deserialize_option(OptVisitor(unit))
}

macro_rules! adapter {
    ($name:ident, $opt:ident, $unit:expr, $doc:literal, |$m:ident, $s:ident| $ser:expr) => {
        #[doc = $doc]
        pub mod $name {
            use super::*;
            use serde::Serializer;
            /// Writes the amount in this module's unit.
            pub fn serialize<S: Serializer>($m: &Money, $s: S) -> Result<S::Ok, S::Error> {
                $ser
            }
            /// Reads the amount leniently as to JSON type, exactly as to value.
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
                de_money(d, $unit)
            }
        }
        #[doc = concat!("`Option<Money>` form of [`", stringify!($name), "`]; `None` is skipped by `skip_serializing_if` or written as `null`.")]
        pub mod $opt {
            use super::*;
            use serde::Serializer;
            /// Writes the amount in this module's unit, or `null`.
            pub fn serialize<S: Serializer>(v: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
                match v {
                    Some(m) => super::$name::serialize(m, s),
                    None => s.serialize_none(),
                }
            }
            /// Reads an optional amount; absent, `null` and `""` are `None`.
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
                de_opt(d, $unit)
            }
        }
    };
}

adapter!(
    fen_int,
    opt_fen_int,
    Unit::Fen,
    "Fen as a JSON integer (`1` = 0.01 yuan).",
    |m, s| s.serialize_u64(m.fen())
);
adapter!(
    fen_str,
    opt_fen_str,
    Unit::Fen,
    "Fen as a JSON string (`\"1\"` = 0.01 yuan).",
    |m, s| s.serialize_str(&m.to_fen_string())
);
adapter!(
    yuan_str,
    opt_yuan_str,
    Unit::Yuan,
    "Yuan as a two-decimal JSON string (`\"0.01\"`).",
    |m, s| s.serialize_str(&m.to_yuan_string())
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct W {
        #[serde(with = "fen_int")]
        a: Money,
        #[serde(with = "fen_str")]
        b: Money,
        #[serde(with = "yuan_str")]
        c: Money,
        #[serde(
            with = "opt_yuan_str",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        d: Option<Money>,
    }

    #[test]
    fn reads_either_json_type_and_writes_the_documented_one() {
        let w: W = serde_json::from_str(r#"{"a":"1","b":2,"c":0.01,"d":""}"#).unwrap();
        assert_eq!(
            w,
            W {
                a: Money::from_fen(1),
                b: Money::from_fen(2),
                c: Money::from_fen(1),
                d: None
            }
        );
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"a":1,"b":"2","c":"0.01"}"#
        );
        let w: W = serde_json::from_str(r#"{"a":1,"b":"2","c":"12","d":"3.5"}"#).unwrap();
        assert_eq!(w.c.fen(), 1200);
        assert_eq!(w.d, Some(Money::from_fen(350)));
    }

    #[test]
    fn refuses_bad_values_whatever_the_type() {
        for bad in [
            r#"{"a":-1,"b":"2","c":"1"}"#,
            r#"{"a":1.5,"b":"2","c":"1"}"#,
            r#"{"a":1,"b":"2.0","c":"1"}"#,
            r#"{"a":1,"b":"2","c":"1.001"}"#,
            r#"{"a":1,"b":"2","c":0.001}"#,
            r#"{"a":1,"b":"2","c":"1e3"}"#,
            r#"{"a":1,"b":"2","c":true}"#,
            r#"{"a":1,"b":"2"}"#,
        ] {
            assert!(serde_json::from_str::<W>(bad).is_err(), "{bad}");
        }
    }

    fn yuan_number(text: &str) -> Result<Money, String> {
        let json = format!(r#"{{"a":1,"b":"2","c":{text}}}"#);
        serde_json::from_str::<W>(&json)
            .map(|w| w.c)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn yuan_numbers_are_exact_below_the_bound() {
        for (text, fen) in [
            ("0.01", 1),
            ("12.34", 1234),
            ("9999999999999.99", 999_999_999_999_999),
            ("9999999999999.9", 999_999_999_999_990),
        ] {
            assert_eq!(yuan_number(text), Ok(Money::from_fen(fen)), "{text}");
        }
        // whole-yuan integers are not floats; checked_mul guards them
        assert_eq!(
            yuan_number("10000000000000"),
            Ok(Money::from_fen(1_000_000_000_000_000))
        );
        assert!(yuan_number("184467440737095517").is_err());
    }

    #[test]
    fn yuan_numbers_at_or_above_the_bound_or_below_a_fen_are_refused() {
        for text in ["1e13", "10000000000000.0", "12345678901234567.89", "-1e13"] {
            let e = yuan_number(text).unwrap_err();
            assert!(
                e.contains("send large amounts as strings") && e.contains("yuan"),
                "{text}: {e}"
            );
        }
        let e = yuan_number("12345678901234567.89").unwrap_err();
        assert!(e.contains("12345678901234568"), "names the value: {e}");
        assert!(yuan_number("0.001").is_err());
        // as strings, large amounts stay exact
        assert_eq!(
            yuan_number(r#""12345678901234567.89""#),
            Ok(Money::from_fen(1_234_567_890_123_456_789))
        );
    }
}
