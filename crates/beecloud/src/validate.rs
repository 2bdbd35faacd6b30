//! Field checks shared by the requests; each error names the wire field.

use crate::error::Error;

pub(crate) fn non_blank(field: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::Validation {
            field,
            reason: "is required and must not be blank".into(),
        });
    }
    Ok(())
}

/// `min..=max` ASCII letters and digits (the documents' 数字和/或字母).
pub(crate) fn alphanumeric(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), Error> {
    if !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::Validation {
            field,
            reason: "must hold only ASCII letters and digits".into(),
        });
    }
    if !(min..=max).contains(&value.len()) {
        return Err(Error::Validation {
            field,
            reason: format!("is {} characters, {min} to {max} allowed", value.len()),
        });
    }
    Ok(())
}
