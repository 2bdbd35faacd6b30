//! What the sandbox is started with.

use paysig::{RsaPrivateKey, SignError};
use std::time::Duration;

/// Settings of a [`crate::Sandbox`].
///
/// Every delay the providers' documents name (notify retry schedules) and the auto-pay delay
/// are divided by [`time_scale`](Self::time_scale), so a test can run a 24-hour retry schedule
/// in milliseconds. Fault latency is not scaled: it is a network property.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Divisor of the notify retry schedules and of `auto_pay` (1.0 = real time; must be > 0).
    pub time_scale: f64,
    /// When set, every new order is paid by the simulated payer after this delay (scaled).
    /// When `None`, orders wait for [`crate::RunningSandbox::pay`] / `fail` or the control API.
    pub auto_pay: Option<Duration>,
    /// Pooul `common.micro` answers `trade_state` 6 ("paying", USERPAYING) first and is settled
    /// later (auto-pay or control), as pooul.md describes; `false` pays it synchronously.
    pub micropay_paying_first: bool,
    /// Lifetime of a Mifeng access token (mifeng.md: 2 hours); shorten it to exercise refresh.
    pub mifeng_token_ttl: Duration,
    /// Mifeng calls allowed per second and merchant (mifeng.md: 20).
    pub mifeng_rate_limit_per_sec: u32,
    /// Network faults injected on the provider endpoints (never on `/_sandbox/...`).
    pub faults: Faults,
    /// Seed of every random choice (identifiers, credentials, faults): the same seed gives the
    /// same sequence of faults for the same sequence of requests.
    pub seed: u64,
    /// Which of BeeCloud's two webhook formats is sent (see [`BeeCloudWebhookScheme`]).
    pub beecloud_webhook: BeeCloudWebhookScheme,
    /// Fixed ports per provider; 0 picks a free port.
    pub ports: Ports,
    /// Time allowed to a notify receiver to answer one delivery attempt.
    pub notify_timeout: Duration,
    /// The RSA keys to use; `None` generates fresh ones at start. Fixed keys (with a fixed
    /// `seed`, which fixes the other credentials) let a developer's app keep its sandbox
    /// configuration across restarts, and let tests share one generation.
    pub keys: Option<SandboxKeys>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            time_scale: 1.0,
            auto_pay: None,
            micropay_paying_first: true,
            mifeng_token_ttl: Duration::from_secs(7200),
            mifeng_rate_limit_per_sec: 20,
            faults: Faults::default(),
            seed: 0,
            beecloud_webhook: BeeCloudWebhookScheme::V1CamelCase,
            ports: Ports::default(),
            notify_timeout: Duration::from_secs(5),
            keys: None,
        }
    }
}

/// Faults injected on provider endpoints and notifies, drawn deterministically from
/// [`SandboxConfig::seed`]. These are the values at start; they can be changed while the
/// sandbox runs ([`crate::RunningSandbox::set_faults`], `POST /_sandbox/faults`, the
/// dashboard's faults panel).
///
/// Requests draw only while a request fault (latency, 5xx or drop ratio) is set, so the same
/// seed gives the same faults to the requests made after they are set, however many requests
/// came before without faults.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Added before every answer.
    pub latency: Duration,
    /// Fraction (0.0..=1.0) of requests answered `500 Internal Server Error` without being
    /// processed.
    pub error_5xx_ratio: f64,
    /// Fraction (0.0..=1.0) of requests that ARE processed, after which the connection is closed
    /// without an answer (the case where the merchant cannot know whether an order exists).
    pub drop_ratio: f64,
    /// Fraction (0.0..=1.0) of notify delivery attempts the sandbox drops instead of sending
    /// (a lost notify); each is recorded and retried on the provider's schedule.
    pub drop_notify_ratio: f64,
}

impl Faults {
    /// Refuses a ratio outside 0.0..=1.0 (or NaN), naming the field.
    pub fn check(&self) -> Result<(), crate::SandboxError> {
        for (name, r) in [
            ("error_5xx_ratio", self.error_5xx_ratio),
            ("drop_ratio", self.drop_ratio),
            ("drop_notify_ratio", self.drop_notify_ratio),
        ] {
            if !(0.0..=1.0).contains(&r) {
                return Err(crate::SandboxError::Config {
                    reason: format!("{name} must be within 0.0..=1.0, got {r}"),
                });
            }
        }
        Ok(())
    }
}

/// The BeeCloud webhook format (provider-notes.md: both existed; beecloud.md has neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BeeCloudWebhookScheme {
    /// V1 era (matches beecloud.md): camelCase JSON with
    /// `sign = md5(appId + appSecret + timestamp)`.
    #[default]
    V1CamelCase,
    /// Later: snake_case JSON with `signature = md5(app_id + transaction_id + transaction_type +
    /// channel_type + transaction_fee + master_secret)`.
    SnakeCaseSignature,
}

/// Listening ports, one per provider and one for the dashboard (0 = any free port). All bind
/// 127.0.0.1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ports {
    /// Sunmi.
    pub sunmi: u16,
    /// Pooul.
    pub pooul: u16,
    /// BeeCloud.
    pub beecloud: u16,
    /// Mifeng.
    pub mifeng: u16,
    /// The dashboard (the web page at `/`, [`crate::RunningSandbox::dashboard_url`]).
    pub dashboard: u16,
}

impl Ports {
    /// Five consecutive ports from `first`: Sunmi, Pooul, BeeCloud, Mifeng, dashboard (for a
    /// command line that takes one `--port`). `None` if they would pass 65535.
    pub fn consecutive(first: u16) -> Option<Ports> {
        Some(Ports {
            sunmi: first,
            pooul: first.checked_add(1)?,
            beecloud: first.checked_add(2)?,
            mifeng: first.checked_add(3)?,
            dashboard: first.checked_add(4)?,
        })
    }
}

/// The sandbox's RSA key pairs.
#[derive(Debug, Clone)]
pub struct SandboxKeys {
    /// Signs Sunmi notifies (the role of the key behind sunmi.txt §6.4's public key).
    pub sunmi_platform: RsaPrivateKey,
    /// Signs Pooul answers and notifies.
    pub pooul_platform: RsaPrivateKey,
    /// The Pooul merchant's key pair; the sandbox registers its public half, as a merchant
    /// uploads it, and hands the private half to the SDK client.
    pub pooul_merchant: RsaPrivateKey,
}

impl SandboxKeys {
    /// Three fresh 2048-bit keys.
    pub fn generate() -> Result<SandboxKeys, SignError> {
        Ok(SandboxKeys {
            sunmi_platform: RsaPrivateKey::generate_2048()?,
            pooul_platform: RsaPrivateKey::generate_2048()?,
            pooul_merchant: RsaPrivateKey::generate_2048()?,
        })
    }
}
