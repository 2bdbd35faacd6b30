//! The notify inbox and the one processing path notifies and sweeps share: store first, then
//! in ONE transaction mark the inbox row processed, move the payment and run the merchant's
//! callback. A second delivery of the same de-duplication key finds the row processed.

use crate::db::now_ms;
use crate::dedup_key::{account_of, provider_of};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::state::{Observed, PaymentState, RefundState, Source};
use async_trait::async_trait;
use futures::FutureExt;
use payhub::notify::{ClaimState, ClaimToken, DedupStore};
use payhub::{BoxError, NotificationKind, OrderLookup, OrderRecord, PaymentStatus, Provider};
use paysig::Money;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// What the merchant's callback receives, once per de-duplication key, inside the ledger's
/// transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LedgerEvent {
    /// Who.
    pub provider: Provider,
    /// The merchant account.
    pub account: String,
    /// Payment or refund.
    pub kind: NotificationKind,
    /// The merchant's order number.
    pub order_no: String,
    /// What the provider said.
    pub status: PaymentStatus,
    /// The amount the provider named (the payment's, or the refund's).
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub amount: Money,
    /// The provider's number of the payment.
    pub provider_trade_no: Option<String>,
    /// Where it came from: a notify, or the sweeper's query.
    pub source: Source,
    /// The key delivered once ([`payhub::Notification::dedup_key`]).
    pub dedup_key: String,
    /// The payment's state in the ledger after this event. Ship goods only on
    /// [`PaymentState::Paid`]: a conflicting event gives [`PaymentState::NeedsReview`].
    pub state: PaymentState,
}

/// The merchant's side effect, run inside the ledger's transaction: write to your own tables
/// through `tx` (the same database), and your write commits with the ledger's, or neither
/// does. Returning an error (or panicking) rolls both back and leaves the notify unprocessed.
///
/// ```no_run
/// use payhub_ledger::{AnyConnection, EventHandler, LedgerEvent, PaymentState};
///
/// struct Shop;
///
/// #[async_trait::async_trait]
/// impl EventHandler for Shop {
///     async fn on_event(
///         &self,
///         tx: &mut AnyConnection,
///         e: &LedgerEvent,
///     ) -> Result<(), payhub::BoxError> {
///         if e.state == PaymentState::Paid {
///             sqlx::query("UPDATE orders SET paid = 1 WHERE order_no = $1")
///                 .bind(&e.order_no)
///                 .execute(&mut *tx)
///                 .await?;
///         }
///         Ok(())
///     }
/// }
///
/// # async fn demo(ledger: payhub_ledger::LedgerHub, headers: http::HeaderMap, body: Vec<u8>) -> Result<(), payhub_ledger::LedgerError> {
/// // In the notify endpoint: answer `ack` on Ok, an error status on Err (the provider retries).
/// let receipt = ledger
///     .handle_notification_tx(payhub::Provider::Pooul, &headers, &body, &Shop)
///     .await?;
/// # let _ = receipt.ack; Ok(()) }
/// ```
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// Handles one event.
    async fn on_event(&self, tx: &mut AnyConnection, event: &LedgerEvent) -> Result<(), BoxError>;
}

/// A handler with no side effect (the ledger's own records only).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordOnly;

#[async_trait]
impl EventHandler for RecordOnly {
    async fn on_event(&self, _: &mut AnyConnection, _: &LedgerEvent) -> Result<(), BoxError> {
        Ok(())
    }
}

/// What processing an observation did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Processed {
    /// New: delivered to the callback, committed with it.
    Delivered(LedgerEvent),
    /// Processed before (by a notify, a sweep, another process), or a payment observation
    /// that changes nothing the ledger holds (a "paid" notify arriving after a query already
    /// found the payment refunded): not delivered again.
    Duplicate,
}

/// One thing learned about a payment or refund, from a verified notify or a query.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    pub provider: Provider,
    pub kind: NotificationKind,
    pub order_no: String,
    pub status: PaymentStatus,
    pub amount: Option<Money>,
    pub provider_trade_no: Option<String>,
    pub provider_refund_no: Option<String>,
    pub dedup_key: String,
    pub source: Source,
    pub evidence: Value,
}

/// A row of the inbox about to be stored.
pub(crate) struct Incoming<'a> {
    pub provider: Provider,
    pub source: Source,
    pub raw_body: &'a [u8],
    pub headers: Value,
    pub verification: String,
    pub dedup_key: Option<&'a str>,
}

