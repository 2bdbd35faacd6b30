//! The webhook BeeCloud POSTs after a payment or refund is confirmed (JSON body), in the two
//! documented signature schemes.
//!
//! - [`WebhookScheme::V1`], the scheme of beecloud.md's time (the 2015 webhook guide):
//!   camelCase fields `sign, timestamp, channelType, transactionType, transactionId,
//!   transactionFee, tradeSuccess, messageDetail, optional`, and
//!   `sign = md5(appId + appSecret + timestamp)`, 32 lowercase hex.
//! - [`WebhookScheme::V2`], the later scheme (BeeCloud's SDK demos after the fix): snake_case
//!   fields, `signature = md5(app_id + transaction_id + transaction_type + channel_type +
//!   transaction_fee + master_secret)` with the fee written as an integer of fen.
//!
//! Both are verified over the values exactly as received in the raw body (never a re-serialised
//! struct), and a typed [`WebhookEvent`] exists only inside a [`Verified`].
//!
//! ## What the signatures cover (and what they do not)
//!
//! | field | V1 signed | V2 signed |
//! |---|---|---|
//! | `timestamp` | yes | **no** |
//! | `transaction_id`, `transaction_type`, `channel_type`, `transaction_fee` | **no** | yes |
//! | `trade_success` | **no** | **no** |
//! | `sub_channel_type`, `optional`, `message_detail` | **no** | **no** |
//!
//! So a verified webhook does NOT prove a payment:
//! - **V1** signs only `appId + appSecret + timestamp`. One captured webhook's `(timestamp,
//!   sign)` pair lets anyone forge a "verified" paid event for any transaction id and any fee
//!   while the timestamp is inside the window.
//! - **V2** does not sign `trade_success` nor `timestamp`: a captured webhook with
//!   `trade_success = false` can be flipped to `true`, and it can be replayed with a fresh
//!   timestamp, so the timestamp window is no replay defence under V2.
//!
//! Before fulfilling an order, confirm the payment with [`crate::Client::confirm_payment`],
//! which queries the bill (§4) and checks that BeeCloud reports it paid with the notified fee.
//! This is **required under V1** and **recommended under V2** (the only payment field V2 leaves
//! unsigned is `trade_success`, which the query settles). [`WebhookEvent::claims_paid`] is only
//! what the webhook says. Also compare the fee with the merchant's own order
//! ([`WebhookEvent::check_amount`]).
//!
//! Answer [`ACK`] (`success`) once the event is handled; anything else makes BeeCloud resend
//! it (after 1, 2, 4 … 2^17 s, about 36 hours). The same event may arrive more than once:
//! handle the first success of a bill and ignore the repeats.

use crate::clock::{Clock, SystemClock, unix_millis};
use crate::error::NotifyError;
use crate::model::{BillRecord, Channel};
use paysig::md5::{CaseCheck, HexCase, verify_hex};
use paysig::rawjson::{RawJsonError, RawObject};
use paysig::{ExposeSecret, Money, SecretString, SignError, Verified};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The acknowledgement body: BeeCloud stops resending on exactly this string.
pub const ACK: &str = "success";

/// The signature scheme, with the secret it uses.
#[derive(Debug, Clone)]
pub enum WebhookScheme {
    /// camelCase body, `sign = md5(appId + appSecret + timestamp)`.
    V1 {
        /// The App Secret.
        app_secret: SecretString,
    },
    /// snake_case body, `signature = md5(app_id + transaction_id + transaction_type +
    /// channel_type + transaction_fee + master_secret)`.
    V2 {
        /// The Master Secret.
        master_secret: SecretString,
    },
}

/// Whether and how the webhook's `timestamp` (BeeCloud's clock, ms) is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampCheck {
    /// Refuse a webhook whose timestamp is further than this from the receiver's clock, in
    /// either direction. Required for V1, whose signature covers nothing else (and even then
    /// a captured `(timestamp, sign)` pair can be reused inside the window). Under V2 the
    /// timestamp is not signed, so this only drops stale honest messages: it is no replay
    /// defence.
    Within(Duration),
    /// Do not check (and do not require) the timestamp. Only sensible for V2, whose signature
    /// does not cover the timestamp anyway; that V2 webhooks carry one is an inference from
    /// BeeCloud's SDK demos.
    Skip,
}

