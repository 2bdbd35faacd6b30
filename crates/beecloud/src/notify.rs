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
//! **V1 signs only the timestamp.** Anyone who captured one V1 webhook can change its fee,
//! transaction id or success flag and it still verifies while its timestamp is inside the
//! window. Keep the window short, always compare the amount with [`WebhookEvent::check_amount`],
//! and under V1 confirm a payment with [`crate::Client::bills`] before shipping goods.
//!
//! Answer [`ACK`] (`success`) once the event is handled; anything else makes BeeCloud resend
//! it (after 1, 2, 4 … 2^17 s, about 36 hours). The same event may arrive more than once:
//! handle the first success of a bill and ignore the repeats.

use crate::clock::{Clock, SystemClock, unix_millis};
use crate::error::NotifyError;
use crate::model::Channel;
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
    /// either direction. Required for V1, whose signature covers nothing else.
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

/// A verified webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The scheme it came in.
    pub scheme: SchemeVersion,
    /// Payment or refund.
    pub transaction_type: TransactionType,
    /// `channelType` / `channel_type`: WX, ALI, UN (and later providers as `Unknown`).
    pub channel_type: Channel,
    /// `sub_channel_type` (V2 only): e.g. WX_APP.
    pub sub_channel_type: Option<Channel>,
    /// The bill's `bill_no` for a payment, the refund's `refund_no` for a refund.
    pub transaction_id: String,
    /// The bill's `total_fee` or the refund's `refund_fee`.
    pub transaction_fee: Money,
    /// `tradeSuccess` / `trade_success`: `true` means the payment succeeded; `false` does NOT
    /// mean it failed (a `true` message may follow). Absent on some messages.
    pub trade_success: Option<bool>,
    /// `timestamp`: BeeCloud's clock when sending, ms.
    pub timestamp_ms: Option<i64>,
    /// `optional`: the merchant's data given with the bill or refund, as received.
    pub optional: Option<Value>,
    /// `messageDetail` / `message_detail`: the channel's own notification, as received.
    pub message_detail: Option<Value>,
}

impl WebhookEvent {
    /// True only for a payment whose `trade_success` is `true`.
    pub fn is_paid(&self) -> bool {
        self.transaction_type == TransactionType::Pay && self.trade_success == Some(true)
    }

    /// Checks the notified amount against the merchant's own record of the order.
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
