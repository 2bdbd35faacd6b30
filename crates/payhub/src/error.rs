//! The facade's errors.

use crate::provider::Provider;
use paysig::Money;

/// A boxed error from a provider crate or a merchant's store.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a facade call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provider has no such operation (e.g. Mifeng has no refund, Sunmi no close).
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// Who.
        provider: Provider,
        /// The facade operation.
        operation: &'static str,
    },
    /// The provider cannot take this payment method.
    #[error("{provider} does not support the payment method {method}")]
    UnsupportedMethod {
        /// Who.
        provider: Provider,
        /// [`crate::PayMethod::name`].
        method: &'static str,
    },
    /// The hub has no gateway for this provider (not configured, or its feature is off).
    #[error("{0} is not configured in this hub")]
    NotConfigured(Provider),
    /// A request field the adapter needs is missing or wrong.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The provider crate returned an error (transport, business code, decode...).
    #[error("{provider}: {source}")]
    Provider {
        /// Who.
        provider: Provider,
        /// The provider crate's typed error.
        #[source]
        source: BoxError,
    },
    /// A notification was refused.
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// The hub configuration is wrong.
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// Wraps a provider crate's error.
    pub fn provider(
        provider: Provider,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Provider {
            provider,
            source: Box::new(source),
        }
    }
}

/// Why a notification was not accepted. None of these is acknowledged: the provider retries.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The body is longer than the hub's notify body limit; nothing of it was parsed.
    #[error("{provider} notify refused: body of {len} bytes is over the limit of {limit} bytes")]
    BodyTooLarge {
        /// Who.
        provider: Provider,
        /// The body's length.
        len: usize,
        /// The limit in force ([`crate::HubBuilder::notify_body_limit`]).
        limit: usize,
    },
    /// The signature did not verify, or the body is not a notify of this provider.
    #[error("{provider} notify refused: {reason}")]
    Verification {
        /// Who.
        provider: Provider,
        /// What failed (never a secret).
        reason: String,
    },
    /// The merchant's store does not know the order.
    #[error("{provider} notify for unknown order {order_no:?}")]
    UnknownOrder {
        /// Who.
        provider: Provider,
        /// The order number in the notify.
        order_no: String,
    },
    /// The notified amount is not the order's.
    #[error("{provider} notify for {order_no:?}: amount {got} differs from the order's {expected}")]
    AmountMismatch {
        /// Who.
        provider: Provider,
        /// The order.
        order_no: String,
        /// What the order says.
        expected: Money,
        /// What the notify says.
        got: Money,
    },
    /// The same notification is being processed elsewhere right now; answer an error so the
    /// provider retries once that processing has finished or failed.
    #[error("{provider} notify {key} is being processed by another worker")]
    InFlight {
        /// Who.
        provider: Provider,
        /// The de-duplication key.
        key: String,
    },
    /// Confirmation by query disagreed with the notify.
    #[error("{provider} notify for {order_no:?} not confirmed by query: {reason}")]
    NotConfirmed {
        /// Who.
        provider: Provider,
        /// The order.
        order_no: String,
        /// What disagreed.
        reason: String,
    },
    /// The merchant's order lookup failed.
    #[error("order lookup failed: {0}")]
    Lookup(#[source] BoxError),
    /// The de-duplication store failed.
    #[error("de-duplication store failed: {0}")]
    Store(#[source] BoxError),
    /// The merchant's callback failed; the notify is not acknowledged.
    #[error("notify callback failed: {0}")]
    Callback(#[source] BoxError),
}
