//! The four SDK clients run their whole flows against the sandbox over loopback, no mocks:
//! create → simulated payment → notify (retried until acknowledged) verified by the SDK →
//! query → refund, plus the rejections the SDKs must surface as typed errors.

mod common;

use common::{Receiver, sandbox, sandbox_with};
use payhub_sandbox::{ProviderKind, SandboxConfig, pooul_codes};
use paysig::http::Request;
use paysig::{ExposeSecret, Money};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn sunmi_sdk_flow() {
    use sunmi::{
        Client, Config, Environment, JsApiPayRequest, OrderRef, OriginalOrder, QueryRequest,
        RefundRequest, Terminal, TradeState,
    };
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["busy", sunmi::ACK]).await;
    let c = sb.sunmi();
    let client = Client::new(Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Sunmi)),
        c.app_id.clone(),
        c.app_key.clone(),
        c.platform_public_key.clone(),
    ))
    .unwrap();
    let order = client
        .js_api_pay(&JsApiPayRequest {
            merchant_no: c.merchant_no.clone(),
            total_amount: Money::from_fen(123),
            mini_app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
            order_id: "SDK-SM-1".into(),
            wallet_type: Default::default(),
            notify_url: Some(rx.url.to_string()),
        })
        .await
        .unwrap();
    assert_eq!(order.amount, Money::from_fen(123));

    sb.pay(ProviderKind::Sunmi, "SDK-SM-1").unwrap();
    let rec = sb
        .wait_acknowledged(ProviderKind::Sunmi, "SDK-SM-1", WAIT)
        .await
        .unwrap();
    assert_eq!(rec.attempts.len(), 2, "acknowledged on the retry");
    let notify = client
        .verify_notify(&paysig::http::HeaderMap::new(), &rx.received()[0].body)
        .unwrap();
    notify.check_amount(Money::from_fen(123)).unwrap();
    assert_eq!(notify.state, TradeState::Success);
    assert!(notify.check_amount(Money::from_fen(124)).is_err());

    let terminal = Terminal::MerchantNo(c.merchant_no.clone());
    let queried = client
        .query(&QueryRequest {
            terminal: terminal.clone(),
            order: OrderRef::OrderId("SDK-SM-1".into()),
        })
        .await
        .unwrap();
    assert_eq!(queried.state, TradeState::Success);
    let refund = |no: &str, fen: u64| RefundRequest {
        terminal: terminal.clone(),
        original: OriginalOrder::OrderId("SDK-SM-1".into()),
        order_id: no.into(),
        business_id: "B-1".into(),
        amount: Money::from_fen(fen),
    };
    let refunded = client.refund(&refund("SDK-SM-1-R1", 23)).await.unwrap();
    assert_eq!(refunded.amount, Money::from_fen(23));
    let over = client
        .refund(&refund("SDK-SM-1-R2", 101))
        .await
        .unwrap_err();
    assert!(
        matches!(&over, sunmi::Error::Api { code, .. } if *code == sunmi::BusinessCode::E22WrongRefundAmount),
        "{over:?}"
    );
    // A client with the wrong app_key gets Sunmi's "Invalid Sign".
    let wrong = Client::new(Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Sunmi)),
        c.app_id.clone(),
        paysig::SecretString::from("0".repeat(32)),
        c.platform_public_key.clone(),
    ))
    .unwrap();
    let err = wrong
        .query(&QueryRequest {
            terminal,
            order: OrderRef::OrderId("SDK-SM-1".into()),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sunmi::Error::System { msg, .. } if msg == "Invalid Sign"),
        "{err:?}"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn pooul_sdk_flow() {
    use pooul::{Client, Config, Environment, PayRequest, PayType, RefundRequest, TradeState};
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["fail", pooul::ACK]).await;
    let c = sb.pooul();
    let client = Client::new(Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Pooul)),
        c.merchant_id.clone(),
        c.merchant_private_key.clone(),
        c.platform_public_key.clone(),
    ))
    .unwrap();
    let order = PayRequest::new(
        PayType::WechatScan,
        "SDK-PL-1",
        Money::from_fen(221),
        "Coffee",
    )
    .spbill_create_ip("127.0.0.1")
    .notify_url(rx.url.clone())
    .attach("a1");
    let reply = client.pay(&order).await.unwrap();
    assert!(reply.data.code_url.is_some());

    sb.pay(ProviderKind::Pooul, "SDK-PL-1").unwrap();
    let rec = sb
        .wait_acknowledged(ProviderKind::Pooul, "SDK-PL-1", WAIT)
        .await
        .unwrap();
    assert_eq!(rec.attempts.len(), 2);
    let notify = client
        .verify_notify_pay(&paysig::http::HeaderMap::new(), &rx.received()[0].body)
        .unwrap();
    notify.check_amount(Money::from_fen(221)).unwrap();
    assert!(notify.is_paid());

    assert_eq!(
        client.query("SDK-PL-1").await.unwrap().data.trade_state,
        TradeState::Success
    );
    client
        .refund(&RefundRequest::new(
            "SDK-PL-1",
            "SDK-PL-1-R1",
            Money::from_fen(21),
            "test",
        ))
        .await
        .unwrap();
    let over = client
        .refund(&RefundRequest::new(
            "SDK-PL-1",
            "SDK-PL-1-R2",
            Money::from_fen(201),
            "test",
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&over, pooul::Error::Api { code, .. } if *code == pooul_codes::REFUND_EXCEEDS),
        "{over:?}"
    );
    // A client holding another merchant key is refused.
    let stranger = Client::new(Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Pooul)),
        c.merchant_id.clone(),
        paysig::RsaPrivateKey::generate_2048().unwrap(),
        c.platform_public_key.clone(),
    ))
    .unwrap();
    let err = stranger.query("SDK-PL-1").await.unwrap_err();
    assert!(
        matches!(&err, pooul::Error::Api { code, .. } if *code == pooul_codes::SIGNATURE_INVALID),
        "{err:?}"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn pooul_sdk_micropay_paying_then_paid() {
    use pooul::{Client, Config, Environment, MicroPayOutcome, PayRequest, PayType};
    let sb = sandbox_with(SandboxConfig {
        auto_pay: Some(Duration::from_secs(100)), // 10 ms here
        ..SandboxConfig::default()
    })
    .await;
    let c = sb.pooul();
    let mut config = Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Pooul)),
        c.merchant_id.clone(),
        c.merchant_private_key.clone(),
        c.platform_public_key.clone(),
    );
    config.micropay.poll_interval = Duration::from_millis(20);
    config.micropay.poll_deadline = Duration::from_secs(5);
    let client = Client::new(config).unwrap();
    let micro = PayRequest::new(
        PayType::Micro {
            auth_code: "136345610916464024".into(),
        },
        "SDK-PL-M1",
        Money::from_fen(1223),
        "Micro",
    )
    .spbill_create_ip("127.0.0.1");
    let outcome = client.micro_pay(&micro).await.unwrap();
    assert!(
        matches!(outcome, MicroPayOutcome::PaidAfterQuery { .. }),
        "{outcome:?}"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn beecloud_sdk_flow() {
    use beecloud::{
        BillChannel, BillRequest, BillResponse, BillsQuery, Channel, Client, Config, Environment,
        RefundChannel, RefundRequest, WebhookConfig,
    };
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["retry", beecloud::ACK]).await;
    sb.set_notify_url(ProviderKind::BeeCloud, Some(rx.url.clone()));
    let c = sb.beecloud();
    let config = Config::new(
        Environment::Custom(vec![sb.base_url(ProviderKind::BeeCloud)]),
        c.app_id.clone(),
        c.app_key.expose_secret(),
    )
    .with_webhook(WebhookConfig::v1(c.app_secret.expose_secret()));
    let client = Client::new(config).unwrap();
    let bill = client
        .bill(&BillRequest::new(
            BillChannel::WxNative,
            Money::from_fen(100),
            "SDKBC1",
            "白开水",
        ))
        .await
        .unwrap();
    assert!(matches!(*bill, BillResponse::WxNative(_)), "{bill:?}");

    sb.pay(ProviderKind::BeeCloud, "SDKBC1").unwrap();
    let rec = sb
        .wait_acknowledged(ProviderKind::BeeCloud, "SDKBC1", WAIT)
        .await
        .unwrap();
    assert_eq!(rec.attempts.len(), 2);
    let event = client
        .verify_notify(&paysig::http::HeaderMap::new(), &rx.received()[0].body)
        .unwrap();
    event.check_amount(Money::from_fen(100)).unwrap();
    assert!(event.claims_paid());

    let page = client
        .bills(&BillsQuery::new(Channel::Wx).bill_no("SDKBC1"))
        .await
        .unwrap();
    assert!(page.bills[0].spay_result);
    let t = time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    let refund_no = format!("{:04}{:02}{:02}001", t.year(), u8::from(t.month()), t.day());
    client
        .refund(&RefundRequest::new(
            RefundChannel::Wx,
            refund_no.clone(),
            "SDKBC1",
            Money::from_fen(40),
            Money::from_fen(100),
        ))
        .await
        .unwrap();
    assert_eq!(
        client
            .refund_status(&refund_no)
            .await
            .unwrap()
            .refund_status,
        "SUCCESS"
    );
    let again = format!("{:04}{:02}{:02}002", t.year(), u8::from(t.month()), t.day());
    let err = client
        .refund(&RefundRequest::new(
            RefundChannel::Wx,
            again,
            "SDKBC1",
            Money::from_fen(1),
            Money::from_fen(100),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            beecloud::Error::Api {
                code: beecloud::ResultCode::AlreadyRefunding,
                ..
            }
        ),
        "{err:?}"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn mifeng_sdk_flow_with_token_superseded_mid_flow() {
    use mifeng::{Client, Config, Environment, OrderState, UnifiedOrderRequest};
    let sb = sandbox().await;
    let rx = Receiver::start(vec!["success", mifeng::ACK]).await;
    let c = sb.mifeng();
    let client = Client::new(Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Mifeng)),
        c.mch_id.clone(),
        c.secret.clone(),
    ))
    .unwrap();
    let req = UnifiedOrderRequest::new(
        "1",
        "SDK-MF-1",
        Money::from_fen(1050),
        "127.0.0.1".parse().unwrap(),
        rx.url.clone(),
    );
    let created = client.unified_order(&req).await.unwrap();
    let order_no = created.data.order_no.clone();

    sb.pay(ProviderKind::Mifeng, "SDK-MF-1").unwrap();
    let rec = sb
        .wait_acknowledged(ProviderKind::Mifeng, "SDK-MF-1", WAIT)
        .await
        .unwrap();
    assert_eq!(rec.attempts.len(), 2);
    let notify = mifeng::notify::verify_notify(&rx.received()[0].body, &c.secret).unwrap();
    notify.check_amount(Money::from_fen(1050)).unwrap();

    // Someone else fetches a token: the SDK's cached one is no longer the newest, so the next
    // call is refused with code 2 and the SDK must refresh and repeat it once.
    let mut url = sb
        .base_url(ProviderKind::Mifeng)
        .join("/v1/api/pay/accesstoken")
        .unwrap();
    url.query_pairs_mut()
        .append_pair("mch_id", &c.mch_id)
        .append_pair("secret", c.secret.expose_secret());
    common::client()
        .send(Request::get("t", "mf", url))
        .await
        .unwrap();
    let balance = client.balance().await.unwrap();
    assert_eq!(balance.data.balance, Money::from_fen(1050));
    let queried = client.query(&order_no).await.unwrap();
    assert_eq!(queried.data.state, OrderState::Success);
    // A duplicate order number is -3.
    let dup = client.unified_order(&req).await.unwrap_err();
    assert!(
        matches!(
            &dup,
            mifeng::Error::Api {
                code: mifeng::ApiCode::UnifiedOrder(mifeng::UnifiedOrderCode::OutOrderNoInvalid),
                ..
            }
        ),
        "{dup:?}"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn beecloud_sdk_verifies_the_snake_case_webhook() {
    use beecloud::{BillChannel, BillRequest, Client, Config, Environment, WebhookConfig};
    let sb = sandbox_with(SandboxConfig {
        beecloud_webhook: payhub_sandbox::BeeCloudWebhookScheme::SnakeCaseSignature,
        ..SandboxConfig::default()
    })
    .await;
    let rx = Receiver::start(vec![beecloud::ACK]).await;
    sb.set_notify_url(ProviderKind::BeeCloud, Some(rx.url.clone()));
    let c = sb.beecloud();
    let config = Config::new(
        Environment::Custom(vec![sb.base_url(ProviderKind::BeeCloud)]),
        c.app_id.clone(),
        c.app_key.expose_secret(),
    )
    .with_webhook(WebhookConfig::v2(c.master_secret.expose_secret()));
    let client = Client::new(config).unwrap();
    let bill = BillRequest::new(BillChannel::UnApp, Money::from_fen(5), "SDKBC2", "t");
    client.bill(&bill).await.unwrap();
    sb.pay(ProviderKind::BeeCloud, "SDKBC2").unwrap();
    let got = rx.wait_for(1).await;
    let event = client
        .verify_notify(&paysig::http::HeaderMap::new(), &got[0].body)
        .unwrap();
    event.check_amount(Money::from_fen(5)).unwrap();
    sb.shutdown().await;
}

#[tokio::test]
async fn mifeng_sdk_json_bodies_and_get_token() {
    use mifeng::{BodyEncoding, Client, Config, Environment, TokenMethod, UnifiedOrderRequest};
    let sb = sandbox().await;
    let c = sb.mifeng();
    let mut config = Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Mifeng)),
        c.mch_id.clone(),
        c.secret.clone(),
    );
    config.body_encoding = BodyEncoding::Json;
    config.token_method = TokenMethod::Get;
    let client = Client::new(config).unwrap();
    let req = UnifiedOrderRequest::new(
        "2",
        "SDK-MF-J",
        Money::from_fen(1),
        "127.0.0.1".parse().unwrap(),
        url::Url::parse("http://127.0.0.1:9/n").unwrap(),
    );
    let created = client.unified_order(&req).await.unwrap();
    assert_eq!(created.data.money, Money::from_fen(1));
    sb.shutdown().await;
}

