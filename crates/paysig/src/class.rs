//! The classes every payhub error falls into, so that a caller can answer the one question
//! that matters after a failed payment call: **may the money have moved?**
//!
//! Every provider crate's error implements [`Classify`], and so does the facade's. The
//! classes follow smithy-rs's split of construction, dispatch, response and service failures,
//! in payment terms:
//!
//! | class | sent? | money may have moved? | what to do |
//! |---|---|---|---|
//! | [`ErrorClass::InvalidRequest`] | no | no | fix the request |
//! | [`ErrorClass::NotSent`] | provably not | no | send again (same order number) |
//! | [`ErrorClass::OutcomeUnknown`] | maybe | **yes** | resolve by query before anything else |
//! | [`ErrorClass::Rejected`] | yes | no | read the provider's code; retry only if `retryable` |
//! | [`ErrorClass::Unauthorized`] | yes or no | no | fix the key, secret or token |
//! | [`ErrorClass::RateLimited`] | yes or no | no | wait, then send again |
//! | [`ErrorClass::InvalidAnswer`] | yes | no (a query) | query again; report the provider |
//! | [`ErrorClass::Unsupported`] | no | no | use another operation or provider |
//!
//! ```
//! use paysig::class::{Classify, ErrorClass};
//! # #[derive(Debug)] struct MyError;
//! # impl Classify for MyError { fn class(&self) -> ErrorClass { ErrorClass::OutcomeUnknown } }
//! let e = MyError;
//! if e.class().money_may_have_moved() {
//!     // query the provider by the merchant's order number before retrying or giving up
//! }
//! assert_eq!(e.class().label(), "outcome_unknown");
//! ```

/// What a failed call means for the money. See the [module docs](self) for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// Refused before sending: the request was invalid (an amount, a length, a missing
    /// field). Nothing left this process.
    InvalidRequest,
    /// Provably not sent: the connection could not be made. Sending it again cannot charge
    /// twice.
    NotSent,
    /// Sent or maybe sent, with no definite answer: a timeout, a dropped connection, a 5xx
    /// on a create or refund, an unreadable or unverifiable answer to a create or refund.
    /// The provider may have acted: resolve by query by the merchant's number.
    OutcomeUnknown,
    /// The provider answered with a definite refusal.
    Rejected {
        /// Whether the same request may succeed later (a system busy code), as opposed to a
        /// refusal that will be repeated (a bad parameter, an order already paid).
        retryable: bool,
    },
    /// A signature, token or key was refused (ours by the provider, or the provider's by us).
    Unauthorized,
    /// Rate limited, by the provider or by this SDK's own limiter.
    RateLimited,
    /// The answer to a query could not be read or verified. A query changes nothing, so no
    /// money moved because of it; query again.
    InvalidAnswer,
    /// The provider (or this SDK for it) does not offer the operation.
    Unsupported,
}

impl ErrorClass {
    /// A stable snake_case label, for logs, metrics labels and JSON.
    pub fn label(self) -> &'static str {
        match self {
            ErrorClass::InvalidRequest => "invalid_request",
            ErrorClass::NotSent => "not_sent",
            ErrorClass::OutcomeUnknown => "outcome_unknown",
            ErrorClass::Rejected { .. } => "rejected",
            ErrorClass::Unauthorized => "unauthorized",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::InvalidAnswer => "invalid_answer",
            ErrorClass::Unsupported => "unsupported",
        }
    }

    /// True only for [`ErrorClass::OutcomeUnknown`]: the provider may have acted, so the
    /// caller must resolve by query before retrying with the same number or giving up.
    pub fn money_may_have_moved(self) -> bool {
        matches!(self, ErrorClass::OutcomeUnknown)
    }

    /// True when the request provably never reached the provider.
    pub fn never_sent(self) -> bool {
        matches!(
            self,
            ErrorClass::InvalidRequest | ErrorClass::NotSent | ErrorClass::Unsupported
        )
    }

    /// True when sending the same request again may succeed without any other change.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorClass::NotSent
                | ErrorClass::RateLimited
                | ErrorClass::Rejected { retryable: true }
        )
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Whether a call may change money at the provider. Decides the class of a transport failure:
/// a 5xx is a definite "try again later" for a query but leaves a create's outcome unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Reads only (query, refund query, balance, token).
    Query,
    /// May move money or change an order (create, refund, close, reverse).
    Mutation,
}

/// An error that knows its [`ErrorClass`].
pub trait Classify {
    /// The class.
    fn class(&self) -> ErrorClass;

    /// The provider's own error code, when the provider answered one.
    fn provider_code(&self) -> Option<&str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unknown_outcome_may_have_moved_money() {
        let all = [
            ErrorClass::InvalidRequest,
            ErrorClass::NotSent,
            ErrorClass::OutcomeUnknown,
            ErrorClass::Rejected { retryable: true },
            ErrorClass::Rejected { retryable: false },
            ErrorClass::Unauthorized,
            ErrorClass::RateLimited,
            ErrorClass::InvalidAnswer,
            ErrorClass::Unsupported,
        ];
        let moved: Vec<_> = all.iter().filter(|c| c.money_may_have_moved()).collect();
        assert_eq!(moved, [&ErrorClass::OutcomeUnknown]);
        let labels: std::collections::BTreeSet<_> = all.iter().map(|c| c.label()).collect();
        assert_eq!(labels.len(), 8, "one label per class");
        assert!(!ErrorClass::OutcomeUnknown.never_sent());
        assert!(ErrorClass::NotSent.never_sent() && ErrorClass::NotSent.retryable());
        assert!(!ErrorClass::Rejected { retryable: false }.retryable());
    }
}
