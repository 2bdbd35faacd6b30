//! Pooul through the payhub facade, against wiremock on 127.0.0.1: Pooul's side is played by
//! a freshly generated "Pooul" RSA key that signs every answer and notify JWT; every request
//! is read back and verified with the merchant's public key.
#![cfg(feature = "pooul")]

use payhub::adapters::pooul::{PooulGateway, WechatH5App};
use payhub::notify::MemoryOrders;
use payhub::{
    Error, Hub, Notification, NotificationKind, NotifyError, PayMethod, PaymentAction,
    PaymentQuery, PaymentRequest, PaymentStatus, Provider, RefundExtent, RefundQuery,
    RefundRequest, WechatAppParams, WechatJsapiParams,
};
use paysig::http::HttpConfig;
use paysig::{ExposeSecret, Money, RsaPrivateKey, Verified};
use pooul::{Client, Config, Environment, MchAppType, RefundStatus, ReverseDelay, TradeState};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MID: &str = "5399355381712172";
const NOTIFY_URL: &str = "https://shop.example/notify/pooul";

struct Keys {
    merchant: RsaPrivateKey,
    pooul: RsaPrivateKey,
    forger: RsaPrivateKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        merchant: RsaPrivateKey::generate_2048().unwrap(),
        pooul: RsaPrivateKey::generate_2048().unwrap(),
        forger: RsaPrivateKey::generate_2048().unwrap(),
    })
}

fn config(base: &str) -> Config {
    let k = keys();
    let mut c = Config::new(
        Environment::Custom(base.parse().unwrap()),
        MID,
        k.merchant.clone(),
        k.pooul.public_key(),
    );
    c.http = HttpConfig {
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    };
    c
}

fn gateway(base: &str) -> PooulGateway {
    PooulGateway::new(Client::new(config(base)).unwrap())
}

fn hub_for(gateway: PooulGateway) -> Hub {
    Hub::builder().gateway(Arc::new(gateway)).build()
}

/// A JWT signed with `key`.
fn jwt(payload: &Value, key: &RsaPrivateKey) -> String {
    paysig::jwt::encode_rs256(payload, key).unwrap()
}

/// A signed Pooul answer `{code: 0, msg, data}`.
fn answer(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_string(jwt(
        &json!({"code": 0, "msg": "success", "data": data, "nonce_str": "5b378a0601c9117d"}),
        &keys().pooul,
    ))
}

/// A signed Pooul answer without `data` (close, reverse, refund).
fn bare_answer() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_string(jwt(&json!({"code": 0, "msg": "success"}), &keys().pooul))
}

async fn mount(server: &MockServer, p: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(p))
        .respond_with(response)
        .mount(server)
        .await;
}

/// Every request received so far: (path, payload), each checked to be a POST to
/// `?merchant_id=<MID>` with a `text/plain` body that is a JWT verifying with the merchant's
/// public key and carrying a fresh 32-character nonce (removed from the payload returned).
async fn sent(server: &MockServer) -> Vec<(String, Value)> {
    let merchant = keys().merchant.public_key();
    let mut out = Vec::new();
    for req in server.received_requests().await.unwrap() {
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(req.url.query(), Some(format!("merchant_id={MID}").as_str()));
        assert_eq!(
            req.headers.get("content-type").unwrap().to_str().unwrap(),
            "text/plain"
        );
        let token = std::str::from_utf8(&req.body).unwrap();
        let mut payload = paysig::jwt::decode_rs256::<Value>(token, &merchant)
            .expect("request JWT verifies with the merchant's public key")
            .into_inner();
        let nonce = payload
            .as_object_mut()
            .unwrap()
            .remove("nonce_str")
            .unwrap();
        assert_eq!(nonce.as_str().unwrap().len(), 32);
        out.push((req.url.path().to_owned(), payload));
    }
    out
}

fn yuan(s: &str) -> Money {
    Money::parse_yuan(s).unwrap()
}

fn pay_notify(order: &str, fen: i64, state: i64) -> Value {
    json!({
        "code": 0,
        "data": {
            "trade_id": "5b3783f101c9117d132f2813", "attach": "a1", "mch_trade_id": order,
            "merchant_id": MID, "pay_type": "wechat.scan", "total_fee": fen,
            "trade_state": state, "trade_info": "支付成功"
        },
        "nonce_str": "wZovMzOCaTJaicnL"
    })
}

fn refund_notify(order: &str, refund_no: &str, fen: i64, status: i64) -> Value {
    json!({
        "code": 0, "msg": "success",
        "data": {
            "trade_id": "5b3783f101c9117d132f2813", "mch_trade_id": order, "merchant_id": MID,
            "pay_type": "wechat.scan",
            "refunds": {"refund_id": "5b34ba3d01c9112ae61fb8c1", "mch_refund_id": refund_no,
                        "refund_fee": fen, "refund_desc": "customer", "refund_status": status}
        }
    })
}

/// A callback that records what it saw and counts its calls.
#[derive(Clone, Default)]
struct Seen {
    calls: Arc<AtomicUsize>,
    last: Arc<Mutex<Option<Notification>>>,
}

impl Seen {
    fn ok(
        &self,
    ) -> impl FnOnce(Verified<Notification>) -> std::future::Ready<Result<(), std::convert::Infallible>>
    {
        let seen = self.clone();
        move |event| {
            seen.calls.fetch_add(1, Ordering::SeqCst);
            *seen.last.lock().unwrap() = Some(event.into_inner());
            std::future::ready(Ok(()))
        }
    }

