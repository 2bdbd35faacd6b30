//! Where secrets and keys come from (`*_env`, `*_file`, inline public keys, key rings with
//! `valid_until`), and how a section becomes an [`Account`] with its notify keys.

// Each helper serves some providers (the ring variable: the secret-keyed BeeCloud and Mifeng);
// with a provider's feature off, its helpers are unused.
#![cfg_attr(
    not(all(
        feature = "sunmi",
        feature = "pooul",
        feature = "beecloud",
        feature = "mifeng"
    )),
    allow(dead_code, unused_imports)
)]

use super::{EnvLookup, env_value};
use crate::account::{Account, DEFAULT_ACCOUNT, NotifyKey};
use crate::error::Error;
use crate::gateway::Gateway;
use crate::provider::Provider;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// The name under which a ring key's value is handed to a section's own builder (an
/// environment variable no real environment has: it exists only in the lookup built here).
pub(crate) const RING_VAR: &str = "PAYHUB_INTERNAL_RING_KEY";

/// One key of a ring (`pooul_public_keys`, `sunmi_public_keys`, `webhook_secrets`,
/// `notify_secrets`): exactly one of `env`, `file` and (public keys only) `value`.
///
/// ```toml
/// pooul_public_keys = [
///   { label = "2025", file = "/etc/payhub/pooul-2025.pem", valid_until = "2026-12-01T00:00:00Z" },
///   { label = "2026", env = "POOUL_PUBLIC_KEY_2026" },
/// ]
/// ```
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct KeyEntry {
    /// Recorded on each notification the key verifies ([`crate::Notification::key`]).
    pub label: String,
    /// The NAME of the environment variable holding the key.
    pub env: Option<String>,
    /// A file holding the key (read again by [`crate::Hub::reload_credentials`]; surrounding
    /// whitespace is trimmed).
    pub file: Option<PathBuf>,
    /// The key inline: public keys only (a secret never goes into the file).
    pub value: Option<String>,
    /// RFC 3339 (`2026-12-01T00:00:00Z`): from then on the key is refused
    /// ([`crate::NotifyError::KeyExpired`]).
    pub valid_until: Option<String>,
}

// By hand: `value` may hold a secret someone wrote inline by mistake (building the hub refuses
// it, but the parsed config can be printed before that).
impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("label", &self.label)
            .field("env", &self.env)
            .field("file", &self.file)
            .field("value", &self.value.as_ref().map(|_| "<redacted>"))
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

/// A key read: its label, its end, its text.
pub(crate) struct RingKey {
    pub(crate) label: String,
    pub(crate) valid_until: Option<SystemTime>,
    pub(crate) value: String,
}

/// Whether the value is public (may be written inline).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Public,
    Secret,
}

/// The text of a file named by `[provider] field` (trimmed; never quoted in errors).
pub(crate) fn read_file(provider: Provider, field: &str, path: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Config(format!(
            "[{provider}] {field}: cannot read {}: {}",
            path.display(),
            e.kind()
        ))
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Config(format!(
            "[{provider}] {field}: {} is empty",
            path.display()
        )));
    }
    Ok(text.to_owned())
}

/// A secret given as `<base>_env` or `<base>_file` (exactly one; `None` when neither).
pub(crate) fn secret_source(
    provider: Provider,
    base: &str,
    var: Option<&str>,
    file: Option<&Path>,
    env: EnvLookup<'_>,
) -> Result<Option<String>, Error> {
    match (var, file) {
        (Some(_), Some(_)) => Err(Error::Config(format!(
            "[{provider}] set {base}_env or {base}_file, not both"
        ))),
        (Some(var), None) => env_value(provider, &format!("{base}_env"), var, env).map(Some),
        (None, Some(path)) => read_file(provider, &format!("{base}_file"), path).map(Some),
        (None, None) => Ok(None),
    }
}

/// [`secret_source`] that must be given.
pub(crate) fn required_secret(
    provider: Provider,
    base: &str,
    var: Option<&str>,
    file: Option<&Path>,
    env: EnvLookup<'_>,
) -> Result<paysig::SecretString, Error> {
    secret_source(provider, base, var, file, env)?
        .map(paysig::SecretString::from)
        .ok_or_else(|| {
            Error::Config(format!(
                "[{provider}] needs {base}_env = \"<ENV_VAR_NAME>\" (or {base}_file = \"<path>\")"
            ))
        })
}

/// The ring `<base>s` (e.g. `pooul_public_keys`), or else the single key (`<base>`,
/// `<base>_env`, `<base>_file`) as one key labelled `primary`; empty when none is given.
pub(crate) struct Single<'a> {
    pub(crate) inline: Option<&'a str>,
    pub(crate) var: Option<&'a str>,
    pub(crate) file: Option<&'a Path>,
}

