//! The shared sender's tracing span never records a secret. In its own test binary because
//! tracing caches callsite interest per process: another test running without a subscriber
//! at the same moment could switch the callsites off for this one.

use paysig::http::{HttpClient, HttpConfig, Request, RetryPolicy, Url};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client() -> HttpClient {
    HttpClient::new(HttpConfig {
        retry: RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(20),
            ..Default::default()
        },
        ..HttpConfig::default()
    })
    .unwrap()
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_tracing_span_never_records_a_secret() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(path("/v1/api/pay/query"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let u = Url::parse(&format!(
        "{}/v1/api/pay/query?token=TOKEN-SECRET-1",
        server.uri()
    ))
    .unwrap();
    let req = Request::post_form("mifeng", "query", u, "secret=BODY-SECRET-2".into())
        .header("authorization", "HEADER-SECRET-3")
        .idempotent();
    let _ = client().send(req).await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("paysig.http")
            && logs.contains("/v1/api/pay/query")
            && logs.contains("mifeng"),
        "{logs}"
    );
    assert!(logs.contains("retrying"), "{logs}");
    for secret in ["TOKEN-SECRET-1", "BODY-SECRET-2", "HEADER-SECRET-3"] {
        assert!(!logs.contains(secret), "{secret} leaked into: {logs}");
    }
}