    fn failing(
        &self,
    ) -> impl FnOnce(Verified<Notification>) -> std::future::Ready<Result<(), std::io::Error>> {
        let seen = self.clone();
        move |_| {
            seen.calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Err(std::io::Error::other("database down")))
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn last(&self) -> Notification {
        self.last.lock().unwrap().clone().expect("a notification")
    }
}

#[tokio::test]
async fn scenario_create_notify_query_refund_query_refund_close() {
    let server = MockServer::start().await;
    let hub = hub_for(gateway(&server.uri()));
    let h = http::HeaderMap::new();

    // create: wechat.scan → QR code
    mount(
        &server,
        "/v2/pay",
        answer(json!({
            "code_url": "weixin://wxpay/bizpayurl?pr=oB8TuWO",
            "prepay_id": "wx302121541410392cf43ee7773887304578",
            "trade_id": "5b3783f101c9117d132f2813", "mch_trade_id": "T1001", "merchant_id": MID
        })),
    )
    .await;
    let request = PaymentRequest::new(
        "T1001",
        yuan("9.90"),
        "coffee",
        NOTIFY_URL,
        PayMethod::WechatNative,
    )
    .client_ip("10.0.0.8")
    .attach("a1");
    let created = hub.create_payment(Provider::Pooul, &request).await.unwrap();
    assert_eq!(created.provider, Provider::Pooul);
    assert_eq!(created.order_no, "T1001");
    assert_eq!(
        created.provider_trade_no.as_deref(),
        Some("5b3783f101c9117d132f2813")
    );
    assert_eq!(
        created.action,
        PaymentAction::QrCode {
            content: "weixin://wxpay/bizpayurl?pr=oB8TuWO".into()
        }
    );
    let requests = sent(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].0, "/v2/pay");
    assert_eq!(
        requests[0].1,
        json!({
            "pay_type": "wechat.scan", "mch_trade_id": "T1001", "total_fee": 990, "body": "coffee",
            "spbill_create_ip": "10.0.0.8", "notify_url": NOTIFY_URL, "attach": "a1"
        })
    );

