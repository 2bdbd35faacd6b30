//! [`Hub`]: the configured providers behind one API, and the notify pipeline.

use crate::account::{Account, Clock, DEFAULT_ACCOUNT};
use crate::config::SharedEnv;
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
use std::sync::{Arc, RwLock};

/// The configured accounts, routed by [`Provider`] and account name.
///
/// The provider-addressed calls (`hub.create_payment(Provider::Pooul, ..)`) use each
/// provider's [`DEFAULT_ACCOUNT`]; [`Hub::account`] addresses a named one. Cloning a hub is
/// cheap and the clones share the routing table, so [`Hub::reload_credentials`] reaches all.
///
/// ```no_run
/// # async fn demo(sunmi_gateway: std::sync::Arc<dyn payhub::Gateway>) -> Result<(), payhub::Error> {
/// use payhub::{Hub, PayMethod, PaymentRequest, Provider};
/// use paysig::Money;
/// let hub = Hub::builder().gateway(sunmi_gateway).build();
/// let request = PaymentRequest::new(
///     "T1001", Money::parse_yuan("9.90").unwrap(), "coffee",
///     "https://shop.example/notify/sunmi",
///     PayMethod::WechatMini { app_id: "wx1".into(), open_id: "o1".into() },
/// );
/// let created = hub.create_payment(Provider::Sunmi, &request).await?;
/// println!("{:?}", created.action);
/// // A named account (configured as [sunmi.accounts.shop-b]):
/// // hub.account(Provider::Sunmi, "shop-b")?.create_payment(&request).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Hub {
    routes: Arc<RwLock<Arc<Routes>>>,
    source: Option<Arc<Source>>,
    clock: Clock,
    dedup: Arc<dyn DedupStore>,
    ttl: DedupTtl,
    confirm_by_query: BTreeSet<Provider>,
    notify_body_limit: usize,
    resolve_policy: Option<ResolvePolicy>,
}

/// The routing table: swapped whole by a reload; a call in flight keeps the `Arc` it took.
#[derive(Default)]
pub(crate) struct Routes {
    accounts: BTreeMap<(Provider, String), Arc<Account>>,
}

impl Routes {
    pub(crate) fn from_accounts(accounts: Vec<Account>) -> Result<Routes, Error> {
        let mut routes = Routes::default();
        for a in accounts {
            let key = (a.provider(), a.name().to_owned());
            if routes.accounts.contains_key(&key) {
                return Err(Error::Config(format!(
                    "[{}] account {:?} is configured twice",
                    key.0, key.1
                )));
            }
            routes.accounts.insert(key, Arc::new(a));
        }
        Ok(routes)
    }
}

/// Where [`Hub::reload_credentials`] reads the configuration again.
pub(crate) enum Source {
    /// A TOML file, read again (keys added to a ring take effect too).
    Path(std::path::PathBuf, SharedEnv),
    /// A parsed configuration: its files and variables are read again.
    Config(Box<crate::config::HubConfig>, SharedEnv),
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("accounts", &self.accounts())
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
    accounts: Vec<Account>,
    error: Option<Error>,
    source: Option<Source>,
    clock: Option<Clock>,
    dedup: Option<Arc<dyn DedupStore>>,
    ttl: DedupTtl,
    confirm_by_query: BTreeSet<Provider>,
    notify_body_limit: Option<usize>,
    resolve_policy: Option<ResolvePolicy>,
}

impl HubBuilder {
    /// Adds (or replaces) the gateway of its provider's [`DEFAULT_ACCOUNT`].
    pub fn gateway(self, gateway: Arc<dyn Gateway>) -> Self {
        match Account::new(DEFAULT_ACCOUNT, gateway) {
            Ok(a) => self.account(a),
            Err(e) => self.failed(e),
        }
    }

    /// Adds (or replaces) an account (named or [`DEFAULT_ACCOUNT`]).
    pub fn account(mut self, account: Account) -> Self {
        self.accounts
            .retain(|a| (a.provider(), a.name()) != (account.provider(), account.name()));
        self.accounts.push(account);
        self
    }

    fn failed(mut self, e: Error) -> Self {
        self.error.get_or_insert(e);
        self
    }

    pub(crate) fn source(mut self, source: Source) -> Self {
        self.source = Some(source);
        self
    }

    /// The clock notify keys' `valid_until` is compared with (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
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

    /// The hub. An account added twice (same provider and name) is the last one added.
    pub fn build(self) -> Hub {
        let (hub, _) = self.assemble();
        hub
    }

