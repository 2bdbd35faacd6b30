//! `cargo xtask ci [--skip-redis]`: the full local CI pipeline.
//!
//! Steps, stopping at the first failure:
//! 1. `cargo fmt --all -- --check`
//! 2. `cargo clippy --workspace --all-targets --all-features -- -D warnings`
//! 3. a redis-server on port 6399 for the `#[ignore]`d tests ([`redis`])
//! 4. headless Chromium and a chromedriver on a free port for the dashboard's `#[ignore]`d
//!    browser tests ([`chromium`])
//! 5. a throw-away PostgreSQL cluster on a free local port for the ledger's `#[ignore]`d
//!    Postgres tests ([`postgres`]; Debian's `postgresql` installed with apt-get when missing)
//! 6. `cargo test --workspace --all-features --no-fail-fast -- --include-ignored`, with
//!    `PAYHUB_REDIS_URL`, `PAYHUB_WEBDRIVER_URL`, `PAYHUB_CHROMIUM` and `PAYHUB_POSTGRES_URL`
//! 7. `cargo test -p paysig --no-default-features --features rsa-backend,http`: the pure-Rust
//!    RSA backend alone passes the same tests (step 5 runs them with both backends built)
//! 8. `cargo xtask fixtures --check` (in process)
//! 9. `cargo xtask shape` (in process, about a second: the provider crates' shape, import
//!    circles, files over 600 lines; see [`shape`])
//! 10. `cargo doc --workspace --all-features --no-deps` with `-D warnings`
//!
//! With `--skip-redis`, steps 3, 4 and 5 are skipped and ignored tests are not run.

mod chromium;
mod postgres;
mod redis;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::{fixtures, shape};

const STEPS: usize = 10;

/// Options of `cargo xtask ci`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Do not start redis; do not run ignored tests.
    pub skip_redis: bool,
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Runs `cargo <args>` in `root` with extra environment variables.
fn run_cargo(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let cargo = cargo();
    let shown_env: String = env.iter().map(|(k, v)| format!("{k}={v:?} ")).collect();
    println!("$ {shown_env}cargo {}", args.join(" "));
    let mut cmd = Command::new(&cargo);
    cmd.args(args).current_dir(root);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run `{cargo}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

/// Prints the step header, runs it and prints the elapsed time.
fn step<T>(n: usize, name: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    println!("==> [{n}/{STEPS}] {name}");
    let start = Instant::now();
    let result = f();
    let secs = start.elapsed().as_secs_f64();
    match &result {
        Ok(_) => println!("==> [{n}/{STEPS}] {name}: ok in {secs:.1}s"),
        Err(e) => println!("==> [{n}/{STEPS}] {name}: FAILED after {secs:.1}s: {e}"),
    }
    result.map_err(|e| format!("step [{n}/{STEPS}] {name} failed: {e}"))
}

/// Runs the pipeline from the workspace `root`.
pub fn run(root: &Path, opts: Options) -> Result<(), String> {
    let total = Instant::now();
    step(1, "fmt", || {
        run_cargo(root, &["fmt", "--all", "--", "--check"], &[])
    })?;
    step(2, "clippy", || {
        run_cargo(
            root,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )
    })?;
    // Kept alive until the end of `run`: dropping them stops the servers, on
    // success and on any early return alike.
    let (redis, chromedriver, postgres) = if opts.skip_redis {
        for (n, name) in [(3, "redis"), (4, "chromedriver"), (5, "postgres")] {
            println!(
                "==> [{n}/{STEPS}] {name}: skipped (--skip-redis; ignored tests will not run)"
            );
        }
        (None, None, None)
    } else {
        let redis = step(3, "redis", redis::Redis::start)?;
        let chromedriver = step(4, "chromedriver", chromium::ChromeDriver::start)?;
        let postgres = step(5, "postgres", postgres::Postgres::start)?;
        (Some(redis), Some(chromedriver), Some(postgres))
    };
    step(6, "test", || match (&redis, &chromedriver, &postgres) {
        (Some(r), Some(cd), Some(pg)) => {
            let url = r.url();
            let webdriver = cd.url();
            let pg_url = pg.url();
            run_cargo(
                root,
                &[
                    "test",
                    "--workspace",
                    "--all-features",
                    "--no-fail-fast",
                    "--",
                    "--include-ignored",
                ],
                &[
                    ("PAYHUB_REDIS_URL", url.as_str()),
                    ("PAYHUB_WEBDRIVER_URL", webdriver.as_str()),
                    ("PAYHUB_CHROMIUM", cd.browser()),
                    ("PAYHUB_POSTGRES_URL", pg_url.as_str()),
                ],
            )
        }
        _ => run_cargo(
            root,
            &["test", "--workspace", "--all-features", "--no-fail-fast"],
            &[],
        ),
    })?;
    step(7, "test paysig, pure-Rust RSA backend only", || {
        run_cargo(
            root,
            &[
                "test",
                "-p",
                "paysig",
                "--no-default-features",
                "--features",
                "rsa-backend,http",
            ],
            &[],
        )
    })?;
    step(8, "fixtures --check", || match fixtures::check(root) {
        Ok(true) => Ok(()),
        Ok(false) => Err("fixtures/ is out of date".to_string()),
        Err(e) => Err(e),
    })?;
    step(9, "shape", || match shape::run(root) {
        Ok(true) => Ok(()),
        Ok(false) => Err("the crates differ from the shape (the FAIL lines above)".to_string()),
        Err(e) => Err(e),
    })?;
    step(10, "doc", || {
        run_cargo(
            root,
            &["doc", "--workspace", "--all-features", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    })?;
    drop(postgres);
    drop(chromedriver);
    drop(redis);
    println!(
        "==> ci: all {STEPS} steps passed in {:.1}s",
        total.elapsed().as_secs_f64()
    );
    Ok(())
}
