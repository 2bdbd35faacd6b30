//! The hub's notify pipeline with a test gateway: replays acknowledged without a query,
//! confirmation that fails closed, a late pay notify after a refund started, fixed error
//! bodies over HTTP, and a `[notify]` section that refuses unknown keys.
#![cfg(feature = "axum")]

use async_trait::async_trait;
use payhub::axum::{NotificationHandler, notify_router};
use payhub::notify::MemoryOrders;
use payhub::{
    BoxError, CreatedPayment, Error, Gateway, Hub, Money, Notification, NotificationKind,
    NotifyError, Payment, PaymentQuery, PaymentRequest, PaymentStatus, Provider, Refund,
    RefundQuery, RefundRequest,
};
use paysig::Verified;
use paysig::md5::{CaseCheck, HexCase, md5_hex, verify_hex};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const KEY: &str = "pipeline-test-key";

/// Notifies are `order_no|fen|status` with header `x-sign: md5(body + KEY)`; queries answer
/// whatever `answer` holds.
struct TestGateway {
    queries: AtomicUsize,
    answer: Mutex<(PaymentStatus, Option<Money>)>,
}

impl TestGateway {
    fn new(status: PaymentStatus, amount: Option<Money>) -> Arc<Self> {
        Arc::new(TestGateway {
            queries: AtomicUsize::new(0),
            answer: Mutex::new((status, amount)),
        })
    }
}

fn notify(order: &str, fen: u64, status: &str) -> (http::HeaderMap, Vec<u8>) {
    let body = format!("{order}|{fen}|{status}");
    let mut h = http::HeaderMap::new();
    h.insert(
        "x-sign",
        md5_hex(format!("{body}{KEY}").as_bytes(), HexCase::Lower)
            .parse()
            .unwrap(),
    );
    (h, body.into_bytes())
}

#[async_trait]
impl Gateway for TestGateway {
    fn provider(&self) -> Provider {
        Provider::Mifeng
    }
    async fn create_payment(&self, _: &PaymentRequest) -> Result<CreatedPayment, Error> {
        Err(Error::Unsupported {
            provider: Provider::Mifeng,
            operation: "create_payment",
        })
    }
    async fn query_payment(&self, q: &PaymentQuery) -> Result<Payment, Error> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        let (status, amount) = *self.answer.lock().unwrap();
        Ok(Payment {
            provider: Provider::Mifeng,
            order_no: q.order_no.clone(),
            provider_trade_no: None,
            status,
            amount,
        })
    }
    async fn refund(&self, _: &RefundRequest) -> Result<Refund, Error> {
        Err(Error::Unsupported {
            provider: Provider::Mifeng,
            operation: "refund",
        })
    }
    async fn query_refund(&self, _: &RefundQuery) -> Result<Refund, Error> {
        Err(Error::Unsupported {
            provider: Provider::Mifeng,
            operation: "query_refund",
        })
    }
    async fn close_payment(&self, _: &PaymentQuery) -> Result<(), Error> {
        Err(Error::Unsupported {
            provider: Provider::Mifeng,
            operation: "close_payment",
        })
    }
    fn parse_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, Error> {
        let refused = |reason: &str| {
            Error::Notify(NotifyError::Verification {
                provider: Provider::Mifeng,
                reason: reason.into(),
            })
        };
        let sign = headers
            .get("x-sign")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| refused("no sign"))?;
        let message = [body, KEY.as_bytes()].concat();
        let verified = verify_hex((), &message, sign, CaseCheck::Insensitive, HexCase::Lower)
            .map_err(|e| refused(&e.to_string()))?;
        let text = std::str::from_utf8(body).map_err(|_| refused("not UTF-8"))?;
        let parts: Vec<&str> = text.split('|').collect();
        let [order, fen, status] = parts[..] else {
            return Err(refused("shape"));
        };
        let amount = Money::from_fen(fen.parse().map_err(|_| refused("fen"))?);
        let status = if status == "paid" {
            PaymentStatus::Succeeded
        } else {
            PaymentStatus::Pending
        };
        Ok(verified.map(|()| Notification {
            provider: Provider::Mifeng,
            kind: NotificationKind::Payment,
            order_no: order.into(),
            provider_trade_no: None,
            provider_refund_no: None,
            amount,
            status,
            raw: serde_json::Value::Null,
            account: String::new(),
            key: None,
        }))
    }
    fn ack(&self) -> &'static str {
        "SUCCESS"
    }
    fn confirm_by_query(&self) -> bool {
        true
    }
}

