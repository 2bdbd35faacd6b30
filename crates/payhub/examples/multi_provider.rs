//! One API over several providers: the same `PaymentRequest` goes to Sunmi (WeChat
//! mini-program) and Pooul (WeChat native QR) through one `Hub`, against the offline sandbox.
//!
//! `cargo run -p payhub --example multi_provider`

use payhub::adapters::pooul::PooulGateway;
use payhub::adapters::sunmi::SunmiGateway;
use payhub::{Hub, Money, PayMethod, PaymentQuery, PaymentRequest, Provider};
use payhub_sandbox::{ProviderKind, RunningSandbox, Sandbox, SandboxConfig};
use std::sync::Arc;

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
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let hub = hub_for(&sandbox)?;

    let price = Money::parse_yuan("25.00")?;
    for (provider, kind, method) in [
        (
            Provider::Sunmi,
            ProviderKind::Sunmi,
            PayMethod::WechatMini {
                app_id: "wx2e5f6590644de622".into(),
                open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
            },
        ),
        (
            Provider::Pooul,
            ProviderKind::Pooul,
            PayMethod::WechatNative,
        ),
    ] {
        let order_no = format!(
            "MP{}{}",
            provider.as_str().to_uppercase(),
            std::process::id()
        );
        let request = PaymentRequest::new(
            &order_no,
            price,
            "two coffees",
            "http://127.0.0.1:9/notify",
            method,
        )
        .client_ip("127.0.0.1");
        let created = hub.create_payment(provider, &request).await?;
        println!(
            "{:<6} created {order_no}: {:?}",
            provider.as_str(),
            created.action
        );

        sandbox.pay(kind, &order_no)?; // the simulated payer
        let query = PaymentQuery {
            order_no,
            provider_trade_no: created.provider_trade_no,
        };
        let payment = hub.query_payment(provider, &query).await?;
        println!(
            "{provider:<9} now {} ({} yuan)",
            payment.status,
            payment.amount.map(|m| m.to_string()).unwrap_or_default()
        );
    }
    sandbox.shutdown().await;
    Ok(())
}
