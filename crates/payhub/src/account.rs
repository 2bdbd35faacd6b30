//! Merchant accounts: several per provider, each with its own credentials and its own ring of
//! notify keys ([`Account`], [`NotifyKey`]).
//!
//! A hub routes by (provider, account name). The account named [`DEFAULT_ACCOUNT`] is the one
//! `Hub::create_payment(provider, ..)` and the other provider-addressed calls use, and the
//! one a `[pooul]` (etc.) TOML section configures; named accounts come from
//! `[pooul.accounts.<name>]` or [`crate::HubBuilder::account`], and are addressed with
//! [`crate::Hub::account`].
//!
//! # Key rotation
//! An account holds one or more [`NotifyKey`]s, each with an optional `valid_until`. A notify
//! is accepted when it verifies under a key still valid at the hub's clock; the notification
//! then names that key ([`crate::Notification::key`], the label, never the key). A notify
//! that verifies only under a key past its `valid_until` is refused with
//! [`crate::NotifyError::KeyExpired`], naming the key and the moment it expired.

use crate::error::{Error, NotifyError};
use crate::gateway::Gateway;
use crate::notify::Notification;
use crate::provider::Provider;
use paysig::Verified;
use std::sync::Arc;
use std::time::SystemTime;

/// The name of the account a provider's own TOML section (`[pooul]`) configures, and the one
/// the provider-addressed calls (`Hub::create_payment(provider, ..)`) use.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The hub's clock (injectable for tests: see [`crate::HubBuilder::clock`]).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(SystemTime::now)
}

/// One key (or secret) a notify of an account may be signed with: a label, an optional end of
/// validity, and the gateway that verifies with it (built with this key; it never calls the
/// provider).
#[derive(Clone)]
pub struct NotifyKey {
    label: String,
    valid_until: Option<SystemTime>,
    verifier: Arc<dyn Gateway>,
}

impl std::fmt::Debug for NotifyKey {
    // The verifier holds the key: only the label and the validity are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyKey")
            .field("label", &self.label)
            .field("valid_until", &self.valid_until.map(rfc3339))
            .finish_non_exhaustive()
    }
}

impl NotifyKey {
    /// A key labelled `label` (recorded on each notification it verifies), valid forever,
    /// verified by `verifier` (a gateway of the same provider built with this key).
    pub fn new(label: impl Into<String>, verifier: Arc<dyn Gateway>) -> Self {
        NotifyKey {
            label: label.into(),
            valid_until: None,
            verifier,
        }
    }

    /// The key is refused from this moment on.
    pub fn valid_until(mut self, until: SystemTime) -> Self {
        self.valid_until = Some(until);
        self
    }

    /// The label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// When the key stops being accepted, if ever.
    pub fn expires(&self) -> Option<SystemTime> {
        self.valid_until
    }

    fn valid_at(&self, now: SystemTime) -> bool {
        self.valid_until.is_none_or(|until| now < until)
    }
}

/// One merchant account at one provider: its name, the gateway its calls go through, and the
/// keys its notifies may be signed with.
///
/// ```
/// # fn demo(gateway_b: std::sync::Arc<dyn payhub::Gateway>) -> Result<(), payhub::Error> {
/// use payhub::account::Account;
/// let shop_b = Account::new("shop-b", gateway_b)?;
/// let hub = payhub::Hub::builder().account(shop_b).build();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Account {
    provider: Provider,
    name: String,
    gateway: Arc<dyn Gateway>,
    keys: Vec<NotifyKey>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("provider", &self.provider)
            .field("name", &self.name)
            .field("notify_keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// The one place an account's gateway is built: every facade operation of the account goes
/// through what this returns (a decorator such as a metrics wrapper goes here).
fn account_gateway(gateway: Arc<dyn Gateway>, account: &str) -> Arc<dyn Gateway> {
    crate::observe::Instrumented::new(gateway, account)
}

impl Account {
    /// The account `name` of `gateway`'s provider. Its notifies verify with the gateway's own
    /// key until [`Account::with_notify_key`] adds keys.
    ///
    /// A name is 1 to 64 ASCII letters, digits, `-` or `_` (it is a URL path segment and a
    /// ledger column); anything else is [`Error::Config`].
    pub fn new(name: impl Into<String>, gateway: Arc<dyn Gateway>) -> Result<Self, Error> {
        let name = name.into();
        check_name(gateway.provider(), &name)?;
        Ok(Account {
            provider: gateway.provider(),
            gateway: account_gateway(gateway, &name),
            name,
            keys: Vec::new(),
        })
    }

    /// Adds a key its notifies may be signed with. Once an account has keys, only they
    /// verify notifies (in the order added).
    pub fn with_notify_key(mut self, key: NotifyKey) -> Self {
        self.keys.push(key);
        self
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The account's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The gateway its calls go through.
    pub fn gateway(&self) -> &Arc<dyn Gateway> {
        &self.gateway
    }

    /// The keys its notifies may be signed with (empty: the gateway's own).
    pub fn notify_keys(&self) -> &[NotifyKey] {
        &self.keys
    }

    /// Verifies a notify with this account's keys at `now` and stamps the account and the
    /// key on it. Tried in order: the first key still valid that verifies wins; a notify that
    /// verifies only under an expired key is [`NotifyError::KeyExpired`]; one that verifies
    /// under none is the first key's refusal.
    pub(crate) fn verify(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified<Notification>, Error> {
        if self.keys.is_empty() {
            let event = self.gateway.parse_notification(headers, body)?;
            return Ok(self.stamp(event, None));
        }
        let mut first_refusal = None;
        let mut expired = None;
        for key in &self.keys {
            match key.verifier.parse_notification(headers, body) {
                Ok(event) if key.valid_at(now) => {
                    return Ok(self.stamp(event, Some(key.label.clone())));
                }
                Ok(_) => {
                    expired.get_or_insert(key);
                }
                Err(e) => {
                    first_refusal.get_or_insert(e);
                }
            }
        }
        if let Some(key) = expired {
            return Err(NotifyError::KeyExpired {
                provider: self.provider,
                account: self.name.clone(),
                key: key.label.clone(),
                valid_until: key.valid_until.map(rfc3339).unwrap_or_default(),
            }
            .into());
        }
        Err(first_refusal.unwrap_or_else(|| {
            NotifyError::Verification {
                provider: self.provider,
                reason: "no notify key".into(),
            }
            .into()
        }))
    }

    /// Whether a notify verifies under any key of this account (expired or not): used only to
    /// name the account a misrouted notify belongs to.
    pub(crate) fn signed_this(&self, headers: &http::HeaderMap, body: &[u8]) -> bool {
        if self.keys.is_empty() {
            return self.gateway.parse_notification(headers, body).is_ok();
        }
        self.keys
            .iter()
            .any(|k| k.verifier.parse_notification(headers, body).is_ok())
    }

    fn stamp(&self, event: Verified<Notification>, key: Option<String>) -> Verified<Notification> {
        event.map(|mut n| {
            n.account = self.name.clone();
            n.key = key;
            n
        })
    }
}

fn check_name(provider: Provider, name: &str) -> Result<(), Error> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "[{provider}] account name {name:?} must be 1 to 64 letters, digits, '-' or '_'"
        )))
    }
}

/// `2026-12-01T00:00:00Z`, for errors and Debug.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format!("{t:?}"))
}
