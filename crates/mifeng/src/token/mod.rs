//! The access token lifecycle (mifeng.md §接口授权).
//!
//! The document asks for a central token holder: a token lives 2 hours and **each refresh
//! supersedes every earlier token**, so two refreshers racing each other invalidate one
//! another. Hence:
//!
//! - one [`TokenStore`] per merchant, shared by every client of that merchant: by default the
//!   process-wide [`MemoryTokenStore::global`] (one per base URL, keyed by mch_id, so two
//!   clients of one merchant in one process share the token) or, with the `redis` feature,
//!   [`RedisTokenStore`](crate::RedisTokenStore) for several processes;
//! - a store lets exactly one caller refresh at a time (single flight) and hands the new
//!   token to everyone waiting;
//! - a token is refreshed [`crate::Config::token_refresh_skew`] before it expires, by one
//!   caller, while the others keep sending it until the new one is stored; the `accesstoken`
//!   call goes ahead of the rate-limit queue ([`crate::ratelimit::Lane::Token`]), so the
//!   refresh finishes before the old token expires;
//! - a caller reads the token it sends *after* it holds its rate-limit slot
//!   ([`TokenStore::current`]), so it sends the newest one even if it waited;
//! - when a call is answered "token invalid" (code 2) the client asks the store for a token
//!   other than the rejected one (the newer one if another caller already refreshed, else one
//!   refresh), then repeats the call once.

#[cfg(feature = "redis")]
pub(crate) mod redis;

use crate::Error;
use async_trait::async_trait;
use paysig::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The counter of `accesstoken` calls made (feature `metrics`), labels `mch_id` and `class`
/// (`ok`, or the error's class label). A token reused from the store is not counted. payhub
/// lists it in `payhub::observe::names`.
pub const METRIC_REFRESHES: &str = "payhub_mifeng_token_refreshes_total";

/// Counts one `accesstoken` call by how it ended (nothing without the `metrics` feature).
pub(crate) fn count_refresh(mch_id: &str, fetched: &Result<StoredToken, Error>) {
    #[cfg(feature = "metrics")]
    {
        let class = match fetched {
            Ok(_) => "ok",
            Err(e) => e.class().label(),
        };
        metrics::counter!(METRIC_REFRESHES, "mch_id" => mch_id.to_owned(), "class" => class)
            .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (mch_id, fetched);
}

/// A token and the moment it expires.
#[derive(Debug, Clone)]
pub struct StoredToken {
    /// The token.
    pub token: SecretString,
    /// When it was issued, Unix milliseconds.
    pub issued_at_ms: u64,
    /// Expiry, Unix milliseconds (wall clock, so that processes can share it).
    pub expires_at_ms: u64,
}

/// Unix time now in milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Which stored token a caller can use.
#[derive(Clone)]
pub struct TokenWant {
    skew: Duration,
    rejected: Option<SecretString>,
}

impl fmt::Debug for TokenWant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenWant")
            .field("skew", &self.skew)
            .field("rejected", &self.rejected.is_some())
            .finish()
    }
}

impl TokenWant {
    /// Any token that expires later than `skew` from now.
    pub fn fresh(skew: Duration) -> Self {
        TokenWant {
            skew,
            rejected: None,
        }
    }

    /// As [`TokenWant::fresh`], and not `rejected` (a token Mifeng just refused).
    pub fn replacing(skew: Duration, rejected: SecretString) -> Self {
        TokenWant {
            skew,
            rejected: Some(rejected),
        }
    }

    /// Whether `t` will do, judged now: [`TokenWant::usable`], and not due for a refresh
    /// (it expires later than the skew from now).
    pub fn accepts(&self, t: &StoredToken) -> bool {
        if !self.usable(t) {
            return false;
        }
        // The skew is capped at half the lifetime: a token living 60 s with a 5 min skew would
        // otherwise be refreshed on every call, superseding itself each time.
        let half_life = t.expires_at_ms.saturating_sub(t.issued_at_ms) / 2;
        let skew = (self.skew.as_millis() as u64).min(half_life);
        t.expires_at_ms > now_ms().saturating_add(skew)
    }

    /// Whether `t` can still be sent while another caller refreshes it: not expired and not
    /// the rejected token.
    pub fn usable(&self, t: &StoredToken) -> bool {
        if let Some(r) = &self.rejected
            && paysig::md5::ct_eq(
                r.expose_secret().as_bytes(),
                t.token.expose_secret().as_bytes(),
            )
        {
            return false;
        }
        t.expires_at_ms > now_ms()
    }
}

/// The longest a client's token refresh can take: one rate-limit wait
/// ([`crate::RateLimit::max_wait`]) and one HTTP attempt ([`paysig::http::HttpConfig::timeout`],
/// which covers connecting and reading the answer). `accesstoken` is never repeated, so
/// there is no retry or backoff to add. A shared store's lock must outlive this.
pub fn longest_refresh(config: &crate::Config) -> Duration {
    config
        .rate_limit
        .max_wait
        .saturating_add(config.http.timeout)
}

