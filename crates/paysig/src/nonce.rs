//! Random nonces.

use rand::Rng;
use rand::distr::Alphanumeric;

/// A fresh 32-character alphanumeric nonce from the thread-local CSPRNG.
///
/// ```
/// let n = paysig::nonce();
/// assert_eq!(n.len(), 32);
/// assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
/// assert_ne!(n, paysig::nonce());
/// ```
pub fn nonce() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonces_do_not_repeat() {
        let set: std::collections::HashSet<String> = (0..10_000).map(|_| super::nonce()).collect();
        assert_eq!(set.len(), 10_000);
    }
}
