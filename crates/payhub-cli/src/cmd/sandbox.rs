//! `payhub sandbox`: the offline simulator for a developer's own app, until Ctrl-C.

use payhub_sandbox::{Faults, ProviderKind, Sandbox, SandboxConfig};
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
    #[arg(long, default_value = ".payhub-sandbox")]
    keys_dir: std::path::PathBuf,
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
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), String> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err("--time-scale must be a positive number".into());
    }
    let faults = Faults {
        latency: Duration::from_millis(args.latency_ms),
        error_5xx_ratio: args.error_5xx_ratio,
        drop_ratio: args.drop_ratio,
        drop_notify_ratio: args.drop_notify_ratio,
    };
    faults.check().map_err(|e| format!("fault flags: {e}"))?;
    let mut config = SandboxConfig {
        faults,
        time_scale: args.time_scale,
        auto_pay: args.auto_pay_secs.map(Duration::from_secs),
        mifeng_token_ttl: Duration::from_secs(args.mifeng_token_ttl_secs),
        keys: Some(crate::sandbox_env::load_or_create_keys(&args.keys_dir)?),
        ..SandboxConfig::default()
    };
    if args.port != 0 {
        let base = args.port;
        config.ports = payhub_sandbox::Ports::consecutive(base)
            .ok_or_else(|| format!("--port {base} leaves no room for five ports"))?;
    }
    let sandbox = Sandbox::start(config).await.map_err(|e| e.to_string())?;
    // The config's seed also fixes the credentials (kept across runs): the fault draws get
    // their own.
    sandbox
        .set_faults(faults, Some(args.fault_seed))
        .map_err(|e| format!("fault flags: {e}"))?;
    println!("dashboard: {}", sandbox.dashboard_url());
    println!("payhub sandbox (sandbox-only keys and secrets, never real ones)");
    for p in ProviderKind::ALL {
        println!("\n[{}] {}", p.name(), sandbox.base_url(p));
        let creds = serde_json::to_string_pretty(&sandbox.credentials_json(p))
            .map_err(|e| e.to_string())?;
        println!("{creds}");
    }
    let (toml, env) = crate::sandbox_env::hub_config(&sandbox);
    println!("\n# payhub.toml for this sandbox (secrets in the environment):{toml}");
    let mut vars: Vec<_> = env.into_iter().collect();
    vars.sort();
    for (k, v) in vars {
        // Sandbox-only values, printed on purpose so a developer can export them. A key
        // (several lines) is read from its file, which a shell quotes correctly.
        if k == "POOUL_MERCHANT_KEY" {
            println!(
                "export {k}=\"$(cat {})\"",
                args.keys_dir.join("pooul_merchant.pem").display()
            );
        } else {
            println!("export {k}={v:?}");
        }
    }
    println!(
        "\ncontrol: POST <base>/_sandbox/orders/<order_no>/pay | /fail, GET <base>/_sandbox/notifications"
    );
    println!(
        "faults: GET/POST {}_sandbox/faults (JSON: latency_ms, error_5xx_ratio, drop_ratio, drop_notify_ratio, seed)",
        sandbox.dashboard_url()
    );
    println!("dashboard: {}", sandbox.dashboard_url());
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    sandbox.shutdown().await;
    Ok(())
}
