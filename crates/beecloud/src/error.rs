//! The errors of the client and of the webhook verifier.

use crate::model::{ResultCode, TransactionType};
use paysig::Money;
use paysig::class::{Classify, ErrorClass, Operation};
use paysig::http::HttpError;

/// Why a call to BeeCloud failed. No variant carries the app key or any other secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field breaks a documented rule; nothing was sent.
    #[error("invalid {field}: {reason}")]
    Validation {
        /// The offending field, as named on the wire.
        field: &'static str,
        /// What rule it breaks.
        reason: String,
    },
    /// The configuration cannot work (no host, a host URL that cannot carry a path).
    #[error("invalid configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// No usable HTTP answer (connection, timeout, truncated body, non-2xx status).
    /// `operation` records whether the call was a query or a mutation, which decides the
    /// class: a 5xx or an unreadable body leaves a mutation's outcome unknown, but is a
    /// transient failure of a query.
    #[error("{source}")]
    Http {
        /// Whether the call was a query or a mutation.
        operation: Operation,
        /// The transport failure.
        #[source]
        source: HttpError,
    },
    /// A bill or refund reached a server (or may have) and then failed: BeeCloud may have
    /// acted on it. It was NOT sent to another host, because that could charge or refund
    /// twice. Query the bill or refund (`bills` / `refunds`) before deciding to resend.
    #[error(
        "{operation} may have been sent to {host} before it failed ({source}); \
         query its state before resending"
    )]
    MaybeSent {
        /// `bill` or `refund`.
        operation: &'static str,
        /// The host that received (or may have received) the request.
        host: String,
        /// The transport failure or the 5xx answer.
        source: HttpError,
    },
    /// Every host was tried and none gave a usable answer; lists what each one answered, in
    /// the order they were tried. For a bill or refund this only happens when no host could be
    /// connected to, so nothing was sent.
    #[error("{operation}: all {} BeeCloud hosts failed: {}", .failures.len(), list(.failures))]
    AllHostsFailed {
        /// The operation.
        operation: &'static str,
        /// What each host answered, in the order tried.
        failures: Vec<HttpError>,
    },
    /// The body is not the documented JSON (not JSON, truncated JSON, a field missing or of
    /// the wrong type).
    #[error("{operation}: response could not be decoded: {reason}")]
    Decode {
        /// The operation.
        operation: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// BeeCloud answered with a `result_code` other than 0.
    #[error("{operation}: BeeCloud result_code {} {}: {msg}{}", code.code(), code.result_msg(), detail(.err_detail))]
    Api {
        /// The operation.
        operation: &'static str,
        /// The typed `result_code`.
        code: ResultCode,
        /// `result_msg` as sent.
        msg: String,
        /// `err_detail`, BeeCloud's explanation, when present.
        err_detail: Option<String>,
    },
    /// [`crate::Client::confirm_payment`] could not confirm a payment webhook by the bill
    /// query: do not fulfil the order.
    #[error("webhook for bill {bill_no:?} not confirmed by the bill query: {reason}")]
    Unconfirmed {
        /// The webhook's `transaction_id` (the bill queried).
        bill_no: String,
        /// What the query showed.
        reason: Unconfirmed,
    },
}

impl Error {
    /// The class of this error, without importing [`Classify`].
    pub fn class(&self) -> ErrorClass {
        Classify::class(self)
    }
}

/// Wraps a transport failure of the call `operation` (by name) with its kind.
pub(crate) fn http(operation: &str) -> impl FnOnce(HttpError) -> Error {
    let operation = operation_kind(operation);
    move |source| Error::Http { operation, source }
}

/// Whether a BeeCloud operation (by the name the variants carry) may move money: `bill` and
/// `refund` may; `bills`, `refunds` and `refund_status` only read. An unknown name counts as
/// a mutation.
pub(crate) fn operation_kind(operation: &str) -> Operation {
    match operation {
        "bills" | "refunds" | "refund_status" => Operation::Query,
        _ => Operation::Mutation,
    }
}

