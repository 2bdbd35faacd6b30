//! The Mifeng SDK across a token expiry, against the sandbox: the sandbox's tokens live 2 s;
//! calls on both sides of the expiry succeed, because the client refreshes the token (before
//! expiry, or once on "token invalid") and repeats the call.

use mifeng::{Client, Config, Environment, MemoryTokenStore, OrderState, UnifiedOrderRequest};
use payhub_sandbox::{ProviderKind, Sandbox, SandboxConfig};
use paysig::Money;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn mifeng_sdk_keeps_working_across_a_token_expiry() {
    let sb = Sandbox::start(SandboxConfig {
        mifeng_token_ttl: Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let c = sb.mifeng();
    let mut config = Config::new(
        Environment::Custom(sb.base_url(ProviderKind::Mifeng)),
        c.mch_id.clone(),
        c.secret.clone(),
    );
    // A store of this test's own, so no other client's token is reused.
    config.token_store = Some(Arc::new(MemoryTokenStore::new()));
    let client = Client::new(config).unwrap();

    let req = UnifiedOrderRequest::new(
        "1",
        "SDK-MF-EXP",
        Money::from_fen(300),
        "127.0.0.1".parse().unwrap(),
        "http://127.0.0.1:9/n".parse().unwrap(),
    );
    let created = client.unified_order(&req).await.unwrap();
    let before = client.query(&created.data.order_no).await.unwrap();
    assert_eq!(before.data.state, OrderState::AwaitingPayment);

    // Past the token's lifetime: the cached token is dead at the sandbox.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    sb.pay(ProviderKind::Mifeng, "SDK-MF-EXP").unwrap();
    let after = client.query(&created.data.order_no).await.unwrap();
    assert_eq!(after.data.state, OrderState::Success);
    assert_eq!(
        client.balance().await.unwrap().data.balance,
        Money::from_fen(300)
    );
    sb.shutdown().await;
}