    /// The hub, or the first error met while adding accounts (used by the configuration).
    pub fn try_build(self) -> Result<Hub, Error> {
        match self.assemble() {
            (_, Some(e)) => Err(e),
            (hub, None) => Ok(hub),
        }
    }

    fn assemble(self) -> (Hub, Option<Error>) {
        let mut error = self.error;
        let routes = match Routes::from_accounts(self.accounts) {
            Ok(r) => r,
            Err(e) => {
                error.get_or_insert(e);
                Routes::default()
            }
        };
        let hub = Hub {
            routes: Arc::new(RwLock::new(Arc::new(routes))),
            source: self.source.map(Arc::new),
            clock: self.clock.unwrap_or_else(crate::account::system_clock),
            dedup: self.dedup.unwrap_or_else(|| Arc::new(MemoryDedup::new())),
            ttl: self.ttl,
            confirm_by_query: self.confirm_by_query,
            notify_body_limit: self
                .notify_body_limit
                .unwrap_or(paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT),
            resolve_policy: self.resolve_policy,
        };
        (hub, error)
    }
}

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
    hub: &'h Hub,
    account: Arc<Account>,
}

impl std::fmt::Debug for AccountRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AccountRef").field(&self.account).finish()
    }
}

impl Hub {
    /// A builder.
    pub fn builder() -> HubBuilder {
        HubBuilder::default()
    }

    /// This hub with another clock (e.g. for a hub from [`Hub::from_path`] in tests):
    /// notify keys' `valid_until` is compared with it ([`HubBuilder::clock`]).
    pub fn with_clock(mut self, clock: Clock) -> Hub {
        self.clock = clock;
        self
    }

    /// The largest notify body accepted, in bytes ([`HubBuilder::notify_body_limit`]).
    pub fn notify_body_limit(&self) -> usize {
        self.notify_body_limit
    }

    fn routes(&self) -> Arc<Routes> {
        // A poisoned lock still holds a whole table: the swap is one assignment.
        self.routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The providers configured (with at least one account).
    pub fn providers(&self) -> Vec<Provider> {
        let mut v: Vec<Provider> = self.routes().accounts.keys().map(|(p, _)| *p).collect();
        v.dedup();
        v
    }

    /// Every (provider, account name) configured.
    pub fn accounts(&self) -> Vec<(Provider, String)> {
        self.routes().accounts.keys().cloned().collect()
    }

    /// The account `name` at `provider`. An unknown name is [`Error::UnknownAccount`] naming
    /// it; a provider with no account at all is [`Error::NotConfigured`].
    pub fn account(&self, provider: Provider, name: &str) -> Result<AccountRef<'_>, Error> {
        let routes = self.routes();
        match routes.accounts.get(&(provider, name.to_owned())) {
            Some(a) => Ok(AccountRef {
                hub: self,
                account: a.clone(),
            }),
            None if name == DEFAULT_ACCOUNT
                && !routes.accounts.keys().any(|(p, _)| *p == provider) =>
            {
                Err(Error::NotConfigured(provider))
            }
            None => Err(Error::UnknownAccount {
                provider,
                account: name.to_owned(),
            }),
        }
    }

    /// The gateway of `provider`'s default account.
    pub fn gateway(&self, provider: Provider) -> Result<Arc<dyn Gateway>, Error> {
        Ok(self
            .account(provider, DEFAULT_ACCOUNT)?
            .account
            .gateway()
            .clone())
    }

    /// Reads the credentials again (the TOML file of [`Hub::from_path`], the key files and
    /// environment variables it names) and swaps the routing table. Calls in flight finish
    /// with the credentials they started with. If anything fails (a file gone, a key that
    /// does not parse), nothing changes and [`Error::Reload`] says why. A hub built in code,
    /// or from a borrowed lookup ([`Hub::from_config`]), has nothing to re-read:
    /// [`Error::Reload`] too. Only accounts and keys are reloaded; `[notify]` settings stay.
    pub fn reload_credentials(&self) -> Result<(), Error> {
        let source = self.source.as_ref().ok_or_else(|| {
            Error::Reload(Box::new(Error::Config(
                "this hub was not built from a reloadable source (Hub::from_path, Hub::from_toml_str or Hub::from_config_reloadable)".into(),
            )))
        })?;
        let accounts = match source.as_ref() {
            Source::Path(path, env) => crate::config::HubConfig::from_path(path)
                .and_then(|c| crate::config::build_accounts(&c, env.as_ref())),
            Source::Config(config, env) => crate::config::build_accounts(config, env.as_ref()),
        }
        .and_then(Routes::from_accounts)
        .map_err(|e| Error::Reload(Box::new(e)))?;
        *self.routes.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(accounts);
        tracing::info!("payhub credentials reloaded");
        Ok(())
    }