impl Ledger {
    /// Stores what was received before anything is done with it. A notify that verified is
    /// stored once per de-duplication key (later receipts are counted); one that did not is
    /// stored as received, with the reason, and never processed.
    pub(crate) async fn store_incoming(&self, row: Incoming<'_>) -> Result<(), LedgerError> {
        let sql = if row.dedup_key.is_some() {
            "INSERT INTO notify_inbox (provider, account, source, raw_body, headers, \
             received_ms, verification, dedup_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (account, dedup_key) DO UPDATE SET receipts = notify_inbox.receipts + 1"
        } else {
            "INSERT INTO notify_inbox (provider, account, source, raw_body, headers, \
             received_ms, verification, dedup_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        };
        sqlx::query(sql)
            .bind(row.provider.as_str())
            .bind(&self.account)
            .bind(row.source.as_str())
            .bind(row.raw_body.to_vec())
            .bind(row.headers.to_string())
            .bind(now_ms())
            .bind(row.verification)
            .bind(row.dedup_key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mark_error(&self, key: &str, error: &str) {
        let r = sqlx::query(
            "UPDATE notify_inbox SET last_error = $1 WHERE account = $2 AND dedup_key = $3",
        )
        .bind(error)
        .bind(&self.account)
        .bind(key)
        .execute(&self.pool)
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, key, "could not record a notify's error in the inbox");
        }
    }

    /// Processes an observation already in the inbox: in one transaction, claim the inbox
    /// row (processed mark), apply the transition, run `handler`; commit all or nothing.
    pub(crate) async fn process(
        &self,
        obs: &Observation,
        handler: &dyn EventHandler,
    ) -> Result<Processed, LedgerError> {
        let result = self.process_tx(obs, handler).await;
        if let Err(e) = &result {
            self.mark_error(&obs.dedup_key, &e.to_string()).await;
        }
        result
    }

    async fn process_tx(
        &self,
        obs: &Observation,
        handler: &dyn EventHandler,
    ) -> Result<Processed, LedgerError> {
        let mut tx = self.pool.begin().await?;
        // The first statement is a write: on PostgreSQL a concurrent transaction with the
        // same key waits on this row and then finds it processed; on SQLite it takes the
        // write lock.
        let claimed = sqlx::query(
            "UPDATE notify_inbox SET processed_ms = $1, last_error = NULL \
             WHERE account = $2 AND dedup_key = $3 AND processed_ms IS NULL",
        )
        .bind(now_ms())
        .bind(&self.account)
        .bind(&obs.dedup_key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            tx.rollback().await?;
            return Ok(Processed::Duplicate);
        }
        let payment = self
            .payment_in(&mut tx, obs.provider, &obs.order_no, true)
            .await?
            .ok_or_else(|| LedgerError::UnknownOrder {
                provider: obs.provider,
                order_no: obs.order_no.clone(),
            })?;
        let state = match &obs.kind {
            NotificationKind::Payment => {
                self.observe(
                    &mut tx,
                    &payment,
                    Observed::from_status(obs.status),
                    obs.amount,
                    obs.provider_trade_no.as_deref(),
                    obs.source,
                    &obs.evidence,
                )
                .await?
            }
            NotificationKind::Refund { refund_no } => {
                self.observe_refund(&mut tx, &payment, obs, refund_no.as_deref())
                    .await?
            }
            // A kind this ledger version does not know moves nothing and delivers nothing:
            // the inbox keeps the error for a later version (or a person) to look at.
            other => {
                tx.rollback().await?;
                return Err(LedgerError::Corrupt(format!(
                    "a notification kind this ledger does not handle: {other:?}"
                )));
            }
        };
        // Dedup keys name the provider's status, so one payment can be observed under
        // several keys (a query's "refunded" before the late "succeeded" notify). What the
        // merchant acts on is the ledger's state: a payment observation that leaves it where
        // it was is recorded (inbox processed, evidence kept) but not delivered again.
        if matches!(obs.kind, NotificationKind::Payment) && state == payment.state {
            tx.commit().await?;
            return Ok(Processed::Duplicate);
        }
        let event = LedgerEvent {
            provider: obs.provider,
            account: self.account.clone(),
            kind: obs.kind.clone(),
            order_no: obs.order_no.clone(),
            status: obs.status,
            amount: obs.amount.unwrap_or(payment.amount),
            provider_trade_no: obs
                .provider_trade_no
                .clone()
                .or(payment.provider_trade_no.clone()),
            source: obs.source,
            dedup_key: obs.dedup_key.clone(),
            state,
        };
        let outcome = AssertUnwindSafe(handler.on_event(&mut tx, &event))
            .catch_unwind()
            .await;
        match outcome {
            Ok(Ok(())) => {
                tx.commit().await?;
                Ok(Processed::Delivered(event))
            }
            Ok(Err(e)) => {
                tx.rollback().await?;
                Err(LedgerError::Callback(e))
            }
            Err(panic) => {
                // Dropping the transaction rolls it back; say so explicitly.
                tx.rollback().await?;
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_owned());
                Err(LedgerError::Callback(
                    format!("the callback panicked: {what}").into(),
                ))
            }
        }
    }

