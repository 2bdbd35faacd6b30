//! The queries: `GET /1/rest/bills` (§4 订单查询), `GET /1/rest/refunds` (§5 退款查询) and
//! `GET /1/rest/refund/status` (§6 退款状态更新).

use super::channel::Channel;
use crate::error::Error;
use crate::validate::non_blank;
use paysig::Money;
use serde::Deserialize;
use time::OffsetDateTime;

/// The most records one page may hold (`limit`: 最大为50).
pub const MAX_LIMIT: u32 = 50;

/// The filters the two list queries share. Filters combine with AND (且关系); `start_time` and
/// `end_time` bound the time the bill was created, not paid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Window {
    /// `start_time`.
    pub start_time: Option<OffsetDateTime>,
    /// `end_time`.
    pub end_time: Option<OffsetDateTime>,
    /// `skip`: records to pass over (BeeCloud's default 0).
    pub skip: Option<u32>,
    /// `limit`: records to return, 1 to 50 (BeeCloud's default 10).
    pub limit: Option<u32>,
}

impl Window {
    fn validate(&self) -> Result<(), Error> {
        if let Some(limit) = self.limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(Error::Validation {
                field: "limit",
                reason: format!("{limit} is outside 1..={MAX_LIMIT}"),
            });
        }
        for (field, t) in [("start_time", self.start_time), ("end_time", self.end_time)] {
            if t.is_some_and(|t| t.unix_timestamp() < 0) {
                return Err(Error::Validation {
                    field,
                    reason: "must not be before 1970".into(),
                });
            }
        }
        if let (Some(s), Some(e)) = (self.start_time, self.end_time)
            && s > e
        {
            return Err(Error::Validation {
                field: "end_time",
                reason: "is before start_time".into(),
            });
        }
        Ok(())
    }
}

/// ms since the epoch, as the documented 13-digit `Long`.
pub(crate) fn millis(t: OffsetDateTime) -> i64 {
    // In range for any date the validation lets through (1970..9999). Whole seconds and the
    // millisecond apart: no 128-bit division per request. Before 1970 this floors where a
    // division of the nanoseconds would truncate; no such instant is ever sent.
    t.unix_timestamp() * 1000 + i64::from(t.millisecond())
}

macro_rules! window_setters {
    () => {
        /// Only records created at or after `t`.
        pub fn start_time(mut self, t: OffsetDateTime) -> Self {
            self.window.start_time = Some(t);
            self
        }
        /// Only records created at or before `t`.
        pub fn end_time(mut self, t: OffsetDateTime) -> Self {
            self.window.end_time = Some(t);
            self
        }
        /// Passes over the first `n` records.
        pub fn skip(mut self, n: u32) -> Self {
            self.window.skip = Some(n);
            self
        }
        /// Returns at most `n` records (1 to 50).
        pub fn limit(mut self, n: u32) -> Self {
            self.window.limit = Some(n);
            self
        }
    };
}

/// A bills query (§4).
///
/// ```
/// use beecloud::{BillsQuery, Channel};
/// let q = BillsQuery::new(Channel::Wx).bill_no("201506101035040000001").limit(50);
/// assert_eq!(q.window.limit, Some(50));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillsQuery {
    /// `channel` (required).
    pub channel: Channel,
    /// `bill_no`.
    pub bill_no: Option<String>,
    /// Time bounds and paging.
    pub window: Window,
}

impl BillsQuery {
    /// All bills of a channel (first page).
    pub fn new(channel: Channel) -> Self {
        BillsQuery {
            channel,
            bill_no: None,
            window: Window::default(),
        }
    }

    /// Only the bill with this merchant order number.
    pub fn bill_no(mut self, bill_no: impl Into<String>) -> Self {
        self.bill_no = Some(bill_no.into());
        self
    }

    window_setters!();

    /// Checks the documented rules; called before sending.
    pub fn validate(&self) -> Result<(), Error> {
        non_blank("channel", self.channel.as_str())?;
        if let Some(b) = &self.bill_no {
            non_blank("bill_no", b)?;
        }
        self.window.validate()
    }
}

/// A refunds query (§5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundsQuery {
    /// `channel` (required).
    pub channel: Channel,
    /// `bill_no`.
    pub bill_no: Option<String>,
    /// `refund_no`.
    pub refund_no: Option<String>,
    /// Time bounds and paging.
    pub window: Window,
}

impl RefundsQuery {
    /// All refunds of a channel (first page).
    pub fn new(channel: Channel) -> Self {
        RefundsQuery {
            channel,
            bill_no: None,
            refund_no: None,
            window: Window::default(),
        }
    }

