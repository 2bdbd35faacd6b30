//! # {{name}}
//!
//! SDK for the {{Title}} payment API (`docs/upstream/{{name}}.md`): order query, refund, and
//! the signed payment notify.
//!
//! Requests are form POSTs signed with MD5 over the sorted fields and `&key=<app key>`
//! ([`Client::query`]). Answers are JSON with a `result_code` ([`ResultCode`]); the order
//! outcome is `trade_state` ([`TradeState`]). Every call answers [`paysig::Reply`].
//!
//! ```
//! use {{crate}}::{Client, Config, Environment};
//!
//! let config = Config::new(Environment::Test, "my_app_id", "my_app_key");
//! let client = Client::new(config)?;
//! assert_eq!(client.config().app_id(), "my_app_id");
//! # Ok::<(), {{crate}}::Error>(())
//! ```
//!
//! ## Coverage
//! - Request sign and notify verification ([`Client::verify_notify`],
//!   [`Notification::check_amount`]).
//! - Order query ([`Client::query`]); resolution of an unknown outcome
//!   ([`Client::resolve_payment`], [`Client::resolve_refund`]).
//! - Refund ([`Client::refund`]), never retried.
//!
//! ## Inferences (each switchable or documented where it applies)
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
