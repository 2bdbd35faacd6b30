//! The webhook BeeCloud POSTs after a payment or refund is confirmed (JSON body), in the three
//! signature schemes BeeCloud used.
//!
//! - [`WebhookScheme::V1`], the scheme of beecloud.md's time (the 2015 webhook guide):
//!   camelCase fields `sign, timestamp, channelType, transactionType, transactionId,
//!   transactionFee, tradeSuccess, messageDetail, optional`, and
//!   `sign = md5(appId + appSecret + timestamp)`, 32 lowercase hex.
//! - [`WebhookScheme::V1Snake`], in force from October 2015 to January 2017 (the
//!   beecloud-webhook README of that time, beecloud-php `demo/webhook.php`): snake_case fields
//!   `sign, timestamp, channel_type, sub_channel_type, transaction_type, transaction_id,
//!   transaction_fee, trade_success, message_detail, optional` and V1's signature
//!   `sign = md5(app_id + app_secret + timestamp)`. An app in test mode signs the same way
//!   with its Test Secret ([`AppMode::Test`]).
//! - [`WebhookScheme::V2`], the later scheme (BeeCloud's SDK demos after the fix): snake_case
//!   fields, `signature = md5(app_id + transaction_id + transaction_type + channel_type +
//!   transaction_fee + master_secret)` with the fee written as an integer of fen.
//!
//! All are verified over the values exactly as received in the raw body (never a re-serialised
//! struct), and a typed [`Notification`] exists only inside a [`Verified`]. A body longer than
//! [`WebhookConfig::body_limit`] (64 KiB by default) is refused before it is parsed
//! ([`NotifyError::BodyTooLarge`]).
//!
//! ## One reading: the grammar of each field
//!
//! A signature only proves something if the signed string has one reading: the fields
//! received. V2 joins its fields with no separator, so without rules on each field characters
//! could move across a boundary (`channel_type:"WX1", transaction_fee:0` signs the same string
//! as `channel_type:"WX", transaction_fee:10`). Every field is therefore read by a closed
//! grammar ([`grammar`]), in every scheme:
//!
//! | grammar | field (wire names of V2 / V1) | rule |
//! |---|---|---|
//! | transaction type | `transaction_type` / `transactionType` | `PAY`, `REFUND`, `TRANSFER` ([`grammar::transaction_type`]) |
//! | channel | `channel_type` / `channelType`, and `sub_channel_type` | a channel or group beecloud.md lists ([`grammar::CHANNELS`]); `sub_channel_type` of the same group |
//! | bill number | `transaction_id` of `PAY` and `TRANSFER` | 1 to 32 ASCII letters or digits (§2 `bill_no`) |
//! | refund number | `transaction_id` of `REFUND` | `yyyyMMdd` + 3 to 24 letters or digits, not `000` (§3 `refund_no`) |
//! | fee | `transaction_fee` / `transactionFee` | `[1-9][0-9]*` fen, at most [`crate::model::MAX_FEE_FEN`] ([`grammar::fee`]) |
//! | timestamp | `timestamp` | `[1-9][0-9]{0,12}` ms ([`grammar::timestamp`]) |
//!
//! Where they are enforced, all in [`Webhook::verify_notify_at`]:
//! - V2: each signed field is checked **before** the signature, then the middle string
//!   `transaction_id + transaction_type + channel_type + transaction_fee` must have exactly
//!   one reading under the grammar ([`grammar::v2_readings`]) and it must be the fields
//!   received; otherwise [`NotifyError::Ambiguous`] naming the first field that could differ.
//! - V1 and V1Snake sign only the timestamp, after the app id and secret from the
//!   configuration: the timestamp's grammar (checked before the signature) gives that string
//!   one reading.
//! - In every scheme the other fields are read by the same grammars when the event is built,
//!   after the signature: a grammar failure is [`NotifyError::InvalidField`] naming the field.
//!
//! ## What the signatures cover (and what they do not)
//!
//! | field | V1 / V1Snake signed | V2 signed |
//! |---|---|---|
//! | `timestamp` | yes | **no** |
//! | `transaction_id`, `transaction_type`, `channel_type`, `transaction_fee` | **no** | yes |
//! | `trade_success` | **no** | **no** |
//! | `sub_channel_type`, `channel_transaction_id`, `optional`, `message_detail` | **no** | **no** |
//!
//! So a verified webhook does NOT prove a payment:
//! - **V1 and V1Snake** sign only `app_id + secret + timestamp`. One captured webhook's
//!   `(timestamp, sign)` pair lets anyone forge a "verified" paid event for any transaction id
//!   and any fee while the timestamp is inside the window.
//! - **V2** does not sign `trade_success` nor `timestamp`: a captured webhook with
//!   `trade_success = false` can be flipped to `true`, and it can be replayed with a fresh
//!   timestamp, so the timestamp window is no replay defence under V2.
//!
//! Before fulfilling an order, confirm the payment with [`crate::Client::confirm_payment`],
//! which queries the bill (§4) and checks that BeeCloud reports it paid with the notified fee.
//! This is **required under V1 and V1Snake** and **recommended under V2** (the only payment
//! field V2 leaves unsigned is `trade_success`, which the query settles).
//! [`Notification::claims_paid`] is only what the webhook says. Also compare the fee with the
//! merchant's own order ([`Notification::check_amount`]).
//!
//! Answer [`ACK`] (`success`) once the event is handled; anything else makes BeeCloud resend
//! it (after 1, 2, 4 … 2^17 s, about 36 hours). The same event may arrive more than once:
//! handle the first success of a bill and ignore the repeats.

