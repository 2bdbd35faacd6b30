//! [`LedgerHub`]: the hub with a ledger. Records before sending, refuses what the ledger
//! knows to be wrong before sending, and handles notifies in one transaction with the
//! merchant's side effect.

use crate::db::now_ms;
use crate::error::{LedgerError, fen};
use crate::inbox::{EventHandler, Incoming, Observation, Processed, notify_evidence};
use crate::ledger::{Ledger, PaymentRecord};
use crate::reconcile::BillSource;
use crate::state::{Observed, PaymentState, RefundState, Source};
use payhub::observe::NotifyEnd;
use payhub::{
    CreatedPayment, ErrorClass, Hub, NotifyError, Payment, PaymentAction, PaymentQuery,
    PaymentRequest, Provider, Refund, RefundRequest,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// A [`Hub`] whose creates, refunds and notifies go through a [`Ledger`].
///
/// ```no_run
/// # async fn demo(hub: payhub::Hub, request: payhub::PaymentRequest) -> Result<(), payhub_ledger::LedgerError> {
/// use payhub_ledger::Ledger;
/// let ledger = Ledger::connect("sqlite://payments.db").await?.with_hub(hub);
/// // `creating` is recorded before the create is sent, `pending` after.
/// let created = ledger.create_payment(payhub::Provider::Pooul, &request, None).await?;
/// # let _ = created; Ok(()) }
/// ```
#[derive(Clone)]
pub struct LedgerHub {
    hub: Hub,
    ledger: Ledger,
    pub(crate) bills: BTreeMap<Provider, Arc<dyn BillSource>>,
}

impl std::fmt::Debug for LedgerHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerHub")
            .field("hub", &self.hub)
            .field("ledger", &self.ledger)
            .field("bills", &self.bills.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The answer to give the provider after [`LedgerHub::handle_notification_tx`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NotifyReceipt {
    /// The exact acknowledgement body the provider expects.
    pub ack: &'static str,
    /// Delivered now, or a duplicate.
    pub processed: Processed,
}

impl Ledger {
    /// This ledger in front of `hub`.
    pub fn with_hub(self, hub: Hub) -> LedgerHub {
        LedgerHub {
            hub,
            ledger: self,
            bills: BTreeMap::new(),
        }
    }
}

/// The state a failed create or refund leaves, by the error's class: only "the provider
/// may have acted" is unknown; every definite refusal is failed.
fn state_after(class: ErrorClass) -> PaymentState {
    match class {
        ErrorClass::OutcomeUnknown | ErrorClass::InvalidAnswer => PaymentState::Unknown,
        _ => PaymentState::Failed,
    }
}

fn error_evidence(e: &payhub::Error) -> Value {
    json!({"class": e.class().label(), "code": e.code(), "error": e.to_string()})
}

impl LedgerHub {
    /// The hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The hub account of this ledger's rows ([`Ledger::account`]) at `provider`.
    pub fn account(&self, provider: Provider) -> Result<payhub::AccountRef<'_>, payhub::Error> {
        self.hub.account(provider, self.ledger.account())
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Creates a payment: records it `creating` (refusing an order number the ledger already
    /// holds, [`LedgerError::DuplicateOrder`], before anything is sent), sends the create
    /// once (never retried), then records `pending`, or by the error's class `unknown` (the
    /// provider may have it: the sweeper resolves it) or `failed`. `expires_in`: when the
    /// sweeper gives an unpaid payment up.
    pub async fn create_payment(
        &self,
        provider: Provider,
        request: &PaymentRequest,
        expires_in: Option<Duration>,
    ) -> Result<CreatedPayment, LedgerError> {
        let expires = expires_in
            .map(|d| now_ms().saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)));
        let record = self
            .ledger
            .record_creating(provider, request, expires)
            .await?;
        let created = match self.account(provider) {
            Ok(account) => account.create_payment(request).await,
            Err(e) => Err(e),
        };
        match created {
            Ok(created) => {
                let evidence = json!({
                    "provider_trade_no": created.provider_trade_no,
                    "action": match &created.action {
                        PaymentAction::Final { status } => status.label(),
                        _ => "await payer".to_owned(),
                    },
                });
                let mut tx = self.ledger.pool.begin().await?;
                self.ledger
                    .touch(&mut tx, provider, &request.order_no)
                    .await?;
                let current = self.locked(&mut tx, provider, &request.order_no).await?;
                match &created.action {
                    PaymentAction::Final { status } => {
                        self.ledger
                            .observe(
                                &mut tx,
                                &current,
                                Observed::from_status(*status),
                                None,
                                created.provider_trade_no.as_deref(),
                                Source::Create,
                                &evidence,
                            )
                            .await?;
                    }
                    _ => {
                        // A notify may have been processed already (a fast payer).
                        if current.state == PaymentState::Creating {
                            self.ledger
                                .move_payment(
                                    &mut tx,
                                    &current,
                                    PaymentState::Pending,
                                    Source::Create,
                                    &evidence,
                                    created.provider_trade_no.as_deref(),
                                    None,
                                )
                                .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(created)
            }
            Err(e) => {
                let to = state_after(e.class());
                let mut tx = self.ledger.pool.begin().await?;
                self.ledger
                    .touch(&mut tx, provider, &request.order_no)
                    .await?;
                let current = self.locked(&mut tx, provider, &request.order_no).await?;
                if current.state == PaymentState::Creating {
                    self.ledger
                        .move_payment(
                            &mut tx,
                            &current,
                            to,
                            Source::Create,
                            &error_evidence(&e),
                            None,
                            None,
                        )
                        .await?;
                }
                tx.commit().await?;
                let _ = record;
                Err(LedgerError::Hub(e))
            }
        }
    }

    async fn locked(
        &self,
        conn: &mut sqlx::AnyConnection,
        provider: Provider,
        order_no: &str,
    ) -> Result<PaymentRecord, LedgerError> {
        self.ledger
            .payment_in(conn, provider, order_no, true)
            .await?
            .ok_or_else(|| LedgerError::UnknownOrder {
                provider,
                order_no: order_no.to_owned(),
            })
    }

    /// Refunds: refuses, before sending, a payment the ledger does not hold as paid
    /// ([`LedgerError::NotRefundable`]), a refund number it already holds
    /// ([`LedgerError::DuplicateRefund`]) and an amount beyond what remains
    /// ([`LedgerError::RefundExceedsRemaining`]); reserves the amount in the same
    /// transaction (so two concurrent refunds cannot both pass), sends once, and records the
    /// outcome. A failed refund frees its amount; an unknown one keeps it reserved.
    pub async fn refund(
        &self,
        provider: Provider,
        request: &RefundRequest,
    ) -> Result<Refund, LedgerError> {
        let amount = fen(request.amount)?;
        let mut tx = self.ledger.pool.begin().await?;
        self.ledger
            .touch(&mut tx, provider, &request.order_no)
            .await?;
        let payment = self.locked(&mut tx, provider, &request.order_no).await?;
        if !matches!(
            payment.state,
            PaymentState::Paid | PaymentState::PartiallyRefunded
        ) {
            return Err(LedgerError::NotRefundable {
                provider,
                order_no: request.order_no.clone(),
                state: payment.state,
            });
        }
        let existing = sqlx::query(
            "SELECT state FROM refunds WHERE provider = $1 AND account = $2 AND refund_no = $3",
        )
        .bind(provider.as_str())
        .bind(&self.ledger.account)
        .bind(&request.refund_no)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let state: String = sqlx::Row::try_get(&row, "state")?;
            return Err(LedgerError::DuplicateRefund {
                provider,
                refund_no: request.refund_no.clone(),
                state: state.parse().unwrap_or(RefundState::Unknown),
            });
        }
        let reserved = sqlx::query(
            "UPDATE payments SET refund_reserved_fen = refund_reserved_fen + $1, updated_ms = $2 \
             WHERE id = $3 AND refund_reserved_fen + $1 <= amount_fen",
        )
        .bind(amount)
        .bind(now_ms())
        .bind(payment.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if reserved == 0 {
            return Err(LedgerError::RefundExceedsRemaining {
                provider,
                order_no: request.order_no.clone(),
                requested: request.amount,
                remaining: payment
                    .amount
                    .checked_sub(payment.refund_reserved)
                    .unwrap_or(paysig::Money::ZERO),
            });
        }
        let now = now_ms();
        sqlx::query(
            "INSERT INTO refunds (provider, account, order_no, refund_no, amount_fen, state, \
             created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(provider.as_str())
        .bind(&self.ledger.account)
        .bind(&request.order_no)
        .bind(&request.refund_no)
        .bind(amount)
        .bind(RefundState::Creating.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.ledger
            .log(
                &mut tx,
                &payment,
                Some(&request.refund_no),
                None,
                RefundState::Creating.as_str(),
                Source::Create,
                &json!({"amount_fen": request.amount.fen()}),
            )
            .await?;
        tx.commit().await?;

        let sent = match self.account(provider) {
            Ok(account) => account.refund(request).await,
            Err(e) => Err(e),
        };
        let (to, provider_refund_no, evidence) = match &sent {
            Ok(r) => (
                match r.status {
                    payhub::PaymentStatus::Refunded(_) => RefundState::Refunded,
                    payhub::PaymentStatus::Failed | payhub::PaymentStatus::Closed => {
                        RefundState::Failed
                    }
                    _ => RefundState::Pending,
                },
                r.provider_refund_no.clone(),
                json!({"status": r.status.label(), "provider_refund_no": r.provider_refund_no}),
            ),
            Err(e) => (
                match state_after(e.class()) {
                    PaymentState::Unknown => RefundState::Unknown,
                    _ => RefundState::Failed,
                },
                None,
                error_evidence(e),
            ),
        };
        let mut tx = self.ledger.pool.begin().await?;
        self.ledger
            .touch(&mut tx, provider, &request.order_no)
            .await?;
        let payment = self.locked(&mut tx, provider, &request.order_no).await?;
        self.ledger
            .settle_refund(
                &mut tx,
                &payment,
                &request.refund_no,
                to,
                provider_refund_no.as_deref(),
                Source::Create,
                &evidence,
            )
            .await?;
        tx.commit().await?;
        sent.map_err(LedgerError::Hub)
    }

    /// Handles a notify exactly once, in one transaction with the merchant's side effect.
    ///
    /// 1. Verifies it through the provider's gateway (a tampered, unsigned or oversized
    ///    notify is refused, and kept in the inbox with the reason).
    /// 2. Stores the raw body and chosen headers in the inbox, before anything else.
    /// 3. In ONE transaction: marks the inbox row processed, applies the payment's
    ///    transition, and runs `handler` with that transaction. All commit or none does.
    ///
    /// Answer the provider [`NotifyReceipt::ack`] on `Ok`, an error status on `Err` (the
    /// provider then retries; a failed or panicking callback rolled everything back, so the
    /// retry delivers once). A duplicate (already processed by a notify or the sweeper, in
    /// any process on this database) is acknowledged without calling `handler`.
    pub async fn handle_notification_tx(
        &self,
        provider: Provider,
        headers: &http::HeaderMap,
        raw_body: &[u8],
        handler: &dyn EventHandler,
    ) -> Result<NotifyReceipt, LedgerError> {
        // The hub's span and count, so a ledger's notifies show as the hub's do.
        let account_name = self.ledger.account().to_owned();
        let span = payhub::observe::notify_span(provider, &account_name);
        let result = self
            .notification_tx(provider, headers, raw_body, handler)
            .instrument(span.clone())
            .await;
        let end = match &result {
            Ok(r) if matches!(r.processed, Processed::Duplicate) => NotifyEnd::Duplicate,
            Ok(_) => NotifyEnd::Verified,
            Err(LedgerError::Hub(e)) => NotifyEnd::Refused(e),
            Err(_) => NotifyEnd::Failed,
        };
        span.in_scope(|| payhub::observe::count_notify(provider, &account_name, end));
        result
    }

    async fn notification_tx(
        &self,
        provider: Provider,
        headers: &http::HeaderMap,
        raw_body: &[u8],
        handler: &dyn EventHandler,
    ) -> Result<NotifyReceipt, LedgerError> {
        let account = self.account(provider)?;
        let gateway = account.gateway().clone();
        let limit = self.hub.notify_body_limit();
        let kept_headers = chosen_headers(headers);
        if let Err(e) = paysig::limit::check_body_len(raw_body, limit) {
            let err = payhub::Error::from(NotifyError::BodyTooLarge {
                provider,
                len: e.len,
                limit: e.limit,
            });
            // Too large to keep whole: the first bytes tell what it was.
            let head = &raw_body[..raw_body.len().min(limit)];
            self.ledger
                .store_incoming(Incoming {
                    provider,
                    source: Source::Notify,
                    raw_body: head,
                    headers: kept_headers,
                    verification: format!("refused: {err}"),
                    dedup_key: None,
                })
                .await?;
            return Err(err.into());
        }
        // The account's keys (rotation, expiry), and a notify of another account refused.
        let event = match account.verify_notification(headers, raw_body) {
            Ok(event) => event,
            Err(e) => {
                self.ledger
                    .store_incoming(Incoming {
                        provider,
                        source: Source::Notify,
                        raw_body,
                        headers: kept_headers,
                        verification: format!("refused ({}): {e}", e.class().label()),
                        dedup_key: None,
                    })
                    .await?;
                return Err(e.into());
            }
        };
        payhub::observe::record_order_no(&event.order_no);
        let key = event.dedup_key();
        let verification = match &event.key {
            Some(label) => format!("verified (key {label})"),
            None => "verified".into(),
        };
        self.ledger
            .store_incoming(Incoming {
                provider,
                source: Source::Notify,
                raw_body,
                headers: kept_headers,
                verification,
                dedup_key: Some(&key),
            })
            .await?;
        let n = event.into_inner();
        if gateway.confirm_by_query() {
            self.confirm(&n).await?;
        }
        let obs = Observation {
            provider,
            kind: n.kind.clone(),
            order_no: n.order_no.clone(),
            status: n.status,
            amount: Some(n.amount),
            provider_trade_no: n.provider_trade_no.clone(),
            provider_refund_no: n.provider_refund_no.clone(),
            dedup_key: key,
            source: Source::Notify,
            evidence: notify_evidence(&n),
        };
        let processed = self.ledger.process(&obs, handler).await?;
        Ok(NotifyReceipt {
            ack: gateway.ack(),
            processed,
        })
    }

    /// For gateways whose notify scheme is not confirmed (Mifeng's inferred one): a query
    /// must show the notified payment with the notified state and amount.
    async fn confirm(&self, n: &payhub::Notification) -> Result<(), LedgerError> {
        let refuse = |reason: String| LedgerError::NotConfirmed {
            provider: n.provider,
            order_no: n.order_no.clone(),
            reason,
        };
        if !matches!(n.kind, payhub::NotificationKind::Payment) {
            return Err(refuse(
                "a refund notify cannot be confirmed by query".into(),
            ));
        }
        let queried = self
            .query(n.provider, &n.order_no, n.provider_trade_no.clone())
            .await?;
        if queried.status != n.status {
            return Err(refuse(format!("the query says {}", queried.status)));
        }
        if queried.amount.is_some_and(|a| a != n.amount) {
            return Err(refuse("the query names another amount".into()));
        }
        Ok(())
    }

    /// How the ledger learns a payment's state from the provider. One place, so it switches
    /// to `Hub::resolve_payment` (issue 12) when that lands.
    pub(crate) async fn query(
        &self,
        provider: Provider,
        order_no: &str,
        provider_trade_no: Option<String>,
    ) -> Result<Payment, payhub::Error> {
        self.account(provider)?
            .query_payment(&PaymentQuery {
                order_no: order_no.to_owned(),
                provider_trade_no,
            })
            .await
    }

    /// Records what a query (or close) learned through the inbox and the same processing
    /// path as notifies, so a notify for the same event later is a duplicate.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn learn(
        &self,
        payment: &PaymentRecord,
        status: payhub::PaymentStatus,
        amount: Option<paysig::Money>,
        provider_trade_no: Option<String>,
        source: Source,
        answer: Value,
        handler: &dyn EventHandler,
    ) -> Result<Processed, LedgerError> {
        let n = payhub::Notification {
            provider: payment.provider,
            kind: payhub::NotificationKind::Payment,
            order_no: payment.order_no.clone(),
            provider_trade_no: provider_trade_no.clone(),
            provider_refund_no: None,
            amount: amount.unwrap_or(payment.amount),
            status,
            raw: answer.clone(),
            account: payment.account.clone(),
            key: None,
        };
        let key = n.dedup_key();
        self.ledger
            .store_incoming(Incoming {
                provider: payment.provider,
                source,
                raw_body: answer.to_string().as_bytes(),
                headers: json!({}),
                verification: format!("{source} (the provider's answer to our query)"),
                dedup_key: Some(&key),
            })
            .await?;
        let obs = Observation {
            provider: payment.provider,
            kind: payhub::NotificationKind::Payment,
            order_no: payment.order_no.clone(),
            status,
            amount,
            provider_trade_no,
            provider_refund_no: None,
            dedup_key: key,
            source,
            evidence: json!({"status": status.label(), "answer": answer}),
        };
        self.ledger.process(&obs, handler).await
    }
}

/// The headers worth keeping with a notify: content type, signatures, ids. Never cookies or
/// authorization.
fn chosen_headers(headers: &http::HeaderMap) -> Value {
    let mut kept = serde_json::Map::new();
    for (name, value) in headers {
        let n = name.as_str();
        let keep = n == "content-type"
            || n == "user-agent"
            || n.contains("sign")
            || n.contains("timestamp")
            || n.contains("nonce")
            || n.contains("request-id");
        if keep && let Ok(v) = value.to_str() {
            kept.insert(n.to_owned(), Value::String(v.to_owned()));
        }
    }
    Value::Object(kept)
}
