//! axum integration (feature `axum`): one route that receives every provider's notify over
//! the raw body bytes and acknowledges only after the merchant's callback returned `Ok`.
//!
//! `payhub` is the only payhub dependency this needs (with `axum` and `tokio` themselves):
//! [`Verified`] and the [`async_trait`](macro@crate::async_trait) attribute are
//! re-exported.
//!
//! ```no_run
//! use payhub::axum::{notify_router, NotificationHandler};
//! use payhub::notify::MemoryOrders;
//! use payhub::{BoxError, Hub, Notification, Verified};
//! use std::sync::Arc;
//!
//! struct Fulfil;
//!
//! #[payhub::async_trait]
//! impl NotificationHandler for Fulfil {
//!     async fn handle(&self, event: Verified<Notification>) -> Result<(), BoxError> {
//!         // Idempotent on event.dedup_key(): mark the order paid in your database here.
//!         println!("{} {} {}", event.provider, event.order_no, event.status);
//!         Ok(())
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let hub = Hub::from_path("payhub.toml")?;
//! let orders = MemoryOrders::default(); // your order table, as payhub::OrderLookup
//! let app = axum::Router::new().nest(
//!     "/payhub",
//!     notify_router(Arc::new(hub), Arc::new(orders), Arc::new(Fulfil)),
//! );
//! // Providers then POST to https://<your host>/payhub/notify/{sunmi|pooul|beecloud|mifeng}
//! // (the default account) or .../notify/{provider}/{account} (a named account).
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! # Refusals
//!
//! Anything but the provider's acknowledgement makes the provider send the notify again. A
//! refused notify is answered with a short reason code as the whole `text/plain` body (see
//! [`refusal_code`]), so `curl` or the provider's console shows why without any logging set
//! up. The codes never hold a secret, an amount or what the merchant's systems said:
//!
//! | status | body | meaning |
//! |---|---|---|
//! | 400 | `verification_failed` | not a validly signed notify of this provider (bad or missing signature, malformed body) |
//! | 400 | `key_expired` | signed with a key of the account whose `valid_until` has passed (rotated out) |
//! | 400 | `wrong_account` | signed for another account of the same provider: it came to the wrong route |
//! | 400 | `order_mismatch` | verified, but no such order in your [`OrderLookup`], or its amount differs (one code for both, so a sender cannot probe which orders exist) |
//! | 404 | `unknown_provider` | the path names no provider |
//! | 404 | `provider_not_configured` | the hub has no gateway for this provider |
//! | 404 | `unknown_account` | the path names an account the hub does not have |
//! | 409 | `duplicate_in_flight` | the same notify is being processed by another worker right now |
//! | 413 | `body_too_large` | over [`crate::HubBuilder::notify_body_limit`]; nothing was parsed |
//! | 4xx | `body_unreadable` | the body could not be read (the status is axum's) |
//! | 500 | `not_confirmed` | the confirmation query did not (yet) show what the notify claims |
//! | 500 | `lookup_failed` / `dedup_store_failed` / `handler_failed` | your order lookup, the de-duplication store, or your [`NotificationHandler`] failed (or panicked) |
//! | 500 | `internal_error` | anything else (e.g. the confirmation query could not be sent) |
//!
//! (A duplicate that was already processed is not a refusal: it is acknowledged again.)
//!
//! # Logging
//!
//! The details (which field failed to verify, the expected amount, your handler's error) are
//! logged with [`tracing`](https://docs.rs/tracing) at `warn`, target `payhub::axum`, never
//! in the answer. To see them, install a subscriber once at start, e.g. with
//! `tracing-subscriber` (features `env-filter`), reading `RUST_LOG` (or `PAYHUB_LOG`, the
//! variable the `payhub` CLI reads):
//!
//! ```
//! use tracing_subscriber::EnvFilter;
//! let filter = EnvFilter::try_from_env("PAYHUB_LOG")
//!     .or_else(|_| EnvFilter::try_from_default_env()) // RUST_LOG
//!     .unwrap_or_else(|_| EnvFilter::new("info,payhub=debug"));
//! let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
//! ```
//!
//! Then `RUST_LOG=payhub=debug cargo run` shows each refusal with its reason.

use crate::account::DEFAULT_ACCOUNT;
use crate::error::{BoxError, Error, NotifyError};
use crate::hub::Hub;
use crate::notify::{Notification, OrderLookup};
use crate::observe::count_unrouted;
use crate::provider::Provider;
use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use paysig::Verified;
use std::sync::Arc;

/// What the merchant does with each verified, de-duplicated notification.
#[async_trait]
pub trait NotificationHandler: Send + Sync {
    /// Processes the notification; `Err` makes the provider retry it later.
    async fn handle(&self, event: Verified<Notification>) -> Result<(), BoxError>;
}

#[derive(Clone)]
struct AppState {
    hub: Arc<Hub>,
    orders: Arc<dyn OrderLookup>,
    handler: Arc<dyn NotificationHandler>,
}