fn orders() -> MemoryOrders {
    let o = MemoryOrders::default();
    o.insert(Provider::Mifeng, "T1", Money::from_fen(100));
    o
}

async fn deliver(
    hub: &Hub,
    order: &str,
    fen: u64,
    calls: &Arc<AtomicUsize>,
) -> Result<&'static str, Error> {
    let (h, body) = notify(order, fen, "paid");
    let calls = calls.clone();
    hub.handle_notification_with(Provider::Mifeng, &h, &body, &orders(), |_| async move {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok::<(), String>(())
    })
    .await
}

#[tokio::test]
async fn a_replay_of_a_processed_notify_is_acknowledged_without_a_query() {
    let gw = TestGateway::new(PaymentStatus::Succeeded, Some(Money::from_fen(100)));
    let hub = Hub::builder().gateway(gw.clone()).build();
    let calls = Arc::new(AtomicUsize::new(0));
    assert_eq!(deliver(&hub, "T1", 100, &calls).await.unwrap(), "SUCCESS");
    for _ in 0..5 {
        assert_eq!(deliver(&hub, "T1", 100, &calls).await.unwrap(), "SUCCESS");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "delivered once");
    assert_eq!(
        gw.queries.load(Ordering::SeqCst),
        1,
        "replays spend no query"
    );
}

