//! `payhub sweep`: one sweep of the ledger's pending and unknown payments: each is queried
//! (within the provider's rate), and what is learned goes through the same de-duplicated path
//! as notifies.
//!
//! ```text
//! payhub [--json] sweep --db sqlite://payhub-ledger.db --config payhub.toml [--now]
//! ```

use payhub::Hub;
use payhub_ledger::{RecordOnly, SweepConfig, Sweeper};
use std::sync::Arc;

/// Arguments of `payhub sweep`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: super::ledger::DbArg,
    /// The hub's TOML configuration (secrets from the environment variables it names).
    #[arg(long)]
    config: String,
    /// Query every pending payment now, whatever its age (default: after each provider's
    /// delay).
    #[arg(long)]
    now: bool,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), String> {
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("cannot read {}: {e}", args.config))?;
    let hub = Hub::from_toml_str(&text).map_err(|e| format!("{}: {e}", args.config))?;
    let ledger = args.db.open().await?.with_hub(hub);
    let config = if args.now {
        SweepConfig::default().immediate()
    } else {
        SweepConfig::default()
    };
    let report = Sweeper::new(ledger, Arc::new(RecordOnly), config)
        .run_once()
        .await;
    if crate::output::json() {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "sweeper: {} claimed, {} queries, {} closes, {} settled, {} already settled, {} moved, {} still pending, {} errors",
            report.claimed,
            report.queries,
            report.closes,
            report.delivered,
            report.duplicates,
            report.moved,
            report.still_pending,
            report.errors.len()
        );
        for e in &report.errors {
            println!("  error: {e}");
        }
    }
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} payments could not be swept",
            report.errors.len()
        ))
    }
}
