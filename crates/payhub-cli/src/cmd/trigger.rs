//! `payhub trigger`: send a correctly signed notify to your own endpoint, like a webhook
//! trigger. An in-process sandbox, started with the keys of `--keys-dir` (found as
//! `payhub sandbox` finds them, so your app verifies with the credentials it printed; never
//! created here: new keys would sign notifies your app cannot verify), takes a real order
//! through the SDK and lets the simulated payer act; the provider's signed notify goes to
//! `--to`, retried on the provider's schedule until acknowledged or `--wait` passes. An answer
//! that cannot change by retrying (a 4xx other than 408 and 429) ends it at once.
//!
//! Events: `pay-success` (every provider), `pay-failed` (mifeng: only Mifeng notifies
//! failures), `refund-success` (sunmi, pooul, beecloud).

use super::{KeysDir, ProviderArg};
use crate::failure::Failure;
use crate::output::{self, step};
use payhub::{Hub, Money, PaymentRequest, Provider, RefundRequest};
use payhub_sandbox::{
    KeyDirError, NotificationRecord, NotifyEvent, Sandbox, SandboxConfig, SandboxKeys,
};
use std::time::Duration;

/// Arguments of `payhub trigger`.
#[derive(clap::Args)]
pub struct Args {
    /// The provider whose notify is sent.
    provider: ProviderArg,
    /// What the notify reports.
    event: Event,
    /// Your notify endpoint.
    #[arg(long)]
    to: url::Url,
    #[command(flatten)]
    keys: KeysDir,
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

/// A notify event on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Event {
    /// The payment succeeded (every provider).
    PaySuccess,
    /// The payment failed (mifeng only: only Mifeng notifies failures).
    PayFailed,
    /// A refund succeeded (sunmi, pooul, beecloud).
    RefundSuccess,
}

/// Whether an HTTP answer to a notify is one that no retry can change: a 4xx other than
/// 408 (timeout) and 429 (slow down).
fn permanent(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

/// The refusal of an answer that no retry changes, if the last attempt got one.
fn refused_for_good(record: &NotificationRecord) -> Option<String> {
    let last = record.attempts.last()?;
    let status = last.status.filter(|s| permanent(*s))?;
    Some(format!(
        "your endpoint answered HTTP {status} {:?}, which no retry changes; stopped after {} attempt(s)",
        last.response,
        record.attempts.len()
    ))
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Failure> {
    let p = Provider::from(args.provider);
    let event = match (args.event, p) {
        (Event::PaySuccess, _) => NotifyEvent::PaySucceeded,
        (Event::PayFailed, Provider::Mifeng) => NotifyEvent::PayFailed,
        (Event::PayFailed, other) => {
            return Err(Failure::Usage(format!(
                "{other} sends no notify for a failed payment (only mifeng does)"
            )));
        }
        (Event::RefundSuccess, Provider::Mifeng) => {
            return Err(Failure::Usage("mifeng has no refunds".into()));
        }
        (Event::RefundSuccess, _) => NotifyEvent::Refund,
    };
    let amount =
        Money::parse_yuan(&args.amount).map_err(|e| Failure::Usage(format!("--amount: {e}")))?;
    let dir = args.keys.absolute();
    let keys = SandboxKeys::load_dir(&dir).map_err(|e| match e {
        KeyDirError::NoKeys { .. } => format!(
            "{e}: start `payhub sandbox --keys-dir {}` first (it creates them), or point \
             --keys-dir / PAYHUB_SANDBOX_KEYS at the sandbox's directory",
            dir.display()
        ),
        e => e.to_string(),
    })?;
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
    if !output::json() {
        step(p.as_str(), "order", &format!("{order_no} {amount} yuan"));
    }

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
                    n.order_no == order_no
                        && n.event == event
                        && (n.acknowledged || n.gave_up || refused_for_good(n).is_some())
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
            return Err(format!("{timeout}; {last}").into());
        }
    };
    if let Some(refusal) = refused_for_good(&record).filter(|_| !record.acknowledged) {
        return Err(refusal.into());
    }
    let a = record
        .attempts
        .last()
        .ok_or_else(|| Failure::Other("no attempt recorded".into()))?;
    if output::json() {
        output::print_json(&serde_json::json!({
            "provider": p.as_str(),
            "order_no": order_no,
            "amount": amount.to_string(),
            "url": record.url,
            "attempts": record.attempts.len(),
            "status": a.status,
            "response": a.response,
            "acknowledged": record.acknowledged,
        }));
    } else {
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
        }
    }
    if record.acknowledged {
        Ok(())
    } else {
        Err(format!(
            "your endpoint did not acknowledge (expected the body {:?})",
            payhub_sandbox::acknowledgement(crate::sandbox_env::kind(p))
        )
        .into())
    }
}
