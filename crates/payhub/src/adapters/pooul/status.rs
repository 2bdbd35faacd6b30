//! Pooul's states mapped to [`PaymentStatus`], one `From` impl per state enum, each naming
//! every state.

use crate::status::{PaymentStatus, RefundExtent};
use paysig::Money;
use pooul::{RefundStatus, TradeState};

/// 支付状态 `trade_state` → unified status.
///
/// | `trade_state` | unified |
/// |---|---|
/// | 0 `Success` 支付成功 | `Succeeded` |
/// | 1 `Refund` 转入退款 | `Refunding` (the refund's own state comes from `query_refund`) |
/// | 2 `NotPaid` 未支付 | `Pending` |
/// | 3 `Closed` 已关闭 | `Closed` |
/// | 4 `Finished` 已完结 | `Succeeded` (paid and settled) |
/// | 5 `Reversed` 已撤销 | `Reversed` |
/// | 6 `Paying` 支付中 | `Paying` |
/// | 7 `PartiallyPaid` | `Pending` (not a success: check the order by hand) |
/// | 8 `OverPaid` | `Pending` (not a success: check the order by hand) |
/// | `Unknown(raw)` | `Pending`: an unknown code is never taken for a success |
impl From<TradeState> for PaymentStatus {
    fn from(state: TradeState) -> Self {
        match state {
            TradeState::Success => PaymentStatus::Succeeded,
            TradeState::Refund => PaymentStatus::Refunding,
            TradeState::NotPaid => PaymentStatus::Pending,
            TradeState::Closed => PaymentStatus::Closed,
            TradeState::Finished => PaymentStatus::Succeeded,
            TradeState::Reversed => PaymentStatus::Reversed,
            TradeState::Paying => PaymentStatus::Paying,
            TradeState::PartiallyPaid => PaymentStatus::Pending,
            TradeState::OverPaid => PaymentStatus::Pending,
            TradeState::Unknown(_) => PaymentStatus::Pending,
        }
    }
}

/// 退款状态 `refund_status` → unified status.
///
/// | `refund_status` | unified |
/// |---|---|
/// | 0 `Success` | `Refunded(Unknown)` (`query_refund` tells `Partial` / `Full` from the order's total) |
/// | 1 `Processing` | `Refunding` (accepted, not finished) |
/// | 2 `Closed` | `Failed` (closed: no money went back) |
/// | 3 `Abnormal` | `Refunding` (退款异常: not finished, needs a look by hand; never `Failed`, so the merchant does not refund twice) |
/// | `Unknown(raw)` | `Pending`: an unknown code is never taken for a success |
impl From<RefundStatus> for PaymentStatus {
    fn from(status: RefundStatus) -> Self {
        match status {
            RefundStatus::Success => PaymentStatus::Refunded(RefundExtent::Unknown),
            RefundStatus::Processing => PaymentStatus::Refunding,
            RefundStatus::Closed => PaymentStatus::Failed,
            RefundStatus::Abnormal => PaymentStatus::Refunding,
            RefundStatus::Unknown(_) => PaymentStatus::Pending,
        }
    }
}

/// A notify whose `code` is not 0 is reported as `Pending` (never a success), whatever its state.
pub(super) fn notified_status(code: i64, status: PaymentStatus) -> PaymentStatus {
    if code == 0 {
        status
    } else {
        PaymentStatus::Pending
    }
}

/// A finished refund of the whole total is `Full`, of less `Partial`; without the total, `Unknown`.
pub(super) fn extent(refunded: Money, total: Option<Money>) -> RefundExtent {
    match total {
        Some(total) if refunded >= total => RefundExtent::Full,
        Some(_) => RefundExtent::Partial,
        None => RefundExtent::Unknown,
    }
}
