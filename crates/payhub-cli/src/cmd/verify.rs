//! `payhub verify-notify`: verify a notify body from stdin with the provider's scheme; print
//! the verified notification as JSON (exit 0) or the reason (exit 1).
//!
//! - sunmi: `--public-key FILE` (PEM or base64 DER), or `--test-key` for the sunmi.txt §6.4 key;
//!   the body is a form or (as the document's samples) a JSON object.
//! - pooul: `--public-key FILE` (Pooul's platform key, 1024 bits accepted as Pooul publishes
//!   one); pay or refund notify is told by the payload.
//! - beecloud: `--key SECRET` and `--app-id ID`; `--scheme v2` (the default and the only
//!   scheme with signed fields to show; `v1` and `v1_snake` sign only the timestamp), no
//!   timestamp window (a stored body is being checked, not a live one).
//! - mifeng: `--key SECRET` (the inferred MD5 scheme).

use super::{ProviderArg, read_pem_arg};
use crate::failure::Failure;
use payhub::Provider;
use paysig::{ExposeSecret, RsaPublicKey, SecretString};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

/// Arguments of `payhub verify-notify`.
#[derive(clap::Args)]
pub struct Args {
    /// The provider whose notify this is.
    provider: ProviderArg,
    /// The provider's public key (sunmi, pooul): a PEM/base64 file path or the text itself.
    /// The sandbox writes its keys' public halves as `<keys-dir>/*.pub.pem`.
    #[arg(long, conflicts_with = "test_key")]
    public_key: Option<String>,
    /// Use Sunmi's test-environment public key (sunmi.txt §6.4).
    #[arg(long)]
    test_key: bool,
    /// The shared secret (mifeng secret; beecloud master secret): inline, a path or @path.
    /// Prefer a file or --key-env: an inline secret shows in `ps` and shell history.
    #[arg(long, conflicts_with = "key_env")]
    key: Option<String>,
    /// Read the shared secret from this environment variable.
    #[arg(long)]
    key_env: Option<String>,
    /// BeeCloud app id.
    #[arg(long)]
    app_id: Option<String>,
    /// BeeCloud webhook scheme: only v2 can be verified offline.
    #[arg(long, value_enum, default_value_t = Scheme::V2)]
    scheme: Scheme,
    /// The largest body accepted, in bytes; a longer one is refused unread.
    #[arg(long, default_value_t = paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT)]
    body_limit: usize,
}

/// BeeCloud's webhook schemes (see the beecloud crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scheme {
    /// The first scheme: `sign = md5(app_id + app_secret + timestamp)`.
    V1,
    /// The first scheme with snake-case fields.
    #[value(name = "v1_snake")]
    V1Snake,
    /// The later scheme: `signature` over five named fields with the master secret.
    V2,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Failure> {
    let mut body = Vec::new();
    // One byte past the limit is enough to know the body is too large.
    tokio::io::stdin()
        .take(args.body_limit as u64 + 1)
        .read_to_end(&mut body)
        .await
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    if body.len() > args.body_limit {
        return Err(Failure::Other(format!(
            "body is over the limit of {} bytes (--body-limit)",
            args.body_limit
        )));
    }
    // A shell heredoc or `echo` adds a newline the provider never sent.
    while body.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        body.pop();
    }
    let out = verify(&args, &body)?;
    crate::output::print_json(&out);
    Ok(())
}

fn public_key_text(args: &Args) -> Result<String, Failure> {
    let text = match (&args.public_key, args.test_key) {
        (_, true) => return Ok(sunmi::TEST_PUBLIC_KEY.to_owned()),
        (Some(k), false) => read_pem_arg(k)?,
        (None, false) => {
            return Err(Failure::Usage(
                "--public-key FILE is required (or --test-key for sunmi)".into(),
            ));
        }
    };
    // A verifier holds the public half only; pointing it at a private key file is a mix-up
    // worth naming rather than a PEM label error.
    if text.contains("PRIVATE KEY-----") {
        return Err(Failure::Other(format!(
            "--public-key {}: this is a private key; give its public half (the sandbox writes \
             it beside the private one, as *.pub.pem)",
            args.public_key.as_deref().unwrap_or_default()
        )));
    }
    Ok(text)
}

fn public_key(args: &Args) -> Result<RsaPublicKey, Failure> {
    Ok(RsaPublicKey::from_pem_or_base64(&public_key_text(args)?).map_err(|e| e.to_string())?)
}

/// The shared secret the same way as every other subcommand: `--key` inline, `@file` or a
/// path, or `--key-env VAR`; a missing `@file` is reported as such.
fn secret(args: &Args) -> Result<SecretString, Failure> {
    super::secret_arg(
        args.key.as_deref(),
        args.key_env.as_deref(),
        super::read_secret_arg,
    )
    .map(SecretString::from)
}

