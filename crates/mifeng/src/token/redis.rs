//! [`RedisTokenStore`]: one token per merchant shared by several processes.

use super::{StoredToken, TokenFetcher, TokenStore, TokenWant};
use crate::Error;
use async_trait::async_trait;
use paysig::{ExposeSecret, SecretString};
use redis::aio::MultiplexedConnection;
use std::fmt;
use std::time::Duration;

// Compare-and-delete: release the lock only if it is still ours.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

// Compare-and-extend: renew the lease only if the lock is still ours.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

// Store a fetched token. The stored value is `<generation>:<issued>:<expires>:<token>`; the
// generation, not the value or the key's presence, tells whether someone stored since we
// looked. Ours is kept unless a token *issued after ours* was stored meanwhile (only the
// newest token is valid at Mifeng): a token key that merely expired, or an older token, never
// makes us throw away what we fetched.
// KEYS: token, lock. ARGV: lock value, generation seen, issued ms, rest of the value, key ttl ms.
// Answers 1 when stored, else the stored (newer) value.
const STORE: &str = r"
local cur = redis.call('GET', KEYS[1])
local gen, issued = 0, 0
if cur then
  gen = tonumber(string.match(cur, '^(%d+):')) or 0
  issued = tonumber(string.match(cur, '^%d+:(%d+):')) or 0
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
if gen ~= tonumber(ARGV[2]) and issued > tonumber(ARGV[3]) then
  return cur
end
redis.call('SET', KEYS[1], string.format('%d', gen + 1) .. ':' .. ARGV[4], 'PX', ARGV[5])
return 1
";

/// A [`TokenStore`] in Redis (feature `redis`), for several processes of one merchant.
///
/// Keys: `<prefix>:token:{<mch_id>}` holds the token with its generation, issue time and
/// expiry; `<prefix>:token-lock:{<mch_id>}` elects the one refresher. The braces are literal:
/// a Redis Cluster hash tag, so both keys of the scripts live in one slot.
///
/// - **The stored lifetime and the "current token" check are separate.** A reader judges a
///   token by the expiry stored with it; the key itself lives twice the token's lifetime plus
///   a minute, so it never disappears under a refresher. A refresher stores what it fetched
///   unless a token issued later was stored meanwhile (compared by generation and issue time,
///   in one Lua script): it never throws away a token because the old one expired.
/// - **A short lease, renewed.** A caller that needs a new token takes the lock with
///   `SET NX PX lease` (default 3 s) and renews it every third of the lease while it
///   fetches, so a slow refresh keeps it and a crashed refresher loses it within one lease.
///   Callers polling for the new token (every `poll_interval`) take over then.
/// - **No outage at the refresh point.** While another caller refreshes, a caller whose
///   stored token is only due for a refresh (not expired, not rejected) keeps sending it.
///
/// A waiter gives up after `max_wait` (default: the longest refresh of the default
/// [`crate::Config`] plus two leases; [`RedisTokenStore::fitted_to`] fits it to yours).
#[derive(Clone)]
pub struct RedisTokenStore {
    conn: MultiplexedConnection,
    prefix: String,
    lease: Duration,
    poll_interval: Duration,
    max_wait: Duration,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("prefix", &self.prefix)
            .field("lease", &self.lease)
            .field("poll_interval", &self.poll_interval)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

/// The default lease of the refresh lock.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(3);

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

    /// Uses an existing connection. Defaults: lease 3 s, poll every 50 ms, wait at most the
    /// default longest refresh (40 s) plus two leases for a token.
    pub fn with_connection(conn: MultiplexedConnection, prefix: impl Into<String>) -> Self {
        let default_refresh = crate::RateLimit::default()
            .max_wait
            .saturating_add(paysig::http::HttpConfig::default().timeout);
        RedisTokenStore {
            conn,
            prefix: prefix.into(),
            lease: DEFAULT_LEASE,
            poll_interval: Duration::from_millis(50),
            max_wait: Duration::ZERO,
        }
        .fitted_to_refresh(default_refresh)
    }

    /// Sets `max_wait` from the longest refresh `config` allows
    /// ([`crate::token::longest_refresh`]): `longest_refresh + 2 × lease`, so a waiter
    /// outlasts a live refresher and the replacement of a crashed one.
    pub fn fitted_to(self, config: &crate::Config) -> Self {
        self.fitted_to_refresh(super::longest_refresh(config))
    }

    fn fitted_to_refresh(mut self, longest_refresh: Duration) -> Self {
        self.max_wait = longest_refresh.saturating_add(self.lease.saturating_mul(2));
        self
    }

    /// The lease in force.
    pub fn current_lock_ttl(&self) -> Duration {
        self.lease
    }

    /// The longest wait for another process's refresh in force.
    pub fn current_max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The lease of the refresh lock (renewed every third of it while the refresher works):
    /// the time after which a crashed refresher is replaced. At least 300 ms.
    pub fn lock_ttl(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(300));
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

