//! Mifeng through the facade, against wiremock on 127.0.0.1: create, notify, query, balance,
//! the unsupported operations and methods, notify refusals, the exhaustive state mapping and
//! the TOML configuration.
#![cfg(feature = "mifeng")]

use mifeng::{Client, Config, Environment, NotifyState, OrderState};
use payhub::adapters::mifeng::MifengGateway;
use payhub::notify::MemoryOrders;
use payhub::{
    CreatedPayment, Error, Gateway, Hub, Notification, NotificationKind, NotifyError, PayMethod,
    Payment, PaymentAction, PaymentQuery, PaymentRequest, PaymentStatus, Provider, RefundQuery,
    RefundRequest,
};
use paysig::md5::{HexCase, md5_hex};
use paysig::{Money, Verified};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const MCH_ID: &str = "1000123";
const SECRET: &str = "4ZWQBPN5SFP7MW6EQHXSCGLMAZVJZT4I";
const TOKEN: &str = "BA1B637A5C8D4B28ACB0889E559C5803";
const ORDER: &str = "T20261122001";
const MF_NO: &str = "202611227885214563228";
const PAY_URL: &str = "https://pay.example/#/?order_no=202611227885214563228";
const NOTIFY_URL: &str = "https://shop.example/notify/mifeng";

fn yuan(s: &str) -> Money {
    Money::parse_yuan(s).unwrap()
}

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "code": 0, "msg": "ok", "data": data, "request_id": "ddec96d2165e4f3e8a642057db116983"
    }))
}

/// The token endpoint, mounted as the mifeng crate's own tests do: the client calls it first.
async fn token_mock(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/accesstoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "OK", "data": {"token": TOKEN, "expires_in": 7200}
        })))
        .mount(server)
        .await;
}

fn query_answer(out_order_no: &str, state: i64, money: &str) -> serde_json::Value {
    serde_json::json!({
        "mch_id": MCH_ID, "order_no": MF_NO, "out_order_no": out_order_no,
        "state": state, "money": money, "notify_succ": "1"
    })
}

async fn query_mock(server: &MockServer, answer: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/query"))
        .respond_with(ok(answer))
        .mount(server)
        .await;
}

fn config(server: &MockServer) -> Config {
    let mut c = Config::new(
        Environment::Custom(server.uri().parse().unwrap()),
        MCH_ID,
        SECRET,
    );
    c.rate_limit.per_second = NonZeroU32::new(20).unwrap();
    c.rate_limit.limiter = Some(Arc::new(mifeng::LocalRateLimiter::new()));
    // A store of its own: the default is process-wide per base URL, and wiremock reuses
    // servers (hence base URLs) between the tests of this binary.
    c.token_store = Some(Arc::new(mifeng::MemoryTokenStore::new()));
    c.http.retry = paysig::http::RetryPolicy::none();
    // Signature only, so each test decides on confirmation by query itself (the crate's
    // default, signature and query, is covered by `default_trust_confirms_by_query`).
    c.notify_trust = mifeng::NotifyTrust::SignatureOnly;
    c
}

fn gateway(server: &MockServer) -> Arc<MifengGateway> {
    Arc::new(MifengGateway::new(Client::new(config(server)).unwrap()))
}

fn hub(server: &MockServer) -> Hub {
    Hub::builder().gateway(gateway(server)).build()
}

