//! Wire types: codes and states, requests, response data.
//!
//! The public request types (in `request`) are what a caller fills; they check their fields
//! and fill the bodies actually sent, one serde struct per endpoint in the private `wire`
//! module, which the client turns into a signed form through [`paysig::wire::ToWire`].

mod codes;
mod form;
mod request;
mod response;
mod wire;
pub(crate) use wire::wire_error;

pub use codes::{
    BusinessCode, CardGov, CardType, OrderType, Platform, SwipeResultCode, SystemCode, TradeState,
};
pub use request::{
    BindConfig, JsApiPayRequest, MiniPayRequest, OrderRef, OriginalOrder, PayBindRequest,
    QueryRequest, RefundRequest, SwipeQueryRequest, SwipeTradeRef, Terminal, TradeDate, WalletType,
};
pub use response::{
    CloudPayInfo, Envelope, OrderResult, PayBindOutcome, QueryResult, RefundResult, SubError,
    SwipeTrade, USER_PAYING,
};
