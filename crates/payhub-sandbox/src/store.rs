//! In-memory orders, refunds and notification records.

use crate::ProviderKind;
use paysig::Money;
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;
use time::OffsetDateTime;
use tokio::sync::broadcast;

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
    /// Closed before payment: by the merchant, or expired (the dashboard's "expire").
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
    #[serde(serialize_with = "paysig::money::wire::fen_int::serialize")]
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
    #[serde(serialize_with = "paysig::money::wire::fen_int::serialize")]
    pub amount: Money,
    /// Sum of successful refunds.
    #[serde(serialize_with = "paysig::money::wire::fen_int::serialize")]
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
    /// When the provider's document schedules it, in seconds after the first attempt
    /// (0, then the running sum of [`crate::retry_schedule`]). The sandbox waits that divided by
    /// [`crate::SandboxConfig::time_scale`].
    pub documented_offset_secs: u64,
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
    /// Whether the sandbox dropped it on purpose ([`crate::Faults::drop_notify_ratio`]): not
    /// sent, retried on the schedule like an unanswered attempt.
    pub dropped: bool,
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
    /// When the next attempt is due (`None` once acknowledged or given up).
    #[serde(serialize_with = "crate::store::ser_opt_ts")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// The next attempt's place on the document's schedule, in seconds after the first.
    pub next_documented_offset_secs: Option<u64>,
}

/// What changed, for the dashboard's live updates (server-sent events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// An order, its refunds or its notifications changed.
    Order {
        provider: ProviderKind,
        order_no: String,
    },
    /// The fault settings changed.
    Faults,
}

/// A refund's place: its order's merchant number and its position in `Order::refunds`.
#[derive(Debug, Clone)]
struct RefundRef {
    order_no: String,
    index: usize,
}

/// A documented lookup key of an order, besides the merchant's order number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderKey {
    /// The provider's order number ([`Order::platform_no`]: Sunmi `misId`, Pooul `trade_id`,
    /// Mifeng `order_no`).
    PlatformNo,
    /// Sunmi's channel number `platformId` (`extra["platformId"]`).
    PlatformId,
}

/// A documented lookup key of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefundKey {
    /// The merchant's refund number ([`Refund::refund_no`]: Sunmi refund `orderId`, BeeCloud
    /// `refund_no`).
    RefundNo,
    /// The provider's refund id (Sunmi refund `misId`).
    RefundId,
    /// Sunmi's refund `platformId` (`extra["platformId"]`).
    PlatformId,
}

/// One provider's orders with an index per documented key, so that every lookup is a hash
/// hit and every insert O(1), however many orders the sandbox holds.
#[derive(Default)]
struct ProviderOrders {
    by_order_no: HashMap<String, Order>,
    by_platform_no: HashMap<String, String>,
    by_platform_id: HashMap<String, String>,
    refunds_by_no: HashMap<String, RefundRef>,
    refunds_by_id: HashMap<String, RefundRef>,
    refunds_by_platform_id: HashMap<String, RefundRef>,
    // Merchant order numbers in creation order: listings walk it from the newest end.
    created: Vec<String>,
    // Positions in `Store::notifications` of each order's notifications.
    notifications: HashMap<String, Vec<usize>>,
}

impl ProviderOrders {
    fn refund_index(&self, key: RefundKey) -> &HashMap<String, RefundRef> {
        match key {
            RefundKey::RefundNo => &self.refunds_by_no,
            RefundKey::RefundId => &self.refunds_by_id,
            RefundKey::PlatformId => &self.refunds_by_platform_id,
        }
    }
}

pub(crate) struct Store {
    providers: [ProviderOrders; 4],
    pub notifications: Vec<NotificationRecord>,
    pub default_notify: HashMap<ProviderKind, String>,
    pub pooul_nonces: HashSet<String>,
    pub sunmi_bindings: HashSet<(String, String)>,
    pub mifeng_token: Option<(String, Instant)>,
    pub mifeng_calls: VecDeque<Instant>,
    changes: broadcast::Sender<Change>,
}

fn str_field<'a>(extra: &'a serde_json::Map<String, serde_json::Value>, key: &str) -> &'a str {
    extra.get(key).and_then(|v| v.as_str()).unwrap_or("")
}

// The first holder of a key keeps it: a later duplicate (refused by the provider's own checks
// where the document makes the key unique) must not hide the original.
fn index_once<V>(index: &mut HashMap<String, V>, key: &str, value: V) {
    if !key.is_empty() && !index.contains_key(key) {
        index.insert(key.to_owned(), value);
    }
}

impl Store {
    pub fn new(changes: broadcast::Sender<Change>) -> Store {
        Store {
            providers: Default::default(),
            notifications: Vec::new(),
            default_notify: HashMap::new(),
            pooul_nonces: HashSet::new(),
            sunmi_bindings: HashSet::new(),
            mifeng_token: None,
            mifeng_calls: VecDeque::new(),
            changes,
        }
    }

    fn of(&self, p: ProviderKind) -> &ProviderOrders {
        &self.providers[p as usize]
    }

    fn of_mut(&mut self, p: ProviderKind) -> &mut ProviderOrders {
        &mut self.providers[p as usize]
    }

