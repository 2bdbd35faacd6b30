//! Checks made before anything is sent; each error names the wire field.

use crate::Error;
use url::Url;

/// A required text field: not blank.
pub(crate) fn non_empty(field: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::Validation {
            field,
            reason: "must not be empty".into(),
        });
    }
    Ok(())
}

/// An IP address field.
pub(crate) fn ip(field: &'static str, value: &str) -> Result<(), Error> {
    value
        .parse::<std::net::IpAddr>()
        .map(|_| ())
        .map_err(|_| Error::Validation {
            field,
            reason: format!("{value:?} is not an IP address"),
        })
}

/// A notify URL: http(s), without parameters.
pub(crate) fn notify_url(field: &'static str, url: &Url) -> Result<(), Error> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Validation {
            field,
            reason: "must be an http or https URL".into(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Validation {
            field,
            reason: "must not carry parameters (不能携带参数)".into(),
        });
    }
    Ok(())
}

/// A 10-digit UNIX timestamp ("为10位 UNIX 时间戳").
pub(crate) fn unix_seconds(field: &'static str, value: u64) -> Result<(), Error> {
    if !(1_000_000_000..=9_999_999_999).contains(&value) {
        return Err(Error::Validation {
            field,
            reason: format!("{value} is not a 10-digit UNIX timestamp"),
        });
    }
    Ok(())
}

/// `merchant_id`: "16位数字".
pub(crate) fn merchant_id(value: &str) -> Result<(), Error> {
    if value.len() != 16 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Validation {
            field: "merchant_id",
            reason: "must be 16 digits".into(),
        });
    }
    Ok(())
}
