//! `payhub call`: call a real or sandbox endpoint through the SDK and print the typed answer
//! as JSON.
//!
//! ```text
//! payhub call sunmi create --config payhub.toml order_no=T1 amount=0.01 subject=tea \
//!     notify_url=https://shop.example/n method=wechat_mini app_id=wx1 open_id=o1
//! payhub call sunmi query --config payhub.toml order_no=T1
//! ```
//!
//! Each operation is one entry of [`OPERATIONS`]: its name, its fields and the function that
//! calls the hub. Adding an operation is adding an entry; `--help`, completions, the check of
//! unknown and missing fields follow from it.
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
//! | 2 | misuse of the command line: clap's, an unknown field, missing fields, a bad value |
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
//! environment variables it names. `--account NAME` calls the named account
//! (`[provider.accounts.NAME]`) instead of the provider's default one. `--base-url` replaces
//! that account's base URL (e.g. the sandbox's).

mod ops;

use super::{ProviderArg, pairs};
use crate::failure::Failure;
use clap::ValueEnum;
use clap::builder::PossibleValue;
use ops::{close, create, query, query_refund, refund, resolve, resolve_refund};
use payhub::{AccountRef, ErrorClass, Hub, Money, PayMethod, Provider};
use serde_json::Value;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;

/// Arguments of `payhub call`.
#[derive(clap::Args)]
#[command(after_help = fields_help())]
pub struct Args {
    /// The provider to call.
    provider: ProviderArg,
    /// The operation (its fields are listed below).
    operation: Operation,
    /// The hub's TOML configuration.
    #[arg(long)]
    config: String,
    /// The named account to call (`[provider.accounts.NAME]`); without it, the provider's
    /// default account.
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// Use this base URL for the account instead of the configured one.
    #[arg(long)]
    base_url: Option<String>,
    /// The operation's fields, `key=value` (see below).
    fields: Vec<String>,
}

/// A field of an operation.
pub struct Field {
    name: &'static str,
    required: bool,
    help: &'static str,
}

const fn required(name: &'static str, help: &'static str) -> Field {
    Field {
        name,
        required: true,
        help,
    }
}

const fn optional(name: &'static str, help: &'static str) -> Field {
    Field {
        name,
        required: false,
        help,
    }
}

const ORDER_NO: Field = required("order_no", "the merchant's order number");
const PROVIDER_TRADE_NO: Field = optional("provider_trade_no", "the provider's trade number");
const REFUND_NO: Field = required("refund_no", "the merchant's refund number");

/// What an operation's function returns: the answer as JSON.
type Answer<'a> = Pin<Box<dyn Future<Output = Result<Value, Failure>> + 'a>>;

/// An operation of `payhub call`.
pub struct Op {
    name: &'static str,
    about: &'static str,
    /// Every field it takes; `create` adds its method's fields (see [`Method::fields`]).
    fields: &'static [Field],
    run: for<'a> fn(&'a AccountRef<'a>, &'a Fields) -> Answer<'a>,
}

/// Every operation of `payhub call`, in the order `--help` lists them.
//
// A new operation is one entry here and its function below.
pub static OPERATIONS: &[Operation] = &[
    Operation(&Op {
        name: "create",
        about: "create a payment",
        fields: &[
            ORDER_NO,
            required("amount", "in yuan, at most 2 decimals (0.01)"),
            required("subject", "what is bought"),
            required("notify_url", "where the provider sends the notify"),
            required("method", "how the payer pays (values below)"),
            optional("client_ip", "the payer's IP"),
            optional("attach", "returned as given in the notify"),
        ],
        run: create,
    }),
    Operation(&Op {
        name: "query",
        about: "query a payment",
        fields: &[ORDER_NO, PROVIDER_TRADE_NO],
        run: query,
    }),
    Operation(&Op {
        name: "refund",
        about: "refund (part of) a payment; never retried",
        fields: &[
            ORDER_NO,
            PROVIDER_TRADE_NO,
            REFUND_NO,
            required("amount", "the refund, in yuan"),
            optional(
                "total",
                "the payment's total, in yuan (some providers need it)",
            ),
            optional("reason", "why"),
            optional("notify_url", "where the refund notify goes"),
        ],
        run: refund,
    }),
    Operation(&Op {
        name: "query-refund",
        about: "query a refund",
        fields: &[ORDER_NO, REFUND_NO],
        run: query_refund,
    }),
    Operation(&Op {
        name: "close",
        about: "close an unpaid payment",
        fields: &[ORDER_NO, PROVIDER_TRADE_NO],
        run: close,
    }),
    Operation(&Op {
        name: "resolve",
        about: "after an unknown outcome: query by order number until paid, not paid, not found \
                or the provider's deadline (its documented first delay applies)",
        fields: &[ORDER_NO],
        run: resolve,
    }),
    Operation(&Op {
        name: "resolve-refund",
        about: "after a refund's unknown outcome: query until refunded, not refunded, not found \
                or the deadline",
        fields: &[ORDER_NO, REFUND_NO],
        run: resolve_refund,
    }),
];

