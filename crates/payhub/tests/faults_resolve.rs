//! Unknown outcomes under faults, resolved by query: 200 creates and 100 refunds through the
//! facade against the embedded sandbox with seeded faults (20% 5xx, 20% dropped answers,
//! 30 ms latency). Every call ends with a class; every unknown outcome resolves to what the
//! sandbox holds; the sandbox got no create and no refund more often than the SDK sent it,
//! and nothing the SDK called "not sent" reached it.
//!
//! The faults stay **on** while resolving: a resolution must get through 5xx answers and
//! dropped connections itself (they are transient for a query), which is what it meets in
//! production right after the failure it resolves.

use payhub::adapters::beecloud::{BeeCloudGateway, BeeCloudSettings};
use payhub::adapters::mifeng::MifengGateway;
use payhub::adapters::pooul::PooulGateway;
use payhub::adapters::sunmi::SunmiGateway;
use payhub::{
    ErrorClass, Hub, Money, PayMethod, PaymentRequest, Provider, RefundRequest, RefundResolution,
    Resolution, ResolvePolicy,
};
use payhub_sandbox::{
    Faults, OrderStatus, ProviderKind, RunningSandbox, Sandbox, SandboxConfig, SandboxKeys,
    pooul_codes,
};
use paysig::ExposeSecret;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROVIDERS: [Provider; 4] = [
    Provider::Sunmi,
    Provider::Pooul,
    Provider::BeeCloud,
    Provider::Mifeng,
];
const CREATES: usize = 200;
const REFUNDS: usize = 100;

fn kind(p: Provider) -> ProviderKind {
    match p {
        Provider::Sunmi => ProviderKind::Sunmi,
        Provider::Pooul => ProviderKind::Pooul,
        Provider::BeeCloud => ProviderKind::BeeCloud,
        Provider::Mifeng => ProviderKind::Mifeng,
    }
}

/// The create endpoint of each provider, as the sandbox counts it.
fn create_path(p: Provider) -> &'static str {
    match p {
        Provider::Sunmi => "/v1/trade/miniPay",
        Provider::Pooul => "/v2/pay",
        Provider::BeeCloud => "/1/rest/bill",
        Provider::Mifeng => "/v1/api/pay/unifiedorder",
    }
}

fn refund_path(p: Provider) -> &'static str {
    match p {
        Provider::Sunmi => "/v1/trade/refund",
        Provider::Pooul => "/v2/pay/refund",
        Provider::BeeCloud => "/1/rest/refund",
        other => panic!("no refund endpoint for {other:?}"),
    }
}

fn method(p: Provider) -> PayMethod {
    match p {
        Provider::Sunmi => PayMethod::WechatMini {
            app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
        },
        Provider::Pooul | Provider::BeeCloud => PayMethod::WechatNative,
        Provider::Mifeng => PayMethod::HostedCashier {
            channel: "1".into(),
            return_url: None,
        },
    }
}

async fn start_sandbox() -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        time_scale: 10_000.0,
        keys: Some(SandboxKeys::generate().expect("keys")),
        // The simulated payer pays at once, so an order the sandbox holds is paid and a
        // refund can follow.
        auto_pay: Some(Duration::from_secs(1)),
        mifeng_rate_limit_per_sec: 100_000,
        faults: Faults {
            latency: Duration::from_millis(30),
            error_5xx_ratio: 0.2,
            drop_ratio: 0.2,
            // Notifies are not under test here; none is delivered.
            drop_notify_ratio: 1.0,
        },
        seed: 20_261_130,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn hub(sb: &RunningSandbox) -> Hub {
    let c = sb.sunmi();
    let sunmi = sunmi::Client::new(sunmi::Config::new(
        sunmi::Environment::Custom(sb.base_url(ProviderKind::Sunmi)),
        c.app_id.clone(),
        c.app_key.clone(),
        c.platform_public_key.clone(),
    ))
    .unwrap();
    let c = sb.pooul();
    let pooul = pooul::Client::new(pooul::Config::new(
        pooul::Environment::Custom(sb.base_url(ProviderKind::Pooul)),
        c.merchant_id.clone(),
        c.merchant_private_key.clone(),
        c.platform_public_key.clone(),
    ))
    .unwrap()
    // pooul.md lists no "no such order" code; the sandbox's is this one.
    .with_not_found_codes([pooul_codes::TRADE_NOT_FOUND]);
    let c = sb.beecloud();
    let beecloud = beecloud::Client::new(beecloud::Config::new(
        beecloud::Environment::Custom(vec![sb.base_url(ProviderKind::BeeCloud)]),
        c.app_id.clone(),
        c.app_key.expose_secret(),
    ))
    .unwrap();
    let c = sb.mifeng();
    let mifeng = mifeng::Client::new(mifeng::Config::new(
        mifeng::Environment::Custom(sb.base_url(ProviderKind::Mifeng)),
        c.mch_id.clone(),
        c.secret.clone(),
    ))
    .unwrap();
    Hub::builder()
        .gateway(Arc::new(SunmiGateway::new(
            sunmi,
            sb.sunmi().merchant_no.clone(),
        )))
        .gateway(Arc::new(PooulGateway::new(pooul)))
        .gateway(Arc::new(BeeCloudGateway::new(
            beecloud,
            BeeCloudSettings::default(),
        )))
        .gateway(Arc::new(MifengGateway::new(mifeng)))
        // The documents' 5-10 s first delays are for production; the sandbox answers at once.
        .resolve_policy(ResolvePolicy::new(
            Duration::ZERO,
            Duration::from_millis(10),
            Duration::from_secs(10),
        ))
        .build()
}

