//! Errors of client calls ([`Error`]) and of notifies ([`NotifyError`]). None carries a secret.

use paysig::Money;
use paysig::class::{Classify, ErrorClass, Operation};
use paysig::http::HttpError;
use paysig::jwt::JwtError;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field (or the configuration) is invalid; nothing was sent.
    #[error("invalid {field}: {reason}")]
    Validation {
        /// The field, by its wire name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The configuration cannot be used (e.g. a base URL that cannot be joined); nothing
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
    /// The answer is neither a JWT nor JSON, or its payload is not the documented shape.
    #[error("pooul {operation}: response could not be decoded: {reason}")]
    Decode {
        /// The operation (`pay`, `query`, ...).
        operation: &'static str,
        /// The parser's message.
        reason: String,
    },
    /// Pooul refused the request: `code` is not 0 ("0为成功，非0为失败"). The document lists
    /// no codes beyond that, so the code is kept raw.
    #[error("pooul {operation}: refused with code {code}: {msg}")]
    Api {
        /// The operation.
        operation: &'static str,
        /// Pooul's `code`.
        code: i64,
        /// Pooul's `msg`.
        msg: String,
        /// `data.trade_info`, when the failure carries one (the samples put the same words in
        /// `msg` and `trade_info`, e.g. "支付中, USERPAYING, ...").
        trade_info: Option<String>,
        /// The HTTP status it came with.
        http_status: u16,
        /// Whether the answer was a verified JWT (`false`: unsigned plain JSON).
        signed: bool,
    },
    /// The answer is a JWT that does not verify with Pooul's public key (wrong key, wrong
    /// `alg`, tampered, malformed).
    #[error("pooul {operation}: response JWT refused: {source}")]
    ResponseSignature {
        /// The operation.
        operation: &'static str,
        /// Why.
        source: JwtError,
    },
    /// The answer is unsigned plain JSON that cannot be believed: it claims success, or
    /// [`crate::PlainJsonFailures::Reject`] is configured.
    #[error("pooul {operation}: unsigned plain-JSON response (code {code}) refused")]
    Unsigned {
        /// The operation.
        operation: &'static str,
        /// The `code` it carried.
        code: i64,
    },
    /// A verified answer is about another order or merchant (see [`crate::EchoCheck`]), or
    /// reports paid with another amount (`total_fee`, in fen, in [`crate::Client::micro_pay`]).
    #[error("pooul {operation}: response {field} is {got:?}, expected {expected:?}")]
    ResponseMismatch {
        /// The operation.
        operation: &'static str,
        /// `mch_trade_id`, `merchant_id` or `total_fee`.
        field: &'static str,
        /// What was asked about.
        expected: String,
        /// What came back.
        got: String,
    },
    /// The request could not be signed (bad private key).
    #[error("signing the request failed: {reason}")]
    Sign {
        /// Why.
        reason: String,
    },
    /// The micro-pay flow could not reverse an order whose outcome stayed unknown: the
    /// order must be reversed or checked by hand.
    #[error("micro-pay {mch_trade_id}: reverse failed after {attempts} attempts: {last}")]
    ReverseFailed {
        /// The order.
        mch_trade_id: String,
        /// Reverse calls made.
        attempts: u32,
        /// The last call's error.
        last: Box<Error>,
    },
}

impl Error {
    /// Whether this is a Pooul answer that reports a system error rather than a refusal: an
    /// [`Error::Api`] whose `msg` or `trade_info` contains "系统错误" (the word of pooul.md's
    /// reminder 1) or "SYSTEMERROR" (any case; the WeChat code Pooul passes through in its
    /// messages, as it does "USERPAYING"). The document gives no code for it, so the match is
    /// on the words: an inference. After such an answer to a pay, the order may exist and the
    /// payer may have been charged: query it (reminder 1).
    pub fn is_system_error(&self) -> bool {
        let Error::Api {
            msg, trade_info, ..
        } = self
        else {
            return false;
        };
        let says = |text: &str| {
            text.contains("系统错误") || text.to_ascii_uppercase().contains("SYSTEMERROR")
        };
        says(msg) || trade_info.as_deref().is_some_and(says)
    }
}

impl Error {
    /// The class of this error, without importing [`Classify`].
    pub fn class(&self) -> ErrorClass {
        Classify::class(self)
    }

