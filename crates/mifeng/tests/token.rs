//! Token lifecycle against a fake Mifeng where only the newest token is valid.

mod common;

use common::{Fake, client, config};
use mifeng::{ApiCode, BalanceCode, Client, Error, QueryCode, QueryCode2, TokenStore};
use paysig::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;
use wiremock::MockServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_calls_on_a_cold_token_fetch_it_once() {
    let server = MockServer::start().await;
    let mut fake = Fake::new(7200);
    // A slow token answer keeps every caller waiting on the same refresh.
    fake.token_delay = Duration::from_millis(200);
    fake.mount(&server).await;
    let c = client(&server);
    let calls = (0..100).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.balance().await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(fake.issued(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_calls_on_an_expired_token_refresh_it_once() {
    let server = MockServer::start().await;
    // Lifetime 2 s, skew 1 s: stale after 1 s.
    let mut fake = Fake::new(2);
    fake.token_delay = Duration::from_millis(200);
    fake.mount(&server).await;
    let mut cfg = config(&server);
    cfg.token_refresh_skew = Duration::from_secs(1);
    let c = Client::new(cfg).unwrap();
    c.balance().await.unwrap();
    assert_eq!(fake.issued(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let calls = (0..100).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.balance().await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(fake.issued(), 2);
}

#[tokio::test]
async fn token_is_reused_while_fresh_and_refreshed_before_expiry() {
    let server = MockServer::start().await;
    let fake = Fake::new(2);
    fake.mount(&server).await;
    let mut cfg = config(&server);
    cfg.token_refresh_skew = Duration::from_secs(1);
    let c = Client::new(cfg).unwrap();
    let first = c.access_token().await.unwrap();
    c.balance().await.unwrap();
    c.balance().await.unwrap();
    assert_eq!(fake.issued(), 1, "reused while fresh");
    // Still valid at Mifeng (expires at 2 s) but inside the skew: refreshed.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.balance().await.unwrap();
    assert_eq!(fake.issued(), 2);
    let second = c.access_token().await.unwrap();
    assert_ne!(first.token.expose_secret(), second.token.expose_secret());
}

#[tokio::test]
async fn skew_longer_than_the_lifetime_does_not_refresh_on_every_call() {
    let server = MockServer::start().await;
    let fake = Fake::new(60);
    fake.mount(&server).await;
    let c = client(&server); // default skew 5 min > 60 s lifetime
    for _ in 0..3 {
        c.balance().await.unwrap();
    }
    assert_eq!(fake.issued(), 1);
}

#[tokio::test]
async fn code_2_refreshes_once_and_repeats_once() {
    let server = MockServer::start().await;
    let fake = Fake::new(7200);
    fake.mount(&server).await;
    let c = client(&server);
    c.balance().await.unwrap();
    fake.revoke(); // another holder refreshed: our token is superseded
    let reply = c.balance().await.unwrap();
    assert_eq!(reply.balance.fen(), 1_000_000);
    assert_eq!(fake.issued(), 2);
    let balance_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/api/pay/balance")
        .count();
    assert_eq!(balance_calls, 3, "first call, rejected call, one repeat");
}

#[tokio::test]
async fn a_second_code_2_is_returned_not_looped() {
    let server = MockServer::start().await;
    let fake = Fake::new(7200);
    fake.mount(&server).await;
    let c = client(&server);
    // Every token is refused: the fake's valid token never matches.
    wiremock::Mock::given(wiremock::matchers::path("/v1/api/pay/balance"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "code": 2, "msg": "token", "data": {}, "request_id": "r2"
            })),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let err = c.balance().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                code: ApiCode::Balance(BalanceCode::TokenInvalid),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("r2"));
    assert_eq!(fake.issued(), 2, "initial fetch + one refresh");
    let balance_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/api/pay/balance")
        .count();
    assert_eq!(balance_calls, 2);
}

#[tokio::test]
async fn unified_order_code_2_is_repeated_once_with_the_new_token() {
    let server = MockServer::start().await;
    let fake = Fake::new(7200);
    fake.mount(&server).await;
    let c = client(&server);
    c.access_token().await.unwrap();
    fake.revoke();
    let req = mifeng::UnifiedOrderRequest::new(
        "1",
        "A1",
        paysig::Money::from_fen(1),
        "127.0.0.1".parse().unwrap(),
        "https://shop.example/n".parse().unwrap(),
    );
    let reply = c.unified_order(&req).await.unwrap();
    assert_eq!(reply.money.fen(), 1);
    let tokens: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/api/pay/unifiedorder")
        .map(|r| common::fields(r)["token"].clone())
        .collect();
    assert_eq!(tokens, ["TOKEN-1", "TOKEN-2"]);
}

#[tokio::test]
async fn query_code_2_follows_the_configured_meaning() {
    let server = MockServer::start().await;
    let fake = Fake::new(7200);
    fake.mount(&server).await;
    // As documented: a parameter error, no refresh.
    let c = client(&server);
    c.access_token().await.unwrap();
    fake.revoke();
    let err = c.query("O1").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                code: ApiCode::Query(QueryCode::ParamInvalid),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.issued(), 1);
    // Switched: refresh once and repeat.
    let mut cfg = config(&server);
    cfg.query_code_2 = QueryCode2::TokenInvalid;
    let c = Client::new(cfg).unwrap();
    c.access_token().await.unwrap();
    fake.revoke();
    let reply = c.query("O1").await.unwrap();
    assert_eq!(reply.order_no, "O1");
    assert_eq!(fake.issued(), 3);
}

#[tokio::test]
async fn a_failed_token_fetch_is_an_api_error_and_not_cached() {
    let server = MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/v1/api/pay/accesstoken"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "code": 1, "msg": "bad secret", "data": {}
            })),
        )
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    for _ in 0..2 {
        let err = c.balance().await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Api {
                    code: ApiCode::AccessToken(1),
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callers_queued_behind_a_failed_refresh_share_its_error() {
    let server = MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/v1/api/pay/accesstoken"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"code": 1, "msg": "no", "data": {}}))
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    let calls = (0..20).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.balance().await })
    });
    for r in futures::future::join_all(calls).await {
        assert!(matches!(
            r.unwrap().unwrap_err(),
            Error::Api {
                code: ApiCode::AccessToken(1),
                ..
            }
        ));
    }
    let token_calls = server.received_requests().await.unwrap().len();
    assert_eq!(token_calls, 1, "one failed refresh, not twenty in a row");
}

