//! BeeCloud's states (read by the `beecloud` crate) mapped to [`PaymentStatus`], one `From`
//! impl per state enum, each naming every state.

use crate::status::{PaymentStatus, RefundExtent};
pub use beecloud::model::{BillState, RefundState, WebhookState, WxRefundStatus};

impl From<BillState> for PaymentStatus {
    fn from(s: BillState) -> Self {
        match s {
            BillState::Paid => PaymentStatus::Succeeded,
            // BeeCloud does not tell waiting from closed or failed.
            BillState::NotPaid => PaymentStatus::Pending,
        }
    }
}

impl From<RefundState> for PaymentStatus {
    fn from(s: RefundState) -> Self {
        match s {
            RefundState::Processing => PaymentStatus::Refunding,
            RefundState::RefundedFull => PaymentStatus::Refunded(RefundExtent::Full),
            RefundState::RefundedPartial => PaymentStatus::Refunded(RefundExtent::Partial),
            RefundState::Rejected => PaymentStatus::Failed,
        }
    }
}

impl From<WxRefundStatus> for PaymentStatus {
    fn from(s: WxRefundStatus) -> Self {
        match s {
            // §6 says nothing about the extent; the adapter fills it in from §5's record.
            WxRefundStatus::Success => PaymentStatus::Refunded(RefundExtent::Unknown),
            WxRefundStatus::Processing => PaymentStatus::Refunding,
            WxRefundStatus::Fail => PaymentStatus::Failed,
            // Not finished: a new refund could pay twice.
            WxRefundStatus::NotSure => PaymentStatus::Refunding,
            WxRefundStatus::Change => PaymentStatus::Refunding,
            // Never a success.
            WxRefundStatus::Unknown(_) => PaymentStatus::Pending,
        }
    }
}

impl From<WebhookState> for PaymentStatus {
    fn from(s: WebhookState) -> Self {
        match s {
            WebhookState::Paid => PaymentStatus::Succeeded,
            WebhookState::PayUnconfirmed => PaymentStatus::Pending,
            WebhookState::Refunded => PaymentStatus::Refunded(RefundExtent::Unknown),
            WebhookState::RefundUnconfirmed => PaymentStatus::Refunding,
        }
    }
}
