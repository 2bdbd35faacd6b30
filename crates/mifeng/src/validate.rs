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
    if has_control(value) {
        return Err(Error::Validation {
            field,
            reason: "must not contain control characters".into(),
        });
    }
    Ok(())
}

/// `value.chars().any(char::is_control)`, read from the bytes: a control character (U+0000 to
/// U+001F, U+007F to U+009F) is one byte below 0x20, 0x7F, or 0xC2 followed by 0x80 to 0x9F,
/// and no other character's encoding holds those (checked for every character below).
fn has_control(value: &str) -> bool {
    let bytes = value.as_bytes();
    // First a pass without early exit, which the compiler vectorises; the exact test runs
    // only on text that holds a candidate byte.
    let candidate = bytes.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == 0x7f) | (b == 0xc2)
    });
    candidate
        && bytes.iter().enumerate().any(|(i, &b)| {
            b < 0x20 || b == 0x7f || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| *n <= 0x9f))
        })
}

#[cfg(test)]
mod tests {
    use super::has_control;

    #[test]
    fn control_characters_are_found_from_the_bytes_as_from_the_chars() {
        let every = (0..=0x10_ffff).filter_map(char::from_u32);
        for c in every {
            for text in [
                c.to_string(),
                format!("a{c}"),
                format!("{c}é"),
                format!("商{c}米"),
            ] {
                assert_eq!(
                    has_control(&text),
                    text.chars().any(char::is_control),
                    "{:?}",
                    c as u32
                );
            }
        }
    }
}
