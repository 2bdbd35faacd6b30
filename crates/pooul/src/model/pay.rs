//! 统一支付 Pay order (`POST /v2/pay`): request, pay types and response (its types in a child
//! module, re-exported here).

use super::codes::{MchAppType, PayTypeCode};
use super::validate;
use super::wire::{PayBody, PayTypeFields};
use crate::Error;
use paysig::Money;
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

mod answer;

pub use answer::{AlipayPayInfo, AppPayInfo, JsapiPayInfo, PayData, PayInfo};

/// `pay_type` with the fields each type requires ("Body需增加请求参数").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayType {
    /// `common.micro` 统一反扫支付: WeChat or Alipay payment code scanned by the merchant.
    Micro {
        /// `auth_code`: the customer's payment code as read by the scanner.
        auth_code: String,
    },
    /// `wechat.scan` 微信扫码支付: the answer's `code_url` is shown as a QR code.
    WechatScan,
    /// `wechat.jsapi` 微信公众号支付.
    WechatJsapi {
        /// `sub_appid`: the verified official account's appid.
        sub_appid: String,
        /// `sub_openid`: the user's openid under that appid.
        sub_openid: String,
    },
    /// `wechat.jsminipg` 微信小程序支付.
    WechatMiniProgram {
        /// `sub_appid`: the mini-program's APPID.
        sub_appid: String,
        /// `sub_openid`: the user's openid under that appid.
        sub_openid: String,
    },
    /// `wechat.app` 微信APP支付.
    WechatApp {
        /// `sub_appid`: the APPID from the WeChat open platform.
        sub_appid: String,
    },
    /// `wechat.wap` 微信H5支付.
    WechatWap {
        /// `mch_app_type`: IOS, AND or WAP.
        mch_app_type: MchAppType,
        /// `mch_app_name`: the app's or site's name.
        mch_app_name: String,
        /// `mch_app_id`: bundle_id, package_name or the site's home page.
        mch_app_id: String,
    },
    /// `alipay.scan` 支付宝扫码支付: the answer's `code_url` is shown as a QR code.
    AlipayScan,
    /// `wechat.jsurl` 微信公众号支付（跳转） (Pooul's developer docs, `_pay.md`): no fields of
    /// its own; the answer's `pay_url` is opened inside WeChat, where the payer pays.
    WechatJsurl,
    /// `alipay.jsapi` 支付宝服务窗支付 (Pooul's developer docs, `_pay.md`): the payer is in
    /// Alipay on the merchant's H5 page; the answer's `pay_info.trade_no` starts the payment.
    AlipayJsapi {
        /// `sub_appid`: the Alipay application's appid, of the same legal entity as the
        /// merchant.
        sub_appid: String,
        /// `sub_openid`: the payer's Alipay `user_id`, from web authorisation.
        sub_openid: String,
    },
}

impl PayType {
    /// The wire code.
    pub fn code(&self) -> PayTypeCode {
        match self {
            PayType::Micro { .. } => PayTypeCode::CommonMicro,
            PayType::WechatScan => PayTypeCode::WechatScan,
            PayType::WechatJsapi { .. } => PayTypeCode::WechatJsapi,
            PayType::WechatMiniProgram { .. } => PayTypeCode::WechatMiniProgram,
            PayType::WechatApp { .. } => PayTypeCode::WechatApp,
            PayType::WechatWap { .. } => PayTypeCode::WechatWap,
            PayType::AlipayScan => PayTypeCode::AlipayScan,
            PayType::WechatJsurl => PayTypeCode::WechatJsurl,
            PayType::AlipayJsapi { .. } => PayTypeCode::AlipayJsapi,
        }
    }

    /// WeChat types, for which `spbill_create_ip` is required ("微信支付必填"). That includes
    /// `wechat.jsurl`, although its sample in the developer docs omits the field: the table
    /// of common fields is followed over the sample.
    fn is_wechat(&self) -> bool {
        match self {
            PayType::WechatScan
            | PayType::WechatJsapi { .. }
            | PayType::WechatMiniProgram { .. }
            | PayType::WechatApp { .. }
            | PayType::WechatWap { .. }
            | PayType::WechatJsurl => true,
            // common.micro may be either wallet: the code alone does not say which.
            PayType::Micro { .. } | PayType::AlipayScan | PayType::AlipayJsapi { .. } => false,
        }
    }

