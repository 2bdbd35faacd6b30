//! Errors of the client calls ([`Error`]) and of notify handling ([`NotifyError`]).
//! No variant carries a secret: only field names, codes and provider messages.

use crate::model::{BusinessCode, SystemCode, TradeState};
use paysig::Money;
use paysig::http::HttpError;
use std::time::Duration;

/// Why a call to Sunmi failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A request field is missing, too long or malformed; nothing was sent.
    #[error("invalid request field {field}: {reason}")]
    Validation {
        /// The wire name of the field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No usable HTTP answer (connection, timeout, truncated body, non-2xx status).
    #[error(transparent)]
    Http(#[from] HttpError),
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
    /// (timeout, transport failure after sending, unreadable body, a 5xx from a gateway in
    /// front of Sunmi): query before retrying a create or refund, never resend it blindly.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Http(HttpError::Status { status, .. }) => *status >= 500,
            Error::Http(e) => !e.never_sent(),
            Error::Decode { .. } | Error::ResponseMismatch { .. } => true,
            _ => false,
        }
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
    /// The body is not a valid form (not UTF-8 after decoding).
    #[error("notify body is not a valid UTF-8 form")]
    BadForm,
    /// The body was read as JSON (by `Content-Type` or its first byte `{`) and is not a JSON
    /// object.
    #[error("notify body is not a JSON object: {reason}")]
    BadJson {
        /// The parser's message.
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
