//! `payhub ledger init|status`: the payment ledger (payhub-ledger) on SQLite or PostgreSQL.
//!
//! ```text
//! payhub ledger init   --db sqlite://payhub-ledger.db      # creates it, runs the migrations
//! payhub --json ledger status --db postgres://shop@db/shop # payments per provider and state
//! ```
//! `--db` defaults to `$PAYHUB_LEDGER_URL`, else `sqlite://payhub-ledger.db`. The URL is never
//! printed (it may hold a password).

use payhub_ledger::Ledger;

/// Where the ledger is, for every ledger command.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArg {
    /// The ledger's database: sqlite://PATH, a file path, sqlite::memory: or postgres://...
    /// (default: $PAYHUB_LEDGER_URL, else sqlite://payhub-ledger.db).
    #[arg(long)]
    db: Option<String>,
}

impl DbArg {
    /// Opens the ledger (migrations run on connect).
    pub async fn open(&self) -> Result<Ledger, String> {
        let url = self
            .db
            .clone()
            .or_else(|| std::env::var("PAYHUB_LEDGER_URL").ok())
            .unwrap_or_else(|| "sqlite://payhub-ledger.db".to_owned());
        Ledger::connect(&url)
            .await
            .map_err(|e| format!("ledger: {e}"))
    }
}

/// Arguments of `payhub ledger`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Create the ledger's tables (or bring them up to date).
    Init(DbArg),
    /// Payments per provider and state.
    /// (`payhub --json ledger status` prints JSON.)
    Status {
        #[command(flatten)]
        db: DbArg,
    },
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), String> {
    match args.command {
        Command::Init(db) => {
            let ledger = db.open().await?;
            println!(
                "ledger ready ({:?}, account {}): payments, refunds, notify_inbox, transitions",
                ledger.backend(),
                ledger.account()
            );
            Ok(())
        }
        Command::Status { db } => {
            let ledger = db.open().await?;
            let counts = ledger.counts().await.map_err(|e| e.to_string())?;
            if crate::output::json() {
                let rows: Vec<_> = counts
                    .iter()
                    .map(|(p, s, n)| serde_json::json!({"provider": p, "state": s, "payments": n}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
                );
            } else if counts.is_empty() {
                println!("the ledger holds no payments");
            } else {
                println!("{:<10} {:<20} {:>9}", "PROVIDER", "STATE", "PAYMENTS");
                for (p, s, n) in counts {
                    println!("{p:<10} {s:<20} {n:>9}");
                }
            }
            Ok(())
        }
    }
}
