//! The rate limit of mifeng.md §使用规则: at most 20 calls per second per merchant.
//!
//! "Per second" is read strictly: **no window of one second may hold more than 20 calls**,
//! wherever it starts. A limiter that allows a burst of 20 and then refills at 20/s does not
//! keep that promise (20 at the end of one second and 20 at the start of the next make 40 in
//! one second), so the in-process limiter spaces calls evenly (one every 50 ms, a burst of
//! one), and the Redis limiter keeps a sliding log.
//!
//! A call waits for a slot rather than failing, up to [`crate::RateLimit::max_wait`]; a wait
//! longer than that fails at once with [`crate::Error::RateLimited`].

#[cfg(feature = "redis")]
pub(crate) mod redis;

use crate::Error;
use async_trait::async_trait;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Governor};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Hands out call slots per mch_id.
#[async_trait]
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Returns once a call for `mch_id` may be made, at most `per_second` per second; fails
    /// with [`Error::RateLimited`] if that would take longer than `max_wait`.
    async fn acquire(
        &self,
        mch_id: &str,
        per_second: NonZeroU32,
        max_wait: Duration,
    ) -> Result<(), Error>;
}

/// governor's clock on tokio's time, so that waits follow `tokio::time::pause` in tests.
#[derive(Debug, Clone, Copy, Default)]
struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;
    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}

type Keyed = Governor<
    String,
    DefaultKeyedStateStore<String>,
    TokioClock,
    NoOpMiddleware<std::time::Instant>,
>;

/// The in-process limiter (governor, keyed by mch_id and rate).
///
/// Every client of a process without an explicit limiter shares [`LocalRateLimiter::global`],
/// so two clients of one merchant never add up to more than the limit. It does not see other
/// processes: use [`crate::RedisRateLimiter`] for that.
#[derive(Default)]
pub struct LocalRateLimiter {
    limiters: std::sync::Mutex<std::collections::HashMap<u32, Arc<Keyed>>>,
}

impl fmt::Debug for LocalRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRateLimiter").finish_non_exhaustive()
    }
}

static GLOBAL: LazyLock<Arc<LocalRateLimiter>> = LazyLock::new(Arc::default);

impl LocalRateLimiter {
    /// A limiter of its own (share it through an `Arc`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The limiter shared by all clients of this process.
    pub fn global() -> Arc<LocalRateLimiter> {
        GLOBAL.clone()
    }

    fn for_rate(&self, per_second: NonZeroU32) -> Arc<Keyed> {
        let mut map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(per_second.get())
            .or_insert_with(|| {
                let period = Duration::from_secs(1) / per_second.get();
                // Burst of one: calls are spaced by `period`, so any one-second window
                // holds at most `per_second` of them.
                let quota = Quota::with_period(period)
                    .unwrap_or_else(|| Quota::per_second(per_second))
                    .allow_burst(NonZeroU32::MIN);
                Arc::new(Governor::dashmap_with_clock(quota, TokioClock))
            })
            .clone()
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn acquire(
        &self,
        mch_id: &str,
        per_second: NonZeroU32,
        max_wait: Duration,
    ) -> Result<(), Error> {
        let limiter = self.for_rate(per_second);
        let key = mch_id.to_owned();
        let deadline = tokio::time::Instant::now() + max_wait;
        loop {
            let wait = match limiter.check_key(&key) {
                Ok(()) => return Ok(()),
                Err(not_until) => not_until.wait_time_from(TokioClock.now()),
            };
            if tokio::time::Instant::now() + wait > deadline {
                return Err(Error::RateLimited { max_wait });
            }
            tokio::time::sleep(wait).await;
        }
    }
}
