//! The Redis de-duplication store against a real redis-server (started by `cargo xtask ci`,
//! which sets PAYHUB_REDIS_URL). Several stores stand for several processes.
#![cfg(feature = "redis")]

use payhub::notify::{ClaimState, DedupStore, RedisDedup};
use std::sync::Arc;
use std::time::Duration;

fn url() -> String {
    std::env::var("PAYHUB_REDIS_URL")
        .expect("PAYHUB_REDIS_URL must point at a redis-server (cargo xtask ci starts one)")
}

fn prefix(test: &str) -> String {
    format!("payhub-test:{test}:{}:", paysig::nonce())
}

#[tokio::test]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn one_claim_wins_across_processes_and_done_is_remembered() {
    let p = prefix("claim");
    let a = RedisDedup::connect(&url(), p.clone()).await.unwrap();
    let b = RedisDedup::connect(&url(), p.clone()).await.unwrap();
    let t = Duration::from_secs(30);
    assert_eq!(a.claim("k", t).await.unwrap(), ClaimState::Claimed);
    assert_eq!(b.claim("k", t).await.unwrap(), ClaimState::InFlight);
    // b cannot release a's claim into a completed state, and release never undoes a completion.
    a.complete("k", t).await.unwrap();
    assert_eq!(b.claim("k", t).await.unwrap(), ClaimState::Done);
    b.release("k").await.unwrap();
    assert_eq!(a.claim("k", t).await.unwrap(), ClaimState::Done);
}

#[tokio::test]
#[ignore = "needs a redis-server; run by cargo xtask ci"]
async fn a_released_claim_is_claimable_again_and_an_abandoned_one_expires() {
    let p = prefix("release");
    let a = RedisDedup::connect(&url(), p.clone()).await.unwrap();
    let b = RedisDedup::connect(&url(), p).await.unwrap();
    assert_eq!(
        a.claim("k", Duration::from_secs(30)).await.unwrap(),
        ClaimState::Claimed
    );
    a.release("k").await.unwrap();
    assert_eq!(
        b.claim("k", Duration::from_millis(200)).await.unwrap(),
        ClaimState::Claimed
    );
    // b "crashes" holding the claim: after its TTL another process takes over.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        a.claim("k", Duration::from_secs(30)).await.unwrap(),
        ClaimState::Claimed
    );
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
        if t.await.unwrap() == ClaimState::Claimed {
            claimed += 1;
        }
    }
    assert_eq!(claimed, 1);
}
