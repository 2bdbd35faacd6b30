//! Lookups by every documented key among many stored orders, run-time faults through the
//! control API, and the dashboard's HTTP side (page, actions, server-sent events). Speed is
//! measured in `benches/query_load.rs`, not here.

mod common;

use common::{Receiver, client, json, sandbox};
use payhub_sandbox::{Faults, Order, OrderStatus, ProviderKind, RunningSandbox, SandboxError};
use paysig::http::Request;
use paysig::md5::{HexCase, md5_hex};
use paysig::{ExposeSecret, Money};
use std::time::Duration;
use time::OffsetDateTime;

const STORED: usize = 5_000;

fn sunmi_order(i: usize) -> Order {
    let mut extra = serde_json::Map::new();
    extra.insert("openId".into(), "o-1".into());
    extra.insert("platformId".into(), format!("4200{i:024}").into());
    Order {
        provider: ProviderKind::Sunmi,
        order_no: format!("BULK-{i:06}"),
        platform_no: format!("SM{i:020}"),
        amount: Money::from_fen(100 + i as u64),
        refunded: Money::ZERO,
        status: OrderStatus::Paid,
        notify_url: None,
        created_at: OffsetDateTime::now_utc(),
        settled_at: None,
        refunds: Vec::new(),
        extra,
    }
}

