//! The pooled client and its retry loop.

use super::HttpError;
use super::request::{Body, Method, Request, Response, host_of};
use std::time::Duration;
use tracing::Instrument;

/// When and how often an idempotent request is repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled each time.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Never repeat.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait after failed attempt `attempt` (1-based): `initial_backoff` doubled per
    /// attempt, capped at `max_backoff`. Public for crates that retry themselves (one
    /// rate-limit slot per attempt).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Settings of the shared client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for the whole request, answer included.
    pub timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Retry of idempotent requests.
    pub retry: RetryPolicy,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            user_agent: concat!("payhub/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
        }
    }
}

/// The shared HTTP sender. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    retry: RetryPolicy,
}

impl HttpClient {
    /// Builds the client.
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(config.user_agent)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| HttpError::Build(e.to_string()))?;
        Ok(HttpClient {
            client,
            retry: config.retry,
        })
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends the request. Idempotent requests are repeated with backoff on a transport failure
    /// or a 5xx answer; others are sent exactly once. A final 5xx comes back as
    /// `Ok(Response)`: use [`Response::require_success`] or read the provider's error body.
    pub async fn send(&self, req: Request) -> Result<Response, HttpError> {
        self.send_with(|| Ok::<_, HttpError>(req.clone())).await
    }

    /// As [`HttpClient::send`], but the request is prepared anew for every attempt, for
    /// providers whose requests must not be repeated byte for byte (Pooul's `nonce_str` must
    /// be unique per request, so each retry is re-signed). Whether retries happen at all is
    /// read from the first prepared request's `idempotent` flag.
    ///
    /// ```no_run
    /// # async fn demo(client: paysig::http::HttpClient, url: url::Url) -> Result<(), paysig::http::HttpError> {
    /// use paysig::http::Request;
    /// let resp = client
    ///     .send_with(|| Ok::<_, paysig::http::HttpError>(
    ///         Request::post_text("pooul", "query", url.clone(), "text/plain", paysig::nonce()).idempotent(),
    ///     ))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_with<E, F>(&self, mut prepare: F) -> Result<Response, E>
    where
        E: From<HttpError>,
        F: FnMut() -> Result<Request, E>,
    {
        let first = prepare()?;
        let span = tracing::info_span!(
            "paysig.http",
            provider = first.provider,
            operation = first.operation,
            method = ?first.method,
            host = %first.host(),
            path = first.url.path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        async {
            let attempts = if first.idempotent {
                self.retry.max_attempts.max(1)
            } else {
                1
            };
            let mut req = first;
            let mut attempt = 1;
            loop {
                let outcome = self.send_once(&req).await;
                let retryable = match &outcome {
                    Ok(r) => r.status >= 500,
                    Err(_) => true,
                };
                if !retryable || attempt >= attempts {
                    let span = tracing::Span::current();
                    span.record("attempts", attempt);
                    match &outcome {
                        Ok(r) => {
                            span.record("status", r.status);
                            tracing::debug!("answered");
                        }
                        Err(e) => tracing::warn!(error = %e, "failed"),
                    }
                    return outcome.map_err(E::from);
                }
                let wait = self.retry.backoff(attempt);
                tracing::info!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "retrying idempotent call"
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
                req = prepare()?;
            }
        }
        .instrument(span)
        .await
    }

    async fn send_once(&self, req: &Request) -> Result<Response, HttpError> {
        let host = host_of(&req.url);
        let mut b = match req.method {
            Method::Get => self.client.get(req.url.clone()),
            Method::Post => self.client.post(req.url.clone()),
        };
        b = match &req.body {
            Body::Empty => b,
            Body::Form { body, charset } => {
                let ct = match charset {
                    Some(c) => format!("application/x-www-form-urlencoded; charset={c}"),
                    None => "application/x-www-form-urlencoded".to_owned(),
                };
                b.header("content-type", ct).body(body.clone())
            }
            Body::Json(body) => b
                .header("content-type", "application/json")
                .body(body.clone()),
            Body::Text { content_type, body } => {
                b.header("content-type", *content_type).body(body.clone())
            }
        };
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some(t) = req.timeout {
            b = b.timeout(t);
        }
        let resp = b.send().await.map_err(|e| map_err(&host, e))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.bytes().await.map_err(|e| {
            if e.is_timeout() {
                HttpError::Timeout { host: host.clone() }
            } else {
                HttpError::Body {
                    host: host.clone(),
                    reason: describe(&e),
                }
            }
        })?;
        Ok(Response {
            host,
            status,
            content_type,
            body: body.to_vec(),
        })
    }
}

/// The error's chain of causes, without the URL (which may carry a query with a token).
fn describe(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    if parts.is_empty() {
        "transport error".to_owned()
    } else {
        parts.join(": ")
    }
}

fn map_err(host: &str, e: reqwest::Error) -> HttpError {
    let host = host.to_owned();
    if e.is_connect() {
        HttpError::Connect {
            host,
            reason: describe(&e),
        }
    } else if e.is_timeout() {
        HttpError::Timeout { host }
    } else if e.is_body() || e.is_decode() {
        HttpError::Body {
            host,
            reason: describe(&e),
        }
    } else {
        HttpError::Transport {
            host,
            reason: describe(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(300));
    }
}
