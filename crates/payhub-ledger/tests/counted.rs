//! Sweeps and reconciliations are counted under the names of `payhub::observe::names`: the
//! exported counters (rendered Prometheus text) equal what the returned reports say.
//! A local recorder on a current-thread runtime: other tests cannot disturb the counts.

mod common;

use common::{Db, Merchant, POOUL, request};
use payhub::Money;
use payhub::observe::names;
use payhub_ledger::{Observed, Source, SweepConfig, Sweeper, Window};
use payhub_sandbox::ProviderKind;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `name{labels}` → value, from Prometheus text.
fn series(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect()
}

fn at(s: &BTreeMap<String, f64>, key: &str) -> f64 {
    s.get(key).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn sweeps_and_reconciliations_are_counted() {
    let recorder = payhub::observe::prometheus_builder().build_recorder();
    let handle = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);

    let (ledger, _) = common::ledger(Db::Sqlite).await;
    let sandbox = common::sandbox(true).await;
    let hub = common::hub(&sandbox);
    let lh = ledger.clone().with_hub(hub.clone());
    let tag = paysig::nonce()[..6].to_uppercase();
    let orders: Vec<String> = (0..3).map(|i| format!("CT{i}{tag}")).collect();
    for (i, o) in orders.iter().enumerate() {
        lh.create_payment(
            POOUL,
            &request(o, 100 + i as u64, "http://127.0.0.1:9/n"),
            None,
        )
        .await
        .expect("create");
        // Paid, its notify dropped: the sweeper finds it.
        sandbox.pay(ProviderKind::Pooul, o).expect("pay");
    }
    let config = SweepConfig::default().immediate().queries_per_second(1000);
    let report = Sweeper::new(lh.clone(), Arc::new(Merchant), config)
        .run_once()
        .await;
    assert_eq!(report.delivered, 3, "{report:?}");

    // Paid in the ledger only: one difference.
    let ghost = format!("CTGHOST{tag}");
    lh.create_payment(POOUL, &request(&ghost, 300, "http://127.0.0.1:9/n"), None)
        .await
        .expect("create");
    ledger
        .apply_evidence(
            POOUL,
            &ghost,
            Observed::Paid,
            Some(Money::from_fen(300)),
            Source::Query,
            json!({}),
        )
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let window = Window {
        from: now - time::Duration::hours(1),
        to: now + time::Duration::hours(1),
    };
    let reconciled = lh.reconcile(POOUL, window).await.expect("reconcile");
    assert!(reconciled.errors.is_empty(), "{:?}", reconciled.errors);
    assert!(!reconciled.differences.is_empty());

    let text = handle.render();
    let s = series(&text);
    for p in hub.providers() {
        let key = format!(
            "{}{{provider=\"{}\",account=\"{}\"}}",
            names::LEDGER_SWEEPS,
            p.as_str(),
            ledger.account()
        );
        assert_eq!(at(&s, &key), 1.0, "{key}\n{text}");
    }
    for (result, n) in [
        ("claimed", report.claimed),
        ("queried", report.queries),
        ("closed", report.closes),
        ("delivered", report.delivered),
        ("duplicate", report.duplicates),
        ("moved", report.moved),
        ("still_pending", report.still_pending),
        ("error", report.errors.len() as u64),
    ] {
        let key = format!(
            "{}{{provider=\"pooul\",account=\"{}\",result=\"{result}\"}}",
            names::LEDGER_SWEPT,
            ledger.account()
        );
        assert_eq!(at(&s, &key), n as f64, "{key}\n{text}");
    }
    let account = ledger.account();
    let key = format!(
        "{}{{provider=\"pooul\",account=\"{account}\",result=\"differences\"}}",
        names::LEDGER_RECONCILIATIONS
    );
    assert_eq!(at(&s, &key), 1.0, "{key}\n{text}");
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    for d in &reconciled.differences {
        *kinds.entry(d.kind()).or_default() += 1;
    }
    for (kind, n) in kinds {
        let key = format!(
            "{}{{provider=\"pooul\",account=\"{account}\",kind=\"{kind}\"}}",
            names::LEDGER_RECONCILE_DIFFERENCES
        );
        assert_eq!(at(&s, &key), n as f64, "{key}\n{text}");
    }
    assert!(!text.contains(&tag), "no order number in a label");
    sandbox.shutdown().await;
}

/// The ledger's transactional notify path counts under the hub's names and labels: one
/// verified, one duplicate, one refused with its reason.
#[tokio::test]
async fn ledger_notifies_are_counted_like_the_hubs() {
    let recorder = payhub::observe::prometheus_builder().build_recorder();
    let handle = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);

    let (ledger, _) = common::ledger(Db::Sqlite).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    let order = format!("CN{}", paysig::nonce()[..6].to_uppercase());
    lh.create_payment(POOUL, &request(&order, 1999, "http://127.0.0.1:9/n"), None)
        .await
        .expect("create");
    sandbox.pay(ProviderKind::Pooul, &order).expect("pay");
    let rec = sandbox
        .notifications_delivered(ProviderKind::Pooul)
        .into_iter()
        .find(|n| n.order_no == order)
        .expect("the sandbox recorded the notify");
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        rec.content_type.parse().unwrap(),
    );
    let body = rec.body.into_bytes();
    for _ in 0..2 {
        lh.handle_notification_tx(POOUL, &headers, &body, &Merchant)
            .await
            .expect("verified, then a duplicate");
    }
    let mut tampered = body.clone();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    lh.handle_notification_tx(POOUL, &headers, &tampered, &Merchant)
        .await
        .expect_err("a tampered notify is refused");

    let s = series(&handle.render());
    let account = ledger.account();
    for (outcome, reason) in [
        ("verified", "none"),
        ("duplicate", "none"),
        ("refused", "verification_failed"),
    ] {
        let key = format!(
            "{}{{provider=\"pooul\",account=\"{account}\",outcome=\"{outcome}\",reason=\"{reason}\"}}",
            names::NOTIFIES
        );
        assert_eq!(at(&s, &key), 1.0, "{key}\n{}", handle.render());
    }
    sandbox.shutdown().await;
}
