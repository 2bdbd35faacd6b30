//! The clock: request timestamps, the refund date and the webhook window all read it, so tests
//! can pin it.

use std::fmt::Debug;
use time::{Date, OffsetDateTime, UtcOffset};

/// China Standard Time, UTC+08:00 (no daylight saving). BeeCloud validates the date prefix of
/// `refund_no` against the Beijing date, so that is the date this crate checks it against.
pub const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// Now.
    fn now(&self) -> OffsetDateTime;

    /// Now in ms since the epoch (each request's `timestamp`): [`unix_millis`] of
    /// [`Clock::now`] unless a clock reads it more directly.
    fn now_unix_millis(&self) -> i64 {
        unix_millis(self.now())
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// Read as a duration since the epoch: no calendar date worked out on every request.
    fn now_unix_millis(&self) -> i64 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs())
                .unwrap_or(i64::MAX / 1000)
                .saturating_mul(1000)
                .saturating_add(i64::from(d.subsec_millis())),
            // A system clock set before 1970: the calendar way, which handles it.
            Err(_) => unix_millis(self.now()),
        }
    }
}

/// A clock stopped at one instant (tests, replays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// The Beijing date at `now`.
///
/// ```
/// use time::macros::datetime;
/// // 17:00 UTC is already the next day in Beijing.
/// let d = beecloud::clock::beijing_today(datetime!(2015-06-10 17:00 UTC));
/// assert_eq!(d, time::macros::date!(2015-06-11));
/// ```
pub fn beijing_today(now: OffsetDateTime) -> Date {
    now.to_offset(BEIJING).date()
}

/// ms since the epoch.
pub fn unix_millis(now: OffsetDateTime) -> i64 {
    crate::model::millis(now)
}

#[cfg(test)]
mod tests {
    use super::{Clock, FixedClock, SystemClock, unix_millis};
    use time::macros::datetime;

    #[test]
    fn the_system_clock_reads_the_same_milliseconds_both_ways() {
        let clock = SystemClock;
        let before = unix_millis(clock.now());
        let direct = clock.now_unix_millis();
        let after = unix_millis(clock.now());
        assert!(
            before <= direct && direct <= after,
            "{before} {direct} {after}"
        );
        let fixed = FixedClock(datetime!(2015-06-10 17:00:00.123456 UTC));
        assert_eq!(fixed.now_unix_millis(), 1_433_955_600_123);
    }
}
