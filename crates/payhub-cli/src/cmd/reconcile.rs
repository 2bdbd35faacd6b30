//! `payhub reconcile`: the ledger against the provider (对账), each difference named.
//!
//! ```text
//! payhub reconcile --provider beecloud --since 2026-11-29 [--until 2026-11-30] \
//!     --db sqlite://payhub-ledger.db --config payhub.toml [--json]
//! ```
//! Dates are days in Beijing time (UTC+8), `--until` excluded (default: now). BeeCloud is
//! listed through its bills and refunds; the others are queried order by order. Exit 1 when
//! a difference was found (or an order could not be compared).

use payhub::{Hub, Provider};
use payhub_ledger::{BeeCloudBills, Window};
use std::sync::Arc;
use time::{
    Date, OffsetDateTime, PrimitiveDateTime, Time, macros::format_description, macros::offset,
};

/// Arguments of `payhub reconcile`.
#[derive(clap::Args)]
pub struct Args {
    /// The provider.
    #[arg(long, value_enum)]
    provider: super::ProviderArg,
    /// The first day (YYYY-MM-DD, Beijing time).
    #[arg(long)]
    since: String,
    /// The day after the last (YYYY-MM-DD, Beijing time; default: now).
    #[arg(long)]
    until: Option<String>,
    #[command(flatten)]
    db: super::ledger::DbArg,
    /// The hub's TOML configuration (secrets from the environment variables it names).
    #[arg(long)]
    config: String,
}

fn day(text: &str) -> Result<OffsetDateTime, String> {
    let date = Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|e| format!("{text:?} is not a date YYYY-MM-DD: {e}"))?;
    Ok(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(offset!(+8)))
}

/// Runs the command; an error when differences were found.
pub async fn run(args: Args) -> Result<(), String> {
    let provider = payhub::Provider::from(args.provider);
    let window = Window {
        from: day(&args.since)?,
        to: match &args.until {
            Some(d) => day(d)?,
            None => OffsetDateTime::now_utc(),
        },
    };
    if window.from >= window.to {
        return Err("--since must be before --until".into());
    }
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("cannot read {}: {e}", args.config))?;
    let hub = Hub::from_toml_str(&text).map_err(|e| format!("{}: {e}", args.config))?;
    let mut ledger = args.db.open().await?.with_hub(hub);
    if provider == Provider::BeeCloud {
        let client = beecloud_client(&text)?;
        ledger = ledger.with_bills(Provider::BeeCloud, Arc::new(BeeCloudBills::new(client)));
    }
    let report = ledger
        .reconcile(provider, window)
        .await
        .map_err(|e| e.to_string())?;
    if crate::output::json() {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{report}");
    }
    if report.differences.is_empty() && report.errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} differences, {} orders not compared",
            report.differences.len(),
            report.errors.len()
        ))
    }
}

/// The BeeCloud client of the config's `[beecloud]` section (a `payhub::Gateway` does not
/// expose its client's listing calls).
fn beecloud_client(text: &str) -> Result<beecloud::Client, String> {
    let config = payhub::config::HubConfig::from_toml_str(text).map_err(|e| e.to_string())?;
    let section = config
        .beecloud
        .as_ref()
        .ok_or("the config has no [beecloud] section")?;
    let gateway = payhub::adapters::beecloud::BeeCloudGateway::from_config(section, &|n| {
        std::env::var(n).ok()
    })
    .map_err(|e| e.to_string())?;
    Ok(gateway.client().clone())
}
