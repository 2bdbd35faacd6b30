//! `payhub sandbox`: the offline simulator for a developer's own app, until Ctrl-C.

use payhub_sandbox::{ProviderKind, Sandbox, SandboxConfig};
use std::time::Duration;

/// Arguments of `payhub sandbox`.
#[derive(clap::Args)]
pub struct Args {
    /// First port: sunmi on it, pooul +1, beecloud +2, mifeng +3 (0: any free ports).
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
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), String> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err("--time-scale must be a positive number".into());
    }
    let mut config = SandboxConfig {
        time_scale: args.time_scale,
        auto_pay: args.auto_pay_secs.map(Duration::from_secs),
        mifeng_token_ttl: Duration::from_secs(args.mifeng_token_ttl_secs),
        keys: Some(crate::sandbox_env::load_or_create_keys(&args.keys_dir)?),
        ..SandboxConfig::default()
    };
    if args.port != 0 {
        let base = args.port;
        let port = |i: u16| {
            base.checked_add(i)
                .ok_or_else(|| format!("--port {base} leaves no room for four ports"))
        };
        config.ports = payhub_sandbox::Ports {
            sunmi: base,
            pooul: port(1)?,
            beecloud: port(2)?,
            mifeng: port(3)?,
        };
    }
    let sandbox = Sandbox::start(config).await.map_err(|e| e.to_string())?;
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
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    sandbox.shutdown().await;
    Ok(())
}
