//! Where this crate departs from the tables of pooul.md. `tests/tables.rs` holds the requests
//! to every table of `fixtures/pooul/tables/` (extracted by `cargo xtask fixtures`); each
//! departure it tolerates is listed here. pooul.md has no response or code tables.

/// One documented (or undocumented) field the crate deliberately treats otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocException {
    /// The provider (`pooul`).
    pub provider: &'static str,
    /// The table's name in `fixtures/pooul/tables/` (the API path's last part).
    pub endpoint: &'static str,
    /// What is departed from: `request`, `response`, `length`, `required`, or `extra` (sent
    /// although no table row documents it).
    pub check: &'static str,
    /// The field name.
    pub field: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// Every departure from pooul.md's tables.
pub const DOC_EXCEPTIONS: &[DocException] = &[
    DocException {
        provider: "pooul",
        endpoint: "pay",
        check: "extra",
        field: "attach",
        reason: "in the request samples (wechat.scan) but not in the parameter table; sent only \
                 when PayRequest::attach is set",
    },
    DocException {
        provider: "pooul",
        endpoint: "refund",
        check: "extra",
        field: "mch_refund_id",
        reason: "not in pooul.md; Pooul's newer documents require it (provider notes). \
                 RefundRequest::without_refund_id sends the request exactly as documented",
    },
    DocException {
        provider: "pooul",
        endpoint: "refund_query",
        check: "extra",
        field: "mch_refund_id",
        reason: "not in pooul.md; sent only when RefundQueryRequest::mch_refund_id is set \
                 (newer documents key refund queries by it)",
    },
];