pub(crate) fn ring(
    provider: Provider,
    base: &str,
    kind: Kind,
    single: Single<'_>,
    entries: Option<&[KeyEntry]>,
    env: EnvLookup<'_>,
) -> Result<Vec<RingKey>, Error> {
    let cfg = |m: String| Error::Config(format!("[{provider}] {m}"));
    let singles = [
        single.inline.is_some(),
        single.var.is_some(),
        single.file.is_some(),
    ]
    .into_iter()
    .filter(|set| *set)
    .count();
    let Some(entries) = entries else {
        if singles > 1 {
            return Err(cfg(format!(
                "set one of {base}, {base}_env and {base}_file, not several"
            )));
        }
        let value = match (single.inline, single.var, single.file) {
            (Some(v), _, _) => v.to_owned(),
            (_, Some(var), _) => env_value(provider, &format!("{base}_env"), var, env)?,
            (_, _, Some(path)) => read_file(provider, &format!("{base}_file"), path)?,
            _ => return Ok(Vec::new()),
        };
        return Ok(vec![RingKey {
            label: "primary".into(),
            valid_until: None,
            value,
        }]);
    };
    let field = format!("{base}s");
    if singles > 0 {
        return Err(cfg(format!(
            "set {field} or the single {base} keys, not both"
        )));
    }
    if entries.is_empty() {
        return Err(cfg(format!("{field} must not be empty")));
    }
    let mut keys: Vec<RingKey> = Vec::with_capacity(entries.len());
    for e in entries {
        let label = e.label.trim();
        if label.is_empty() || label.len() > 64 {
            return Err(cfg(format!("{field}: a label must be 1 to 64 characters")));
        }
        if keys.iter().any(|k| k.label == label) {
            return Err(cfg(format!("{field}: label {label:?} is used twice")));
        }
        let at = format!("{field} {label:?}");
        if e.value.is_some() && kind == Kind::Secret {
            return Err(cfg(format!(
                "{at}: a secret is never written inline: use env or file"
            )));
        }
        let value = match (&e.env, &e.file, &e.value) {
            (Some(var), None, None) => env_value(provider, &format!("{at} env"), var, env)?,
            (None, Some(path), None) => read_file(provider, &format!("{at} file"), path)?,
            (None, None, Some(v)) => v.clone(),
            _ => {
                return Err(cfg(format!(
                    "{at}: give exactly one of {}",
                    match kind {
                        Kind::Public => "env, file and value",
                        Kind::Secret => "env and file",
                    }
                )));
            }
        };
        let valid_until = e
            .valid_until
            .as_deref()
            .map(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map(SystemTime::from)
                    .map_err(|err| {
                        cfg(format!(
                            "{at}: valid_until {t:?} is not RFC 3339 (2026-12-01T00:00:00Z): {err}"
                        ))
                    })
            })
            .transpose()?;
        keys.push(RingKey {
            label: label.to_owned(),
            valid_until,
            value,
        });
    }
    Ok(keys)
}

/// The lookup that answers [`RING_VAR`] with `value` and everything else from `env`.
pub(crate) fn with_ring_value<'a>(
    value: &'a str,
    env: EnvLookup<'a>,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        if name == RING_VAR {
            Some(value.to_owned())
        } else {
            env(name)
        }
    }
}

/// The key a section's own gateway is built with (its calls may check answers with it): the
/// first without `valid_until`, else the one valid longest.
pub(crate) fn main_key(keys: &[RingKey]) -> Option<&RingKey> {
    keys.iter()
        .find(|k| k.valid_until.is_none())
        .or_else(|| keys.iter().max_by_key(|k| k.valid_until))
}

/// The account `name` over `main`, with its notify keys: none (the gateway's own, e.g.
/// Sunmi's test key), or each key of `keys`, verified by `main` when `main` was built with
/// it (`main_holds`: its label), else by a gateway `verifier` builds with it.
pub(crate) fn assemble(
    name: &str,
    main: Arc<dyn Gateway>,
    keys: Vec<RingKey>,
    main_holds: Option<&str>,
    verifier: impl Fn(&str) -> Result<Arc<dyn Gateway>, Error>,
) -> Result<Account, Error> {
    let mut account = Account::new(name, main.clone())?;
    for k in keys {
        let gateway = if main_holds == Some(k.label.as_str()) {
            main.clone()
        } else {
            verifier(&k.value)?
        };
        let mut key = NotifyKey::new(k.label, gateway);
        if let Some(until) = k.valid_until {
            key = key.valid_until(until);
        }
        account = account.with_notify_key(key);
    }
    Ok(account)
}

/// Errors of a named account's section name it: `[pooul.accounts.shop-b]`.
pub(crate) fn in_account(provider: Provider, name: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Config(m) if name != DEFAULT_ACCOUNT => Error::Config(m.replacen(
            &format!("[{provider}]"),
            &format!("[{provider}.accounts.{name}]"),
            1,
        )),
        other => other,
    }
}

/// A named account's section must not hold accounts of its own.
pub(crate) fn no_nested<T>(
    provider: Provider,
    name: &str,
    nested: &std::collections::BTreeMap<String, T>,
) -> Result<(), Error> {
    if nested.is_empty() {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "[{provider}.accounts.{name}] holds accounts of its own: accounts are only under [{provider}]"
        )))
    }
}
