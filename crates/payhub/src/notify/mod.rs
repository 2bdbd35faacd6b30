//! Notify handling that loses nothing: verify, look the order up, check the amount, drop
//! duplicates, and acknowledge only what was processed.
//!
//! The de-duplication is two-phase. A fresh notification is *claimed* (with a processing TTL),
//! handed to the merchant, and marked *done* only when the merchant confirms; if the merchant
//! fails, the claim is released and the provider's retry is processed again. A claim left by
//! a crashed worker expires after its TTL. A notification already done is acknowledged again
//! without being delivered twice, and without any confirmation query.
//!
//! **Your handler must be idempotent on [`Notification::dedup_key`].** Delivery is once per
//! claim: a handler that runs longer than the processing TTL, or a process that dies after
//! your side effect but before the commit, lets the provider's retry be delivered again. Make
//! the side effect and "this key is processed" one transaction in your database.

mod dedup;
#[cfg(feature = "redis")]
mod redis_store;

pub use dedup::{ClaimState, ClaimToken, DedupStore, MemoryDedup};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::RedisDedup;

use crate::error::{BoxError, NotifyError};
use crate::provider::Provider;
use crate::status::PaymentStatus;
use async_trait::async_trait;
use paysig::{Money, Verified};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// Whether a notify is about a payment or a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotificationKind {
    /// A payment changed state.
    Payment,
    /// A refund changed state.
    Refund {
        /// The merchant's refund number, where the provider sends it.
        refund_no: Option<String>,
    },
}

/// A verified notify in the unified form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Who sent it.
    pub provider: Provider,
    /// Payment or refund.
    pub kind: NotificationKind,
    /// The merchant's order number of the payment (for a refund: of the refunded payment).
    pub order_no: String,
    /// The provider's number of the payment.
    pub provider_trade_no: Option<String>,
    /// For a refund: the provider's number of the refund, where it sends one.
    pub provider_refund_no: Option<String>,
    /// Payment: the amount paid. Refund: the amount refunded.
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub amount: Money,
    /// The unified status.
    pub status: PaymentStatus,
    /// The provider's own typed payload, as JSON, for records.
    pub raw: serde_json::Value,
    /// The merchant account it came for ([`crate::account::DEFAULT_ACCOUNT`] unless a named
    /// one): set by the hub once the notify verified under that account's key.
    pub account: String,
    /// The label of the key it verified under ([`crate::account::NotifyKey::label`]), when
    /// the account names its keys; never the key itself.
    pub key: Option<String>,
}

impl Notification {
    /// The de-duplication key: one per provider, kind, order, refund and status, so a payment
    /// notify and a later refund notify of the same order are two events, and two partial
    /// refunds are two events even when the merchant's refund number is absent (the provider's
    /// refund number, or else the amount, tells them apart). A named account's keys start
    /// with `provider@account` (one order number at two merchants is two orders); the default
    /// account's keep the form they had before accounts existed.
    pub fn dedup_key(&self) -> String {
        let refund = match &self.kind {
            NotificationKind::Payment => "pay".to_owned(),
            NotificationKind::Refund { refund_no } => format!(
                "refund:{}:{}:{}",
                refund_no.as_deref().unwrap_or(""),
                self.provider_refund_no.as_deref().unwrap_or(""),
                self.amount.fen()
            ),
        };
        let at = if self.account.is_empty() || self.account == crate::account::DEFAULT_ACCOUNT {
            self.provider.to_string()
        } else {
            format!("{}@{}", self.provider, self.account)
        };
        format!(
            "{}:{}:{}:{}",
            at,
            self.order_no,
            refund,
            self.status.label()
        )
    }
}

/// What the merchant's store knows about an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRecord {
    /// The amount the order was created for.
    pub amount: Money,
}

/// The merchant's order store, as the notify handler needs it.
#[async_trait]
pub trait OrderLookup: Send + Sync {
    /// The order with this merchant order number, or `None` when there is none.
    async fn find_order(
        &self,
        provider: Provider,
        order_no: &str,
    ) -> Result<Option<OrderRecord>, BoxError>;

