//! One way to build a request: a typed serde struct per endpoint, turned into the form the
//! provider reads by [`ToWire`], signed last.
//!
//! Each provider crate declares, per endpoint, a `#[derive(Serialize)]` struct whose fields
//! are exactly the fields sent, in the order sent, under the provider's wire names. That
//! struct is the only description of the request; [`ToWire`] (implemented for every
//! `Serialize` type) turns it into whichever form the provider takes:
//!
//! - [`ToWire::to_params`]: ordered form pairs ([`Params`]), for `x-www-form-urlencoded`
//!   bodies and MD5 signing; [`ToWire::to_signed_params`] signs them with an [`Md5Signer`]
//!   and appends the sign as the last pair.
//! - [`ToWire::to_json`]: a compact JSON object, members in field order.
//! - [`ToWire::to_json_object`]: a JSON object to add per-attempt members to (a nonce)
//!   before [`ToWire::to_jwt_rs256`] signs it as RS256 claims.
//!
//! Form pairs follow these rules, so the bytes are those a hand-written `push` would give:
//! - `None` is no pair at all (absent, never an empty value); `Some(v)` is `v`.
//! - strings as they are; integers in decimal; `true` / `false`; a unit enum variant as its
//!   (renamed) name. Money goes through the [`crate::money::wire`] adapters, so it is text
//!   or an integer, never a float: a float, a nested list, map or struct is refused with
//!   [`WireError::Unsupported`] naming the field.
//! - `#[serde(flatten)]` members (shared auth fields) are written in place.
//! - a field name given twice is [`WireError::DuplicateField`]: the signed string would have
//!   two readings.
//!
//! ```
//! use paysig::wire::ToWire;
//! use paysig::md5::{HexCase, KeySuffix};
//! use paysig::{CanonicalRules, Md5Signer, Money, SecretString};
//! use serde::Serialize;
//!
//! #[derive(Serialize)]
//! struct Refund<'a> {
//!     app_id: &'a str,
//!     #[serde(rename = "orderId")]
//!     order_id: &'a str,
//!     #[serde(with = "paysig::money::wire::fen_str")]
//!     amount: Money,
//!     #[serde(rename = "notifyUrl", skip_serializing_if = "Option::is_none")]
//!     notify_url: Option<&'a str>,
//! }
//!
//! let body = Refund { app_id: "sm1", order_id: "R1", amount: Money::from_fen(150), notify_url: None };
//! let form = body.to_params().unwrap();
//! assert_eq!(form.to_form(), "app_id=sm1&orderId=R1&amount=150");
//! assert_eq!(body.to_json().unwrap(), br#"{"app_id":"sm1","orderId":"R1","amount":"150"}"#);
//!
//! // Signing comes last, by the existing signer, over exactly these pairs.
//! let signer = Md5Signer::new(CanonicalRules::sorted().exclude(["sign"]), KeySuffix::Append, HexCase::Upper);
//! let key = SecretString::from("k");
//! let signed = body.to_signed_params(&signer, &key, "sign").unwrap();
//! assert_eq!(signed.get("sign"), Some(signer.sign(&form, &key).unwrap().as_str()));
//! assert_eq!(signed.iter().last().map(|(k, _)| k), Some("sign"));
//! ```

mod form;
mod member;

use crate::jwt::JwtError;
use crate::{Md5Signer, Params, RsaPrivateKey, SecretString, SignError};
use form::TopSerializer;
pub use member::json_with_member;
use serde::Serialize;
use serde::ser;
use std::fmt::Display;

/// Why a request struct could not be turned into its wire form or signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// A field holds a value the form cannot carry as one pair (a float, a list, a map, a
    /// nested struct, bytes).
    #[error("field {field:?} is a {kind}, which a form pair cannot carry")]
    Unsupported {
        /// The wire name of the field.
        field: String,
        /// What the value was.
        kind: &'static str,
    },
    /// The request is not a struct or map, so it has no named fields.
    #[error("a request must be a struct or a map, not a {kind}")]
    NotAnObject {
        /// What the value was.
        kind: &'static str,
    },
    /// The same wire name was written twice.
    #[error("field {field:?} is written twice")]
    DuplicateField {
        /// The repeated name.
        field: String,
    },
    /// serde refused the value (a custom `Serialize` error, a JSON failure).
    #[error("the request could not be serialised: {reason}")]
    Serialize {
        /// serde's reason.
        reason: String,
    },
    /// The MD5 signer refused the pairs.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The RS256 signer failed.
    #[error(transparent)]
    Jwt(#[from] JwtError),
}

