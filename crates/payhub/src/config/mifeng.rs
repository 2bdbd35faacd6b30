//! `[mifeng]`: builds a [`MifengGateway`].

use super::keys::{
    KeyEntry, Kind, RING_VAR, Single, assemble, in_account, no_nested, required_secret, ring,
    with_ring_value,
};
use super::{Endpoint, EnvLookup, endpoint};
use crate::account::{Account, DEFAULT_ACCOUNT};
use crate::adapters::mifeng::MifengGateway;
use crate::error::Error;
use crate::gateway::Gateway;
use crate::provider::Provider;
use mifeng::{BodyEncoding, Client, Config, Environment, NotifyTrust, QueryCode2, TokenMethod};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

const P: Provider = Provider::Mifeng;

/// The `[mifeng]` section (see [`crate::config`] for an example): the default account, and
/// under `accounts` the named ones (`[mifeng.accounts.<name>]`, the same keys).
///
/// - Each account builds its own client. Mifeng's token and its 20 calls/s are per `mch_id`
///   (the mifeng crate keeps both per base URL and `mch_id`, process-wide), so two accounts
///   of one `mch_id` at one host would share one token and one budget under two secrets and
///   two rate settings: that is refused, name the merchant once.
/// - `notify_secrets`: the secrets notifies may be signed with (key rotation), each with an
///   optional `valid_until`; without it, `secret` verifies notifies. Calls always sign with
///   `secret`.
/// - `environment`: only `"production"` (`https://open.mifengpay.com`); mifeng.md names no
///   test host, so `"test"` is refused: give `base_url` for a sandbox or a mock.
/// - `notify_trust`: [`NotifyTrust`]. `"query_only"` is refused: the facade always checks
///   the notify signature; use [`mifeng::Client::confirm_notify_by_query`] directly for
///   that. With `"signature_and_query"` (the default) the hub confirms every notify by
///   query on the gateway's own request ([`crate::Gateway::confirm_by_query`] is `true`);
///   with `"signature_only"` the hub confirms only if `[notify] confirm_by_query` lists
///   `mifeng`.
/// - `body_encoding`, `token_method`, `query_code_2`, `notify_absent_param`:
///   [`BodyEncoding`], [`TokenMethod`], [`QueryCode2`], [`mifeng::AbsentParam`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MifengSection {
    /// `"production"`; exactly one of this and `base_url`.
    pub environment: Option<String>,
    /// Any other host (the sandbox, a mock).
    pub base_url: Option<String>,
    /// 商户编号, a string or an integer.
    pub mch_id: MchId,
    /// The NAME of the environment variable holding 接口密钥; or `secret_file`.
    pub secret_env: Option<String>,
    /// A file holding 接口密钥.
    pub secret_file: Option<PathBuf>,
    /// The secrets notifies may be signed with (`env` or `file`, optional `valid_until`).
    pub notify_secrets: Option<Vec<KeyEntry>>,
    /// `"signature_and_query"` (default) or `"signature_only"`.
    pub notify_trust: Option<String>,
    /// `"platform_export"` (default), `"form"` or `"json"`.
    pub body_encoding: Option<String>,
    /// `"post"` (default) or `"get"`.
    pub token_method: Option<String>,
    /// `"param_invalid"` (default) or `"token_invalid"`.
    pub query_code_2: Option<String>,
    /// 1..=20 calls per second per `mch_id` (default 20).
    pub rate_limit_per_second: Option<i64>,
    /// `"signed_as_empty"` (default), `"not_signed"` or `"refused"`.
    pub notify_absent_param: Option<String>,
    /// Named accounts: `[mifeng.accounts.<name>]`, each with the keys above.
    #[serde(default)]
    pub accounts: BTreeMap<String, MifengSection>,
}

/// The default account and the named ones of a `[mifeng]` section.
pub(crate) fn accounts(section: &MifengSection, env: EnvLookup<'_>) -> Result<Vec<Account>, Error> {
    let mut seen: Vec<(String, String, &str)> = Vec::new();
    let mut out = Vec::new();
    let named = section.accounts.iter().map(|(n, s)| (n.as_str(), s));
    for (name, s) in std::iter::once((DEFAULT_ACCOUNT, section)).chain(named) {
        if name != DEFAULT_ACCOUNT {
            no_nested(P, name, &s.accounts)?;
        }
        // The host as resolved, not as written: `environment = "production"` and its URL, or
        // a URL with and without its trailing slash, are one server. A section that names no
        // usable host is refused by `account` below.
        if let Some(host) = resolved_host(s) {
            if let Some((_, _, other)) =
                seen.iter().find(|(h, m, _)| *h == host && *m == s.mch_id.0)
            {
                return Err(Error::Config(format!(
                    "[{P}] accounts {other:?} and {name:?} name the same mch_id: Mifeng's token and rate limit are per mch_id, configure the merchant once"
                )));
            }
            seen.push((host, s.mch_id.0.clone(), name));
        }
        out.push(account(name, s, env).map_err(in_account(P, name))?);
    }
    Ok(out)
}

/// The server a section calls, as origin and path without a trailing slash.
fn resolved_host(s: &MifengSection) -> Option<String> {
    let url = match endpoint(P, s.environment.as_deref(), s.base_url.as_deref()).ok()? {
        Endpoint::Named(n) if n == "production" => Environment::Production.base_url(),
        Endpoint::Named(_) => return None,
        Endpoint::BaseUrl(u) => u,
    };
    Some(format!(
        "{}{}",
        url.origin().ascii_serialization(),
        url.path().trim_end_matches('/')
    ))
}