/// How webhooks are verified.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The scheme and its secret.
    pub scheme: WebhookScheme,
    /// The timestamp check.
    pub timestamp: TimestampCheck,
}

impl WebhookConfig {
    /// The default window: 5 minutes either way.
    pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

    /// V1 with the default window.
    pub fn v1(app_secret: impl Into<String>) -> Self {
        WebhookConfig {
            scheme: WebhookScheme::V1 {
                app_secret: SecretString::from(app_secret.into()),
            },
            timestamp: TimestampCheck::Within(Self::DEFAULT_TOLERANCE),
        }
    }

    /// V2 with the default window.
    pub fn v2(master_secret: impl Into<String>) -> Self {
        WebhookConfig {
            scheme: WebhookScheme::V2 {
                master_secret: SecretString::from(master_secret.into()),
            },
            timestamp: TimestampCheck::Within(Self::DEFAULT_TOLERANCE),
        }
    }

    /// Replaces the timestamp check.
    pub fn timestamp_check(mut self, check: TimestampCheck) -> Self {
        self.timestamp = check;
        self
    }
}

/// `transactionType` / `transaction_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionType {
    /// `PAY`: 支付的结果确认, a payment result.
    Pay,
    /// `REFUND`: 退款的结果确认, a refund result.
    Refund,
    /// Anything else, kept as received.
    Unknown(String),
}

impl TransactionType {
    fn from_wire(raw: &str) -> Self {
        match raw {
            "PAY" => Self::Pay,
            "REFUND" => Self::Refund,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// Which scheme a verified event came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeVersion {
    /// camelCase, `sign`.
    V1,
    /// snake_case, `signature`.
    V2,
}

/// A webhook whose signature verified, as BeeCloud sent it.
///
/// **A verified signature is not a verified payment.** Each field says whether the scheme it
/// came in signs it; an unsigned field may have been changed by anyone who captured a webhook
/// (see the [module documentation](self)). Confirm a payment with
/// [`crate::Client::confirm_payment`] before fulfilling: required under V1, recommended under
/// V2.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The scheme it came in (the verifier's configuration, not read from the body).
    pub scheme: SchemeVersion,
    /// `transactionType` / `transaction_type`: payment or refund.
    /// Signed: V1 **no**, V2 yes.
    pub transaction_type: TransactionType,
    /// `channelType` / `channel_type`: WX, ALI, UN (and later providers as `Unknown`).
    /// Signed: V1 **no**, V2 yes.
    pub channel_type: Channel,
    /// `sub_channel_type` (V2 only): e.g. WX_APP. Signed: **no**.
    pub sub_channel_type: Option<Channel>,
    /// The bill's `bill_no` for a payment, the refund's `refund_no` for a refund.
    /// Signed: V1 **no**, V2 yes.
    pub transaction_id: String,
    /// The bill's `total_fee` or the refund's `refund_fee`. Signed: V1 **no**, V2 yes.
    pub transaction_fee: Money,
    /// `tradeSuccess` / `trade_success`: `true` claims the payment succeeded; `false` does NOT
    /// mean it failed (a `true` message may follow). Absent on some messages.
    /// Signed: **no, in neither scheme**: never fulfil on it alone.
    pub trade_success: Option<bool>,
    /// `timestamp`: BeeCloud's clock when sending, ms. Signed: V1 yes, V2 **no**.
    pub timestamp_ms: Option<i64>,
    /// `optional`: the merchant's data given with the bill or refund, as received.
    /// Signed: **no**.
    pub optional: Option<Value>,
    /// `messageDetail` / `message_detail`: the channel's own notification, as received.
    /// Signed: **no**.
    pub message_detail: Option<Value>,
}

impl WebhookEvent {
    /// What the webhook CLAIMS: a payment whose `trade_success` is `true`. Not a verified
    /// payment: `trade_success` is signed by neither scheme, and under V1 neither are the
    /// transaction type, id and fee. Use [`crate::Client::confirm_payment`] to learn whether
    /// the bill is paid.
    pub fn claims_paid(&self) -> bool {
        self.transaction_type == TransactionType::Pay && self.trade_success == Some(true)
    }