pub mod grammar;

use crate::clock::{Clock, SystemClock, unix_millis};
use crate::error::NotifyError;
pub use crate::model::TransactionType;
use crate::model::{BillRecord, Channel, WebhookState};
use paysig::limit::{DEFAULT_NOTIFY_BODY_LIMIT, check_body_len};
use paysig::md5::{CaseCheck, HexCase, verify_hex};
use paysig::rawjson::{RawJsonError, RawObject};
use paysig::{ExposeSecret, Money, SecretString, Verified};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The acknowledgement body: BeeCloud stops resending on exactly this string.
pub const ACK: &str = "success";

/// The signature scheme, with the secret it uses.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum WebhookScheme {
    /// camelCase body, `sign = md5(appId + appSecret + timestamp)`.
    V1 {
        /// The App Secret.
        app_secret: SecretString,
    },
    /// snake_case body (October 2015 to January 2017), `sign = md5(app_id + secret +
    /// timestamp)`: V1's signature over V2's field names, with `sub_channel_type`.
    V1Snake {
        /// The App Secret, or the Test Secret when `mode` is [`AppMode::Test`].
        secret: SecretString,
        /// Live or test: which secret `secret` is; test events are marked
        /// ([`Notification::test_mode`]).
        mode: AppMode,
    },
    /// snake_case body, `signature = md5(app_id + transaction_id + transaction_type +
    /// channel_type + transaction_fee + master_secret)`.
    V2 {
        /// The Master Secret.
        master_secret: SecretString,
    },
}

/// An app's mode in BeeCloud's console: live money, or test (sandbox) transactions signed
/// with the Test Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppMode {
    /// LIVE 模式: real transactions, the App Secret.
    #[default]
    Live,
    /// 测试模式: no real money moves, the Test Secret signs.
    Test,
}

/// Whether and how the webhook's `timestamp` (BeeCloud's clock, ms) is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampCheck {
    /// Refuse a webhook whose timestamp is further than this from the receiver's clock, in
    /// either direction. Required for V1 and V1Snake, whose signature covers nothing else
    /// (and even then a captured `(timestamp, sign)` pair can be reused inside the window).
    /// Under V2 the timestamp is not signed, so this only drops stale honest messages: it is
    /// no replay defence.
    Within(Duration),
    /// Do not check (and do not require) the timestamp. Only sensible for V2, whose signature
    /// does not cover the timestamp anyway; that V2 webhooks carry one is an inference from
    /// BeeCloud's SDK demos.
    Skip,
}

/// How webhooks are verified.
///
/// ```
/// use beecloud::notify::{AppMode, WebhookConfig, WebhookScheme};
/// let v2 = WebhookConfig::v2("master-secret");
/// let snake = WebhookConfig::v1_snake("app-secret");
/// let test = WebhookConfig::v1_snake_test("test-secret").body_limit(16 * 1024);
/// assert!(matches!(test.scheme, WebhookScheme::V1Snake { mode: AppMode::Test, .. }));
/// assert_eq!(v2.body_limit, 64 * 1024);
/// # let _ = snake;
/// ```
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The scheme and its secret.
    pub scheme: WebhookScheme,
    /// The timestamp check.
    pub timestamp: TimestampCheck,
    /// The longest body read, in bytes; a longer one is refused before parsing
    /// ([`NotifyError::BodyTooLarge`]). Default [`DEFAULT_NOTIFY_BODY_LIMIT`] (64 KiB).
    pub body_limit: usize,
}

