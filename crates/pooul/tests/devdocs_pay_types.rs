//! The developer docs' pay types `wechat.jsurl` and `alipay.jsapi` (pooul/devdocs, gh-pages,
//! source/includes/_pay.md): the bytes sent, the answers typed, the fields required.

mod common;

use common::*;
use paysig::Money;
use pooul::{AlipayPayInfo, Error, PayInfo, PayRequest, PayType, PayTypeCode, TradeState};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server_answering(body: String) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/pay"))
        .and(query_param("merchant_id", MERCHANT_ID))
        .and(header("content-type", "text/plain"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .expect(1)
        .mount(&server)
        .await;
    server
}

async fn sent_payload(server: &MockServer) -> serde_json::Value {
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].url.query(), Some("merchant_id=5399355381712172"));
    let mut payload = read_sent_jwt(&reqs[0].body, &keys().merchant.public_key());
    take_nonce(&mut payload);
    payload
}

#[tokio::test]
async fn wechat_jsurl_sends_the_documented_body_and_reads_pay_url() {
    // The docs' answer, as printed (less its trailing comma).
    let server = server_answering(pooul_answer(
        "success",
        json!({
            "pay_url": "https://url.com/QR?QRCODE=CCB9980011025952864655208",
            "trade_id": "5be2cae201c91132eaa6f774", "device_info": "alex wechat device",
            "mch_trade_id": "alextest.jsurl.26", "merchant_id": MERCHANT_ID,
            "op_user_id": "11", "pay_type": "wechat.jsurl", "trade_state": 6
        }),
    ))
    .await;
    let req = PayRequest::new(
        PayType::WechatJsurl,
        "alextest.jsurl.26",
        Money::from_fen(221),
        "Alex Test jsurl",
    )
    .spbill_create_ip("127.0.0.1")
    .notify_url("https://md.pooul.com/v2_test/notify".parse().unwrap())
    .device_info("alex wechat device")
    .op_user_id("11")
    .attach("Alex attach");
    let reply = client(&server.uri()).pay(&req).await.unwrap();
    assert_eq!(
        sent_payload(&server).await,
        json!({
            "pay_type": "wechat.jsurl", "mch_trade_id": "alextest.jsurl.26", "total_fee": 221,
            "body": "Alex Test jsurl", "spbill_create_ip": "127.0.0.1",
            "notify_url": "https://md.pooul.com/v2_test/notify",
            "device_info": "alex wechat device", "op_user_id": "11", "attach": "Alex attach",
        })
    );
    let d = reply.data;
    assert_eq!(
        d.pay_url.as_deref(),
        Some("https://url.com/QR?QRCODE=CCB9980011025952864655208")
    );
    assert_eq!(d.pay_type, Some(PayTypeCode::WechatJsurl));
    assert_eq!(d.trade_state, Some(TradeState::Paying));
    assert_eq!(d.device_info.as_deref(), Some("alex wechat device"));
    assert_eq!(d.op_user_id.as_deref(), Some("11"));
    assert_eq!(d.pay_info, None);
}

