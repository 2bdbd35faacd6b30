//! A hub with a ledger: recorded before sending, refused before sending.

mod common;

use common::{Db, POOUL, request};
use payhub::{Money, RefundRequest};
use payhub_ledger::{LedgerError, Observed, PaymentState, RefundState, Source};
use payhub_sandbox::{Faults, ProviderKind};
use serde_json::json;

fn refund(order: &str, no: &str, fen: u64, total: u64) -> RefundRequest {
    RefundRequest {
        order_no: order.into(),
        provider_trade_no: None,
        refund_no: no.into(),
        amount: Money::from_fen(fen),
        total: Some(Money::from_fen(total)),
        reason: Some("ledger test".into()),
        notify_url: None,
    }
}

async fn create_records_before_sending_and_refuses_a_second_create(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    let created = lh
        .create_payment(POOUL, &request("DUP-1", 990, "http://127.0.0.1:9/n"), None)
        .await
        .expect("create");
    let p = ledger.payment(POOUL, "DUP-1").await.unwrap().unwrap();
    assert_eq!(p.state, PaymentState::Pending);
    assert_eq!(p.amount, Money::from_fen(990));
    assert_eq!(p.method, "wechat_native");
    assert_eq!(p.provider_trade_no, created.provider_trade_no);
    let log = ledger.transitions(POOUL, "DUP-1").await.unwrap();
    let states: Vec<_> = log.iter().map(|t| (t.from.clone(), t.to.clone())).collect();
    assert_eq!(
        states,
        [
            (None, "creating".to_owned()),
            (Some("creating".into()), "pending".into())
        ]
    );

    // The same order number again, even with another amount: refused before sending (the
    // sandbox would have answered Pooul's duplicate code, not this typed error).
    let again = lh
        .create_payment(POOUL, &request("DUP-1", 1, "http://127.0.0.1:9/n"), None)
        .await;
    match again {
        Err(LedgerError::DuplicateOrder {
            order_no, state, ..
        }) => {
            assert_eq!(order_no, "DUP-1");
            assert_eq!(state, PaymentState::Pending);
        }
        other => panic!("expected DuplicateOrder, got {other:?}"),
    }
    let held = sandbox.order_state(ProviderKind::Pooul, "DUP-1").unwrap();
    assert_eq!(
        held.amount,
        Money::from_fen(990),
        "the sandbox still holds the first create only"
    );
    sandbox.shutdown().await;
}
on_both!(create_records_before_sending_and_refuses_a_second_create);

async fn create_outcome_by_error_class(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    // Processed, then the connection dropped: the provider may have it -> unknown.
    sandbox
        .set_faults(
            Faults {
                drop_ratio: 1.0,
                drop_notify_ratio: 1.0,
                ..Faults::default()
            },
            Some(1),
        )
        .unwrap();
    let e = lh
        .create_payment(POOUL, &request("UNK-1", 100, "http://127.0.0.1:9/n"), None)
        .await
        .unwrap_err();
    assert!(matches!(e, LedgerError::Hub(_)), "{e:?}");
    let p = ledger.payment(POOUL, "UNK-1").await.unwrap().unwrap();
    assert_eq!(p.state, PaymentState::Unknown);
    assert!(sandbox.order_state(ProviderKind::Pooul, "UNK-1").is_some());
    sandbox
        .set_faults(
            Faults {
                drop_notify_ratio: 1.0,
                ..Faults::default()
            },
            Some(1),
        )
        .unwrap();
    // A definite refusal (the sandbox refuses a zero amount) -> failed.
    let e = lh
        .create_payment(POOUL, &request("FAIL-1", 0, "http://127.0.0.1:9/n"), None)
        .await
        .unwrap_err();
    assert!(matches!(e, LedgerError::Hub(_)), "{e:?}");
    let p = ledger.payment(POOUL, "FAIL-1").await.unwrap().unwrap();
    assert_eq!(p.state, PaymentState::Failed, "{e}");
    sandbox.shutdown().await;
}
on_both!(create_outcome_by_error_class);

