//! Checks made before anything is sent; each error names the wire field.

use crate::Error;

/// A required text field: not blank, no surrounding whitespace, no control characters.
pub(crate) fn text(field: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::Validation {
            field,
            reason: "must not be empty".into(),
        });
    }
    if value.trim() != value {
        return Err(Error::Validation {
            field,
            reason: "must not start or end with whitespace".into(),
        });
    }
    no_control(field, value)
}

/// An optional text field: no control characters.
pub(crate) fn no_control(field: &'static str, value: &str) -> Result<(), Error> {
    if value.chars().any(char::is_control) {
        return Err(Error::Validation {
            field,
            reason: "must not contain control characters".into(),
        });
    }
    Ok(())
}