#[tokio::test]
async fn pooul_sdk_reports_a_dropped_answer_as_transport_error_while_the_order_exists() {
    use pooul::{Client, Config, Environment, PayRequest, PayType};
    let sb = sandbox_with(SandboxConfig {
        faults: payhub_sandbox::Faults {
            drop_ratio: 1.0,
            ..Default::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let c = sb.pooul();
    let client = Client::new(Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Pooul)),
        c.merchant_id.clone(),
        c.merchant_private_key.clone(),
        c.platform_public_key.clone(),
    ))
    .unwrap();
    let order = PayRequest::new(PayType::WechatScan, "SDK-PL-D", Money::from_fen(3), "Tea")
        .spbill_create_ip("127.0.0.1");
    let err = client.pay(&order).await.unwrap_err();
    assert!(matches!(err, pooul::Error::Http { .. }), "{err:?}");
    assert!(
        sb.order_state(ProviderKind::Pooul, "SDK-PL-D").is_some(),
        "the order was created although the answer was lost"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn sunmi_sdk_bind_then_mini_pay_in_fen() {
    use sunmi::{
        BindConfig, Client, Config, Environment, MiniPayRequest, PayBindOutcome, PayBindRequest,
    };
    let sb = sandbox().await;
    let c = sb.sunmi();
    let client = Client::new(Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Sunmi)),
        c.app_id.clone(),
        c.app_key.clone(),
        c.platform_public_key.clone(),
    ))
    .unwrap();
    let bind = PayBindRequest {
        merchant_no: c.merchant_no.clone(),
        config: BindConfig::MiniAppId("wx758379be100f9991".into()),
    };
    assert_eq!(
        client.pay_bind(&bind).await.unwrap().into_inner(),
        PayBindOutcome::Success
    );
    assert!(client.pay_bind(&bind).await.is_err(), "Q03: already bound");
    let order = client
        .mini_pay(&MiniPayRequest {
            merchant_no: c.merchant_no.clone(),
            total_amount: Money::from_fen(1),
            mini_app_id: "wx758379be100f9991".into(),
            open_id: "o2uCJ5RGOOylP75Ipvncazz0bFAI".into(),
            order_id: "SDK-SM-MINI".into(),
            app_version: None,
            notify_url: None,
        })
        .await
        .unwrap();
    assert_eq!(order.amount, Money::from_fen(1));
    assert_eq!(
        sb.order_state(ProviderKind::Sunmi, "SDK-SM-MINI")
            .unwrap()
            .amount,
        Money::from_fen(1)
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn pooul_sdk_close_and_reverse() {
    use pooul::{Client, Config, Environment, PayRequest, PayType, TradeState};
    let sb = sandbox().await;
    let c = sb.pooul();
    let client = Client::new(Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Pooul)),
        c.merchant_id.clone(),
        c.merchant_private_key.clone(),
        c.platform_public_key.clone(),
    ))
    .unwrap();
    for no in ["SDK-PL-C", "SDK-PL-R"] {
        let order = PayRequest::new(PayType::AlipayScan, no, Money::from_fen(7), "Cake");
        client.pay(&order).await.unwrap();
    }
    client.close("SDK-PL-C").await.unwrap();
    assert_eq!(
        client.query("SDK-PL-C").await.unwrap().data.trade_state,
        TradeState::Closed
    );
    sb.pay(ProviderKind::Pooul, "SDK-PL-R").unwrap();
    client.reverse("SDK-PL-R").await.unwrap();
    assert_eq!(
        client.query("SDK-PL-R").await.unwrap().data.trade_state,
        TradeState::Reversed
    );
    assert!(
        client.close("SDK-PL-R").await.is_err(),
        "a reversed order cannot be closed"
    );
    sb.shutdown().await;
}
