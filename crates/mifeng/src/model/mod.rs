//! Wire types of mifeng.md: requests, answers, codes.
//!
//! [`UnifiedOrderRequest`] is what a caller fills and validates. The bodies actually sent,
//! one serde struct per endpoint (token and timestamp filled per attempt), live in the
//! private `wire` module and become JSON or a form through [`paysig::wire::ToWire`].

mod order;
mod token;
pub(crate) mod wire;

pub use crate::error::codes::{
    ApiCode, BalanceCode, NotifyDelivery, NotifyState, Operation, OrderState, QueryCode,
    UnifiedOrderCode,
};
pub use order::{BalanceResponse, QueryOrderResponse, UnifiedOrderRequest, UnifiedOrderResponse};
pub use token::AccessTokenResponse;

pub use paysig::Reply;

use serde::Deserialize;

/// The envelope every endpoint answers with: `{code, msg, data, request_id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    /// 0 is success; other values are per endpoint.
    #[serde(deserialize_with = "paysig::lenient::number")]
    pub code: i64,
    /// The message.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub msg: Option<String>,
    /// The payload (`{}` on failure).
    #[serde(default)]
    pub data: Option<serde_json::Value>,
    /// The request id (absent from the accesstoken sample).
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub request_id: Option<String>,
}

/// Reads an answer body of `op`: `Ok` with the typed `data` when `code` is 0,
/// [`crate::Error::Api`] with the typed code otherwise, [`crate::Error::Decode`] when the body
/// is not the documented envelope.
pub fn decode_reply<T: serde::de::DeserializeOwned>(
    op: Operation,
    body: &[u8],
) -> Result<Reply<T>, crate::Error> {
    use crate::Error;
    // Read once: the envelope borrowed from the body, `data` kept as raw text and decoded
    // straight into `T` (no `Value` tree in between).
    #[derive(Deserialize)]
    struct RawEnvelope<'a> {
        #[serde(deserialize_with = "paysig::lenient::number")]
        code: i64,
        #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
        msg: Option<String>,
        #[serde(default, borrow)]
        data: Option<&'a serde_json::value::RawValue>,
        #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
        request_id: Option<String>,
    }
    let env: RawEnvelope<'_> = serde_json::from_slice(body).map_err(|e| Error::Decode {
        operation: op.name(),
        reason: e.to_string(),
        request_id: None,
    })?;
    if env.code != 0 {
        return Err(Error::Api {
            operation: op.name(),
            code: op.api_code(env.code),
            msg: env.msg.unwrap_or_default(),
            request_id: env.request_id,
        });
    }
    let data = env.data.ok_or_else(|| Error::Decode {
        operation: op.name(),
        reason: "code 0 without data".into(),
        request_id: env.request_id.clone(),
    })?;
    let data = serde_json::from_str(data.get()).map_err(|e| Error::Decode {
        operation: op.name(),
        reason: e.to_string(),
        request_id: env.request_id.clone(),
    })?;
    Ok(Reply {
        data,
        msg: env.msg,
        request_id: env.request_id,
    })
}
