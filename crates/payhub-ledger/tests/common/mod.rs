//! Test helpers: a fresh database per test (a SQLite file, or a PostgreSQL database of its
//! own), the sandbox and a hub pointed at it, and a merchant whose side effect is a row in
//! its own table, written through the ledger's transaction.
#![allow(dead_code)]

use async_trait::async_trait;
use payhub::{BoxError, Hub, Money, PayMethod, PaymentRequest, Provider};
use payhub_ledger::{AnyConnection, EventHandler, Ledger, LedgerEvent};
use payhub_sandbox::{Faults, RunningSandbox, Sandbox, SandboxConfig, SandboxKeys};
use paysig::ExposeSecret;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Which database a test body runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A database of the test's own: its URL.
pub async fn fresh_db(db: Db) -> String {
    let name = format!("payhub_t_{}", paysig::nonce().to_lowercase());
    match db {
        Db::Sqlite => {
            let dir = std::env::temp_dir().join("payhub-ledger-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}", dir.join(format!("{name}.db")).display())
        }
        Db::Postgres => {
            let base = std::env::var("PAYHUB_POSTGRES_URL")
                .expect("PAYHUB_POSTGRES_URL (cargo xtask ci sets it) for the Postgres tests");
            sqlx::any::install_default_drivers();
            let admin = sqlx::AnyPool::connect(&base)
                .await
                .expect("connect postgres");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .expect("create database");
            admin.close().await;
            let mut url = url::Url::parse(&base).expect("postgres url");
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
    }
}

/// A fresh ledger with the merchant's own table beside it.
pub async fn ledger(db: Db) -> (Ledger, String) {
    let url = fresh_db(db).await;
    let ledger = Ledger::connect(&url).await.expect("ledger connects");
    sqlx::query(
        "CREATE TABLE merchant_effects (dedup_key TEXT NOT NULL, order_no TEXT NOT NULL, \
         state TEXT NOT NULL)",
    )
    .execute(ledger.pool())
    .await
    .expect("merchant table");
    (ledger, url)
}

/// One key generation per test binary.
pub fn keys() -> SandboxKeys {
    static KEYS: OnceLock<SandboxKeys> = OnceLock::new();
    KEYS.get_or_init(|| SandboxKeys::generate().expect("keys"))
        .clone()
}

pub async fn sandbox(drop_notifies: bool) -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        time_scale: 10_000.0,
        keys: Some(keys()),
        faults: Faults {
            drop_notify_ratio: if drop_notifies { 1.0 } else { 0.0 },
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

/// The hub's TOML (Pooul, BeeCloud) for this sandbox and the environment holding its keys.
pub fn hub_config(sandbox: &RunningSandbox) -> (String, HashMap<String, String>) {
    let p = sandbox.pooul();
    let b = sandbox.beecloud();
    let toml = format!(
        "[pooul]\nbase_url = \"{}\"\nmerchant_id = \"{}\"\nmerchant_key_env = \"POOUL_MERCHANT_KEY\"\n\
         pooul_public_key = \"\"\"{}\"\"\"\n\n\
         [beecloud]\nbase_url = \"{}\"\napp_id = \"{}\"\napp_key_env = \"BEECLOUD_APP_KEY\"\n\
         webhook = \"v1\"\nwebhook_secret_env = \"BEECLOUD_WEBHOOK_SECRET\"\n",
        sandbox.base_url(payhub_sandbox::ProviderKind::Pooul),
        p.merchant_id,
        p.platform_public_key.to_pem(),
        sandbox.base_url(payhub_sandbox::ProviderKind::BeeCloud),
        b.app_id,
    );
    let env = HashMap::from([
        (
            "POOUL_MERCHANT_KEY".to_owned(),
            p.merchant_private_key
                .to_pkcs8_pem()
                .expose_secret()
                .to_owned(),
        ),
        (
            "BEECLOUD_APP_KEY".to_owned(),
            b.app_key.expose_secret().to_owned(),
        ),
        (
            "BEECLOUD_WEBHOOK_SECRET".to_owned(),
            b.app_secret.expose_secret().to_owned(),
        ),
    ]);
    (toml, env)
}

/// A BeeCloud SDK client on the sandbox (for listing bills).
pub fn beecloud_client(sandbox: &RunningSandbox) -> beecloud::Client {
    let b = sandbox.beecloud();
    beecloud::Client::new(beecloud::Config::new(
        beecloud::Environment::Custom(vec![
            sandbox.base_url(payhub_sandbox::ProviderKind::BeeCloud),
        ]),
        b.app_id.clone(),
        b.app_key.expose_secret(),
    ))
    .expect("beecloud client")
}

pub fn hub(sandbox: &RunningSandbox) -> Hub {
    let (toml, env) = hub_config(sandbox);
    Hub::from_toml_str_with_env(&toml, &|n| env.get(n).cloned()).expect("hub")
}

pub fn request(order_no: &str, fen: u64, notify_url: &str) -> PaymentRequest {
    PaymentRequest::new(
        order_no,
        Money::from_fen(fen),
        "ledger test",
        notify_url,
        PayMethod::WechatNative,
    )
    .client_ip("127.0.0.1")
}

pub const POOUL: Provider = Provider::Pooul;

/// The merchant: one row per delivered event, written in the ledger's transaction. No unique
/// constraint, so a second delivery would show as a second row.
pub struct Merchant;

#[async_trait]
impl EventHandler for Merchant {
    async fn on_event(&self, tx: &mut AnyConnection, event: &LedgerEvent) -> Result<(), BoxError> {
        sqlx::query(
            "INSERT INTO merchant_effects (dedup_key, order_no, state) VALUES ($1, $2, $3)",
        )
        .bind(&event.dedup_key)
        .bind(&event.order_no)
        .bind(event.state.as_str())
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// (rows, distinct keys) in the merchant's table.
pub async fn effects(ledger: &Ledger) -> (i64, i64) {
    let row: (i64, i64) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT dedup_key) AS BIGINT) \
         FROM merchant_effects",
    )
    .fetch_one(ledger.pool())
    .await
    .expect("count effects");
    row
}

pub async fn effects_of(ledger: &Ledger, order_no: &str) -> i64 {
    let row: (i64,) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM merchant_effects WHERE order_no = $1")
            .bind(order_no)
            .fetch_one(ledger.pool())
            .await
            .expect("count effects");
    row.0
}

/// Runs the test body `name(db)` as `name::sqlite` and as `name::postgres` (`#[ignore]`d:
/// it needs PAYHUB_POSTGRES_URL, which `cargo xtask ci` exports).
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name(super::common::Db::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[ignore = "needs PostgreSQL: PAYHUB_POSTGRES_URL (cargo xtask ci)"]
            async fn postgres() {
                super::$name(super::common::Db::Postgres).await;
            }
        }
    };
}
