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

/// Masks the values of secret-named pairs in free text, form style (`secret=abc&`) and JSON
/// style (`"app_key":"abc"`), for text that leaves our hands (error snippets of a response
/// body, which a gateway may have filled with an echo of our request).
///
/// ```
/// let t = paysig::secret::mask_secret_pairs(r#"bad request: mch_id=1&secret=s3cr3t {"token":"t0k"}"#);
/// assert_eq!(t, r#"bad request: mch_id=1&secret=*** {"token":"***"}"#);
/// ```
pub fn mask_secret_pairs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(['=', ':']) {
        let (before, after) = rest.split_at(pos);
        out.push_str(before);
        let sep = &after[..1];
        let mut value = &after[1..];
        // The key is the run of word characters (and a closing quote) before the separator.
        let key: String = before
            .trim_end_matches('"')
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        out.push_str(sep);
        if !key.is_empty() && is_secret_key(&key) {
            let quoted = value.trim_start().starts_with('"');
            if quoted {
                let lead = value.len() - value.trim_start().len();
                out.push_str(&value[..lead + 1]);
                value = &value[lead + 1..];
                let end = value.find('"').unwrap_or(value.len());
                out.push_str("***");
                value = &value[end..];
            } else {
                let end = value
                    .find(|c: char| c == '&' || c == ',' || c == '}' || c.is_whitespace())
                    .unwrap_or(value.len());
                out.push_str("***");
                value = &value[end..];
            }
        }
        rest = value;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_pairs_are_masked_in_form_and_json_text() {
        assert_eq!(
            mask_secret_pairs("a=1&app_key=k1&b=2"),
            "a=1&app_key=***&b=2"
        );
        assert_eq!(
            mask_secret_pairs(r#"{"access_token": "t1", "amount":"1"}"#),
            r#"{"access_token": "***", "amount":"1"}"#
        );
        assert_eq!(mask_secret_pairs("private_key=abc"), "private_key=***");
        assert_eq!(
            mask_secret_pairs("no pairs here: just text"),
            "no pairs here: just text"
        );
        assert_eq!(mask_secret_pairs("secret=\"unterminated"), "secret=\"***");
        assert_eq!(mask_secret_pairs("=:"), "=:");
        assert_eq!(
            mask_secret_pairs("=secret:"),
            "=secret:***",
            "an empty value is masked too: fails safe"
        );
    }

    #[test]
    fn secret_string_never_prints() {
        let s = SecretString::from("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2");
    }
}
