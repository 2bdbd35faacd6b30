//! `resolve_payment` / `resolve_refund`: the mapping of query answers to a resolution, and
//! the bytes of the queries sent.

mod common;

use common::{assert_signed_form, client_for};
use paysig::Params;
use paysig::class::ErrorClass;
use paysig::resolve::{RefundResolution, Resolution, ResolvePolicy};
use std::time::Duration;
use sunmi::{Terminal, TradeState};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn quick() -> ResolvePolicy {
    ResolvePolicy::new(
        Duration::ZERO,
        Duration::from_millis(5),
        Duration::from_millis(400),
    )
}

fn answer(order_id: &str, order_type: u8, state: u8) -> String {
    format!(
        r#"{{"code":"10000","msg":"","data":{{"amount":2,"buyerPayAmount":2,"misId":"M1","orderId":"{order_id}","orderType":{order_type},"payTime":1561454238,"platform":"wxpay","refunded":0,"resultCode":"T00","state":{state}}}}}"#
    )
}

async fn mount(server: &MockServer, body: String, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .up_to_n_times(times)
        .mount(server)
        .await;
}

fn terminal() -> Terminal {
    Terminal::MerchantNo("820291573790006".into())
}

#[tokio::test]
async fn pending_then_paid_resolves_paid_and_queries_by_order_id() {
    let server = MockServer::start().await;
    mount(&server, answer("T1", 0, 1), 1).await;
    mount(
        &server,
        r#"{"code":"10000","msg":"","data":{"sub_code":"D07","sub_msg":"用户支付中"}}"#.into(),
        1,
    )
    .await;
    mount(&server, answer("T1", 0, 3), 1).await;
    let client = client_for(&server).with_terminal(terminal());
    let r = client.resolve_payment("T1", &quick()).await;
    match r {
        Resolution::Paid(q) => assert_eq!(q.state, TradeState::Success),
        other => panic!("expected paid, got {other:?}"),
    }
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 3);
    for req in &reqs {
        assert_eq!(req.url.path(), "/v1/trade/query");
        let form = Params::parse_form(&req.body).unwrap();
        assert_signed_form(
            &form,
            &[
                ("app_id", common::APP_ID),
                ("charset", "utf8"),
                ("merchantNo", "820291573790006"),
                ("orderId", "T1"),
            ],
            &format!(
                "app_id={}&charset=utf8&merchantNo=820291573790006&orderId=T1",
                common::APP_ID
            ),
        );
    }
}

#[tokio::test]
async fn e19_is_not_found_and_closed_is_not_paid() {
    let server = MockServer::start().await;
    mount(
        &server,
        r#"{"code":"10000","msg":"","data":{"sub_code":"E19","sub_msg":"订单不存在"}}"#.into(),
        1,
    )
    .await;
    mount(&server, answer("T2", 0, 4), 1).await;
    let client = client_for(&server).with_terminal(terminal());
    assert_eq!(
        client.resolve_payment("T2", &quick()).await,
        Resolution::NotFound
    );
    assert!(matches!(
        client.resolve_payment("T2", &quick()).await,
        Resolution::NotPaid(q) if q.state == TradeState::Closed
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn transient_failures_keep_polling_until_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"code":"10000","msg":"","data":{"sub_code":"F02","sub_msg":"系统异常"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server).with_terminal(terminal());
    let r = client.resolve_payment("T3", &quick()).await;
    assert_eq!(
        r,
        Resolution::StillUnknown {
            last_seen: None,
            last_error: Some(ErrorClass::Rejected { retryable: true })
        }
    );
    assert!(server.received_requests().await.unwrap().len() >= 3);
}

#[tokio::test]
async fn a_definite_refusal_stops_at_once() {
    let server = MockServer::start().await;
    mount(
        &server,
        r#"{"code":"10000","msg":"","data":{"sub_code":"E05","sub_msg":"验签失败"}}"#.into(),
        10,
    )
    .await;
    let client = client_for(&server).with_terminal(terminal());
    let r = client.resolve_payment("T4", &quick()).await;
    assert_eq!(
        r,
        Resolution::StillUnknown {
            last_seen: None,
            last_error: Some(ErrorClass::Unauthorized)
        }
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn refunds_resolve_by_their_own_order_id() {
    let server = MockServer::start().await;
    mount(&server, answer("R1", 1, 3), 1).await;
    let client = client_for(&server).with_terminal(terminal());
    let r = client.resolve_refund("T1", "R1", &quick()).await;
    assert!(matches!(r, RefundResolution::Refunded(q) if q.state == TradeState::Success));
    let form = Params::parse_form(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(form.get("orderId"), Some("R1"));
}

#[tokio::test]
async fn without_a_terminal_nothing_is_sent() {
    let server = MockServer::start().await;
    let r = client_for(&server).resolve_payment("T5", &quick()).await;
    assert_eq!(
        r,
        Resolution::StillUnknown {
            last_seen: None,
            last_error: Some(ErrorClass::InvalidRequest)
        }
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_5xx_on_a_query_is_transient_and_on_a_refund_unknown() {
    use paysig::class::Operation;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let client = client_for(&server).with_terminal(terminal());
    let err = client
        .query(&sunmi::QueryRequest {
            terminal: terminal(),
            order: sunmi::OrderRef::OrderId("T6".into()),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            sunmi::Error::Http {
                operation: Operation::Query,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::Rejected { retryable: true });
    let err = client
        .refund(&sunmi::RefundRequest {
            terminal: terminal(),
            original: sunmi::OriginalOrder::OrderId("T6".into()),
            order_id: "R6".into(),
            business_id: "T6".into(),
            amount: paysig::Money::from_fen(1),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            sunmi::Error::Http {
                operation: Operation::Mutation,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::OutcomeUnknown);
}
