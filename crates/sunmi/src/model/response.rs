//! Typed `data` of each endpoint's answer. Readers are lenient about JSON types (the
//! document's samples send `"refunded":"2"` where the table says Int) and strict about
//! values. Fields documented as required but absent from the document's own samples
//! (`buyerLogonId`) are optional.

use super::codes::{
    BusinessCode, CardGov, CardType, OrderType, Platform, SwipeResultCode, TradeState,
};
use paysig::Money;
use paysig::lenient;
use paysig::money::wire;
use serde::Deserialize;

/// The answer envelope of every endpoint (sunmi.txt §3.3.1 ff. "基本响应参数").
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    /// `code` (§7.1).
    pub code: super::SystemCode,
    /// `msg`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub msg: Option<String>,
    /// `data`: the string `"Success"`, an object, or a `{sub_code, sub_msg}` object.
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

/// A business error inside `data` (sunmi.txt §7.2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubError {
    /// `sub_code`.
    pub sub_code: BusinessCode,
    /// `sub_msg`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sub_msg: Option<String>,
}

/// `data` of `swipeQuery` (sunmi.txt §3.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwipeTrade {
    /// `TransCurrency`, e.g. `CNY`.
    #[serde(rename = "TransCurrency", deserialize_with = "lenient::string")]
    pub trans_currency: String,
    /// `amount` (fen).
    #[serde(with = "wire::fen_int")]
    pub amount: Money,
    /// `batchNo`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub batch_no: Option<String>,
    /// `cardGov` (§3.5).
    #[serde(default)]
    pub card_gov: Option<CardGov>,
    /// `cardHash`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub card_hash: Option<String>,
    /// `cardType` (§3.4).
    #[serde(default)]
    pub card_type: Option<CardType>,
    /// `merchantNo`.
    #[serde(deserialize_with = "lenient::string")]
    pub merchant_no: String,
    /// `orderType`.
    pub order_type: OrderType,
    /// `oriTradeRef`: the original trade reference.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ori_trade_ref: Option<String>,
    /// `orderId`: the merchant order number.
    #[serde(deserialize_with = "lenient::string")]
    pub order_id: String,
    /// `payTime` (unix seconds).
    #[serde(deserialize_with = "lenient::number")]
    pub pay_time: i64,
    /// `platformId`: the channel order number.
    #[serde(deserialize_with = "lenient::string")]
    pub platform_id: String,
    /// `resultCode` (`00` success).
    pub result_code: SwipeResultCode,
    /// `resultMsg`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub result_msg: Option<String>,
    /// `shortCard`: last 4 card digits.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub short_card: Option<String>,
    /// `state`.
    pub state: TradeState,
    /// `terminalNo`.
    #[serde(deserialize_with = "lenient::string")]
    pub terminal_no: String,
    /// `traceNo`: the terminal trace number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub trace_no: Option<String>,
    /// `tradeRef`: the trade reference.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub trade_ref: Option<String>,
}

/// What `payBind` answered (sunmi.txt §4.3.1: `"data":"Success"`).
#[derive(Debug, Clone, PartialEq)]
pub enum PayBindOutcome {
    /// `data` is `"Success"`.
    Success,
    /// Any other `data` (configType 5 returns the configuration, whose shape is not
    /// documented), kept as received.
    Data(serde_json::Value),
}

/// The WeChat payment parameters of an order (`cloudPayInfo`, sunmi.txt §4.3.2, §5.3.2),
/// handed to `getBrandWCPayRequest` / `wx.requestPayment`. Arrives as an object or as a
/// JSON-encoded string; both are read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudPayInfo {
    /// `appId`.
    #[serde(deserialize_with = "lenient::string")]
    pub app_id: String,
    /// `timeStamp` (unix seconds, as text).
    #[serde(deserialize_with = "lenient::string")]
    pub time_stamp: String,
    /// `nonceStr`.
    #[serde(deserialize_with = "lenient::string")]
    pub nonce_str: String,
    /// `packageStr`: WeChat's `package` (`prepay_id=...`).
    #[serde(deserialize_with = "lenient::string")]
    pub package_str: String,
    /// `signType` (documented `MD5`, the samples say `RSA`).
    #[serde(deserialize_with = "lenient::string")]
    pub sign_type: String,
    /// `paySign`.
    #[serde(deserialize_with = "lenient::string")]
    pub pay_sign: String,
}

fn cloud_pay_info<'de, D: serde::Deserializer<'de>>(d: D) -> Result<CloudPayInfo, D::Error> {
    lenient::json_or_string(d)
}

