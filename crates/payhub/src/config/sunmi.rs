//! `[sunmi]`: builds a [`SunmiGateway`].

use super::{Endpoint, EnvLookup, endpoint, env_value, positive, secret_from_env};
use crate::adapters::sunmi::SunmiGateway;
use crate::error::Error;
use crate::provider::Provider;
use paysig::RsaPublicKey;
use serde::Deserialize;
use std::time::Duration;
use sunmi::Environment;

const P: Provider = Provider::Sunmi;

/// The `[sunmi]` section (see [`crate::config`] for an example).
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
    /// The NAME of the environment variable holding the MD5 `app_key`.
    pub app_key_env: String,
    /// The Sunmi `merchantNo` every call names.
    pub merchant_no: String,
    /// Sunmi's notify public key inline (PEM or base64 DER; it is public).
    pub sunmi_public_key: Option<String>,
    /// The NAME of the environment variable holding Sunmi's notify public key. With neither
    /// this nor `sunmi_public_key`, `environment = "test"` uses the §6.4 test key
    /// ([`sunmi::TEST_PUBLIC_KEY`]); production and `base_url` require one.
    pub sunmi_public_key_env: Option<String>,
    /// The longest `notifyUrl` `miniPay` accepts (default 32: the document's String(32)).
    pub mini_pay_notify_url_max: Option<u64>,
    /// Seconds allowed to connect (default 10).
    pub connect_timeout_secs: Option<u64>,
    /// Seconds allowed for a whole call (default 30).
    pub timeout_secs: Option<u64>,
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
        let app_key = secret_from_env(P, "app_key_env", &section.app_key_env, env)?;
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
    let text = match (&section.sunmi_public_key_env, &section.sunmi_public_key) {
        (Some(_), Some(_)) => {
            return Err(Error::Config(format!(
                "[{P}] set sunmi_public_key_env or sunmi_public_key, not both"
            )));
        }
        (Some(var), None) => env_value(P, "sunmi_public_key_env", var, env)?,
        (None, Some(inline)) => inline.clone(),
        (None, None) => match environment {
            Environment::Test => sunmi::TEST_PUBLIC_KEY.to_owned(),
            // Production, a base_url, or a host added later: Sunmi's key must be given.
            _ => {
                return Err(Error::Config(format!(
                    "[{P}] needs sunmi_public_key_env (or sunmi_public_key): the notify key Sunmi sent you"
                )));
            }
        },
    };
    RsaPublicKey::from_pem_or_base64(text.trim())
        .map_err(|e| Error::Config(format!("[{P}] the Sunmi public key is not usable: {e}")))
}
