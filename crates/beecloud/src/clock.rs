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
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
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
