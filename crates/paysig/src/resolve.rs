//! Resolving an unknown outcome by query: the one polling policy every provider crate uses,
//! and the answers a resolution can give (feature `http`).
//!
//! After a create or a refund ends in [`ErrorClass::OutcomeUnknown`], the only safe next step
//! is to ask the provider, by the merchant's own number, what it holds. [`ResolvePolicy`] says
//! when: a first delay (each provider document names one: Sunmi 10 s after 用户支付中, Pooul
//! 5 s after 系统错误), then waits that double from `interval` up to `max_interval`, drawn
//! with full jitter, and no query after the `deadline` (nor after `max_rounds`, when set).
//! [`poll`] drives any loop with it (on `backon`), and [`resolve`] is the loop every crate's
//! `resolve_payment` / `resolve_refund` runs: a definite answer stops it, a transient failure
//! ([`is_transient`]) asks again.
//!
//! [`poll`] is also the one loop for repeating a call a bounded number of times, e.g. Pooul's
//! micro-pay reverse ([`ResolvePolicy::with_max_rounds`]). Use it only for a call that is
//! idempotent by the merchant's number: never to repeat a create or a refund.
//!
//! ```
//! # async fn demo() {
//! use paysig::class::ErrorClass;
//! use paysig::resolve::{Resolution, ResolvePolicy, Seen, resolve};
//! use std::time::Duration;
//! # #[derive(Debug)] struct E;
//! # impl paysig::Classify for E { fn class(&self) -> ErrorClass { ErrorClass::InvalidAnswer } }
//! let policy = ResolvePolicy::new(Duration::ZERO, Duration::from_millis(1), Duration::from_millis(50));
//! let mut answers = vec![Err(E), Ok(Seen::Pending("created")), Ok(Seen::Paid("paid"))].into_iter();
//! let r = resolve(&policy, || { let a = answers.next().unwrap(); async move { a } }).await;
//! assert_eq!(r, Resolution::Paid("paid"));
//! # }
//! ```

use crate::class::{Classify, ErrorClass};
use crate::http::Jitter;
use backon::Retryable;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// When to query while resolving: a first delay, then waits under a doubling cap, until a
/// deadline or a number of rounds, whichever comes first. A value the caller may shorten
/// (tests do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvePolicy {
    /// Wait before the first query, counted from the call (not jittered: documents name a
    /// minimum).
    pub first_delay: Duration,
    /// The cap of the first wait between two queries; doubled after each query.
    pub interval: Duration,
    /// The largest cap between two queries.
    pub max_interval: Duration,
    /// No query starts later than this after the call (a query may start exactly at it).
    pub deadline: Duration,
    /// How each wait is drawn under its cap ([`Jitter::Full`] by default).
    pub jitter: Jitter,
    /// No more rounds than this (`None`: the deadline alone ends the loop). Set it with
    /// [`ResolvePolicy::with_max_rounds`].
    pub max_rounds: Option<NonZeroU32>,
}

impl ResolvePolicy {
    /// A policy with full jitter whose cap grows from `interval` to eight times it.
    ///
    /// ```
    /// use paysig::resolve::ResolvePolicy;
    /// use std::time::Duration;
    /// let p = ResolvePolicy::new(Duration::from_secs(5), Duration::from_secs(2), Duration::from_secs(60));
    /// assert_eq!(p.max_interval, Duration::from_secs(16));
    /// ```
    pub fn new(first_delay: Duration, interval: Duration, deadline: Duration) -> Self {
        ResolvePolicy {
            first_delay,
            interval,
            max_interval: interval.saturating_mul(8),
            deadline,
            jitter: Jitter::Full,
            max_rounds: None,
        }
    }

    /// Exactly every `interval` (no growth, no jitter): for flows whose document fixes the
    /// rhythm (Pooul's micro-pay "每10秒").
    pub fn fixed(first_delay: Duration, interval: Duration, deadline: Duration) -> Self {
        ResolvePolicy {
            first_delay,
            interval,
            max_interval: interval,
            deadline,
            jitter: Jitter::None,
            max_rounds: None,
        }
    }

    /// The same policy with another first delay.
    pub fn with_first_delay(mut self, first_delay: Duration) -> Self {
        self.first_delay = first_delay;
        self
    }

