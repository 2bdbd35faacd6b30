//! The request bodies: one serde struct per endpoint, exactly the fields sent, in the order
//! sent, under beecloud.md's names. The client fills them and turns them into JSON with
//! [`paysig::wire::ToWire`] (a POST body, or the `para=` of a GET).

use super::channel::{Channel, RefundChannel};
use super::query::{Window, millis};
use paysig::Money;
use serde::Serialize;
use serde_json::{Map, Value};

/// `app_id`, `timestamp`, `app_sign`: the auth fields of every call.
#[derive(Serialize)]
pub(crate) struct Auth<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) timestamp: i64,
    pub(crate) app_sign: paysig::md5::HexDigest,
}

/// §2 支付, `POST /1/rest/bill`.
#[derive(Serialize)]
pub(crate) struct BillBody<'a> {
    #[serde(flatten)]
    pub(crate) auth: Auth<'a>,
    pub(crate) channel: &'static str,
    #[serde(with = "paysig::money::wire::fen_int")]
    pub(crate) total_fee: Money,
    pub(crate) bill_no: &'a str,
    pub(crate) title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) optional: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) return_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) openid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) show_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) qr_pay_mode: Option<&'static str>,
}

/// §3 退款, `POST /1/rest/refund`.
#[derive(Serialize)]
pub(crate) struct RefundBody<'a> {
    #[serde(flatten)]
    pub(crate) auth: Auth<'a>,
    pub(crate) channel: RefundChannel,
    pub(crate) refund_no: &'a str,
    pub(crate) bill_no: &'a str,
    #[serde(with = "paysig::money::wire::fen_int")]
    pub(crate) refund_fee: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) optional: Option<&'a Map<String, Value>>,
}

/// The paging window of a list query, less the auth fields.
#[derive(Debug, Serialize)]
pub(crate) struct WindowPara {
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
}

impl From<&Window> for WindowPara {
    fn from(w: &Window) -> Self {
        WindowPara {
            start_time: w.start_time.map(millis),
            end_time: w.end_time.map(millis),
            skip: w.skip,
            limit: w.limit,
        }
    }
}

/// §4 订单查询, `GET /1/rest/bills?para=`.
#[derive(Serialize)]
pub(crate) struct BillsPara<'a> {
    #[serde(flatten)]
    pub(crate) auth: Auth<'a>,
    pub(crate) channel: &'a Channel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bill_no: Option<&'a str>,
    #[serde(flatten)]
    pub(crate) window: WindowPara,
}

/// §5 退款查询, `GET /1/rest/refunds?para=`.
#[derive(Serialize)]
pub(crate) struct RefundsPara<'a> {
    #[serde(flatten)]
    pub(crate) auth: Auth<'a>,
    pub(crate) channel: &'a Channel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bill_no: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refund_no: Option<&'a str>,
    #[serde(flatten)]
    pub(crate) window: WindowPara,
}

/// §6 退款状态更新, `GET /1/rest/refund/status?para=`.
#[derive(Serialize)]
pub(crate) struct RefundStatusPara<'a> {
    #[serde(flatten)]
    pub(crate) auth: Auth<'a>,
    pub(crate) channel: RefundChannel,
    pub(crate) refund_no: &'a str,
}
