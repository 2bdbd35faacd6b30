//! The `common.micro` flow of the document's reminders 1 and 2.
//!
//! 1. Send the pay. `trade_state` 0: paid, done.
//! 2. `trade_state` 6 (paying) or 2 (not paid): query every `poll_interval` (10 s) until a
//!    final state or until `poll_deadline` (30 s) has passed since the pay was sent.
//!    A pay answered with "系统错误" (an [`Error::Api`] for which
//!    [`Error::is_system_error`] holds), or that ended without a usable answer (timeout,
//!    truncated body, 5xx, garbage), is treated the same way, the first query after
//!    `system_error_wait` (5 s).
//! 3. Still not final: reverse, never before `reverse_delay` (15 s) after the pay was sent,
//!    and repeat the reverse on error ("当撤销无返回或错误时，请再次调用"), up to
//!    `reverse_attempts` calls, each `reverse_retry_interval` after the previous one started.
//!
//! Both loops (the queries and the reverses) are [`paysig::resolve::poll`], the one polling
//! loop of the workspace. Repeating the reverse is safe because Pooul keys it by the
//! merchant's order number (`mch_trade_id`): a second reverse of the same order closes or
//! refunds nothing more. The pay itself is sent once, never repeated.
//!
//! Inference (the document does not say): a pay refused with a `code` ([`Error::Api`]) that
//! is not a system error, or a connection that was never made, is returned as an error
//! without querying: Pooul either refused the order or never saw it
//! ([`crate::MicroPayApiErrors::QueryAll`] queries every refusal instead). An answer that
//! cannot be trusted (bad signature, about another order, an unsigned "success") says
//! nothing about the order, so it is queried like a system error: reversing an order of
//! unknown outcome is the move that cannot lose money.
//! [`crate::UnknownPayOutcome::ReturnError`] returns these errors instead.

use crate::client::Client;
use crate::config::{MicroPayApiErrors, MicroPayTimings, UnknownPayOutcome};
use crate::error::Error;
use crate::model::Reply;
use crate::model::codes::TradeState;
use crate::model::pay::{PayData, PayRequest, PayType};
use crate::model::trade::TradeData;
use paysig::http::HttpError;
use paysig::resolve::{Exhausted, ResolvePolicy, Step};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How the flow ended; each variant is one path of the document's reminders.
// One value per micro-pay, returned once: boxing the answer would cost every caller a
// pattern change for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum MicroPayOutcome {
    /// The pay answered `trade_state` 0.
    PaidAtOnce(Reply<PayData>),
    /// The pay said paying (or gave no usable answer); a later query found it paid. A query
    /// that reports paid with a `total_fee` other than the request's is
    /// [`Error::ResponseMismatch`] instead.
    PaidAfterQuery {
        /// The query that saw `trade_state` 0.
        trade: Reply<TradeData>,
        /// Queries sent.
        queries: u32,
    },
    /// A final state without payment: 3 closed or 5 reversed. No money moved.
    NotPaid {
        /// The state seen.
        state: TradeState,
        /// Queries sent.
        queries: u32,
    },
    /// A state a fresh micro-pay should not reach (1 refund, 4 finished, 7 partially paid,
    /// 8 over-paid, or unknown): money may have moved. Check the order by hand.
    NeedsReview {
        /// The state seen.
        state: TradeState,
        /// Queries sent.
        queries: u32,
    },
    /// No final state by the deadline: the order was reversed (closed if unpaid, refunded
    /// to the payer if paid).
    Reversed {
        /// The last state a query reported, if any query answered.
        last_state: Option<TradeState>,
        /// Queries sent.
        queries: u32,
        /// Reverse calls sent (more than 1 when a reverse failed and was repeated).
        reverse_attempts: u32,
        /// The reverse's answer: Pooul's `msg`, and its undocumented `data` if it sent one.
        ack: Reply<Option<serde_json::Value>>,
    },
}

/// What a `trade_state` means for the flow.
enum Verdict {
    Paid,
    Pending,
    NotPaid,
    Review,
}

