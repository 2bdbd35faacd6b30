//! The Prometheus exporter (feature `prometheus`).

use super::names;
pub use metrics_exporter_prometheus::{BuildError, PrometheusHandle};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use std::sync::Mutex;
use std::time::Duration;

/// Latency buckets for provider calls, in seconds: a loopback sandbox answers in
/// milliseconds, a provider in tens or hundreds of them, a timeout after seconds.
const CALL_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Mifeng rate-limit waits: one slot is 52 ms at the default 20 calls/s.
const WAIT_BUCKETS: &[f64] = &[0.001, 0.01, 0.052, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0];

/// A builder with payhub's histogram buckets: for a recorder you install or compose yourself
/// (e.g. a test's local recorder). [`prometheus()`] installs one built from it.
pub fn prometheus_builder() -> PrometheusBuilder {
    // The matchers are exact names, so neither can fail on an empty list.
    let with = |b: PrometheusBuilder, name: &str, buckets: &[f64]| {
        b.set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)
            .expect("non-empty buckets")
    };
    let b = with(PrometheusBuilder::new(), names::CALL_DURATION, CALL_BUCKETS);
    with(b, names::MIFENG_RATE_LIMIT_WAIT, WAIT_BUCKETS)
}

static INSTALLED: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Installs the Prometheus recorder as the process's global `metrics` recorder (once: later
/// calls return the same handle) and describes payhub's metrics. Render with
/// [`PrometheusHandle::render`], or serve it with [`metrics_router`] (feature `axum`).
///
/// A background thread drains histogram samples every 5 s, so memory stays bounded between
/// scrapes.
///
/// # Errors
///
/// [`BuildError`] when another global recorder was installed first.
pub fn prometheus() -> Result<PrometheusHandle, BuildError> {
    let mut installed = INSTALLED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let handle = prometheus_builder().install_recorder()?;
    names::describe();
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new()
        .name("payhub-metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        });
    // The recorder is installed either way; each render drains the samples too.
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no metrics upkeep thread; histograms drain at each render");
    }
    *installed = Some(handle.clone());
    Ok(handle)
}

/// A router with `GET /metrics` answering `handle`'s Prometheus text. Merge it into your app
/// (keep it off the public internet, or behind your own authentication: it tells which
/// providers you use and how they behave).
///
/// ```no_run
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let handle = payhub::observe::prometheus()?;
/// let app = axum::Router::new().merge(payhub::observe::metrics_router(handle));
/// # Ok(()) }
/// ```
#[cfg(feature = "axum")]
pub fn metrics_router(handle: PrometheusHandle) -> axum::Router {
    use axum::http::header;
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    )
}
