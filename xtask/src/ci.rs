//! `cargo xtask ci [--skip-redis]`: the full local CI pipeline.
//!
//! Steps, stopping at the first failure:
//! 1. `cargo fmt --all -- --check`
//! 2. `cargo clippy --workspace --all-targets --all-features -- -D warnings`
//! 3. a redis-server on port 6399 for the `#[ignore]`d tests ([`redis`])
//! 4. headless Chromium and a chromedriver on a free port for the dashboard's `#[ignore]`d
//!    browser tests ([`chromium`])
//! 5. `cargo test --workspace --all-features --no-fail-fast -- --include-ignored`, with
//!    `PAYHUB_REDIS_URL`, `PAYHUB_WEBDRIVER_URL` and `PAYHUB_CHROMIUM`
//! 6. `cargo test -p paysig --no-default-features --features rsa-backend,http`: the pure-Rust
//!    RSA backend alone passes the same tests (step 5 runs them with both backends built)
//! 7. `cargo xtask fixtures --check` (in process)
//! 8. `cargo doc --workspace --all-features --no-deps` with `-D warnings`
//!
//! With `--skip-redis`, steps 3 and 4 are skipped and ignored tests are not run.

mod chromium;
mod redis;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::fixtures;

const STEPS: usize = 8;

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
    let (redis, chromedriver) = if opts.skip_redis {
        println!("==> [3/{STEPS}] redis: skipped (--skip-redis; ignored tests will not run)");
        println!(
            "==> [4/{STEPS}] chromedriver: skipped (--skip-redis; ignored tests will not run)"
        );
        (None, None)
    } else {
        let redis = step(3, "redis", redis::Redis::start)?;
        let chromedriver = step(4, "chromedriver", chromium::ChromeDriver::start)?;
        (Some(redis), Some(chromedriver))
    };
    step(5, "test", || match (&redis, &chromedriver) {
        (Some(r), Some(cd)) => {
            let url = r.url();
            let webdriver = cd.url();
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
                ],
            )
        }
        _ => run_cargo(
            root,
            &["test", "--workspace", "--all-features", "--no-fail-fast"],
            &[],
        ),
    })?;
    step(6, "test paysig, pure-Rust RSA backend only", || {
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
    step(7, "fixtures --check", || match fixtures::check(root) {
        Ok(true) => Ok(()),
        Ok(false) => Err("fixtures/ is out of date".to_string()),
        Err(e) => Err(e),
    })?;
    step(8, "doc", || {
        run_cargo(
            root,
            &["doc", "--workspace", "--all-features", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    })?;
    drop(chromedriver);
    drop(redis);
    println!(
        "==> ci: all {STEPS} steps passed in {:.1}s",
        total.elapsed().as_secs_f64()
    );
    Ok(())
}