    /// Tells the dashboard; nobody listening is fine.
    pub fn changed(&self, change: Change) {
        let _ = self.changes.send(change);
    }

    fn order_changed(&self, p: ProviderKind, order_no: &str) {
        if self.changes.receiver_count() > 0 {
            self.changed(Change::Order {
                provider: p,
                order_no: order_no.to_owned(),
            });
        }
    }

    /// By merchant order number.
    pub fn order(&self, p: ProviderKind, order_no: &str) -> Option<&Order> {
        self.of(p).by_order_no.get(order_no)
    }

    /// By merchant order number, to change it (the dashboard is told).
    pub fn order_mut(&mut self, p: ProviderKind, order_no: &str) -> Option<&mut Order> {
        if self.of(p).by_order_no.contains_key(order_no) {
            self.order_changed(p, order_no);
        }
        self.of_mut(p).by_order_no.get_mut(order_no)
    }

    /// By another documented key of the order.
    pub fn order_by(&self, p: ProviderKind, key: OrderKey, value: &str) -> Option<&Order> {
        let of = self.of(p);
        let index = match key {
            OrderKey::PlatformNo => &of.by_platform_no,
            OrderKey::PlatformId => &of.by_platform_id,
        };
        index.get(value).and_then(|no| of.by_order_no.get(no))
    }

    /// A refund and its order, by a documented key of the refund.
    pub fn refund_by(
        &self,
        p: ProviderKind,
        key: RefundKey,
        value: &str,
    ) -> Option<(&Order, &Refund)> {
        let of = self.of(p);
        let at = of.refund_index(key).get(value)?;
        let order = of.by_order_no.get(&at.order_no)?;
        Some((order, order.refunds.get(at.index)?))
    }

    /// A provider's orders, newest first.
    pub fn newest(&self, p: ProviderKind) -> impl Iterator<Item = &Order> {
        let of = self.of(p);
        of.created
            .iter()
            .rev()
            .filter_map(|no| of.by_order_no.get(no))
    }

    /// How many orders a provider holds.
    pub fn count(&self, p: ProviderKind) -> usize {
        self.of(p).by_order_no.len()
    }

    /// Adds an order (the caller has checked that its number is free) and indexes its keys.
    pub fn insert(&mut self, order: Order) {
        let p = order.provider;
        let no = order.order_no.clone();
        let of = self.of_mut(p);
        index_once(&mut of.by_platform_no, &order.platform_no, no.clone());
        index_once(
            &mut of.by_platform_id,
            str_field(&order.extra, "platformId"),
            no.clone(),
        );
        for (index, r) in order.refunds.iter().enumerate() {
            let at = RefundRef {
                order_no: no.clone(),
                index,
            };
            index_once(&mut of.refunds_by_no, &r.refund_no, at.clone());
            index_once(&mut of.refunds_by_id, &r.refund_id, at.clone());
            index_once(
                &mut of.refunds_by_platform_id,
                str_field(&r.extra, "platformId"),
                at,
            );
        }
        if of.by_order_no.insert(no.clone(), order).is_none() {
            of.created.push(no.clone());
        }
        self.order_changed(p, &no);
    }

    /// Appends a refund to an order and indexes it; the order as it is now.
    pub fn add_refund(
        &mut self,
        p: ProviderKind,
        order_no: &str,
        refund: Refund,
    ) -> Option<&Order> {
        let of = self.of_mut(p);
        let order = of.by_order_no.get_mut(order_no)?;
        let at = RefundRef {
            order_no: order_no.to_owned(),
            index: order.refunds.len(),
        };
        index_once(&mut of.refunds_by_no, &refund.refund_no, at.clone());
        index_once(&mut of.refunds_by_id, &refund.refund_id, at.clone());
        index_once(
            &mut of.refunds_by_platform_id,
            str_field(&refund.extra, "platformId"),
            at,
        );
        order.refunds.push(refund);
        self.order_changed(p, order_no);
        self.order(p, order_no)
    }

    /// Records a new notification; its position.
    pub fn push_notification(&mut self, record: NotificationRecord) -> usize {
        let index = self.notifications.len();
        let (p, no) = (record.provider, record.order_no.clone());
        self.notifications.push(record);
        self.of_mut(p)
            .notifications
            .entry(no.clone())
            .or_default()
            .push(index);
        self.order_changed(p, &no);
        index
    }

    /// Changes a recorded notification (the dashboard is told).
    pub fn update_notification(&mut self, index: usize, f: impl FnOnce(&mut NotificationRecord)) {
        if let Some(rec) = self.notifications.get_mut(index) {
            f(rec);
            let (p, no) = (rec.provider, rec.order_no.clone());
            self.order_changed(p, &no);
        }
    }

    /// An order's notifications, oldest first.
    pub fn notifications_of(
        &self,
        p: ProviderKind,
        order_no: &str,
    ) -> impl Iterator<Item = &NotificationRecord> {
        self.of(p)
            .notifications
            .get(order_no)
            .into_iter()
            .flatten()
            .filter_map(|i| self.notifications.get(*i))
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
