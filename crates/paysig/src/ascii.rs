//! Short ASCII text kept on the stack: a digest's hex digits, a nonce. A call writes these
//! straight into its body, so none needs a `String` of its own.

use std::fmt;

/// `N` ASCII characters on the stack. A signature or a nonce, never a secret: both are sent
/// as they are, so `Debug` shows them.
///
/// ```
/// let n = paysig::nonce_text();
/// assert_eq!(n.as_str().len(), 32);
/// assert_eq!(serde_json::to_string(&n).unwrap(), format!("\"{n}\""));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AsciiText<const N: usize>(pub(crate) [u8; N]);

impl<const N: usize> AsciiText<N> {
    /// The characters as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written in, so the fallback is never taken.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl<const N: usize> fmt::Display for AsciiText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for AsciiText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl<const N: usize> serde::Serialize for AsciiText<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
