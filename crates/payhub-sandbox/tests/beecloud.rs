//! BeeCloud over raw HTTP: app_sign computed in the test, both webhook schemes verified.

mod common;

use common::{Receiver, client, json, sandbox, sandbox_with};
use payhub_sandbox::{BeeCloudWebhookScheme, ProviderKind, RunningSandbox, SandboxConfig};
use paysig::ExposeSecret;
use paysig::http::Request;
use paysig::md5::{HexCase, md5_hex};
use serde_json::{Value, json};

const P: ProviderKind = ProviderKind::BeeCloud;

fn auth(sb: &RunningSandbox, mut v: Value, upper: bool) -> Value {
    let c = sb.beecloud();
    let ts = 1_700_000_000_000u64;
    let sign = md5_hex(
        format!("{}{ts}{}", c.app_id, c.app_key.expose_secret()).as_bytes(),
        if upper {
            HexCase::Upper
        } else {
            HexCase::Lower
        },
    );
    v["app_id"] = c.app_id.clone().into();
    v["timestamp"] = ts.into();
    v["app_sign"] = sign.into();
    v
}

async fn post(sb: &RunningSandbox, path: &str, body: &Value) -> Value {
    let url = sb.base_url(P).join(path).unwrap();
    let resp = client()
        .send(Request::post_json(
            "test",
            "bc",
            url,
            serde_json::to_vec(body).unwrap(),
        ))
        .await
        .unwrap();
    json(&resp.body)
}

async fn get(sb: &RunningSandbox, path: &str, para: &Value) -> Value {
    let mut url = sb.base_url(P).join(path).unwrap();
    url.query_pairs_mut().append_pair("para", &para.to_string());
    let resp = client()
        .send(Request::get("test", "bc", url))
        .await
        .unwrap();
    json(&resp.body)
}

fn today() -> String {
    let t = time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
}

fn bill(no: &str, fee: Value) -> Value {
    json!({ "channel": "WX_NATIVE", "total_fee": fee, "bill_no": no, "title": "白开水", "optional": {"k": "v"} })
}

#[tokio::test]
async fn happy_path_with_v1_webhook() {
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["success"]).await;
    sb.set_notify_url(P, Some(rx.url.clone()));
    let created = post(
        &sb,
        "/1/rest/bill",
        &auth(&sb, bill("BC1", json!(100)), true),
    )
    .await;
    assert_eq!(created["result_code"], 0, "{created}");
    assert!(
        created["code_url"]
            .as_str()
            .unwrap()
            .starts_with("weixin://")
    );

    sb.pay(P, "BC1").unwrap();
    let got = rx.wait_for(1).await;
    let hook = json(&got[0].body);
    let c = sb.beecloud();
    let expected = md5_hex(
        format!(
            "{}{}{}",
            c.app_id,
            c.app_secret.expose_secret(),
            hook["timestamp"]
        )
        .as_bytes(),
        HexCase::Lower,
    );
    assert_eq!(hook["sign"], expected.as_str());
    assert_eq!(hook["transactionType"], "PAY");
    assert_eq!(hook["transactionId"], "BC1");
    assert_eq!(hook["transactionFee"], 100);
    assert_eq!(hook["channelType"], "WX");
    assert_eq!(hook["optional"]["k"], "v");

    let bills = get(
        &sb,
        "/1/rest/bills",
        &auth(&sb, json!({ "channel": "WX", "bill_no": "BC1" }), false),
    )
    .await;
    assert_eq!(bills["count"], 1, "{bills}");
    assert_eq!(bills["bills"][0]["spay_result"], true);

    let refund_no = format!("{}001", today());
    let r = post(
        &sb,
        "/1/rest/refund",
        &auth(
            &sb,
            json!({ "channel": "WX", "refund_no": refund_no, "bill_no": "BC1", "refund_fee": 40 }),
            false,
        ),
    )
    .await;
    assert_eq!(r["result_code"], 0, "{r}");
    let refunds = get(
        &sb,
        "/1/rest/refunds",
        &auth(&sb, json!({ "channel": "WX" }), false),
    )
    .await;
    assert_eq!(refunds["refunds"][0]["refund_fee"], 40, "{refunds}");
    let status = get(
        &sb,
        "/1/rest/refund/status",
        &auth(
            &sb,
            json!({ "channel": "WX", "refund_no": refund_no }),
            false,
        ),
    )
    .await;
    assert_eq!(status["refund_status"], "SUCCESS", "{status}");
    sb.shutdown().await;
}

