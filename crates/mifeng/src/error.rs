//! The crate's errors: [`Error`] for calls, [`NotifyError`] for notifications.

// The codes sit below `error` so that `Error` can name them without depending on `model`.
pub(crate) mod codes;

use codes::{ApiCode, BalanceCode, Operation as Endpoint, QueryCode, UnifiedOrderCode};
use paysig::Money;
use paysig::class::{Classify, ErrorClass, Operation};
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
    /// The configuration cannot be used (e.g. a base URL that is not http(s)); nothing was
    /// sent.
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
    /// `unifiedorder` was not sent: no access token could be had first (the `accesstoken`
    /// call failed; `source` says how). Classed by `source` where that names the remedy
    /// (unauthorized, rate limited), else [`ErrorClass::NotSent`]: a token call's own 5xx or
    /// dropped connection leaves the token unknown, never the order.
    #[error("{operation} not sent: no access token: {source}")]
    NoToken {
        /// The call that was not sent.
        operation: &'static str,
        /// Why no token could be had.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// The `request_id` of Mifeng's answer, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Decode { request_id, .. }
            | Error::Api { request_id, .. }
            | Error::ResponseMismatch { request_id, .. } => request_id.as_deref(),
            Error::NoToken { source, .. } => source.request_id(),
            Error::Validation { .. }
            | Error::Config { .. }
            | Error::Http { .. }
            | Error::RateLimited { .. }
            | Error::TokenStore { .. }
            | Error::RateLimiter { .. } => None,
        }
    }
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

/// Whether a Mifeng endpoint (by the name the variants carry) may move money: only
/// `unifiedorder` does; `query`, `balance` and `accesstoken` read (a token call mints a token
/// but moves no money). An unknown name counts as a mutation.
pub(crate) fn operation_kind(operation: &str) -> Operation {
    if operation == Endpoint::Query.name()
        || operation == Endpoint::Balance.name()
        || operation == Endpoint::AccessToken.name()
    {
        Operation::Query
    } else {
        Operation::Mutation
    }
}

/// The classes:
/// - [`Error::Http`] is classed by the operation it carries ([`HttpError::class`]): a 5xx
///   leaves a create or refund's outcome unknown but is a retryable refusal of a query. A 429 is
///   [`ErrorClass::RateLimited`], as is this crate's own limiter ([`Error::RateLimited`]).
/// - [`Error::Decode`] and [`Error::ResponseMismatch`]: [`ErrorClass::InvalidAnswer`] for a
///   query, [`ErrorClass::OutcomeUnknown`] for `unifiedorder`.
/// - [`Error::Api`] by the endpoint's code table (mifeng.md 错误码): a refused token (2 of
///   `unifiedorder` and `balance`, any code of `accesstoken`) is unauthorized; 9 and 10
///   插入数据库失败 are a retryable refusal (an inference: Mifeng failed to store the order,
///   so none was made); every other code is a final refusal.
/// - [`Error::TokenStore`] and [`Error::RateLimiter`] failed before the call left:
///   [`ErrorClass::NotSent`]; so did [`Error::NoToken`] (a `unifiedorder` whose token call
///   failed), unless its cause is unauthorized, rate limited or invalid.
impl Classify for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Validation { .. } | Error::Config { .. } => ErrorClass::InvalidRequest,
            Error::Http { operation, source } => source.class(*operation),
            Error::Decode { operation, .. } | Error::ResponseMismatch { operation, .. } => {
                match operation_kind(operation) {
                    Operation::Query => ErrorClass::InvalidAnswer,
                    Operation::Mutation => ErrorClass::OutcomeUnknown,
                }
            }
            Error::Api { code, .. } => api_class(*code),
            Error::RateLimited { .. } => ErrorClass::RateLimited,
            Error::TokenStore { .. } | Error::RateLimiter { .. } => ErrorClass::NotSent,
            Error::NoToken { source, .. } => match source.class() {
                c @ (ErrorClass::Unauthorized
                | ErrorClass::RateLimited
                | ErrorClass::InvalidRequest) => c,
                _ => ErrorClass::NotSent,
            },
        }
    }

    /// The documented codes (-5 to 10) as text; a code the document does not list has none
    /// here (read it from [`Error::Api`]'s `code`).
    fn provider_code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => code_text(code.code()),
            Error::NoToken { source, .. } => source.provider_code(),
            Error::Validation { .. }
            | Error::Config { .. }
            | Error::Http { .. }
            | Error::Decode { .. }
            | Error::ResponseMismatch { .. }
            | Error::RateLimited { .. }
            | Error::TokenStore { .. }
            | Error::RateLimiter { .. } => None,
        }
    }
}

