//! [`RedisRateLimiter`]: the 20 calls/s budget shared by several processes.

use super::RateLimiter;
use crate::Error;
use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

// Sliding log. KEYS: the log. ARGV: limit, window µs, member.
// The time is Redis's own (TIME), so processes with skewed clocks still agree.
// Entries at or before now - window leave; a call is admitted only if fewer than `limit`
// entries remain in (now - window, now]. Otherwise the answer is how long until the oldest
// entry leaves.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return wait
";

/// A [`RateLimiter`] in Redis (feature `redis`): a sliding log per mch_id in a sorted set
/// `<prefix>:rate:{<mch_id>}`, checked and appended by one Lua script. Needs Redis 5 or later
/// (the script reads Redis's clock with `TIME` before writing).
///
/// Why a sliding log and not a fixed-window counter (`INCR` + `PEXPIRE` per second): a fixed
/// window lets 20 calls through at the end of one window and 20 more at the start of the
/// next, 40 within one second, which breaks the rule as the document states it. The log
/// admits a call only while fewer than 20 calls lie in the last second, so the 21st call
/// after any call comes at least one second after it: no one-second window, wherever it
/// starts, holds more than 20 calls of all processes together. It costs a sorted set of at
/// most 20 members per merchant.
///
/// The window is one second plus `margin` (default 10 ms), a cushion for the time between
/// the script's decision and the request reaching Mifeng.
#[derive(Clone)]
pub struct RedisRateLimiter {
    conn: MultiplexedConnection,
    prefix: String,
    margin: Duration,
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("prefix", &self.prefix)
            .field("margin", &self.margin)
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
            margin: Duration::from_millis(10),
        }
    }

    /// Widens the window to one second plus `margin`.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(
        &self,
        mch_id: &str,
        per_second: NonZeroU32,
        max_wait: Duration,
    ) -> Result<(), Error> {
        use rand::Rng;
        let key = format!("{}:rate:{{{mch_id}}}", self.prefix);
        let window_us = (Duration::from_secs(1) + self.margin).as_micros() as u64;
        let deadline = tokio::time::Instant::now() + max_wait;
        let script = redis::Script::new(ACQUIRE);
        loop {
            let member = format!(
                "{:016x}{:016x}",
                rand::rng().random::<u64>(),
                rand::rng().random::<u64>()
            );
            let mut conn = self.conn.clone();
            let wait_us: u64 = script
                .key(&key)
                .arg(per_second.get())
                .arg(window_us)
                .arg(member)
                .invoke_async(&mut conn)
                .await
                .map_err(limiter_err)?;
            if wait_us == 0 {
                return Ok(());
            }
            let wait = Duration::from_micros(wait_us);
            if tokio::time::Instant::now() + wait > deadline {
                return Err(Error::RateLimited { max_wait });
            }
            tokio::time::sleep(wait).await;
        }
    }
}
