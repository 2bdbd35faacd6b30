//! What goes on the wire for every endpoint, and how each kind of bad answer comes back.

mod common;

use common::{MCH_ID, SECRET, client, config, fields};
use mifeng::{
    ApiCode, BalanceCode, BodyEncoding, Client, Error, OrderState, QueryCode, TokenMethod,
    UnifiedOrderCode, UnifiedOrderRequest,
};
use paysig::Money;
use paysig::http::HttpError;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn token_mock(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/accesstoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "OK", "data": {"token": "BA1B637A5C8D4B28ACB0889E559C5803", "expires_in": 7200}
        })))
        .mount(server)
        .await;
}

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "code": 0, "msg": "ok", "data": data, "request_id": "ddec96d2165e4f3e8a642057db116983"
    }))
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

fn content_type(r: &wiremock::Request) -> String {
    r.headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn assert_timestamp(f: &HashMap<String, String>, before: u64) {
    let ts = &f["timestamp"];
    assert_eq!(ts.len(), 13, "13-digit milliseconds: {ts}");
    let ts: u64 = ts.parse().unwrap();
    assert!(ts >= before && ts <= now_ms(), "timestamp {ts} is now");
}

fn order() -> UnifiedOrderRequest {
    UnifiedOrderRequest::new(
        "1",
        "20150320010101001",
        Money::parse_yuan("1000").unwrap(),
        "203.0.113.7".parse().unwrap(),
        "http://www.demo.com/recieve_notice.html".parse().unwrap(),
    )
}

fn order_answer() -> serde_json::Value {
    serde_json::json!({
        "mch_id": "1000123", "order_no": "202204157885214563228",
        "out_order_no": "20150320010101001", "money": "1000.00", "real_money": "999.98",
        "pay_url": "https://www.demo.com/#/?order_no=202204157885214563228",
        "expired_time": "2022-07-25 20:41:01", "expired_timestamp": "1658752861000"
    })
}

#[tokio::test]
async fn access_token_is_a_post_form_with_mch_id_and_secret() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    let t = client(&server).access_token().await.unwrap();
    let reqs = requests_to(&server, "/v1/api/pay/accesstoken").await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method.as_str(), "POST");
    assert_eq!(content_type(&reqs[0]), "application/x-www-form-urlencoded");
    assert_eq!(reqs[0].url.query(), None, "the secret stays out of the URL");
    let body = String::from_utf8(reqs[0].body.clone()).unwrap();
    assert_eq!(body, format!("mch_id={MCH_ID}&secret={SECRET}"));
    use paysig::ExposeSecret;
    assert_eq!(t.token.expose_secret(), "BA1B637A5C8D4B28ACB0889E559C5803");
    assert_eq!(t.expires_at_ms - t.issued_at_ms, 7_200_000);
}

#[tokio::test]
async fn access_token_by_get_puts_both_in_the_query_as_documented() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/api/pay/accesstoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "OK", "data": {"token": "T", "expires_in": "7200"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.token_method = TokenMethod::Get;
    Client::new(c).unwrap().access_token().await.unwrap();
    let reqs = requests_to(&server, "/v1/api/pay/accesstoken").await;
    assert_eq!(
        reqs[0].url.query(),
        Some(format!("mch_id={MCH_ID}&secret={SECRET}").as_str())
    );
    assert!(reqs[0].body.is_empty());
}

/// The `timestamp` member of a JSON body, checked to be now.
fn json_timestamp(body: &[u8], before: u64) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    let ts = v["timestamp"]
        .as_u64()
        .expect("timestamp is a JSON integer (int64)");
    assert_eq!(ts.to_string().len(), 13, "13-digit milliseconds: {ts}");
    assert!(ts >= before && ts <= now_ms(), "timestamp {ts} is now");
    ts
}

