//! The ledger per hub account (issue 16): `Ledger::for_account` records, processes notifies
//! and looks orders up in its account's rows, and routes its calls to that account.

mod common;

use common::{Db, Merchant, POOUL, request};
use payhub_ledger::PaymentState;
use payhub_sandbox::ProviderKind;

async fn ledger_records_the_account(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let (toml, env) = common::hub_config(&sandbox);
    // The sandbox's Pooul merchant a second time, as the named account `shop-b`.
    let pooul = toml.split("\n\n").next().expect("the [pooul] section");
    let toml = format!(
        "{toml}\n{}\n",
        pooul.replacen("[pooul]", "[pooul.accounts.shop-b]", 1)
    );
    let hub = payhub::Hub::from_toml_str_with_env(&toml, &|n| env.get(n).cloned()).expect("hub");
    let shop_b = ledger.for_account("shop-b").with_hub(hub.clone());
    assert_eq!(shop_b.ledger().account(), "shop-b");
    shop_b
        .create_payment(
            POOUL,
            &request("ACC-1", 1999, "http://127.0.0.1:9/notify"),
            None,
        )
        .await
        .expect("create through shop-b");
    let row = shop_b
        .ledger()
        .payment(POOUL, "ACC-1")
        .await
        .unwrap()
        .expect("shop-b's row");
    assert_eq!(row.account, "shop-b");
    assert_eq!(row.state, PaymentState::Pending);
    // The default account's ledger does not see another account's order.
    assert!(ledger.payment(POOUL, "ACC-1").await.unwrap().is_none());

    sandbox.pay(ProviderKind::Pooul, "ACC-1").expect("pay");
    let rec = sandbox
        .notifications_delivered(ProviderKind::Pooul)
        .into_iter()
        .find(|n| n.order_no == "ACC-1")
        .expect("the sandbox recorded the notify");
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        rec.content_type.parse().unwrap(),
    );
    let body = rec.body.into_bytes();
    // Through the default account's ledger: no such order in its rows.
    assert!(
        ledger
            .clone()
            .with_hub(hub.clone())
            .handle_notification_tx(POOUL, &headers, &body, &Merchant)
            .await
            .is_err()
    );
    let receipt = shop_b
        .handle_notification_tx(POOUL, &headers, &body, &Merchant)
        .await
        .expect("processed for shop-b");
    assert_eq!(receipt.ack, "success");
    let row = shop_b
        .ledger()
        .payment(POOUL, "ACC-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.account.as_str(), row.state),
        ("shop-b", PaymentState::Paid)
    );
    let transitions = shop_b.ledger().transitions(POOUL, "ACC-1").await.unwrap();
    assert!(!transitions.is_empty());
    assert!(ledger.transitions(POOUL, "ACC-1").await.unwrap().is_empty());
}
on_both!(ledger_records_the_account);
