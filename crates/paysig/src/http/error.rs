//! Transport errors.

use crate::class::{ErrorClass, Operation};

/// Why a call got no usable HTTP answer. Names the host, never the query or body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The connection could not be made: the request provably never reached the server.
    #[error("could not connect to {host}: {reason}")]
    Connect {
        /// The host (and port).
        host: String,
        /// The transport's reason.
        reason: String,
    },
    /// No answer in time; the server may or may not have acted on the request.
    #[error("no answer from {host} in time")]
    Timeout {
        /// The host (and port).
        host: String,
    },
    /// The response body could not be read (connection closed early, truncated).
    #[error("response body from {host} could not be read: {reason}")]
    Body {
        /// The host (and port).
        host: String,
        /// The transport's reason.
        reason: String,
    },
    /// Another transport failure after the request may have been sent.
    #[error("request to {host} failed: {reason}")]
    Transport {
        /// The host (and port).
        host: String,
        /// The transport's reason.
        reason: String,
    },
    /// The server answered with a non-success HTTP status.
    #[error("{host} answered HTTP {status}: {snippet}")]
    Status {
        /// The host (and port).
        host: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body (at most 200 characters), for diagnosis.
        snippet: String,
    },
    /// The HTTP client, or a request, could not be built; nothing was sent.
    #[error("HTTP client or request could not be built: {0}")]
    Build(String),
}

impl HttpError {
    /// True when the request provably never reached a server, so sending it elsewhere
    /// cannot cause a double charge.
    pub fn never_sent(&self) -> bool {
        matches!(self, HttpError::Connect { .. })
    }

    /// The host (and port) the failure names; `None` for [`HttpError::Build`].
    pub fn host(&self) -> Option<&str> {
        match self {
            HttpError::Connect { host, .. }
            | HttpError::Timeout { host }
            | HttpError::Body { host, .. }
            | HttpError::Transport { host, .. }
            | HttpError::Status { host, .. } => Some(host),
            HttpError::Build(_) => None,
        }
    }

    /// True for a 5xx answer.
    pub fn is_server_error(&self) -> bool {
        matches!(self, HttpError::Status { status, .. } if *status >= 500)
    }

    /// The class of this failure for a call of kind `op`.
    ///
    /// A refused connection was never sent; a timeout, a dropped connection or an unreadable
    /// body leaves the outcome unknown; a 5xx leaves a [`Operation::Mutation`]'s outcome
    /// unknown (the provider may have acted before failing) but is a retryable refusal of a
    /// [`Operation::Query`]; 401/403 is unauthorized, 429 rate limited, another 4xx a
    /// refusal.
    ///
    /// ```
    /// use paysig::class::{ErrorClass, Operation};
    /// use paysig::http::HttpError;
    /// let e = HttpError::Status { host: "h".into(), status: 502, snippet: String::new() };
    /// assert_eq!(e.class(Operation::Mutation), ErrorClass::OutcomeUnknown);
    /// assert_eq!(e.class(Operation::Query), ErrorClass::Rejected { retryable: true });
    /// ```
    pub fn class(&self, op: Operation) -> ErrorClass {
        match self {
            HttpError::Connect { .. } => ErrorClass::NotSent,
            HttpError::Build(_) => ErrorClass::InvalidRequest,
            HttpError::Timeout { .. } | HttpError::Body { .. } | HttpError::Transport { .. } => {
                ErrorClass::OutcomeUnknown
            }
            HttpError::Status { status, .. } => status_class(*status, op),
        }
    }
}

/// The class of a non-success HTTP status for a call of kind `op` (see [`HttpError::class`]).
pub fn status_class(status: u16, op: Operation) -> ErrorClass {
    match (status, op) {
        (401 | 403, _) => ErrorClass::Unauthorized,
        (429, _) => ErrorClass::RateLimited,
        (500.., Operation::Mutation) => ErrorClass::OutcomeUnknown,
        (500.., Operation::Query) => ErrorClass::Rejected { retryable: true },
        _ => ErrorClass::Rejected { retryable: false },
    }
}