    // notify: paid
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Pooul, "T1001", yuan("9.90"));
    let seen = Seen::default();
    let body = jwt(&pay_notify("T1001", 990, 0), &keys().pooul);
    let ack = hub
        .handle_notification_with(Provider::Pooul, &h, body.as_bytes(), &orders, seen.ok())
        .await
        .unwrap();
    assert_eq!(ack, "success");
    assert_eq!(seen.calls(), 1);
    let n = seen.last();
    assert_eq!(n.provider, Provider::Pooul);
    assert_eq!(n.kind, NotificationKind::Payment);
    assert_eq!(n.order_no, "T1001");
    assert_eq!(
        n.provider_trade_no.as_deref(),
        Some("5b3783f101c9117d132f2813")
    );
    assert_eq!(n.amount, yuan("9.90"));
    assert_eq!(n.status, PaymentStatus::Succeeded);
    assert_eq!(n.raw, pay_notify("T1001", 990, 0));

    // query
    mount(
        &server,
        "/v2/pay/query",
        answer(json!({
            "trade_id": "5b3783f101c9117d132f2813", "mch_trade_id": "T1001", "merchant_id": MID,
            "pay_type": "wechat.scan", "trade_state": 0, "trade_info": "支付成功",
            "total_fee": 990, "cash_fee": 990
        })),
    )
    .await;
    let payment = hub
        .query_payment(Provider::Pooul, &PaymentQuery::by_order_no("T1001"))
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    assert_eq!(payment.amount, Some(yuan("9.90")));
    assert_eq!(payment.order_no, "T1001");
    assert_eq!(
        payment.provider_trade_no.as_deref(),
        Some("5b3783f101c9117d132f2813")
    );
    let requests = sent(&server).await;
    assert_eq!(requests[1].0, "/v2/pay/query");
    assert_eq!(requests[1].1, json!({"mch_trade_id": "T1001"}));

    // refund: accepted, not finished
    mount(&server, "/v2/pay/refund", bare_answer()).await;
    let refund_request = RefundRequest {
        order_no: "T1001".into(),
        provider_trade_no: None,
        refund_no: "R1".into(),
        amount: yuan("3.00"),
        total: Some(yuan("9.90")),
        reason: Some("customer".into()),
        notify_url: Some(NOTIFY_URL.into()),
    };
    let refund = hub.refund(Provider::Pooul, &refund_request).await.unwrap();
    assert_eq!(refund.status, PaymentStatus::Refunding);
    assert_eq!(refund.refund_no, "R1");
    assert_eq!(refund.amount, Some(yuan("3.00")));
    let requests = sent(&server).await;
    assert_eq!(requests[2].0, "/v2/pay/refund");
    assert_eq!(
        requests[2].1,
        json!({
            "mch_trade_id": "T1001", "mch_refund_id": "R1", "refund_fee": 300,
            "refund_desc": "customer", "notify_url": NOTIFY_URL
        })
    );

    // refund notify: order_no is the payment's, amount the refunded one
    let body = jwt(&refund_notify("T1001", "R1", 300, 0), &keys().pooul);
    let ack = hub
        .handle_notification_with(Provider::Pooul, &h, body.as_bytes(), &orders, seen.ok())
        .await
        .unwrap();
    assert_eq!(ack, "success");
    assert_eq!(seen.calls(), 2);
    let n = seen.last();
    assert_eq!(
        n.kind,
        NotificationKind::Refund {
            refund_no: Some("R1".into())
        }
    );
    assert_eq!(n.order_no, "T1001");
    assert_eq!(n.amount, yuan("3.00"));
    assert_eq!(n.status, PaymentStatus::Refunded(RefundExtent::Unknown));
    assert_eq!(n.raw, refund_notify("T1001", "R1", 300, 0));

    // query refund: the entry with our mch_refund_id, among others
    mount(
        &server,
        "/v2/pay/refund_query",
        answer(json!({
            "cash_fee": 990, "total_fee": 990, "trade_id": "5b3783f101c9117d132f2813",
            "mch_trade_id": "T1001", "merchant_id": MID, "pay_type": "wechat.scan",
            "trade_state": 1, "trade_info": "转入退款, ",
            "refunds": [
                {"refund_id": "5b34ba3d01c9112ae61fb8c0", "mch_refund_id": "R0", "refund_fee": 100, "refund_state": 1},
                {"refund_id": "5b34ba3d01c9112ae61fb8c1", "mch_refund_id": "R1", "refund_fee": 300, "refund_state": 0}
            ]
        })),
    )
    .await;
    let refund = hub
        .query_refund(
            Provider::Pooul,
            &RefundQuery {
                order_no: "T1001".into(),
                refund_no: "R1".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        refund.status,
        PaymentStatus::Refunded(RefundExtent::Partial)
    );
    assert_eq!(refund.amount, Some(yuan("3.00")));
    assert_eq!(
        refund.provider_refund_no.as_deref(),
        Some("5b34ba3d01c9112ae61fb8c1")
    );
    let requests = sent(&server).await;
    assert_eq!(requests[3].0, "/v2/pay/refund_query");
    assert_eq!(
        requests[3].1,
        json!({"mch_trade_id": "T1001", "mch_refund_id": "R1"})
    );

    // a refund number Pooul does not list is an error, never another refund
    let err = hub
        .query_refund(
            Provider::Pooul,
            &RefundQuery {
                order_no: "T1001".into(),
                refund_no: "R9".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::PooulRefundMatch(pooul::RefundMatchError::NotFound { .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        err.class(),
        payhub::ErrorClass::Rejected { retryable: false }
    );

    // close
    mount(&server, "/v2/pay/close", bare_answer()).await;
    hub.close_payment(Provider::Pooul, &PaymentQuery::by_order_no("T1002"))
        .await
        .unwrap();
    let requests = sent(&server).await;
    assert_eq!(requests.len(), 6);
    assert_eq!(requests[5].0, "/v2/pay/close");
    assert_eq!(requests[5].1, json!({"mch_trade_id": "T1002"}));

    // methods Pooul does not have: refused before anything is sent
    for m in [
        PayMethod::AlipayWeb {
            return_url: "https://shop.example/back".into(),
        },
        PayMethod::AlipayApp,
        PayMethod::UnionPayApp,
        PayMethod::UnionPayWeb {
            return_url: "https://shop.example/back".into(),
        },
        PayMethod::HostedCashier {
            channel: "x".into(),
            return_url: None,
        },
    ] {
        let name = m.name();
        let r =
            PaymentRequest::new("T1003", yuan("1.00"), "tea", NOTIFY_URL, m).client_ip("10.0.0.8");
        let err = hub.create_payment(Provider::Pooul, &r).await.unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedMethod { provider: Provider::Pooul, method } if method == name),
            "{err:?}"
        );
    }
    // WeChat H5 needs the app settings; WeChat needs the payer's IP; a refund needs a reason.
    let r = PaymentRequest::new(
        "T1004",
        yuan("1.00"),
        "tea",
        NOTIFY_URL,
        PayMethod::WechatH5,
    )
    .client_ip("10.0.0.8");
    let err = hub.create_payment(Provider::Pooul, &r).await.unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("h5_app_type")),
        "{err:?}"
    );
    let r = PaymentRequest::new(
        "T1005",
        yuan("1.00"),
        "tea",
        NOTIFY_URL,
        PayMethod::WechatNative,
    );
    let err = hub.create_payment(Provider::Pooul, &r).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "client_ip",
                ..
            }
        ),
        "{err:?}"
    );
    let err = hub
        .refund(
            Provider::Pooul,
            &RefundRequest {
                reason: None,
                ..refund_request.clone()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "reason",
                ..
            }
        ),
        "{err:?}"
    );
    let err = hub
        .refund(
            Provider::Pooul,
            &RefundRequest {
                amount: yuan("10.00"),
                ..refund_request
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "amount",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(sent(&server).await.len(), 6, "nothing more was sent");
}

/// Creates one payment against a fresh answer; returns the action and the payload sent.
async fn create_one(
    server: &MockServer,
    hub: &Hub,
    m: PayMethod,
    data: Value,
) -> (PaymentAction, Value) {
    server.reset().await;
    mount(server, "/v2/pay", answer(data)).await;
    let r =
        PaymentRequest::new("T2001", yuan("98.72"), "shoes", NOTIFY_URL, m).client_ip("10.0.0.9");
    let created = hub.create_payment(Provider::Pooul, &r).await.unwrap();
    assert_eq!(
        created.provider_trade_no.as_deref(),
        Some("5b38ee2a01c9113d0cc907a6")
    );
    let mut requests = sent(server).await;
    assert_eq!(requests.len(), 1);
    let (p, payload) = requests.remove(0);
    assert_eq!(p, "/v2/pay");
    assert_eq!(payload["mch_trade_id"], "T2001");
    assert_eq!(payload["total_fee"], 9872);
    (created.action, payload)
}

#[tokio::test]
async fn each_pay_type_gives_its_typed_action() {
    let server = MockServer::start().await;
    let hub = hub_for(gateway(&server.uri()).with_wechat_h5(WechatH5App {
        app_type: MchAppType::Wap,
        app_name: "普尔商城".into(),
        app_id: "https://store.pooul.com/".into(),
    }));
    let base = json!({"trade_id": "5b38ee2a01c9113d0cc907a6", "mch_trade_id": "T2001", "merchant_id": MID,
                      "prepay_id": "wx012307229175165bd79bbb6b3297639794"});
    let with = |extra: Value| {
        let mut v = base.clone();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let jsapi_info = r#"{"appId":"wx26a0ffd6bfa99df7","timeStamp":1530457643,"nonceStr":"5b38ee2b01c9113d0cc907a8","package":"prepay_id=wx012307229175165bd79bbb6b3297639794","signType":"MD5","paySign":"5c8d2742f597d01f38886d78769d3132"}"#;
    let jsapi_params = WechatJsapiParams {
        app_id: "wx26a0ffd6bfa99df7".into(),
        time_stamp: "1530457643".into(),
        nonce_str: "5b38ee2b01c9113d0cc907a8".into(),
        package: "prepay_id=wx012307229175165bd79bbb6b3297639794".into(),
        sign_type: "MD5".into(),
        pay_sign: "5c8d2742f597d01f38886d78769d3132".into(),
    };

    let (action, sent) = create_one(
        &server,
        &hub,
        PayMethod::WechatJsapi {
            app_id: "wx069eb0cbbdd45873".into(),
            open_id: "outOWs".into(),
        },
        with(json!({"pay_info": jsapi_info})),
    )
    .await;
    assert_eq!(action, PaymentAction::WechatJsapi(jsapi_params.clone()));
    assert_eq!(sent["pay_type"], "wechat.jsapi");
    assert_eq!(sent["sub_appid"], "wx069eb0cbbdd45873");
    assert_eq!(sent["sub_openid"], "outOWs");
    assert_eq!(sent["spbill_create_ip"], "10.0.0.9");

    let (action, sent) = create_one(
        &server,
        &hub,
        PayMethod::WechatMini {
            app_id: "wx758379be100f9991".into(),
            open_id: "o2uCJ5".into(),
        },
        with(json!({"pay_info": jsapi_info})),
    )
    .await;
    assert_eq!(action, PaymentAction::WechatMini(jsapi_params));
    assert_eq!(sent["pay_type"], "wechat.jsminipg");
    assert_eq!(sent["sub_appid"], "wx758379be100f9991");
    assert_eq!(sent["sub_openid"], "o2uCJ5");

    let app_info = r#"{"appid":"wx2fbcb61b6e5b1384","partnerid":"1507497331","prepayid":"wx01231852292289b6404b67123767183767","package":"Sign=WXPay","noncestr":"5b38f0dc01c9113d0cc907b0","timestamp":1530458332,"sign":"a4aea5fff088a73d18e4afc8da663615"}"#;
    let (action, sent) = create_one(
        &server,
        &hub,
        PayMethod::WechatApp {
            app_id: "wx2fbcb61b6e5b1384".into(),
        },
        with(json!({"pay_info": app_info})),
    )
    .await;
    assert_eq!(
        action,
        PaymentAction::WechatApp(WechatAppParams {
            app_id: "wx2fbcb61b6e5b1384".into(),
            partner_id: "1507497331".into(),
            prepay_id: "wx01231852292289b6404b67123767183767".into(),
            package: "Sign=WXPay".into(),
            nonce_str: "5b38f0dc01c9113d0cc907b0".into(),
            timestamp: "1530458332".into(),
            sign: "a4aea5fff088a73d18e4afc8da663615".into(),
        })
    );
    assert_eq!(sent["pay_type"], "wechat.app");
    assert_eq!(sent["sub_appid"], "wx2fbcb61b6e5b1384");

    let (action, sent) = create_one(
        &server,
        &hub,
        PayMethod::WechatH5,
        with(json!({"mweb_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx01"})),
    )
    .await;
    assert_eq!(
        action,
        PaymentAction::Redirect {
            url: "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx01".into()
        }
    );
    assert_eq!(sent["pay_type"], "wechat.wap");
    assert_eq!(sent["mch_app_type"], "WAP");
    assert_eq!(sent["mch_app_name"], "普尔商城");
    assert_eq!(sent["mch_app_id"], "https://store.pooul.com/");

    let (action, sent) = create_one(
        &server,
        &hub,
        PayMethod::AlipayQr,
        with(
            json!({"code_url": "https://qr.alipay.com/bax05219xy73fxcgfi7w206f", "trade_state": 6}),
        ),
    )
    .await;
    assert_eq!(
        action,
        PaymentAction::QrCode {
            content: "https://qr.alipay.com/bax05219xy73fxcgfi7w206f".into()
        }
    );
    assert_eq!(sent["pay_type"], "alipay.scan");

    // A JSAPI answer without pay_info is an error, not an empty action.
    server.reset().await;
    mount(&server, "/v2/pay", answer(base.clone())).await;
    let r = PaymentRequest::new(
        "T2001",
        yuan("98.72"),
        "shoes",
        NOTIFY_URL,
        PayMethod::WechatJsapi {
            app_id: "wx1".into(),
            open_id: "o1".into(),
        },
    )
    .client_ip("10.0.0.9");
    let err = hub.create_payment(Provider::Pooul, &r).await.unwrap_err();
    assert!(matches!(err, Error::Pooul(_)), "{err:?}");
}

/// A gateway whose micro-pay flow runs in milliseconds.
fn fast_micropay_gateway(base: &str) -> PooulGateway {
    let mut c = config(base);
    c.micropay.poll_interval = Duration::from_millis(30);
    c.micropay.poll_deadline = Duration::from_millis(100);
    c.micropay.system_error_wait = Duration::from_millis(10);
    c.micropay.reverse_delay = ReverseDelay::Override(Duration::from_millis(120));
    c.micropay.reverse_retry_interval = Duration::from_millis(10);
    PooulGateway::new(Client::new(c).unwrap())
}

fn micro_request() -> PaymentRequest {
    PaymentRequest::new(
        "M1",
        yuan("12.23"),
        "lunch",
        NOTIFY_URL,
        PayMethod::MicroPay {
            auth_code: "136345610916464024".into(),
        },
    )
    .client_ip("127.0.0.1")
}

fn micro_state(state: i64) -> ResponseTemplate {
    answer(
        json!({"trade_id": "5b378a0601c9117d162f281c", "mch_trade_id": "M1", "merchant_id": MID,
                  "trade_state": state, "total_fee": 1223}),
    )
}

#[tokio::test]
async fn micro_pay_runs_the_crate_flow_and_answers_a_final_state() {
    let server = MockServer::start().await;
    let hub = hub_for(fast_micropay_gateway(&server.uri()));

    // Paid at once.
    mount(&server, "/v2/pay", micro_state(0)).await;
    let created = hub
        .create_payment(Provider::Pooul, &micro_request())
        .await
        .unwrap();
    assert_eq!(
        created.action,
        PaymentAction::Final {
            status: PaymentStatus::Succeeded
        }
    );
    assert_eq!(
        created.provider_trade_no.as_deref(),
        Some("5b378a0601c9117d162f281c")
    );
    let requests = sent(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].1,
        json!({"pay_type": "common.micro", "auth_code": "136345610916464024", "mch_trade_id": "M1",
               "total_fee": 1223, "body": "lunch", "spbill_create_ip": "127.0.0.1", "notify_url": NOTIFY_URL})
    );

    // Paying (USERPAYING), then a query finds it paid.
    server.reset().await;
    mount(&server, "/v2/pay", micro_state(6)).await;
    mount(&server, "/v2/pay/query", micro_state(0)).await;
    let created = hub
        .create_payment(Provider::Pooul, &micro_request())
        .await
        .unwrap();
    assert_eq!(
        created.action,
        PaymentAction::Final {
            status: PaymentStatus::Succeeded
        }
    );
    let paths: Vec<String> = sent(&server).await.into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["/v2/pay", "/v2/pay/query"]);

    // Still paying at the deadline: reversed.
    server.reset().await;
    mount(&server, "/v2/pay", micro_state(6)).await;
    mount(&server, "/v2/pay/query", micro_state(6)).await;
    mount(&server, "/v2/pay/reverse", bare_answer()).await;
    let created = hub
        .create_payment(Provider::Pooul, &micro_request())
        .await
        .unwrap();
    assert_eq!(
        created.action,
        PaymentAction::Final {
            status: PaymentStatus::Reversed
        }
    );
    let requests = sent(&server).await;
    let paths: Vec<&str> = requests.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths.first(), Some(&"/v2/pay"));
    assert_eq!(paths.last(), Some(&"/v2/pay/reverse"));
    assert!(paths.contains(&"/v2/pay/query"));
    assert_eq!(requests.last().unwrap().1, json!({"mch_trade_id": "M1"}));
}

