//! Requests that reached a provider server, counted by endpoint before any fault is applied,
//! so that a test can tell "the SDK never sent it" from "the sandbox got it and failed it".

use crate::ProviderKind;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Counts per provider and path (`/_sandbox` control calls are not counted).
#[derive(Debug, Default)]
pub(crate) struct Received {
    counts: Mutex<HashMap<(ProviderKind, String), u64>>,
}

impl Received {
    pub(crate) fn get(&self, p: ProviderKind, path: &str) -> u64 {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(&(p, path.to_owned())).copied().unwrap_or(0)
    }
}

pub(crate) async fn count(
    State((received, p)): State<(Arc<Received>, ProviderKind)>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/_sandbox") {
        let mut counts = received.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry((p, path.to_owned())).or_default() += 1;
    }
    next.run(req).await
}