async fn refusals_before_sending_a_refund(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    lh.create_payment(POOUL, &request("REF-1", 1000, "http://127.0.0.1:9/n"), None)
        .await
        .unwrap();

    // Not paid yet: nothing to refund.
    match lh.refund(POOUL, &refund("REF-1", "R1", 100, 1000)).await {
        Err(LedgerError::NotRefundable { state, .. }) => assert_eq!(state, PaymentState::Pending),
        other => panic!("expected NotRefundable, got {other:?}"),
    }
    sandbox.pay(ProviderKind::Pooul, "REF-1").unwrap();
    ledger
        .apply_evidence(
            POOUL,
            "REF-1",
            Observed::Paid,
            Some(Money::from_fen(1000)),
            Source::Query,
            json!({}),
        )
        .await
        .unwrap();

    lh.refund(POOUL, &refund("REF-1", "R1", 600, 1000))
        .await
        .expect("first refund");
    let p = ledger.payment(POOUL, "REF-1").await.unwrap().unwrap();
    assert_eq!(p.refund_reserved, Money::from_fen(600));
    // Pooul answers a refund as accepted (退款中): pending until its notify or a query.
    assert_eq!(p.state, PaymentState::Paid);
    assert_eq!(
        ledger.refunds(POOUL, "REF-1").await.unwrap()[0].state,
        RefundState::Pending
    );

    // 500 more would be 1100 of 1000: refused, naming what remains.
    match lh.refund(POOUL, &refund("REF-1", "R2", 500, 1000)).await {
        Err(LedgerError::RefundExceedsRemaining {
            requested,
            remaining,
            ..
        }) => {
            assert_eq!(requested, Money::from_fen(500));
            assert_eq!(remaining, Money::from_fen(400));
        }
        other => panic!("expected RefundExceedsRemaining, got {other:?}"),
    }
    // The same refund number again: refused.
    match lh.refund(POOUL, &refund("REF-1", "R1", 100, 1000)).await {
        Err(LedgerError::DuplicateRefund { state, .. }) => assert_eq!(state, RefundState::Pending),
        other => panic!("expected DuplicateRefund, got {other:?}"),
    }
    let held = sandbox.order_state(ProviderKind::Pooul, "REF-1").unwrap();
    assert_eq!(
        held.refunds.len(),
        1,
        "the refused refunds never reached the sandbox"
    );

    lh.refund(POOUL, &refund("REF-1", "R3", 400, 1000))
        .await
        .expect("the rest");
    let p = ledger.payment(POOUL, "REF-1").await.unwrap().unwrap();
    assert_eq!(p.refund_reserved, Money::from_fen(1000));
    match lh.refund(POOUL, &refund("REF-1", "R4", 1, 1000)).await {
        Err(LedgerError::RefundExceedsRemaining { remaining, .. }) => {
            assert_eq!(remaining, Money::ZERO)
        }
        other => panic!("expected RefundExceedsRemaining, got {other:?}"),
    }
    let refunds = ledger.refunds(POOUL, "REF-1").await.unwrap();
    let nos: Vec<_> = refunds.iter().map(|r| r.refund_no.as_str()).collect();
    assert_eq!(nos, ["R1", "R3"]);
    assert_eq!(
        sandbox
            .order_state(ProviderKind::Pooul, "REF-1")
            .unwrap()
            .refunds
            .len(),
        2
    );
    sandbox.shutdown().await;
}
on_both!(refusals_before_sending_a_refund);

async fn refund_notify_settles_the_refund(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    lh.create_payment(POOUL, &request("RN-1", 1000, "http://127.0.0.1:9/n"), None)
        .await
        .unwrap();
    sandbox.pay(ProviderKind::Pooul, "RN-1").unwrap();
    ledger
        .apply_evidence(
            POOUL,
            "RN-1",
            Observed::Paid,
            Some(Money::from_fen(1000)),
            Source::Query,
            json!({}),
        )
        .await
        .unwrap();
    let mut r = refund("RN-1", "RN1-R1", 300, 1000);
    r.notify_url = Some("http://127.0.0.1:9/refund-notify".into());
    lh.refund(POOUL, &r).await.unwrap();
    assert_eq!(
        ledger.refunds(POOUL, "RN-1").await.unwrap()[0].state,
        RefundState::Pending
    );
    let rec = sandbox
        .notifications_delivered(ProviderKind::Pooul)
        .into_iter()
        .find(|n| n.order_no == "RN-1" && n.url.ends_with("/refund-notify"))
        .expect("the sandbox recorded the refund notify");
    let mut h = http::HeaderMap::new();
    h.insert(
        http::header::CONTENT_TYPE,
        rec.content_type.parse().unwrap(),
    );
    let receipt = lh
        .handle_notification_tx(POOUL, &h, rec.body.as_bytes(), &common::Merchant)
        .await
        .expect("refund notify");
    assert!(matches!(
        receipt.processed,
        payhub_ledger::Processed::Delivered(_)
    ));
    assert_eq!(
        ledger.refunds(POOUL, "RN-1").await.unwrap()[0].state,
        RefundState::Refunded
    );
    let p = ledger.payment(POOUL, "RN-1").await.unwrap().unwrap();
    assert_eq!(p.state, PaymentState::PartiallyRefunded);
    assert_eq!(p.refund_reserved, Money::from_fen(300));
    sandbox.shutdown().await;
}
on_both!(refund_notify_settles_the_refund);