/// Replaces the payload of a token signed by Pooul with another, keeping the signature.
fn tampered(original: &str, forged_payload: &Value) -> String {
    let other = jwt(forged_payload, &keys().forger);
    let o: Vec<&str> = original.split('.').collect();
    let f: Vec<&str> = other.split('.').collect();
    format!("{}.{}.{}", o[0], f[1], o[2])
}

#[tokio::test]
async fn notify_handling_refuses_what_it_must_and_delivers_once() {
    let hub = hub_for(gateway("http://127.0.0.1:9"));
    let h = http::HeaderMap::new();
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Pooul, "N1", yuan("2.21"));
    let seen = Seen::default();
    let good = jwt(&pay_notify("N1", 221, 0), &keys().pooul);

    // Tampered payload (amount changed), another key, another merchant: Verification.
    let mut forged_payload = pay_notify("N1", 221, 0);
    forged_payload["data"]["total_fee"] = json!(1);
    let mut other_merchant = pay_notify("N1", 221, 0);
    other_merchant["data"]["merchant_id"] = json!("1333259781809471");
    let mut tampered_refund = refund_notify("N1", "R1", 221, 0);
    tampered_refund["data"]["refunds"]["refund_fee"] = json!(1);
    let refund_token = jwt(&refund_notify("N1", "R1", 221, 0), &keys().pooul);
    for bad in [
        tampered(&good, &forged_payload),
        tampered(&refund_token, &tampered_refund),
        jwt(&pay_notify("N1", 221, 0), &keys().forger),
        jwt(&other_merchant, &keys().pooul),
        "not a jwt".to_owned(),
    ] {
        let err = hub
            .handle_notification_with(Provider::Pooul, &h, bad.as_bytes(), &orders, seen.ok())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Notify(NotifyError::Verification {
                    provider: Provider::Pooul,
                    ..
                })
            ),
            "{err:?}"
        );
    }

    // Amount differs from the order.
    let body = jwt(&pay_notify("N1", 220, 0), &keys().pooul);
    let err = hub
        .handle_notification_with(Provider::Pooul, &h, body.as_bytes(), &orders, seen.ok())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Notify(NotifyError::AmountMismatch { order_no, expected, got, .. })
            if order_no == "N1" && *expected == yuan("2.21") && *got == yuan("2.20")),
        "{err:?}"
    );
    // A refund of more than the order.
    let body = jwt(&refund_notify("N1", "R1", 222, 0), &keys().pooul);
    let err = hub
        .handle_notification_with(Provider::Pooul, &h, body.as_bytes(), &orders, seen.ok())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Notify(NotifyError::AmountMismatch { .. })),
        "{err:?}"
    );

    // Unknown order.
    let body = jwt(&pay_notify("N404", 221, 0), &keys().pooul);
    let err = hub
        .handle_notification_with(Provider::Pooul, &h, body.as_bytes(), &orders, seen.ok())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Notify(NotifyError::UnknownOrder { order_no, .. }) if order_no == "N404"),
        "{err:?}"
    );
    assert_eq!(seen.calls(), 0, "nothing refused reached the callback");

    // Callback failure: not acknowledged; Pooul's retry of the same notify is delivered.
    let err = hub
        .handle_notification_with(
            Provider::Pooul,
            &h,
            good.as_bytes(),
            &orders,
            seen.failing(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Notify(NotifyError::Callback(_))),
        "{err:?}"
    );
    assert_eq!(seen.calls(), 1);
    let ack = hub
        .handle_notification_with(Provider::Pooul, &h, good.as_bytes(), &orders, seen.ok())
        .await
        .unwrap();
    assert_eq!(ack, "success");
    assert_eq!(seen.calls(), 2);
    assert_eq!(seen.last().status, PaymentStatus::Succeeded);

    // Duplicate: acknowledged with the exact ACK, not delivered again.
    let ack = hub
        .handle_notification_with(Provider::Pooul, &h, good.as_bytes(), &orders, seen.ok())
        .await
        .unwrap();
    assert_eq!(ack, "success");
    assert_eq!(seen.calls(), 2);

    // Two fresh deliveries of the same notify: the callback runs once, both acknowledged.
    let fresh = jwt(&pay_notify("N1", 221, 3), &keys().pooul);
    let seen2 = Seen::default();
    for _ in 0..2 {
        let ack = hub
            .handle_notification_with(Provider::Pooul, &h, fresh.as_bytes(), &orders, seen2.ok())
            .await
            .unwrap();
        assert_eq!(ack, "success");
    }
    assert_eq!(seen2.calls(), 1);
    assert_eq!(seen2.last().status, PaymentStatus::Closed);

    // A notify with a non-zero code is never a success.
    let mut failed = pay_notify("N1", 221, 0);
    failed["code"] = json!(1);
    let body = jwt(&failed, &keys().pooul);
    hub.handle_notification_with(Provider::Pooul, &h, body.as_bytes(), &orders, seen2.ok())
        .await
        .unwrap();
    assert_eq!(seen2.last().status, PaymentStatus::Pending);

    // A refund notify listing two refunds cannot be one unified notification.
    let mut two = refund_notify("N1", "R1", 100, 0);
    let item = two["data"]["refunds"].clone();
    two["data"]["refunds"] = json!([item.clone(), item]);
    let body = jwt(&two, &keys().pooul);
    let err = hub
        .handle_notification_with(Provider::Pooul, &h, body.as_bytes(), &orders, seen2.ok())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Notify(NotifyError::Verification { .. })),
        "{err:?}"
    );
}

