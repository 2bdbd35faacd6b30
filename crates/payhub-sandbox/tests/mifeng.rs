//! Mifeng over raw HTTP: token lifecycle, orders, notify MD5 (inferred scheme), rate limit.

mod common;

use common::{Receiver, client, json, sandbox, sandbox_with};
use payhub_sandbox::{ProviderKind, RunningSandbox, SandboxConfig};
use paysig::ExposeSecret;
use paysig::http::Request;
use paysig::md5::{HexCase, md5_hex};
use serde_json::{Value, json};
use std::time::Duration;

const P: ProviderKind = ProviderKind::Mifeng;

async fn token(sb: &RunningSandbox) -> String {
    let c = sb.mifeng();
    let mut url = sb.base_url(P).join("/v1/api/pay/accesstoken").unwrap();
    url.query_pairs_mut()
        .append_pair("mch_id", &c.mch_id)
        .append_pair("secret", c.secret.expose_secret());
    let resp = client()
        .send(Request::get("test", "mf", url))
        .await
        .unwrap();
    let v = json(&resp.body);
    assert_eq!(v["code"], 0, "{v}");
    let ttl = sb.config().mifeng_token_ttl.as_millis().div_ceil(1000) as u64;
    assert_eq!(v["data"]["expires_in"], ttl);
    v["data"]["token"].as_str().unwrap().to_owned()
}

async fn post(sb: &RunningSandbox, path: &str, body: &Value) -> (u16, Value) {
    let url = sb.base_url(P).join(path).unwrap();
    let resp = client()
        .send(Request::post_json(
            "test",
            "mf",
            url,
            serde_json::to_vec(body).unwrap(),
        ))
        .await
        .unwrap();
    (resp.status, json(&resp.body))
}

fn order(token: &str, no: &str, money: &str, notify: &str) -> Value {
    json!({
        "token": token, "channel_no": "1", "subject": "s", "out_order_no": no, "money": money,
        "client_ip": "127.0.0.1", "notify_url": notify, "param": "p=1", "timestamp": 1626863144831u64,
    })
}

