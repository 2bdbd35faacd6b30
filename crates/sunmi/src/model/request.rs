//! Typed requests. The either/or rules of the document are enums, so a request missing its
//! identifier cannot be built; lengths and formats are checked by [`crate::Client`] before
//! anything is sent, with an error naming the wire field.

use super::wire::{
    CHARSET, JsApiPayBody, MiniPayBody, PayBindBody, QueryBody, RefundBody, SwipeQueryBody,
    TerminalFields,
};
use crate::error::Error;
use crate::validate::{check, positive};
use paysig::Money;

/// `value`, once [`check`]ed.
fn checked<'a>(field: &'static str, value: &'a str, max: usize) -> Result<&'a str, Error> {
    check(field, value, max)?;
    Ok(value)
}

/// `value`, once [`check`]ed when present.
fn checked_opt<'a>(
    field: &'static str,
    value: Option<&'a str>,
    max: usize,
) -> Result<Option<&'a str>, Error> {
    value.map(|v| checked(field, v, max)).transpose()
}

/// A trade date `yyyyMMdd` (sunmi.txt §3.3.1 `tradeDate`), checked to be a calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeDate(time::Date);

impl TradeDate {
    /// From a date.
    pub fn new(date: time::Date) -> Self {
        TradeDate(date)
    }

    /// Parses `yyyyMMdd` (e.g. `20190520`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Validation {
                field: "tradeDate",
                reason: "expected yyyyMMdd".into(),
            });
        }
        // The calendar check is `time`'s; the digits are read here, which spares a build of
        // `time`'s format-description macros.
        let digits = text.as_bytes();
        let number = |at: std::ops::Range<usize>| {
            digits[at]
                .iter()
                .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'))
        };
        // At most 99 for two digits: the casts keep every value.
        let (year, month, day) = (number(0..4), number(4..6) as u8, number(6..8) as u8);
        time::Month::try_from(month)
            .and_then(|month| time::Date::from_calendar_date(i32::from(year), month, day))
            .map(TradeDate)
            .map_err(|e| Error::Validation {
                field: "tradeDate",
                reason: format!("not a date: {e}"),
            })
    }

    /// The wire form `yyyyMMdd`.
    pub fn to_wire(self) -> String {
        format!(
            "{:04}{:02}{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

/// Which card trade `swipeQuery` looks up: `orderId`, `platformId`, or both
/// (sunmi.txt §3.3.1: "orderId、platformId必传其中一个，或者两个都提供").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwipeTradeRef {
    /// `orderId`: the merchant order number (交易流水号).
    OrderId(String),
    /// `platformId`: the channel order number.
    PlatformId(String),
    /// Both.
    Both {
        /// `orderId`.
        order_id: String,
        /// `platformId`.
        platform_id: String,
    },
}

/// `swipeQuery` (sunmi.txt §3.3.1): a card trade made on a Sunmi financial device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwipeQueryRequest {
    /// `msn` (String(64)): the device SN.
    pub msn: String,
    /// `tradeDate`: the trade day; without it only today's trades are found.
    pub trade_date: Option<TradeDate>,
    /// `orderId` and/or `platformId`.
    pub trade: SwipeTradeRef,
}

impl SwipeQueryRequest {
    /// The checked body sent for this request.
    pub(crate) fn to_wire<'a>(&'a self, app_id: &'a str) -> Result<SwipeQueryBody<'a>, Error> {
        let msn = checked("msn", &self.msn, 64)?;
        let (order_id, platform_id) = match &self.trade {
            SwipeTradeRef::OrderId(o) => (Some(o), None),
            SwipeTradeRef::PlatformId(id) => (None, Some(id)),
            SwipeTradeRef::Both {
                order_id,
                platform_id,
            } => (Some(order_id), Some(platform_id)),
        };
        Ok(SwipeQueryBody {
            app_id,
            charset: CHARSET,
            msn,
            trade_date: self.trade_date.map(TradeDate::to_wire),
            order_id: checked_opt("orderId", order_id.map(String::as_str), 80)?,
            platform_id: checked_opt("platformId", platform_id.map(String::as_str), 80)?,
        })
    }
}