/// Every state of each enum, named so a new variant breaks this test's build.
fn all_trade_states() -> Vec<TradeState> {
    let all = vec![
        TradeState::Success,
        TradeState::Refund,
        TradeState::NotPaid,
        TradeState::Closed,
        TradeState::Finished,
        TradeState::Reversed,
        TradeState::Paying,
        TradeState::PartiallyPaid,
        TradeState::OverPaid,
        TradeState::Unknown(42),
    ];
    for s in &all {
        match s {
            TradeState::Success
            | TradeState::Refund
            | TradeState::NotPaid
            | TradeState::Closed
            | TradeState::Finished
            | TradeState::Reversed
            | TradeState::Paying
            | TradeState::PartiallyPaid
            | TradeState::OverPaid
            | TradeState::Unknown(_) => {}
        }
    }
    all
}

fn all_refund_statuses() -> Vec<RefundStatus> {
    let all = vec![
        RefundStatus::Success,
        RefundStatus::Processing,
        RefundStatus::Closed,
        RefundStatus::Abnormal,
        RefundStatus::Unknown(9),
    ];
    for s in &all {
        match s {
            RefundStatus::Success
            | RefundStatus::Processing
            | RefundStatus::Closed
            | RefundStatus::Abnormal
            | RefundStatus::Unknown(_) => {}
        }
    }
    all
}

