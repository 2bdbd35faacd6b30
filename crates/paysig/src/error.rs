//! The signing and verification error.

/// Why signing or verification failed. Never carries a secret: values that could be secret
/// are not included, only field names and lengths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A field the rules need is absent.
    #[error("required field {field:?} is missing")]
    MissingField {
        /// The absent field.
        field: String,
    },
    /// There is no signature to check (absent or empty `sign`).
    #[error("the message carries no signature (field {field:?})")]
    MissingSignature {
        /// Where the signature was expected.
        field: String,
    },
    /// The signature is not valid base64 (RSA) or not hex of the right length (MD5).
    #[error("signature is not valid {encoding}")]
    BadEncoding {
        /// `base64` or `hex`.
        encoding: &'static str,
    },
    /// The signature does not match the message.
    #[error("signature does not match")]
    Mismatch,
    /// A key could not be loaded.
    #[error("key rejected: {reason}")]
    BadKey {
        /// What was wrong with it (never the key material).
        reason: String,
    },
    /// The backend refused to sign (should not happen with a loaded key).
    #[error("signing failed: {reason}")]
    Signing {
        /// The backend's reason.
        reason: String,
    },
    /// The signed string has more than one reading: this field's name or value contains a
    /// separator of the string (`&`, or `=` in a name), so the same bytes could stand for other
    /// fields than the ones received. A signature over it proves nothing about the fields.
    #[error("field {field:?} makes the signed string ambiguous (it contains a separator)")]
    Ambiguous {
        /// The field whose name or value holds the separator.
        field: String,
    },
}
