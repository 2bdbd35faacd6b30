//! The sandbox as a developer's app sees it: the hub configuration (TOML plus the
//! environment holding its secrets) that points at it.

use payhub::{PayMethod, Provider};
use payhub_sandbox::{BeeCloudWebhookScheme, ProviderKind, RunningSandbox};
use paysig::ExposeSecret;
use std::collections::HashMap;

/// The hub's TOML for this sandbox and the environment variables holding its secrets.
pub fn hub_config(sandbox: &RunningSandbox) -> (String, HashMap<String, String>) {
    let s = sandbox.sunmi();
    let p = sandbox.pooul();
    let b = sandbox.beecloud();
    let m = sandbox.mifeng();
    let (scheme, webhook_secret) = match sandbox.config().beecloud_webhook {
        BeeCloudWebhookScheme::V1CamelCase => ("v1", b.app_secret.expose_secret()),
        BeeCloudWebhookScheme::SnakeCaseSignature => ("v2", b.master_secret.expose_secret()),
    };
    let toml = format!(
        r#"
[sunmi]
base_url = "{sunmi_url}"
app_id = "{sunmi_app}"
app_key_env = "SUNMI_APP_KEY"
merchant_no = "{sunmi_mch}"
sunmi_public_key = """{sunmi_pub}"""

[pooul]
base_url = "{pooul_url}"
merchant_id = "{pooul_mch}"
merchant_key_env = "POOUL_MERCHANT_KEY"
pooul_public_key = """{pooul_pub}"""

[beecloud]
base_url = "{bc_url}"
app_id = "{bc_app}"
app_key_env = "BEECLOUD_APP_KEY"
webhook = "{scheme}"
webhook_secret_env = "BEECLOUD_WEBHOOK_SECRET"

[mifeng]
base_url = "{mf_url}"
mch_id = "{mf_mch}"
secret_env = "MIFENG_SECRET"
"#,
        sunmi_url = sandbox.base_url(ProviderKind::Sunmi),
        sunmi_app = s.app_id,
        sunmi_mch = s.merchant_no,
        sunmi_pub = s.platform_public_key.to_pem(),
        pooul_url = sandbox.base_url(ProviderKind::Pooul),
        pooul_mch = p.merchant_id,
        pooul_pub = p.platform_public_key.to_pem(),
        bc_url = sandbox.base_url(ProviderKind::BeeCloud),
        bc_app = b.app_id,
        mf_url = sandbox.base_url(ProviderKind::Mifeng),
        mf_mch = m.mch_id,
    );
    let env = HashMap::from([
        (
            "SUNMI_APP_KEY".to_owned(),
            s.app_key.expose_secret().to_owned(),
        ),
        (
            "POOUL_MERCHANT_KEY".to_owned(),
            p.merchant_private_key
                .to_pkcs8_pem()
                .expose_secret()
                .to_owned(),
        ),
        (
            "BEECLOUD_APP_KEY".to_owned(),
            b.app_key.expose_secret().to_owned(),
        ),
        (
            "BEECLOUD_WEBHOOK_SECRET".to_owned(),
            webhook_secret.to_owned(),
        ),
        (
            "MIFENG_SECRET".to_owned(),
            m.secret.expose_secret().to_owned(),
        ),
    ]);
    (toml, env)
}

/// The sandbox's name for a provider.
pub fn kind(p: Provider) -> ProviderKind {
    match p {
        Provider::Mifeng => ProviderKind::Mifeng,
        Provider::Pooul => ProviderKind::Pooul,
        Provider::Sunmi => ProviderKind::Sunmi,
        Provider::BeeCloud => ProviderKind::BeeCloud,
    }
}

/// A payment method each provider serves, for the tour and for triggered notifies.
pub fn demo_method(p: Provider) -> PayMethod {
    match p {
        // jsApiPay (yuan on the wire); miniPay documents notifyUrl as String(32).
        Provider::Sunmi => PayMethod::WechatJsapi {
            app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
        },
        Provider::Pooul | Provider::BeeCloud => PayMethod::WechatNative,
        Provider::Mifeng => PayMethod::HostedCashier {
            channel: "1".into(),
            return_url: Some("https://shop.example/paid".into()),
        },
    }
}
