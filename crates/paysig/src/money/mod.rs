//! Exact money: an amount in fen (分, 1/100 yuan) held as an unsigned integer.
//!
//! Every provider puts amounts on the wire in its own unit (fen as a JSON integer, fen as a
//! string, yuan as a two-decimal string). [`Money`] is the one in-memory form; the submodule
//! [`wire`] holds one serde adapter per wire unit so a provider model says its unit once, on the
//! field, and never converts by hand.

pub mod wire;

use std::fmt;
use std::str::FromStr;

/// Why an amount was rejected. Every variant names the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The input was empty.
    #[error("amount is empty")]
    Empty,
    /// The input holds a character that is not a decimal digit or a single `.`
    /// (signs, exponents, spaces, thousands separators are all refused).
    #[error("amount {input:?} is not a plain decimal number")]
    Malformed {
        /// The rejected input.
        input: String,
    },
    /// A minus sign: amounts are never negative.
    #[error("amount {input:?} is negative")]
    Negative {
        /// The rejected input.
        input: String,
    },
    /// More than two digits after the decimal point.
    #[error("amount {input:?} has more than two decimals")]
    TooManyDecimals {
        /// The rejected input.
        input: String,
    },
    /// The amount does not fit in `u64` fen, or an arithmetic result overflowed.
    #[error("amount {input:?} overflows")]
    Overflow {
        /// The rejected input (or a description of the operation).
        input: String,
    },
    /// A subtraction would go below zero.
    #[error("subtracting {rhs} from {lhs} would be negative")]
    Underflow {
        /// Left operand in fen.
        lhs: u64,
        /// Right operand in fen.
        rhs: u64,
    },
}

/// An exact, non-negative amount of Chinese yuan, stored in fen.
///
/// ```
/// use paysig::Money;
/// let price = Money::parse_yuan("1000.5").unwrap();
/// assert_eq!(price.fen(), 100_050);
/// assert_eq!(price.to_yuan_string(), "1000.50");
/// assert!(Money::parse_yuan("1.001").is_err());
/// assert!(Money::parse_yuan("-1").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(u64);

impl Money {
    /// Zero fen.
    pub const ZERO: Money = Money(0);

    /// An amount of `fen` fen.
    pub const fn from_fen(fen: u64) -> Self {
        Money(fen)
    }

    /// The amount in fen.
    pub const fn fen(self) -> u64 {
        self.0
    }

    /// True for zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses a yuan amount: digits, optionally a `.` and one or two decimals
    /// (`"1000"`, `"1000.5"`, `"1000.00"`, `"0.01"`). Anything else is refused:
    /// signs, exponents, whitespace, more than two decimals, overflow.
    pub fn parse_yuan(input: &str) -> Result<Money, MoneyError> {
        let (whole, frac) = match input.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (input, None),
        };
        check_digits(input, whole, frac)?;
        let frac = frac.unwrap_or("");
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals {
                input: input.to_owned(),
            });
        }
        let overflow = || MoneyError::Overflow {
            input: input.to_owned(),
        };
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| overflow())?
        };
        let frac_fen = match frac.len() {
            0 => 0,
            1 => u64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => u64::from(frac.as_bytes()[0] - b'0') * 10 + u64::from(frac.as_bytes()[1] - b'0'),
        };
        whole
            .checked_mul(100)
            .and_then(|f| f.checked_add(frac_fen))
            .map(Money)
            .ok_or_else(overflow)
    }

    /// Parses a fen amount: digits only (`"1"`, `"100"`).
    pub fn parse_fen(input: &str) -> Result<Money, MoneyError> {
        check_digits(input, input, None)?;
        input.parse().map(Money).map_err(|_| MoneyError::Overflow {
            input: input.to_owned(),
        })
    }

    /// The amount as yuan with exactly two decimals, e.g. `"0.01"`, `"1000.50"`.
    pub fn to_yuan_string(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }

    /// The amount in fen as a decimal string, e.g. `"1"`.
    pub fn to_fen_string(self) -> String {
        self.0.to_string()
    }

    /// Checked addition.
    pub fn checked_add(self, rhs: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_add(rhs.0)
            .map(Money)
            .ok_or_else(|| MoneyError::Overflow {
                input: format!("{} + {}", self.0, rhs.0),
            })
    }

    /// Checked subtraction; an amount never goes below zero.
    pub fn checked_sub(self, rhs: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_sub(rhs.0)
            .map(Money)
            .ok_or(MoneyError::Underflow {
                lhs: self.0,
                rhs: rhs.0,
            })
    }
}