    /// `pay_type` and this type's members, checked.
    fn to_wire(&self) -> Result<PayTypeFields<'_>, Error> {
        let mut fields = PayTypeFields {
            pay_type: self.code(),
            auth_code: None,
            sub_appid: None,
            sub_openid: None,
            mch_app_type: None,
            mch_app_name: None,
            mch_app_id: None,
        };
        match self {
            PayType::Micro { auth_code } => {
                validate::non_empty("auth_code", auth_code)?;
                if !auth_code.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(Error::Validation {
                        field: "auth_code",
                        reason: "a payment code holds only letters and digits".into(),
                    });
                }
                fields.auth_code = Some(auth_code);
            }
            PayType::WechatScan | PayType::AlipayScan | PayType::WechatJsurl => {}
            PayType::WechatJsapi {
                sub_appid,
                sub_openid,
            }
            | PayType::WechatMiniProgram {
                sub_appid,
                sub_openid,
            }
            | PayType::AlipayJsapi {
                sub_appid,
                sub_openid,
            } => {
                validate::non_empty("sub_appid", sub_appid)?;
                validate::non_empty("sub_openid", sub_openid)?;
                fields.sub_appid = Some(sub_appid);
                fields.sub_openid = Some(sub_openid);
            }
            PayType::WechatApp { sub_appid } => {
                validate::non_empty("sub_appid", sub_appid)?;
                fields.sub_appid = Some(sub_appid);
            }
            PayType::WechatWap {
                mch_app_type,
                mch_app_name,
                mch_app_id,
            } => {
                validate::non_empty("mch_app_name", mch_app_name)?;
                validate::non_empty("mch_app_id", mch_app_id)?;
                fields.mch_app_type = Some(mch_app_type.as_str());
                fields.mch_app_name = Some(mch_app_name);
                fields.mch_app_id = Some(mch_app_id);
            }
        }
        Ok(fields)
    }
}

/// A 统一支付 request: the common fields plus the [`PayType`] with its own fields.
///
/// `nonce_str` is not here: the client adds a fresh one to every request. Deserialising reads
/// the documented JSON body (an unknown field, or a field of another pay type, is an error);
/// a `nonce_str` in it is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "PayWire")]
pub struct PayRequest {
    /// `pay_type` and its fields.
    pub pay_type: PayType,
    /// `mch_trade_id`: unique per merchant.
    pub mch_trade_id: String,
    /// `total_fee`: sent as integer fen; must be at least 1 fen.
    pub total_fee: Money,
    /// `body`: short description.
    pub body: String,
    /// `spbill_create_ip`: the payer's IP (app/jsapi/jsminipg/wap) or the server's
    /// (scan/micro); required for WeChat types.
    pub spbill_create_ip: Option<String>,
    /// `notify_url`: http(s), without query parameters ("不能携带参数").
    pub notify_url: Option<Url>,
    /// `time_start`: 10-digit UNIX timestamp.
    pub time_start: Option<u64>,
    /// `time_expire`: 10-digit UNIX timestamp, after `time_start`.
    pub time_expire: Option<u64>,
    /// `store_id`: the store number (Alipay discounts need it).
    pub store_id: Option<String>,
    /// `device_info`: terminal id; "WEB" for PC web and APP payments.
    pub device_info: Option<String>,
    /// `op_user_id`: operator or cashier.
    pub op_user_id: Option<String>,
    /// `attach`: merchant data echoed in the notify (in the document's samples, not its
    /// table).
    pub attach: Option<String>,
}

impl PayRequest {
    /// A request with the required fields; set the optional ones with the chained setters.
    pub fn new(
        pay_type: PayType,
        mch_trade_id: impl Into<String>,
        total_fee: Money,
        body: impl Into<String>,
    ) -> Self {
        PayRequest {
            pay_type,
            mch_trade_id: mch_trade_id.into(),
            total_fee,
            body: body.into(),
            spbill_create_ip: None,
            notify_url: None,
            time_start: None,
            time_expire: None,
            store_id: None,
            device_info: None,
            op_user_id: None,
            attach: None,
        }
    }

