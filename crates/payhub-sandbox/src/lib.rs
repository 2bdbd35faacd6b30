//! # payhub-sandbox
//!
//! An offline simulator of the four providers of payhub (Sunmi, Pooul, BeeCloud, Mifeng Pay).
//! Each provider gets its own HTTP server on 127.0.0.1 that speaks the protocol exactly as
//! `docs/upstream/` and `docs/provider-notes.md` describe it: the same paths, methods, content
//! types, field names, amount units, signatures and error formats. An SDK client therefore
//! talks to it unchanged, by base URL alone (`Environment::Custom(sandbox.base_url(..))`).
//!
//! The sandbox is an independent implementation of the protocols: its signing, canonical
//! strings and field checks never call the SDK crates, so running them against it checks
//! them; and each provider's signature code is pinned to the vectors of `fixtures/signing`
//! (computed outside paysig), so a canonicalization bug in paysig cannot pass on both sides.
//! Only non-protocol helpers are shared (the provider kind is `payhub::Provider`, dates come
//! from `beecloud::clock`, fen amounts from `paysig::money::wire`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), payhub_sandbox::SandboxError> {
//! use payhub_sandbox::{ProviderKind, Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig { time_scale: 1000.0, ..Default::default() }).await?;
//! let base = sandbox.base_url(ProviderKind::Sunmi); // http://127.0.0.1:<port>/
//! let creds = sandbox.sunmi();                       // app_id, app_key, notify public key
//! # let _ = (base, creds);
//! // ... create an order with the SDK, then let the simulated payer pay it:
//! // sandbox.pay(ProviderKind::Sunmi, "ORDER-1")?;
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## What it checks (as the real provider does)
//! - Sunmi (sunmi.txt): form body, `app_id`, MD5 sign (§2.1: sorted, empty kept, app_key
//!   appended, upper hex), required fields, `jsApiPay` yuan vs `miniPay` fen amounts, duplicate
//!   `orderId`, refunds over the paid amount. Errors: `40001 Missing <field>`,
//!   `40002 invalid app_id`, `40002 Invalid Sign` (with `data.sub_code` E05), and `10000` with
//!   `data.sub_code` E01/E02/E19/E22/E25/T06/D04/D08/D09/Q03.
//! - Pooul (pooul.md + notes): `merchant_id` query, RS256 JWT body verified with the registered
//!   merchant key, unique `nonce_str`, integer fen, duplicate `mch_trade_id`, refund limits.
//!   JWT-signed successes, plain JSON `{code, msg}` failures with ASSUMED codes
//!   (see [`POOUL_CODES`]).
//! - BeeCloud (beecloud.md): `app_sign = md5(app_id + timestamp + app_key)` any case, channels,
//!   integer fen, `refund_no` format, one refund per bill; `result_code` 1, 3, 4, 5, 8, 9, 11,
//!   12, 13 with their `result_msg` and an `err_detail`.
//! - Mifeng (mifeng.md): token from `/v1/api/pay/accesstoken`, only the newest valid, expiring
//!   after [`SandboxConfig::mifeng_token_ttl`]; the 20/s limit; money in yuan with at most two
//!   decimals; codes 2, -1, -2, -3 (unifiedorder), 1, 2 (query), 2, 3 (balance), each answer
//!   with a `request_id`.
//!
//! ## State and notifies
//! Orders and refunds live in memory. The simulated payer pays or fails an order through
//! [`RunningSandbox::pay`] / [`RunningSandbox::fail`], the control API (`/_sandbox/...`, see
//! [`control`](crate#control-api)), or by itself after [`SandboxConfig::auto_pay`]. Pooul
//! micro-pay answers "paying" first ([`SandboxConfig::micropay_paying_first`]). Refunds settle
//! at once.
//!
//! Notifies are signed with the sandbox keys and POSTed to the order's notify URL (or the
//! app-level one, [`RunningSandbox::set_notify_url`]), retried on each document's schedule
//! ([`retry_schedule`], divided by [`SandboxConfig::time_scale`]) until the receiver answers the
//! exact acknowledgement ([`acknowledgement`]). Every attempt is recorded
//! ([`RunningSandbox::notifications_delivered`]).
//!
//! For a developer's own app, [`RunningSandbox::credentials_json`] (or
//! `GET /_sandbox/credentials`) gives each provider's credentials; a fixed
//! [`SandboxConfig::seed`] and [`SandboxConfig::keys`] keep them the same across restarts, and
//! [`Ports::consecutive`] fixes the ports. [`RunningSandbox::resend_pay_notify`] sends a settled
//! order's notify again, to any URL (a webhook trigger).
//!
//! ## Control API
//! On every provider's port, for that provider: `POST /_sandbox/orders/{order_no}/pay`,
//! `POST /_sandbox/orders/{order_no}/fail`, `GET /_sandbox/orders/{order_no}`,
//! `GET /_sandbox/notifications`, `PUT /_sandbox/notify_url` (text body),
//! `GET /_sandbox/credentials`. Faults never apply to these paths.
//!
//! For the whole sandbox, on every port: `GET /_sandbox/faults` and `POST /_sandbox/faults`
//! with JSON `{"latency_ms", "error_5xx_ratio", "drop_ratio", "drop_notify_ratio", "seed"}`
//! (each optional; a ratio outside 0..=1 or an unknown field is refused with 400). The same
//! from Rust: [`RunningSandbox::set_faults`].
//!
//! ## Dashboard
//! [`RunningSandbox::dashboard_url`] (its own port, [`Ports::dashboard`]) serves a web page at
//! `/`: the orders and refunds of the four providers with their state and amounts; buttons to
//! pay, fail, expire, refund (part or all) and resend the notify; each order's notify delivery
//! log (every attempt's place on the document's retry schedule, when it was sent, the
//! merchant's HTTP status and body, the next attempt); a faults panel. It updates live through
//! server-sent events (`GET /_sandbox/events`). Refunds from the page are signed merchant
//! requests to the provider's documented refund endpoint, so bad input (a refund over the
//! total, an unknown order) gets the provider's documented error, shown on the page. No
//! front-end build: the HTML is rendered by the server, the script and style are compiled in.
//!
//! ## Scale
//! Every lookup by a documented key (Sunmi `orderId`/`misId`/`platformId`, Pooul
//! `mch_trade_id`, BeeCloud `bill_no`/`refund_no`, Mifeng `out_order_no`/`order_no`, refund
//! numbers) is a hash-index hit and every create is O(1), whatever the number of stored
//! orders; the store's lock is never held across an await. `benches/query_load.rs` measures
//! it (figures in the crate's README).
//!
//! ## Assumed where the documents are silent
//! Pooul failure codes; the Mifeng rate-limit answer (HTTP 429, code 429), request encoding
//! (JSON or form), notify format (provider-notes.md inference) and retry schedule (Pooul's);
//! Sunmi's bad-sign answer combines the FAQ's `Invalid Sign` with sub_code E05; Sunmi card
//! trades (`swipeQuery`) do not exist in the sandbox (always E19); pay-bind is recorded but
//! not required before `jsApiPay`/`miniPay`; Mifeng `money` may have 0 to 2 decimals
//! (mifeng.md's own sample sends `"1000"`); Sunmi, Pooul and BeeCloud notify successful
//! payments only (Mifeng also failures, its inferred notify has a failed state); a Pooul refund
//! notify goes only to the refund request's `notify_url`; Sunmi refunds are notified to the
//! order's callback (FAQ: one callback for payments and refunds).

