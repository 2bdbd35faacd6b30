//! The rate limit of mifeng.md §使用规则: at most 20 calls per second per merchant.
//!
//! "Per second" is read strictly: **no window of one second may hold more than 20 calls at
//! Mifeng**, wherever it starts. Two things break that with a limiter that only counts:
//!
//! - a burst: 20 calls let go at once at the start of a second arrive spread over the
//!   server's processing time (45–100 ms were seen for such a burst), so some of them land in
//!   the next second next to that second's first calls;
//! - late senders: a call admitted at its time but sent a little later moves towards the next
//!   calls.
//!
//! So the limiters here **space calls evenly**: one slot every
//! [`crate::RateLimit::spacing`] = `(1 s + margin) / per_second`, a call sent at its slot. With
//! the default 20 calls and 40 ms margin, one call every 52 ms (19.2 calls/s): there is never a
//! burst for the server to spread, and any call and the 20th after it are 1.04 s apart, so
//! up to 40 ms of difference in the delay with which the server sees them cannot put 21 calls
//! in one second. The 100 ms a *burst* of 20 took at the server is the time to work through
//! 20 calls queued at once (5 ms each); calls 52 ms apart never queue. A server whose delay
//! for single calls varies by 100 ms needs a margin of 100 ms (at most 18.2 calls/s): no
//! spacing can give both, since 21 calls must then span more than 1.1 s.
//!
//! Slots are handed out first come, first served, with one exception: the `accesstoken` call
//! ([`Lane::Token`]) **goes first**. mifeng.md counts every call of a merchant against the
//! 20/s ("每个商户账号的 mer_id 调用开放接口的频率不可超过 20 次 / 秒", with no exception for
//! `accesstoken`), so the token call takes a slot like any other, but it takes the next free
//! one: ordinary calls of a process queue locally and hold at most one slot ahead each, so
//! the token call waits at most one slot per process sharing the budget, instead of behind
//! every queued call (which let the token expire while it waited).
//!
//! A call that wakes late for its slot (a busy machine) would move towards the calls after it.
//! So before it goes, each call also checks the actual start times of the last `per_second`
//! calls (all processes for the Redis limiter): it goes only if fewer than `per_second` calls
//! started within the last `1 s + margin`, and waits otherwise. A late call thus pushes the
//! next ones back instead of crowding them.
//!
//! Why not `governor` (the project's chosen limiter crate, used here before): its GCRA lets a
//! burst through (or, with a burst of one, spaces calls but has no priority lane for the
//! token call, no check of the actual start times, and no state shared between processes).
//! The Redis limiter must run the same schedule across processes in one script on Redis's
//! clock, so one small scheduler, written once for both, is simpler than adapting governor
//! in process and re-implementing it in Lua.
//!
//! A call waits for its slot up to [`crate::RateLimit::max_wait`]; if its slot would come
//! later, it fails at once with [`crate::Error::RateLimited`].

#[cfg(feature = "metrics")]
mod counted;
#[cfg(feature = "redis")]
pub(crate) mod redis;
#[cfg(feature = "metrics")]
pub(crate) use counted::Counted;

/// The counter of rate-limit slots asked (feature `metrics`), labels `mch_id`, `lane`
/// (`call`, `token`) and `result` (`ok`, `rate_limited`, `error`). payhub lists it in
/// `payhub::observe::names`.
pub const METRIC_WAITS: &str = "payhub_mifeng_rate_limit_waits_total";
/// The histogram of the time a call waited for its slot, in seconds (feature `metrics`),
/// labels `mch_id`, `lane`.
pub const METRIC_WAIT_SECONDS: &str = "payhub_mifeng_rate_limit_wait_seconds";

use crate::Error;
use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Which queue a call waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lane {
    /// An ordinary call: first come, first served.
    Call,
    /// `accesstoken`: takes the next free slot, ahead of queued calls.
    Token,
}

/// How calls are paced: at most `per_second` calls in any `window` (one second plus the
/// margin), one every [`Pace::spacing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Calls per window.
    pub per_second: NonZeroU32,
    /// One second plus the safety margin.
    pub window: Duration,
}

