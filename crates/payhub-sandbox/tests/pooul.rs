//! Pooul over raw HTTP: JWT bodies signed in the test, JWT answers and notifies verified.

mod common;

use common::{Receiver, client, json, sandbox, sandbox_with};
use payhub_sandbox::{OrderStatus, ProviderKind, RunningSandbox, SandboxConfig, pooul_codes};
use paysig::http::Request;
use paysig::{RsaPrivateKey, nonce};
use serde_json::{Value, json};

const P: ProviderKind = ProviderKind::Pooul;

async fn send(sb: &RunningSandbox, path: &str, merchant: &str, body: String) -> (String, Vec<u8>) {
    let mut url = sb.base_url(P).join(path).unwrap();
    url.query_pairs_mut().append_pair("merchant_id", merchant);
    let resp = client()
        .send(Request::post_text("test", "pooul", url, "text/plain", body))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    (
        resp.content_type().unwrap_or_default().to_owned(),
        resp.body.to_vec(),
    )
}

/// Signs `payload` (plus a fresh nonce_str) with `key` and POSTs it.
async fn call_with(
    sb: &RunningSandbox,
    path: &str,
    key: &RsaPrivateKey,
    mut payload: Value,
) -> Value {
    if payload.get("nonce_str").is_none() {
        payload["nonce_str"] = nonce().into();
    }
    let token = paysig::jwt::encode_rs256(&payload, key).unwrap();
    let merchant = sb.pooul().merchant_id.clone();
    let (content_type, body) = send(sb, path, &merchant, token).await;
    if content_type.starts_with("text/plain") {
        // Successes are JWTs signed with the platform key.
        let text = String::from_utf8(body).unwrap();
        paysig::jwt::decode_rs256::<Value>(&text, &sb.pooul().platform_public_key)
            .expect("answer verifies with the platform key")
            .into_inner()
    } else {
        json(&body)
    }
}

async fn call(sb: &RunningSandbox, path: &str, payload: Value) -> Value {
    let key = sb.pooul().merchant_private_key.clone();
    call_with(sb, path, &key, payload).await
}

fn scan(order: &str, fee: Value, notify: &str) -> Value {
    json!({
        "pay_type": "wechat.scan", "mch_trade_id": order, "total_fee": fee,
        "spbill_create_ip": "127.0.0.1", "notify_url": notify, "body": "Test", "attach": "att",
    })
}

#[tokio::test]
async fn happy_path_create_pay_notify_query_refund() {
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["SUCCESS"]).await; // any case is accepted
    let created = call(&sb, "/v2/pay", scan("PL-1", json!(221), rx.url.as_str())).await;
    assert_eq!(created["code"], 0, "{created}");
    assert!(
        created["data"]["code_url"]
            .as_str()
            .unwrap()
            .starts_with("weixin://")
    );
    assert!(created["nonce_str"].is_string());

    sb.pay(P, "PL-1").unwrap();
    let got = rx.wait_for(1).await;
    let token = String::from_utf8(got[0].body.clone()).unwrap();
    let notify = paysig::jwt::decode_rs256::<Value>(&token, &sb.pooul().platform_public_key)
        .expect("notify JWT verifies")
        .into_inner();
    assert_eq!(notify["data"]["mch_trade_id"], "PL-1");
    assert_eq!(notify["data"]["total_fee"], 221);
    assert_eq!(notify["data"]["trade_state"], 0);
    assert_eq!(notify["data"]["attach"], "att");
    assert!(
        sb.wait_acknowledged(P, "PL-1", std::time::Duration::from_secs(5))
            .await
            .is_some()
    );

    let q = call(&sb, "/v2/pay/query", json!({ "mch_trade_id": "PL-1" })).await;
    assert_eq!(q["data"]["trade_state"], 0, "{q}");
    let r = call(
        &sb,
        "/v2/pay/refund",
        json!({ "mch_trade_id": "PL-1", "refund_fee": 21, "refund_desc": "t", "mch_refund_id": "RF1" }),
    )
    .await;
    assert_eq!(r["code"], 0, "{r}");
    assert_eq!(r["data"]["refund_fee"], 21);
    let rq = call(
        &sb,
        "/v2/pay/refund_query",
        json!({ "mch_trade_id": "PL-1" }),
    )
    .await;
    assert_eq!(rq["data"]["trade_state"], 1, "转入退款: {rq}");
    assert_eq!(rq["data"]["refunds"][0]["refund_fee"], 21);
    sb.shutdown().await;
}

