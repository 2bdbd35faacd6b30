//! [`RedisTokenStore`]: one token per merchant shared by several processes.

use super::{StoredToken, TokenFetcher, TokenStore, TokenWant, now_ms};
use crate::Error;
use async_trait::async_trait;
use paysig::{ExposeSecret, SecretString};
use redis::aio::MultiplexedConnection;
use std::fmt;
use std::time::Duration;

// Compare-and-delete: release the lock only if it is still ours (it may have expired and been
// taken by another refresher meanwhile).
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

// Store the fetched token unless someone else stored one since we looked (theirs is newer,
// and only the newest token is valid) or holds the lock now (theirs is about to be newer).
// KEYS: token, lock. ARGV: lock value, token value we saw ('' for none), new value, ttl ms.
const STORE: &str = r"
local cur = redis.call('GET', KEYS[1]) or ''
local holder = redis.call('GET', KEYS[2])
local mine = holder == ARGV[1]
if cur ~= ARGV[2] or (holder and not mine) then
  if mine then redis.call('DEL', KEYS[2]) end
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
if mine then redis.call('DEL', KEYS[2]) end
return 1
";

/// A [`TokenStore`] in Redis (feature `redis`), for several processes of one merchant.
///
/// Keys: `<prefix>:token:{<mch_id>}` holds the token and its expiry (with a matching TTL);
/// `<prefix>:token-lock:{<mch_id>}` elects the one refresher. The braces are literal: a Redis
/// Cluster hash tag, so both keys of the scripts live in one slot.
///
/// A caller that needs a new token tries `SET lock <random> NX PX lock_ttl`. The winner looks
/// at the stored token once more, calls `accesstoken`, stores the result and releases the lock,
/// both by Lua scripts that compare the lock's value first, so a refresher whose lock expired
/// can neither delete a successor's lock nor overwrite a newer token. The others poll the stored
/// token every `poll_interval` until an acceptable one appears; if the refresher dies, its lock
/// expires after `lock_ttl` and the next poller takes over.
///
/// `lock_ttl` must outlive the refresh, or a second process refreshes meanwhile and the two
/// tokens supersede each other. A refresh is one rate-limit wait plus one HTTP attempt
/// ([`crate::token::longest_refresh`]: `accesstoken` is never repeated), so
/// `lock_ttl = longest_refresh + 10 s` and `max_wait = 2 × lock_ttl` (a waiter outlasts a
/// refresher that died holding the lock). The defaults follow the default [`crate::Config`];
/// call [`RedisTokenStore::fitted_to`] with yours when you change its HTTP timeout or
/// rate-limit wait (the client logs a warning when the lock is too short).
#[derive(Clone)]
pub struct RedisTokenStore {
    conn: MultiplexedConnection,
    prefix: String,
    lock_ttl: Duration,
    poll_interval: Duration,
    max_wait: Duration,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("prefix", &self.prefix)
            .field("lock_ttl", &self.lock_ttl)
            .field("poll_interval", &self.poll_interval)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

/// Added to the longest refresh for the Redis round trips and clock drift between processes.
const LOCK_MARGIN: Duration = Duration::from_secs(10);

fn store_err(e: redis::RedisError) -> Error {
    Error::TokenStore {
        reason: e.to_string(),
    }
}

impl RedisTokenStore {
    /// Connects to `url` (e.g. `redis://127.0.0.1:6379/`); keys start with `prefix`.
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, Error> {
        let client = redis::Client::open(url).map_err(store_err)?;
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(store_err)?;
        Ok(Self::with_connection(conn, prefix))
    }

    /// Uses an existing connection. Defaults: lock TTL 50 s (the default 10 s rate-limit wait
    /// and 30 s HTTP timeout, plus a 10 s margin), poll every 50 ms, wait at most 100 s for
    /// another process's refresh.
    pub fn with_connection(conn: MultiplexedConnection, prefix: impl Into<String>) -> Self {
        let default_refresh = crate::RateLimit::default()
            .max_wait
            .saturating_add(paysig::http::HttpConfig::default().timeout);
        RedisTokenStore {
            conn,
            prefix: prefix.into(),
            lock_ttl: Duration::ZERO,
            poll_interval: Duration::from_millis(50),
            max_wait: Duration::ZERO,
        }
        .fitted_to_refresh(default_refresh)
    }

    /// Sets `lock_ttl` and `max_wait` from the longest refresh `config` allows
    /// ([`crate::token::longest_refresh`]): `lock_ttl = longest_refresh + 10 s`,
    /// `max_wait = 2 × lock_ttl`.
    pub fn fitted_to(self, config: &crate::Config) -> Self {
        self.fitted_to_refresh(super::longest_refresh(config))
    }

