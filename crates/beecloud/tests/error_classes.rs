//! The class of each failure (paysig::class), and the default repeat of queries.

mod common;

use beecloud::{BillChannel, BillRequest, BillsQuery, Channel, Client, Config, Environment};
use common::*;
use paysig::Money;
use paysig::class::{Classify, ErrorClass};
use paysig::http::{HttpConfig, Jitter, RetryPolicy};
use serde_json::json;
use std::time::Duration;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn bill() -> BillRequest {
    BillRequest::new(BillChannel::WxNative, Money::from_fen(1), "b1", "t")
}

#[test]
fn queries_are_repeated_by_default() {
    let cfg = Config::new(Environment::Custom(vec![]), APP_ID, APP_KEY);
    assert_eq!(cfg.http.retry, RetryPolicy::default());
    assert!(cfg.http.retry.max_attempts > 1);
}

#[tokio::test]
async fn a_query_is_repeated_on_the_same_host_then_fails_over() {
    let flaky = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&flaky)
        .await;
    let good = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"result_code": 0, "result_msg": "OK", "bills": []})),
        )
        .mount(&good)
        .await;
    let urls = [flaky.uri(), good.uri()]
        .iter()
        .map(|h| Url::parse(h).unwrap())
        .collect();
    // The default config, with short waits: 3 attempts on the first host, then the next.
    let mut cfg = Config::new(Environment::Custom(urls), APP_ID, APP_KEY)
        .with_clock(beecloud::clock::FixedClock(NOW))
        .with_host_picker(beecloud::hosts::InOrder);
    cfg.http.retry.initial_backoff = Duration::from_millis(1);
    cfg.http.retry.max_backoff = Duration::from_millis(2);
    let client = Client::new(cfg).unwrap();
    client.bills(&BillsQuery::new(Channel::Wx)).await.unwrap();
    assert_eq!(flaky.received_requests().await.unwrap().len(), 3);
    assert_eq!(good.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn classes_of_bills_and_queries() {
    // No host reachable: a bill was never sent.
    let err = client(&[refused_host()]).bill(&bill()).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotSent, "{err:?}");

    // A 5xx on a bill: it may have been acted on.
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&s)
        .await;
    let err = client(&[s.uri()]).bill(&bill()).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::OutcomeUnknown, "{err:?}");
    assert_eq!(
        s.received_requests().await.unwrap().len(),
        1,
        "never repeated"
    );

    // APP_INVALID: the app_sign was refused.
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"result_code": 1, "result_msg": "APP_INVALID", "err_detail": "x"}),
        ))
        .mount(&s)
        .await;
    let err = client(&[s.uri()]).bill(&bill()).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Unauthorized);
    assert_eq!(err.provider_code(), Some("APP_INVALID"));

    // PARAM_INVALID: a final refusal, with its code.
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"result_code": 5, "result_msg": "PARAM_INVALID", "err_detail": "x"}),
        ))
        .mount(&s)
        .await;
    let err = client(&[s.uri()]).bill(&bill()).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Rejected { retryable: false });
    assert_eq!(err.provider_code(), Some("PARAM_INVALID"));

    // An unreadable query answer: no money moved.
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
        .mount(&s)
        .await;
    let err = client(&[s.uri()])
        .bills(&BillsQuery::new(Channel::Wx))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::InvalidAnswer, "{err:?}");

    // The same on a bill: the bill may exist.
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
        .mount(&s)
        .await;
    let err = client(&[s.uri()]).bill(&bill()).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::OutcomeUnknown, "{err:?}");
}

#[tokio::test]
async fn a_query_retry_uses_the_policy_jitter_free_when_asked() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&s)
        .await;
    let mut cfg = config(&[s.uri()]);
    cfg.http = HttpConfig {
        retry: RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            jitter: Jitter::None,
            ..RetryPolicy::default()
        },
        ..http(Duration::from_secs(5))
    };
    let err = Client::new(cfg)
        .unwrap()
        .bills(&BillsQuery::new(Channel::Wx))
        .await
        .unwrap_err();
    assert_eq!(s.received_requests().await.unwrap().len(), 2);
    // Every host answered 5xx to a query: a retryable refusal, nothing moved.
    assert_eq!(
        err.class(),
        ErrorClass::Rejected { retryable: true },
        "{err:?}"
    );
}
