//! 异步通知: the payment notification.
//!
//! **The scheme is inferred, not confirmed for Mifeng.** mifeng.md lists 异步通知 in its table
//! of contents but the section is missing. What follows comes from a document of the same
//! platform template (same endpoints, same 2-hour newest-only token, same 20 calls/s rule):
//!
//! - Mifeng POSTs a JSON object with `mch_id, money, notify_time, order_no, out_order_no,
//!   param, state, sign`;
//! - `sign = md5("mch_id=..&money=..&notify_time=..&order_no=..&out_order_no=..&param=..&state=..&key=<secret>")`,
//!   lowercase hex, the fields in that fixed order (not sorted), values as received;
//! - the merchant answers [`ACK`] (`SUCCESS`);
//! - `state`: 1 no code yet, 2 awaiting payment, 3 paid, 4 failed ([`NotifyState`]).
//!
//! Because it is not confirmed, [`crate::Client::handle_notify`] by default also queries the
//! order (an authenticated call) and trusts the queried state and amount; see
//! [`crate::NotifyTrust`] to choose signature only or query only.
//!
//! The signature is checked over the raw values received: a field that appears twice, a nested
//! value or a body that is not a JSON object is refused before any check. A number is signed as
//! the exact text received (`"money":1000.00` as `1000.00`, not re-rendered as `1000.0`).
//! What an absent `param` means for the signature is not known either; [`AbsentParam`] chooses
//! (signed as empty by default). Fields outside the seven are not covered by the signature and
//! are not read.
//!
//! A notify is accepted only if its signed string has **one reading**: the string is not
//! escaped, so a signed value holding `&` is refused ([`NotifyError::Ambiguous`]) before the
//! signature is checked. A body over the reader's limit (64 KiB by default,
//! [`crate::Config::notify_body_limit`]) is refused before it is parsed
//! ([`NotifyError::BodyTooLarge`]).

// Defined in `config`, which holds the choice; kept here too, where it has always been public.
use crate::NotifyError;
pub use crate::config::AbsentParam;
use crate::model::{NotifyState, QueryOrderResponse};
use paysig::limit::{DEFAULT_NOTIFY_BODY_LIMIT, check_body_len};
use paysig::md5::{HexCase, KeySuffix};
use paysig::rawjson::{RawJsonError, RawObject};
use paysig::{CanonicalRules, Md5Signer, Money, Params, SecretString, Verified};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// The body to answer a notify with once it is handled (inferred, see the module docs).
pub const ACK: &str = "SUCCESS";

/// The signed fields, in signing order (inferred).
pub const SIGNED_FIELDS: [&str; 7] = [
    "mch_id",
    "money",
    "notify_time",
    "order_no",
    "out_order_no",
    "param",
    "state",
];

/// A notify whose signature was checked: only exists as `Verified<Notification>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// 商户编号.
    pub mch_id: String,
    /// The order amount.
    pub money: Money,
    /// When Mifeng sent it, as received.
    pub notify_time: String,
    /// Mifeng's order number.
    pub order_no: String,
    /// The merchant's order number.
    pub out_order_no: String,
    /// The pass-through `param` of the order.
    pub param: String,
    /// The state (inferred numbering).
    pub state: NotifyState,
}

impl Notification {
    /// Fails with [`NotifyError::AmountMismatch`] unless `money` is `expected`.
    pub fn check_amount(&self, expected: Money) -> Result<(), NotifyError> {
        check_amount(expected, self.money)
    }
}

fn check_amount(expected: Money, got: Money) -> Result<(), NotifyError> {
    if expected == got {
        Ok(())
    } else {
        Err(NotifyError::AmountMismatch { expected, got })
    }
}

