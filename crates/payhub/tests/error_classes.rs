//! Every class each provider can produce, read through `payhub::Error::class()`, and the
//! `source()` chain from the facade's error down to the transport's `HttpError`.

use payhub::{
    Error, ErrorClass, Hub, Money, PayMethod, PaymentQuery, PaymentRequest, Provider, RefundRequest,
};
use paysig::http::{HttpConfig, HttpError, RetryPolicy};
use paysig::{RsaPrivateKey, SecretString};
use serde_json::json;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SHORT: Duration = Duration::from_millis(300);

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate_2048().unwrap())
}

/// A loopback address where nothing listens.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

fn http() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: SHORT,
        retry: RetryPolicy::none(),
        ..HttpConfig::default()
    }
}

fn sunmi_hub(base: &str) -> Hub {
    let config = sunmi::Config::new(
        sunmi::Environment::Custom(base.parse().unwrap()),
        "sm5b9b4daef3463",
        SecretString::from("dd3ac24736589ae17d333e362859bf4c"),
        key().public_key(),
    )
    .with_timeouts(Duration::from_secs(2), SHORT);
    let gw = payhub::adapters::sunmi::SunmiGateway::new(
        sunmi::Client::new(config).unwrap(),
        "8202915737",
    );
    Hub::builder().gateway(Arc::new(gw)).build()
}

fn pooul_hub(base: &str) -> Hub {
    let mut c = pooul::Config::new(
        pooul::Environment::Custom(base.parse().unwrap()),
        "5399355381712172",
        key().clone(),
        key().public_key(),
    );
    c.http = http();
    let gw = payhub::adapters::pooul::PooulGateway::new(pooul::Client::new(c).unwrap());
    Hub::builder().gateway(Arc::new(gw)).build()
}

fn beecloud_hub(base: &str) -> Hub {
    let c = beecloud::Config::new(
        beecloud::Environment::Custom(vec![base.parse().unwrap()]),
        "0950c062-5e41-44e3-8f52-f89d8cf2b6eb",
        "test-app-key",
    )
    .with_host_picker(beecloud::hosts::InOrder)
    .with_http(http());
    let gw = payhub::adapters::beecloud::BeeCloudGateway::new(
        beecloud::Client::new(c).unwrap(),
        Default::default(),
    );
    Hub::builder().gateway(Arc::new(gw)).build()
}

fn mifeng_hub(base: &str) -> Hub {
    let mut c = mifeng::Config::new(
        mifeng::Environment::Custom(base.parse().unwrap()),
        "100001",
        "mifeng-secret",
    );
    c.rate_limit.limiter = Some(Arc::new(mifeng::LocalRateLimiter::new()));
    c.token_store = Some(Arc::new(mifeng::MemoryTokenStore::new()));
    c.http = http();
    let gw = payhub::adapters::mifeng::MifengGateway::new(mifeng::Client::new(c).unwrap());
    Hub::builder().gateway(Arc::new(gw)).build()
}

fn wechat_native(order: &str) -> PaymentRequest {
    PaymentRequest::new(
        order,
        Money::from_fen(990),
        "coffee",
        "https://shop.test/n",
        PayMethod::WechatNative,
    )
    .client_ip("203.0.113.9")
}

fn jsapi(order: &str) -> PaymentRequest {
    PaymentRequest::new(
        order,
        Money::from_fen(990),
        "coffee",
        "https://shop.test/n",
        PayMethod::WechatJsapi {
            app_id: "wx154f9a63aef2864f".into(),
            open_id: "oG-NZ5LH".into(),
        },
    )
    .client_ip("203.0.113.9")
}

fn cashier(order: &str) -> PaymentRequest {
    PaymentRequest::new(
        order,
        Money::from_fen(1234),
        "Coffee beans",
        "https://shop.test/n",
        PayMethod::HostedCashier {
            channel: "8".into(),
            return_url: Some("https://shop.example/paid".into()),
        },
    )
    .client_ip("203.0.113.7")
}

fn refund(order: &str) -> RefundRequest {
    RefundRequest {
        order_no: order.into(),
        provider_trade_no: None,
        refund_no: "R1".into(),
        amount: Money::from_fen(100),
        total: Some(Money::from_fen(990)),
        reason: None,
        notify_url: None,
    }
}

async fn answering(template: ResponseTemplate) -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template.clone())
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .respond_with(template)
        .mount(&s)
        .await;
    s
}

async fn hits(s: &MockServer) -> usize {
    s.received_requests().await.unwrap().len()
}

fn slow() -> ResponseTemplate {
    ResponseTemplate::new(200).set_delay(Duration::from_secs(3))
}

#[track_caller]
fn class_of<T: std::fmt::Debug>(r: Result<T, Error>) -> (ErrorClass, Error) {
    let e = r.unwrap_err();
    (e.class(), e)
}

