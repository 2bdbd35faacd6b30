//! The crate's errors: [`Error`] for calls, [`NotifyError`] for notifications.

use crate::model::ApiCode;
use paysig::Money;
use paysig::http::HttpError;
use std::time::Duration;

/// Why a call failed. No variant carries a secret (mch secret, token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field was refused before anything was sent.
    #[error("invalid {field}: {reason}")]
    Validation {
        /// The field, as named on the wire.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No usable HTTP answer (connect, timeout, truncated body, non-2xx status).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The answer is not the documented JSON envelope (not JSON, truncated, wrong types).
    #[error("mifeng {operation}: undecodable answer: {reason}")]
    Decode {
        /// The endpoint.
        operation: &'static str,
        /// The parser's reason.
        reason: String,
        /// The envelope's `request_id`, when it could be read.
        request_id: Option<String>,
    },
    /// Mifeng answered with a non-zero `code`.
    #[error("mifeng {operation} refused: code {code} ({msg})")]
    Api {
        /// The endpoint.
        operation: &'static str,
        /// The documented meaning of the code for this endpoint.
        code: ApiCode,
        /// The provider's `msg`.
        msg: String,
        /// The envelope's `request_id`.
        request_id: Option<String>,
    },
    /// The answer contradicts the request (another order number or amount came back).
    #[error("mifeng {operation}: answer {field} is {got:?}, request had {expected:?}")]
    ResponseMismatch {
        /// The endpoint.
        operation: &'static str,
        /// The field that differs.
        field: &'static str,
        /// What was sent.
        expected: String,
        /// What came back.
        got: String,
        /// The envelope's `request_id`.
        request_id: Option<String>,
    },
    /// No call slot became free within the configured wait (20 calls/s per mch_id).
    #[error("rate limit: no call slot for this mch_id within {max_wait:?}")]
    RateLimited {
        /// The configured longest wait.
        max_wait: Duration,
    },
    /// The shared token store (e.g. Redis) failed or no token appeared in time.
    #[error("token store: {reason}")]
    TokenStore {
        /// What failed (never the token).
        reason: String,
    },
    /// The shared rate limiter's backend (Redis) failed.
    #[error("rate limiter: {reason}")]
    RateLimiter {
        /// What failed.
        reason: String,
    },
}

impl Error {
    /// The `request_id` of Mifeng's answer, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Decode { request_id, .. }
            | Error::Api { request_id, .. }
            | Error::ResponseMismatch { request_id, .. } => request_id.as_deref(),
            Error::Validation { .. }
            | Error::Http(_)
            | Error::RateLimited { .. }
            | Error::TokenStore { .. }
            | Error::RateLimiter { .. } => None,
        }
    }
}

/// Why a notification was refused. Each kind of tampering has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The body is not a JSON object.
    #[error("notify body is not a JSON object: {reason}")]
    Malformed {
        /// The parser's reason.
        reason: String,
    },
    /// The body is longer than the notify reader's limit ([`crate::Config::notify_body_limit`],
    /// 64 KiB by default); nothing of it was parsed.
    #[error("notify body of {len} bytes is over the limit of {limit} bytes")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A field appears twice: which value was signed would be ambiguous.
    #[error("notify field {field:?} appears more than once")]
    DuplicateField {
        /// The repeated field.
        field: String,
    },
    /// A signed field is absent.
    #[error("notify field {field:?} is missing")]
    MissingField {
        /// The absent field.
        field: String,
    },
    /// There is no `sign`, or it is empty.
    #[error("notify carries no signature")]
    MissingSignature,
    /// `sign` is not 32 hex digits.
    #[error("notify signature is not 32 hex digits")]
    BadSignatureEncoding,
    /// `sign` does not match the fields and the secret (tampered, or another key).
    #[error("notify signature does not match")]
    SignatureMismatch,
    /// A signed field holds a separator of the signed string (`&` in a value), so the signed
    /// bytes would also read as other fields than those received: the signature cannot vouch
    /// for what was received, and the notify is refused before the signature is checked.
    #[error("notify field {field:?} holds '&': the signed string would have another reading")]
    Ambiguous {
        /// The field whose value (or name) holds the separator.
        field: String,
    },
    /// A field has a value of the wrong shape (an amount that is not yuan, a nested object).
    #[error("notify field {field:?} is invalid: {reason}")]
    BadValue {
        /// The field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The notify names another merchant than the configured one.
    #[error("notify is for mch_id {got:?}, this client is {expected:?}")]
    MerchantMismatch {
        /// The configured mch_id.
        expected: String,
        /// The notified mch_id.
        got: String,
    },
    /// The paid amount is not the amount the merchant expects.
    #[error("notify amount {got} differs from the expected {expected}")]
    AmountMismatch {
        /// What the merchant expects.
        expected: Money,
        /// What the notify (or the query) says.
        got: Money,
    },
    /// Confirmation by query failed (the order could not be queried).
    #[error("confirming the notify by query failed: {0}")]
    Query(Box<Error>),
    /// The queried order contradicts the notify.
    #[error("queried {field} is {queried:?}, the notify says {notified:?}")]
    QueryMismatch {
        /// The field that differs.
        field: &'static str,
        /// The notified value.
        notified: String,
        /// The queried value.
        queried: String,
    },
}

impl From<paysig::limit::BodyTooLarge> for NotifyError {
    fn from(e: paysig::limit::BodyTooLarge) -> Self {
        NotifyError::BodyTooLarge {
            len: e.len,
            limit: e.limit,
        }
    }
}

impl From<paysig::SignError> for NotifyError {
    fn from(e: paysig::SignError) -> Self {
        use paysig::SignError as S;
        match e {
            S::MissingField { field } => NotifyError::MissingField { field },
            S::MissingSignature { .. } => NotifyError::MissingSignature,
            S::BadEncoding { .. } => NotifyError::BadSignatureEncoding,
            S::Mismatch => NotifyError::SignatureMismatch,
            // Key loading and RSA signing cannot happen in an MD5 check; kept distinct anyway.
            S::BadKey { reason } | S::Signing { reason } => NotifyError::BadValue {
                field: "sign".into(),
                reason,
            },
            S::Ambiguous { field } => NotifyError::Ambiguous { field },
            other => NotifyError::BadValue {
                field: "sign".into(),
                reason: other.to_string(),
            },
        }
    }
}
