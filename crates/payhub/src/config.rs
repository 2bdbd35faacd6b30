//! Building a [`Hub`] from a TOML file, secrets read from the environment.
//!
//! ```toml
//! [sunmi]
//! environment = "test"            # or "production", or base_url = "http://127.0.0.1:9001"
//! app_id = "sm5b9b4daef3463"
//! app_key_env = "SUNMI_APP_KEY"   # the NAME of the variable holding the secret
//!
//! [notify]
//! confirm_by_query = ["mifeng"]
//! body_limit = 65536              # bytes; a longer notify body is refused before parsing
//! ```
//!
//! Each provider's keys are documented on its adapter's `from_toml`. A section for a provider
//! whose feature is off is an error, not ignored.

use crate::adapters::EnvLookup;
use crate::error::Error;
use crate::hub::{Hub, HubBuilder};
use crate::provider::Provider;
#[allow(unused_imports)]
use std::sync::Arc;

impl Hub {
    /// Builds a hub from TOML text, reading secrets with `std::env::var`.
    pub fn from_toml_str(text: &str) -> Result<Hub, Error> {
        Self::from_toml_str_with_env(text, &|name| std::env::var(name).ok())
    }

    /// Builds a hub from TOML text with an injectable environment.
    pub fn from_toml_str_with_env(text: &str, env: EnvLookup<'_>) -> Result<Hub, Error> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| Error::Config(e.to_string()))?;
        let mut builder = Hub::builder();
        for (name, value) in &doc {
            let section = value
                .as_table()
                .ok_or_else(|| Error::Config(format!("[{name}] must be a table")))?;
            if name == "notify" {
                builder = notify_section(builder, section)?;
                continue;
            }
            let provider: Provider = name
                .parse()
                .map_err(|e: crate::UnknownProvider| Error::Config(e.to_string()))?;
            builder = add_provider(builder, provider, section, env)?;
        }
        Ok(builder.build())
    }
}

fn notify_section(mut builder: HubBuilder, section: &toml::Table) -> Result<HubBuilder, Error> {
    // A misspelt key must not silently leave confirmation off.
    if let Some(unknown) = section
        .keys()
        .find(|k| !matches!(k.as_str(), "confirm_by_query" | "body_limit"))
    {
        return Err(Error::Config(format!(
            "[notify] unknown key {unknown:?} (expected confirm_by_query or body_limit)"
        )));
    }
    if let Some(limit) = section.get("body_limit") {
        let limit = limit
            .as_integer()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                Error::Config("[notify] body_limit must be a positive number of bytes".into())
            })?;
        builder = builder.notify_body_limit(limit);
    }
    if let Some(list) = section.get("confirm_by_query") {
        let list = list
            .as_array()
            .ok_or_else(|| Error::Config("[notify] confirm_by_query must be a list".into()))?;
        for p in list {
            let p: Provider = p
                .as_str()
                .ok_or_else(|| {
                    Error::Config("[notify] confirm_by_query holds provider names".into())
                })?
                .parse()
                .map_err(|e: crate::UnknownProvider| Error::Config(e.to_string()))?;
            builder = builder.confirm_by_query(p);
        }
    }
    Ok(builder)
}

#[allow(unused_variables)]
fn add_provider(
    builder: HubBuilder,
    provider: Provider,
    section: &toml::Table,
    env: EnvLookup<'_>,
) -> Result<HubBuilder, Error> {
    match provider {
        #[cfg(feature = "sunmi")]
        Provider::Sunmi => Ok(builder.gateway(Arc::new(
            crate::adapters::sunmi::SunmiGateway::from_toml(section, env)?,
        ))),
        #[cfg(feature = "pooul")]
        Provider::Pooul => Ok(builder.gateway(Arc::new(
            crate::adapters::pooul::PooulGateway::from_toml(section, env)?,
        ))),
        #[cfg(feature = "beecloud")]
        Provider::BeeCloud => Ok(builder.gateway(Arc::new(
            crate::adapters::beecloud::BeeCloudGateway::from_toml(section, env)?,
        ))),
        #[cfg(feature = "mifeng")]
        Provider::Mifeng => Ok(builder.gateway(Arc::new(
            crate::adapters::mifeng::MifengGateway::from_toml(section, env)?,
        ))),
        #[allow(unreachable_patterns)]
        other => Err(Error::Config(format!(
            "[{other}] is configured but payhub was built without the `{other}` feature"
        ))),
    }
}
