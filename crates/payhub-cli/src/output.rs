//! How the CLI talks: steps with a status, progress for long waits, errors on stderr, and the
//! same as JSON under `--json`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static JSON: AtomicBool = AtomicBool::new(false);

/// Switches every output of this module to JSON (`--json`).
pub fn set_json(on: bool) {
    JSON.store(on, Ordering::Relaxed);
}

/// Whether `--json` was given.
pub fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// `payhub ... | head` closes stdout early: the next `println!` fails with a broken pipe and
/// would panic. That is the reader's choice, not an error, so the process ends quietly with
/// status 0 instead (every other panic keeps its message).
pub fn exit_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // `println!` panics with "failed printing to stdout: <io::Error>"; the io::Error's
        // kind is not carried, only its text.
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && is_broken_pipe(message) {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn is_broken_pipe(message: &str) -> bool {
    // EPIPE on Unix, ERROR_NO_DATA on Windows.
    message.contains("os error 32") || message.contains("os error 232")
}

/// Writes `bytes` to stdout; a reader that closed the pipe ends the output quietly.
pub fn write_stdout(bytes: &[u8]) -> Result<(), crate::failure::Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(
            crate::failure::Failure::Other(format!("cannot write to stdout: {e}")),
        ),
        _ => Ok(()),
    }
}

/// Prints the output of a subcommand: `value` as pretty JSON.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

/// Prints an error on stderr: `error: ` and the message with its lines kept (a TOML error
/// points at the line and column on lines of its own); under `--json`, one JSON object
/// `{"error": {"message": ...}}`.
pub fn fail(message: &str) {
    if json() {
        fail_json(&serde_json::json!({ "error": { "message": message } }));
    } else {
        eprintln!("error: {}", message.trim_end());
    }
}

/// Prints an error as one line of JSON on stderr.
pub fn fail_json(error: &serde_json::Value) {
    eprintln!("{error}");
}

/// Prints a heading line of a multi-step run (`\nsunmi`, `every step held`); under `--json`,
/// one JSON object per line (`{"heading": ...}`), so that every line of stdout is JSON.
pub fn heading(text: &str) {
    if json() {
        println!("{}", serde_json::json!({ "heading": text.trim() }));
    } else {
        println!("{text}");
    }
}

/// Prints a step's outcome: `  ok  sunmi     create           -> pending (mis_id ...)`; under
/// `--json`, one JSON object per line (`{"ok": true, "provider", "step", "detail"}`).
pub fn step(provider: &str, step: &str, detail: &str) {
    print_step(true, provider, step, detail);
}

/// Prints a failed step.
pub fn step_failed(provider: &str, step: &str, detail: &str) {
    print_step(false, provider, step, detail);
}

fn print_step(ok: bool, provider: &str, step: &str, detail: &str) {
    if json() {
        let line =
            serde_json::json!({ "ok": ok, "provider": provider, "step": step, "detail": detail });
        println!("{line}");
    } else {
        let mark = if ok { "ok" } else { "!!" };
        println!("  {mark}  {provider:<9} {step:<16} {detail}");
    }
}

/// Waits for `check` to return `Some`, printing a dot every second so a long wait shows
/// progress; gives up after `deadline`.
pub async fn wait_for<T>(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T, String> {
    wait_until(what, deadline, || check().map(Ok)).await
}

/// As [`wait_for`], and stops at once when `check` returns `Some(Err)`.
pub async fn wait_until<T>(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> Option<Result<T, String>>,
) -> Result<T, String> {
    let start = Instant::now();
    let mut last_dot = Instant::now();
    let mut printed = false;
    loop {
        if let Some(v) = check() {
            if printed {
                eprintln!();
            }
            return v;
        }
        if start.elapsed() > deadline {
            if printed {
                eprintln!();
            }
            return Err(format!("timed out after {:?} waiting for {what}", deadline));
        }
        if last_dot.elapsed() >= Duration::from_secs(1) && !json() {
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
