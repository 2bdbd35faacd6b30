//! The hub's TOML configuration, read by serde: [`HubConfig`], [`Hub::from_path`],
//! [`Hub::from_toml_str`].
//!
//! One section per provider (each behind its cargo feature) and an optional `[notify]`.
//! Secrets never go into the file: a key ending in `_env` holds the NAME of the environment
//! variable that holds the secret, a key ending in `_file` the path of a file holding it
//! (surrounding whitespace trimmed); give one of the two. Any key not listed here is refused
//! with its name and its line, so a typo never silently leaves a setting at its default. A
//! section for a provider whose feature is off is refused too.
//!
//! # Accounts
//! A provider's section is its **default** account (`Hub::create_payment(provider, ..)`,
//! route `/notify/{provider}`). Named accounts sit under it, `[pooul.accounts.<name>]`, with
//! the same keys as the section itself (no inheritance: each account states its host and
//! credentials, so reading one table tells everything about that merchant). They are
//! addressed as `hub.account(Provider::Pooul, "shop-b")?` and notified at
//! `/notify/pooul/shop-b`. A name is 1 to 64 letters, digits, `-` or `_`. Why sub-tables
//! rather than a list: a table name is the account's name, so TOML itself refuses two accounts
//! of one name, and every existing file keeps working unchanged. Two Mifeng accounts of one
//! `mch_id` at one host are refused (Mifeng's token and rate limit are per `mch_id`).
//!
//! # Notify keys and rotation
//! The key a provider signs notifies with may be given as a ring instead of one key:
//! `sunmi_public_keys`, `pooul_public_keys`, `webhook_secrets` (BeeCloud) and
//! `notify_secrets` (Mifeng; without it, `secret` verifies). Each entry has a `label`
//! (recorded on every notification it verifies, [`crate::Notification::key`]), exactly one
//! of `env`, `file` or (public keys only) `value`, and an optional `valid_until` (RFC 3339).
//! A notify verifying only under a key past its `valid_until` is refused with
//! [`crate::NotifyError::KeyExpired`]. [`Hub::reload_credentials`] reads the file, the key
//! files and the variables again (e.g. from a SIGHUP handler) and swaps them in without
//! disturbing calls in flight; if anything fails, the keys in force stay.
//!
//! Every section and every key (optional keys show their defaults; `#` lines show the
//! alternatives):
//!
//! ```
//! let toml = r#"
//! [sunmi]
//! environment = "test"                     # "test" | "production"; or instead:
//! ## base_url = "http://127.0.0.1:9001"     # any other host (the sandbox, a mock)
//! app_id = "sm5b9b4daef3463"               # assigned by Sunmi (sunmi.txt §1.4)
//! app_key_env = "SUNMI_APP_KEY"            # variable holding the MD5 app_key
//! ## app_key_file = "/run/secrets/sunmi_app_key"  # or a file holding it
//! merchant_no = "8202915737"               # the Sunmi merchantNo of every call
//! ## Sunmi's notify public key, at most one of (test: the §6.4 test key by default):
//! ## sunmi_public_key_env = "SUNMI_PUBLIC_KEY"  # variable holding it (PEM or base64 DER)
//! ## sunmi_public_key_file = "/etc/payhub/sunmi.pem"
//! ## sunmi_public_key = "MIIBIjANBgkq..."       # or inline: it is public
//! ## sunmi_public_keys = [{ label = "2026", file = "/etc/payhub/sunmi-2026.pem" }]
//! mini_pay_notify_url_max = 32             # longest miniPay notifyUrl (the document: String(32))
//! connect_timeout_secs = 10
//! timeout_secs = 30
//!
//! [pooul]
//! environment = "test"                     # "test" | "uat" | "production"; or base_url = "..."
//! merchant_id = "5399355381712172"         # 16 digits, assigned by Pooul
//! merchant_key_env = "POOUL_MERCHANT_KEY"  # variable holding the merchant's RSA private key
//! ## merchant_key_file = "/run/secrets/pooul_merchant.pem"   # or a file holding it
//! pooul_public_key_env = "POOUL_PUBLIC_KEY" # variable holding Pooul's RSA public key; or inline:
//! ## pooul_public_key = "-----BEGIN PUBLIC KEY-----\n..."
//! ## pooul_public_key_file = "/etc/payhub/pooul.pem"
//! ## or a ring (key rotation), instead of the three above:
//! ## pooul_public_keys = [
//! ##   { label = "2025", file = "/etc/payhub/pooul-2025.pem", valid_until = "2026-12-01T00:00:00Z" },
//! ##   { label = "2026", env = "POOUL_PUBLIC_KEY_2026" },
//! ## ]
//! ## For PayMethod::WechatH5 (wechat.wap), all three or none:
//! h5_app_type = "WAP"                      # IOS | AND | WAP
//! h5_app_name = "Example Shop"
//! h5_app_id = "https://shop.example/"
//!
//! [beecloud]
//! app_id = "0950c062-5e41-44e3-8f52-f89d8cf2b6eb"
//! app_key_env = "BEECLOUD_APP_KEY"         # variable holding the App Key (or app_key_file)
//! environment = "production"               # the four hosts of §1, or "test"; or instead one of:
//! ## base_url = "http://127.0.0.1:9004"     # one host (a proxy, the sandbox)
//! ## hosts = ["https://a.example", "https://b.example"]
//! host_order = "random"                    # or "in_order" (first host, then failover)
//! title_rule = "utf8_bytes"                # or "double_width" (16 Chinese characters)
//! query_channels = ["WX", "ALI", "UN"]     # groups asked by queries and refunds, in order
//! alipay_qr_return_url = "https://shop.example/paid"   # needed for PayMethod::AlipayQr
//! alipay_qr_pay_mode = "1"                 # "0", "1" or "3"; optional
//! http_timeout_secs = 30
//! ## Webhook verification (without it, notifies are refused):
//! webhook = "v2"                           # or "v1" (camelCase) or "v1_snake" (2015-10 to 2017-01)
//! webhook_secret_env = "BEECLOUD_MASTER_SECRET"  # v2: Master Secret; v1, v1_snake: App Secret
//! ## webhook_secret_file = "/run/secrets/beecloud_master"   # or a file; or a ring:
//! ## webhook_secrets = [{ label = "old", env = "BC_OLD", valid_until = "2026-12-01T00:00:00Z" },
//! ##                    { label = "new", file = "/run/secrets/beecloud_master" }]
//! webhook_tolerance_secs = 300             # timestamp window either way
//! webhook_check_timestamp = true           # false (v2 only) accepts webhooks without timestamp
//! ## webhook_test_mode = false              # v1_snake only: an app in test mode (Test Secret)
//!
//! [mifeng]
//! environment = "production"               # mifeng.md names no test host: base_url for others
//! ## base_url = "http://127.0.0.1:9003"
//! mch_id = "1000123"                       # 商户编号 (a string or an integer)
//! secret_env = "MIFENG_SECRET"             # variable holding 接口密钥 (or secret_file)
//! ## notify_secrets = [{ label = "2026", env = "MIFENG_SECRET" }]  # notify keys (rotation)
//! ## The mifeng crate's switches for what mifeng.md leaves open (defaults shown):
//! notify_trust = "signature_and_query"     # or "signature_only"
//! body_encoding = "platform_export"        # or "form", or "json"
//! token_method = "post"                    # or "get" (puts the secret in the URL)
//! query_code_2 = "param_invalid"           # or "token_invalid"
//! rate_limit_per_second = 20               # 1..=20 calls/s per mch_id
//! notify_absent_param = "signed_as_empty"  # or "not_signed", or "refused"
//!
//! [mifeng.accounts.shop-b]                # a named account: the same keys as [mifeng]
//! environment = "production"
//! mch_id = "1000456"
//! secret_file = "/run/secrets/mifeng_shop_b"
//!
//! [notify]
//! confirm_by_query = ["sunmi"]             # also query the order before trusting a notify
//! body_limit = 65536                       # bytes; a longer notify body is refused unparsed
//! "#;
//! let config = payhub::config::HubConfig::from_toml_str(toml)?;
//! assert!(config.sunmi.is_some() && config.pooul.is_some());
//! assert!(config.beecloud.is_some() && config.mifeng.is_some());
//! assert_eq!(config.notify.body_limit, Some(65536));
//! let shop_b = &config.mifeng.as_ref().unwrap().accounts["shop-b"];
//! assert_eq!(shop_b.mch_id.0, "1000456");
//! // Building reads the secrets: `Hub::from_path("payhub.toml")` or `Hub::from_toml_str`
//! // with std::env::var, `Hub::from_config(&config, &lookup)` with your own lookup.
//! # let mut config = config;
//! # config.pooul = None; // its variables would have to hold real RSA keys
//! # config.mifeng.as_mut().unwrap().accounts.clear(); // its secret file does not exist here
//! # let hub = payhub::Hub::from_config(&config, &|_| Some("from-the-environment".into()))?;
//! # assert_eq!(hub.providers().len(), 3);
//! # Ok::<(), payhub::Error>(())
//! ```
//!
//! The parsed form is [`HubConfig`] (serde `Deserialize`), so the hub's settings can also live
//! inside your application's own configuration file: deserialize a `HubConfig` from it and
//! build with [`Hub::from_config`].