    /// The wire names of the body fields this event's scheme signs (besides the app id and
    /// the secret): `["timestamp"]` for V1; `transaction_id`, `transaction_type`,
    /// `channel_type` and `transaction_fee` for V2. Every other field is unsigned.
    pub fn signed_fields(&self) -> &'static [&'static str] {
        match self.scheme {
            SchemeVersion::V1 => &["timestamp"],
            SchemeVersion::V2 => &[
                "transaction_id",
                "transaction_type",
                "channel_type",
                "transaction_fee",
            ],
        }
    }

    /// Checks the notified amount against the merchant's own record of the order. Under V1
    /// the fee is unsigned, so this alone does not catch a forgery that copies the order's
    /// amount: confirm with [`crate::Client::confirm_payment`].
    pub fn check_amount(&self, expected: Money) -> Result<(), NotifyError> {
        if self.transaction_fee == expected {
            Ok(())
        } else {
            Err(NotifyError::AmountMismatch {
                expected,
                got: self.transaction_fee,
            })
        }
    }
}

/// A payment webhook confirmed by a bill query ([`crate::Client::confirm_payment`]): BeeCloud
/// reports the bill paid (`spay_result = true`) with the notified fee. Only the crate builds
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfirmedPayment {
    /// The bill's `bill_no` (the webhook's `transaction_id`).
    pub bill_no: String,
    /// The bill's `total_fee` as queried (equal to the notified fee).
    pub total_fee: Money,
    /// The bill's channel as queried (e.g. `WX_NATIVE`).
    pub channel: Channel,
    /// The bill's `created_time`, ms since the epoch.
    pub created_time: i64,
}

impl ConfirmedPayment {
    pub(crate) fn new(bill: BillRecord) -> Self {
        ConfirmedPayment {
            bill_no: bill.bill_no,
            total_fee: bill.total_fee,
            channel: bill.channel,
            created_time: bill.created_time,
        }
    }
}

/// Why [`crate::Client::confirm_payment`] did not confirm a webhook (inside
/// [`crate::Error::Unconfirmed`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unconfirmed {
    /// The webhook is not a payment (`transaction_type` is not `PAY`).
    #[error("the webhook is not a payment but {0:?}")]
    NotAPayment(TransactionType),
    /// The bill query (§4) lists no bill with this `bill_no` in the webhook's channel.
    #[error("no bill with this bill_no in channel {channel}")]
    NoBill {
        /// The channel queried (the webhook's `channel_type`).
        channel: String,
    },
    /// The bill exists but BeeCloud reports it unpaid (`spay_result = false`), whatever the
    /// webhook's `trade_success` says.
    #[error("the bill is not paid (spay_result = false)")]
    NotPaid,
    /// The bill is paid, but for another amount than the webhook's fee.
    #[error("the webhook's fee {notified} differs from the bill's total_fee {billed}")]
    FeeMismatch {
        /// The webhook's `transaction_fee`.
        notified: Money,
        /// The queried bill's `total_fee`.
        billed: Money,
    },
}

/// Verifies webhooks for one app.
///
/// ```
/// use beecloud::notify::{Webhook, WebhookConfig};
/// let hook = Webhook::new("my-app-id", WebhookConfig::v2("master-secret"));
/// assert!(hook.verify(br#"{"transaction_id":"1"}"#).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Webhook {
    app_id: String,
    config: WebhookConfig,
    clock: Arc<dyn Clock>,
}