    /// The same policy with another deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The same policy, stopping after `rounds` rounds even before the deadline (the
    /// deadline still ends the loop sooner if it comes first). `0` is read as 1: [`poll`]
    /// always runs its first round. With a limit, a zero interval is allowed: the rounds then
    /// run back to back.
    ///
    /// For repeating a call that is idempotent by the merchant's number a fixed number of
    /// times, give a deadline of [`Duration::MAX`] (no deadline):
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use paysig::resolve::{ResolvePolicy, Step, poll};
    /// use std::time::Duration;
    /// let policy = ResolvePolicy::fixed(Duration::ZERO, Duration::from_millis(1), Duration::MAX)
    ///     .with_max_rounds(3);
    /// let mut sent = 0;
    /// let r = poll(&policy, || {
    ///     sent += 1;
    ///     let n = sent;
    ///     async move { Step::<(), _>::Again(n) }
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!((r.attempts, r.last), (3, Some(3)));
    /// # }
    /// ```
    pub fn with_max_rounds(mut self, rounds: u32) -> Self {
        self.max_rounds = Some(NonZeroU32::new(rounds).unwrap_or(NonZeroU32::MIN));
        self
    }

    /// The cap of the wait after query `n` (1-based): `interval` doubled per query, at most
    /// `max_interval`.
    pub fn cap(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1).min(31));
        self.interval
            .saturating_mul(factor)
            .min(self.max_interval.max(self.interval))
    }

    /// The waits between queries, in order, jitter applied (endless: the deadline ends a
    /// loop, see [`poll`]).
    ///
    /// ```
    /// use paysig::resolve::ResolvePolicy;
    /// use std::time::Duration;
    /// let mut p = ResolvePolicy::new(Duration::ZERO, Duration::from_millis(100), Duration::from_secs(1));
    /// p.max_interval = Duration::from_millis(300);
    /// let caps = [100, 200, 300, 300].map(Duration::from_millis);
    /// assert!(p.waits().zip(caps).all(|(w, cap)| w <= cap));
    /// ```
    pub fn waits(&self) -> impl Iterator<Item = Duration> + Send + Sync + Unpin + use<> {
        let policy = *self;
        (1u32..).map(move |n| {
            let cap = policy.cap(n);
            match policy.jitter {
                Jitter::Full => full_jitter(cap),
                Jitter::None => cap,
            }
        })
    }

    /// A zero interval makes every wait zero (with jitter too): without a round limit the
    /// loop would spin until the deadline.
    fn check(&self) -> Result<(), &'static str> {
        if self.interval.is_zero() && self.max_rounds.is_none() {
            return Err("interval");
        }
        Ok(())
    }
}

fn full_jitter(cap: Duration) -> Duration {
    let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(crate::random::up_to(nanos))
}

/// One round of a polling loop: finished, or ask again (with what was seen this time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T, S> {
    /// Stop with this.
    Done(T),
    /// Not yet; `S` is what this round saw (kept as the last one seen).
    Again(S),
}

/// A polling loop reached its deadline or its round limit without [`Step::Done`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exhausted<S> {
    /// What the last round saw (always `Some` from [`poll`], which runs at least one round).
    pub last: Option<S>,
    /// Rounds run.
    pub attempts: u32,
    /// Time since the call.
    pub waited: Duration,
}

/// Backoff that stops when the next round would start after the deadline; the wait is
/// counted from the start of the round that just ended, so a slow answer does not push the
/// rhythm back. The round limit is a `take` on `waits` (one wait per round after the first).
struct UntilDeadline<I> {
    waits: I,
    deadline: Instant,
    round_start: Arc<Mutex<Instant>>,
}

impl<I: Iterator<Item = Duration>> Iterator for UntilDeadline<I> {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        let wait = self.waits.next()?;
        let start = *self.round_start.lock().unwrap_or_else(|p| p.into_inner());
        // A wait too long to add to the clock is past any deadline.
        let at = start.checked_add(wait)?;
        if at > self.deadline {
            return None;
        }
        Some(at.saturating_duration_since(Instant::now()))
    }
}