#[cfg(feature = "beecloud")]
mod beecloud;
mod keys;
#[cfg(feature = "mifeng")]
mod mifeng;
#[cfg(feature = "pooul")]
mod pooul;
#[cfg(feature = "sunmi")]
mod sunmi;

#[cfg(feature = "beecloud")]
#[cfg_attr(docsrs, doc(cfg(feature = "beecloud")))]
pub use self::beecloud::BeeCloudSection;
#[cfg(feature = "mifeng")]
#[cfg_attr(docsrs, doc(cfg(feature = "mifeng")))]
pub use self::mifeng::{MchId, MifengSection};
#[cfg(feature = "pooul")]
#[cfg_attr(docsrs, doc(cfg(feature = "pooul")))]
pub use self::pooul::PooulSection;
#[cfg(feature = "sunmi")]
#[cfg_attr(docsrs, doc(cfg(feature = "sunmi")))]
pub use self::sunmi::SunmiSection;
pub use keys::KeyEntry;

use crate::account::Account;
use crate::error::Error;
use crate::hub::{Hub, HubBuilder, Source};
use crate::provider::Provider;
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

/// Looks a secret up by environment variable name (injectable for tests).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// An environment lookup the hub keeps, to read the variables again on
/// [`Hub::reload_credentials`].
pub type SharedEnv = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

