//! One adapter per provider crate, each behind its cargo feature. Each adapter:
//! - wraps the provider crate's `Client` in a `<Provider>Gateway` implementing [`crate::Gateway`];
//! - maps its provider's states to [`crate::PaymentStatus`] through one `From` impl per state
//!   enum, whose `match` names every state (no `_ =>`);
//! - converts amounts only through paysig's `Money` (never by hand);
//! - reads its `[<provider>]` section of the hub's TOML config with `from_toml`, secrets from
//!   environment variables named in the section.

#[cfg(feature = "beecloud")]
pub mod beecloud;
#[cfg(feature = "mifeng")]
pub mod mifeng;
#[cfg(feature = "pooul")]
pub mod pooul;
#[cfg(feature = "sunmi")]
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
