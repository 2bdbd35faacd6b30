//! One module per subcommand, and what several of them share: the provider argument, the
//! sandbox's key directory, `key=value` pairs and key arguments.

pub mod call;
pub mod completions;
pub mod demo;
pub mod ledger;
pub mod reconcile;
pub mod sandbox;
pub mod sign;
pub mod sweep;
pub mod trigger;
pub mod verify;

use payhub::Provider;
use std::path::{Path, PathBuf};

/// A provider on the command line (its possible values show in `--help` and completions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderArg {
    /// Mifeng Pay.
    Mifeng,
    /// Pooul.
    Pooul,
    /// Sunmi.
    Sunmi,
    /// BeeCloud.
    #[value(name = "beecloud")]
    BeeCloud,
}

impl From<ProviderArg> for Provider {
    fn from(p: ProviderArg) -> Provider {
        match p {
            ProviderArg::Mifeng => Provider::Mifeng,
            ProviderArg::Pooul => Provider::Pooul,
            ProviderArg::Sunmi => Provider::Sunmi,
            ProviderArg::BeeCloud => Provider::BeeCloud,
        }
    }
}

/// Where the sandbox's RSA keys live: one definition for `payhub sandbox` (which creates them
/// on first use) and `payhub trigger` (which only reads them), so both find the same files.
#[derive(clap::Args, Clone, Debug)]
pub struct KeysDir {
    /// The sandbox's key directory: each private key (`*.pem`) with its public half beside it
    /// (`*.pub.pem`, for your verifier or `payhub verify-notify --public-key`).
    #[arg(
        long = "keys-dir",
        env = "PAYHUB_SANDBOX_KEYS",
        default_value = ".payhub-sandbox"
    )]
    pub dir: PathBuf,
}

impl KeysDir {
    /// The directory as an absolute path, so that what is printed works from anywhere.
    pub fn absolute(&self) -> PathBuf {
        std::path::absolute(&self.dir).unwrap_or_else(|_| self.dir.clone())
    }
}

/// Parses a provider name.
pub fn provider(name: &str) -> Result<Provider, String> {
    name.parse()
        .map_err(|e: payhub::UnknownProvider| e.to_string())
}

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

/// What a key argument holds: key material itself, or the path of a file.
enum KeyArg<'a> {
    Inline(&'a str),
    File(&'a Path),
}

/// `@path` is always a file; an existing path is a file; text that reads as a path (see
/// [`looks_like_path`]) is a file that must exist; anything else is the key itself.
fn classify(arg: &str, looks_like_path: impl Fn(&str) -> bool) -> KeyArg<'_> {
    if let Some(path) = arg.strip_prefix('@') {
        return KeyArg::File(Path::new(path));
    }
    if Path::new(arg).is_file() || looks_like_path(arg) {
        KeyArg::File(Path::new(arg))
    } else {
        KeyArg::Inline(arg)
    }
}

fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("no such file {}", path.display()),
        _ => format!("cannot read {}: {e}", path.display()),
    })
}

/// Reads a PEM key given inline, as base64 DER, or as a file (`@file` or a path). Anything
/// that is neither PEM nor base64 is taken for a path, so a mistyped path is reported as a
/// missing file rather than as malformed key material.
pub fn read_pem_arg(arg: &str) -> Result<String, String> {
    let is_base64 = |s: &str| {
        s.len() >= 64
            && s.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r')
            })
    };
    let is_key = |s: &str| s.trim_start().starts_with("-----BEGIN") || is_base64(s.trim());
    match classify(arg, |s| !is_key(s)) {
        KeyArg::File(path) => read_file(path),
        KeyArg::Inline(text) => Ok(text.to_owned()),
    }
}

/// Reads a shared secret given inline or as a file (`@file`, an existing path, or text that
/// reads as a path: starting with `/`, `./`, `../` or `~/`, or ending in `.pem`, `.key`,
/// `.txt` or `.secret`).
pub fn read_secret_arg(arg: &str) -> Result<String, String> {
    let path_like = |s: &str| {
        ["/", "./", "../", "~/"].iter().any(|p| s.starts_with(p))
            || [".pem", ".key", ".txt", ".secret"]
                .iter()
                .any(|x| s.ends_with(x))
    };
    match classify(arg, path_like) {
        KeyArg::File(path) => read_file(path).map(|t| t.trim_end_matches(['\r', '\n']).to_owned()),
        KeyArg::Inline(text) => Ok(text.to_owned()),
    }
}

/// A secret from `--key` (inline, `@file` or a path) or `--key-env VAR` (clap makes them
/// exclusive). Prefer the file or the variable: an inline secret is visible in `ps` and in
/// shell history.
pub fn secret_arg(
    key: Option<&str>,
    key_env: Option<&str>,
    read: fn(&str) -> Result<String, String>,
) -> Result<String, crate::failure::Failure> {
    use crate::failure::Failure;
    match (key, key_env) {
        (Some(k), _) => read(k).map_err(Failure::Other),
        (None, Some(var)) => std::env::var(var)
            .map_err(|_| Failure::Other(format!("environment variable {var} is not set"))),
        (None, None) => Err(Failure::Usage(
            "--key SECRET|@FILE or --key-env VAR is required".into(),
        )),
    }
}
