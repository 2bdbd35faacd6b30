//! One adapter per provider crate, each behind its cargo feature. Each adapter:
//! - wraps the provider crate's `Client` in a `<Provider>Gateway` implementing [`crate::Gateway`];
//! - maps its provider's states to [`crate::PaymentStatus`] through one `From` impl per state
//!   enum, whose `match` names every state (no `_ =>`);
//! - converts amounts only through paysig's `Money` (never by hand);
//! - reads its `[<provider>]` section of the hub's TOML config with `from_toml`, secrets from
//!   environment variables named in the section.

#[cfg(feature = "beecloud")]
#[cfg_attr(docsrs, doc(cfg(feature = "beecloud")))]
pub mod beecloud;
#[cfg(feature = "mifeng")]
#[cfg_attr(docsrs, doc(cfg(feature = "mifeng")))]
pub mod mifeng;
#[cfg(feature = "pooul")]
#[cfg_attr(docsrs, doc(cfg(feature = "pooul")))]
pub mod pooul;
#[cfg(feature = "sunmi")]
#[cfg_attr(docsrs, doc(cfg(feature = "sunmi")))]
pub mod sunmi;

/// Looks a secret up by environment variable name (injectable for tests).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads the secret named by `section[field]` (an environment variable name) through `env`.
pub fn secret_from_env(
    provider: crate::Provider,
    section: &toml::Table,
    field: &str,
    env: EnvLookup<'_>,
) -> Result<paysig::SecretString, crate::Error> {
    let var = section.get(field).and_then(|v| v.as_str()).ok_or_else(|| {
        crate::Error::Config(format!("[{provider}] needs {field} = \"<ENV_VAR_NAME>\""))
    })?;
    env(var)
        .filter(|v| !v.is_empty())
        .map(paysig::SecretString::from)
        .ok_or_else(|| {
            crate::Error::Config(format!(
                "[{provider}] {field}: environment variable {var} is not set"
            ))
        })
}

/// Reads a plain string `section[field]`.
pub fn string_field(
    provider: crate::Provider,
    section: &toml::Table,
    field: &str,
) -> Result<String, crate::Error> {
    section
        .get(field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| crate::Error::Config(format!("[{provider}] needs {field}")))
}

/// Where a `[<provider>]` section points: `environment = "test" | "production"` (and
/// `"uat"` for Pooul, whose developer docs name a UAT host) or `base_url = "..."`, exactly
/// one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `environment = "test"`.
    Test,
    /// `environment = "production"`.
    Production,
    /// `base_url = "..."` (the sandbox, a proxy, tests).
    BaseUrl(url::Url),
}

/// Reads [`Endpoint`] from a section.
pub fn endpoint(
    provider: crate::Provider,
    section: &toml::Table,
) -> Result<Endpoint, crate::Error> {
    let cfg = |m: String| crate::Error::Config(format!("[{provider}] {m}"));
    match (section.get("environment"), section.get("base_url")) {
        (Some(_), Some(_)) => Err(cfg("set environment or base_url, not both".into())),
        (None, None) => Err(cfg(
            "needs environment = \"test\" | \"production\", or base_url".into(),
        )),
        (Some(_), None) => match string_field(provider, section, "environment")?.as_str() {
            "test" => Ok(Endpoint::Test),
            "production" => Ok(Endpoint::Production),
            // Pooul's developer docs name a UAT host besides test and production.
            #[cfg(feature = "pooul")]
            "uat" if provider == crate::Provider::Pooul => {
                Ok(Endpoint::BaseUrl(::pooul::Environment::Uat.base_url()))
            }
            other => Err(cfg(format!(
                "environment {other:?} is not \"test\" or \"production\""
            ))),
        },
        (None, Some(_)) => {
            let text = string_field(provider, section, "base_url")?;
            url::Url::parse(&text)
                .map(Endpoint::BaseUrl)
                .map_err(|e| cfg(format!("base_url {text:?}: {e}")))
        }
    }
}

/// Refuses keys outside `known`, so a misspelt key is an error rather than ignored.
pub fn reject_unknown_keys(
    provider: crate::Provider,
    section: &toml::Table,
    known: &[&str],
) -> Result<(), crate::Error> {
    match section.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(crate::Error::Config(format!(
            "[{provider}] unknown key {unknown:?} (expected one of {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}
