//! In-memory orders, refunds and notification records.

use crate::ProviderKind;
use paysig::Money;
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;
use time::OffsetDateTime;

/// The sandbox's own view of an order's state; each provider module maps it to the provider's
/// documented codes (Sunmi `state`, Pooul `trade_state`, BeeCloud `spay_result`, Mifeng `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created, the payer has not acted.
    Created,
    /// The payer is paying (Pooul micro-pay "USERPAYING").
    Paying,
    /// Paid (refunds, if any, are in [`Order::refunded`]).
    Paid,
    /// The payment failed.
    Failed,
    /// Closed by the merchant before payment.
    Closed,
    /// Reversed by the merchant (Pooul `/v2/pay/reverse`).
    Reversed,
}

impl OrderStatus {
    /// Whether the simulated payer may still pay or fail it.
    pub fn awaits_payment(self) -> bool {
        matches!(self, OrderStatus::Created | OrderStatus::Paying)
    }
}

/// State of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Refunded (the sandbox settles refunds at once).
    Succeeded,
}

/// One refund of an order.
#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    /// The merchant's refund number (Sunmi refund `orderId`, Pooul `mch_refund_id` or the
    /// generated id, BeeCloud `refund_no`).
    pub refund_no: String,
    /// The provider's refund id.
    pub refund_id: String,
    /// Amount refunded.
    #[serde(serialize_with = "crate::store::ser_fen")]
    pub amount: Money,
    /// State.
    pub status: RefundStatus,
    /// When it was made.
    #[serde(serialize_with = "crate::store::ser_ts")]
    pub created_at: OffsetDateTime,
    /// Provider fields of the refund request, as received.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An order as the sandbox holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    /// Provider.
    pub provider: ProviderKind,
    /// The merchant's order number (Sunmi `orderId`, Pooul `mch_trade_id`, BeeCloud `bill_no`,
    /// Mifeng `out_order_no`).
    pub order_no: String,
    /// The provider's order number (Sunmi `misId`, Pooul `trade_id`, BeeCloud has none and
    /// repeats `bill_no`, Mifeng `order_no`).
    pub platform_no: String,
    /// Amount ordered.
    #[serde(serialize_with = "crate::store::ser_fen")]
    pub amount: Money,
    /// Sum of successful refunds.
    #[serde(serialize_with = "crate::store::ser_fen")]
    pub refunded: Money,
    /// State.
    pub status: OrderStatus,
    /// Where the pay notify goes (the request's, else the app-level default).
    pub notify_url: Option<String>,
    /// Created.
    #[serde(serialize_with = "crate::store::ser_ts")]
    pub created_at: OffsetDateTime,
    /// Paid or failed.
    #[serde(serialize_with = "crate::store::ser_opt_ts")]
    pub settled_at: Option<OffsetDateTime>,
    /// Refunds, oldest first.
    pub refunds: Vec<Refund>,
    /// Provider fields of the create request, as received (channel, pay_type, openId, ...).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Order {
    pub(crate) fn extra_str(&self, key: &str) -> &str {
        self.extra.get(key).and_then(|v| v.as_str()).unwrap_or("")
    }

    /// Amount still refundable.
    pub fn refundable(&self) -> Money {
        self.amount
            .checked_sub(self.refunded)
            .unwrap_or(Money::ZERO)
    }
}

/// Which event a notification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyEvent {
    /// The payment succeeded.
    PaySucceeded,
    /// The payment failed (Mifeng only: its notify has a failed state).
    PayFailed,
    /// A refund succeeded.
    Refund,
}

/// One HTTP attempt to deliver a notification.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryAttempt {
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When it was sent.
    #[serde(serialize_with = "crate::store::ser_ts")]
    pub at: OffsetDateTime,
    /// HTTP status, when the receiver answered.
    pub status: Option<u16>,
    /// The receiver's body (first 200 bytes, lossy UTF-8).
    pub response: String,
    /// Transport error, when there was no answer.
    pub error: Option<String>,
    /// Whether the answer was the provider's exact acknowledgement.
    pub acknowledged: bool,
}

/// A notification and its delivery history.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationRecord {
    /// Provider.
    pub provider: ProviderKind,
    /// Merchant order number.
    pub order_no: String,
    /// What it reports.
    pub event: NotifyEvent,
    /// Where it is POSTed.
    pub url: String,
    /// `Content-Type` sent.
    pub content_type: String,
    /// The exact body sent (the same bytes on every attempt).
    pub body: String,
    /// Attempts so far.
    pub attempts: Vec<DeliveryAttempt>,
    /// Whether a receiver acknowledged it (no more attempts follow).
    pub acknowledged: bool,
    /// Whether the schedule is exhausted without acknowledgement.
    pub gave_up: bool,
}

#[derive(Default)]
pub(crate) struct Store {
    pub orders: HashMap<(ProviderKind, String), Order>,
    pub notifications: Vec<NotificationRecord>,
    pub default_notify: HashMap<ProviderKind, String>,
    pub pooul_nonces: HashSet<String>,
    pub sunmi_bindings: HashSet<(String, String)>,
    pub mifeng_token: Option<(String, Instant)>,
    pub mifeng_calls: VecDeque<Instant>,
}

impl Store {
    pub fn order(&self, p: ProviderKind, order_no: &str) -> Option<&Order> {
        self.orders.get(&(p, order_no.to_owned()))
    }

    pub fn order_mut(&mut self, p: ProviderKind, order_no: &str) -> Option<&mut Order> {
        self.orders.get_mut(&(p, order_no.to_owned()))
    }

    pub fn find(&self, p: ProviderKind, pred: impl Fn(&Order) -> bool) -> Option<&Order> {
        self.orders.values().find(|o| o.provider == p && pred(o))
    }

    pub fn insert(&mut self, order: Order) {
        self.orders
            .insert((order.provider, order.order_no.clone()), order);
    }
}

// Timestamps are written as RFC 3339 text (the control API's JSON), without time's serde feature.
pub(crate) fn ser_ts<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    let text = t
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}

pub(crate) fn ser_opt_ts<S: serde::Serializer>(
    t: &Option<OffsetDateTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_ts(t, s),
        None => s.serialize_none(),
    }
}

// Amounts in the control API's JSON are integer fen.
pub(crate) fn ser_fen<S: serde::Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(m.fen())
}