fn std_env() -> SharedEnv {
    Arc::new(|name| std::env::var(name).ok())
}

/// The whole hub configuration: one optional section per provider and `[notify]`. See the
/// [module docs](self) for every key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct HubConfig {
    /// `[sunmi]`.
    #[cfg(feature = "sunmi")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sunmi")))]
    pub sunmi: Option<SunmiSection>,
    /// `[pooul]`.
    #[cfg(feature = "pooul")]
    #[cfg_attr(docsrs, doc(cfg(feature = "pooul")))]
    pub pooul: Option<PooulSection>,
    /// `[beecloud]`.
    #[cfg(feature = "beecloud")]
    #[cfg_attr(docsrs, doc(cfg(feature = "beecloud")))]
    pub beecloud: Option<BeeCloudSection>,
    /// `[mifeng]`.
    #[cfg(feature = "mifeng")]
    #[cfg_attr(docsrs, doc(cfg(feature = "mifeng")))]
    pub mifeng: Option<MifengSection>,
    // A section for a provider whose feature is off is read, then refused by name.
    #[cfg(not(feature = "sunmi"))]
    sunmi: Option<serde::de::IgnoredAny>,
    #[cfg(not(feature = "pooul"))]
    pooul: Option<serde::de::IgnoredAny>,
    #[cfg(not(feature = "beecloud"))]
    beecloud: Option<serde::de::IgnoredAny>,
    #[cfg(not(feature = "mifeng"))]
    mifeng: Option<serde::de::IgnoredAny>,
    /// `[notify]`.
    #[serde(default)]
    pub notify: NotifySection,
}

/// `[notify]`: how the hub handles notifies.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct NotifySection {
    /// `confirm_by_query = ["sunmi", ...]`: providers whose notifies are confirmed by a query
    /// before they are trusted ([`HubBuilder::confirm_by_query`]).
    #[serde(default)]
    pub confirm_by_query: Vec<Provider>,
    /// `body_limit = 65536`: the longest notify body, in bytes
    /// ([`HubBuilder::notify_body_limit`]); a longer one is refused before parsing.
    pub body_limit: Option<usize>,
}

impl HubConfig {
    /// Parses TOML text. Unknown keys, wrong types and TOML syntax errors are
    /// [`Error::Config`] naming the key and its line (never a value of an unknown key).
    pub fn from_toml_str(text: &str) -> Result<HubConfig, Error> {
        toml::from_str(text).map_err(|e| Error::Config(describe(text, &e)))
    }

