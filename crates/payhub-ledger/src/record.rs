//! The payment and refund records the ledger holds, and how they are read from a row.

use crate::error::{LedgerError, money};
use crate::state::{PaymentState, RefundState};
use payhub::Provider;
use paysig::Money;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A payment as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRecord {
    /// Row id.
    pub id: i64,
    /// Who.
    pub provider: Provider,
    /// The merchant account (the hub's account name, `default` for the default one).
    pub account: String,
    /// The merchant's order number.
    pub order_no: String,
    /// The amount the payment was created for.
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub amount: Money,
    /// [`payhub::PayMethod::name`].
    pub method: String,
    /// The state.
    pub state: PaymentState,
    /// The provider's number, once known (never overwritten).
    pub provider_trade_no: Option<String>,
    /// Refunds sent or done (never above `amount`).
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub refund_reserved: Money,
    /// Why the payment needs review.
    pub review_reason: Option<String>,
    /// Created, Unix ms.
    pub created_ms: i64,
    /// Last changed, Unix ms.
    pub updated_ms: i64,
    /// When an unpaid payment is given up, Unix ms.
    pub expires_ms: Option<i64>,
}

/// A refund as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundRecord {
    /// Who.
    pub provider: Provider,
    /// The merchant's order number of the payment.
    pub order_no: String,
    /// The merchant's refund number.
    pub refund_no: String,
    /// How much.
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub amount: Money,
    /// The state.
    pub state: RefundState,
    /// The provider's refund number, once known.
    pub provider_refund_no: Option<String>,
}

/// One line of the append-only transition log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// The refund, for a refund's transition.
    pub refund_no: Option<String>,
    /// The state before (`None` for the first record).
    pub from: Option<String>,
    /// The state after.
    pub to: String,
    /// Who moved it: create, notify, query, sweep or manual.
    pub source: String,
    /// When, Unix ms.
    pub at_ms: i64,
    /// What was seen, as JSON.
    pub evidence: Value,
}

pub(crate) const PAYMENT_COLUMNS: &str = "id, provider, account, order_no, amount_fen, method, state, \
     provider_trade_no, refund_reserved_fen, review_reason, created_ms, updated_ms, expires_ms";

pub(crate) fn payment_from_row(row: &AnyRow) -> Result<PaymentRecord, LedgerError> {
    let provider: String = row.try_get("provider")?;
    let state: String = row.try_get("state")?;
    Ok(PaymentRecord {
        id: row.try_get("id")?,
        provider: provider
            .parse()
            .map_err(|e: payhub::UnknownProvider| LedgerError::Corrupt(e.to_string()))?,
        account: row.try_get("account")?,
        order_no: row.try_get("order_no")?,
        amount: money(row.try_get("amount_fen")?)?,
        method: row.try_get("method")?,
        state: state
            .parse()
            .map_err(|e: crate::state::UnknownState| LedgerError::Corrupt(e.to_string()))?,
        provider_trade_no: row.try_get("provider_trade_no")?,
        refund_reserved: money(row.try_get("refund_reserved_fen")?)?,
        review_reason: row.try_get("review_reason")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        expires_ms: row.try_get("expires_ms")?,
    })
}

pub(crate) fn refund_from_row(row: &AnyRow) -> Result<RefundRecord, LedgerError> {
    let provider: String = row.try_get("provider")?;
    let state: String = row.try_get("state")?;
    Ok(RefundRecord {
        provider: provider
            .parse()
            .map_err(|e: payhub::UnknownProvider| LedgerError::Corrupt(e.to_string()))?,
        order_no: row.try_get("order_no")?,
        refund_no: row.try_get("refund_no")?,
        amount: money(row.try_get("amount_fen")?)?,
        state: state
            .parse()
            .map_err(|e: crate::state::UnknownState| LedgerError::Corrupt(e.to_string()))?,
        provider_refund_no: row.try_get("provider_refund_no")?,
    })
}
