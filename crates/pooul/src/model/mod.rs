//! Wire types: requests (validated before sending), answers, codes.

pub mod codes;
pub mod pay;
pub mod refund;
pub mod trade;

use serde::Deserialize;

pub use paysig::Reply;

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

// The checks moved to the crate's `validate` module; the models reach them by this path.
pub(crate) use crate::validate;
