//! The control API, `/_sandbox/...`, mounted on every provider's port for that provider.
//!
//! - `POST /_sandbox/orders/{order_no}/pay`: the simulated payer pays (JSON order back).
//! - `POST /_sandbox/orders/{order_no}/fail`: the payment fails.
//! - `GET  /_sandbox/orders/{order_no}`: the order as the sandbox holds it.
//! - `GET  /_sandbox/notifications`: every notification of this provider with its attempts.
//! - `PUT  /_sandbox/notify_url` (body: the URL as text; empty clears it): the app-level
//!   notify address (Sunmi's configured callback, BeeCloud's console webhook; the fallback of
//!   the others when a request carries none).
//! - `GET  /_sandbox/credentials`: this provider's sandbox credentials and keys (PEM), for a
//!   developer's own app. They are sandbox-only secrets.
//! - `GET  /_sandbox/faults`, `POST /_sandbox/faults` (JSON): the faults of the whole sandbox
//!   (also on the dashboard's port), see [`FaultsBody`].

use crate::shared::Shared;
use crate::{ProviderKind, SandboxError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use paysig::ExposeSecret;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn error_response(e: SandboxError) -> Response {
    let status = match e {
        SandboxError::OrderNotFound { .. } => StatusCode::NOT_FOUND,
        SandboxError::NotAwaitingPayment { .. } => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, axum::Json(json!({ "error": e.to_string() }))).into_response()
}

fn settle(shared: &Arc<Shared>, p: ProviderKind, order_no: &str, paid: bool) -> Response {
    match shared.settle(p, order_no, paid) {
        Ok(order) => axum::Json(order).into_response(),
        Err(e) => error_response(e),
    }
}

pub(crate) fn credentials_json(shared: &Shared, p: ProviderKind) -> serde_json::Value {
    match p {
        ProviderKind::Sunmi => json!({
            "app_id": shared.sunmi.app_id,
            "app_key": shared.sunmi.app_key.expose_secret(),
            "merchant_no": shared.sunmi.merchant_no,
            "msn": shared.sunmi.msn,
            "platform_public_key": shared.sunmi.platform_public_key.to_pem(),
        }),
        ProviderKind::Pooul => json!({
            "merchant_id": shared.pooul.merchant_id,
            "merchant_private_key": shared.pooul.merchant_private_key.to_pkcs8_pem().expose_secret(),
            "platform_public_key": shared.pooul.platform_public_key.to_pem(),
        }),
        ProviderKind::BeeCloud => json!({
            "app_id": shared.beecloud.app_id,
            "app_key": shared.beecloud.app_key.expose_secret(),
            "app_secret": shared.beecloud.app_secret.expose_secret(),
            "master_secret": shared.beecloud.master_secret.expose_secret(),
        }),
        ProviderKind::Mifeng => json!({
            "mch_id": shared.mifeng.mch_id,
            "secret": shared.mifeng.secret.expose_secret(),
        }),
    }
}

/// `/_sandbox/faults` as JSON. In a POST every field is optional (absent: unchanged) and an
/// unknown field is refused; `seed` restarts the fault draws from it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultsBody {
    pub latency_ms: Option<u64>,
    pub error_5xx_ratio: Option<f64>,
    pub drop_ratio: Option<f64>,
    pub drop_notify_ratio: Option<f64>,
    pub seed: Option<u64>,
}

impl FaultsBody {
    pub fn current(shared: &Shared) -> FaultsBody {
        let (f, seed) = shared.faults();
        FaultsBody {
            latency_ms: Some(f.latency.as_millis().try_into().unwrap_or(u64::MAX)),
            error_5xx_ratio: Some(f.error_5xx_ratio),
            drop_ratio: Some(f.drop_ratio),
            drop_notify_ratio: Some(f.drop_notify_ratio),
            seed: Some(seed),
        }
    }

    /// Applies the fields given over the faults in force.
    pub fn apply(self, shared: &Shared) -> Result<FaultsBody, SandboxError> {
        let (mut f, _) = shared.faults();
        if let Some(ms) = self.latency_ms {
            f.latency = Duration::from_millis(ms);
        }
        f.error_5xx_ratio = self.error_5xx_ratio.unwrap_or(f.error_5xx_ratio);
        f.drop_ratio = self.drop_ratio.unwrap_or(f.drop_ratio);
        f.drop_notify_ratio = self.drop_notify_ratio.unwrap_or(f.drop_notify_ratio);
        shared.set_faults(f, self.seed)?;
        Ok(FaultsBody::current(shared))
    }
}

/// `GET`/`POST /_sandbox/faults`.
pub(crate) fn faults_router() -> Router<Arc<Shared>> {
    Router::new().route(
        "/_sandbox/faults",
        get(|State(s): State<Arc<Shared>>| async move { axum::Json(FaultsBody::current(&s)) })
            .post(|State(s): State<Arc<Shared>>, body: Bytes| async move {
                let parsed: FaultsBody = match serde_json::from_slice(&body) {
                    Ok(b) => b,
                    Err(e) => {
                        return (
                            StatusCode::BAD_REQUEST,
                            axum::Json(json!({ "error": format!("faults: {e}") })),
                        )
                            .into_response();
                    }
                };
                match parsed.apply(&s) {
                    Ok(now) => axum::Json(now).into_response(),
                    Err(e) => (
                        StatusCode::BAD_REQUEST,
                        axum::Json(json!({ "error": e.to_string() })),
                    )
                        .into_response(),
                }
            }),
    )
}

pub(crate) fn router(p: ProviderKind) -> Router<Arc<Shared>> {
    faults_router()
        .route(
            "/_sandbox/orders/{order_no}/pay",
            post(move |State(s): State<Arc<Shared>>, Path(no): Path<String>| async move {
                settle(&s, p, &no, true)
            }),
        )
        .route(
            "/_sandbox/orders/{order_no}/fail",
            post(move |State(s): State<Arc<Shared>>, Path(no): Path<String>| async move {
                settle(&s, p, &no, false)
            }),
        )
        .route(
            "/_sandbox/orders/{order_no}",
            get(move |State(s): State<Arc<Shared>>, Path(no): Path<String>| async move {
                match s.store().order(p, &no) {
                    Some(o) => axum::Json(o.clone()).into_response(),
                    None => error_response(SandboxError::OrderNotFound {
                        provider: p,
                        order_no: no.clone(),
                    }),
                }
            }),
        )
        .route(
            "/_sandbox/notifications",
            get(move |State(s): State<Arc<Shared>>| async move {
                let list: Vec<_> = s
                    .store()
                    .notifications
                    .iter()
                    .filter(|n| n.provider == p)
                    .cloned()
                    .collect();
                axum::Json(list)
            }),
        )
        .route(
            "/_sandbox/notify_url",
            put(move |State(s): State<Arc<Shared>>, body: String| async move {
                let url = body.trim();
                if url.is_empty() {
                    s.store().default_notify.remove(&p);
                    return StatusCode::NO_CONTENT.into_response();
                }
                match url::Url::parse(url) {
                    Ok(u) => {
                        s.store().default_notify.insert(p, u.to_string());
                        StatusCode::NO_CONTENT.into_response()
                    }
                    Err(e) => (StatusCode::BAD_REQUEST, format!("bad URL: {e}")).into_response(),
                }
            }),
        )
        .route(
            "/_sandbox/credentials",
            get(move |State(s): State<Arc<Shared>>| async move {
                axum::Json(credentials_json(&s, p))
            }),
        )
}