fn judge(state: TradeState) -> Verdict {
    match state {
        TradeState::Success => Verdict::Paid,
        TradeState::Paying | TradeState::NotPaid => Verdict::Pending,
        TradeState::Closed | TradeState::Reversed => Verdict::NotPaid,
        TradeState::Refund
        | TradeState::Finished
        | TradeState::PartiallyPaid
        | TradeState::OverPaid
        | TradeState::Unknown(_) => Verdict::Review,
    }
}

fn check_timings(t: &MicroPayTimings) -> Result<(), Error> {
    if t.poll_interval.is_zero() {
        return Err(Error::Validation {
            field: "micropay.poll_interval",
            reason: "must be longer than zero".into(),
        });
    }
    if t.reverse_attempts == 0 {
        return Err(Error::Validation {
            field: "micropay.reverse_attempts",
            reason: "at least one reverse must be allowed".into(),
        });
    }
    Ok(())
}

/// Whether a failed pay may still have charged the payer, so its outcome must be queried.
fn outcome_unknown(e: &Error, api_errors: MicroPayApiErrors) -> bool {
    match e {
        Error::Api { .. } => match api_errors {
            MicroPayApiErrors::QuerySystemErrors => e.is_system_error(),
            MicroPayApiErrors::QueryAll => true,
        },
        Error::Http {
            source: HttpError::Connect { .. },
            ..
        } => false,
        Error::Http {
            source:
                HttpError::Timeout { .. }
                | HttpError::Body { .. }
                | HttpError::Transport { .. }
                | HttpError::Status { .. },
            ..
        }
        | Error::Decode { .. }
        | Error::ResponseSignature { .. }
        | Error::Unsigned { .. }
        | Error::ResponseMismatch { .. } => true,
        Error::Http {
            source: HttpError::Build(_),
            ..
        }
        | Error::Validation { .. }
        | Error::Config { .. }
        | Error::Sign { .. }
        | Error::ReverseFailed { .. } => false,
    }
}

impl Client {
    /// 统一反扫支付 `common.micro` with the follow-up of reminders 1 and 2 (pooul.md
    /// "统一反扫支付 common.micro"): pay, query while paying, reverse if still unknown.
    /// Timings come from [`crate::Config::micropay`]; see the [`crate::micropay`] module.
    pub async fn micro_pay(&self, request: &PayRequest) -> Result<MicroPayOutcome, Error> {
        if !matches!(request.pay_type, PayType::Micro { .. }) {
            return Err(Error::Validation {
                field: "pay_type",
                reason: "micro_pay needs PayType::Micro (common.micro)".into(),
            });
        }
        let timings = self.config().micropay.clone();
        check_timings(&timings)?;
        let id = request.mch_trade_id.as_str();
        let sent_at = Instant::now();
        let (first_wait, last_state) = match self.pay(request).await {
            Ok(reply) => match reply.data.trade_state {
                // The samples always carry a state; without one the outcome is unknown.
                None => (timings.poll_interval, None),
                Some(state) => match judge(state) {
                    Verdict::Paid => return Ok(MicroPayOutcome::PaidAtOnce(reply)),
                    Verdict::Pending => (timings.poll_interval, Some(state)),
                    Verdict::NotPaid => {
                        return Ok(MicroPayOutcome::NotPaid { state, queries: 0 });
                    }
                    Verdict::Review => {
                        return Ok(MicroPayOutcome::NeedsReview { state, queries: 0 });
                    }
                },
            },
            Err(e)
                if outcome_unknown(&e, self.config().micropay_api_errors)
                    && self.config().micropay_unknown_outcome
                        == UnknownPayOutcome::QueryThenReverse =>
            {
                tracing::warn!(operation = "micro_pay", error = %e, "pay outcome unknown, querying");
                (timings.system_error_wait, None)
            }
            Err(e) => return Err(e),
        };

        // The document fixes the rhythm (every `poll_interval`, none after `poll_deadline`),
        // so the shared policy runs without growth or jitter; the clock started at the pay.
        let policy = ResolvePolicy::fixed(
            first_wait.saturating_sub(sent_at.elapsed()),
            timings.poll_interval,
            timings.poll_deadline.saturating_sub(sent_at.elapsed()),
        );
        let queries = AtomicU32::new(0);
        let seen = std::sync::Mutex::new(last_state);
        let polled = paysig::resolve::poll(&policy, || async {
            let n = queries.fetch_add(1, Ordering::Relaxed) + 1;
            match self.query(id).await {
                Ok(reply) => {
                    let state = reply.data.trade_state;
                    match judge(state) {
                        Verdict::Paid => {
                            if let Some(got) = reply.data.total_fee
                                && got != request.total_fee
                            {
                                return Step::Done(Err(Error::ResponseMismatch {
                                    operation: "query",
                                    field: "total_fee",
                                    expected: request.total_fee.to_fen_string(),
                                    got: got.to_fen_string(),
                                }));
                            }
                            Step::Done(Ok(MicroPayOutcome::PaidAfterQuery {
                                trade: reply,
                                queries: n,
                            }))
                        }
                        Verdict::Pending => {
                            *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(state);
                            Step::Again(())
                        }
                        Verdict::NotPaid => {
                            Step::Done(Ok(MicroPayOutcome::NotPaid { state, queries: n }))
                        }
                        Verdict::Review => {
                            Step::Done(Ok(MicroPayOutcome::NeedsReview { state, queries: n }))
                        }
                    }
                }
                // A failed query tells nothing: keep asking until the deadline, then reverse,
                // which is safe whatever the real state is.
                Err(e) => {
                    tracing::warn!(operation = "micro_pay", error = %e, "query failed");
                    Step::Again(())
                }
            }
        })
        .await;
        if let Ok(done) = polled {
            return done;
        }
        // (A first wait beyond the deadline still ran one query above; the document's flow
        // always asks once before reversing.)
        let queries = queries.into_inner();
        let last_state = seen.into_inner().unwrap_or_else(|p| p.into_inner());
        self.reverse_with_retry(id, sent_at, &timings, last_state, queries)
            .await
    }

