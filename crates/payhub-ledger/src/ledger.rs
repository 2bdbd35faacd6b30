//! [`Ledger`]: the database handle and the one function that writes a payment's state (checked
//! against the state machine, logged as a transition). The records it reads are in `record`.

use crate::db::{self, Backend, now_ms};
use crate::error::{LedgerError, fen};
use crate::state::payment_can_become;
use crate::state::{Decision, Observed, PaymentState, Source, decide};
use payhub::{PaymentRequest, Provider};
use paysig::Money;
use serde_json::{Value, json};
use sqlx::{AnyConnection, AnyPool, Row};

pub(crate) use crate::record::{PAYMENT_COLUMNS, payment_from_row, refund_from_row};
pub use crate::record::{PaymentRecord, RefundRecord, Transition};

/// The account of a ledger from [`Ledger::connect`]: the hub's default account
/// ([`payhub::account::DEFAULT_ACCOUNT`]); [`Ledger::for_account`] for a named one.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The payment ledger on one database.
///
/// ```no_run
/// # async fn demo() -> Result<(), payhub_ledger::LedgerError> {
/// let ledger = payhub_ledger::Ledger::connect("sqlite://payments.db").await?;
/// // or Ledger::connect("postgres://user@db/shop") with the feature `postgres`
/// # let _ = ledger; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Ledger {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) account: String,
}

impl std::fmt::Debug for Ledger {
    // The URL may hold a password: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("backend", &self.backend)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens the ledger at `url` and applies the embedded migrations: `sqlite::memory:`,
    /// `sqlite://PATH` or a bare file path (created when missing), or `postgres://...`
    /// (feature `postgres`).
    pub async fn connect(url: &str) -> Result<Ledger, LedgerError> {
        Self::connect_with(url, 8).await
    }