    /// Creates a payment with `provider`'s default account.
    pub async fn create_payment(
        &self,
        provider: Provider,
        request: &PaymentRequest,
    ) -> Result<CreatedPayment, Error> {
        self.account(provider, DEFAULT_ACCOUNT)?
            .create_payment(request)
            .await
    }

    /// Reads a payment.
    pub async fn query_payment(
        &self,
        provider: Provider,
        query: &PaymentQuery,
    ) -> Result<Payment, Error> {
        self.account(provider, DEFAULT_ACCOUNT)?
            .query_payment(query)
            .await
    }

    /// Refunds.
    pub async fn refund(
        &self,
        provider: Provider,
        request: &RefundRequest,
    ) -> Result<Refund, Error> {
        self.account(provider, DEFAULT_ACCOUNT)?
            .refund(request)
            .await
    }

    /// Reads a refund.
    pub async fn query_refund(
        &self,
        provider: Provider,
        query: &RefundQuery,
    ) -> Result<Refund, Error> {
        self.account(provider, DEFAULT_ACCOUNT)?
            .query_refund(query)
            .await
    }

    /// The resolution policy in force for `provider`: [`HubBuilder::resolve_policy`], else
    /// the gateway's own ([`Gateway::resolve_policy`]).
    pub fn resolve_policy(&self, provider: Provider) -> Result<ResolvePolicy, Error> {
        Ok(self.account(provider, DEFAULT_ACCOUNT)?.resolve_policy())
    }

    /// After a create whose outcome is unknown: queries `provider` by the merchant's
    /// `order_no` until it holds the order paid, not paid, or not at all, or the policy's
    /// deadline passes ([`crate::resolve`] says what "not found" allows per provider). An
    /// unconfigured provider is still unknown with [`crate::ErrorClass::InvalidRequest`].
    pub async fn resolve_payment(&self, provider: Provider, order_no: &str) -> Resolution {
        match self.account(provider, DEFAULT_ACCOUNT) {
            Ok(a) => a.resolve_payment(order_no).await,
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
        match self.account(provider, DEFAULT_ACCOUNT) {
            Ok(a) => a.resolve_refund(order_no, refund_no).await,
            Err(e) => unresolved(&e).into(),
        }
    }

    /// Closes an unpaid payment.
    pub async fn close_payment(
        &self,
        provider: Provider,
        query: &PaymentQuery,
    ) -> Result<(), Error> {
        self.account(provider, DEFAULT_ACCOUNT)?
            .close_payment(query)
            .await
    }

    /// Verifies a notify over the raw bytes, looks the order up, checks the amount, and drops
    /// duplicates. A new notification comes back claimed: process it, then
    /// [`Delivery::commit`] and answer its `ack`; if processing fails, [`Delivery::abandon`]
    /// and answer an error status so the provider retries. Prefer
    /// [`Hub::handle_notification_with`], which does exactly that around a callback.
    ///
    /// Every refusal is an error, never acknowledged: a bad signature, an unknown order, an
    /// amount that differs from the order (the Pooul and Sunmi documents both require the
    /// check), a notify another worker is processing right now. This is the default account's
    /// route; [`AccountRef::handle_notification`] is a named account's.
    pub async fn handle_notification(
        &self,
        provider: Provider,
        headers: &http::HeaderMap,
        raw_body: &[u8],
        orders: &dyn OrderLookup,
    ) -> Result<NotifyOutcome, Error> {
        self.account(provider, DEFAULT_ACCOUNT)?
            .handle_notification(headers, raw_body, orders)
            .await
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
        self.account(provider, DEFAULT_ACCOUNT)?
            .handle_notification_with(headers, raw_body, orders, callback)
            .await
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

    /// The resolution policy in force: [`HubBuilder::resolve_policy`], else the gateway's.
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

/// Queries the provider about a notify and trusts the query: the queried payment (or
/// refund) must be the notified one, with the notified amount; a notified success the
/// query does not show yet is refused (not acknowledged), so the provider sends it again
/// later. A refund notify that cannot be confirmed (no refund number, or no refund query at
/// this provider) is refused: confirmation fails closed.
async fn confirm(
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
                PaymentStatus::Succeeded | PaymentStatus::Refunding | PaymentStatus::Refunded(_)
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

async fn check_order(
    provider: Provider,
    event: &Notification,
    orders: &dyn OrderLookup,
) -> Result<(), NotifyError> {
    let order = orders
        .find_order_in(provider, &event.account, &event.order_no)
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