/// The classes:
/// - [`Error::Http`] is classed by the operation it carries ([`HttpError::class`]);
///   [`Error::MaybeSent`] is [`ErrorClass::OutcomeUnknown`] by its
///   definition.
/// - [`Error::AllHostsFailed`] is [`ErrorClass::NotSent`] when no host could be connected to
///   (always so for a bill or refund); otherwise the class of the last host's failure for a
///   query.
/// - [`Error::Decode`]: [`ErrorClass::InvalidAnswer`] for a query,
///   [`ErrorClass::OutcomeUnknown`] for a bill or refund.
/// - [`Error::Api`] by `result_code` (beecloud.md §返回码): 1 `APP_INVALID` (no app, or a
///   wrong `app_sign`) is unauthorized; 7 `CHANNEL_ERROR` and 14 `RUN_TIME_ERROR` leave a
///   bill or refund's outcome unknown and are a retryable refusal of a query; every other
///   code (parameters, settings, bill state) is a final refusal.
/// - [`Error::Unconfirmed`]: the bill query did not confirm the webhook
///   ([`ErrorClass::InvalidAnswer`]: query again later, do not fulfil now).
impl Classify for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Validation { .. } | Error::Config { .. } => ErrorClass::InvalidRequest,
            Error::Http { operation, source } => source.class(*operation),
            Error::MaybeSent { .. } => ErrorClass::OutcomeUnknown,
            Error::AllHostsFailed {
                operation,
                failures,
            } => {
                if failures.iter().all(HttpError::never_sent) {
                    return ErrorClass::NotSent;
                }
                let op = operation_kind(operation);
                match (op, failures.last()) {
                    (Operation::Query, Some(last)) => last.class(op),
                    _ => ErrorClass::OutcomeUnknown,
                }
            }
            Error::Decode { operation, .. } => match operation_kind(operation) {
                Operation::Query => ErrorClass::InvalidAnswer,
                Operation::Mutation => ErrorClass::OutcomeUnknown,
            },
            Error::Api {
                operation, code, ..
            } => result_class(*code, operation_kind(operation)),
            Error::Unconfirmed { .. } => ErrorClass::InvalidAnswer,
        }
    }

    fn provider_code(&self) -> Option<&str> {
        match self {
            Error::Api { code, msg, .. } => match code {
                ResultCode::Unknown(_) => Some(msg.as_str()).filter(|m| !m.is_empty()),
                known => Some(known.result_msg()),
            },
            Error::Validation { .. }
            | Error::Config { .. }
            | Error::Http { .. }
            | Error::MaybeSent { .. }
            | Error::AllHostsFailed { .. }
            | Error::Decode { .. }
            | Error::Unconfirmed { .. } => None,
        }
    }
}

fn result_class(code: ResultCode, op: Operation) -> ErrorClass {
    use ResultCode as R;
    match code {
        R::AppInvalid => ErrorClass::Unauthorized,
        R::ChannelError | R::RunTimeError => match op {
            Operation::Mutation => ErrorClass::OutcomeUnknown,
            Operation::Query => ErrorClass::Rejected { retryable: true },
        },
        R::Ok
        | R::PayFactorNotSet
        | R::ChannelInvalid
        | R::MissParam
        | R::ParamInvalid
        | R::CertFileError
        | R::NoSuchBill
        | R::BillUnsuccess
        | R::RefundExceedTime
        | R::AlreadyRefunding
        | R::RefundAmountTooLarge
        | R::NoSuchRefund
        | R::Unknown(_) => ErrorClass::Rejected { retryable: false },
    }
}

/// A webhook refused for its signature (missing, not hex, not matching, an ambiguous signed
/// string) is [`ErrorClass::Unauthorized`]; a body that is not a webhook of the document is
/// [`ErrorClass::InvalidAnswer`] (BeeCloud sends it again); an oversized body is
/// [`ErrorClass::InvalidRequest`] (refused unread); a stale one, one for another app or of
/// another amount is a final [`ErrorClass::Rejected`].
impl Classify for NotifyError {
    fn class(&self) -> ErrorClass {
        match self {
            NotifyError::BodyTooLarge { .. } => ErrorClass::InvalidRequest,
            NotifyError::Malformed { .. }
            | NotifyError::DuplicateField { .. }
            | NotifyError::MissingField { .. }
            | NotifyError::InvalidField { .. } => ErrorClass::InvalidAnswer,
            NotifyError::Ambiguous { .. }
            | NotifyError::MissingSignature { .. }
            | NotifyError::BadSignatureEncoding
            | NotifyError::SignatureMismatch
            | NotifyError::Signature(_) => ErrorClass::Unauthorized,
            NotifyError::NotConfigured => ErrorClass::InvalidRequest,
            NotifyError::Stale { .. }
            | NotifyError::AppIdMismatch { .. }
            | NotifyError::AmountMismatch { .. } => ErrorClass::Rejected { retryable: false },
        }
    }
}