async fn sunmi_call(
    sb: &RunningSandbox,
    path: &str,
    pairs: &[(&str, String)],
) -> serde_json::Value {
    let c = sb.sunmi();
    let mut all: Vec<(&str, String)> = vec![
        ("app_id", c.app_id.clone()),
        ("merchantNo", c.merchant_no.clone()),
        ("charset", "UTF-8".into()),
    ];
    all.extend(pairs.iter().cloned());
    all.sort_by(|a, b| a.0.cmp(b.0));
    let joined: Vec<String> = all.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let sign = md5_hex(
        format!("{}{}", joined.join("&"), c.app_key.expose_secret()).as_bytes(),
        HexCase::Upper,
    );
    all.push(("sign", sign));
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(all.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let url = sb.base_url(ProviderKind::Sunmi).join(path).unwrap();
    let resp = client()
        .send(Request::post_form("t", "sunmi", url, body))
        .await
        .unwrap();
    json(&resp.body)
}

#[tokio::test]
async fn sunmi_finds_orders_and_refunds_by_every_key_among_many() {
    let sb = sandbox().await;
    for i in 0..STORED {
        sb.insert_order(sunmi_order(i)).unwrap();
    }
    let i = 3_217;
    for (key, value) in [
        ("orderId", format!("BULK-{i:06}")),
        ("misId", format!("SM{i:020}")),
        ("platformId", format!("4200{i:024}")),
    ] {
        let v = sunmi_call(&sb, "/v1/trade/query", &[(key, value.clone())]).await;
        assert_eq!(v["code"], "10000", "{key}: {v}");
        assert_eq!(v["data"]["orderId"], format!("BULK-{i:06}"), "{key}: {v}");
        assert_eq!(v["data"]["amount"], 100 + i as u64, "{key}");
    }
    // Two keys that name different orders: no order has both.
    let v = sunmi_call(
        &sb,
        "/v1/trade/query",
        &[
            ("orderId", "BULK-000001".into()),
            ("misId", format!("SM{:020}", 2)),
        ],
    )
    .await;
    assert_eq!(v["data"]["sub_code"], "E19", "{v}");

    // A refund, found by its own keys; its number is taken for orders and refunds alike.
    let r = sunmi_call(
        &sb,
        "/v1/trade/refund",
        &[
            ("oriMisId", format!("SM{i:020}")),
            ("orderId", "BULK-R-1".into()),
            ("businessId", "b".into()),
            ("amount", "17".into()),
        ],
    )
    .await;
    assert_eq!(r["code"], "10000", "{r}");
    let refund_mis = r["data"]["misId"].as_str().unwrap().to_owned();
    let refund_pid = r["data"]["platformId"].as_str().unwrap().to_owned();
    for (key, value) in [
        ("orderId", "BULK-R-1".to_owned()),
        ("misId", refund_mis),
        ("platformId", refund_pid),
    ] {
        let v = sunmi_call(&sb, "/v1/trade/query", &[(key, value)]).await;
        assert_eq!(v["data"]["orderType"], 1, "{key}: {v}");
        assert_eq!(
            v["data"]["oriOrderId"],
            format!("BULK-{i:06}"),
            "{key}: {v}"
        );
        assert_eq!(v["data"]["amount"], 17, "{key}");
    }
    let again = sunmi_call(
        &sb,
        "/v1/trade/refund",
        &[
            ("oriOrderId", "BULK-000005".into()),
            ("orderId", "BULK-R-1".into()),
            ("businessId", "b".into()),
            ("amount", "1".into()),
        ],
    )
    .await;
    assert_eq!(again["data"]["sub_code"], "T06", "{again}");
    assert_eq!(
        sb.order_state(ProviderKind::Sunmi, &format!("BULK-{i:06}"))
            .unwrap()
            .refunded,
        Money::from_fen(17)
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn insert_order_refuses_a_taken_number() {
    let sb = sandbox().await;
    sb.insert_order(sunmi_order(1)).unwrap();
    let err = sb.insert_order(sunmi_order(1)).unwrap_err();
    assert!(
        matches!(err, SandboxError::OrderExists { ref order_no, .. } if order_no == "BULK-000001"),
        "{err}"
    );
    let mut other = sunmi_order(2);
    other.platform_no = sunmi_order(1).platform_no;
    assert!(matches!(
        sb.insert_order(other),
        Err(SandboxError::OrderExists { .. })
    ));
    sb.shutdown().await;
}

async fn faults_call(
    sb: &RunningSandbox,
    base: url::Url,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    let url = base.join("/_sandbox/faults").unwrap();
    let req = match body {
        Some(b) => Request::post_json("t", "faults", url, b.as_bytes().to_vec()),
        None => Request::get("t", "faults", url),
    };
    let _ = sb;
    let resp = client().send(req).await.unwrap();
    (resp.status, json(&resp.body))
}

#[tokio::test]
async fn faults_change_at_run_time_through_the_control_api() {
    let sb = sandbox().await;
    let dash = sb.dashboard_url();
    let (status, now) = faults_call(&sb, dash.clone(), None).await;
    assert_eq!(status, 200);
    assert_eq!(now["error_5xx_ratio"], 0.0);
    // Partial update on a provider's port; the others keep their values.
    let (status, now) = faults_call(
        &sb,
        sb.base_url(ProviderKind::BeeCloud),
        Some(r#"{"error_5xx_ratio":1.0,"latency_ms":5,"seed":9}"#),
    )
    .await;
    assert_eq!(status, 200, "{now}");
    assert_eq!(now["latency_ms"], 5);
    assert_eq!(now["seed"], 9);
    assert_eq!(now["drop_ratio"], 0.0);
    assert_eq!(
        sb.faults(),
        (
            Faults {
                latency: Duration::from_millis(5),
                error_5xx_ratio: 1.0,
                ..Faults::default()
            },
            9
        )
    );
    // In force at once, on every provider.
    let url = sb
        .base_url(ProviderKind::BeeCloud)
        .join("/1/rest/bill")
        .unwrap();
    let resp = client()
        .send(Request::post_json("t", "bc", url, b"{}".to_vec()))
        .await
        .unwrap();
    assert_eq!(resp.status, 500);
    // Refused: a ratio out of range, an unknown field, not JSON. Nothing changes.
    for bad in [r#"{"drop_ratio":1.5}"#, r#"{"latency":5}"#, "drop"] {
        let (status, answer) = faults_call(&sb, dash.clone(), Some(bad)).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(answer["error"].as_str().is_some(), "{answer}");
    }
    assert_eq!(sb.faults().0.error_5xx_ratio, 1.0);
    assert!(
        sb.set_faults(
            Faults {
                drop_notify_ratio: -0.1,
                ..Faults::default()
            },
            None
        )
        .is_err()
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn dropped_notifies_are_recorded_on_the_documented_schedule_and_retried() {
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["success"]).await;
    sb.set_faults(
        Faults {
            drop_notify_ratio: 1.0,
            ..Faults::default()
        },
        Some(1),
    )
    .unwrap();
    let mut o = sunmi_order(7);
    o.status = OrderStatus::Created;
    o.notify_url = Some(rx.url.to_string());
    sb.insert_order(o).unwrap();
    sb.pay(ProviderKind::Sunmi, "BULK-000007").unwrap();
    // Sunmi §6.3: 1s/15s/30s... after the first; at time_scale 10 000 they pass in ms.
    for _ in 0..2000 {
        let recs = sb.notifications_delivered(ProviderKind::Sunmi);
        if recs[0].attempts.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    sb.set_faults(Faults::default(), None).unwrap();
    let rec = sb
        .wait_acknowledged(ProviderKind::Sunmi, "BULK-000007", Duration::from_secs(20))
        .await
        .expect("delivered once the fault is off");
    assert!(rec.attempts.len() >= 4, "{:?}", rec.attempts);
    assert!(
        rec.attempts[..3]
            .iter()
            .all(|a| a.dropped && a.status.is_none())
    );
    let last = rec.attempts.last().unwrap();
    assert!(!last.dropped && last.acknowledged && last.status == Some(200));
    let offsets: Vec<u64> = rec
        .attempts
        .iter()
        .map(|a| a.documented_offset_secs)
        .collect();
    let expected: Vec<u64> = [0u64, 1, 16, 46, 226, 826, 1426, 5026, 12226, 33826, 87826]
        .into_iter()
        .take(offsets.len())
        .collect();
    assert_eq!(offsets, expected);
    assert_eq!(rec.next_attempt_at, None);
    assert_eq!(
        rx.received().len(),
        1,
        "dropped attempts never reached the receiver"
    );
    sb.shutdown().await;
}

async fn action(sb: &RunningSandbox, body: serde_json::Value) -> (u16, serde_json::Value) {
    let url = sb
        .dashboard_url()
        .join("/_sandbox/dashboard/actions")
        .unwrap();
    let resp = client()
        .send(Request::post_json(
            "t",
            "dash",
            url,
            body.to_string().into_bytes(),
        ))
        .await
        .unwrap();
    (resp.status, json(&resp.body))
}

#[tokio::test]
async fn dashboard_actions_answer_with_the_providers_documented_errors() {
    let sb = sandbox().await;
    let mut o = sunmi_order(1);
    o.amount = Money::from_fen(500);
    sb.insert_order(o).unwrap();
    let page = client()
        .send(Request::get("t", "dash", sb.dashboard_url()))
        .await
        .unwrap();
    let html = String::from_utf8(page.body.to_vec()).unwrap();
    assert!(html.contains("data-order=\"sunmi/BULK-000001\""), "{html}");
    assert!(html.contains("¥5.00"));

    let refund = |no: &str, amount: &str| serde_json::json!({"provider": "sunmi", "order_no": no, "action": "refund", "amount": amount});
    let (s, a) = action(&sb, refund("BULK-000001", "5.01")).await;
    assert_eq!(s, 200);
    assert_eq!(a["ok"], false);
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("10000 E22 退款金额有误"),
        "{a}"
    );
    assert_eq!(a["answer"]["data"]["sub_code"], "E22");
    let (_, a) = action(&sb, refund("NOPE", "")).await;
    assert_eq!(a["answer"]["data"]["sub_code"], "E19", "{a}");
    let (s, a) = action(&sb, refund("BULK-000001", "1.234")).await;
    assert_eq!(s, 400, "{a}");
    let (_, a) = action(&sb, refund("BULK-000001", "")).await;
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(
        sb.order_state(ProviderKind::Sunmi, "BULK-000001")
            .unwrap()
            .refunded,
        Money::from_fen(500),
        "empty amount refunds everything refundable"
    );
    let (_, a) = action(
        &sb,
        serde_json::json!({"provider": "mifeng", "order_no": "X", "action": "refund"}),
    )
    .await;
    assert!(
        a["message"].as_str().unwrap().contains("no refund API"),
        "{a}"
    );
    let (_, a) = action(
        &sb,
        serde_json::json!({"provider": "pooul", "order_no": "NOPE", "action": "pay"}),
    )
    .await;
    assert_eq!(a["ok"], false);
    assert!(a["message"].as_str().unwrap().contains("no order"), "{a}");
    let mut o = sunmi_order(2);
    o.status = OrderStatus::Created;
    sb.insert_order(o).unwrap();
    let (_, a) = action(
        &sb,
        serde_json::json!({"provider": "sunmi", "order_no": "BULK-000002", "action": "expire"}),
    )
    .await;
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(
        sb.order_state(ProviderKind::Sunmi, "BULK-000002")
            .unwrap()
            .status,
        OrderStatus::Closed
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn dashboard_streams_changes_as_server_sent_events() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sb = sandbox().await;
    let mut o = sunmi_order(3);
    o.status = OrderStatus::Created;
    sb.insert_order(o).unwrap();
    let url = sb.dashboard_url();
    let mut stream = tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap()))
        .await
        .unwrap();
    stream
        .write_all(b"GET /_sandbox/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    // The headers first, then the change.
    let n = stream.read(&mut buf).await.unwrap();
    seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    assert!(seen.contains("text/event-stream"), "{seen}");
    sb.pay(ProviderKind::Sunmi, "BULK-000003").unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(r#""order_no":"BULK-000003""#) {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .expect("an event")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains(r#"data: {"kind":"order""#), "{seen}");
    sb.shutdown().await;
}
