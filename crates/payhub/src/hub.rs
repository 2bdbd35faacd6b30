//! [`Hub`]: the configured providers behind one API, and the notify pipeline.

use crate::error::{BoxError, Error, NotifyError};
use crate::gateway::Gateway;
use crate::notify::{
    ClaimState, DedupStore, DedupTtl, Delivery, MemoryDedup, Notification, NotificationKind,
    NotifyOutcome, OrderLookup,
};
use crate::payment::{
    CreatedPayment, Payment, PaymentQuery, PaymentRequest, Refund, RefundQuery, RefundRequest,
};
use crate::provider::Provider;
use crate::resolve::{RefundResolution, Resolution, ResolvePolicy};
use crate::status::PaymentStatus;
use paysig::Verified;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

/// The configured providers, routed by [`Provider`].
///
/// ```no_run
/// # async fn demo(sunmi_gateway: std::sync::Arc<dyn payhub::Gateway>) -> Result<(), payhub::Error> {
/// use payhub::{Hub, PayMethod, PaymentRequest, Provider};
/// use paysig::Money;
/// let hub = Hub::builder().gateway(sunmi_gateway).build();
/// let created = hub
///     .create_payment(Provider::Sunmi, &PaymentRequest::new(
///         "T1001", Money::parse_yuan("9.90").unwrap(), "coffee",
///         "https://shop.example/notify/sunmi",
///         PayMethod::WechatMini { app_id: "wx1".into(), open_id: "o1".into() },
///     ))
///     .await?;
/// println!("{:?}", created.action);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Hub {
    gateways: BTreeMap<Provider, Arc<dyn Gateway>>,
    dedup: Arc<dyn DedupStore>,
    ttl: DedupTtl,
    confirm_by_query: BTreeSet<Provider>,
    notify_body_limit: usize,
    resolve_policy: Option<ResolvePolicy>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("providers", &self.gateways.keys().collect::<Vec<_>>())
            .field("ttl", &self.ttl)
            .field("confirm_by_query", &self.confirm_by_query)
            .field("notify_body_limit", &self.notify_body_limit)
            .field("resolve_policy", &self.resolve_policy)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Hub`].
#[derive(Default)]
pub struct HubBuilder {
    gateways: BTreeMap<Provider, Arc<dyn Gateway>>,
    dedup: Option<Arc<dyn DedupStore>>,
    ttl: DedupTtl,
    confirm_by_query: BTreeSet<Provider>,
    notify_body_limit: Option<usize>,
    resolve_policy: Option<ResolvePolicy>,
}

impl HubBuilder {
    /// Adds (or replaces) the gateway of its provider. Its calls are recorded
    /// ([`crate::observe::Instrumented`]).
    pub fn gateway(mut self, gateway: Arc<dyn Gateway>) -> Self {
        let gateway = crate::observe::Instrumented::new(gateway, crate::observe::DEFAULT_ACCOUNT);
        self.gateways.insert(gateway.provider(), gateway);
        self
    }

    /// Uses this de-duplication store (default: in-memory).
    pub fn dedup(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.dedup = Some(store);
        self
    }

    /// Sets the de-duplication TTLs.
    pub fn dedup_ttl(mut self, ttl: DedupTtl) -> Self {
        self.ttl = ttl;
        self
    }

    /// On a notify from `provider`, query the provider and trust the queried state and
    /// amount (for providers whose notify scheme is not confirmed, such as Mifeng's).
    pub fn confirm_by_query(mut self, provider: Provider) -> Self {
        self.confirm_by_query.insert(provider);
        self
    }

    /// The largest notify body accepted, in bytes (default
    /// [`paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT`], 64 KiB). A longer body is refused with
    /// [`NotifyError::BodyTooLarge`] before anything of it is parsed; the axum router refuses
    /// it before reading it whole.
    pub fn notify_body_limit(mut self, bytes: usize) -> Self {
        self.notify_body_limit = Some(bytes);
        self
    }

    /// The policy of [`Hub::resolve_payment`] / [`Hub::resolve_refund`] for every provider
    /// (default: each gateway's own, from its provider's document). Tests shorten it.
    pub fn resolve_policy(mut self, policy: ResolvePolicy) -> Self {
        self.resolve_policy = Some(policy);
        self
    }

    /// The hub.
    pub fn build(self) -> Hub {
        Hub {
            gateways: self.gateways,
            dedup: self.dedup.unwrap_or_else(|| Arc::new(MemoryDedup::new())),
            ttl: self.ttl,
            confirm_by_query: self.confirm_by_query,
            notify_body_limit: self
                .notify_body_limit
                .unwrap_or(paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT),
            resolve_policy: self.resolve_policy,
        }
    }
}

impl Hub {
    /// A builder.
    pub fn builder() -> HubBuilder {
        HubBuilder::default()
    }

    /// The largest notify body accepted, in bytes ([`HubBuilder::notify_body_limit`]).
    pub fn notify_body_limit(&self) -> usize {
        self.notify_body_limit
    }

    /// The providers configured.
    pub fn providers(&self) -> Vec<Provider> {
        self.gateways.keys().copied().collect()
    }

    /// The gateway of `provider`.
    pub fn gateway(&self, provider: Provider) -> Result<&Arc<dyn Gateway>, Error> {
        self.gateways
            .get(&provider)
            .ok_or(Error::NotConfigured(provider))
    }

    /// Creates a payment with `provider`.
    pub async fn create_payment(
        &self,
        provider: Provider,
        request: &PaymentRequest,
    ) -> Result<CreatedPayment, Error> {
        self.gateway(provider)?.create_payment(request).await
    }

    /// Reads a payment.
    pub async fn query_payment(
        &self,
        provider: Provider,
        query: &PaymentQuery,
    ) -> Result<Payment, Error> {
        self.gateway(provider)?.query_payment(query).await
    }

    /// Refunds.
    pub async fn refund(
        &self,
        provider: Provider,
        request: &RefundRequest,
    ) -> Result<Refund, Error> {
        self.gateway(provider)?.refund(request).await
    }

    /// Reads a refund.
    pub async fn query_refund(
        &self,
        provider: Provider,
        query: &RefundQuery,
    ) -> Result<Refund, Error> {
        self.gateway(provider)?.query_refund(query).await
    }

    /// The resolution policy in force for `provider`: [`HubBuilder::resolve_policy`], else
    /// the gateway's own ([`Gateway::resolve_policy`]).
    pub fn resolve_policy(&self, provider: Provider) -> Result<ResolvePolicy, Error> {
        let gateway = self.gateway(provider)?;
        Ok(self
            .resolve_policy
            .unwrap_or_else(|| gateway.resolve_policy()))
    }

    /// After a create whose outcome is unknown: queries `provider` by the merchant's
    /// `order_no` until it holds the order paid, not paid, or not at all, or the policy's
    /// deadline passes ([`crate::resolve`] says what "not found" allows per provider). An
    /// unconfigured provider is still unknown with [`crate::ErrorClass::InvalidRequest`].
    pub async fn resolve_payment(&self, provider: Provider, order_no: &str) -> Resolution {
        match self.resolve_policy(provider) {
            Ok(policy) => match self.gateway(provider) {
                Ok(g) => g.resolve_payment(order_no, &policy).await,
                Err(e) => unresolved(&e),
            },
            Err(e) => unresolved(&e),
        }
    }

    /// After a refund whose outcome is unknown: queries refund `refund_no` of payment
    /// `order_no` until a definite state or the deadline, like [`Hub::resolve_payment`].
    pub async fn resolve_refund(
        &self,
        provider: Provider,
        order_no: &str,
        refund_no: &str,
    ) -> RefundResolution {
        match self.resolve_policy(provider) {
            Ok(policy) => match self.gateway(provider) {
                Ok(g) => g.resolve_refund(order_no, refund_no, &policy).await,
                Err(e) => unresolved(&e).into(),
            },
            Err(e) => unresolved(&e).into(),
        }
    }

    /// Closes an unpaid payment.
    pub async fn close_payment(
        &self,
        provider: Provider,
        query: &PaymentQuery,
    ) -> Result<(), Error> {
        self.gateway(provider)?.close_payment(query).await
    }

    /// Verifies a notify over the raw bytes, looks the order up, checks the amount, and drops
    /// duplicates. A new notification comes back claimed: process it, then
    /// [`Delivery::commit`] and answer its `ack`; if processing fails, [`Delivery::abandon`]
    /// and answer an error status so the provider retries. Prefer
    /// [`Hub::handle_notification_with`], which does exactly that around a callback.
    ///
    /// Every refusal is an error, never acknowledged: a bad signature, an unknown order, an
    /// amount that differs from the order (the Pooul and Sunmi documents both require the
    /// check), a notify another worker is processing right now.
    pub async fn handle_notification(
        &self,
        provider: Provider,
        headers: &http::HeaderMap,
        raw_body: &[u8],
        orders: &dyn OrderLookup,
    ) -> Result<NotifyOutcome, Error> {
        let handling = self.verify_and_claim(provider, headers, raw_body, orders);
        crate::observe::notify(provider, crate::observe::DEFAULT_ACCOUNT, handling).await
    }

    async fn verify_and_claim(
        &self,
        provider: Provider,
        headers: &http::HeaderMap,
        raw_body: &[u8],
        orders: &dyn OrderLookup,
    ) -> Result<NotifyOutcome, Error> {
        let gateway = self.gateway(provider)?;
        paysig::limit::check_body_len(raw_body, self.notify_body_limit).map_err(|e| {
            NotifyError::BodyTooLarge {
                provider,
                len: e.len,
                limit: e.limit,
            }
        })?;
        let event = gateway.parse_notification(headers, raw_body)?;
        crate::observe::record_order_no(&event.order_no);
        // The merchant's own records first: no network call for an unknown order or a wrong
        // amount. Confirmation never changes the amount (it refuses a different one).
        check_order(provider, &event, orders).await?;
        let ack = gateway.ack();
        // A replay of a processed notify is acknowledged before any confirmation query, so
        // replays cannot spend the provider's rate limit (Mifeng: 20 calls/s for everything).
        if self
            .dedup
            .is_done(&event.dedup_key())
            .await
            .map_err(NotifyError::Store)?
        {
            return Ok(NotifyOutcome::Duplicate { event, ack });
        }
        let event = if self.confirm_by_query.contains(&provider) || gateway.confirm_by_query() {
            self.confirm(gateway.as_ref(), event).await?
        } else {
            event
        };
        let key = event.dedup_key();
        match self
            .dedup
            .claim(&key, self.ttl.processing)
            .await
            .map_err(NotifyError::Store)?
        {
            ClaimState::Claimed(token) => Ok(NotifyOutcome::New(Delivery::new(
                event,
                ack,
                key,
                token,
                self.dedup.clone(),
                self.ttl,
            ))),
            ClaimState::Done => Ok(NotifyOutcome::Duplicate { event, ack }),
            ClaimState::InFlight => Err(NotifyError::InFlight { provider, key }.into()),
        }
    }

    /// [`Hub::handle_notification`] around the merchant's callback: the callback sees each
    /// notification once per claim (make it idempotent on [`Notification::dedup_key`]: see
    /// [`crate::notify`]); the acknowledgement body is returned only after it returned `Ok`.
    /// A duplicate is acknowledged without calling it. If it fails, the claim is released
    /// and [`NotifyError::Callback`] is returned, so the provider's retry is processed again.
    pub async fn handle_notification_with<F, Fut, E>(
        &self,
        provider: Provider,
        headers: &http::HeaderMap,
        raw_body: &[u8],
        orders: &dyn OrderLookup,
        callback: F,
    ) -> Result<&'static str, Error>
    where
        F: FnOnce(Verified<Notification>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Into<BoxError>,
    {
        match self
            .handle_notification(provider, headers, raw_body, orders)
            .await?
        {
            NotifyOutcome::Duplicate { ack, .. } => Ok(ack),
            NotifyOutcome::New(delivery) => {
                let event = delivery.event.clone();
                match callback(event).await {
                    Ok(()) => Ok(delivery.commit().await?),
                    Err(e) => {
                        let e: BoxError = e.into();
                        // The callback's failure is what the caller needs; a failed release
                        // only delays the retry until the claim's TTL.
                        if let Err(store) = delivery.abandon().await {
                            tracing::warn!(error = %store, "could not release a notify claim; it expires by TTL");
                        }
                        Err(NotifyError::Callback(e).into())
                    }
                }
            }
        }
    }

    /// Queries the provider about a notify and trusts the query: the queried payment (or
    /// refund) must be the notified one, with the notified amount; a notified success the
    /// query does not show yet is refused (not acknowledged), so the provider sends it again
    /// later. A refund notify that cannot be confirmed (no refund number, or no refund query at
    /// this provider) is refused: confirmation fails closed.
    async fn confirm(
        &self,
        gateway: &dyn Gateway,
        event: Verified<Notification>,
    ) -> Result<Verified<Notification>, Error> {
        let provider = event.provider;
        let order_no = event.order_no.clone();
        let refuse = |reason: String| -> Error {
            NotifyError::NotConfirmed {
                provider,
                order_no: order_no.clone(),
                reason,
            }
            .into()
        };
        let (queried_status, queried_amount) = match &event.kind {
            NotificationKind::Payment => {
                let query = PaymentQuery {
                    order_no: event.order_no.clone(),
                    provider_trade_no: event.provider_trade_no.clone(),
                };
                let queried = gateway.query_payment(&query).await?;
                if queried.order_no != event.order_no {
                    return Err(refuse(format!(
                        "the query answered for order {:?}",
                        queried.order_no
                    )));
                }
                // A refund under way or done proves the payment was made (a late pay notify).
                let paid = matches!(
                    queried.status,
                    PaymentStatus::Succeeded
                        | PaymentStatus::Refunding
                        | PaymentStatus::Refunded(_)
                );
                if event.status == PaymentStatus::Succeeded && !paid {
                    return Err(refuse(format!(
                        "notified succeeded, queried {}",
                        queried.status
                    )));
                }
                let status = if event.status == PaymentStatus::Succeeded {
                    PaymentStatus::Succeeded
                } else {
                    queried.status
                };
                (status, queried.amount)
            }
            NotificationKind::Refund { refund_no } => {
                let Some(refund_no) = refund_no.clone() else {
                    return Err(refuse(
                        "the refund notify names no refund number to query".into(),
                    ));
                };
                let query = RefundQuery {
                    order_no: event.order_no.clone(),
                    refund_no: refund_no.clone(),
                };
                let queried = match gateway.query_refund(&query).await {
                    Ok(r) => r,
                    Err(Error::Unsupported { .. }) => {
                        return Err(refuse("this provider has no refund query".into()));
                    }
                    Err(e) => return Err(e),
                };
                if queried.refund_no != refund_no {
                    return Err(refuse(format!(
                        "the query answered for refund {:?}",
                        queried.refund_no
                    )));
                }
                if matches!(event.status, PaymentStatus::Refunded(_))
                    && !matches!(queried.status, PaymentStatus::Refunded(_))
                {
                    return Err(refuse(format!(
                        "notified refunded, queried {}",
                        queried.status
                    )));
                }
                (queried.status, queried.amount)
            }
        };
        // Fail closed: a query that does not say the amount confirms nothing.
        let amount = queried_amount.ok_or_else(|| refuse("the query reports no amount".into()))?;
        if amount != event.amount {
            return Err(refuse(format!(
                "queried amount {amount} differs from notified {}",
                event.amount
            )));
        }
        Ok(event.map(|mut n| {
            n.status = queried_status;
            n
        }))
    }
}

async fn check_order(
    provider: Provider,
    event: &Notification,
    orders: &dyn OrderLookup,
) -> Result<(), NotifyError> {
    let order = orders
        .find_order(provider, &event.order_no)
        .await
        .map_err(NotifyError::Lookup)?
        .ok_or_else(|| NotifyError::UnknownOrder {
            provider,
            order_no: event.order_no.clone(),
        })?;
    let ok = match event.kind {
        NotificationKind::Payment => event.amount == order.amount,
        // A refund may be partial, never more than the order.
        NotificationKind::Refund { .. } => event.amount <= order.amount,
    };
    if ok {
        Ok(())
    } else {
        Err(NotifyError::AmountMismatch {
            provider,
            order_no: event.order_no.clone(),
            expected: order.amount,
            got: event.amount,
        })
    }
}

fn unresolved<T>(e: &Error) -> paysig::resolve::Resolution<T> {
    paysig::resolve::Resolution::StillUnknown {
        last_seen: None,
        last_error: Some(e.class()),
    }
}