impl From<paysig::limit::BodyTooLarge> for NotifyError {
    fn from(e: paysig::limit::BodyTooLarge) -> Self {
        NotifyError::BodyTooLarge {
            len: e.len,
            limit: e.limit,
        }
    }
}

fn list(failures: &[HttpError]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn detail(d: &Option<String>) -> String {
    match d {
        Some(d) if !d.is_empty() => format!(" ({d})"),
        _ => String::new(),
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

/// Why a webhook was rejected. Answer anything but [`crate::notify::ACK`] so BeeCloud retries
/// (it retries for about 36 hours).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The body is longer than [`crate::WebhookConfig::body_limit`]; nothing of it was parsed.
    #[error("webhook body of {len} bytes is over the limit of {limit} bytes")]
    BodyTooLarge {
        /// The body's length, bytes.
        len: usize,
        /// The limit in force, bytes.
        limit: usize,
    },
    /// The body is not a JSON object.
    #[error("webhook body is not a JSON object: {reason}")]
    Malformed {
        /// The parser's reason.
        reason: String,
    },
    /// A field appears twice: which copy was signed is ambiguous, so the message is refused.
    #[error("webhook field {field:?} appears more than once")]
    DuplicateField {
        /// The repeated field.
        field: String,
    },
    /// A field the scheme needs is absent or `null`.
    #[error("webhook field {field:?} is missing")]
    MissingField {
        /// The absent field.
        field: &'static str,
    },
    /// A field has a type or value the scheme does not allow: outside its grammar
    /// ([`crate::notify::grammar`]: an unknown or empty type or channel, a fee or timestamp
    /// that is not plain positive digits, an id outside the bill or refund number rules).
    #[error("webhook field {field:?} is invalid: {reason}")]
    InvalidField {
        /// The field, as named on the wire.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// V2's signed string (`transaction_id + transaction_type + channel_type +
    /// transaction_fee`, no separators) reads as more than one set of fields under the
    /// grammar, so the signature does not say which was meant.
    #[error("webhook field {field:?} is ambiguous: the signed string has {readings} readings")]
    Ambiguous {
        /// The first field whose value differs between two readings.
        field: &'static str,
        /// How many readings the grammar allows.
        readings: usize,
    },
    /// The signature field is absent or empty.
    #[error("webhook carries no {field}")]
    MissingSignature {
        /// The signature's wire name (`sign` or `signature`).
        field: String,
    },
    /// The signature is not a hex string.
    #[error("webhook signature is not hex")]
    BadSignatureEncoding,
    /// The signature does not match the message with the configured secret.
    #[error("webhook signature does not match")]
    SignatureMismatch,
    /// Any other failure of paysig's check.
    #[error("webhook signature rejected: {0}")]
    Signature(paysig::SignError),
    /// The client has no webhook configuration ([`crate::Config::with_webhook`]), so it
    /// cannot verify a webhook.
    #[error("no webhook configuration: set Config::with_webhook to verify webhooks")]
    NotConfigured,
    /// The timestamp lies outside the configured tolerance window (a replay or a wrong clock).
    #[error(
        "webhook timestamp {timestamp_ms} is {skew_ms} ms away from now, beyond the {tolerance_ms} ms allowed"
    )]
    Stale {
        /// The webhook's timestamp, ms since the epoch.
        timestamp_ms: i64,
        /// Distance to the receiver's clock, ms.
        skew_ms: i64,
        /// The configured tolerance, ms.
        tolerance_ms: i64,
    },
    /// The webhook names another BeeCloud app.
    #[error("webhook is for app {got:?}, not the configured app")]
    AppIdMismatch {
        /// The app_id in the webhook.
        got: String,
    },
    /// The notified amount is not the amount the merchant expected.
    #[error("webhook amount {got} differs from the expected {expected}")]
    AmountMismatch {
        /// What the merchant expected.
        expected: Money,
        /// What the webhook says.
        got: Money,
    },
}

/// The failures of paysig's check, each under its own name (as in every payhub provider crate).
impl From<paysig::SignError> for NotifyError {
    fn from(e: paysig::SignError) -> Self {
        match e {
            paysig::SignError::Mismatch => NotifyError::SignatureMismatch,
            paysig::SignError::MissingSignature { field } => {
                NotifyError::MissingSignature { field }
            }
            paysig::SignError::BadEncoding { .. } => NotifyError::BadSignatureEncoding,
            other => NotifyError::Signature(other),
        }
    }
}
