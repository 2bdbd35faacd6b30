//! `payhub trigger`: send a correctly signed notify to your own endpoint, like a webhook
//! trigger. An in-process sandbox, started with the keys of `--keys-dir` (the same directory
//! `payhub sandbox --keys-dir` uses, so your app verifies with the credentials it printed),
//! takes a real order through the SDK and lets the simulated payer act; the provider's signed
//! notify goes to `--to`, retried on the provider's schedule until acknowledged or `--wait`
//! passes.
//!
//! Events: `pay-success` (every provider), `pay-failed` (mifeng: only Mifeng notifies
//! failures), `refund-success` (sunmi, pooul, beecloud).

use super::provider;
use crate::output::{self, step};
use payhub::{Hub, Money, PaymentRequest, Provider, RefundRequest};
use payhub_sandbox::{NotifyEvent, Sandbox, SandboxConfig};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `payhub trigger`.
#[derive(clap::Args)]
pub struct Args {
    /// mifeng, pooul, sunmi or beecloud.
    provider: String,
    /// pay-success, pay-failed or refund-success.
    event: String,
    /// Your notify endpoint.
    #[arg(long)]
    to: url::Url,
    /// Where the sandbox keys live (created on first use).
    #[arg(long, default_value = ".payhub-sandbox")]
    keys_dir: PathBuf,
    /// The amount of the order, in yuan.
    #[arg(long, default_value = "0.01")]
    amount: String,
    /// The merchant order number (default: a fresh one). Your endpoint checks it and the
    /// amount against its orders.
    #[arg(long)]
    order_no: Option<String>,
    /// How long to wait for your endpoint's acknowledgement, in seconds.
    #[arg(long, default_value_t = 10)]
    wait: u64,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), String> {
    let p = provider(&args.provider)?;
    let event = match (args.event.as_str(), p) {
        ("pay-success", _) => NotifyEvent::PaySucceeded,
        ("pay-failed", Provider::Mifeng) => NotifyEvent::PayFailed,
        ("pay-failed", other) => {
            return Err(format!(
                "{other} sends no notify for a failed payment (only mifeng does)"
            ));
        }
        ("refund-success", Provider::Mifeng) => return Err("mifeng has no refunds".into()),
        ("refund-success", _) => NotifyEvent::Refund,
        (other, _) => {
            return Err(format!(
                "unknown event {other:?} (pay-success, pay-failed, refund-success)"
            ));
        }
    };
    let amount = Money::parse_yuan(&args.amount).map_err(|e| format!("--amount: {e}"))?;
    let keys = crate::sandbox_env::load_or_create_keys(&args.keys_dir)?;
    let sandbox = Sandbox::start(SandboxConfig {
        time_scale: 60.0,
        keys: Some(keys),
        ..SandboxConfig::default()
    })
    .await
    .map_err(|e| format!("sandbox: {e}"))?;
    let (toml, env) = crate::sandbox_env::hub_config(&sandbox);
    let hub = Hub::from_toml_str_with_env(&toml, &|name| env.get(name).cloned())
        .map_err(|e| e.to_string())?;
    sandbox.set_notify_url(crate::sandbox_env::kind(p), Some(args.to.clone()));

    let order_no = args
        .order_no
        .clone()
        .unwrap_or_else(|| format!("TRIG{}", time::OffsetDateTime::now_utc().unix_timestamp()));
    let method = crate::sandbox_env::demo_method(p);
    let request = PaymentRequest::new(
        &order_no,
        amount,
        "payhub trigger",
        args.to.as_str(),
        method,
    )
    .client_ip("127.0.0.1");
    let created = hub
        .create_payment(p, &request)
        .await
        .map_err(|e| format!("create: {e}"))?;
    step(p.as_str(), "order", &format!("{order_no} {amount} yuan"));

    match event {
        NotifyEvent::PayFailed => {
            sandbox
                .fail(crate::sandbox_env::kind(p), &order_no)
                .map_err(|e| e.to_string())?;
        }
        NotifyEvent::PaySucceeded => {
            sandbox
                .pay(crate::sandbox_env::kind(p), &order_no)
                .map_err(|e| e.to_string())?;
        }
        NotifyEvent::Refund => {
            sandbox
                .pay(crate::sandbox_env::kind(p), &order_no)
                .map_err(|e| e.to_string())?;
            let refund_no = match p {
                Provider::BeeCloud => {
                    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
                    format!(
                        "{:04}{:02}{:02}{}",
                        now.year(),
                        u8::from(now.month()),
                        now.day(),
                        &order_no[4..]
                    )
                }
                _ => format!("R{order_no}"),
            };
            let refund = RefundRequest {
                order_no: order_no.clone(),
                provider_trade_no: created.provider_trade_no.clone(),
                refund_no,
                amount,
                total: Some(amount),
                reason: Some("payhub trigger".into()),
                notify_url: Some(args.to.to_string()),
            };
            hub.refund(p, &refund)
                .await
                .map_err(|e| format!("refund: {e}"))?;
        }
    }

    let record = output::wait_for(
        "your endpoint's acknowledgement",
        Duration::from_secs(args.wait),
        || {
            sandbox
                .notifications_delivered(crate::sandbox_env::kind(p))
                .into_iter()
                .find(|n| {
                    n.order_no == order_no && n.event == event && (n.acknowledged || n.gave_up)
                })
        },
    )
    .await;
    let all = sandbox.notifications_delivered(crate::sandbox_env::kind(p));
    sandbox.shutdown().await;
    let record = match record {
        Ok(r) => r,
        Err(timeout) => {
            let last = all
                .iter()
                .filter(|n| n.order_no == order_no && n.event == event)
                .flat_map(|n| n.attempts.last())
                .next_back()
                .map(|a| match (&a.status, &a.error) {
                    (Some(s), _) => format!("last answer: HTTP {s} {:?}", a.response),
                    (None, Some(e)) => format!("last attempt failed: {e}"),
                    (None, None) => "no answer".into(),
                })
                .unwrap_or_else(|| "nothing was sent".into());
            return Err(format!("{timeout}; {last}"));
        }
    };
    let a = record.attempts.last().ok_or("no attempt recorded")?;
    step(
        p.as_str(),
        "notify",
        &format!(
            "{} attempt(s) to {}: HTTP {} {:?}",
            record.attempts.len(),
            record.url,
            a.status.map(|s| s.to_string()).unwrap_or_default(),
            a.response
        ),
    );
    if record.acknowledged {
        println!("acknowledged");
        Ok(())
    } else {
        Err(format!(
            "your endpoint did not acknowledge (expected the body {:?})",
            payhub_sandbox::acknowledgement(crate::sandbox_env::kind(p))
        ))
    }
}
