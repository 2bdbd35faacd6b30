//! Repeats are made by the client, one rate-limit slot per attempt (mifeng.md §使用规则 counts
//! calls on the wire), and only for queries: `accesstoken` and `unifiedorder` go out once.

mod common;

use async_trait::async_trait;
use mifeng::{Client, Error, Lane, LocalRateLimiter, RateLimiter};
use paysig::http::{HttpError, RetryPolicy};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A limiter that records the (virtual) instant of every slot it hands out.
#[derive(Debug)]
struct Counting {
    inner: LocalRateLimiter,
    t0: Instant,
    at: Mutex<Vec<Duration>>,
}

#[async_trait]
impl RateLimiter for Counting {
    async fn acquire(
        &self,
        mch_id: &str,
        pace: mifeng::Pace,
        max_wait: Duration,
        lane: Lane,
    ) -> Result<(), Error> {
        self.inner.acquire(mch_id, pace, max_wait, lane).await?;
        self.at.lock().unwrap().push(Instant::now() - self.t0);
        Ok(())
    }
}

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

/// A tiny HTTP/1.1 server on the test's own runtime (so that the paused clock only advances
/// when both sides are idle): `accesstoken` answers a token, each `query` for an order is
/// answered 503 twice, then 200. Returns the base URL and the number of requests received.
async fn flaky_server() -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(0usize));
    let per_order: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let count = received.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let count = count.clone();
            let per_order = per_order.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, len) = loop {
                    let n = sock.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "request cut short");
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        break (i + 4, len);
                    }
                };
                while buf.len() < head_end + len {
                    let n = sock.read(&mut chunk).await.unwrap();
                    buf.extend_from_slice(&chunk[..n]);
                }
                *count.lock().unwrap() += 1;
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let body = String::from_utf8_lossy(&buf[head_end..]).into_owned();
                let (status, answer) = if head.starts_with("POST /v1/api/pay/accesstoken") {
                    (
                        200,
                        r#"{"code":0,"msg":"OK","data":{"token":"T","expires_in":7200}}"#
                            .to_owned(),
                    )
                } else {
                    let order = url::form_urlencoded::parse(body.as_bytes())
                        .find(|(k, _)| k == "order_no")
                        .map(|(_, v)| v.into_owned())
                        .unwrap();
                    let seen = {
                        let mut m = per_order.lock().unwrap();
                        let n = m.entry(order.clone()).or_default();
                        *n += 1;
                        *n
                    };
                    if seen <= 2 {
                        (503, "busy".to_owned())
                    } else {
                        let data = serde_json::json!({"code": 0, "msg": "ok", "data": {
                            "mch_id": common::MCH_ID, "order_no": order,
                            "out_order_no": "o", "state": 3, "money": "1.00"}});
                        (200, data.to_string())
                    }
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                sock.write_all(reply.as_bytes()).await.unwrap();
                sock.shutdown().await.ok();
            });
        }
    });
    (base, received)
}

#[tokio::test(start_paused = true)]
async fn every_repeated_query_takes_its_own_slot_and_no_second_holds_more_than_twenty() {
    let (base, received) = flaky_server().await;
    let limiter = Arc::new(Counting {
        inner: LocalRateLimiter::new(),
        t0: Instant::now(),
        at: Mutex::new(Vec::new()),
    });
    let mut cfg = mifeng::Config::new(
        mifeng::Environment::Custom(base.parse().unwrap()),
        common::MCH_ID,
        common::SECRET,
    );
    cfg.token_store = Some(Arc::new(mifeng::MemoryTokenStore::new()));
    cfg.rate_limit.limiter = Some(limiter.clone());
    cfg.rate_limit.max_wait = Duration::from_secs(60);
    cfg.http.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        ..Default::default()
    };
    let c = Client::new(cfg).unwrap();
    c.access_token().await.unwrap();
    // 10 queries, each answered 503, 503, 200: 30 attempts on the wire.
    let calls = (0..10).map(|i| {
        let c = c.clone();
        tokio::spawn(async move { c.query(&format!("order-{i}")).await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    let mut at = limiter.at.lock().unwrap().clone();
    at.sort();
    let attempts = *received.lock().unwrap();
    assert_eq!(attempts, 31, "1 token call + 10 × 3 query attempts");
    assert_eq!(at.len(), attempts, "one limiter slot per HTTP attempt");
    assert!(busiest_window(&at, Duration::from_secs(1)) <= 20, "{at:?}");
}

#[tokio::test]
async fn a_query_answered_503_to_the_end_is_an_http_error_after_the_configured_attempts() {
    let server = MockServer::start().await;
    common::Fake::new(7200).mount(&server).await;
    Mock::given(path("/v1/api/pay/balance"))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .mount(&server)
        .await;
    let mut cfg = common::config(&server);
    cfg.http.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        ..Default::default()
    };
    let err = Client::new(cfg).unwrap().balance().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                source: HttpError::Status { status: 503, .. },
                ..
            }
        ),
        "{err:?}"
    );
    let balance = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/api/pay/balance")
        .count();
    assert_eq!(balance, 2);
}

