//! The grammar of each webhook field a signature covers, and the one-reading check of V2's
//! separator-less signed string.
//!
//! V2 signs `app_id + transaction_id + transaction_type + channel_type + transaction_fee +
//! master_secret` with nothing between the fields, so a valid signature only means one notify
//! if the middle string `transaction_id + transaction_type + channel_type + transaction_fee`
//! splits into fields in exactly one way. Each field therefore has a closed grammar, and
//! [`v2_readings`] lists every split of a middle string that satisfies all four; a notify is
//! accepted only when that list is exactly the fields received.
//!
//! | field | grammar | source |
//! |---|---|---|
//! | `transaction_type` | `PAY`, `REFUND` or `TRANSFER` | webhook guide; `TRANSFER` from the SDKs |
//! | `channel_type` (and `sub_channel_type`) | one of [`CHANNELS`] | beecloud.md §2 附注, §4 `channel` |
//! | `transaction_id` of `PAY` / `TRANSFER` | 1 to 32 ASCII letters or digits | §2 `bill_no` |
//! | `transaction_id` of `REFUND` | `yyyyMMdd` (a real date) then 3 to 24 ASCII letters or digits, not `000` | §3 `refund_no` |
//! | `transaction_fee` | `[1-9][0-9]*`, at most [`MAX_FEE_FEN`] | §2 `total_fee` / §3 `refund_fee`: 正整数, `Integer` |
//! | `timestamp` | `[1-9][0-9]{0,12}` (a positive count of ms below 10^13) | the document's 13-digit ms timestamps |
//!
//! A JSON number is read for the fee and the timestamp only when it is an integer (its text is
//! then its decimal digits); `1.0`, `1e3` and negatives are refused, as are strings with a
//! sign, a leading zero, a fraction or white space.

use super::TransactionType;
use crate::model::{Channel, MAX_FEE_FEN};
use paysig::Money;
use time::{Date, Month};

/// Every `channel_type` the grammar accepts: the channel groups and the channels beecloud.md
/// lists (§2 附注, §4 and §5 `channel`). Anything else, the empty string included, is refused.
pub const CHANNELS: [&str; 11] = [
    "WX",
    "WX_APP",
    "WX_NATIVE",
    "WX_JSAPI",
    "ALI",
    "ALI_APP",
    "ALI_WEB",
    "ALI_QRCODE",
    "UN",
    "UN_APP",
    "UN_WEB",
];

/// The largest timestamp the grammar accepts, ms (13 digits: the year 2286).
pub const MAX_TIMESTAMP_MS: i64 = 9_999_999_999_999;

/// A `transaction_type`: one of [`TransactionType::ALL`].
pub fn transaction_type(raw: &str) -> Result<TransactionType, String> {
    TransactionType::ALL
        .into_iter()
        .find(|t| t.as_str() == raw)
        .ok_or_else(|| format!("{raw:?} is not PAY, REFUND or TRANSFER"))
}

/// A `channel_type` or `sub_channel_type`: one of [`CHANNELS`].
pub fn channel(raw: &str) -> Result<Channel, String> {
    if CHANNELS.contains(&raw) {
        Ok(Channel::from(raw))
    } else {
        Err(format!(
            "{raw:?} is not a documented channel ({})",
            CHANNELS.join(", ")
        ))
    }
}

/// A `transaction_id`: a `bill_no` for `PAY` and `TRANSFER`, a `refund_no` for `REFUND`.
pub fn transaction_id(raw: &str, ty: TransactionType) -> Result<(), String> {
    match ty {
        TransactionType::Pay | TransactionType::Transfer => alphanumeric(raw, 1, 32)
            .map_err(|r| format!("is not a bill_no (1 to 32 letters or digits): {r}")),
        TransactionType::Refund => refund_no(raw),
    }
}

fn refund_no(raw: &str) -> Result<(), String> {
    let bad = |r: &str| {
        Err(format!(
            "is not a refund_no (yyyyMMdd + 3 to 24 letters or digits, not 000): {r}"
        ))
    };
    let (Some(date), Some(serial)) = (raw.get(..8), raw.get(8..)) else {
        return bad("shorter than its date");
    };
    if !date.bytes().all(|b| b.is_ascii_digit()) {
        return bad("the date is not 8 digits");
    }
    let n = |r: std::ops::Range<usize>| date[r].parse::<u16>().unwrap_or(0);
    let real = Month::try_from(n(4..6) as u8)
        .ok()
        .and_then(|m| Date::from_calendar_date(i32::from(n(0..4)), m, n(6..8) as u8).ok());
    if real.is_none() {
        return bad("the date is not a calendar day");
    }
    if let Err(r) = alphanumeric(serial, 3, 24) {
        return bad(&format!("serial {r}"));
    }
    if serial == "000" {
        return bad("the serial is 000");
    }
    Ok(())
}

fn alphanumeric(raw: &str, min: usize, max: usize) -> Result<(), String> {
    if !raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("{raw:?} holds other characters"));
    }
    if !(min..=max).contains(&raw.len()) {
        return Err(format!("{raw:?} is {} characters", raw.len()));
    }
    Ok(())
}

