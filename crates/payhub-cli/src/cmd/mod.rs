//! One module per subcommand.

pub mod call;
pub mod demo;
pub mod ledger;
pub mod reconcile;
pub mod sandbox;
pub mod sign;
pub mod sweep;
pub mod trigger;
pub mod verify;

use payhub::Provider;

/// Parses `key=value` arguments in order.
pub fn pairs(args: &[String]) -> Result<paysig::Params, String> {
    let mut p = paysig::Params::new();
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| format!("{a:?} is not key=value"))?;
        if p.get(k).is_some() {
            return Err(format!("{k} given twice"));
        }
        p.push(k, v);
    }
    Ok(p)
}

/// Parses a provider name.
pub fn provider(name: &str) -> Result<Provider, String> {
    name.parse()
        .map_err(|e: payhub::UnknownProvider| e.to_string())
}

/// Reads a key given inline or as `@file` / a path to an existing file.
pub fn read_key_text(arg: &str) -> Result<String, String> {
    let path = arg.strip_prefix('@').unwrap_or(arg);
    if std::path::Path::new(path).is_file() {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
    } else if arg.starts_with('@') {
        Err(format!("no such file {path}"))
    } else {
        Ok(arg.to_owned())
    }
}

/// A secret from `--key` (inline, `@file` or a path) or `--key-env VAR`. Prefer the file or
/// the variable: an inline secret is visible in `ps` and in shell history.
pub fn secret_arg(key: Option<&str>, key_env: Option<&str>) -> Result<String, String> {
    match (key, key_env) {
        (Some(_), Some(_)) => Err("give --key or --key-env, not both".into()),
        (Some(k), None) => read_key_text(k).map(|t| t.trim_end_matches(['\r', '\n']).to_owned()),
        (None, Some(var)) => {
            std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))
        }
        (None, None) => Err("--key SECRET|@FILE or --key-env VAR is required".into()),
    }
}
