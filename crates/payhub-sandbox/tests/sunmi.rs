//! Sunmi over raw HTTP: requests signed by hand per sunmi.txt §2.1, notifies verified per §2.2.

mod common;

use common::{Receiver, client, json, sandbox};
use payhub_sandbox::{OrderStatus, ProviderKind, RunningSandbox};
use paysig::ExposeSecret;
use paysig::http::Request;
use paysig::md5::{HexCase, md5_hex};

const P: ProviderKind = ProviderKind::Sunmi;

/// §2.1 by hand: sort by name, `k=v&...` (empty kept), append app_key, MD5, upper hex.
fn sign(pairs: &[(&str, String)], app_key: &str) -> String {
    let mut sorted: Vec<&(&str, String)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let a: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    md5_hex(
        format!("{}{app_key}", a.join("&")).as_bytes(),
        HexCase::Upper,
    )
}

fn form(pairs: &[(&str, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish()
}

async fn call(
    sb: &RunningSandbox,
    path: &str,
    mut pairs: Vec<(&str, String)>,
) -> serde_json::Value {
    let key = sb.sunmi().app_key.expose_secret().to_owned();
    let sig = sign(&pairs, &key);
    pairs.push(("sign", sig));
    post_raw(sb, path, form(&pairs)).await
}

async fn post_raw(sb: &RunningSandbox, path: &str, body: String) -> serde_json::Value {
    let url = sb.base_url(P).join(path).unwrap();
    let resp = client()
        .send(Request::post_form("test", "sunmi", url, body))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    json(&resp.body)
}

fn base(sb: &RunningSandbox) -> Vec<(&'static str, String)> {
    vec![
        ("app_id", sb.sunmi().app_id.clone()),
        ("charset", "utf8".into()),
        ("merchantNo", sb.sunmi().merchant_no.clone()),
    ]
}

fn js_api(
    sb: &RunningSandbox,
    order: &str,
    yuan: &str,
    notify: &str,
) -> Vec<(&'static str, String)> {
    let mut p = base(sb);
    p.extend([
        ("totalAmount", yuan.to_owned()),
        ("miniAppId", "wx2e5f6590644de622".into()),
        ("openId", "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into()),
        ("orderId", order.to_owned()),
        ("walletType", "TX01".into()),
        ("notifyUrl", notify.to_owned()),
    ]);
    p
}

#[tokio::test]
async fn happy_path_create_pay_notify_query_refund() {
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["success"]).await;
    let created = call(
        &sb,
        "/v1/trade/jsApiPay",
        js_api(&sb, "SM-1", "1.23", rx.url.as_str()),
    )
    .await;
    assert_eq!(created["code"], "10000", "{created}");
    assert_eq!(
        created["data"]["amount"], "123",
        "jsApiPay yuan 1.23 is 123 fen"
    );
    assert_eq!(created["data"]["state"], 1);
    let mis_id = created["data"]["misId"].as_str().unwrap().to_owned();

    sb.pay(P, "SM-1").unwrap();
    let got = rx.wait_for(1).await;
    assert!(
        got[0]
            .content_type
            .starts_with("application/x-www-form-urlencoded")
    );
    // §2.2: every field but sign, sorted, empty kept; SHA256withRSA with the platform key.
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(&got[0].body)
        .into_owned()
        .collect();
    let sig = pairs.iter().find(|(k, _)| k == "sign").unwrap().1.clone();
    pairs.retain(|(k, _)| k != "sign");
    pairs.sort();
    let message: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let message = message.join("&");
    assert!(
        message.contains("&businessId=&"),
        "empty values are kept: {message}"
    );
    sb.sunmi()
        .platform_public_key
        .verify_sha256((), message.as_bytes(), &sig)
        .expect("notify verifies with the sandbox's Sunmi public key");
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(field("amount"), "123");
    assert_eq!(field("state"), "3");
    assert_eq!(field("orderId"), "SM-1");
    assert_eq!(field("misId"), mis_id);

    let mut q = base(&sb);
    q.push(("orderId", "SM-1".into()));
    let queried = call(&sb, "/v1/trade/query", q).await;
    assert_eq!(queried["data"]["state"], 3, "{queried}");
    assert_eq!(queried["data"]["amount"], 123);

    let mut r = base(&sb);
    r.extend([
        ("amount", "100".to_owned()),
        ("oriOrderId", "SM-1".into()),
        ("orderId", "SM-1-R1".into()),
        ("businessId", "B1".into()),
    ]);
    let refunded = call(&sb, "/v1/trade/refund", r).await;
    assert_eq!(refunded["code"], "10000", "{refunded}");
    assert_eq!(refunded["data"]["amount"], 100);
    assert_eq!(refunded["data"]["orderType"], 1);
    assert_eq!(sb.order_state(P, "SM-1").unwrap().refunded.fen(), 100);
    // The refund is notified to the same callback (FAQ: "支付、退款回调是一个").
    let got = rx.wait_for(2).await;
    let refund_notify: Vec<(String, String)> = url::form_urlencoded::parse(&got[1].body)
        .into_owned()
        .collect();
    assert!(refund_notify.contains(&("orderType".into(), "1".into())));
    assert!(refund_notify.contains(&("origOrderId".into(), "SM-1".into())));
    sb.shutdown().await;
}

#[tokio::test]
async fn rejections_use_documented_codes() {
    let sb = sandbox().await;
    // Bad sign: 40002 "Invalid Sign" with sub_code E05.
    let mut pairs = js_api(&sb, "SM-2", "0.01", "http://127.0.0.1:9/n");
    pairs.push(("sign", "0".repeat(32)));
    let bad = post_raw(&sb, "/v1/trade/jsApiPay", form(&pairs)).await;
    assert_eq!(bad["code"], "40002");
    assert_eq!(bad["msg"], "Invalid Sign");
    assert_eq!(bad["data"]["sub_code"], "E05");
    // Signed with another key.
    let mut pairs = js_api(&sb, "SM-2", "0.01", "http://127.0.0.1:9/n");
    let wrong = sign(&pairs, "not-the-app-key");
    pairs.push(("sign", wrong));
    assert_eq!(
        post_raw(&sb, "/v1/trade/jsApiPay", form(&pairs)).await["msg"],
        "Invalid Sign"
    );
    // Missing app_id / unknown app_id.
    assert_eq!(
        post_raw(&sb, "/v1/trade/query", "charset=utf8".into()).await["msg"],
        "Missing app_id"
    );
    let mut other = base(&sb);
    other[0].1 = "sm-unknown".into();
    let r = call(&sb, "/v1/trade/query", other).await;
    assert_eq!(
        (r["code"].as_str(), r["msg"].as_str()),
        (Some("40002"), Some("invalid app_id"))
    );
    // Missing required field: 40001.
    let mut p = js_api(&sb, "SM-2", "0.01", "http://127.0.0.1:9/n");
    p.retain(|(k, _)| *k != "openId");
    let r = call(&sb, "/v1/trade/jsApiPay", p).await;
    assert_eq!(
        (r["code"].as_str(), r["msg"].as_str()),
        (Some("40001"), Some("Missing openId"))
    );
    // Amount formats: jsApiPay is yuan (three decimals refused), miniPay is fen ("0.01" refused).
    let r = call(&sb, "/v1/trade/jsApiPay", js_api(&sb, "SM-3", "0.001", "")).await;
    assert_eq!(r["data"]["sub_code"], "E02", "{r}");
    let mut mini = base(&sb);
    mini.extend([
        ("totalAmount", "0.01".to_owned()),
        ("miniAppId", "wx1".into()),
        ("openId", "o1".into()),
        ("orderId", "SM-4".into()),
    ]);
    assert_eq!(
        call(&sb, "/v1/trade/miniPay", mini.clone()).await["data"]["sub_code"],
        "E02"
    );
    mini[3].1 = "1".into();
    let ok = call(&sb, "/v1/trade/miniPay", mini.clone()).await;
    assert_eq!(ok["data"]["amount"], 1, "{ok}");
    // Duplicate orderId: T06.
    assert_eq!(
        call(&sb, "/v1/trade/miniPay", mini).await["data"]["sub_code"],
        "T06"
    );
    // Refund of an unpaid order: D08; over the paid amount: E22; unknown order: E19.
    let refund = |ori: &str, amount: &str, no: &str| {
        let mut r = base(&sb);
        r.extend([
            ("amount", amount.to_owned()),
            ("oriOrderId", ori.to_owned()),
            ("orderId", no.to_owned()),
            ("businessId", "B".into()),
        ]);
        r
    };
    assert_eq!(
        call(&sb, "/v1/trade/refund", refund("SM-4", "1", "R1")).await["data"]["sub_code"],
        "D08"
    );
    sb.pay(P, "SM-4").unwrap();
    assert_eq!(
        call(&sb, "/v1/trade/refund", refund("SM-4", "2", "R2")).await["data"]["sub_code"],
        "E22"
    );
    assert_eq!(
        call(&sb, "/v1/trade/refund", refund("SM-x", "1", "R3")).await["data"]["sub_code"],
        "E19"
    );
    assert_eq!(
        call(&sb, "/v1/trade/refund", refund("SM-4", "1", "R4")).await["code"],
        "10000"
    );
    assert_eq!(
        call(&sb, "/v1/trade/refund", refund("SM-4", "1", "R5")).await["data"]["sub_code"],
        "E22"
    );
    // Wrong merchant: E01.
    let mut q = base(&sb);
    q[2].1 = "820000000000000".into();
    q.push(("orderId", "SM-4".into()));
    assert_eq!(
        call(&sb, "/v1/trade/query", q).await["data"]["sub_code"],
        "E01"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn notify_is_retried_until_the_exact_ack() {
    let sb = sandbox().await;
    // "SUCCESS" is not the 7-character "success" of §6.3.
    let rx = Receiver::start(vec!["fail", "SUCCESS", "success"]).await;
    call(
        &sb,
        "/v1/trade/jsApiPay",
        js_api(&sb, "SM-5", "0.01", rx.url.as_str()),
    )
    .await;
    sb.pay(P, "SM-5").unwrap();
    let rec = sb
        .wait_acknowledged(P, "SM-5", std::time::Duration::from_secs(5))
        .await
        .expect("acknowledged");
    assert_eq!(rec.attempts.len(), 3);
    assert!(!rec.attempts[0].acknowledged && !rec.attempts[1].acknowledged);
    assert!(rec.attempts[2].acknowledged);
    let got = rx.received();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "every attempt sends the same body"
    );
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(
        rx.received().len(),
        3,
        "no attempt after the acknowledgement"
    );
    assert_eq!(sb.order_state(P, "SM-5").unwrap().status, OrderStatus::Paid);
    sb.shutdown().await;
}

#[tokio::test]
async fn pay_bind_rejects_a_second_identical_binding() {
    let sb = sandbox().await;
    let mut p = base(&sb);
    p.extend([
        ("configType", "2".to_owned()),
        ("miniAppId", "wx758379be100f9991".into()),
    ]);
    let first = call(&sb, "/v1/trade/payBind", p.clone()).await;
    assert_eq!(first["data"], "Success", "{first}");
    let second = call(&sb, "/v1/trade/payBind", p).await;
    assert_eq!(second["data"]["sub_code"], "Q03");
    sb.shutdown().await;
}

#[tokio::test]
async fn query_answers_every_documented_member_by_each_key() {
    let sb = sandbox().await;
    let created = call(
        &sb,
        "/v1/trade/jsApiPay",
        js_api(&sb, "SM-Q1", "2.50", "http://127.0.0.1:9/n"),
    )
    .await;
    let (mis_id, platform_id) = (
        created["data"]["misId"].as_str().unwrap().to_owned(),
        created["data"]["platformId"].as_str().unwrap().to_owned(),
    );
    let paid = sb.pay(P, "SM-Q1").unwrap();
    let pay_time = paid.settled_at.unwrap().unix_timestamp();
    let expected = serde_json::json!({
        "code": "10000",
        "msg": "成功",
        "data": {
            "amount": 250, "businessId": "", "buyerLogonId": "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s",
            "buyerPayAmount": 250, "merchantNo": sb.sunmi().merchant_no, "misId": mis_id,
            "msn": "", "orderId": "SM-Q1", "orderType": 0, "payTime": pay_time,
            "platform": "wxpay", "platformId": platform_id, "refunded": 0,
            "resultCode": "T00", "resultMsg": "Success", "state": 3,
        },
    });
    let url = sb.base_url(P).join("/v1/trade/query").unwrap();
    for (key, value) in [
        ("orderId", "SM-Q1"),
        ("misId", mis_id.as_str()),
        ("platformId", platform_id.as_str()),
    ] {
        let mut q = base(&sb);
        q.push((key, value.to_owned()));
        let sig = sign(&q, sb.sunmi().app_key.expose_secret());
        q.push(("sign", sig));
        let resp = client()
            .send(Request::post_form("test", "sunmi", url.clone(), form(&q)))
            .await
            .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.content_type(), Some("application/json"));
        assert_eq!(json(&resp.body), expected, "by {key}");
        // Members in name order, like every other answer of the sandbox.
        let text = String::from_utf8(resp.body.to_vec()).unwrap();
        let at = |m: &str| text.find(&format!("\"{m}\":")).unwrap();
        assert!(at("code") < at("data") && at("data") < at("msg"), "{text}");
        assert!(at("amount") < at("businessId") && at("resultMsg") < at("state"));
    }
    // A second key that names another order: not found.
    let mut q = base(&sb);
    q.extend([
        ("orderId", "SM-Q1".to_owned()),
        ("misId", "SM00000000000000000000".into()),
    ]);
    assert_eq!(
        call(&sb, "/v1/trade/query", q).await["data"]["sub_code"],
        "E19"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn sign_check_refuses_lower_case_duplicates_and_unsigned_fields() {
    let sb = sandbox().await;
    let key = sb.sunmi().app_key.expose_secret().to_owned();
    let mut q = base(&sb);
    q.push(("orderId", "SM-none".into()));
    let good = sign(&q, &key);
    // The signature in lower case: §2.1 gives upper-case hex.
    let mut lower = q.clone();
    lower.push(("sign", good.to_ascii_lowercase()));
    assert_eq!(
        post_raw(&sb, "/v1/trade/query", form(&lower)).await["msg"],
        "Invalid Sign"
    );
    // A field added after signing.
    let mut added = q.clone();
    added.push(("sign", good.clone()));
    added.push(("platformId", "42".into()));
    assert_eq!(
        post_raw(&sb, "/v1/trade/query", form(&added)).await["msg"],
        "Invalid Sign"
    );
    // A name twice: 40002 before any signature is looked at.
    let mut twice = q.clone();
    twice.push(("sign", good.clone()));
    twice.push(("orderId", "SM-none".into()));
    let r = post_raw(&sb, "/v1/trade/query", form(&twice)).await;
    assert_eq!(
        (r["code"].as_str(), r["msg"].as_str()),
        (Some("40002"), Some("非法参数"))
    );
    // Escaped bytes that are not UTF-8.
    let mut bad = form(&q);
    bad.push_str("&x=%FF");
    let r = post_raw(&sb, "/v1/trade/query", bad).await;
    assert_eq!(r["msg"], "非法参数");
    // The same request, correctly signed, reaches the lookup.
    let mut signed = q;
    signed.push(("sign", good));
    assert_eq!(
        post_raw(&sb, "/v1/trade/query", form(&signed)).await["data"]["sub_code"],
        "E19"
    );
    sb.shutdown().await;
}