#[tokio::test]
async fn happy_path_create_pay_notify_query() {
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["SUCCESS"]).await;
    let t = token(&sb).await;
    let (_, created) = post(
        &sb,
        "/v1/api/pay/unifiedorder",
        &order(&t, "MF-1", "10.5", rx.url.as_str()),
    )
    .await;
    assert_eq!(created["code"], 0, "{created}");
    assert_eq!(created["data"]["money"], "10.50");
    assert!(created["request_id"].as_str().unwrap().len() == 32);
    let order_no = created["data"]["order_no"].as_str().unwrap().to_owned();

    sb.pay(P, "MF-1").unwrap();
    let got = rx.wait_for(1).await;
    let n = json(&got[0].body);
    let c = sb.mifeng();
    let text = |k: &str| n[k].as_str().unwrap().to_owned();
    let message = format!(
        "mch_id={}&money={}&notify_time={}&order_no={}&out_order_no={}&param={}&state={}&key={}",
        text("mch_id"),
        text("money"),
        text("notify_time"),
        text("order_no"),
        text("out_order_no"),
        text("param"),
        text("state"),
        c.secret.expose_secret()
    );
    assert_eq!(
        n["sign"],
        md5_hex(message.as_bytes(), HexCase::Lower).as_str()
    );
    assert_eq!(
        (text("money"), text("state"), text("param")),
        ("10.50".into(), "3".into(), "p=1".into())
    );
    sb.wait_acknowledged(P, "MF-1", Duration::from_secs(5))
        .await
        .unwrap();

    let q = json!({ "token": t, "mch_id": c.mch_id, "order_no": order_no, "timestamp": 1626863144831u64 });
    let (_, queried) = post(&sb, "/v1/api/pay/query", &q).await;
    assert_eq!(queried["data"]["state"], 3, "{queried}");
    assert_eq!(queried["data"]["notify_succ"], 1);
    let b = json!({ "token": t, "mch_id": c.mch_id, "timestamp": 1626863144831u64 });
    assert_eq!(
        post(&sb, "/v1/api/pay/balance", &b).await.1["data"]["balance"],
        "10.50"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn form_bodies_are_accepted_too() {
    let sb = sandbox().await;
    let t = token(&sb).await;
    let form = format!(
        "token={t}&channel_no=1&out_order_no=MF-F&money=0.01&client_ip=1.1.1.1&notify_url=http%3A%2F%2F127.0.0.1%3A9%2Fn&timestamp=1626863144831"
    );
    let url = sb.base_url(P).join("/v1/api/pay/unifiedorder").unwrap();
    let resp = client()
        .send(Request::post_form("t", "mf", url, form))
        .await
        .unwrap();
    assert_eq!(json(&resp.body)["code"], 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn token_rules_and_order_codes() {
    let sb = sandbox().await;
    let old = token(&sb).await;
    let new = token(&sb).await;
    // Only the newest token is valid.
    let (_, r) = post(
        &sb,
        "/v1/api/pay/unifiedorder",
        &order(&old, "MF-2", "1.00", "http://127.0.0.1:9/n"),
    )
    .await;
    assert_eq!(
        (r["code"].as_i64(), r["msg"].as_str()),
        (Some(2), Some("token校验不通过"))
    );
    assert_eq!(
        post(
            &sb,
            "/v1/api/pay/unifiedorder",
            &order(&new, "MF-2", "1.00", "http://127.0.0.1:9/n")
        )
        .await
        .1["code"],
        0
    );
    // Money: yuan with at most two decimals, positive.
    assert_eq!(
        post(
            &sb,
            "/v1/api/pay/unifiedorder",
            &order(&new, "MF-3", "1.001", "http://x.invalid/")
        )
        .await
        .1["code"],
        -1
    );
    assert_eq!(
        post(
            &sb,
            "/v1/api/pay/unifiedorder",
            &order(&new, "MF-3", "0", "http://x.invalid/")
        )
        .await
        .1["code"],
        -1
    );
    let mut bad_channel = order(&new, "MF-3", "1", "http://x.invalid/");
    bad_channel["channel_no"] = "abc".into();
    assert_eq!(
        post(&sb, "/v1/api/pay/unifiedorder", &bad_channel).await.1["code"],
        -2
    );
    // Duplicate out_order_no.
    assert_eq!(
        post(
            &sb,
            "/v1/api/pay/unifiedorder",
            &order(&new, "MF-2", "1.00", "http://x.invalid/")
        )
        .await
        .1["code"],
        -3
    );
    // Query: unknown order is 1.
    let c = sb.mifeng();
    let q = json!({ "token": new, "mch_id": c.mch_id, "order_no": "nope", "timestamp": 1626863144831u64 });
    assert_eq!(post(&sb, "/v1/api/pay/query", &q).await.1["code"], 1);
    // Wrong secret.
    let mut url = sb.base_url(P).join("/v1/api/pay/accesstoken").unwrap();
    url.query_pairs_mut()
        .append_pair("mch_id", &c.mch_id)
        .append_pair("secret", "WRONG");
    let resp = client().send(Request::get("t", "mf", url)).await.unwrap();
    assert_ne!(json(&resp.body)["code"], 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn rate_limit_is_enforced() {
    let sb = sandbox_with(SandboxConfig {
        mifeng_rate_limit_per_sec: 3,
        ..SandboxConfig::default()
    })
    .await;
    let t = token(&sb).await; // one call of the second
    let c = sb.mifeng();
    let b = json!({ "token": t, "mch_id": c.mch_id, "timestamp": 1626863144831u64 });
    // Six at once: at most three fit in any one-second window.
    let calls = (0..6).map(|_| post(&sb, "/v1/api/pay/balance", &b));
    let answers = futures::future::join_all(calls).await;
    let limited = answers
        .iter()
        .filter(|(status, r)| *status == 429 && r["code"] == 429)
        .count();
    let ok = answers
        .iter()
        .filter(|(status, r)| *status == 200 && r["code"] == 0)
        .count();
    assert_eq!(limited + ok, 6, "{answers:?}");
    assert!(limited >= 3, "{answers:?}");
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(post(&sb, "/v1/api/pay/balance", &b).await.1["code"], 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn failed_payment_is_notified_and_retried() {
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["success", "fail", "SUCCESS"]).await; // lower case is not the ack
    let t = token(&sb).await;
    post(
        &sb,
        "/v1/api/pay/unifiedorder",
        &order(&t, "MF-5", "2.00", rx.url.as_str()),
    )
    .await;
    sb.fail(P, "MF-5").unwrap();
    let rec = sb
        .wait_acknowledged(P, "MF-5", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(rec.attempts.len(), 3);
    assert_eq!(json(&rx.received()[0].body)["state"], "4");
    sb.shutdown().await;
}

#[tokio::test]
async fn expired_token_is_refused_and_a_fresh_one_works() {
    let sb = sandbox_with(SandboxConfig {
        mifeng_token_ttl: Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await;
    let t = token(&sb).await;
    assert_eq!(
        post(
            &sb,
            "/v1/api/pay/unifiedorder",
            &order(&t, "MF-6", "1.00", "http://x.invalid/")
        )
        .await
        .1["code"],
        0
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, r) = post(
        &sb,
        "/v1/api/pay/unifiedorder",
        &order(&t, "MF-7", "1.00", "http://x.invalid/"),
    )
    .await;
    assert_eq!(
        (r["code"].as_i64(), r["msg"].as_str()),
        (Some(2), Some("token校验不通过")),
        "{r}"
    );
    let fresh = token(&sb).await;
    assert_eq!(
        post(
            &sb,
            "/v1/api/pay/unifiedorder",
            &order(&fresh, "MF-7", "1.00", "http://x.invalid/")
        )
        .await
        .1["code"],
        0
    );
    sb.shutdown().await;
}
