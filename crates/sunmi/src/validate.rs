//! Checks made before anything is sent; each error names the wire field.

use crate::error::Error;
use paysig::Money;

/// Checks a documented `String(max)` field: present, not empty, at most `max` characters.
pub(crate) fn check(field: &'static str, value: &str, max: usize) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::Validation {
            field,
            reason: "must not be empty".into(),
        });
    }
    // A string of no more bytes than `max` has no more characters: the count is skipped.
    if value.len() <= max {
        return Ok(());
    }
    let len = value.chars().count();
    if len > max {
        return Err(Error::Validation {
            field,
            reason: format!("{len} characters, at most {max} allowed (String({max}))"),
        });
    }
    Ok(())
}

/// Refuses a zero amount: every amount field of the document is at least 1 fen.
pub(crate) fn positive(field: &'static str, amount: Money) -> Result<(), Error> {
    if amount.is_zero() {
        Err(Error::Validation {
            field,
            reason: "must be at least 1 fen (0.01 yuan)".into(),
        })
    } else {
        Ok(())
    }
}
