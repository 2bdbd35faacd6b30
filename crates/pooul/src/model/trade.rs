//! 查询订单 Query, 关闭订单 Close, 撤销订单 Reverse: what comes back.

use super::codes::{PayTypeCode, TradeState};
use paysig::Money;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The body of 查询订单, 关闭订单 and 撤销订单: the order number (the client adds `nonce_str`;
/// one in a deserialised body is ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradeRef {
    /// `mch_trade_id`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub mch_trade_id: String,
    #[serde(default, rename = "nonce_str")]
    _nonce_str: Option<Value>,
}

/// `data` of a 查询订单 answer.
///
/// pooul.md prints this answer as a placeholder (`"data": { …… }`); the fields are those of the
/// refund-query and notify payloads, all optional but the identifiers, and anything else is
/// kept in [`TradeData::extra`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TradeData {
    /// `trade_id`: Pooul's order number.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub trade_id: String,
    /// `mch_trade_id`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub mch_trade_id: String,
    /// `merchant_id`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub merchant_id: Option<String>,
    /// `pay_type`.
    #[serde(default)]
    pub pay_type: Option<PayTypeCode>,
    /// `trade_state`: "以trade_state确认支付状态".
    pub trade_state: TradeState,
    /// `trade_info`: human-readable state.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub trade_info: Option<String>,
    /// `total_fee` in fen.
    #[serde(default, with = "paysig::money::wire::opt_fen_int")]
    pub total_fee: Option<Money>,
    /// `cash_fee` in fen: what the payer paid in cash.
    #[serde(default, with = "paysig::money::wire::opt_fen_int")]
    pub cash_fee: Option<Money>,
    /// `out_trade_id`: the wallet's (WeChat/Alipay) transaction number.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub out_trade_id: Option<String>,
    /// `attach`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub attach: Option<String>,
    /// Fields the document does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