impl Webhook {
    /// A verifier on the system clock.
    pub fn new(app_id: impl Into<String>, config: WebhookConfig) -> Self {
        Webhook {
            app_id: app_id.into(),
            config,
            clock: Arc::new(SystemClock),
        }
    }

    /// The verification settings (scheme and timestamp window).
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// Replaces the clock (tests, replays).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Verifies the raw body against the configured clock.
    pub fn verify(&self, body: &[u8]) -> Result<Verified<WebhookEvent>, NotifyError> {
        self.verify_at(body, self.clock.now())
    }

    /// Verifies the raw body as if received at `now`.
    pub fn verify_at(
        &self,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<Verified<WebhookEvent>, NotifyError> {
        // Refuses a repeated member: which copy was signed would be ambiguous.
        let raw = RawObject::parse(body).map_err(|e| match e {
            RawJsonError::DuplicateKey { name } => NotifyError::DuplicateField { field: name },
            RawJsonError::Malformed { reason } => NotifyError::Malformed { reason },
        })?;
        let names = match self.config.scheme {
            WebhookScheme::V1 { .. } => &V1_NAMES,
            WebhookScheme::V2 { .. } => &V2_NAMES,
        };
        let verified = match &self.config.scheme {
            WebhookScheme::V1 { app_secret } => {
                let sign = signature(&raw, names.sign)?;
                let timestamp = required(&raw, names.timestamp)?;
                let ts = integer_text(timestamp, names.timestamp)?;
                let message = format!("{}{}{ts}", self.app_id, app_secret.expose_secret());
                verify_hex(
                    raw,
                    message.as_bytes(),
                    &sign,
                    CaseCheck::Insensitive,
                    HexCase::Lower,
                )?
            }
            WebhookScheme::V2 { master_secret } => {
                let sign = signature(&raw, names.sign)?;
                let id = text(required(&raw, names.transaction_id)?, names.transaction_id)?;
                let ty = text(
                    required(&raw, names.transaction_type)?,
                    names.transaction_type,
                )?;
                let ch = text(required(&raw, names.channel_type)?, names.channel_type)?;
                let fee = integer_text(
                    required(&raw, names.transaction_fee)?,
                    names.transaction_fee,
                )?;
                let message = format!(
                    "{}{id}{ty}{ch}{fee}{}",
                    self.app_id,
                    master_secret.expose_secret()
                );
                verify_hex(
                    raw,
                    message.as_bytes(),
                    &sign,
                    CaseCheck::Insensitive,
                    HexCase::Lower,
                )?
            }
        };
        verified.try_map(|raw| self.event(raw, names, now))
    }

    fn event(
        &self,
        raw: RawObject,
        names: &Names,
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, NotifyError> {
        if let Some(id) = raw.get(names.app_id) {
            let id = text(id, names.app_id)?;
            if id != self.app_id {
                return Err(NotifyError::AppIdMismatch { got: id });
            }
        }
        let timestamp_ms = match raw.get(names.timestamp) {
            Some(v) => Some(parse_i64(
                &integer_text(v, names.timestamp)?,
                names.timestamp,
            )?),
            None => None,
        };
        if let TimestampCheck::Within(tolerance) = self.config.timestamp {
            let ts = timestamp_ms.ok_or(NotifyError::MissingField {
                field: names.timestamp,
            })?;
            let tolerance_ms = i64::try_from(tolerance.as_millis()).unwrap_or(i64::MAX);
            let skew_ms = unix_millis(now).saturating_sub(ts).saturating_abs();
            if skew_ms > tolerance_ms {
                return Err(NotifyError::Stale {
                    timestamp_ms: ts,
                    skew_ms,
                    tolerance_ms,
                });
            }
        }
        let fee_text = integer_text(
            required(&raw, names.transaction_fee)?,
            names.transaction_fee,
        )?;
        let transaction_fee =
            Money::parse_fen(&fee_text).map_err(|e| NotifyError::InvalidField {
                field: names.transaction_fee,
                reason: e.to_string(),
            })?;
        let trade_success = match raw.get(names.trade_success) {
            Some(v) => Some(
                crate::model::read_bool(v).map_err(|e| NotifyError::InvalidField {
                    field: names.trade_success,
                    reason: e.to_string(),
                })?,
            ),
            None => None,
        };
        let sub_channel_type = match raw.get("sub_channel_type") {
            Some(v) => Some(Channel::from_wire(&text(v, "sub_channel_type")?)),
            None => None,
        };
        Ok(WebhookEvent {
            scheme: names.version,
            transaction_type: TransactionType::from_wire(&text(
                required(&raw, names.transaction_type)?,
                names.transaction_type,
            )?),
            channel_type: Channel::from_wire(&text(
                required(&raw, names.channel_type)?,
                names.channel_type,
            )?),
            sub_channel_type,
            transaction_id: text(required(&raw, names.transaction_id)?, names.transaction_id)?,
            transaction_fee,
            trade_success,
            timestamp_ms,
            optional: raw.get(names.optional).cloned(),
            message_detail: raw.get(names.message_detail).cloned(),
        })
    }
}

/// The field names of one scheme.
struct Names {
    version: SchemeVersion,
    sign: &'static str,
    app_id: &'static str,
    timestamp: &'static str,
    channel_type: &'static str,
    transaction_type: &'static str,
    transaction_id: &'static str,
    transaction_fee: &'static str,
    trade_success: &'static str,
    message_detail: &'static str,
    optional: &'static str,
}

const V1_NAMES: Names = Names {
    version: SchemeVersion::V1,
    sign: "sign",
    app_id: "appId",
    timestamp: "timestamp",
    channel_type: "channelType",
    transaction_type: "transactionType",
    transaction_id: "transactionId",
    transaction_fee: "transactionFee",
    trade_success: "tradeSuccess",
    message_detail: "messageDetail",
    optional: "optional",
};

const V2_NAMES: Names = Names {
    version: SchemeVersion::V2,
    sign: "signature",
    app_id: "app_id",
    timestamp: "timestamp",
    channel_type: "channel_type",
    transaction_type: "transaction_type",
    transaction_id: "transaction_id",
    transaction_fee: "transaction_fee",
    trade_success: "trade_success",
    message_detail: "message_detail",
    optional: "optional",
};

fn signature(raw: &RawObject, field: &str) -> Result<String, NotifyError> {
    match raw.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | None => Err(NotifyError::Signature(SignError::MissingSignature {
            field: field.to_owned(),
        })),
        Some(_) => Err(NotifyError::Signature(SignError::BadEncoding {
            encoding: "hex",
        })),
    }
}

/// A string field; a number is accepted and written in decimal (the senders are loose).
fn text(v: &Value, field: &'static str) -> Result<String, NotifyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(NotifyError::InvalidField {
            field,
            reason: "is not a string".into(),
        }),
    }
}

/// An integer field as the decimal digits the signer hashed: a JSON integer, an integral
/// float (`1.0` is written `1`, "the fee formatted as an integer"), or a digit string.
fn integer_text(v: &Value, field: &'static str) -> Result<String, NotifyError> {
    let bad = |reason: &str| NotifyError::InvalidField {
        field,
        reason: reason.into(),
    };
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(u.to_string())
            } else if n.as_i64().is_some() {
                Err(bad("is negative"))
            } else {
                match n.as_f64() {
                    Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => Ok(format!("{f:.0}")),
                    _ => Err(bad("is not a non-negative integer")),
                }
            }
        }
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Ok(s.clone()),
        _ => Err(bad("is not a non-negative integer")),
    }
}

fn parse_i64(digits: &str, field: &'static str) -> Result<i64, NotifyError> {
    digits.parse().map_err(|_| NotifyError::InvalidField {
        field,
        reason: "is out of range".into(),
    })
}

/// A required member of the raw body (`null` counts as absent).
fn required<'a>(raw: &'a RawObject, name: &'static str) -> Result<&'a Value, NotifyError> {
    raw.get(name)
        .ok_or(NotifyError::MissingField { field: name })
}
