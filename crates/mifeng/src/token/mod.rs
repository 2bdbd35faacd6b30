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
//! - a caller that waited for its rate-limit slot reads the token it sends *after* it holds
//!   the slot ([`TokenStore::current`]), so it sends the newest one even if a refresh
//!   finished meanwhile; a slot given at once (under a millisecond) sends the token secured
//!   just before, without a second read of the store;
//! - when a call is answered "token invalid" (code 2) the client asks the store for a token
//!   other than the rejected one (the newer one if another caller already refreshed, else one
//!   refresh), then repeats the call once.

#[cfg(feature = "redis")]
pub(crate) mod redis;

use crate::Error;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

pub(crate) use crate::config::token_store::now_ms;
pub use crate::config::token_store::{StoredToken, TokenFetcher, TokenStore, TokenWant};

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
    slots: Mutex<Slots>,
}

/// Every merchant's slot, and the one asked for last: a store almost always serves one
/// merchant, whose id is then compared rather than hashed on every call.
#[derive(Debug, Default)]
struct Slots {
    by_merchant: HashMap<Arc<str>, Arc<Slot>>,
    last: Option<(Arc<str>, Arc<Slot>)>,
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
        if let Some((id, slot)) = &slots.last
            && **id == *mch_id
        {
            return slot.clone();
        }
        // Looked up by the borrowed id: the key is copied only the first time, and shared
        // with `last` after.
        let (id, slot) = match slots.by_merchant.get_key_value(mch_id) {
            Some((id, slot)) => (id.clone(), slot.clone()),
            None => {
                let id: Arc<str> = Arc::from(mch_id);
                let slot = Arc::<Slot>::default();
                slots.by_merchant.insert(id.clone(), slot.clone());
                (id, slot)
            }
        };
        slots.last = Some((id, slot.clone()));
        slot
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

#[cfg(test)]
mod tests {
    use super::MemoryTokenStore;
    use std::sync::Arc;

    #[test]
    fn each_merchant_keeps_its_own_slot_whichever_was_asked_for_last() {
        let store = MemoryTokenStore::default();
        let a = store.slot("1000122");
        assert!(
            Arc::ptr_eq(&a, &store.slot("1000122")),
            "the last one, compared"
        );
        let b = store.slot("1000123");
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(
            Arc::ptr_eq(&a, &store.slot("1000122")),
            "found again by its id"
        );
        assert!(Arc::ptr_eq(&b, &store.slot("1000123")));
        // A prefix or an extension of an id is another merchant.
        let short = store.slot("100012");
        assert!(!Arc::ptr_eq(&short, &a) && !Arc::ptr_eq(&short, &b));
        assert!(!Arc::ptr_eq(&store.slot("10001222"), &a));
        assert_eq!(store.slots.lock().unwrap().by_merchant.len(), 4);
    }
}
