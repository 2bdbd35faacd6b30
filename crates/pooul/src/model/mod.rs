//! Wire types: requests (validated before sending), answers, codes.
//!
//! The public requests (in [`pay`] and [`refund`]) are what a caller fills; they check their
//! fields and fill the bodies actually sent, one serde struct per operation in the private
//! `wire` module, turned into the signed JSON object by [`paysig::wire::ToWire`].

pub mod codes;
pub mod pay;
pub mod refund;
pub mod trade;
pub(crate) mod wire;

use serde::Deserialize;

/// A successful answer: Pooul's `msg` and the typed `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    /// `msg` ("success", "USERPAYING, 需要用户输入支付密码", ...).
    pub msg: Option<String>,
    /// `data`.
    pub data: T,
}

/// The payload of every answer: `{code, msg, data, nonce_str}` (`data` only on success).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Answer<T> {
    /// `code`: 0 success, anything else failure ("0为成功，非0为失败").
    #[serde(deserialize_with = "paysig::lenient::number")]
    pub code: i64,
    /// `msg`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub msg: Option<String>,
    /// `data`.
    #[serde(default = "none")]
    pub data: Option<T>,
    /// `nonce_str`, when Pooul sends one.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub nonce_str: Option<String>,
}

fn none<T>() -> Option<T> {
    None
}

pub(crate) type Envelope = Answer<serde_json::Value>;

/// Checks made before anything is sent; each error names the wire field.
pub(crate) mod validate {
    use crate::Error;
    use url::Url;

    pub fn non_empty(field: &'static str, value: &str) -> Result<(), Error> {
        if value.trim().is_empty() {
            return Err(Error::Validation {
                field,
                reason: "must not be empty".into(),
            });
        }
        Ok(())
    }

    pub fn ip(field: &'static str, value: &str) -> Result<(), Error> {
        value
            .parse::<std::net::IpAddr>()
            .map(|_| ())
            .map_err(|_| Error::Validation {
                field,
                reason: format!("{value:?} is not an IP address"),
            })
    }

    pub fn notify_url(field: &'static str, url: &Url) -> Result<(), Error> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Validation {
                field,
                reason: "must be an http or https URL".into(),
            });
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::Validation {
                field,
                reason: "must not carry parameters (不能携带参数)".into(),
            });
        }
        Ok(())
    }

    /// A 10-digit UNIX timestamp ("为10位 UNIX 时间戳").
    pub fn unix_seconds(field: &'static str, value: u64) -> Result<(), Error> {
        if !(1_000_000_000..=9_999_999_999).contains(&value) {
            return Err(Error::Validation {
                field,
                reason: format!("{value} is not a 10-digit UNIX timestamp"),
            });
        }
        Ok(())
    }

    /// `merchant_id`: "16位数字".
    pub fn merchant_id(value: &str) -> Result<(), Error> {
        if value.len() != 16 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Validation {
                field: "merchant_id",
                reason: "must be 16 digits".into(),
            });
        }
        Ok(())
    }
}
