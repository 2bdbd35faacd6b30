//! The request bodies: one serde struct per endpoint, exactly the fields sent, in the order
//! sent, under sunmi.txt's names. [`super::request`]'s typed requests check their fields and
//! fill these; the client turns them into a form signed last by [`crate::request_signer`]
//! through [`paysig::wire::ToWire::to_signed_params`].

use paysig::Money;
use serde::Serialize;

/// `charset`, listed as required by every endpoint with `app_id` ("默认utf8 不动").
pub(crate) const CHARSET: &str = "utf8";

// `app_id`/`charset` and `msn`/`merchantNo` are written into each body rather than
// `#[serde(flatten)]`ed: a flattened struct is serialized as a map, whose keys arrive as
// borrowed text and so cost a `String` each per call; a struct's field names are literals.

/// `swipeQuery` (§3.3.1).
#[derive(Serialize)]
pub(crate) struct SwipeQueryBody<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) charset: &'static str,
    pub(crate) msn: &'a str,
    #[serde(rename = "tradeDate", skip_serializing_if = "Option::is_none")]
    pub(crate) trade_date: Option<String>,
    #[serde(rename = "orderId", skip_serializing_if = "Option::is_none")]
    pub(crate) order_id: Option<&'a str>,
    #[serde(rename = "platformId", skip_serializing_if = "Option::is_none")]
    pub(crate) platform_id: Option<&'a str>,
}

/// `payBind` (§4.3.1, §5.3.1): `configType` and the one field it requires (two for 1).
#[derive(Serialize)]
pub(crate) struct PayBindBody<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) charset: &'static str,
    #[serde(rename = "merchantNo")]
    pub(crate) merchant_no: &'a str,
    #[serde(rename = "configType")]
    pub(crate) config_type: &'static str,
    #[serde(rename = "payUrl", skip_serializing_if = "Option::is_none")]
    pub(crate) pay_url: Option<&'a str>,
    #[serde(rename = "attentionAppId", skip_serializing_if = "Option::is_none")]
    pub(crate) attention_app_id: Option<&'a str>,
    #[serde(rename = "miniAppId", skip_serializing_if = "Option::is_none")]
    pub(crate) mini_app_id: Option<&'a str>,
    #[serde(rename = "receiptAppId", skip_serializing_if = "Option::is_none")]
    pub(crate) receipt_app_id: Option<&'a str>,
}

/// `jsApiPay` (§4.3.2): `totalAmount` in yuan.
#[derive(Serialize)]
pub(crate) struct JsApiPayBody<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) charset: &'static str,
    #[serde(rename = "merchantNo")]
    pub(crate) merchant_no: &'a str,
    #[serde(rename = "totalAmount", with = "paysig::money::wire::yuan_str")]
    pub(crate) total_amount: Money,
    #[serde(rename = "miniAppId")]
    pub(crate) mini_app_id: &'a str,
    #[serde(rename = "openId")]
    pub(crate) open_id: &'a str,
    #[serde(rename = "orderId")]
    pub(crate) order_id: &'a str,
    #[serde(rename = "walletType")]
    pub(crate) wallet_type: &'a str,
    #[serde(rename = "notifyUrl", skip_serializing_if = "Option::is_none")]
    pub(crate) notify_url: Option<&'a str>,
}

/// `miniPay` (§5.3.2): `totalAmount` in fen.
#[derive(Serialize)]
pub(crate) struct MiniPayBody<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) charset: &'static str,
    #[serde(rename = "merchantNo")]
    pub(crate) merchant_no: &'a str,
    #[serde(rename = "totalAmount", with = "paysig::money::wire::fen_str")]
    pub(crate) total_amount: Money,
    #[serde(rename = "miniAppId")]
    pub(crate) mini_app_id: &'a str,
    #[serde(rename = "openId")]
    pub(crate) open_id: &'a str,
    #[serde(rename = "orderId")]
    pub(crate) order_id: &'a str,
    #[serde(rename = "appVersion", skip_serializing_if = "Option::is_none")]
    pub(crate) app_version: Option<&'a str>,
    #[serde(rename = "notifyUrl", skip_serializing_if = "Option::is_none")]
    pub(crate) notify_url: Option<&'a str>,
}

/// `msn` and/or `merchantNo`: who made the trade (checked, then written into the body).
pub(crate) struct TerminalFields<'a> {
    pub(crate) msn: Option<&'a str>,
    pub(crate) merchant_no: Option<&'a str>,
}

/// `query` (§4.3.3, §5.3.3): exactly one of `misId`, `orderId`, `platformId`.
#[derive(Serialize)]
pub(crate) struct QueryBody<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) charset: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) msn: Option<&'a str>,
    #[serde(rename = "merchantNo", skip_serializing_if = "Option::is_none")]
    pub(crate) merchant_no: Option<&'a str>,
    #[serde(rename = "misId", skip_serializing_if = "Option::is_none")]
    pub(crate) mis_id: Option<&'a str>,
    #[serde(rename = "orderId", skip_serializing_if = "Option::is_none")]
    pub(crate) order_id: Option<&'a str>,
    #[serde(rename = "platformId", skip_serializing_if = "Option::is_none")]
    pub(crate) platform_id: Option<&'a str>,
}

/// `refund` (§4.3.4, §5.3.4): `amount` in fen, exactly one of `oriMisId`, `oriPlatformId`,
/// `oriOrderId`.
#[derive(Serialize)]
pub(crate) struct RefundBody<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) charset: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) msn: Option<&'a str>,
    #[serde(rename = "merchantNo", skip_serializing_if = "Option::is_none")]
    pub(crate) merchant_no: Option<&'a str>,
    #[serde(with = "paysig::money::wire::fen_str")]
    pub(crate) amount: Money,
    #[serde(rename = "oriMisId", skip_serializing_if = "Option::is_none")]
    pub(crate) ori_mis_id: Option<&'a str>,
    #[serde(rename = "oriPlatformId", skip_serializing_if = "Option::is_none")]
    pub(crate) ori_platform_id: Option<&'a str>,
    #[serde(rename = "oriOrderId", skip_serializing_if = "Option::is_none")]
    pub(crate) ori_order_id: Option<&'a str>,
    #[serde(rename = "orderId")]
    pub(crate) order_id: &'a str,
    #[serde(rename = "businessId")]
    pub(crate) business_id: &'a str,
}

/// A body that could not be written or signed. The bodies above hold only text, so short of a
/// key the signer refuses, this cannot happen; it is still an error, never a panic.
pub(crate) fn wire_error(e: paysig::wire::WireError) -> crate::error::Error {
    match e {
        paysig::wire::WireError::Sign(e) => crate::error::Error::Sign(e),
        other => crate::error::Error::Validation {
            field: "request",
            reason: other.to_string(),
        },
    }
}
