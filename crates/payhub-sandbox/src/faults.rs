//! Fault injection on provider endpoints: latency, 5xx answers, dropped connections.

use crate::shared::Shared;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub(crate) async fn inject(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    // Method and path only: bodies carry signatures and keys.
    tracing::debug!(method = %req.method(), path = req.uri().path(), "sandbox request");
    if req.uri().path().starts_with("/_sandbox") {
        return next.run(req).await;
    }
    // Drawn before the latency so a seed replays the same faults whatever the timing; the
    // lock is released before any await. No faults set: nothing to draw or wait for.
    let Some((faults, drop_draw, error_draw)) = shared.fault_draws() else {
        return next.run(req).await;
    };
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if error_draw < faults.error_5xx_ratio {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let response = next.run(req).await;
    if drop_draw < faults.drop_ratio {
        // The request was processed; the answer is lost. A body that fails on its first poll
        // makes hyper abort the connection before the buffered head is flushed.
        drop(response);
        let failing = futures::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("sandbox: connection dropped"))
        });
        return Response::new(Body::from_stream(failing));
    }
    response
}