impl ser::Error for WireError {
    fn custom<T: Display>(msg: T) -> Self {
        WireError::Serialize {
            reason: msg.to_string(),
        }
    }
}

fn json_error(e: serde_json::Error) -> WireError {
    WireError::Serialize {
        reason: e.to_string(),
    }
}

/// Turns a request struct into the provider's wire form; see the [module docs](self).
///
/// Implemented for every `Serialize` type: the struct says what is sent, this trait only how.
pub trait ToWire: Serialize {
    /// The fields as ordered form pairs, `None` left out.
    fn to_params(&self) -> Result<Params, WireError> {
        self.serialize(TopSerializer)
    }

    /// [`ToWire::to_params`], then the sign of `signer` over those pairs with `key`, appended
    /// last as `sign_field`.
    fn to_signed_params(
        &self,
        signer: &Md5Signer,
        key: &SecretString,
        sign_field: &'static str,
    ) -> Result<Params, WireError> {
        let mut params = self.to_params()?;
        let sign = signer.sign_digits(&params, key)?;
        params.push_static(sign_field, sign.as_str());
        Ok(params)
    }

    /// The fields as a compact JSON object, in field order.
    fn to_json(&self) -> Result<Vec<u8>, WireError> {
        serde_json::to_vec(self).map_err(json_error)
    }

    /// The fields as a JSON object (a `serde_json::Map`, which orders its members as
    /// serde_json's features say), to add per-attempt members to before signing.
    fn to_json_object(&self) -> Result<serde_json::Map<String, serde_json::Value>, WireError> {
        match serde_json::to_value(self).map_err(json_error)? {
            serde_json::Value::Object(map) => Ok(map),
            other => Err(WireError::NotAnObject {
                kind: json_kind(&other),
            }),
        }
    }

    /// [`ToWire::to_json`] signed as the claims of a compact RS256 JWT ([`crate::jwt`]).
    fn to_jwt_rs256(&self, key: &RsaPrivateKey) -> Result<String, WireError> {
        let json = self.to_json()?;
        Ok(crate::jwt::encode_rs256_bytes(&json, key)?)
    }
}