    /// The order `order_no` of `account` at `provider`. The default ignores the account and
    /// asks [`OrderLookup::find_order`]: override it when two of your accounts may use the
    /// same order number.
    async fn find_order_in(
        &self,
        provider: Provider,
        account: &str,
        order_no: &str,
    ) -> Result<Option<OrderRecord>, BoxError> {
        let _ = account;
        self.find_order(provider, order_no).await
    }
}

/// A simple in-memory [`OrderLookup`] (tests, examples, the demo), keyed by provider and
/// order number as [`OrderLookup::find_order`] asks.
///
/// ```
/// use payhub::notify::{MemoryOrders, OrderLookup};
/// use payhub::{Money, Provider};
/// # tokio_test(async {
/// let orders = MemoryOrders::default();
/// orders.insert(Provider::Sunmi, "T1001", Money::from_fen(990));
/// let found = orders.find_order(Provider::Sunmi, "T1001").await.unwrap();
/// assert_eq!(found.map(|o| o.amount), Some(Money::from_fen(990)));
/// // The same number at another provider is another order.
/// assert!(orders.find_order(Provider::Pooul, "T1001").await.unwrap().is_none());
/// # });
/// # fn tokio_test(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Default, Clone)]
pub struct MemoryOrders(
    Arc<std::sync::Mutex<std::collections::HashMap<(Provider, String), OrderRecord>>>,
);

impl MemoryOrders {
    /// Records the order `order_no` created at `provider` for `amount`.
    pub fn insert(&self, provider: Provider, order_no: impl Into<String>, amount: Money) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((provider, order_no.into()), OrderRecord { amount });
    }
}

#[async_trait]
impl OrderLookup for MemoryOrders {
    async fn find_order(
        &self,
        provider: Provider,
        order_no: &str,
    ) -> Result<Option<OrderRecord>, BoxError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(provider, order_no.to_owned()))
            .copied())
    }
}

/// How long claims and done-marks live in the de-duplication store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupTtl {
    /// A claim not confirmed in this time is given up (its worker is presumed dead).
    pub processing: Duration,
    /// How long a processed notification is remembered. Providers retry for about a day
    /// (Sunmi: 24 h 17 m), so the default is 48 h.
    pub done: Duration,
}

impl Default for DedupTtl {
    fn default() -> Self {
        DedupTtl {
            processing: Duration::from_secs(60),
            done: Duration::from_secs(48 * 3600),
        }
    }
}

/// The result of [`crate::Hub::handle_notification`].
#[derive(Debug)]
pub enum NotifyOutcome {
    /// A new notification: process it, then [`Delivery::commit`] (and answer `ack`), or
    /// [`Delivery::abandon`] (and answer an error so the provider retries).
    New(Delivery),
    /// Already processed: answer `ack` again; do not process it again.
    Duplicate {
        /// The notification, verified again.
        event: Verified<Notification>,
        /// The acknowledgement body.
        ack: &'static str,
    },
}

/// A claimed notification waiting for the merchant to finish processing it.
pub struct Delivery {
    /// The verified notification.
    pub event: Verified<Notification>,
    /// The exact body to answer once processed (`success` or `SUCCESS`).
    pub ack: &'static str,
    key: String,
    token: ClaimToken,
    store: Arc<dyn DedupStore>,
    ttl: DedupTtl,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &self.event)
            .field("ack", &self.ack)
            .field("key", &self.key)
            .finish()
    }
}

impl Delivery {
    pub(crate) fn new(
        event: Verified<Notification>,
        ack: &'static str,
        key: String,
        token: ClaimToken,
        store: Arc<dyn DedupStore>,
        ttl: DedupTtl,
    ) -> Self {
        Delivery {
            event,
            ack,
            key,
            token,
            store,
            ttl,
        }
    }

    /// Marks the notification processed; returns the acknowledgement body to answer.
    pub async fn commit(self) -> Result<&'static str, NotifyError> {
        let held = self
            .store
            .complete(&self.key, &self.token, self.ttl.done)
            .await
            .map_err(NotifyError::Store)?;
        if !held {
            tracing::warn!(key = %self.key, "notify claim had expired before the commit: another worker may have processed it too");
        }
        Ok(self.ack)
    }

    /// Gives the claim back (if still ours) so the provider's retry is processed again.
    pub async fn abandon(self) -> Result<(), NotifyError> {
        self.store
            .release(&self.key, &self.token)
            .await
            .map_err(NotifyError::Store)
    }
}