/// Verifies `body` and returns `{provider, verified: true, notification: {...}}`: the pairs
/// or payload exactly as signed, after the provider crate accepted them.
pub fn verify(args: &Args, body: &[u8]) -> Result<Value, Failure> {
    let p = Provider::from(args.provider);
    let notification = match p {
        Provider::Sunmi => {
            let key = public_key(args)?;
            let options = sunmi::notify::NotifyOptions::default().with_body_limit(args.body_limit);
            // A form by default; a JSON object (the document's own samples) when it starts
            // with `{`. Either way the same one-reading rule and signature apply.
            sunmi::notify::verify_notify_with(None, body, &key, &options)
                .map_err(|e| e.to_string())?;
            // Verified: these pairs, as received, are what Sunmi signed.
            let pairs = match sunmi::notify::NotifyFormat::detect(None, body) {
                sunmi::notify::NotifyFormat::Json => paysig::rawjson::params_as_received(
                    body,
                    paysig::rawjson::NestedValues::RawText,
                )
                .map_err(|e| e.to_string())?,
                _ => paysig::Params::parse_form(body).map_err(|e| e.to_string())?,
            };
            Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                    .collect(),
            )
        }
        Provider::Pooul => {
            // Pooul's platform key may be 1024 bits (its own docs publish one): loaded under
            // the pooul crate's legacy policy, with its warning.
            let key =
                pooul::load_platform_key(&public_key_text(args)?).map_err(|e| e.to_string())?;
            let token = std::str::from_utf8(body)
                .map_err(|_| Failure::Other("body is not UTF-8".into()))?;
            let payload: paysig::Verified<Value> =
                paysig::jwt::decode_rs256(token.trim(), &key).map_err(|e| e.to_string())?;
            // The signature holds; now what was signed must read as one of Pooul's messages.
            // A pay or refund notify goes through the crate's typed reader too; any other
            // signed payload (an API answer such as the devdocs sample) is reported as such,
            // never as a notify.
            let data = payload.get("data");
            let kind = if data.and_then(|d| d.get("refunds")).is_some() {
                pooul::notify::verify_notify_refund(body, &key).map_err(|e| e.to_string())?;
                "refund_notify"
            } else if data.and_then(|d| d.get("trade_state")).is_some()
                && data.and_then(|d| d.get("total_fee")).is_some()
            {
                pooul::notify::verify_notify_pay(body, &key).map_err(|e| e.to_string())?;
                "pay_notify"
            } else {
                "signed_answer"
            };
            json!({ "kind": kind, "key_bits": key.modulus_bits(), "payload": payload.into_inner() })
        }
        Provider::BeeCloud => {
            // V1 and V1Snake sign nothing but the timestamp: a stored body proves nothing
            // about its fee or outcome, so it is not reported as verified. V2 signs five
            // fields; the rest is shown apart, as unsigned.
            if args.scheme != Scheme::V2 {
                return Err(Failure::Other(format!(
                    "--scheme {}: only v2 can be verified offline (v1 and v1_snake sign only the timestamp; confirm such a payment with `payhub call beecloud query`)",
                    clap::ValueEnum::to_possible_value(&args.scheme)
                        .map(|v| v.get_name().to_owned())
                        .unwrap_or_default()
                )));
            }
            let secret = secret(args)?;
            let app_id = args
                .app_id
                .clone()
                .ok_or_else(|| Failure::Usage("--app-id is required for beecloud".into()))?;
            let config = beecloud::WebhookConfig::v2(secret.expose_secret())
                .timestamp_check(beecloud::notify::TimestampCheck::Skip)
                .body_limit(args.body_limit);
            let event = beecloud::Webhook::new(app_id, config)
                .verify_notify(body)
                .map_err(|e| e.to_string())?;
            let signed_fields = event.signed_fields();
            let all: serde_json::Map<String, Value> =
                serde_json::from_slice(body).map_err(|e| e.to_string())?;
            let (signed, unsigned): (
                serde_json::Map<String, Value>,
                serde_json::Map<String, Value>,
            ) = all
                .into_iter()
                .filter(|(k, _)| k != "signature")
                .partition(|(k, _)| signed_fields.contains(&k.as_str()));
            json!({ "signed": signed, "unsigned_not_verified": unsigned })
        }
        Provider::Mifeng => {
            let secret = secret(args)?;
            mifeng::notify::verify_notify(body, &secret).map_err(|e| e.to_string())?;
            serde_json::from_slice(body).map_err(|e| e.to_string())?
        }
    };
    Ok(json!({ "provider": p.as_str(), "verified": true, "notification": notification }))
}