/// Form body as pairs.
fn form(req: &Request) -> HashMap<String, String> {
    assert_eq!(
        content_type(req),
        "application/x-www-form-urlencoded",
        "{}",
        req.url
    );
    url::form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn content_type(req: &Request) -> &str {
    req.headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// JSON object body as pairs of text (unifiedorder and balance are JSON by default).
fn json_fields(req: &Request) -> HashMap<String, String> {
    assert_eq!(content_type(req), "application/json", "{}", req.url);
    let obj: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&req.body).unwrap();
    obj.into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect()
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// A notify signed the inferred way, the sign string built here by hand:
/// the seven fields in fixed order, `&key=<secret>`, MD5, lowercase hex.
fn notify_body(mch_id: &str, out_order_no: &str, money: &str, state: i64, key: &str) -> Vec<u8> {
    let notify_time = "2026-11-22 10:41:01";
    let param = "cart=42";
    let plain = format!(
        "mch_id={mch_id}&money={money}&notify_time={notify_time}&order_no={MF_NO}&out_order_no={out_order_no}&param={param}&state={state}&key={key}"
    );
    let sign = md5_hex(plain.as_bytes(), HexCase::Lower);
    serde_json::to_vec(&serde_json::json!({
        "mch_id": mch_id, "money": money, "notify_time": notify_time, "order_no": MF_NO,
        "out_order_no": out_order_no, "param": param, "state": state, "sign": sign
    }))
    .unwrap()
}

fn paid_notify(out_order_no: &str, money: &str) -> Vec<u8> {
    notify_body(MCH_ID, out_order_no, money, 3, SECRET)
}

fn cashier_request() -> PaymentRequest {
    PaymentRequest::new(
        ORDER,
        yuan("12.34"),
        "Coffee beans",
        NOTIFY_URL,
        PayMethod::HostedCashier {
            channel: "8".into(),
            return_url: Some("https://shop.example/paid".into()),
        },
    )
    .client_ip("203.0.113.7")
    .attach("cart=42")
}

fn other_methods() -> Vec<PayMethod> {
    vec![
        PayMethod::WechatNative,
        PayMethod::WechatJsapi {
            app_id: "wx1".into(),
            open_id: "o1".into(),
        },
        PayMethod::WechatMini {
            app_id: "wx1".into(),
            open_id: "o1".into(),
        },
        PayMethod::WechatApp {
            app_id: "wx1".into(),
        },
        PayMethod::WechatH5,
        PayMethod::AlipayQr,
        PayMethod::AlipayWeb {
            return_url: "https://shop.example/back".into(),
        },
        PayMethod::AlipayApp,
        PayMethod::UnionPayApp,
        PayMethod::UnionPayWeb {
            return_url: "https://shop.example/back".into(),
        },
        PayMethod::MicroPay {
            auth_code: "134567890123456789".into(),
        },
    ]
}

#[tokio::test]
async fn scenario_create_notify_query_balance_and_unsupported() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/unifiedorder"))
        .respond_with(ok(serde_json::json!({
            "mch_id": MCH_ID, "order_no": MF_NO, "out_order_no": ORDER, "money": "12.34", "real_money": "12.30",
            "pay_url": PAY_URL, "expired_time": "2026-11-22 10:51:01", "expired_timestamp": 1795401061000u64
        })))
        .mount(&server)
        .await;
    query_mock(&server, query_answer(ORDER, 3, "12.34")).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/balance"))
        .respond_with(ok(serde_json::json!({"balance": "10000.00"})))
        .mount(&server)
        .await;
    let gw = gateway(&server);
    let hub = Hub::builder().gateway(gw.clone()).build();

    // Create: hosted cashier → redirect to pay_url.
    let created = hub
        .create_payment(Provider::Mifeng, &cashier_request())
        .await
        .unwrap();
    assert_eq!(
        created,
        CreatedPayment {
            provider: Provider::Mifeng,
            order_no: ORDER.into(),
            provider_trade_no: Some(MF_NO.into()),
            action: PaymentAction::Redirect {
                url: PAY_URL.into()
            },
            payer_amount: Some(Money::from_fen(1230)),
        },
        "Mifeng's real_money reaches the merchant as the amount the payer is asked for"
    );
    let tokens = requests_to(&server, "/v1/api/pay/accesstoken").await;
    assert_eq!(tokens.len(), 1, "the token is fetched first, once");
    assert_eq!(tokens[0].method.as_str(), "POST");
    assert_eq!(
        form(&tokens[0]).get("mch_id").map(String::as_str),
        Some(MCH_ID)
    );
    let orders = requests_to(&server, "/v1/api/pay/unifiedorder").await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].method.as_str(), "POST");
    let f = json_fields(&orders[0]);
    for (k, v) in [
        ("token", TOKEN),
        ("channel_no", "8"),
        ("subject", "Coffee beans"),
        ("out_order_no", ORDER),
        ("money", "12.34"),
        ("client_ip", "203.0.113.7"),
        ("notify_url", NOTIFY_URL),
        ("return_url", "https://shop.example/paid"),
        ("param", "cart=42"),
    ] {
        assert_eq!(
            f.get(k).map(String::as_str),
            Some(v),
            "unifiedorder field {k}"
        );
    }
    assert_eq!(f["timestamp"].len(), 13, "millisecond timestamp");

    // Every other method is UnsupportedMethod naming it, and nothing is sent.
    let before = request_count(&server).await;
    for m in other_methods() {
        let name = m.name();
        let mut req = cashier_request();
        req.method = m;
        match hub.create_payment(Provider::Mifeng, &req).await {
            Err(Error::UnsupportedMethod {
                provider: Provider::Mifeng,
                method,
            }) => assert_eq!(method, name),
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(request_count(&server).await, before);

    // Notify: verified, mapped, acknowledged with SUCCESS.
    let orders_db = MemoryOrders::default();
    orders_db.insert(payhub::Provider::Mifeng, ORDER, yuan("12.34"));
    let seen: Arc<Mutex<Option<Notification>>> = Arc::default();
    let sink = seen.clone();
    let ack = hub
        .handle_notification_with(
            Provider::Mifeng,
            &http::HeaderMap::new(),
            &paid_notify(ORDER, "12.34"),
            &orders_db,
            |e: Verified<Notification>| async move {
                *sink.lock().unwrap() = Some(e.into_inner());
                Ok::<(), String>(())
            },
        )
        .await
        .unwrap();
    assert_eq!(ack, "SUCCESS");
    let n = seen.lock().unwrap().clone().expect("delivered");
    assert_eq!(n.provider, Provider::Mifeng);
    assert_eq!(n.kind, NotificationKind::Payment);
    assert_eq!(n.order_no, ORDER);
    assert_eq!(n.provider_trade_no.as_deref(), Some(MF_NO));
    assert_eq!(n.amount, yuan("12.34"));
    assert_eq!(n.status, PaymentStatus::Succeeded);
    assert_eq!(n.raw["money"], "12.34");
    assert_eq!(n.raw["state"], 3);
    assert_eq!(n.raw["out_order_no"], ORDER);
    assert_eq!(n.raw["mch_id"], MCH_ID);
    assert_eq!(
        request_count(&server).await,
        before,
        "without confirm_by_query the notify makes no call"
    );

    // Query by Mifeng's order_no.
    let paid = hub
        .query_payment(
            Provider::Mifeng,
            &PaymentQuery::by_order_no(ORDER).with_provider_trade_no(MF_NO),
        )
        .await
        .unwrap();
    assert_eq!(
        paid,
        Payment {
            provider: Provider::Mifeng,
            order_no: ORDER.into(),
            provider_trade_no: Some(MF_NO.into()),
            status: PaymentStatus::Succeeded,
            amount: Some(yuan("12.34"))
        }
    );
    let queries = requests_to(&server, "/v1/api/pay/query").await;
    assert_eq!(queries.len(), 1);
    assert_eq!(queries[0].method.as_str(), "POST");
    let q = form(&queries[0]);
    assert_eq!(q.get("order_no").map(String::as_str), Some(MF_NO));
    assert_eq!(q.get("mch_id").map(String::as_str), Some(MCH_ID));
    assert_eq!(q.get("token").map(String::as_str), Some(TOKEN));

    // Without Mifeng's number there is nothing to query by.
    let before = request_count(&server).await;
    match hub
        .query_payment(Provider::Mifeng, &PaymentQuery::by_order_no(ORDER))
        .await
    {
        Err(Error::Invalid {
            field: "provider_trade_no",
            ..
        }) => {}
        other => panic!("{other:?}"),
    }

    // No refund, refund query or close; nothing faked, nothing sent.
    let refund = RefundRequest {
        order_no: ORDER.into(),
        provider_trade_no: Some(MF_NO.into()),
        refund_no: "R1".into(),
        amount: yuan("1.00"),
        total: Some(yuan("12.34")),
        reason: None,
        notify_url: None,
    };
    assert!(matches!(
        hub.refund(Provider::Mifeng, &refund).await,
        Err(Error::Unsupported {
            provider: Provider::Mifeng,
            operation: "refund"
        })
    ));
    let rq = RefundQuery {
        order_no: ORDER.into(),
        refund_no: "R1".into(),
    };
    assert!(matches!(
        hub.query_refund(Provider::Mifeng, &rq).await,
        Err(Error::Unsupported {
            provider: Provider::Mifeng,
            operation: "query_refund"
        })
    ));
    let close = PaymentQuery::by_order_no(ORDER).with_provider_trade_no(MF_NO);
    assert!(matches!(
        hub.close_payment(Provider::Mifeng, &close).await,
        Err(Error::Unsupported {
            provider: Provider::Mifeng,
            operation: "close_payment"
        })
    ));
    assert_eq!(request_count(&server).await, before);

    // Balance: an inherent method of the gateway.
    assert_eq!(gw.balance().await.unwrap(), yuan("10000.00"));
    let b = requests_to(&server, "/v1/api/pay/balance").await;
    assert_eq!(b.len(), 1);
    assert_eq!(
        json_fields(&b[0]).get("mch_id").map(String::as_str),
        Some(MCH_ID)
    );
    assert_eq!(
        requests_to(&server, "/v1/api/pay/accesstoken").await.len(),
        1,
        "one token for every call"
    );
}

#[tokio::test]
async fn create_refuses_what_mifeng_cannot_take_before_sending_and_surfaces_api_codes() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/unifiedorder"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": -4, "msg": "no bank card", "data": {}, "request_id": "rid-4"
        })))
        .mount(&server)
        .await;
    let hub = hub(&server);

    let mut no_ip = cashier_request();
    no_ip.client_ip = None;
    assert!(matches!(
        hub.create_payment(Provider::Mifeng, &no_ip).await,
        Err(Error::Invalid {
            field: "client_ip",
            ..
        })
    ));
    let bad_ip = cashier_request().client_ip("not-an-ip");
    assert!(matches!(
        hub.create_payment(Provider::Mifeng, &bad_ip).await,
        Err(Error::Invalid {
            field: "client_ip",
            ..
        })
    ));
    let mut bad_notify = cashier_request();
    bad_notify.notify_url = "not a url".into();
    assert!(matches!(
        hub.create_payment(Provider::Mifeng, &bad_notify).await,
        Err(Error::Invalid {
            field: "notify_url",
            ..
        })
    ));
    assert_eq!(
        request_count(&server).await,
        0,
        "nothing sent for a request refused locally"
    );

    match hub
        .create_payment(Provider::Mifeng, &cashier_request())
        .await
    {
        Err(Error::Mifeng(e)) => {
            assert!(
                matches!(
                    e,
                    mifeng::Error::Api {
                        code: mifeng::ApiCode::UnifiedOrder(
                            mifeng::UnifiedOrderCode::NoSuitableBankCard
                        ),
                        ..
                    }
                ),
                "{e:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_query_answer_for_another_merchant_order_is_refused() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    query_mock(&server, query_answer("SOMEONE-ELSES-ORDER", 3, "12.34")).await;
    let err = hub(&server)
        .query_payment(
            Provider::Mifeng,
            &PaymentQuery::by_order_no(ORDER).with_provider_trade_no(MF_NO),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Mifeng(mifeng::Error::ResponseMismatch { .. })),
        "{err:?}"
    );
    assert!(chain(&err).contains("SOMEONE-ELSES-ORDER"), "{err}");
}

#[tokio::test]
async fn notify_refusals_duplicates_and_callback_failure() {
    // No mock mounted: without confirm_by_query the notify path makes no call.
    let server = MockServer::start().await;
    let hub = hub(&server);
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Mifeng, ORDER, yuan("12.34"));
    orders.insert(payhub::Provider::Mifeng, "T2", yuan("5.00"));
    let headers = http::HeaderMap::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let counting = |fail: bool| {
        let calls = calls.clone();
        move |_e: Verified<Notification>| async move {
            calls.fetch_add(1, Ordering::SeqCst);
            if fail {
                Err("fulfilment database down".to_owned())
            } else {
                Ok(())
            }
        }
    };

    // Tampered: the amount changed after signing.
    let mut v: serde_json::Value = serde_json::from_slice(&paid_notify(ORDER, "12.34")).unwrap();
    v["money"] = "0.01".into();
    let tampered = serde_json::to_vec(&v).unwrap();
    match hub
        .handle_notification_with(
            Provider::Mifeng,
            &headers,
            &tampered,
            &orders,
            counting(false),
        )
        .await
    {
        Err(Error::Notify(NotifyError::Verification {
            provider: Provider::Mifeng,
            reason,
        })) => assert!(reason.contains("signature"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // Signed with another key.
    let other_key = notify_body(MCH_ID, ORDER, "12.34", 3, "another-secret");
    assert!(matches!(
        hub.handle_notification_with(
            Provider::Mifeng,
            &headers,
            &other_key,
            &orders,
            counting(false)
        )
        .await,
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));
    // Correctly signed, but for another merchant.
    let other_mch = notify_body("1000999", ORDER, "12.34", 3, SECRET);
    match hub
        .handle_notification_with(
            Provider::Mifeng,
            &headers,
            &other_mch,
            &orders,
            counting(false),
        )
        .await
    {
        Err(Error::Notify(NotifyError::Verification { reason, .. })) => {
            assert!(reason.contains("1000999"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // The notified amount is not the order's.
    match hub
        .handle_notification_with(
            Provider::Mifeng,
            &headers,
            &paid_notify(ORDER, "12.00"),
            &orders,
            counting(false),
        )
        .await
    {
        Err(Error::Notify(NotifyError::AmountMismatch {
            provider: Provider::Mifeng,
            order_no,
            expected,
            got,
        })) => {
            assert_eq!(
                (order_no.as_str(), expected, got),
                (ORDER, yuan("12.34"), yuan("12.00"))
            );
        }
        other => panic!("{other:?}"),
    }
    // Unknown order.
    match hub
        .handle_notification_with(
            Provider::Mifeng,
            &headers,
            &paid_notify("NOPE", "12.34"),
            &orders,
            counting(false),
        )
        .await
    {
        Err(Error::Notify(NotifyError::UnknownOrder {
            provider: Provider::Mifeng,
            order_no,
        })) => assert_eq!(order_no, "NOPE"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "no refused notify reaches the callback"
    );

    // The same notify twice: both acknowledged, delivered once.
    let body = paid_notify(ORDER, "12.34");
    assert_eq!(
        hub.handle_notification_with(Provider::Mifeng, &headers, &body, &orders, counting(false))
            .await
            .unwrap(),
        "SUCCESS"
    );
    assert_eq!(
        hub.handle_notification_with(Provider::Mifeng, &headers, &body, &orders, counting(false))
            .await
            .unwrap(),
        "SUCCESS"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Callback failure: not acknowledged; Mifeng's retry is delivered afterwards.
    let body = paid_notify("T2", "5.00");
    match hub
        .handle_notification_with(Provider::Mifeng, &headers, &body, &orders, counting(true))
        .await
    {
        Err(Error::Notify(NotifyError::Callback(e))) => {
            assert!(e.to_string().contains("database down"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        hub.handle_notification_with(Provider::Mifeng, &headers, &body, &orders, counting(false))
            .await
            .unwrap(),
        "SUCCESS"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "the retry reached the callback"
    );
    assert_eq!(
        hub.handle_notification_with(Provider::Mifeng, &headers, &body, &orders, counting(false))
            .await
            .unwrap(),
        "SUCCESS"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3, "and only once");

    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn confirm_by_query_trusts_the_queried_state_and_refuses_disagreement() {
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Mifeng, ORDER, yuan("12.34"));
    let headers = http::HeaderMap::new();
    let confirming = |server: &MockServer| {
        Hub::builder()
            .gateway(gateway(server))
            .confirm_by_query(Provider::Mifeng)
            .build()
    };

    // The notify says paid; Mifeng's query says still awaiting payment: refused, not
    // acknowledged, so Mifeng sends it again once the query agrees.
    let server = MockServer::start().await;
    token_mock(&server).await;
    query_mock(&server, query_answer(ORDER, 2, "12.34")).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let r = confirming(&server)
        .handle_notification_with(
            Provider::Mifeng,
            &headers,
            &paid_notify(ORDER, "12.34"),
            &orders,
            |_: Verified<Notification>| async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok::<(), String>(())
            },
        )
        .await;
    assert!(
        matches!(
            r,
            Err(Error::Notify(NotifyError::NotConfirmed {
                provider: Provider::Mifeng,
                ..
            }))
        ),
        "{r:?}"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "an unconfirmed success is never delivered"
    );
    let q = requests_to(&server, "/v1/api/pay/query").await;
    assert_eq!(q.len(), 1);
    assert_eq!(form(&q[0]).get("order_no").map(String::as_str), Some(MF_NO));

    // Notify and query agree on paid: delivered with the queried state.
    let server = MockServer::start().await;
    token_mock(&server).await;
    query_mock(&server, query_answer(ORDER, 3, "12.34")).await;
    let seen: Arc<Mutex<Option<PaymentStatus>>> = Arc::default();
    let sink = seen.clone();
    let ack = confirming(&server)
        .handle_notification_with(
            Provider::Mifeng,
            &headers,
            &paid_notify(ORDER, "12.34"),
            &orders,
            |e: Verified<Notification>| async move {
                *sink.lock().unwrap() = Some(e.status);
                Ok::<(), String>(())
            },
        )
        .await
        .unwrap();
    assert_eq!(ack, "SUCCESS");
    assert_eq!(*seen.lock().unwrap(), Some(PaymentStatus::Succeeded));

    // The queried amount differs from the notified one.
    let server = MockServer::start().await;
    token_mock(&server).await;
    query_mock(&server, query_answer(ORDER, 3, "0.01")).await;
    let r = confirming(&server)
        .handle_notification_with(
            Provider::Mifeng,
            &headers,
            &paid_notify(ORDER, "12.34"),
            &orders,
            |_| async { Ok::<(), String>(()) },
        )
        .await;
    assert!(
        matches!(
            r,
            Err(Error::Notify(NotifyError::NotConfirmed {
                provider: Provider::Mifeng,
                ..
            }))
        ),
        "{r:?}"
    );

    // Mifeng's order_no belongs to another merchant order than the notified out_order_no.
    let server = MockServer::start().await;
    token_mock(&server).await;
    query_mock(&server, query_answer("T-OTHER", 3, "12.34")).await;
    let r = confirming(&server)
        .handle_notification_with(
            Provider::Mifeng,
            &headers,
            &paid_notify(ORDER, "12.34"),
            &orders,
            |_| async { Ok::<(), String>(()) },
        )
        .await;
    assert!(matches!(r, Err(Error::Mifeng(_))), "{r:?}");
}

#[test]
fn every_mifeng_state_maps() {
    let order_states = [
        (OrderState::NoCode, PaymentStatus::Pending),
        (OrderState::Failed, PaymentStatus::Failed),
        (OrderState::AwaitingPayment, PaymentStatus::Pending),
        (OrderState::Success, PaymentStatus::Succeeded),
        (OrderState::Unknown(9), PaymentStatus::Pending),
    ];
    for (state, expected) in order_states {
        assert_eq!(PaymentStatus::from(state), expected, "{state:?}");
    }
    // The wire numbers of query `state`: 0 未出码, 1 交易失败, 2 待支付, 3 交易成功.
    let by_wire: Vec<PaymentStatus> = (0..=4).map(|c| OrderState::from(c).into()).collect();
    assert_eq!(
        by_wire,
        [
            PaymentStatus::Pending,
            PaymentStatus::Failed,
            PaymentStatus::Pending,
            PaymentStatus::Succeeded,
            PaymentStatus::Pending
        ]
    );

    let notify_states = [
        (NotifyState::NoCode, PaymentStatus::Pending),
        (NotifyState::AwaitingPayment, PaymentStatus::Pending),
        (NotifyState::Success, PaymentStatus::Succeeded),
        (NotifyState::Failed, PaymentStatus::Failed),
        (NotifyState::Unknown(0), PaymentStatus::Pending),
    ];
    for (state, expected) in notify_states {
        assert_eq!(PaymentStatus::from(state), expected, "{state:?}");
    }
    // The inferred notify numbering differs: 1 未出码, 2 待支付, 3 交易成功, 4 交易失败.
    let by_wire: Vec<PaymentStatus> = (1..=5).map(|c| NotifyState::from(c).into()).collect();
    assert_eq!(
        by_wire,
        [
            PaymentStatus::Pending,
            PaymentStatus::Pending,
            PaymentStatus::Succeeded,
            PaymentStatus::Failed,
            PaymentStatus::Pending
        ]
    );
}

fn env_with_secret(name: &str) -> Option<String> {
    (name == "MIFENG_TEST_SECRET").then(|| SECRET.to_owned())
}

#[tokio::test]
async fn hub_from_toml_builds_the_gateway_with_the_secret_from_the_env() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    query_mock(&server, query_answer(ORDER, 2, "12.34")).await;
    let text = format!(
        r#"
[mifeng]
base_url = "{}"
mch_id = 1000123
secret_env = "MIFENG_TEST_SECRET"
notify_trust = "signature_and_query"
body_encoding = "json"
rate_limit_per_second = 10

[notify]
confirm_by_query = ["mifeng"]
"#,
        server.uri()
    );
    let hub = Hub::from_toml_str_with_env(&text, &env_with_secret).unwrap();
    assert_eq!(hub.providers(), [Provider::Mifeng]);
    let p = hub
        .query_payment(
            Provider::Mifeng,
            &PaymentQuery::by_order_no(ORDER).with_provider_trade_no(MF_NO),
        )
        .await
        .unwrap();
    assert_eq!(p.status, PaymentStatus::Pending);
    // The secret from the env and the integer mch_id reached the token call.
    let t = &requests_to(&server, "/v1/api/pay/accesstoken").await[0];
    let tf = form(t);
    assert_eq!(
        (tf["mch_id"].as_str(), tf["secret"].as_str()),
        (MCH_ID, SECRET)
    );
    // body_encoding = "json" was applied.
    let q = &requests_to(&server, "/v1/api/pay/query").await[0];
    let body: serde_json::Value = serde_json::from_slice(&q.body).unwrap();
    assert_eq!(body["order_no"], MF_NO);
    assert_eq!(body["mch_id"], 1000123);

    // The gateway built alone does not show the secret.
    let section: payhub::config::MifengSection = toml::from_str(&format!("base_url = \"{}\"\nmch_id = \"{MCH_ID}\"\nsecret_env = \"MIFENG_TEST_SECRET\"\nnotify_trust = \"signature_only\"", server.uri())).unwrap();
    let gw = MifengGateway::from_config(&section, &env_with_secret).unwrap();
    assert_eq!(gw.notify_trust(), mifeng::NotifyTrust::SignatureOnly);
    assert!(!gw.wants_confirm_by_query());
    assert!(!format!("{gw:?}").contains(SECRET));
    assert_eq!(
        gw.client().config().notify_absent_param,
        mifeng::AbsentParam::SignedAsEmpty,
        "the crate's default when the key is absent"
    );
    for (value, expected) in [
        ("signed_as_empty", mifeng::AbsentParam::SignedAsEmpty),
        ("not_signed", mifeng::AbsentParam::NotSigned),
        ("refused", mifeng::AbsentParam::Refused),
    ] {
        let section: payhub::config::MifengSection = toml::from_str(&format!("base_url = \"{}\"\nmch_id = \"{MCH_ID}\"\nsecret_env = \"MIFENG_TEST_SECRET\"\nnotify_absent_param = \"{value}\"", server.uri())).unwrap();
        let gw = MifengGateway::from_config(&section, &env_with_secret).unwrap();
        assert_eq!(
            gw.client().config().notify_absent_param,
            expected,
            "{value}"
        );
    }
}

#[test]
fn from_toml_errors_name_the_problem_never_the_secret() {
    let base = "[mifeng]\nenvironment = \"production\"\nmch_id = \"1000123\"\nsecret_env = \"MIFENG_TEST_SECRET\"\n";
    let config_err =
        |text: &str, env: &dyn Fn(&str) -> Option<String>| match Hub::from_toml_str_with_env(
            text, env,
        ) {
            Err(Error::Config(msg)) => {
                assert!(!msg.contains(SECRET), "secret in {msg}");
                msg
            }
            other => panic!("{other:?}"),
        };
    // The production section builds.
    assert_eq!(
        Hub::from_toml_str_with_env(base, &env_with_secret)
            .unwrap()
            .providers(),
        [Provider::Mifeng]
    );

    let msg = config_err(base, &|_| None);
    assert!(msg.contains("MIFENG_TEST_SECRET"), "{msg}");
    let msg = config_err(base, &|_| Some(String::new()));
    assert!(msg.contains("MIFENG_TEST_SECRET"), "{msg}");
    let msg = config_err(
        "[mifeng]\nenvironment = \"production\"\nmch_id = \"1000123\"\n",
        &env_with_secret,
    );
    assert!(msg.contains("secret_env"), "{msg}");

    for (extra, needle) in [
        ("notify_trust = \"query_only\"\n", "query_only"),
        ("notify_trust = \"trust_me\"\n", "notify_trust"),
        ("secert_env = \"X\"\n", "secert_env"),
        ("base_url = \"http://127.0.0.1:9\"\n", "not both"),
        ("body_encoding = \"xml\"\n", "body_encoding"),
        ("rate_limit_per_second = 50\n", "rate_limit_per_second"),
        ("notify_absent_param = \"skip\"\n", "notify_absent_param"),
    ] {
        let msg = config_err(&format!("{base}{extra}"), &env_with_secret);
        assert!(msg.contains(needle), "{extra}: {msg}");
    }
    let msg = config_err(
        "[mifeng]\nenvironment = \"test\"\nmch_id = \"1\"\nsecret_env = \"MIFENG_TEST_SECRET\"\n",
        &env_with_secret,
    );
    assert!(msg.contains("base_url"), "{msg}");
    let msg = config_err(
        "[mifeng]\nmch_id = \"1\"\nsecret_env = \"MIFENG_TEST_SECRET\"\n",
        &env_with_secret,
    );
    assert!(msg.contains("environment"), "{msg}");
    let msg = config_err(
        "[mifeng]\nenvironment = \"production\"\nsecret_env = \"MIFENG_TEST_SECRET\"\n",
        &env_with_secret,
    );
    assert!(msg.contains("mch_id"), "{msg}");
}

/// Only one gateway type is in play here; the trait object is what the hub routes to.
#[test]
fn the_gateway_is_mifeng_and_acks_upper_case() {
    let gw = MifengGateway::new(
        Client::new(Config::new(Environment::Production, MCH_ID, SECRET)).unwrap(),
    );
    assert_eq!(gw.provider(), Provider::Mifeng);
    assert_eq!(gw.ack(), "SUCCESS");
    assert!(
        gw.wants_confirm_by_query(),
        "the crate's default trust is signature and query"
    );
}

#[tokio::test]
async fn default_trust_confirms_by_query() {
    let server = MockServer::start().await;
    let mut c = config(&server);
    c.notify_trust = mifeng::NotifyTrust::default();
    let gw = MifengGateway::new(Client::new(c).unwrap());
    assert!(
        gw.confirm_by_query(),
        "the inferred notify scheme is confirmed by query by default"
    );
    let mut c = config(&server);
    c.notify_trust = mifeng::NotifyTrust::SignatureOnly;
    assert!(!MifengGateway::new(Client::new(c).unwrap()).confirm_by_query());
}

/// Every message of the error's `source()` chain, joined.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}