impl WebhookConfig {
    /// The default window: 5 minutes either way.
    pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

    /// `scheme` with the default window and body limit.
    pub fn new(scheme: WebhookScheme) -> Self {
        WebhookConfig {
            scheme,
            timestamp: TimestampCheck::Within(Self::DEFAULT_TOLERANCE),
            body_limit: DEFAULT_NOTIFY_BODY_LIMIT,
        }
    }

    /// V1 with the default window.
    pub fn v1(app_secret: impl Into<String>) -> Self {
        Self::new(WebhookScheme::V1 {
            app_secret: SecretString::from(app_secret.into()),
        })
    }

    /// V1Snake (snake_case, `md5(app_id + app_secret + timestamp)`) of a live app, with the
    /// default window.
    pub fn v1_snake(app_secret: impl Into<String>) -> Self {
        Self::new(WebhookScheme::V1Snake {
            secret: SecretString::from(app_secret.into()),
            mode: AppMode::Live,
        })
    }

    /// V1Snake of an app in test mode: signed with the Test Secret, events marked
    /// [`Notification::test_mode`].
    pub fn v1_snake_test(test_secret: impl Into<String>) -> Self {
        Self::new(WebhookScheme::V1Snake {
            secret: SecretString::from(test_secret.into()),
            mode: AppMode::Test,
        })
    }

    /// V2 with the default window.
    pub fn v2(master_secret: impl Into<String>) -> Self {
        Self::new(WebhookScheme::V2 {
            master_secret: SecretString::from(master_secret.into()),
        })
    }

    /// Replaces the timestamp check.
    pub fn timestamp_check(mut self, check: TimestampCheck) -> Self {
        self.timestamp = check;
        self
    }

    /// Replaces the body limit, in bytes.
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }
}

/// Which scheme a verified event came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemeVersion {
    /// camelCase, `sign` over the timestamp.
    V1,
    /// snake_case, `sign` over the timestamp.
    V1Snake,
    /// snake_case, `signature` over id, type, channel and fee.
    V2,
}

/// A webhook whose signature verified, as BeeCloud sent it.
///
/// **A verified signature is not a verified payment.** Each field says whether the scheme it
/// came in signs it; an unsigned field may have been changed by anyone who captured a webhook
/// (see the [module documentation](self)). Confirm a payment with
/// [`crate::Client::confirm_payment`] before fulfilling: required under V1 and V1Snake,
/// recommended under V2. Every field below satisfies its [`grammar`], signed or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The scheme it came in (the verifier's configuration, not read from the body).
    pub scheme: SchemeVersion,
    /// Whether the verifier is configured for an app in test mode ([`AppMode::Test`], V1Snake
    /// only): no real money moved.
    pub test_mode: bool,
    /// `transactionType` / `transaction_type`: payment, refund or transfer.
    /// Signed: V1 / V1Snake **no**, V2 yes.
    pub transaction_type: TransactionType,
    /// `channelType` / `channel_type`: a documented channel or group (WX, ALI, UN, WX_APP …).
    /// Signed: V1 / V1Snake **no**, V2 yes.
    pub channel_type: Channel,
    /// `sub_channel_type` (snake_case schemes): e.g. WX_APP, of `channel_type`'s group.
    /// Signed: **no**.
    pub sub_channel_type: Option<Channel>,
    /// The bill's `bill_no` for a payment, the refund's `refund_no` for a refund (the
    /// transfer's number for a transfer). Signed: V1 / V1Snake **no**, V2 yes.
    pub transaction_id: String,
    /// `channel_transaction_id` (snake_case schemes): the channel's own trade number (e.g.
    /// WeChat's `transaction_id`). Signed: **no**.
    pub channel_transaction_id: Option<String>,
    /// The bill's `total_fee` or the refund's `refund_fee`. Signed: V1 / V1Snake **no**, V2
    /// yes.
    pub transaction_fee: Money,
    /// `tradeSuccess` / `trade_success`: `true` claims the payment succeeded; `false` does NOT
    /// mean it failed (a `true` message may follow). Absent on some messages.
    /// Signed: **no, in no scheme**: never fulfil on it alone.
    pub trade_success: Option<bool>,
    /// `timestamp`: BeeCloud's clock when sending, ms. Signed: V1 / V1Snake yes, V2 **no**.
    pub timestamp_ms: Option<i64>,
    /// `optional`: the merchant's data given with the bill or refund, as received.
    /// Signed: **no**.
    pub optional: Option<Value>,
    /// `messageDetail` / `message_detail`: the channel's own notification, as received.
    /// Signed: **no**.
    pub message_detail: Option<Value>,
}

