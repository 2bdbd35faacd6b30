//! # payhub-ledger
//!
//! The money after the call: a payment ledger on a real database for [`payhub`].
//!
//! - [`Ledger`]: SQLite (bundled, a file or in memory) or PostgreSQL (feature `postgres`),
//!   migrations embedded and run on connect. Tables: payments, refunds, the notify inbox
//!   and the append-only transition log. Money is integer fen, never a float.
//! - A state machine with explicit transitions ([`payment_can_become`]): a final state never
//!   regresses; conflicting evidence moves a payment to `needs_review` and keeps both pieces.
//! - [`LedgerHub`] ([`Ledger::with_hub`]): records `creating` before a create is sent,
//!   refuses a second create of one order number and a refund beyond the remaining amount
//!   before sending, and handles notifies exactly once with
//!   [`LedgerHub::handle_notification_tx`]: the merchant's side effect, the transition and
//!   the inbox's processed mark commit in one transaction.
//! - [`Sweeper`]: queries payments whose notify did not come, within each provider's rate,
//!   through the same de-duplicated path; several sweepers never deliver a payment twice.
//! - [`LedgerHub::reconcile`] (对账): the ledger against the provider over a window, each
//!   difference named, as JSON or a readable table.
//!
//! The ledger also implements [`payhub::OrderLookup`] and [`payhub::notify::DedupStore`], for
//! code that keeps using [`payhub::Hub::handle_notification_with`].

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod db;
mod dedup_key;
mod error;
mod hub;
mod inbox;
mod ledger;
mod reconcile;
mod record;
mod state;
mod sweeper;

pub use db::Backend;
pub use error::LedgerError;
pub use hub::{LedgerHub, NotifyReceipt};
pub use inbox::{EventHandler, LedgerEvent, Processed, RecordOnly};
pub use ledger::{DEFAULT_ACCOUNT, Ledger, PaymentRecord, RefundRecord, Transition};
pub use reconcile::{
    BeeCloudBills, BillSource, Difference, ProviderBill, ProviderRefund, Reconciliation, Window,
};
pub use sqlx::{AnyConnection, AnyPool};
pub use state::{
    Decision, Observed, PaymentState, RefundState, Source, UnknownState, decide, payment_can_become,
};
pub use sweeper::{SweepConfig, SweepReport, Sweeper};
