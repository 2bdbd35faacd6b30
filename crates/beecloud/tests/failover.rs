//! Host choice and failover across several mock servers standing for the four hosts.

mod common;

use beecloud::hosts::RandomPicker;
use beecloud::{BillChannel, BillRequest, BillsQuery, Channel, Client, Error};
use common::*;
use paysig::Money;
use paysig::http::{HttpError, RetryPolicy};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ok(extra: serde_json::Value) -> ResponseTemplate {
    let mut body = json!({"result_code": 0, "result_msg": "OK"});
    if let (serde_json::Value::Object(b), serde_json::Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

async fn healthy() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({"bills": []})))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok(json!({"code_url": "weixin://x"})))
        .mount(&s)
        .await;
    s
}

async fn hits(s: &MockServer) -> usize {
    s.received_requests().await.unwrap().len()
}

fn bill() -> BillRequest {
    BillRequest::new(BillChannel::WxNative, Money::from_fen(1), "b1", "t")
}

#[tokio::test]
async fn random_choice_spreads_calls_over_every_host() {
    let servers = [
        healthy().await,
        healthy().await,
        healthy().await,
        healthy().await,
    ];
    let uris: Vec<String> = servers.iter().map(|s| s.uri()).collect();
    for seed in [1u64, 2, 3] {
        for s in &servers {
            s.reset().await;
            Mock::given(method("GET"))
                .respond_with(ok(json!({"bills": []})))
                .mount(s)
                .await;
        }
        let client =
            Client::new(config(&uris).with_host_picker(RandomPicker::seeded(seed))).unwrap();
        for _ in 0..400 {
            client.bills(&BillsQuery::new(Channel::Wx)).await.unwrap();
        }
        let mut counts = Vec::new();
        for s in &servers {
            counts.push(hits(s).await);
        }
        assert_eq!(counts.iter().sum::<usize>(), 400, "one request per call");
        // Binomial(400, 1/4): mean 100, sd 8.7; 60..=140 is more than 4.5 sd either way.
        assert!(
            counts.iter().all(|&c| (60..=140).contains(&c)),
            "seed {seed}: {counts:?}"
        );
    }
}

#[tokio::test]
async fn the_default_picker_is_random_too() {
    let servers = [healthy().await, healthy().await];
    let uris: Vec<String> = servers.iter().map(|s| s.uri()).collect();
    let client = Client::new(config(&uris).with_host_picker(RandomPicker::new())).unwrap();
    for _ in 0..100 {
        client.bills(&BillsQuery::new(Channel::Wx)).await.unwrap();
    }
    // P(either host gets under 20 of 100) is about 1e-9.
    assert!(hits(&servers[0]).await >= 20 && hits(&servers[1]).await >= 20);
}

#[tokio::test]
async fn get_and_post_fail_over_past_a_host_refusing_connections() {
    let refused = refused_host();
    let good = healthy().await;
    let client = client(&[refused.clone(), good.uri()]);
    client.bills(&BillsQuery::new(Channel::Wx)).await.unwrap();
    client.bill(&bill()).await.unwrap();
    assert_eq!(hits(&good).await, 2);
}

#[tokio::test]
async fn when_every_host_fails_the_error_lists_each_answer() {
    let refused = refused_host();
    let broken = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .mount(&broken)
        .await;
    let client = client(&[refused.clone(), broken.uri()]);
    let err = client
        .bills(&BillsQuery::new(Channel::Wx))
        .await
        .unwrap_err();
    match &err {
        Error::AllHostsFailed {
            operation,
            failures,
        } => {
            assert_eq!(*operation, "bills");
            assert!(
                matches!(&failures[0], HttpError::Connect { host, .. } if refused.ends_with(host.as_str()))
            );
            assert!(
                matches!(&failures[1], HttpError::Status { status: 503, snippet, .. } if snippet == "maintenance")
            );
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("all 2 BeeCloud hosts failed"), "{text}");
    assert!(text.contains("could not connect"), "{text}");
    assert!(text.contains("HTTP 503"), "{text}");

    // A bill fails over past refused connections only; with none left it says so.
    let all_refused = Client::new(config(&[refused_host(), refused_host()])).unwrap();
    match all_refused.bill(&bill()).await.unwrap_err() {
        Error::AllHostsFailed { failures, .. } => {
            assert_eq!(failures.len(), 2);
            assert!(failures.iter().all(HttpError::never_sent));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn get_fails_over_on_5xx_after_the_per_host_retries() {
    let broken = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(2)
        .mount(&broken)
        .await;
    let good = healthy().await;
    let mut http = http(Duration::from_secs(5));
    http.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(10),
        ..Default::default()
    };
    let client = Client::new(config(&[broken.uri(), good.uri()]).with_http(http)).unwrap();
    client.bills(&BillsQuery::new(Channel::Wx)).await.unwrap();
    assert_eq!(hits(&good).await, 1);
}

#[tokio::test]
async fn get_fails_over_on_a_timeout() {
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({"bills": []})).set_delay(Duration::from_secs(3)))
        .mount(&slow)
        .await;
    let good = healthy().await;
    let client =
        Client::new(config(&[slow.uri(), good.uri()]).with_http(http(Duration::from_millis(300))))
            .unwrap();
    client.bills(&BillsQuery::new(Channel::Wx)).await.unwrap();
    assert_eq!(hits(&good).await, 1);
}

#[tokio::test]
async fn a_bill_that_reached_a_host_and_timed_out_is_never_sent_elsewhere() {
    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok(json!({"code_url": "weixin://x"})).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&slow)
        .await;
    let other = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok(json!({"code_url": "weixin://x"})))
        .expect(0)
        .mount(&other)
        .await;
    let client =
        Client::new(config(&[slow.uri(), other.uri()]).with_http(http(Duration::from_millis(300))))
            .unwrap();
    let err = client.bill(&bill()).await.unwrap_err();
    match &err {
        Error::MaybeSent {
            operation,
            host,
            source,
        } => {
            assert_eq!(*operation, "bill");
            assert!(slow.uri().ends_with(host.as_str()), "{host}");
            assert!(matches!(source, HttpError::Timeout { .. }));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("may have been sent"), "{err}");
    assert_eq!(hits(&other).await, 0);
}

#[tokio::test]
async fn a_refund_answered_with_5xx_is_never_sent_elsewhere() {
    let broken = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&broken)
        .await;
    let other = healthy().await;
    let client = client(&[broken.uri(), other.uri()]);
    let req = beecloud::RefundRequest::new(
        beecloud::RefundChannel::Wx,
        "20150610001",
        "b1",
        Money::from_fen(1),
        Money::from_fen(1),
    );
    let err = client.refund(&req).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MaybeSent {
                operation: "refund",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(hits(&other).await, 0);
}
