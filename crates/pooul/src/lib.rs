//! # pooul: Pooul (普尔瀚达) for payhub
//!
//! Pooul's `/v2` payments: WeChat and Alipay through one API, with every request and answer
//! carried as a compact RS256 JWT, following `docs/upstream/pooul.md` (authentication from
//! Pooul's developer docs, see Provider specifics).
//!
//! ## Covers
//! From `docs/upstream/pooul.md`:
//! - 统一支付 Pay order, all seven pay types of pooul.md and the developer docs' `wechat.jsurl`
//!   and `alipay.jsapi` ([`PayType`]): [`Client::pay`];
//!   `common.micro` with reminders 1 and 2 (query while paying, then reverse): [`Client::micro_pay`].
//! - 查询订单 [`Client::query`], 关闭订单 [`Client::close`], 撤销订单 [`Client::reverse`],
//!   申请退款 [`Client::refund`], 退款查询 [`Client::refund_query`].
//! - 支付结果通知 / 退款结果通知 (see Notify below).
//!
//! Every call returns a [`Reply`] with Pooul's `msg`; `close`, `reverse` and `refund`, whose
//! answers document no `data`, return a `Reply<Option<serde_json::Value>>` holding whatever
//! `data` Pooul sent, raw.
//!
//! ## Quick start
//! A config, a client, one call:
//! ```no_run
//! # async fn demo(merchant_pem: &str, pooul_pem: &str) -> Result<(), pooul::Error> {
//! use paysig::Money;
//! use pooul::{Client, Config, Environment, PayRequest, PayType};
//!
//! let config = Config::new(
//!     Environment::Test,
//!     "5399355381712172",
//!     pooul::load_merchant_key(merchant_pem)?,
//!     pooul::load_platform_key(pooul_pem)?, // 1024-bit platform keys accepted
//! );
//! let client = Client::new(config)?;
//! let order = PayRequest::new(PayType::WechatScan, "order-1", Money::from_fen(221), "Coffee")
//!     .spbill_create_ip("127.0.0.1");
//! let reply = client.pay(&order).await?;
//! println!("show this as a QR code: {:?}", reply.data.code_url);
//! # Ok(()) }
//! ```
//!
//! ## Notify
//! [`Client::verify_notify`] takes the request's headers and raw body (the whole body is the
//! JWT Pooul signed) and returns a [`paysig::Verified`] [`Notification`]: a pay or a refund
//! notify, told apart by the payload, this client's merchant checked. Check the amount with
//! [`Notification::check_amount`] (a refund notify listing several refunds: name one with
//! [`RefundNotify::check_refunded`]), then answer [`ACK`]. A URL that receives one kind only
//! uses [`Client::verify_notify_pay`] or [`Client::verify_notify_refund`]. Without a client:
//! [`notify::verify_notify`] and its `_pay` / `_refund` variants.
//! ```
//! use paysig::Money;
//! use paysig::http::HeaderMap;
//!
//! fn on_notify(client: &pooul::Client, headers: &HeaderMap, body: &[u8])
//!     -> Result<&'static str, pooul::NotifyError> {
//!     let notify = client.verify_notify(headers, body)?;
//!     notify.check_amount(Money::from_fen(100))?; // the order's amount, from your records
//!     // mark the order paid (or refunded), then stop the notify's retries:
//!     Ok(pooul::ACK)
//! }
//! ```
//!
//! ## Errors
//! [`Error`] for calls, [`NotifyError`] for notifies; both implement
//! [`paysig::Classify`] (may the money have moved?). The shared meanings have the same names
//! in every payhub provider crate: `Validation` (nothing sent), `Config`, `Http`, `Decode`,
//! `Api`, `ResponseMismatch` ([`EchoCheck`]), `Sign`; Pooul adds `ResponseSignature` (an
//! answer JWT that does not verify), `Unsigned` and `ReverseFailed`.
//! ```
//! use paysig::{Classify, ErrorClass};
//!
//! fn after_failure(err: &pooul::Error) -> &'static str {
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
//! [`Client::resolve_payment`], [`Client::resolve_refund`] query by `mch_trade_id` /
//! `mch_refund_id` ([`resolve`]). After "not found", close the old number and pay under a
//! **new** one (pooul.md "关闭订单 Close": "商户订单支付失败需要生成新单号重新发起支付，要对原订单号调用关单").
//! ```no_run
//! use pooul::resolve::{DEFAULT_POLICY, Resolution};
//!
//! # async fn demo(client: &pooul::Client) {
//! match client.resolve_payment("order-1", &DEFAULT_POLICY).await {
//!     Resolution::Paid(reply) => println!("paid: {}", reply.data.trade_id),
//!     Resolution::NotPaid(_) => println!("final, not paid"),
//!     Resolution::NotFound => println!("never created: close it, pay under a new number"),
//!     _ => println!("still unknown: ask again later, never create anew"),
//! }
//! # }
//! ```
//!
//! ## Features
//! None: the crate has no optional parts.
//!
//! ## Provider specifics
//! ### Keys
//! Pooul's platform key verifies; load it with [`load_platform_key`], which accepts 1024-bit
//! keys ([`PLATFORM_KEY_POLICY`]) because Pooul's own docs publish one. [`Client::new`] logs
//! one `tracing` warning naming the size of a platform key under 2048 bits. The merchant's
//! key signs and stays at 2048 bits or more ([`load_merchant_key`]).
//!
//! ### Transport
//! pooul.md documents the payloads only; authentication is from Pooul's developer docs (see
//! `docs/provider-notes.md`). Every call is `POST <host>/v2/...?merchant_id=<16 digits>`,
//! `Content-Type: text/plain`, whose whole body is the compact RS256 JWT of the JSON payload,
//! signed with the merchant's private key, with a fresh `nonce_str` (32 alphanumerics) in
//! every payload, including every retry of a query.
//!
//! An answer is told apart by its body, after trimming whitespace:
//! - it starts with `{`: unsigned plain JSON `{code, msg}`. Only a failure (`code` ≠ 0) is
//!   reported, as [`Error::Api`] with `signed: false`; an unsigned "success" is never believed
//!   ([`Error::Unsigned`]). [`PlainJsonFailures::Reject`] refuses unsigned failures too.
//! - it is three non-empty dot-separated base64url segments: a JWT, verified with Pooul's
//!   public key (RS256 only). A JWT that fails verification (another key, another `alg`,
//!   tampering) is [`Error::ResponseSignature`], never a warning.
//! - anything else: [`Error::Decode`] (or [`Error::Http`] for a non-2xx status).
//!
//! ### Inferred, with a switch
//! - Unsigned failures: [`PlainJsonFailures`].
//! - A verified answer whose `mch_trade_id`/`merchant_id` differ from the request's is refused:
//!   [`EchoCheck`].
//! - The micro-pay flow treats a pay without a trustworthy answer as the document's "系统错误"
//!   and queries it ([`UnknownPayOutcome`]); so is a refusal whose `msg`/`trade_info` says
//!   "系统错误"/"SYSTEMERROR" ([`MicroPayApiErrors`]). The reverse waits the document's 15 s
//!   unless [`ReverseDelay::Override`].
//! - `refund_state` (pooul.md's sample) and `refund_status` (developer docs) are read as one
//!   field; `refunds` may be a list or one object.
//! - `mch_refund_id` (developer docs, not pooul.md) is sent by default
//!   ([`RefundRequest::new`] requires it, so a resubmitted refund cannot refund twice);
//!   [`RefundRequest::without_refund_id`] leaves it out and is unsafe to retry.