/// `data` of `jsApiPay` and `miniPay` (sunmi.txt §4.3.2, §5.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResult {
    /// `orderId`: the merchant order number.
    #[serde(deserialize_with = "lenient::string")]
    pub order_id: String,
    /// `misId`: the Sunmi order number.
    #[serde(deserialize_with = "lenient::string")]
    pub mis_id: String,
    /// `platformId`: the channel order number.
    #[serde(deserialize_with = "lenient::string")]
    pub platform_id: String,
    /// `merchantNo`.
    #[serde(deserialize_with = "lenient::string")]
    pub merchant_no: String,
    /// `amount` (fen; a string for jsApiPay, an Int for miniPay).
    #[serde(with = "wire::fen_int")]
    pub amount: Money,
    /// `payTime`: documented as a unix timestamp, but the §4.3.2 sample has
    /// `20180921104914`; kept as received.
    #[serde(deserialize_with = "lenient::string")]
    pub pay_time: String,
    /// `platform`.
    pub platform: Platform,
    /// `buyerLogonId`: openId (wxpay) / userId (alipay).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub buyer_logon_id: Option<String>,
    /// `cloudPayInfo`.
    #[serde(deserialize_with = "cloud_pay_info")]
    pub cloud_pay_info: CloudPayInfo,
    /// `buyerPayAmount` (fen).
    #[serde(with = "wire::fen_int")]
    pub buyer_pay_amount: Money,
    /// `resultCode`.
    pub result_code: BusinessCode,
    /// `resultMsg`, e.g. `用户支付中`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub result_msg: Option<String>,
    /// `state`.
    pub state: TradeState,
}

/// The text Sunmi sends when the outcome is not known yet.
pub const USER_PAYING: &str = "用户支付中";

impl OrderResult {
    /// True when the outcome is not known yet ("用户支付中", D07, or a non-final state):
    /// call [`crate::Client::poll_until_final`] (sunmi.txt §4.3.2: query after 10 s).
    pub fn is_paying(&self) -> bool {
        self.result_msg.as_deref() == Some(USER_PAYING)
            || self.result_code.is_pending()
            || !self.state.is_final()
    }
}

/// `data` of `query` (sunmi.txt §4.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult {
    /// `amount` (fen).
    #[serde(with = "wire::fen_int")]
    pub amount: Money,
    /// `businessId`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub business_id: Option<String>,
    /// `buyerPayAmount` (fen): what the user paid.
    #[serde(with = "wire::fen_int")]
    pub buyer_pay_amount: Money,
    /// `misId`: the cashier order number.
    #[serde(deserialize_with = "lenient::string")]
    pub mis_id: String,
    /// `msn`: the device.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub msn: Option<String>,
    /// `merchantNo`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub merchant_no: Option<String>,
    /// `orderType` (0 payment, 1 refund).
    pub order_type: OrderType,
    /// `orderId`: the SaaS order number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub order_id: Option<String>,
    /// `payTime` (unix seconds).
    #[serde(deserialize_with = "lenient::number")]
    pub pay_time: i64,
    /// `platform`.
    pub platform: Platform,
    /// `buyerLogonId`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub buyer_logon_id: Option<String>,
    /// `platformId`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub platform_id: Option<String>,
    /// `refunded` (fen): refunded so far.
    #[serde(with = "wire::fen_int")]
    pub refunded: Money,
    /// `resultCode`.
    #[serde(default)]
    pub result_code: Option<BusinessCode>,
    /// `resultMsg`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub result_msg: Option<String>,
    /// `state`.
    pub state: TradeState,
}

/// `data` of `refund` (sunmi.txt §4.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundResult {
    /// `amount` (fen): the refunded amount.
    #[serde(with = "wire::fen_int")]
    pub amount: Money,
    /// `businessId`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub business_id: Option<String>,
    /// `misId`: the refund's cashier number.
    #[serde(deserialize_with = "lenient::string")]
    pub mis_id: String,
    /// `msn`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub msn: Option<String>,
    /// `merchantNo`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub merchant_no: Option<String>,
    /// `orderId`.
    #[serde(deserialize_with = "lenient::string")]
    pub order_id: String,
    /// `orderType` (1 for a refund).
    pub order_type: OrderType,
    /// `oriMisId`: the original cashier number.
    #[serde(deserialize_with = "lenient::string")]
    pub ori_mis_id: String,
    /// `oriOrderId`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ori_order_id: Option<String>,
    /// `payTime`: the refund time (unix seconds).
    #[serde(deserialize_with = "lenient::number")]
    pub pay_time: i64,
    /// `platform`.
    pub platform: Platform,
    /// `buyerLogonId`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub buyer_logon_id: Option<String>,
    /// `platformId`.
    #[serde(deserialize_with = "lenient::string")]
    pub platform_id: String,
    /// `resultCode`.
    #[serde(default)]
    pub result_code: Option<BusinessCode>,
    /// `resultMsg`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub result_msg: Option<String>,
    /// `state`: 3 means the refund succeeded; anything else is not (yet) a success.
    pub state: TradeState,
}