/// A router with `POST /notify/{provider}` (`mifeng`, `pooul`, `sunmi`, `beecloud`; the
/// provider's default account) and `POST /notify/{provider}/{account}` (a named account).
/// Mount it under any prefix with `Router::nest`.
///
/// A body over the hub's [`crate::HubBuilder::notify_body_limit`] (64 KiB by default) is
/// answered `413 Payload Too Large` before it is read whole, let alone parsed.
pub fn notify_router(
    hub: Arc<Hub>,
    orders: Arc<dyn OrderLookup>,
    handler: Arc<dyn NotificationHandler>,
) -> Router {
    let limit = hub.notify_body_limit();
    Router::new()
        .route("/notify/{provider}", post(receive_default))
        .route("/notify/{provider}/{account}", post(receive))
        // axum's own default is 2 MiB; the hub's limit is the one in force. The handler checks
        // it again, so a router built another way cannot skip it.
        .layer(DefaultBodyLimit::max(limit))
        .with_state(AppState {
            hub,
            orders,
            handler,
        })
}

async fn receive_default(
    state: State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    receive(
        state,
        Path((provider, DEFAULT_ACCOUNT.to_owned())),
        headers,
        body,
    )
    .await
}

async fn receive(
    State(state): State<AppState>,
    Path((provider, account)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // Refusals before the account's pipeline are counted here (the pipeline counts its own);
    // a name the hub does not have is never a label value.
    let provider: Provider = match provider.parse() {
        Ok(p) => p,
        Err(_) => {
            count_unrouted(None, None, "unknown_provider");
            return refusal(StatusCode::NOT_FOUND, "unknown_provider");
        }
    };
    if let Err(e) = state.hub.account(provider, &account) {
        let code = refusal_code(&e);
        count_unrouted(Some(provider), None, code);
        tracing::warn!(%provider, code, "notify for an account the hub does not have");
        return refusal(status_for(&e), code);
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            tracing::warn!(%provider, error = %rejection, "notify body not read");
            let (status, code) = match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
                status => (status, "body_unreadable"),
            };
            count_unrouted(Some(provider), Some(&account), code);
            return refusal(status, code);
        }
    };
    // Spawned, not awaited in place: when the provider's own timeout closes the connection,
    // hyper drops this handler's future; the merchant's callback and the commit that follows
    // it must still run to the end, or a processed notify would be delivered again.
    let route = account.clone();
    let task = tokio::spawn(async move {
        let handler = state.handler.clone();
        state
            .hub
            .account(provider, &account)?
            .handle_notification_with(&headers, &body, state.orders.as_ref(), |event| async move {
                handler.handle(event).await
            })
            .await
    });
    match task.await {
        Ok(Ok(ack)) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], ack).into_response(),
        Ok(Err(e)) => {
            // The details (the merchant's own lookup/store/callback errors, the expected
            // amount) stay in the logs; the answer is a fixed code.
            let code = refusal_code(&e);
            tracing::warn!(%provider, account = ?route, code, error = %e, "notify not acknowledged");
            refusal(status_for(&e), code)
        }
        Err(join) => {
            // The pipeline's own count was dropped with the panicking task.
            count_unrouted(Some(provider), Some(&route), "handler_failed");
            tracing::error!(%provider, error = %join, "notify handling panicked");
            refusal(StatusCode::INTERNAL_SERVER_ERROR, "handler_failed")
        }
    }
}

fn refusal(status: StatusCode, code: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        code,
    )
        .into_response()
}

/// The reason code the router answers for a refused notify (see the [module docs](self)):
/// fixed words, never a secret, an amount or the text of your own systems' errors. Use it to
/// answer the same way from another web framework.
///
/// ```
/// use payhub::{Error, NotifyError, Provider};
/// let e = Error::Notify(NotifyError::BodyTooLarge { provider: Provider::Sunmi, len: 70_000, limit: 65_536 });
/// assert_eq!(payhub::axum::refusal_code(&e), "body_too_large");
/// ```
pub fn refusal_code(error: &Error) -> &'static str {
    // One list for the router's answers and the metrics' `reason` label.
    crate::observe::refusal_code(error)
}

/// Anything but the acknowledgement makes the provider retry; the status tells an operator
/// reading access logs which side failed.
fn status_for(e: &Error) -> StatusCode {
    match e {
        Error::Notify(NotifyError::Verification { .. })
        | Error::Notify(NotifyError::KeyExpired { .. })
        | Error::Notify(NotifyError::WrongAccount { .. })
        | Error::Notify(NotifyError::AmountMismatch { .. }) => StatusCode::BAD_REQUEST,
        // Same status as a wrong amount: a sender must not learn which orders exist.
        Error::Notify(NotifyError::UnknownOrder { .. }) => StatusCode::BAD_REQUEST,
        Error::Notify(NotifyError::InFlight { .. }) => StatusCode::CONFLICT,
        Error::Notify(NotifyError::BodyTooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::NotConfigured(_) | Error::UnknownAccount { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
