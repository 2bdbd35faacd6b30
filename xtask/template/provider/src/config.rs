//! The client's settings.

use std::fmt;

use paysig::SecretString;
use paysig::http::HttpConfig;

/// Which {{Title}} host a client talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// The provider's test host (fill in from the document).
    Test,
    /// The production host (fill in from the document).
    Production,
    /// Another base URL: the sandbox on loopback, a proxy.
    Custom(String),
}

impl Environment {
    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Test => "https://test.{{name}}.invalid",
            Environment::Production => "https://api.{{name}}.invalid",
            Environment::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

/// Everything a [`Client`](crate::Client) needs. The app key never reaches `Debug`.
#[derive(Clone)]
pub struct Config {
    environment: Environment,
    app_id: String,
    app_key: SecretString,
    /// Timeouts, and the retry policy of idempotent calls.
    pub http: HttpConfig,
    /// The largest notify body read; a longer one is refused unread.
    pub notify_body_limit: usize,
}

impl Config {
    /// A configuration: the environment first, then the merchant's id and secret.
    ///
    /// ```
    /// let config = {{crate}}::Config::new({{crate}}::Environment::Test, "app", "secret-key");
    /// assert!(!format!("{config:?}").contains("secret-key"));
    /// ```
    pub fn new(
        environment: Environment,
        app_id: impl Into<String>,
        app_key: impl Into<SecretString>,
    ) -> Self {
        Config {
            environment,
            app_id: app_id.into(),
            app_key: app_key.into(),
            http: HttpConfig::default(),
            notify_body_limit: paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT,
        }
    }

    /// The environment.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The merchant's app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    pub(crate) fn app_key(&self) -> &SecretString {
        &self.app_key
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("app_id", &self.app_id)
            .field("app_key", &"***")
            .field("http", &self.http)
            .field("notify_body_limit", &self.notify_body_limit)
            .finish()
    }
}
