//! # payhub
//!
//! One API over the payhub provider crates: [`Provider::Mifeng`], [`Provider::Pooul`],
//! [`Provider::Sunmi`] and [`Provider::BeeCloud`], each behind a cargo feature of the same
//! name (all on by default). No provider crate depends on this one: use a provider crate alone
//! when you use one provider.
//!
//! - [`Gateway`]: create, query, refund, query refund, close, parse notification. An operation
//!   a provider does not have is [`Error::Unsupported`]; nothing is faked.
//! - [`PaymentRequest`] / [`PayMethod`] / [`PaymentAction`] / [`PaymentStatus`]: one vocabulary;
//!   each adapter converts amounts to its provider's wire unit through paysig.
//! - [`Hub`]: routes by provider and [`account`] ([`Hub::account`]);
//!   [`Hub::handle_notification_with`] verifies (with the account's rotating keys), looks the
//!   order up, checks the amount, drops duplicates and acknowledges only after your callback;
//!   [`Hub::reload_credentials`] re-reads keys and secrets at run time.
//! - `axum` (feature): a router that does the above over HTTP.
//! - `redis` (feature): `notify::RedisDedup` for several processes.
//! - [`config`]: the hub's TOML ([`Hub::from_path`]), every key documented.
//! - [`observe`] records metrics (by provider, account, operation, error class; notifies by
//!   outcome) and tracing spans; the `prometheus` feature exports them.
//! - [`guide`]: a walkthrough from `payhub sandbox` to a verified notify in your axum app.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod account;
pub mod adapters;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
pub mod config;
mod error;
mod gateway;
pub mod guide;
mod hub;
pub mod notify;
pub mod observe;
mod payment;
mod provider;
pub mod resolve;
mod status;

/// The attribute that implements [`Gateway`], [`OrderLookup`] and
/// `axum::NotificationHandler` (re-exported so `payhub` is the only dependency you need).
pub use async_trait::async_trait;
pub use error::{BoxError, Error, NotifyError};
pub use gateway::Gateway;
pub use hub::{AccountRef, Hub, HubBuilder};
pub use notify::{Notification, NotificationKind, NotifyOutcome, OrderLookup, OrderRecord};
pub use payment::{
    CreatedPayment, PayMethod, Payment, PaymentAction, PaymentQuery, PaymentRequest, Refund,
    RefundQuery, RefundRequest, WechatAppParams, WechatJsapiParams,
};
pub use paysig::class::{Classify, ErrorClass};
pub use paysig::{ExposeSecret, Money, RsaPrivateKey, RsaPublicKey, SecretString, Verified};
pub use provider::{Provider, UnknownProvider};
pub use resolve::{RefundResolution, Resolution, ResolvePolicy};

/// The BeeCloud crate, whose types [`adapters::beecloud`] takes and returns.
#[cfg(feature = "beecloud")]
#[cfg_attr(docsrs, doc(cfg(feature = "beecloud")))]
pub use beecloud;
/// The Mifeng crate, whose types [`adapters::mifeng`] takes and returns.
#[cfg(feature = "mifeng")]
#[cfg_attr(docsrs, doc(cfg(feature = "mifeng")))]
pub use mifeng;
/// The paysig crate: money, keys, signatures and [`Verified`].
pub use paysig;
/// The Pooul crate, whose types [`adapters::pooul`] takes and returns.
#[cfg(feature = "pooul")]
#[cfg_attr(docsrs, doc(cfg(feature = "pooul")))]
pub use pooul;
pub use status::{PaymentStatus, RefundExtent};
/// The Sunmi crate, whose types [`adapters::sunmi`] takes and returns.
#[cfg(feature = "sunmi")]
#[cfg_attr(docsrs, doc(cfg(feature = "sunmi")))]
pub use sunmi;

/// The README's quick starts, compiled as doctests.
#[cfg(all(doctest, feature = "sunmi", feature = "axum"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeQuickStarts;