fn check_digits(input: &str, whole: &str, frac: Option<&str>) -> Result<(), MoneyError> {
    if input.is_empty() {
        return Err(MoneyError::Empty);
    }
    if input.starts_with('-') {
        return Err(MoneyError::Negative {
            input: input.to_owned(),
        });
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = match frac {
        // "1." and "." are not amounts; ".5" is refused too, as no provider writes it.
        Some(f) => !whole.is_empty() && !f.is_empty() && digits(whole) && digits(f),
        None => !whole.is_empty() && digits(whole),
    };
    if ok {
        Ok(())
    } else {
        Err(MoneyError::Malformed {
            input: input.to_owned(),
        })
    }
}

/// Formats as yuan with two decimals.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Parses yuan, as [`Money::parse_yuan`].
impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse_yuan(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(Money::parse_yuan("1000").unwrap().fen(), 100_000);
        assert_eq!(Money::parse_yuan("1000.5").unwrap().fen(), 100_050);
        assert_eq!(Money::parse_yuan("1000.00").unwrap().fen(), 100_000);
        assert_eq!(Money::parse_yuan("0.01").unwrap().fen(), 1);
        assert_eq!(Money::parse_yuan("0").unwrap(), Money::ZERO);
    }

    #[test]
    fn rejects_with_a_typed_error_naming_the_input() {
        let e = |s: &str| Money::parse_yuan(s).unwrap_err();
        assert!(matches!(e("1.001"), MoneyError::TooManyDecimals { input } if input == "1.001"));
        assert!(matches!(e("-1"), MoneyError::Negative { input } if input == "-1"));
        assert!(matches!(e("1e3"), MoneyError::Malformed { input } if input == "1e3"));
        assert!(matches!(e(" 1"), MoneyError::Malformed { .. }));
        assert!(matches!(e("1 "), MoneyError::Malformed { .. }));
        assert!(matches!(e("+1"), MoneyError::Malformed { .. }));
        assert!(matches!(e("1."), MoneyError::Malformed { .. }));
        assert!(matches!(e(".5"), MoneyError::Malformed { .. }));
        assert!(matches!(e("1.2.3"), MoneyError::Malformed { .. }));
        assert!(matches!(e("１"), MoneyError::Malformed { .. }));
        assert_eq!(e(""), MoneyError::Empty);
        assert!(matches!(
            e("184467440737095516.16"),
            MoneyError::Overflow { .. }
        ));
        assert!(matches!(
            e("99999999999999999999999"),
            MoneyError::Overflow { .. }
        ));
        assert_eq!(
            Money::parse_yuan("184467440737095516.15").unwrap().fen(),
            u64::MAX
        );
    }

    #[test]
    fn fen_parsing_is_digits_only() {
        assert_eq!(Money::parse_fen("1").unwrap().fen(), 1);
        assert!(Money::parse_fen("1.00").is_err());
        assert!(Money::parse_fen("-1").is_err());
        assert!(Money::parse_fen("18446744073709551616").is_err());
    }

    #[test]
    fn formats_two_decimals() {
        assert_eq!(Money::from_fen(1).to_string(), "0.01");
        assert_eq!(Money::from_fen(100_050).to_yuan_string(), "1000.50");
        assert_eq!(Money::from_fen(7).to_fen_string(), "7");
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::from_fen(5);
        assert_eq!(
            a.checked_sub(Money::from_fen(6)).unwrap_err(),
            MoneyError::Underflow { lhs: 5, rhs: 6 }
        );
        assert!(Money::from_fen(u64::MAX).checked_add(a).is_err());
        assert_eq!(a.checked_add(a).unwrap().fen(), 10);
    }
}
