//! Redis de-duplication store (feature `redis`), for several processes behind one notify URL.

use super::dedup::{ClaimState, ClaimToken, DedupStore};
use crate::error::BoxError;
use async_trait::async_trait;
use redis::aio::ConnectionManager;
use std::time::Duration;

/// `SET key processing:<token> NX PX ttl` elects one worker; `done` marks processed;
/// releasing deletes only the caller's own claim (a Lua compare-and-delete), never a `done`
/// mark nor another worker's claim.
#[derive(Clone)]
pub struct RedisDedup {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisDedup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisDedup")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

const RELEASE: &str = r#"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"#;
/// Sets `done` and answers whether the caller's claim was still the value.
const COMPLETE: &str = r#"local held = redis.call('GET', KEYS[1]) == ARGV[1] and 1 or 0
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
return held"#;

impl RedisDedup {
    /// Connects; keys are `<prefix><dedup key>`.
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, BoxError> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client).await?;
        Ok(RedisDedup {
            conn,
            prefix: prefix.into(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn claim_value(token: &ClaimToken) -> String {
    format!("processing:{}", token.as_str())
}

#[async_trait]
impl DedupStore for RedisDedup {
    async fn claim(&self, key: &str, processing: Duration) -> Result<ClaimState, BoxError> {
        let mut c = self.conn.clone();
        let k = self.key(key);
        // Twice at most: a claim that expires between the SET and the GET is claimed anew.
        for _ in 0..2 {
            let token = ClaimToken::new();
            let set: Option<String> = redis::cmd("SET")
                .arg(&k)
                .arg(claim_value(&token))
                .arg("NX")
                .arg("PX")
                .arg(millis(processing))
                .query_async(&mut c)
                .await?;
            if set.is_some() {
                return Ok(ClaimState::Claimed(token));
            }
            let v: Option<String> = redis::cmd("GET").arg(&k).query_async(&mut c).await?;
            match v.as_deref() {
                Some("done") => return Ok(ClaimState::Done),
                Some(_) => return Ok(ClaimState::InFlight),
                None => continue,
            }
        }
        Ok(ClaimState::InFlight)
    }

    async fn complete(
        &self,
        key: &str,
        token: &ClaimToken,
        done: Duration,
    ) -> Result<bool, BoxError> {
        let mut c = self.conn.clone();
        let held: i64 = redis::Script::new(COMPLETE)
            .key(self.key(key))
            .arg(claim_value(token))
            .arg(millis(done))
            .invoke_async(&mut c)
            .await?;
        Ok(held == 1)
    }

    async fn release(&self, key: &str, token: &ClaimToken) -> Result<(), BoxError> {
        let mut c = self.conn.clone();
        let _: i64 = redis::Script::new(RELEASE)
            .key(self.key(key))
            .arg(claim_value(token))
            .invoke_async(&mut c)
            .await?;
        Ok(())
    }

    async fn is_done(&self, key: &str) -> Result<bool, BoxError> {
        let mut c = self.conn.clone();
        let v: Option<String> = redis::cmd("GET")
            .arg(self.key(key))
            .query_async(&mut c)
            .await?;
        Ok(v.as_deref() == Some("done"))
    }
}
