//! The bytes of every call: method, path, query, content type, every field, the app_sign
//! recomputed independently; then the parsed answer.

mod common;

use beecloud::model::{
    AliAppPayment, AliQrcodePayment, AliWebPayment, BillRecord, RefundRecord, UnAppPayment,
    UnWebPayment, WxAppPayment, WxJsapiPayment, WxNativePayment,
};
use beecloud::{
    BillChannel, BillRequest, BillResponse, BillsQuery, Channel, Error, QrPayMode, RefundChannel,
    RefundRequest, RefundsQuery, ResultCode,
};
use common::*;
use paysig::Money;
use paysig::http::HttpError;
use serde_json::{Value, json};
use std::time::Duration;
use time::macros::datetime;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn ok(extra: Value) -> ResponseTemplate {
    let mut body = json!({"result_code": 0, "result_msg": "OK", "err_detail": ""});
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

async fn only_request(server: &MockServer) -> Request {
    let mut reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "exactly one request");
    reqs.remove(0)
}

fn json_body(req: &Request) -> serde_json::Map<String, Value> {
    match serde_json::from_slice(&req.body).unwrap() {
        Value::Object(m) => m,
        other => panic!("body is not an object: {other}"),
    }
}

fn optional() -> serde_json::Map<String, Value> {
    match json!({"key1": "value1", "n": 2}) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn bill_of_every_channel_sends_its_own_fields_and_reads_its_own_answer() {
    let cases: Vec<(BillChannel, Value, Value, BillResponse)> = vec![
        (
            BillChannel::WxApp,
            json!({}),
            json!({"app_id": "wx1", "partner_id": 1900000109, "package": "Sign=WXPay",
                   "nonce_str": "n1", "timestamp": "1435890533866", "pay_sign": "ps",
                   "prepay_id": "wx201410272009395522657a690389285100"}),
            BillResponse::WxApp(WxAppPayment {
                app_id: "wx1".into(),
                partner_id: "1900000109".into(),
                package: "Sign=WXPay".into(),
                nonce_str: "n1".into(),
                timestamp: "1435890533866".into(),
                pay_sign: "ps".into(),
                prepay_id: "wx201410272009395522657a690389285100".into(),
            }),
        ),
        (
            BillChannel::WxNative,
            json!({}),
            json!({"code_url": "weixin://wxpay/bizpayurl?pr=abc"}),
            BillResponse::WxNative(WxNativePayment {
                code_url: "weixin://wxpay/bizpayurl?pr=abc".into(),
            }),
        ),
        (
            BillChannel::WxJsapi {
                openid: "oPSDwtwFnD54dB_ggPFGBO_KMdpo".into(),
            },
            json!({"openid": "oPSDwtwFnD54dB_ggPFGBO_KMdpo"}),
            json!({"app_id": "wx1", "package": "prepay_id=1", "nonce_str": "n",
                   "timestamp": 1435890533866u64, "pay_sign": "ps", "sign_type": "MD5"}),
            BillResponse::WxJsapi(WxJsapiPayment {
                app_id: "wx1".into(),
                package: "prepay_id=1".into(),
                nonce_str: "n".into(),
                timestamp: "1435890533866".into(),
                pay_sign: "ps".into(),
                sign_type: "MD5".into(),
            }),
        ),
        (
            BillChannel::AliApp,
            json!({}),
            json!({"order_string": "partner=\"2088\"&sign=\"x\""}),
            BillResponse::AliApp(AliAppPayment {
                order_string: "partner=\"2088\"&sign=\"x\"".into(),
            }),
        ),
        (
            BillChannel::AliWeb {
                return_url: "beecloud.cn/returnUrl.jsp".into(),
                show_url: Some("http://beecloud.cn".into()),
            },
            json!({"return_url": "beecloud.cn/returnUrl.jsp", "show_url": "http://beecloud.cn"}),
            json!({"html": "<form></form>", "url": "https://mapi.alipay.com/x"}),
            BillResponse::AliWeb(AliWebPayment {
                html: "<form></form>".into(),
                url: Some("https://mapi.alipay.com/x".into()),
            }),
        ),
        (
            BillChannel::AliQrcode {
                return_url: "https://shop.example/back".into(),
                qr_pay_mode: Some(QrPayMode::MiniFront),
            },
            json!({"return_url": "https://shop.example/back", "qr_pay_mode": "3"}),
            json!({"html": "<form></form>", "url": "https://mapi.alipay.com/qr"}),
            BillResponse::AliQrcode(AliQrcodePayment {
                url: "https://mapi.alipay.com/qr".into(),
                html: Some("<form></form>".into()),
            }),
        ),
        (
            BillChannel::UnApp,
            json!({}),
            json!({"tn": "201506101035040000001"}),
            BillResponse::UnApp(UnAppPayment {
                tn: "201506101035040000001".into(),
            }),
        ),
        (
            BillChannel::UnWeb {
                return_url: "https://shop.example/back".into(),
            },
            json!({"return_url": "https://shop.example/back"}),
            json!({"html": "<form id=\"pay_form\"></form>"}),
            BillResponse::UnWeb(UnWebPayment {
                html: "<form id=\"pay_form\"></form>".into(),
            }),
        ),
    ];
    for (channel, extra_fields, answer, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/1/rest/bill"))
            .and(header("content-type", "application/json"))
            .respond_with(ok(answer))
            .expect(1)
            .mount(&server)
            .await;
        let client = client(&[server.uri()]);
        let wire = channel.as_str();
        let req = BillRequest::new(
            channel,
            Money::from_fen(1),
            "201506101035040000001",
            "白开水",
        )
        .optional(optional());
        let got = client.bill(&req).await.unwrap();
        assert_eq!(*got, expected, "{wire}");

        let sent = only_request(&server).await;
        assert!(sent.url.query().is_none());
        let mut body = json_body(&sent);
        take_auth(&mut body);
        let mut expected_body = json!({
            "channel": wire, "total_fee": 1, "bill_no": "201506101035040000001",
            "title": "白开水", "optional": {"key1": "value1", "n": 2},
        });
        if let (Value::Object(e), Value::Object(x)) = (&mut expected_body, extra_fields) {
            e.extend(x);
        }
        assert_eq!(Value::Object(body), expected_body, "{wire}");
    }
}

#[tokio::test]
async fn bill_without_optional_omits_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok(json!({"code_url": "weixin://x"})))
        .mount(&server)
        .await;
    let req = BillRequest::new(BillChannel::WxNative, Money::from_fen(250), "b1", "t");
    client(&[server.uri()]).bill(&req).await.unwrap();
    let mut body = json_body(&only_request(&server).await);
    take_auth(&mut body);
    assert_eq!(
        Value::Object(body),
        json!({"channel": "WX_NATIVE", "total_fee": 250, "bill_no": "b1", "title": "t"})
    );
}