/// Runs `round` after `policy.first_delay`, then again after each wait of the policy, until it
/// returns [`Step::Done`], or `policy.max_rounds` rounds have run, or the next round would
/// start after the deadline. At least one round always runs (at the deadline if the first
/// delay is longer). Driven by backon; time is tokio's, so a paused test clock drives it.
///
/// ```
/// # async fn demo() {
/// use paysig::resolve::{ResolvePolicy, Step, poll};
/// use std::time::Duration;
/// let policy = ResolvePolicy::fixed(Duration::ZERO, Duration::from_millis(1), Duration::from_millis(2));
/// let r = poll(&policy, || async { Step::<(), _>::Again("pending") }).await.unwrap_err();
/// assert_eq!(r.last, Some("pending"));
/// assert!(r.attempts >= 2);
/// # }
/// ```
pub async fn poll<T, S, F, Fut>(policy: &ResolvePolicy, mut round: F) -> Result<T, Exhausted<S>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Step<T, S>>,
{
    let start = Instant::now();
    let deadline = after(start, policy.deadline);
    let first = after(start, policy.first_delay).min(deadline);
    if policy.check().is_err() {
        // A zero interval without a round limit would spin: run once.
        tokio::time::sleep_until(first).await;
        return match round().await {
            Step::Done(t) => Ok(t),
            Step::Again(s) => Err(Exhausted {
                last: Some(s),
                attempts: 1,
                waited: start.elapsed(),
            }),
        };
    }
    tokio::time::sleep_until(first).await;
    let round_start = Arc::new(Mutex::new(Instant::now()));
    let more_rounds = policy.max_rounds.map_or(usize::MAX, |n| {
        usize::try_from(n.get() - 1).unwrap_or(usize::MAX)
    });
    let backoff = UntilDeadline {
        waits: policy.waits().take(more_rounds),
        deadline,
        round_start: Arc::clone(&round_start),
    };
    let mut attempts = 0u32;
    let outcome = (|| {
        attempts += 1;
        *round_start.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        let fut = round();
        async move {
            match fut.await {
                Step::Done(t) => Ok(t),
                Step::Again(s) => Err(s),
            }
        }
    })
    .retry(backoff)
    .sleep(tokio::time::sleep)
    .await;
    outcome.map_err(|s| Exhausted {
        last: Some(s),
        attempts,
        waited: start.elapsed(),
    })
}

/// `start + d`, with anything past 30 years read as 30 years (tokio's own "far future"), so
/// `Duration::MAX` is a valid "no deadline" instead of an overflow.
fn after(start: Instant, d: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);
    start + d.min(FAR_FUTURE)
}

/// Whether a failed query is worth repeating while resolving: it was not sent, its answer was
/// lost or unreadable, or the provider said "later". Anything else (unauthorized, a final
/// refusal, unsupported, an invalid request) is a definite answer that stops the loop.
pub fn is_transient(class: ErrorClass) -> bool {
    matches!(
        class,
        ErrorClass::NotSent
            | ErrorClass::OutcomeUnknown
            | ErrorClass::RateLimited
            | ErrorClass::InvalidAnswer
            | ErrorClass::Rejected { retryable: true }
    )
}

/// What one query said about an order (or a refund), as the provider crate reads its codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen<T> {
    /// Paid (a refund: refunded). Final.
    Paid(T),
    /// Exists in a final state without the money having moved (closed, failed, reversed).
    NotPaid(T),
    /// Exists and may still change (created, paying, refund processing): ask again.
    Pending(T),
    /// The provider says it has no such order: it was never created.
    NotFound,
}

/// How a payment's unknown outcome resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolution<T> {
    /// The provider holds the order as paid.
    Paid(T),
    /// The provider holds the order in a final state without payment (closed, failed,
    /// reversed, cancelled).
    NotPaid(T),
    /// The provider has no order under the number: the create never took effect. Whether the
    /// same number may be sent again is provider-specific (see each crate's `resolve`).
    NotFound,
    /// No definite answer by the deadline, or a query failed for good.
    StillUnknown {
        /// The last state a query reported (an order that exists but is still pending).
        last_seen: Option<T>,
        /// The class of the last failed query, if the last round failed.
        last_error: Option<ErrorClass>,
    },
}

impl<T> Resolution<T> {
    /// Maps the value carried.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Resolution<U> {
        match self {
            Resolution::Paid(t) => Resolution::Paid(f(t)),
            Resolution::NotPaid(t) => Resolution::NotPaid(f(t)),
            Resolution::NotFound => Resolution::NotFound,
            Resolution::StillUnknown {
                last_seen,
                last_error,
            } => Resolution::StillUnknown {
                last_seen: last_seen.map(f),
                last_error,
            },
        }
    }

    /// A stable snake_case label (`paid`, `not_paid`, `not_found`, `still_unknown`).
    pub fn label(&self) -> &'static str {
        match self {
            Resolution::Paid(_) => "paid",
            Resolution::NotPaid(_) => "not_paid",
            Resolution::NotFound => "not_found",
            Resolution::StillUnknown { .. } => "still_unknown",
        }
    }
}

