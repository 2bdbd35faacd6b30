//! `payhub call`: call a real or sandbox endpoint through the SDK and print the typed answer
//! as JSON.
//!
//! ```text
//! payhub call sunmi create --config payhub.toml order_no=T1 amount=0.01 subject=tea \
//!     notify_url=https://shop.example/n method=wechat_mini app_id=wx1 open_id=o1
//! payhub call sunmi query --config payhub.toml order_no=T1
//! ```
//!
//! ## Errors and exit status
//!
//! A failed call prints one JSON object on stderr, `{"error": {"class": ..., "provider": ...,
//! "code": ..., "message": ...}}` (`code` is the provider's own code or `null`; no key,
//! secret or token is ever part of an error), and exits with a status that tells the classes
//! apart, so that a script can tell "not sent" (send again) from "outcome unknown" (query
//! first):
//!
//! | exit | class |
//! |---|---|
//! | 0 | success |
//! | 1 | any other failure (configuration file, runtime) |
//! | 2 | misuse of the command line (clap) |
//! | 3 | `invalid_request`: refused before sending |
//! | 4 | `not_sent`: provably never reached the provider |
//! | 5 | `outcome_unknown`: may have been acted on; query before anything else |
//! | 6 | `rejected`: refused by the provider |
//! | 7 | `unauthorized`: signature, token or key |
//! | 8 | `rate_limited` |
//! | 9 | `invalid_answer`: a query's answer could not be read |
//! | 10 | `unsupported` |
//!
//! The config is the hub's TOML (see `payhub::Hub::from_toml_str`); secrets come from the
//! environment variables it names. `--base-url` replaces the provider's base URL (e.g. the
//! sandbox's).

use super::{pairs, provider};
use payhub::{
    ErrorClass, Hub, Money, PayMethod, PaymentQuery, PaymentRequest, RefundQuery, RefundRequest,
};
use paysig::Params;

/// Arguments of `payhub call`.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 ok, 1 other failure, 2 usage, 3 invalid_request, \
4 not_sent, 5 outcome_unknown, 6 rejected, 7 unauthorized, 8 rate_limited, 9 invalid_answer, \
10 unsupported. A failed call prints {\"error\": {\"class\", \"provider\", \"code\", \"message\"}} \
as JSON on stderr."
)]
pub struct Args {
    /// mifeng, pooul, sunmi or beecloud.
    provider: String,
    /// create, query, refund, query-refund or close.
    operation: String,
    /// The hub's TOML configuration.
    #[arg(long)]
    config: String,
    /// Use this base URL for the provider instead of the configured one.
    #[arg(long)]
    base_url: Option<String>,
    /// The operation's fields, `key=value`.
    fields: Vec<String>,
}

fn need<'a>(p: &'a Params, k: &str) -> Result<&'a str, String> {
    p.get(k).ok_or_else(|| format!("missing {k}=..."))
}

fn money(p: &Params, k: &str) -> Result<Money, String> {
    Money::parse_yuan(need(p, k)?).map_err(|e| format!("{k}: {e}"))
}

fn method(p: &Params) -> Result<PayMethod, String> {
    let s = |k: &str| need(p, k).map(str::to_owned);
    Ok(match need(p, "method")? {
        "wechat_native" => PayMethod::WechatNative,
        "wechat_jsapi" => PayMethod::WechatJsapi {
            app_id: s("app_id")?,
            open_id: s("open_id")?,
        },
        "wechat_mini" => PayMethod::WechatMini {
            app_id: s("app_id")?,
            open_id: s("open_id")?,
        },
        "wechat_app" => PayMethod::WechatApp {
            app_id: s("app_id")?,
        },
        "wechat_h5" => PayMethod::WechatH5,
        "alipay_qr" => PayMethod::AlipayQr,
        "alipay_web" => PayMethod::AlipayWeb {
            return_url: s("return_url")?,
        },
        "alipay_app" => PayMethod::AlipayApp,
        "unionpay_app" => PayMethod::UnionPayApp,
        "unionpay_web" => PayMethod::UnionPayWeb {
            return_url: s("return_url")?,
        },
        "micro_pay" => PayMethod::MicroPay {
            auth_code: s("auth_code")?,
        },
        "hosted_cashier" => PayMethod::HostedCashier {
            channel: s("channel")?,
            return_url: p.get("return_url").map(str::to_owned),
        },
        other => return Err(format!("unknown method {other:?}")),
    })
}

