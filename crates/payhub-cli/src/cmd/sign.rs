//! `payhub sign`: every stage of a signature, for debugging the providers' most common error,
//! "Invalid Sign".
//!
//! - sunmi: the request sign of sunmi.txt §2.1 (`--key` = app_key).
//! - mifeng: the notify sign (inferred scheme; `--key` = merchant secret).
//! - beecloud: `app_sign = md5(app_id + timestamp + app_key)` (`--key` = app_key; pairs
//!   `app_id=` and `timestamp=`).
//! - pooul: the RS256 JWT of the pairs as a JSON object (`--key` = merchant private key PEM
//!   file). Every value is a JSON string as given (`total_fee=1` is `"1"`); `key:=JSON` puts
//!   the value in as JSON (`total_fee:=1` is the number 1).

use super::ProviderArg;
use crate::failure::Failure;
use crate::output;
use payhub::Provider;
use paysig::{RsaPrivateKey, SecretString};
use serde_json::{Value, json};

/// Arguments of `payhub sign`.
#[derive(clap::Args)]
pub struct Args {
    /// The provider whose scheme signs.
    provider: ProviderArg,
    /// The secret (app_key / secret), or for pooul the private key: inline, a path or @path.
    /// Prefer a file or --key-env: an inline secret shows in `ps` and shell history.
    #[arg(long, conflicts_with = "key_env")]
    key: Option<String>,
    /// Read the secret (or the PEM) from this environment variable.
    #[arg(long)]
    key_env: Option<String>,
    /// The parameters as sent: `key=value` (a string, as given); for pooul also `key:=JSON`
    /// (a number, `true`, `null`, an object... as written).
    params: Vec<String>,
}

/// A parameter: its name, its text and whether the text is JSON (`key:=value`).
struct Param {
    name: String,
    value: String,
    raw_json: bool,
}

fn params(args: &[String]) -> Result<Vec<Param>, Failure> {
    let mut out: Vec<Param> = Vec::new();
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("{a:?} is not key=value")))?;
        let (name, raw_json) = match k.strip_suffix(':') {
            Some(name) => (name, true),
            None => (k, false),
        };
        if out.iter().any(|p| p.name == name) {
            return Err(Failure::Usage(format!("{name} given twice")));
        }
        out.push(Param {
            name: name.to_owned(),
            value: v.to_owned(),
            raw_json,
        });
    }
    Ok(out)
}

/// The pairs of a form-signing provider; `key:=` has no meaning there.
fn form(params: &[Param], p: Provider) -> Result<paysig::Params, Failure> {
    let mut out = paysig::Params::new();
    for param in params {
        if param.raw_json {
            return Err(Failure::Usage(format!(
                "{}:= gives a JSON value, which only pooul signs; {p} signs text (use {}=...)",
                param.name, param.name
            )));
        }
        out.push(&param.name, &param.value);
    }
    Ok(out)
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let given = params(&args.params)?;
    let p = Provider::from(args.provider);
    let read = if p == Provider::Pooul {
        super::read_pem_arg
    } else {
        super::read_secret_arg
    };
    let secret = super::secret_arg(args.key.as_deref(), args.key_env.as_deref(), read)?;
    let stages = match p {
        Provider::Sunmi => {
            let key = SecretString::from(secret);
            let st = sunmi::request_signer()
                .stages(&form(&given, p)?, &key)
                .map_err(|e| e.to_string())?;
            stages(&st.canonical, &st.masked, &st.signature)
        }
        Provider::Mifeng => {
            let key = SecretString::from(secret);
            let st = mifeng::notify::signer()
                .stages(&form(&given, p)?, &key)
                .map_err(|e| e.to_string())?;
            stages(&st.canonical, &st.masked, &st.signature)
        }
        Provider::BeeCloud => {
            let key = SecretString::from(secret);
            let pairs = form(&given, p)?;
            let app_id = pairs
                .get("app_id")
                .ok_or_else(|| Failure::Usage("beecloud needs app_id=...".into()))?;
            let ts_text = pairs
                .get("timestamp")
                .ok_or_else(|| Failure::Usage("beecloud needs timestamp=<ms>".into()))?;
            let ts: i64 = ts_text.parse().map_err(|_| {
                Failure::Usage(format!("timestamp {ts_text:?} is not milliseconds"))
            })?;
            let signature = beecloud::app_sign(app_id, ts, &key);
            stages(
                &format!("{app_id}{ts}"),
                &format!("{app_id}{ts}***"),
                &signature,
            )
        }
        Provider::Pooul => pooul_stages(&given, &secret)?,
    };
    if output::json() {
        output::print_json(&stages);
    } else {
        for (label, key) in [
            ("header", "header"),
            ("payload", "payload"),
            ("canonical", "canonical"),
            ("hashed", "hashed"),
            ("signed", "signed"),
            ("signature", "signature"),
            ("token", "token"),
            ("public key", "public_key_bits"),
        ] {
            match &stages[key] {
                Value::Null => {}
                Value::Number(bits) => {
                    println!("{label:<10}: {bits} bits (only the public half identifies it)")
                }
                Value::String(s) => println!("{label:<10}: {s}"),
                other => println!("{label:<10}: {other}"),
            }
        }
    }
    Ok(())
}

fn stages(canonical: &str, masked: &str, signature: &str) -> Value {
    json!({ "canonical": canonical, "hashed": masked, "signature": signature })
}

fn pooul_stages(given: &[Param], secret: &str) -> Result<Value, Failure> {
    let key = RsaPrivateKey::from_pem_or_base64(secret).map_err(|e| e.to_string())?;
    let mut obj = serde_json::Map::new();
    for param in given {
        let value = if param.raw_json {
            serde_json::from_str(&param.value)
                .map_err(|e| Failure::Usage(format!("{}:= is not JSON: {e}", param.name)))?
        } else {
            Value::String(param.value.clone())
        };
        obj.insert(param.name.clone(), value);
    }
    let payload = serde_json::to_vec(&obj).map_err(|e| e.to_string())?;
    let token = paysig::jwt::encode_rs256_bytes(&payload, &key).map_err(|e| e.to_string())?;
    let (input, signature) = token
        .rsplit_once('.')
        .ok_or_else(|| Failure::Other("JWT without signature".into()))?;
    // The key never prints; only its public half identifies it.
    Ok(json!({
        "header": "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
        "payload": String::from_utf8_lossy(&payload),
        "signed": input,
        "signature": signature,
        "token": token,
        "public_key_bits": key.public_key().modulus_bits(),
    }))
}
