//! Metrics and tracing: what payhub records about each provider call and each notify, through
//! the [`metrics`](https://docs.rs/metrics) facade and [`tracing`](https://docs.rs/tracing)
//! spans. Nothing is exported unless you install a recorder (or a subscriber): with the
//! `prometheus` feature, `prometheus()` installs one and renders the Prometheus text, and
//! with `axum` too, `metrics_router` serves it at `GET /metrics`.
//!
//! # Metrics
//!
//! [`names`] lists every metric with its type, labels and meaning. In short:
//!
//! - `payhub_calls_total` / `payhub_call_duration_seconds`: each call through a
//!   [`Gateway`](crate::Gateway) (create, query, refund, query refund, close, resolve) by
//!   `provider`, `account`, `operation` and `class` (`ok`, or the error's
//!   [`ErrorClass`](crate::ErrorClass) label, e.g. `outcome_unknown`). Recorded by
//!   [`Instrumented`], which the [`Hub`](crate::Hub) puts around every gateway it is given.
//! - `payhub_notifies_total`: each notify by `outcome` (`verified`, `duplicate`, `refused`)
//!   and `reason` (the refusal code of [`refusal_code`], e.g. `verification_failed`),
//!   including what the axum router refuses before an account's pipeline runs (a path with
//!   an unknown provider or account: labelled `unknown`, never the path's text).
//! - Mifeng token refreshes and rate-limit waits, ledger sweeps and reconciliations: recorded
//!   by the `mifeng` and `payhub-ledger` crates under the names in [`names`].
//!
//! No label holds a secret or an unbounded value: never an order number, an amount, a URL or
//! a token. Account names come from your configuration (`"default"` until you name them).
//!
//! # Tracing
//!
//! Each gateway call runs in a span `payhub.call` with the fields `provider`, `account`,
//! `operation`, `order_no` (and `refund_no` for refunds), and `class` once it ended. Each
//! notify runs in a span `payhub.notify` with `provider`, `account`, `order_no` (recorded once
//! the notify is verified: an unverified body's order number is not trusted) and `outcome` /
//! `reason` once handled. No span or event of payhub holds a key, a secret or a token.
//!
//! ```no_run
//! # #[cfg(feature = "prometheus")]
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let metrics = payhub::observe::prometheus()?; // once, at start
//! let hub = payhub::Hub::from_path("payhub.toml")?;
//! // ... calls and notifies ...
//! println!("{}", metrics.render()); // what a Prometheus scrape reads
//! # Ok(()) }
//! ```

mod instrumented;
pub mod names;
#[cfg(feature = "prometheus")]
mod prometheus;

pub use instrumented::Instrumented;
#[cfg(all(feature = "prometheus", feature = "axum"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "prometheus", feature = "axum"))))]
pub use prometheus::metrics_router;
#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
pub use prometheus::{BuildError, PrometheusHandle, prometheus, prometheus_builder};

use crate::error::{Error, NotifyError};
use crate::notify::NotifyOutcome;
use crate::provider::Provider;
use std::future::Future;
use tracing::Instrument;
use tracing::field::Empty;

/// The account name of a gateway that was given none.
pub use crate::account::DEFAULT_ACCOUNT;

/// The reason code for a refused notify: fixed words, never a secret, an amount or the text
/// of your own systems' errors. It is the `reason` label of `payhub_notifies_total` and the
/// body the axum router answers (see [`crate::axum`] with the `axum` feature).
///
/// ```
/// use payhub::{Error, NotifyError, Provider};
/// let e = Error::Notify(NotifyError::BodyTooLarge { provider: Provider::Sunmi, len: 70_000, limit: 65_536 });
/// assert_eq!(payhub::observe::refusal_code(&e), "body_too_large");
/// ```
pub fn refusal_code(error: &Error) -> &'static str {
    match error {
        Error::Notify(NotifyError::BodyTooLarge { .. }) => "body_too_large",
        Error::Notify(NotifyError::Verification { .. }) => "verification_failed",
        Error::Notify(NotifyError::KeyExpired { .. }) => "key_expired",
        Error::Notify(NotifyError::WrongAccount { .. }) => "wrong_account",
        // One code for both: a sender must not learn which orders exist.
        Error::Notify(NotifyError::UnknownOrder { .. })
        | Error::Notify(NotifyError::AmountMismatch { .. }) => "order_mismatch",
        Error::Notify(NotifyError::InFlight { .. }) => "duplicate_in_flight",
        Error::Notify(NotifyError::NotConfirmed { .. }) => "not_confirmed",
        Error::Notify(NotifyError::Lookup(_)) => "lookup_failed",
        Error::Notify(NotifyError::Store(_)) => "dedup_store_failed",
        Error::Notify(NotifyError::Callback(_)) => "handler_failed",
        Error::NotConfigured(_) => "provider_not_configured",
        Error::UnknownAccount { .. } => "unknown_account",
        _ => "internal_error",
    }
}