/// Why `payhub call` failed.
pub enum Failure {
    /// Before any call: arguments, the config file, serialisation. Exit 1.
    Other(String),
    /// The call itself: printed as JSON, exit status by class.
    Call(payhub::Error),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Other(s)
    }
}

impl From<payhub::Error> for Failure {
    fn from(e: payhub::Error) -> Self {
        Failure::Call(e)
    }
}

/// The exit status of a failed call of class `class` (see the module docs).
pub fn exit_status(class: ErrorClass) -> u8 {
    match class {
        ErrorClass::InvalidRequest => 3,
        ErrorClass::NotSent => 4,
        ErrorClass::OutcomeUnknown => 5,
        ErrorClass::Rejected { .. } => 6,
        ErrorClass::Unauthorized => 7,
        ErrorClass::RateLimited => 8,
        ErrorClass::InvalidAnswer => 9,
        ErrorClass::Unsupported => 10,
        _ => 1,
    }
}

/// The error as the JSON printed on stderr. The message is the `source()` chain, each
/// message once.
pub fn error_json(e: &payhub::Error) -> serde_json::Value {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let m = s.to_string();
        if parts.last() != Some(&m) {
            parts.push(m);
        }
        src = s.source();
    }
    let class = e.class();
    let mut body = serde_json::json!({
        "class": class.label(),
        "provider": e.provider().map(|p| p.as_str()),
        "code": e.code(),
        "message": parts.join(": "),
    });
    if let ErrorClass::Rejected { retryable } = class {
        body["retryable"] = serde_json::Value::Bool(retryable);
    }
    serde_json::json!({ "error": body })
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Failure> {
    let p = provider(&args.provider)?;
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("cannot read {}: {e}", args.config))?;
    let mut doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{}: {e}", args.config))?;
    let section = doc
        .get_mut(p.as_str())
        .and_then(|v| v.as_table_mut())
        .ok_or_else(|| format!("{} has no [{p}] section", args.config))?;
    if let Some(base) = args.base_url {
        section.remove("environment");
        section.insert("base_url".into(), toml::Value::String(base));
    }
    // Only the provider called: the others may not have their secrets in this environment.
    let only: toml::Table = doc
        .into_iter()
        .filter(|(k, _)| k == p.as_str() || k == "notify")
        .collect();
    // A configuration that cannot build the hub is not a call: exit 1, one line.
    let hub = Hub::from_toml_str(&only.to_string()).map_err(|e| Failure::Other(e.to_string()))?;
    let f = pairs(&args.fields)?;
    let opt = |k: &str| f.get(k).map(str::to_owned);
    let out = match args.operation.as_str() {
        "create" => {
            let mut req = PaymentRequest::new(
                need(&f, "order_no")?,
                money(&f, "amount")?,
                need(&f, "subject")?,
                need(&f, "notify_url")?,
                method(&f)?,
            );
            req.client_ip = opt("client_ip");
            req.attach = opt("attach");
            serde_json::to_value(hub.create_payment(p, &req).await?)
        }
        "query" => {
            let q = PaymentQuery {
                order_no: need(&f, "order_no")?.to_owned(),
                provider_trade_no: opt("provider_trade_no"),
            };
            serde_json::to_value(hub.query_payment(p, &q).await?)
        }
        "refund" => {
            let total = match f.get("total") {
                Some(_) => Some(money(&f, "total")?),
                None => None,
            };
            let r = RefundRequest {
                order_no: need(&f, "order_no")?.to_owned(),
                provider_trade_no: opt("provider_trade_no"),
                refund_no: need(&f, "refund_no")?.to_owned(),
                amount: money(&f, "amount")?,
                total,
                reason: opt("reason"),
                notify_url: opt("notify_url"),
            };
            serde_json::to_value(hub.refund(p, &r).await?)
        }
        "query-refund" => {
            let q = RefundQuery {
                order_no: need(&f, "order_no")?.to_owned(),
                refund_no: need(&f, "refund_no")?.to_owned(),
            };
            serde_json::to_value(hub.query_refund(p, &q).await?)
        }
        "close" => {
            let q = PaymentQuery {
                order_no: need(&f, "order_no")?.to_owned(),
                provider_trade_no: opt("provider_trade_no"),
            };
            hub.close_payment(p, &q).await?;
            Ok(serde_json::json!({ "closed": q.order_no }))
        }
        other => {
            return Err(Failure::Other(format!(
                "unknown operation {other:?} (create, query, refund, query-refund, close)"
            )));
        }
    }
    .map_err(|e| Failure::Other(e.to_string()))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| Failure::Other(e.to_string()))?
    );
    Ok(())
}