impl Notification {
    /// What the webhook CLAIMS: a payment whose `trade_success` is `true`. Not a verified
    /// payment: `trade_success` is signed by no scheme, and under V1 / V1Snake neither are the
    /// transaction type, id and fee. Use [`crate::Client::confirm_payment`] to learn whether
    /// the bill is paid.
    pub fn claims_paid(&self) -> bool {
        self.transaction_type == TransactionType::Pay && self.trade_success == Some(true)
    }

    /// The wire names of the body fields this event's scheme signs (besides the app id and
    /// the secret): `["timestamp"]` for V1 and V1Snake; `transaction_id`,
    /// `transaction_type`, `channel_type` and `transaction_fee` for V2. Every other field is
    /// unsigned.
    pub fn signed_fields(&self) -> &'static [&'static str] {
        match self.scheme {
            SchemeVersion::V1 | SchemeVersion::V1Snake => &["timestamp"],
            SchemeVersion::V2 => &[
                "transaction_id",
                "transaction_type",
                "channel_type",
                "transaction_fee",
            ],
        }
    }

    /// What the webhook says, by `transaction_type` and `trade_success` (`None` for a
    /// transfer). A claim, like [`Notification::claims_paid`]: confirm a payment with
    /// [`crate::Client::confirm_payment`].
    pub fn state(&self) -> Option<WebhookState> {
        let success = self.trade_success == Some(true);
        match self.transaction_type {
            TransactionType::Pay if success => Some(WebhookState::Paid),
            TransactionType::Pay => Some(WebhookState::PayUnconfirmed),
            TransactionType::Refund if success => Some(WebhookState::Refunded),
            TransactionType::Refund => Some(WebhookState::RefundUnconfirmed),
            TransactionType::Transfer => None,
        }
    }

    /// Checks the notified amount against the merchant's own record of the order. Under V1
    /// and V1Snake the fee is unsigned, so this alone does not catch a forgery that copies the
    /// order's amount: confirm with [`crate::Client::confirm_payment`].
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