#[tokio::test]
async fn error_class_per_provider() {
    // ---- Sunmi
    let s = answering(ResponseTemplate::new(200)).await;
    let mut bad = jsapi("T1");
    bad.order_no = "9".repeat(100);
    let (c, e) = class_of(
        sunmi_hub(&s.uri())
            .create_payment(Provider::Sunmi, &bad)
            .await,
    );
    assert_eq!(c, ErrorClass::InvalidRequest, "{e:?}");
    assert_eq!(hits(&s).await, 0, "nothing sent");

    let (c, e) = class_of(
        sunmi_hub(&closed_port())
            .create_payment(Provider::Sunmi, &jsapi("T1"))
            .await,
    );
    assert_eq!(c, ErrorClass::NotSent, "{e:?}");

    let s = answering(slow()).await;
    let (c, e) = class_of(
        sunmi_hub(&s.uri())
            .create_payment(Provider::Sunmi, &jsapi("T1"))
            .await,
    );
    assert_eq!(c, ErrorClass::OutcomeUnknown, "{e:?}");

    let s = answering(ResponseTemplate::new(502)).await;
    let (c, e) = class_of(
        sunmi_hub(&s.uri())
            .create_payment(Provider::Sunmi, &jsapi("T1"))
            .await,
    );
    assert_eq!(c, ErrorClass::OutcomeUnknown, "{e:?}");
    assert_eq!(hits(&s).await, 1, "a create is sent once");

    let s = answering(ResponseTemplate::new(200).set_body_json(json!({
        "code": "10000", "msg": "Success",
        "data": {"sub_code": "E01", "sub_msg": "商户不存在"}
    })))
    .await;
    let (c, e) = class_of(
        sunmi_hub(&s.uri())
            .create_payment(Provider::Sunmi, &jsapi("T1"))
            .await,
    );
    assert_eq!(c, ErrorClass::Rejected { retryable: false }, "{e:?}");
    assert_eq!(payhub::Classify::provider_code(&e), Some("E01"));

    let s = answering(ResponseTemplate::new(200).set_body_json(json!({
        "code": "10000", "msg": "Success",
        "data": {"sub_code": "E05", "sub_msg": "验签失败"}
    })))
    .await;
    let (c, e) = class_of(
        sunmi_hub(&s.uri())
            .create_payment(Provider::Sunmi, &jsapi("T1"))
            .await,
    );
    assert_eq!(c, ErrorClass::Unauthorized, "{e:?}");

    let s = answering(ResponseTemplate::new(200).set_body_string("<html>busy</html>")).await;
    let (c, e) = class_of(
        sunmi_hub(&s.uri())
            .query_payment(Provider::Sunmi, &PaymentQuery::by_order_no("T1"))
            .await,
    );
    assert_eq!(c, ErrorClass::InvalidAnswer, "{e:?}");

    let (c, e) = class_of(
        sunmi_hub(&s.uri())
            .close_payment(Provider::Sunmi, &PaymentQuery::by_order_no("T1"))
            .await,
    );
    assert_eq!(c, ErrorClass::Unsupported, "{e:?}");

    // ---- Pooul
    let (c, e) = class_of(
        pooul_hub(&closed_port())
            .create_payment(Provider::Pooul, &wechat_native("T2"))
            .await,
    );
    assert_eq!(c, ErrorClass::NotSent, "{e:?}");

    let s = answering(slow()).await;
    let (c, e) = class_of(
        pooul_hub(&s.uri())
            .create_payment(Provider::Pooul, &wechat_native("T2"))
            .await,
    );
    assert_eq!(c, ErrorClass::OutcomeUnknown, "{e:?}");

    let s = answering(ResponseTemplate::new(500)).await;
    let (c, e) = class_of(
        pooul_hub(&s.uri())
            .create_payment(Provider::Pooul, &wechat_native("T2"))
            .await,
    );
    assert_eq!(c, ErrorClass::OutcomeUnknown, "{e:?}");
    assert_eq!(hits(&s).await, 1, "a create is sent once");

    let refusal =
        paysig::jwt::encode_rs256(&json!({"code": 4001, "msg": "订单已存在"}), key()).unwrap();
    let s = answering(ResponseTemplate::new(200).set_body_string(refusal)).await;
    let (c, e) = class_of(
        pooul_hub(&s.uri())
            .create_payment(Provider::Pooul, &wechat_native("T2"))
            .await,
    );
    assert_eq!(c, ErrorClass::Rejected { retryable: false }, "{e:?}");
    assert_eq!(e.code().as_deref(), Some("4001"));

    let forged = paysig::jwt::encode_rs256(
        &json!({"code": 0, "msg": "success"}),
        &RsaPrivateKey::generate_2048().unwrap(),
    )
    .unwrap();
    let s = answering(ResponseTemplate::new(200).set_body_string(forged)).await;
    let (c, e) = class_of(
        pooul_hub(&s.uri())
            .query_payment(Provider::Pooul, &PaymentQuery::by_order_no("T2"))
            .await,
    );
    assert_eq!(
        c,
        ErrorClass::InvalidAnswer,
        "an answer that does not verify, to a query: {e:?}"
    );

    let s = answering(ResponseTemplate::new(401)).await;
    let (c, e) = class_of(
        pooul_hub(&s.uri())
            .query_payment(Provider::Pooul, &PaymentQuery::by_order_no("T2"))
            .await,
    );
    assert_eq!(c, ErrorClass::Unauthorized, "{e:?}");

    // ---- BeeCloud
    let s = answering(ResponseTemplate::new(200)).await;
    let mut bad = wechat_native("T3");
    bad.order_no = "9".repeat(100);
    let (c, e) = class_of(
        beecloud_hub(&s.uri())
            .create_payment(Provider::BeeCloud, &bad)
            .await,
    );
    assert_eq!(c, ErrorClass::InvalidRequest, "{e:?}");
    assert_eq!(hits(&s).await, 0, "nothing sent");

    let (c, e) = class_of(
        beecloud_hub(&closed_port())
            .create_payment(Provider::BeeCloud, &wechat_native("T3"))
            .await,
    );
    assert_eq!(c, ErrorClass::NotSent, "{e:?}");

    let s = answering(ResponseTemplate::new(503)).await;
    let (c, e) = class_of(
        beecloud_hub(&s.uri())
            .create_payment(Provider::BeeCloud, &wechat_native("T3"))
            .await,
    );
    assert_eq!(c, ErrorClass::OutcomeUnknown, "{e:?}");

    let s = answering(ResponseTemplate::new(200).set_body_json(json!({
        "result_code": 1, "result_msg": "APP_INVALID", "err_detail": "app_sign"
    })))
    .await;
    let (c, e) = class_of(
        beecloud_hub(&s.uri())
            .create_payment(Provider::BeeCloud, &wechat_native("T3"))
            .await,
    );
    assert_eq!(c, ErrorClass::Unauthorized, "{e:?}");
    assert_eq!(payhub::Classify::provider_code(&e), Some("APP_INVALID"));

    // A refund whose bill look-up failed never left.
    let s = answering(ResponseTemplate::new(500)).await;
    let (c, e) = class_of(
        beecloud_hub(&s.uri())
            .refund(Provider::BeeCloud, &refund("T3"))
            .await,
    );
    assert_eq!(c, ErrorClass::NotSent, "{e:?}");
    let reqs = s.received_requests().await.unwrap();
    assert!(
        reqs.iter().all(|r| r.url.path() == "/1/rest/bills"),
        "no refund was posted"
    );

    // ---- Mifeng
    let s = answering(ResponseTemplate::new(429)).await;
    let (c, e) = class_of(
        mifeng_hub(&s.uri())
            .query_payment(
                Provider::Mifeng,
                &PaymentQuery::by_order_no("T4").with_provider_trade_no("MF4"),
            )
            .await,
    );
    assert_eq!(c, ErrorClass::RateLimited, "{e:?}");

    let (c, e) = class_of(
        mifeng_hub(&closed_port())
            .create_payment(Provider::Mifeng, &cashier("T4"))
            .await,
    );
    assert_eq!(c, ErrorClass::NotSent, "{e:?}");

    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/accesstoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "code": 0, "msg": "OK", "data": {"token": "tok", "expires_in": 7200}
        })))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/unifiedorder"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/query"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{not json"))
        .mount(&s)
        .await;
    let hub = mifeng_hub(&s.uri());
    let (c, e) = class_of(hub.create_payment(Provider::Mifeng, &cashier("T4")).await);
    assert_eq!(c, ErrorClass::OutcomeUnknown, "{e:?}");
    let (c, e) = class_of(
        hub.query_payment(
            Provider::Mifeng,
            &PaymentQuery::by_order_no("T4").with_provider_trade_no("MF4"),
        )
        .await,
    );
    assert_eq!(c, ErrorClass::InvalidAnswer, "{e:?}");
    let (c, e) = class_of(hub.refund(Provider::Mifeng, &refund("T4")).await);
    assert_eq!(c, ErrorClass::Unsupported, "{e:?}");
}

#[tokio::test]
async fn source_chain_reaches_the_transport_error() {
    let s = answering(slow()).await;
    let err = pooul_hub(&s.uri())
        .create_payment(Provider::Pooul, &wechat_native("T9"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::OutcomeUnknown);
    let mut messages = vec![err.to_string()];
    let mut found = None;
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&err);
    while let Some(e) = src {
        messages.push(e.to_string());
        if let Some(h) = e.downcast_ref::<HttpError>() {
            found = Some(h.clone());
        }
        src = e.source();
    }
    assert!(
        matches!(found, Some(HttpError::Timeout { .. })),
        "the chain reaches the HttpError: {messages:?}"
    );
    for pair in messages.windows(2) {
        let both = pair.iter().all(|m| m.to_lowercase().contains("pooul"));
        assert!(!both, "the provider is named twice in a row: {messages:?}");
    }
    assert!(!messages[0].contains("pooul: pooul"), "{messages:?}");
}
