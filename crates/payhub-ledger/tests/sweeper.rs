//! The sweeper against the sandbox: every dropped notify recovered, and notifies racing three
//! sweepers deliver each payment once.

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::{Db, Merchant, POOUL, request};
use payhub_ledger::{Ledger, LedgerHub, PaymentState, SweepConfig, Sweeper};
use payhub_sandbox::{Faults, ProviderKind};
use std::sync::Arc;
use std::time::Duration;

const N: usize = 100;

async fn create_and_pay(
    lh: &LedgerHub,
    sandbox: &payhub_sandbox::RunningSandbox,
    prefix: &str,
    notify: &str,
) -> Vec<String> {
    let mut orders = Vec::new();
    for i in 0..N {
        let order = format!("{prefix}{i:04}");
        lh.create_payment(POOUL, &request(&order, 100 + i as u64, notify), None)
            .await
            .expect("create");
        sandbox.pay(ProviderKind::Pooul, &order).expect("pay");
        orders.push(order);
    }
    orders
}

async fn assert_all_paid_once(ledger: &Ledger, orders: &[String]) {
    for o in orders {
        let p = ledger.payment(POOUL, o).await.unwrap().unwrap();
        assert_eq!(p.state, PaymentState::Paid, "{o}");
        assert_eq!(common::effects_of(ledger, o).await, 1, "{o} delivered once");
    }
    assert_eq!(common::effects(ledger).await, (N as i64, N as i64));
}

async fn sweeper_recovers_every_dropped_notify(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    let orders = create_and_pay(&lh, &sandbox, "SWEEP", "http://127.0.0.1:9/notify").await;
    assert_eq!(common::effects(&ledger).await.0, 0, "no notify arrived");

    let config = SweepConfig::default()
        .immediate()
        .queries_per_second(1000)
        .concurrency(8);
    let sweeper = Sweeper::new(lh.clone(), Arc::new(Merchant), config);
    let report = sweeper.run_once().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.claimed, N as u64);
    assert_eq!(report.queries, N as u64);
    assert_eq!(report.delivered, N as u64);
    assert_all_paid_once(&ledger, &orders).await;
    let log = ledger.transitions(POOUL, &orders[0]).await.unwrap();
    assert_eq!(log.last().unwrap().source, "sweep");

    // A second sweep finds nothing due; the dropped notifies arriving late are duplicates.
    let again = sweeper.run_once().await;
    assert_eq!(again.claimed, 0);
    for rec in sandbox
        .notifications_delivered(ProviderKind::Pooul)
        .iter()
        .take(5)
    {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            rec.content_type.parse().unwrap(),
        );
        let r = lh
            .handle_notification_tx(POOUL, &h, rec.body.as_bytes(), &Merchant)
            .await
            .expect("late notify");
        assert_eq!(r.processed, payhub_ledger::Processed::Duplicate);
    }
    assert_all_paid_once(&ledger, &orders).await;
    sandbox.shutdown().await;
}
on_both!(sweeper_recovers_every_dropped_notify);

async fn receive(
    State(lh): State<LedgerHub>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    match lh
        .handle_notification_tx(POOUL, &headers, &body, &Merchant)
        .await
    {
        Ok(r) => (StatusCode::OK, r.ack),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "retry"),
    }
}