    /// Only refunds of this bill.
    pub fn bill_no(mut self, bill_no: impl Into<String>) -> Self {
        self.bill_no = Some(bill_no.into());
        self
    }

    /// Only the refund with this merchant refund number.
    pub fn refund_no(mut self, refund_no: impl Into<String>) -> Self {
        self.refund_no = Some(refund_no.into());
        self
    }

    window_setters!();

    /// Checks the documented rules; called before sending.
    pub fn validate(&self) -> Result<(), Error> {
        non_blank("channel", self.channel.as_str())?;
        if let Some(b) = &self.bill_no {
            non_blank("bill_no", b)?;
        }
        if let Some(r) = &self.refund_no {
            non_blank("refund_no", r)?;
        }
        self.window.validate()
    }
}

/// A paging query: lets [`crate::Client`] walk every page.
pub trait Paged: Clone {
    /// The paging window.
    fn window_mut(&mut self) -> &mut Window;
}

impl Paged for BillsQuery {
    fn window_mut(&mut self) -> &mut Window {
        &mut self.window
    }
}

impl Paged for RefundsQuery {
    fn window_mut(&mut self) -> &mut Window {
        &mut self.window
    }
}

/// One bill of a §4 answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BillRecord {
    /// `bill_no`: 订单号.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub bill_no: String,
    /// `total_fee`: 订单金额，单位为分.
    #[serde(with = "paysig::money::wire::fen_int")]
    pub total_fee: Money,
    /// `channel`.
    pub channel: Channel,
    /// `title`: 订单标题.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub title: Option<String>,
    /// `spay_result`: 订单是否成功, whether the bill was paid.
    #[serde(deserialize_with = "paysig::lenient::bool")]
    pub spay_result: bool,
    /// `created_time`: creation time, ms since the epoch.
    #[serde(deserialize_with = "paysig::lenient::number")]
    pub created_time: i64,
}

/// A §4 answer page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BillsPage {
    /// `count`: the number of results, as BeeCloud counts them.
    #[serde(default, deserialize_with = "paysig::lenient::opt_number")]
    pub count: Option<u64>,
    /// `bills`. Required: a success answer without it is an [`Error::Decode`], never an empty
    /// page (which would end [`crate::Client::all_bills`] silently).
    pub bills: Vec<BillRecord>,
}

/// One refund of a §5 answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundRecord {
    /// `bill_no`: 订单号.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub bill_no: String,
    /// `refund_no`: 退款号.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub refund_no: String,
    /// `total_fee`: 订单金额，单位为分, the bill's amount.
    #[serde(with = "paysig::money::wire::fen_int")]
    pub total_fee: Money,
    /// `refund_fee`: 退款金额，单位为分.
    #[serde(with = "paysig::money::wire::fen_int")]
    pub refund_fee: Money,
    /// `finish`: 是否结束, whether processing is over.
    #[serde(deserialize_with = "paysig::lenient::bool")]
    pub finish: bool,
    /// `result`: 是否退款, whether the money was refunded (meaningful once `finish`).
    #[serde(deserialize_with = "paysig::lenient::bool")]
    pub result: bool,
    /// `created_time`: creation time, ms since the epoch.
    #[serde(deserialize_with = "paysig::lenient::number")]
    pub created_time: i64,
}

/// A §5 answer page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundsPage {
    /// `count`: the number of results, as BeeCloud counts them.
    #[serde(default, deserialize_with = "paysig::lenient::opt_number")]
    pub count: Option<u64>,
    /// `refunds`. Required: a success answer without it is an [`Error::Decode`], never an
    /// empty page (which would end [`crate::Client::all_refunds`] silently).
    pub refunds: Vec<RefundRecord>,
}

/// The §6 answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundStatus {
    /// `refund_status`: 退款状态. The document lists no values, so it is kept as sent.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub refund_status: String,
}

pub(crate) use paysig::lenient::bool as read_bool;

#[cfg(test)]
mod tests {
    use super::millis;
    use time::OffsetDateTime;

    #[test]
    fn millis_are_the_nanoseconds_divided_for_every_instant_sent() {
        let nanos: [i128; 6] = [
            0,
            999_999,
            1_000_000,
            1_433_952_000_123_456_789,
            1_764_547_200_999_999_999,
            253_402_300_799_999_999_999, // 9999-12-31 23:59:59.999999999
        ];
        for n in nanos {
            let t = OffsetDateTime::from_unix_timestamp_nanos(n).unwrap();
            assert_eq!(i128::from(millis(t)), n / 1_000_000, "{t}");
        }
    }
}