#[tokio::test]
async fn refund_sends_every_field_and_reads_the_alipay_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/1/rest/refund"))
        .and(header("content-type", "application/json"))
        .respond_with(ok(json!({"url": "https://mapi.alipay.com/refund"})))
        .expect(1)
        .mount(&server)
        .await;
    let req = RefundRequest::new(
        RefundChannel::Ali,
        "20150610abc123",
        "201506101035040000001",
        Money::from_fen(99),
        Money::from_fen(100),
    )
    .optional(optional());
    let got = client(&[server.uri()]).refund(&req).await.unwrap();
    assert_eq!(got.url.as_deref(), Some("https://mapi.alipay.com/refund"));

    let mut body = json_body(&only_request(&server).await);
    take_auth(&mut body);
    assert_eq!(
        Value::Object(body),
        json!({"channel": "ALI", "refund_no": "20150610abc123",
               "bill_no": "201506101035040000001", "refund_fee": 99,
               "optional": {"key1": "value1", "n": 2}}),
        "bill_total_fee is a local check, never sent"
    );
}

#[tokio::test]
async fn bills_query_sends_para_json_and_reads_the_records() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(ok(json!({"count": 1, "bills": [{
            "bill_no": "201506101035040000001", "total_fee": 1, "channel": "WX_NATIVE",
            "title": "白开水", "spay_result": true, "created_time": 1435890530000u64}]})))
        .expect(1)
        .mount(&server)
        .await;
    let q = BillsQuery::new(Channel::Wx)
        .bill_no("201506101035040000001")
        .start_time(datetime!(2015-07-03 02:28:50 UTC))
        .end_time(datetime!(2015-07-03 02:29:00 UTC))
        .skip(10)
        .limit(50);
    let page = client(&[server.uri()]).bills(&q).await.unwrap();
    assert_eq!(page.count, Some(1));
    assert_eq!(
        page.bills,
        vec![BillRecord {
            bill_no: "201506101035040000001".into(),
            total_fee: Money::from_fen(1),
            channel: Channel::WxNative,
            title: Some("白开水".into()),
            spay_result: true,
            created_time: 1_435_890_530_000,
        }]
    );
    let sent = only_request(&server).await;
    assert!(sent.body.is_empty());
    // The raw query is percent-encoded JSON.
    let raw = sent.url.query().unwrap();
    assert!(raw.starts_with("para=%7B%22"), "{raw}");
    let mut p = para(&sent);
    take_auth(&mut p);
    assert_eq!(
        Value::Object(p),
        json!({"channel": "WX", "bill_no": "201506101035040000001",
               "start_time": 1435890530000u64, "end_time": 1435890540000u64,
               "skip": 10, "limit": 50})
    );
}

