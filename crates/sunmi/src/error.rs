//! Errors of the client calls ([`Error`]) and of notify handling ([`NotifyError`]).
//! No variant carries a secret: only field names, codes and provider messages.

use crate::model::{BusinessCode, SystemCode, TradeState};
use paysig::Money;
use paysig::class::{Classify, ErrorClass, Operation};
use paysig::http::HttpError;
use std::time::Duration;

/// Why a call to Sunmi failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field is missing, too long or malformed; nothing was sent.
    #[error("invalid request field {field}: {reason}")]
    Validation {
        /// The wire name of the field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration cannot be used (e.g. a base URL that cannot carry a path); nothing
    /// was sent.
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
    /// The answer is not the documented JSON (not JSON, truncated, wrong types).
    #[error("could not read the {operation} answer: {reason}")]
    Decode {
        /// The endpoint (e.g. `query`).
        operation: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// `code` is not 10000 (sunmi.txt §7.1): the request was refused before any business
    /// processing.
    #[error("Sunmi refused the request: code {code} {msg}")]
    System {
        /// The system code.
        code: SystemCode,
        /// Sunmi's message (e.g. `Invalid Sign`, `Missing app_id`).
        msg: String,
    },
    /// `code` is 10000 but `data` carries a `sub_code` (sunmi.txt §7.2): a business error.
    #[error("Sunmi business error {code}: {msg}")]
    Api {
        /// The business code.
        code: BusinessCode,
        /// `sub_msg`.
        msg: String,
    },
    /// The request could not be signed (a field the rules need is absent).
    #[error("could not sign the request: {0}")]
    Sign(#[from] paysig::SignError),
    /// The answer is for another order or amount than the one requested: never trust it.
    #[error(
        "the {operation} answer does not match the request: {field} is {got:?}, expected {expected:?}"
    )]
    ResponseMismatch {
        /// The endpoint.
        operation: &'static str,
        /// The field that differs (`orderId`, `amount`).
        field: &'static str,
        /// What was requested.
        expected: String,
        /// What came back.
        got: String,
    },
    /// [`crate::Client::poll_until_final`] reached its deadline without a final state.
    #[error("no final state after {waited:?} (last state: {last_state:?})")]
    PollTimeout {
        /// The state of the last successful query, if any.
        last_state: Option<TradeState>,
        /// Time spent polling.
        waited: Duration,
    },
}

impl Error {
    /// True when Sunmi may have acted on the request although no usable answer was read
    /// (timeout, transport failure after sending, unreadable answer to a create or refund, a
    /// 5xx from a gateway in front of Sunmi): query before retrying a create or refund, never
    /// resend it blindly. The same as `self.class().money_may_have_moved()`.
    pub fn outcome_unknown(&self) -> bool {
        self.class().money_may_have_moved()
    }

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

/// Whether a Sunmi endpoint (by the operation name the variants carry) may move money.
/// Unknown names count as a mutation (the conservative reading).
pub(crate) fn operation_kind(operation: &str) -> Operation {
    match operation {
        "query" | "swipeQuery" => Operation::Query,
        _ => Operation::Mutation,
    }
}

/// The reading of an answer that could not be used: a query changed nothing
/// ([`ErrorClass::InvalidAnswer`]), a create or refund may have acted
/// ([`ErrorClass::OutcomeUnknown`]).
fn unusable_answer(operation: &str) -> ErrorClass {
    match operation_kind(operation) {
        Operation::Query => ErrorClass::InvalidAnswer,
        Operation::Mutation => ErrorClass::OutcomeUnknown,
    }
}

/// The classes, code by code (sunmi.txt §7):
/// - [`Error::Http`] is classed by the operation it carries ([`HttpError::class`]): a 5xx
///   leaves a create or refund's outcome unknown but is a retryable refusal of a query.
/// - [`Error::System`]: 20000 不可用服务 is a retryable refusal, 20001 授权不足 unauthorized,
///   40001/40002 and unknown codes a final refusal.
/// - [`Error::Api`]: E05 验签失败 unauthorized; R03 请求太频繁 rate limited; F02/S03 系统异常
///   a retryable refusal; D01 处理中, D07 用户支付中 and F01 交易超时 leave the outcome unknown
///   (the order exists and may still be paid: query it); every other code a final refusal.
/// - [`Error::Sign`]: a key Sunmi's rules could not use is unauthorized, anything else (a
///   field the rules need) an invalid request; nothing was sent either way.
/// - [`Error::PollTimeout`]: no final state, so the outcome is unknown.
impl Classify for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Validation { .. } | Error::Config { .. } => ErrorClass::InvalidRequest,
            Error::Http { operation, source } => source.class(*operation),
            Error::Decode { operation, .. } | Error::ResponseMismatch { operation, .. } => {
                unusable_answer(operation)
            }
            Error::System { code, .. } => match code {
                SystemCode::ServiceUnavailable => ErrorClass::Rejected { retryable: true },
                SystemCode::InsufficientAuthorization => ErrorClass::Unauthorized,
                SystemCode::Success
                | SystemCode::MissingParameter
                | SystemCode::InvalidParameter
                | SystemCode::Unknown(_) => ErrorClass::Rejected { retryable: false },
            },
            Error::Api { code, .. } => business_class(code),
            Error::Sign(e) => match e {
                paysig::SignError::BadKey { .. } => ErrorClass::Unauthorized,
                _ => ErrorClass::InvalidRequest,
            },
            Error::PollTimeout { .. } => ErrorClass::OutcomeUnknown,
        }
    }

    fn provider_code(&self) -> Option<&str> {
        match self {
            Error::System { code, .. } => Some(code.as_str()),
            Error::Api { code, .. } => Some(code.as_str()),
            Error::Validation { .. }
            | Error::Config { .. }
            | Error::Http { .. }
            | Error::Decode { .. }
            | Error::Sign(_)
            | Error::ResponseMismatch { .. }
            | Error::PollTimeout { .. } => None,
        }
    }
}

