//! BeeCloud through the payhub facade, against wiremock hosts on 127.0.0.1 given to the client
//! as its custom host list. Webhooks are signed here with MD5 over the test secrets.
#![cfg(feature = "beecloud")]

use beecloud::clock::{Clock, FixedClock, SystemClock, beijing_today};
use beecloud::hosts::InOrder;
use beecloud::{Client, Config, Environment, QrPayMode, RefundChannel, WebhookConfig};
use payhub::adapters::beecloud::{
    BeeCloudGateway, BeeCloudSettings, BillState, RefundState, WebhookState, WxRefundStatus,
};
use payhub::notify::MemoryOrders;
use payhub::{
    Error, Gateway, Hub, Notification, NotificationKind, NotifyError, PayMethod, PaymentAction,
    PaymentQuery, PaymentRequest, PaymentStatus, Provider, RefundExtent, RefundQuery,
    RefundRequest, WechatAppParams, WechatJsapiParams,
};
use paysig::http::{HttpConfig, RetryPolicy};
use paysig::md5::{HexCase, md5_hex};
use paysig::{Money, Verified};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

const APP_ID: &str = "0950c062-5e41-44e3-8f52-f89d8cf2b6eb";
const APP_KEY: &str = "test-app-key";
const APP_SECRET: &str = "test-app-secret";
const MASTER_SECRET: &str = "test-master-secret";
const ORDER: &str = "PH2026112200001";
const BC: Provider = Provider::BeeCloud;

/// One instant for the whole test: request timestamps, the refund date and webhook windows.
#[derive(Clone, Copy)]
struct Now {
    clock: FixedClock,
    ms: i64,
}

impl Now {
    fn new() -> Self {
        let clock = FixedClock(SystemClock.now());
        let ms = (clock.0.unix_timestamp_nanos() / 1_000_000) as i64;
        Now { clock, ms }
    }