#[tokio::test]
async fn refunds_query_sends_para_json_and_reads_the_records() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/rest/refunds"))
        .respond_with(ok(json!({"count": 1, "refunds": [{
            "bill_no": "b1", "refund_no": "20150610001", "total_fee": 100,
            "refund_fee": "40", "finish": true, "result": false,
            "created_time": "1435890530000"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let q = RefundsQuery::new(Channel::AliWeb)
        .bill_no("b1")
        .refund_no("20150610001");
    let page = client(&[server.uri()]).refunds(&q).await.unwrap();
    assert_eq!(
        page.refunds,
        vec![RefundRecord {
            bill_no: "b1".into(),
            refund_no: "20150610001".into(),
            total_fee: Money::from_fen(100),
            refund_fee: Money::from_fen(40),
            finish: true,
            result: false,
            created_time: 1_435_890_530_000,
        }]
    );
    let mut p = para(&only_request(&server).await);
    take_auth(&mut p);
    assert_eq!(
        Value::Object(p),
        json!({"channel": "ALI_WEB", "bill_no": "b1", "refund_no": "20150610001"})
    );
}

#[tokio::test]
async fn refund_status_always_sends_wx() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/rest/refund/status"))
        .respond_with(ok(json!({"refund_status": "SUCCESS"})))
        .expect(1)
        .mount(&server)
        .await;
    let st = client(&[server.uri()])
        .refund_status("20150610001")
        .await
        .unwrap();
    assert_eq!(st.refund_status, "SUCCESS");
    let mut p = para(&only_request(&server).await);
    take_auth(&mut p);
    assert_eq!(
        Value::Object(p),
        json!({"channel": "WX", "refund_no": "20150610001"})
    );
}

#[tokio::test]
async fn a_host_with_a_path_prefix_keeps_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/proxy/1/rest/refund/status"))
        .respond_with(ok(json!({"refund_status": "PROCESSING"})))
        .expect(1)
        .mount(&server)
        .await;
    let st = client(&[format!("{}/proxy/", server.uri())])
        .refund_status("20150610001")
        .await
        .unwrap();
    assert_eq!(st.refund_status, "PROCESSING");
}

/// Answers a page of `total` records by the `skip`/`limit` of `para`.
struct Pages {
    total: u32,
}

impl Respond for Pages {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let p = para(req);
        let skip = p["skip"].as_u64().unwrap() as u32;
        let limit = p["limit"].as_u64().unwrap() as u32;
        let bills: Vec<Value> = (skip..(skip + limit).min(self.total))
            .map(|i| {
                json!({"bill_no": format!("b{i}"), "total_fee": 1, "channel": "WX_APP",
                       "title": "t", "spay_result": false, "created_time": 1})
            })
            .collect();
        ok(json!({"count": bills.len(), "bills": bills}))
    }
}

#[tokio::test]
async fn all_bills_walks_every_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(Pages { total: 23 })
        .expect(3)
        .mount(&server)
        .await;
    let all = client(&[server.uri()])
        .all_bills(&BillsQuery::new(Channel::Wx).limit(10))
        .await
        .unwrap();
    let nos: Vec<String> = all.into_iter().map(|b| b.bill_no).collect();
    let expected: Vec<String> = (0..23).map(|i| format!("b{i}")).collect();
    assert_eq!(nos, expected);
    let skips: Vec<u64> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| para(r)["skip"].as_u64().unwrap())
        .collect();
    assert_eq!(skips, vec![0, 10, 20]);
}

#[tokio::test]
async fn all_refunds_defaults_to_pages_of_fifty() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/rest/refunds"))
        .respond_with(ok(json!({"count": 0, "refunds": []})))
        .expect(1)
        .mount(&server)
        .await;
    let all = client(&[server.uri()])
        .all_refunds(&RefundsQuery::new(Channel::Un))
        .await
        .unwrap();
    assert!(all.is_empty());
    let p = para(&only_request(&server).await);
    assert_eq!(
        (p["skip"].as_u64(), p["limit"].as_u64()),
        (Some(0), Some(50))
    );
}

#[tokio::test]
async fn a_success_answer_without_the_list_is_a_decode_error_not_an_empty_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({"count": 3})))
        .mount(&server)
        .await;
    let c = client(&[server.uri()]);
    let decode_of = |e: Error| match e {
        Error::Decode { operation, .. } => operation,
        other => panic!("not a Decode error: {other:?}"),
    };
    assert_eq!(
        decode_of(c.bills(&BillsQuery::new(Channel::Wx)).await.unwrap_err()),
        "bills"
    );
    // A walk must not end silently on it either.
    assert_eq!(
        decode_of(
            c.all_bills(&BillsQuery::new(Channel::Wx))
                .await
                .unwrap_err()
        ),
        "bills"
    );
    assert_eq!(
        decode_of(
            c.refunds(&RefundsQuery::new(Channel::Wx))
                .await
                .unwrap_err()
        ),
        "refunds"
    );
    assert_eq!(
        decode_of(
            c.all_refunds(&RefundsQuery::new(Channel::Wx))
                .await
                .unwrap_err()
        ),
        "refunds"
    );
}

