//! `POST /1/rest/bill` (beecloud.md §2 支付): the request and the answer of each channel.

use super::channel::BillChannel;
use crate::config::TitleRule;
use crate::error::Error;
use crate::validate::{alphanumeric, non_blank};
use paysig::Money;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The largest amount the document's `Integer` type holds (BeeCloud's servers are Java, where
/// `Integer` is 32-bit): 21 474 836.47 yuan. A larger amount is refused before sending rather
/// than risk it wrapping on the server.
pub const MAX_FEE_FEN: u64 = i32::MAX as u64;

/// A bill (§2): what to charge, how, and under which merchant order number.
///
/// ```
/// use beecloud::{BillChannel, BillRequest};
/// use paysig::Money;
/// let req = BillRequest::new(BillChannel::WxNative, Money::from_fen(1), "201506101035040000001", "白开水");
/// assert_eq!(req.channel.as_str(), "WX_NATIVE");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BillRequest {
    /// `channel`, with the fields only that channel takes.
    pub channel: BillChannel,
    /// `total_fee`: a positive amount, sent in fen.
    pub total_fee: Money,
    /// `bill_no`: the merchant's order number, at most 32 letters and/or digits, unique in the
    /// merchant's system (a reused number makes a duplicate order).
    pub bill_no: String,
    /// `title`: at most 32 bytes (see [`TitleRule`]).
    pub title: String,
    /// `optional`: the merchant's own data, returned unchanged in the webhook.
    pub optional: Option<Map<String, Value>>,
}

impl BillRequest {
    /// A bill without `optional`.
    pub fn new(
        channel: BillChannel,
        total_fee: Money,
        bill_no: impl Into<String>,
        title: impl Into<String>,
    ) -> Self {
        BillRequest {
            channel,
            total_fee,
            bill_no: bill_no.into(),
            title: title.into(),
            optional: None,
        }
    }

    /// Sets `optional`.
    pub fn optional(mut self, optional: Map<String, Value>) -> Self {
        self.optional = Some(optional);
        self
    }

    /// Checks every documented rule; called by [`crate::Client::bill`] before sending.
    pub fn validate(&self, title_rule: TitleRule) -> Result<(), Error> {
        validate_fee("total_fee", self.total_fee)?;
        alphanumeric("bill_no", &self.bill_no, 1, 32)?;
        validate_title(&self.title, title_rule)?;
        match &self.channel {
            BillChannel::WxApp
            | BillChannel::WxNative
            | BillChannel::AliApp
            | BillChannel::UnApp => Ok(()),
            BillChannel::WxJsapi { openid } => non_blank("openid", openid),
            BillChannel::AliWeb {
                return_url,
                show_url,
            } => {
                non_blank("return_url", return_url)?;
                match show_url {
                    Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                        Err(Error::Validation {
                            field: "show_url",
                            reason: "must start with http:// (or https://)".into(),
                        })
                    }
                    _ => Ok(()),
                }
            }
            BillChannel::AliQrcode { return_url, .. } | BillChannel::UnWeb { return_url } => {
                non_blank("return_url", return_url)
            }
        }
    }
}

pub(crate) fn validate_fee(field: &'static str, fee: Money) -> Result<(), Error> {
    if fee.is_zero() {
        return Err(Error::Validation {
            field,
            reason: "must be a positive number of fen".into(),
        });
    }
    if fee.fen() > MAX_FEE_FEN {
        return Err(Error::Validation {
            field,
            reason: format!("{} fen exceeds the documented Integer range", fee.fen()),
        });
    }
    Ok(())
}

fn validate_title(title: &str, rule: TitleRule) -> Result<(), Error> {
    non_blank("title", title)?;
    let size = rule.size_of(title);
    if size > 32 {
        return Err(Error::Validation {
            field: "title",
            reason: format!("is {size} bytes by {rule:?}, at most 32 allowed"),
        });
    }
    Ok(())
}

