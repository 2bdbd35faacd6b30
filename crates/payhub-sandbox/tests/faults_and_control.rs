//! Fault knobs (5xx, dropped connections, latency, determinism) and the control API.

mod common;

use common::{Receiver, client, json, sandbox, sandbox_with};
use payhub_sandbox::{Faults, ProviderKind, SandboxConfig};
use paysig::http::{HttpError, Request};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BEECLOUD_BAD_BODY: &str = "{}";

async fn post_bc(url: &url::Url) -> Result<paysig::http::Response, HttpError> {
    let url = url.join("/1/rest/bill").unwrap();
    client()
        .send(Request::post_json(
            "t",
            "bc",
            url,
            BEECLOUD_BAD_BODY.as_bytes().to_vec(),
        ))
        .await
}

#[tokio::test]
async fn every_request_answered_500_when_ratio_is_one() {
    let sb = sandbox_with(SandboxConfig {
        faults: Faults {
            error_5xx_ratio: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let resp = post_bc(&sb.base_url(ProviderKind::BeeCloud)).await.unwrap();
    assert_eq!(resp.status, 500);
    // The control API is never faulted.
    let url = sb
        .base_url(ProviderKind::BeeCloud)
        .join("/_sandbox/credentials")
        .unwrap();
    let resp = client().send(Request::get("t", "c", url)).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(json(&resp.body)["app_id"], sb.beecloud().app_id.as_str());
    sb.shutdown().await;
}

#[tokio::test]
async fn dropped_connection_closes_without_an_answer_after_processing() {
    let sb = sandbox_with(SandboxConfig {
        faults: Faults {
            drop_ratio: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let addr = sb.base_url(ProviderKind::Sunmi);
    let mut stream =
        tokio::net::TcpStream::connect((addr.host_str().unwrap(), addr.port().unwrap()))
            .await
            .unwrap();
    let body = "charset=utf8";
    let req = format!(
        "POST /v1/trade/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut got)).await;
    let closed = match read {
        Ok(Ok(_)) => true,
        Ok(Err(_)) => true, // reset
        Err(_) => false,
    };
    assert!(closed, "the connection is closed");
    assert!(
        got.is_empty(),
        "no answer bytes: {:?}",
        String::from_utf8_lossy(&got)
    );
    // Through an HTTP client it is a transport error, not a status.
    let err = post_bc(&sb.base_url(ProviderKind::BeeCloud))
        .await
        .unwrap_err();
    assert!(!matches!(err, HttpError::Status { .. }), "{err:?}");
    sb.shutdown().await;
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    async fn pattern(seed: u64) -> Vec<u16> {
        let sb = sandbox_with(SandboxConfig {
            faults: Faults {
                error_5xx_ratio: 0.5,
                ..Faults::default()
            },
            seed,
            ..SandboxConfig::default()
        })
        .await;
        let url = sb.base_url(ProviderKind::BeeCloud);
        let mut out = Vec::new();
        for _ in 0..16 {
            out.push(post_bc(&url).await.unwrap().status);
        }
        sb.shutdown().await;
        out
    }
    let a = pattern(7).await;
    assert_eq!(a, pattern(7).await);
    assert!(a.contains(&500) && a.contains(&200), "{a:?}");
}

#[tokio::test]
async fn requests_without_faults_do_not_move_the_seeded_draws() {
    async fn pattern(requests_before: usize) -> Vec<u16> {
        let sb = sandbox_with(SandboxConfig {
            seed: 11,
            ..SandboxConfig::default()
        })
        .await;
        let url = sb.base_url(ProviderKind::BeeCloud);
        for _ in 0..requests_before {
            assert_eq!(post_bc(&url).await.unwrap().status, 200);
        }
        sb.set_faults(
            Faults {
                error_5xx_ratio: 0.5,
                ..Faults::default()
            },
            None,
        )
        .unwrap();
        let mut out = Vec::new();
        for _ in 0..16 {
            out.push(post_bc(&url).await.unwrap().status);
        }
        sb.shutdown().await;
        out
    }
    let a = pattern(0).await;
    assert_eq!(a, pattern(5).await);
    assert!(a.contains(&500) && a.contains(&200), "{a:?}");
}

#[tokio::test]
async fn latency_is_added() {
    let sb = sandbox_with(SandboxConfig {
        faults: Faults {
            latency: Duration::from_millis(150),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let started = Instant::now();
    post_bc(&sb.base_url(ProviderKind::BeeCloud)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    sb.shutdown().await;
}

#[tokio::test]
async fn control_api_pays_and_lists_notifications() {
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["success"]).await;
    let base = sb.base_url(ProviderKind::BeeCloud);
    // The control API takes PUT; paysig's sender only GETs and POSTs, so a raw request.
    let mut stream =
        tokio::net::TcpStream::connect((base.host_str().unwrap(), base.port().unwrap()))
            .await
            .unwrap();
    let body = rx.url.to_string();
    let req = format!(
        "PUT /_sandbox/notify_url HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");

    // Create a bill with a correct app_sign.
    let c = sb.beecloud();
    use paysig::ExposeSecret;
    let sign = paysig::md5::md5_hex(
        format!("{}1{}", c.app_id, c.app_key.expose_secret()).as_bytes(),
        paysig::md5::HexCase::Lower,
    );
    let bill = serde_json::json!({
        "app_id": c.app_id, "timestamp": 1, "app_sign": sign, "channel": "UN_APP",
        "total_fee": 3, "bill_no": "CTL1", "title": "t",
    });
    let resp = client()
        .send(Request::post_json(
            "t",
            "bc",
            base.join("/1/rest/bill").unwrap(),
            serde_json::to_vec(&bill).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(json(&resp.body)["result_code"], 0);
    let pay = client()
        .send(Request::post_text(
            "t",
            "c",
            base.join("/_sandbox/orders/CTL1/pay").unwrap(),
            "text/plain",
            String::new(),
        ))
        .await
        .unwrap();
    assert_eq!(pay.status, 200);
    assert_eq!(json(&pay.body)["status"], "paid");
    // Paying twice is a conflict; unknown orders are 404.
    let again = client()
        .send(Request::post_text(
            "t",
            "c",
            base.join("/_sandbox/orders/CTL1/pay").unwrap(),
            "text/plain",
            String::new(),
        ))
        .await
        .unwrap();
    assert_eq!(again.status, 409);
    let missing = client()
        .send(Request::get(
            "t",
            "c",
            base.join("/_sandbox/orders/none").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(missing.status, 404);
    rx.wait_for(1).await;
    sb.wait_acknowledged(ProviderKind::BeeCloud, "CTL1", Duration::from_secs(5))
        .await
        .unwrap();
    let list = client()
        .send(Request::get(
            "t",
            "c",
            base.join("/_sandbox/notifications").unwrap(),
        ))
        .await
        .unwrap();
    let list = json(&list.body);
    assert_eq!(list[0]["order_no"], "CTL1");
    assert_eq!(list[0]["acknowledged"], true);
    assert_eq!(list[0]["attempts"][0]["status"], 200);
    sb.shutdown().await;
}

#[tokio::test]
async fn fresh_keys_when_none_given_and_bad_settings_refused() {
    let sb = payhub_sandbox::Sandbox::start(SandboxConfig::default())
        .await
        .unwrap();
    let shared = common::keys();
    assert_ne!(
        sb.pooul().platform_public_key.to_pem(),
        shared.pooul_platform.public_key().to_pem()
    );
    sb.shutdown().await;
    for bad in [
        SandboxConfig {
            time_scale: 0.0,
            ..SandboxConfig::default()
        },
        SandboxConfig {
            faults: Faults {
                drop_ratio: 1.5,
                ..Faults::default()
            },
            ..SandboxConfig::default()
        },
        SandboxConfig {
            mifeng_rate_limit_per_sec: 0,
            ..SandboxConfig::default()
        },
    ] {
        let err = payhub_sandbox::Sandbox::start(SandboxConfig {
            keys: Some(shared.clone()),
            ..bad
        })
        .await
        .unwrap_err();
        assert!(
            matches!(err, payhub_sandbox::SandboxError::Config { .. }),
            "{err}"
        );
    }
}

#[tokio::test]
async fn resend_pay_notify_reaches_another_endpoint() {
    let sb = sandbox().await;
    let first = Receiver::start(vec!["success"]).await;
    let second = Receiver::start(vec!["success"]).await;
    sb.set_notify_url(ProviderKind::BeeCloud, Some(first.url.clone()));
    let c = sb.beecloud();
    use paysig::ExposeSecret;
    let sign = paysig::md5::md5_hex(
        format!("{}5{}", c.app_id, c.app_key.expose_secret()).as_bytes(),
        paysig::md5::HexCase::Upper,
    );
    let bill = serde_json::json!({
        "app_id": c.app_id, "timestamp": "5", "app_sign": sign, "channel": "WX_NATIVE",
        "total_fee": 9, "bill_no": "RS1", "title": "t",
    });
    let base = sb.base_url(ProviderKind::BeeCloud);
    client()
        .send(Request::post_json(
            "t",
            "bc",
            base.join("/1/rest/bill").unwrap(),
            serde_json::to_vec(&bill).unwrap(),
        ))
        .await
        .unwrap();
    // Not settled yet: nothing to resend.
    assert!(
        sb.resend_pay_notify(ProviderKind::BeeCloud, "RS1", None)
            .is_err()
    );
    sb.pay(ProviderKind::BeeCloud, "RS1").unwrap();
    first.wait_for(1).await;
    assert!(
        sb.resend_pay_notify(ProviderKind::BeeCloud, "RS1", Some(second.url.clone()))
            .unwrap()
    );
    let got = second.wait_for(1).await;
    assert_eq!(json(&got[0].body)["transactionId"], "RS1");
    assert_eq!(
        sb.credentials_json(ProviderKind::BeeCloud)["app_id"],
        c.app_id.as_str()
    );
    sb.shutdown().await;
}

#[test]
fn consecutive_ports() {
    let p = payhub_sandbox::Ports::consecutive(7000).unwrap();
    assert_eq!(
        (p.sunmi, p.pooul, p.beecloud, p.mifeng),
        (7000, 7001, 7002, 7003)
    );
    assert!(payhub_sandbox::Ports::consecutive(65534).is_none());
}

#[test]
fn documented_retry_schedules() {
    use payhub_sandbox::retry_schedule;
    let secs = |p| {
        retry_schedule(p)
            .iter()
            .map(|d| d.as_secs())
            .collect::<Vec<_>>()
    };
    // sunmi.txt §6.3: 1s/15s/30s/3m/10m/10m/1h/2h/6h/15h.
    assert_eq!(
        secs(ProviderKind::Sunmi),
        [1, 15, 30, 180, 600, 600, 3600, 7200, 21600, 54000]
    );
    // pooul.md: 15/15/30/180/1800/1800/1800/1800/3600.
    assert_eq!(
        secs(ProviderKind::Pooul),
        [15, 15, 30, 180, 1800, 1800, 1800, 1800, 3600]
    );
    // provider-notes.md: 2, 4, 8 … 2^17 s.
    let bee = secs(ProviderKind::BeeCloud);
    assert_eq!((bee.len(), bee[0], bee[16]), (17, 2, 131_072));
    assert_eq!(
        payhub_sandbox::acknowledgement(ProviderKind::Mifeng),
        "SUCCESS"
    );
}

#[tokio::test]
async fn retry_gaps_follow_the_scaled_schedule_and_delivery_gives_up_at_the_end() {
    use paysig::ExposeSecret;
    // time_scale 100: BeeCloud's 2 s and 4 s waits become 20 ms and 40 ms.
    let sb = payhub_sandbox::Sandbox::start(SandboxConfig {
        time_scale: 100.0,
        keys: Some(common::keys()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let rx = Receiver::start(vec!["no", "no", "success"]).await;
    sb.set_notify_url(ProviderKind::BeeCloud, Some(rx.url.clone()));
    let c = sb.beecloud();
    let sign = paysig::md5::md5_hex(
        format!("{}1{}", c.app_id, c.app_key.expose_secret()).as_bytes(),
        paysig::md5::HexCase::Lower,
    );
    let bill = serde_json::json!({
        "app_id": c.app_id, "timestamp": 1, "app_sign": sign, "channel": "WX_NATIVE",
        "total_fee": 1, "bill_no": "GAP1", "title": "t",
    });
    let base = sb.base_url(ProviderKind::BeeCloud);
    client()
        .send(Request::post_json(
            "t",
            "bc",
            base.join("/1/rest/bill").unwrap(),
            serde_json::to_vec(&bill).unwrap(),
        ))
        .await
        .unwrap();
    sb.pay(ProviderKind::BeeCloud, "GAP1").unwrap();
    let rec = sb
        .wait_acknowledged(ProviderKind::BeeCloud, "GAP1", Duration::from_secs(5))
        .await
        .unwrap();
    let at: Vec<_> = rec.attempts.iter().map(|a| a.at).collect();
    assert_eq!(at.len(), 3);
    assert!(
        at[1] - at[0] >= time::Duration::milliseconds(19),
        "{:?}",
        at[1] - at[0]
    );
    assert!(
        at[2] - at[1] >= time::Duration::milliseconds(39),
        "{:?}",
        at[2] - at[1]
    );
    sb.shutdown().await;

    // A receiver that never acknowledges: 1 + 17 attempts, then the record says it gave up.
    let sb = payhub_sandbox::Sandbox::start(SandboxConfig {
        time_scale: 1e9,
        keys: Some(common::keys()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let never = Receiver::start(vec!["nope"]).await;
    sb.set_notify_url(ProviderKind::BeeCloud, Some(never.url.clone()));
    let c = sb.beecloud();
    let sign = paysig::md5::md5_hex(
        format!("{}1{}", c.app_id, c.app_key.expose_secret()).as_bytes(),
        paysig::md5::HexCase::Lower,
    );
    let bill = serde_json::json!({
        "app_id": c.app_id, "timestamp": 1, "app_sign": sign, "channel": "WX_NATIVE",
        "total_fee": 1, "bill_no": "GAP2", "title": "t",
    });
    let base = sb.base_url(ProviderKind::BeeCloud);
    client()
        .send(Request::post_json(
            "t",
            "bc",
            base.join("/1/rest/bill").unwrap(),
            serde_json::to_vec(&bill).unwrap(),
        ))
        .await
        .unwrap();
    sb.pay(ProviderKind::BeeCloud, "GAP2").unwrap();
    for _ in 0..1000 {
        if sb
            .notifications_delivered(ProviderKind::BeeCloud)
            .iter()
            .any(|n| n.gave_up)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rec = &sb.notifications_delivered(ProviderKind::BeeCloud)[0];
    assert!(rec.gave_up && !rec.acknowledged);
    assert_eq!(rec.attempts.len(), 18);
    assert_eq!(never.received().len(), 18);
    sb.shutdown().await;
}

#[test]
fn running_sandbox_can_be_shared_across_tasks() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<payhub_sandbox::RunningSandbox>();
    send_sync::<payhub_sandbox::Order>();
    send_sync::<payhub_sandbox::NotificationRecord>();
}
