//! # mifeng: Mifeng Pay (蜜蜂支付) for payhub
//!
//! Mifeng Pay is a payment aggregator: the merchant creates an order through the open API and
//! sends the payer to the returned `pay_url`; Mifeng notifies the merchant's `notify_url`.
//! The crate follows `docs/upstream/mifeng.md`.
//!
//! ## Covers
//! From `docs/upstream/mifeng.md`: §接口授权 (`accesstoken`, [`Client::access_token`]),
//! §使用规则 (20 calls/s per merchant), §统一下单 ([`Client::unified_order`]), §订单查询
//! ([`Client::query`]), §余额查询 ([`Client::balance`]), with every documented field, state
//! and error code. Every call returns a [`Reply`] with Mifeng's `msg` and `request_id`.
//!
//! ## Quick start
//! A config, a client, one call:
//! ```no_run
//! # async fn demo() -> Result<(), mifeng::Error> {
//! use mifeng::{Client, Config, Environment, UnifiedOrderRequest};
//! use paysig::Money;
//!
//! let config = Config::new(Environment::Production, "10086", "merchant-secret");
//! let client = Client::new(config)?;
//! let order = UnifiedOrderRequest::new(
//!     "1",
//!     "20150320010101001",
//!     Money::from_fen(1000),
//!     "203.0.113.7".parse().unwrap(),
//!     "https://shop.example/mifeng/notify".parse().unwrap(),
//! );
//! let created = client.unified_order(&order).await?;
//! println!("pay at {} (order {})", created.pay_url, created.order_no);
//! # Ok(()) }
//! ```
//!
//! ## Notify
//! [`Client::verify_notify`] takes the request's headers and raw body and returns a
//! [`paysig::Verified`] [`Notification`] (the inferred MD5 scheme, this client's `mch_id`
//! checked); check the amount with [`Notification::check_amount`], then answer [`ACK`].
//! [`Client::handle_notify`] applies [`Config::notify_trust`] (signature, query, or both).
//! Without a client: [`notify::verify_notify`] / [`notify::verify_notify_with`].
//! ```
//! use paysig::Money;
//! use paysig::http::HeaderMap;
//!
//! fn on_notify(client: &mifeng::Client, headers: &HeaderMap, body: &[u8])
//!     -> Result<&'static str, mifeng::NotifyError> {
//!     let notify = client.verify_notify(headers, body)?;
//!     notify.check_amount(Money::from_fen(100))?; // the order's amount, from your records
//!     // mark the order paid, then stop the notify's retries:
//!     Ok(mifeng::ACK)
//! }
//! ```
//!
//! ## Errors
//! [`Error`] for calls, [`NotifyError`] for notifies; both implement
//! [`paysig::Classify`] (may the money have moved?). The shared meanings have the same names
//! in every payhub provider crate: `Validation` (nothing sent), `Config`, `Http`, `Decode`,
//! `Api`, `ResponseMismatch`; Mifeng adds `RateLimited`, `TokenStore`, `RateLimiter` and
//! `NoToken`. Mifeng's requests are not signed, so there is no `Sign`.
//! ```
//! use paysig::{Classify, ErrorClass};
//!
//! fn after_failure(err: &mifeng::Error) -> &'static str {
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
//! [`Client::resolve_payment`] queries by the merchant's number until a definite state
//! ([`resolve`]). After "not found", create again under a **new** `out_order_no`: neither
//! mifeng.md nor the provider notes say the same number may be re-sent.
//! ```no_run
//! use mifeng::resolve::{DEFAULT_POLICY, Resolution};
//!
//! # async fn demo(client: &mifeng::Client) {
//! match client.resolve_payment("20150320010101001", &DEFAULT_POLICY).await {
//!     Resolution::Paid(reply) => println!("paid: {}", reply.data.order_no),
//!     Resolution::NotPaid(_) => println!("final, not paid"),
//!     Resolution::NotFound => println!("never created: create anew under a new number"),
//!     _ => println!("still unknown: ask again later, never create anew"),
//! }
//! # }
//! ```
//!
//! ## Features
//! - `redis` (off by default): [`RedisTokenStore`] and [`RedisRateLimiter`], for several
//!   processes of one merchant.
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn demo() -> Result<(), mifeng::Error> {
//! use std::sync::Arc;
//! use mifeng::{Client, Config, Environment, RedisTokenStore};
//!
//! let mut config = Config::new(Environment::Production, "10086", "merchant-secret");
//! let store = RedisTokenStore::connect("redis://127.0.0.1/", "payhub:mifeng").await?;
//! config.token_store = Some(Arc::new(store.fitted_to(&config)));
//! let client = Client::new(config)?;
//! # Ok(()) }
//! ```
//!
//! ## Provider specifics
//! ### Token and rate limit
//! Clients of one merchant in one process share the token by default
//! ([`MemoryTokenStore::global`]). The client fetches the token on first use and refreshes it
//! before it expires, by one caller while the others keep sending the old one; the
//! `accesstoken` call goes ahead of the rate-limit queue. A caller reads the token it sends
//! only once it holds its rate-limit slot; on "token invalid" it takes the newer token (one
//! refresh if there is none) and repeats once ([`token`]). Only the newest token is valid, so
//! processes of one merchant must share a store: [`RedisTokenStore`] (feature `redis`), whose
//! refresh lock is a short lease renewed while the refresher works. Calls are spaced evenly,
//! 52 ms apart by default (19.2 calls/s, within the 20 calls/s of mifeng.md with a 40 ms
//! margin, [`ratelimit`]); [`RedisRateLimiter`] spaces the calls of all processes together.
//! Figures of a three-process run are in the crate's README.
//!
//! ### Inferred, with a switch
//! - The notify scheme ([`notify`]): the document's section is missing; [`NotifyTrust`]
//!   chooses signature, query, or both (default).
//! - POST body encoding ([`BodyEncoding`]): the document names no content type; by default
//!   `unifiedorder` and `balance` are JSON and `query` a form, as in the platform's own API
//!   export. [`TokenRequestId`]: the export's optional `request_id` on `accesstoken`.
//! - Code 2 from `query` ([`QueryCode2`]): documented as a parameter error.
//! - What an absent notify `param` signs as ([`AbsentParam`]): empty by default.

#![warn(missing_docs)]

mod client;
mod config;
pub mod doc_tables;
mod error;
pub mod model;
pub mod notify;
pub mod ratelimit;
pub mod resolve;
pub mod token;
mod validate;

pub use client::Client;
pub use config::{
    BodyEncoding, Config, Environment, NotifyTrust, QueryCode2, RateLimit, TokenMethod,
    TokenRequestId,
};
pub use doc_tables::{DOC_EXCEPTIONS, DocException};
pub use error::{Error, NotifyError};
pub use model::{
    ApiCode, BalanceCode, BalanceResponse, NotifyDelivery, NotifyState, Operation, OrderState,
    QueryCode, QueryOrderResponse, Reply, UnifiedOrderCode, UnifiedOrderRequest,
    UnifiedOrderResponse,
};
pub use notify::{ACK, AbsentParam, Notification, NotifyOutcome};
#[cfg(feature = "redis")]
pub use ratelimit::redis::RedisRateLimiter;
pub use ratelimit::{Lane, LocalRateLimiter, Pace, RateLimiter};
#[cfg(feature = "redis")]
pub use token::redis::RedisTokenStore;
pub use token::{MemoryTokenStore, StoredToken, TokenStore};