    /// A refund number BeeCloud accepts today: the Beijing date, then a serial.
    fn refund_no(&self, serial: &str) -> String {
        let d = beijing_today(self.clock.0);
        format!(
            "{:04}{:02}{:02}{serial}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

fn md5(s: &str) -> String {
    md5_hex(s.as_bytes(), HexCase::Lower)
}

fn client(hosts: &[&MockServer], now: Now, webhook: Option<WebhookConfig>) -> Client {
    let urls = hosts
        .iter()
        .map(|s| url::Url::parse(&s.uri()).unwrap())
        .collect();
    let http = HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        retry: RetryPolicy::none(),
        ..HttpConfig::default()
    };
    let mut config = Config::new(Environment::Custom(urls), APP_ID, APP_KEY)
        .with_clock(now.clock)
        .with_host_picker(InOrder)
        .with_http(http);
    if let Some(w) = webhook {
        config = config.with_webhook(w);
    }
    Client::new(config).unwrap()
}

fn gateway(hosts: &[&MockServer], now: Now, settings: BeeCloudSettings) -> BeeCloudGateway {
    BeeCloudGateway::new(
        client(hosts, now, Some(WebhookConfig::v2(MASTER_SECRET))),
        settings,
    )
}

fn hub(gw: BeeCloudGateway) -> Hub {
    Hub::builder().gateway(Arc::new(gw)).build()
}

fn ok(extra: Value) -> ResponseTemplate {
    let mut body = json!({"result_code": 0, "result_msg": "OK", "err_detail": ""});
    if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
        b.extend(e);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

fn para_of(req: &Request) -> Option<Map<String, Value>> {
    let pairs: Vec<(String, String)> = req
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    match pairs.as_slice() {
        [(k, v)] if k == "para" => match serde_json::from_str(v).ok()? {
            Value::Object(m) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

/// Matches a GET whose `para` JSON has this `channel`.
struct ParaChannel(&'static str);

impl Match for ParaChannel {
    fn matches(&self, req: &Request) -> bool {
        para_of(req).is_some_and(|m| m.get("channel") == Some(&json!(self.0)))
    }
}

/// Checks and removes the auth fields (`app_sign = md5(app_id + timestamp + app_key)`).
fn without_auth(mut obj: Map<String, Value>, now_ms: Option<i64>) -> Value {
    assert_eq!(obj.remove("app_id"), Some(json!(APP_ID)));
    let ts = obj
        .remove("timestamp")
        .and_then(|v| v.as_i64())
        .expect("timestamp");
    if let Some(ms) = now_ms {
        assert_eq!(ts, ms);
    }
    assert_eq!(
        obj.remove("app_sign"),
        Some(json!(md5(&format!("{APP_ID}{ts}{APP_KEY}"))))
    );
    Value::Object(obj)
}

/// Method, path, and the call's own fields of a received request.
fn sent(req: &Request, now_ms: Option<i64>) -> (String, String, Value) {
    let fields = if req.method.as_str() == "GET" {
        para_of(req).expect("para")
    } else {
        assert!(req.url.query().is_none());
        match serde_json::from_slice(&req.body).unwrap() {
            Value::Object(m) => m,
            other => panic!("body is not an object: {other}"),
        }
    };
    (
        req.method.to_string(),
        req.url.path().to_owned(),
        without_auth(fields, now_ms),
    )
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

/// A documented channel of each group (beecloud.md §2 附注) for `sub_channel_type`; this
/// fixture used to send `ALI_NATIVE` and `UN_NATIVE`, which the document does not list.
fn sub_channel(group: &str) -> &'static str {
    match group {
        "WX" => "WX_NATIVE",
        "ALI" => "ALI_WEB",
        _ => "UN_WEB",
    }
}

fn v2_webhook(id: &str, ty: &str, ch: &str, fee: u64, ts: i64, optional: Value) -> Vec<u8> {
    let signature = md5(&format!("{APP_ID}{id}{ty}{ch}{fee}{MASTER_SECRET}"));
    serde_json::to_vec(&json!({
        "signature": signature, "timestamp": ts, "channel_type": ch, "sub_channel_type": sub_channel(ch),
        "transaction_type": ty, "transaction_id": id, "transaction_fee": fee, "trade_success": true,
        "message_detail": {"transaction_id": "4200000001"}, "optional": optional
    }))
    .unwrap()
}

fn v1_webhook(id: &str, fee: u64, ts: i64) -> Vec<u8> {
    let sign = md5(&format!("{APP_ID}{APP_SECRET}{ts}"));
    serde_json::to_vec(&json!({
        "sign": sign, "timestamp": ts, "channelType": "ALI", "transactionType": "PAY",
        "transactionId": id, "transactionFee": fee, "tradeSuccess": true,
        "messageDetail": {"trade_no": "2015061000001"}, "optional": {}
    }))
    .unwrap()
}

fn bill_record(bill_no: &str, fee: u64, channel: &str, paid: bool) -> Value {
    json!({"bill_no": bill_no, "total_fee": fee, "channel": channel, "title": "白开水", "spay_result": paid, "created_time": 1_433_903_704_000u64})
}

fn yuan(s: &str) -> Money {
    Money::parse_yuan(s).unwrap()
}

type Seen = Arc<Mutex<Vec<Notification>>>;

/// Delivers a notify through the hub with a callback that counts and records its calls.
async fn deliver(
    hub: &Hub,
    body: &[u8],
    orders: &MemoryOrders,
    calls: &Arc<AtomicUsize>,
    seen: &Seen,
    fail: bool,
) -> Result<&'static str, Error> {
    let (calls, seen) = (calls.clone(), seen.clone());
    hub.handle_notification_with(
        BC,
        &http::HeaderMap::new(),
        body,
        orders,
        move |event: Verified<Notification>| async move {
            calls.fetch_add(1, Ordering::SeqCst);
            seen.lock().unwrap().push(event.into_inner());
            if fail {
                Err(std::io::Error::other("database down"))
            } else {
                Ok(())
            }
        },
    )
    .await
}

#[test]
fn the_md5_used_to_sign_matches_an_outside_computation() {
    // python3 -c 'import hashlib; print(hashlib.md5(b"0950c062-5e41-44e3-8f52-f89d8cf2b6eb1433903704000test-app-key").hexdigest())'
    assert_eq!(
        md5(&format!("{APP_ID}1433903704000{APP_KEY}")),
        "6372f06298cf71e2d3272f243175f151"
    );
}

#[tokio::test]
async fn wechat_scenario_create_notify_query_refund_query_refund() {
    let server = MockServer::start().await;
    let now = Now::new();
    let refund_no = now.refund_no("R0001");
    Mock::given(method("POST"))
        .and(path("/1/rest/bill"))
        .respond_with(ok(json!({"code_url": "weixin://wxpay/bizpayurl?pr=abc"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .and(ParaChannel("WX"))
        .respond_with(ok(
            json!({"count": 1, "bills": [bill_record(ORDER, 1234, "WX_NATIVE", true)]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/1/rest/refund"))
        .respond_with(ok(json!({})))
        .mount(&server)
        .await;
    let refund_rec = json!({"bill_no": ORDER, "refund_no": refund_no, "total_fee": 1234, "refund_fee": 500, "finish": false, "result": false, "created_time": 1_433_903_704_000u64});
    Mock::given(method("GET"))
        .and(path("/1/rest/refunds"))
        .and(ParaChannel("WX"))
        .respond_with(ok(json!({"count": 1, "refunds": [refund_rec]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/1/rest/refund/status"))
        .respond_with(ok(json!({"refund_status": "SUCCESS"})))
        .mount(&server)
        .await;
    let hub = hub(gateway(&[&server], now, BeeCloudSettings::default()));

    // create
    let req = PaymentRequest::new(
        ORDER,
        yuan("12.34"),
        "白开水",
        "https://shop.example/notify/beecloud",
        PayMethod::WechatNative,
    )
    .attach("cart-7")
    .client_ip("10.0.0.1");
    let created = hub.create_payment(BC, &req).await.unwrap();
    assert_eq!(created.provider, BC);
    assert_eq!(created.order_no, ORDER);
    assert_eq!(created.provider_trade_no, None);
    assert_eq!(
        created.action,
        PaymentAction::QrCode {
            content: "weixin://wxpay/bizpayurl?pr=abc".into()
        }
    );
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        sent(&reqs[0], Some(now.ms)),
        (
            "POST".into(),
            "/1/rest/bill".into(),
            json!({"channel": "WX_NATIVE", "total_fee": 1234, "bill_no": ORDER, "title": "白开水", "optional": {"attach": "cart-7"}})
        )
    );

    // notify (payment)
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::BeeCloud, ORDER, yuan("12.34"));
    let (calls, seen): (Arc<AtomicUsize>, Seen) = Default::default();
    let body = v2_webhook(
        ORDER,
        "PAY",
        "WX",
        1234,
        now.ms,
        json!({"attach": "cart-7"}),
    );
    assert_eq!(
        deliver(&hub, &body, &orders, &calls, &seen, false)
            .await
            .unwrap(),
        "success"
    );
    {
        let seen = seen.lock().unwrap();
        let n = &seen[0];
        assert_eq!(
            (n.provider, &n.kind, n.order_no.as_str(), n.amount, n.status),
            (
                BC,
                &NotificationKind::Payment,
                ORDER,
                yuan("12.34"),
                PaymentStatus::Succeeded
            )
        );
        assert_eq!(n.raw["transaction_id"], ORDER);
        assert_eq!(n.raw["optional"]["attach"], "cart-7");
    }
    // The payment webhook was confirmed by a bill query before delivery.
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        sent(&reqs[1], Some(now.ms)),
        (
            "GET".into(),
            "/1/rest/bills".into(),
            json!({"channel": "WX", "bill_no": ORDER})
        )
    );

    // query
    let payment = hub
        .query_payment(BC, &PaymentQuery::by_order_no(ORDER))
        .await
        .unwrap();
    assert_eq!(
        (
            payment.provider,
            payment.order_no.as_str(),
            payment.status,
            payment.amount
        ),
        (BC, ORDER, PaymentStatus::Succeeded, Some(yuan("12.34")))
    );
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        sent(&reqs[2], Some(now.ms)),
        (
            "GET".into(),
            "/1/rest/bills".into(),
            json!({"channel": "WX", "bill_no": ORDER})
        )
    );

    // refund: the bill is looked up for its channel group and total, then refunded
    let refund = hub
        .refund(
            BC,
            &RefundRequest {
                order_no: ORDER.into(),
                provider_trade_no: None,
                refund_no: refund_no.clone(),
                amount: yuan("5.00"),
                total: Some(yuan("12.34")),
                reason: Some("damaged".into()),
                notify_url: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            refund.provider,
            refund.refund_no.as_str(),
            refund.amount,
            refund.status,
            refund.action_url.as_deref()
        ),
        (
            BC,
            refund_no.as_str(),
            Some(yuan("5.00")),
            PaymentStatus::Refunding,
            None
        )
    );
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 5);
    assert_eq!(
        sent(&reqs[3], Some(now.ms)),
        (
            "GET".into(),
            "/1/rest/bills".into(),
            json!({"channel": "WX", "bill_no": ORDER})
        )
    );
    assert_eq!(
        sent(&reqs[4], Some(now.ms)),
        (
            "POST".into(),
            "/1/rest/refund".into(),
            json!({"channel": "WX", "refund_no": refund_no, "bill_no": ORDER, "refund_fee": 500, "optional": {"bill_no": ORDER, "reason": "damaged"}})
        )
    );

    // query refund: §5 says unfinished, so §6 refreshes it from WeChat
    let queried = hub
        .query_refund(
            BC,
            &RefundQuery {
                order_no: ORDER.into(),
                refund_no: refund_no.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (queried.refund_no.as_str(), queried.amount, queried.status),
        (
            refund_no.as_str(),
            Some(yuan("5.00")),
            PaymentStatus::Refunded(RefundExtent::Partial)
        )
    );
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 7);
    assert_eq!(
        sent(&reqs[5], Some(now.ms)),
        (
            "GET".into(),
            "/1/rest/refunds".into(),
            json!({"channel": "WX", "bill_no": ORDER, "refund_no": refund_no})
        )
    );
    assert_eq!(
        sent(&reqs[6], Some(now.ms)),
        (
            "GET".into(),
            "/1/rest/refund/status".into(),
            json!({"channel": "WX", "refund_no": refund_no})
        )
    );

    // notify (refund): names the refund; the bill comes back in `optional`
    let body = v2_webhook(
        &refund_no,
        "REFUND",
        "WX",
        500,
        now.ms,
        json!({"bill_no": ORDER, "reason": "damaged"}),
    );
    assert_eq!(
        deliver(&hub, &body, &orders, &calls, &seen, false)
            .await
            .unwrap(),
        "success"
    );
    {
        let seen = seen.lock().unwrap();
        let n = &seen[1];
        assert_eq!(
            n.kind,
            NotificationKind::Refund {
                refund_no: Some(refund_no.clone())
            }
        );
        assert_eq!(
            (n.order_no.as_str(), n.amount, n.status),
            (
                ORDER,
                yuan("5.00"),
                // The hub confirmed the webhook by the refund query, which tells the extent.
                PaymentStatus::Refunded(RefundExtent::Partial)
            )
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // what BeeCloud does not have: nothing is sent
    match hub
        .close_payment(BC, &PaymentQuery::by_order_no(ORDER))
        .await
    {
        Err(Error::Unsupported {
            provider: BC,
            operation: "close_payment",
        }) => {}
        other => panic!("{other:?}"),
    }
    for m in [
        PayMethod::WechatMini {
            app_id: "wx1".into(),
            open_id: "o1".into(),
        },
        PayMethod::WechatH5,
        PayMethod::MicroPay {
            auth_code: "134567890123456789".into(),
        },
        PayMethod::HostedCashier {
            channel: "x".into(),
            return_url: None,
        },
    ] {
        let name = m.name();
        match hub
            .create_payment(
                BC,
                &PaymentRequest::new("PH2", yuan("1.00"), "t", "https://n", m),
            )
            .await
        {
            Err(Error::UnsupportedMethod {
                provider: BC,
                method,
            }) => assert_eq!(method, name),
            other => panic!("{name}: {other:?}"),
        }
    }
    // 7 calls of the scenario, plus the refund query (`refunds`, `refund/status`) by which
    // the hub confirmed the refund webhook; nothing for the unsupported methods.
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 9);
    assert_eq!(reqs[7].url.path(), "/1/rest/refunds");
    assert_eq!(reqs[8].url.path(), "/1/rest/refund/status");
}

#[tokio::test]
async fn alipay_refund_answers_the_confirmation_url_and_groups_are_asked_in_order() {
    let server = MockServer::start().await;
    let now = Now::new();
    let refund_no = now.refund_no("A001");
    Mock::given(method("POST")).and(path("/1/rest/bill")).respond_with(ok(json!({"html": "<form id=\"alipaysubmit\"></form>", "url": "https://mapi.alipay.com/x"}))).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .and(ParaChannel("WX"))
        .respond_with(ok(json!({"count": 0, "bills": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .and(ParaChannel("ALI"))
        .respond_with(ok(
            json!({"count": 1, "bills": [bill_record(ORDER, 800, "ALI_WEB", true)]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/1/rest/refund"))
        .respond_with(ok(json!({"url": "https://mapi.alipay.com/refund?id=9"})))
        .mount(&server)
        .await;
    let hub = hub(gateway(&[&server], now, BeeCloudSettings::default()));

    let created = hub
        .create_payment(
            BC,
            &PaymentRequest::new(
                ORDER,
                yuan("8.00"),
                "book",
                "https://n",
                PayMethod::AlipayWeb {
                    return_url: "https://shop.example/back".into(),
                },
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        created.action,
        PaymentAction::HtmlForm {
            html: "<form id=\"alipaysubmit\"></form>".into()
        }
    );

    let refund = hub
        .refund(
            BC,
            &RefundRequest {
                order_no: ORDER.into(),
                provider_trade_no: None,
                refund_no: refund_no.clone(),
                amount: yuan("8.00"),
                total: None,
                reason: None,
                notify_url: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.status, PaymentStatus::Refunding);
    assert_eq!(
        refund.action_url.as_deref(),
        Some("https://mapi.alipay.com/refund?id=9")
    );
    let reqs = requests(&server).await;
    let got: Vec<_> = reqs.iter().map(|r| sent(r, Some(now.ms))).collect();
    assert_eq!(
        got,
        vec![
            (
                "POST".into(),
                "/1/rest/bill".into(),
                json!({"channel": "ALI_WEB", "total_fee": 800, "bill_no": ORDER, "title": "book", "return_url": "https://shop.example/back"})
            ),
            (
                "GET".into(),
                "/1/rest/bills".into(),
                json!({"channel": "WX", "bill_no": ORDER})
            ),
            (
                "GET".into(),
                "/1/rest/bills".into(),
                json!({"channel": "ALI", "bill_no": ORDER})
            ),
            (
                "POST".into(),
                "/1/rest/refund".into(),
                json!({"channel": "ALI", "refund_no": refund_no, "bill_no": ORDER, "refund_fee": 800, "optional": {"bill_no": ORDER}})
            ),
        ]
    );

    // A total that is not BeeCloud's is refused before the refund is sent.
    match hub
        .refund(
            BC,
            &RefundRequest {
                order_no: ORDER.into(),
                provider_trade_no: None,
                refund_no: now.refund_no("A002"),
                amount: yuan("1.00"),
                total: Some(yuan("9.00")),
                reason: None,
                notify_url: None,
            },
        )
        .await
    {
        Err(Error::Invalid { field: "total", .. }) => {}
        other => panic!("{other:?}"),
    }
    // A refund number not dated today is refused by the crate before sending.
    match hub
        .refund(
            BC,
            &RefundRequest {
                order_no: ORDER.into(),
                provider_trade_no: None,
                refund_no: "20150610R0001".into(),
                amount: yuan("1.00"),
                total: None,
                reason: None,
                notify_url: None,
            },
        )
        .await
    {
        Err(Error::BeeCloud(e @ beecloud::Error::Validation { .. })) => {
            assert!(e.to_string().contains("refund_no"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let reqs = requests(&server).await;
    assert!(
        reqs[4..].iter().all(|r| r.url.path() == "/1/rest/bills"),
        "no refund was posted after the first"
    );
}

#[tokio::test]
async fn a_finished_refund_is_read_from_refunds_alone_in_the_configured_group() {
    let server = MockServer::start().await;
    let now = Now::new();
    let refund_no = now.refund_no("U001");
    let rec = |finish: bool, result: bool| json!({"count": 1, "refunds": [{"bill_no": ORDER, "refund_no": refund_no, "total_fee": 300, "refund_fee": 300, "finish": finish, "result": result, "created_time": 1_433_903_704_000u64}]});
    Mock::given(method("GET"))
        .and(path("/1/rest/refunds"))
        .and(ParaChannel("UN"))
        .respond_with(ok(rec(true, true)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/1/rest/refunds"))
        .and(ParaChannel("UN"))
        .respond_with(ok(rec(true, false)))
        .mount(&server)
        .await;
    let settings = BeeCloudSettings {
        query_channels: vec![RefundChannel::Un],
        ..BeeCloudSettings::default()
    };
    let hub = hub(gateway(&[&server], now, settings));
    let q = RefundQuery {
        order_no: ORDER.into(),
        refund_no: refund_no.clone(),
    };

    let done = hub.query_refund(BC, &q).await.unwrap();
    assert_eq!(
        (done.status, done.amount),
        (
            PaymentStatus::Refunded(RefundExtent::Full),
            Some(yuan("3.00"))
        )
    );
    let rejected = hub.query_refund(BC, &q).await.unwrap();
    assert_eq!(rejected.status, PaymentStatus::Failed);
    let reqs = requests(&server).await;
    assert_eq!(
        reqs.len(),
        2,
        "one group asked, no refund/status outside WX"
    );
    for r in &reqs {
        assert_eq!(
            sent(r, Some(now.ms)),
            (
                "GET".into(),
                "/1/rest/refunds".into(),
                json!({"channel": "UN", "bill_no": ORDER, "refund_no": refund_no})
            )
        );
    }
}

#[tokio::test]
async fn an_unknown_bill_is_an_error_after_every_group() {
    let server = MockServer::start().await;
    let now = Now::new();
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(ok(json!({"count": 0, "bills": []})))
        .mount(&server)
        .await;
    let hub = hub(gateway(&[&server], now, BeeCloudSettings::default()));
    match hub
        .query_payment(BC, &PaymentQuery::by_order_no("NOPE1"))
        .await
    {
        Err(e @ Error::NotFound { provider: BC, .. }) => {
            assert!(e.to_string().contains("NOPE1"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let channels: Vec<Value> = requests(&server)
        .await
        .iter()
        .map(|r| para_of(r).unwrap()["channel"].clone())
        .collect();
    assert_eq!(channels, vec![json!("WX"), json!("ALI"), json!("UN")]);
}

#[tokio::test]
async fn queries_fail_over_along_the_host_list() {
    let (down, up) = (MockServer::start().await, MockServer::start().await);
    let now = Now::new();
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&down)
        .await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(ok(
            json!({"count": 1, "bills": [bill_record(ORDER, 1, "WX_APP", false)]}),
        ))
        .mount(&up)
        .await;
    let hub = hub(gateway(&[&down, &up], now, BeeCloudSettings::default()));
    let p = hub
        .query_payment(BC, &PaymentQuery::by_order_no(ORDER))
        .await
        .unwrap();
    assert_eq!(
        (p.status, p.amount),
        (PaymentStatus::Pending, Some(Money::from_fen(1)))
    );
    assert_eq!(requests(&down).await.len(), 1);
    assert_eq!(requests(&up).await.len(), 1);
}

#[tokio::test]
async fn each_channel_answer_maps_to_its_action() {
    let server = MockServer::start().await;
    let now = Now::new();
    let answers = [
        (
            "WX_APP",
            json!({"app_id": "wxapp1", "partner_id": "1900000109", "package": "Sign=WXPay", "nonce_str": "n1", "timestamp": "1433903704000", "pay_sign": "PS1", "prepay_id": "wx201410272009395522657a690389285100"}),
        ),
        (
            "WX_JSAPI",
            json!({"app_id": "wxmp1", "package": "prepay_id=wx2", "nonce_str": "n2", "timestamp": "1433903704001", "pay_sign": "PS2", "sign_type": "MD5"}),
        ),
        (
            "ALI_APP",
            json!({"order_string": "partner=\"2088\"&sign=\"x\""}),
        ),
        (
            "ALI_QRCODE",
            json!({"url": "https://mapi.alipay.com/qr?id=1", "html": "<form></form>"}),
        ),
        ("UN_APP", json!({"tn": "201506101035040000001"})),
        (
            "UN_WEB",
            json!({"html": "<form action=\"https://gateway.95516.com\"></form>"}),
        ),
    ];
    for (ch, answer) in answers {
        Mock::given(method("POST"))
            .and(path("/1/rest/bill"))
            .and(body_partial_json(json!({"channel": ch})))
            .respond_with(ok(answer))
            .mount(&server)
            .await;
    }
    let settings = BeeCloudSettings {
        alipay_qr_return_url: Some("https://shop.example/qr-back".into()),
        alipay_qr_pay_mode: Some(QrPayMode::MiniFront),
        ..BeeCloudSettings::default()
    };
    let hub = hub(gateway(&[&server], now, settings));
    let cases = [
        (
            PayMethod::WechatApp {
                app_id: "wxapp1".into(),
            },
            PaymentAction::WechatApp(WechatAppParams {
                app_id: "wxapp1".into(),
                partner_id: "1900000109".into(),
                prepay_id: "wx201410272009395522657a690389285100".into(),
                package: "Sign=WXPay".into(),
                nonce_str: "n1".into(),
                timestamp: "1433903704000".into(),
                sign: "PS1".into(),
            }),
            json!({"channel": "WX_APP"}),
        ),
        (
            PayMethod::WechatJsapi {
                app_id: "wxmp1".into(),
                open_id: "openid-9".into(),
            },
            PaymentAction::WechatJsapi(WechatJsapiParams {
                app_id: "wxmp1".into(),
                time_stamp: "1433903704001".into(),
                nonce_str: "n2".into(),
                package: "prepay_id=wx2".into(),
                sign_type: "MD5".into(),
                pay_sign: "PS2".into(),
            }),
            json!({"channel": "WX_JSAPI", "openid": "openid-9"}),
        ),
        (
            PayMethod::AlipayApp,
            PaymentAction::AlipayApp {
                order_string: "partner=\"2088\"&sign=\"x\"".into(),
            },
            json!({"channel": "ALI_APP"}),
        ),
        (
            PayMethod::AlipayQr,
            PaymentAction::Redirect {
                url: "https://mapi.alipay.com/qr?id=1".into(),
            },
            json!({"channel": "ALI_QRCODE", "return_url": "https://shop.example/qr-back", "qr_pay_mode": "3"}),
        ),
        (
            PayMethod::UnionPayApp,
            PaymentAction::UnionPayApp {
                tn: "201506101035040000001".into(),
            },
            json!({"channel": "UN_APP"}),
        ),
        (
            PayMethod::UnionPayWeb {
                return_url: "https://shop.example/un-back".into(),
            },
            PaymentAction::HtmlForm {
                html: "<form action=\"https://gateway.95516.com\"></form>".into(),
            },
            json!({"channel": "UN_WEB", "return_url": "https://shop.example/un-back"}),
        ),
    ];
    for (i, (m, action, extra)) in cases.into_iter().enumerate() {
        let name = m.name();
        let order = format!("PH{i}");
        let created = hub
            .create_payment(
                BC,
                &PaymentRequest::new(order.clone(), Money::from_fen(250), "t", "https://n", m),
            )
            .await
            .unwrap();
        assert_eq!(created.action, action, "{name}");
        let reqs = requests(&server).await;
        let (verb, p, mut fields) = sent(&reqs[i], Some(now.ms));
        assert_eq!(
            (verb.as_str(), p.as_str()),
            ("POST", "/1/rest/bill"),
            "{name}"
        );
        let mut expected = json!({"total_fee": 250, "bill_no": order, "title": "t"});
        expected
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_eq!(fields.take(), expected, "{name}");
    }
    // Without the configured return URL, AlipayQr is refused before sending.
    let bare = hub_with_defaults(&server, now);
    match bare
        .create_payment(
            BC,
            &PaymentRequest::new(
                "PHQ",
                Money::from_fen(1),
                "t",
                "https://n",
                PayMethod::AlipayQr,
            ),
        )
        .await
    {
        Err(Error::Config(msg)) => assert!(msg.contains("alipay_qr_return_url"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await.len(), 6);
}

/// Answers §4 with those of its bills `(bill_no, total_fee, paid)` whose `bill_no` is the one
/// queried, in any channel group.
struct Bills(Vec<(&'static str, u64, bool)>);

impl Respond for Bills {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let queried = para_of(req).and_then(|p| p.get("bill_no").cloned());
        let bills: Vec<Value> = self
            .0
            .iter()
            .filter(|(no, ..)| queried == Some(json!(no)))
            .map(|&(no, fee, paid)| bill_record(no, fee, "WX_NATIVE", paid))
            .collect();
        ok(json!({"count": bills.len(), "bills": bills}))
    }
}

/// Mounts the §4 answers the hub's confirmation of payment webhooks reads.
async fn mount_bills(server: &MockServer, bills: Vec<(&'static str, u64, bool)>) {
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(Bills(bills))
        .mount(server)
        .await;
}

fn hub_with_defaults(server: &MockServer, now: Now) -> Hub {
    hub(gateway(&[server], now, BeeCloudSettings::default()))
}

struct NotifyFixture {
    hub: Hub,
    orders: MemoryOrders,
    calls: Arc<AtomicUsize>,
    seen: Seen,
    now: Now,
}

async fn notify_fixture(server: &MockServer) -> NotifyFixture {
    let now = Now::new();
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::BeeCloud, ORDER, yuan("12.34"));
    NotifyFixture {
        hub: hub_with_defaults(server, now),
        orders,
        calls: Default::default(),
        seen: Default::default(),
        now,
    }
}

fn refused(r: Result<&'static str, Error>) -> String {
    match r {
        Err(Error::Notify(NotifyError::Verification {
            provider: BC,
            reason,
        })) => reason,
        other => panic!("expected a verification error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_tampered_webhook_is_refused_and_never_delivered() {
    let server = MockServer::start().await;
    let f = notify_fixture(&server).await;
    let mut v: Value =
        serde_json::from_slice(&v2_webhook(ORDER, "PAY", "WX", 1234, f.now.ms, json!({}))).unwrap();
    v["transaction_fee"] = json!(1);
    let reason = refused(
        deliver(
            &f.hub,
            &serde_json::to_vec(&v).unwrap(),
            &f.orders,
            &f.calls,
            &f.seen,
            false,
        )
        .await,
    );
    assert!(reason.contains("signature"), "{reason}");
    let mut v: Value =
        serde_json::from_slice(&v2_webhook(ORDER, "PAY", "WX", 1234, f.now.ms, json!({}))).unwrap();
    v["transaction_id"] = json!("PH2026112200002");
    refused(
        deliver(
            &f.hub,
            &serde_json::to_vec(&v).unwrap(),
            &f.orders,
            &f.calls,
            &f.seen,
            false,
        )
        .await,
    );
    // Signed with another secret.
    let mut v: Value =
        serde_json::from_slice(&v2_webhook(ORDER, "PAY", "WX", 1234, f.now.ms, json!({}))).unwrap();
    v["signature"] = json!(md5(&format!("{APP_ID}{ORDER}PAYWX1234not-the-secret")));
    refused(
        deliver(
            &f.hub,
            &serde_json::to_vec(&v).unwrap(),
            &f.orders,
            &f.calls,
            &f.seen,
            false,
        )
        .await,
    );
    // Correctly signed but outside the timestamp window (a replay).
    let stale = v2_webhook(ORDER, "PAY", "WX", 1234, f.now.ms - 3_600_000, json!({}));
    let reason = refused(deliver(&f.hub, &stale, &f.orders, &f.calls, &f.seen, false).await);
    assert!(reason.contains("timestamp"), "{reason}");
    // A refund webhook that names no bill cannot be mapped to an order.
    let orphan = v2_webhook(
        &f.now.refund_no("R009"),
        "REFUND",
        "WX",
        100,
        f.now.ms,
        json!({}),
    );
    let reason = refused(deliver(&f.hub, &orphan, &f.orders, &f.calls, &f.seen, false).await);
    assert!(reason.contains("names no bill"), "{reason}");
    assert_eq!(f.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn amount_mismatch_and_unknown_order_are_refused() {
    let server = MockServer::start().await;
    // The bill query confirms both (BeeCloud did take 9.99 and knows PH404): the merchant's own
    // records refuse them.
    mount_bills(&server, vec![(ORDER, 999, true), ("PH404", 1234, true)]).await;
    let f = notify_fixture(&server).await;
    let cheaper = v2_webhook(ORDER, "PAY", "WX", 999, f.now.ms, json!({}));
    match deliver(&f.hub, &cheaper, &f.orders, &f.calls, &f.seen, false).await {
        Err(Error::Notify(NotifyError::AmountMismatch {
            provider: BC,
            order_no,
            expected,
            got,
        })) => {
            assert_eq!(
                (order_no.as_str(), expected, got),
                (ORDER, yuan("12.34"), yuan("9.99"))
            );
        }
        other => panic!("{other:?}"),
    }
    // A refund of more than the order.
    let too_much = v2_webhook(
        &f.now.refund_no("R001"),
        "REFUND",
        "WX",
        1235,
        f.now.ms,
        json!({"bill_no": ORDER}),
    );
    assert!(matches!(
        deliver(&f.hub, &too_much, &f.orders, &f.calls, &f.seen, false).await,
        Err(Error::Notify(NotifyError::AmountMismatch { .. }))
    ));
    let unknown = v2_webhook("PH404", "PAY", "WX", 1234, f.now.ms, json!({}));
    match deliver(&f.hub, &unknown, &f.orders, &f.calls, &f.seen, false).await {
        Err(Error::Notify(NotifyError::UnknownOrder {
            provider: BC,
            order_no,
        })) => assert_eq!(order_no, "PH404"),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_duplicate_is_acknowledged_but_delivered_once() {
    let server = MockServer::start().await;
    mount_bills(&server, vec![(ORDER, 1234, true)]).await;
    let f = notify_fixture(&server).await;
    let body = v2_webhook(ORDER, "PAY", "WX", 1234, f.now.ms, json!({}));
    assert_eq!(
        deliver(&f.hub, &body, &f.orders, &f.calls, &f.seen, false)
            .await
            .unwrap(),
        "success"
    );
    assert_eq!(
        deliver(&f.hub, &body, &f.orders, &f.calls, &f.seen, false)
            .await
            .unwrap(),
        "success"
    );
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failed_callback_is_not_acknowledged_and_the_retry_is_delivered() {
    let server = MockServer::start().await;
    mount_bills(&server, vec![(ORDER, 1234, true)]).await;
    let f = notify_fixture(&server).await;
    let body = v2_webhook(ORDER, "PAY", "WX", 1234, f.now.ms, json!({}));
    match deliver(&f.hub, &body, &f.orders, &f.calls, &f.seen, true).await {
        Err(Error::Notify(NotifyError::Callback(e))) => {
            assert!(e.to_string().contains("database down"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
    // BeeCloud resends the same webhook: it is processed again.
    assert_eq!(
        deliver(&f.hub, &body, &f.orders, &f.calls, &f.seen, false)
            .await
            .unwrap(),
        "success"
    );
    assert_eq!(f.calls.load(Ordering::SeqCst), 2);
    assert_eq!(f.seen.lock().unwrap()[1].status, PaymentStatus::Succeeded);
    // Once processed, a further resend is only acknowledged.
    assert_eq!(
        deliver(&f.hub, &body, &f.orders, &f.calls, &f.seen, false)
            .await
            .unwrap(),
        "success"
    );
    assert_eq!(f.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_v1_scheme_verifies_by_config_and_a_gateway_without_webhook_refuses() {
    let server = MockServer::start().await;
    let now = Now::new();
    let gw = BeeCloudGateway::new(
        client(&[&server], now, Some(WebhookConfig::v1(APP_SECRET))),
        BeeCloudSettings::default(),
    );
    let ok = gw
        .parse_notification(&http::HeaderMap::new(), &v1_webhook(ORDER, 800, now.ms))
        .unwrap()
        .into_inner();
    assert_eq!(
        (ok.kind, ok.order_no.as_str(), ok.amount, ok.status),
        (
            NotificationKind::Payment,
            ORDER,
            yuan("8.00"),
            PaymentStatus::Succeeded
        )
    );
    assert_eq!(ok.raw["messageDetail"]["trade_no"], "2015061000001");
    // V1 signs the timestamp: changing it breaks the signature.
    let mut v: Value = serde_json::from_slice(&v1_webhook(ORDER, 800, now.ms)).unwrap();
    v["timestamp"] = json!(now.ms + 1);
    assert!(matches!(
        gw.parse_notification(&http::HeaderMap::new(), &serde_json::to_vec(&v).unwrap()),
        Err(Error::Notify(NotifyError::Verification {
            provider: BC,
            ..
        }))
    ));
    // A V2 webhook is not a V1 webhook.
    assert!(matches!(
        gw.parse_notification(
            &http::HeaderMap::new(),
            &v2_webhook(ORDER, "PAY", "WX", 800, now.ms, json!({}))
        ),
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));

    let none = BeeCloudGateway::new(client(&[&server], now, None), BeeCloudSettings::default());
    assert!(matches!(
        none.parse_notification(&http::HeaderMap::new(), &v1_webhook(ORDER, 800, now.ms)),
        Err(Error::Config(_))
    ));
    assert_eq!(none.ack(), "success");
}

#[test]
fn every_beecloud_state_maps_to_its_unified_status() {
    use PaymentStatus::*;
    let bills = [(BillState::Paid, Succeeded), (BillState::NotPaid, Pending)];
    for (s, want) in bills {
        assert_eq!(PaymentStatus::from(s), want, "{s:?}");
    }
    let refunds = [
        (RefundState::Processing, Refunding),
        (RefundState::RefundedFull, Refunded(RefundExtent::Full)),
        (
            RefundState::RefundedPartial,
            Refunded(RefundExtent::Partial),
        ),
        (RefundState::Rejected, Failed),
    ];
    for (s, want) in refunds {
        assert_eq!(PaymentStatus::from(s), want, "{s:?}");
    }
    let wx = [
        (
            "SUCCESS",
            WxRefundStatus::Success,
            Refunded(RefundExtent::Unknown),
        ),
        ("PROCESSING", WxRefundStatus::Processing, Refunding),
        ("FAIL", WxRefundStatus::Fail, Failed),
        ("NOTSURE", WxRefundStatus::NotSure, Refunding),
        ("CHANGE", WxRefundStatus::Change, Refunding),
        (
            "REFUNDCLOSE",
            WxRefundStatus::Unknown("REFUNDCLOSE".into()),
            Pending,
        ),
    ];
    for (raw, s, want) in wx {
        assert_eq!(WxRefundStatus::from_wire(raw), s, "{raw}");
        assert_eq!(PaymentStatus::from(s), want, "{raw}");
    }
    let hooks = [
        (WebhookState::Paid, Succeeded),
        (WebhookState::PayUnconfirmed, Pending),
        (WebhookState::Refunded, Refunded(RefundExtent::Unknown)),
        (WebhookState::RefundUnconfirmed, Refunding),
    ];
    for (s, want) in hooks {
        assert_eq!(PaymentStatus::from(s), want, "{s:?}");
    }
}

#[tokio::test]
async fn an_unconfirmed_payment_webhook_is_pending() {
    let server = MockServer::start().await;
    mount_bills(&server, vec![(ORDER, 1234, false)]).await;
    let f = notify_fixture(&server).await;
    let mut v: Value =
        serde_json::from_slice(&v2_webhook(ORDER, "PAY", "WX", 1234, f.now.ms, json!({}))).unwrap();
    v["trade_success"] = json!(false);
    assert_eq!(
        deliver(
            &f.hub,
            &serde_json::to_vec(&v).unwrap(),
            &f.orders,
            &f.calls,
            &f.seen,
            false
        )
        .await
        .unwrap(),
        "success"
    );
    assert_eq!(f.seen.lock().unwrap()[0].status, PaymentStatus::Pending);
}

fn not_confirmed(r: Result<&'static str, Error>) -> String {
    match r {
        Err(Error::Notify(NotifyError::NotConfirmed {
            provider: BC,
            order_no,
            reason,
        })) => {
            assert_eq!(order_no, ORDER);
            reason
        }
        other => panic!("expected NotConfirmed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_flipped_or_forged_paid_webhook_is_refused_when_the_bill_says_otherwise() {
    let server = MockServer::start().await;
    let f = notify_fixture(&server).await;
    mount_bills(&server, vec![(ORDER, 1234, false)]).await;
    let v1_gw = BeeCloudGateway::new(
        client(&[&server], f.now, Some(WebhookConfig::v1(APP_SECRET))),
        BeeCloudSettings::default(),
    );
    let v2_gw = gateway(&[&server], f.now, BeeCloudSettings::default());
    // `trade_success` is signed by neither scheme: both ask the hub to confirm.
    assert!(v1_gw.confirm_by_query() && v2_gw.confirm_by_query());

    // V2: a captured `trade_success = false` webhook flipped to `true` keeps its signature.
    let mut v: Value =
        serde_json::from_slice(&v2_webhook(ORDER, "PAY", "WX", 1234, f.now.ms, json!({}))).unwrap();
    v["trade_success"] = json!(false);
    let captured = serde_json::to_vec(&v).unwrap();
    assert_eq!(
        v2_gw
            .parse_notification(&http::HeaderMap::new(), &captured)
            .unwrap()
            .status,
        PaymentStatus::Pending
    );
    v["trade_success"] = json!(true);
    let flipped = serde_json::to_vec(&v).unwrap();
    assert_eq!(
        v2_gw
            .parse_notification(&http::HeaderMap::new(), &flipped)
            .unwrap()
            .status,
        PaymentStatus::Succeeded,
        "the signature does not cover trade_success"
    );
    let reason =
        not_confirmed(deliver(&f.hub, &flipped, &f.orders, &f.calls, &f.seen, false).await);
    assert!(reason.contains("notified succeeded"), "{reason}");

    // V1: a forged webhook for the order's own amount, on a bill that is unpaid, then on a
    // bill paid for another amount.
    let v1_hub = hub(v1_gw);
    let forged = v1_webhook(ORDER, 1234, f.now.ms);
    not_confirmed(deliver(&v1_hub, &forged, &f.orders, &f.calls, &f.seen, false).await);
    server.reset().await;
    mount_bills(&server, vec![(ORDER, 800, true)]).await;
    let reason =
        not_confirmed(deliver(&v1_hub, &forged, &f.orders, &f.calls, &f.seen, false).await);
    assert!(reason.contains("amount"), "{reason}");

    assert_eq!(f.calls.load(Ordering::SeqCst), 0, "nothing delivered");
    // Every refusal came after a bill query naming the order.
    let reqs = requests(&server).await;
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert_eq!(r.url.path(), "/1/rest/bills");
        assert_eq!(sent(r, Some(f.now.ms)).2["bill_no"], ORDER);
    }
}

fn toml_for(base_url: &str, extra: &str) -> String {
    format!(
        "[beecloud]\napp_id = \"{APP_ID}\"\napp_key_env = \"BC_APP_KEY\"\nbase_url = \"{base_url}\"\nhost_order = \"in_order\"\nquery_channels = [\"ALI\"]\nwebhook = \"v2\"\nwebhook_secret_env = \"BC_MASTER_SECRET\"\n{extra}"
    )
}

fn env_with(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[tokio::test]
async fn the_hub_builds_beecloud_from_toml_with_secrets_from_the_environment() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/1/rest/bill"))
        .respond_with(ok(json!({"tn": "T1"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(ok(
            json!({"count": 1, "bills": [bill_record(ORDER, 1234, "ALI_APP", true)]}),
        ))
        .mount(&server)
        .await;
    let env = env_with(&[("BC_APP_KEY", APP_KEY), ("BC_MASTER_SECRET", MASTER_SECRET)]);
    let hub = Hub::from_toml_str_with_env(&toml_for(&server.uri(), ""), &env).unwrap();
    assert_eq!(hub.providers(), vec![BC]);

    let created = hub
        .create_payment(
            BC,
            &PaymentRequest::new(
                ORDER,
                yuan("12.34"),
                "t",
                "https://n",
                PayMethod::UnionPayApp,
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        created.action,
        PaymentAction::UnionPayApp { tn: "T1".into() }
    );
    let p = hub
        .query_payment(BC, &PaymentQuery::by_order_no(ORDER))
        .await
        .unwrap();
    assert_eq!(p.status, PaymentStatus::Succeeded);
    let reqs = requests(&server).await;
    // The app key from the environment signs the calls (the timestamp is the system clock's).
    assert_eq!(sent(&reqs[0], None).2["total_fee"], 1234);
    assert_eq!(
        sent(&reqs[1], None).2,
        json!({"channel": "ALI", "bill_no": ORDER})
    );

    // The master secret from the environment verifies webhooks.
    let now_ms = (SystemClock.now().unix_timestamp_nanos() / 1_000_000) as i64;
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::BeeCloud, ORDER, yuan("12.34"));
    let ack = hub
        .handle_notification_with(
            BC,
            &http::HeaderMap::new(),
            &v2_webhook(ORDER, "PAY", "ALI", 1234, now_ms, json!({})),
            &orders,
            |_| async { Ok::<(), std::io::Error>(()) },
        )
        .await
        .unwrap();
    assert_eq!(ack, "success");
}

#[test]
fn toml_errors_name_the_variable_never_the_secret() {
    let text = toml_for("http://127.0.0.1:9", "");
    let missing_master = env_with(&[("BC_APP_KEY", APP_KEY)]);
    match Hub::from_toml_str_with_env(&text, &missing_master) {
        Err(Error::Config(msg)) => {
            assert!(msg.contains("BC_MASTER_SECRET"), "{msg}");
            assert!(!msg.contains(APP_KEY), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    let missing_key = env_with(&[("BC_MASTER_SECRET", MASTER_SECRET), ("BC_APP_KEY", "")]);
    match Hub::from_toml_str_with_env(&text, &missing_key) {
        Err(Error::Config(msg)) => {
            assert!(msg.contains("BC_APP_KEY"), "{msg}");
            assert!(!msg.contains(MASTER_SECRET), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    let env = env_with(&[("BC_APP_KEY", APP_KEY), ("BC_MASTER_SECRET", MASTER_SECRET)]);
    let bad = [
        ("environment = \"test\"\n", "exactly one"),
        ("query_channels2 = []\n", "unknown key"),
        ("alipay_qr_pay_mode = \"2\"\n", "alipay_qr_pay_mode"),
    ];
    for (extra, want) in bad {
        match Hub::from_toml_str_with_env(&toml_for("http://127.0.0.1:9", extra), &env) {
            Err(Error::Config(msg)) => {
                assert!(msg.contains(want), "{extra}: {msg}");
                assert!(
                    !msg.contains(APP_KEY) && !msg.contains(MASTER_SECRET),
                    "{msg}"
                );
            }
            other => panic!("{extra}: {other:?}"),
        }
    }
    // V1 with the timestamp check off is refused: V1 signs nothing else.
    let v1 =
        text.replace("webhook = \"v2\"", "webhook = \"v1\"") + "webhook_check_timestamp = false\n";
    match Hub::from_toml_str_with_env(&v1, &env) {
        Err(Error::Config(msg)) => assert!(msg.contains("webhook_check_timestamp"), "{msg}"),
        other => panic!("{other:?}"),
    }
    let v2_skip = text.clone() + "webhook_check_timestamp = false\nwebhook_tolerance_secs = 60\n";
    assert!(Hub::from_toml_str_with_env(&v2_skip, &env).is_ok());
}

const TEST_SECRET: &str = "test-mode-secret";

/// A V1Snake webhook (snake_case, `sign = md5(app_id + secret + timestamp)`).
fn v1_snake_webhook(secret: &str, id: &str, fee: u64, ts: i64) -> Vec<u8> {
    let sign = md5(&format!("{APP_ID}{secret}{ts}"));
    serde_json::to_vec(&json!({
        "sign": sign, "timestamp": ts, "channel_type": "ALI", "sub_channel_type": "ALI_WEB",
        "transaction_type": "PAY", "transaction_id": id, "transaction_fee": fee,
        "channel_transaction_id": "2015061000001000990059469866", "trade_success": true,
        "message_detail": {"trade_no": "2015061000001000990059469866"}, "optional": {}
    }))
    .unwrap()
}

fn v1_snake_toml(base_url: &str, extra: &str) -> String {
    toml_for(base_url, extra)
        .replace("webhook = \"v2\"", "webhook = \"v1_snake\"")
        .replace("BC_MASTER_SECRET", "BC_APP_SECRET")
}

#[tokio::test]
async fn the_v1_snake_scheme_from_toml_is_confirmed_by_the_bill_query() {
    let server = MockServer::start().await;
    mount_bills(&server, vec![(ORDER, 1234, true)]).await;
    let env = env_with(&[("BC_APP_KEY", APP_KEY), ("BC_APP_SECRET", APP_SECRET)]);
    let hub = Hub::from_toml_str_with_env(&v1_snake_toml(&server.uri(), ""), &env).unwrap();
    let now_ms = (SystemClock.now().unix_timestamp_nanos() / 1_000_000) as i64;
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::BeeCloud, ORDER, yuan("12.34"));
    let (calls, seen): (Arc<AtomicUsize>, Seen) = Default::default();

    // A genuine paid webhook: delivered once the bill query shows the bill paid for 12.34.
    let genuine = v1_snake_webhook(APP_SECRET, ORDER, 1234, now_ms);
    assert_eq!(
        deliver(&hub, &genuine, &orders, &calls, &seen, false)
            .await
            .unwrap(),
        "success"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let n = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (n.kind, n.order_no.as_str(), n.amount, n.status),
        (
            NotificationKind::Payment,
            ORDER,
            yuan("12.34"),
            PaymentStatus::Succeeded
        )
    );
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 1, "one bill query confirmed it");
    assert_eq!(
        sent(&reqs[0], None).2,
        json!({"channel": "ALI", "bill_no": ORDER})
    );

    // V1Snake signs only the timestamp: a forgery for the order's amount on a captured
    // (timestamp, sign) verifies, and the bill query (unpaid) refuses it. (A fresh hub: the
    // first one would acknowledge the repeat as a duplicate.)
    server.reset().await;
    mount_bills(&server, vec![(ORDER, 1234, false)]).await;
    let hub = Hub::from_toml_str_with_env(&v1_snake_toml(&server.uri(), ""), &env).unwrap();
    let orders2 = MemoryOrders::default();
    orders2.insert(payhub::Provider::BeeCloud, ORDER, yuan("12.34"));
    let forged = v1_snake_webhook(APP_SECRET, ORDER, 1234, now_ms);
    not_confirmed(deliver(&hub, &forged, &orders2, &calls, &seen, false).await);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the forgery is not delivered"
    );
    assert_eq!(requests(&server).await.len(), 1);

    // The signature covers the timestamp; a V2 body is not a V1Snake one; a stale one is
    // refused.
    let mut v: Value = serde_json::from_slice(&genuine).unwrap();
    v["timestamp"] = json!(now_ms + 1);
    refused(
        deliver(
            &hub,
            &serde_json::to_vec(&v).unwrap(),
            &orders2,
            &calls,
            &seen,
            false,
        )
        .await,
    );
    refused(
        deliver(
            &hub,
            &v2_webhook(ORDER, "PAY", "ALI", 1234, now_ms, json!({})),
            &orders2,
            &calls,
            &seen,
            false,
        )
        .await,
    );
    let stale = v1_snake_webhook(APP_SECRET, ORDER, 1234, now_ms - 3_600_000);
    let reason = refused(deliver(&hub, &stale, &orders2, &calls, &seen, false).await);
    assert!(reason.contains("timestamp"), "{reason}");
    // A field outside its grammar is named.
    let mut v: Value = serde_json::from_slice(&genuine).unwrap();
    v["channel_type"] = json!("");
    let reason = refused(
        deliver(
            &hub,
            &serde_json::to_vec(&v).unwrap(),
            &orders2,
            &calls,
            &seen,
            false,
        )
        .await,
    );
    assert!(reason.contains("channel_type"), "{reason}");
}

#[tokio::test]
async fn v1_snake_test_mode_is_a_toml_choice_with_the_test_secret() {
    let server = MockServer::start().await;
    let env = env_with(&[("BC_APP_KEY", APP_KEY), ("BC_APP_SECRET", TEST_SECRET)]);
    let text = v1_snake_toml(&server.uri(), "webhook_test_mode = true\n");
    let hub = Hub::from_toml_str_with_env(&text, &env).unwrap();
    let now_ms = (SystemClock.now().unix_timestamp_nanos() / 1_000_000) as i64;
    let gw = hub.gateway(BC).unwrap();
    let n = gw
        .parse_notification(
            &http::HeaderMap::new(),
            &v1_snake_webhook(TEST_SECRET, ORDER, 1234, now_ms),
        )
        .unwrap();
    assert_eq!(n.order_no, ORDER);
    assert!(gw.confirm_by_query());
    // Signed with the App Secret instead: refused.
    assert!(matches!(
        gw.parse_notification(
            &http::HeaderMap::new(),
            &v1_snake_webhook(APP_SECRET, ORDER, 1234, now_ms)
        ),
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));

    let bad = [
        (
            v1_snake_toml("http://127.0.0.1:9", "webhook_test_mode = \"yes\"\n"),
            "webhook_test_mode",
        ),
        (
            toml_for("http://127.0.0.1:9", "webhook_test_mode = true\n"),
            "v1_snake",
        ),
        (
            v1_snake_toml("http://127.0.0.1:9", "webhook_check_timestamp = false\n"),
            "webhook_check_timestamp",
        ),
        (
            toml_for("http://127.0.0.1:9", "").replace("\"v2\"", "\"v3\""),
            "\"v1_snake\"",
        ),
    ];
    let env = env_with(&[
        ("BC_APP_KEY", APP_KEY),
        ("BC_APP_SECRET", APP_SECRET),
        ("BC_MASTER_SECRET", MASTER_SECRET),
    ]);
    for (text, want) in bad {
        match Hub::from_toml_str_with_env(&text, &env) {
            Err(Error::Config(msg)) => {
                assert!(msg.contains(want), "{text}: {msg}");
                assert!(!msg.contains(APP_SECRET), "{msg}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_transfer_or_a_resplit_v2_webhook_is_refused() {
    let server = MockServer::start().await;
    let f = notify_fixture(&server).await;
    // TRANSFER is a typed, signed type, but not a payment or a refund of an order.
    let transfer = v2_webhook(ORDER, "TRANSFER", "WX", 1234, f.now.ms, json!({}));
    let reason = refused(deliver(&f.hub, &transfer, &f.orders, &f.calls, &f.seen, false).await);
    assert!(reason.contains("TRANSFER"), "{reason}");
    // Issue 11's forgery: a genuine PAY of 10 fen re-split as channel "WX1", fee 0.
    let genuine = v2_webhook(ORDER, "PAY", "WX", 10, f.now.ms, json!({}));
    let mut v: Value = serde_json::from_slice(&genuine).unwrap();
    v["channel_type"] = json!("WX1");
    v["transaction_fee"] = json!(0);
    let reason = refused(
        deliver(
            &f.hub,
            &serde_json::to_vec(&v).unwrap(),
            &f.orders,
            &f.calls,
            &f.seen,
            false,
        )
        .await,
    );
    assert!(reason.contains("channel_type"), "{reason}");
    assert_eq!(f.calls.load(Ordering::SeqCst), 0);
    assert!(
        requests(&server).await.is_empty(),
        "refused before any query"
    );
}
