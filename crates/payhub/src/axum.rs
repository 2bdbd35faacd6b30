//! axum integration (feature `axum`): one route that receives every provider's notify over
//! the raw body bytes and acknowledges only after the merchant's callback returned `Ok`.
//!
//! ```no_run
//! # async fn demo(hub: payhub::Hub) {
//! use std::sync::Arc;
//! use payhub::notify::{MemoryOrders, Notification};
//! use payhub::axum::{notify_router, NotificationHandler};
//!
//! struct Fulfil;
//! #[async_trait::async_trait]
//! impl NotificationHandler for Fulfil {
//!     async fn handle(&self, event: paysig::Verified<Notification>) -> Result<(), payhub::BoxError> {
//!         println!("{} {} {}", event.provider, event.order_no, event.status);
//!         Ok(())
//!     }
//! }
//!
//! let app = notify_router(Arc::new(hub), Arc::new(MemoryOrders::default()), Arc::new(Fulfil));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```

use crate::error::{BoxError, Error, NotifyError};
use crate::hub::Hub;
use crate::notify::{Notification, OrderLookup};
use crate::provider::Provider;
use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
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

/// A router with `POST /notify/{provider}` (`mifeng`, `pooul`, `sunmi`, `beecloud`).
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
        .route("/notify/{provider}", post(receive))
        // axum's own default is 2 MiB; the hub's limit is the one in force. The handler checks
        // it again, so a router built another way cannot skip it.
        .layer(DefaultBodyLimit::max(limit))
        .with_state(AppState {
            hub,
            orders,
            handler,
        })
}

async fn receive(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let provider: Provider = match provider.parse() {
        Ok(p) => p,
        Err(_) => return (StatusCode::NOT_FOUND, "unknown provider").into_response(),
    };
    // Spawned, not awaited in place: when the provider's own timeout closes the connection,
    // hyper drops this handler's future; the merchant's callback and the commit that follows
    // it must still run to the end, or a processed notify would be delivered again.
    let task = tokio::spawn(async move {
        let handler = state.handler.clone();
        state
            .hub
            .handle_notification_with(
                provider,
                &headers,
                &body,
                state.orders.as_ref(),
                |event| async move { handler.handle(event).await },
            )
            .await
    });
    match task.await {
        Ok(Ok(ack)) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], ack).into_response(),
        Ok(Err(e)) => {
            // The details (the merchant's own lookup/store/callback errors, the expected
            // amount) stay in the logs; the caller is not authenticated yet.
            tracing::warn!(%provider, error = %e, "notify not acknowledged");
            let status = status_for(&e);
            (status, public_reason(status)).into_response()
        }
        Err(join) => {
            tracing::error!(%provider, error = %join, "notify handling panicked");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                public_reason(StatusCode::INTERNAL_SERVER_ERROR),
            )
                .into_response()
        }
    }
}

/// A fixed body per status: nothing about orders or the merchant's systems leaks.
fn public_reason(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND => "notification refused",
        StatusCode::CONFLICT => "being processed, retry later",
        StatusCode::PAYLOAD_TOO_LARGE => "body too large",
        _ => "not processed, retry later",
    }
}

/// Anything but the acknowledgement makes the provider retry; the status tells an operator
/// reading access logs which side failed.
fn status_for(e: &Error) -> StatusCode {
    match e {
        Error::Notify(NotifyError::Verification { .. })
        | Error::Notify(NotifyError::AmountMismatch { .. }) => StatusCode::BAD_REQUEST,
        // Same answer as a bad signature: a forger must not learn which orders exist.
        Error::Notify(NotifyError::UnknownOrder { .. }) => StatusCode::BAD_REQUEST,
        Error::Notify(NotifyError::InFlight { .. }) => StatusCode::CONFLICT,
        Error::Notify(NotifyError::BodyTooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::NotConfigured(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
