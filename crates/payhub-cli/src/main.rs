//! `payhub`: the sandbox tour of all four providers, a local sandbox, signing and notify
//! debugging, and direct calls.
//!
//! ```text
//! payhub demo                                  # the tour: create, pay, notify, query, refund x4
//! payhub sandbox --port 9000 --time-scale 60   # the simulator for your own app
//! payhub sign sunmi --key APP_KEY app_id=.. orderId=..
//! payhub verify-notify sunmi --public-key sunmi.pem < body
//! payhub trigger sunmi pay-success --to http://127.0.0.1:3000/notify/sunmi
//! payhub call sunmi query --config payhub.toml order_no=T1
//! payhub completions bash > /etc/bash_completion.d/payhub
//! payhub ledger init --db sqlite://payhub-ledger.db   # the payment ledger (payhub-ledger)
//! payhub sweep --config payhub.toml                    # query payments whose notify is late
//! payhub reconcile --provider beecloud --since 2026-11-29 --config payhub.toml
//! ```
//!
//! Errors go to stderr as `error: ...` (a message of several lines, such as a TOML error,
//! keeps its lines; with `--json`, one JSON object); exit 1, or 2 for a misused command line.
//! `payhub call` prints a failed call as JSON on stderr and exits with a status per error
//! class (3 to 10, see `payhub call --help`), so a script can tell "not sent" (4) from
//! "outcome unknown" (5).

mod cmd;
mod failure;
mod output;
mod sandbox_env;

use clap::{Parser, Subcommand};
use failure::Failure;
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "payhub",
    version,
    about = "payhub: Mifeng, Pooul, Sunmi and BeeCloud from one command",
    after_help = "Logging: -v info, -vv debug, -vvv trace, on stderr. PAYHUB_LOG=<filter> \
(tracing's EnvFilter syntax, e.g. PAYHUB_LOG=payhub=debug,sunmi=trace) overrides -v. \
Colours only when stderr is a terminal.\n\
Exit status: 0 ok, 1 failure, 2 misused command line; `payhub call` 3 to 10 by error class."
)]
struct Cli {
    /// Log more on stderr: -v info, -vv debug, -vvv trace (PAYHUB_LOG overrides it).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Print the output (and an error) as JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

// One line per subcommand here and in `main`'s match, so that adding one merges cleanly.
#[derive(Subcommand)]
enum Command {
    /// Start the sandbox and a notify receiver, then for each provider: create, simulated
    /// payment, verified notify, query, refund. Exit 0 only if every step held.
    Demo(cmd::demo::Args),
    /// Run the offline simulator of the four providers until Ctrl-C.
    Sandbox(cmd::sandbox::Args),
    /// Print every stage of a signature: canonical string, string with the key masked, signature.
    Sign(cmd::sign::Args),
    /// Verify a notify body read from stdin; print it as JSON (exit 0) or the reason (exit 1).
    VerifyNotify(cmd::verify::Args),
    /// Send a correctly signed notify to your own endpoint.
    Trigger(cmd::trigger::Args),
    /// Call a real or sandbox endpoint with the SDK and print the typed answer as JSON.
    Call(cmd::call::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(cmd::completions::Args),
    /// The payment ledger: `init` creates its tables, `status` counts payments by state.
    Ledger(cmd::ledger::Args),
    /// Query the ledger's pending and unknown payments once and record what is learned.
    Sweep(cmd::sweep::Args),
    /// Compare the ledger with a provider over a period; exit 1 on a difference.
    Reconcile(cmd::reconcile::Args),
}

fn main() -> ExitCode {
    output::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    output::set_json(cli.json);
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            output::fail(&format!("cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(a) => cmd::demo::run(a).await.map_err(Failure::Other),
            Command::Sandbox(a) => cmd::sandbox::run(a).await,
            Command::Sign(a) => cmd::sign::run(a),
            Command::VerifyNotify(a) => cmd::verify::run(a).await,
            Command::Trigger(a) => cmd::trigger::run(a).await,
            Command::Call(a) => cmd::call::run(a).await,
            Command::Completions(a) => cmd::completions::run::<Cli>(a),
            Command::Ledger(a) => cmd::ledger::run(a).await.map_err(Failure::Other),
            Command::Sweep(a) => cmd::sweep::run(a).await.map_err(Failure::Other),
            Command::Reconcile(a) => cmd::reconcile::run(a).await.map_err(Failure::Other),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// `PAYHUB_LOG` when set, else the level `-v` asks for (warnings by default).
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PAYHUB_LOG")
                .unwrap_or_else(|_| level.into()),
        )
        // Escape codes are noise in a file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
