//! Typed requests. The either/or rules of the document are enums, so a request missing its
//! identifier cannot be built; lengths and formats are checked by [`crate::Client`] before
//! anything is sent, with an error naming the wire field.

use crate::error::Error;
use paysig::{Money, Params};

/// Checks a documented `String(max)` field: present, not empty, at most `max` characters.
pub(crate) fn check(field: &'static str, value: &str, max: usize) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::Validation {
            field,
            reason: "must not be empty".into(),
        });
    }
    let len = value.chars().count();
    if len > max {
        return Err(Error::Validation {
            field,
            reason: format!("{len} characters, at most {max} allowed (String({max}))"),
        });
    }
    Ok(())
}

fn push(p: &mut Params, field: &'static str, value: &str, max: usize) -> Result<(), Error> {
    check(field, value, max)?;
    p.push_static(field, value);
    Ok(())
}

fn push_opt(
    p: &mut Params,
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<(), Error> {
    match value {
        Some(v) => push(p, field, v, max),
        None => Ok(()),
    }
}

fn positive(field: &'static str, amount: Money) -> Result<(), Error> {
    if amount.is_zero() {
        Err(Error::Validation {
            field,
            reason: "must be at least 1 fen (0.01 yuan)".into(),
        })
    } else {
        Ok(())
    }
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
        let format = time::macros::format_description!("[year][month][day]");
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Validation {
                field: "tradeDate",
                reason: "expected yyyyMMdd".into(),
            });
        }
        time::Date::parse(text, format)
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
    pub(crate) fn write(&self, p: &mut Params) -> Result<(), Error> {
        push(p, "msn", &self.msn, 64)?;
        if let Some(d) = self.trade_date {
            p.push("tradeDate", d.to_wire());
        }
        match &self.trade {
            SwipeTradeRef::OrderId(o) => push(p, "orderId", o, 80),
            SwipeTradeRef::PlatformId(id) => push(p, "platformId", id, 80),
            SwipeTradeRef::Both {
                order_id,
                platform_id,
            } => {
                push(p, "orderId", order_id, 80)?;
                push(p, "platformId", platform_id, 80)
            }
        }
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
    pub(crate) fn write(&self, p: &mut Params) -> Result<(), Error> {
        push(p, "merchantNo", &self.merchant_no, 20)?;
        p.push("configType", self.config.config_type());
        match &self.config {
            BindConfig::PayUrl {
                pay_url,
                attention_app_id,
            } => {
                push(p, "payUrl", pay_url, 255)?;
                push_opt(p, "attentionAppId", attention_app_id.as_deref(), 32)
            }
            BindConfig::MiniAppId(v) => push(p, "miniAppId", v, 32),
            BindConfig::AttentionAppId(v) => push(p, "attentionAppId", v, 32),
            BindConfig::ReceiptAppId(v) => push(p, "receiptAppId", v, 32),
            BindConfig::Query => Ok(()),
        }
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
    pub(crate) fn write(&self, p: &mut Params) -> Result<(), Error> {
        push(p, "merchantNo", &self.merchant_no, 20)?;
        positive("totalAmount", self.total_amount)?;
        let yuan = self.total_amount.to_yuan_string();
        push(p, "totalAmount", &yuan, 20)?;
        push(p, "miniAppId", &self.mini_app_id, 32)?;
        push(p, "openId", &self.open_id, 128)?;
        push(p, "orderId", &self.order_id, 80)?;
        push(p, "walletType", self.wallet_type.as_str(), 4)?;
        push_opt(p, "notifyUrl", self.notify_url.as_deref(), 255)
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
    pub(crate) fn write(&self, p: &mut Params, notify_url_max: usize) -> Result<(), Error> {
        push(p, "merchantNo", &self.merchant_no, 20)?;
        positive("totalAmount", self.total_amount)?;
        let fen = self.total_amount.to_fen_string();
        push(p, "totalAmount", &fen, 20)?;
        push(p, "miniAppId", &self.mini_app_id, 32)?;
        push(p, "openId", &self.open_id, 128)?;
        push(p, "orderId", &self.order_id, 32)?;
        push_opt(p, "appVersion", self.app_version.as_deref(), 80)?;
        push_opt(p, "notifyUrl", self.notify_url.as_deref(), notify_url_max)
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
    fn write(&self, p: &mut Params, merchant_no_max: usize) -> Result<(), Error> {
        match self {
            Terminal::Msn(m) => push(p, "msn", m, 64),
            Terminal::MerchantNo(m) => push(p, "merchantNo", m, merchant_no_max),
            Terminal::Both { msn, merchant_no } => {
                push(p, "msn", msn, 64)?;
                push(p, "merchantNo", merchant_no, merchant_no_max)
            }
        }
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
    pub(crate) fn write(&self, p: &mut Params) -> Result<(), Error> {
        self.terminal.write(p, 20)?;
        match &self.order {
            OrderRef::MisId(v) => push(p, "misId", v, 80),
            OrderRef::OrderId(v) => push(p, "orderId", v, 80),
            OrderRef::PlatformId(v) => push(p, "platformId", v, 80),
        }
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
    pub(crate) fn write(&self, p: &mut Params) -> Result<(), Error> {
        self.terminal.write(p, 80)?;
        positive("amount", self.amount)?;
        let fen = self.amount.to_fen_string();
        push(p, "amount", &fen, 20)?;
        match &self.original {
            OriginalOrder::MisId(v) => push(p, "oriMisId", v, 80)?,
            OriginalOrder::PlatformId(v) => push(p, "oriPlatformId", v, 80)?,
            OriginalOrder::OrderId(v) => push(p, "oriOrderId", v, 80)?,
        }
        push(p, "orderId", &self.order_id, 80)?;
        push(p, "businessId", &self.business_id, 80)
    }
}
