//! `[pooul]`: builds a [`PooulGateway`].

use super::{Endpoint, EnvLookup, endpoint, env_value, secret_from_env};
use crate::adapters::pooul::{PooulGateway, WechatH5App};
use crate::error::Error;
use crate::provider::Provider;
use paysig::{ExposeSecret, RsaPrivateKey};
use pooul::{Client, MchAppType};
use serde::Deserialize;

const P: Provider = Provider::Pooul;

/// The `[pooul]` section (see [`crate::config`] for an example). Secrets come only from the
/// environment variables the section names; an inline `merchant_key` is refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PooulSection {
    /// `"test"`, `"uat"` or `"production"`; exactly one of this and `base_url`.
    pub environment: Option<String>,
    /// Any other host (the sandbox, a mock).
    pub base_url: Option<String>,
    /// The 16-digit merchant number Pooul assigned.
    pub merchant_id: String,
    /// The NAME of the environment variable holding the merchant's RSA private key (PEM or
    /// base64 DER).
    pub merchant_key_env: String,
    /// The NAME of the environment variable holding Pooul's RSA public key.
    pub pooul_public_key_env: Option<String>,
    /// Pooul's RSA public key inline (it is public); instead of `pooul_public_key_env`.
    pub pooul_public_key: Option<String>,
    /// For [`crate::PayMethod::WechatH5`]: `"IOS"`, `"AND"` or `"WAP"` (all three `h5_` keys
    /// or none).
    pub h5_app_type: Option<String>,
    /// The app's or site's name.
    pub h5_app_name: Option<String>,
    /// bundle_id, package_name or the site's home page.
    pub h5_app_id: Option<String>,
}

impl PooulGateway {
    /// Builds the gateway from a `[pooul]` section, reading the keys through `env`.
    ///
    /// Errors are [`Error::Config`]; they name keys and variables, never secret values.
    pub fn from_config(section: &PooulSection, env: EnvLookup<'_>) -> Result<Self, Error> {
        let environment = match endpoint(
            P,
            section.environment.as_deref(),
            section.base_url.as_deref(),
        )? {
            Endpoint::Named(name) => match name.as_str() {
                "test" => pooul::Environment::Test,
                // Pooul's developer docs name a UAT host besides test and production.
                "uat" => pooul::Environment::Uat,
                "production" => pooul::Environment::Production,
                other => {
                    return Err(Error::Config(format!(
                        "[{P}] environment {other:?} is not \"test\", \"uat\" or \"production\""
                    )));
                }
            },
            Endpoint::BaseUrl(url) => pooul::Environment::Custom(url),
        };
        let merchant_key = secret_from_env(P, "merchant_key_env", &section.merchant_key_env, env)?;
        let merchant_key = RsaPrivateKey::from_pem_or_base64(merchant_key.expose_secret())
            .map_err(|e| {
                Error::Config(format!(
                    "[{P}] merchant_key_env: not an RSA private key: {e}"
                ))
            })?;
        let pooul_key = match (&section.pooul_public_key, &section.pooul_public_key_env) {
            (Some(_), Some(_)) => {
                return Err(Error::Config(format!(
                    "[{P}] set pooul_public_key or pooul_public_key_env, not both"
                )));
            }
            (Some(inline), None) => inline.clone(),
            (None, Some(var)) => env_value(P, "pooul_public_key_env", var, env)?,
            (None, None) => {
                return Err(Error::Config(format!(
                    "[{P}] needs pooul_public_key_env = \"<ENV_VAR_NAME>\" (or pooul_public_key)"
                )));
            }
        };
        // Pooul publishes a 1024-bit platform key: loaded under the legacy (verify-only)
        // key-size policy, with a warning from the client.
        let pooul_key = pooul::load_platform_key(&pooul_key)
            .map_err(|e| Error::Config(format!("[{P}] Pooul's public key: {e}")))?;
        let wechat_h5 = match (
            &section.h5_app_type,
            &section.h5_app_name,
            &section.h5_app_id,
        ) {
            (None, None, None) => None,
            (Some(app_type), Some(app_name), Some(app_id)) => {
                let app_type = match app_type.as_str() {
                    "IOS" => MchAppType::Ios,
                    "AND" => MchAppType::Android,
                    "WAP" => MchAppType::Wap,
                    other => {
                        return Err(Error::Config(format!(
                            "[{P}] h5_app_type {other:?} is not IOS, AND or WAP"
                        )));
                    }
                };
                Some(WechatH5App {
                    app_type,
                    app_name: app_name.clone(),
                    app_id: app_id.clone(),
                })
            }
            _ => {
                return Err(Error::Config(format!(
                    "[{P}] h5_app_type, h5_app_name and h5_app_id go together"
                )));
            }
        };
        let config = pooul::Config::new(
            environment,
            section.merchant_id.clone(),
            merchant_key,
            pooul_key,
        );
        let client = Client::new(config).map_err(|e| Error::Config(format!("[{P}] {e}")))?;
        let gateway = PooulGateway::new(client);
        Ok(match wechat_h5 {
            Some(app) => gateway.with_wechat_h5(app),
            None => gateway,
        })
    }
}
