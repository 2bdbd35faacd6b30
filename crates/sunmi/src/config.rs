//! Where to send requests and with which credentials.
//!
//! Every payhub provider crate builds its client the same way: `Config::new(environment,
//! <the id the provider assigned>, <credentials>)` (a shared secret as
//! `impl Into<SecretString>`, an RSA key as a loaded key), then `Client::new(config)`.

use paysig::http::{HttpConfig, RetryPolicy};
use paysig::{RsaPublicKey, SecretString};
use std::time::Duration;
use url::Url;

/// The Sunmi open API host (sunmi.txt: "请求地址测试环境 / 生产环境" of every endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `http://openapi.test.sunmi.com` (plain HTTP, as documented).
    Test,
    /// `https://openapi.sunmi.com`.
    Production,
    /// Any other base URL (a local mock, a sandbox); paths `/v1/trade/...` are appended.
    Custom(Url),
}

impl Environment {
    /// The base URL of the environment.
    pub fn base_url(&self) -> Url {
        match self {
            Environment::Test => {
                Url::parse("http://openapi.test.sunmi.com/").expect("static URL literal")
            }
            Environment::Production => {
                Url::parse("https://openapi.sunmi.com/").expect("static URL literal")
            }
            Environment::Custom(u) => u.clone(),
        }
    }
}

/// The Sunmi configuration: host, credentials, timeouts, polling.
#[derive(Debug, Clone)]
pub struct Config {
    /// The host.
    pub environment: Environment,
    /// `app_id`, assigned by Sunmi technical support (sunmi.txt §1.4).
    pub app_id: String,
    /// `app_key`, the MD5 signing secret (sunmi.txt §2.1). Never printed.
    pub app_key: SecretString,
    /// The Sunmi public key that signs notifies (sunmi.txt §2.2; §6.4 for the test
    /// environment: [`crate::TEST_PUBLIC_KEY`]).
    pub sunmi_public_key: RsaPublicKey,
    /// Timeouts (10 s to connect, 30 s per call by default) and the retries of queries
    /// (`query`, `swipeQuery`) on transport failure or 5xx. Orders, binds and refunds are
    /// never repeated.
    pub http: HttpConfig,
    /// The longest `notifyUrl` accepted by `miniPay`. sunmi.txt §5.3.2 documents
    /// `String(32)`, which is likely a copy error (jsApiPay documents 255); the default
    /// follows the document, raise it if Sunmi accepts longer URLs for you.
    pub mini_pay_notify_url_max: usize,
    /// The longest notify body [`crate::Client::verify_notify`] reads, in bytes; a longer
    /// one is refused before parsing ([`crate::NotifyError::BodyTooLarge`]). Default
    /// [`paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT`] (64 KiB).
    pub notify_body_limit: usize,
}

impl Config {
    /// A configuration with the documented defaults (10 s connect, 30 s call).
    ///
    /// ```
    /// use sunmi::{Config, Environment};
    /// let key = paysig::RsaPublicKey::from_pem_or_base64(sunmi::TEST_PUBLIC_KEY)?;
    /// let config = Config::new(Environment::Production, "sm5b9b4daef3463", "app-key", key);
    /// assert!(!format!("{config:?}").contains("app-key"));
    /// # Ok::<(), paysig::SignError>(())
    /// ```
    pub fn new(
        environment: Environment,
        app_id: impl Into<String>,
        app_key: impl Into<SecretString>,
        sunmi_public_key: RsaPublicKey,
    ) -> Self {
        Config {
            environment,
            app_id: app_id.into(),
            app_key: app_key.into(),
            sunmi_public_key,
            http: HttpConfig {
                connect_timeout: Duration::from_secs(10),
                timeout: Duration::from_secs(30),
                retry: RetryPolicy::default(),
                ..HttpConfig::default()
            },
            mini_pay_notify_url_max: 32,
            notify_body_limit: paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT,
        }
    }

    /// The test environment with the §6.4 test public key ([`crate::TEST_PUBLIC_KEY`]).
    pub fn test(app_id: impl Into<String>, app_key: impl Into<SecretString>) -> Self {
        Config::new(Environment::Test, app_id, app_key, test_public_key())
    }

    /// Sets both timeouts.
    pub fn with_timeouts(mut self, connect: Duration, call: Duration) -> Self {
        self.http.connect_timeout = connect;
        self.http.timeout = call;
        self
    }

    /// Replaces the HTTP settings (timeouts, query retries).
    pub fn with_http(mut self, http: HttpConfig) -> Self {
        self.http = http;
        self
    }

    pub(crate) fn http_config(&self) -> HttpConfig {
        self.http.clone()
    }
}

/// [`crate::TEST_PUBLIC_KEY`], a constant the unit test below proves parses.
fn test_public_key() -> RsaPublicKey {
    RsaPublicKey::from_pem_or_base64(crate::TEST_PUBLIC_KEY)
        .unwrap_or_else(|e| unreachable!("the §6.4 test key is a valid constant: {e}"))
}

/// Whether `state` 2 (订单未付款, unpaid) ends [`crate::Client::poll_until_final`].
///
/// The document lists 2 among the states but does not say whether an unpaid order can still
/// be paid; this is an inference, hence a switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnpaidPolicy {
    /// Keep polling on state 2 until the deadline (default: the user may still pay).
    #[default]
    KeepPolling,
    /// Treat state 2 as final.
    Final,
}

/// How [`crate::Client::poll_until_final`] polls after "用户支付中".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollConfig {
    /// Wait before the first query. sunmi.txt §4.3.2/§5.3.2: "建议在10秒（含）后开始查询".
    pub initial_delay: Duration,
    /// Wait between queries.
    pub interval: Duration,
    /// Give up after this long (counted from the call).
    pub deadline: Duration,
    /// What state 2 means.
    pub unpaid: UnpaidPolicy,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            initial_delay: Duration::from_secs(10),
            interval: Duration::from_secs(5),
            deadline: Duration::from_secs(120),
            unpaid: UnpaidPolicy::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_test_configuration_carries_the_document_s_key() {
        let config = super::Config::test("app", "key");
        assert_eq!(config.environment, super::Environment::Test);
        assert!(config.sunmi_public_key.modulus_bits() >= 2048);
    }
}