/// Two clients of one merchant in one process (built independently, default store) share the
/// token: one `accesstoken` call, and neither supersedes the other's token.
#[tokio::test]
async fn two_clients_of_one_merchant_share_the_process_wide_token() {
    let server = MockServer::start().await;
    let fake = Fake::new(7200);
    fake.mount(&server).await;
    let make = || {
        let mut cfg = config(&server);
        cfg.token_store = None; // the default: the process-wide store
        Client::new(cfg).unwrap()
    };
    let (a, b) = (make(), make());
    for _ in 0..3 {
        a.balance().await.unwrap();
        b.balance().await.unwrap();
    }
    assert_eq!(fake.issued(), 1, "one accesstoken call for both clients");
    let api_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/api/pay/balance")
        .count();
    assert_eq!(
        api_calls, 6,
        "no call was answered 'token invalid' and repeated"
    );
}

/// The memory store, counting reads of [`TokenStore::current`].
#[derive(Debug, Default)]
struct CountingStore {
    inner: mifeng::MemoryTokenStore,
    reads: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl mifeng::TokenStore for CountingStore {
    async fn get_or_refresh(
        &self,
        mch_id: &str,
        want: &mifeng::token::TokenWant,
        fetcher: &dyn mifeng::token::TokenFetcher,
    ) -> Result<mifeng::StoredToken, Error> {
        self.inner.get_or_refresh(mch_id, want, fetcher).await
    }

    async fn current(&self, mch_id: &str) -> Result<Option<mifeng::StoredToken>, Error> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.current(mch_id).await
    }
}