#[tokio::test]
async fn unified_order_is_json_by_default_every_field_money_with_two_decimals() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/unifiedorder"))
        .respond_with(ok(order_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let before = now_ms();
    let req = order()
        .subject("subject")
        .return_url("http://www.demo.com/paysucc.html".parse().unwrap())
        .param("a=b&c\"");
    let reply = client(&server).unified_order(&req).await.unwrap();
    let r = &requests_to(&server, "/v1/api/pay/unifiedorder").await[0];
    assert_eq!(content_type(r), "application/json");
    let ts = json_timestamp(&r.body, before);
    // The exact bytes: documented order, money as a two-decimal string, timestamp an integer.
    let expected = format!(
        concat!(
            r#"{{"token":"BA1B637A5C8D4B28ACB0889E559C5803","channel_no":"1","subject":"subject","#,
            r#""out_order_no":"20150320010101001","money":"1000.00","client_ip":"203.0.113.7","#,
            r#""notify_url":"http://www.demo.com/recieve_notice.html","#,
            r#""return_url":"http://www.demo.com/paysucc.html","param":"a=b&c\"","timestamp":{}}}"#
        ),
        ts
    );
    assert_eq!(String::from_utf8(r.body.clone()).unwrap(), expected);
    // The answer, typed.
    assert_eq!(reply.order_no, "202204157885214563228");
    assert_eq!(reply.mch_id, "1000123");
    assert_eq!(reply.money, Money::from_fen(100_000));
    assert_eq!(reply.real_money, Some(Money::from_fen(99_998)));
    assert_eq!(reply.expired_timestamp, Some(1_658_752_861_000));
    assert_eq!(
        reply.request_id.as_deref(),
        Some("ddec96d2165e4f3e8a642057db116983")
    );
}

#[tokio::test]
async fn unified_order_leaves_optional_fields_out() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/unifiedorder"))
        .respond_with(ok(order_answer()))
        .mount(&server)
        .await;
    let before = now_ms();
    client(&server).unified_order(&order()).await.unwrap();
    let r = &requests_to(&server, "/v1/api/pay/unifiedorder").await[0];
    assert_eq!(content_type(r), "application/json");
    let ts = json_timestamp(&r.body, before);
    assert_eq!(
        String::from_utf8(r.body.clone()).unwrap(),
        format!(
            concat!(
                r#"{{"token":"BA1B637A5C8D4B28ACB0889E559C5803","channel_no":"1","#,
                r#""out_order_no":"20150320010101001","money":"1000.00","client_ip":"203.0.113.7","#,
                r#""notify_url":"http://www.demo.com/recieve_notice.html","timestamp":{}}}"#
            ),
            ts
        )
    );
}

