//! `payhub demo`: the tour. Starts the sandbox and a local notify receiver (the facade's axum
//! router), then for each provider: create → simulated payment → verified notify received →
//! query → refund (where the provider has one) → refund query, printing each step and the
//! unified status. Exits 0 only if every step held.

use crate::output::{self, heading, step, step_failed};
use payhub::axum::{NotificationHandler, notify_router};
use payhub::notify::MemoryOrders;
use payhub::{
    BoxError, Error, Hub, Money, Notification, NotificationKind, PaymentAction, PaymentQuery,
    PaymentRequest, PaymentStatus, Provider, RefundQuery, RefundRequest,
};
use payhub_ledger::{Ledger, PaymentState, RecordOnly, SweepConfig, Sweeper};
use payhub_sandbox::{Faults, ProviderKind, RunningSandbox, Sandbox, SandboxConfig};
use paysig::Verified;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Arguments of `payhub demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Divides the providers' notify schedules (the tour should take seconds, not hours).
    #[arg(long, default_value_t = 1000.0)]
    time_scale: f64,
    /// Only these providers (default: all four).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The ledger of the last step (a dropped notify recovered by the sweeper): a database
    /// URL (default: an embedded in-memory SQLite ledger).
    #[arg(long, default_value = "sqlite::memory:")]
    ledger: String,
}

/// Records every notification the receiver accepted.
#[derive(Default)]
struct Received(Mutex<Vec<Notification>>);

#[async_trait::async_trait]
impl NotificationHandler for Received {
    async fn handle(&self, event: Verified<Notification>) -> Result<(), BoxError> {
        self.0
            .lock()
            .map_err(|_| "poisoned")?
            .push(event.into_inner());
        Ok(())
    }
}

impl Received {
    fn find(&self, provider: Provider, order_no: &str, refund: bool) -> Option<Notification> {
        let list = self.0.lock().ok()?;
        list.iter()
            .find(|n| {
                n.provider == provider
                    && n.order_no == order_no
                    && matches!(n.kind, NotificationKind::Refund { .. }) == refund
            })
            .cloned()
    }
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), String> {
    let providers: Vec<Provider> = if args.only.is_empty() {
        vec![
            Provider::Sunmi,
            Provider::Pooul,
            Provider::BeeCloud,
            Provider::Mifeng,
        ]
    } else {
        args.only
            .iter()
            .map(|n| super::provider(n))
            .collect::<Result<_, _>>()?
    };
    let sandbox = Sandbox::start(SandboxConfig {
        time_scale: args.time_scale,
        ..SandboxConfig::default()
    })
    .await
    .map_err(|e| format!("sandbox: {e}"))?;
    let (toml, env) = crate::sandbox_env::hub_config(&sandbox);
    let hub = Arc::new(
        Hub::from_toml_str_with_env(&toml, &|name| env.get(name).cloned())
            .map_err(|e| e.to_string())?,
    );

    let orders = Arc::new(MemoryOrders::default());
    let received = Arc::new(Received::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("receiver: {e}"))?;
    let receiver = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let app = notify_router(hub.clone(), orders.clone(), received.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    // BeeCloud posts webhooks to the app's configured URL, not a per-bill one.
    let beecloud_hook =
        url::Url::parse(&format!("{receiver}/notify/beecloud")).map_err(|e| e.to_string())?;
    sandbox.set_notify_url(ProviderKind::BeeCloud, Some(beecloud_hook));

    heading(&format!(
        "payhub demo: sandbox on 127.0.0.1, notify receiver on {receiver}"
    ));
    let mut failed = Vec::new();
    let providers_run = providers.clone();
    for p in providers {
        heading(&format!("\n{p}"));
        if let Err(e) = tour(p, &hub, &sandbox, &orders, &received, &receiver).await {
            step_failed(p.as_str(), "FAILED", &e);
            failed.push(p);
        }
    }
    // The ledger: a payment whose notify the sandbox drops, recovered by the sweeper.
    let ledger_provider = if providers_run.contains(&Provider::Pooul) {
        Provider::Pooul
    } else {
        providers_run[0]
    };
    heading(&format!("\nledger ({ledger_provider}, {})", args.ledger));
    if let Err(e) = ledger_recovery(ledger_provider, &hub, &sandbox, &receiver, &args.ledger).await
    {
        step_failed("ledger", "FAILED", &e);
        failed.push(ledger_provider);
    }
    server.abort();
    sandbox.shutdown().await;
    if failed.is_empty() {
        heading("\nevery step held");
        Ok(())
    } else {
        Err(format!(
            "the tour failed for {}",
            failed
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

fn describe(action: &PaymentAction) -> String {
    match action {
        PaymentAction::QrCode { content } => format!("QR code {content}"),
        PaymentAction::Redirect { url } => format!("redirect to {url}"),
        PaymentAction::HtmlForm { .. } => "HTML form".into(),
        PaymentAction::WechatJsapi(p) | PaymentAction::WechatMini(p) => {
            format!("WeChat params ({})", p.package)
        }
        PaymentAction::WechatApp(p) => format!("WeChat APP params (prepay {})", p.prepay_id),
        PaymentAction::AlipayApp { .. } => "Alipay APP order string".into(),
        PaymentAction::UnionPayApp { tn } => format!("UnionPay tn {tn}"),
        PaymentAction::Final { status } => format!("final: {status}"),
        other => format!("{other:?}"),
    }
}

/// Today in Beijing, `yyyyMMdd` (BeeCloud refund numbers start with it).
fn beijing_today() -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    format!(
        "{:04}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

async fn tour(
    p: Provider,
    hub: &Hub,
    sandbox: &RunningSandbox,
    orders: &MemoryOrders,
    received: &Received,
    receiver: &str,
) -> Result<(), String> {
    let name = p.as_str();
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let order_no = format!("DEMO{}{stamp}", &name[..2].to_uppercase());
    let amount = Money::parse_yuan("12.34").map_err(|e| e.to_string())?;
    orders.insert(p, order_no.clone(), amount);
    let request = PaymentRequest::new(
        order_no.clone(),
        amount,
        "payhub demo",
        format!("{receiver}/notify/{name}"),
        crate::sandbox_env::demo_method(p),
    )
    .client_ip("127.0.0.1");

    let created = hub
        .create_payment(p, &request)
        .await
        .map_err(|e| format!("create: {e}"))?;
    step(
        name,
        "create",
        &format!("{order_no} 12.34 yuan -> {}", describe(&created.action)),
    );

    sandbox
        .pay(crate::sandbox_env::kind(p), &order_no)
        .map_err(|e| format!("simulated payment: {e}"))?;
    step(name, "payer pays", "through the sandbox's simulated payer");

    let event = output::wait_for("the verified pay notify", Duration::from_secs(20), || {
        received.find(p, &order_no, false)
    })
    .await?;
    if event.amount != amount || event.status != PaymentStatus::Succeeded {
        return Err(format!(
            "notify says {} {} , expected 12.34 succeeded",
            event.amount, event.status
        ));
    }
    step(
        name,
        "notify",
        &format!("verified, amount {} -> {}", event.amount, event.status),
    );

    let query = PaymentQuery {
        order_no: order_no.clone(),
        provider_trade_no: created.provider_trade_no.clone(),
    };
    let paid = hub
        .query_payment(p, &query)
        .await
        .map_err(|e| format!("query: {e}"))?;
    if paid.status != PaymentStatus::Succeeded {
        return Err(format!("query says {}, expected succeeded", paid.status));
    }
    step(name, "query", &format!("-> {}", paid.status));

    let refund_no = match p {
        Provider::BeeCloud => format!("{}{}", beijing_today(), &stamp.to_string()[5..]),
        _ => format!("R{order_no}"),
    };
    let refund = RefundRequest {
        order_no: order_no.clone(),
        provider_trade_no: created.provider_trade_no.clone(),
        refund_no: refund_no.clone(),
        amount,
        total: Some(amount),
        reason: Some("payhub demo refund".into()),
        notify_url: Some(format!("{receiver}/notify/{name}")),
    };
    match hub.refund(p, &refund).await {
        Err(Error::Unsupported { operation, .. }) => {
            step(
                name,
                "refund",
                &format!("{operation} is not offered by {name} (documented): skipped"),
            );
            return Ok(());
        }
        Err(e) => return Err(format!("refund: {e}")),
        Ok(r) => step(name, "refund", &format!("{refund_no} -> {}", r.status)),
    }
    match hub
        .query_refund(
            p,
            &RefundQuery {
                order_no: order_no.clone(),
                refund_no: refund_no.clone(),
            },
        )
        .await
    {
        Err(Error::Unsupported { operation, .. }) => step(
            name,
            "refund query",
            &format!("{operation} not offered: skipped"),
        ),
        Err(e) => return Err(format!("refund query: {e}")),
        Ok(r)
            if matches!(
                r.status,
                PaymentStatus::Refunded(_) | PaymentStatus::Refunding
            ) =>
        {
            step(name, "refund query", &format!("-> {}", r.status))
        }
        Ok(r) => return Err(format!("refund query says {}, expected refunded", r.status)),
    }
    Ok(())
}

/// One payment through the ledger whose notify the sandbox drops: the ledger records it
/// (`creating`, then `pending`), the payer pays, no notify comes, and one sweep finds it paid
/// by query, through the same de-duplicated path a notify takes.
async fn ledger_recovery(
    p: Provider,
    hub: &Hub,
    sandbox: &RunningSandbox,
    receiver: &str,
    url: &str,
) -> Result<(), String> {
    let ledger = Ledger::connect(url)
        .await
        .map_err(|e| format!("ledger: {e}"))?;
    let lh = ledger.clone().with_hub(hub.clone());
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let order_no = format!("DEMOLEDGER{stamp}");
    let amount = Money::parse_yuan("8.80").map_err(|e| e.to_string())?;
    let request = PaymentRequest::new(
        order_no.clone(),
        amount,
        "payhub demo (ledger)",
        format!("{receiver}/notify/{}", p.as_str()),
        crate::sandbox_env::demo_method(p),
    )
    .client_ip("127.0.0.1");
    let (faults, _) = sandbox.faults();
    sandbox
        .set_faults(
            Faults {
                drop_notify_ratio: 1.0,
                ..faults
            },
            None,
        )
        .map_err(|e| e.to_string())?;
    let outcome = async {
        lh.create_payment(p, &request, Some(Duration::from_secs(15 * 60)))
            .await
            .map_err(|e| format!("create: {e}"))?;
        step(
            "ledger",
            "create",
            &format!("{order_no} 8.80 yuan recorded creating, then pending"),
        );
        sandbox
            .pay(crate::sandbox_env::kind(p), &order_no)
            .map_err(|e| format!("simulated payment: {e}"))?;
        step(
            "ledger",
            "payer pays",
            "the sandbox drops the notify (drop_notify_ratio = 1)",
        );
        let state = |ledger: Ledger, order_no: String| async move {
            ledger
                .payment(p, &order_no)
                .await
                .map_err(|e| e.to_string())?
                .map(|r| r.state)
                .ok_or_else(|| format!("{order_no} is not in the ledger"))
        };
        let before = state(ledger.clone(), order_no.clone()).await?;
        let report = Sweeper::new(lh.clone(), Arc::new(RecordOnly), SweepConfig::default().immediate())
            .run_once()
            .await;
        let after = state(ledger.clone(), order_no.clone()).await?;
        if after != PaymentState::Paid {
            return Err(format!(
                "after the sweep the ledger holds {after} (errors: {:?})",
                report.errors
            ));
        }
        step(
            "ledger",
            "sweeper",
            &format!(
                "recovered {order_no}: {before} -> {after} by the sweeper's query ({} queries), though its notify never arrived",
                report.queries
            ),
        );
        Ok(())
    }
    .await;
    sandbox
        .set_faults(faults, None)
        .map_err(|e| e.to_string())?;
    outcome
}