/// What `payBind` configures: `configType` 1-5, each carrying the field it requires
/// (sunmi.txt §4.3.1, §5.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindConfig {
    /// `configType` 1 授权目录: the payment directory `payUrl` (String(255)), the directory
    /// above the paying page (`http://xxxx.com/xxx/` for `http://xxxx.com/xxx/xxx.php`).
    /// The §4.3.1 sample also sends the official account `attentionAppId`.
    PayUrl {
        /// `payUrl`.
        pay_url: String,
        /// `attentionAppId` (String(32)), as in the §4.3.1 step ii sample.
        attention_app_id: Option<String>,
    },
    /// `configType` 2 小程序appId: the mini program `miniAppId` (String(32)).
    MiniAppId(String),
    /// `configType` 3 关注公众号appId: the official account `attentionAppId` (String(32)).
    AttentionAppId(String),
    /// `configType` 4 关注小程序appId: the mini program to follow `receiptAppId` (String(32)).
    ReceiptAppId(String),
    /// `configType` 5 查询配置信息: read the current configuration.
    Query,
}

impl BindConfig {
    /// The wire `configType`.
    pub fn config_type(&self) -> &'static str {
        match self {
            BindConfig::PayUrl { .. } => "1",
            BindConfig::MiniAppId(_) => "2",
            BindConfig::AttentionAppId(_) => "3",
            BindConfig::ReceiptAppId(_) => "4",
            BindConfig::Query => "5",
        }
    }
}

/// `payBind` (sunmi.txt §4.3.1 official account, §5.3.1 mini program).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayBindRequest {
    /// `merchantNo` (String(20)).
    pub merchant_no: String,
    /// `configType` and its field.
    pub config: BindConfig,
}

impl PayBindRequest {
    /// The checked body sent for this request.
    pub(crate) fn to_wire<'a>(&'a self, app_id: &'a str) -> Result<PayBindBody<'a>, Error> {
        let mut body = PayBindBody {
            app_id,
            charset: CHARSET,
            merchant_no: checked("merchantNo", &self.merchant_no, 20)?,
            config_type: self.config.config_type(),
            pay_url: None,
            attention_app_id: None,
            mini_app_id: None,
            receipt_app_id: None,
        };
        match &self.config {
            BindConfig::PayUrl {
                pay_url,
                attention_app_id,
            } => {
                body.pay_url = Some(checked("payUrl", pay_url, 255)?);
                body.attention_app_id =
                    checked_opt("attentionAppId", attention_app_id.as_deref(), 32)?;
            }
            BindConfig::MiniAppId(v) => body.mini_app_id = Some(checked("miniAppId", v, 32)?),
            BindConfig::AttentionAppId(v) => {
                body.attention_app_id = Some(checked("attentionAppId", v, 32)?)
            }
            BindConfig::ReceiptAppId(v) => {
                body.receipt_app_id = Some(checked("receiptAppId", v, 32)?)
            }
            BindConfig::Query => {}
        }
        Ok(body)
    }
}

/// `walletType` of `jsApiPay` (sunmi.txt §4.3.2: "默认：TX01").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WalletType {
    /// `TX01`, the documented default (WeChat).
    #[default]
    Tx01,
    /// Another value (String(4)) if Sunmi gives you one.
    Other(String),
}

impl WalletType {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            WalletType::Tx01 => "TX01",
            WalletType::Other(s) => s,
        }
    }
}

/// `jsApiPay` (sunmi.txt §4.3.2): a WeChat official-account order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsApiPayRequest {
    /// `merchantNo` (String(20)).
    pub merchant_no: String,
    /// `totalAmount`, sent in yuan (`"0.01"`), at least 1 fen.
    pub total_amount: Money,
    /// `miniAppId` (String(32)): the official account AppID.
    pub mini_app_id: String,
    /// `openId` (String(128)).
    pub open_id: String,
    /// `orderId` (String(80)): the merchant order number.
    pub order_id: String,
    /// `walletType` (String(4)), default `TX01`.
    pub wallet_type: WalletType,
    /// `notifyUrl` (String(255)): this order's notify address.
    pub notify_url: Option<String>,
}

