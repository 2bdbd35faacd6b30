//! The Redis de-duplication store against a real redis-server (started by `cargo xtask ci`,
//! which sets PAYHUB_REDIS_URL). Several stores stand for several processes.
#![cfg(feature = "redis")]

use payhub::notify::{ClaimState, ClaimToken, DedupStore, RedisDedup};
use std::sync::Arc;
use std::time::Duration;

fn url() -> String {
    std::env::var("PAYHUB_REDIS_URL")
        .expect("PAYHUB_REDIS_URL must point at a redis-server (cargo xtask ci starts one)")
}

fn prefix(test: &str) -> String {
    format!("payhub-test:{test}:{}:", paysig::nonce())
}

fn token(s: ClaimState) -> ClaimToken {
    match s {
        ClaimState::Claimed(t) => t,
        other => panic!("expected a claim, got {other:?}"),
    }
}

#[tokio::test]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn one_claim_wins_across_processes_and_done_is_remembered() {
    let p = prefix("claim");
    let a = RedisDedup::connect(&url(), p.clone()).await.unwrap();
    let b = RedisDedup::connect(&url(), p.clone()).await.unwrap();
    let t = Duration::from_secs(30);
    let held = token(a.claim("k", t).await.unwrap());
    assert_eq!(b.claim("k", t).await.unwrap(), ClaimState::InFlight);
    assert!(!b.is_done("k").await.unwrap());
    // b cannot release a's claim.
    b.release("k", &ClaimToken::new()).await.unwrap();
    assert_eq!(b.claim("k", t).await.unwrap(), ClaimState::InFlight);
    assert!(a.complete("k", &held, t).await.unwrap());
    assert!(b.is_done("k").await.unwrap());
    assert_eq!(b.claim("k", t).await.unwrap(), ClaimState::Done);
    a.release("k", &held).await.unwrap();
    assert_eq!(
        a.claim("k", t).await.unwrap(),
        ClaimState::Done,
        "release never undoes a completion"
    );
}

#[tokio::test]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn a_released_claim_is_claimable_again_and_an_abandoned_one_expires() {
    let p = prefix("release");
    let a = RedisDedup::connect(&url(), p.clone()).await.unwrap();
    let b = RedisDedup::connect(&url(), p).await.unwrap();
    let first = token(a.claim("k", Duration::from_secs(30)).await.unwrap());
    a.release("k", &first).await.unwrap();
    let crashed = token(b.claim("k", Duration::from_millis(200)).await.unwrap());
    // b "crashes" holding the claim: after its TTL another process takes over, and b's late
    // release cannot drop the new claim.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let fresh = token(a.claim("k", Duration::from_secs(30)).await.unwrap());
    b.release("k", &crashed).await.unwrap();
    assert_eq!(
        b.claim("k", Duration::from_secs(30)).await.unwrap(),
        ClaimState::InFlight
    );
    // b finishing late still marks it processed, and learns its claim was lost.
    assert!(
        !b.complete("k", &crashed, Duration::from_secs(30))
            .await
            .unwrap()
    );
    assert!(a.is_done("k").await.unwrap());
    a.release("k", &fresh).await.unwrap();
    assert!(a.is_done("k").await.unwrap());
}

#[tokio::test]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn concurrent_claims_elect_exactly_one() {
    let p = prefix("race");
    let mut stores = Vec::new();
    for _ in 0..8 {
        stores.push(Arc::new(
            RedisDedup::connect(&url(), p.clone()).await.unwrap(),
        ));
    }
    let mut tasks = Vec::new();
    for s in &stores {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.claim("k", Duration::from_secs(30)).await.unwrap()
        }));
    }
    let mut claimed = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), ClaimState::Claimed(_)) {
            claimed += 1;
        }
    }
    assert_eq!(claimed, 1);
}
