//! [`RedisRateLimiter`]: the 20 calls/s budget shared by several processes.

use super::{Lane, LocalQueues, Pace, RateLimiter};
use crate::Error;
use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

// The next free slot, in Redis's own clock (TIME), so that processes with skewed clocks agree.
// KEYS: the slot key. ARGV: spacing µs, longest wait µs.
// Answers the wait in µs until the caller's slot, or -1 when that is beyond the longest wait
// (then nothing is reserved).
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next)
local wait = slot - now
if wait > tonumber(ARGV[2]) then return -1 end
local after = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000) + 1000)
return wait
";

// The start times of the last calls (a sliding log in a sorted set, Redis's clock). KEYS: the
// log. ARGV: limit, window µs, member. Entries at or before now - window leave; the call starts
// only if fewer than `limit` remain, else the answer is how long until the oldest leaves.
const START: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], n - tonumber(ARGV[1]), n - tonumber(ARGV[1]), 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return wait
";

/// A [`RateLimiter`] in Redis (feature `redis`): the next free slot per mch_id in
/// `<prefix>:rate:{<mch_id>}`, read and advanced by one Lua script, so that the calls of all
/// processes together are evenly spaced (see [`crate::ratelimit`]); the start times of the
/// last calls in the sorted set `<prefix>:started:{<mch_id>}` (a call starts only if fewer
/// than `per_second` started within the window). Needs Redis 5 or later (the scripts read
/// Redis's clock with `TIME` before writing).
///
/// Each process queues its own ordinary calls locally and holds at most one slot ahead in
/// Redis; an `accesstoken` call skips the local queue, so it waits at most one slot per
/// process. A caller whose wait is longer than its `max_wait` reserves nothing.
#[derive(Clone)]
pub struct RedisRateLimiter {
    conn: MultiplexedConnection,
    prefix: String,
    queues: Arc<LocalQueues>,
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn limiter_err(e: redis::RedisError) -> Error {
    Error::RateLimiter {
        reason: e.to_string(),
    }
}

impl RedisRateLimiter {
    /// Connects to `url`; keys start with `prefix`.
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, Error> {
        let client = redis::Client::open(url).map_err(limiter_err)?;
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(limiter_err)?;
        Ok(Self::with_connection(conn, prefix))
    }

    /// Uses an existing connection.
    pub fn with_connection(conn: MultiplexedConnection, prefix: impl Into<String>) -> Self {
        RedisRateLimiter {
            conn,
            prefix: prefix.into(),
            queues: Arc::default(),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(
        &self,
        mch_id: &str,
        pace: Pace,
        max_wait: Duration,
        lane: Lane,
    ) -> Result<(), Error> {
        let deadline = tokio::time::Instant::now() + max_wait;
        let _turn = self.queues.turn(mch_id, lane, deadline, max_wait).await?;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let key = format!("{}:rate:{{{mch_id}}}", self.prefix);
        let mut conn = self.conn.clone();
        let wait_us: i64 = redis::Script::new(RESERVE)
            .key(&key)
            .arg(pace.spacing().as_micros() as u64)
            .arg(left.as_micros() as u64)
            .invoke_async(&mut conn)
            .await
            .map_err(limiter_err)?;
        let Ok(wait_us) = u64::try_from(wait_us) else {
            return Err(Error::RateLimited { max_wait });
        };
        tokio::time::sleep(Duration::from_micros(wait_us)).await;
        let log = format!("{}:started:{{{mch_id}}}", self.prefix);
        let start = redis::Script::new(START);
        loop {
            let wait_us: u64 = start
                .key(&log)
                .arg(pace.per_second.get())
                .arg(pace.window.as_micros() as u64)
                .arg(paysig::random::hex32())
                .invoke_async(&mut conn)
                .await
                .map_err(limiter_err)?;
            if wait_us == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_micros(wait_us)).await;
        }
    }
}