    /// Sets `spbill_create_ip`.
    pub fn spbill_create_ip(mut self, ip: impl Into<String>) -> Self {
        self.spbill_create_ip = Some(ip.into());
        self
    }
    /// Sets `notify_url`.
    pub fn notify_url(mut self, url: Url) -> Self {
        self.notify_url = Some(url);
        self
    }
    /// Sets `time_start` (UNIX seconds).
    pub fn time_start(mut self, unix: u64) -> Self {
        self.time_start = Some(unix);
        self
    }
    /// Sets `time_expire` (UNIX seconds).
    pub fn time_expire(mut self, unix: u64) -> Self {
        self.time_expire = Some(unix);
        self
    }
    /// Sets `store_id`.
    pub fn store_id(mut self, v: impl Into<String>) -> Self {
        self.store_id = Some(v.into());
        self
    }
    /// Sets `device_info`.
    pub fn device_info(mut self, v: impl Into<String>) -> Self {
        self.device_info = Some(v.into());
        self
    }
    /// Sets `op_user_id`.
    pub fn op_user_id(mut self, v: impl Into<String>) -> Self {
        self.op_user_id = Some(v.into());
        self
    }
    /// Sets `attach`.
    pub fn attach(mut self, v: impl Into<String>) -> Self {
        self.attach = Some(v.into());
        self
    }

    /// The validated JSON body as it is signed, without `nonce_str` (which the client adds
    /// per request). Fails with [`Error::Validation`] naming the field.
    pub fn wire_body(&self) -> Result<Map<String, Value>, Error> {
        super::wire::json_object(&self.to_wire()?)
    }

    /// [`Self::wire_body`] as the compact JSON the client signs (no map built).
    pub(crate) fn wire_json(&self) -> Result<Vec<u8>, Error> {
        super::wire::json_bytes(&self.to_wire()?)
    }

    /// The checked body sent for this request (see [`super::wire`]).
    pub(crate) fn to_wire(&self) -> Result<PayBody<'_>, Error> {
        let pay_type = self.pay_type.to_wire()?;
        validate::non_empty("mch_trade_id", &self.mch_trade_id)?;
        if self.total_fee.fen() == 0 {
            return Err(Error::Validation {
                field: "total_fee",
                reason: "must be at least 1 fen".into(),
            });
        }
        validate::non_empty("body", &self.body)?;
        match &self.spbill_create_ip {
            Some(ip) => validate::ip("spbill_create_ip", ip)?,
            None if self.pay_type.is_wechat() => {
                return Err(Error::Validation {
                    field: "spbill_create_ip",
                    reason: "required for WeChat pay types".into(),
                });
            }
            None => {}
        }
        if let Some(url) = &self.notify_url {
            validate::notify_url("notify_url", url)?;
        }
        if let Some(t) = self.time_start {
            validate::unix_seconds("time_start", t)?;
        }
        if let Some(t) = self.time_expire {
            validate::unix_seconds("time_expire", t)?;
            if self.time_start.is_some_and(|s| s >= t) {
                return Err(Error::Validation {
                    field: "time_expire",
                    reason: "must be after time_start".into(),
                });
            }
        }
        for (field, value) in [
            ("store_id", &self.store_id),
            ("device_info", &self.device_info),
            ("op_user_id", &self.op_user_id),
            ("attach", &self.attach),
        ] {
            if let Some(v) = value {
                validate::non_empty(field, v)?;
            }
        }
        Ok(PayBody {
            pay_type,
            mch_trade_id: &self.mch_trade_id,
            total_fee: self.total_fee,
            body: &self.body,
            spbill_create_ip: self.spbill_create_ip.as_deref(),
            notify_url: self.notify_url.as_ref().map(Url::as_str),
            time_start: self.time_start,
            time_expire: self.time_expire,
            store_id: self.store_id.as_deref(),
            device_info: self.device_info.as_deref(),
            op_user_id: self.op_user_id.as_deref(),
            attach: self.attach.as_deref(),
        })
    }
}