/// Verifies webhooks for one app.
///
/// ```
/// use beecloud::notify::{Webhook, WebhookConfig};
/// use beecloud::NotifyError;
/// let hook = Webhook::new("my-app-id", WebhookConfig::v2("master-secret"));
/// assert!(hook.verify_notify(br#"{"transaction_id":"1"}"#).is_err());
/// // A signed field outside its grammar is refused before the signature is checked.
/// let forged = br#"{"signature":"00","transaction_id":"1","transaction_type":"PAY",
///     "channel_type":"WX1","transaction_fee":0}"#;
/// assert!(matches!(
///     hook.verify_notify(forged),
///     Err(NotifyError::InvalidField { field: "channel_type", .. })
/// ));
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

    /// The verification settings (scheme, timestamp window, body limit).
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// Replaces the clock (tests, replays).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Verifies the raw body against the configured clock.
    pub fn verify_notify(&self, body: &[u8]) -> Result<Verified<Notification>, NotifyError> {
        self.verify_notify_at(body, self.clock.now())
    }

    /// Verifies the raw body as if received at `now`: the body limit, the grammar of the
    /// signed fields (and, for V2, the one reading of the signed string), the signature, then
    /// the grammar of every other field and the timestamp window.
    pub fn verify_notify_at(
        &self,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<Verified<Notification>, NotifyError> {
        check_body_len(body, self.config.body_limit)?;
        // Refuses a repeated member: which copy was signed would be ambiguous.
        let raw = RawObject::parse(body).map_err(|e| match e {
            RawJsonError::DuplicateKey { name } => NotifyError::DuplicateField { field: name },
            RawJsonError::Malformed { reason } => NotifyError::Malformed { reason },
        })?;
        let names = match self.config.scheme {
            WebhookScheme::V1 { .. } => &V1_NAMES,
            WebhookScheme::V1Snake { .. } => &V1_SNAKE_NAMES,
            WebhookScheme::V2 { .. } => &V2_NAMES,
        };
        let sign = signature(&raw, names.sign)?;
        let message = match &self.config.scheme {
            WebhookScheme::V1 { app_secret: secret } | WebhookScheme::V1Snake { secret, .. } => {
                let ts = digits(required(&raw, names.timestamp)?, names.timestamp)?;
                grammar::timestamp(&ts).map_err(|r| invalid(names.timestamp, r))?;
                format!("{}{}{ts}", self.app_id, secret.expose_secret())
            }
            WebhookScheme::V2 { master_secret } => {
                let middle = v2_middle(&raw, names)?;
                format!("{}{middle}{}", self.app_id, master_secret.expose_secret())
            }
        };
        let verified = verify_hex(
            raw,
            message.as_bytes(),
            &sign,
            CaseCheck::Insensitive,
            HexCase::Lower,
        )?;
        verified.try_map(|raw| self.event(raw, names, now))
    }

    fn event(
        &self,
        raw: RawObject,
        names: &Names,
        now: OffsetDateTime,
    ) -> Result<Notification, NotifyError> {
        if let Some(id) = raw.get(names.app_id) {
            let id = text(id, names.app_id)?;
            if id != self.app_id {
                return Err(NotifyError::AppIdMismatch { got: id });
            }
        }
        let timestamp_ms = match raw.get(names.timestamp) {
            Some(v) => Some(
                grammar::timestamp(&digits(v, names.timestamp)?)
                    .map_err(|r| invalid(names.timestamp, r))?,
            ),
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
        let fields = SignedFields::read(&raw, names)?;
        let trade_success = match raw.get(names.trade_success) {
            Some(v) => Some(
                crate::model::read_bool(v)
                    .map_err(|e| invalid(names.trade_success, e.to_string()))?,
            ),
            None => None,
        };
        let sub_channel_type = match names
            .sub_channel_type
            .and_then(|n| raw.get(n).map(|v| (n, v)))
        {
            Some((n, v)) => {
                let sub = grammar::channel(&text(v, n)?).map_err(|r| invalid(n, r))?;
                if group(sub.as_str()) != group(fields.channel_type.as_str()) {
                    return Err(invalid(
                        n,
                        format!(
                            "{} is not of channel_type {}",
                            sub.as_str(),
                            fields.channel_type.as_str()
                        ),
                    ));
                }
                Some(sub)
            }
            None => None,
        };
        let channel_transaction_id = match names
            .channel_transaction_id
            .and_then(|n| raw.get(n).map(|v| (n, v)))
        {
            Some((n, v)) => Some(text(v, n)?),
            None => None,
        };
        Ok(Notification {
            scheme: names.version,
            test_mode: matches!(
                self.config.scheme,
                WebhookScheme::V1Snake {
                    mode: AppMode::Test,
                    ..
                }
            ),
            transaction_type: fields.transaction_type,
            channel_type: fields.channel_type,
            sub_channel_type,
            transaction_id: fields.transaction_id,
            channel_transaction_id,
            transaction_fee: fields.transaction_fee,
            trade_success,
            timestamp_ms,
            optional: raw.get(names.optional).cloned(),
            message_detail: raw.get(names.message_detail).cloned(),
        })
    }
}

/// The four fields V2 signs, each read by its grammar.
struct SignedFields {
    transaction_id: String,
    transaction_type: TransactionType,
    channel_type: Channel,
    fee_text: String,
    transaction_fee: Money,
}

impl SignedFields {
    fn read(raw: &RawObject, names: &Names) -> Result<Self, NotifyError> {
        let ty = text(
            required(raw, names.transaction_type)?,
            names.transaction_type,
        )?;
        let transaction_type =
            grammar::transaction_type(&ty).map_err(|r| invalid(names.transaction_type, r))?;
        let transaction_id = text(required(raw, names.transaction_id)?, names.transaction_id)?;
        grammar::transaction_id(&transaction_id, transaction_type)
            .map_err(|r| invalid(names.transaction_id, r))?;
        let ch = text(required(raw, names.channel_type)?, names.channel_type)?;
        let channel_type = grammar::channel(&ch).map_err(|r| invalid(names.channel_type, r))?;
        let fee_text = digits(required(raw, names.transaction_fee)?, names.transaction_fee)?;
        let transaction_fee =
            grammar::fee(&fee_text).map_err(|r| invalid(names.transaction_fee, r))?;
        Ok(SignedFields {
            transaction_id,
            transaction_type,
            channel_type,
            fee_text,
            transaction_fee,
        })
    }

    fn reading(&self) -> grammar::Reading<'_> {
        grammar::Reading {
            transaction_id: &self.transaction_id,
            transaction_type: self.transaction_type,
            channel_type: self.channel_type.as_str(),
            transaction_fee: &self.fee_text,
        }
    }
}

