//! Random nonces.

/// The 62 characters a nonce is drawn from (ASCII letters and digits).
const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A fresh 32-character alphanumeric nonce from the operating system's random source.
///
/// ```
/// let n = paysig::nonce();
/// assert_eq!(n.len(), 32);
/// assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
/// assert_ne!(n, paysig::nonce());
/// ```
pub fn nonce() -> String {
    nonce_text().as_str().to_owned()
}

/// [`nonce()`] on the stack, for a body that writes it in directly.
pub fn nonce_text() -> crate::ascii::AsciiText<32> {
    // 248 = 4 × 62: bytes from 248 up are dropped, so each character is equally likely. 48
    // bytes hold 32 usable ones all but about once in 10^13 calls, which reads 48 more.
    let mut out = [0u8; 32];
    let mut len = 0;
    let mut bytes = [0u8; 48];
    while len < out.len() {
        crate::random::fill(&mut bytes);
        for &b in bytes.iter().filter(|&&b| b < 248) {
            if len == out.len() {
                break;
            }
            out[len] = ALPHANUMERIC[usize::from(b % 62)];
            len += 1;
        }
    }
    crate::ascii::AsciiText(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonces_do_not_repeat() {
        let set: std::collections::HashSet<String> = (0..10_000).map(|_| super::nonce()).collect();
        assert_eq!(set.len(), 10_000);
    }

    #[test]
    fn every_character_is_drawn_about_equally() {
        // 62 characters, 3 100 nonces × 32: mean 1 600 each, sd ~40; 1 350..=1 850 is over 6 sd.
        let mut counts = [0u32; 128];
        for _ in 0..3_100 {
            for b in super::nonce().bytes() {
                counts[usize::from(b)] += 1;
            }
        }
        for &c in super::ALPHANUMERIC {
            let n = counts[usize::from(c)];
            assert!(
                (1_350..=1_850).contains(&n),
                "{} drawn {n} times",
                char::from(c)
            );
        }
        let in_alphabet: u32 = super::ALPHANUMERIC
            .iter()
            .map(|&c| counts[usize::from(c)])
            .sum();
        assert_eq!(in_alphabet, 3_100 * 32, "nothing outside the alphabet");
    }
}