/// The flat JSON body, as the document prints it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayWire {
    #[serde(deserialize_with = "paysig::lenient::string")]
    pay_type: String,
    #[serde(default, rename = "nonce_str")]
    _nonce_str: Option<Value>,
    #[serde(deserialize_with = "paysig::lenient::string")]
    mch_trade_id: String,
    #[serde(with = "paysig::money::wire::fen_int")]
    total_fee: Money,
    #[serde(deserialize_with = "paysig::lenient::string")]
    body: String,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    spbill_create_ip: Option<String>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    notify_url: Option<String>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_number")]
    time_start: Option<u64>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_number")]
    time_expire: Option<u64>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    store_id: Option<String>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    device_info: Option<String>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    op_user_id: Option<String>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    attach: Option<String>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    auth_code: Option<String>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    sub_appid: Option<String>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    sub_openid: Option<String>,
    #[serde(default)]
    mch_app_type: Option<MchAppType>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    mch_app_name: Option<String>,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    mch_app_id: Option<String>,
}

impl TryFrom<PayWire> for PayRequest {
    type Error = String;

    fn try_from(w: PayWire) -> Result<Self, String> {
        fn need(field: &str, v: Option<String>) -> Result<String, String> {
            v.ok_or_else(|| format!("missing field `{field}`"))
        }
        let mut extra = vec![
            ("auth_code", w.auth_code.is_some()),
            ("sub_appid", w.sub_appid.is_some()),
            ("sub_openid", w.sub_openid.is_some()),
            ("mch_app_type", w.mch_app_type.is_some()),
            ("mch_app_name", w.mch_app_name.is_some()),
            ("mch_app_id", w.mch_app_id.is_some()),
        ];
        let mut used = |names: &[&str]| extra.retain(|(n, _)| !names.contains(n));
        let pay_type = match PayTypeCode::from(w.pay_type.as_str()) {
            PayTypeCode::CommonMicro => {
                used(&["auth_code"]);
                PayType::Micro {
                    auth_code: need("auth_code", w.auth_code)?,
                }
            }
            PayTypeCode::WechatScan => PayType::WechatScan,
            PayTypeCode::AlipayScan => PayType::AlipayScan,
            PayTypeCode::WechatJsurl => PayType::WechatJsurl,
            PayTypeCode::AlipayJsapi => {
                used(&["sub_appid", "sub_openid"]);
                PayType::AlipayJsapi {
                    sub_appid: need("sub_appid", w.sub_appid)?,
                    sub_openid: need("sub_openid", w.sub_openid)?,
                }
            }
            PayTypeCode::WechatJsapi => {
                used(&["sub_appid", "sub_openid"]);
                PayType::WechatJsapi {
                    sub_appid: need("sub_appid", w.sub_appid)?,
                    sub_openid: need("sub_openid", w.sub_openid)?,
                }
            }
            PayTypeCode::WechatMiniProgram => {
                used(&["sub_appid", "sub_openid"]);
                PayType::WechatMiniProgram {
                    sub_appid: need("sub_appid", w.sub_appid)?,
                    sub_openid: need("sub_openid", w.sub_openid)?,
                }
            }
            PayTypeCode::WechatApp => {
                used(&["sub_appid"]);
                PayType::WechatApp {
                    sub_appid: need("sub_appid", w.sub_appid)?,
                }
            }
            PayTypeCode::WechatWap => {
                used(&["mch_app_type", "mch_app_name", "mch_app_id"]);
                PayType::WechatWap {
                    mch_app_type: w
                        .mch_app_type
                        .ok_or_else(|| "missing field `mch_app_type`".to_owned())?,
                    mch_app_name: need("mch_app_name", w.mch_app_name)?,
                    mch_app_id: need("mch_app_id", w.mch_app_id)?,
                }
            }
            PayTypeCode::Unknown(raw) => return Err(format!("unknown pay_type {raw:?}")),
        };
        if let Some((name, _)) = extra.iter().find(|(_, present)| *present) {
            return Err(format!(
                "field `{name}` does not belong to pay_type {:?}",
                w.pay_type
            ));
        }
        let notify_url = w
            .notify_url
            .map(|u| Url::parse(&u).map_err(|e| format!("notify_url: {e}")))
            .transpose()?;
        Ok(PayRequest {
            pay_type,
            mch_trade_id: w.mch_trade_id,
            total_fee: w.total_fee,
            body: w.body,
            spbill_create_ip: w.spbill_create_ip,
            notify_url,
            time_start: w.time_start,
            time_expire: w.time_expire,
            store_id: w.store_id,
            device_info: w.device_info,
            op_user_id: w.op_user_id,
            attach: w.attach,
        })
    }
}
