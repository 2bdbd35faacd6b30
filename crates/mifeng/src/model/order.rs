//! 订单管理: unified order, order query, balance.

use crate::Error;
use crate::error::codes::{NotifyDelivery, OrderState};
use crate::validate::{no_control, text};
use paysig::Money;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use url::Url;

/// The request of 统一下单 (mifeng.md §统一下单 请求参数), without `token` and `timestamp`,
/// which the client adds.
///
/// Required fields are constructor arguments; the typed `money`, `client_ip` and URLs make the
/// documented formats impossible to get wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnifiedOrderRequest {
    /// 通道编码: the payment channel code.
    pub channel_no: String,
    /// 标题: the title (optional).
    pub subject: Option<String>,
    /// 商户订单号: the merchant's order number.
    pub out_order_no: String,
    /// 金额: sent in yuan with exactly two decimals (`"1000.00"`).
    pub money: Money,
    /// 客户IP: the payer's IP address.
    pub client_ip: IpAddr,
    /// 异步通知地址: where Mifeng POSTs the notify.
    pub notify_url: Url,
    /// 支付成功后跳转地址: where the payer is sent after paying (optional).
    pub return_url: Option<Url>,
    /// 透传参数: passed back unchanged (optional).
    pub param: Option<String>,
}

impl UnifiedOrderRequest {
    /// A request with the required fields.
    pub fn new(
        channel_no: impl Into<String>,
        out_order_no: impl Into<String>,
        money: Money,
        client_ip: IpAddr,
        notify_url: Url,
    ) -> Self {
        UnifiedOrderRequest {
            channel_no: channel_no.into(),
            subject: None,
            out_order_no: out_order_no.into(),
            money,
            client_ip,
            notify_url,
            return_url: None,
            param: None,
        }
    }

    /// Sets `subject`.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets `return_url`.
    pub fn return_url(mut self, url: Url) -> Self {
        self.return_url = Some(url);
        self
    }

    /// Sets `param`.
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Checks what the types cannot: non-empty identifiers, a positive amount, web URLs.
    /// The document gives no length limits, so none are invented.
    pub fn validate(&self) -> Result<(), Error> {
        text("channel_no", &self.channel_no)?;
        text("out_order_no", &self.out_order_no)?;
        if let Some(s) = &self.subject {
            no_control("subject", s)?;
        }
        if let Some(p) = &self.param {
            no_control("param", p)?;
        }
        if self.money.is_zero() {
            return Err(Error::Validation {
                field: "money",
                reason: "must be more than 0.00".into(),
            });
        }
        web_url("notify_url", &self.notify_url)?;
        if let Some(u) = &self.return_url {
            web_url("return_url", u)?;
        }
        Ok(())
    }
}

fn web_url(field: &'static str, url: &Url) -> Result<(), Error> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(Error::Validation {
            field,
            reason: format!("scheme {other:?} is not http or https"),
        }),
    }
}

/// `data` of 统一下单 (mifeng.md §统一下单 响应参数).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct UnifiedOrderResponse {
    /// 商户编号 (documented int, sent as a string in the sample: both accepted).
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub mch_id: String,
    /// 平台订单号: Mifeng's order number (the key of [`crate::Client::query`]).
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub order_no: String,
    /// 商户订单号: the merchant's order number.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub out_order_no: String,
    /// 订单金额: the order amount (yuan on the wire).
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub money: Money,
    /// 真实的订单金额: the amount the payer is actually asked to pay. Absent from the
    /// document's sample; it may differ from `money` (platforms of this kind adjust amounts to
    /// tell payments apart), so show the payer this one when present.
    #[serde(
        default,
        with = "paysig::money::wire::opt_yuan_str",
        skip_serializing_if = "Option::is_none"
    )]
    pub real_money: Option<Money>,
    /// 支付链接: the payment page.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub pay_url: String,
    /// 过期时间: expiry, `YYYY-MM-DD hh:mm:ss` (time zone undocumented, presumably UTC+8).
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub expired_time: Option<String>,
    /// 过期时间时间戳毫秒: expiry in Unix milliseconds (int64, or a string).
    #[serde(default, deserialize_with = "paysig::lenient::opt_number")]
    pub expired_timestamp: Option<i64>,
}

/// `data` of 订单查询 (mifeng.md §订单查询 响应参数).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct QueryOrderResponse {
    /// 商户号.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub mch_id: String,
    /// 平台订单号.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub order_no: String,
    /// 商户订单号.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub out_order_no: String,
    /// 状态: 0 未出码, 1 交易失败, 2 待支付, 3 交易成功.
    pub state: OrderState,
    /// 订单金额 (yuan on the wire).
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub money: Money,
    /// 1 通知成功, 0 通知失败 (documented int, a string in the sample).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_succ: Option<NotifyDelivery>,
    /// 过期时间.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub expired_time: Option<String>,
    /// 过期时间时间戳毫秒 (documented string, accepted as int too).
    #[serde(default, deserialize_with = "paysig::lenient::opt_number")]
    pub expired_timestamp: Option<i64>,
    /// 异步通知地址.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub notify_url: Option<String>,
    /// 支付地址.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub pay_url: Option<String>,
}

/// `data` of 余额查询 (mifeng.md §余额查询 响应参数).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BalanceResponse {
    /// 余额: the balance (yuan on the wire).
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub balance: Money,
}
