//! Resolution of an unknown outcome through the facade: [`Resolution`] and
//! [`RefundResolution`] carry the unified [`Payment`] / [`Refund`].
//!
//! After [`crate::Hub::create_payment`] or [`crate::Hub::refund`] fails with
//! [`crate::ErrorClass::OutcomeUnknown`], call [`crate::Hub::resolve_payment`] /
//! [`crate::Hub::resolve_refund`] with the same merchant number. Each gateway delegates to its
//! provider crate's `resolve` (which reads that provider's codes and documented timing);
//! what "not found" allows is provider-specific:
//!
//! | provider | after "not found" | where rustdoc says so |
//! |---|---|---|
//! | Sunmi | create again under a **new** `orderId` (document silent; E19 has other causes) | `sunmi::resolve` |
//! | Pooul | close the old number, pay under a **new** one (pooul.md "关闭订单 Close") | `pooul::resolve` |
//! | BeeCloud | bill again under a **new** `bill_no` (document silent) | `beecloud::resolve` |
//! | Mifeng | create again under a **new** `out_order_no` (document silent) | `mifeng::resolve` |
//!
//! ```no_run
//! # async fn demo(hub: payhub::Hub) {
//! use payhub::{Provider, Resolution};
//! match hub.resolve_payment(Provider::Pooul, "T1001").await {
//!     Resolution::Paid(p) => println!("paid: {:?}", p.amount),
//!     Resolution::NotPaid(p) => println!("not paid: {}", p.status),
//!     Resolution::NotFound => println!("never created"),
//!     Resolution::StillUnknown { last_error, .. } => println!("ask again later: {last_error:?}"),
//!     _ => {}
//! }
//! # }
//! ```

use crate::payment::{Payment, Refund};
use crate::status::PaymentStatus;
pub use paysig::resolve::ResolvePolicy;
use paysig::resolve::Seen;

/// How a payment's unknown outcome resolved, with the unified [`Payment`] when the provider
/// answered one.
pub type Resolution = paysig::resolve::Resolution<Payment>;

/// How a refund's unknown outcome resolved, with the unified [`Refund`] when the provider
/// answered one.
pub type RefundResolution = paysig::resolve::RefundResolution<Refund>;

/// The policy of a gateway that does not name its own: a first query after 2 s, waits of at
/// most 2, 4, 8 s (full jitter), for a minute.
pub const DEFAULT_POLICY: ResolvePolicy = ResolvePolicy {
    first_delay: std::time::Duration::from_secs(2),
    interval: std::time::Duration::from_secs(2),
    max_interval: std::time::Duration::from_secs(8),
    deadline: std::time::Duration::from_secs(60),
    jitter: paysig::http::Jitter::Full,
    max_rounds: None,
};

/// What a unified status says, for the default resolution by query.
pub(crate) fn seen_payment(p: Payment) -> Seen<Payment> {
    match p.status {
        PaymentStatus::Succeeded | PaymentStatus::Refunding | PaymentStatus::Refunded(_) => {
            Seen::Paid(p)
        }
        PaymentStatus::Failed | PaymentStatus::Closed | PaymentStatus::Reversed => Seen::NotPaid(p),
        PaymentStatus::Pending | PaymentStatus::Paying => Seen::Pending(p),
    }
}

/// What a unified refund status says, for the default resolution by query.
pub(crate) fn seen_refund(r: Refund) -> Seen<Refund> {
    match r.status {
        PaymentStatus::Refunded(_) | PaymentStatus::Succeeded => Seen::Paid(r),
        PaymentStatus::Failed | PaymentStatus::Closed | PaymentStatus::Reversed => Seen::NotPaid(r),
        PaymentStatus::Pending | PaymentStatus::Paying | PaymentStatus::Refunding => {
            Seen::Pending(r)
        }
    }
}
