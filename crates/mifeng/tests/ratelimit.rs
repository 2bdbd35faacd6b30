//! The 20 calls/s rule (mifeng.md §使用规则), measured where the limiter lets calls through.

mod common;

use mifeng::ratelimit::Lane;
use mifeng::{Client, Error, LocalRateLimiter, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const TWENTY: NonZeroU32 = NonZeroU32::new(20).unwrap();
/// The default spacing: (1 s + 40 ms) / 20.
const SPACING: Duration = Duration::from_millis(52);
const PACE: mifeng::Pace = mifeng::Pace {
    per_second: TWENTY,
    window: Duration::from_millis(1040),
};

/// The largest number of instants inside any half-open window `[t, t + window)`.
fn busiest_window(sorted: &[Duration], window: Duration) -> usize {
    let mut best = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end] - sorted[start] >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[tokio::test(start_paused = true)]
async fn two_hundred_calls_are_spaced_evenly_and_no_second_holds_more_than_twenty() {
    let limiter = Arc::new(LocalRateLimiter::new());
    let t0 = Instant::now();
    let tasks = (0..200).map(|_| {
        let limiter = limiter.clone();
        tokio::spawn(async move {
            limiter
                .acquire(
                    "paused-clock-merchant",
                    PACE,
                    Duration::from_secs(60),
                    Lane::Call,
                )
                .await
                .unwrap();
            // The virtual instant at which the limiter let this call through.
            Instant::now() - t0
        })
    });
    let mut at: Vec<Duration> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    at.sort();
    assert_eq!(at.len(), 200);
    // Evenly spaced: every call 52 ms after the previous one, none sooner.
    for pair in at.windows(2) {
        assert!(pair[1] - pair[0] >= SPACING, "{:?}", pair);
    }
    assert!(
        at[199] >= SPACING * 199,
        "200 calls took only {:?}",
        at[199]
    );
    assert_eq!(busiest_window(&at, Duration::from_secs(1)), 20);
    // A margin of 40 ms: the 21st call after any call is 1.04 s later, so a window of one
    // second holds 20 even if the server sees one of them up to 40 ms later than the other.
    assert_eq!(busiest_window(&at, Duration::from_millis(1040)), 20);
}

#[tokio::test(start_paused = true)]
async fn the_limit_is_per_merchant() {
    let limiter = LocalRateLimiter::new();
    let t0 = Instant::now();
    for _ in 0..20 {
        limiter
            .acquire("m-a", PACE, Duration::from_secs(5), Lane::Call)
            .await
            .unwrap();
    }
    let a_done = Instant::now() - t0;
    // Another merchant is not slowed by the first one's calls.
    let t1 = Instant::now();
    limiter
        .acquire("m-b", PACE, Duration::ZERO, Lane::Call)
        .await
        .unwrap();
    assert_eq!(Instant::now() - t1, Duration::ZERO);
    assert!(a_done >= SPACING * 19);
}

#[tokio::test(start_paused = true)]
async fn a_wait_beyond_the_deadline_fails_with_a_typed_error() {
    let limiter = LocalRateLimiter::new();
    limiter
        .acquire("m-d", PACE, Duration::ZERO, Lane::Call)
        .await
        .unwrap();
    let t0 = Instant::now();
    let err = limiter
        .acquire("m-d", PACE, Duration::from_millis(10), Lane::Call)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::RateLimited {
            max_wait: Duration::from_millis(10)
        }
    );
    assert!(
        Instant::now() - t0 < Duration::from_millis(10),
        "fails at once"
    );
    // Within the deadline it waits instead.
    limiter
        .acquire("m-d", PACE, Duration::from_millis(100), Lane::Call)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_client_goes_through_the_limiter() {
    let server = wiremock::MockServer::start().await;
    let fake = common::Fake::new(7200);
    fake.mount(&server).await;
    let mut cfg = common::config(&server);
    cfg.rate_limit.per_second = TWENTY;
    let c = Client::new(cfg).unwrap();
    let t0 = std::time::Instant::now();
    // 1 token call + 24 balance calls = 25 slots, spaced 52 ms: at least 1.248 s.
    let calls = (0..24).map(|_| {
        let c = c.clone();
        async move { c.balance().await }
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert!(
        t0.elapsed() >= Duration::from_millis(1248),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn the_client_fails_when_no_slot_comes_in_time() {
    let server = wiremock::MockServer::start().await;
    let fake = common::Fake::new(7200);
    fake.mount(&server).await;
    let mut cfg = common::config(&server);
    cfg.rate_limit.per_second = NonZeroU32::new(1).unwrap();
    cfg.rate_limit.max_wait = Duration::from_millis(100);
    let c = Client::new(cfg).unwrap();
    // The token call takes the only slot of this second.
    let err = c.balance().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn the_token_call_goes_ahead_of_queued_calls() {
    let limiter = Arc::new(LocalRateLimiter::new());
    let queued = (0..100).map(|_| {
        let limiter = limiter.clone();
        tokio::spawn(async move {
            limiter
                .acquire("m-t", PACE, Duration::from_secs(60), Lane::Call)
                .await
        })
    });
    let queued: Vec<_> = queued.collect();
    tokio::task::yield_now().await;
    let t0 = Instant::now();
    limiter
        .acquire("m-t", PACE, Duration::from_secs(60), Lane::Token)
        .await
        .unwrap();
    // Behind at most the slot the queue's head holds, not behind 100 calls (5.2 s).
    assert!(
        Instant::now() - t0 <= SPACING * 2,
        "{:?}",
        Instant::now() - t0
    );
    for q in futures::future::join_all(queued).await {
        q.unwrap().unwrap();
    }
}

#[test]
fn the_default_spacing_keeps_a_forty_millisecond_margin() {
    let rl = mifeng::RateLimit::default();
    assert_eq!(rl.per_second, TWENTY);
    assert_eq!(rl.margin, Duration::from_millis(40));
    assert_eq!(rl.spacing(), SPACING);
}
