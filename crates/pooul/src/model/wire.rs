//! The request bodies: one serde struct per `/v2` operation, exactly the members sent (less
//! `nonce_str`, which the client adds to every attempt), under pooul.md's names. The public
//! requests ([`super::pay::PayRequest`], [`super::refund::RefundRequest`],
//! [`super::refund::RefundQueryRequest`]) check their fields and fill these;
//! [`paysig::wire::ToWire`] turns them into the JSON object the client signs as RS256 claims.
//!
//! The members are declared in the order they were always inserted; the object they become is
//! a `serde_json::Map`, ordered as serde_json's features say (sorted by name in this build).

use super::codes::PayTypeCode;
use crate::Error;
use paysig::Money;
use paysig::wire::{ToWire, WireError};
use serde::Serialize;
use serde_json::{Map, Value};

/// `pay_type` and the members its type requires ("Body需增加请求参数").
#[derive(Serialize)]
pub(crate) struct PayTypeFields<'a> {
    pub(crate) pay_type: PayTypeCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auth_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sub_appid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sub_openid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mch_app_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mch_app_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mch_app_id: Option<&'a str>,
}

/// 统一支付 Pay order, `POST /v2/pay`: the pay type's members, then the common ones.
#[derive(Serialize)]
pub(crate) struct PayBody<'a> {
    #[serde(flatten)]
    pub(crate) pay_type: PayTypeFields<'a>,
    pub(crate) mch_trade_id: &'a str,
    #[serde(with = "paysig::money::wire::fen_int")]
    pub(crate) total_fee: Money,
    pub(crate) body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) spbill_create_ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) notify_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) time_start: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) time_expire: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) store_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) device_info: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) op_user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attach: Option<&'a str>,
}

/// 申请退款 Refund, `POST /v2/pay/refund`.
#[derive(Serialize)]
pub(crate) struct RefundBody<'a> {
    pub(crate) mch_trade_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mch_refund_id: Option<&'a str>,
    #[serde(with = "paysig::money::wire::fen_int")]
    pub(crate) refund_fee: Money,
    pub(crate) refund_desc: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) notify_url: Option<&'a str>,
}

/// 退款查询 Refund query, `POST /v2/pay/refund_query`.
#[derive(Serialize)]
pub(crate) struct RefundQueryBody<'a> {
    pub(crate) mch_trade_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mch_refund_id: Option<&'a str>,
}

/// 查询订单 Query, 关闭订单 Close, 撤销订单 Reverse: the order alone.
#[derive(Serialize)]
pub(crate) struct TradeBody<'a> {
    pub(crate) mch_trade_id: &'a str,
}

/// The JSON object of `body`, to which the client adds `nonce_str` before signing.
pub(crate) fn json_object(body: &impl Serialize) -> Result<Map<String, Value>, Error> {
    // The bodies hold only text and integers, so this cannot fail short of a serde bug;
    // it is still an error, never a panic.
    body.to_json_object().map_err(validation)
}

/// [`json_object`] as compact JSON: what the client signs with `nonce_str` written in by
/// [`paysig::wire::json_with_member`] (the same bytes, no map built).
pub(crate) fn json_bytes(body: &impl Serialize) -> Result<Vec<u8>, Error> {
    body.to_json().map_err(validation)
}

fn validation(e: WireError) -> Error {
    Error::Validation {
        field: "request",
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pay::PayRequest;
    use crate::model::refund::{RefundQueryRequest, RefundRequest};

    /// The claims signed: the body with `nonce_str` set as `Map::insert` sets it.
    fn through_the_map(mut body: Map<String, Value>) -> Vec<u8> {
        body.insert("nonce_str".into(), "N0nce".into());
        serde_json::to_vec(&body).unwrap()
    }

    fn written_in(json: Vec<u8>) -> Vec<u8> {
        paysig::wire::json_with_member(&json, "nonce_str", "N0nce").unwrap()
    }

    /// Every request sample of the fixtures, and the trade and refund-query bodies: the
    /// claims the client writes without a map are byte for byte those of the map.
    #[test]
    fn the_claims_written_in_place_are_the_bytes_of_the_map() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pooul");
        let mut seen = 0;
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let text = || std::fs::read_to_string(&path).unwrap();
            let (json, map) = if name.starts_with("pay_") && name.ends_with("_request") {
                let req: PayRequest = serde_json::from_str(&text()).unwrap();
                (req.wire_json().unwrap(), req.wire_body().unwrap())
            } else if name == "refund_request" {
                let req: RefundRequest = serde_json::from_str(&text()).unwrap();
                (req.wire_json().unwrap(), req.wire_body().unwrap())
            } else if name == "refund_query_request" {
                let req: RefundQueryRequest = serde_json::from_str(&text()).unwrap();
                (req.wire_json().unwrap(), req.wire_body().unwrap())
            } else {
                continue;
            };
            assert_eq!(written_in(json), through_the_map(map), "{name}");
            seen += 1;
        }
        assert!(seen >= 9, "only {seen} request samples");
        let trade = TradeBody {
            mch_trade_id: "m\"1é",
        };
        assert_eq!(
            written_in(json_bytes(&trade).unwrap()),
            through_the_map(json_object(&trade).unwrap())
        );
    }
}