fn account(name: &str, section: &MifengSection, env: EnvLookup<'_>) -> Result<Account, Error> {
    let keys = ring(
        P,
        "notify_secret",
        Kind::Secret,
        Single {
            inline: None,
            var: None,
            file: None,
        },
        section.notify_secrets.as_deref(),
        env,
    )?;
    let main: Arc<dyn Gateway> = Arc::new(MifengGateway::from_config(section, env)?);
    if keys.is_empty() {
        // `secret` verifies notifies: one key, the one the gateway holds.
        let account = Account::new(name, main.clone())?;
        return Ok(account.with_notify_key(crate::account::NotifyKey::new("primary", main)));
    }
    // The calls' secret is not one of the ring's: every ring key gets a verifier.
    assemble(name, main, keys, None, |value| {
        let mut s = section.clone();
        s.secret_env = Some(RING_VAR.to_owned());
        s.secret_file = None;
        s.notify_secrets = None;
        let lookup = with_ring_value(value, env);
        Ok(Arc::new(MifengGateway::from_config(&s, &lookup)?) as Arc<dyn Gateway>)
    })
}

/// `mch_id` as written: `"1000123"` or `1000123`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MchId(pub String);

impl<'de> Deserialize<'de> for MchId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = MchId;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("mch_id as a string or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MchId, E> {
                Ok(MchId(v.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<MchId, E> {
                Ok(MchId(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<MchId, E> {
                Ok(MchId(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl MifengGateway {
    /// Builds the gateway from a `[mifeng]` section, reading the secret through `env`.
    ///
    /// Errors are [`Error::Config`]; they name keys and variables, never secret values.
    pub fn from_config(section: &MifengSection, env: EnvLookup<'_>) -> Result<Self, Error> {
        let environment = match endpoint(
            P,
            section.environment.as_deref(),
            section.base_url.as_deref(),
        )? {
            Endpoint::Named(name) => match name.as_str() {
                "production" => Environment::Production,
                "test" => {
                    return Err(Error::Config(format!(
                        "[{P}] mifeng.md names no test host: give base_url"
                    )));
                }
                other => {
                    return Err(Error::Config(format!(
                        "[{P}] environment {other:?} is not \"production\" (or give base_url)"
                    )));
                }
            },
            Endpoint::BaseUrl(url) => Environment::Custom(url),
        };
        let secret = required_secret(
            P,
            "secret",
            section.secret_env.as_deref(),
            section.secret_file.as_deref(),
            env,
        )?;
        let mut config = Config::new(environment, section.mch_id.0.clone(), secret);
        if let Some(v) = choice(
            &section.notify_trust,
            "notify_trust",
            &["signature_and_query", "signature_only", "query_only"],
        )? {
            config.notify_trust = match v {
                "signature_only" => NotifyTrust::SignatureOnly,
                "query_only" => {
                    return Err(Error::Config(format!(
                        "[{P}] notify_trust = \"query_only\" is not available through payhub, which always checks the notify signature; use \"signature_and_query\", which also confirms every notify by query"
                    )));
                }
                _ => NotifyTrust::SignatureAndQuery,
            };
        }
        if let Some(v) = choice(
            &section.body_encoding,
            "body_encoding",
            &["platform_export", "form", "json"],
        )? {
            config.body_encoding = match v {
                "json" => BodyEncoding::Json,
                "form" => BodyEncoding::Form,
                _ => BodyEncoding::PlatformExport,
            };
        }
        if let Some(v) = choice(&section.token_method, "token_method", &["post", "get"])? {
            config.token_method = if v == "get" {
                TokenMethod::Get
            } else {
                TokenMethod::Post
            };
        }
        if let Some(v) = choice(
            &section.query_code_2,
            "query_code_2",
            &["param_invalid", "token_invalid"],
        )? {
            config.query_code_2 = if v == "token_invalid" {
                QueryCode2::TokenInvalid
            } else {
                QueryCode2::ParamInvalid
            };
        }
        if let Some(v) = choice(
            &section.notify_absent_param,
            "notify_absent_param",
            &["signed_as_empty", "not_signed", "refused"],
        )? {
            config.notify_absent_param = match v {
                "not_signed" => mifeng::AbsentParam::NotSigned,
                "refused" => mifeng::AbsentParam::Refused,
                _ => mifeng::AbsentParam::SignedAsEmpty,
            };
        }
        if let Some(n) = section.rate_limit_per_second {
            let n = Some(n)
                .filter(|n| (1..=20).contains(n))
                .and_then(|n| u32::try_from(n).ok())
                .and_then(NonZeroU32::new)
                .ok_or_else(|| Error::Config(format!("[{P}] rate_limit_per_second must be an integer from 1 to 20 (mifeng.md §使用规则)")))?;
            config.rate_limit.per_second = n;
        }
        let client = Client::new(config).map_err(|e| Error::Config(format!("[{P}] {e}")))?;
        Ok(MifengGateway::new(client))
    }
}

/// An optional string key whose value must be one of `allowed`.
fn choice<'a>(
    value: &'a Option<String>,
    key: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, Error> {
    match value.as_deref() {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v)),
        Some(_) => Err(Error::Config(format!(
            "[{P}] {key} must be one of {}",
            allowed.join(", ")
        ))),
    }
}