impl<T: Serialize + ?Sized> ToWire for T {}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "sequence",
        serde_json::Value::Object(_) => "map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Money;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Auth<'a> {
        app_id: &'a str,
        timestamp: i64,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "UPPERCASE")]
    enum Channel {
        Wx,
        #[serde(rename = "ALI_WEB")]
        AliWeb,
    }

    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(flatten)]
        auth: Auth<'a>,
        channel: Channel,
        #[serde(rename = "totalAmount", with = "crate::money::wire::yuan_str")]
        total: Money,
        #[serde(with = "crate::money::wire::fen_int")]
        fee: Money,
        paid: bool,
        note: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<&'a str>,
        empty: &'a str,
    }

    fn body() -> Body<'static> {
        Body {
            auth: Auth {
                app_id: "a&b",
                timestamp: -1,
            },
            channel: Channel::Wx,
            total: Money::from_fen(1050),
            fee: Money::from_fen(7),
            paid: true,
            note: None,
            url: Some("https://m.example/n?x=1"),
            empty: "",
        }
    }

    #[test]
    fn pairs_follow_field_order_and_leave_none_out() {
        let p = body().to_params().unwrap();
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            vec![
                ("app_id", "a&b"),
                ("timestamp", "-1"),
                ("channel", "WX"),
                ("totalAmount", "10.50"),
                ("fee", "7"),
                ("paid", "true"),
                ("url", "https://m.example/n?x=1"),
                ("empty", ""),
            ]
        );
        assert_eq!(
            p.to_form(),
            "app_id=a%26b&timestamp=-1&channel=WX&totalAmount=10.50&fee=7&paid=true&url=https%3A%2F%2Fm.example%2Fn%3Fx%3D1&empty="
        );
    }

    #[test]
    fn json_keeps_field_order_and_types() {
        let b = Body {
            channel: Channel::AliWeb,
            ..body()
        };
        assert_eq!(
            String::from_utf8(b.to_json().unwrap()).unwrap(),
            r#"{"app_id":"a&b","timestamp":-1,"channel":"ALI_WEB","totalAmount":"10.50","fee":7,"paid":true,"note":null,"url":"https://m.example/n?x=1","empty":""}"#
        );
        let obj = b.to_json_object().unwrap();
        assert_eq!(obj["fee"], serde_json::json!(7));
        assert!(matches!(
            "x".to_json_object(),
            Err(WireError::NotAnObject { kind: "string" })
        ));
    }

    #[test]
    fn a_map_is_pairs_in_its_order() {
        let m: BTreeMap<&str, u64> = [("b", 2), ("a", 1)].into_iter().collect();
        assert_eq!(m.to_params().unwrap().to_form(), "a=1&b=2");
    }

    #[test]
    fn floats_nesting_and_duplicates_are_refused_with_the_field() {
        #[derive(Serialize)]
        struct Float {
            amount: f64,
        }
        assert!(matches!(
            Float { amount: 0.1 }.to_params(),
            Err(WireError::Unsupported { field, kind: "float" }) if field == "amount"
        ));

        #[derive(Serialize)]
        struct Nested {
            items: Vec<u8>,
        }
        assert!(matches!(
            Nested { items: vec![1] }.to_params(),
            Err(WireError::Unsupported { field, kind: "sequence" }) if field == "items"
        ));

        #[derive(Serialize)]
        struct Twice<'a> {
            #[serde(flatten)]
            auth: Auth<'a>,
            app_id: &'a str,
        }
        let t = Twice {
            auth: Auth {
                app_id: "x",
                timestamp: 1,
            },
            app_id: "y",
        };
        assert!(matches!(
            t.to_params(),
            Err(WireError::DuplicateField { field }) if field == "app_id"
        ));

        assert!(matches!(
            42u8.to_params(),
            Err(WireError::NotAnObject { kind: "integer" })
        ));
    }

    #[test]
    fn signing_comes_last_over_the_pairs_sent() {
        use crate::CanonicalRules;
        use crate::md5::{HexCase, KeySuffix};
        let signer = Md5Signer::new(
            CanonicalRules::sorted().exclude(["sign"]).keep_empty(),
            KeySuffix::Append,
            HexCase::Upper,
        );
        let key = SecretString::from("key");
        #[derive(Serialize)]
        struct Q<'a> {
            msn: &'a str,
            #[serde(rename = "misId")]
            mis_id: Option<&'a str>,
        }
        let q = Q {
            msn: "V1",
            mis_id: Some("M1"),
        };
        let signed = q.to_signed_params(&signer, &key, "sign").unwrap();
        let unsigned = q.to_params().unwrap();
        let expected = signer.sign(&unsigned, &key).unwrap();
        assert_eq!(
            signed.iter().collect::<Vec<_>>(),
            vec![("msn", "V1"), ("misId", "M1"), ("sign", expected.as_str())]
        );
        // The canonical string is of the fields sent (sorted, key appended).
        assert_eq!(
            expected,
            crate::md5::md5_hex(b"misId=M1&msn=V1key", HexCase::Upper)
        );
    }

    proptest::proptest! {
        /// Whatever the text, the form sent reads back as exactly the fields of the struct:
        /// a value holding `&`, `=`, `+` or non-ASCII cannot shift into another field.
        #[test]
        fn the_form_reads_back_as_the_fields(
            // U+FFFD is what a reader makes of bad UTF-8, so parse_form refuses it.
            a in "[^\\x{FFFD}]*",
            b in proptest::option::of("[^\\x{FFFD}]*"),
            n in proptest::prelude::any::<u64>(),
        ) {
            #[derive(Serialize)]
            struct S<'a> {
                a: &'a str,
                b: Option<&'a str>,
                n: u64,
            }
            let s = S { a: &a, b: b.as_deref(), n };
            let back = Params::parse_form(s.to_params().unwrap().to_form().as_bytes()).unwrap();
            let mut want = vec![("a", a.as_str())];
            if let Some(b) = &b {
                want.push(("b", b.as_str()));
            }
            let n_text = n.to_string();
            want.push(("n", n_text.as_str()));
            proptest::prop_assert_eq!(back.iter().collect::<Vec<_>>(), want);
        }
    }
}