/// A repeated `accesstoken` may mint a second token that supersedes the first (and makes the
/// refresh outlast a shared store's lock): it is sent once even with retries configured.
#[tokio::test]
async fn accesstoken_is_never_repeated() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/api/pay/accesstoken"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let mut cfg = common::config(&server);
    cfg.http.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        ..Default::default()
    };
    let err = Client::new(cfg).unwrap().access_token().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                source: HttpError::Status { status: 503, .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// Even over a shared sender configured to retry, the client's own policy (here none) is the
/// one in force: the sender's pool is shared, its retry policy is not.
#[tokio::test]
async fn a_shared_sender_with_retries_does_not_repeat_behind_the_limiter() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/api/pay/accesstoken"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let cfg = common::config(&server);
    let http = paysig::http::HttpClient::new(paysig::http::HttpConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let mut cfg = cfg;
    cfg.http.retry = RetryPolicy::none();
    let err = Client::with_http(cfg, http)
        .unwrap()
        .access_token()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Http { .. }), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// A `unifiedorder` whose token call got a 5xx was never sent: the error says so (class
/// not sent, the token call's failure as its source), and the order endpoint saw nothing.
/// A refused secret stays unauthorized.
#[tokio::test]
async fn an_order_whose_token_call_failed_is_not_sent() {
    use paysig::class::ErrorClass;
    let server = MockServer::start().await;
    Mock::given(path("/v1/api/pay/accesstoken"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let order = mifeng::UnifiedOrderRequest::new(
        "1",
        "20150320010101001",
        paysig::Money::parse_yuan("1000").unwrap(),
        "203.0.113.7".parse().unwrap(),
        "http://www.demo.com/recieve_notice.html".parse().unwrap(),
    );
    let err = common::client(&server)
        .unified_order(&order)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotSent, "{err:?}");
    match &err {
        Error::NoToken { operation, source } => {
            assert_eq!(*operation, "unifiedorder");
            assert!(
                matches!(
                    **source,
                    Error::Http {
                        source: HttpError::Status { status: 502, .. },
                        ..
                    }
                ),
                "{source:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/v1/api/pay/accesstoken"], "the order never left");

    // The token refused by Mifeng (a code of `accesstoken`): unauthorized, not "send again".
    let server = MockServer::start().await;
    Mock::given(path("/v1/api/pay/accesstoken"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"code": 1, "msg": "bad secret", "data": {}})),
        )
        .mount(&server)
        .await;
    let err = common::client(&server)
        .unified_order(&order)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Unauthorized, "{err:?}");
}

/// Mifeng's rule differs from paysig's default: a 429 is never repeated (the next call is the
/// limiter's business), even for a query with retries configured and `Retry-After: 0`.
#[tokio::test]
async fn a_query_answered_429_is_sent_once() {
    let server = MockServer::start().await;
    common::Fake::new(7200).mount(&server).await;
    Mock::given(path("/v1/api/pay/balance"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .with_priority(1)
        .mount(&server)
        .await;
    let mut cfg = common::config(&server);
    cfg.http.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        ..Default::default()
    };
    assert!(cfg.http.retry.retry_on_429);
    let err = Client::new(cfg).unwrap().balance().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                source: HttpError::Status { status: 429, .. },
                ..
            }
        ),
        "{err:?}"
    );
    let balance = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/api/pay/balance")
        .count();
    assert_eq!(balance, 1);
}
