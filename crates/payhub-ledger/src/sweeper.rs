//! [`Sweeper`]: finds payments whose notify did not come and asks the provider, within its
//! rate limit; resolves `unknown`; closes or expires unpaid payments past their expiry.
//! What it learns goes through the same inbox and transaction as notifies, so a payment is
//! delivered to the merchant once whether the notify or the sweeper saw it first.

use crate::db::{Backend, now_ms};
use crate::error::LedgerError;
use crate::hub::LedgerHub;
use crate::inbox::{EventHandler, Processed};
use crate::ledger::{PaymentRecord, payment_from_row};
use crate::state::{Observed, PaymentState, Source};
use futures::StreamExt;
use payhub::{PaymentQuery, PaymentStatus, Provider};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How the sweeper works.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SweepConfig {
    /// How long a payment stays pending (since its creation) before it is queried, per
    /// provider; others use `default_pending_after`.
    pub pending_after: BTreeMap<Provider, Duration>,
    /// The delay for providers not in `pending_after`.
    pub default_pending_after: Duration,
    /// Queries per second per provider, in this process. Mifeng's client also applies its
    /// own limiter (20 calls/s per merchant, shared across processes with its Redis limiter).
    pub queries_per_second: BTreeMap<Provider, u32>,
    /// The rate for providers not in `queries_per_second`.
    pub default_queries_per_second: u32,
    /// Queries in flight at once per provider.
    pub concurrency: usize,
    /// Rows claimed at once.
    pub batch: usize,
    /// How long a claim keeps other sweepers off a row (a dead sweeper's rows come back).
    pub claim_for: Duration,
    /// The earliest an unpaid payment may be closed after its creation, per provider
    /// (Pooul: 5 minutes, pooul.md).
    pub min_close_age: BTreeMap<Provider, Duration>,
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            pending_after: BTreeMap::from([
                // Sunmi: query no sooner than 10 s after 用户支付中 (sunmi.txt).
                (Provider::Sunmi, Duration::from_secs(60)),
                (Provider::Pooul, Duration::from_secs(60)),
                (Provider::BeeCloud, Duration::from_secs(60)),
                (Provider::Mifeng, Duration::from_secs(60)),
            ]),
            default_pending_after: Duration::from_secs(60),
            // mifeng.md: 20 calls/s for everything; the others publish no limit.
            queries_per_second: BTreeMap::from([(Provider::Mifeng, 20)]),
            default_queries_per_second: 50,
            concurrency: 8,
            batch: 500,
            claim_for: Duration::from_secs(120),
            min_close_age: BTreeMap::from([(Provider::Pooul, Duration::from_secs(300))]),
        }
    }
}

impl SweepConfig {
    /// Query every pending payment at once, whatever its age (tests, the demo, `payhub sweep
    /// --now`).
    pub fn immediate(mut self) -> Self {
        self.pending_after.clear();
        self.default_pending_after = Duration::ZERO;
        self
    }

    /// Sets the query rate of every provider (Mifeng's own limiter still applies).
    pub fn queries_per_second(mut self, per_second: u32) -> Self {
        self.queries_per_second.clear();
        self.default_queries_per_second = per_second.max(1);
        self
    }

    /// Sets how many queries run at once per provider.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SweepReport {
    /// Rows this sweeper claimed.
    pub claimed: u64,
    /// Queries sent to providers.
    pub queries: u64,
    /// Closes sent to providers.
    pub closes: u64,
    /// Events delivered to the merchant's callback (paid, failed, closed...).
    pub delivered: u64,
    /// Events another path (a notify, another sweeper) had delivered first.
    pub duplicates: u64,
    /// Payments moved without an event (unknown -> pending, expired locally).
    pub moved: u64,
    /// Still pending at the provider.
    pub still_pending: u64,
    /// Failures (each retried on the next sweep), one line each.
    pub errors: Vec<String>,
}

