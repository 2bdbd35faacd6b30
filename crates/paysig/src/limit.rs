//! The size limit every notify reader applies before it parses a body.
//!
//! A notify endpoint is public: anyone can POST to it. Parsing is linear, but a body of many
//! megabytes still costs memory and time before any signature is checked, so each reader
//! refuses a body over its limit first. 64 KiB is far above any documented notify (the
//! largest, a Sunmi refund notify, is under 2 KiB) and can be raised per reader.

/// The default limit of a notify body, in bytes (64 KiB).
pub const DEFAULT_NOTIFY_BODY_LIMIT: usize = 64 * 1024;

/// A body longer than the reader's limit; nothing of it was parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("body of {len} bytes is over the limit of {limit} bytes")]
pub struct BodyTooLarge {
    /// The body's length.
    pub len: usize,
    /// The limit in force.
    pub limit: usize,
}

/// Refuses `body` when it is longer than `limit` bytes.
///
/// ```
/// use paysig::limit::{check_body_len, BodyTooLarge, DEFAULT_NOTIFY_BODY_LIMIT};
/// assert!(check_body_len(b"a=1", DEFAULT_NOTIFY_BODY_LIMIT).is_ok());
/// assert_eq!(check_body_len(&[0u8; 10], 4), Err(BodyTooLarge { len: 10, limit: 4 }));
/// ```
pub fn check_body_len(body: &[u8], limit: usize) -> Result<(), BodyTooLarge> {
    if body.len() > limit {
        Err(BodyTooLarge {
            len: body.len(),
            limit,
        })
    } else {
        Ok(())
    }
}
