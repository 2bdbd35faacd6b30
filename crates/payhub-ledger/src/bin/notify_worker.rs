//! Test helper of payhub-ledger (not a tool): handles ONE notify read from files, as a
//! separate process, so a test can SIGKILL it inside the merchant's callback.
//!
//! Environment: `LEDGER_URL`, `HUB_TOML` (a hub TOML file; the secrets it names are read
//! from the environment), `PROVIDER`, `BODY_FILE`, `CONTENT_TYPE`, and `HANG_AFTER_EFFECT=1`
//! to print `SIDE_EFFECT_DONE` after the side effect and then wait to be killed, before the
//! commit. The side effect is a row in the merchant's table `merchant_effects`. Prints
//! `DELIVERED`, `DUPLICATE` or `ERROR <reason>`.

use payhub::{BoxError, Hub};
use payhub_ledger::{AnyConnection, EventHandler, Ledger, LedgerEvent, Processed};
use std::io::Write;

struct Effect {
    hang: bool,
}

#[async_trait::async_trait]
impl EventHandler for Effect {
    async fn on_event(&self, tx: &mut AnyConnection, event: &LedgerEvent) -> Result<(), BoxError> {
        sqlx::query(
            "INSERT INTO merchant_effects (dedup_key, order_no, state) VALUES ($1, $2, $3)",
        )
        .bind(&event.dedup_key)
        .bind(&event.order_no)
        .bind(event.state.as_str())
        .execute(&mut *tx)
        .await?;
        if self.hang {
            println!("SIDE_EFFECT_DONE");
            std::io::stdout().flush()?;
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
        Ok(())
    }
}

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

async fn run() -> Result<&'static str, String> {
    let ledger = Ledger::connect(&var("LEDGER_URL")?)
        .await
        .map_err(|e| e.to_string())?;
    let toml = std::fs::read_to_string(var("HUB_TOML")?).map_err(|e| e.to_string())?;
    let hub = Hub::from_toml_str_with_env(&toml, &|n| std::env::var(n).ok())
        .map_err(|e| e.to_string())?;
    let provider = var("PROVIDER")?
        .parse()
        .map_err(|e: payhub::UnknownProvider| e.to_string())?;
    let body = std::fs::read(var("BODY_FILE")?).map_err(|e| e.to_string())?;
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        var("CONTENT_TYPE")?
            .parse()
            .map_err(|_| "bad CONTENT_TYPE")?,
    );
    let effect = Effect {
        hang: std::env::var("HANG_AFTER_EFFECT").is_ok_and(|v| v == "1"),
    };
    let receipt = ledger
        .with_hub(hub)
        .handle_notification_tx(provider, &headers, &body, &effect)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match receipt.processed {
        Processed::Delivered(_) => "DELIVERED",
        _ => "DUPLICATE",
    })
}

fn main() -> std::process::ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            println!("ERROR {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run()) {
        Ok(word) => {
            println!("{word}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            println!("ERROR {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
