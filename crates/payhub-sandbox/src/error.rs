//! Errors of starting and controlling the sandbox.

use crate::{OrderStatus, ProviderKind};

/// An error of the sandbox itself (never a provider answer: those are HTTP responses).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A setting is out of range.
    #[error("invalid sandbox config: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// A port could not be bound.
    #[error("cannot listen for {provider}: {source}")]
    Bind {
        /// The provider whose server failed.
        provider: ProviderKind,
        /// The socket error.
        source: std::io::Error,
    },
    /// The dashboard's port could not be bound.
    #[error("cannot listen for the dashboard: {source}")]
    BindDashboard {
        /// The socket error.
        source: std::io::Error,
    },
    /// A sandbox key could not be generated.
    #[error("sandbox key: {0}")]
    Key(#[from] paysig::SignError),
    /// The notify sender could not be built.
    #[error("notify sender: {0}")]
    Http(#[from] paysig::http::HttpError),
    /// No order with this merchant order number.
    #[error("{provider}: no order `{order_no}`")]
    OrderNotFound {
        /// Provider.
        provider: ProviderKind,
        /// Merchant order number.
        order_no: String,
    },
    /// An inserted order's merchant or provider number is taken.
    #[error("{provider}: order `{order_no}` exists already")]
    OrderExists {
        /// Provider.
        provider: ProviderKind,
        /// Merchant order number.
        order_no: String,
    },
    /// The order cannot be paid or failed in its state.
    #[error("{provider}: order `{order_no}` is {status:?}, not awaiting payment")]
    NotAwaitingPayment {
        /// Provider.
        provider: ProviderKind,
        /// Merchant order number.
        order_no: String,
        /// Its state.
        status: OrderStatus,
    },
    /// The order is not paid or failed, so it has no pay notify.
    #[error("{provider}: order `{order_no}` is {status:?}, not settled")]
    NotSettled {
        /// Provider.
        provider: ProviderKind,
        /// Merchant order number.
        order_no: String,
        /// Its state.
        status: OrderStatus,
    },
}