fn api_class(code: ApiCode) -> ErrorClass {
    let refused = ErrorClass::Rejected { retryable: false };
    match code {
        ApiCode::AccessToken(_) => ErrorClass::Unauthorized,
        ApiCode::UnifiedOrder(c) => match c {
            UnifiedOrderCode::TokenInvalid => ErrorClass::Unauthorized,
            UnifiedOrderCode::DatabaseInsertFailed9 | UnifiedOrderCode::DatabaseInsertFailed10 => {
                ErrorClass::Rejected { retryable: true }
            }
            UnifiedOrderCode::NotFound
            | UnifiedOrderCode::AccountAbnormal
            | UnifiedOrderCode::MoneyInvalid
            | UnifiedOrderCode::ChannelNoInvalid
            | UnifiedOrderCode::OutOrderNoInvalid
            | UnifiedOrderCode::NoSuitableBankCard
            | UnifiedOrderCode::ChannelNotEnabled
            | UnifiedOrderCode::Unknown(_) => refused,
        },
        ApiCode::Query(c) => match c {
            QueryCode::NotFound | QueryCode::ParamInvalid | QueryCode::Unknown(_) => refused,
        },
        ApiCode::Balance(c) => match c {
            BalanceCode::TokenInvalid => ErrorClass::Unauthorized,
            BalanceCode::NotFound | BalanceCode::ParamInvalid | BalanceCode::Unknown(_) => refused,
        },
    }
}

/// The text of a documented code (the tables hold -5 to 10).
fn code_text(code: i64) -> Option<&'static str> {
    const TEXT: [&str; 16] = [
        "-5", "-4", "-3", "-2", "-1", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
    ];
    let i = usize::try_from(code.checked_add(5)?).ok()?;
    TEXT.get(i).copied()
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

/// A notify refused for its signature (absent, not hex, not matching, ambiguous) is
/// [`ErrorClass::Unauthorized`]; a body that is not the documented notify is
/// [`ErrorClass::InvalidAnswer`] (Mifeng sends it again); an oversized body is
/// [`ErrorClass::InvalidRequest`] (refused unread); a notify for another merchant, of another
/// amount or contradicted by the query is a final [`ErrorClass::Rejected`]; a failed
/// confirmation query has that query's class.
impl Classify for NotifyError {
    fn class(&self) -> ErrorClass {
        match self {
            NotifyError::BodyTooLarge { .. } => ErrorClass::InvalidRequest,
            NotifyError::Malformed { .. }
            | NotifyError::DuplicateField { .. }
            | NotifyError::MissingField { .. }
            | NotifyError::BadValue { .. } => ErrorClass::InvalidAnswer,
            NotifyError::MissingSignature
            | NotifyError::BadSignatureEncoding
            | NotifyError::SignatureMismatch
            | NotifyError::Ambiguous { .. } => ErrorClass::Unauthorized,
            NotifyError::MerchantMismatch { .. }
            | NotifyError::AmountMismatch { .. }
            | NotifyError::QueryMismatch { .. } => ErrorClass::Rejected { retryable: false },
            NotifyError::Query(e) => e.class(),
        }
    }
}