    /// A refund notify: finds the refund (by the merchant's number, else by the provider's
    /// number or the amount among the payment's open refunds) and settles it; a refund the
    /// ledger never sent is refused (it did not go through the ledger: look at it).
    async fn observe_refund(
        &self,
        conn: &mut AnyConnection,
        payment: &crate::ledger::PaymentRecord,
        obs: &Observation,
        refund_no: Option<&str>,
    ) -> Result<PaymentState, LedgerError> {
        let rows = sqlx::query(
            "SELECT provider, order_no, refund_no, amount_fen, state, provider_refund_no \
             FROM refunds WHERE provider = $1 AND account = $2 AND order_no = $3 ORDER BY id",
        )
        .bind(obs.provider.as_str())
        .bind(&self.account)
        .bind(&obs.order_no)
        .fetch_all(&mut *conn)
        .await?;
        let refunds = rows
            .iter()
            .map(crate::ledger::refund_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let found = refunds.iter().find(|r| match refund_no {
            Some(no) => r.refund_no == no,
            None => {
                (obs.provider_refund_no.is_some() && r.provider_refund_no == obs.provider_refund_no)
                    || (Some(r.amount) == obs.amount
                        && !matches!(r.state, RefundState::Refunded | RefundState::Failed))
            }
        });
        let Some(refund) = found else {
            return Err(LedgerError::UnknownRefund {
                provider: obs.provider,
                order_no: obs.order_no.clone(),
                refund_no: refund_no.unwrap_or("").to_owned(),
            });
        };
        let to = match obs.status {
            PaymentStatus::Refunded(_) => RefundState::Refunded,
            PaymentStatus::Failed | PaymentStatus::Closed => RefundState::Failed,
            _ => RefundState::Pending,
        };
        self.settle_refund(
            conn,
            payment,
            &refund.refund_no,
            to,
            obs.provider_refund_no.as_deref(),
            obs.source,
            &obs.evidence,
        )
        .await
    }

    /// Moves a refund to `to` (if allowed), frees its reservation when it failed, and moves
    /// the payment to partially refunded / refunded when it succeeded.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn settle_refund(
        &self,
        conn: &mut AnyConnection,
        payment: &crate::ledger::PaymentRecord,
        refund_no: &str,
        to: RefundState,
        provider_refund_no: Option<&str>,
        source: Source,
        evidence: &Value,
    ) -> Result<PaymentState, LedgerError> {
        let row = sqlx::query(
            "SELECT state, amount_fen FROM refunds WHERE provider = $1 AND account = $2 \
             AND refund_no = $3",
        )
        .bind(payment.provider.as_str())
        .bind(&self.account)
        .bind(refund_no)
        .fetch_one(&mut *conn)
        .await?;
        let from: String = row.try_get("state")?;
        let from: RefundState = from
            .parse()
            .map_err(|e: crate::state::UnknownState| LedgerError::Corrupt(e.to_string()))?;
        let amount: i64 = row.try_get("amount_fen")?;
        if from == to || !from.can_become(to) {
            // Agrees with a settled refund, or would regress it: nothing is overwritten.
            return Ok(payment.state);
        }
        sqlx::query(
            "UPDATE refunds SET state = $1, updated_ms = $2, \
             provider_refund_no = COALESCE(provider_refund_no, $3) \
             WHERE provider = $4 AND account = $5 AND refund_no = $6 AND state = $7",
        )
        .bind(to.as_str())
        .bind(now_ms())
        .bind(provider_refund_no)
        .bind(payment.provider.as_str())
        .bind(&self.account)
        .bind(refund_no)
        .bind(from.as_str())
        .execute(&mut *conn)
        .await?;
        self.log(
            conn,
            payment,
            Some(refund_no),
            Some(from.as_str()),
            to.as_str(),
            source,
            evidence,
        )
        .await?;
        match to {
            RefundState::Failed => {
                sqlx::query(
                    "UPDATE payments SET refund_reserved_fen = refund_reserved_fen - $1 \
                     WHERE id = $2",
                )
                .bind(amount)
                .bind(payment.id)
                .execute(&mut *conn)
                .await?;
                Ok(payment.state)
            }
            RefundState::Refunded => {
                let done: i64 = sqlx::query(
                    "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS done FROM refunds \
                     WHERE provider = $1 AND account = $2 AND order_no = $3 AND state = $4",
                )
                .bind(payment.provider.as_str())
                .bind(&self.account)
                .bind(&payment.order_no)
                .bind(RefundState::Refunded.as_str())
                .fetch_one(&mut *conn)
                .await?
                .try_get("done")?;
                let target = if u64::try_from(done).ok() == Some(payment.amount.fen()) {
                    PaymentState::Refunded
                } else {
                    PaymentState::PartiallyRefunded
                };
                if payment.state.is_paid() && payment.state != PaymentState::Refunded {
                    self.move_payment(conn, payment, target, source, evidence, None, None)
                        .await?;
                    Ok(target)
                } else {
                    Ok(payment.state)
                }
            }
            _ => Ok(payment.state),
        }
    }
}

