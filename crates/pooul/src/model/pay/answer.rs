//! 统一支付 Pay order: what comes back (`data` and its `pay_info`).

use crate::model::codes::{PayTypeCode, TradeState};
use paysig::Money;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `data` of a 统一支付 answer. Which fields come depends on the pay type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PayData {
    /// `trade_id`: Pooul's order number.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub trade_id: String,
    /// `mch_trade_id`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub mch_trade_id: String,
    /// `merchant_id`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub merchant_id: Option<String>,
    /// `pay_type` (only some answers carry it).
    #[serde(default)]
    pub pay_type: Option<PayTypeCode>,
    /// `trade_state` (micro and alipay.scan answers).
    #[serde(default)]
    pub trade_state: Option<TradeState>,
    /// `trade_info`: human-readable state.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub trade_info: Option<String>,
    /// `code_url` (wechat.scan, alipay.scan): to show as a QR code.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub code_url: Option<String>,
    /// `pay_url` (wechat.jsurl): the payment page to open inside WeChat.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub pay_url: Option<String>,
    /// `device_info`, echoed (wechat.jsurl).
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub device_info: Option<String>,
    /// `op_user_id`, echoed (wechat.jsurl).
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub op_user_id: Option<String>,
    /// `attach`, echoed (alipay.jsapi).
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub attach: Option<String>,
    /// `body`, echoed (alipay.jsapi).
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub body: Option<String>,
    /// `total_fee` in fen (alipay.jsapi).
    #[serde(default, with = "paysig::money::wire::opt_fen_int")]
    pub total_fee: Option<Money>,
    /// `actual_fee` in fen (alipay.jsapi; 0 while paying). The developer docs do not define
    /// it; read as what the payer actually paid.
    #[serde(default, with = "paysig::money::wire::opt_fen_int")]
    pub actual_fee: Option<Money>,
    /// `settle_fee` in fen (alipay.jsapi): the amount settled to the merchant.
    #[serde(default, with = "paysig::money::wire::opt_fen_int")]
    pub settle_fee: Option<Money>,
    /// `trade_fee` in fen (alipay.jsapi): the fee charged on the trade.
    #[serde(default, with = "paysig::money::wire::opt_fen_int")]
    pub trade_fee: Option<Money>,
    /// `updated_at`: UNIX seconds (alipay.jsapi).
    #[serde(default, deserialize_with = "paysig::lenient::opt_number")]
    pub updated_at: Option<u64>,
    /// `prepay_id` (WeChat types).
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub prepay_id: Option<String>,
    /// `mweb_url` (wechat.wap: "获取支付跳转链接 mweb_url"; no sample in the document).
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub mweb_url: Option<String>,
    /// `pay_info` (WeChat jsapi, jsminipg, app: a JSON-encoded string; alipay.jsapi: an
    /// object).
    #[serde(default, deserialize_with = "opt_pay_info")]
    pub pay_info: Option<PayInfo>,
}

/// The parameters the front end passes to the wallet, decoded from `pay_info`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum PayInfo {
    /// `wechat.jsapi` and `wechat.jsminipg`: for `WeixinJSBridge` / `wx.requestPayment`.
    Jsapi(JsapiPayInfo),
    /// `wechat.app`: for the WeChat open SDK.
    App(AppPayInfo),
    /// `alipay.jsapi`: for Alipay's `tradePay` in the H5 page.
    Alipay(AlipayPayInfo),
}

/// `pay_info` of `alipay.jsapi`. Keys beyond this are ignored, as for [`JsapiPayInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AlipayPayInfo {
    /// `trade_no`: Alipay's trade number, passed to `AlipayJSBridge` `tradePay`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub trade_no: String,
}

/// JSAPI / mini-program parameters (camelCase, as WeChat expects them). Keys beyond these
/// are ignored: refusing them would fail a pay whose order was already created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct JsapiPayInfo {
    /// `appId`.
    #[serde(rename = "appId", deserialize_with = "paysig::lenient::string")]
    pub app_id: String,
    /// `timeStamp` (a number in the samples; kept as the string WeChat wants).
    #[serde(rename = "timeStamp", deserialize_with = "paysig::lenient::string")]
    pub time_stamp: String,
    /// `nonceStr`.
    #[serde(rename = "nonceStr", deserialize_with = "paysig::lenient::string")]
    pub nonce_str: String,
    /// `package`: `prepay_id=...`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub package: String,
    /// `signType` (`MD5` in the samples).
    #[serde(rename = "signType", deserialize_with = "paysig::lenient::string")]
    pub sign_type: String,
    /// `paySign`.
    #[serde(rename = "paySign", deserialize_with = "paysig::lenient::string")]
    pub pay_sign: String,
}

/// APP parameters (lower case, as the WeChat SDK expects them). Keys beyond these are
/// ignored, as for [`JsapiPayInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppPayInfo {
    /// `appid`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub appid: String,
    /// `partnerid`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub partnerid: String,
    /// `prepayid`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub prepayid: String,
    /// `package` (`Sign=WXPay`).
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub package: String,
    /// `noncestr`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub noncestr: String,
    /// `timestamp`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub timestamp: String,
    /// `sign`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub sign: String,
}

fn opt_pay_info<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PayInfo>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(v) => paysig::lenient::json_or_string(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}