impl SweepReport {
    fn add(&mut self, other: SweepReport) {
        self.claimed += other.claimed;
        self.queries += other.queries;
        self.closes += other.closes;
        self.delivered += other.delivered;
        self.duplicates += other.duplicates;
        self.moved += other.moved;
        self.still_pending += other.still_pending;
        self.errors.extend(other.errors);
    }
}

/// The sweeper. Several may run, in several processes: a claimed row is swept by one.
///
/// ```no_run
/// # async fn demo(ledger: payhub_ledger::LedgerHub) {
/// use payhub_ledger::{RecordOnly, SweepConfig, Sweeper};
/// let sweeper = Sweeper::new(ledger, std::sync::Arc::new(RecordOnly), SweepConfig::default());
/// let report = sweeper.run_once().await;
/// println!("{} delivered by the sweeper", report.delivered);
/// # }
/// ```
#[derive(Clone)]
pub struct Sweeper {
    hub: LedgerHub,
    handler: Arc<dyn EventHandler>,
    config: SweepConfig,
}

impl std::fmt::Debug for Sweeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweeper")
            .field("hub", &self.hub)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Spaces calls evenly: one slot every `1 s / rate`.
struct Pacer {
    spacing: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl Pacer {
    fn new(per_second: u32) -> Pacer {
        Pacer {
            spacing: Duration::from_secs(1) / per_second.max(1),
            next: tokio::sync::Mutex::new(Instant::now()),
        }
    }

    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let at = (*next).max(Instant::now());
            *next = at + self.spacing;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}

impl Sweeper {
    /// A sweeper delivering to `handler` (the same handler the notify path uses).
    pub fn new(hub: LedgerHub, handler: Arc<dyn EventHandler>, config: SweepConfig) -> Sweeper {
        Sweeper {
            hub,
            handler,
            config,
        }
    }

    /// Sweeps every provider of the hub once: each payment due is claimed, queried and
    /// settled once in this run.
    pub async fn run_once(&self) -> SweepReport {
        let mut report = SweepReport::default();
        // The providers where the ledger's account exists: a sweeper sweeps one account.
        let account = self.hub.ledger().account();
        let providers = self
            .hub
            .hub()
            .accounts()
            .into_iter()
            .filter(|(_, name)| name == account)
            .map(|(p, _)| p);
        for provider in providers {
            let swept = self.sweep_provider(provider).await;
            count_sweep(provider, account, &swept);
            report.add(swept);
        }
        report
    }

    /// Sweeps every `period` until `stop` completes.
    pub async fn run_every(&self, period: Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let report = self.run_once().await;
            if report.claimed > 0 {
                tracing::info!(?report, "sweep");
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(period) => {}
            }
        }
    }

    async fn sweep_provider(&self, provider: Provider) -> SweepReport {
        let mut report = SweepReport::default();
        let rate = self
            .config
            .queries_per_second
            .get(&provider)
            .copied()
            .unwrap_or(self.config.default_queries_per_second);
        let pacer = Pacer::new(rate);
        let mut cursor = 0i64;
        loop {
            let claimed = match self.claim(provider, cursor).await {
                Ok((token, rows)) => (token, rows),
                Err(e) => {
                    report.errors.push(format!("{provider}: claim: {e}"));
                    return report;
                }
            };
            let (token, rows) = claimed;
            let Some(last) = rows.last() else {
                return report;
            };
            cursor = last.id;
            report.claimed += rows.len() as u64;
            let queries = AtomicU64::new(0);
            let closes = AtomicU64::new(0);
            let (pacer, queries, closes, token) = (&pacer, &queries, &closes, &token);
            let work: Vec<_> = rows
                .into_iter()
                .map(|p| async move {
                    let r = self.sweep_one(&p, pacer, queries, closes).await;
                    self.release(p.id, token).await;
                    r.map_err(|e| format!("{provider} {}: {e}", p.order_no))
                })
                .collect();
            let results: Vec<Result<Swept, String>> = futures::stream::iter(work)
                .buffer_unordered(self.config.concurrency.max(1))
                .collect()
                .await;
            report.queries += queries.load(Ordering::Relaxed);
            report.closes += closes.load(Ordering::Relaxed);
            for r in results {
                match r {
                    Ok(Swept::Delivered) => report.delivered += 1,
                    Ok(Swept::Duplicate) => report.duplicates += 1,
                    Ok(Swept::Moved) => report.moved += 1,
                    Ok(Swept::StillPending) => report.still_pending += 1,
                    Err(e) => report.errors.push(e),
                }
            }
        }
    }