impl JsApiPayRequest {
    /// The checked body sent for this request.
    pub(crate) fn to_wire<'a>(&'a self, app_id: &'a str) -> Result<JsApiPayBody<'a>, Error> {
        let merchant_no = checked("merchantNo", &self.merchant_no, 20)?;
        positive("totalAmount", self.total_amount)?;
        check("totalAmount", &self.total_amount.to_yuan_string(), 20)?;
        Ok(JsApiPayBody {
            app_id,
            charset: CHARSET,
            merchant_no,
            total_amount: self.total_amount,
            mini_app_id: checked("miniAppId", &self.mini_app_id, 32)?,
            open_id: checked("openId", &self.open_id, 128)?,
            order_id: checked("orderId", &self.order_id, 80)?,
            wallet_type: checked("walletType", self.wallet_type.as_str(), 4)?,
            notify_url: checked_opt("notifyUrl", self.notify_url.as_deref(), 255)?,
        })
    }
}

/// `miniPay` (sunmi.txt §5.3.2): a WeChat mini-program order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiniPayRequest {
    /// `merchantNo` (String(20)).
    pub merchant_no: String,
    /// `totalAmount`, sent in fen (`"1"`), at least 1 fen.
    pub total_amount: Money,
    /// `miniAppId` (String(32)): the mini program AppID.
    pub mini_app_id: String,
    /// `openId` (String(128)).
    pub open_id: String,
    /// `orderId` (String(32)): the merchant order number, unique.
    pub order_id: String,
    /// `appVersion` (String(80)): the mini program version.
    pub app_version: Option<String>,
    /// `notifyUrl`: this order's notify address; the length limit is
    /// [`crate::Config::mini_pay_notify_url_max`].
    pub notify_url: Option<String>,
}

impl MiniPayRequest {
    /// The checked body sent for this request, `notifyUrl` at most `notify_url_max`.
    pub(crate) fn to_wire<'a>(
        &'a self,
        app_id: &'a str,
        notify_url_max: usize,
    ) -> Result<MiniPayBody<'a>, Error> {
        let merchant_no = checked("merchantNo", &self.merchant_no, 20)?;
        positive("totalAmount", self.total_amount)?;
        check("totalAmount", &self.total_amount.to_fen_string(), 20)?;
        Ok(MiniPayBody {
            app_id,
            charset: CHARSET,
            merchant_no,
            total_amount: self.total_amount,
            mini_app_id: checked("miniAppId", &self.mini_app_id, 32)?,
            open_id: checked("openId", &self.open_id, 128)?,
            order_id: checked("orderId", &self.order_id, 32)?,
            app_version: checked_opt("appVersion", self.app_version.as_deref(), 80)?,
            notify_url: checked_opt("notifyUrl", self.notify_url.as_deref(), notify_url_max)?,
        })
    }
}

/// Who made the trade: device `msn`, merchant `merchantNo`, or both (sunmi.txt §4.3.3,
/// §4.3.4: "必传一个，两个都传以msn为主，两个需要有绑定关系"). Trades not made on a device
/// can only be addressed by merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    /// `msn` (String(64)): the device SN.
    Msn(String),
    /// `merchantNo`: the Sunmi merchant number.
    MerchantNo(String),
    /// Both (Sunmi uses `msn`; they must be bound to each other).
    Both {
        /// `msn`.
        msn: String,
        /// `merchantNo`.
        merchant_no: String,
    },
}

impl Terminal {
    fn to_wire(&self, merchant_no_max: usize) -> Result<TerminalFields<'_>, Error> {
        let (msn, merchant_no) = match self {
            Terminal::Msn(m) => (Some(m), None),
            Terminal::MerchantNo(m) => (None, Some(m)),
            Terminal::Both { msn, merchant_no } => (Some(msn), Some(merchant_no)),
        };
        Ok(TerminalFields {
            msn: checked_opt("msn", msn.map(String::as_str), 64)?,
            merchant_no: checked_opt(
                "merchantNo",
                merchant_no.map(String::as_str),
                merchant_no_max,
            )?,
        })
    }
}

