//! What a token store is: the trait and the types it trades in. Kept below `config` (and
//! re-exported from `token`) so that `Config` can hold a store without `config` depending on
//! `token`, whose refresh timing is derived from `Config`.

use crate::Error;
use async_trait::async_trait;
use paysig::{ExposeSecret, SecretString};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    /// sends once it holds its rate-limit slot after waiting for it (or on a repeat), so that
    /// it sends the current token even if a refresh finished while it waited. A first
    /// attempt whose slot came at once sends the token just given by
    /// [`TokenStore::get_or_refresh`] without asking. `Ok(None)` (the default) makes the client send the
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