#[tokio::test]
async fn snake_case_webhook_and_retries() {
    let sb = sandbox_with(SandboxConfig {
        beecloud_webhook: BeeCloudWebhookScheme::SnakeCaseSignature,
        ..SandboxConfig::default()
    })
    .await;
    let rx = Receiver::start(vec!["no", "Success", "success"]).await;
    sb.set_notify_url(P, Some(rx.url.clone()));
    post(
        &sb,
        "/1/rest/bill",
        &auth(&sb, bill("BC2", json!(7)), false),
    )
    .await;
    sb.pay(P, "BC2").unwrap();
    let rec = sb
        .wait_acknowledged(P, "BC2", std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(rec.attempts.len(), 3);
    let hook = json(&rx.received()[0].body);
    let c = sb.beecloud();
    let expected = md5_hex(
        format!("{}BC2PAYWX7{}", c.app_id, c.master_secret.expose_secret()).as_bytes(),
        HexCase::Lower,
    );
    assert_eq!(hook["signature"], expected.as_str());
    sb.shutdown().await;
}

#[tokio::test]
async fn rejections_use_result_codes() {
    let sb = sandbox().await;
    let mut bad = auth(&sb, bill("BC3", json!(1)), false);
    bad["app_sign"] = "0".repeat(32).into();
    let r = post(&sb, "/1/rest/bill", &bad).await;
    assert_eq!(
        (r["result_code"].as_i64(), r["result_msg"].as_str()),
        (Some(1), Some("APP_INVALID"))
    );
    assert!(r["err_detail"].is_string());
    let mut missing = auth(&sb, bill("BC3", json!(1)), false);
    missing.as_object_mut().unwrap().remove("title");
    assert_eq!(
        post(&sb, "/1/rest/bill", &missing).await["result_msg"],
        "MISS_PARAM"
    );
    let mut channel = auth(&sb, bill("BC3", json!(1)), false);
    channel["channel"] = "PAYPAL".into();
    assert_eq!(post(&sb, "/1/rest/bill", &channel).await["result_code"], 3);
    assert_eq!(
        post(
            &sb,
            "/1/rest/bill",
            &auth(&sb, bill("BC3", json!("1")), false)
        )
        .await["result_code"],
        5
    );
    assert_eq!(
        post(
            &sb,
            "/1/rest/bill",
            &auth(&sb, bill("BC3", json!(0)), false)
        )
        .await["result_code"],
        5
    );
    assert_eq!(
        post(
            &sb,
            "/1/rest/bill",
            &auth(&sb, bill("BC3", json!(10)), false)
        )
        .await["result_code"],
        0
    );
    // Duplicate bill_no.
    assert_eq!(
        post(
            &sb,
            "/1/rest/bill",
            &auth(&sb, bill("BC3", json!(10)), false)
        )
        .await["result_code"],
        5
    );
    let refund = |no: &str, bill_no: &str, fee: u64| {
        auth(
            &sb,
            json!({ "channel": "WX", "refund_no": format!("{}{no}", today()), "bill_no": bill_no, "refund_fee": fee }),
            false,
        )
    };
    assert_eq!(
        post(&sb, "/1/rest/refund", &refund("101", "BC3", 1)).await["result_msg"],
        "BILL_UNSUCCESS"
    );
    assert_eq!(
        post(&sb, "/1/rest/refund", &refund("102", "BCx", 1)).await["result_msg"],
        "NO_SUCH_BILL"
    );
    sb.pay(P, "BC3").unwrap();
    assert_eq!(
        post(&sb, "/1/rest/refund", &refund("103", "BC3", 11)).await["result_msg"],
        "REFUND_AMOUNT_TOO_LARGE"
    );
    assert_eq!(
        post(&sb, "/1/rest/refund", &refund("000", "BC3", 1)).await["result_code"],
        5
    );
    assert_eq!(
        post(&sb, "/1/rest/refund", &refund("104", "BC3", 10)).await["result_code"],
        0
    );
    assert_eq!(
        post(&sb, "/1/rest/refund", &refund("105", "BC3", 1)).await["result_msg"],
        "ALREADY_REFUNDING"
    );
    let status = get(
        &sb,
        "/1/rest/refund/status",
        &auth(
            &sb,
            json!({ "channel": "WX", "refund_no": "20000101999" }),
            false,
        ),
    )
    .await;
    assert_eq!(status["result_msg"], "NO_SUCH_REFUND");
    sb.shutdown().await;
}