#[test]
fn every_pooul_state_maps_to_its_unified_status() {
    use PaymentStatus as P;
    let expected_trade = [
        P::Succeeded,
        P::Refunding,
        P::Pending,
        P::Closed,
        P::Succeeded,
        P::Reversed,
        P::Paying,
        P::Pending,
        P::Pending,
        P::Pending,
    ];
    let states = all_trade_states();
    assert_eq!(states.len(), expected_trade.len());
    for (state, want) in states.into_iter().zip(expected_trade) {
        assert_eq!(P::from(state), want, "{state:?}");
    }
    // Every wire code, including ones the table does not have: unknown is never a success.
    for code in -1..=20 {
        let s = P::from(TradeState::from(code));
        if code != 0 && code != 4 {
            assert_ne!(s, P::Succeeded, "trade_state {code}");
        }
    }

    let expected_refund = [
        P::Refunded(RefundExtent::Unknown),
        P::Refunding,
        P::Failed,
        P::Refunding,
        P::Pending,
    ];
    let statuses = all_refund_statuses();
    assert_eq!(statuses.len(), expected_refund.len());
    for (status, want) in statuses.into_iter().zip(expected_refund) {
        assert_eq!(P::from(status), want, "{status:?}");
    }
}

#[tokio::test]
async fn hub_from_toml_reads_secrets_from_the_environment() {
    let server = MockServer::start().await;
    let merchant_pem = keys().merchant.to_pkcs8_pem();
    let merchant_pem = merchant_pem.expose_secret().to_owned();
    let pooul_pem = keys().pooul.public_key().to_pem();
    let toml = format!(
        r#"
[pooul]
base_url = "{}"
merchant_id = "{MID}"
merchant_key_env = "TEST_POOUL_MERCHANT_KEY"
pooul_public_key_env = "TEST_POOUL_PUBLIC_KEY"
h5_app_type = "IOS"
h5_app_name = "Shop"
h5_app_id = "com.example.shop"
"#,
        server.uri()
    );
    let env = |name: &str| match name {
        "TEST_POOUL_MERCHANT_KEY" => Some(merchant_pem.clone()),
        "TEST_POOUL_PUBLIC_KEY" => Some(pooul_pem.clone()),
        _ => None,
    };
    let hub = Hub::from_toml_str_with_env(&toml, &env).unwrap();
    assert_eq!(hub.providers(), vec![Provider::Pooul]);

    // The keys loaded are the right ones: requests verify with the merchant's public key
    // (checked by `sent`), answers with Pooul's; the H5 settings are used.
    mount(
        &server,
        "/v2/pay",
        answer(json!({"trade_id": "5b38ee2a01c9113d0cc907a6", "mch_trade_id": "T3001", "merchant_id": MID,
                      "mweb_url": "https://wx.tenpay.com/x"})),
    )
    .await;
    let r = PaymentRequest::new(
        "T3001",
        yuan("0.03"),
        "tea",
        NOTIFY_URL,
        PayMethod::WechatH5,
    )
    .client_ip("10.0.0.9");
    let created = hub.create_payment(Provider::Pooul, &r).await.unwrap();
    assert_eq!(
        created.action,
        PaymentAction::Redirect {
            url: "https://wx.tenpay.com/x".into()
        }
    );
    let requests = sent(&server).await;
    assert_eq!(requests[0].1["total_fee"], 3);
    assert_eq!(requests[0].1["mch_app_type"], "IOS");

    // A missing variable is a Config error naming it, never showing a secret.
    let only_merchant = |name: &str| match name {
        "TEST_POOUL_MERCHANT_KEY" => Some(merchant_pem.clone()),
        _ => None,
    };
    let err = Hub::from_toml_str_with_env(&toml, &only_merchant).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(text.contains("TEST_POOUL_PUBLIC_KEY"), "{text}");
    assert!(
        !text.contains("PRIVATE KEY") && !text.contains(&merchant_pem[40..80]),
        "{text}"
    );

    let only_pooul = |name: &str| match name {
        "TEST_POOUL_PUBLIC_KEY" => Some(pooul_pem.clone()),
        _ => None,
    };
    let err = Hub::from_toml_str_with_env(&toml, &only_pooul).unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("TEST_POOUL_MERCHANT_KEY")),
        "{err:?}"
    );

    // A secret written into the file is refused, and its value is not echoed.
    let inline = format!(
        "[pooul]\nenvironment = \"test\"\nmerchant_id = \"{MID}\"\nmerchant_key = \"SECRET-VALUE-123\"\npooul_public_key_env = \"TEST_POOUL_PUBLIC_KEY\"\n"
    );
    let err = Hub::from_toml_str_with_env(&inline, &env).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(
        text.contains("merchant_key") && !text.contains("SECRET-VALUE-123"),
        "{text}"
    );

    // A variable that holds something else than a key: Config error without its value.
    let garbage = |name: &str| match name {
        "TEST_POOUL_MERCHANT_KEY" => Some("hunter2-not-a-key".to_owned()),
        "TEST_POOUL_PUBLIC_KEY" => Some(pooul_pem.clone()),
        _ => None,
    };
    let err = Hub::from_toml_str_with_env(&toml, &garbage).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[cfg(feature = "axum")]
mod over_http {
    use super::*;
    use payhub::axum::{NotificationHandler, notify_router};
    use paysig::http::{HttpClient, Request};

    /// Fails its first call, then succeeds; counts calls.
    struct FlakyFulfil(Arc<AtomicUsize>);

    #[async_trait::async_trait]
    impl NotificationHandler for FlakyFulfil {
        async fn handle(&self, _event: Verified<Notification>) -> Result<(), payhub::BoxError> {
            match self.0.fetch_add(1, Ordering::SeqCst) {
                0 => Err("database down".into()),
                _ => Ok(()),
            }
        }
    }

    #[tokio::test]
    async fn a_real_axum_server_acknowledges_only_after_the_handler() {
        let hub = Arc::new(hub_for(gateway("http://127.0.0.1:9")));
        let orders = MemoryOrders::default();
        orders.insert(payhub::Provider::Pooul, "H1", yuan("2.21"));
        let calls = Arc::new(AtomicUsize::new(0));
        let app = notify_router(hub, Arc::new(orders), Arc::new(FlakyFulfil(calls.clone())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url: url::Url = format!("http://{}/notify/pooul", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });

        let http = HttpClient::new(HttpConfig::default()).unwrap();
        let post = |body: String| {
            let http = http.clone();
            let url = url.clone();
            async move {
                http.send(Request::post_text(
                    "test",
                    "notify",
                    url,
                    "text/plain",
                    body,
                ))
                .await
                .unwrap()
            }
        };
        let good = jwt(&pay_notify("H1", 221, 0), &keys().pooul);

        let r = post(good.clone()).await;
        assert_eq!(r.status, 500, "handler failed: not acknowledged");
        let r = post(good.clone()).await;
        assert_eq!((r.status, &r.body[..]), (200, b"success".as_slice()));
        let r = post(good.clone()).await;
        assert_eq!((r.status, &r.body[..]), (200, b"success".as_slice()));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "the retry was delivered, the duplicate not"
        );

        let r = post(jwt(&pay_notify("H1", 221, 0), &keys().forger)).await;
        assert_eq!(r.status, 400);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        server.abort();
    }
}

