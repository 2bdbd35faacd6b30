//! Several processes of one merchant sharing Redis: one token, one refresh per expiry, one
//! rate budget. Needs a redis-server at `PAYHUB_REDIS_URL`; run by `cargo xtask ci`.
#![cfg(feature = "redis")]

mod common;

use mifeng::ratelimit::Lane;
use mifeng::{Client, RateLimiter, RedisRateLimiter, RedisTokenStore};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wiremock::MockServer;

fn redis_url() -> String {
    std::env::var("PAYHUB_REDIS_URL").expect("PAYHUB_REDIS_URL must name a redis-server")
}

/// A key prefix no other test or run uses.
fn prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("payhub-test:{test}:{nanos}")
}

/// A client standing for one process: its own Redis connection, HTTP pool and limiter.
async fn process(server: &MockServer, prefix: &str, lock_ttl: Duration) -> Client {
    let store = RedisTokenStore::connect(&redis_url(), prefix)
        .await
        .unwrap()
        .lock_ttl(lock_ttl)
        .poll_interval(Duration::from_millis(20))
        .max_wait(Duration::from_secs(10));
    let mut cfg = common::config(server);
    cfg.token_store = Some(Arc::new(store));
    cfg.token_refresh_skew = Duration::from_secs(1);
    Client::new(cfg).unwrap()
}

