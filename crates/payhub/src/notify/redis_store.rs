//! Redis de-duplication store (feature `redis`), for several processes behind one notify URL.

use super::dedup::{ClaimState, DedupStore};
use crate::error::BoxError;
use async_trait::async_trait;
use redis::aio::ConnectionManager;
use std::time::Duration;

/// `SET key processing NX PX ttl` elects one worker; `done` marks processed; releasing
/// deletes only a `processing` value (a Lua compare-and-delete), never a `done` mark.
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

const RELEASE: &str = r#"if redis.call('GET', KEYS[1]) == 'processing' then return redis.call('DEL', KEYS[1]) else return 0 end"#;

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

#[async_trait]
impl DedupStore for RedisDedup {
    async fn claim(&self, key: &str, processing: Duration) -> Result<ClaimState, BoxError> {
        let mut c = self.conn.clone();
        let k = self.key(key);
        let set: Option<String> = redis::cmd("SET")
            .arg(&k)
            .arg("processing")
            .arg("NX")
            .arg("PX")
            .arg(millis(processing))
            .query_async(&mut c)
            .await?;
        if set.is_some() {
            return Ok(ClaimState::Claimed);
        }
        let v: Option<String> = redis::cmd("GET").arg(&k).query_async(&mut c).await?;
        Ok(match v.as_deref() {
            Some("done") => ClaimState::Done,
            Some(_) => ClaimState::InFlight,
            // Expired between SET and GET: try once more rather than guess.
            None => {
                let set: Option<String> = redis::cmd("SET")
                    .arg(&k)
                    .arg("processing")
                    .arg("NX")
                    .arg("PX")
                    .arg(millis(processing))
                    .query_async(&mut c)
                    .await?;
                if set.is_some() {
                    ClaimState::Claimed
                } else {
                    ClaimState::InFlight
                }
            }
        })
    }

    async fn complete(&self, key: &str, done: Duration) -> Result<(), BoxError> {
        let mut c = self.conn.clone();
        let _: () = redis::cmd("SET")
            .arg(self.key(key))
            .arg("done")
            .arg("PX")
            .arg(millis(done))
            .query_async(&mut c)
            .await?;
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), BoxError> {
        let mut c = self.conn.clone();
        let _: i64 = redis::Script::new(RELEASE)
            .key(self.key(key))
            .invoke_async(&mut c)
            .await?;
        Ok(())
    }
}
