//! The Sunmi adapter through the facade, against wiremock on 127.0.0.1. Notifies are signed in
//! the test with a freshly generated RSA key configured as the Sunmi notify key.
#![cfg(feature = "sunmi")]

use payhub::adapters::sunmi::{SunmiGateway, refund_status};
use payhub::notify::MemoryOrders;
use payhub::{
    Error, Hub, NotificationKind, NotifyError, PayMethod, PaymentAction, PaymentQuery,
    PaymentRequest, PaymentStatus, Provider, RefundExtent, RefundQuery, RefundRequest,
    WechatJsapiParams,
};
use paysig::{Money, Params, RsaPrivateKey, RsaPublicKey, SecretString, Verified};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use sunmi::TradeState;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_ID: &str = "sm5b9b4daef3463";
const APP_KEY: &str = "dd3ac24736589ae17d333e362859bf4c";
const MERCHANT: &str = "8202915737";
const NOTIFY_URL: &str = "https://shop.test/n/sunmi";

/// The fresh key pair playing Sunmi's notify key (generated once per test binary).
fn sunmi_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate_2048().expect("generate an RSA key"))
}

fn yuan(s: &str) -> Money {
    Money::parse_yuan(s).unwrap()
}

fn gateway_at(base: &str, notify_key: RsaPublicKey) -> SunmiGateway {
    let config = sunmi::Config::new(
        sunmi::Environment::Custom(base.parse().unwrap()),
        APP_ID,
        SecretString::from(APP_KEY),
        notify_key,
    )
    .with_timeouts(Duration::from_secs(2), Duration::from_secs(5));
    SunmiGateway::new(sunmi::Client::new(config).unwrap(), MERCHANT)
}

fn hub_at(base: &str) -> Hub {
    Hub::builder()
        .gateway(Arc::new(gateway_at(base, sunmi_key().public_key())))
        .build()
}

/// A hub for notify-only tests: nothing is ever sent to this address.
fn notify_hub() -> Hub {
    hub_at("http://127.0.0.1:9/")
}

/// Signs pairs as Sunmi does (§2.2): all but `sign`, sorted by key bytes, `k=v` joined by
/// `&`, empty values kept, SHA256withRSA, base64; built by hand here.
fn signed_form(pairs: &[(&str, &str)], key: &RsaPrivateKey) -> Vec<u8> {
    let mut sorted: Vec<_> = pairs.iter().filter(|(k, _)| *k != "sign").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let message = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let sign = key.sign_sha256_base64(message.as_bytes()).unwrap();
    let mut all: Params = pairs.iter().cloned().collect();
    all.push("sign", sign);
    all.to_form().into_bytes()
}

fn payment_pairs<'a>(order_id: &'a str, amount_fen: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("amount", amount_fen),
        ("businessId", ""),
        ("buyerPayAmount", amount_fen),
        ("misId", "MIS-1"),
        ("msn", "D804P89V00033"),
        ("orderId", order_id),
        ("orderType", "0"),
        ("payTime", "1563271502"),
        ("platform", "wxpay"),
        ("platformId", "4200000001"),
        ("refunded", "0"),
        ("resultCode", "T00"),
        ("resultMsg", "Success"),
        ("state", "3"),
    ]
}

fn payment_notify(order_id: &str, amount_fen: &str) -> Vec<u8> {
    signed_form(&payment_pairs(order_id, amount_fen), sunmi_key())
}

fn refund_notify(refund_no: &str, orig_order_id: &str, amount_fen: &str) -> Vec<u8> {
    let pairs = vec![
        ("amount", amount_fen),
        ("businessId", orig_order_id),
        ("buyerPayAmount", amount_fen),
        ("misId", "MIS-R1"),
        ("msn", "D804P89V00033"),
        ("orderId", refund_no),
        ("orderType", "1"),
        ("payTime", "1563271600"),
        ("platform", "wxpay"),
        ("platformId", "4200000001"),
        ("refunded", amount_fen),
        ("resultCode", "T00"),
        ("resultMsg", "Success"),
        ("state", "3"),
        ("origMisId", "MIS-1"),
        ("origOrderId", orig_order_id),
        ("origPlatformId", "4200000001"),
        ("origBusinessId", ""),
    ];
    signed_form(&pairs, sunmi_key())
}

fn answer(data: serde_json::Value) -> ResponseTemplate {
    let body = serde_json::json!({"code": "10000", "msg": "成功", "data": data});
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

fn cloud_pay_info() -> serde_json::Value {
    serde_json::json!({
        "appId": "wx154f9a63aef2864f",
        "nonceStr": "W2ExnBJZfrYcqAargcKxD0FxkjRTJ81M",
        "packageStr": "prepay_id=wx11102037411915c588dec8290435820050",
        "paySign": "rFlfcgmJY5WTHc==",
        "signType": "RSA",
        "timeStamp": "1539224437"
    })
}

fn expected_params() -> WechatJsapiParams {
    WechatJsapiParams {
        app_id: "wx154f9a63aef2864f".into(),
        time_stamp: "1539224437".into(),
        nonce_str: "W2ExnBJZfrYcqAargcKxD0FxkjRTJ81M".into(),
        package: "prepay_id=wx11102037411915c588dec8290435820050".into(),
        sign_type: "RSA".into(),
        pay_sign: "rFlfcgmJY5WTHc==".into(),
    }
}

fn order_answer(
    order_id: &str,
    mis_id: &str,
    amount_fen: &str,
    cloud_pay_info: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "cloudPayInfo": cloud_pay_info,
        "merchantNo": MERCHANT,
        "orderId": order_id,
        "misId": mis_id,
        "platformId": "4200000001",
        "amount": amount_fen,
        "payTime": "20180921104914",
        "platform": "wxpay",
        "buyerPayAmount": amount_fen,
        "resultCode": "T00",
        "resultMsg": "用户支付中",
        "state": 1
    })
}

fn query_answer(
    order_id: &str,
    mis_id: &str,
    order_type: i64,
    amount_fen: i64,
    refunded_fen: &str,
    state: i64,
) -> serde_json::Value {
    serde_json::json!({
        "amount": amount_fen,
        "businessId": "",
        "buyerPayAmount": amount_fen,
        "misId": mis_id,
        "merchantNo": MERCHANT,
        "orderType": order_type,
        "orderId": order_id,
        "payTime": 1565147640,
        "platform": "wxpay",
        "platformId": "4200000001",
        "refunded": refunded_fen,
        "resultCode": "T00",
        "resultMsg": "Success",
        "state": state
    })
}

/// A `query` answer about a refund whose original order is `ori_order_id`, named in
/// `businessId` (what the adapter's `refund` sends) and in `oriOrderId` (not read: §4.3.3
/// documents no such field).
fn refund_query_answer(
    refund_no: &str,
    mis_id: &str,
    ori_order_id: &str,
    amount_fen: i64,
) -> serde_json::Value {
    let mut a = query_answer(refund_no, mis_id, 1, amount_fen, "0", 3);
    a["businessId"] = ori_order_id.into();
    a["oriOrderId"] = ori_order_id.into();
    a["oriMisId"] = "MIS-1".into();
    a
}

