//! Where this crate knowingly departs from the document's tables, each with its reason.

/// One departure from the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocException {
    /// The endpoint or message (`query`, `notify`).
    pub endpoint: &'static str,
    /// The field.
    pub field: &'static str,
    /// What the crate does instead, and why.
    pub reason: &'static str,
}

/// Every departure; empty until the crate meets the document's first silence.
pub const DOC_EXCEPTIONS: &[DocException] = &[];