/// Another process's refresh: `TOKEN-NEW` becomes the valid token and the stored one.
struct OtherRefresher(Fake);

#[async_trait::async_trait]
impl mifeng::token::TokenFetcher for OtherRefresher {
    async fn fetch(&self) -> Result<mifeng::StoredToken, Error> {
        *self.0.valid.lock().unwrap() = Some("TOKEN-NEW".into());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        Ok(mifeng::StoredToken {
            token: "TOKEN-NEW".into(),
            issued_at_ms: now,
            expires_at_ms: now + 7_200_000,
        })
    }
}

/// Gives a call's slot after `wait`; when `refresh` is set, another process refreshes the
/// token while the call waits.
struct Slot {
    wait: Duration,
    refresh: std::sync::Mutex<Option<(Arc<CountingStore>, Fake)>>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slot({:?})", self.wait)
    }
}

#[async_trait::async_trait]
impl mifeng::RateLimiter for Slot {
    async fn acquire(
        &self,
        mch_id: &str,
        _: mifeng::Pace,
        _: Duration,
        lane: mifeng::Lane,
    ) -> Result<(), Error> {
        if lane != mifeng::Lane::Call {
            return Ok(());
        }
        let refresh = self.refresh.lock().unwrap().take();
        if let Some((store, fake)) = refresh {
            let held = store.inner.current(mch_id).await?.unwrap().token;
            let want = mifeng::token::TokenWant::replacing(Duration::ZERO, held);
            store
                .inner
                .get_or_refresh(mch_id, &want, &OtherRefresher(fake))
                .await?;
        }
        if !self.wait.is_zero() {
            tokio::time::sleep(self.wait).await;
        }
        Ok(())
    }
}

/// A call that waited for its slot reads the store once it holds it, so a refresh finished
/// meanwhile is what it sends (one request, accepted); a call whose slot comes at once sends
/// the token it was just given, without reading the store again.
#[tokio::test]
async fn a_call_that_waited_for_its_slot_sends_the_token_refreshed_meanwhile() {
    const CALLS: usize = 10;
    for wait in [Duration::from_millis(5), Duration::ZERO] {
        let server = MockServer::start().await;
        let fake = Fake::new(7200);
        fake.mount(&server).await;
        let store = Arc::new(CountingStore::default());
        let limiter = Arc::new(Slot {
            wait,
            refresh: std::sync::Mutex::new(None),
        });
        let mut cfg = config(&server);
        cfg.token_store = Some(store.clone());
        cfg.rate_limit.limiter = Some(limiter.clone());
        let c = Client::new(cfg).unwrap();
        for _ in 0..CALLS {
            c.balance().await.unwrap();
        }
        let reads = store.reads.load(std::sync::atomic::Ordering::SeqCst);
        if wait.is_zero() {
            // "At once" is under a millisecond: a call descheduled that long on a loaded
            // machine reads the store, so not every call is required to skip it.
            assert!(
                reads < CALLS,
                "{reads} reads for {CALLS} calls with slots at once"
            );
            continue;
        }
        assert_eq!(reads, CALLS, "one read per call that waited");
        *limiter.refresh.lock().unwrap() = Some((store.clone(), fake.clone()));
        c.balance().await.unwrap();
        let sent: Vec<String> = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == "/v1/api/pay/balance")
            .map(|r| common::fields(r)["token"].clone())
            .collect();
        assert_eq!(
            sent[CALLS - 1..],
            ["TOKEN-1", "TOKEN-NEW"],
            "no rejected call, no repeat"
        );
    }
}
