//! Failures: each a distinct typed error; invalid requests are never sent; secrets never print.

mod common;

use common::{APP_KEY, client_for, config_for};
use paysig::Money;
use paysig::http::HttpError;
use std::time::Duration;
use sunmi::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn query() -> QueryRequest {
    QueryRequest {
        terminal: Terminal::Msn("V206D88200036".into()),
        order: OrderRef::OrderId("O1".into()),
    }
}

fn refund() -> RefundRequest {
    RefundRequest {
        terminal: Terminal::Msn("V206D88200036".into()),
        original: OriginalOrder::OrderId("O1".into()),
        order_id: "R1".into(),
        business_id: "B1".into(),
        amount: Money::from_fen(1),
    }
}

fn mini_pay() -> MiniPayRequest {
    MiniPayRequest {
        merchant_no: "8202915737".into(),
        total_amount: Money::from_fen(1),
        mini_app_id: "wx2e5f6590644de622".into(),
        open_id: "openid".into(),
        order_id: "O1".into(),
        app_version: None,
        notify_url: None,
    }
}

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn http_500_is_a_status_error_and_a_refund_is_sent_once() {
    let server = answering(ResponseTemplate::new(500).set_body_string("oops")).await;
    let err = client_for(&server).refund(&refund()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Http {
                source: HttpError::Status { status: 500, .. },
                ..
            }
        ),
        "{err:?}"
    );
    // A gateway may have passed the refund on before failing: query before retrying.
    assert!(err.outcome_unknown());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn http_500_on_a_query_is_retried() {
    let server = answering(ResponseTemplate::new(500)).await;
    let mut cfg = config_for(&server.uri());
    cfg.http.retry = paysig::http::RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..Default::default()
    };
    let err = Client::new(cfg).unwrap().query(&query()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Http {
            source: HttpError::Status { status: 500, .. },
            ..
        }
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn non_json_body_is_a_decode_error() {
    let server = answering(ResponseTemplate::new(200).set_body_string("<html>busy</html>")).await;
    let err = client_for(&server).query(&query()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                operation: "query",
                ..
            }
        ),
        "{err:?}"
    );
    // A query moves no money: the answer is unusable, not an unknown outcome.
    assert_eq!(err.class(), paysig::class::ErrorClass::InvalidAnswer);
    assert!(!err.outcome_unknown());
}

