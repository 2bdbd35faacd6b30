//! The states BeeCloud reports, read from the answers and webhooks that carry them: §4's
//! `spay_result`, §5's `finish`/`result`, §6's `refund_status`, a webhook's
//! `transaction_type`/`trade_success`. Each enum names every state, so a caller mapping them
//! to its own states cannot forget one.

use super::query::{BillRecord, RefundRecord};

/// A bill's state as §4 reports it (`spay_result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillState {
    /// `spay_result = true`.
    Paid,
    /// `spay_result = false`: not paid (yet). BeeCloud does not tell waiting from closed or
    /// failed, so this is no final state.
    NotPaid,
}

impl From<&BillRecord> for BillState {
    fn from(b: &BillRecord) -> Self {
        if b.spay_result {
            BillState::Paid
        } else {
            BillState::NotPaid
        }
    }
}

/// A refund's state as §5 reports it (`finish`, `result`, and `refund_fee` against the bill's
/// `total_fee`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    /// `finish = false`: accepted, not finished (an Alipay refund waits here until the merchant
    /// confirms it at the refund's `url`).
    Processing,
    /// `finish = true, result = true`, `refund_fee == total_fee`.
    RefundedFull,
    /// `finish = true, result = true`, `refund_fee < total_fee`.
    RefundedPartial,
    /// `finish = true, result = false`: over, nothing refunded.
    Rejected,
}

impl From<&RefundRecord> for RefundState {
    fn from(r: &RefundRecord) -> Self {
        match (r.finish, r.result) {
            (false, _) => RefundState::Processing,
            (true, false) => RefundState::Rejected,
            (true, true) if r.refund_fee >= r.total_fee => RefundState::RefundedFull,
            (true, true) => RefundState::RefundedPartial,
        }
    }
}

paysig::code_enum! {
    /// `refund_status` of §6 (WeChat refunds only). The document lists no values; these are
    /// WeChat Pay's refund states, which BeeCloud relays (an inference). Read with
    /// [`WxRefundStatus::from_wire`], which ignores case and surrounding blanks.
    string WxRefundStatus {
        /// `SUCCESS`: refunded.
        Success = "SUCCESS",
        /// `PROCESSING`: in progress.
        Processing = "PROCESSING",
        /// `FAIL`: failed.
        Fail = "FAIL",
        /// `NOTSURE`: undetermined; WeChat asks to resubmit with the same refund number. Not
        /// finished.
        NotSure = "NOTSURE",
        /// `CHANGE`: the payer's card refused it and the money waits for manual handling in
        /// the WeChat merchant console. Neither done nor safely failed (a new refund could pay
        /// twice once it is handled).
        Change = "CHANGE",
    }
}

impl WxRefundStatus {
    /// The state for a wire value, case and surrounding blanks ignored; an unknown value is
    /// kept exactly as received.
    pub fn from_wire(raw: &str) -> Self {
        match WxRefundStatus::from(raw.trim().to_ascii_uppercase().as_str()) {
            WxRefundStatus::Unknown(_) => WxRefundStatus::Unknown(raw.to_owned()),
            known => known,
        }
    }
}

/// What a verified webhook says (`transaction_type` and `trade_success`), from
/// [`crate::Notification::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookState {
    /// `PAY`, `trade_success = true`.
    Paid,
    /// `PAY` with `trade_success` false or absent: BeeCloud says `false` does not mean failed
    /// (a `true` may follow).
    PayUnconfirmed,
    /// `REFUND`, `trade_success = true`. The webhook carries the refunded fee only, not the
    /// bill's total: the extent is unknown.
    Refunded,
    /// `REFUND` with `trade_success` false or absent: still refunding.
    RefundUnconfirmed,
}