/// Fetches a new token from Mifeng (the client implements it; a store calls it at most once
/// per refresh).
#[async_trait]
pub trait TokenFetcher: Send + Sync {
    /// Calls `accesstoken`.
    async fn fetch(&self) -> Result<StoredToken, Error>;
}

/// Keeps a merchant's token and makes sure that callers sharing the store refresh it once.
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// Returns a token that `want` accepts: the stored one if it does, otherwise the one
    /// fetched through `fetcher`. When several callers need a new token at the same time,
    /// exactly one of them calls `fetcher` and the others get its result; while that refresh
    /// runs, the others may get the stored token if `want` finds it still
    /// [usable](TokenWant::usable) (it is only due for a refresh, not expired or rejected).
    async fn get_or_refresh(
        &self,
        mch_id: &str,
        want: &TokenWant,
        fetcher: &dyn TokenFetcher,
    ) -> Result<StoredToken, Error>;

    /// The newest stored token of `mch_id`, without waiting or refreshing: what a caller
    /// sends once it holds its rate-limit slot, so that it sends the current token even if a
    /// refresh finished while it waited. `Ok(None)` (the default) makes the client send the
    /// token [`TokenStore::get_or_refresh`] gave it before the wait.
    async fn current(&self, mch_id: &str) -> Result<Option<StoredToken>, Error> {
        let _ = mch_id;
        Ok(None)
    }

    /// For a store shared between processes: the lease of the refresh lock, after which a
    /// refresher that stopped renewing it (it crashed) is replaced. `None` (the default) for
    /// in-process stores.
    fn refresh_lock_ttl(&self) -> Option<Duration> {
        None
    }
}

/// The process-wide stores behind [`MemoryTokenStore::global`], one per base URL.
static GLOBAL: LazyLock<Mutex<HashMap<String, Arc<MemoryTokenStore>>>> =
    LazyLock::new(Default::default);

/// The in-process store (the default): a slot per mch_id, each with a
/// `tokio::sync::Mutex` around the refresh and a second look at the slot once the mutex is
/// held, so the callers that queued behind a refresh take its token instead of refreshing
/// again. Callers that queued behind a refresh that failed get its error rather than each
/// trying again in turn.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

#[derive(Debug, Default)]
struct Slot {
    current: Mutex<Option<StoredToken>>,
    /// Number of refreshes finished, readable without waiting for `refresh`.
    finished: AtomicU64,
    refresh: tokio::sync::Mutex<Flight>,
}

/// The last refresh, guarded by the single-flight mutex.
#[derive(Debug, Default)]
struct Flight {
    finished: u64,
    failure: Option<Error>,
}

impl Slot {
    fn get(&self, fits: impl Fn(&StoredToken) -> bool) -> Option<StoredToken> {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        current.as_ref().filter(|t| fits(t)).cloned()
    }
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store shared by every client of this process talking to `base` (the default of
    /// [`crate::Config::token_store`]). Within it, tokens are kept per mch_id. Keyed by base
    /// URL too, since a token of one host (production, a sandbox, a test server) means
    /// nothing to another. Clients sharing base URL and mch_id share the token whatever
    /// secret they were given.
    pub fn global(base: &url::Url) -> Arc<MemoryTokenStore> {
        let mut stores = GLOBAL.lock().unwrap_or_else(|p| p.into_inner());
        stores.entry(base.to_string()).or_default().clone()
    }

    fn slot(&self, mch_id: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(mch_id.to_owned()).or_default().clone()
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn get_or_refresh(
        &self,
        mch_id: &str,
        want: &TokenWant,
        fetcher: &dyn TokenFetcher,
    ) -> Result<StoredToken, Error> {
        let slot = self.slot(mch_id);
        if let Some(t) = slot.get(|t| want.accepts(t)) {
            return Ok(t);
        }
        let seen = slot.finished.load(Ordering::SeqCst);
        let mut flight = match slot.refresh.try_lock() {
            Ok(flight) => flight,
            Err(_) => {
                // Someone is refreshing: the stored token is only due for a refresh, so keep
                // sending it meanwhile (no outage at the refresh point).
                if let Some(t) = slot.get(|t| want.usable(t)) {
                    return Ok(t);
                }
                slot.refresh.lock().await
            }
        };
        // Whoever held the mutex before us may have stored exactly what we need.
        if let Some(t) = slot.get(|t| want.accepts(t)) {
            return Ok(t);
        }
        // A refresh finished, failing, while we queued: share its outcome.
        if flight.finished != seen
            && let Some(e) = &flight.failure
        {
            return Err(e.clone());
        }
        let outcome = fetcher.fetch().await;
        flight.finished += 1;
        slot.finished.store(flight.finished, Ordering::SeqCst);
        match outcome {
            Ok(fresh) => {
                flight.failure = None;
                *slot.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(fresh.clone());
                Ok(fresh)
            }
            Err(e) => {
                flight.failure = Some(e.clone());
                Err(e)
            }
        }
    }

    async fn current(&self, mch_id: &str) -> Result<Option<StoredToken>, Error> {
        Ok(self.slot(mch_id).get(|_| true))
    }
}
