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
    body.to_json_object()
        .map_err(|e: WireError| Error::Validation {
            field: "request",
            reason: e.to_string(),
        })
}
