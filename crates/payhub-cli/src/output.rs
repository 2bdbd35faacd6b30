//! How the CLI talks: steps with a status, progress for long waits, one-line errors.

use std::io::Write;
use std::time::{Duration, Instant};

/// Prints an error as one line on stderr.
pub fn fail(message: &str) {
    let one_line: String = message.lines().collect::<Vec<_>>().join(" | ");
    eprintln!("error: {one_line}");
}

/// Prints an error as one line of JSON on stderr.
pub fn fail_json(error: &serde_json::Value) {
    eprintln!("{error}");
}

/// Prints a step's outcome: `  ✓ sunmi  create        -> pending (mis_id ...)`.
pub fn step(provider: &str, step: &str, detail: &str) {
    println!("  ok  {provider:<9} {step:<16} {detail}");
}

/// Prints a failed step.
pub fn step_failed(provider: &str, step: &str, detail: &str) {
    println!("  !!  {provider:<9} {step:<16} {detail}");
}

/// Waits for `check` to return `Some`, printing a dot every second so a long wait shows
/// progress; gives up after `deadline`.
pub async fn wait_for<T>(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T, String> {
    let start = Instant::now();
    let mut last_dot = Instant::now();
    let mut printed = false;
    loop {
        if let Some(v) = check() {
            if printed {
                eprintln!();
            }
            return Ok(v);
        }
        if start.elapsed() > deadline {
            if printed {
                eprintln!();
            }
            return Err(format!("timed out after {:?} waiting for {what}", deadline));
        }
        if last_dot.elapsed() >= Duration::from_secs(1) {
            if !printed {
                eprint!("  ..  waiting for {what} ");
                printed = true;
            }
            eprint!(".");
            let _ = std::io::stderr().flush();
            last_dot = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