/// An operation on the command line: one of [`OPERATIONS`].
#[derive(Clone, Copy)]
pub struct Operation(&'static Op);

impl ValueEnum for Operation {
    fn value_variants<'a>() -> &'a [Self] {
        OPERATIONS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.name).help(self.0.about))
    }
}

/// How the payer pays (`method=` of `create`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Method {
    /// WeChat Pay by QR code.
    WechatNative,
    /// WeChat Pay in the WeChat browser.
    WechatJsapi,
    /// WeChat Pay in a mini program.
    WechatMini,
    /// WeChat Pay in an app.
    WechatApp,
    /// WeChat Pay in a mobile browser.
    WechatH5,
    /// Alipay by QR code.
    AlipayQr,
    /// Alipay on a web page.
    AlipayWeb,
    /// Alipay in an app.
    AlipayApp,
    /// UnionPay in an app.
    UnionpayApp,
    /// UnionPay on a web page.
    UnionpayWeb,
    /// The payer's code scanned by the merchant.
    MicroPay,
    /// The provider's hosted cashier page.
    HostedCashier,
}

impl Method {
    /// The fields this method adds to `create`.
    pub fn fields(self) -> &'static [Field] {
        const APP_ID: Field = required("app_id", "the WeChat app id");
        const OPEN_ID: Field = required("open_id", "the payer's openid");
        const RETURN_URL: Field = required("return_url", "where the payer returns");
        const AUTH_CODE: Field = required("auth_code", "the payer's payment code");
        const CHANNEL: Field = required("channel", "the cashier's channel");
        const OPT_RETURN_URL: Field = optional("return_url", "where the payer returns");
        match self {
            Method::WechatJsapi | Method::WechatMini => &[APP_ID, OPEN_ID],
            Method::WechatApp => &[APP_ID],
            Method::AlipayWeb | Method::UnionpayWeb => &[RETURN_URL],
            Method::MicroPay => &[AUTH_CODE],
            Method::HostedCashier => &[CHANNEL, OPT_RETURN_URL],
            Method::WechatNative
            | Method::WechatH5
            | Method::AlipayQr
            | Method::AlipayApp
            | Method::UnionpayApp => &[],
        }
    }

    fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }

    fn pay_method(self, f: &Fields) -> Result<PayMethod, Failure> {
        let s = |k: &str| f.need(k).map(str::to_owned);
        Ok(match self {
            Method::WechatNative => PayMethod::WechatNative,
            Method::WechatJsapi => PayMethod::WechatJsapi {
                app_id: s("app_id")?,
                open_id: s("open_id")?,
            },
            Method::WechatMini => PayMethod::WechatMini {
                app_id: s("app_id")?,
                open_id: s("open_id")?,
            },
            Method::WechatApp => PayMethod::WechatApp {
                app_id: s("app_id")?,
            },
            Method::WechatH5 => PayMethod::WechatH5,
            Method::AlipayQr => PayMethod::AlipayQr,
            Method::AlipayWeb => PayMethod::AlipayWeb {
                return_url: s("return_url")?,
            },
            Method::AlipayApp => PayMethod::AlipayApp,
            Method::UnionpayApp => PayMethod::UnionPayApp,
            Method::UnionpayWeb => PayMethod::UnionPayWeb {
                return_url: s("return_url")?,
            },
            Method::MicroPay => PayMethod::MicroPay {
                auth_code: s("auth_code")?,
            },
            Method::HostedCashier => PayMethod::HostedCashier {
                channel: s("channel")?,
                return_url: f.get("return_url").map(str::to_owned),
            },
        })
    }
}

/// The `--help` text listing each operation's fields and the payment methods.
fn fields_help() -> String {
    let mut out = String::from("Fields (key=value; * required):\n");
    for Operation(op) in OPERATIONS {
        let _ = writeln!(out, "  {}: {}", op.name, op.about);
        for f in op.fields {
            let star = if f.required { "*" } else { "" };
            let _ = writeln!(out, "      {:<20} {}", format!("{}{star}", f.name), f.help);
        }
    }
    out.push_str("  method= of create, and the fields it adds:\n");
    for m in Method::value_variants() {
        let extra: Vec<String> = m
            .fields()
            .iter()
            .map(|f| format!("{}{}", f.name, if f.required { "*" } else { "" }))
            .collect();
        let _ = writeln!(out, "      {:<20} {}", m.name(), extra.join(" "));
    }
    out.push_str(
        "\nExit status: 0 ok, 1 other failure, 2 usage (also an unknown field, missing fields, \
a bad value), 3 invalid_request, 4 not_sent, 5 outcome_unknown, 6 rejected, 7 unauthorized, \
8 rate_limited, 9 invalid_answer, 10 unsupported. A failed call prints {\"error\": {\"class\", \
\"provider\", \"code\", \"message\"}} as JSON on stderr.",
    );
    out
}

