//! `[beecloud]`: builds a [`BeeCloudGateway`].

use super::EnvLookup;
use super::keys::{
    KeyEntry, Kind, RING_VAR, RingKey, Single, assemble, in_account, main_key, no_nested,
    required_secret, ring, with_ring_value,
};
use crate::account::{Account, DEFAULT_ACCOUNT};
use crate::adapters::beecloud::{BeeCloudGateway, BeeCloudSettings};
use crate::error::Error;
use crate::gateway::Gateway;
use crate::provider::Provider;
use beecloud::hosts::{InOrder, RandomPicker};
use beecloud::notify::TimestampCheck;
use beecloud::{
    AppMode, Client, Config, Environment, QrPayMode, RefundChannel, TitleRule, WebhookConfig,
    WebhookScheme,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const P: Provider = Provider::BeeCloud;

/// The `[beecloud]` section (see [`crate::config`] for an example): the default account, and
/// under `accounts` the named ones (`[beecloud.accounts.<name>]`, the same keys).
///
/// Secrets come only from the environment variables or files named; an unset or empty one
/// is an [`Error::Config`] naming the variable or file (never its value).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BeeCloudSection {
    /// The app's id on BeeCloud.
    pub app_id: String,
    /// The NAME of the environment variable holding the App Key; or `app_key_file`.
    pub app_key_env: Option<String>,
    /// A file holding the App Key.
    pub app_key_file: Option<PathBuf>,
    /// `"production"` (the four hosts of §1) or `"test"`; exactly one of this, `base_url`
    /// and `hosts`.
    pub environment: Option<String>,
    /// One host (a proxy, the sandbox).
    pub base_url: Option<String>,
    /// Your own host list.
    pub hosts: Option<Vec<String>>,
    /// `"random"` (default) or `"in_order"` (first host, then failover).
    pub host_order: Option<String>,
    /// `"utf8_bytes"` (default) or `"double_width"` (16 Chinese characters).
    pub title_rule: Option<String>,
    /// Channel groups asked by queries and refunds, in order: `"WX"`, `"ALI"`, `"UN"`
    /// (default all three).
    pub query_channels: Option<Vec<String>>,
    /// `return_url` of `ALI_QRCODE` bills: needed for [`crate::PayMethod::AlipayQr`].
    pub alipay_qr_return_url: Option<String>,
    /// `qr_pay_mode` of `ALI_QRCODE` bills: `"0"`, `"1"` or `"3"`.
    pub alipay_qr_pay_mode: Option<String>,
    /// Webhook scheme: `"v2"`, `"v1"` (camelCase) or `"v1_snake"` (snake_case, 2015-10 to
    /// 2017-01). Without it, notifies are refused.
    pub webhook: Option<String>,
    /// The NAME of the environment variable holding the webhook secret (v2: the Master
    /// Secret; v1, v1_snake: the App Secret, or the Test Secret for v1_snake in test mode).
    pub webhook_secret_env: Option<String>,
    /// A file holding the webhook secret.
    pub webhook_secret_file: Option<PathBuf>,
    /// Several webhook secrets (`env` or `file`), each with an optional `valid_until` (key
    /// rotation); instead of `webhook_secret_env` / `webhook_secret_file`.
    pub webhook_secrets: Option<Vec<KeyEntry>>,
    /// Timestamp window either way, in seconds (default 300).
    pub webhook_tolerance_secs: Option<u64>,
    /// `false` (v2 only) accepts webhooks without a timestamp (default `true`).
    pub webhook_check_timestamp: Option<bool>,
    /// v1_snake only: `true` for an app in test mode (default `false`).
    pub webhook_test_mode: Option<bool>,
    /// Seconds per call (default 30).
    pub http_timeout_secs: Option<u64>,
    /// Named accounts: `[beecloud.accounts.<name>]`, each with the keys above.
    #[serde(default)]
    pub accounts: BTreeMap<String, BeeCloudSection>,
}

/// The default account and the named ones of a `[beecloud]` section.
pub(crate) fn accounts(
    section: &BeeCloudSection,
    env: EnvLookup<'_>,
) -> Result<Vec<Account>, Error> {
    let mut out = vec![account(DEFAULT_ACCOUNT, section, env)?];
    for (name, s) in &section.accounts {
        no_nested(P, name, &s.accounts)?;
        out.push(account(name, s, env).map_err(in_account(P, name))?);
    }
    Ok(out)
}