#[tokio::test]
async fn wrong_types_in_data_are_a_decode_error() {
    let server = answering(ResponseTemplate::new(200).set_body_string(
        r#"{"code":"10000","msg":"","data":{"amount":"1.5","misId":"M","orderType":0}}"#,
    ))
    .await;
    let err = client_for(&server).query(&query()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                operation: "query",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn system_codes_are_typed() {
    for (code, expected) in [
        ("20000", SystemCode::ServiceUnavailable),
        ("20001", SystemCode::InsufficientAuthorization),
        ("40001", SystemCode::MissingParameter),
        ("40002", SystemCode::InvalidParameter),
        ("49999", SystemCode::Unknown("49999".into())),
    ] {
        let body = format!(r#"{{"code":"{code}","msg":"Invalid Sign"}}"#);
        let server = answering(ResponseTemplate::new(200).set_body_string(body)).await;
        let err = client_for(&server).refund(&refund()).await.unwrap_err();
        assert_eq!(
            err,
            Error::System {
                code: expected,
                msg: "Invalid Sign".into()
            }
        );
    }
}

#[tokio::test]
async fn every_business_code_is_typed_and_unknown_ones_kept() {
    for (raw, expected) in [
        ("E22", BusinessCode::E22WrongRefundAmount),
        ("T13", BusinessCode::T13NoSameDayPartialRefund),
        ("X99", BusinessCode::Unknown("X99".into())),
    ] {
        let body =
            format!(r#"{{"code":"10000","msg":"","data":{{"sub_code":"{raw}","sub_msg":"m"}}}}"#);
        let server = answering(ResponseTemplate::new(200).set_body_string(body)).await;
        let err = client_for(&server).refund(&refund()).await.unwrap_err();
        assert_eq!(
            err,
            Error::Api {
                code: expected,
                msg: "m".into()
            }
        );
    }
}

#[tokio::test]
async fn truncated_body_is_a_body_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let _ = sock.read(&mut buf).await;
        sock.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"code\":\"",
        )
        .await
        .unwrap();
        sock.shutdown().await.unwrap();
    });
    let client = Client::new(config_for(&format!("http://{addr}"))).unwrap();
    let err = client.refund(&refund()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                source: HttpError::Body { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
}

#[tokio::test]
async fn slow_answer_is_a_timeout() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_string(r#"{"code":"10000","data":"Success"}"#)
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    let cfg =
        config_for(&server.uri()).with_timeouts(Duration::from_secs(1), Duration::from_millis(300));
    let err = Client::new(cfg)
        .unwrap()
        .mini_pay(&mini_pay())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                source: HttpError::Timeout { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
}

#[tokio::test]
async fn connection_refused_was_never_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::new(config_for(&format!("http://{addr}"))).unwrap();
    let err = client.refund(&refund()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                source: HttpError::Connect { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.outcome_unknown());
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let server = answering(ResponseTemplate::new(200)).await;
    let client = client_for(&server);
    let field = |e: Error| match e {
        Error::Validation { field, .. } => field,
        other => panic!("expected Validation, got {other:?}"),
    };

    let mut r = mini_pay();
    r.order_id = "x".repeat(33);
    assert_eq!(field(client.mini_pay(&r).await.unwrap_err()), "orderId");
    let mut r = mini_pay();
    r.total_amount = Money::ZERO;
    assert_eq!(field(client.mini_pay(&r).await.unwrap_err()), "totalAmount");
    let mut r = mini_pay();
    r.notify_url = Some(format!("https://example.com/{}", "n".repeat(20)));
    assert_eq!(field(client.mini_pay(&r).await.unwrap_err()), "notifyUrl");
    let mut r = mini_pay();
    r.merchant_no = String::new();
    assert_eq!(field(client.mini_pay(&r).await.unwrap_err()), "merchantNo");

    let js = JsApiPayRequest {
        merchant_no: "8202915737".into(),
        total_amount: Money::from_fen(1),
        mini_app_id: "wx".into(),
        open_id: "o".repeat(129),
        order_id: "O1".into(),
        wallet_type: WalletType::Other("TOOLONG".into()),
        notify_url: None,
    };
    assert_eq!(field(client.js_api_pay(&js).await.unwrap_err()), "openId");

    let mut q = query();
    q.terminal = Terminal::MerchantNo("1".repeat(21));
    assert_eq!(field(client.query(&q).await.unwrap_err()), "merchantNo");
    // refund's merchantNo is String(80).
    let mut rf = refund();
    rf.terminal = Terminal::MerchantNo("1".repeat(21));
    rf.amount = Money::ZERO;
    assert_eq!(field(client.refund(&rf).await.unwrap_err()), "amount");

    let bind = PayBindRequest {
        merchant_no: "820291573790006".into(),
        config: BindConfig::PayUrl {
            pay_url: format!("http://{}/", "a".repeat(250)),
            attention_app_id: None,
        },
    };
    assert_eq!(field(client.pay_bind(&bind).await.unwrap_err()), "payUrl");

    assert_eq!(
        field(TradeDate::parse("20190230").unwrap_err()),
        "tradeDate"
    );
    assert_eq!(
        field(TradeDate::parse("2019-05-2").unwrap_err()),
        "tradeDate"
    );
    assert_eq!(TradeDate::parse("20190520").unwrap().to_wire(), "20190520");

    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn longer_mini_pay_notify_url_is_sent_when_allowed() {
    let server = answering(ResponseTemplate::new(200).set_body_string(
        r#"{"code":"10000","msg":"","data":{"sub_code":"E01","sub_msg":"商户不存在"}}"#,
    ))
    .await;
    let mut cfg = config_for(&server.uri());
    cfg.mini_pay_notify_url_max = 255;
    let mut r = mini_pay();
    r.notify_url = Some(format!("https://example.com/{}", "n".repeat(40)));
    let err = Client::new(cfg).unwrap().mini_pay(&r).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Api {
            code: BusinessCode::E01MerchantNotFound,
            ..
        }
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn secrets_never_print() {
    let cfg = config_for("http://127.0.0.1:9");
    let client = Client::new(cfg.clone()).unwrap();
    for text in [format!("{cfg:?}"), format!("{client:?}")] {
        assert!(!text.contains(APP_KEY), "{text}");
        assert!(text.contains("sm5b9b4daef3463"));
    }
}

#[test]
fn environments_have_the_documented_hosts() {
    assert_eq!(
        Environment::Test.base_url().as_str(),
        "http://openapi.test.sunmi.com/"
    );
    assert_eq!(
        Environment::Production.base_url().as_str(),
        "https://openapi.sunmi.com/"
    );
}

#[tokio::test]
async fn custom_base_url_with_a_path_prefix_keeps_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sandbox/sunmi/v1/trade/refund"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"code":"10000","msg":"","data":{"sub_code":"E19","sub_msg":"x"}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::new(config_for(&format!("{}/sandbox/sunmi", server.uri()))).unwrap();
    let err = client.refund(&refund()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Api {
            code: BusinessCode::E19OrderNotFound,
            ..
        }
    ));
}

#[test]
fn received_forms_with_a_broken_either_or_rule_are_refused() {
    let field = |r: Result<(), Error>| match r {
        Err(Error::Validation { field, .. }) => field,
        other => panic!("expected Validation, got {other:?}"),
    };
    let form = |pairs: &[(&str, &str)]| pairs.iter().cloned().collect::<paysig::Params>();
    let q = form(&[("msn", "V1"), ("misId", "M"), ("orderId", "O")]);
    assert_eq!(field(QueryRequest::from_params(&q).map(drop)), "orderId");
    let q = form(&[("misId", "M")]);
    assert_eq!(field(QueryRequest::from_params(&q).map(drop)), "msn");
    let q = form(&[("merchantNo", "1")]);
    assert_eq!(field(QueryRequest::from_params(&q).map(drop)), "misId");
    let r = form(&[
        ("msn", "V1"),
        ("amount", "0.01"),
        ("oriMisId", "M"),
        ("orderId", "R"),
        ("businessId", "B"),
    ]);
    assert_eq!(field(RefundRequest::from_params(&r).map(drop)), "amount");
    let b = form(&[("merchantNo", "1"), ("configType", "1")]);
    assert_eq!(field(PayBindRequest::from_params(&b).map(drop)), "payUrl");
    let b = form(&[("merchantNo", "1"), ("configType", "6")]);
    assert_eq!(
        field(PayBindRequest::from_params(&b).map(drop)),
        "configType"
    );
    let s = form(&[("msn", "V1")]);
    assert_eq!(
        field(SwipeQueryRequest::from_params(&s).map(drop)),
        "orderId"
    );
}

#[tokio::test]
async fn a_zero_polling_interval_is_refused() {
    let server = answering(ResponseTemplate::new(200)).await;
    let poll = PollConfig {
        interval: Duration::ZERO,
        ..PollConfig::default()
    };
    let err = client_for(&server)
        .poll_until_final(&query(), &poll)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation {
            field: "interval",
            ..
        }
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// `data` is scanned for `sub_code` only when its text could hold that member: a name
/// written with an escape (`sub\u005fcode`) is still the member, and still an error.
#[tokio::test]
async fn a_sub_code_written_with_an_escape_is_still_the_error() {
    for data in [
        r#"{"sub\u005fcode":"E19","sub_msg":"x"}"#,
        r#"{"sub_msg":"x","sub_code":"E19"}"#,
    ] {
        let server = answering(
            ResponseTemplate::new(200)
                .set_body_string(format!(r#"{{"code":"10000","msg":"","data":{data}}}"#)),
        )
        .await;
        let client = Client::new(config_for(&server.uri())).unwrap();
        let err = client.refund(&refund()).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Api {
                    code: BusinessCode::E19OrderNotFound,
                    ..
                }
            ),
            "{data}: {err:?}"
        );
    }
}

/// An answer without `sub_code` or escapes is read in one pass; any other in two steps. The
/// same answer gives the same result either way: each body below is also sent with an
/// escaped extra member, which sends it the two-step way.
#[tokio::test]
async fn the_one_pass_read_and_the_two_step_read_agree() {
    let fixture = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/sunmi/query_response.json"),
    )
    .unwrap();
    let fixture: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    let with = |patch: &dyn Fn(&mut serde_json::Value)| {
        let mut v = fixture.clone();
        patch(&mut v);
        serde_json::to_string(&v).unwrap()
    };
    let bodies = [
        with(&|_| {}),
        with(&|v| v["msg"] = serde_json::json!({"not": "text"})),
        with(&|v| v["data"] = serde_json::Value::Null),
        with(&|v| v["data"]["amount"] = "two".into()),
        with(&|v| v["data"]["misId"] = "another".into()),
        with(&|v| v["code"] = "40002".into()),
        with(&|v| {
            v.as_object_mut().unwrap().remove("data");
        }),
    ];
    let query = QueryRequest {
        terminal: Terminal::Msn("TL05D91940002".into()),
        order: OrderRef::MisId("wqwqqqwwwwww78".into()),
    };
    let mut outcomes = Vec::new();
    for body in &bodies {
        assert!(!body.contains('\\') && !body.contains("sub_code"), "{body}");
        let escaped = format!(r#"{}, "note": "\u0041"}}"#, &body[..body.len() - 1]);
        let mut seen = Vec::new();
        for text in [body.clone(), escaped] {
            let server = answering(ResponseTemplate::new(200).set_body_string(text)).await;
            let client = Client::new(config_for(&server.uri())).unwrap();
            seen.push(format!("{:?}", client.query(&query).await));
        }
        assert_eq!(seen[0], seen[1], "{body}");
        outcomes.push(seen.swap_remove(0));
    }
    assert!(outcomes[0].starts_with("Ok("), "{}", outcomes[0]);
    assert!(
        outcomes[1..].iter().all(|o| o.starts_with("Err(")),
        "{outcomes:?}"
    );
}