async fn notifies_and_three_sweepers_race(db: Db) {
    let (ledger, url) = common::ledger(db).await;
    let sandbox = common::sandbox(false).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    let app = axum::Router::new()
        .route("/notify", axum::routing::post(receive))
        .with_state(lh.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let notify = format!("http://{addr}/notify");

    // Hold the notifies back while the orders are created, then let them all go while
    // three sweepers (each with its own connections) sweep the same payments.
    sandbox
        .set_faults(
            Faults {
                drop_notify_ratio: 1.0,
                ..Faults::default()
            },
            Some(7),
        )
        .unwrap();
    let orders = create_and_pay(&lh, &sandbox, "RACE", &notify).await;
    // The notifies held so far are sent again (the provider's retry) while the sweepers
    // run; 30% of those attempts are dropped and retried on Pooul's schedule.
    sandbox
        .set_faults(
            Faults {
                drop_notify_ratio: 0.3,
                ..Faults::default()
            },
            Some(7),
        )
        .unwrap();
    let mut sweepers = Vec::new();
    for _ in 0..3 {
        let own = Ledger::connect(&url)
            .await
            .unwrap()
            .with_hub(common::hub(&sandbox));
        let config = SweepConfig::default()
            .immediate()
            .queries_per_second(1000)
            .concurrency(4);
        let s = Sweeper::new(own, Arc::new(Merchant), config);
        sweepers.push(tokio::spawn(async move { s.run_once().await }));
    }
    for o in &orders {
        assert!(
            sandbox
                .resend_pay_notify(ProviderKind::Pooul, o, None)
                .unwrap()
        );
        tokio::task::yield_now().await;
    }
    let (mut delivered, mut duplicates, mut claimed) = (0, 0, 0);
    for s in sweepers {
        let r = s.await.unwrap();
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        delivered += r.delivered;
        duplicates += r.duplicates;
        claimed += r.claimed;
    }
    assert!(claimed <= N as u64 * 3);
    // The notifies still on their way (dropped ones are retried on the schedule).
    for o in &orders {
        assert!(
            sandbox
                .wait_acknowledged(ProviderKind::Pooul, o, Duration::from_secs(60))
                .await
                .is_some(),
            "{o}: its notify is acknowledged (delivered, or a duplicate of the sweep)"
        );
    }
    assert_all_paid_once(&ledger, &orders).await;
    assert!(delivered <= N as u64, "sweepers delivered {delivered}");
    eprintln!(
        "race: sweepers claimed {claimed}, delivered {delivered}, found {duplicates} already \
         delivered; notifies delivered the other {}",
        N as u64 - delivered
    );
    server.abort();
    sandbox.shutdown().await;
}
on_both!(notifies_and_three_sweepers_race);

async fn sweeper_resolves_unknown_and_closes_expired(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    let notify = "http://127.0.0.1:9/notify";
    // Reached the sandbox, answer lost: unknown; the sweep finds it pending.
    sandbox
        .set_faults(
            Faults {
                drop_ratio: 1.0,
                drop_notify_ratio: 1.0,
                ..Faults::default()
            },
            Some(3),
        )
        .unwrap();
    lh.create_payment(POOUL, &request("UNKSEEN", 100, notify), None)
        .await
        .unwrap_err();
    // Refused with a 5xx before processing: unknown too. Pooul's document defines no
    // "no such order" code, so its refusal proves nothing: the payment stays unknown and the
    // sweep reports it (fails closed) until the resolution of issue 12 says "not found".
    sandbox
        .set_faults(
            Faults {
                error_5xx_ratio: 1.0,
                drop_notify_ratio: 1.0,
                ..Faults::default()
            },
            Some(3),
        )
        .unwrap();
    lh.create_payment(POOUL, &request("UNKNEVER", 100, notify), None)
        .await
        .unwrap_err();
    sandbox
        .set_faults(
            Faults {
                drop_notify_ratio: 1.0,
                ..Faults::default()
            },
            Some(3),
        )
        .unwrap();
    // Expired unpaid: closed at the provider (its minimum age lifted for the test).
    lh.create_payment(
        POOUL,
        &request("EXPIRED", 100, notify),
        Some(Duration::ZERO),
    )
    .await
    .unwrap();
    for o in ["UNKSEEN", "UNKNEVER"] {
        assert_eq!(
            ledger.payment(POOUL, o).await.unwrap().unwrap().state,
            PaymentState::Unknown
        );
    }
    let mut config = SweepConfig::default().immediate().queries_per_second(1000);
    config.min_close_age.clear();
    let report = Sweeper::new(lh.clone(), Arc::new(Merchant), config)
        .run_once()
        .await;
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].contains("UNKNEVER"), "{:?}", report.errors);
    assert_eq!(report.closes, 1);
    let state = |o: &'static str| {
        let ledger = ledger.clone();
        async move { ledger.payment(POOUL, o).await.unwrap().unwrap().state }
    };
    assert_eq!(state("UNKSEEN").await, PaymentState::Pending);
    assert_eq!(state("UNKNEVER").await, PaymentState::Unknown);
    assert_eq!(state("EXPIRED").await, PaymentState::Closed);
    assert_eq!(
        format!(
            "{:?}",
            sandbox
                .order_state(ProviderKind::Pooul, "EXPIRED")
                .unwrap()
                .status
        ),
        "Closed"
    );
    assert_eq!(
        common::effects_of(&ledger, "EXPIRED").await,
        1,
        "the close is delivered once"
    );
    sandbox.shutdown().await;
}
on_both!(sweeper_resolves_unknown_and_closes_expired);