/// pooul.md's own refund-query answer shape: refunds without `mch_refund_id`.
fn document_refunds(refunds: Value) -> ResponseTemplate {
    answer(json!({
        "cash_fee": 9872, "out_trade_id": "4200000114201806284156184664", "total_fee": 9872,
        "trade_id": "5b34b9a901c9112ae61fb8bc", "mch_trade_id": "T2001", "merchant_id": MID,
        "pay_type": "wechat.jsapi", "trade_state": 1, "trade_info": "转入退款, ",
        "refunds": refunds
    }))
}

fn the_four_document_refunds() -> Value {
    json!([
        {"refund_id": "5b34ba3d01c9112ae61fb8c1", "refund_fee": 5, "refund_state": 0},
        {"refund_id": "5b34ba4501c9112ae61fb8c3", "refund_fee": 100, "refund_state": 0},
        {"refund_id": "5b34ba4f01c9112ae61fb8c5", "refund_fee": 1283, "refund_state": 1},
        {"refund_id": "5b34ba5b01c9112ae61fb8c7", "refund_fee": 4332, "refund_state": 0}
    ])
}

fn refund_query(refund_no: &str) -> RefundQuery {
    RefundQuery {
        order_no: "T2001".into(),
        refund_no: refund_no.into(),
    }
}

/// The match error inside the facade's provider error.
fn match_error(err: &Error) -> &pooul::RefundMatchError {
    let Error::PooulRefundMatch(e) = err else {
        panic!("RefundMatchError expected: {err:?}")
    };
    e
}

fn last_sent_is_refund_query(requests: &[(String, Value)], refund_no: &str) {
    let (p, payload) = requests.last().unwrap();
    assert_eq!(p, "/v2/pay/refund_query");
    assert_eq!(
        payload,
        &json!({"mch_trade_id": "T2001", "mch_refund_id": refund_no})
    );
}

#[tokio::test]
async fn query_refund_resolves_a_document_shaped_answer_without_guessing() {
    use payhub::Gateway;
    use payhub::adapters::pooul::KnownRefund;

    // 1. By mch_refund_id when the answer carries it, even among refunds of the same amount.
    let server = MockServer::start().await;
    mount(
        &server,
        "/v2/pay/refund_query",
        document_refunds(json!([
            {"refund_id": "r-a", "mch_refund_id": "RA", "refund_fee": 100, "refund_state": 0},
            {"refund_id": "r-b", "refund_fee": 100, "refund_state": 1},
            {"refund_id": "r-c", "mch_refund_id": "RC", "refund_fee": 100, "refund_state": 1}
        ])),
    )
    .await;
    let g = gateway(&server.uri());
    let r = g.query_refund(&refund_query("RC")).await.unwrap();
    assert_eq!(r.provider_refund_no.as_deref(), Some("r-c"));
    assert_eq!(r.status, PaymentStatus::Refunding);
    assert_eq!(r.amount, Some(Money::from_fen(100)));
    last_sent_is_refund_query(&sent(&server).await, "RC");
    // Not numbered in the answer, nothing else known: the unnumbered refund of 100 is NOT taken.
    let err = g.query_refund(&refund_query("RB")).await.unwrap_err();
    assert!(
        matches!(match_error(&err), pooul::RefundMatchError::NotFound { lookup }
            if lookup.mch_refund_id.as_deref() == Some("RB") && lookup.refund_fee.is_none()),
        "{err}"
    );
    // ...but with its amount known it is the one unnumbered refund of 100 (RA and RC are
    // numbered otherwise, so they are other refunds).
    let known = KnownRefund {
        provider_refund_no: None,
        amount: Some(Money::from_fen(100)),
    };
    let r = g
        .query_refund_with(&refund_query("RB"), &known)
        .await
        .unwrap();
    assert_eq!(r.provider_refund_no.as_deref(), Some("r-b"));
    assert_eq!(r.refund_no, "RB");
    last_sent_is_refund_query(&sent(&server).await, "RB");

    // 2. pooul.md's answer (no mch_refund_id anywhere): by the provider refund id when known.
    let server = MockServer::start().await;
    mount(
        &server,
        "/v2/pay/refund_query",
        document_refunds(the_four_document_refunds()),
    )
    .await;
    let g = gateway(&server.uri());
    let known = KnownRefund {
        provider_refund_no: Some("5b34ba4f01c9112ae61fb8c5".into()),
        amount: None,
    };
    let r = g
        .query_refund_with(&refund_query("R-1283"), &known)
        .await
        .unwrap();
    assert_eq!(r.amount, Some(Money::from_fen(1283)));
    assert_eq!(r.status, PaymentStatus::Refunding);
    last_sent_is_refund_query(&sent(&server).await, "R-1283");
    // A known provider id that the answer lacks is not found: never "the one of that amount".
    let known = KnownRefund {
        provider_refund_no: Some("5b34ba0000000000000000ff".into()),
        amount: Some(Money::from_fen(5)),
    };
    let err = g
        .query_refund_with(&refund_query("R-5"), &known)
        .await
        .unwrap_err();
    assert!(
        matches!(match_error(&err), pooul::RefundMatchError::NotFound { .. }),
        "{err}"
    );
    // The provider id found with another amount than the one asked for: refused.
    let known = KnownRefund {
        provider_refund_no: Some("5b34ba3d01c9112ae61fb8c1".into()),
        amount: Some(Money::from_fen(6)),
    };
    let err = g
        .query_refund_with(&refund_query("R-5"), &known)
        .await
        .unwrap_err();
    assert!(
        matches!(
            match_error(&err),
            pooul::RefundMatchError::AmountMismatch { expected, got, .. }
                if expected.fen() == 6 && got.fen() == 5
        ),
        "{err}"
    );

    // 3. Otherwise the single refund of the requested amount: here, of a refund this gateway
    //    sent itself (the amount is recalled), and finished: Refunded(Partial) of 9872.
    mount(&server, "/v2/pay/refund", bare_answer()).await;
    let refund = RefundRequest {
        order_no: "T2001".into(),
        provider_trade_no: None,
        refund_no: "R-4332".into(),
        amount: Money::from_fen(4332),
        total: None,
        reason: Some("customer".into()),
        notify_url: None,
    };
    g.refund(&refund).await.unwrap();
    let r = g.query_refund(&refund_query("R-4332")).await.unwrap();
    assert_eq!(
        r.provider_refund_no.as_deref(),
        Some("5b34ba5b01c9112ae61fb8c7")
    );
    assert_eq!(r.amount, Some(Money::from_fen(4332)));
    assert_eq!(r.status, PaymentStatus::Refunded(RefundExtent::Partial));
    let requests = sent(&server).await;
    assert_eq!(requests[requests.len() - 2].0, "/v2/pay/refund");
    assert_eq!(
        requests[requests.len() - 2].1,
        json!({"mch_trade_id": "T2001", "mch_refund_id": "R-4332", "refund_fee": 4332, "refund_desc": "customer"})
    );
    last_sent_is_refund_query(&requests, "R-4332");

    // No refund of that amount: a typed error.
    let known = KnownRefund {
        provider_refund_no: None,
        amount: Some(Money::from_fen(7)),
    };
    let err = g
        .query_refund_with(&refund_query("R-7"), &known)
        .await
        .unwrap_err();
    assert!(
        matches!(match_error(&err), pooul::RefundMatchError::NotFound { lookup }
            if lookup.mch_refund_id.as_deref() == Some("R-7") && lookup.refund_fee == Some(Money::from_fen(7))),
        "{err}"
    );

    // 4. Two refunds of the requested amount: ambiguous, never a guess.
    let server = MockServer::start().await;
    mount(
        &server,
        "/v2/pay/refund_query",
        document_refunds(json!([
            {"refund_id": "5b34ba3d01c9112ae61fb8c1", "refund_fee": 100, "refund_state": 0},
            {"refund_id": "5b34ba4501c9112ae61fb8c3", "refund_fee": 100, "refund_state": 1}
        ])),
    )
    .await;
    let g = gateway(&server.uri());
    let known = KnownRefund {
        provider_refund_no: None,
        amount: Some(Money::from_fen(100)),
    };
    let err = g
        .query_refund_with(&refund_query("R-100"), &known)
        .await
        .unwrap_err();
    assert!(
        matches!(
            match_error(&err),
            pooul::RefundMatchError::Ambiguous {
                by: "refund_fee",
                count: 2,
                ..
            }
        ),
        "{err}"
    );
    last_sent_is_refund_query(&sent(&server).await, "R-100");
}

