//! `resolve_payment` / `resolve_refund`: the §4/§5 queries sent in each channel group, and
//! the mapping of their answers to a resolution.

mod common;

use beecloud::resolve::{RefundResolution, Resolution, ResolvePolicy};
use common::*;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{method, path, query_param_contains};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn quick() -> ResolvePolicy {
    ResolvePolicy::new(
        Duration::ZERO,
        Duration::from_millis(5),
        Duration::from_millis(300),
    )
}

fn bill(spay_result: bool) -> Value {
    json!({"bill_no": "B1", "total_fee": 100, "channel": "ALI_WEB", "title": "t",
           "spay_result": spay_result, "created_time": 1435890530000u64})
}

async fn answer(server: &MockServer, p: &str, channel: &str, body: Value, times: u64) {
    Mock::given(method("GET"))
        .and(path(p))
        .and(query_param_contains(
            "para",
            format!("\"channel\":\"{channel}\""),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .up_to_n_times(times)
        .mount(server)
        .await;
}

fn page(bills: Vec<Value>) -> Value {
    json!({"result_code": 0, "result_msg": "OK", "err_detail": "", "count": bills.len(), "bills": bills})
}

#[tokio::test]
async fn a_bill_in_the_second_group_is_found_and_paid_after_pending() {
    let server = MockServer::start().await;
    answer(&server, "/1/rest/bills", "WX", page(vec![]), 10).await;
    answer(&server, "/1/rest/bills", "ALI", page(vec![bill(false)]), 1).await;
    answer(&server, "/1/rest/bills", "ALI", page(vec![bill(true)]), 1).await;
    let r = client(&[server.uri()])
        .resolve_payment("B1", &quick())
        .await;
    assert!(matches!(r, Resolution::Paid(b) if b.spay_result && b.bill_no == "B1"));
    let sent = server.received_requests().await.unwrap();
    // Round 1: WX, ALI (unpaid); round 2: WX, ALI (paid). UN never asked.
    assert_eq!(sent.len(), 4);
    let channels: Vec<Value> = sent
        .iter()
        .map(|r| {
            let mut p = para(r);
            take_auth(&mut p);
            assert_eq!(p.get("bill_no"), Some(&json!("B1")));
            assert_eq!(p.len(), 2, "channel and bill_no only: {p:?}");
            p["channel"].clone()
        })
        .collect();
    assert_eq!(
        channels,
        [json!("WX"), json!("ALI"), json!("WX"), json!("ALI")]
    );
}

#[tokio::test]
async fn a_bill_no_group_lists_is_not_found() {
    let server = MockServer::start().await;
    answer(&server, "/1/rest/bills", "WX", page(vec![]), 1).await;
    answer(
        &server,
        "/1/rest/bills",
        "ALI",
        json!({"result_code": 8, "result_msg": "NO_SUCH_BILL", "err_detail": ""}),
        1,
    )
    .await;
    answer(&server, "/1/rest/bills", "UN", page(vec![]), 1).await;
    let r = client(&[server.uri()])
        .resolve_payment("B1", &quick())
        .await;
    assert_eq!(r, Resolution::NotFound);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_refusal_stops_and_a_5xx_asks_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    answer(
        &server,
        "/1/rest/bills",
        "WX",
        json!({"result_code": 5, "result_msg": "PARAM_INVALID", "err_detail": "x"}),
        1,
    )
    .await;
    let r = client(&[server.uri()])
        .resolve_payment("B1", &quick())
        .await;
    match r {
        Resolution::StillUnknown {
            last_seen: None,
            last_error: Some(c),
        } => assert!(!paysig::resolve::is_transient(c), "{c:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn refunds_map_finish_and_result() {
    let server = MockServer::start().await;
    let refund = |finish: bool, result: bool| {
        json!({"result_code": 0, "result_msg": "OK", "err_detail": "", "count": 1, "refunds": [{
            "bill_no": "B1", "refund_no": "20150610R1", "total_fee": 100, "refund_fee": 40,
            "finish": finish, "result": result, "created_time": 1435890530000u64}]})
    };
    answer(&server, "/1/rest/refunds", "WX", refund(false, false), 1).await;
    answer(&server, "/1/rest/refunds", "WX", refund(true, true), 1).await;
    answer(&server, "/1/rest/refunds", "WX", refund(true, false), 1).await;
    let c = client(&[server.uri()]);
    let r = c.resolve_refund("B1", "20150610R1", &quick()).await;
    assert!(matches!(r, RefundResolution::Refunded(x) if x.refund_fee.fen() == 40));
    let r = c.resolve_refund("B1", "20150610R1", &quick()).await;
    assert!(matches!(r, RefundResolution::NotRefunded(_)), "{r:?}");
    let sent = server.received_requests().await.unwrap();
    let mut p = para(&sent[0]);
    take_auth(&mut p);
    assert_eq!(
        Value::Object(p),
        json!({"channel": "WX", "bill_no": "B1", "refund_no": "20150610R1"})
    );
}