/// Decimal digits with no sign, no leading zero, no fraction, no white space.
fn positive_digits(raw: &str) -> Result<(), String> {
    match raw.as_bytes() {
        [] => Err("is empty".into()),
        [b'0', ..] => Err(format!("{raw:?} has a leading zero or is zero")),
        bytes if bytes.iter().all(u8::is_ascii_digit) => Ok(()),
        _ => Err(format!("{raw:?} is not a positive integer of plain digits")),
    }
}

/// A `transaction_fee` in fen: `[1-9][0-9]*`, at most [`MAX_FEE_FEN`].
pub fn fee(raw: &str) -> Result<Money, String> {
    positive_digits(raw)?;
    match raw.parse::<u64>() {
        Ok(fen) if fen <= MAX_FEE_FEN => Ok(Money::from_fen(fen)),
        _ => Err(format!("{raw:?} is above {MAX_FEE_FEN} fen")),
    }
}

/// A `timestamp` in ms: `[1-9][0-9]{0,12}`.
pub fn timestamp(raw: &str) -> Result<i64, String> {
    positive_digits(raw)?;
    match raw.parse::<i64>() {
        Ok(ms) if ms <= MAX_TIMESTAMP_MS => Ok(ms),
        _ => Err(format!("{raw:?} is above {MAX_TIMESTAMP_MS} ms")),
    }
}

/// One way to read V2's middle string as four fields, each satisfying its grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading<'a> {
    /// `transaction_id`.
    pub transaction_id: &'a str,
    /// `transaction_type`.
    pub transaction_type: TransactionType,
    /// `channel_type`.
    pub channel_type: &'a str,
    /// `transaction_fee`, as its digits.
    pub transaction_fee: &'a str,
}

impl Reading<'_> {
    /// The wire name of the first field where `self` and `other` differ, if any.
    pub fn first_difference(&self, other: &Reading<'_>) -> Option<&'static str> {
        if self.transaction_id != other.transaction_id {
            Some("transaction_id")
        } else if self.transaction_type != other.transaction_type {
            Some("transaction_type")
        } else if self.channel_type != other.channel_type {
            Some("channel_type")
        } else if self.transaction_fee != other.transaction_fee {
            Some("transaction_fee")
        } else {
            None
        }
    }
}

/// Every reading of `middle` (`transaction_id + transaction_type + channel_type +
/// transaction_fee`) under the grammar: each split point of the id, each known type and
/// channel that follow it, and the rest as the fee. A middle string built from fields that
/// each satisfy the grammar has at least that reading; V2 accepts it only when it is the only
/// one.
///
/// ```
/// use beecloud::notify::grammar::v2_readings;
/// assert_eq!(v2_readings("201506101035040000001PAYWX1").len(), 1);
/// // `channel_type:"WX1", transaction_fee:0` has no reading: not a channel, not a fee.
/// assert!(v2_readings("201506101035040000001PAYWX10").iter().all(|r| r.channel_type == "WX"));
/// ```
pub fn v2_readings(middle: &str) -> Vec<Reading<'_>> {
    let mut found = Vec::new();
    for (split, _) in middle.char_indices().skip(1) {
        let (id, rest) = middle.split_at(split);
        for ty in TransactionType::ALL {
            let Some(rest) = rest.strip_prefix(ty.as_str()) else {
                continue;
            };
            if transaction_id(id, ty).is_err() {
                continue;
            }
            for ch in CHANNELS {
                let Some(fee_text) = rest.strip_prefix(ch) else {
                    continue;
                };
                if fee(fee_text).is_ok() {
                    found.push(Reading {
                        transaction_id: id,
                        transaction_type: ty,
                        channel_type: &rest[..ch.len()],
                        transaction_fee: fee_text,
                    });
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_and_timestamps_are_plain_positive_digits() {
        assert_eq!(fee("1"), Ok(Money::from_fen(1)));
        assert_eq!(fee("2147483647"), Ok(Money::from_fen(MAX_FEE_FEN)));
        for bad in [
            "",
            "0",
            "01",
            "+1",
            "-1",
            "1.0",
            " 1",
            "1 ",
            "1e2",
            "2147483648",
            "１",
        ] {
            assert!(fee(bad).is_err(), "{bad:?}");
        }
        assert_eq!(timestamp("1433903704000"), Ok(1_433_903_704_000));
        for bad in ["", "0", "01433903704000", "+1", "1.5", "10000000000000"] {
            assert!(timestamp(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_follow_the_bill_and_refund_number_rules() {
        assert!(transaction_id("201506101035040000001", TransactionType::Pay).is_ok());
        assert!(transaction_id(&"a".repeat(33), TransactionType::Pay).is_err());
        assert!(transaction_id("", TransactionType::Transfer).is_err());
        assert!(transaction_id("20150610-1", TransactionType::Pay).is_err());
        assert!(transaction_id("20150610001", TransactionType::Refund).is_ok());
        for bad in [
            "20150610000",
            "2015061001",
            "20151310001",
            "20150230001",
            "2015061000a_",
        ] {
            assert!(
                transaction_id(bad, TransactionType::Refund).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_or_empty_types_and_channels_are_refused() {
        assert!(channel("").is_err());
        assert!(channel("WX1").is_err());
        assert!(channel("KUAIQIAN").is_err());
        assert_eq!(channel("ALI_QRCODE"), Ok(Channel::AliQrcode));
        assert!(transaction_type("").is_err());
        assert!(transaction_type("pay").is_err());
        assert_eq!(transaction_type("TRANSFER"), Ok(TransactionType::Transfer));
    }
}
