//! What goes on the wire for every operation, read back independently, and how each answer
//! (signed, unsigned, forged, broken) is handled.

mod common;

use common::*;
use paysig::Money;
use paysig::http::HttpError;
use pooul::{
    Error, MchAppType, PayInfo, PayRequest, PayType, PayTypeCode, RefundQueryRequest,
    RefundRequest, RefundStatus, TradeState,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const QUERY: &str = "merchant_id=5399355381712172";

/// Mounts a signed-JWT answer on `route`, requiring POST, the merchant_id query and text/plain.
async fn answer(server: &MockServer, route: &str, body: String) {
    Mock::given(method("POST"))
        .and(path(route))
        .and(query_param("merchant_id", MERCHANT_ID))
        .and(header("content-type", "text/plain"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .expect(1)
        .mount(server)
        .await;
}

/// The single request the server got, as (path, query, payload without nonce, nonce).
async fn sent(server: &MockServer) -> (String, String, Value, String) {
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "exactly one request");
    let r = &reqs[0];
    assert_eq!(r.method.as_str(), "POST");
    let mut payload = read_sent_jwt(&r.body, &keys().merchant.public_key());
    let nonce = take_nonce(&mut payload);
    (
        r.url.path().to_owned(),
        r.url.query().unwrap_or_default().to_owned(),
        payload,
        nonce,
    )
}

fn notify_url() -> url::Url {
    "http://112.74.184.236:3006/fake-recv".parse().unwrap()
}

#[tokio::test]
async fn every_pay_type_sends_its_fields() {
    let full = |pt: PayType, id: &str| {
        PayRequest::new(pt, id, Money::from_fen(221), "Alex Test")
            .spbill_create_ip("127.0.0.1")
            .notify_url(notify_url())
            .time_start(1530759545)
            .time_expire(1530759574)
            .store_id("9527")
            .device_info("alex device")
            .op_user_id("301")
            .attach("Alex attach")
    };
    let common = |code: &str, id: &str| {
        json!({
            "pay_type": code, "mch_trade_id": id, "total_fee": 221, "body": "Alex Test",
            "spbill_create_ip": "127.0.0.1", "notify_url": "http://112.74.184.236:3006/fake-recv",
            "time_start": 1530759545, "time_expire": 1530759574, "store_id": "9527",
            "device_info": "alex device", "op_user_id": "301", "attach": "Alex attach"
        })
    };
    let cases: Vec<(PayType, &str, Value)> = vec![
        (
            PayType::Micro {
                auth_code: "136345610916464024".into(),
            },
            "common.micro",
            json!({"auth_code": "136345610916464024"}),
        ),
        (PayType::WechatScan, "wechat.scan", json!({})),
        (
            PayType::WechatJsapi {
                sub_appid: "wx069eb0cbbdd45873".into(),
                sub_openid: "outOWs-bg".into(),
            },
            "wechat.jsapi",
            json!({"sub_appid": "wx069eb0cbbdd45873", "sub_openid": "outOWs-bg"}),
        ),
        (
            PayType::WechatMiniProgram {
                sub_appid: "wx758379be100f9991".into(),
                sub_openid: "o2uCJ5".into(),
            },
            "wechat.jsminipg",
            json!({"sub_appid": "wx758379be100f9991", "sub_openid": "o2uCJ5"}),
        ),
        (
            PayType::WechatApp {
                sub_appid: "wx2fbcb61b6e5b1384".into(),
            },
            "wechat.app",
            json!({"sub_appid": "wx2fbcb61b6e5b1384"}),
        ),
        (
            PayType::WechatWap {
                mch_app_type: MchAppType::Wap,
                mch_app_name: "普尔商城".into(),
                mch_app_id: "https://store.pooul.com/".into(),
            },
            "wechat.wap",
            json!({"mch_app_type": "WAP", "mch_app_name": "普尔商城", "mch_app_id": "https://store.pooul.com/"}),
        ),
        (PayType::AlipayScan, "alipay.scan", json!({})),
        (PayType::WechatJsurl, "wechat.jsurl", json!({})),
        (
            PayType::AlipayJsapi {
                sub_appid: "2016101502183655".into(),
                sub_openid: "2088002053801335".into(),
            },
            "alipay.jsapi",
            json!({"sub_appid": "2016101502183655", "sub_openid": "2088002053801335"}),
        ),
    ];
    for (i, (pay_type, code, extra)) in cases.into_iter().enumerate() {
        let server = MockServer::start().await;
        let id = format!("alextest.{i}");
        answer(
            &server,
            "/v2/pay",
            pooul_answer(
                "success",
                json!({"trade_id": "5b3783f1", "mch_trade_id": id, "merchant_id": MERCHANT_ID}),
            ),
        )
        .await;
        let reply = client(&server.uri())
            .pay(&full(pay_type, &id))
            .await
            .unwrap();
        assert_eq!(reply.data.trade_id, "5b3783f1");
        let (p, q, payload, _) = sent(&server).await;
        assert_eq!((p.as_str(), q.as_str()), ("/v2/pay", QUERY));
        let mut want = common(code, &id);
        want.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_eq!(payload, want, "{code}");
    }
}

#[tokio::test]
async fn minimal_pay_sends_only_what_is_set() {
    let server = MockServer::start().await;
    answer(
        &server,
        "/v2/pay",
        pooul_answer("10000,Success", json!({
            "code_url": "https://qr.alipay.com/bax05219xy73fxcgfi7w206f", "trade_id": "5b66a668",
            "mch_trade_id": "alextest.alipay.scan.211", "merchant_id": MERCHANT_ID,
            "pay_type": "alipay.scan", "trade_state": 6, "trade_info": "支付中, 10000,Success"
        })),
    )
    .await;
    let req = PayRequest::new(
        PayType::AlipayScan,
        "alextest.alipay.scan.211",
        Money::from_fen(7622),
        "subject",
    );
    let reply = client(&server.uri()).pay(&req).await.unwrap();
    let (_, _, payload, _) = sent(&server).await;
    assert_eq!(
        payload,
        json!({"pay_type": "alipay.scan", "mch_trade_id": "alextest.alipay.scan.211", "total_fee": 7622, "body": "subject"})
    );
    assert_eq!(reply.msg.as_deref(), Some("10000,Success"));
    assert_eq!(reply.data.trade_state, Some(TradeState::Paying));
    assert_eq!(reply.data.pay_type, Some(PayTypeCode::AlipayScan));
    assert_eq!(
        reply.data.code_url.as_deref(),
        Some("https://qr.alipay.com/bax05219xy73fxcgfi7w206f")
    );
}

#[tokio::test]
async fn pay_info_string_is_decoded_into_typed_parameters() {
    let server = MockServer::start().await;
    let jsapi = r#"{"appId":"wx26a0ffd6bfa99df7","timeStamp":1530457643,"nonceStr":"5b38ee2b","package":"prepay_id=wx0123","signType":"MD5","paySign":"5c8d27"}"#;
    answer(
        &server,
        "/v2/pay",
        pooul_answer("success", json!({"prepay_id": "wx0123", "trade_id": "5b38ee2a", "mch_trade_id": "j1", "merchant_id": MERCHANT_ID, "pay_info": jsapi})),
    )
    .await;
    let req = PayRequest::new(
        PayType::WechatJsapi {
            sub_appid: "wx069e".into(),
            sub_openid: "outOWs".into(),
        },
        "j1",
        Money::from_fen(9872),
        "Jsapi",
    )
    .spbill_create_ip("127.0.0.1");
    let reply = client(&server.uri()).pay(&req).await.unwrap();
    let Some(PayInfo::Jsapi(info)) = reply.data.pay_info else {
        panic!("jsapi pay_info expected")
    };
    assert_eq!(info.app_id, "wx26a0ffd6bfa99df7");
    assert_eq!(info.time_stamp, "1530457643");
    assert_eq!(info.package, "prepay_id=wx0123");
    assert_eq!(info.pay_sign, "5c8d27");

    // An extra key in pay_info (the order exists by now) must not fail the pay.
    let server = MockServer::start().await;
    let jsapi_plus = r#"{"appId":"wx26a0ffd6bfa99df7","timeStamp":1530457643,"nonceStr":"5b38ee2b","package":"prepay_id=wx0123","signType":"MD5","paySign":"5c8d27","subMchId":"1900000109"}"#;
    answer(
        &server,
        "/v2/pay",
        pooul_answer("success", json!({"prepay_id": "wx0123", "trade_id": "5b38ee2a", "mch_trade_id": "j1", "merchant_id": MERCHANT_ID, "pay_info": jsapi_plus})),
    )
    .await;
    let reply = client(&server.uri()).pay(&req).await.unwrap();
    assert!(
        matches!(&reply.data.pay_info, Some(PayInfo::Jsapi(i)) if i.pay_sign == "5c8d27"),
        "{:?}",
        reply.data.pay_info
    );

    let server = MockServer::start().await;
    let app = r#"{"appid":"wx2fbc","partnerid":"1507497331","prepayid":"wx0123","package":"Sign=WXPay","noncestr":"5b38f0dc","timestamp":1530458332,"sign":"a4aea5"}"#;
    answer(
        &server,
        "/v2/pay",
        pooul_answer("success", json!({"prepay_id": "wx0123", "trade_id": "5b38f0dc", "mch_trade_id": "a1", "merchant_id": MERCHANT_ID, "pay_info": app})),
    )
    .await;
    let req = PayRequest::new(
        PayType::WechatApp {
            sub_appid: "wx2fbc".into(),
        },
        "a1",
        Money::from_fen(3),
        "app",
    )
    .spbill_create_ip("127.0.0.1");
    let reply = client(&server.uri()).pay(&req).await.unwrap();
    let server = MockServer::start().await;
    let app_plus = r#"{"appid":"wx2fbc","partnerid":"1507497331","prepayid":"wx0123","package":"Sign=WXPay","noncestr":"5b38f0dc","timestamp":1530458332,"sign":"a4aea5","signType":"MD5"}"#;
    answer(
        &server,
        "/v2/pay",
        pooul_answer("success", json!({"prepay_id": "wx0123", "trade_id": "5b38f0dc", "mch_trade_id": "a1", "merchant_id": MERCHANT_ID, "pay_info": app_plus})),
    )
    .await;
    let extra = client(&server.uri()).pay(&req).await.unwrap();
    assert!(
        matches!(&extra.data.pay_info, Some(PayInfo::App(i)) if i.sign == "a4aea5"),
        "{:?}",
        extra.data.pay_info
    );
    let Some(PayInfo::App(info)) = reply.data.pay_info else {
        panic!("app pay_info expected")
    };
    assert_eq!(
        (
            info.partnerid.as_str(),
            info.timestamp.as_str(),
            info.sign.as_str()
        ),
        ("1507497331", "1530458332", "a4aea5")
    );
}

#[tokio::test]
async fn query_close_reverse_send_the_order_id() {
    for (route, op) in [
        ("/v2/pay/query", "query"),
        ("/v2/pay/close", "close"),
        ("/v2/pay/reverse", "reverse"),
    ] {
        let server = MockServer::start().await;
        let data = json!({"trade_id": "5b378a06", "mch_trade_id": "alextest.micro.78", "merchant_id": MERCHANT_ID, "trade_state": 3, "total_fee": 1223});
        answer(&server, route, pooul_answer("success", data)).await;
        let c = client(&server.uri());
        match op {
            "query" => {
                let r = c.query("alextest.micro.78").await.unwrap();
                assert_eq!(r.data.trade_state, TradeState::Closed);
                assert_eq!(r.data.total_fee, Some(Money::from_fen(1223)));
            }
            "close" => assert_eq!(
                c.close("alextest.micro.78").await.unwrap().msg.as_deref(),
                Some("success")
            ),
            _ => assert_eq!(
                c.reverse("alextest.micro.78").await.unwrap().msg.as_deref(),
                Some("success")
            ),
        }
        let (p, q, payload, _) = sent(&server).await;
        assert_eq!((p.as_str(), q.as_str()), (route, QUERY));
        assert_eq!(
            payload,
            json!({"mch_trade_id": "alextest.micro.78"}),
            "{op}"
        );
    }
}

#[tokio::test]
async fn refund_sends_every_field() {
    let server = MockServer::start().await;
    answer(
        &server,
        "/v2/pay/refund",
        signed(&json!({"code": 0, "msg": "success"}), &keys().pooul),
    )
    .await;
    // `mch_refund_id` comes from the constructor: a refund is never built without one by
    // accident.
    let req = RefundRequest::new(
        "alextest.scan.112",
        "refund-1",
        Money::from_fen(8872),
        "Alex Test",
    )
    .notify_url(notify_url());
    let ack = client(&server.uri()).refund(&req).await.unwrap();
    assert_eq!((ack.msg.as_deref(), ack.data), (Some("success"), None));
    let (p, q, payload, _) = sent(&server).await;
    assert_eq!((p.as_str(), q.as_str()), ("/v2/pay/refund", QUERY));
    assert_eq!(
        payload,
        json!({"mch_trade_id": "alextest.scan.112", "mch_refund_id": "refund-1", "refund_fee": 8872,
               "refund_desc": "Alex Test", "notify_url": "http://112.74.184.236:3006/fake-recv"})
    );
}

#[tokio::test]
async fn a_refund_without_refund_id_is_only_built_on_purpose() {
    let server = MockServer::start().await;
    answer(
        &server,
        "/v2/pay/refund",
        signed(&json!({"code": 0, "msg": "success"}), &keys().pooul),
    )
    .await;
    let req = RefundRequest::without_refund_id("m1", Money::from_fen(3), "r");
    client(&server.uri()).refund(&req).await.unwrap();
    let (_, _, payload, _) = sent(&server).await;
    assert_eq!(
        payload,
        json!({"mch_trade_id": "m1", "refund_fee": 3, "refund_desc": "r"})
    );
}

#[tokio::test]
async fn refund_query_sends_the_ids_and_reads_the_refund_list() {
    let server = MockServer::start().await;
    let data = json!({
        "cash_fee": 9872, "out_trade_id": "4200000114201806284156184664", "total_fee": 9872,
        "trade_id": "5b34b9a9", "mch_trade_id": "alextest.jsapi.33", "merchant_id": MERCHANT_ID,
        "pay_type": "wechat.jsapi", "trade_state": 1, "trade_info": "转入退款, ",
        "refunds": [
            {"refund_id": "5b34ba3d", "refund_fee": 5, "refund_state": 0},
            {"refund_id": "5b34ba45", "mch_refund_id": "r2", "refund_fee": "100", "refund_status": 1}
        ]
    });
    answer(
        &server,
        "/v2/pay/refund_query",
        pooul_answer("success", data),
    )
    .await;
    let req = RefundQueryRequest::new("alextest.jsapi.33").mch_refund_id("r2");
    let reply = client(&server.uri()).refund_query(&req).await.unwrap();
    let (p, q, payload, _) = sent(&server).await;
    assert_eq!((p.as_str(), q.as_str()), ("/v2/pay/refund_query", QUERY));
    assert_eq!(
        payload,
        json!({"mch_trade_id": "alextest.jsapi.33", "mch_refund_id": "r2"})
    );
    let d = reply.data;
    assert_eq!(d.trade.trade_state, TradeState::Refund);
    assert_eq!(d.trade.cash_fee, Some(Money::from_fen(9872)));
    assert_eq!(d.refunds.len(), 2);
    assert_eq!(
        (d.refunds[0].refund_fee, d.refunds[0].refund_status),
        (Money::from_fen(5), RefundStatus::Success)
    );
    assert_eq!(
        (d.refunds[1].refund_fee, d.refunds[1].refund_status),
        (Money::from_fen(100), RefundStatus::Processing)
    );
    assert_eq!(d.refunds[1].mch_refund_id.as_deref(), Some("r2"));
}

#[tokio::test]
async fn two_calls_never_share_a_nonce_and_a_retried_query_is_re_signed() {
    let server = MockServer::start().await;
    // First answer 500: the query is retried, with a new nonce.
    Mock::given(path("/v2/pay/query"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let data = json!({"trade_id": "t", "mch_trade_id": "m1", "trade_state": 0});
    Mock::given(path("/v2/pay/query"))
        .respond_with(ResponseTemplate::new(200).set_body_string(pooul_answer("success", data)))
        .with_priority(2)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    c.query("m1").await.unwrap();
    c.query("m1").await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 3);
    let mut nonces: Vec<String> = reqs
        .iter()
        .map(|r| take_nonce(&mut read_sent_jwt(&r.body, &keys().merchant.public_key())))
        .collect();
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "every request has its own nonce");
}

#[tokio::test]
async fn a_refund_is_never_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/pay/refund"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let req = RefundRequest::new("m1", "r1", Money::from_fen(1), "r");
    let err = client(&server.uri()).refund(&req).await.unwrap_err();
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
}

async fn query_answered_with(template: ResponseTemplate) -> Error {
    let server = MockServer::start().await;
    Mock::given(path("/v2/pay/query"))
        .respond_with(template)
        .mount(&server)
        .await;
    let mut cfg = config(&server.uri());
    cfg.http.retry = paysig::http::RetryPolicy::none();
    pooul::Client::new(cfg)
        .unwrap()
        .query("m1")
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_answer_signed_by_another_key_is_an_error() {
    let forged = signed(
        &json!({"code": 0, "msg": "success", "data": {"trade_id": "t", "mch_trade_id": "m1", "trade_state": 0}}),
        &keys().other,
    );
    let err = query_answered_with(ResponseTemplate::new(200).set_body_string(forged)).await;
    assert!(
        matches!(
            err,
            Error::ResponseSignature {
                operation: "query",
                source: paysig::jwt::JwtError::Signature
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_rotation_key_verifies_answers_and_notifies_a_stranger_still_fails() {
    let body = json!({"code": 0, "msg": "success", "data": {"trade_id": "t", "mch_trade_id": "m1", "trade_state": 0}});
    let server = MockServer::start().await;
    Mock::given(path("/v2/pay/query"))
        .respond_with(ResponseTemplate::new(200).set_body_string(signed(&body, &keys().other)))
        .mount(&server)
        .await;
    let mut cfg = config(&server.uri());
    cfg.http.retry = paysig::http::RetryPolicy::none();
    cfg.rotation_public_keys = vec![keys().other.public_key()];
    let client = pooul::Client::new(cfg).unwrap();
    let state = client.query("m1").await.unwrap();
    assert_eq!(state.mch_trade_id, "m1");

    let notify = json!({"code": 0, "msg": "success", "data": {"merchant_id": MERCHANT_ID,
        "trade_id": "t", "mch_trade_id": "m1", "trade_state": 0, "total_fee": 5, "pay_type": "wechat.jsapi"}});
    let headers = paysig::http::HeaderMap::new();
    let by_rotation = signed(&notify, &keys().other);
    let by_stranger = signed(&notify, &paysig::RsaPrivateKey::generate_2048().unwrap());
    let first = client.verify_notify(&headers, by_rotation.as_bytes());
    let second = client.verify_notify(&headers, by_stranger.as_bytes());
    // The rotation key is read like the main one; a key outside both is refused.
    let n = first.expect("verified with the rotation key");
    assert_eq!(n.merchant_id(), MERCHANT_ID);
    n.check_amount(paysig::Money::from_fen(5)).unwrap();
    assert!(second.is_err(), "{second:?}");
}

#[tokio::test]
async fn signed_failure_and_unsigned_failure_are_api_errors() {
    let body = signed(&json!({"code": 1001, "msg": "订单不存在"}), &keys().pooul);
    let err = query_answered_with(ResponseTemplate::new(200).set_body_string(body)).await;
    assert!(
        matches!(&err, Error::Api { code: 1001, signed: true, msg, .. } if msg == "订单不存在"),
        "{err:?}"
    );

    let err = query_answered_with(
        ResponseTemplate::new(400).set_body_string(r#"{"code":40001,"msg":"签名错误"}"#),
    )
    .await;
    assert!(
        matches!(
            &err,
            Error::Api {
                code: 40001,
                signed: false,
                http_status: 400,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unsigned_success_is_never_believed() {
    let body =
        r#"{"code":0,"msg":"success","data":{"trade_id":"t","mch_trade_id":"m1","trade_state":0}}"#;
    let err = query_answered_with(ResponseTemplate::new(200).set_body_string(body)).await;
    assert!(matches!(err, Error::Unsigned { code: 0, .. }), "{err:?}");
}

#[tokio::test]
async fn unsigned_failures_can_be_refused_by_configuration() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/pay/close"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"code":1,"msg":"x"}"#))
        .mount(&server)
        .await;
    let mut cfg = config(&server.uri());
    cfg.plain_json_failures = pooul::PlainJsonFailures::Reject;
    let err = pooul::Client::new(cfg)
        .unwrap()
        .close("m1")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsigned { code: 1, .. }), "{err:?}");
}

#[tokio::test]
async fn an_answer_about_another_order_is_refused() {
    let body = pooul_answer(
        "success",
        json!({"trade_id": "t", "mch_trade_id": "m2", "trade_state": 0}),
    );
    let err = query_answered_with(ResponseTemplate::new(200).set_body_string(body)).await;
    assert!(
        matches!(&err, Error::ResponseMismatch { field: "mch_trade_id", got, .. } if got == "m2"),
        "{err:?}"
    );
    let body = pooul_answer(
        "success",
        json!({"trade_id": "t", "mch_trade_id": "m1", "merchant_id": "1333259781809471", "trade_state": 0}),
    );
    let err = query_answered_with(ResponseTemplate::new(200).set_body_string(body)).await;
    assert!(
        matches!(
            err,
            Error::ResponseMismatch {
                field: "merchant_id",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_echoed_id_of_another_json_type_is_refused() {
    for (field, value) in [
        ("mch_trade_id", json!(true)),
        ("mch_trade_id", json!(["m1"])),
        ("merchant_id", json!({"id": MERCHANT_ID})),
    ] {
        let mut data = json!({"trade_id": "t", "mch_trade_id": "m1", "trade_state": 0});
        data[field] = value;
        let body = pooul_answer("success", data);
        let err = query_answered_with(ResponseTemplate::new(200).set_body_string(body)).await;
        assert!(
            matches!(&err, Error::ResponseMismatch { field: f, .. } if *f == field),
            "{field}: {err:?}"
        );
    }
    // Absent or null: not echoed, accepted.
    let body = pooul_answer(
        "success",
        json!({"trade_id": "t", "mch_trade_id": "m1", "merchant_id": null, "trade_state": 0}),
    );
    let server = MockServer::start().await;
    answer(&server, "/v2/pay/query", body).await;
    client(&server.uri()).query("m1").await.unwrap();
}

#[tokio::test]
async fn http_500_non_json_and_bad_payload_are_typed_errors() {
    let err =
        query_answered_with(ResponseTemplate::new(500).set_body_string("<html>oops</html>")).await;
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
    let err =
        query_answered_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>")).await;
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
    let err = query_answered_with(ResponseTemplate::new(200).set_body_string("{\"code\":")).await;
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    // Signed, but trade_state missing: not the documented shape.
    let body = pooul_answer("success", json!({"trade_id": "t", "mch_trade_id": "m1"}));
    let err = query_answered_with(ResponseTemplate::new(200).set_body_string(body)).await;
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/pay/close"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(3)))
        .mount(&server)
        .await;
    let mut cfg = config(&server.uri());
    cfg.http.timeout = std::time::Duration::from_millis(200);
    let err = pooul::Client::new(cfg)
        .unwrap()
        .close("m1")
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
}

#[tokio::test]
async fn a_truncated_answer_is_a_body_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 8192];
        let _ = sock.read(&mut buf).await;
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\neyJhbGciOi")
            .await;
    });
    let err = client(&format!("http://{addr}"))
        .close("m1")
        .await
        .unwrap_err();
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
async fn invalid_requests_are_refused_before_sending() {
    let server = MockServer::start().await;
    let c = client(&server.uri());
    let scan = |fee| PayRequest::new(PayType::WechatScan, "m1", Money::from_fen(fee), "b");
    let cases = [
        (scan(1), "spbill_create_ip"),
        (scan(0).spbill_create_ip("127.0.0.1"), "total_fee"),
        (scan(1).spbill_create_ip("localhost"), "spbill_create_ip"),
        (
            scan(1)
                .spbill_create_ip("127.0.0.1")
                .notify_url("http://a.b/n?x=1".parse().unwrap()),
            "notify_url",
        ),
        (
            scan(1)
                .spbill_create_ip("127.0.0.1")
                .time_start(1530759545)
                .time_expire(1530759545),
            "time_expire",
        ),
        (
            scan(1)
                .spbill_create_ip("127.0.0.1")
                .time_start(1530759545000),
            "time_start",
        ),
        (
            PayRequest::new(
                PayType::Micro {
                    auth_code: "".into(),
                },
                "m1",
                Money::from_fen(1),
                "b",
            ),
            "auth_code",
        ),
        (
            PayRequest::new(PayType::AlipayScan, "", Money::from_fen(1), "b"),
            "mch_trade_id",
        ),
        (
            PayRequest::new(PayType::AlipayScan, "m1", Money::from_fen(1), " "),
            "body",
        ),
        (
            PayRequest::new(
                PayType::WechatApp {
                    sub_appid: "".into(),
                },
                "m1",
                Money::from_fen(1),
                "b",
            )
            .spbill_create_ip("::1"),
            "sub_appid",
        ),
    ];
    for (req, want) in cases {
        let err = c.pay(&req).await.unwrap_err();
        assert!(
            matches!(err, Error::Validation { field, .. } if field == want),
            "{want}: {err:?}"
        );
    }
    let err = c
        .refund(&RefundRequest::new("m1", "r1", Money::from_fen(0), "r"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation {
            field: "refund_fee",
            ..
        }
    ));
    let err = c
        .micro_pay(&scan(1).spbill_create_ip("127.0.0.1"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation {
            field: "pay_type",
            ..
        }
    ));
    assert!(server.received_requests().await.unwrap().is_empty());

    let mut cfg = config(&server.uri());
    cfg.merchant_id = "53993553817".into();
    assert!(matches!(
        pooul::Client::new(cfg),
        Err(Error::Validation {
            field: "merchant_id",
            ..
        })
    ));
}

#[test]
fn debug_output_never_shows_the_private_key() {
    use paysig::ExposeSecret;
    let c = client("http://127.0.0.1:9");
    let printed = format!("{c:?} {:?}", c.config());
    let pem = keys().merchant.to_pkcs8_pem();
    let pem_body: String = pem.expose_secret().lines().nth(1).unwrap().to_owned();
    assert!(
        !printed.contains(&pem_body),
        "private key leaked into Debug"
    );
    assert!(printed.contains("REDACTED"));
    assert!(printed.contains(MERCHANT_ID));
}