#[tokio::test]
async fn unified_order_as_a_form_when_switched() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/unifiedorder"))
        .respond_with(ok(order_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.body_encoding = BodyEncoding::Form;
    let before = now_ms();
    let req = order().subject("sub ject").param("a=b&c");
    Client::new(c).unwrap().unified_order(&req).await.unwrap();
    let r = &requests_to(&server, "/v1/api/pay/unifiedorder").await[0];
    assert_eq!(content_type(r), "application/x-www-form-urlencoded");
    let f = fields(r);
    assert_timestamp(&f, before);
    assert_eq!(
        String::from_utf8(r.body.clone()).unwrap(),
        format!(
            concat!(
                "token=BA1B637A5C8D4B28ACB0889E559C5803&channel_no=1&subject=sub+ject",
                "&out_order_no=20150320010101001&money=1000.00&client_ip=203.0.113.7",
                "&notify_url=http%3A%2F%2Fwww.demo.com%2Frecieve_notice.html",
                "&param=a%3Db%26c&timestamp={}"
            ),
            f["timestamp"]
        )
    );
}

#[tokio::test]
async fn every_endpoint_as_json_when_switched() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/query"))
        .respond_with(ok(serde_json::json!({
            "mch_id": "1000123", "order_no": "2015042321001004720",
            "out_order_no": "20150320010101001", "state": 3, "money": "1000.00"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.body_encoding = BodyEncoding::Json;
    let before = now_ms();
    Client::new(c)
        .unwrap()
        .query("2015042321001004720")
        .await
        .unwrap();
    let r = &requests_to(&server, "/v1/api/pay/query").await[0];
    assert_eq!(content_type(r), "application/json");
    let ts = json_timestamp(&r.body, before);
    assert_eq!(
        String::from_utf8(r.body.clone()).unwrap(),
        format!(
            r#"{{"token":"BA1B637A5C8D4B28ACB0889E559C5803","mch_id":{MCH_ID},"order_no":"2015042321001004720","timestamp":{ts}}}"#
        )
    );
}

#[tokio::test]
async fn access_token_carries_a_request_id_when_asked() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    let mut c = config(&server);
    c.token_request_id = mifeng::TokenRequestId::Random;
    Client::new(c).unwrap().access_token().await.unwrap();
    let r = &requests_to(&server, "/v1/api/pay/accesstoken").await[0];
    assert_eq!(content_type(r), "application/x-www-form-urlencoded");
    let body = String::from_utf8(r.body.clone()).unwrap();
    let id = body
        .strip_prefix(&format!("mch_id={MCH_ID}&secret={SECRET}&request_id="))
        .unwrap_or_else(|| panic!("unexpected body {body}"));
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[tokio::test]
async fn query_sends_token_mch_id_order_no_timestamp() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/query"))
        .respond_with(ok(serde_json::json!({
            "mch_id": "1000123", "order_no": "2015042321001004720",
            "out_order_no": "20150320010101001", "state": 0, "money": "1000.00",
            "notify_succ": "1", "expired_time": "2022-07-25 20:41:01",
            "expired_timestamp": "1658752861000", "notify_url": "https://your.domain.com/",
            "pay_url": "https://www.demo.com/#/?order_no=202204157885214563228"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let before = now_ms();
    let reply = client(&server).query("2015042321001004720").await.unwrap();
    let r = &requests_to(&server, "/v1/api/pay/query").await[0];
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(content_type(r), "application/x-www-form-urlencoded");
    let f = fields(r);
    assert_eq!(f["token"], "BA1B637A5C8D4B28ACB0889E559C5803");
    assert_eq!(f["mch_id"], MCH_ID);
    assert_eq!(f["order_no"], "2015042321001004720");
    assert_timestamp(&f, before);
    assert_eq!(f.len(), 4);
    assert_eq!(reply.state, OrderState::NoCode);
    assert_eq!(reply.notify_succ, Some(mifeng::NotifyDelivery::Delivered));
    assert_eq!(reply.money.fen(), 100_000);
    assert_eq!(reply.expired_timestamp, Some(1_658_752_861_000));
}

#[tokio::test]
async fn balance_is_json_by_default_token_mch_id_timestamp() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/balance"))
        .respond_with(ok(serde_json::json!({"balance": "10000.00"})))
        .expect(1)
        .mount(&server)
        .await;
    let before = now_ms();
    let reply = client(&server).balance().await.unwrap();
    let r = &requests_to(&server, "/v1/api/pay/balance").await[0];
    assert_eq!(content_type(r), "application/json");
    let ts = json_timestamp(&r.body, before);
    // mch_id documented as int: a JSON integer.
    assert_eq!(
        String::from_utf8(r.body.clone()).unwrap(),
        format!(
            r#"{{"token":"BA1B637A5C8D4B28ACB0889E559C5803","mch_id":{MCH_ID},"timestamp":{ts}}}"#
        )
    );
    assert_eq!(reply.balance, Money::from_fen(1_000_000));
}

#[tokio::test]
async fn balance_as_a_form_when_switched() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/balance"))
        .respond_with(ok(serde_json::json!({"balance": "10000.00"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.body_encoding = BodyEncoding::Form;
    let before = now_ms();
    Client::new(c).unwrap().balance().await.unwrap();
    let r = &requests_to(&server, "/v1/api/pay/balance").await[0];
    assert_eq!(content_type(r), "application/x-www-form-urlencoded");
    let f = fields(r);
    assert_timestamp(&f, before);
    assert_eq!(
        String::from_utf8(r.body.clone()).unwrap(),
        format!(
            "token=BA1B637A5C8D4B28ACB0889E559C5803&mch_id={MCH_ID}&timestamp={}",
            f["timestamp"]
        )
    );
}

async fn answer(server: &MockServer, endpoint: &str, body: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path(format!("/v1/api/pay/{endpoint}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

fn failure(code: i64) -> serde_json::Value {
    serde_json::json!({"code": code, "msg": "InvalidArgument", "data": {}, "request_id": "rid-7"})
}

#[tokio::test]
async fn documented_error_codes_are_typed_per_endpoint_with_request_id() {
    let cases: Vec<(&str, i64, ApiCode)> = vec![
        (
            "unifiedorder",
            1,
            ApiCode::UnifiedOrder(UnifiedOrderCode::NotFound),
        ),
        (
            "unifiedorder",
            4,
            ApiCode::UnifiedOrder(UnifiedOrderCode::AccountAbnormal),
        ),
        (
            "unifiedorder",
            9,
            ApiCode::UnifiedOrder(UnifiedOrderCode::DatabaseInsertFailed9),
        ),
        (
            "unifiedorder",
            10,
            ApiCode::UnifiedOrder(UnifiedOrderCode::DatabaseInsertFailed10),
        ),
        (
            "unifiedorder",
            -1,
            ApiCode::UnifiedOrder(UnifiedOrderCode::MoneyInvalid),
        ),
        (
            "unifiedorder",
            -2,
            ApiCode::UnifiedOrder(UnifiedOrderCode::ChannelNoInvalid),
        ),
        (
            "unifiedorder",
            -3,
            ApiCode::UnifiedOrder(UnifiedOrderCode::OutOrderNoInvalid),
        ),
        (
            "unifiedorder",
            -4,
            ApiCode::UnifiedOrder(UnifiedOrderCode::NoSuitableBankCard),
        ),
        (
            "unifiedorder",
            -5,
            ApiCode::UnifiedOrder(UnifiedOrderCode::ChannelNotEnabled),
        ),
        (
            "unifiedorder",
            77,
            ApiCode::UnifiedOrder(UnifiedOrderCode::Unknown(77)),
        ),
        ("query", 1, ApiCode::Query(QueryCode::NotFound)),
        ("query", 2, ApiCode::Query(QueryCode::ParamInvalid)),
        ("balance", 1, ApiCode::Balance(BalanceCode::NotFound)),
        ("balance", 3, ApiCode::Balance(BalanceCode::ParamInvalid)),
    ];
    for (endpoint, code, expected) in cases {
        let server = MockServer::start().await;
        token_mock(&server).await;
        answer(&server, endpoint, failure(code)).await;
        let c = client(&server);
        let err = match endpoint {
            "unifiedorder" => c.unified_order(&order()).await.map(|_| ()),
            "query" => c.query("2015042321001004720").await.map(|_| ()),
            _ => c.balance().await.map(|_| ()),
        }
        .unwrap_err();
        match &err {
            Error::Api { code, msg, .. } => {
                assert_eq!(*code, expected, "{endpoint} {code}");
                assert_eq!(msg, "InvalidArgument");
            }
            other => panic!("{endpoint} {code}: {other:?}"),
        }
        assert_eq!(err.request_id(), Some("rid-7"));
        // One call: only code 2 may repeat.
        assert_eq!(
            requests_to(&server, &format!("/v1/api/pay/{endpoint}"))
                .await
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn an_answer_for_another_order_or_amount_is_refused() {
    for (field, value) in [("out_order_no", "OTHER"), ("money", "1000.01")] {
        let server = MockServer::start().await;
        token_mock(&server).await;
        let mut data = order_answer();
        data[field] = serde_json::Value::from(value);
        answer(
            &server,
            "unifiedorder",
            serde_json::json!({"code": 0, "msg": "ok", "data": data, "request_id": "rid-9"}),
        )
        .await;
        let err = client(&server).unified_order(&order()).await.unwrap_err();
        assert!(
            matches!(&err, Error::ResponseMismatch { field: f, got, .. } if *f == field && got == value),
            "{err:?}"
        );
        assert_eq!(err.request_id(), Some("rid-9"));
    }
}

#[tokio::test]
async fn validation_happens_before_sending() {
    let server = MockServer::start().await;
    let c = client(&server);
    let cases = [
        (order_with(|o| o.money = Money::ZERO), "money"),
        (
            order_with(|o| o.out_order_no = String::new()),
            "out_order_no",
        ),
        (order_with(|o| o.channel_no = " 1".into()), "channel_no"),
        (
            order_with(|o| o.notify_url = "ftp://x.example/".parse().unwrap()),
            "notify_url",
        ),
        (order_with(|o| o.subject = Some("a\nb".into())), "subject"),
    ];
    for (req, field) in cases {
        let err = c.unified_order(&req).await.unwrap_err();
        assert!(
            matches!(err, Error::Validation { field: f, .. } if f == field),
            "{field}: {err:?}"
        );
    }
    assert!(matches!(
        c.query("").await.unwrap_err(),
        Error::Validation {
            field: "order_no",
            ..
        }
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}

fn order_with(f: impl FnOnce(&mut UnifiedOrderRequest)) -> UnifiedOrderRequest {
    let mut o = order();
    f(&mut o);
    o
}

#[tokio::test]
async fn http_500_is_a_status_error() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(path("/v1/api/pay/balance"))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .mount(&server)
        .await;
    let err = client(&server).balance().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                source: HttpError::Status { status: 500, .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn non_json_body_is_a_decode_error() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(path("/v1/api/pay/balance"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>bad gateway</html>"))
        .mount(&server)
        .await;
    let err = client(&server).balance().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                operation: "balance",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_types_in_data_are_a_decode_error_keeping_request_id() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    answer(
        &server,
        "balance",
        serde_json::json!({"code": 0, "msg": "ok", "data": {"balance": "10.001"}, "request_id": "r1"}),
    )
    .await;
    let err = client(&server).balance().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.request_id(), Some("r1"));
}

#[tokio::test]
async fn truncated_body_is_a_body_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let reply = if head.contains("accesstoken") {
                    let body = r#"{"code":0,"msg":"OK","data":{"token":"T","expires_in":7200}}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"code\":0,".to_owned()
                };
                let _ = sock.write_all(reply.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    let mut c = mifeng::Config::new(
        mifeng::Environment::Custom(format!("http://{addr}/").parse().unwrap()),
        MCH_ID,
        SECRET,
    );
    c.http.retry = paysig::http::RetryPolicy::none();
    c.rate_limit.limiter = Some(std::sync::Arc::new(mifeng::LocalRateLimiter::new()));
    let err = Client::new(c).unwrap().balance().await.unwrap_err();
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
}

#[tokio::test]
async fn slow_answer_is_a_timeout() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(path("/v1/api/pay/balance"))
        .respond_with(ok(serde_json::json!({"balance": "1.00"})).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.http.timeout = Duration::from_millis(300);
    let err = Client::new(c).unwrap().balance().await.unwrap_err();
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
}

#[tokio::test]
async fn a_base_url_with_a_path_keeps_it() {
    let server = MockServer::start().await;
    Mock::given(path("/proxy/v1/api/pay/accesstoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "OK", "data": {"token": "T", "expires_in": 7200}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.environment = mifeng::Environment::Custom(format!("{}/proxy", server.uri()).parse().unwrap());
    Client::new(c).unwrap().access_token().await.unwrap();
}

/// An answer about another merchant is refused (the `mch_id` echo must be the configured one).
#[tokio::test]
async fn an_answer_for_another_mch_id_is_a_mismatch() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    let mut other_order = order_answer();
    other_order["mch_id"] = "9999999".into();
    Mock::given(path("/v1/api/pay/unifiedorder"))
        .respond_with(ok(other_order))
        .mount(&server)
        .await;
    Mock::given(path("/v1/api/pay/query"))
        .respond_with(ok(serde_json::json!({
            "mch_id": 9999999, "order_no": "202204157885214563228",
            "out_order_no": "20150320010101001", "state": 3, "money": "1000.00"
        })))
        .mount(&server)
        .await;
    let c = client(&server);
    for err in [
        c.unified_order(&order()).await.unwrap_err(),
        c.query("202204157885214563228").await.unwrap_err(),
    ] {
        assert!(
            matches!(
                &err,
                Error::ResponseMismatch { field: "mch_id", expected, got, .. }
                    if expected == MCH_ID && got == "9999999"
            ),
            "{err:?}"
        );
    }
}