/// The requests the server received at `p`, each checked to be a signed form POST, as pairs.
async fn forms_at(server: &MockServer, p: &str) -> Vec<Params> {
    let mut out = Vec::new();
    for r in server.received_requests().await.unwrap() {
        if r.url.path() != p {
            continue;
        }
        assert_eq!(r.method.as_str(), "POST");
        assert_eq!(
            r.headers.get("content-type").unwrap().to_str().unwrap(),
            "application/x-www-form-urlencoded"
        );
        let form = Params::parse_form(&r.body).unwrap();
        let expected_sign = sunmi::request_signer()
            .sign(&form, &SecretString::from(APP_KEY))
            .unwrap();
        assert_eq!(
            form.get("sign"),
            Some(expected_sign.as_str()),
            "MD5 sign over the sent pairs"
        );
        assert_eq!(form.get("app_id"), Some(APP_ID));
        assert_eq!(form.get("charset"), Some("utf8"));
        out.push(form);
    }
    out
}

/// The form pairs but `sign`, `app_id` and `charset`, sorted.
fn business_pairs(form: &Params) -> Vec<(String, String)> {
    let mut v: Vec<_> = form
        .iter()
        .filter(|(k, _)| !matches!(*k, "sign" | "app_id" | "charset"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    v.sort();
    v
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

type Seen = Arc<Mutex<Vec<payhub::Notification>>>;

/// A callback that counts calls, records what it saw, and fails when told to.
fn recorder(
    count: &Arc<AtomicUsize>,
    seen: &Seen,
    fail: bool,
) -> impl FnOnce(Verified<payhub::Notification>) -> std::future::Ready<Result<(), std::io::Error>> {
    let count = count.clone();
    let seen = seen.clone();
    move |event| {
        count.fetch_add(1, Ordering::SeqCst);
        seen.lock().unwrap().push(event.into_inner());
        std::future::ready(if fail {
            Err(std::io::Error::other("database down"))
        } else {
            Ok(())
        })
    }
}

#[tokio::test]
async fn jsapi_scenario_create_notify_query_refund_query_refund() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/jsApiPay"))
        .respond_with(answer(order_answer(
            "T1001",
            "MIS-1",
            "990",
            cloud_pay_info(),
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .and(body_string_contains("orderId=T1001"))
        .respond_with(answer(query_answer("T1001", "MIS-1", 0, 990, "0", 3)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .and(body_string_contains("misId=MIS-1"))
        .respond_with(answer(query_answer("T1001", "MIS-1", 0, 990, "500", 3)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/refund"))
        .respond_with(answer(serde_json::json!({
            "amount": 500, "businessId": "T1001", "misId": "MIS-R1", "merchantNo": MERCHANT,
            "orderId": "R1001", "orderType": 1, "oriMisId": "MIS-1", "oriOrderId": "T1001",
            "payTime": 1565147700, "platform": "wxpay", "platformId": "4200000001",
            "resultCode": "00", "resultMsg": "成功", "state": 1
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .and(body_string_contains("orderId=R1001"))
        .respond_with(answer(refund_query_answer("R1001", "MIS-R1", "T1001", 500)))
        .mount(&server)
        .await;

    let hub = hub_at(&server.uri());
    let orders = MemoryOrders::default();
    let price = yuan("9.90");
    orders.insert(payhub::Provider::Sunmi, "T1001", price);

    // 1. Create: JSAPI, 9.90 yuan sent as totalAmount=9.90.
    let request = PaymentRequest::new(
        "T1001",
        price,
        "coffee",
        NOTIFY_URL,
        PayMethod::WechatJsapi {
            app_id: "wx154f9a63aef2864f".into(),
            open_id: "oG-NZ5LH".into(),
        },
    )
    .client_ip("203.0.113.9")
    .attach("not sent");
    let created = hub.create_payment(Provider::Sunmi, &request).await.unwrap();
    assert_eq!(created.provider, Provider::Sunmi);
    assert_eq!(created.order_no, "T1001");
    assert_eq!(created.provider_trade_no.as_deref(), Some("MIS-1"));
    assert_eq!(
        created.action,
        PaymentAction::WechatJsapi(expected_params())
    );
    let sent = forms_at(&server, "/v1/trade/jsApiPay").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        business_pairs(&sent[0]),
        pairs(&[
            ("merchantNo", MERCHANT),
            ("totalAmount", "9.90"),
            ("miniAppId", "wx154f9a63aef2864f"),
            ("openId", "oG-NZ5LH"),
            ("orderId", "T1001"),
            ("walletType", "TX01"),
            ("notifyUrl", NOTIFY_URL),
        ])
    );

    // 2. Payment notify, signed with the configured key: delivered once, acknowledged `success`.
    let count = Arc::new(AtomicUsize::new(0));
    let seen: Seen = Arc::default();
    let ack = hub
        .handle_notification_with(
            Provider::Sunmi,
            &http::HeaderMap::new(),
            &payment_notify("T1001", "990"),
            &orders,
            recorder(&count, &seen, false),
        )
        .await
        .unwrap();
    assert_eq!(ack, "success");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    {
        let seen = seen.lock().unwrap();
        let n = &seen[0];
        assert_eq!(n.provider, Provider::Sunmi);
        assert_eq!(n.kind, NotificationKind::Payment);
        assert_eq!(n.order_no, "T1001");
        assert_eq!(n.provider_trade_no.as_deref(), Some("MIS-1"));
        assert_eq!(n.amount, price);
        assert_eq!(n.status, PaymentStatus::Succeeded);
        assert_eq!(n.raw["amount"], 990);
        assert_eq!(n.raw["orderId"], "T1001");
        assert_eq!(n.raw["state"], 3);
        assert_eq!(n.raw["platform"], "wxpay");
    }

    // 3. Query by the merchant order number: orderId=T1001, merchantNo only.
    let paid = hub
        .query_payment(Provider::Sunmi, &PaymentQuery::by_order_no("T1001"))
        .await
        .unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(paid.amount, Some(price));
    assert_eq!(paid.order_no, "T1001");
    assert_eq!(paid.provider_trade_no.as_deref(), Some("MIS-1"));
    let sent = forms_at(&server, "/v1/trade/query").await;
    assert_eq!(
        business_pairs(&sent[0]),
        pairs(&[("merchantNo", MERCHANT), ("orderId", "T1001")])
    );

    // 4. Refund 5.00 of 9.90: amount=500 (fen), the original by misId, accepted (state 1).
    let refund = hub
        .refund(
            Provider::Sunmi,
            &RefundRequest {
                order_no: "T1001".into(),
                provider_trade_no: Some("MIS-1".into()),
                refund_no: "R1001".into(),
                amount: yuan("5.00"),
                total: Some(price),
                reason: Some("broken cup".into()),
                notify_url: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.status, PaymentStatus::Refunding);
    assert_eq!(refund.amount, Some(yuan("5.00")));
    assert_eq!(refund.refund_no, "R1001");
    assert_eq!(refund.provider_refund_no.as_deref(), Some("MIS-R1"));
    assert_eq!(refund.action_url, None);
    let sent = forms_at(&server, "/v1/trade/refund").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        business_pairs(&sent[0]),
        pairs(&[
            ("merchantNo", MERCHANT),
            ("amount", "500"),
            ("oriMisId", "MIS-1"),
            ("orderId", "R1001"),
            ("businessId", "T1001"),
        ])
    );

    // 5. Refund notify: keyed by the original order, amount = the refunded amount.
    let ack = hub
        .handle_notification_with(
            Provider::Sunmi,
            &http::HeaderMap::new(),
            &refund_notify("R1001", "T1001", "500"),
            &orders,
            recorder(&count, &seen, false),
        )
        .await
        .unwrap();
    assert_eq!(ack, "success");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    {
        let seen = seen.lock().unwrap();
        let n = &seen[1];
        assert_eq!(
            n.kind,
            NotificationKind::Refund {
                refund_no: Some("R1001".into())
            }
        );
        assert_eq!(n.order_no, "T1001");
        assert_eq!(n.provider_trade_no.as_deref(), Some("MIS-1"));
        assert_eq!(n.amount, yuan("5.00"));
        assert_eq!(n.status, PaymentStatus::Refunded(RefundExtent::Unknown));
        assert_eq!(n.raw["origOrderId"], "T1001");
        assert_eq!(n.raw["orderType"], 1);
    }

    // 6. Query the refund: `query` by the refund's orderId; the answer is a refund order.
    let queried = hub
        .query_refund(
            Provider::Sunmi,
            &RefundQuery {
                order_no: "T1001".into(),
                refund_no: "R1001".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        queried.status,
        PaymentStatus::Refunded(RefundExtent::Unknown)
    );
    assert_eq!(queried.amount, Some(yuan("5.00")));
    assert_eq!(queried.provider_refund_no.as_deref(), Some("MIS-R1"));
    let sent = forms_at(&server, "/v1/trade/query").await;
    assert_eq!(
        business_pairs(&sent[1]),
        pairs(&[("merchantNo", MERCHANT), ("orderId", "R1001")])
    );

    // 7. The payment by misId now shows the partial refund (refunded 500 of 990).
    let after = hub
        .query_payment(
            Provider::Sunmi,
            &PaymentQuery::by_order_no("T1001").with_provider_trade_no("MIS-1"),
        )
        .await
        .unwrap();
    assert_eq!(after.status, PaymentStatus::Refunded(RefundExtent::Partial));
    let sent = forms_at(&server, "/v1/trade/query").await;
    assert_eq!(
        business_pairs(&sent[2]),
        pairs(&[("merchantNo", MERCHANT), ("misId", "MIS-1")])
    );

    // 8. No close; other methods refused before anything is sent.
    let before = server.received_requests().await.unwrap().len();
    match hub
        .close_payment(Provider::Sunmi, &PaymentQuery::by_order_no("T1001"))
        .await
    {
        Err(Error::Unsupported {
            provider: Provider::Sunmi,
            operation: "close_payment",
        }) => {}
        other => panic!("expected Unsupported, got {other:?}"),
    }
    for (method, name) in [
        (PayMethod::WechatNative, "wechat_native"),
        (
            PayMethod::WechatApp {
                app_id: "wx1".into(),
            },
            "wechat_app",
        ),
        (PayMethod::WechatH5, "wechat_h5"),
        (PayMethod::AlipayQr, "alipay_qr"),
        (
            PayMethod::AlipayWeb {
                return_url: "https://shop.test/r".into(),
            },
            "alipay_web",
        ),
        (PayMethod::AlipayApp, "alipay_app"),
        (PayMethod::UnionPayApp, "unionpay_app"),
        (
            PayMethod::UnionPayWeb {
                return_url: "https://shop.test/r".into(),
            },
            "unionpay_web",
        ),
        (
            PayMethod::MicroPay {
                auth_code: "134567890123456789".into(),
            },
            "micro_pay",
        ),
        (
            PayMethod::HostedCashier {
                channel: "x".into(),
                return_url: None,
            },
            "hosted_cashier",
        ),
    ] {
        let req = PaymentRequest::new("T1002", price, "coffee", NOTIFY_URL, method);
        match hub.create_payment(Provider::Sunmi, &req).await {
            Err(Error::UnsupportedMethod {
                provider: Provider::Sunmi,
                method,
            }) => assert_eq!(method, name),
            other => panic!("{name}: expected UnsupportedMethod, got {other:?}"),
        }
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        before,
        "nothing sent for refused calls"
    );
}

#[tokio::test]
async fn mini_program_scenario_sends_fen_and_returns_mini_params() {
    let server = MockServer::start().await;
    // cloudPayInfo as a JSON-encoded string, as Sunmi also sends it.
    Mock::given(method("POST"))
        .and(path("/v1/trade/miniPay"))
        .respond_with(answer(order_answer(
            "M2001",
            "MIS-2",
            "1990",
            serde_json::Value::String(cloud_pay_info().to_string()),
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .respond_with(answer(query_answer("M2001", "MIS-2", 0, 1990, "1990", 3)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/refund"))
        .respond_with(answer(serde_json::json!({
            "amount": 1990, "misId": "MIS-R2", "orderId": "R2001", "orderType": 1,
            "oriMisId": "MIS-2", "payTime": 1565147700, "platform": "wxpay",
            "platformId": "4200000002", "state": 3
        })))
        .mount(&server)
        .await;
    let hub = hub_at(&server.uri());

    let request = PaymentRequest::new(
        "M2001",
        yuan("19.90"),
        "tea",
        NOTIFY_URL,
        PayMethod::WechatMini {
            app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LH".into(),
        },
    );
    let created = hub.create_payment(Provider::Sunmi, &request).await.unwrap();
    assert_eq!(created.action, PaymentAction::WechatMini(expected_params()));
    assert_eq!(created.provider_trade_no.as_deref(), Some("MIS-2"));
    let sent = forms_at(&server, "/v1/trade/miniPay").await;
    assert_eq!(
        business_pairs(&sent[0]),
        pairs(&[
            ("merchantNo", MERCHANT),
            ("totalAmount", "1990"),
            ("miniAppId", "wx2e5f6590644de622"),
            ("openId", "oG-NZ5LH"),
            ("orderId", "M2001"),
            ("notifyUrl", NOTIFY_URL),
        ])
    );

    // Fully refunded payment: state 3 with refunded == amount.
    let q = hub
        .query_payment(Provider::Sunmi, &PaymentQuery::by_order_no("M2001"))
        .await
        .unwrap();
    assert_eq!(q.status, PaymentStatus::Refunded(RefundExtent::Full));
    assert_eq!(q.amount, Some(yuan("19.90")));

    // Full refund by the merchant order number (no provider number): oriOrderId, amount=1990.
    let refund = hub
        .refund(
            Provider::Sunmi,
            &RefundRequest {
                order_no: "M2001".into(),
                provider_trade_no: None,
                refund_no: "R2001".into(),
                amount: yuan("19.90"),
                total: Some(yuan("19.90")),
                reason: None,
                notify_url: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.status, PaymentStatus::Refunded(RefundExtent::Full));
    let sent = forms_at(&server, "/v1/trade/refund").await;
    assert_eq!(
        business_pairs(&sent[0]),
        pairs(&[
            ("merchantNo", MERCHANT),
            ("amount", "1990"),
            ("oriOrderId", "M2001"),
            ("orderId", "R2001"),
            ("businessId", "M2001")
        ])
    );

    // A refund query answered with a payment order is refused, not reported as a refund.
    match hub
        .query_refund(
            Provider::Sunmi,
            &RefundQuery {
                order_no: "M2001".into(),
                refund_no: "M2001".into(),
            },
        )
        .await
    {
        Err(Error::Invalid {
            field: "refund_no", ..
        }) => {}
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn a_final_state_at_creation_and_provider_errors_surface() {
    let server = MockServer::start().await;
    let mut failed = order_answer("T3001", "MIS-3", "100", cloud_pay_info());
    failed["state"] = 5.into();
    failed["resultMsg"] = "交易失败".into();
    Mock::given(path("/v1/trade/jsApiPay"))
        .and(body_string_contains("orderId=T3001"))
        .respond_with(answer(failed))
        .mount(&server)
        .await;
    Mock::given(path("/v1/trade/jsApiPay"))
        .and(body_string_contains("orderId=T3002"))
        .respond_with(answer(
            serde_json::json!({"sub_code": "E01", "sub_msg": "商户不存在"}),
        ))
        .mount(&server)
        .await;
    let hub = hub_at(&server.uri());
    let method = PayMethod::WechatJsapi {
        app_id: "wx1".into(),
        open_id: "o1".into(),
    };
    let created = hub
        .create_payment(
            Provider::Sunmi,
            &PaymentRequest::new("T3001", yuan("1.00"), "x", NOTIFY_URL, method.clone()),
        )
        .await
        .unwrap();
    assert_eq!(
        created.action,
        PaymentAction::Final {
            status: PaymentStatus::Failed
        }
    );
    match hub
        .create_payment(
            Provider::Sunmi,
            &PaymentRequest::new("T3002", yuan("1.00"), "x", NOTIFY_URL, method),
        )
        .await
    {
        Err(Error::Sunmi(source)) => {
            assert!(matches!(
                source,
                sunmi::Error::Api {
                    code: sunmi::BusinessCode::E01MerchantNotFound,
                    ..
                }
            ));
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
}

#[tokio::test]
async fn notify_refusals_duplicates_and_callback_failure() {
    let hub = notify_hub();
    let headers = http::HeaderMap::new();
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Sunmi, "T1001", yuan("9.90"));
    orders.insert(payhub::Provider::Sunmi, "T1002", yuan("9.99"));
    let count = Arc::new(AtomicUsize::new(0));
    let seen: Seen = Arc::default();

    fn verification(r: Result<&'static str, Error>) -> String {
        match r {
            Err(Error::Notify(NotifyError::Verification {
                provider: Provider::Sunmi,
                reason,
            })) => reason,
            other => panic!("expected a verification error, got {other:?}"),
        }
    }

    // Tampered: the signed amount 990 changed to 1 after signing.
    let body = payment_notify("T1001", "990");
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("amount=990", "amount=1");
    assert_ne!(tampered.as_bytes(), &body[..]);
    let reason = verification(
        hub.handle_notification_with(
            Provider::Sunmi,
            &headers,
            tampered.as_bytes(),
            &orders,
            recorder(&count, &seen, false),
        )
        .await,
    );
    assert!(reason.contains("signature does not match"), "{reason}");

    // Signed with another key (the §6.4 test key's owner is not us either): refused.
    let other = RsaPrivateKey::generate_2048().unwrap();
    let forged = signed_form(&payment_pairs("T1001", "990"), &other);
    verification(
        hub.handle_notification_with(
            Provider::Sunmi,
            &headers,
            &forged,
            &orders,
            recorder(&count, &seen, false),
        )
        .await,
    );

    // A refund notify without origOrderId cannot be attributed: refused.
    let mut no_orig = payment_pairs("R9", "100");
    no_orig.retain(|(k, _)| *k != "orderType");
    no_orig.push(("orderType", "1"));
    no_orig.push(("origMisId", "MIS-1"));
    let reason = verification(
        hub.handle_notification_with(
            Provider::Sunmi,
            &headers,
            &signed_form(&no_orig, sunmi_key()),
            &orders,
            recorder(&count, &seen, false),
        )
        .await,
    );
    assert!(reason.contains("origOrderId"), "{reason}");

    // A cancellation (orderType 2) in state 3 is not a successful payment: refused.
    let mut cancel = payment_pairs("T1001", "990");
    cancel.retain(|(k, _)| *k != "orderType");
    cancel.push(("orderType", "2"));
    verification(
        hub.handle_notification_with(
            Provider::Sunmi,
            &headers,
            &signed_form(&cancel, sunmi_key()),
            &orders,
            recorder(&count, &seen, false),
        )
        .await,
    );

    // Amount differs from the order.
    match hub
        .handle_notification_with(
            Provider::Sunmi,
            &headers,
            &payment_notify("T1002", "990"),
            &orders,
            recorder(&count, &seen, false),
        )
        .await
    {
        Err(Error::Notify(NotifyError::AmountMismatch {
            provider: Provider::Sunmi,
            order_no,
            expected,
            got,
        })) => {
            assert_eq!(order_no, "T1002");
            assert_eq!(expected, yuan("9.99"));
            assert_eq!(got, yuan("9.90"));
        }
        other => panic!("expected AmountMismatch, got {other:?}"),
    }

    // Unknown order.
    match hub
        .handle_notification_with(
            Provider::Sunmi,
            &headers,
            &payment_notify("NOPE", "990"),
            &orders,
            recorder(&count, &seen, false),
        )
        .await
    {
        Err(Error::Notify(NotifyError::UnknownOrder {
            provider: Provider::Sunmi,
            order_no,
        })) => assert_eq!(order_no, "NOPE"),
        other => panic!("expected UnknownOrder, got {other:?}"),
    }
    // A refund of more than the order is refused too.
    match hub
        .handle_notification_with(
            Provider::Sunmi,
            &headers,
            &refund_notify("R1", "T1001", "991"),
            &orders,
            recorder(&count, &seen, false),
        )
        .await
    {
        Err(Error::Notify(NotifyError::AmountMismatch { .. })) => {}
        other => panic!("expected AmountMismatch, got {other:?}"),
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "no refused notify reached the callback"
    );

    // Callback failure: not acknowledged; Sunmi's retry of the same bytes is delivered again.
    let body = payment_notify("T1001", "990");
    match hub
        .handle_notification_with(
            Provider::Sunmi,
            &headers,
            &body,
            &orders,
            recorder(&count, &seen, true),
        )
        .await
    {
        Err(Error::Notify(NotifyError::Callback(e))) => assert_eq!(e.to_string(), "database down"),
        other => panic!("expected a callback error, got {other:?}"),
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let ack = hub
        .handle_notification_with(
            Provider::Sunmi,
            &headers,
            &body,
            &orders,
            recorder(&count, &seen, false),
        )
        .await
        .unwrap();
    assert_eq!(ack, "success");
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "the retry reached the callback"
    );

    // Duplicate: acknowledged with the exact ACK, not delivered again.
    let ack = hub
        .handle_notification_with(
            Provider::Sunmi,
            &headers,
            &body,
            &orders,
            recorder(&count, &seen, false),
        )
        .await
        .unwrap();
    assert_eq!(ack, "success");
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "a duplicate is not delivered twice"
    );

    // The same for a refund notify: twice, delivered once.
    let refund = refund_notify("R1001", "T1001", "500");
    for _ in 0..2 {
        let ack = hub
            .handle_notification_with(
                Provider::Sunmi,
                &headers,
                &refund,
                &orders,
                recorder(&count, &seen, false),
            )
            .await
            .unwrap();
        assert_eq!(ack, "success");
    }
    assert_eq!(count.load(Ordering::SeqCst), 3);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[2].kind,
        NotificationKind::Refund {
            refund_no: Some("R1001".into())
        }
    );
    assert_eq!(hub.gateway(Provider::Sunmi).unwrap().ack(), sunmi::ACK);
}

/// Every `TradeState` (the match below breaks the build when the crate adds one) and its
/// unified meaning for a payment and for a refund.
#[test]
fn every_trade_state_maps() {
    fn listed(s: TradeState) -> TradeState {
        match s {
            TradeState::Created
            | TradeState::Unpaid
            | TradeState::Success
            | TradeState::Closed
            | TradeState::Failed
            | TradeState::Unknown(_) => s,
        }
    }
    let table = [
        (
            TradeState::Created,
            PaymentStatus::Pending,
            PaymentStatus::Refunding,
        ),
        (
            TradeState::Unpaid,
            PaymentStatus::Pending,
            PaymentStatus::Refunding,
        ),
        (
            TradeState::Success,
            PaymentStatus::Succeeded,
            PaymentStatus::Refunded(RefundExtent::Partial),
        ),
        (
            TradeState::Closed,
            PaymentStatus::Closed,
            PaymentStatus::Closed,
        ),
        (
            TradeState::Failed,
            PaymentStatus::Failed,
            PaymentStatus::Failed,
        ),
        (
            TradeState::Unknown(9),
            PaymentStatus::Pending,
            PaymentStatus::Refunding,
        ),
        (
            TradeState::Unknown(0),
            PaymentStatus::Pending,
            PaymentStatus::Refunding,
        ),
    ];
    for (state, payment, refund) in table {
        assert_eq!(
            PaymentStatus::from(listed(state)),
            payment,
            "payment {state:?}"
        );
        assert_eq!(
            refund_status(state, RefundExtent::Partial),
            refund,
            "refund {state:?}"
        );
    }
    assert_eq!(TradeState::from(3), TradeState::Success);
    assert_eq!(
        refund_status(TradeState::Success, RefundExtent::Full),
        PaymentStatus::Refunded(RefundExtent::Full)
    );
    assert_eq!(
        refund_status(TradeState::Success, RefundExtent::Unknown),
        PaymentStatus::Refunded(RefundExtent::Unknown)
    );
    // An unknown state is never a success, in either sense.
    for raw in [-1, 0, 6, 99] {
        let s = TradeState::from(raw);
        assert!(!matches!(
            PaymentStatus::from(s),
            PaymentStatus::Succeeded | PaymentStatus::Refunded(_)
        ));
        assert!(!matches!(
            refund_status(s, RefundExtent::Full),
            PaymentStatus::Succeeded | PaymentStatus::Refunded(_)
        ));
    }
}

fn toml_config(base: &str) -> String {
    format!(
        r#"
[sunmi]
base_url = "{base}"
app_id = "{APP_ID}"
app_key_env = "SUNMI_APP_KEY"
merchant_no = "{MERCHANT}"
sunmi_public_key_env = "SUNMI_PUBLIC_KEY"
mini_pay_notify_url_max = 255
"#
    )
}

#[tokio::test]
async fn hub_from_toml_with_injected_env() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/trade/miniPay"))
        .respond_with(answer(order_answer(
            "M5001",
            "MIS-5",
            "1",
            cloud_pay_info(),
        )))
        .mount(&server)
        .await;
    let public_pem = sunmi_key().public_key().to_pem();
    let env = |name: &str| match name {
        "SUNMI_APP_KEY" => Some(APP_KEY.to_owned()),
        "SUNMI_PUBLIC_KEY" => Some(public_pem.clone()),
        _ => None,
    };
    let hub = Hub::from_toml_str_with_env(&toml_config(&server.uri()), &env).unwrap();
    assert_eq!(hub.providers(), vec![Provider::Sunmi]);

    // The app_key from the env signs requests (checked in forms_at); the raised notifyUrl
    // limit lets a 60-character URL through to miniPay.
    let long_url = "https://shop.example.com/payments/notify/sunmi/mini/program01";
    assert!(long_url.len() > 32);
    let req = PaymentRequest::new(
        "M5001",
        Money::from_fen(1),
        "x",
        long_url,
        PayMethod::WechatMini {
            app_id: "wx1".into(),
            open_id: "o1".into(),
        },
    );
    let created = hub.create_payment(Provider::Sunmi, &req).await.unwrap();
    assert_eq!(created.action, PaymentAction::WechatMini(expected_params()));
    let sent = forms_at(&server, "/v1/trade/miniPay").await;
    assert_eq!(sent[0].get("notifyUrl"), Some(long_url));
    assert_eq!(sent[0].get("totalAmount"), Some("1"));
    assert_eq!(sent[0].get("merchantNo"), Some(MERCHANT));

    // The public key from the env verifies notifies.
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Sunmi, "M5001", Money::from_fen(1));
    let ack = hub
        .handle_notification_with(
            Provider::Sunmi,
            &http::HeaderMap::new(),
            &payment_notify("M5001", "1"),
            &orders,
            |_| async { Ok::<(), std::io::Error>(()) },
        )
        .await
        .unwrap();
    assert_eq!(ack, "success");

    // A missing variable is a Config error naming it, without any secret value.
    let no_key = |name: &str| (name == "SUNMI_PUBLIC_KEY").then(|| public_pem.clone());
    match Hub::from_toml_str_with_env(&toml_config(&server.uri()), &no_key) {
        Err(Error::Config(msg)) => assert!(msg.contains("SUNMI_APP_KEY"), "{msg}"),
        other => panic!("expected a Config error, got {other:?}"),
    }
    let no_public = |name: &str| (name == "SUNMI_APP_KEY").then(|| APP_KEY.to_owned());
    match Hub::from_toml_str_with_env(&toml_config(&server.uri()), &no_public) {
        Err(Error::Config(msg)) => {
            assert!(msg.contains("SUNMI_PUBLIC_KEY"), "{msg}");
            assert!(!msg.contains(APP_KEY), "{msg}");
        }
        other => panic!("expected a Config error, got {other:?}"),
    }
    // A bad public key names the problem, not the app_key.
    let bad_public = |name: &str| match name {
        "SUNMI_APP_KEY" => Some(APP_KEY.to_owned()),
        _ => Some("not a key".to_owned()),
    };
    match Hub::from_toml_str_with_env(&toml_config(&server.uri()), &bad_public) {
        Err(Error::Config(msg)) => assert!(
            !msg.contains(APP_KEY) && msg.contains("public key"),
            "{msg}"
        ),
        other => panic!("expected a Config error, got {other:?}"),
    }
}

#[test]
fn toml_environment_and_key_rules() {
    let env = |name: &str| (name == "SUNMI_APP_KEY").then(|| APP_KEY.to_owned());
    let section = |extra: &str| {
        format!(
            "[sunmi]\napp_id = \"{APP_ID}\"\napp_key_env = \"SUNMI_APP_KEY\"\nmerchant_no = \"{MERCHANT}\"\n{extra}\n"
        )
    };

    // environment = "test" without a key: the §6.4 test key, so the §6.2 sample verifies.
    let hub = Hub::from_toml_str_with_env(&section("environment = \"test\""), &env).unwrap();
    let sample = [
        ("amount", "1"),
        ("businessId", ""),
        ("buyerPayAmount", "1"),
        ("misId", "test_5F5EC7A54CDCC58BADC425"),
        ("msn", "D804P89V00033"),
        ("orderId", "15632714718760"),
        ("orderType", "0"),
        ("payTime", "1563271502"),
        ("platform", "alipay"),
        ("platformId", "2019071622001419071050445382"),
        ("refunded", "0"),
        ("resultCode", "T00"),
        ("resultMsg", "Success"),
        (
            "sign",
            "GW6jDdLQ1z+CFtLoKjmxtMiHeKjm2ZgMTq19gQisV/PpOPIBeDXhWEu5WSzxZwiJHVzCQrPhyZX6kdwQ9xGTyxbsKTZj31zUxtWqqcmol7DpkGJRuG9wzqnNCZ7kmUrk8/XLs1TRxIusCQuojEZOdsE/EWqy/OlX4TrD0WqCeW9Kkk1IB5izAamv9BcEEPgYFLo0hBujo85GEjjzJrFs9ds59TYe0ElOZ6zdputanCJZuM6/SqQ4a1Xoy/MJFKhA6K0zc8ZPFiW0bBMhVFSwSwRY3IEsP0YWva7QcT9AjVW2FFILghJ5vrjonAmhmKCIwtHMA8zwM9j6qgMEF0kCGg==",
        ),
        ("state", "3"),
    ];
    let body = sample
        .iter()
        .cloned()
        .collect::<Params>()
        .to_form()
        .into_bytes();
    let event = hub
        .gateway(Provider::Sunmi)
        .unwrap()
        .parse_notification(&http::HeaderMap::new(), &body)
        .unwrap();
    assert_eq!(event.order_no, "15632714718760");
    assert_eq!(event.amount, Money::from_fen(1));
    assert_eq!(event.status, PaymentStatus::Succeeded);

    // The same sample is refused by a gateway configured with another key.
    assert!(matches!(
        notify_hub()
            .gateway(Provider::Sunmi)
            .unwrap()
            .parse_notification(&http::HeaderMap::new(), &body),
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));

    for (extra, needle) in [
        ("environment = \"production\"", "sunmi_public_key"),
        ("", "environment"),
        ("environment = \"staging\"", "environment"),
        (
            "environment = \"test\"\nbase_url = \"http://127.0.0.1:1\"",
            "not both",
        ),
        (
            "environment = \"test\"\nmsn = \"V206\"",
            "unknown key \"msn\"",
        ),
        ("environment = \"test\"\ntimeout_secs = 0", "timeout_secs"),
        ("base_url = \"not a url\"", "base_url"),
    ] {
        match Hub::from_toml_str_with_env(&section(extra), &env) {
            Err(Error::Config(msg)) => {
                assert!(msg.contains(needle), "{extra:?}: {msg}");
                assert!(!msg.contains(APP_KEY), "{msg}");
            }
            other => panic!("{extra:?}: expected a Config error, got {other:?}"),
        }
    }
}

/// A hub that confirms Sunmi notifies by query, against `server`.
fn confirming_hub(server: &MockServer) -> Hub {
    Hub::builder()
        .gateway(Arc::new(gateway_at(
            &server.uri(),
            sunmi_key().public_key(),
        )))
        .confirm_by_query(Provider::Sunmi)
        .build()
}

/// Runs a notify through `hub` and returns the result and how often the callback ran.
async fn notify_through(
    hub: &Hub,
    body: &[u8],
    orders: &MemoryOrders,
) -> (Result<&'static str, Error>, usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Seen::default();
    let r = hub
        .handle_notification_with(
            Provider::Sunmi,
            &http::HeaderMap::new(),
            body,
            orders,
            recorder(&count, &seen, false),
        )
        .await;
    (r, count.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_query_answer_about_another_order_is_refused() {
    let server = MockServer::start().await;
    // Whether asked by orderId or by misId, Sunmi answers about order T5999.
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .respond_with(answer(query_answer("T5999", "MIS-1", 0, 990, "0", 3)))
        .mount(&server)
        .await;
    let hub = hub_at(&server.uri());

    // Asked by orderId: the sunmi crate's echo check refuses it (ResponseMismatch).
    match hub
        .query_payment(Provider::Sunmi, &PaymentQuery::by_order_no("T5001"))
        .await
    {
        Err(e @ (Error::Sunmi(_) | Error::Answer { .. })) => {
            let msg = chain(&e);
            assert!(msg.contains("orderId") && msg.contains("T5999"), "{msg}")
        }
        other => panic!("expected a provider error naming orderId T5999, got {other:?}"),
    }
    match hub
        .query_payment(
            Provider::Sunmi,
            &PaymentQuery::by_order_no("T5001").with_provider_trade_no("MIS-1"),
        )
        .await
    {
        Err(Error::Invalid {
            field: "provider_trade_no",
            reason,
        }) => assert!(reason.contains("T5999"), "{reason}"),
        other => panic!("expected Invalid provider_trade_no, got {other:?}"),
    }

    // A notify of T5001 confirmed by query (by the notified misId) is refused, not delivered.
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Sunmi, "T5001", yuan("9.90"));
    let (r, calls) = notify_through(
        &confirming_hub(&server),
        &payment_notify("T5001", "990"),
        &orders,
    )
    .await;
    assert!(r.is_err(), "{r:?}");
    assert_eq!(calls, 0, "an unconfirmed notify is never delivered");
    let sent = forms_at(&server, "/v1/trade/query").await;
    assert_eq!(
        business_pairs(&sent[2]),
        pairs(&[("merchantNo", MERCHANT), ("misId", "MIS-1")])
    );
}

#[tokio::test]
async fn a_refund_answer_of_another_original_order_is_refused() {
    let server = MockServer::start().await;
    // R5001 is a refund of T-OTHER; R5002 a refund of T5001.
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .and(body_string_contains("orderId=R5001"))
        .respond_with(answer(refund_query_answer(
            "R5001", "MIS-R1", "T-OTHER", 500,
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .and(body_string_contains("orderId=R5002"))
        .respond_with(answer(refund_query_answer("R5002", "MIS-R2", "T5001", 500)))
        .mount(&server)
        .await;
    let hub = hub_at(&server.uri());
    let query = |refund_no: &str| RefundQuery {
        order_no: "T5001".into(),
        refund_no: refund_no.into(),
    };

    match hub.query_refund(Provider::Sunmi, &query("R5001")).await {
        Err(Error::Invalid {
            field: "order_no",
            reason,
        }) => assert!(reason.contains("T-OTHER"), "{reason}"),
        other => panic!("expected Invalid order_no, got {other:?}"),
    }
    let ok = hub
        .query_refund(Provider::Sunmi, &query("R5002"))
        .await
        .unwrap();
    assert_eq!(ok.refund_no, "R5002");
    assert_eq!(ok.provider_refund_no.as_deref(), Some("MIS-R2"));

    // A refund notify naming T5001 as the original order, confirmed by query: refused.
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Sunmi, "T5001", yuan("9.90"));
    let (r, calls) = notify_through(
        &confirming_hub(&server),
        &refund_notify("R5001", "T5001", "500"),
        &orders,
    )
    .await;
    assert!(r.is_err(), "{r:?}");
    assert_eq!(calls, 0, "an unconfirmed refund notify is never delivered");
    // The same notify for R5002, a refund of T5001, is confirmed and delivered.
    let (r, calls) = notify_through(
        &confirming_hub(&server),
        &refund_notify("R5002", "T5001", "500"),
        &orders,
    )
    .await;
    assert_eq!(r.unwrap(), "success");
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn a_query_answer_without_order_id_is_an_error_naming_it_unless_asked_by_mis_id() {
    fn names_order_id(r: Result<impl std::fmt::Debug, Error>) {
        match r {
            Err(e @ (Error::Sunmi(_) | Error::Answer { .. })) => {
                assert!(chain(&e).contains("orderId"), "{e}")
            }
            other => panic!("expected a Sunmi provider error naming orderId, got {other:?}"),
        }
    }
    let server = MockServer::start().await;
    // An empty orderId (as in §4.3.3's sample) for the payment, none at all for the refund.
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .and(body_string_contains("orderId=R6001"))
        .respond_with(answer({
            let mut a = refund_query_answer("R6001", "MIS-R1", "T6001", 500);
            a.as_object_mut().unwrap().remove("orderId");
            a
        }))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .respond_with(answer(query_answer("", "MIS-1", 0, 990, "0", 3)))
        .mount(&server)
        .await;
    let hub = hub_at(&server.uri());

    // By orderId, an answer silent on orderId cannot be matched.
    names_order_id(
        hub.query_payment(Provider::Sunmi, &PaymentQuery::by_order_no("T6001"))
            .await,
    );
    // By misId the match is misId: the document's own answer shape is accepted.
    let payment = hub
        .query_payment(
            Provider::Sunmi,
            &PaymentQuery::by_order_no("T6001").with_provider_trade_no("MIS-1"),
        )
        .await
        .unwrap();
    assert_eq!(payment.order_no, "T6001");
    assert_eq!(payment.provider_trade_no.as_deref(), Some("MIS-1"));
    assert_eq!(payment.amount, Some(yuan("9.90")));
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    names_order_id(
        hub.query_refund(
            Provider::Sunmi,
            &RefundQuery {
                order_no: "T6001".into(),
                refund_no: "R6001".into(),
            },
        )
        .await,
    );
    let sent = forms_at(&server, "/v1/trade/query").await;
    assert_eq!(
        business_pairs(&sent[0]),
        pairs(&[("merchantNo", MERCHANT), ("orderId", "T6001")])
    );
    assert_eq!(
        business_pairs(&sent[1]),
        pairs(&[("merchantNo", MERCHANT), ("misId", "MIS-1")])
    );
    assert_eq!(
        business_pairs(&sent[2]),
        pairs(&[("merchantNo", MERCHANT), ("orderId", "R6001")])
    );

    // A payment notify is confirmed by its (signed) misId and delivered; the refund notify,
    // queried by its refund number, is not: never the notify's own number in its place.
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Sunmi, "T6001", yuan("9.90"));
    let hub = confirming_hub(&server);
    let (r, calls) = notify_through(&hub, &payment_notify("T6001", "990"), &orders).await;
    assert_eq!(r.unwrap(), "success");
    assert_eq!(calls, 1);
    let (r, calls) = notify_through(&hub, &refund_notify("R6001", "T6001", "500"), &orders).await;
    assert!(r.is_err(), "{r:?}");
    assert_eq!(calls, 0);
    let sent = forms_at(&server, "/v1/trade/query").await;
    assert_eq!(
        business_pairs(&sent[3]),
        pairs(&[("merchantNo", MERCHANT), ("misId", "MIS-1")])
    );
}

/// A payment notify of `order_id` carrying `mis_id`.
fn payment_notify_with_mis_id(order_id: &str, mis_id: &str, amount_fen: &str) -> Vec<u8> {
    let mut p = payment_pairs(order_id, amount_fen);
    p.iter_mut().find(|(k, _)| *k == "misId").unwrap().1 = mis_id;
    signed_form(&p, sunmi_key())
}

#[tokio::test]
async fn a_query_by_mis_id_about_another_mis_id_or_amount_is_refused() {
    let server = MockServer::start().await;
    // Asked about MIS-7, Sunmi answers about MIS-OTHER; asked about MIS-8, it answers 5.00.
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .and(body_string_contains("misId=MIS-7"))
        .respond_with(answer(query_answer("", "MIS-OTHER", 0, 990, "0", 3)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .and(body_string_contains("misId=MIS-8"))
        .respond_with(answer(query_answer("", "MIS-8", 0, 500, "0", 3)))
        .mount(&server)
        .await;
    let hub = hub_at(&server.uri());

    match hub
        .query_payment(
            Provider::Sunmi,
            &PaymentQuery::by_order_no("T7001").with_provider_trade_no("MIS-7"),
        )
        .await
    {
        Err(e @ (Error::Sunmi(_) | Error::Answer { .. })) => {
            let msg = chain(&e);
            assert!(msg.contains("misId") && msg.contains("MIS-OTHER"), "{msg}");
        }
        other => panic!("expected a provider error naming misId, got {other:?}"),
    }
    let sent = forms_at(&server, "/v1/trade/query").await;
    assert_eq!(
        business_pairs(&sent[0]),
        pairs(&[("merchantNo", MERCHANT), ("misId", "MIS-7")])
    );

    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Sunmi, "T7001", yuan("9.90"));
    orders.insert(payhub::Provider::Sunmi, "T8001", yuan("9.90"));
    let hub = confirming_hub(&server);
    // Another misId: not confirmed, not delivered.
    let (r, calls) = notify_through(
        &hub,
        &payment_notify_with_mis_id("T7001", "MIS-7", "990"),
        &orders,
    )
    .await;
    assert!(r.is_err(), "{r:?}");
    assert_eq!(calls, 0);
    // The right misId but another amount (5.00 answered, 9.90 notified): refused.
    let (r, calls) = notify_through(
        &hub,
        &payment_notify_with_mis_id("T8001", "MIS-8", "990"),
        &orders,
    )
    .await;
    match r {
        Err(Error::Notify(NotifyError::NotConfirmed { reason, .. })) => {
            assert!(reason.contains("amount"), "{reason}")
        }
        other => panic!("expected NotConfirmed on the amount, got {other:?}"),
    }
    assert_eq!(calls, 0);
    let sent = forms_at(&server, "/v1/trade/query").await;
    assert_eq!(
        business_pairs(&sent[1]),
        pairs(&[("merchantNo", MERCHANT), ("misId", "MIS-7")])
    );
    assert_eq!(
        business_pairs(&sent[2]),
        pairs(&[("merchantNo", MERCHANT), ("misId", "MIS-8")])
    );
}

/// `payment_pairs` as a JSON object, numbers bare as in §6.2, signed over the same string.
fn payment_notify_json(order_id: &str, amount_fen: &str) -> Vec<u8> {
    let form = payment_notify(order_id, amount_fen);
    let p = Params::parse_form(&form).unwrap();
    let numbers = ["amount", "buyerPayAmount", "orderType", "payTime", "state"];
    let members: Vec<String> = p
        .iter()
        .map(|(k, v)| {
            if numbers.contains(&k) {
                format!("\"{k}\": {v}")
            } else {
                format!("\"{k}\": {}", serde_json::to_string(v).unwrap())
            }
        })
        .collect();
    format!("{{\n  {}\n}}", members.join(",\n  ")).into_bytes()
}

fn content_type(value: &str) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert(http::header::CONTENT_TYPE, value.parse().unwrap());
    h
}

#[tokio::test]
async fn a_json_notify_is_read_by_its_content_type() {
    let hub = notify_hub();
    let gateway = hub.gateway(Provider::Sunmi).unwrap();
    let json = payment_notify_json("T9001", "990");
    assert!(json.starts_with(b"{\n  \"amount\": 990,"));
    for headers in [
        content_type("application/json; charset=utf-8"),
        http::HeaderMap::new(),
    ] {
        let event = gateway.parse_notification(&headers, &json).unwrap();
        assert_eq!(event.order_no, "T9001");
        assert_eq!(event.amount, yuan("9.90"));
        assert_eq!(event.status, PaymentStatus::Succeeded);
    }
    // Told it is a form, the JSON body is refused (one unsigned field), never guessed.
    assert!(matches!(
        gateway.parse_notification(&content_type("application/x-www-form-urlencoded"), &json),
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));
    // The form is still read as a form with its Content-Type.
    let form = payment_notify("T9001", "990");
    let event = gateway
        .parse_notification(&content_type("application/x-www-form-urlencoded"), &form)
        .unwrap();
    assert_eq!(event.order_no, "T9001");

    // Delivered through the hub with the header.
    let orders = MemoryOrders::default();
    orders.insert(payhub::Provider::Sunmi, "T9001", yuan("9.90"));
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Seen::default();
    let r = hub
        .handle_notification_with(
            Provider::Sunmi,
            &content_type("application/json"),
            &json,
            &orders,
            recorder(&count, &seen, false),
        )
        .await;
    assert_eq!(r.unwrap(), "success");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(seen.lock().unwrap()[0].raw["amount"], 990);
}

#[test]
fn an_ambiguous_or_oversized_notify_is_refused_by_the_facade() {
    let gateway = notify_hub();
    let gateway = gateway.gateway(Provider::Sunmi).unwrap();
    // A genuine refund notify with origBusinessId=B and origMisId=OM ...
    let mut genuine = vec![
        ("amount", "500"),
        ("businessId", ""),
        ("buyerPayAmount", "500"),
        ("misId", "MIS-R1"),
        ("msn", "D804P89V00033"),
        ("orderId", "R1"),
        ("orderType", "1"),
        ("payTime", "1563271600"),
        ("platform", "wxpay"),
        ("platformId", "4200000001"),
        ("refunded", "500"),
        ("resultCode", "T00"),
        ("resultMsg", "Success"),
        ("state", "3"),
        ("origOrderId", "T1"),
        ("origBusinessId", "B"),
        ("origMisId", "OM"),
    ];
    let body = signed_form(&genuine, sunmi_key());
    let event = gateway
        .parse_notification(&http::HeaderMap::new(), &body)
        .unwrap();
    assert_eq!(event.provider_trade_no.as_deref(), Some("OM"));
    // ... and the attacker's: origMisId moved into origBusinessId, the same sign.
    let sign = Params::parse_form(&body)
        .unwrap()
        .get("sign")
        .unwrap()
        .to_owned();
    genuine.retain(|(k, _)| *k != "origMisId");
    genuine
        .iter_mut()
        .find(|(k, _)| *k == "origBusinessId")
        .unwrap()
        .1 = "B&origMisId=OM";
    let mut forged: Params = genuine.iter().cloned().collect();
    forged.push("sign", sign);
    match gateway.parse_notification(&http::HeaderMap::new(), forged.to_form().as_bytes()) {
        Err(Error::Notify(NotifyError::Verification { reason, .. })) => {
            assert!(reason.contains("origBusinessId"), "{reason}")
        }
        other => panic!("expected the forgery refused, got {other:?}"),
    }
    // Over 64 KiB: refused before parsing.
    let big = vec![b'a'; 64 * 1024 + 1];
    match gateway.parse_notification(&http::HeaderMap::new(), &big) {
        Err(Error::Notify(NotifyError::Verification { reason, .. })) => {
            assert!(
                reason.contains("65537") && reason.contains("65536"),
                "{reason}"
            )
        }
        other => panic!("expected the body refused by size, got {other:?}"),
    }
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