    /// Reads and parses a TOML file; errors start with the file's path.
    pub fn from_path(path: impl AsRef<Path>) -> Result<HubConfig, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        Self::from_toml_str(&text).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("{}: {m}", path.display())),
            other => other,
        })
    }
}

impl Hub {
    /// Builds a hub from a TOML file, reading secrets with `std::env::var`. See
    /// [`crate::config`] for every key.
    ///
    /// ```no_run
    /// let hub = payhub::Hub::from_path("payhub.toml")?;
    /// # Ok::<(), payhub::Error>(())
    /// ```
    ///
    /// [`Hub::reload_credentials`] reads the file again, with the key files and variables it
    /// names.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Hub, Error> {
        let path = path.as_ref();
        let config = HubConfig::from_path(path)?;
        let env = std_env();
        let builder = Self::configured(&config, env.as_ref()).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("{}: {m}", path.display())),
            other => other,
        })?;
        builder
            .source(Source::Path(path.to_owned(), env))
            .try_build()
    }

    /// Builds a hub from TOML text, reading secrets with `std::env::var` (again on
    /// [`Hub::reload_credentials`]).
    pub fn from_toml_str(text: &str) -> Result<Hub, Error> {
        Self::from_config_reloadable(HubConfig::from_toml_str(text)?, std_env())
    }

    /// Builds a hub from a parsed [`HubConfig`] with a lookup the hub keeps, so
    /// [`Hub::reload_credentials`] can read the key files and variables again.
    pub fn from_config_reloadable(config: HubConfig, env: SharedEnv) -> Result<Hub, Error> {
        Self::configured(&config, env.as_ref())?
            .source(Source::Config(Box::new(config), env))
            .try_build()
    }

    /// Builds a hub from TOML text with an injectable environment.
    pub fn from_toml_str_with_env(text: &str, env: EnvLookup<'_>) -> Result<Hub, Error> {
        Self::from_config(&HubConfig::from_toml_str(text)?, env)
    }

    /// Builds a hub from a parsed [`HubConfig`], reading secrets through `env`.
    /// The lookup is borrowed, so this hub cannot [`Hub::reload_credentials`]; see
    /// [`Hub::from_config_reloadable`].
    pub fn from_config(config: &HubConfig, env: EnvLookup<'_>) -> Result<Hub, Error> {
        Self::configured(config, env)?.try_build()
    }

    fn configured(config: &HubConfig, env: EnvLookup<'_>) -> Result<HubBuilder, Error> {
        let mut builder = notify_section(Hub::builder(), &config.notify)?;
        for account in build_accounts(config, env)? {
            builder = builder.account(account);
        }
        Ok(builder)
    }
}

fn notify_section(mut builder: HubBuilder, section: &NotifySection) -> Result<HubBuilder, Error> {
    if let Some(limit) = section.body_limit {
        if limit == 0 {
            return Err(Error::Config(
                "[notify] body_limit must be a positive number of bytes".into(),
            ));
        }
        builder = builder.notify_body_limit(limit);
    }
    for p in &section.confirm_by_query {
        builder = builder.confirm_by_query(*p);
    }
    Ok(builder)
}

/// Every account the configuration describes, credentials read (files and variables).
#[allow(unused_variables, unused_mut)]
pub(crate) fn build_accounts(
    config: &HubConfig,
    env: EnvLookup<'_>,
) -> Result<Vec<Account>, Error> {
    let mut accounts = Vec::new();
    #[cfg(feature = "sunmi")]
    if let Some(s) = &config.sunmi {
        accounts.extend(self::sunmi::accounts(s, env)?);
    }
    #[cfg(not(feature = "sunmi"))]
    if config.sunmi.is_some() {
        return Err(feature_off(Provider::Sunmi));
    }
    #[cfg(feature = "pooul")]
    if let Some(s) = &config.pooul {
        accounts.extend(self::pooul::accounts(s, env)?);
    }
    #[cfg(not(feature = "pooul"))]
    if config.pooul.is_some() {
        return Err(feature_off(Provider::Pooul));
    }
    #[cfg(feature = "beecloud")]
    if let Some(s) = &config.beecloud {
        accounts.extend(self::beecloud::accounts(s, env)?);
    }
    #[cfg(not(feature = "beecloud"))]
    if config.beecloud.is_some() {
        return Err(feature_off(Provider::BeeCloud));
    }
    #[cfg(feature = "mifeng")]
    if let Some(s) = &config.mifeng {
        accounts.extend(self::mifeng::accounts(s, env)?);
    }
    #[cfg(not(feature = "mifeng"))]
    if config.mifeng.is_some() {
        return Err(feature_off(Provider::Mifeng));
    }
    Ok(accounts)
}