    /// Reminder 2: reverse, not before `reverse_delay` after the pay was `sent_at`, and again
    /// on error up to `reverse_attempts` calls. Relies on the reverse being idempotent by
    /// `mch_trade_id` (see the module docs); each call carries a fresh `nonce_str`.
    async fn reverse_with_retry(
        &self,
        id: &str,
        sent_at: Instant,
        timings: &MicroPayTimings,
        last_state: Option<TradeState>,
        queries: u32,
    ) -> Result<MicroPayOutcome, Error> {
        // No deadline: the document bounds the repeats by nothing but our attempt count.
        let policy = ResolvePolicy::fixed(
            timings
                .reverse_delay
                .duration()
                .saturating_sub(sent_at.elapsed()),
            timings.reverse_retry_interval,
            Duration::MAX,
        )
        .with_max_rounds(timings.reverse_attempts);
        let attempts = AtomicU32::new(0);
        let reversed = paysig::resolve::poll(&policy, || async {
            let n = attempts.fetch_add(1, Ordering::Relaxed) + 1;
            match self.reverse(id).await {
                Ok(ack) => Step::Done(ack),
                Err(e) => {
                    if n < timings.reverse_attempts {
                        tracing::warn!(operation = "micro_pay", error = %e, "reverse failed, repeating");
                    }
                    Step::Again(e)
                }
            }
        })
        .await;
        match reversed {
            Ok(ack) => Ok(MicroPayOutcome::Reversed {
                last_state,
                queries,
                reverse_attempts: attempts.into_inner(),
                ack,
            }),
            Err(Exhausted {
                last: Some(last),
                attempts,
                ..
            }) => Err(Error::ReverseFailed {
                mch_trade_id: id.to_owned(),
                attempts,
                last: Box::new(last),
            }),
            // `poll` always runs a round, so an exhausted loop always carries its last error.
            Err(Exhausted { last: None, .. }) => Err(Error::Validation {
                field: "micropay.reverse_attempts",
                reason: "no reverse was sent".into(),
            }),
        }
    }
}
