//! Wire types: requests, answers, channels and codes (beecloud.md §2 to §6).
//!
//! The public request types ([`BillRequest`], [`RefundRequest`], [`BillsQuery`],
//! [`RefundsQuery`]) are what a caller fills and validates. The bodies actually sent, one
//! serde struct per endpoint with the auth fields flattened in, live in the private `wire`
//! module and become JSON through [`paysig::wire::ToWire`].

mod bill;
mod channel;
mod codes;
mod query;
mod refund;
mod state;
mod wire;

pub use bill::{
    AliAppPayment, AliQrcodePayment, AliWebPayment, BillRequest, BillResponse, MAX_FEE_FEN,
    UnAppPayment, UnWebPayment, WxAppPayment, WxJsapiPayment, WxNativePayment,
};
pub use channel::{BillChannel, Channel, QrPayMode, RefundChannel};
pub use codes::{Envelope, ResultCode, TransactionType};
pub use query::{
    BillRecord, BillsPage, BillsQuery, MAX_LIMIT, Paged, RefundRecord, RefundStatus, RefundsPage,
    RefundsQuery, Window,
};
pub(crate) use query::{millis, read_bool};
pub use refund::{RefundRequest, RefundResponse, validate_refund_no};
pub use state::{BillState, RefundState, WebhookState, WxRefundStatus};
pub(crate) use wire::{Auth, BillBody, BillsPara, RefundBody, RefundStatusPara, RefundsPara};