#[allow(dead_code)]
fn feature_off(p: Provider) -> Error {
    Error::Config(format!(
        "[{p}] is configured but payhub was built without the `{p}` feature"
    ))
}

/// A TOML/serde error as `[section] line N: key: message`. The source line itself is not
/// quoted, nor a string value: it may be a secret written where it does not belong (e.g.
/// `app_key = "..."`).
fn describe(text: &str, e: &toml::de::Error) -> String {
    let message = unknown_key(e.message())
        .or_else(|| value_hidden(e.message()))
        .unwrap_or_else(|| e.message().trim().to_owned());
    let Some(span) = e.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    // The section the error is in: the last header up to the end of this line (a missing
    // key is reported on the section's own header).
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let section = text[..line_end]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
        .and_then(|l| l.split(']').next())
        .map(|l| format!("{}] ", l.trim()))
        .unwrap_or_default();
    // The key whose value is wrong, from the line the value starts on (`key = value`).
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let key = text[line_start..start]
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| {
            !k.is_empty()
                && !message.contains(&format!("{k:?}"))
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        })
        .map(|k| format!("{k}: "))
        .unwrap_or_default();
    format!("{section}line {line}: {key}{message}")
}

/// serde's "unknown field `x`, expected one of ..." in the words of a config file.
fn unknown_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, tail) = rest.split_once('`')?;
    let expected = tail.trim_start_matches(',').trim();
    Some(format!("unknown key {name:?} ({expected})"))
}

/// serde's `invalid type: string "<value>", expected ...` without the value.
fn value_hidden(message: &str) -> Option<String> {
    let rest = message.strip_prefix("invalid type: string ")?;
    let (_, expected) = rest.rsplit_once(", expected ")?;
    Some(format!(
        "invalid type: a string, expected {}",
        expected.trim()
    ))
}

/// Reads the secret held by the environment variable `var` (named by `section.field`).
#[allow(dead_code)] // unused when no provider feature is on
pub(crate) fn secret_from_env(
    provider: Provider,
    field: &str,
    var: &str,
    env: EnvLookup<'_>,
) -> Result<paysig::SecretString, Error> {
    env_value(provider, field, var, env).map(paysig::SecretString::from)
}

/// The non-empty value of the environment variable `var` (named by `section.field`).
#[allow(dead_code)] // unused when no provider feature is on
pub(crate) fn env_value(
    provider: Provider,
    field: &str,
    var: &str,
    env: EnvLookup<'_>,
) -> Result<String, Error> {
    // A secret pasted where its variable's name belongs must not be echoed in the error.
    if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::Config(format!(
            "[{provider}] {field} must be the NAME of an environment variable (letters, digits, _), not its value"
        )));
    }
    env(var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        Error::Config(format!(
            "[{provider}] {field}: environment variable {var} is not set"
        ))
    })
}

/// `environment = "..."` or `base_url = "..."`, exactly one of them.
#[allow(dead_code)]
pub(crate) enum Endpoint {
    Named(String),
    BaseUrl(url::Url),
}

#[allow(dead_code)]
pub(crate) fn endpoint(
    provider: Provider,
    environment: Option<&str>,
    base_url: Option<&str>,
) -> Result<Endpoint, Error> {
    let cfg = |m: String| Error::Config(format!("[{provider}] {m}"));
    match (environment, base_url) {
        (Some(_), Some(_)) => Err(cfg("set environment or base_url, not both".into())),
        (None, None) => Err(cfg(
            "needs environment = \"test\" | \"production\", or base_url".into(),
        )),
        (Some(name), None) => Ok(Endpoint::Named(name.to_owned())),
        (None, Some(text)) => url::Url::parse(text)
            .map(Endpoint::BaseUrl)
            .map_err(|e| cfg(format!("base_url {text:?}: {e}"))),
    }
}

/// A positive integer option.
#[allow(dead_code)]
pub(crate) fn positive(
    provider: Provider,
    field: &str,
    value: Option<u64>,
) -> Result<Option<u64>, Error> {
    match value {
        Some(0) => Err(Error::Config(format!(
            "[{provider}] {field} must be a positive integer"
        ))),
        other => Ok(other),
    }
}
