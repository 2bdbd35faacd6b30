//! The facade's errors.

use crate::provider::Provider;
use paysig::Money;
use paysig::class::{Classify, ErrorClass, Operation};

/// A boxed error from a provider crate or a merchant's store.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a facade call failed.
///
/// A provider's own error stays typed in its variant ([`Error::Sunmi`], [`Error::Pooul`],
/// [`Error::BeeCloud`], [`Error::Mifeng`]), and [`std::error::Error::source`] walks from
/// there to the transport's [`paysig::http::HttpError`]. Every error has a class
/// ([`Error::class`]): the answer to "may the money have moved?".
///
/// ```
/// use payhub::{Error, ErrorClass, Provider};
/// let e = Error::Unsupported { provider: Provider::Mifeng, operation: "refund" };
/// assert_eq!(e.class(), ErrorClass::Unsupported);
/// assert!(!e.class().money_may_have_moved());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The hub has no account of this name at this provider.
    #[error("{provider} has no account {account:?} in this hub")]
    UnknownAccount {
        /// Who.
        provider: Provider,
        /// The account name asked for.
        account: String,
    },
    /// A request field the adapter needs is missing or wrong; nothing was sent.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The Sunmi crate's error (transport, business code, decode...).
    #[cfg(feature = "sunmi")]
    #[error("sunmi call failed ({})", .0.class())]
    Sunmi(#[source] sunmi::Error),
    /// The Pooul crate's error.
    #[cfg(feature = "pooul")]
    #[error("pooul call failed ({})", .0.class())]
    Pooul(#[source] pooul::Error),
    /// The BeeCloud crate's error.
    #[cfg(feature = "beecloud")]
    #[error("beecloud call failed ({})", .0.class())]
    BeeCloud(#[source] beecloud::Error),
    /// The Mifeng crate's error.
    #[cfg(feature = "mifeng")]
    #[error("mifeng call failed ({})", .0.class())]
    Mifeng(#[source] mifeng::Error),
    /// Pooul answered a refund query, but no single refund in it is the one asked about.
    #[cfg(feature = "pooul")]
    #[error("pooul refund query answer does not single out the refund ({})", .0.class_label())]
    PooulRefundMatch(#[source] pooul::RefundMatchError),
    /// The adapter's own check of a provider's answer failed (a field it needs is absent or
    /// ambiguous). Classed [`ErrorClass::InvalidAnswer`] for a query,
    /// [`ErrorClass::OutcomeUnknown`] for a create, refund or close.
    #[error("{provider} {operation} answer unusable: {reason}")]
    Answer {
        /// Who.
        provider: Provider,
        /// The facade operation (`query_payment`, `refund`...).
        operation: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A definite answer that the order or refund asked about does not exist.
    #[error("{provider}: {reason}")]
    NotFound {
        /// Who.
        provider: Provider,
        /// What was looked for, where.
        reason: String,
    },
    /// A call was never sent because the look-up it needs first failed (e.g. BeeCloud's bill
    /// query before a refund): [`ErrorClass::NotSent`] whatever the look-up's own class.
    #[error("{provider} {operation} not sent: the look-up before it failed")]
    NotSent {
        /// Who.
        provider: Provider,
        /// The facade operation that was not sent.
        operation: &'static str,
        /// Why the look-up failed.
        #[source]
        source: Box<Error>,
    },
    /// A notification was refused.
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// The hub configuration is wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// [`crate::Hub::reload_credentials`] failed; the credentials in force before it stay in
    /// force.
    #[error("credentials not reloaded, the previous ones stay in force: {0}")]
    Reload(#[source] Box<Error>),
}

/// Whether a facade operation may move money.
fn operation_kind(operation: &str) -> Operation {
    match operation {
        "query_payment" | "query_refund" | "query" | "resolve" => Operation::Query,
        _ => Operation::Mutation,
    }
}

impl Error {
    /// The class of this error (no need to import [`Classify`]).
    pub fn class(&self) -> ErrorClass {
        Classify::class(self)
    }

    /// The provider the error is about, when there is one.
    pub fn provider(&self) -> Option<Provider> {
        match self {
            Error::Unsupported { provider, .. }
            | Error::UnsupportedMethod { provider, .. }
            | Error::Answer { provider, .. }
            | Error::NotFound { provider, .. }
            | Error::NotSent { provider, .. } => Some(*provider),
            Error::NotConfigured(p) | Error::UnknownAccount { provider: p, .. } => Some(*p),
            Error::Reload(e) => e.provider(),
            #[cfg(feature = "sunmi")]
            Error::Sunmi(_) => Some(Provider::Sunmi),
            #[cfg(feature = "pooul")]
            Error::Pooul(_) => Some(Provider::Pooul),
            #[cfg(feature = "beecloud")]
            Error::BeeCloud(_) => Some(Provider::BeeCloud),
            #[cfg(feature = "mifeng")]
            Error::Mifeng(_) => Some(Provider::Mifeng),
            #[cfg(feature = "pooul")]
            Error::PooulRefundMatch(_) => Some(Provider::Pooul),
            Error::Notify(n) => Some(n.provider()).flatten(),
            Error::Invalid { .. } | Error::Config(_) => None,
        }
    }

    /// The provider's own code as text: [`Classify::provider_code`], or for Pooul and Mifeng
    /// the integer code the provider answered.
    pub fn code(&self) -> Option<String> {
        match self {
            #[cfg(feature = "pooul")]
            Error::Pooul(e) => e.api_code().map(|c| c.to_string()),
            #[cfg(feature = "mifeng")]
            Error::Mifeng(mifeng::Error::Api { code, .. }) => Some(code.code().to_string()),
            other => other.provider_code().map(str::to_owned),
        }
    }
}

/// The classes of the facade's own variants: [`Error::Unsupported`] and
/// [`Error::UnsupportedMethod`] are [`ErrorClass::Unsupported`]; [`Error::NotConfigured`],
/// [`Error::Invalid`] and [`Error::Config`] [`ErrorClass::InvalidRequest`]; a provider's error
/// keeps its crate's class; [`Error::NotFound`] is a final refusal.
impl Classify for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Unsupported { .. } | Error::UnsupportedMethod { .. } => ErrorClass::Unsupported,
            Error::NotConfigured(_)
            | Error::UnknownAccount { .. }
            | Error::Invalid { .. }
            | Error::Config(_)
            | Error::Reload(_) => ErrorClass::InvalidRequest,
            #[cfg(feature = "sunmi")]
            Error::Sunmi(e) => e.class(),
            #[cfg(feature = "pooul")]
            Error::Pooul(e) => e.class(),
            #[cfg(feature = "beecloud")]
            Error::BeeCloud(e) => e.class(),
            #[cfg(feature = "mifeng")]
            Error::Mifeng(e) => e.class(),
            #[cfg(feature = "pooul")]
            Error::PooulRefundMatch(e) => refund_match_class(e),
            Error::Answer { operation, .. } => match operation_kind(operation) {
                Operation::Query => ErrorClass::InvalidAnswer,
                Operation::Mutation => ErrorClass::OutcomeUnknown,
            },
            Error::NotFound { .. } => ErrorClass::Rejected { retryable: false },
            Error::NotSent { .. } => ErrorClass::NotSent,
            Error::Notify(n) => n.class(),
        }
    }

    fn provider_code(&self) -> Option<&str> {
        match self {
            #[cfg(feature = "sunmi")]
            Error::Sunmi(e) => e.provider_code(),
            #[cfg(feature = "pooul")]
            Error::Pooul(e) => e.provider_code(),
            #[cfg(feature = "beecloud")]
            Error::BeeCloud(e) => e.provider_code(),
            #[cfg(feature = "mifeng")]
            Error::Mifeng(e) => e.provider_code(),
            Error::NotSent { source, .. } => source.provider_code(),
            #[cfg(feature = "pooul")]
            Error::PooulRefundMatch(_) => None,
            Error::Unsupported { .. }
            | Error::UnsupportedMethod { .. }
            | Error::NotConfigured(_)
            | Error::UnknownAccount { .. }
            | Error::Reload(_)
            | Error::Invalid { .. }
            | Error::Answer { .. }
            | Error::NotFound { .. }
            | Error::Notify(_)
            | Error::Config(_) => None,
        }
    }
}

/// No refund matches: a definite "not found"; several or another amount: the answer cannot
/// be read as one refund; nothing to match by: the request was incomplete.
#[cfg(feature = "pooul")]
fn refund_match_class(e: &pooul::RefundMatchError) -> ErrorClass {
    match e {
        pooul::RefundMatchError::NotFound { .. } => ErrorClass::Rejected { retryable: false },
        pooul::RefundMatchError::Ambiguous { .. }
        | pooul::RefundMatchError::AmountMismatch { .. } => ErrorClass::InvalidAnswer,
        pooul::RefundMatchError::NothingToMatch => ErrorClass::InvalidRequest,
        // A kind Pooul's crate adds later: the answer could not be used.
        _ => ErrorClass::InvalidAnswer,
    }
}

#[cfg(feature = "pooul")]
trait ClassLabel {
    fn class_label(&self) -> &'static str;
}

#[cfg(feature = "pooul")]
impl ClassLabel for pooul::RefundMatchError {
    fn class_label(&self) -> &'static str {
        refund_match_class(self).label()
    }
}

macro_rules! from_provider {
    ($feature:literal, $ty:ty, $variant:ident) => {
        #[cfg(feature = $feature)]
        impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Error::$variant(e)
            }
        }
    };
}
from_provider!("sunmi", sunmi::Error, Sunmi);
from_provider!("pooul", pooul::Error, Pooul);
from_provider!("beecloud", beecloud::Error, BeeCloud);
from_provider!("mifeng", mifeng::Error, Mifeng);