/// An operation's fields, checked against its [`Op::fields`]: no unknown one, every
/// required one present.
pub struct Fields {
    params: paysig::Params,
    method: Option<Method>,
}

impl Fields {
    /// Checks `args` for `op`; every problem is reported at once.
    fn check(op: &Op, args: &[String]) -> Result<Fields, Failure> {
        let params = pairs(args).map_err(Failure::Usage)?;
        let method = match params.get("method") {
            Some(m) if op.fields.iter().any(|f| f.name == "method") => {
                Some(Method::from_str(m, false).map_err(|_| {
                    let all: Vec<String> =
                        Method::value_variants().iter().map(|m| m.name()).collect();
                    Failure::Usage(format!(
                        "unknown method {m:?} (expected one of {})",
                        all.join(", ")
                    ))
                })?)
            }
            _ => None,
        };
        let known: Vec<&Field> = op
            .fields
            .iter()
            .chain(method.map(Method::fields).unwrap_or_default())
            .collect();
        let unknown: Vec<&str> = params
            .iter()
            .map(|(k, _)| k)
            .filter(|k| !known.iter().any(|f| f.name == *k))
            .collect();
        let missing: Vec<&str> = known
            .iter()
            .filter(|f| f.required && params.get(f.name).is_none())
            .map(|f| f.name)
            .collect();
        let mut problems = Vec::new();
        if !unknown.is_empty() {
            let names: Vec<&str> = known.iter().map(|f| f.name).collect();
            problems.push(format!(
                "unknown field{} {} for {} (its fields: {})",
                if unknown.len() > 1 { "s" } else { "" },
                unknown.join(", "),
                describe(op, method),
                names.join(", ")
            ));
        }
        if !missing.is_empty() {
            problems.push(format!(
                "missing field{} for {}: {}",
                if missing.len() > 1 { "s" } else { "" },
                describe(op, method),
                missing
                    .iter()
                    .map(|m| format!("{m}=..."))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        if problems.is_empty() {
            Ok(Fields { params, method })
        } else {
            Err(Failure::Usage(problems.join("\n")))
        }
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.params.get(k)
    }

    fn need(&self, k: &str) -> Result<&str, Failure> {
        self.get(k)
            .ok_or_else(|| Failure::Usage(format!("missing {k}=...")))
    }

    fn opt(&self, k: &str) -> Option<String> {
        self.get(k).map(str::to_owned)
    }

    fn money(&self, k: &str) -> Result<Money, Failure> {
        Money::parse_yuan(self.need(k)?).map_err(|e| Failure::Usage(format!("{k}: {e}")))
    }

    fn opt_money(&self, k: &str) -> Result<Option<Money>, Failure> {
        self.get(k).map(|_| self.money(k)).transpose()
    }
}

fn describe(op: &Op, method: Option<Method>) -> String {
    match method {
        Some(m) => format!("{} with method={}", op.name, m.name()),
        None => op.name.to_owned(),
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
pub fn error_json(e: &payhub::Error) -> Value {
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
        body["retryable"] = Value::Bool(retryable);
    }
    serde_json::json!({ "error": body })
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Failure> {
    let p = Provider::from(args.provider);
    let op = args.operation.0;
    // The command line first: a wrong field is reported before any file is read.
    let fields = Fields::check(op, &args.fields)?;
    let text = std::fs::read_to_string(&args.config).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("no such file {}", args.config),
        _ => format!("cannot read {}: {e}", args.config),
    })?;
    let mut doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{}: {e}", args.config))?;
    let section = doc
        .get_mut(p.as_str())
        .and_then(|v| v.as_table_mut())
        .ok_or_else(|| format!("{} has no [{p}] section", args.config))?;
    let section = match &args.account {
        None => section,
        Some(name) => section
            .get_mut("accounts")
            .and_then(|v| v.as_table_mut())
            .and_then(|a| a.get_mut(name.as_str()))
            .and_then(|v| v.as_table_mut())
            .ok_or_else(|| format!("{} has no [{p}.accounts.{name}] section", args.config))?,
    };
    if let Some(base) = args.base_url {
        section.remove("environment");
        section.insert("base_url".into(), toml::Value::String(base));
    }
    // Only the provider called: the others may not have their secrets in this environment.
    let only: toml::Table = doc
        .into_iter()
        .filter(|(k, _)| k == p.as_str() || k == "notify")
        .collect();
    // A configuration that cannot build the hub is not a call: exit 1.
    let hub = Hub::from_toml_str(&only.to_string())
        .map_err(|e| Failure::Other(format!("{}: {e}", args.config)))?;
    let account = hub.account(
        p,
        args.account
            .as_deref()
            .unwrap_or(payhub::account::DEFAULT_ACCOUNT),
    )?;
    let out = (op.run)(&account, &fields).await?;
    crate::output::print_json(&out);
    Ok(())
}
