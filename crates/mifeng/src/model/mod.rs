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
    // A success is read in one pass, `data` straight into `T`. Whatever that pass does not
    // read as a success (a refusal, an unexpected `data`, a malformed body) is read again
    // below, which names what is wrong; a success reads the same either way.
    #[derive(Deserialize)]
    struct TypedEnvelope<T> {
        #[serde(deserialize_with = "paysig::lenient::number")]
        code: i64,
        #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
        msg: Option<String>,
        #[serde(default = "Option::default")]
        data: Option<T>,
        #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
        request_id: Option<String>,
    }
    if let Ok(TypedEnvelope {
        code: 0,
        msg,
        data: Some(data),
        request_id,
    }) = serde_json::from_slice::<TypedEnvelope<T>>(body)
    {
        return Ok(Reply {
            data,
            msg,
            request_id,
        });
    }
    decode_reply_two_step(op, body)
}

/// [`decode_reply`] in two steps: the envelope borrowed from the body, `data` kept as raw
/// text and then decoded into `T` (no `Value` tree in between).
fn decode_reply_two_step<T: serde::de::DeserializeOwned>(
    op: Operation,
    body: &[u8],
) -> Result<Reply<T>, crate::Error> {
    use crate::Error;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../fixtures/mifeng/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Both reads of `body` as `T`, compared by what a caller sees.
    fn agree<T: serde::de::DeserializeOwned + std::fmt::Debug>(op: Operation, body: &[u8]) {
        let one = format!("{:?}", decode_reply::<T>(op, body));
        let two = format!("{:?}", decode_reply_two_step::<T>(op, body));
        assert_eq!(one, two, "{}", String::from_utf8_lossy(body));
    }

    #[test]
    fn the_one_pass_read_and_the_two_step_read_agree() {
        use crate::model::order::QueryOrderResponse;
        let query = fixture("query_response.json");
        let text = String::from_utf8(query.clone()).unwrap();
        let mut bodies: Vec<Vec<u8>> = vec![
            query.clone(),
            fixture("query_error.json"),
            fixture("unifiedorder_error.json"),
            br#"{"code":0,"msg":"ok","data":null,"request_id":"r"}"#.to_vec(),
            br#"{"code":0,"msg":"ok","request_id":"r"}"#.to_vec(),
            br#"{"code":0,"data":{},"request_id":"r"}"#.to_vec(),
            br#"{"code":"0","data":[],"request_id":7}"#.to_vec(),
            br#"{"code":0,"data":{"a":1},"data":{"a":1}}"#.to_vec(),
            br#"{"code":0,"data":"#.to_vec(),
            b"not json".to_vec(),
        ];
        // The success with its members moved about, and with an unknown member.
        bodies.push(
            text.replacen("{", r#"{"extra":{"x":[1,2]},"#, 1)
                .into_bytes(),
        );
        bodies.push(text.replace("\"code\"", "\"c\\u006fde\"").into_bytes());
        for body in &bodies {
            agree::<QueryOrderResponse>(Operation::Query, body);
            agree::<serde_json::Value>(Operation::Query, body);
        }
        let ok = decode_reply::<QueryOrderResponse>(Operation::Query, &query).unwrap();
        let reference = decode_reply_two_step::<QueryOrderResponse>(Operation::Query, &query);
        assert_eq!(format!("{ok:?}"), format!("{:?}", reference.unwrap()));
    }
}
