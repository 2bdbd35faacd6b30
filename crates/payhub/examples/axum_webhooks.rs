//! Receiving every provider's notifies with axum: the facade's router verifies the raw body,
//! checks the order and amount, drops duplicates, calls your handler, and acknowledges only
//! after the handler returned `Ok` (so a failure makes the provider retry: nothing is lost).
//! Here the sandbox pays a Sunmi order and posts its signed notify to the router.
//!
//! `cargo run -p payhub --features axum,prometheus --example axum_webhooks` (it also serves
//! `GET /metrics` and prints the counters a Prometheus scrape reads)

use payhub::adapters::pooul::PooulGateway;
use payhub::adapters::sunmi::SunmiGateway;
use payhub::axum::{NotificationHandler, notify_router};
use payhub::notify::MemoryOrders;
use payhub::{BoxError, Hub, Money, Notification, PayMethod, PaymentRequest, Provider};
use payhub_sandbox::{ProviderKind, RunningSandbox, Sandbox, SandboxConfig};
use paysig::Verified;
use std::sync::Arc;
use std::time::Duration;

/// Your fulfilment: runs once per notification; an `Err` means "not processed, retry".
struct Fulfil(tokio::sync::mpsc::UnboundedSender<Notification>);

#[async_trait::async_trait]
impl NotificationHandler for Fulfil {
    async fn handle(&self, event: Verified<Notification>) -> Result<(), BoxError> {
        // Mark the order paid in your database here, in one transaction.
        self.0.send(event.into_inner())?;
        Ok(())
    }
}

/// A hub over the sandbox's Sunmi and Pooul, built in code (see `Hub::from_toml_str` for
/// the configuration-file way).
fn hub_for(sandbox: &RunningSandbox) -> Result<Hub, Box<dyn std::error::Error>> {
    let s = sandbox.sunmi();
    let sunmi = sunmi::Client::new(sunmi::Config::new(
        sunmi::Environment::Custom(sandbox.base_url(ProviderKind::Sunmi)),
        s.app_id.clone(),
        s.app_key.clone(),
        s.platform_public_key.clone(),
    ))?;
    let p = sandbox.pooul();
    let pooul = pooul::Client::new(pooul::Config::new(
        pooul::Environment::Custom(sandbox.base_url(ProviderKind::Pooul)),
        p.merchant_id.clone(),
        p.merchant_private_key.clone(),
        p.platform_public_key.clone(),
    ))?;
    Ok(Hub::builder()
        .gateway(Arc::new(SunmiGateway::new(sunmi, s.merchant_no.clone())))
        .gateway(Arc::new(PooulGateway::new(pooul)))
        .build())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Once, at start: payhub's metrics, rendered at GET /metrics below.
    let metrics = payhub::observe::prometheus()?;
    let sandbox = Sandbox::start(SandboxConfig {
        time_scale: 100.0,
        ..SandboxConfig::default()
    })
    .await?;
    let hub = Arc::new(hub_for(&sandbox)?);

    let orders = Arc::new(MemoryOrders::default()); // your order table
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new()
        .nest(
            "/payhub",
            notify_router(hub.clone(), orders.clone(), Arc::new(Fulfil(tx))),
        )
        // Keep it off the public internet (or behind your own authentication).
        .merge(payhub::observe::metrics_router(metrics));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}/payhub");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let amount = Money::parse_yuan("9.90")?;
    let order_no = format!("AX{}", std::process::id());
    orders.insert(Provider::Sunmi, &order_no, amount);
    let request = PaymentRequest::new(
        &order_no,
        amount,
        "iced tea",
        format!("{base}/notify/sunmi"),
        PayMethod::WechatJsapi {
            app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
        },
    );
    hub.create_payment(Provider::Sunmi, &request).await?;
    sandbox.pay(ProviderKind::Sunmi, &order_no)?;

    let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await?
        .ok_or("receiver closed")?;
    println!(
        "received {} {} {} yuan: {}",
        event.provider, event.order_no, event.amount, event.status
    );
    let acked = sandbox
        .wait_acknowledged(ProviderKind::Sunmi, &order_no, Duration::from_secs(5))
        .await;
    println!("Sunmi saw the acknowledgement: {}", acked.is_some());

    // What a Prometheus scrape of this app reads: the create and the notify, counted.
    let scraped = reqwest::get(format!("http://{addr}/metrics"))
        .await?
        .text()
        .await?;
    for line in scraped
        .lines()
        .filter(|l| l.starts_with("payhub_calls_total") || l.starts_with("payhub_notifies_total"))
    {
        println!("{line}");
    }
    sandbox.shutdown().await;
    Ok(())
}