/// What [`crate::Client::handle_notify`] concluded, from the sources [`crate::NotifyTrust`]
/// allows.
#[derive(Debug, Clone)]
pub struct NotifyOutcome {
    /// Mifeng's order number.
    pub order_no: String,
    /// The merchant's order number.
    pub out_order_no: String,
    /// Whether the order is paid: by the queried state when a query was made, otherwise by the
    /// signed state.
    pub paid: bool,
    /// The order amount, from the same source as `paid`.
    pub money: Money,
    /// The signed notify, when the signature was checked.
    pub signed: Option<Verified<Notification>>,
    /// The queried order, when it was queried.
    pub queried: Option<QueryOrderResponse>,
}

impl NotifyOutcome {
    /// Fails with [`NotifyError::AmountMismatch`] unless the trusted amount is `expected`.
    /// Call it before fulfilling the order.
    pub fn check_amount(&self, expected: Money) -> Result<(), NotifyError> {
        check_amount(expected, self.money)
    }
}

/// Reads the body into raw pairs, refusing a body over [`DEFAULT_NOTIFY_BODY_LIMIT`],
/// duplicates, nesting and non-objects.
pub fn parse_pairs(body: &[u8]) -> Result<Params, NotifyError> {
    parse_pairs_limited(body, DEFAULT_NOTIFY_BODY_LIMIT)
}

/// As [`parse_pairs`], refusing a body longer than `body_limit` bytes before reading any of it
/// ([`NotifyError::BodyTooLarge`]).
pub fn parse_pairs_limited(body: &[u8], body_limit: usize) -> Result<Params, NotifyError> {
    check_body_len(body, body_limit)?;
    let raw = RawObject::parse(body).map_err(|e| match e {
        RawJsonError::DuplicateKey { name } => NotifyError::DuplicateField { field: name },
        RawJsonError::Malformed { reason } => NotifyError::Malformed { reason },
    })?;
    // The members' text as received, for numbers: serde_json would re-render 1000.00 as
    // 1000.0, and the signature covers what Mifeng wrote. No duplicates at this point.
    let texts: HashMap<String, Box<RawValue>> =
        serde_json::from_slice(body).map_err(|e| NotifyError::Malformed {
            reason: e.to_string(),
        })?;
    let mut params = Params::new();
    for (k, v) in raw.iter() {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            Value::Number(n) => texts
                .get(k)
                .map_or_else(|| n.to_string(), |t| t.get().to_owned()),
            Value::Bool(b) => b.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(NotifyError::BadValue {
                    field: k.to_owned(),
                    reason: "nested values are not signed values".into(),
                });
            }
        };
        params.push(k, text);
    }
    Ok(params)
}

/// The signed fields in order, `param` included or not.
fn rules(with_param: bool) -> CanonicalRules {
    CanonicalRules::fixed(
        SIGNED_FIELDS
            .into_iter()
            .filter(move |f| with_param || *f != "param"),
    )
}

fn signer_for(rules: CanonicalRules) -> Md5Signer {
    Md5Signer::new(rules, KeySuffix::key_param(), HexCase::Lower).case_insensitive()
}

/// The inferred notify signer: the fixed field order of [`SIGNED_FIELDS`], `&key=<secret>`,
/// MD5, lowercase hex, verified case-insensitively.
///
/// It signs whatever it is given; [`verify_notify`] additionally refuses a notify whose signed string
/// has another reading ([`NotifyError::Ambiguous`]).
pub fn signer() -> Md5Signer {
    signer_for(rules(true))
}

/// Verifies a notify body with the merchant secret (inferred scheme, see the module docs),
/// an absent `param` signed as empty ([`AbsentParam::SignedAsEmpty`]) and a body limit of
/// [`DEFAULT_NOTIFY_BODY_LIMIT`].
pub fn verify_notify(
    body: &[u8],
    secret: &SecretString,
) -> Result<Verified<Notification>, NotifyError> {
    verify_notify_with(body, secret, AbsentParam::default())
}

/// As [`verify_notify`], with the treatment of an absent `param` chosen by `absent`.
pub fn verify_notify_with(
    body: &[u8],
    secret: &SecretString,
    absent: AbsentParam,
) -> Result<Verified<Notification>, NotifyError> {
    verify_notify_limited(body, secret, absent, DEFAULT_NOTIFY_BODY_LIMIT)
}