    fn fitted_to_refresh(mut self, longest_refresh: Duration) -> Self {
        self.lock_ttl = longest_refresh.saturating_add(LOCK_MARGIN);
        self.max_wait = self.lock_ttl.saturating_mul(2);
        self
    }

    /// The lock TTL in force.
    pub fn current_lock_ttl(&self) -> Duration {
        self.lock_ttl
    }

    /// The longest wait for another process's refresh in force.
    pub fn current_max_wait(&self) -> Duration {
        self.max_wait
    }

    /// How long a refresher holds the lock at most (the time after which a crashed
    /// refresher is replaced).
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }

    /// How often waiting callers look for the new token.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// How long a caller waits for a token before [`Error::TokenStore`].
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    fn keys(&self, mch_id: &str) -> (String, String) {
        (
            format!("{}:token:{{{mch_id}}}", self.prefix),
            format!("{}:token-lock:{{{mch_id}}}", self.prefix),
        )
    }

    async fn load(&self, key: &str) -> Result<(String, Option<StoredToken>), Error> {
        let mut conn = self.conn.clone();
        let raw: Option<String> = redis::cmd("GET")
            .arg(key)
            .query_async(&mut conn)
            .await
            .map_err(store_err)?;
        let raw = raw.unwrap_or_default();
        Ok((raw.clone(), decode(&raw)))
    }

    async fn release(&self, lock_key: &str, value: &str) -> Result<(), Error> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::Script::new(RELEASE)
            .key(lock_key)
            .arg(value)
            .invoke_async(&mut conn)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn refresh_holding_lock(
        &self,
        keys: &(String, String),
        lock_value: &str,
        want: &TokenWant,
        fetcher: &dyn TokenFetcher,
    ) -> Result<Option<StoredToken>, Error> {
        let (seen_raw, seen) = self.load(&keys.0).await?;
        if let Some(t) = seen.filter(|t| want.accepts(t)) {
            self.release(&keys.1, lock_value).await?;
            return Ok(Some(t));
        }
        let fresh = match fetcher.fetch().await {
            Ok(t) => t,
            Err(e) => {
                self.release(&keys.1, lock_value).await?;
                return Err(e);
            }
        };
        let ttl_ms = fresh.expires_at_ms.saturating_sub(now_ms()).max(1);
        let mut conn = self.conn.clone();
        let stored: i64 = redis::Script::new(STORE)
            .key(&keys.0)
            .key(&keys.1)
            .arg(lock_value)
            .arg(seen_raw)
            .arg(encode(&fresh))
            .arg(ttl_ms)
            .invoke_async(&mut conn)
            .await
            .map_err(store_err)?;
        if stored == 1 {
            Ok(Some(fresh))
        } else {
            tracing::warn!("token lock expired during the refresh; taking the newer token");
            Ok(None)
        }
    }
}

fn encode(t: &StoredToken) -> String {
    format!(
        "{}:{}:{}",
        t.issued_at_ms,
        t.expires_at_ms,
        t.token.expose_secret()
    )
}

fn decode(raw: &str) -> Option<StoredToken> {
    let (issued, rest) = raw.split_once(':')?;
    let (exp, token) = rest.split_once(':')?;
    Some(StoredToken {
        token: SecretString::from(token),
        issued_at_ms: issued.parse().ok()?,
        expires_at_ms: exp.parse().ok()?,
    })
}

fn lock_value() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    format!("{:016x}{:016x}", rng.random::<u64>(), rng.random::<u64>())
}

#[async_trait]
impl TokenStore for RedisTokenStore {
    async fn get_or_refresh(
        &self,
        mch_id: &str,
        want: &TokenWant,
        fetcher: &dyn TokenFetcher,
    ) -> Result<StoredToken, Error> {
        let keys = self.keys(mch_id);
        let started = tokio::time::Instant::now();
        loop {
            if let (_, Some(t)) = self.load(&keys.0).await?
                && want.accepts(&t)
            {
                return Ok(t);
            }
            let value = lock_value();
            let mut conn = self.conn.clone();
            let won: Option<String> = redis::cmd("SET")
                .arg(&keys.1)
                .arg(&value)
                .arg("NX")
                .arg("PX")
                .arg(self.lock_ttl.as_millis() as u64)
                .query_async(&mut conn)
                .await
                .map_err(store_err)?;
            if won.is_some()
                && let Some(t) = self
                    .refresh_holding_lock(&keys, &value, want, fetcher)
                    .await?
            {
                return Ok(t);
            }
            if started.elapsed() >= self.max_wait {
                return Err(Error::TokenStore {
                    reason: format!("no token appeared within {:?}", self.max_wait),
                });
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    fn refresh_lock_ttl(&self) -> Option<Duration> {
        Some(self.lock_ttl)
    }
}
