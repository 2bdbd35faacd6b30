//! # {{name}}: {{Title}} for payhub
//!
//! The {{Title}} payment API: order query, refund, and the signed payment notify, following
//! `docs/upstream/{{name}}.md` (the primary spec; facts it leaves out are listed under
//! Provider specifics).
//!
//! ## Covers
//! - Request sign ([`Client::query`]): form POSTs with `app_id` and the MD5 `sign` over the
//!   sorted fields and `&key=<app key>`. Answers are JSON with a `result_code`
//!   ([`ResultCode`]); the order outcome is `trade_state` ([`TradeState`]).
//! - Order query ([`Client::query`]), refund ([`Client::refund`], never retried).
//! - The payment notify (see Notify below).
//!
//! Every call returns a [`paysig::Reply`].
//!
//! ## Quick start
//! A config, a client, one call:
//! ```
//! use {{crate}}::{Client, Config, Environment};
//!
//! let config = Config::new(Environment::Test, "my_app_id", "my_app_key");
//! let client = Client::new(config)?;
//! assert_eq!(client.config().app_id(), "my_app_id");
//! // then: client.query("order-1").await?
//! # Ok::<(), {{crate}}::Error>(())
//! ```
//!
//! ## Notify
//! [`Client::verify_notify`] takes the request's headers and raw body and returns a
//! [`paysig::Verified`] [`Notification`]; a body over [`Config::notify_body_limit`] is
//! refused unread. Check the amount with [`Notification::check_amount`] before fulfilling,
//! then answer [`notify::ACK`].
//! ```
//! use paysig::Money;
//! use paysig::http::HeaderMap;
//!
//! fn on_notify(client: &{{crate}}::Client, headers: &HeaderMap, body: &[u8])
//!     -> Result<&'static str, {{crate}}::NotifyError> {
//!     let notify = client.verify_notify(headers, body)?;
//!     notify.check_amount(Money::from_fen(100))?; // the order's amount, from your records
//!     // mark the order paid, then stop the notify's retries:
//!     Ok({{crate}}::notify::ACK)
//! }
//! ```
//!
//! ## Errors
//! [`Error`] for calls, [`NotifyError`] for notifies; [`Error`] implements
//! [`paysig::Classify`] (may the money have moved?). The shared meanings have the same names
//! in every payhub provider crate: `Validation` (nothing sent), `Config`, `Http`, `Decode`,
//! `Api`, `ResponseMismatch`, `Sign`.
//! ```
//! use paysig::{Classify, ErrorClass};
//!
//! fn after_failure(err: &{{crate}}::Error) -> &'static str {
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
//! [`Client::resolve_payment`] / [`Client::resolve_refund`] query until a definite state
//! ([`resolve`]). After "not found", the document says whether the same number may be sent
//! again (write it here; without a word, create anew under a new number).
//! ```no_run
//! use {{crate}}::resolve::{DEFAULT_POLICY, Resolution};
//!
//! # async fn demo(client: &{{crate}}::Client) {
//! match client.resolve_payment("order-1", &DEFAULT_POLICY).await {
//!     Resolution::Paid(order) => println!("paid: {}", order.order_no),
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
//! ### Inferred, with a switch
//! - None yet: list here every fact the document leaves out and the choice made.

#![warn(missing_docs)]

mod client;
mod config;
pub mod doc_tables;
mod error;
pub mod model;
pub mod notify;
pub mod resolve;
mod validate;

pub use client::Client;
pub use config::{Config, Environment};
pub use doc_tables::{DOC_EXCEPTIONS, DocException};
pub use error::{Error, NotifyError};
pub use model::{Order, Refund, RefundState, ResultCode, TradeState};
pub use notify::Notification;