#[tokio::test]
async fn from_toml_accepts_pooul_s_published_1024_bit_platform_key() {
    let pem = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/pooul/devdocs/platform_public_1024.pem"),
    )
    .unwrap();
    let merchant = keys().merchant.to_pkcs8_pem();
    let env = |name: &str| match name {
        "POOUL_MERCHANT_KEY" => Some(merchant.expose_secret().to_owned()),
        "POOUL_PUBLIC_KEY" => Some(pem.clone()),
        _ => None,
    };
    let section: payhub::config::PooulSection = toml::from_str(&format!(
        "environment = \"test\"\nmerchant_id = \"{MID}\"\n\
         merchant_key_env = \"POOUL_MERCHANT_KEY\"\npooul_public_key_env = \"POOUL_PUBLIC_KEY\"\n"
    ))
    .unwrap();
    let g = PooulGateway::from_config(&section, &env).unwrap();
    assert_eq!(g.client().config().pooul_public_key.modulus_bits(), 1024);
}

/// A ring of two Pooul keys during a rotation: the calls' answers may be signed with either
/// (the new key is the main one, Pooul still signs with the old), and each notify is still
/// verified under its own key's label and end.
#[tokio::test]
async fn a_key_ring_reads_answers_signed_with_either_key_and_labels_notifies_by_key() {
    let server = MockServer::start().await;
    let merchant_pem = keys().merchant.to_pkcs8_pem();
    let merchant_pem = merchant_pem.expose_secret().to_owned();
    let old_pem = keys().pooul.public_key().to_pem();
    let new_pem = keys().forger.public_key().to_pem();
    let toml = format!(
        r#"
[pooul]
base_url = "{}"
merchant_id = "{MID}"
merchant_key_env = "TEST_POOUL_MERCHANT_KEY"
pooul_public_keys = [
  {{ label = "old", env = "TEST_POOUL_OLD", valid_until = "2999-01-01T00:00:00Z" }},
  {{ label = "new", env = "TEST_POOUL_NEW" }},
]
"#,
        server.uri()
    );
    let env = |name: &str| match name {
        "TEST_POOUL_MERCHANT_KEY" => Some(merchant_pem.clone()),
        "TEST_POOUL_OLD" => Some(old_pem.clone()),
        "TEST_POOUL_NEW" => Some(new_pem.clone()),
        _ => None,
    };
    let hub = Hub::from_toml_str_with_env(&toml, &env).unwrap();
    // Pooul still signs with the old key (keys().pooul): the answer is read.
    mount(
        &server,
        "/v2/pay/query",
        answer(
            json!({"trade_id": "t1", "mch_trade_id": "R1", "merchant_id": MID,
                      "trade_state": 0, "total_fee": 5}),
        ),
    )
    .await;
    let q = PaymentQuery {
        order_no: "R1".into(),
        provider_trade_no: None,
    };
    let paid = hub.query_payment(Provider::Pooul, &q).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(paid.amount, Some(Money::from_fen(5)));

    // Each notify names the key that verified it, whichever key the calls' gateway holds.
    let headers = http::HeaderMap::new();
    let account = hub.account(Provider::Pooul, "default").unwrap();
    for (key, label) in [(&keys().pooul, "old"), (&keys().forger, "new")] {
        let body = jwt(&pay_notify("R1", 5, 0), key);
        let n = account
            .verify_notification(&headers, body.as_bytes())
            .unwrap();
        assert_eq!(n.key.as_deref(), Some(label));
    }
    // A key outside the ring still refuses, for answers and notifies alike.
    let stranger = RsaPrivateKey::generate_2048().unwrap();
    assert!(matches!(
        account.verify_notification(&headers, jwt(&pay_notify("R1", 5, 0), &stranger).as_bytes()),
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));
}
