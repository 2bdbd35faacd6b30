//! What the calls send and answer, and the document's code tables.

mod decode;

pub(crate) use decode::{order, refund};

use paysig::Money;

paysig::code_enum! {
    /// The `result_code` of every answer.
    string ResultCode {
        /// `SUCCESS`: the call was accepted.
        Success = "SUCCESS",
        /// `ORDER_NOT_EXIST`: no order under this number.
        OrderNotExist = "ORDER_NOT_EXIST",
    }
}

paysig::code_enum! {
    /// An order's `trade_state`.
    string TradeState {
        /// `PAYING`: waiting for the payer.
        Paying = "PAYING",
        /// `SUCCESS`: paid.
        Success = "SUCCESS",
        /// `CLOSED`: closed unpaid.
        Closed = "CLOSED",
    }
}

paysig::code_enum! {
    /// A refund's `refund_state`.
    string RefundState {
        /// `PROCESSING`: not settled yet.
        Processing = "PROCESSING",
        /// `SUCCESS`: the money went back.
        Success = "SUCCESS",
        /// `FAIL`: refused.
        Fail = "FAIL",
    }
}

/// An order as the query answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The merchant's order number (echoed).
    pub order_no: String,
    /// The order's amount.
    pub amount: Money,
    /// Its state.
    pub state: TradeState,
}

/// A refund as the refund call answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The merchant's order number (echoed).
    pub order_no: String,
    /// The merchant's refund number (echoed).
    pub refund_no: String,
    /// The amount refunded.
    pub amount: Money,
    /// Its state.
    pub state: RefundState,
}
