//! # {{name}}: {{Title}} for payhub
//!
//! The {{Title}} payment API (`docs/upstream/{{name}}.md`): order query, refund, and the
//! signed payment notify.
//!
//! ## Covers
//! - Request sign ([`Client::query`]): form POSTs with `app_id` and the MD5 `sign` over the
//!   sorted fields and `&key=<app key>`. Answers are JSON with a `result_code`
//!   ([`ResultCode`]); the order outcome is `trade_state` ([`TradeState`]).
//! - Order query ([`Client::query`]), refund ([`Client::refund`], never retried).
//!
//! Every call returns a [`paysig::Reply`].
//!
//! ### Inferred, with a switch
//! - None yet: list here every fact the document leaves out and the choice made.
//!
//! ## Quick start
//! ```
//! use {{crate}}::{Client, Config, Environment};
//!
//! let config = Config::new(Environment::Test, "my_app_id", "my_app_key");
//! let client = Client::new(config)?;
//! assert_eq!(client.config().app_id(), "my_app_id");
//! # Ok::<(), {{crate}}::Error>(())
//! ```
//!
//! ## Notify
//! [`Client::verify_notify`] takes the request's headers and raw body and returns a
//! [`paysig::Verified`] [`Notification`]; a body over [`Config::notify_body_limit`] is
//! refused unread. Check the amount with [`Notification::check_amount`] before fulfilling.
//!
//! ## Errors
//! [`Error`] for calls, [`NotifyError`] for notifies; [`Error`] implements
//! [`paysig::Classify`] (may the money have moved?). The shared meanings have the same names
//! in every payhub provider crate: `Validation` (nothing sent), `Config`, `Http`, `Decode`,
//! `Api`, `ResponseMismatch`, `Sign`.
//!
//! ## Resolution of an unknown outcome
//! [`Client::resolve_payment`] / [`Client::resolve_refund`] query until a definite state
//! ([`resolve`]).
//!
//! ## Features
//! None: the crate has no optional parts.

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
