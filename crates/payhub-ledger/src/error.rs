//! The ledger's one error type.

use crate::state::{PaymentState, RefundState};
use payhub::{BoxError, Provider};
use paysig::Money;

/// Everything the ledger can refuse or fail with. Nothing here holds a secret: database URLs
/// are never part of an error (a password may be in them).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The database refused or failed.
    #[error("ledger database: {0}")]
    Database(#[from] sqlx::Error),
    /// The embedded migrations could not be applied.
    #[error("ledger migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database URL names a backend this build does not have.
    #[error("unsupported ledger database {scheme:?}: {reason}")]
    UnsupportedDatabase {
        /// The URL's scheme.
        scheme: String,
        /// Why.
        reason: &'static str,
    },
    /// The ledger already holds this order number: refused before sending.
    #[error(
        "{provider} order {order_no} is already in the ledger ({state}); use a new order number"
    )]
    DuplicateOrder {
        /// Who.
        provider: Provider,
        /// The merchant's order number.
        order_no: String,
        /// Its state in the ledger.
        state: PaymentState,
    },
    /// The ledger already holds this refund number: refused before sending.
    #[error("{provider} refund {refund_no} is already in the ledger ({state})")]
    DuplicateRefund {
        /// Who.
        provider: Provider,
        /// The merchant's refund number.
        refund_no: String,
        /// Its state in the ledger.
        state: RefundState,
    },
    /// The refund is more than what remains of the payment: refused before sending.
    #[error("{provider} order {order_no}: refund of {requested} exceeds the remaining {remaining}")]
    RefundExceedsRemaining {
        /// Who.
        provider: Provider,
        /// The merchant's order number.
        order_no: String,
        /// The refund asked for.
        requested: Money,
        /// What may still be refunded (the payment less refunds sent or done).
        remaining: Money,
    },
    /// A refund of a payment that is not paid: refused before sending.
    #[error("{provider} order {order_no} is {state}, not paid: nothing to refund")]
    NotRefundable {
        /// Who.
        provider: Provider,
        /// The merchant's order number.
        order_no: String,
        /// Its state in the ledger.
        state: PaymentState,
    },
    /// The ledger has no such payment.
    #[error("{provider} order {order_no} is not in the ledger")]
    UnknownOrder {
        /// Who.
        provider: Provider,
        /// The merchant's order number.
        order_no: String,
    },
    /// The ledger has no such refund.
    #[error("{provider} refund of order {order_no} ({refund_no}) is not in the ledger")]
    UnknownRefund {
        /// Who.
        provider: Provider,
        /// The merchant's order number.
        order_no: String,
        /// The refund number the notify named (empty when it named none).
        refund_no: String,
    },
    /// A transition the state machine does not allow.
    #[error("{order_no}: {from} -> {to} is not an allowed transition")]
    Transition {
        /// The merchant's order number.
        order_no: String,
        /// The recorded state.
        from: PaymentState,
        /// The refused state.
        to: PaymentState,
    },
    /// An amount does not fit the database's signed 64-bit integer.
    #[error("{0} does not fit the ledger's integer fen")]
    AmountTooLarge(Money),
    /// A row holds what this ledger never writes (a negative amount, an unknown state).
    #[error("corrupt ledger row: {0}")]
    Corrupt(String),
    /// The hub (a provider call, or the notify's verification) failed.
    #[error(transparent)]
    Hub(#[from] payhub::Error),
    /// The merchant's callback failed or panicked; its transaction was rolled back and the
    /// notify stays unprocessed, so the provider's retry (or the sweeper) delivers it again.
    #[error("the merchant's callback failed: {0}")]
    Callback(BoxError),
    /// The notify was verified, but a query made to confirm it disagrees.
    #[error("{provider} notify of {order_no} not confirmed by a query: {reason}")]
    NotConfirmed {
        /// Who.
        provider: Provider,
        /// The merchant's order number.
        order_no: String,
        /// Why.
        reason: String,
    },
}

impl LedgerError {
    /// True when the merchant's callback failed (the notify must be answered with an error,
    /// so the provider sends it again).
    pub fn is_callback(&self) -> bool {
        matches!(self, LedgerError::Callback(_))
    }
}

pub(crate) fn fen(m: Money) -> Result<i64, LedgerError> {
    i64::try_from(m.fen()).map_err(|_| LedgerError::AmountTooLarge(m))
}

pub(crate) fn money(fen: i64) -> Result<Money, LedgerError> {
    u64::try_from(fen)
        .map(Money::from_fen)
        .map_err(|_| LedgerError::Corrupt(format!("negative amount {fen}")))
}
