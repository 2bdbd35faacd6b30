//! [`Hub`]: the configured providers behind one API, and the notify pipeline.

use crate::account::{Account, Clock, DEFAULT_ACCOUNT};
use crate::config::SharedEnv;
use crate::error::{BoxError, Error};
use crate::gateway::Gateway;
use crate::notify::{DedupStore, DedupTtl, MemoryDedup, Notification, NotifyOutcome, OrderLookup};
use crate::payment::{
    CreatedPayment, Payment, PaymentQuery, PaymentRequest, Refund, RefundQuery, RefundRequest,
};
use crate::provider::Provider;
use crate::resolve::{RefundResolution, Resolution, ResolvePolicy};
use paysig::Verified;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, RwLock};

mod account_ref;
mod confirm;

pub use account_ref::AccountRef;

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
    /// [`NotifyError::BodyTooLarge`](crate::NotifyError::BodyTooLarge) before anything of it is parsed; the axum router refuses
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
    /// [`Delivery::commit`](crate::notify::Delivery::commit) and answer its `ack`; if processing
    /// fails, [`Delivery::abandon`](crate::notify::Delivery::abandon)
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
    /// and [`NotifyError::Callback`](crate::NotifyError::Callback) is returned, so the provider's retry is processed again.
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

fn unresolved<T>(e: &Error) -> paysig::resolve::Resolution<T> {
    paysig::resolve::Resolution::StillUnknown {
        last_seen: None,
        last_error: Some(e.class()),
    }
}
