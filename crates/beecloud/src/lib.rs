//! # beecloud: BeeCloud for payhub
//!
//! The BeeCloud RESTful API V1 (beta): one API in front of WeChat Pay, Alipay and UnionPay,
//! following `docs/upstream/beecloud.md` (its webhook is not in the document, see Provider
//! specifics).
//!
//! ## Covers
//! | section | endpoint | method |
//! |---|---|---|
//! | §1 Server 列表 | four production hosts, the test server | [`Environment`], random host per call with failover |
//! | §2 支付 | `POST /1/rest/bill` | [`Client::bill`] |
//! | §3 退款 | `POST /1/rest/refund` | [`Client::refund`] |
//! | §4 订单查询 | `GET /1/rest/bills` | [`Client::bills`], [`Client::all_bills`] |
//! | §5 退款查询 | `GET /1/rest/refunds` | [`Client::refunds`], [`Client::all_refunds`] |
//! | §6 退款状态更新 | `GET /1/rest/refund/status` | [`Client::refund_status`] |
//! | webhook (not in the document) | POST JSON to the merchant | [`Client::verify_notify`], confirmed by §4 with [`Client::confirm_payment`] |
//!
//! Every call carries `app_id`, `timestamp` (ms) and `app_sign = md5(app_id + timestamp +
//! app_key)` in lowercase hex. Amounts are [`paysig::Money`], sent in fen.
//!
//! Every single call returns a [`Reply`] (BeeCloud's answers carry no request id);
//! [`Client::all_bills`] and [`Client::all_refunds`] gather pages into a plain list.
//!
//! ## Quick start
//! A config, a client, one call:
//! ```no_run
//! # async fn demo() -> Result<(), beecloud::Error> {
//! use beecloud::{BillChannel, BillRequest, BillResponse, Client, Config, Environment};
//! use paysig::Money;
//!
//! let config = Config::new(Environment::Production, "app-id", "app-key");
//! let client = Client::new(config)?;
//! let bill = BillRequest::new(BillChannel::WxNative, Money::from_fen(1), "201506101035040000001", "白开水");
//! if let BillResponse::WxNative(qr) = client.bill(&bill).await?.into_inner() {
//!     println!("show a QR code of {}", qr.code_url);
//! }
//! # Ok(()) }
//! ```
//!
//! ## Notify
//! [`Client::verify_notify`] takes the request's headers and raw body and returns a
//! [`paysig::Verified`] [`Notification`] under the scheme of [`Config::with_webhook`] (a client
//! without one refuses with [`NotifyError::NotConfigured`]); [`Client::verify_notify_at`]
//! verifies as if received at a given time. Check the amount with
//! [`Notification::check_amount`] and confirm a payment with [`Client::confirm_payment`]
//! before fulfilling, then answer [`ACK`]. Without a client: [`Webhook::verify_notify`].
//! ```
//! use paysig::Money;
//! use paysig::http::HeaderMap;
//!
//! fn on_notify(client: &beecloud::Client, headers: &HeaderMap, body: &[u8])
//!     -> Result<&'static str, beecloud::NotifyError> {
//!     let notify = client.verify_notify(headers, body)?;
//!     notify.check_amount(Money::from_fen(100))?; // the order's amount, from your records
//!     // confirm with client.confirm_payment (a bill query), mark the order paid, then stop
//!     // the notify's retries:
//!     Ok(beecloud::ACK)
//! }
//! ```
//!
//! ## Errors
//! [`Error`] for calls, [`NotifyError`] for webhooks; both implement
//! [`paysig::Classify`] (may the money have moved?). The shared meanings have the same names
//! in every payhub provider crate: `Validation` (nothing sent), `Config`, `Http`, `Decode`,
//! `Api`; BeeCloud adds `MaybeSent`, `AllHostsFailed` (failover) and `Unconfirmed`
//! ([`Unconfirmed`]). Its answers echo no field of the request, so there is no
//! `ResponseMismatch`; its `app_sign` cannot fail, so there is no `Sign`.
//! ```
//! use paysig::{Classify, ErrorClass};
//!
//! fn after_failure(err: &beecloud::Error) -> &'static str {
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
//! [`Client::resolve_payment`] / [`Client::resolve_refund`] query by `bill_no` / `refund_no`
//! in every channel group until a definite state ([`resolve`]). After "not found", bill
//! again under a **new** `bill_no`: neither beecloud.md nor the provider notes say the same
//! number may be re-sent.
//! ```no_run
//! use beecloud::resolve::{DEFAULT_POLICY, Resolution};
//!
//! # async fn demo(client: &beecloud::Client) {
//! match client.resolve_payment("201506101035040000001", &DEFAULT_POLICY).await {
//!     Resolution::Paid(bill) => println!("paid: {}", bill.bill_no),
//!     Resolution::NotPaid(_) => println!("final, not paid"),
//!     Resolution::NotFound => println!("never created: bill anew under a new bill_no"),
//!     _ => println!("still unknown: ask again later, never create anew"),
//! }
//! # }
//! ```
//!
//! ## Features
//! None: the crate has no optional parts.
//!
//! ## Provider specifics
//! ### Inferred, with a switch
//! - Failover: the document allows any host at random; the official SDKs never failed over.
//!   This client fails over (see [`Client`]); [`hosts::InOrder`] or a one-host
//!   [`Environment::Custom`] turns random choice off.
//! - `title`'s limit is self-contradictory in the document: [`TitleRule`].
//! - The webhook is not in the document: the three schemes BeeCloud used are supported,
//!   [`notify::WebhookScheme`] (V1, V1Snake, V2), and whether the timestamp is required,
//!   [`notify::TimestampCheck`]. Every field a webhook carries is read by a closed grammar
//!   taken from the document's rules ([`notify::grammar`]), so that V2's separator-less
//!   signed string has one reading.
//! - A verified webhook is not a verified payment: V1 and V1Snake sign only the timestamp, V2
//!   does not sign `trade_success` nor the timestamp, and none signs `trade_success`. Confirm
//!   a payment with [`Client::confirm_payment`] (a bill query) before fulfilling: required
//!   under V1 and V1Snake, recommended under V2 (see [`notify`]).
//! - `refund_no` must start with the refund day: the Beijing date (UTC+8) of [`Config::clock`],
//!   since BeeCloud checks it in China ([`clock::BEIJING`]).
//! - `total_fee` / `refund_fee` above `i32::MAX` fen are refused (the document's type is
//!   `Integer`): [`model::MAX_FEE_FEN`].

#![warn(missing_docs)]

mod client;
pub mod clock;
mod config;
pub mod doc_tables;
mod error;
pub mod hosts;
pub mod model;
pub mod notify;
pub mod resolve;
mod validate;

pub use client::{Client, app_sign};
pub use config::{Config, Environment, PRODUCTION_HOSTS, TEST_HOST, TitleRule};
pub use doc_tables::{DOC_EXCEPTIONS, DocException};
pub use error::{Error, NotifyError, Unconfirmed};
pub use model::{
    BillChannel, BillRequest, BillResponse, BillsQuery, Channel, QrPayMode, RefundChannel,
    RefundRequest, RefundsQuery, ResultCode, TransactionType,
};
pub use notify::{
    ACK, AppMode, ConfirmedPayment, Notification, Webhook, WebhookConfig, WebhookScheme,
};
pub use paysig::Reply;