    /// Claims due rows after `cursor`: on PostgreSQL `FOR UPDATE SKIP LOCKED` (sweepers
    /// never wait on each other's rows), on SQLite a conditional UPDATE (the database's one
    /// writer makes it atomic). A claim expires, so a dead sweeper's rows come back.
    async fn claim(
        &self,
        provider: Provider,
        cursor: i64,
    ) -> Result<(String, Vec<PaymentRecord>), LedgerError> {
        let ledger = self.hub.ledger();
        let now = now_ms();
        let delay = self
            .config
            .pending_after
            .get(&provider)
            .copied()
            .unwrap_or(self.config.default_pending_after);
        let due = now.saturating_sub(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
        let until =
            now.saturating_add(i64::try_from(self.config.claim_for.as_millis()).unwrap_or(0));
        let token = paysig::nonce();
        let skip_locked = match ledger.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE payments SET sweep_token = $1, sweep_until_ms = $2 WHERE id IN (\
               SELECT id FROM payments WHERE account = $3 AND provider = $4 \
               AND state IN ('creating', 'pending', 'unknown') \
               AND (created_ms <= $5 OR (expires_ms IS NOT NULL AND expires_ms <= $6)) \
               AND id > $7 AND (sweep_until_ms IS NULL OR sweep_until_ms < $6) \
               ORDER BY id LIMIT $8{skip_locked}) \
             RETURNING id, provider, account, order_no, amount_fen, method, state, \
               provider_trade_no, refund_reserved_fen, review_reason, created_ms, updated_ms, \
               expires_ms"
        );
        let rows = sqlx::query(&sql)
            .bind(&token)
            .bind(until)
            .bind(&ledger.account)
            .bind(provider.as_str())
            .bind(due)
            .bind(now)
            .bind(cursor)
            .bind(i64::try_from(self.config.batch.max(1)).unwrap_or(500))
            .fetch_all(&ledger.pool)
            .await?;
        let mut records = rows
            .iter()
            .map(payment_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        records.sort_by_key(|p| p.id);
        Ok((token, records))
    }

    async fn release(&self, id: i64, token: &str) {
        let ledger = self.hub.ledger();
        let r = sqlx::query(
            "UPDATE payments SET sweep_token = NULL, sweep_until_ms = NULL \
             WHERE id = $1 AND sweep_token = $2",
        )
        .bind(id)
        .bind(token)
        .execute(&ledger.pool)
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, id, "could not release a sweep claim; it expires");
        }
    }

    async fn sweep_one(
        &self,
        p: &PaymentRecord,
        pacer: &Pacer,
        queries: &AtomicU64,
        closes: &AtomicU64,
    ) -> Result<Swept, LedgerError> {
        pacer.wait().await;
        queries.fetch_add(1, Ordering::Relaxed);
        let answer = self
            .hub
            .query(p.provider, &p.order_no, p.provider_trade_no.clone())
            .await;
        let ledger = self.hub.ledger();
        let payment = match answer {
            Ok(payment) => payment,
            Err(payhub::Error::NotFound { .. })
                if matches!(p.state, PaymentState::Unknown | PaymentState::Creating) =>
            {
                ledger
                    .apply_evidence(
                        p.provider,
                        &p.order_no,
                        Observed::NotFound,
                        None,
                        Source::Sweep,
                        json!({"query": "not found"}),
                    )
                    .await?;
                return Ok(Swept::Moved);
            }
            Err(e) => return Err(e.into()),
        };
        let answer = serde_json::to_value(&payment).unwrap_or_default();
        if payment.status.is_final() {
            let processed = self
                .hub
                .learn(
                    p,
                    payment.status,
                    payment.amount,
                    payment.provider_trade_no.clone(),
                    Source::Sweep,
                    answer,
                    self.handler.as_ref(),
                )
                .await?;
            return Ok(match processed {
                Processed::Delivered(_) => Swept::Delivered,
                Processed::Duplicate => Swept::Duplicate,
            });
        }
        // Still unpaid at the provider.
        let mut moved = false;
        if matches!(p.state, PaymentState::Unknown | PaymentState::Creating) {
            ledger
                .apply_evidence(
                    p.provider,
                    &p.order_no,
                    Observed::Unpaid,
                    payment.amount,
                    Source::Sweep,
                    json!({"status": payment.status.label(), "answer": answer}),
                )
                .await?;
            moved = true;
        }
        let now = now_ms();
        let expired = p.expires_ms.is_some_and(|e| e <= now);
        let min_age = self
            .config
            .min_close_age
            .get(&p.provider)
            .copied()
            .unwrap_or(Duration::ZERO);
        let old_enough =
            now.saturating_sub(p.created_ms) >= i64::try_from(min_age.as_millis()).unwrap_or(0);
        if !(expired && old_enough) {
            return Ok(if moved {
                Swept::Moved
            } else {
                Swept::StillPending
            });
        }
        closes.fetch_add(1, Ordering::Relaxed);
        let query = PaymentQuery {
            order_no: p.order_no.clone(),
            provider_trade_no: p.provider_trade_no.clone(),
        };
        let closed = match self.hub.account(p.provider) {
            Ok(account) => account.close_payment(&query).await,
            Err(e) => Err(e),
        };
        match closed {
            Ok(()) => {
                let processed = self
                    .hub
                    .learn(
                        p,
                        PaymentStatus::Closed,
                        None,
                        p.provider_trade_no.clone(),
                        Source::Sweep,
                        json!({"closed": true, "after": answer}),
                        self.handler.as_ref(),
                    )
                    .await?;
                Ok(match processed {
                    Processed::Delivered(_) => Swept::Delivered,
                    Processed::Duplicate => Swept::Duplicate,
                })
            }
            Err(payhub::Error::Unsupported { .. }) => {
                // No close at this provider: expire locally, after the final query above.
                let mut tx = ledger.pool.begin().await?;
                ledger.touch(&mut tx, p.provider, &p.order_no).await?;
                if let Some(current) = ledger
                    .payment_in(&mut tx, p.provider, &p.order_no, true)
                    .await?
                    && current.state == PaymentState::Pending
                {
                    ledger
                        .move_payment(
                            &mut tx,
                            &current,
                            PaymentState::Expired,
                            Source::Sweep,
                            &json!({"final_query": answer, "close": "unsupported"}),
                            None,
                            None,
                        )
                        .await?;
                }
                tx.commit().await?;
                Ok(Swept::Moved)
            }
            Err(e) => Err(e.into()),
        }
    }
}

enum Swept {
    Delivered,
    Duplicate,
    Moved,
    StillPending,
}

/// Records one provider's pass under `payhub_ledger_sweeps_total` and
/// `payhub_ledger_swept_total` (see `payhub::observe::names`).
fn count_sweep(provider: Provider, account: &str, r: &SweepReport) {
    use payhub::observe::names;
    metrics::counter!(names::LEDGER_SWEEPS, "provider" => provider.as_str(), "account" => account.to_owned()).increment(1);
    let results = [
        ("claimed", r.claimed),
        ("queried", r.queries),
        ("closed", r.closes),
        ("delivered", r.delivered),
        ("duplicate", r.duplicates),
        ("moved", r.moved),
        ("still_pending", r.still_pending),
        ("error", r.errors.len() as u64),
    ];
    for (result, n) in results {
        metrics::counter!(names::LEDGER_SWEPT, "provider" => provider.as_str(), "account" => account.to_owned(), "result" => result)
            .increment(n);
    }
}