/// V2's signed middle string, once each field passed its grammar and the string has exactly
/// one reading, the fields received.
fn v2_middle(raw: &RawObject, names: &Names) -> Result<String, NotifyError> {
    let fields = SignedFields::read(raw, names)?;
    let received = fields.reading();
    let middle = format!(
        "{}{}{}{}",
        received.transaction_id,
        received.transaction_type.as_str(),
        received.channel_type,
        received.transaction_fee
    );
    let readings = grammar::v2_readings(&middle);
    if readings.as_slice() == [received] {
        return Ok(middle);
    }
    // The received fields are one reading, so any other names the first field that moves.
    let field = readings
        .iter()
        .find_map(|r| received.first_difference(r))
        .unwrap_or("transaction_id");
    Err(NotifyError::Ambiguous {
        field,
        readings: readings.len(),
    })
}

/// A channel's group: `WX_APP` → `WX`.
fn group(channel: &str) -> &str {
    channel.split('_').next().unwrap_or(channel)
}

fn invalid(field: &'static str, reason: impl Into<String>) -> NotifyError {
    NotifyError::InvalidField {
        field,
        reason: reason.into(),
    }
}

/// The field names of one scheme.
struct Names {
    version: SchemeVersion,
    sign: &'static str,
    app_id: &'static str,
    timestamp: &'static str,
    channel_type: &'static str,
    sub_channel_type: Option<&'static str>,
    transaction_type: &'static str,
    transaction_id: &'static str,
    channel_transaction_id: Option<&'static str>,
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
    // The 2015 guide lists neither.
    sub_channel_type: None,
    transaction_type: "transactionType",
    transaction_id: "transactionId",
    channel_transaction_id: None,
    transaction_fee: "transactionFee",
    trade_success: "tradeSuccess",
    message_detail: "messageDetail",
    optional: "optional",
};

const V1_SNAKE_NAMES: Names = Names {
    version: SchemeVersion::V1Snake,
    sign: "sign",
    ..V2_NAMES
};

const V2_NAMES: Names = Names {
    version: SchemeVersion::V2,
    sign: "signature",
    app_id: "app_id",
    timestamp: "timestamp",
    channel_type: "channel_type",
    sub_channel_type: Some("sub_channel_type"),
    transaction_type: "transaction_type",
    transaction_id: "transaction_id",
    channel_transaction_id: Some("channel_transaction_id"),
    transaction_fee: "transaction_fee",
    trade_success: "trade_success",
    message_detail: "message_detail",
    optional: "optional",
};

fn signature(raw: &RawObject, field: &str) -> Result<String, NotifyError> {
    match raw.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | None => Err(NotifyError::MissingSignature {
            field: field.to_owned(),
        }),
        Some(_) => Err(NotifyError::BadSignatureEncoding),
    }
}

/// A string field; a JSON integer is accepted and written in decimal (the senders are loose
/// with types). Its grammar is checked by the caller.
fn text(v: &Value, field: &'static str) -> Result<String, NotifyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        _ => Err(invalid(field, "is not a string")),
    }
}

/// An integer field as the text the signer hashed: a JSON integer's decimal digits, or a
/// string as received (its grammar, checked by the caller, refuses signs, leading zeros,
/// fractions and white space). A JSON fraction or exponent (`1.0`, `1e3`) or a negative number
/// is refused: its digits are not the ones signed.
fn digits(v: &Value, field: &'static str) -> Result<String, NotifyError> {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(u) => Ok(u.to_string()),
            None => Err(invalid(
                field,
                format!("{n} is not a positive integer (no sign, fraction or exponent)"),
            )),
        },
        Value::String(s) => Ok(s.clone()),
        _ => Err(invalid(field, "is not an integer")),
    }
}

/// A required member of the raw body (`null` counts as absent).
fn required<'a>(raw: &'a RawObject, name: &'static str) -> Result<&'a Value, NotifyError> {
    raw.get(name)
        .ok_or(NotifyError::MissingField { field: name })
}