/// As [`verify_notify_with`], refusing a body longer than `body_limit` bytes before parsing it.
///
/// The signed string `mch_id=..&money=..&..&state=..` is not escaped, so it is accepted only
/// if it reads back into exactly the fields received: a signed value holding `&` is refused
/// with [`NotifyError::Ambiguous`] naming the field, before the signature is checked. (Without
/// that, `out_order_no = "X&param=P"` with no `param` member signs, under
/// [`AbsentParam::NotSigned`], exactly as `out_order_no = "X"`, `param = "P"`.)
///
/// ```
/// use mifeng::notify::{self, AbsentParam};
/// use mifeng::NotifyError;
/// use paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT;
/// use paysig::{Params, SecretString};
///
/// let secret = SecretString::from("merchant-secret");
/// let fields = Params::new()
///     .with("mch_id", "10086")
///     .with("money", "10.00")
///     .with("notify_time", "2022-07-25 20:41:01")
///     .with("order_no", "202204157885214563228")
///     .with("out_order_no", "X&param=P")
///     .with("param", "")
///     .with("state", "3");
/// let sign = notify::sign(&fields, &secret).unwrap();
/// let mut body = serde_json::Map::new();
/// for (k, v) in fields.iter() {
///     body.insert(k.to_owned(), v.into());
/// }
/// body.insert("sign".into(), sign.into());
/// let body = serde_json::to_vec(&body).unwrap();
/// let refused = notify::verify_notify_limited(&body, &secret, AbsentParam::SignedAsEmpty, DEFAULT_NOTIFY_BODY_LIMIT);
/// assert_eq!(refused.unwrap_err(), NotifyError::Ambiguous { field: "out_order_no".into() });
/// ```
pub fn verify_notify_limited(
    body: &[u8],
    secret: &SecretString,
    absent: AbsentParam,
    body_limit: usize,
) -> Result<Verified<Notification>, NotifyError> {
    let mut params = parse_pairs_limited(body, body_limit)?;
    let with_param = if params.get("param").is_some() {
        true
    } else {
        match absent {
            AbsentParam::SignedAsEmpty => {
                params.push("param", "");
                true
            }
            AbsentParam::NotSigned => false,
            AbsentParam::Refused => {
                return Err(NotifyError::MissingField {
                    field: "param".into(),
                });
            }
        }
    };
    let rules = rules(with_param);
    // One reading: the string the signature covers must split back into these fields.
    rules.build_unambiguous(&params)?;
    let verified = signer_for(rules).verify_field(params, "sign", secret)?;
    verified.try_map(|p| notification(&p))
}

fn required(p: &Params, field: &str) -> Result<String, NotifyError> {
    p.get(field)
        .map(str::to_owned)
        .ok_or_else(|| NotifyError::MissingField {
            field: field.into(),
        })
}

fn notification(p: &Params) -> Result<Notification, NotifyError> {
    let money = Money::parse_yuan(&required(p, "money")?).map_err(|e| NotifyError::BadValue {
        field: "money".into(),
        reason: e.to_string(),
    })?;
    let state_text = required(p, "state")?;
    let state = state_text
        .parse::<i64>()
        .map(NotifyState::from)
        .map_err(|_| NotifyError::BadValue {
            field: "state".into(),
            reason: format!("{state_text:?} is not an integer"),
        })?;
    Ok(Notification {
        mch_id: required(p, "mch_id")?,
        money,
        notify_time: required(p, "notify_time")?,
        order_no: required(p, "order_no")?,
        out_order_no: required(p, "out_order_no")?,
        // Present unless AbsentParam::NotSigned let it be absent.
        param: p.get("param").unwrap_or_default().to_owned(),
        state,
    })
}

/// Signs notify fields the way Mifeng is inferred to (for tests and local simulators).
pub fn sign(params: &Params, secret: &SecretString) -> Result<String, NotifyError> {
    Ok(signer().sign(params, secret)?)
}