    /// Pooul's `code` of a refusal ([`Error::Api`]), as the integer it answered. (Pooul's
    /// codes are integers the document does not list, so [`Classify::provider_code`], which
    /// lends text, has none.)
    pub fn api_code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Wraps a transport failure of the call `operation` (by name) with its kind.
pub(crate) fn http(operation: &str) -> impl FnOnce(HttpError) -> Error {
    let operation = operation_kind(operation);
    move |source| Error::Http { operation, source }
}

/// Whether a Pooul operation (by the name the variants carry) may move money: `pay`,
/// `micro_pay`, `refund`, `close` and `reverse` may; `query` and `refund_query` only read.
/// An unknown name counts as a mutation.
pub(crate) fn operation_kind(operation: &str) -> Operation {
    match operation {
        "query" | "refund_query" => Operation::Query,
        _ => Operation::Mutation,
    }
}

/// An answer that could not be believed: a query changed nothing, a create, refund, close
/// or reverse may have acted.
fn unusable_answer(operation: &str) -> ErrorClass {
    match operation_kind(operation) {
        Operation::Query => ErrorClass::InvalidAnswer,
        Operation::Mutation => ErrorClass::OutcomeUnknown,
    }
}

/// The classes:
/// - [`Error::Http`] is classed by the operation it carries ([`HttpError::class`]): a 5xx
///   leaves a create or refund's outcome unknown but is a retryable refusal of a query.
/// - [`Error::Api`]: a system error ([`Error::is_system_error`], pooul.md reminder 1) or a
///   "USERPAYING" answer leaves a pay, refund, close or reverse [`ErrorClass::OutcomeUnknown`]
///   (query it after 5 s) and is a retryable refusal of a query; any other code is a final
///   refusal (the document lists no other codes, so none is known to be worth repeating).
/// - An answer that does not verify, is unsigned or is about another order:
///   [`ErrorClass::InvalidAnswer`] for a query, [`ErrorClass::OutcomeUnknown`] otherwise.
/// - [`Error::Sign`] (our private key could not sign): [`ErrorClass::Unauthorized`],
///   nothing was sent.
/// - [`Error::ReverseFailed`]: the order's outcome stayed unknown and is left to the merchant.
impl Classify for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Validation { .. } | Error::Config { .. } => ErrorClass::InvalidRequest,
            Error::Http { operation, source } => source.class(*operation),
            Error::Decode { operation, .. }
            | Error::ResponseSignature { operation, .. }
            | Error::Unsigned { operation, .. }
            | Error::ResponseMismatch { operation, .. } => unusable_answer(operation),
            Error::Api {
                operation,
                msg,
                trade_info,
                ..
            } => {
                let paying = |t: &str| t.to_ascii_uppercase().contains("USERPAYING");
                let pending = self.is_system_error()
                    || paying(msg)
                    || trade_info.as_deref().is_some_and(paying);
                match (pending, operation_kind(operation)) {
                    (true, Operation::Mutation) => ErrorClass::OutcomeUnknown,
                    (true, Operation::Query) => ErrorClass::Rejected { retryable: true },
                    (false, _) => ErrorClass::Rejected { retryable: false },
                }
            }
            Error::Sign { .. } => ErrorClass::Unauthorized,
            Error::ReverseFailed { .. } => ErrorClass::OutcomeUnknown,
        }
    }
}

/// Why a pay or refund notify was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The body is longer than the reader's limit; nothing of it was parsed.
    #[error("notify body of {len} bytes is over the limit of {limit} bytes")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The body cannot be read: not UTF-8 (so not a compact JWT), or a verified payload
    /// that is not the documented notify shape (not JSON, a field of another type, more
    /// than one refund matching).
    #[error("notify body cannot be read: {reason}")]
    Malformed {
        /// What is wrong (the parser's message).
        reason: String,
    },
    /// A verified payload repeats a JSON member (at any depth): a reader keeping the first
    /// copy and one keeping the last would see different notifies, so it is refused.
    #[error("notify field {field:?} appears more than once")]
    DuplicateField {
        /// The repeated member's name.
        field: String,
    },
    /// A verified payload lacks a field the notify requires (e.g. `total_fee`).
    #[error("notify field {field:?} is missing")]
    MissingField {
        /// The absent member's name (as serde names it, without its parent).
        field: String,
    },
    /// The JWT has no signature: two segments (`header.payload`), or an empty third one
    /// (`header.payload.`) under an RS256 header.
    #[error("notify JWT carries no signature")]
    MissingSignature,
    /// The JWT's signature does not verify with Pooul's public key.
    #[error("notify signature does not match")]
    SignatureMismatch,
    /// The JWT was refused before its signature was checked: segments, base64, header JSON,
    /// or an `alg` other than RS256 (`none`, `HS256`, ...).
    #[error("notify JWT refused: {0}")]
    Jwt(JwtError),
    /// The notify is for another merchant.
    #[error("notify is for merchant {got:?}, expected {expected:?}")]
    MerchantMismatch {
        /// This client's merchant.
        expected: String,
        /// The notify's merchant.
        got: String,
    },
    /// The refund notify carries no refund with the number asked about.
    #[error("notify carries no refund {id:?}")]
    RefundNotFound {
        /// The `mch_refund_id` or `refund_id` looked for.
        id: String,
    },
    /// The notified amount differs from the order's amount.
    #[error("notified amount {got} differs from the expected {expected}")]
    AmountMismatch {
        /// The merchant's order amount.
        expected: Money,
        /// The notified `total_fee`.
        got: Money,
    },
}

/// A notify whose JWT was refused (no signature, another signature, another `alg`) is
/// [`ErrorClass::Unauthorized`]; a body that is not the documented notify (a member repeated
/// or missing included) is [`ErrorClass::InvalidAnswer`] (Pooul sends it again); an oversized
/// body is [`ErrorClass::InvalidRequest`] (refused unread); a notify for another merchant, a
/// refund it does not carry or another amount is a final [`ErrorClass::Rejected`].
impl Classify for NotifyError {
    fn class(&self) -> ErrorClass {
        match self {
            NotifyError::BodyTooLarge { .. } => ErrorClass::InvalidRequest,
            NotifyError::Jwt(_)
            | NotifyError::MissingSignature
            | NotifyError::SignatureMismatch => ErrorClass::Unauthorized,
            NotifyError::Malformed { .. }
            | NotifyError::DuplicateField { .. }
            | NotifyError::MissingField { .. } => ErrorClass::InvalidAnswer,
            NotifyError::MerchantMismatch { .. }
            | NotifyError::RefundNotFound { .. }
            | NotifyError::AmountMismatch { .. } => ErrorClass::Rejected { retryable: false },
        }
    }
}

/// A signature that does not verify is [`NotifyError::SignatureMismatch`], as in every payhub
/// provider crate; every other refusal of the JWT keeps its reason.
impl From<JwtError> for NotifyError {
    fn from(e: JwtError) -> Self {
        match e {
            JwtError::Signature => NotifyError::SignatureMismatch,
            other => NotifyError::Jwt(other),
        }
    }
}
