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
//! - [`Hub`]: routes by provider; [`Hub::handle_notification_with`] verifies, looks the order
//!   up, checks the amount, drops duplicates and acknowledges only after your callback.
//! - `axum` (feature): a router that does the above over HTTP.
//! - `redis` (feature): `notify::RedisDedup` for several processes.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapters;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
mod config;
mod error;
mod gateway;
mod hub;
pub mod notify;
mod payment;
mod provider;
pub mod resolve;
mod status;

pub use error::{BoxError, Error, NotifyError};
pub use gateway::Gateway;
pub use hub::{Hub, HubBuilder};
pub use notify::{Notification, NotificationKind, NotifyOutcome, OrderLookup, OrderRecord};
pub use payment::{
    CreatedPayment, PayMethod, Payment, PaymentAction, PaymentQuery, PaymentRequest, Refund,
    RefundQuery, RefundRequest, WechatAppParams, WechatJsapiParams,
};
pub use paysig::Money;
pub use paysig::class::{Classify, ErrorClass};
pub use provider::{Provider, UnknownProvider};
pub use resolve::{RefundResolution, Resolution, ResolvePolicy};
pub use status::{PaymentStatus, RefundExtent};
