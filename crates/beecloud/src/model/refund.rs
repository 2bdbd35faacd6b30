//! `POST /1/rest/refund` (beecloud.md §3 退款).

use super::bill::validate_fee;
use super::channel::RefundChannel;
use crate::error::Error;
use crate::validate::alphanumeric;
use paysig::Money;
use serde::Deserialize;
use serde_json::{Map, Value};
use time::Date;

/// A refund of a paid bill (§3). BeeCloud refunds a bill successfully at most once; a refund
/// for less than the bill's `total_fee` is a partial refund.
///
/// ```
/// use beecloud::{RefundChannel, RefundRequest};
/// use paysig::Money;
/// // Refund 1 fen of a bill of 1 fen (the bill's total_fee, e.g. from `Client::bills`).
/// let req = RefundRequest::new(
///     RefundChannel::Wx, "20150610001", "201506101035040000001", Money::from_fen(1), Money::from_fen(1),
/// );
/// assert_eq!(req.refund_fee, Money::from_fen(1));
/// // More than the bill is refused before anything is sent.
/// let over = RefundRequest::new(
///     RefundChannel::Wx, "20150610001", "201506101035040000001", Money::from_fen(2), Money::from_fen(1),
/// );
/// assert!(over.validate(time::macros::date!(2015-06-10)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRequest {
    /// `channel`: WX, ALI or UN.
    pub channel: RefundChannel,
    /// `refund_no`: today's date `yyyyMMdd` (Beijing time) and a serial of 3 to 24 letters or
    /// digits, not `000`. Unique in the merchant's system.
    pub refund_no: String,
    /// `bill_no`: the bill's merchant order number.
    pub bill_no: String,
    /// `refund_fee`: a positive amount, at most the bill's `total_fee`.
    pub refund_fee: Money,
    /// The bill's `total_fee`, never sent: a `refund_fee` above it is refused before sending
    /// (§3: the refund is at most the bill's amount; BeeCloud would answer
    /// `REFUND_AMOUNT_TOO_LARGE`). Take it from the merchant's order or from [`crate::Client::bills`].
    pub bill_total_fee: Money,
    /// `optional`: the merchant's own data, returned in the webhook.
    pub optional: Option<Map<String, Value>>,
}

impl RefundRequest {
    /// A refund of `refund_fee` from the bill `bill_no` whose `total_fee` is `bill_total_fee`
    /// (required so that `refund_fee <= total_fee` is always checked before sending), without
    /// `optional`.
    pub fn new(
        channel: RefundChannel,
        refund_no: impl Into<String>,
        bill_no: impl Into<String>,
        refund_fee: Money,
        bill_total_fee: Money,
    ) -> Self {
        RefundRequest {
            channel,
            refund_no: refund_no.into(),
            bill_no: bill_no.into(),
            refund_fee,
            bill_total_fee,
            optional: None,
        }
    }

    /// Sets `optional`.
    pub fn optional(mut self, optional: Map<String, Value>) -> Self {
        self.optional = Some(optional);
        self
    }

    /// Checks every documented rule against `today` (the Beijing date); called by
    /// [`crate::Client::refund`] with the configured clock.
    pub fn validate(&self, today: Date) -> Result<(), Error> {
        validate_refund_no(&self.refund_no, today)?;
        alphanumeric("bill_no", &self.bill_no, 1, 32)?;
        validate_fee("refund_fee", self.refund_fee)?;
        let total = self.bill_total_fee;
        if self.refund_fee > total {
            return Err(Error::Validation {
                field: "refund_fee",
                reason: format!(
                    "{} fen exceeds the bill's total_fee of {} fen",
                    self.refund_fee.fen(),
                    total.fen()
                ),
            });
        }
        Ok(())
    }
}

/// Checks a `refund_no` (§3): `today` as `yyyyMMdd`, then a serial of 3 to 24 ASCII letters or
/// digits that is not `000`.
///
/// The document says the date must be the day the refund is made (发起退款的当天日期); BeeCloud
/// is in China, so `today` is the Beijing date ([`crate::clock::beijing_today`]), which differs
/// from the UTC date between 16:00 and 24:00 UTC.
pub fn validate_refund_no(refund_no: &str, today: Date) -> Result<(), Error> {
    let bad = |reason: String| Error::Validation {
        field: "refund_no",
        reason,
    };
    let expected = format!(
        "{:04}{:02}{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    let Some(serial) = refund_no.strip_prefix(expected.as_str()) else {
        return Err(bad(format!(
            "must start with today's date {expected} (yyyyMMdd, Beijing time)"
        )));
    };
    alphanumeric("refund_no", serial, 3, 24)
        .map_err(|_| bad("the serial after the date must be 3 to 24 letters or digits".into()))?;
    if serial == "000" {
        return Err(bad("the serial must not be \"000\"".into()));
    }
    Ok(())
}

/// What BeeCloud answers to a refund (§3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundResponse {
    /// `url`: for Alipay refunds, the Alipay page where the merchant confirms the refund with
    /// the payment password (支付宝退款地址，需用户在支付宝平台上手动输入支付密码处理). Until that is
    /// done, nothing is refunded.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub url: Option<String>,
}