/// BeeCloud's refund numbers start with the Beijing date (beecloud.md §3); the others take
/// the same numbers.
fn beijing_date() -> String {
    use beecloud::clock::{Clock, SystemClock, beijing_today};
    let d = beijing_today(SystemClock.now());
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// What one call ended as: success, or the class of its error.
fn outcome<T, E: paysig::Classify>(r: &Result<T, E>) -> Option<ErrorClass> {
    r.as_ref().err().map(|e| e.class())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_resolve_every_outcome() {
    let started = Instant::now();
    let sb = start_sandbox().await;
    let hub = Arc::new(hub(&sb));
    println!("sandbox up after {:?}", started.elapsed());

    // 200 creates, 50 per provider, all at once.
    let mut tasks = Vec::new();
    for i in 0..CREATES {
        let p = PROVIDERS[i % PROVIDERS.len()];
        let hub = Arc::clone(&hub);
        let order_no = format!("FR{i:04}");
        let amount = Money::from_fen(100 + i as u64);
        tasks.push(tokio::spawn(async move {
            let req = PaymentRequest::new(
                order_no.clone(),
                amount,
                "fault test",
                "http://127.0.0.1:9/notify",
                method(p),
            )
            .client_ip("127.0.0.1");
            let r = hub.create_payment(p, &req).await;
            let class = outcome(&r);
            let resolution = if class == Some(ErrorClass::OutcomeUnknown) {
                Some(hub.resolve_payment(p, &order_no).await)
            } else {
                None
            };
            (p, order_no, amount, class, resolution)
        }));
    }
    let mut classes: BTreeMap<(Provider, &'static str), u32> = BTreeMap::new();
    let mut sent: BTreeMap<Provider, u64> = BTreeMap::new();
    let mut paid_orders: Vec<(Provider, String, Money)> = Vec::new();
    let mut resolved: BTreeMap<(&'static str, &'static str), u32> = BTreeMap::new();
    for t in tasks {
        let (p, order_no, amount, class, resolution) = t.await.unwrap();
        let label = class.map_or("ok", ErrorClass::label);
        *classes.entry((p, label)).or_default() += 1;
        if !class.is_some_and(ErrorClass::never_sent) {
            *sent.entry(p).or_default() += 1;
        }
        let held = sb.order_state(kind(p), &order_no);
        match (class, resolution) {
            (None, _) => assert!(held.is_some(), "{p:?} {order_no}: created but not held"),
            (Some(ErrorClass::OutcomeUnknown), Some(r)) => {
                *resolved.entry(("payment", r.label())).or_default() += 1;
                match (&r, &held) {
                    (Resolution::NotFound, None) => {}
                    (Resolution::Paid(pay), Some(o)) if o.status == OrderStatus::Paid => {
                        assert_eq!(pay.order_no, order_no);
                        if let Some(a) = pay.amount {
                            assert_eq!(a, amount, "{p:?} {order_no}");
                        }
                    }
                    (Resolution::NotPaid(_), Some(o))
                        if matches!(
                            o.status,
                            OrderStatus::Failed | OrderStatus::Closed | OrderStatus::Reversed
                        ) => {}
                    (
                        Resolution::StillUnknown {
                            last_seen: Some(_), ..
                        },
                        Some(o),
                    ) if o.status.awaits_payment() => {}
                    other => panic!("{p:?} {order_no}: resolved {other:?}"),
                }
            }
            (Some(c), _) if c.never_sent() => {
                assert!(
                    held.is_none(),
                    "{p:?} {order_no}: {c} but the sandbox holds it"
                )
            }
            (Some(_), _) => {}
        }
        if let Some(o) = sb.order_state(kind(p), &order_no)
            && o.status == OrderStatus::Paid
            && p != Provider::Mifeng
        {
            paid_orders.push((p, order_no, amount));
        }
    }

    println!("creates done after {:?}", started.elapsed());
    // 100 refunds of 1 fen, round-robin over the paid orders of the providers that refund.
    assert!(!paid_orders.is_empty());
    let mut tasks = Vec::new();
    for i in 0..REFUNDS {
        let (p, order_no, total) = paid_orders[i % paid_orders.len()].clone();
        let hub = Arc::clone(&hub);
        let refund_no = format!("{}RF{i:04}", beijing_date());
        tasks.push(tokio::spawn(async move {
            let req = RefundRequest {
                order_no: order_no.clone(),
                provider_trade_no: None,
                refund_no: refund_no.clone(),
                amount: Money::from_fen(1),
                total: Some(total),
                reason: Some("fault test".into()),
                notify_url: None,
            };
            let r = hub.refund(p, &req).await;
            let class = outcome(&r);
            let resolution = if class == Some(ErrorClass::OutcomeUnknown) {
                Some(hub.resolve_refund(p, &order_no, &refund_no).await)
            } else {
                None
            };
            (p, order_no, refund_no, class, resolution)
        }));
    }
    let mut refunds_sent: BTreeMap<Provider, u64> = BTreeMap::new();
    for t in tasks {
        let (p, order_no, refund_no, class, resolution) = t.await.unwrap();
        let label = class.map_or("ok", ErrorClass::label);
        *classes.entry((p, label)).or_default() += 1;
        if !class.is_some_and(ErrorClass::never_sent) {
            *refunds_sent.entry(p).or_default() += 1;
        }
        let held = sb
            .order_state(kind(p), &order_no)
            .expect("a paid order")
            .refunds
            .iter()
            .any(|r| r.refund_no == refund_no);
        match (class, resolution) {
            (None, _) => assert!(held, "{p:?} {refund_no}: refunded but not held"),
            (Some(ErrorClass::OutcomeUnknown), Some(r)) => {
                *resolved.entry(("refund", r.label())).or_default() += 1;
                match (&r, held) {
                    (RefundResolution::NotFound, false) | (RefundResolution::Refunded(_), true) => {
                    }
                    other => panic!("{p:?} {refund_no}: resolved {other:?}"),
                }
            }
            (Some(c), _) if c.never_sent() => {
                assert!(!held, "{p:?} {refund_no}: {c} but the sandbox holds it")
            }
            (Some(_), _) => {}
        }
    }

    // Nothing reached the sandbox more often than it was sent, nor when the SDK said it was
    // never sent: the counts match call for call.
    for p in PROVIDERS {
        assert_eq!(
            sb.received(kind(p), create_path(p)),
            sent.get(&p).copied().unwrap_or(0),
            "{p:?} creates received vs sent"
        );
        if p != Provider::Mifeng {
            assert_eq!(
                sb.received(kind(p), refund_path(p)),
                refunds_sent.get(&p).copied().unwrap_or(0),
                "{p:?} refunds received vs sent"
            );
        }
    }
    println!("classes: {classes:?}");
    println!("resolved: {resolved:?}");
    println!("wall time: {:?}", started.elapsed());
    // The faults must have produced unknown outcomes for the test to mean anything.
    let unknown: u32 = classes
        .iter()
        .filter(|((_, l), _)| *l == "outcome_unknown")
        .map(|(_, n)| n)
        .sum();
    assert!(unknown >= 20, "only {unknown} unknown outcomes");
    assert!(
        resolved.contains_key(&("payment", "not_found"))
            && resolved.contains_key(&("payment", "paid"))
            && resolved.contains_key(&("refund", "refunded")),
        "{resolved:?}"
    );
    sb.shutdown().await;
}
