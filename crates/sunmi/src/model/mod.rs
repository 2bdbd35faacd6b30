//! Wire types: codes and states, requests, response data.

mod codes;
mod form;
mod request;
mod response;

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
