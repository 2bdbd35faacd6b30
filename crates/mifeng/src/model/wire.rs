//! The request bodies: one serde struct per endpoint, exactly the fields sent, in the order
//! sent, under mifeng.md's names. The client fills them per attempt (the token current at the
//! rate-limit slot, a fresh `timestamp`) and turns them into a JSON object or a form, as
//! [`crate::BodyEncoding`] says, through [`paysig::wire::ToWire`].

use paysig::Money;
use serde::Serialize;

/// `mch_id`, documented as int: a JSON integer when it is one, its text otherwise.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum MchId<'a> {
    Number(u64),
    Text(&'a str),
}

impl<'a> MchId<'a> {
    pub(crate) fn new(id: &'a str) -> Self {
        // A number only when written as one would be written back: digits, no sign, no
        // leading zero (told without formatting the number again, no `String` per call).
        let canonical = !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && (id == "0" || !id.starts_with('0'));
        match id.parse::<u64>() {
            Ok(n) if canonical => MchId::Number(n),
            _ => MchId::Text(id),
        }
    }
}

/// §接口授权 `accesstoken`: the form (or GET query) asking for a token.
#[derive(Serialize)]
pub(crate) struct AccessTokenForm<'a> {
    pub(crate) mch_id: &'a str,
    pub(crate) secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) request_id: Option<String>,
}

/// §统一下单 `unifiedorder`.
#[derive(Serialize)]
pub(crate) struct UnifiedOrderBody<'a> {
    pub(crate) token: String,
    pub(crate) channel_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<&'a str>,
    pub(crate) out_order_no: &'a str,
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub(crate) money: Money,
    pub(crate) client_ip: String,
    pub(crate) notify_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) return_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) param: Option<&'a str>,
    pub(crate) timestamp: u64,
}

/// §订单查询 `query`.
#[derive(Serialize)]
pub(crate) struct QueryBody<'a> {
    pub(crate) token: String,
    pub(crate) mch_id: MchId<'a>,
    pub(crate) order_no: &'a str,
    pub(crate) timestamp: u64,
}

/// §余额查询 `balance`.
#[derive(Serialize)]
pub(crate) struct BalanceBody<'a> {
    pub(crate) token: String,
    pub(crate) mch_id: MchId<'a>,
    pub(crate) timestamp: u64,
}

/// A body that could not be written. The bodies above hold only text and integers, so this
/// cannot happen short of a serde bug; it is still an error, never a panic.
pub(crate) fn wire_error(e: paysig::wire::WireError) -> crate::Error {
    crate::Error::Validation {
        field: "body",
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paysig::wire::ToWire;

    fn balance(mch_id: &str) -> BalanceBody<'_> {
        BalanceBody {
            token: "T".into(),
            mch_id: MchId::new(mch_id),
            timestamp: 7,
        }
    }

    #[test]
    fn mch_id_is_a_json_integer_only_when_its_text_is_that_integer() {
        let json = |id| String::from_utf8(balance(id).to_json().unwrap()).unwrap();
        assert_eq!(
            json("1000123"),
            r#"{"token":"T","mch_id":1000123,"timestamp":7}"#
        );
        // A leading zero or a letter would be lost or refused as a number: kept as text.
        assert_eq!(
            json("0123"),
            r#"{"token":"T","mch_id":"0123","timestamp":7}"#
        );
        assert_eq!(json("m-1"), r#"{"token":"T","mch_id":"m-1","timestamp":7}"#);
        // A sign, past u64, nothing: text as written; zero itself is the number.
        for id in ["+5", "18446744073709551616", ""] {
            assert_eq!(
                json(id),
                format!(r#"{{"token":"T","mch_id":"{id}","timestamp":7}}"#)
            );
        }
        assert_eq!(json("0"), r#"{"token":"T","mch_id":0,"timestamp":7}"#);
        // In a form both are the same text.
        for id in ["1000123", "0123"] {
            assert_eq!(
                balance(id).to_params().unwrap().to_form(),
                format!("token=T&mch_id={id}&timestamp=7")
            );
        }
    }
}
