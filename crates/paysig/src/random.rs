//! Random numbers straight from the operating system (`getrandom`), for nonces, retry jitter,
//! lock values and host order.
//!
//! None of these needs a fast userspace generator: a nonce is drawn once per request and a
//! jitter once per retry, next to a network round trip. Reading the OS source each time spares
//! every provider user the `rand` family (five crates) for a few bytes per call.
//!
//! # Panics
//!
//! Every function panics if the operating system's random source fails, as `rand`'s
//! thread-local generator did before: there is no safe nonce without it, and on the supported
//! platforms it does not fail once the system has booted.

/// Fills `buf` with random bytes.
///
/// ```
/// let mut a = [0u8; 16];
/// let mut b = [0u8; 16];
/// paysig::random::fill(&mut a);
/// paysig::random::fill(&mut b);
/// assert_ne!(a, b);
/// ```
pub fn fill(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        failed(e)
    }
}

/// A random `u64`, every value equally likely.
pub fn u64() -> u64 {
    getrandom::u64().unwrap_or_else(|e| failed(e))
}

/// 128 random bits as 32 lowercase hex digits: a lock value, a queue member, a request id.
///
/// ```
/// let h = paysig::random::hex32();
/// assert_eq!(h.len(), 32);
/// assert!(h.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
/// assert_ne!(h, paysig::random::hex32());
/// ```
pub fn hex32() -> String {
    format!("{:016x}{:016x}", u64(), u64())
}

/// A uniform draw in `0..=max`, without modulo bias.
///
/// ```
/// assert!(paysig::random::up_to(3) <= 3);
/// assert_eq!(paysig::random::up_to(0), 0);
/// ```
pub fn up_to(max: u64) -> u64 {
    let Some(span) = max.checked_add(1) else {
        return u64();
    };
    // Reject the lowest `2^64 mod span` values, so that the rest is a whole number of
    // `span`-sized blocks and `% span` hits every result equally often.
    let reject_below = span.wrapping_neg() % span;
    loop {
        let x = u64();
        if x >= reject_below {
            return x % span;
        }
    }
}

#[cold]
fn failed(e: getrandom::Error) -> ! {
    panic!("the operating system's random source failed: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_stays_in_range_and_reaches_both_ends() {
        let mut seen = [false; 3];
        for _ in 0..1_000 {
            let x = up_to(2);
            assert!(x <= 2);
            seen[x as usize] = true;
        }
        assert_eq!(seen, [true; 3]);
        assert_eq!(up_to(0), 0);
        // The full range has no span to reduce to; it must still return (any value is fine).
        let _ = up_to(u64::MAX);
    }

    #[test]
    fn up_to_is_close_to_uniform() {
        // 7 buckets, 70 000 draws: mean 10 000, sd ~93; 9 500..=10 500 is over 5 sd.
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[up_to(6) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..=10_500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn u64_draws_differ() {
        let set: std::collections::HashSet<u64> = (0..1_000).map(|_| u64()).collect();
        assert_eq!(set.len(), 1_000);
    }
}
