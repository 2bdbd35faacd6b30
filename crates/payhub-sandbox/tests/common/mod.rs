//! Test helpers: a sandbox with a fast clock, a scripted notify receiver, an HTTP client.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use payhub_sandbox::{RunningSandbox, Sandbox, SandboxConfig, SandboxKeys};
use paysig::http::{HttpClient, HttpConfig, RetryPolicy};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// A sandbox whose documented delays run 10 000 times faster (Sunmi's 15 s retry: 1.5 ms).
pub async fn sandbox() -> RunningSandbox {
    sandbox_with(SandboxConfig::default()).await
}

/// One key generation per test binary (three 2048-bit keys per sandbox add up).
pub fn keys() -> SandboxKeys {
    static KEYS: OnceLock<SandboxKeys> = OnceLock::new();
    KEYS.get_or_init(|| SandboxKeys::generate().expect("keys"))
        .clone()
}

pub async fn sandbox_with(config: SandboxConfig) -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        time_scale: 10_000.0,
        keys: Some(keys()),
        ..config
    })
    .await
    .expect("sandbox starts")
}

pub fn client() -> HttpClient {
    HttpClient::new(HttpConfig {
        timeout: Duration::from_secs(10),
        retry: RetryPolicy::none(),
        ..HttpConfig::default()
    })
    .expect("client")
}

/// One notify as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub content_type: String,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct ReceiverState {
    script: Vec<&'static str>,
    received: Vec<Received>,
}

/// A local notify receiver that answers from a script (the last answer repeats).
#[derive(Clone)]
pub struct Receiver {
    state: Arc<Mutex<ReceiverState>>,
    pub url: url::Url,
}

impl Receiver {
    pub async fn start(script: Vec<&'static str>) -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState {
            script,
            received: Vec::new(),
        }));
        let app = axum::Router::new()
            .route("/notify", axum::routing::post(receive))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            state,
            url: url::Url::parse(&format!("http://{addr}/notify")).expect("url"),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("lock").received.clone()
    }

    /// Waits until `n` notifies arrived (or 5 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..1000 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("expected {n} notifies, got {:?}", self.received());
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    let mut st = state.lock().expect("lock");
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    st.received.push(Received {
        content_type,
        body: body.to_vec(),
    });
    let n = st.received.len();
    st.script
        .get(n - 1)
        .or(st.script.last())
        .copied()
        .unwrap_or("success")
}

pub fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}
