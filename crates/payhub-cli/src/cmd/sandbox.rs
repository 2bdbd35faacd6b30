//! `payhub sandbox`: the offline simulator for a developer's own app, until Ctrl-C.
//!
//! It prints (or with `--json` returns as one object) every credential, the hub's TOML for it
//! and the environment holding the TOML's secrets; `--write-config FILE` writes that TOML.

use super::KeysDir;
use crate::failure::Failure;
use crate::output;
use payhub_sandbox::{
    Faults, KeyRole, ProviderKind, RunningSandbox, Sandbox, SandboxConfig, SandboxKeys,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `payhub sandbox`.
#[derive(clap::Args)]
pub struct Args {
    /// First port: sunmi on it, pooul +1, beecloud +2, mifeng +3, the dashboard +4 (0: any
    /// free ports).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Divides the providers' notify retry schedules and delays (60 = a minute per second).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Pay every order by itself after this many seconds (default: only through /_sandbox).
    #[arg(long)]
    auto_pay_secs: Option<u64>,
    /// Mifeng token lifetime in seconds (the document's is 7200).
    #[arg(long, default_value_t = 7200)]
    mifeng_token_ttl_secs: u64,
    /// Where the sandbox keeps its RSA keys (created on first use), so your app's
    /// configuration and `payhub trigger` keep working across restarts.
    #[command(flatten)]
    keys: KeysDir,
    /// Write the hub's TOML for this sandbox (`payhub.toml`) to FILE; its secrets stay in the
    /// environment variables it names (the `export` lines printed).
    #[arg(long, value_name = "FILE")]
    write_config: Option<PathBuf>,
    /// Fault: milliseconds added before every provider answer (changeable later on the
    /// dashboard or through /_sandbox/faults).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Fault: fraction (0 to 1) of provider requests answered 500 without being processed.
    #[arg(long, default_value_t = 0.0)]
    error_5xx_ratio: f64,
    /// Fault: fraction (0 to 1) of provider requests processed, then the connection closed
    /// without an answer.
    #[arg(long, default_value_t = 0.0)]
    drop_ratio: f64,
    /// Fault: fraction (0 to 1) of notify attempts dropped (recorded, retried on schedule).
    #[arg(long, default_value_t = 0.0)]
    drop_notify_ratio: f64,
    /// Seed of the fault draws: the same seed replays the same faults for the same requests.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Port of `GET /metrics` (Prometheus text) on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    metrics_port: u16,
}

/// Quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The `export` lines for the configuration's secrets. A key (several lines) is read from its
/// file by absolute path, so the line works from any directory.
fn export_lines(env: &[(String, String)], keys_dir: &Path) -> Vec<String> {
    env.iter()
        .map(|(k, v)| {
            if k == "POOUL_MERCHANT_KEY" {
                let file = keys_dir.join(KeyRole::PooulMerchant.private_file());
                format!(
                    "export {k}=\"$(cat {})\"",
                    shell_quote(&file.display().to_string())
                )
            } else {
                format!("export {k}={}", shell_quote(v))
            }
        })
        .collect()
}

fn key_files(keys_dir: &Path) -> Value {
    KeyRole::ALL
        .iter()
        .map(|r| {
            let name = r.private_file().trim_end_matches(".pem").to_owned();
            let files = json!({
                "private": keys_dir.join(r.private_file()),
                "public": keys_dir.join(r.public_file()),
            });
            (name, files)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Failure> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err(Failure::Usage(
            "--time-scale must be a positive number".into(),
        ));
    }
    let keys_dir = args.keys.absolute();
    let (keys, created) = SandboxKeys::load_or_create_dir(&keys_dir).map_err(|e| e.to_string())?;
    if created {
        tracing::info!(dir = %keys_dir.display(), "new sandbox keys");
    }
    let faults = Faults {
        latency: Duration::from_millis(args.latency_ms),
        error_5xx_ratio: args.error_5xx_ratio,
        drop_ratio: args.drop_ratio,
        drop_notify_ratio: args.drop_notify_ratio,
    };
    faults
        .check()
        .map_err(|e| Failure::Usage(format!("fault flags: {e}")))?;
    let mut config = SandboxConfig {
        faults,
        time_scale: args.time_scale,
        auto_pay: args.auto_pay_secs.map(Duration::from_secs),
        mifeng_token_ttl: Duration::from_secs(args.mifeng_token_ttl_secs),
        keys: Some(keys),
        ..SandboxConfig::default()
    };
    if args.port != 0 {
        let base = args.port;
        config.ports = payhub_sandbox::Ports::consecutive(base).ok_or_else(|| {
            Failure::Usage(format!("--port {base} leaves no room for five ports"))
        })?;
    }
    let sandbox = Sandbox::start(config).await.map_err(|e| e.to_string())?;
    // The config's seed also fixes the credentials (kept across runs): the fault draws get
    // their own.
    sandbox
        .set_faults(faults, Some(args.fault_seed))
        .map_err(|e| format!("fault flags: {e}"))?;
    let sandbox = Arc::new(sandbox);
    let (metrics_url, metrics_server) = serve_metrics(Arc::clone(&sandbox), args.metrics_port)
        .await
        .map_err(|e| format!("metrics listener on port {}: {e}", args.metrics_port))?;
    let (toml, env) = crate::sandbox_env::hub_config(&sandbox);
    let mut env: Vec<(String, String)> = env.into_iter().collect();
    env.sort();
    if let Some(file) = &args.write_config {
        let text = format!(
            "# payhub.toml for `payhub sandbox` (sandbox-only credentials); its secrets are\n\
             # read from the environment variables named by the *_env keys.\n{toml}"
        );
        std::fs::write(file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    }
    let config_file = args
        .write_config
        .as_deref()
        .map(|f| std::path::absolute(f).unwrap_or_else(|_| f.to_path_buf()));
    let exports = export_lines(&env, &keys_dir);
    if output::json() {
        let providers: serde_json::Map<String, Value> = ProviderKind::ALL
            .iter()
            .map(|p| {
                let v = json!({
                    "base_url": sandbox.base_url(*p).to_string(),
                    "credentials": sandbox.credentials_json(*p),
                });
                (p.as_str().to_owned(), v)
            })
            .collect();
        output::print_json(&json!({
            "dashboard": sandbox.dashboard_url().to_string(),
            "metrics": metrics_url,
            "providers": providers,
            "keys_dir": keys_dir,
            "key_files": key_files(&keys_dir),
            "config": toml,
            "config_file": config_file,
            "env": env
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<serde_json::Map<String, Value>>(),
            "exports": exports,
        }));
    } else {
        println!("dashboard: {}", sandbox.dashboard_url());
        println!("payhub sandbox (sandbox-only keys and secrets, never real ones)");
        for p in ProviderKind::ALL {
            println!("\n[{}] {}", p.as_str(), sandbox.base_url(p));
            let creds = serde_json::to_string_pretty(&sandbox.credentials_json(p))
                .map_err(|e| e.to_string())?;
            println!("{creds}");
        }
        println!(
            "\nkeys: {} (each private key's public half beside it as *.pub.pem)",
            keys_dir.display()
        );
        println!("\n# payhub.toml for this sandbox (secrets in the environment):{toml}");
        if let Some(file) = &config_file {
            println!("# written to {}", file.display());
        }
        // Sandbox-only values, printed on purpose so a developer can export them.
        for line in &exports {
            println!("{line}");
        }
        println!(
            "\ncontrol: POST <base>/_sandbox/orders/<order_no>/pay | /fail, GET <base>/_sandbox/notifications"
        );
        println!(
            "faults: GET/POST {}_sandbox/faults (JSON: latency_ms, error_5xx_ratio, drop_ratio, drop_notify_ratio, seed)",
            sandbox.dashboard_url()
        );
        println!("dashboard: {}", sandbox.dashboard_url());
        println!("metrics: {metrics_url}");
        println!("Ctrl-C to stop.");
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    metrics_server.abort();
    let _ = metrics_server.await;
    // The metrics route held the only other reference; were it still alive, dropping the
    // sandbox aborts its servers all the same.
    if let Ok(sandbox) = Arc::try_unwrap(sandbox) {
        sandbox.shutdown().await;
    }
    Ok(())
}

/// Serves `GET /metrics` on loopback: payhub's Prometheus recorder, with the sandbox's notify
/// deliveries read at each scrape (`payhub_sandbox_*` in `payhub::observe::names`).
async fn serve_metrics(
    sandbox: Arc<RunningSandbox>,
    port: u16,
) -> Result<(String, tokio::task::JoinHandle<()>), String> {
    let handle = payhub::observe::prometheus().map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/metrics",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let (sandbox, handle) = (Arc::clone(&sandbox), handle.clone());
            async move {
                record_notifications(&sandbox);
                (
                    [(
                        http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "metrics listener stopped");
        }
    });
    Ok((url, server))
}

/// The sandbox's notifications now, per provider: by delivery state, and attempts so far.
fn record_notifications(sandbox: &RunningSandbox) {
    use payhub::observe::names;
    for p in ProviderKind::ALL {
        let records = sandbox.notifications_delivered(p);
        let (mut acknowledged, mut gave_up, mut pending, mut attempts) = (0u64, 0u64, 0u64, 0u64);
        for n in &records {
            attempts += n.attempts.len() as u64;
            if n.acknowledged {
                acknowledged += 1;
            } else if n.gave_up {
                gave_up += 1;
            } else {
                pending += 1;
            }
        }
        for (state, count) in [
            ("acknowledged", acknowledged),
            ("gave_up", gave_up),
            ("pending", pending),
        ] {
            metrics::gauge!(names::SANDBOX_NOTIFICATIONS, "provider" => p.as_str(), "state" => state)
                .set(count as f64);
        }
        metrics::counter!(names::SANDBOX_NOTIFY_ATTEMPTS, "provider" => p.as_str())
            .absolute(attempts);
    }
}