/// What BeeCloud answers to a bill, by channel (§2 返回参数, "result_code为0时有返回").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillResponse {
    /// WX_APP: the parameters for the WeChat SDK in the app.
    WxApp(WxAppPayment),
    /// WX_NATIVE: the QR code to show.
    WxNative(WxNativePayment),
    /// WX_JSAPI: the parameters for `WeixinJSBridge` / `chooseWXPay`.
    WxJsapi(WxJsapiPayment),
    /// ALI_APP: the signed string for the Alipay SDK.
    AliApp(AliAppPayment),
    /// ALI_WEB: the form (or URL) that sends the buyer to Alipay.
    AliWeb(AliWebPayment),
    /// ALI_QRCODE: the embedded QR code page.
    AliQrcode(AliQrcodePayment),
    /// UN_APP: the UnionPay ticket number.
    UnApp(UnAppPayment),
    /// UN_WEB: the UnionPay form.
    UnWeb(UnWebPayment),
}

impl BillResponse {
    /// Reads the channel's answer from a body whose `result_code` is 0.
    pub fn from_json(channel: &BillChannel, body: &[u8]) -> Result<Self, serde_json::Error> {
        Ok(match channel {
            BillChannel::WxApp => Self::WxApp(serde_json::from_slice(body)?),
            BillChannel::WxNative => Self::WxNative(serde_json::from_slice(body)?),
            BillChannel::WxJsapi { .. } => Self::WxJsapi(serde_json::from_slice(body)?),
            BillChannel::AliApp => Self::AliApp(serde_json::from_slice(body)?),
            BillChannel::AliWeb { .. } => Self::AliWeb(serde_json::from_slice(body)?),
            BillChannel::AliQrcode { .. } => Self::AliQrcode(serde_json::from_slice(body)?),
            BillChannel::UnApp => Self::UnApp(serde_json::from_slice(body)?),
            BillChannel::UnWeb { .. } => Self::UnWeb(serde_json::from_slice(body)?),
        })
    }
}

/// WX_APP answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WxAppPayment {
    /// `app_id`: 微信应用APPID, the WeChat app id.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub app_id: String,
    /// `partner_id`: 微信支付商户号, the WeChat Pay merchant number.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub partner_id: String,
    /// `package`: 微信支付打包参数.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub package: String,
    /// `nonce_str`: 随机字符串.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub nonce_str: String,
    /// `timestamp`: 13 digits, ms.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub timestamp: String,
    /// `pay_sign`: 签名值.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub pay_sign: String,
    /// `prepay_id`: 微信预支付id.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub prepay_id: String,
}

/// WX_NATIVE answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WxNativePayment {
    /// `code_url`: 二维码地址, the content of the QR code.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub code_url: String,
}

/// WX_JSAPI answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WxJsapiPayment {
    /// `app_id`: 微信应用APPID.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub app_id: String,
    /// `package`: 微信支付打包参数.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub package: String,
    /// `nonce_str`: 随机字符串.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub nonce_str: String,
    /// `timestamp`: 当前毫秒时间戳，13位.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub timestamp: String,
    /// `pay_sign`: 签名.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub pay_sign: String,
    /// `sign_type`: 签名类型，固定为MD5 (always `MD5`).
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub sign_type: String,
}

/// ALI_APP answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AliAppPayment {
    /// `order_string`: 支付宝签名串, the signed order string for the Alipay SDK.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub order_string: String,
}

/// ALI_WEB answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AliWebPayment {
    /// `html`: 支付宝跳转form, a self-submitting HTML form (recommended).
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub html: String,
    /// `url`: 支付宝跳转url. Documented, but the document recommends `html`, so its absence is
    /// tolerated.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub url: Option<String>,
}

/// ALI_QRCODE answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AliQrcodePayment {
    /// `url`: 支付宝内嵌二维码地址, the URL of the embedded QR code (the iframe source).
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub url: String,
    /// `html`: 支付宝跳转form. Documented; its absence is tolerated since `url` is what the
    /// page embeds.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub html: Option<String>,
}

/// UN_APP answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UnAppPayment {
    /// `tn`: 银联支付ticket number.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub tn: String,
}

/// UN_WEB answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UnWebPayment {
    /// `html`: 银联form表单, the UnionPay form.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub html: String,
}