fn account(name: &str, section: &BeeCloudSection, env: EnvLookup<'_>) -> Result<Account, Error> {
    let keys = if section.webhook.is_some() {
        webhook_secrets(section, env)?
    } else {
        Vec::new()
    };
    let main: Arc<dyn Gateway> = Arc::new(BeeCloudGateway::from_config(section, env)?);
    let holds = main_key(&keys).map(|k| k.label.clone());
    assemble(name, main, keys, holds.as_deref(), |value| {
        let mut s = section.clone();
        s.webhook_secret_env = Some(RING_VAR.to_owned());
        s.webhook_secret_file = None;
        s.webhook_secrets = None;
        let lookup = with_ring_value(value, env);
        Ok(Arc::new(BeeCloudGateway::from_config(&s, &lookup)?) as Arc<dyn Gateway>)
    })
}

fn webhook_secrets(section: &BeeCloudSection, env: EnvLookup<'_>) -> Result<Vec<RingKey>, Error> {
    ring(
        P,
        "webhook_secret",
        Kind::Secret,
        Single {
            inline: None,
            var: section.webhook_secret_env.as_deref(),
            file: section.webhook_secret_file.as_deref(),
        },
        section.webhook_secrets.as_deref(),
        env,
    )
}

impl BeeCloudGateway {
    /// Builds the gateway from a `[beecloud]` section, reading the secrets through `env`.
    pub fn from_config(section: &BeeCloudSection, env: EnvLookup<'_>) -> Result<Self, Error> {
        let app_key = required_secret(
            P,
            "app_key",
            section.app_key_env.as_deref(),
            section.app_key_file.as_deref(),
            env,
        )?;
        let environment = environment(section)?;
        let mut config = Config::new(environment, section.app_id.clone(), app_key);
        match section.host_order.as_deref() {
            None | Some("random") => config = config.with_host_picker(RandomPicker::new()),
            Some("in_order") => config = config.with_host_picker(InOrder),
            Some(other) => {
                return Err(Error::Config(format!(
                    "[{P}] host_order must be \"random\" or \"in_order\", not {other:?}"
                )));
            }
        }
        match section.title_rule.as_deref() {
            None | Some("utf8_bytes") => config = config.with_title_rule(TitleRule::Utf8Bytes),
            Some("double_width") => config = config.with_title_rule(TitleRule::DoubleWidth),
            Some(other) => {
                return Err(Error::Config(format!(
                    "[{P}] title_rule must be \"utf8_bytes\" or \"double_width\", not {other:?}"
                )));
            }
        }
        if let Some(secs) = secs(section.http_timeout_secs, "http_timeout_secs")? {
            config.http.timeout = Duration::from_secs(secs);
        }
        if let Some(webhook) = webhook_config(section, env)? {
            config = config.with_webhook(webhook);
        }
        let mut settings = BeeCloudSettings::default();
        if let Some(list) = &section.query_channels {
            let mut groups = Vec::new();
            for v in list {
                let g = parse_group(v).ok_or_else(|| {
                    Error::Config(format!(
                        "[{P}] query_channels holds \"WX\", \"ALI\" or \"UN\", not {v:?}"
                    ))
                })?;
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
            if groups.is_empty() {
                return Err(Error::Config(format!(
                    "[{P}] query_channels must not be empty"
                )));
            }
            settings.query_channels = groups;
        }
        settings.alipay_qr_return_url = section.alipay_qr_return_url.clone();
        settings.alipay_qr_pay_mode = match section.alipay_qr_pay_mode.as_deref() {
            None => None,
            Some("0") => Some(QrPayMode::SimpleFront),
            Some("1") => Some(QrPayMode::Front),
            Some("3") => Some(QrPayMode::MiniFront),
            Some(other) => {
                return Err(Error::Config(format!(
                    "[{P}] alipay_qr_pay_mode must be \"0\", \"1\" or \"3\", not {other:?}"
                )));
            }
        };
        let client = Client::new(config).map_err(|e| Error::Config(format!("[{P}] {e}")))?;
        Ok(Self::new(client, settings))
    }
}

fn parse_group(raw: &str) -> Option<RefundChannel> {
    match raw.trim().to_ascii_uppercase().as_str() {
        "WX" => Some(RefundChannel::Wx),
        "ALI" => Some(RefundChannel::Ali),
        "UN" => Some(RefundChannel::Un),
        _ => None,
    }
}

fn secs(value: Option<u64>, key: &str) -> Result<Option<u64>, Error> {
    match value {
        Some(0) => Err(Error::Config(format!(
            "[{P}] {key} must be a positive integer of seconds"
        ))),
        other => Ok(other),
    }
}

fn environment(section: &BeeCloudSection) -> Result<Environment, Error> {
    let url =
        |s: &str| url::Url::parse(s).map_err(|e| Error::Config(format!("[{P}] host {s:?}: {e}")));
    match (&section.environment, &section.base_url, &section.hosts) {
        (Some(env), None, None) => match env.as_str() {
            "production" => Ok(Environment::Production),
            "test" => Ok(Environment::Test),
            other => Err(Error::Config(format!(
                "[{P}] environment must be \"test\" or \"production\", not {other:?}"
            ))),
        },
        (None, Some(base), None) => Ok(Environment::Custom(vec![url(base)?])),
        (None, None, Some(list)) => {
            let urls = list.iter().map(|s| url(s)).collect::<Result<Vec<_>, _>>()?;
            if urls.is_empty() {
                return Err(Error::Config(format!("[{P}] hosts must not be empty")));
            }
            Ok(Environment::Custom(urls))
        }
        _ => Err(Error::Config(format!(
            "[{P}] needs exactly one of environment = \"test\"|\"production\", base_url = \"...\" or hosts = [...]"
        ))),
    }
}

fn webhook_config(
    section: &BeeCloudSection,
    env: EnvLookup<'_>,
) -> Result<Option<WebhookConfig>, Error> {
    let Some(scheme) = section.webhook.as_deref() else {
        let set = [
            ("webhook_secret_env", section.webhook_secret_env.is_some()),
            ("webhook_secret_file", section.webhook_secret_file.is_some()),
            ("webhook_secrets", section.webhook_secrets.is_some()),
            (
                "webhook_tolerance_secs",
                section.webhook_tolerance_secs.is_some(),
            ),
            (
                "webhook_check_timestamp",
                section.webhook_check_timestamp.is_some(),
            ),
            ("webhook_test_mode", section.webhook_test_mode.is_some()),
        ];
        if let Some((k, _)) = set.into_iter().find(|(_, set)| *set) {
            return Err(Error::Config(format!(
                "[{P}] {k} is set but webhook = \"v1\"|\"v1_snake\"|\"v2\" is not"
            )));
        }
        return Ok(None);
    };
    let test_mode = section.webhook_test_mode;
    if test_mode.is_some() && scheme != "v1_snake" {
        return Err(Error::Config(format!(
            "[{P}] webhook_test_mode is only for webhook = \"v1_snake\""
        )));
    }
    let keys = webhook_secrets(section, env)?;
    let secret = main_key(&keys)
        .map(|k| paysig::SecretString::from(k.value.clone()))
        .ok_or_else(|| {
            Error::Config(format!(
                "[{P}] needs webhook_secret_env = \"<ENV_VAR_NAME>\" (or webhook_secret_file, webhook_secrets) with webhook = {scheme:?}"
            ))
        })?;
    // Whether the scheme signs nothing but the timestamp.
    let (scheme, timestamp_only) = match scheme {
        "v1" => (WebhookScheme::V1 { app_secret: secret }, true),
        "v1_snake" => (
            WebhookScheme::V1Snake {
                secret,
                mode: if test_mode == Some(true) {
                    AppMode::Test
                } else {
                    AppMode::Live
                },
            },
            true,
        ),
        "v2" => (
            WebhookScheme::V2 {
                master_secret: secret,
            },
            false,
        ),
        other => {
            return Err(Error::Config(format!(
                "[{P}] webhook must be \"v1\", \"v1_snake\" or \"v2\", not {other:?}"
            )));
        }
    };
    let tolerance = Duration::from_secs(
        secs(section.webhook_tolerance_secs, "webhook_tolerance_secs")?
            .unwrap_or(WebhookConfig::DEFAULT_TOLERANCE.as_secs()),
    );
    let check = section.webhook_check_timestamp.unwrap_or(true);
    if !check && timestamp_only {
        return Err(Error::Config(format!(
            "[{P}] webhook_check_timestamp = false is refused with webhook = \"v1\" or \"v1_snake\": they sign nothing but the timestamp"
        )));
    }
    let timestamp = if check {
        TimestampCheck::Within(tolerance)
    } else {
        TimestampCheck::Skip
    };
    Ok(Some(WebhookConfig::new(scheme).timestamp_check(timestamp)))
}
