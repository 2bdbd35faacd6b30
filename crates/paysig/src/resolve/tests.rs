use super::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// A round that counts itself and says "again" with its own number, or "done" from
/// round `done_at` on.
async fn count_rounds(
    policy: &ResolvePolicy,
    done_at: Option<u32>,
) -> (Result<u32, Exhausted<u32>>, u32) {
    let rounds = AtomicU32::new(0);
    let out = poll(policy, || {
        let n = rounds.fetch_add(1, Ordering::Relaxed) + 1;
        async move {
            match done_at {
                Some(d) if n >= d => Step::Done(n),
                _ => Step::Again(n),
            }
        }
    })
    .await;
    (out, rounds.into_inner())
}

fn no_deadline(interval: Duration) -> ResolvePolicy {
    ResolvePolicy::fixed(Duration::ZERO, interval, Duration::MAX)
}

#[tokio::test]
async fn the_loop_stops_after_max_rounds_with_the_last_outcome() {
    let policy = no_deadline(Duration::from_millis(1)).with_max_rounds(3);
    let (out, rounds) = count_rounds(&policy, None).await;
    let ex = out.unwrap_err();
    assert_eq!((ex.last, ex.attempts, rounds), (Some(3), 3, 3));
}

#[tokio::test]
async fn a_done_ends_the_loop_before_the_round_limit() {
    let policy = no_deadline(Duration::from_millis(1)).with_max_rounds(5);
    let (out, rounds) = count_rounds(&policy, Some(2)).await;
    assert_eq!((out, rounds), (Ok(2), 2));
}

#[tokio::test]
async fn the_deadline_still_ends_the_loop_before_the_round_limit() {
    // The next round would start 1 ms after a deadline of zero: one round only.
    let policy = ResolvePolicy::fixed(Duration::ZERO, Duration::from_millis(1), Duration::ZERO)
        .with_max_rounds(10);
    let (out, rounds) = count_rounds(&policy, None).await;
    let ex = out.unwrap_err();
    assert_eq!((ex.last, ex.attempts, rounds), (Some(1), 1, 1));

    // Rounds start at least 10 ms apart, so a 25 ms deadline allows three at most.
    let policy = ResolvePolicy::fixed(
        Duration::ZERO,
        Duration::from_millis(10),
        Duration::from_millis(25),
    )
    .with_max_rounds(1000);
    let (out, rounds) = count_rounds(&policy, None).await;
    let ex = out.unwrap_err();
    assert!((1..=3).contains(&rounds), "{rounds} rounds");
    assert_eq!((ex.last, ex.attempts), (Some(rounds), rounds));
}

#[tokio::test]
async fn a_round_limit_of_zero_runs_one_round() {
    let policy = no_deadline(Duration::from_millis(1)).with_max_rounds(0);
    assert_eq!(policy.max_rounds, Some(NonZeroU32::MIN));
    let (out, rounds) = count_rounds(&policy, None).await;
    assert_eq!((out.unwrap_err().attempts, rounds), (1, 1));
}

#[tokio::test]
async fn a_zero_interval_runs_back_to_back_under_a_round_limit_and_once_without() {
    let limited = no_deadline(Duration::ZERO).with_max_rounds(4);
    let (out, rounds) = count_rounds(&limited, None).await;
    assert_eq!((out.unwrap_err().attempts, rounds), (4, 4));

    // Without a limit a zero interval would spin until the deadline, jittered or not.
    for policy in [
        ResolvePolicy::fixed(Duration::ZERO, Duration::ZERO, Duration::from_secs(3600)),
        ResolvePolicy::new(Duration::ZERO, Duration::ZERO, Duration::from_secs(3600)),
    ] {
        let (out, rounds) = count_rounds(&policy, None).await;
        assert_eq!((out.unwrap_err().attempts, rounds), (1, 1), "{policy:?}");
    }
}

#[tokio::test]
async fn durations_too_long_for_the_clock_end_the_loop_without_panicking() {
    // Duration::MAX as interval and deadline: the second round would start beyond any
    // clock, so it never does.
    let policy = ResolvePolicy::fixed(Duration::ZERO, Duration::MAX, Duration::MAX);
    let (out, rounds) = count_rounds(&policy, None).await;
    assert_eq!((out.unwrap_err().attempts, rounds), (1, 1));
}

#[tokio::test]
async fn resolve_honours_the_round_limit_and_keeps_the_last_state_seen() {
    #[derive(Debug)]
    struct Lost;
    impl Classify for Lost {
        fn class(&self) -> ErrorClass {
            ErrorClass::OutcomeUnknown
        }
    }
    let policy = no_deadline(Duration::from_millis(1)).with_max_rounds(3);
    let mut answers = vec![Ok(Seen::Pending("created")), Err(Lost), Err(Lost)].into_iter();
    let queries = AtomicU32::new(0);
    let r = resolve(&policy, || {
        queries.fetch_add(1, Ordering::Relaxed);
        let a = answers.next().unwrap_or(Ok(Seen::Paid("too late")));
        async move { a }
    })
    .await;
    assert_eq!(
        r,
        Resolution::StillUnknown {
            last_seen: Some("created"),
            last_error: Some(ErrorClass::OutcomeUnknown),
        }
    );
    assert_eq!(queries.into_inner(), 3);
}

#[test]
fn the_constructors_set_no_round_limit() {
    let d = Duration::from_secs(1);
    assert_eq!(ResolvePolicy::new(d, d, d).max_rounds, None);
    assert_eq!(ResolvePolicy::fixed(d, d, d).max_rounds, None);
    assert_eq!(
        ResolvePolicy::fixed(d, d, d).with_max_rounds(7).max_rounds,
        NonZeroU32::new(7)
    );
}
