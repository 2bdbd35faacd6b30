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
//! its JSON text; `param`, when absent, is signed as empty. Fields outside the seven are not
//! covered by the signature and are not read.

use crate::NotifyError;
use crate::model::{NotifyState, QueryOrderResponse};
use paysig::md5::{HexCase, KeySuffix};
use paysig::rawjson::{RawJsonError, RawObject};
use paysig::{CanonicalRules, Md5Signer, Money, Params, SecretString, Verified};
use serde_json::Value;

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
    pub fn ensure_amount(&self, expected: Money) -> Result<(), NotifyError> {
        ensure_amount(expected, self.money)
    }
}

fn ensure_amount(expected: Money, got: Money) -> Result<(), NotifyError> {
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
    pub fn ensure_amount(&self, expected: Money) -> Result<(), NotifyError> {
        ensure_amount(expected, self.money)
    }
}

/// Reads the body into raw pairs, refusing duplicates, nesting and non-objects.
pub fn parse_pairs(body: &[u8]) -> Result<Params, NotifyError> {
    let raw = RawObject::parse(body).map_err(|e| match e {
        RawJsonError::DuplicateKey { name } => NotifyError::DuplicateField { field: name },
        RawJsonError::Malformed { reason } => NotifyError::Malformed { reason },
    })?;
    let mut params = Params::new();
    for (k, v) in raw.iter() {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            Value::Number(n) => n.to_string(),
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

/// The inferred notify signer: the fixed field order of [`SIGNED_FIELDS`], `&key=<secret>`,
/// MD5, lowercase hex, verified case-insensitively.
pub fn signer() -> Md5Signer {
    Md5Signer::new(
        CanonicalRules::fixed(SIGNED_FIELDS),
        KeySuffix::key_param(),
        HexCase::Lower,
    )
    .case_insensitive()
}

/// Verifies a notify body with the merchant secret (inferred scheme, see the module docs).
pub fn verify(body: &[u8], secret: &SecretString) -> Result<Verified<Notification>, NotifyError> {
    let mut params = parse_pairs(body)?;
    if params.get("param").is_none() {
        params.push("param", "");
    }
    let verified = signer().verify_field(params, "sign", secret)?;
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
        param: required(p, "param")?,
        state,
    })
}

/// Signs notify fields the way Mifeng is inferred to (for tests and local simulators).
pub fn sign(params: &Params, secret: &SecretString) -> Result<String, NotifyError> {
    Ok(signer().sign(params, secret)?)
}
