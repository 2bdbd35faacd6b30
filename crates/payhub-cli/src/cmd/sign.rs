//! `payhub sign`: every stage of a signature, for debugging the providers' most common error,
//! "Invalid Sign".
//!
//! - sunmi: the request sign of sunmi.txt §2.1 (`--key` = app_key).
//! - mifeng: the notify sign (inferred scheme; `--key` = merchant secret).
//! - beecloud: `app_sign = md5(app_id + timestamp + app_key)` (`--key` = app_key; pairs
//!   `app_id=` and `timestamp=`).
//! - pooul: the RS256 JWT of the pairs as a JSON object (`--key` = merchant private key PEM
//!   file); values that read as JSON numbers stay numbers (`total_fee=1`).

use super::{pairs, provider};
use payhub::Provider;
use paysig::{RsaPrivateKey, SecretString};

/// Arguments of `payhub sign`.
#[derive(clap::Args)]
pub struct Args {
    /// mifeng, pooul, sunmi or beecloud.
    provider: String,
    /// The secret (app_key / secret), or for pooul the private key: inline, a path or @path.
    /// Prefer a file or --key-env: an inline secret shows in `ps` and shell history.
    #[arg(long)]
    key: Option<String>,
    /// Read the secret (or the PEM) from this environment variable.
    #[arg(long)]
    key_env: Option<String>,
    /// The parameters, `key=value`, as sent.
    params: Vec<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), String> {
    let p = pairs(&args.params)?;
    let secret = super::secret_arg(args.key.as_deref(), args.key_env.as_deref())?;
    match provider(&args.provider)? {
        Provider::Sunmi => {
            let key = SecretString::from(secret.clone());
            let st = sunmi::request_signer()
                .stages(&p, &key)
                .map_err(|e| e.to_string())?;
            print_stages(&st.canonical, &st.masked, &st.signature);
        }
        Provider::Mifeng => {
            let key = SecretString::from(secret.clone());
            let st = mifeng::notify::signer()
                .stages(&p, &key)
                .map_err(|e| e.to_string())?;
            print_stages(&st.canonical, &st.masked, &st.signature);
        }
        Provider::BeeCloud => {
            let key = SecretString::from(secret.clone());
            let app_id = p.get("app_id").ok_or("beecloud needs app_id=...")?;
            let ts_text = p.get("timestamp").ok_or("beecloud needs timestamp=<ms>")?;
            let ts: i64 = ts_text
                .parse()
                .map_err(|_| format!("timestamp {ts_text:?} is not milliseconds"))?;
            let signature = beecloud::app_sign(app_id, ts, &key);
            print_stages(
                &format!("{app_id}{ts}"),
                &format!("{app_id}{ts}***"),
                &signature,
            );
        }
        Provider::Pooul => {
            let key = RsaPrivateKey::from_pem_or_base64(&secret).map_err(|e| e.to_string())?;
            let mut obj = serde_json::Map::new();
            for (k, v) in p.iter() {
                let value = match serde_json::from_str::<serde_json::Value>(v) {
                    Ok(n @ serde_json::Value::Number(_)) => n,
                    _ => serde_json::Value::String(v.to_owned()),
                };
                obj.insert(k.to_owned(), value);
            }
            let payload = serde_json::to_vec(&obj).map_err(|e| e.to_string())?;
            let token =
                paysig::jwt::encode_rs256_bytes(&payload, &key).map_err(|e| e.to_string())?;
            let (input, signature) = token.rsplit_once('.').ok_or("JWT without signature")?;
            println!("header    : {{\"alg\":\"RS256\",\"typ\":\"JWT\"}}");
            println!("payload   : {}", String::from_utf8_lossy(&payload));
            println!("signed    : {input}");
            println!("signature : {signature}");
            println!("token     : {token}");
            // The key never prints; only its public half identifies it.
            let public = key.public_key();
            println!(
                "public key: {} bytes SPKI (verify with it)",
                public.to_spki_der().len()
            );
        }
    }
    Ok(())
}

fn print_stages(canonical: &str, masked: &str, signature: &str) {
    println!("canonical : {canonical}");
    println!("hashed    : {masked}");
    println!("signature : {signature}");
}
