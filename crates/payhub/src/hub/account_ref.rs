//! [`AccountRef`]: one account's operations and its notify pipeline.

use super::Hub;
use super::confirm::{check_order, confirm};
use crate::account::Account;
use crate::error::{BoxError, Error, NotifyError};
use crate::gateway::Gateway;
use crate::notify::{ClaimState, Delivery, Notification, NotifyOutcome, OrderLookup};
use crate::payment::{
    CreatedPayment, Payment, PaymentQuery, PaymentRequest, Refund, RefundQuery, RefundRequest,
};
use crate::provider::Provider;
use crate::resolve::{RefundResolution, Resolution, ResolvePolicy};
use paysig::Verified;
use std::future::Future;
use std::sync::Arc;

/// One account of a [`Hub`], from [`Hub::account`]: the same operations as the hub's
/// provider-addressed ones, with this account's credentials. It holds the account as it was
/// when taken: a reload meanwhile does not change it (a call in flight finishes with the
/// credentials it started with).
///
/// ```no_run
/// # async fn demo(hub: payhub::Hub) -> Result<(), payhub::Error> {
/// use payhub::{PaymentQuery, Provider};
/// let shop_b = hub.account(Provider::Pooul, "shop-b")?;
/// let payment = shop_b.query_payment(&PaymentQuery::by_order_no("T1001")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AccountRef<'h> {
    pub(super) hub: &'h Hub,
    pub(super) account: Arc<Account>,
}

impl std::fmt::Debug for AccountRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AccountRef").field(&self.account).finish()
    }
}

impl<'h> AccountRef<'h> {
    /// The provider.
    pub fn provider(&self) -> Provider {
        self.account.provider()
    }

    /// The account's name.
    pub fn name(&self) -> &str {
        self.account.name()
    }

    /// The account's gateway (every operation below goes through it).
    pub fn gateway(&self) -> &Arc<dyn Gateway> {
        self.account.gateway()
    }

    /// The account itself (its keys).
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// Creates a payment. Never retried automatically.
    pub async fn create_payment(&self, request: &PaymentRequest) -> Result<CreatedPayment, Error> {
        self.gateway().create_payment(request).await
    }

    /// Reads a payment.
    pub async fn query_payment(&self, query: &PaymentQuery) -> Result<Payment, Error> {
        self.gateway().query_payment(query).await
    }

    /// Refunds. Never retried automatically.
    pub async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        self.gateway().refund(request).await
    }

    /// Reads a refund.
    pub async fn query_refund(&self, query: &RefundQuery) -> Result<Refund, Error> {
        self.gateway().query_refund(query).await
    }

    /// Closes an unpaid payment.
    pub async fn close_payment(&self, query: &PaymentQuery) -> Result<(), Error> {
        self.gateway().close_payment(query).await
    }

    /// The resolution policy in force: [`HubBuilder::resolve_policy`](crate::HubBuilder::resolve_policy), else the gateway's.
    pub fn resolve_policy(&self) -> ResolvePolicy {
        self.hub
            .resolve_policy
            .unwrap_or_else(|| self.gateway().resolve_policy())
    }

    /// [`Hub::resolve_payment`] with this account.
    pub async fn resolve_payment(&self, order_no: &str) -> Resolution {
        let policy = self.resolve_policy();
        self.gateway().resolve_payment(order_no, &policy).await
    }

    /// [`Hub::resolve_refund`] with this account.
    pub async fn resolve_refund(&self, order_no: &str, refund_no: &str) -> RefundResolution {
        let policy = self.resolve_policy();
        self.gateway()
            .resolve_refund(order_no, refund_no, &policy)
            .await
    }

    /// Checks the body's length and verifies a notify that came to this account's route with
    /// the account's keys at the hub's clock; nothing else (no order lookup, no
    /// de-duplication). The notification names the account and the key.
    ///
    /// A notify that does not verify here but does under another account of the same
    /// provider is [`NotifyError::WrongAccount`]; one that verifies only under an expired key
    /// is [`NotifyError::KeyExpired`].
    pub fn verify_notification(
        &self,
        headers: &http::HeaderMap,
        raw_body: &[u8],
    ) -> Result<Verified<Notification>, Error> {
        let provider = self.provider();
        paysig::limit::check_body_len(raw_body, self.hub.notify_body_limit).map_err(|e| {
            NotifyError::BodyTooLarge {
                provider,
                len: e.len,
                limit: e.limit,
            }
        })?;
        match self.account.verify(headers, raw_body, (self.hub.clock)()) {
            Ok(event) => Ok(event),
            Err(expired @ Error::Notify(NotifyError::KeyExpired { .. })) => Err(expired),
            Err(refused) => {
                // Only on the failure path: which other account of this provider signed it.
                let routes = self.hub.routes();
                let owner = routes.accounts.values().find(|a| {
                    a.provider() == provider
                        && a.name() != self.name()
                        && a.signed_this(headers, raw_body)
                });
                match owner {
                    Some(owner) => Err(NotifyError::WrongAccount {
                        provider,
                        account: self.name().to_owned(),
                        belongs_to: owner.name().to_owned(),
                    }
                    .into()),
                    None => Err(refused),
                }
            }
        }
    }

    /// [`Hub::handle_notification`] on this account's route.
    pub async fn handle_notification(
        &self,
        headers: &http::HeaderMap,
        raw_body: &[u8],
        orders: &dyn OrderLookup,
    ) -> Result<NotifyOutcome, Error> {
        let handling = self.verify_and_claim(headers, raw_body, orders);
        crate::observe::notify(self.provider(), self.name(), handling).await
    }

    async fn verify_and_claim(
        &self,
        headers: &http::HeaderMap,
        raw_body: &[u8],
        orders: &dyn OrderLookup,
    ) -> Result<NotifyOutcome, Error> {
        let hub = self.hub;
        let provider = self.provider();
        let gateway = self.gateway();
        let event = self.verify_notification(headers, raw_body)?;
        crate::observe::record_order_no(&event.order_no);
        // The merchant's own records first: no network call for an unknown order or a wrong
        // amount. Confirmation never changes the amount (it refuses a different one).
        check_order(provider, &event, orders).await?;
        let ack = gateway.ack();
        // A replay of a processed notify is acknowledged before any confirmation query, so
        // replays cannot spend the provider's rate limit (Mifeng: 20 calls/s for everything).
        if hub
            .dedup
            .is_done(&event.dedup_key())
            .await
            .map_err(NotifyError::Store)?
        {
            return Ok(NotifyOutcome::Duplicate { event, ack });
        }
        let event = if hub.confirm_by_query.contains(&provider) || gateway.confirm_by_query() {
            confirm(gateway.as_ref(), event).await?
        } else {
            event
        };
        let key = event.dedup_key();
        match hub
            .dedup
            .claim(&key, hub.ttl.processing)
            .await
            .map_err(NotifyError::Store)?
        {
            ClaimState::Claimed(token) => Ok(NotifyOutcome::New(Delivery::new(
                event,
                ack,
                key,
                token,
                hub.dedup.clone(),
                hub.ttl,
            ))),
            ClaimState::Done => Ok(NotifyOutcome::Duplicate { event, ack }),
            ClaimState::InFlight => Err(NotifyError::InFlight { provider, key }.into()),
        }
    }

    /// [`Hub::handle_notification_with`] on this account's route.
    pub async fn handle_notification_with<F, Fut, E>(
        &self,
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
        match self.handle_notification(headers, raw_body, orders).await? {
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
}