#[tokio::test]
async fn rejections() {
    let sb = sandbox().await;
    // Signed with a key that is not the registered one.
    let stranger = RsaPrivateKey::generate_2048().unwrap();
    let r = call_with(&sb, "/v2/pay", &stranger, scan("PL-2", json!(1), "")).await;
    assert_eq!(r["code"], pooul_codes::SIGNATURE_INVALID, "{r}");
    // Not a JWT at all.
    let merchant = sb.pooul().merchant_id.clone();
    let (_, body) = send(&sb, "/v2/pay", &merchant, "{\"a\":1}".into()).await;
    assert_eq!(json(&body)["code"], pooul_codes::SIGNATURE_INVALID);
    // Unknown merchant_id.
    let token = paysig::jwt::encode_rs256(
        &scan("PL-2", json!(1), ""),
        &sb.pooul().merchant_private_key,
    )
    .unwrap();
    let (_, body) = send(&sb, "/v2/pay", "1111222233334444", token).await;
    assert_eq!(json(&body)["code"], pooul_codes::MERCHANT_NOT_FOUND);
    // nonce_str reuse.
    let mut p = scan("PL-3", json!(1), "");
    p["nonce_str"] = "fixed-nonce-1".into();
    assert_eq!(call(&sb, "/v2/pay", p.clone()).await["code"], 0);
    p["mch_trade_id"] = "PL-4".into();
    assert_eq!(
        call(&sb, "/v2/pay", p).await["code"],
        pooul_codes::NONCE_REUSED
    );
    // total_fee must be an integer of fen.
    assert_eq!(
        call(&sb, "/v2/pay", scan("PL-5", json!("1"), "")).await["code"],
        pooul_codes::INVALID_PARAMETER
    );
    assert_eq!(
        call(&sb, "/v2/pay", scan("PL-5", json!(1.5), "")).await["code"],
        pooul_codes::INVALID_PARAMETER
    );
    // Missing body.
    let mut p = scan("PL-5", json!(1), "");
    p.as_object_mut().unwrap().remove("body");
    assert_eq!(
        call(&sb, "/v2/pay", p).await["code"],
        pooul_codes::MISSING_PARAMETER
    );
    // Duplicate mch_trade_id.
    assert_eq!(
        call(&sb, "/v2/pay", scan("PL-3", json!(1), "")).await["code"],
        pooul_codes::DUPLICATE_TRADE
    );
    // Refund of an unpaid order, then over the paid amount.
    let refund =
        |fee: u64| json!({ "mch_trade_id": "PL-3", "refund_fee": fee, "refund_desc": "t" });
    assert_eq!(
        call(&sb, "/v2/pay/refund", refund(1)).await["code"],
        pooul_codes::STATE_INVALID
    );
    sb.pay(P, "PL-3").unwrap();
    assert_eq!(
        call(&sb, "/v2/pay/refund", refund(2)).await["code"],
        pooul_codes::REFUND_EXCEEDS
    );
    assert_eq!(call(&sb, "/v2/pay/refund", refund(1)).await["code"], 0);
    assert_eq!(
        call(&sb, "/v2/pay/query", json!({ "mch_trade_id": "nope" })).await["code"],
        pooul_codes::TRADE_NOT_FOUND
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn micropay_answers_paying_first_then_query_shows_paid() {
    let sb = sandbox_with(SandboxConfig {
        auto_pay: Some(std::time::Duration::from_secs(10)), // 1 ms at the test's scale
        ..SandboxConfig::default()
    })
    .await;
    let micro = json!({
        "pay_type": "common.micro", "mch_trade_id": "PL-M1", "total_fee": 1223,
        "spbill_create_ip": "127.0.0.1", "body": "Micro", "auth_code": "136345610916464024",
    });
    let r = call(&sb, "/v2/pay", micro).await;
    assert_eq!(r["data"]["trade_state"], 6, "{r}");
    for _ in 0..200 {
        if sb.order_state(P, "PL-M1").unwrap().status == OrderStatus::Paid {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let q = call(&sb, "/v2/pay/query", json!({ "mch_trade_id": "PL-M1" })).await;
    assert_eq!(q["data"]["trade_state"], 0, "{q}");
    sb.shutdown().await;
}

#[tokio::test]
async fn notify_retried_until_success() {
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["ok", "fail", "success"]).await;
    call(&sb, "/v2/pay", scan("PL-6", json!(5), rx.url.as_str())).await;
    sb.pay(P, "PL-6").unwrap();
    // Pooul's first retry waits 15 s: 1.5 ms here.
    let rec = sb
        .wait_acknowledged(P, "PL-6", std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(rec.attempts.len(), 3);
    assert_eq!(rx.received().len(), 3);
    sb.shutdown().await;
}

#[tokio::test]
async fn refund_resubmitted_with_the_same_mch_refund_id_is_not_refunded_twice() {
    let sb = sandbox().await;
    call(&sb, "/v2/pay", scan("PL-7", json!(100), "")).await;
    sb.pay(P, "PL-7").unwrap();
    let refund = json!({ "mch_trade_id": "PL-7", "refund_fee": 60, "refund_desc": "t", "mch_refund_id": "RF7" });
    let first = call(&sb, "/v2/pay/refund", refund.clone()).await;
    let again = call(&sb, "/v2/pay/refund", refund).await;
    assert_eq!(
        (first["code"].as_i64(), again["code"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(first["data"]["refund_id"], again["data"]["refund_id"]);
    assert_eq!(sb.order_state(P, "PL-7").unwrap().refunded.fen(), 60);
    // Same id, another amount: refused.
    let other = json!({ "mch_trade_id": "PL-7", "refund_fee": 10, "refund_desc": "t", "mch_refund_id": "RF7" });
    assert_eq!(
        call(&sb, "/v2/pay/refund", other).await["code"],
        pooul_codes::INVALID_PARAMETER
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn developer_docs_pay_types_jsurl_and_alipay_jsapi() {
    let sb = sandbox().await;
    // wechat.jsurl (no fields of its own; WeChat, so spbill_create_ip is required).
    let jsurl = json!({
        "pay_type": "wechat.jsurl", "mch_trade_id": "PL-JSURL", "total_fee": 221,
        "spbill_create_ip": "127.0.0.1", "body": "Alex Test jsurl",
        "device_info": "alex device", "op_user_id": "301",
    });
    let r = call(&sb, "/v2/pay", jsurl.clone()).await;
    assert_eq!(r["code"], 0, "{r}");
    assert!(
        r["data"]["pay_url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert_eq!(r["data"]["pay_type"], "wechat.jsurl");
    assert_eq!(r["data"]["device_info"], "alex device");
    assert_eq!(r["data"]["op_user_id"], "301");
    assert_eq!(r["data"]["trade_state"], 6);
    let mut no_ip = jsurl;
    no_ip.as_object_mut().unwrap().remove("spbill_create_ip");
    no_ip["mch_trade_id"] = "PL-JSURL-2".into();
    assert_eq!(
        call(&sb, "/v2/pay", no_ip).await["code"],
        pooul_codes::MISSING_PARAMETER
    );

    // alipay.jsapi: sub_appid and sub_openid required; pay_info is an object with trade_no.
    let alipay = json!({
        "pay_type": "alipay.jsapi", "mch_trade_id": "PL-AJS", "total_fee": 10,
        "body": "alex test", "sub_appid": "2016101502183655", "sub_openid": "2088002053801335",
    });
    let r = call(&sb, "/v2/pay", alipay.clone()).await;
    assert_eq!(r["code"], 0, "{r}");
    assert!(r["data"]["pay_info"]["trade_no"].is_string(), "{r}");
    assert_eq!(r["data"]["pay_type"], "alipay.jsapi");
    assert_eq!(r["data"]["total_fee"], 10);
    assert_eq!(r["data"]["trade_state"], 6);
    for field in ["sub_appid", "sub_openid"] {
        let mut missing = alipay.clone();
        missing.as_object_mut().unwrap().remove(field);
        missing["mch_trade_id"] = format!("PL-AJS-{field}").into();
        assert_eq!(
            call(&sb, "/v2/pay", missing).await["code"],
            pooul_codes::MISSING_PARAMETER,
            "{field}"
        );
    }
    sb.shutdown().await;
}
