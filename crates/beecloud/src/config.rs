//! Hosts, credentials and the switches where the document leaves a choice.
//!
//! Every payhub provider crate builds its client the same way: `Config::new(environment,
//! <the id the provider assigned>, <credentials>)` (a shared secret as
//! `impl Into<SecretString>`, an RSA key as a loaded key), then `Client::new(config)`.

use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::hosts::{HostPicker, RandomPicker};
use crate::notify::WebhookConfig;
use paysig::SecretString;
use paysig::http::{HttpConfig, RetryPolicy};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The four production hosts of beecloud.md §1 (Beijing, Shenzhen, Qingdao, Hangzhou), HTTPS.
pub const PRODUCTION_HOSTS: [&str; 4] = [
    "https://apibj.beecloud.cn",
    "https://apisz.beecloud.cn",
    "https://apiqd.beecloud.cn",
    "https://apihz.beecloud.cn",
];

/// The test server of beecloud.md §1 (内测阶段开放测试环境), plain HTTP as documented.
pub const TEST_HOST: &str = "http://58.211.191.123:8080";

/// Where the calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// The four production hosts ([`PRODUCTION_HOSTS`]); each call picks one at random.
    /// (The document of the time said they were not yet online.)
    Production,
    /// The single test server ([`TEST_HOST`]).
    Test,
    /// Your own list of base URLs (a proxy, a mock); a path prefix is kept.
    Custom(Vec<Url>),
}

impl Environment {
    /// The base URLs, in configured order.
    pub fn base_urls(&self) -> Result<Vec<Url>, Error> {
        let urls = match self {
            Environment::Production => PRODUCTION_HOSTS
                .iter()
                .map(|h| Url::parse(h))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::Config {
                    reason: e.to_string(),
                })?,
            Environment::Test => vec![Url::parse(TEST_HOST).map_err(|e| Error::Config {
                reason: e.to_string(),
            })?],
            Environment::Custom(urls) => urls.clone(),
        };
        if urls.is_empty() {
            return Err(Error::Config {
                reason: "no host configured".into(),
            });
        }
        if let Some(u) = urls
            .iter()
            .find(|u| u.cannot_be_a_base() || u.host().is_none())
        {
            return Err(Error::Config {
                reason: format!("{u} is not a base URL with a host"),
            });
        }
        Ok(urls)
    }
}

/// How the 32-byte limit on `title` is counted.
///
/// The document says both "UTF8编码格式,32个字节内" (32 bytes of UTF-8) and "最长支持16个汉字"
/// (16 Chinese characters), which is 48 bytes of UTF-8: the two cannot both hold. Which one
/// BeeCloud enforces is an inference either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TitleRule {
    /// At most 32 bytes of UTF-8 (10 Chinese characters). The strict reading: a title that
    /// passes it passes either rule. Default.
    #[default]
    Utf8Bytes,
    /// ASCII counts 1, any other character 2 (the GBK width), so 16 Chinese characters fit.
    DoubleWidth,
}

impl TitleRule {
    /// The size of `title` under this rule.
    pub fn size_of(self, title: &str) -> usize {
        match self {
            TitleRule::Utf8Bytes => title.len(),
            TitleRule::DoubleWidth => title
                .chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum(),
        }
    }
}

/// Everything the client needs. Every credential is a [`SecretString`], so `{:?}` never shows
/// one.
///
/// ```
/// use beecloud::{Config, Environment};
/// let config = Config::new(Environment::Production, "0950c062-5e41-44e3-8f52-f89d8cf2b6eb", "app-key");
/// assert!(!format!("{config:?}").contains("app-key"));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// `app_id`: the app's id on BeeCloud.
    pub app_id: String,
    /// The app key of `app_sign = md5(app_id + timestamp + app_key)`.
    pub app_key: SecretString,
    /// The hosts.
    pub environment: Environment,
    /// Timeouts and the retry policy PER HOST. Queries (GET) are marked idempotent, so the
    /// sender repeats them on the same host by this policy (full jitter, `Retry-After` on
    /// 429/503) before the client moves to the next host; the default is
    /// [`RetryPolicy::default`] (3 attempts per host).
    /// Bills and refunds are never repeated by the sender.
    pub http: HttpConfig,
    /// The order in which hosts are tried for each call.
    pub host_picker: Arc<dyn HostPicker>,
    /// The clock behind `timestamp`, the refund date check and the webhook window.
    pub clock: Arc<dyn Clock>,
    /// How `title` is measured.
    pub title_rule: TitleRule,
    /// How webhooks are verified ([`crate::Client::verify_notify`]); `None` if not used.
    pub webhook: Option<WebhookConfig>,
}

impl Config {
    /// A configuration with the defaults: random host per call, system clock, 5 s to connect,
    /// 30 s per call, queries repeated up to 3 times per host, strict title rule, no webhook.
    pub fn new(
        environment: Environment,
        app_id: impl Into<String>,
        app_key: impl Into<SecretString>,
    ) -> Self {
        Config {
            app_id: app_id.into(),
            app_key: app_key.into(),
            environment,
            http: HttpConfig {
                connect_timeout: Duration::from_secs(5),
                timeout: Duration::from_secs(30),
                retry: RetryPolicy::default(),
                ..HttpConfig::default()
            },
            host_picker: Arc::new(RandomPicker::new()),
            clock: Arc::new(SystemClock),
            title_rule: TitleRule::default(),
            webhook: None,
        }
    }

    /// Replaces the HTTP settings.
    pub fn with_http(mut self, http: HttpConfig) -> Self {
        self.http = http;
        self
    }

    /// Replaces the host picker (e.g. [`RandomPicker::seeded`] in tests).
    pub fn with_host_picker(mut self, picker: impl HostPicker + 'static) -> Self {
        self.host_picker = Arc::new(picker);
        self
    }

    /// Replaces the clock (e.g. [`crate::clock::FixedClock`] in tests).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Replaces the title rule.
    pub fn with_title_rule(mut self, rule: TitleRule) -> Self {
        self.title_rule = rule;
        self
    }

    /// Sets the webhook verification.
    pub fn with_webhook(mut self, webhook: WebhookConfig) -> Self {
        self.webhook = Some(webhook);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_rules_measure_differently() {
        let t = "白开水白开水白开水白开水白开水白"; // 16 characters
        assert_eq!(TitleRule::Utf8Bytes.size_of(t), 48);
        assert_eq!(TitleRule::DoubleWidth.size_of(t), 32);
        assert_eq!(TitleRule::DoubleWidth.size_of("ab白"), 4);
    }

    #[test]
    fn environments_resolve() {
        assert_eq!(Environment::Production.base_urls().unwrap().len(), 4);
        assert_eq!(Environment::Test.base_urls().unwrap().len(), 1);
        assert!(matches!(
            Environment::Custom(vec![]).base_urls(),
            Err(Error::Config { .. })
        ));
    }
}