    /// [`Ledger::connect`] with at most `max_connections` connections.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Ledger, LedgerError> {
        let target = db::target(url)?;
        let pool = db::open(&target, max_connections).await?;
        Ok(Ledger {
            pool,
            backend: target.backend,
            account: DEFAULT_ACCOUNT.to_owned(),
        })
    }

    /// An in-memory SQLite ledger (tests, the demo).
    pub async fn in_memory() -> Result<Ledger, LedgerError> {
        Self::connect("sqlite::memory:").await
    }

    /// The database.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool: the merchant's own tables may live in the same database.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The merchant account the rows belong to.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The same database, for the rows of the hub account `account` (its payments, refunds,
    /// notifies, sweeps and reconciliations); `with_hub` then routes its calls to that
    /// account ([`payhub::Hub::account`]).
    ///
    /// ```no_run
    /// # async fn demo(hub: payhub::Hub) -> Result<(), payhub_ledger::LedgerError> {
    /// let ledger = payhub_ledger::Ledger::connect("sqlite://payments.db").await?;
    /// let shop_b = ledger.for_account("shop-b").with_hub(hub);
    /// # let _ = shop_b; Ok(()) }
    /// ```
    pub fn for_account(&self, account: impl Into<String>) -> Ledger {
        Ledger {
            account: account.into(),
            ..self.clone()
        }
    }

    /// `FOR UPDATE` on PostgreSQL; nothing on SQLite, where the transaction already holds
    /// the database's write lock (every write transaction here starts with a write).
    pub(crate) fn lock_clause(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Records a payment as `creating`. Refused with [`LedgerError::DuplicateOrder`] when the
    /// order number is already in the ledger.
    pub async fn record_creating(
        &self,
        provider: Provider,
        request: &PaymentRequest,
        expires_ms: Option<i64>,
    ) -> Result<PaymentRecord, LedgerError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(&format!(
            "INSERT INTO payments (provider, account, order_no, amount_fen, method, state, \
             created_ms, updated_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) \
             ON CONFLICT (provider, account, order_no) DO NOTHING RETURNING {PAYMENT_COLUMNS}"
        ))
        .bind(provider.as_str())
        .bind(&self.account)
        .bind(&request.order_no)
        .bind(fen(request.amount)?)
        .bind(request.method.name())
        .bind(PaymentState::Creating.as_str())
        .bind(now)
        .bind(expires_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = inserted else {
            tx.rollback().await?;
            let existing = self
                .payment(provider, &request.order_no)
                .await?
                .map(|p| p.state)
                .unwrap_or(PaymentState::Creating);
            return Err(LedgerError::DuplicateOrder {
                provider,
                order_no: request.order_no.clone(),
                state: existing,
            });
        };
        let record = payment_from_row(&row)?;
        self.log(
            &mut tx,
            &record,
            None,
            None,
            PaymentState::Creating.as_str(),
            Source::Create,
            &json!({"amount_fen": request.amount.fen(), "method": request.method.name()}),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The payment with this order number.
    pub async fn payment(
        &self,
        provider: Provider,
        order_no: &str,
    ) -> Result<Option<PaymentRecord>, LedgerError> {
        let mut conn = self.pool.acquire().await?;
        self.payment_in(&mut conn, provider, order_no, false).await
    }

    pub(crate) async fn payment_in(
        &self,
        conn: &mut AnyConnection,
        provider: Provider,
        order_no: &str,
        lock: bool,
    ) -> Result<Option<PaymentRecord>, LedgerError> {
        let row = sqlx::query(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND account = $2 \
             AND order_no = $3{}",
            if lock { self.lock_clause() } else { "" }
        ))
        .bind(provider.as_str())
        .bind(&self.account)
        .bind(order_no)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(payment_from_row).transpose()
    }

    /// The payments of `provider` created in `[from_ms, to_ms)`.
    pub async fn payments_created(
        &self,
        provider: Provider,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<PaymentRecord>, LedgerError> {
        let rows = sqlx::query(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND account = $2 \
             AND created_ms >= $3 AND created_ms < $4 ORDER BY id"
        ))
        .bind(provider.as_str())
        .bind(&self.account)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(payment_from_row).collect()
    }

    /// The refunds of a payment.
    pub async fn refunds(
        &self,
        provider: Provider,
        order_no: &str,
    ) -> Result<Vec<RefundRecord>, LedgerError> {
        let rows = sqlx::query(
            "SELECT provider, order_no, refund_no, amount_fen, state, provider_refund_no \
             FROM refunds WHERE provider = $1 AND account = $2 AND order_no = $3 ORDER BY id",
        )
        .bind(provider.as_str())
        .bind(&self.account)
        .bind(order_no)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(refund_from_row).collect()
    }

    /// The transition log of a payment (and its refunds), oldest first.
    pub async fn transitions(
        &self,
        provider: Provider,
        order_no: &str,
    ) -> Result<Vec<Transition>, LedgerError> {
        let rows = sqlx::query(
            "SELECT refund_no, from_state, to_state, source, at_ms, evidence FROM transitions \
             WHERE provider = $1 AND account = $2 AND order_no = $3 ORDER BY id",
        )
        .bind(provider.as_str())
        .bind(&self.account)
        .bind(order_no)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let evidence: String = r.try_get("evidence")?;
                Ok(Transition {
                    refund_no: r.try_get("refund_no")?,
                    from: r.try_get("from_state")?,
                    to: r.try_get("to_state")?,
                    source: r.try_get("source")?,
                    at_ms: r.try_get("at_ms")?,
                    evidence: serde_json::from_str(&evidence)
                        .map_err(|e| LedgerError::Corrupt(format!("evidence: {e}")))?,
                })
            })
            .collect()
    }

    /// How many payments are in each state.
    pub async fn counts(&self) -> Result<Vec<(String, String, i64)>, LedgerError> {
        let rows = sqlx::query(
            "SELECT provider, state, CAST(COUNT(*) AS BIGINT) AS n FROM payments \
             WHERE account = $1 GROUP BY provider, state ORDER BY provider, state",
        )
        .bind(&self.account)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("provider")?, r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }

    /// Appends a transition.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn log(
        &self,
        conn: &mut AnyConnection,
        payment: &PaymentRecord,
        refund_no: Option<&str>,
        from: Option<&str>,
        to: &str,
        source: Source,
        evidence: &Value,
    ) -> Result<(), LedgerError> {
        sqlx::query(
            "INSERT INTO transitions (provider, account, order_no, refund_no, from_state, \
             to_state, source, at_ms, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(payment.provider.as_str())
        .bind(&self.account)
        .bind(&payment.order_no)
        .bind(refund_no)
        .bind(from)
        .bind(to)
        .bind(source.as_str())
        .bind(now_ms())
        .bind(evidence.to_string())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Moves a payment to `to`, if the state machine allows it and nobody moved it since it
    /// was read (`false` when someone did). The provider's number is set once, never replaced.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn move_payment(
        &self,
        conn: &mut AnyConnection,
        payment: &PaymentRecord,
        to: PaymentState,
        source: Source,
        evidence: &Value,
        trade_no: Option<&str>,
        review_reason: Option<&str>,
    ) -> Result<bool, LedgerError> {
        if !payment_can_become(payment.state, to) {
            return Err(LedgerError::Transition {
                order_no: payment.order_no.clone(),
                from: payment.state,
                to,
            });
        }
        let done = sqlx::query(
            "UPDATE payments SET state = $1, updated_ms = $2, \
             provider_trade_no = COALESCE(provider_trade_no, $3), \
             review_reason = COALESCE($4, review_reason) WHERE id = $5 AND state = $6",
        )
        .bind(to.as_str())
        .bind(now_ms())
        .bind(trade_no)
        .bind(review_reason)
        .bind(payment.id)
        .bind(payment.state.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if done {
            self.log(
                conn,
                payment,
                None,
                Some(payment.state.as_str()),
                to.as_str(),
                source,
                evidence,
            )
            .await?;
        }
        Ok(done)
    }

    /// Applies a piece of evidence about a payment (read under lock in `conn`'s
    /// transaction): a move the state machine allows, nothing when it agrees, `needs_review`
    /// when it conflicts. Nothing recorded is overwritten: the evidence goes into the log.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn observe(
        &self,
        conn: &mut AnyConnection,
        payment: &PaymentRecord,
        observed: Observed,
        amount: Option<Money>,
        trade_no: Option<&str>,
        source: Source,
        evidence: &Value,
    ) -> Result<PaymentState, LedgerError> {
        match decide(payment.state, payment.amount, observed, amount) {
            Decision::Agrees => {
                if payment.state == PaymentState::NeedsReview {
                    // Under review every piece is kept for the person who decides.
                    self.log(
                        conn,
                        payment,
                        None,
                        Some(payment.state.as_str()),
                        payment.state.as_str(),
                        source,
                        evidence,
                    )
                    .await?;
                }
                Ok(payment.state)
            }
            Decision::Move(to) => {
                if self
                    .move_payment(conn, payment, to, source, evidence, trade_no, None)
                    .await?
                {
                    Ok(to)
                } else {
                    Err(LedgerError::Corrupt(format!(
                        "{}: moved by another writer while locked",
                        payment.order_no
                    )))
                }
            }
            Decision::Conflict(reason) => {
                let evidence = json!({
                    "reason": reason,
                    "recorded": {
                        "state": payment.state.as_str(),
                        "amount_fen": payment.amount.fen(),
                        "provider_trade_no": payment.provider_trade_no,
                    },
                    "observed": evidence,
                });
                self.move_payment(
                    conn,
                    payment,
                    PaymentState::NeedsReview,
                    source,
                    &evidence,
                    None,
                    Some(&reason),
                )
                .await?;
                Ok(PaymentState::NeedsReview)
            }
        }
    }

    /// Applies one piece of evidence to a payment in its own transaction (what a query made
    /// by hand, outside the notify path, found).
    pub async fn apply_evidence(
        &self,
        provider: Provider,
        order_no: &str,
        observed: Observed,
        amount: Option<Money>,
        source: Source,
        evidence: Value,
    ) -> Result<PaymentState, LedgerError> {
        let mut tx = self.pool.begin().await?;
        self.touch(&mut tx, provider, order_no).await?;
        let payment = self
            .payment_in(&mut tx, provider, order_no, true)
            .await?
            .ok_or_else(|| LedgerError::UnknownOrder {
                provider,
                order_no: order_no.to_owned(),
            })?;
        let state = self
            .observe(&mut tx, &payment, observed, amount, None, source, &evidence)
            .await?;
        tx.commit().await?;
        Ok(state)
    }

    /// A person decides a payment under review.
    pub async fn resolve_review(
        &self,
        provider: Provider,
        order_no: &str,
        to: PaymentState,
        note: &str,
    ) -> Result<(), LedgerError> {
        let mut tx = self.pool.begin().await?;
        self.touch(&mut tx, provider, order_no).await?;
        let payment = self
            .payment_in(&mut tx, provider, order_no, true)
            .await?
            .ok_or_else(|| LedgerError::UnknownOrder {
                provider,
                order_no: order_no.to_owned(),
            })?;
        if payment.state != PaymentState::NeedsReview {
            return Err(LedgerError::Transition {
                order_no: order_no.to_owned(),
                from: payment.state,
                to,
            });
        }
        self.move_payment(
            &mut tx,
            &payment,
            to,
            Source::Manual,
            &json!({"note": note}),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts a write transaction's lock on SQLite with a write (a read first would make the
    /// later upgrade fail at once under contention instead of waiting).
    pub(crate) async fn touch(
        &self,
        conn: &mut AnyConnection,
        provider: Provider,
        order_no: &str,
    ) -> Result<(), LedgerError> {
        if self.backend == Backend::Sqlite {
            sqlx::query(
                "UPDATE payments SET updated_ms = updated_ms WHERE provider = $1 \
                 AND account = $2 AND order_no = $3",
            )
            .bind(provider.as_str())
            .bind(&self.account)
            .bind(order_no)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