#[tokio::test]
async fn alipay_jsapi_sends_sub_ids_and_reads_the_trade_no() {
    // The docs' answer: pay_info is an object here, not a JSON string.
    let server = server_answering(pooul_answer(
        "Success",
        json!({
            "trade_id": "5d661e1b01c911056e885765", "actual_fee": 0, "attach": "自定义参数",
            "body": "alex test", "mch_trade_id": "alipay.jsapi.4", "merchant_id": MERCHANT_ID,
            "pay_type": "alipay.jsapi", "settle_fee": 10, "total_fee": 10, "trade_fee": 0,
            "updated_at": 1566973468, "pay_info": {"trade_no": "2019082822001401330581360411"},
            "trade_state": 6, "trade_info": "支付中, Success"
        }),
    ))
    .await;
    let req = PayRequest::new(
        PayType::AlipayJsapi {
            sub_appid: "2016101502183655".into(),
            sub_openid: "2088002053801335".into(),
        },
        "alipay.jsapi.4",
        Money::from_fen(10),
        "alex test",
    )
    .device_info("WEB")
    .op_user_id("1")
    .attach("自定义参数");
    let reply = client(&server.uri()).pay(&req).await.unwrap();
    // Alipay: no spbill_create_ip needed ("支付宝选填").
    assert_eq!(
        sent_payload(&server).await,
        json!({
            "pay_type": "alipay.jsapi", "mch_trade_id": "alipay.jsapi.4", "total_fee": 10,
            "body": "alex test", "device_info": "WEB", "op_user_id": "1", "attach": "自定义参数",
            "sub_appid": "2016101502183655", "sub_openid": "2088002053801335",
        })
    );
    let d = reply.data;
    assert_eq!(
        d.pay_info,
        Some(PayInfo::Alipay(AlipayPayInfo {
            trade_no: "2019082822001401330581360411".into()
        }))
    );
    assert_eq!(d.pay_type, Some(PayTypeCode::AlipayJsapi));
    assert_eq!(d.total_fee, Some(Money::from_fen(10)));
    assert_eq!(d.settle_fee, Some(Money::from_fen(10)));
    assert_eq!(d.actual_fee, Some(Money::ZERO));
    assert_eq!(d.trade_fee, Some(Money::ZERO));
    assert_eq!(d.updated_at, Some(1566973468));
    assert_eq!(d.body.as_deref(), Some("alex test"));
    assert_eq!(d.attach.as_deref(), Some("自定义参数"));
    assert_eq!(d.trade_state, Some(TradeState::Paying));
}

#[test]
fn their_required_fields_are_checked_before_sending() {
    let jsurl = PayRequest::new(PayType::WechatJsurl, "o", Money::from_fen(1), "b");
    assert!(matches!(
        jsurl.wire_body(),
        Err(Error::Validation {
            field: "spbill_create_ip",
            ..
        })
    ));
    for (appid, openid, field) in [("", "u", "sub_appid"), ("a", " ", "sub_openid")] {
        let req = PayRequest::new(
            PayType::AlipayJsapi {
                sub_appid: appid.into(),
                sub_openid: openid.into(),
            },
            "o",
            Money::from_fen(1),
            "b",
        );
        assert!(
            matches!(req.wire_body(), Err(Error::Validation { field: f, .. }) if f == field),
            "{field}"
        );
    }
    // The documented bodies read back into the same requests; a field of another type fails.
    let r: PayRequest = serde_json::from_value(json!({
        "pay_type": "alipay.jsapi", "mch_trade_id": "alipay.jsapi.4", "total_fee": 10,
        "body": "alex test", "sub_appid": "2016101502183655", "sub_openid": "2088002053801335"
    }))
    .unwrap();
    assert_eq!(
        r.pay_type,
        PayType::AlipayJsapi {
            sub_appid: "2016101502183655".into(),
            sub_openid: "2088002053801335".into()
        }
    );
    let r: PayRequest = serde_json::from_value(json!({
        "pay_type": "wechat.jsurl", "mch_trade_id": "alextest.jsurl.113", "total_fee": 221,
        "body": "Alex Test jsurl", "device_info": "alex device", "op_user_id": "301"
    }))
    .unwrap();
    assert_eq!(r.pay_type, PayType::WechatJsurl);
    let e = serde_json::from_value::<PayRequest>(json!({
        "pay_type": "wechat.jsurl", "mch_trade_id": "x", "total_fee": 1, "body": "b",
        "sub_appid": "wx1"
    }))
    .unwrap_err();
    assert!(e.to_string().contains("sub_appid"), "{e}");
    assert!(
        serde_json::from_value::<PayRequest>(json!({
            "pay_type": "alipay.jsapi", "mch_trade_id": "x", "total_fee": 1, "body": "b",
            "sub_appid": "a"
        }))
        .is_err()
    );
}

#[test]
fn the_uat_host_is_an_environment() {
    assert_eq!(
        pooul::Environment::Uat
            .base_url()
            .join("v2/pay")
            .unwrap()
            .as_str(),
        "https://api-uat.pooul.com/v2/pay"
    );
}
