//! Notifies in one transaction with the merchant's side effect: a failing or panicking
//! callback rolls everything back; a worker killed before the commit leaves nothing, and the
//! retry handled by another process delivers once.

mod common;

use async_trait::async_trait;
use common::{Db, Merchant, POOUL, request};
use payhub::BoxError;
use payhub_ledger::{
    AnyConnection, EventHandler, LedgerError, LedgerEvent, LedgerHub, PaymentState, Processed,
};
use payhub_sandbox::{ProviderKind, RunningSandbox};
use tokio::io::AsyncBufReadExt;

/// Writes the side effect, then fails (or panics).
struct Failing {
    panic: bool,
}

#[async_trait]
impl EventHandler for Failing {
    async fn on_event(&self, tx: &mut AnyConnection, event: &LedgerEvent) -> Result<(), BoxError> {
        Merchant.on_event(tx, event).await?;
        if self.panic {
            panic!("merchant code panicked");
        }
        Err("the merchant's stock service is down".into())
    }
}

/// One paid order whose notify the sandbox dropped: its exact body and content type.
async fn paid_notify(
    sandbox: &RunningSandbox,
    lh: &LedgerHub,
    order: &str,
) -> (http::HeaderMap, Vec<u8>) {
    lh.create_payment(
        POOUL,
        &request(order, 1999, "http://127.0.0.1:9/notify"),
        None,
    )
    .await
    .expect("create");
    sandbox.pay(ProviderKind::Pooul, order).expect("pay");
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
    (headers, rec.body.into_bytes())
}

async fn callback_failure_rolls_back(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    let (headers, body) = paid_notify(&sandbox, &lh, "ROLLBACK-1").await;

    for panic in [false, true] {
        let e = lh
            .handle_notification_tx(POOUL, &headers, &body, &Failing { panic })
            .await
            .unwrap_err();
        assert!(matches!(e, LedgerError::Callback(_)), "{e:?}");
        assert_eq!(
            common::effects(&ledger).await.0,
            0,
            "the side effect was rolled back"
        );
        let p = ledger.payment(POOUL, "ROLLBACK-1").await.unwrap().unwrap();
        assert_eq!(
            p.state,
            PaymentState::Pending,
            "the transition was rolled back"
        );
        let (processed, last_error): (Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT processed_ms, last_error FROM notify_inbox WHERE dedup_key IS NOT NULL",
        )
        .fetch_one(ledger.pool())
        .await
        .unwrap();
        assert_eq!(processed, None, "the inbox row is not marked processed");
        let last_error = last_error.expect("the failure is recorded in the inbox");
        assert!(
            last_error.contains(if panic { "panicked" } else { "stock service" }),
            "{last_error}"
        );
    }

    // The provider's retry: delivered once.
    let r = lh
        .handle_notification_tx(POOUL, &headers, &body, &Merchant)
        .await
        .expect("the retry");
    assert!(matches!(r.processed, Processed::Delivered(ref e) if e.state == PaymentState::Paid));
    assert_eq!(r.ack, "success");
    // And the one after: a duplicate, acknowledged, not delivered.
    let r = lh
        .handle_notification_tx(POOUL, &headers, &body, &Merchant)
        .await
        .expect("a duplicate");
    assert_eq!(r.processed, Processed::Duplicate);
    assert_eq!(common::effects(&ledger).await, (1, 1));
    let p = ledger.payment(POOUL, "ROLLBACK-1").await.unwrap().unwrap();
    assert_eq!(p.state, PaymentState::Paid);
    let (receipts,): (i64,) =
        sqlx::query_as("SELECT receipts FROM notify_inbox WHERE dedup_key IS NOT NULL")
            .fetch_one(ledger.pool())
            .await
            .unwrap();
    assert_eq!(receipts, 4, "every receipt is counted in the one inbox row");

    // A tampered body is refused, kept in the inbox with the reason, and delivers nothing.
    let mut tampered = body.clone();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    let e = lh
        .handle_notification_tx(POOUL, &headers, &tampered, &Merchant)
        .await
        .unwrap_err();
    assert!(matches!(e, LedgerError::Hub(_)), "{e:?}");
    let (refused,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM notify_inbox WHERE dedup_key IS NULL \
         AND verification LIKE 'refused%'",
    )
    .fetch_one(ledger.pool())
    .await
    .unwrap();
    assert_eq!(refused, 1);
    assert_eq!(common::effects(&ledger).await, (1, 1));
    sandbox.shutdown().await;
}
on_both!(callback_failure_rolls_back);

