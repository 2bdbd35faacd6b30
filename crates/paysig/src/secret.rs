//! Secrets that never print.
//!
//! [`SecretString`] is `secrecy`'s: its `Debug` prints `[REDACTED]`, it has no `Display`,
//! and reading it is an explicit [`ExposeSecret::expose_secret`]. Provider configs hold every
//! credential (app_key, secret, tokens) in one.

pub use secrecy::{ExposeSecret, SecretBox, SecretString};

/// Keys whose values are masked wherever paysig prints parameters.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["key", "secret", "token", "password", "private"]
        .iter()
        .any(|s| k.contains(s))
}

/// Replaces a secret inside `text` with asterisks, for showing a string that was signed.
///
/// ```
/// assert_eq!(paysig::secret::mask_in("a=1&key=abc", "abc"), "a=1&key=***");
/// ```
pub fn mask_in(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    text.replace(secret, "***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_string_never_prints() {
        let s = SecretString::from("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2");
    }
}