/// How a refund's unknown outcome resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefundResolution<T> {
    /// The provider holds the refund as done: the money went back.
    Refunded(T),
    /// The provider holds the refund in a final state without the money going back (failed,
    /// closed).
    NotRefunded(T),
    /// The provider has no refund under the number: the refund never took effect.
    NotFound,
    /// No definite answer by the deadline, or a query failed for good.
    StillUnknown {
        /// The last state a query reported (a refund still processing).
        last_seen: Option<T>,
        /// The class of the last failed query, if the last round failed.
        last_error: Option<ErrorClass>,
    },
}

impl<T> RefundResolution<T> {
    /// Maps the value carried.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> RefundResolution<U> {
        Resolution::from(self).map(f).into()
    }

    /// A stable snake_case label (`refunded`, `not_refunded`, `not_found`, `still_unknown`).
    pub fn label(&self) -> &'static str {
        match self {
            RefundResolution::Refunded(_) => "refunded",
            RefundResolution::NotRefunded(_) => "not_refunded",
            RefundResolution::NotFound => "not_found",
            RefundResolution::StillUnknown { .. } => "still_unknown",
        }
    }
}

impl<T> From<Resolution<T>> for RefundResolution<T> {
    fn from(r: Resolution<T>) -> Self {
        match r {
            Resolution::Paid(t) => RefundResolution::Refunded(t),
            Resolution::NotPaid(t) => RefundResolution::NotRefunded(t),
            Resolution::NotFound => RefundResolution::NotFound,
            Resolution::StillUnknown {
                last_seen,
                last_error,
            } => RefundResolution::StillUnknown {
                last_seen,
                last_error,
            },
        }
    }
}

impl<T> From<RefundResolution<T>> for Resolution<T> {
    fn from(r: RefundResolution<T>) -> Self {
        match r {
            RefundResolution::Refunded(t) => Resolution::Paid(t),
            RefundResolution::NotRefunded(t) => Resolution::NotPaid(t),
            RefundResolution::NotFound => Resolution::NotFound,
            RefundResolution::StillUnknown {
                last_seen,
                last_error,
            } => Resolution::StillUnknown {
                last_seen,
                last_error,
            },
        }
    }
}

/// The resolution loop: runs `query` under `policy` until it reports [`Seen::Paid`],
/// [`Seen::NotPaid`] or [`Seen::NotFound`], or fails with a class that is not
/// [`is_transient`], or the deadline passes. A pending state or a transient failure asks
/// again.
pub async fn resolve<T, E, F, Fut>(policy: &ResolvePolicy, mut query: F) -> Resolution<T>
where
    E: Classify,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Seen<T>, E>>,
{
    // The last state seen survives a later failed round; a std Mutex keeps the future Send.
    let last_seen: Mutex<Option<T>> = Mutex::new(None);
    let out = poll(policy, || {
        let fut = query();
        let last_seen = &last_seen;
        async move {
            match fut.await {
                Ok(Seen::Paid(t)) => Step::Done(Resolution::Paid(t)),
                Ok(Seen::NotPaid(t)) => Step::Done(Resolution::NotPaid(t)),
                Ok(Seen::NotFound) => Step::Done(Resolution::NotFound),
                Ok(Seen::Pending(t)) => {
                    *last_seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(t);
                    Step::Again(None)
                }
                Err(e) if is_transient(e.class()) => Step::Again(Some(e.class())),
                Err(e) => Step::Done(Resolution::StillUnknown {
                    last_seen: None,
                    last_error: Some(e.class()),
                }),
            }
        }
    })
    .await;
    let seen = last_seen.into_inner().unwrap_or_else(|p| p.into_inner());
    match out {
        Ok(Resolution::StillUnknown { last_error, .. }) => Resolution::StillUnknown {
            last_seen: seen,
            last_error,
        },
        Ok(r) => r,
        Err(ex) => Resolution::StillUnknown {
            last_seen: seen,
            last_error: ex.last.flatten(),
        },
    }
}

#[cfg(test)]
mod tests;