#[tokio::test]
async fn confirmation_fails_closed_without_a_queried_amount() {
    let gw = TestGateway::new(PaymentStatus::Succeeded, None);
    let hub = Hub::builder().gateway(gw).build();
    let calls = Arc::new(AtomicUsize::new(0));
    let r = deliver(&hub, "T1", 100, &calls).await;
    assert!(
        matches!(&r, Err(Error::Notify(NotifyError::NotConfirmed { reason, .. })) if reason.contains("no amount")),
        "{r:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_late_pay_notify_is_confirmed_by_a_refund_already_under_way() {
    for queried in [
        PaymentStatus::Refunding,
        PaymentStatus::Refunded(payhub::RefundExtent::Full),
    ] {
        let gw = TestGateway::new(queried, Some(Money::from_fen(100)));
        let hub = Hub::builder().gateway(gw).build();
        let seen: Arc<Mutex<Vec<PaymentStatus>>> = Arc::default();
        let sink = seen.clone();
        let (h, body) = notify("T1", 100, "paid");
        let ack = hub
            .handle_notification_with(
                Provider::Mifeng,
                &h,
                &body,
                &orders(),
                |e: Verified<Notification>| async move {
                    sink.lock().unwrap().push(e.status);
                    Ok::<(), String>(())
                },
            )
            .await
            .unwrap();
        assert_eq!(ack, "SUCCESS");
        assert_eq!(
            *seen.lock().unwrap(),
            vec![PaymentStatus::Succeeded],
            "{queried:?}"
        );
    }
}

struct Accept;

#[async_trait]
impl NotificationHandler for Accept {
    async fn handle(&self, _: Verified<Notification>) -> Result<(), BoxError> {
        Ok(())
    }
}

#[tokio::test]
async fn refusals_over_http_answer_fixed_bodies_that_leak_nothing() {
    let gw = TestGateway::new(PaymentStatus::Succeeded, Some(Money::from_fen(100)));
    let hub = Arc::new(Hub::builder().gateway(gw).build());
    let app = notify_router(hub, Arc::new(orders()), Arc::new(Accept));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify/mifeng", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = paysig::http::HttpClient::new(paysig::http::HttpConfig::default()).unwrap();
    let post = |order: &str, fen: u64, forged: bool| {
        let (h, body) = notify(order, fen, "paid");
        let sign = if forged {
            "0".repeat(32)
        } else {
            h["x-sign"].to_str().unwrap().to_owned()
        };
        paysig::http::Request::post_text(
            "t",
            "notify",
            url.parse().unwrap(),
            "text/plain",
            String::from_utf8(body).unwrap(),
        )
        .header("x-sign", sign)
    };
    // A wrong amount and an unknown order look alike from outside (a sender cannot probe
    // which orders exist); a forged sign says so.
    for (order, fen, forged, code) in [
        ("T1", 999, false, "order_mismatch"),
        ("NOPE", 100, false, "order_mismatch"),
        ("T1", 100, true, "verification_failed"),
    ] {
        let r = client.send(post(order, fen, forged)).await.unwrap();
        assert_eq!(
            (r.status, r.text_lossy().as_ref()),
            (400, code),
            "{order} {fen} {forged}"
        );
    }
    let r = client.send(post("T1", 100, false)).await.unwrap();
    assert_eq!((r.status, r.text_lossy().as_ref()), (200, "SUCCESS"));
}

struct Refuse;

#[async_trait]
impl NotificationHandler for Refuse {
    async fn handle(&self, _: Verified<Notification>) -> Result<(), BoxError> {
        Err("database password=hunter2 unreachable".into())
    }
}

/// Serves `hub` with `handler`; returns the base URL.
async fn serve(hub: Hub, handler: Arc<dyn NotificationHandler>) -> String {
    let app = notify_router(Arc::new(hub), Arc::new(orders()), handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn post_notify(base: &str, provider: &str, order: &str, fen: u64) -> (u16, String) {
    let client = paysig::http::HttpClient::new(paysig::http::HttpConfig::default()).unwrap();
    let (h, body) = notify(order, fen, "paid");
    let request = paysig::http::Request::post_text(
        "t",
        "notify",
        format!("{base}/notify/{provider}").parse().unwrap(),
        "text/plain",
        String::from_utf8(body).unwrap(),
    )
    .header("x-sign", h["x-sign"].to_str().unwrap().to_owned());
    let r = client.send(request).await.unwrap();
    (r.status, r.text_lossy().into_owned())
}

#[tokio::test]
async fn every_refusal_over_http_names_its_reason_code() {
    // The merchant's handler fails: its error text (which may hold anything) stays in the log.
    let gw = TestGateway::new(PaymentStatus::Succeeded, Some(Money::from_fen(100)));
    let base = serve(Hub::builder().gateway(gw).build(), Arc::new(Refuse)).await;
    assert_eq!(
        post_notify(&base, "mifeng", "T1", 100).await,
        (500, "handler_failed".to_owned())
    );
    // No such provider, and a provider the hub has no gateway for.
    assert_eq!(
        post_notify(&base, "paypal", "T1", 100).await,
        (404, "unknown_provider".to_owned())
    );
    assert_eq!(
        post_notify(&base, "sunmi", "T1", 100).await,
        (404, "provider_not_configured".to_owned())
    );
    // The confirmation query does not show the notified success yet.
    let gw = TestGateway::new(PaymentStatus::Pending, Some(Money::from_fen(100)));
    let base = serve(Hub::builder().gateway(gw).build(), Arc::new(Accept)).await;
    assert_eq!(
        post_notify(&base, "mifeng", "T1", 100).await,
        (500, "not_confirmed".to_owned())
    );
}

#[test]
fn refusal_codes_are_fixed_words() {
    use payhub::axum::refusal_code;
    let p = Provider::Mifeng;
    let cases = [
        (
            Error::Notify(NotifyError::Verification {
                provider: p,
                reason: "sign mismatch".into(),
            }),
            "verification_failed",
        ),
        (
            Error::Notify(NotifyError::UnknownOrder {
                provider: p,
                order_no: "T1".into(),
            }),
            "order_mismatch",
        ),
        (
            Error::Notify(NotifyError::AmountMismatch {
                provider: p,
                order_no: "T1".into(),
                expected: Money::from_fen(100),
                got: Money::from_fen(1),
            }),
            "order_mismatch",
        ),
        (
            Error::Notify(NotifyError::InFlight {
                provider: p,
                key: "k".into(),
            }),
            "duplicate_in_flight",
        ),
        (
            Error::Notify(NotifyError::BodyTooLarge {
                provider: p,
                len: 2,
                limit: 1,
            }),
            "body_too_large",
        ),
        (
            Error::Notify(NotifyError::Lookup("db".into())),
            "lookup_failed",
        ),
        (
            Error::Notify(NotifyError::Store("redis".into())),
            "dedup_store_failed",
        ),
        (Error::NotConfigured(p), "provider_not_configured"),
    ];
    for (e, code) in cases {
        assert_eq!(refusal_code(&e), code, "{e:?}");
    }
}

#[test]
fn a_misspelt_notify_key_is_an_error() {
    let e = Hub::from_toml_str_with_env("[notify]\nconfirm_by_querry = [\"mifeng\"]\n", &|_| None)
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(m) if m.contains("confirm_by_querry")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_parsing() {
    let gw = TestGateway::new(PaymentStatus::Succeeded, Some(Money::from_fen(100)));
    let hub = Hub::builder()
        .gateway(gw.clone())
        .notify_body_limit(32)
        .build();
    assert_eq!(hub.notify_body_limit(), 32);
    let (h, _) = notify("T1", 100, "paid");
    let big = vec![b'x'; 33];
    let r = hub
        .handle_notification(Provider::Mifeng, &h, &big, &orders())
        .await;
    assert!(
        matches!(
            &r,
            Err(Error::Notify(NotifyError::BodyTooLarge {
                len: 33,
                limit: 32,
                ..
            }))
        ),
        "{r:?}"
    );
    assert_eq!(
        gw.queries.load(Ordering::SeqCst),
        0,
        "nothing was parsed or queried"
    );
    // At the limit it goes through.
    let calls = Arc::new(AtomicUsize::new(0));
    assert_eq!(deliver(&hub, "T1", 100, &calls).await.unwrap(), "SUCCESS");
    // The default is 64 KiB.
    let hub = Hub::builder().build();
    assert_eq!(hub.notify_body_limit(), 64 * 1024);
}

#[tokio::test]
async fn the_router_answers_413_over_the_limit() {
    let gw = TestGateway::new(PaymentStatus::Succeeded, Some(Money::from_fen(100)));
    let hub = Arc::new(Hub::builder().gateway(gw).notify_body_limit(1024).build());
    let app = notify_router(hub, Arc::new(orders()), Arc::new(Accept));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify/mifeng", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = paysig::http::HttpClient::new(paysig::http::HttpConfig::default()).unwrap();
    let r = client
        .send(paysig::http::Request::post_text(
            "t",
            "notify",
            url.parse().unwrap(),
            "text/plain",
            "x".repeat(2048),
        ))
        .await
        .unwrap();
    assert_eq!((r.status, r.text_lossy().as_ref()), (413, "body_too_large"));
}

#[test]
fn the_notify_body_limit_is_read_from_the_toml() {
    let hub = Hub::from_toml_str_with_env("[notify]\nbody_limit = 4096\n", &|_| None).unwrap();
    assert_eq!(hub.notify_body_limit(), 4096);
    for bad in ["0", "-1", "\"big\""] {
        let e = Hub::from_toml_str_with_env(&format!("[notify]\nbody_limit = {bad}\n"), &|_| None)
            .unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.contains("body_limit")),
            "{bad}: {e:?}"
        );
    }
}
