//! Reconciliation against the sandbox: one seeded difference of each kind, and nothing else.

mod common;

use common::{Db, request};
use payhub::{Money, Provider, RefundRequest};
use payhub_ledger::{BeeCloudBills, Difference, Observed, Source, Window};
use payhub_sandbox::ProviderKind;
use serde_json::json;
use std::sync::Arc;

const BC: Provider = Provider::BeeCloud;

fn beijing_today() -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    format!(
        "{:04}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

async fn reconcile_finds_each_difference(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let hub = common::hub(&sandbox);
    let lh = ledger.clone().with_hub(hub.clone()).with_bills(
        BC,
        Arc::new(BeeCloudBills::new(common::beecloud_client(&sandbox))),
    );
    let notify = "http://127.0.0.1:9/notify";
    let tag = paysig::nonce()[..6].to_uppercase();
    let no = |name: &str| format!("RC{name}{tag}");
    let paid_in_ledger = |o: String, fen: u64| {
        let ledger = ledger.clone();
        async move {
            ledger
                .apply_evidence(
                    BC,
                    &o,
                    Observed::Paid,
                    Some(Money::from_fen(fen)),
                    Source::Query,
                    json!({}),
                )
                .await
                .unwrap();
        }
    };

    // Agreeing orders: paid on both sides; unpaid on both sides.
    let created = lh
        .create_payment(BC, &request(&no("OKPAID"), 100, notify), None)
        .await
        .unwrap();
    let _ = created;
    sandbox.pay(ProviderKind::BeeCloud, &no("OKPAID")).unwrap();
    paid_in_ledger(no("OKPAID"), 100).await;
    lh.create_payment(BC, &request(&no("OKOPEN"), 100, notify), None)
        .await
        .unwrap();

    // 1. Paid at the provider, the ledger never heard (the notify was dropped).
    lh.create_payment(BC, &request(&no("LOST"), 200, notify), None)
        .await
        .unwrap();
    sandbox.pay(ProviderKind::BeeCloud, &no("LOST")).unwrap();
    // 2. Paid in the ledger, not at the provider.
    lh.create_payment(BC, &request(&no("GHOST"), 300, notify), None)
        .await
        .unwrap();
    paid_in_ledger(no("GHOST"), 300).await;
    // 3. Amount mismatch: the ledger's row altered after the fact.
    lh.create_payment(BC, &request(&no("AMOUNT"), 400, notify), None)
        .await
        .unwrap();
    sandbox.pay(ProviderKind::BeeCloud, &no("AMOUNT")).unwrap();
    paid_in_ledger(no("AMOUNT"), 400).await;
    sqlx::query("UPDATE payments SET amount_fen = 401 WHERE order_no = $1")
        .bind(no("AMOUNT"))
        .execute(ledger.pool())
        .await
        .unwrap();
    // 4. Refund total mismatch: refunded at the provider behind the ledger's back.
    let c = lh
        .create_payment(BC, &request(&no("REFUND"), 500, notify), None)
        .await
        .unwrap();
    sandbox.pay(ProviderKind::BeeCloud, &no("REFUND")).unwrap();
    paid_in_ledger(no("REFUND"), 500).await;
    let stamp = time::OffsetDateTime::now_utc()
        .unix_timestamp_nanos()
        .to_string();
    hub.refund(
        BC,
        &RefundRequest {
            order_no: no("REFUND"),
            provider_trade_no: c.provider_trade_no.clone(),
            refund_no: format!("{}{}", beijing_today(), &stamp[stamp.len() - 9..]),
            amount: Money::from_fen(150),
            total: Some(Money::from_fen(500)),
            reason: Some("reconcile test".into()),
            notify_url: None,
        },
    )
    .await
    .expect("refund outside the ledger");
    // 5. An order the ledger never recorded.
    hub.create_payment(BC, &request(&no("STRANGER"), 600, notify))
        .await
        .unwrap();
    sandbox
        .pay(ProviderKind::BeeCloud, &no("STRANGER"))
        .unwrap();

    let now = time::OffsetDateTime::now_utc();
    let window = Window {
        from: now - time::Duration::hours(1),
        to: now + time::Duration::hours(1),
    };
    let report = lh.reconcile(BC, window).await.expect("reconcile");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut expected = vec![
        Difference::PaidAtProviderNotInLedger {
            order_no: no("LOST"),
            ledger_state: "pending".into(),
            provider_amount: Money::from_fen(200),
        },
        Difference::PaidInLedgerNotAtProvider {
            order_no: no("GHOST"),
            ledger_state: "paid".into(),
            provider_state: "unpaid".into(),
        },
        Difference::AmountMismatch {
            order_no: no("AMOUNT"),
            ledger_amount: Money::from_fen(401),
            provider_amount: Money::from_fen(400),
        },
        Difference::RefundTotalMismatch {
            order_no: no("REFUND"),
            ledger_refunded: Money::ZERO,
            provider_refunded: Money::from_fen(150),
        },
        Difference::UnknownToLedger {
            order_no: no("STRANGER"),
            provider_amount: Money::from_fen(600),
            paid: true,
        },
    ];
    expected.sort_by(|a, b| a.order_no().cmp(b.order_no()));
    assert_eq!(report.differences, expected, "{report}");
    assert_eq!(report.ledger_orders, 6);

    let j = serde_json::to_value(&report).unwrap();
    assert_eq!(j["provider"], "beecloud");
    assert_eq!(j["account"], "default");
    let kinds: Vec<_> = j["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.len(), 5);
    let table = report.to_string();
    assert!(table.contains("5 differences"), "{table}");
    for d in &expected {
        let line = table
            .lines()
            .find(|l| l.contains(d.order_no()))
            .unwrap_or_else(|| panic!("{table}"));
        assert!(line.starts_with(d.kind()), "{line}");
    }
    sandbox.shutdown().await;
}
on_both!(reconcile_finds_each_difference);
