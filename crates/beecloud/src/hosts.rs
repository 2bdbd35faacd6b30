//! Which host each call goes to (beecloud.md §1: 所有server可无差别使用，也可随机使用, any server
//! may be used, at random).

use std::fmt::Debug;
use std::sync::Mutex;

/// Chooses, for one call, the order in which the hosts are tried: the first is where the call
/// goes, the others are the failover order.
pub trait HostPicker: Send + Sync + Debug {
    /// A permutation of `0..count`. Indices out of range or repeated are ignored and missing
    /// ones appended, so a faulty picker never makes a host unreachable.
    fn order(&self, count: usize) -> Vec<usize>;
}

/// Uniformly random order per call, as the official SDKs picked (they did not fail over).
///
/// A shuffle rather than "the next in the list": when one host is down, its share of calls
/// spreads over all the others instead of doubling the load of its neighbour.
#[derive(Debug)]
pub struct RandomPicker {
    // Spreading load needs no secrecy: fastrand (a Fisher-Yates `shuffle` with unbiased
    // indices, and reproducible from a seed) is already built for paysig's backoff.
    rng: Mutex<fastrand::Rng>,
}

impl RandomPicker {
    /// Seeded from the operating system.
    pub fn new() -> Self {
        RandomPicker {
            rng: Mutex::new(fastrand::Rng::with_seed(paysig::random::u64())),
        }
    }

    /// Seeded, for reproducible tests.
    pub fn seeded(seed: u64) -> Self {
        RandomPicker {
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }
}

impl Default for RandomPicker {
    fn default() -> Self {
        Self::new()
    }
}

impl HostPicker for RandomPicker {
    fn order(&self, count: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..count).collect();
        // A poisoned lock only means another thread panicked mid-shuffle; the RNG state is
        // still a valid RNG state.
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        rng.shuffle(&mut order);
        order
    }
}

/// Always the configured order: the first host, then the next (deterministic tests, or a
/// preferred host with fallbacks).
#[derive(Debug, Clone, Copy, Default)]
pub struct InOrder;

impl HostPicker for InOrder {
    fn order(&self, count: usize) -> Vec<usize> {
        (0..count).collect()
    }
}

/// The order of one call over `count` hosts: the picker's, repaired into a permutation of
/// `0..count`. One host needs no choice, so the picker is asked only when there are two or
/// more; the repair works in the picker's own vector (no copy per call).
pub(crate) fn sanitized(
    picker: &dyn HostPicker,
    count: usize,
) -> impl Iterator<Item = usize> + Send + use<> {
    let many = (count > 1).then(|| repaired(picker.order(count), count));
    let one = (count == 1).then_some(0);
    one.into_iter().chain(many.into_iter().flatten())
}

/// `order` with indices out of range or repeated dropped, then the missing ones appended.
fn repaired(mut order: Vec<usize>, count: usize) -> Vec<usize> {
    let mut seen = Seen::new(count);
    order.retain(|&i| i < count && seen.insert(i));
    if order.len() < count {
        order.extend((0..count).filter(|&i| !seen.contains(i)));
    }
    order
}

/// The indices met so far: bits of one word up to 128 hosts (no allocation), flags beyond.
enum Seen {
    Bits(u128),
    Flags(Vec<bool>),
}

impl Seen {
    fn new(count: usize) -> Self {
        if count <= 128 {
            Seen::Bits(0)
        } else {
            Seen::Flags(vec![false; count])
        }
    }

    /// Marks `i` (below the count); whether it was new.
    fn insert(&mut self, i: usize) -> bool {
        match self {
            Seen::Bits(bits) => {
                let bit = 1u128 << i;
                let new = *bits & bit == 0;
                *bits |= bit;
                new
            }
            Seen::Flags(flags) => !std::mem::replace(&mut flags[i], true),
        }
    }

    fn contains(&self, i: usize) -> bool {
        match self {
            Seen::Bits(bits) => *bits & (1u128 << i) != 0,
            Seen::Flags(flags) => flags[i],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Broken;
    impl HostPicker for Broken {
        fn order(&self, _: usize) -> Vec<usize> {
            vec![7, 1, 1]
        }
    }

    #[test]
    fn a_faulty_picker_still_reaches_every_host() {
        assert_eq!(sanitized(&Broken, 3).collect::<Vec<_>>(), vec![1, 0, 2]);
        // Past the one-word set of indices (7 is in range there).
        let order: Vec<usize> = sanitized(&Broken, 200).collect();
        assert_eq!(order[..5], [7, 1, 0, 2, 3]);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..200).collect::<Vec<_>>());
    }

    /// Counts the times it is asked.
    #[derive(Debug, Default)]
    struct Asked(std::sync::atomic::AtomicUsize);
    impl HostPicker for Asked {
        fn order(&self, count: usize) -> Vec<usize> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (0..count).rev().collect()
        }
    }

    #[test]
    fn one_host_needs_no_picker_and_none_gives_an_empty_order() {
        let asked = Asked::default();
        assert_eq!(sanitized(&asked, 1).collect::<Vec<_>>(), vec![0]);
        assert_eq!(sanitized(&asked, 0).count(), 0);
        assert_eq!(asked.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(sanitized(&asked, 3).collect::<Vec<_>>(), vec![2, 1, 0]);
        assert_eq!(asked.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn random_order_is_a_permutation_and_reproducible() {
        let a = RandomPicker::seeded(7);
        let b = RandomPicker::seeded(7);
        for _ in 0..20 {
            let o = a.order(4);
            assert_eq!(o, b.order(4));
            let mut s = o.clone();
            s.sort();
            assert_eq!(s, vec![0, 1, 2, 3]);
        }
    }

    #[test]
    fn every_order_of_three_hosts_comes_up_about_equally() {
        // 6 orders, 6 000 draws: mean 1 000, sd ~29; 850..=1 150 is over 5 sd either way.
        let picker = RandomPicker::new();
        let mut counts = std::collections::HashMap::<Vec<usize>, u32>::new();
        for _ in 0..6_000 {
            *counts.entry(picker.order(3)).or_default() += 1;
        }
        assert_eq!(counts.len(), 6, "{counts:?}");
        assert!(
            counts.values().all(|&c| (850..=1_150).contains(&c)),
            "{counts:?}"
        );
    }
}