#![warn(missing_docs)]

mod client;
mod config;
pub mod doc_tables;
mod error;
pub mod micropay;
pub mod model;
pub mod notify;
pub mod resolve;
mod unique;
mod validate;

pub use client::Client;
pub use config::{
    Config, EchoCheck, Environment, MicroPayApiErrors, MicroPayTimings, PLATFORM_KEY_POLICY,
    PlainJsonFailures, ReverseDelay, UnknownPayOutcome, load_merchant_key, load_platform_key,
    load_platform_key_with,
};
pub use doc_tables::{DOC_EXCEPTIONS, DocException};
pub use error::{Error, NotifyError};
pub use micropay::MicroPayOutcome;
pub use model::codes::{MchAppType, PayTypeCode, RefundStatus, TradeState};
pub use model::pay::{
    AlipayPayInfo, AppPayInfo, JsapiPayInfo, PayData, PayInfo, PayRequest, PayType,
};
pub use model::refund::{
    RefundItem, RefundLookup, RefundMatchError, RefundQueryData, RefundQueryRequest, RefundRequest,
};
pub use model::trade::{TradeData, TradeRef};
pub use model::{Answer, Reply};
pub use notify::{
    ACK, Notification, PayNotify, PayNotifyData, RefundKey, RefundNotify, RefundNotifyData,
};
