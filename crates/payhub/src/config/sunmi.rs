//! `[sunmi]`: builds a [`SunmiGateway`].

use super::keys::{
    KeyEntry, Kind, RingKey, Single, assemble, in_account, main_key, no_nested, required_secret,
    ring,
};
use super::{Endpoint, EnvLookup, endpoint, positive};
use crate::account::{Account, DEFAULT_ACCOUNT};
use crate::adapters::sunmi::SunmiGateway;
use crate::error::Error;
use crate::gateway::Gateway;
use crate::provider::Provider;
use paysig::RsaPublicKey;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use sunmi::Environment;

const P: Provider = Provider::Sunmi;

/// The `[sunmi]` section (see [`crate::config`] for an example): the default account, and
/// under `accounts` the named ones (`[sunmi.accounts.<name>]`, the same keys).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SunmiSection {
    /// `"test"` or `"production"`; exactly one of this and `base_url`.
    pub environment: Option<String>,
    /// Any other host (the sandbox, a mock).
    pub base_url: Option<String>,
    /// `app_id`, assigned by Sunmi (sunmi.txt §1.4).
    pub app_id: String,
    /// The NAME of the environment variable holding the MD5 `app_key`; or `app_key_file`.
    pub app_key_env: Option<String>,
    /// A file holding the `app_key`.
    pub app_key_file: Option<PathBuf>,
    /// The Sunmi `merchantNo` every call names.
    pub merchant_no: String,
    /// Sunmi's notify public key inline (PEM or base64 DER; it is public).
    pub sunmi_public_key: Option<String>,
    /// The NAME of the environment variable holding Sunmi's notify public key. With neither
    /// this nor `sunmi_public_key`, `environment = "test"` uses the §6.4 test key
    /// ([`sunmi::TEST_PUBLIC_KEY`]); production and `base_url` require one.
    pub sunmi_public_key_env: Option<String>,
    /// A file holding Sunmi's notify public key.
    pub sunmi_public_key_file: Option<PathBuf>,
    /// Several Sunmi notify public keys, each with an optional `valid_until` (key rotation);
    /// instead of the single `sunmi_public_key*` keys.
    pub sunmi_public_keys: Option<Vec<KeyEntry>>,
    /// The longest `notifyUrl` `miniPay` accepts (default 32: the document's String(32)).
    pub mini_pay_notify_url_max: Option<u64>,
    /// Seconds allowed to connect (default 10).
    pub connect_timeout_secs: Option<u64>,
    /// Seconds allowed for a whole call (default 30).
    pub timeout_secs: Option<u64>,
    /// Named accounts: `[sunmi.accounts.<name>]`, each with the keys above.
    #[serde(default)]
    pub accounts: BTreeMap<String, SunmiSection>,
}

/// The default account and the named ones of a `[sunmi]` section.
pub(crate) fn accounts(section: &SunmiSection, env: EnvLookup<'_>) -> Result<Vec<Account>, Error> {
    let mut out = vec![account(DEFAULT_ACCOUNT, section, env)?];
    for (name, s) in &section.accounts {
        no_nested(P, name, &s.accounts)?;
        out.push(account(name, s, env).map_err(in_account(P, name))?);
    }
    Ok(out)
}

fn account(name: &str, section: &SunmiSection, env: EnvLookup<'_>) -> Result<Account, Error> {
    let keys = notify_keys(section, env)?;
    let main: Arc<dyn Gateway> = Arc::new(SunmiGateway::from_config(section, env)?);
    let holds = main_key(&keys).map(|k| k.label.clone());
    assemble(name, main, keys, holds.as_deref(), |value| {
        let mut s = section.clone();
        s.sunmi_public_key = Some(value.to_owned());
        s.sunmi_public_key_env = None;
        s.sunmi_public_key_file = None;
        s.sunmi_public_keys = None;
        Ok(Arc::new(SunmiGateway::from_config(&s, env)?) as Arc<dyn Gateway>)
    })
}

fn notify_keys(section: &SunmiSection, env: EnvLookup<'_>) -> Result<Vec<RingKey>, Error> {
    ring(
        P,
        "sunmi_public_key",
        Kind::Public,
        Single {
            inline: section.sunmi_public_key.as_deref(),
            var: section.sunmi_public_key_env.as_deref(),
            file: section.sunmi_public_key_file.as_deref(),
        },
        section.sunmi_public_keys.as_deref(),
        env,
    )
}

impl SunmiGateway {
    /// Builds the gateway from a `[sunmi]` section, reading the secret through `env`.
    ///
    /// Errors are [`Error::Config`]; they name fields and variables, never a secret value.
    pub fn from_config(section: &SunmiSection, env: EnvLookup<'_>) -> Result<Self, Error> {
        let environment = match endpoint(
            P,
            section.environment.as_deref(),
            section.base_url.as_deref(),
        )? {
            Endpoint::Named(name) => match name.as_str() {
                "test" => Environment::Test,
                "production" => Environment::Production,
                other => {
                    return Err(Error::Config(format!(
                        "[{P}] environment {other:?} is not \"test\" or \"production\""
                    )));
                }
            },
            Endpoint::BaseUrl(url) => Environment::Custom(url),
        };
        let app_key = required_secret(
            P,
            "app_key",
            section.app_key_env.as_deref(),
            section.app_key_file.as_deref(),
            env,
        )?;
        let public_key = public_key(section, env, &environment)?;
        let mut config =
            sunmi::Config::new(environment, section.app_id.clone(), app_key, public_key);
        if let Some(max) = positive(
            P,
            "mini_pay_notify_url_max",
            section.mini_pay_notify_url_max,
        )? {
            config.mini_pay_notify_url_max = usize::try_from(max).map_err(|_| {
                Error::Config(format!("[{P}] mini_pay_notify_url_max is too large"))
            })?;
        }
        if let Some(secs) = positive(P, "connect_timeout_secs", section.connect_timeout_secs)? {
            config.http.connect_timeout = Duration::from_secs(secs);
        }
        if let Some(secs) = positive(P, "timeout_secs", section.timeout_secs)? {
            config.http.timeout = Duration::from_secs(secs);
        }
        let client = sunmi::Client::new(config).map_err(|e| Error::Config(format!("[{P}] {e}")))?;
        Ok(SunmiGateway::new(client, section.merchant_no.clone()))
    }
}

fn public_key(
    section: &SunmiSection,
    env: EnvLookup<'_>,
    environment: &Environment,
) -> Result<RsaPublicKey, Error> {
    let keys = notify_keys(section, env)?;
    let text = match main_key(&keys) {
        Some(k) => k.value.clone(),
        None => match environment {
            Environment::Test => sunmi::TEST_PUBLIC_KEY.to_owned(),
            // Production, a base_url, or a host added later: Sunmi's key must be given.
            _ => {
                return Err(Error::Config(format!(
                    "[{P}] needs sunmi_public_key_env (or sunmi_public_key, sunmi_public_key_file, sunmi_public_keys): the notify key Sunmi sent you"
                )));
            }
        },
    };
    RsaPublicKey::from_pem_or_base64(text.trim())
        .map_err(|e| Error::Config(format!("[{P}] the Sunmi public key is not usable: {e}")))
}
