//! # sunmi: Sunmi cloud trade (商米云交易) for payhub
//!
//! The Sunmi cloud trade API: card-trade query for Sunmi financial devices, WeChat
//! official-account and mini-program payment, order query, refund, and the RSA-signed
//! payment/refund notify, following `docs/upstream/sunmi.txt`.
//!
//! ## Covers
//! - §2.1 request sign ([`request_signer`]): form POSTs with `app_id`, `charset=utf8` and the
//!   MD5 `sign`. Answers are `{code, msg, data}`: `code` 10000 only means the request
//!   arrived; a `data.sub_code` is a business error ([`Error::Api`]), the order outcome is
//!   `data.state` ([`TradeState`]).
//! - §3.3.1 `swipeQuery` ([`Client::swipe_query`]), §3.4 [`CardType`], §3.5 [`CardGov`].
//! - §4.3.1 / §5.3.1 `payBind` ([`Client::pay_bind`], [`BindConfig`]).
//! - §4.3.2 `jsApiPay` ([`Client::js_api_pay`]), §5.3.2 `miniPay` ([`Client::mini_pay`]).
//! - §4.3.3 `query` ([`Client::query`], [`Client::poll_until_final`]).
//! - §4.3.4 `refund` ([`Client::refund`]).
//! - §2.2, §4.3.5 / §6 notify (see Notify below); §7.1 [`SystemCode`], §7.2 [`BusinessCode`].
//!
//! Every call returns a [`Reply`] (Sunmi's answers carry no request id).
//!
//! ## Quick start
//! A config, a client, one call:
//! ```no_run
//! # async fn demo() -> Result<(), sunmi::Error> {
//! use paysig::Money;
//! use sunmi::{Client, Config, MiniPayRequest};
//!
//! let config = Config::test("my_app_id", "my_app_key"); // Sunmi's test host and public key
//! let client = Client::new(config)?;
//! let order = client
//!     .mini_pay(&MiniPayRequest {
//!         merchant_no: "8202915737".into(),
//!         total_amount: Money::from_fen(1),
//!         mini_app_id: "wx2e5f6590644de622".into(),
//!         open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
//!         order_id: "SFD42343242364723482".into(),
//!         app_version: None,
//!         notify_url: None,
//!     })
//!     .await?;
//! // hand order.cloud_pay_info to wx.requestPayment
//! println!("paying: {}", order.is_paying());
//! # Ok(()) }
//! ```
//!
//! ## Notify
//! [`Client::verify_notify`] takes the request's headers and raw body and returns a
//! [`paysig::Verified`] [`Notification`]; check the amount with
//! [`Notification::check_amount`], then answer [`ACK`]. The body is read as a form or as JSON
//! (the `Content-Type` header first, [`NotifyFormat::detect`]): the notify is documented as a
//! form, but its samples are JSON. Each member is signed as the text received; a nested JSON
//! member is signed as its JSON text byte for byte (no documented field is nested). A value
//! holding `&` (or a name holding `&`/`=`) is refused even when Sunmi signed it: the
//! unescaped signed string would have more than one reading ([`notify`] module docs).
//! Without a client: [`verify_notify`] / [`verify_notify_with`] and the public key
//! ([`TEST_PUBLIC_KEY`] in the test environment).
//! ```
//! use paysig::Money;
//! use paysig::http::HeaderMap;
//!
//! fn on_notify(client: &sunmi::Client, headers: &HeaderMap, body: &[u8])
//!     -> Result<&'static str, sunmi::NotifyError> {
//!     let notify = client.verify_notify(headers, body)?;
//!     notify.check_amount(Money::from_fen(100))?; // the order's amount, from your records
//!     // mark the order paid, then stop the notify's retries:
//!     Ok(sunmi::ACK)
//! }
//! ```
//!
//! ## Errors
//! [`Error`] for calls, [`NotifyError`] for notifies; both implement
//! [`paysig::Classify`] (may the money have moved?). The shared meanings have the same names
//! in every payhub provider crate: `Validation` (nothing sent), `Config`, `Http`, `Decode`,
//! `Api`, `ResponseMismatch` (the answer is about another order or amount), `Sign`; Sunmi adds
//! `System` (a `code` other than 10000) and `PollTimeout`.
//! ```
//! use paysig::{Classify, ErrorClass};
//!
//! fn after_failure(err: &sunmi::Error) -> &'static str {
//!     match err.class() {
//!         ErrorClass::InvalidRequest | ErrorClass::NotSent => "nothing moved: fix, send again",
//!         ErrorClass::OutcomeUnknown => "the money may have moved: resolve (below) first",
//!         ErrorClass::Rejected { retryable: true } | ErrorClass::RateLimited => "send again later",
//!         _ => "refused: report it",
//!     }
//! }
//! ```
//!
//! ## Resolving an unknown outcome
//! [`Client::resolve_payment`], [`Client::resolve_refund`] query by `orderId` until a definite
//! state ([`resolve`]); the query needs the terminal, given once with
//! [`Client::with_terminal`]. After "not found" do **not** re-send the create under the same
//! `orderId`: the document is silent and lists other causes of E19, so create anew under a
//! new number.
//! ```no_run
//! use sunmi::resolve::{DEFAULT_POLICY, Resolution};
//!
//! # async fn demo(client: &sunmi::Client) {
//! match client.resolve_payment("SFD42343242364723482", &DEFAULT_POLICY).await {
//!     Resolution::Paid(order) => println!("paid: {}", order.mis_id),
//!     Resolution::NotPaid(_) => println!("final, not paid"),
//!     Resolution::NotFound => println!("never created: create anew under a new number"),
//!     _ => println!("still unknown: ask again later, never create anew"),
//! }
//! # }
//! ```
//!
//! ## Features
//! None: the crate has no optional parts.
//!
//! ## Provider specifics
//! ### Inferred, with a switch (or documented where it applies)
//! - Whether `state` 2 ends polling: [`UnpaidPolicy`].
//! - `miniPay` `notifyUrl` is documented `String(32)` (likely a copy error):
//!   [`Config::mini_pay_notify_url_max`].
//! - `buyerLogonId` is documented as required but missing from every sample: optional.
//! - The `Content-Type` header is `application/x-www-form-urlencoded` without a charset
//!   parameter (the document names none); the `charset=utf8` form field goes on every call.
//! - `jsApiPay`'s `payTime` sample is `yyyyMMddHHmmss`, not the documented unix time: kept as
//!   text in [`OrderResult::pay_time`].
//!
//! ### Beyond the chosen dependencies
//! - `memchr` (already built for serde_json, so no crate more to compile): each answer's text
//!   is scanned for a `sub_code` member before it is read in one pass.

#![warn(missing_docs)]

mod client;
mod config;
pub mod doc_tables;
mod error;
pub mod model;
pub mod notify;
pub mod resolve;
mod validate;

pub use client::{Client, IMAGE_PARAMS, request_signer};
pub use config::{Config, Environment, PollConfig, UnpaidPolicy};
pub use doc_tables::{DOC_EXCEPTIONS, DocException};
pub use error::{Error, NotifyError};
pub use model::{
    BindConfig, BusinessCode, CardGov, CardType, CloudPayInfo, JsApiPayRequest, MiniPayRequest,
    OrderRef, OrderResult, OrderType, OriginalOrder, PayBindOutcome, PayBindRequest, Platform,
    QueryRequest, QueryResult, RefundRequest, RefundResult, SwipeQueryRequest, SwipeResultCode,
    SwipeTrade, SwipeTradeRef, SystemCode, Terminal, TradeDate, TradeState, WalletType,
};
pub use notify::{
    ACK, Notification, NotifyFormat, NotifyOptions, RefundOrigin, TEST_PUBLIC_KEY, verify_notify,
    verify_notify_with,
};
pub use paysig::Reply;