/// Runs one notify's handling in its `payhub.notify` span and counts how it ended: the one
/// hook of [`crate::Hub::handle_notification`].
pub(crate) async fn notify(
    provider: Provider,
    account: &str,
    handling: impl Future<Output = Result<NotifyOutcome, Error>>,
) -> Result<NotifyOutcome, Error> {
    let span = notify_span(provider, account);
    let result = handling.instrument(span.clone()).await;
    let end = match &result {
        Ok(NotifyOutcome::New(_)) => NotifyEnd::Verified,
        Ok(NotifyOutcome::Duplicate { .. }) => NotifyEnd::Duplicate,
        Err(e) => NotifyEnd::Refused(e),
    };
    span.in_scope(|| count_notify(provider, account, end));
    result
}

/// The `payhub.notify` span of one notify (fields `provider`, `account`, and `order_no`,
/// `outcome`, `reason` recorded later), for a pipeline other than the hub's own, such as
/// payhub-ledger's transactional one.
pub fn notify_span(provider: Provider, account: &str) -> tracing::Span {
    tracing::info_span!(
        "payhub.notify",
        provider = provider.as_str(),
        account,
        order_no = Empty,
        outcome = Empty,
        reason = Empty,
    )
}

/// How one notify ended, for [`count_notify`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum NotifyEnd<'a> {
    /// Verified and handed on now.
    Verified,
    /// Verified, and processed before: acknowledged again.
    Duplicate,
    /// Refused; the `reason` label is [`refusal_code`] of the error.
    Refused(&'a Error),
    /// Not processed for a reason of the merchant's own side (a database error): `reason`
    /// `internal_error`.
    Failed,
}

/// Counts one notify in `payhub_notifies_total` and records `outcome` / `reason` in the
/// current `payhub.notify` span: what [`crate::Hub::handle_notification`] does, for a pipeline
/// of its own (payhub-ledger's `handle_notification_tx` calls it).
pub fn count_notify(provider: Provider, account: &str, end: NotifyEnd<'_>) {
    let (outcome, reason) = match end {
        NotifyEnd::Verified => (names::outcome::VERIFIED, names::outcome::NO_REASON),
        NotifyEnd::Duplicate => (names::outcome::DUPLICATE, names::outcome::NO_REASON),
        NotifyEnd::Refused(e) => (names::outcome::REFUSED, refusal_code(e)),
        NotifyEnd::Failed => (names::outcome::REFUSED, "internal_error"),
    };
    let span = tracing::Span::current();
    span.record("outcome", outcome);
    span.record("reason", reason);
    metrics::counter!(
        names::NOTIFIES,
        "provider" => provider.as_str(),
        "account" => account.to_owned(),
        "outcome" => outcome,
        "reason" => reason,
    )
    .increment(1);
}

/// Counts a notify refused before it reached an account's pipeline (the path named no
/// provider or account, the body could not be read, the handling task panicked). The labels
/// are fixed words or configured names: `provider` and `account` are `"unknown"` when the
/// path did not name a configured one, so a sender cannot mint label values.
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) fn count_unrouted(
    provider: Option<Provider>,
    account: Option<&str>,
    reason: &'static str,
) {
    metrics::counter!(
        names::NOTIFIES,
        "provider" => provider.map_or(UNKNOWN_LABEL, Provider::as_str),
        "account" => account.unwrap_or(UNKNOWN_LABEL).to_owned(),
        "outcome" => names::outcome::REFUSED,
        "reason" => reason,
    )
    .increment(1);
}

/// The label value for a provider or account the path named but the hub does not have.
const UNKNOWN_LABEL: &str = "unknown";

/// Records the verified notify's order number in the current `payhub.notify` span.
pub fn record_order_no(order_no: &str) {
    tracing::Span::current().record("order_no", order_no);
}