/// The ledger's payments are the orders the hub checks notifies against.
#[async_trait]
impl OrderLookup for Ledger {
    async fn find_order(
        &self,
        provider: Provider,
        order_no: &str,
    ) -> Result<Option<OrderRecord>, BoxError> {
        Ok(self
            .payment(provider, order_no)
            .await?
            .map(|p| OrderRecord { amount: p.amount }))
    }

    /// The order of `account`: this ledger's rows when it is this ledger's account, else the
    /// same database's rows of that account.
    async fn find_order_in(
        &self,
        provider: Provider,
        account: &str,
        order_no: &str,
    ) -> Result<Option<OrderRecord>, BoxError> {
        let ledger = if account == self.account {
            self.clone()
        } else {
            self.for_account(account)
        };
        Ok(ledger
            .payment(provider, order_no)
            .await?
            .map(|p| OrderRecord { amount: p.amount }))
    }
}

/// The inbox as the hub's de-duplication store ([`payhub::Hub::handle_notification_with`]
/// with `HubBuilder::dedup(Arc::new(ledger))`): claims and done-marks live in the database,
/// shared by every process on it, and share keys with [`crate::LedgerHub::handle_notification_tx`].
#[async_trait]
impl DedupStore for Ledger {
    async fn claim(&self, key: &str, processing: Duration) -> Result<ClaimState, BoxError> {
        let token = ClaimToken::new();
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(processing.as_millis()).unwrap_or(i64::MAX));
        let inserted = sqlx::query(
            "INSERT INTO notify_inbox (provider, account, source, raw_body, headers, \
             received_ms, verification, dedup_key, claim_token, claim_until_ms) \
             VALUES ($1, $2, 'notify', $3, '{}', $4, 'verified by the hub', $5, $6, $7) \
             ON CONFLICT (account, dedup_key) DO NOTHING",
        )
        .bind(provider_of(key))
        .bind(account_of(key).unwrap_or(&self.account))
        .bind(Vec::<u8>::new())
        .bind(now)
        .bind(key)
        .bind(token.as_str())
        .bind(until)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(ClaimState::Claimed(token));
        }
        let taken = sqlx::query(
            "UPDATE notify_inbox SET claim_token = $1, claim_until_ms = $2 \
             WHERE account = $3 AND dedup_key = $4 AND processed_ms IS NULL \
             AND (claim_until_ms IS NULL OR claim_until_ms < $5)",
        )
        .bind(token.as_str())
        .bind(until)
        .bind(&self.account)
        .bind(key)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if taken == 1 {
            return Ok(ClaimState::Claimed(token));
        }
        if self.is_done(key).await? {
            Ok(ClaimState::Done)
        } else {
            Ok(ClaimState::InFlight)
        }
    }

    async fn complete(
        &self,
        key: &str,
        token: &ClaimToken,
        _done: Duration,
    ) -> Result<bool, BoxError> {
        // Done-marks are kept for good (the inbox is the record), not for a TTL.
        let row = sqlx::query(
            "UPDATE notify_inbox SET processed_ms = COALESCE(processed_ms, $1), \
             claim_until_ms = NULL WHERE account = $2 AND dedup_key = $3 \
             RETURNING claim_token",
        )
        .bind(now_ms())
        .bind(&self.account)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let holder: Option<String> = match row {
            Some(r) => r.try_get("claim_token")?,
            None => None,
        };
        Ok(holder.as_deref() == Some(token.as_str()))
    }

    async fn release(&self, key: &str, token: &ClaimToken) -> Result<(), BoxError> {
        sqlx::query(
            "UPDATE notify_inbox SET claim_token = NULL, claim_until_ms = NULL \
             WHERE account = $1 AND dedup_key = $2 AND claim_token = $3 \
             AND processed_ms IS NULL",
        )
        .bind(&self.account)
        .bind(key)
        .bind(token.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn is_done(&self, key: &str) -> Result<bool, BoxError> {
        let row = sqlx::query(
            "SELECT processed_ms FROM notify_inbox WHERE account = $1 AND dedup_key = $2",
        )
        .bind(&self.account)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>, _>("processed_ms")?.is_some(),
            None => false,
        })
    }
}

/// The evidence a verified notify leaves in the transition log.
pub(crate) fn notify_evidence(n: &payhub::Notification) -> Value {
    json!({
        "status": n.status.label(),
        "amount_fen": n.amount.fen(),
        "provider_trade_no": n.provider_trade_no,
        "provider_refund_no": n.provider_refund_no,
        "dedup_key": n.dedup_key(),
        "raw": n.raw,
    })
}