async fn burst(clients: &[Client], per_client: usize) {
    let calls = clients.iter().flat_map(|c| {
        (0..per_client).map(move |_| {
            let c = c.clone();
            tokio::spawn(async move { c.balance().await })
        })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
}

async fn balance_calls(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/api/pay/balance")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn three_processes_share_one_token_and_refresh_once_per_expiry() {
    let server = MockServer::start().await;
    // Lifetime 2 s, skew 1 s: stale after 1 s. The slow answer makes the refreshes overlap.
    let mut fake = common::Fake::new(2);
    fake.token_delay = Duration::from_millis(200);
    fake.mount(&server).await;
    let p = prefix("share");
    let ttl = Duration::from_secs(5);
    let clients = [
        process(&server, &p, ttl).await,
        process(&server, &p, ttl).await,
        process(&server, &p, ttl).await,
    ];
    burst(&clients, 30).await;
    assert_eq!(fake.issued(), 1, "one refresh for the cold start");
    // Every call used the valid token at once: no code 2, no repeat.
    assert_eq!(balance_calls(&server).await, 90);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    burst(&clients, 30).await;
    assert_eq!(fake.issued(), 2, "one refresh for the expiry");
    // Callers keep sending the old token while the refresh runs (no outage): those that sent
    // it after the new one was minted (the fake answers 200 ms later) got code 2 once each and
    // repeated with the new one: at most one repeat per caller (90).
    let calls = balance_calls(&server).await;
    assert!((180..=270).contains(&calls), "{calls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn a_token_rejected_in_one_process_is_replaced_once_for_all() {
    let server = MockServer::start().await;
    let fake = common::Fake::new(7200);
    fake.mount(&server).await;
    let p = prefix("rejected");
    let ttl = Duration::from_secs(5);
    let clients = [
        process(&server, &p, ttl).await,
        process(&server, &p, ttl).await,
        process(&server, &p, ttl).await,
    ];
    burst(&clients, 1).await;
    fake.revoke();
    burst(&clients, 10).await;
    assert_eq!(
        fake.issued(),
        2,
        "the rejected token is replaced by one refresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn a_refresher_that_dies_holding_the_lock_is_replaced_after_its_lease() {
    let server = MockServer::start().await;
    let fake = common::Fake::new(7200);
    fake.mount(&server).await;
    let p = prefix("crash");
    let ttl = Duration::from_millis(800);
    // A process took the lock and died: nobody will ever store a token or release it.
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg(format!("{p}:token-lock:{{{}}}", common::MCH_ID))
        .arg("dead-process")
        .arg("PX")
        .arg(ttl.as_millis() as u64)
        .query_async(&mut conn)
        .await
        .unwrap();
    let t0 = Instant::now();
    let survivor = process(&server, &p, ttl).await;
    survivor.balance().await.unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(700),
        "waited for the dead lock to expire, not {:?}",
        t0.elapsed()
    );
    assert_eq!(fake.issued(), 1);
    // The survivor released its own lock.
    let lock: Option<String> = redis::cmd("GET")
        .arg(format!("{p}:token-lock:{{{}}}", common::MCH_ID))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(lock, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn a_refresher_killed_mid_refresh_is_replaced() {
    let server = MockServer::start().await;
    let mut fake = common::Fake::new(7200);
    fake.token_delay = Duration::from_secs(30);
    fake.mount(&server).await;
    let p = prefix("killed");
    let ttl = Duration::from_millis(600);
    let doomed = process(&server, &p, ttl).await;
    let task = tokio::spawn(async move { doomed.balance().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    task.abort(); // dies holding the lock, its token request in flight
    let _ = task.await;
    // The replacement's own refresh answers at once.
    let quick = MockServer::start().await;
    let quick_fake = common::Fake::new(7200);
    quick_fake.mount(&quick).await;
    let t0 = Instant::now();
    process(&quick, &p, ttl).await.balance().await.unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(quick_fake.issued(), 1);
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn the_rate_limit_holds_across_three_processes() {
    let p = prefix("rate");
    let pace = mifeng::RateLimit::default().pace();
    let spacing = pace.spacing();
    let mut limiters = Vec::new();
    for _ in 0..3 {
        limiters.push(Arc::new(
            RedisRateLimiter::connect(&redis_url(), &p).await.unwrap(),
        ));
    }
    let t0 = Instant::now();
    let tasks = limiters.iter().flat_map(|l| {
        (0..20).map(move |_| {
            let l = l.clone();
            tokio::spawn(async move {
                l.acquire("shared-merchant", pace, Duration::from_secs(30), Lane::Call)
                    .await
                    .unwrap();
                t0.elapsed()
            })
        })
    });
    let mut at: Vec<Duration> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    at.sort();
    // 60 calls of three processes, evenly spaced: 59 gaps of 52 ms in all (a single gap may
    // be shorter when the call before it woke late; the start log then keeps the window).
    assert!(at[59] >= spacing * 59, "{:?}", at[59]);
    assert!(busiest_window(&at, Duration::from_millis(1000)) <= 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn three_clients_with_the_redis_limiter_keep_to_twenty_per_second() {
    let server = MockServer::start().await;
    let fake = common::Fake::new(7200);
    fake.mount(&server).await;
    let p = prefix("client-rate");
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut cfg = common::config(&server);
        cfg.rate_limit.per_second = NonZeroU32::new(20).unwrap();
        cfg.rate_limit.limiter = Some(Arc::new(
            RedisRateLimiter::connect(&redis_url(), &p).await.unwrap(),
        ));
        cfg.token_store = Some(Arc::new(
            RedisTokenStore::connect(&redis_url(), &p).await.unwrap(),
        ));
        clients.push(Client::new(cfg).unwrap());
    }
    let t0 = Instant::now();
    burst(&clients, 20).await;
    // 61 calls (one token, 60 balances): the 61st is three windows after the first.
    assert!(t0.elapsed() >= Duration::from_secs(3), "{:?}", t0.elapsed());
    assert_eq!(fake.issued(), 1);
}

/// The lease is short (a crashed refresher is replaced quickly); waiters outlast the longest
/// refresh and the replacement of a crashed refresher.
#[tokio::test]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn the_lease_is_short_and_the_wait_follows_the_http_timeout() {
    let default_cfg = mifeng::Config::new(mifeng::Environment::Production, "1", "s");
    let longest = mifeng::token::longest_refresh(&default_cfg);
    assert_eq!(longest, Duration::from_secs(40));
    let store = RedisTokenStore::connect(&redis_url(), prefix("ttl"))
        .await
        .unwrap();
    assert_eq!(store.current_lock_ttl(), Duration::from_secs(3));
    assert_eq!(store.current_max_wait(), Duration::from_secs(46));

    let mut slow = default_cfg.clone();
    slow.http.timeout = Duration::from_secs(90);
    let fitted = store.fitted_to(&slow);
    assert_eq!(fitted.current_lock_ttl(), Duration::from_secs(3));
    assert_eq!(fitted.current_max_wait(), Duration::from_secs(106));
}

/// A refresh three times slower than the lease: the refresher renews it, so two processes
/// still refresh once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn a_renewed_lease_outlives_a_slow_refresh() {
    let server = MockServer::start().await;
    let mut fake = common::Fake::new(7200);
    fake.token_delay = Duration::from_millis(1500);
    fake.mount(&server).await;
    let p = prefix("fitted");
    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut cfg = common::config(&server);
        cfg.http.timeout = Duration::from_secs(3);
        cfg.rate_limit.max_wait = Duration::from_millis(100);
        let store = RedisTokenStore::connect(&redis_url(), &p)
            .await
            .unwrap()
            // A third of the 1.5 s refresh: renewed every 166 ms.
            .lock_ttl(Duration::from_millis(500))
            .poll_interval(Duration::from_millis(20))
            .fitted_to(&cfg);
        cfg.token_store = Some(Arc::new(store));
        clients.push(Client::new(cfg).unwrap());
    }
    burst(&clients, 5).await;
    assert_eq!(fake.issued(), 1);
}