fn business_class(code: &BusinessCode) -> ErrorClass {
    use BusinessCode as B;
    match code {
        B::E05SignatureFailed => ErrorClass::Unauthorized,
        B::R03TooFrequent => ErrorClass::RateLimited,
        B::F02SystemError | B::S03SystemError => ErrorClass::Rejected { retryable: true },
        B::D01Processing | B::D07UserPaying | B::F01Timeout => ErrorClass::OutcomeUnknown,
        B::D04TradeFinished
        | B::D05AlreadyPaid
        | B::D06Cancelled
        | B::D08NotPaid
        | B::D09PaymentFailed
        | B::D10OrderAbnormal
        | B::E01MerchantNotFound
        | B::E02InvalidAmount
        | B::E15OrderIdEmpty
        | B::E16PaymentCodeExpired
        | B::E17PaymentCodeInvalid
        | B::E19OrderNotFound
        | B::E20UnsupportedTrade
        | B::E22WrongRefundAmount
        | B::E23DeviceNotAlipayAuthorized
        | B::E24NotAlipayAuthorized
        | B::E25InvalidMerchant
        | B::E27MissingParameter
        | B::E28NotRefundOrder
        | B::F04AlipayRefundFailed
        | B::Q03ParameterError
        | B::R01InvalidVendor
        | B::R02IllegalIp
        | B::S04ChannelNotEnabled
        | B::T00Success
        | B::T01InvalidTrade
        | B::T02InsufficientBalance
        | B::T03AmountOverLimit
        | B::T04MerchantBalanceInsufficient
        | B::T05WrongPassword
        | B::T06DuplicateTrade
        | B::T07TradeFailed
        | B::T09SuspectedCheating
        | B::T11SuspectedFraud
        | B::T13NoSameDayPartialRefund
        | B::Unknown(_) => ErrorClass::Rejected { retryable: false },
    }
}

/// Why a notify was rejected. Answer anything but [`crate::ACK`] so that Sunmi retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The body is longer than [`crate::notify::NotifyOptions::body_limit`]; nothing of it
    /// was parsed.
    #[error("notify body of {len} bytes is over the limit of {limit} bytes")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The body cannot be read: a form that is not UTF-8 after decoding, or a body read as
    /// JSON (by `Content-Type` or its first byte `{`) that is not a JSON object.
    #[error("notify body cannot be read: {reason}")]
    Malformed {
        /// What is wrong (the parser's message for JSON).
        reason: String,
    },
    /// A field appears twice: which value was signed would be ambiguous.
    #[error("notify field {field:?} appears more than once")]
    DuplicateField {
        /// The repeated field.
        field: String,
    },
    /// `sign` is absent or empty.
    #[error("notify carries no sign")]
    MissingSignature,
    /// The signed string would have another reading: this field's name is empty or holds `&`
    /// or `=`, or its value holds `&` (see [`crate::notify`]). Refused whatever the signature.
    #[error("notify field {field:?} makes the signed string ambiguous (it holds a separator)")]
    Ambiguous {
        /// The field whose name or value holds the separator.
        field: String,
    },
    /// `sign` is not valid base64.
    #[error("notify sign is not valid base64")]
    BadSignatureEncoding,
    /// The signature does not match the fields with the configured Sunmi public key.
    #[error("notify signature does not match")]
    SignatureMismatch,
    /// A documented required field is absent (checked after the signature held).
    #[error("notify field {field:?} is missing")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A numeric field does not hold a number (checked after the signature held).
    #[error("notify field {field:?} is not a valid number")]
    MalformedNumber {
        /// The field.
        field: &'static str,
    },
    /// The notified amount is not the amount the merchant expects.
    #[error("notified amount {got} fen differs from the expected {expected} fen")]
    AmountMismatch {
        /// What the merchant expects.
        expected: Money,
        /// What the notify says.
        got: Money,
    },
    /// Any other verification failure of paysig (e.g. a key it could not use).
    #[error("notify could not be verified: {0}")]
    Verification(paysig::SignError),
}

/// A notify refused for its signature (absent, undecodable, not matching, ambiguous) is
/// [`ErrorClass::Unauthorized`]; a body that could not be read or lacks what the document
/// requires is [`ErrorClass::InvalidAnswer`] (nothing moved because of it, Sunmi sends it
/// again); an oversized body is [`ErrorClass::InvalidRequest`] (refused unread); an amount
/// that is not the merchant's is [`ErrorClass::Rejected`] (final: do not fulfil).
impl Classify for NotifyError {
    fn class(&self) -> ErrorClass {
        match self {
            NotifyError::BodyTooLarge { .. } => ErrorClass::InvalidRequest,
            NotifyError::Malformed { .. }
            | NotifyError::DuplicateField { .. }
            | NotifyError::MissingField { .. }
            | NotifyError::MalformedNumber { .. } => ErrorClass::InvalidAnswer,
            NotifyError::MissingSignature
            | NotifyError::Ambiguous { .. }
            | NotifyError::BadSignatureEncoding
            | NotifyError::SignatureMismatch
            | NotifyError::Verification(_) => ErrorClass::Unauthorized,
            NotifyError::AmountMismatch { .. } => ErrorClass::Rejected { retryable: false },
        }
    }
}