#[tokio::test]
async fn a_server_that_ignores_skip_does_not_loop_forever() {
    let server = MockServer::start().await;
    let same: Vec<Value> = (0..2)
        .map(|i| {
            json!({"bill_no": format!("b{i}"), "total_fee": 1, "channel": "WX",
                   "spay_result": true, "created_time": 1})
        })
        .collect();
    Mock::given(method("GET"))
        .respond_with(ok(json!({"bills": same})))
        .mount(&server)
        .await;
    let err = client(&[server.uri()])
        .all_bills(&BillsQuery::new(Channel::Wx).limit(2))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                operation: "bills",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_business_error_is_typed_and_keeps_err_detail() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result_code": 12, "result_msg": "REFUND_AMOUNT_TOO_LARGE",
            "err_detail": "refund_fee 200 > 100"})))
        .mount(&server)
        .await;
    // The local check passes (the merchant's total is stale), BeeCloud refuses.
    let req = RefundRequest::new(
        RefundChannel::Wx,
        "20150610001",
        "b1",
        Money::from_fen(200),
        Money::from_fen(200),
    );
    let err = client(&[server.uri()]).refund(&req).await.unwrap_err();
    match &err {
        Error::Api {
            operation,
            code,
            msg,
            err_detail,
        } => {
            assert_eq!(*operation, "refund");
            assert_eq!(*code, ResultCode::RefundAmountTooLarge);
            assert_eq!(msg, "REFUND_AMOUNT_TOO_LARGE");
            assert_eq!(err_detail.as_deref(), Some("refund_fee 200 > 100"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("refund_fee 200 > 100"));
}

#[tokio::test]
async fn an_unlisted_code_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result_code": "99"})))
        .mount(&server)
        .await;
    let err = client(&[server.uri()])
        .refund_status("20150610001")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                code: ResultCode::Unknown(99),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_non_json_body_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
        .mount(&server)
        .await;
    let err = client(&[server.uri()])
        .bills(&BillsQuery::new(Channel::Wx))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                operation: "bills",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_success_without_the_channel_fields_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok(json!({})))
        .mount(&server)
        .await;
    let req = BillRequest::new(BillChannel::UnApp, Money::from_fen(1), "b1", "t");
    let err = client(&[server.uri()]).bill(&req).await.unwrap_err();
    match err {
        Error::Decode { operation, reason } => {
            assert_eq!(operation, "bill");
            assert!(reason.contains("tn"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn http_500_is_typed_for_get_and_post() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&server)
        .await;
    let c = client(&[server.uri()]);
    match c.bills(&BillsQuery::new(Channel::Wx)).await.unwrap_err() {
        Error::AllHostsFailed { failures, .. } => {
            assert!(matches!(
                &failures[..],
                [HttpError::Status { status: 500, .. }]
            ));
        }
        other => panic!("{other:?}"),
    }
    let req = BillRequest::new(BillChannel::WxNative, Money::from_fen(1), "b1", "t");
    match c.bill(&req).await.unwrap_err() {
        Error::MaybeSent {
            operation, source, ..
        } => {
            assert_eq!(operation, "bill");
            assert!(matches!(source, HttpError::Status { status: 502, .. }));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn http_4xx_is_an_http_error_without_failover() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({"refund_status": "x"})))
        .expect(0)
        .mount(&other)
        .await;
    let err = client(&[server.uri(), other.uri()])
        .refund_status("20150610001")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                source: HttpError::Status { status: 404, .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_truncated_body_is_typed() {
    let host = truncating_server().await;
    let c = client(std::slice::from_ref(&host));
    match c.bills(&BillsQuery::new(Channel::Wx)).await.unwrap_err() {
        Error::AllHostsFailed { failures, .. } => {
            assert!(
                matches!(&failures[..], [HttpError::Body { .. }]),
                "{failures:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let req = BillRequest::new(BillChannel::WxNative, Money::from_fen(1), "b1", "t");
    match c.bill(&req).await.unwrap_err() {
        Error::MaybeSent { source, .. } => assert!(matches!(source, HttpError::Body { .. })),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_timeout_is_typed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({"bills": []})).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let c =
        beecloud::Client::new(config(&[server.uri()]).with_http(http(Duration::from_millis(200))))
            .unwrap();
    match c.bills(&BillsQuery::new(Channel::Wx)).await.unwrap_err() {
        Error::AllHostsFailed { failures, .. } => {
            assert!(
                matches!(&failures[..], [HttpError::Timeout { .. }]),
                "{failures:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}
