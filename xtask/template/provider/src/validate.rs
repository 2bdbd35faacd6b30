//! Checks on the caller's input before anything is signed or sent.

use crate::Error;

/// A merchant order or refund number: 1 to 32 ASCII letters, digits, `_` or `-`.
pub(crate) fn order_no(field: &'static str, value: &str) -> Result<(), Error> {
    let ok = !value.is_empty()
        && value.len() <= 32
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::Validation {
            field,
            reason: "1 to 32 ASCII letters, digits, `_` or `-`".into(),
        })
    }
}
