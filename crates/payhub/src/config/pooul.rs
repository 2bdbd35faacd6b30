//! `[pooul]`: builds a [`PooulGateway`].

use super::keys::{
    KeyEntry, Kind, RingKey, Single, assemble, in_account, main_key, no_nested, required_secret,
    ring,
};
use super::{Endpoint, EnvLookup, endpoint};
use crate::account::{Account, DEFAULT_ACCOUNT};
use crate::adapters::pooul::{PooulGateway, WechatH5App};
use crate::error::Error;
use crate::gateway::Gateway;
use crate::provider::Provider;
use paysig::{ExposeSecret, RsaPrivateKey};
use pooul::{Client, MchAppType};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

const P: Provider = Provider::Pooul;

/// The `[pooul]` section (see [`crate::config`] for an example): the default account, and
/// under `accounts` the named ones (`[pooul.accounts.shop-b]`, the same keys). Secrets come
/// only from the environment variables or files the section names; an inline
/// `merchant_key` is refused.
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
    /// base64 DER); or `merchant_key_file`.
    pub merchant_key_env: Option<String>,
    /// A file holding the merchant's RSA private key.
    pub merchant_key_file: Option<PathBuf>,
    /// The NAME of the environment variable holding Pooul's RSA public key.
    pub pooul_public_key_env: Option<String>,
    /// Pooul's RSA public key inline (it is public); instead of `pooul_public_key_env`.
    pub pooul_public_key: Option<String>,
    /// A file holding Pooul's RSA public key.
    pub pooul_public_key_file: Option<PathBuf>,
    /// Several Pooul public keys, each with an optional `valid_until` (key rotation); instead
    /// of the single `pooul_public_key*` keys. Each verifies notifies under its label; those
    /// not past `valid_until` also verify the calls' answers (Pooul may sign with either
    /// while it switches).
    pub pooul_public_keys: Option<Vec<KeyEntry>>,
    /// For [`crate::PayMethod::WechatH5`]: `"IOS"`, `"AND"` or `"WAP"` (all three `h5_` keys
    /// or none).
    pub h5_app_type: Option<String>,
    /// The app's or site's name.
    pub h5_app_name: Option<String>,
    /// bundle_id, package_name or the site's home page.
    pub h5_app_id: Option<String>,
    /// Named accounts: `[pooul.accounts.<name>]`, each with the keys above.
    #[serde(default)]
    pub accounts: BTreeMap<String, PooulSection>,
}

/// The default account and the named ones of a `[pooul]` section.
pub(crate) fn accounts(section: &PooulSection, env: EnvLookup<'_>) -> Result<Vec<Account>, Error> {
    let mut out = vec![account(DEFAULT_ACCOUNT, section, env)?];
    for (name, s) in &section.accounts {
        no_nested(P, name, &s.accounts)?;
        out.push(account(name, s, env).map_err(in_account(P, name))?);
    }
    Ok(out)
}

fn account(name: &str, section: &PooulSection, env: EnvLookup<'_>) -> Result<Account, Error> {
    let keys = platform_keys(section, env)?;
    let main: Arc<dyn Gateway> = Arc::new(PooulGateway::from_config(section, env)?);
    // With several keys the calls' gateway accepts all of them (its answers may be signed
    // with either), so it cannot stand for one key's label and end: each key gets its own.
    let holds = match keys.len() {
        1 => main_key(&keys).map(|k| k.label.clone()),
        _ => None,
    };
    assemble(name, main, keys, holds.as_deref(), |value| {
        let mut s = section.clone();
        s.pooul_public_key = Some(value.to_owned());
        s.pooul_public_key_env = None;
        s.pooul_public_key_file = None;
        s.pooul_public_keys = None;
        Ok(Arc::new(PooulGateway::from_config(&s, env)?) as Arc<dyn Gateway>)
    })
}

fn platform_keys(section: &PooulSection, env: EnvLookup<'_>) -> Result<Vec<RingKey>, Error> {
    ring(
        P,
        "pooul_public_key",
        Kind::Public,
        Single {
            inline: section.pooul_public_key.as_deref(),
            var: section.pooul_public_key_env.as_deref(),
            file: section.pooul_public_key_file.as_deref(),
        },
        section.pooul_public_keys.as_deref(),
        env,
    )
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
        let merchant_key = required_secret(
            P,
            "merchant_key",
            section.merchant_key_env.as_deref(),
            section.merchant_key_file.as_deref(),
            env,
        )?;
        let merchant_key = RsaPrivateKey::from_pem_or_base64(merchant_key.expose_secret())
            .map_err(|e| {
                Error::Config(format!("[{P}] merchant_key: not an RSA private key: {e}"))
            })?;
        let keys = platform_keys(section, env)?;
        let pooul_key = main_key(&keys).map(|k| k.value.clone()).ok_or_else(|| {
            Error::Config(format!(
                "[{P}] needs pooul_public_key_env = \"<ENV_VAR_NAME>\" (or pooul_public_key, pooul_public_key_file, pooul_public_keys)"
            ))
        })?;
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
        let mut config = pooul::Config::new(
            environment,
            section.merchant_id.clone(),
            merchant_key,
            pooul_key,
        );
        // The ring's other keys still in force also verify the calls' answers: during a
        // rotation Pooul may sign with either.
        let now = std::time::SystemTime::now();
        for k in &keys {
            let is_main = main_key(&keys).is_some_and(|m| std::ptr::eq(m, k));
            if is_main || k.valid_until.is_some_and(|end| end <= now) {
                continue;
            }
            config
                .rotation_public_keys
                .push(pooul::load_platform_key(&k.value).map_err(|e| {
                    Error::Config(format!("[{P}] Pooul's public key {:?}: {e}", k.label))
                })?);
        }
        let client = Client::new(config).map_err(|e| Error::Config(format!("[{P}] {e}")))?;
        let gateway = PooulGateway::new(client);
        Ok(match wechat_h5 {
            Some(app) => gateway.with_wechat_h5(app),
            None => gateway,
        })
    }
}