async fn worker(
    url: &str,
    toml_path: &std::path::Path,
    env: &std::collections::HashMap<String, String>,
    body_path: &std::path::Path,
    content_type: &str,
    hang: bool,
) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_payhub-ledger-notify-worker"))
        .env("LEDGER_URL", url)
        .env("HUB_TOML", toml_path)
        .envs(env)
        .env("PROVIDER", "pooul")
        .env("BODY_FILE", body_path)
        .env("CONTENT_TYPE", content_type)
        .env("HANG_AFTER_EFFECT", if hang { "1" } else { "0" })
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("worker starts")
}

async fn killed_worker_delivers_once(db: Db) {
    let (ledger, url) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    let (headers, body) = paid_notify(&sandbox, &lh, "KILL-1").await;
    let dir = std::env::temp_dir().join(format!("payhub-ledger-kill-{}", paysig::nonce()));
    std::fs::create_dir_all(&dir).unwrap();
    let (toml, env) = common::hub_config(&sandbox);
    let toml_path = dir.join("hub.toml");
    let body_path = dir.join("body");
    std::fs::write(&toml_path, toml).unwrap();
    std::fs::write(&body_path, &body).unwrap();
    let ct = headers[http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();

    // Worker 1: the side effect runs, then SIGKILL before the commit.
    let mut first = worker(&url, &toml_path, &env, &body_path, &ct, true).await;
    let mut lines = tokio::io::BufReader::new(first.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
        .await
        .expect("worker 1 reaches its callback")
        .unwrap();
    assert_eq!(line.as_deref(), Some("SIDE_EFFECT_DONE"));
    first.kill().await.expect("SIGKILL"); // std's Child::kill is SIGKILL on Unix
    let status = first.wait().await.unwrap();
    assert!(!status.success());
    assert_eq!(
        common::effects(&ledger).await.0,
        0,
        "the killed worker's effect never committed"
    );

    // The provider's retry, handled by another process: delivered once.
    for expected in ["DELIVERED", "DUPLICATE"] {
        let out = worker(&url, &toml_path, &env, &body_path, &ct, false)
            .await
            .wait_with_output()
            .await
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), expected);
    }
    assert_eq!(
        common::effects(&ledger).await,
        (1, 1),
        "the side effect exists exactly once"
    );
    let p = ledger.payment(POOUL, "KILL-1").await.unwrap().unwrap();
    assert_eq!(p.state, PaymentState::Paid);
    let _ = std::fs::remove_dir_all(&dir);
    sandbox.shutdown().await;
}
on_both!(killed_worker_delivers_once);

/// The ledger as the hub's `OrderLookup` and `DedupStore`: `Hub::handle_notification_with`
/// shares the inbox's keys with `handle_notification_tx`.
async fn ledger_as_the_hubs_order_lookup_and_dedup_store(db: Db) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    let (headers, body) = paid_notify(&sandbox, &lh, "DEDUP-1").await;
    let (toml, env) = common::hub_config(&sandbox);
    let config = payhub::config::HubConfig::from_toml_str(&toml).unwrap();
    let section = config.pooul.as_ref().unwrap();
    let gateway =
        payhub::adapters::pooul::PooulGateway::from_config(section, &|n| env.get(n).cloned())
            .unwrap();
    let hub = payhub::Hub::builder()
        .gateway(std::sync::Arc::new(gateway))
        .dedup(std::sync::Arc::new(ledger.clone()))
        .build();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let count = || async {
        calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok::<(), BoxError>(())
    };
    // A failing callback releases the claim in the database.
    let failed = hub
        .handle_notification_with(POOUL, &headers, &body, &ledger, |_| async {
            Err::<(), BoxError>("down".into())
        })
        .await;
    assert!(failed.is_err());
    for _ in 0..2 {
        let ack = hub
            .handle_notification_with(POOUL, &headers, &body, &ledger, |_| count())
            .await
            .expect("ack");
        assert_eq!(ack, "success");
    }
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "delivered once"
    );
    // The same key through the ledger's own path: already processed.
    let r = lh
        .handle_notification_tx(POOUL, &headers, &body, &Merchant)
        .await
        .unwrap();
    assert_eq!(r.processed, Processed::Duplicate);
    // An order the ledger does not hold is refused by the lookup.
    use payhub::OrderLookup;
    assert!(ledger.find_order(POOUL, "NOPE").await.unwrap().is_none());
    assert_eq!(
        ledger
            .find_order(POOUL, "DEDUP-1")
            .await
            .unwrap()
            .unwrap()
            .amount,
        payhub::Money::from_fen(1999)
    );
    sandbox.shutdown().await;
}
on_both!(ledger_as_the_hubs_order_lookup_and_dedup_store);