/// Why a notification was not accepted. None of these is acknowledged: the provider retries.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The notify verified only under a key of this account whose `valid_until` has passed
    /// (rotated out): refused even though its signature matches.
    #[error("{provider} notify refused: account {account:?} key {key:?} expired at {valid_until}")]
    KeyExpired {
        /// Who.
        provider: Provider,
        /// The account whose route it came to.
        account: String,
        /// The key's label (never the key).
        key: String,
        /// When it expired (RFC 3339).
        valid_until: String,
    },
    /// The notify came to one account's route but is signed for (or names) another account
    /// of the same provider: never processed under the wrong merchant.
    #[error(
        "{provider} notify refused on account {account:?}: it belongs to account {belongs_to:?}"
    )]
    WrongAccount {
        /// Who.
        provider: Provider,
        /// The account whose route it came to.
        account: String,
        /// The account whose key verifies it.
        belongs_to: String,
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

impl NotifyError {
    /// The provider the notify came from, when known.
    pub fn provider(&self) -> Option<Provider> {
        match self {
            NotifyError::BodyTooLarge { provider, .. }
            | NotifyError::Verification { provider, .. }
            | NotifyError::KeyExpired { provider, .. }
            | NotifyError::WrongAccount { provider, .. }
            | NotifyError::UnknownOrder { provider, .. }
            | NotifyError::AmountMismatch { provider, .. }
            | NotifyError::InFlight { provider, .. }
            | NotifyError::NotConfirmed { provider, .. } => Some(*provider),
            NotifyError::Lookup(_) | NotifyError::Store(_) | NotifyError::Callback(_) => None,
        }
    }

    /// The class of this error (no need to import [`Classify`]).
    pub fn class(&self) -> ErrorClass {
        Classify::class(self)
    }
}

/// A notify too large is refused unread ([`ErrorClass::InvalidRequest`]); a failed
/// signature [`ErrorClass::Unauthorized`]; an unknown order, another amount or a query that
/// disagrees a final [`ErrorClass::Rejected`]; one in flight elsewhere a retryable one; a
/// failing lookup, store or callback of the merchant [`ErrorClass::NotSent`] (nothing was
/// acknowledged, the provider sends it again).
impl Classify for NotifyError {
    fn class(&self) -> ErrorClass {
        match self {
            NotifyError::BodyTooLarge { .. } => ErrorClass::InvalidRequest,
            NotifyError::Verification { .. }
            | NotifyError::KeyExpired { .. }
            | NotifyError::WrongAccount { .. } => ErrorClass::Unauthorized,
            NotifyError::UnknownOrder { .. }
            | NotifyError::AmountMismatch { .. }
            | NotifyError::NotConfirmed { .. } => ErrorClass::Rejected { retryable: false },
            NotifyError::InFlight { .. } => ErrorClass::Rejected { retryable: true },
            NotifyError::Lookup(_) | NotifyError::Store(_) | NotifyError::Callback(_) => {
                ErrorClass::NotSent
            }
        }
    }
}