    async fn load(&self, key: &str) -> Result<Option<(u64, StoredToken)>, Error> {
        let mut conn = self.conn.clone();
        let raw: Option<String> = redis::cmd("GET")
            .arg(key)
            .query_async(&mut conn)
            .await
            .map_err(store_err)?;
        Ok(raw.as_deref().and_then(decode))
    }

    async fn script(&self, script: &str, key: &str, value: &str, arg: u64) -> Result<(), Error> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::Script::new(script)
            .key(key)
            .arg(value)
            .arg(arg)
            .invoke_async(&mut conn)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    /// Fetches while renewing the lease every third of it.
    async fn fetch_renewing(
        &self,
        lock_key: &str,
        lock_value: &str,
        fetcher: &dyn TokenFetcher,
    ) -> Result<StoredToken, Error> {
        let fetch = fetcher.fetch();
        tokio::pin!(fetch);
        let mut renew = tokio::time::interval(self.lease / 3);
        renew.tick().await;
        loop {
            tokio::select! {
                outcome = &mut fetch => return outcome,
                _ = renew.tick() => {
                    if let Err(e) = self
                        .script(RENEW, lock_key, lock_value, self.lease.as_millis() as u64)
                        .await
                    {
                        tracing::warn!(error = %e, "could not renew the token refresh lease");
                    }
                }
            }
        }
    }

    async fn refresh_holding_lock(
        &self,
        keys: &(String, String),
        lock_value: &str,
        want: &TokenWant,
        fetcher: &dyn TokenFetcher,
    ) -> Result<StoredToken, Error> {
        let seen = self.load(&keys.0).await?;
        if let Some((_, t)) = seen.as_ref().filter(|(_, t)| want.accepts(t)) {
            self.script(RELEASE, &keys.1, lock_value, 0).await?;
            return Ok(t.clone());
        }
        let seen_gen = seen.map_or(0, |(g, _)| g);
        let fresh = match self.fetch_renewing(&keys.1, lock_value, fetcher).await {
            Ok(t) => t,
            Err(e) => {
                self.script(RELEASE, &keys.1, lock_value, 0).await?;
                return Err(e);
            }
        };
        let lifetime = fresh.expires_at_ms.saturating_sub(fresh.issued_at_ms);
        let key_ttl_ms = lifetime.saturating_mul(2).saturating_add(60_000);
        let mut conn = self.conn.clone();
        let answer: redis::Value = redis::Script::new(STORE)
            .key(&keys.0)
            .key(&keys.1)
            .arg(lock_value)
            .arg(seen_gen)
            .arg(fresh.issued_at_ms)
            .arg(encode(&fresh))
            .arg(key_ttl_ms)
            .invoke_async(&mut conn)
            .await
            .map_err(store_err)?;
        match answer {
            redis::Value::Int(1) => Ok(fresh),
            other => {
                let newer = redis::from_redis_value::<String>(&other)
                    .ok()
                    .as_deref()
                    .and_then(decode);
                tracing::warn!(
                    "a token issued after ours was stored during our refresh; taking it"
                );
                newer.map(|(_, t)| t).ok_or_else(|| Error::TokenStore {
                    reason: "unreadable token in the store".into(),
                })
            }
        }
    }
}

/// `<issued>:<expires>:<token>` (the script puts the generation in front).
fn encode(t: &StoredToken) -> String {
    format!(
        "{}:{}:{}",
        t.issued_at_ms,
        t.expires_at_ms,
        t.token.expose_secret()
    )
}

fn decode(raw: &str) -> Option<(u64, StoredToken)> {
    let (generation, rest) = raw.split_once(':')?;
    let (issued, rest) = rest.split_once(':')?;
    let (exp, token) = rest.split_once(':')?;
    Some((
        generation.parse().ok()?,
        StoredToken {
            token: SecretString::from(token),
            issued_at_ms: issued.parse().ok()?,
            expires_at_ms: exp.parse().ok()?,
        },
    ))
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
            let stored = self.load(&keys.0).await?.map(|(_, t)| t);
            if let Some(t) = stored.as_ref().filter(|t| want.accepts(t)) {
                return Ok(t.clone());
            }
            let value = paysig::random::hex32();
            let mut conn = self.conn.clone();
            let won: Option<String> = redis::cmd("SET")
                .arg(&keys.1)
                .arg(&value)
                .arg("NX")
                .arg("PX")
                .arg(self.lease.as_millis() as u64)
                .query_async(&mut conn)
                .await
                .map_err(store_err)?;
            if won.is_some() {
                return self
                    .refresh_holding_lock(&keys, &value, want, fetcher)
                    .await;
            }
            // Someone else refreshes: a token only due for a refresh is still sent meanwhile.
            if let Some(t) = stored.filter(|t| want.usable(t)) {
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

    async fn current(&self, mch_id: &str) -> Result<Option<StoredToken>, Error> {
        Ok(self.load(&self.keys(mch_id).0).await?.map(|(_, t)| t))
    }

    fn refresh_lock_ttl(&self) -> Option<Duration> {
        Some(self.lease)
    }
}