impl Pace {
    /// The time between two slots: `window / per_second`.
    pub fn spacing(&self) -> Duration {
        self.window / self.per_second.get()
    }
}

/// Hands out evenly spaced call slots per mch_id.
#[async_trait]
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Returns when the caller may send: at its slot, [`Pace::spacing`] after the previous
    /// slot of `mch_id` (every process sharing the limiter included), and only if fewer than
    /// `per_second` calls started within the last `window`. Fails with
    /// [`Error::RateLimited`] if the slot would come later than `max_wait` from now.
    /// [`Lane::Token`] goes ahead of queued [`Lane::Call`]s.
    async fn acquire(
        &self,
        mch_id: &str,
        pace: Pace,
        max_wait: Duration,
        lane: Lane,
    ) -> Result<(), Error>;
}

/// The per-process queue of ordinary calls of one mch_id: its holder has the one slot this
/// process holds ahead. A token call does not queue here.
#[derive(Debug, Default)]
pub(crate) struct LocalQueues {
    queues: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl LocalQueues {
    pub(crate) fn of(&self, mch_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut q = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        q.entry(mch_id.to_owned()).or_default().clone()
    }

    /// Waits for this process's turn (ordinary calls only), or fails at `deadline`.
    pub(crate) async fn turn(
        &self,
        mch_id: &str,
        lane: Lane,
        deadline: Instant,
        max_wait: Duration,
    ) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>, Error> {
        if lane == Lane::Token {
            return Ok(None);
        }
        tokio::time::timeout_at(deadline, self.of(mch_id).lock_owned())
            .await
            .map(Some)
            .map_err(|_| Error::RateLimited { max_wait })
    }
}

/// The in-process limiter (the default).
///
/// Every client of a process without an explicit limiter shares [`LocalRateLimiter::global`],
/// so two clients of one merchant never add up to more than the limit. It does not see other
/// processes: use [`crate::RedisRateLimiter`] for that.
#[derive(Default)]
pub struct LocalRateLimiter {
    merchants: Mutex<HashMap<String, Schedule>>,
    queues: LocalQueues,
}

/// One merchant's next free slot and the start times of its last calls.
#[derive(Default)]
struct Schedule {
    next: Option<Instant>,
    started: VecDeque<Instant>,
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

    /// Takes the next slot if it comes no later than `deadline`.
    fn reserve(&self, mch_id: &str, spacing: Duration, deadline: Instant) -> Option<Instant> {
        let now = Instant::now();
        let mut merchants = self.merchants.lock().unwrap_or_else(|p| p.into_inner());
        let m = merchants.entry(mch_id.to_owned()).or_default();
        let slot = m.next.unwrap_or(now).max(now);
        if slot > deadline {
            return None;
        }
        m.next = Some(slot + spacing);
        Some(slot)
    }

    /// Records a start now if fewer than `per_second` calls started within the window;
    /// otherwise answers how long to wait.
    fn start(&self, mch_id: &str, pace: Pace) -> Result<(), Duration> {
        let now = Instant::now();
        let mut merchants = self.merchants.lock().unwrap_or_else(|p| p.into_inner());
        let m = merchants.entry(mch_id.to_owned()).or_default();
        let n = pace.per_second.get() as usize;
        if m.started.len() >= n
            && let Some(oldest) = m.started.get(m.started.len() - n)
            && now < *oldest + pace.window
        {
            return Err(*oldest + pace.window - now);
        }
        m.started.push_back(now);
        while m.started.len() > n {
            m.started.pop_front();
        }
        Ok(())
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn acquire(
        &self,
        mch_id: &str,
        pace: Pace,
        max_wait: Duration,
        lane: Lane,
    ) -> Result<(), Error> {
        let deadline = Instant::now() + max_wait;
        // Held until the call starts: the next call of the queue takes the slot after it.
        let _turn = self.queues.turn(mch_id, lane, deadline, max_wait).await?;
        let slot = self
            .reserve(mch_id, pace.spacing(), deadline)
            .ok_or(Error::RateLimited { max_wait })?;
        tokio::time::sleep_until(slot).await;
        while let Err(wait) = self.start(mch_id, pace) {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }
}
