//! The state machine on a real database: conflicting evidence goes to review and nothing is
//! overwritten; the transition log is append-only.

mod common;

use common::{Db, POOUL, request};
use payhub_ledger::{Observed, PaymentState, Source};
use paysig::Money;
use serde_json::json;

async fn conflicting_evidence_needs_review(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    // A verified paid notify, then a query that says unpaid.
    ledger
        .record_creating(
            POOUL,
            &request("CONFLICT-1", 1234, "http://127.0.0.1:9/n"),
            None,
        )
        .await
        .unwrap();
    let paid = ledger
        .apply_evidence(
            POOUL,
            "CONFLICT-1",
            Observed::Paid,
            Some(Money::from_fen(1234)),
            Source::Notify,
            json!({"notify": "paid", "piece": 1}),
        )
        .await
        .unwrap();
    assert_eq!(paid, PaymentState::Paid);
    let after = ledger
        .apply_evidence(
            POOUL,
            "CONFLICT-1",
            Observed::Unpaid,
            None,
            Source::Query,
            json!({"query": "unpaid", "piece": 2}),
        )
        .await
        .unwrap();
    assert_eq!(after, PaymentState::NeedsReview);
    let p = ledger.payment(POOUL, "CONFLICT-1").await.unwrap().unwrap();
    assert_eq!(p.state, PaymentState::NeedsReview);
    assert_eq!(
        p.amount,
        Money::from_fen(1234),
        "the amount is not overwritten"
    );
    assert!(p.review_reason.as_deref().unwrap().contains("unpaid"));
    let log = ledger.transitions(POOUL, "CONFLICT-1").await.unwrap();
    let states: Vec<_> = log.iter().map(|t| t.to.as_str()).collect();
    assert_eq!(states, ["creating", "paid", "needs_review"]);
    assert_eq!(log[1].evidence["piece"], 1, "the first piece is kept");
    assert_eq!(
        log[2].evidence["observed"]["piece"], 2,
        "the second piece is kept"
    );
    assert_eq!(log[2].evidence["recorded"]["state"], "paid");

    // Under review, later evidence is logged, never applied.
    let still = ledger
        .apply_evidence(
            POOUL,
            "CONFLICT-1",
            Observed::Paid,
            Some(Money::from_fen(1234)),
            Source::Sweep,
            json!({"piece": 3}),
        )
        .await
        .unwrap();
    assert_eq!(still, PaymentState::NeedsReview);
    let log = ledger.transitions(POOUL, "CONFLICT-1").await.unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!(log[3].evidence["piece"], 3);

    // A different amount: review, the recorded amount kept.
    ledger
        .record_creating(
            POOUL,
            &request("CONFLICT-2", 500, "http://127.0.0.1:9/n"),
            None,
        )
        .await
        .unwrap();
    let st = ledger
        .apply_evidence(
            POOUL,
            "CONFLICT-2",
            Observed::Paid,
            Some(Money::from_fen(5)),
            Source::Notify,
            json!({"amount_fen": 5}),
        )
        .await
        .unwrap();
    assert_eq!(st, PaymentState::NeedsReview);
    let p = ledger.payment(POOUL, "CONFLICT-2").await.unwrap().unwrap();
    assert_eq!(p.amount, Money::from_fen(500));
    let log = ledger.transitions(POOUL, "CONFLICT-2").await.unwrap();
    assert_eq!(log.last().unwrap().evidence["observed"]["amount_fen"], 5);

    // Paid after closed: review, not a silent regression either way.
    ledger
        .record_creating(
            POOUL,
            &request("CONFLICT-3", 500, "http://127.0.0.1:9/n"),
            None,
        )
        .await
        .unwrap();
    for (o, want) in [
        (Observed::Closed, PaymentState::Closed),
        (Observed::Unpaid, PaymentState::Closed),
        (Observed::Paid, PaymentState::NeedsReview),
    ] {
        let st = ledger
            .apply_evidence(POOUL, "CONFLICT-3", o, None, Source::Query, json!({}))
            .await
            .unwrap();
        assert_eq!(st, want, "{o:?}");
    }

    // The log is append-only, enforced by the database.
    let update = sqlx::query("UPDATE transitions SET to_state = 'paid'")
        .execute(ledger.pool())
        .await;
    assert!(update.is_err(), "an UPDATE of the log is refused");
    let delete = sqlx::query("DELETE FROM transitions")
        .execute(ledger.pool())
        .await;
    assert!(delete.is_err(), "a DELETE of the log is refused");
}
on_both!(conflicting_evidence_needs_review);

async fn refund_total_never_above_the_payment_in_the_database(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    ledger
        .record_creating(
            POOUL,
            &request("CHECK-1", 100, "http://127.0.0.1:9/n"),
            None,
        )
        .await
        .unwrap();
    let over =
        sqlx::query("UPDATE payments SET refund_reserved_fen = 101 WHERE order_no = 'CHECK-1'")
            .execute(ledger.pool())
            .await;
    assert!(
        over.is_err(),
        "the CHECK constraint refuses a refund total above the payment"
    );
}
on_both!(refund_total_never_above_the_payment_in_the_database);