/// Which order `query` looks up (sunmi.txt §4.3.3: "misId、orderId、platformId必传一个").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRef {
    /// `misId`: the Sunmi cashier order number (the document's preferred key, §8).
    MisId(String),
    /// `orderId`: the SaaS (merchant) order number.
    OrderId(String),
    /// `platformId`: the payment platform order number.
    PlatformId(String),
}

/// `query` (sunmi.txt §4.3.3, also §5.3.3): any non-card order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRequest {
    /// `msn` and/or `merchantNo` (String(20)).
    pub terminal: Terminal,
    /// `misId`, `orderId` or `platformId` (String(80)).
    pub order: OrderRef,
}

impl QueryRequest {
    /// The checked body sent for this request.
    pub(crate) fn to_wire<'a>(&'a self, app_id: &'a str) -> Result<QueryBody<'a>, Error> {
        let terminal = self.terminal.to_wire(20)?;
        let mut body = QueryBody {
            app_id,
            charset: CHARSET,
            msn: terminal.msn,
            merchant_no: terminal.merchant_no,
            mis_id: None,
            order_id: None,
            platform_id: None,
        };
        match &self.order {
            OrderRef::MisId(v) => body.mis_id = Some(checked("misId", v, 80)?),
            OrderRef::OrderId(v) => body.order_id = Some(checked("orderId", v, 80)?),
            OrderRef::PlatformId(v) => body.platform_id = Some(checked("platformId", v, 80)?),
        }
        Ok(body)
    }
}

/// The order a refund applies to (sunmi.txt §4.3.4: "oriMisId、oriPlatformId、oriOrderId必传一个").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginalOrder {
    /// `oriMisId`: the original cashier number.
    MisId(String),
    /// `oriPlatformId`: the original payment platform order number.
    PlatformId(String),
    /// `oriOrderId`: the original SaaS order number.
    OrderId(String),
}

/// `refund` (sunmi.txt §4.3.4, also §5.3.4): a full or partial refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// `msn` and/or `merchantNo` (String(80) here).
    pub terminal: Terminal,
    /// `oriMisId`, `oriPlatformId` or `oriOrderId` (String(80)).
    pub original: OriginalOrder,
    /// `orderId` (String(80)): the SaaS refund number.
    pub order_id: String,
    /// `businessId` (String(80)): the SaaS business order number.
    pub business_id: String,
    /// `amount`, sent in fen, at least 1 fen.
    pub amount: Money,
}

impl RefundRequest {
    /// The checked body sent for this request.
    pub(crate) fn to_wire<'a>(&'a self, app_id: &'a str) -> Result<RefundBody<'a>, Error> {
        let terminal = self.terminal.to_wire(80)?;
        positive("amount", self.amount)?;
        check("amount", &self.amount.to_fen_string(), 20)?;
        let (mut ori_mis_id, mut ori_platform_id, mut ori_order_id) = (None, None, None);
        match &self.original {
            OriginalOrder::MisId(v) => ori_mis_id = Some(checked("oriMisId", v, 80)?),
            OriginalOrder::PlatformId(v) => {
                ori_platform_id = Some(checked("oriPlatformId", v, 80)?)
            }
            OriginalOrder::OrderId(v) => ori_order_id = Some(checked("oriOrderId", v, 80)?),
        }
        Ok(RefundBody {
            app_id,
            charset: CHARSET,
            msn: terminal.msn,
            merchant_no: terminal.merchant_no,
            amount: self.amount,
            ori_mis_id,
            ori_platform_id,
            ori_order_id,
            order_id: checked("orderId", &self.order_id, 80)?,
            business_id: checked("businessId", &self.business_id, 80)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::TradeDate;

    #[test]
    fn trade_dates_are_calendar_dates() {
        for ok in ["20200229", "20191231", "20190101", "99991231"] {
            assert_eq!(TradeDate::parse(ok).unwrap().to_wire(), ok);
        }
        for bad in [
            "20190229",
            "20190431",
            "20191301",
            "20190001",
            "20190100",
            "20190132",
            "2019052",
            "201905201",
            "2019052a",
            "+2019052",
            "２０19052",
        ] {
            assert!(TradeDate::parse(bad).is_err(), "{bad}");
        }
    }
}