#![warn(missing_docs)]

mod config;
mod control;
mod credentials;
mod dashboard;
mod error;
mod faults;
mod notify;
mod providers;
mod received;
mod server;
mod shared;
mod store;

pub use config::{BeeCloudWebhookScheme, Faults, Ports, SandboxConfig, SandboxKeys};
pub use credentials::{
    BeeCloudCredentials, KeyDirError, KeyRole, MifengCredentials, PooulCredentials,
    SunmiCredentials,
};
pub use error::SandboxError;
pub use notify::{acknowledgement, retry_schedule};
/// The four simulated providers: the facade's [`payhub::Provider`], under the sandbox's name.
pub use payhub::{Provider as ProviderKind, UnknownProvider};
pub use server::{RunningSandbox, Sandbox};
pub use store::{
    DeliveryAttempt, NotificationRecord, NotifyEvent, Order, OrderStatus, Refund, RefundStatus,
};

/// The failure codes the sandbox answers for Pooul (`{code, msg}` plain JSON). pooul.md only
/// says "0 success, non-zero failure", so these values are ASSUMED.
pub mod pooul_codes {
    pub use crate::providers::pooul::{
        DUPLICATE_TRADE, INVALID_PARAMETER, MERCHANT_NOT_FOUND, MISSING_PARAMETER, NONCE_REUSED,
        REFUND_EXCEEDS, SIGNATURE_INVALID, STATE_INVALID, TRADE_NOT_FOUND,
    };
}

/// The Pooul failure codes, see [`pooul_codes`].
pub const POOUL_CODES: [(i64, &str); 9] = [
    (pooul_codes::MISSING_PARAMETER, "missing required field"),
    (pooul_codes::INVALID_PARAMETER, "invalid field"),
    (
        pooul_codes::MERCHANT_NOT_FOUND,
        "merchant_id absent or unknown",
    ),
    (
        pooul_codes::SIGNATURE_INVALID,
        "JWT does not verify with the registered key",
    ),
    (pooul_codes::NONCE_REUSED, "nonce_str used before"),
    (pooul_codes::DUPLICATE_TRADE, "mch_trade_id exists"),
    (pooul_codes::TRADE_NOT_FOUND, "no such order"),
    (
        pooul_codes::REFUND_EXCEEDS,
        "refund_fee exceeds the refundable amount",
    ),
    (
        pooul_codes::STATE_INVALID,
        "the order's state forbids the operation",
    ),
];
