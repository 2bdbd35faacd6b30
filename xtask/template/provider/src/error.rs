//! Errors of the client's calls ([`Error`]) and of notify verification ([`NotifyError`]).

use std::fmt;

use paysig::class::{Classify, ErrorClass, Operation};
use paysig::http::HttpError;
use paysig::{Money, SignError};

use crate::model::ResultCode;

/// Why a call failed. Never holds a secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The caller's input breaks the document's rules; nothing was sent.
    Validation {
        /// The field.
        field: &'static str,
        /// The rule broken.
        reason: String,
    },
    /// A setting is unusable (a base URL that does not parse); nothing was sent.
    Config {
        /// What is wrong.
        reason: String,
    },
    /// No usable HTTP answer.
    Http {
        /// Whether the call may have moved money (decides the class).
        operation: Operation,
        /// The transport failure.
        source: HttpError,
    },
    /// The answer could not be read.
    Decode {
        /// What was wrong with it.
        reason: String,
    },
    /// {{Title}} answered with a failure code.
    Api {
        /// The `result_code`.
        code: ResultCode,
        /// The provider's message.
        message: String,
    },
    /// The answer is about another order than the one asked for.
    ResponseMismatch {
        /// The field compared.
        field: &'static str,
        /// What was sent.
        sent: String,
        /// What came back.
        received: String,
    },
    /// The request could not be signed.
    Sign(SignError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Validation { field, reason } => write!(f, "invalid `{field}`: {reason}"),
            Error::Config { reason } => write!(f, "unusable configuration: {reason}"),
            Error::Http { source, .. } => write!(f, "HTTP failure: {source}"),
            Error::Decode { reason } => write!(f, "unreadable answer: {reason}"),
            Error::Api { code, message } => write!(f, "{{Title}} refused ({code}): {message}"),
            Error::ResponseMismatch {
                field,
                sent,
                received,
            } => write!(f, "answer `{field}` is {received:?}, sent {sent:?}"),
            Error::Sign(e) => write!(f, "signing failed: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Http { source, .. } => Some(source),
            Error::Sign(e) => Some(e),
            _ => None,
        }
    }
}

impl Classify for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Validation { .. } | Error::Config { .. } | Error::Sign(_) => {
                ErrorClass::InvalidRequest
            }
            Error::Http { operation, source } => source.class(*operation),
            Error::Decode { .. } | Error::ResponseMismatch { .. } => ErrorClass::InvalidAnswer,
            Error::Api { .. } => ErrorClass::Rejected { retryable: false },
        }
    }

    fn provider_code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code.as_str()),
            _ => None,
        }
    }
}

/// Why a notify was refused. Answer the provider with a failure so that it sends again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyError {
    /// The body is longer than the limit; it was not read.
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The body is not a form (or not UTF-8).
    Malformed {
        /// What was wrong.
        reason: String,
    },
    /// A required field is absent or empty.
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field appears twice: which value was signed would be ambiguous.
    DuplicateField {
        /// The field.
        field: String,
    },
    /// The notify carries no signature.
    MissingSignature,
    /// The signature does not match the fields received.
    SignatureMismatch,
    /// A signed field holds `&` or `=`: the signed string would have another reading.
    Ambiguous {
        /// The field.
        field: String,
    },
    /// The amount notified differs from the order's.
    AmountMismatch {
        /// The order's amount.
        expected: Money,
        /// The notified amount.
        received: Money,
    },
}

impl fmt::Display for NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifyError::BodyTooLarge { len, limit } => {
                write!(f, "notify body of {len} bytes is over the {limit}-byte limit")
            }
            NotifyError::Malformed { reason } => write!(f, "malformed notify: {reason}"),
            NotifyError::MissingField { field } => write!(f, "notify has no `{field}`"),
            NotifyError::DuplicateField { field } => write!(f, "notify repeats `{field}`"),
            NotifyError::MissingSignature => f.write_str("notify is not signed"),
            NotifyError::SignatureMismatch => f.write_str("notify signature does not match"),
            NotifyError::Ambiguous { field } => {
                write!(f, "notify field `{field}` makes the signed string ambiguous")
            }
            NotifyError::AmountMismatch { expected, received } => {
                write!(f, "notify amount {received} differs from the order's {expected}")
            }
        }
    }
}

impl std::error::Error for NotifyError {}
