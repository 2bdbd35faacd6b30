//! The pooled client and its retry loop.

use super::HttpError;
use super::request::{Body, Method, Request, Response, host_of};
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use std::future::Future;
use std::time::Duration;
use tracing::Instrument;
use url::Url;

/// How the wait before a repeat is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// "Full jitter": a uniform draw between zero and the exponential cap, so that callers
    /// that failed together do not come back together (the default).
    Full,
    /// Exactly the exponential cap (tests that count time).
    None,
}

/// When and how often an idempotent request is repeated: exponential backoff with full
/// jitter, `Retry-After` honoured on 429 and 503.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// The cap of the wait before the second attempt; doubled each time.
    pub initial_backoff: Duration,
    /// The largest cap between attempts.
    pub max_backoff: Duration,
    /// How the wait is drawn under the cap.
    pub jitter: Jitter,
    /// The longest `Retry-After` obeyed; an answer asking for longer is returned as it is
    /// (a 429 is then [`crate::ErrorClass::RateLimited`]) instead of holding the caller.
    pub max_retry_after: Duration,
    /// Whether a 429 answer is repeated (after its `Retry-After`, or the backoff). On by
    /// default; off for providers that ask clients never to repeat a refused call at once
    /// (Mifeng: every call, repeats included, is counted against the rate limit). A 429 that
    /// is not repeated comes back as `Ok(Response)`, like any last answer.
    pub retry_on_429: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
            jitter: Jitter::Full,
            max_retry_after: Duration::from_secs(10),
            retry_on_429: true,
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

    /// The cap of the wait after failed attempt `attempt` (1-based): `initial_backoff`
    /// doubled per attempt, capped at `max_backoff`. The wait itself is drawn under it
    /// ([`RetryPolicy::delays`]).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The waits between attempts, in order (`max_attempts - 1` of them), jitter applied.
    /// For crates that must do per-attempt work between repeats (a rate-limit slot, another
    /// host) and so drive the loop themselves.
    ///
    /// ```
    /// use paysig::http::{Jitter, RetryPolicy};
    /// use std::time::Duration;
    /// let p = RetryPolicy { max_attempts: 4, jitter: Jitter::None, ..RetryPolicy::default() };
    /// let waits: Vec<Duration> = p.delays().collect();
    /// assert_eq!(waits, [Duration::from_millis(200), Duration::from_millis(400), Duration::from_millis(800)]);
    /// let full = RetryPolicy { max_attempts: 4, ..RetryPolicy::default() };
    /// assert!(full.delays().zip(&waits).all(|(d, cap)| d <= *cap));
    /// ```
    pub fn delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        // The caps are computed in integers (a float builder turns 200 ms into
        // 200.000003 ms).
        let policy = self.clone();
        (1..policy.max_attempts.max(1)).map(move |attempt| {
            let cap = policy.backoff(attempt);
            match policy.jitter {
                Jitter::Full => full_jitter(cap),
                Jitter::None => cap,
            }
        })
    }
}

/// A uniform draw in `[0, cap]`.
fn full_jitter(cap: Duration) -> Duration {
    let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(crate::random::up_to(nanos))
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

/// A request taken apart once for sending: the body shared (`Bytes`), so a repeat clones a
/// reference count rather than the body.
struct Prepared {
    method: reqwest::Method,
    content_type: Option<HeaderValue>,
    body: Bytes,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
}

impl Prepared {
    /// The parts, and the URL apart (each attempt sends a copy; the URL itself goes into the
    /// answer, which names its host from it).
    fn new(req: Request) -> (Self, Url) {
        let (content_type, body) = match req.body {
            Body::Empty => (None, Bytes::new()),
            Body::Form { body, charset } => (Some(form_content_type(charset)), Bytes::from(body)),
            Body::Json(body) => (
                Some(HeaderValue::from_static("application/json")),
                Bytes::from(body),
            ),
            Body::Text { content_type, body } => (
                Some(HeaderValue::from_static(content_type)),
                Bytes::from(body),
            ),
        };
        let prepared = Prepared {
            method: match req.method {
                Method::Get => reqwest::Method::GET,
                Method::Post => reqwest::Method::POST,
            },
            content_type,
            body,
            headers: req.headers,
            timeout: req.timeout,
        };
        (prepared, req.url)
    }
}

/// The form content type, without formatting for the charsets the providers name.
fn form_content_type(charset: Option<&'static str>) -> HeaderValue {
    const FORM: &str = "application/x-www-form-urlencoded";
    match charset {
        None => HeaderValue::from_static(FORM),
        Some("utf-8") => {
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8")
        }
        Some("UTF-8") => {
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8")
        }
        Some("utf8") => HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf8"),
        Some(c) => HeaderValue::try_from(format!("{FORM}; charset={c}"))
            .unwrap_or_else(|_| HeaderValue::from_static(FORM)),
    }
}

/// What comes before each attempt after the first, in [`HttpClient::send_each`]: the same
/// request again, or a new one.
// Made once per repeat and moved at once; boxing the request would allocate.
#[allow(clippy::large_enum_variant)]
enum Next<E> {
    Same,
    New(Result<Request, E>),
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

    /// This sender with another retry policy; the connection pool stays shared.
    ///
    /// ```
    /// use paysig::http::{HttpClient, HttpConfig, RetryPolicy};
    /// let shared = HttpClient::new(HttpConfig::default()).unwrap();
    /// let no_429 = shared.with_retry(RetryPolicy { retry_on_429: false, ..RetryPolicy::default() });
    /// assert!(!no_429.retry_policy().retry_on_429);
    /// assert!(shared.retry_policy().retry_on_429);
    /// ```
    pub fn with_retry(&self, retry: RetryPolicy) -> HttpClient {
        HttpClient {
            client: self.client.clone(),
            retry,
        }
    }

    /// Sends the request. Idempotent requests are repeated with backoff on a transport failure
    /// or a 5xx answer; others are sent exactly once. A final 5xx comes back as
    /// `Ok(Response)`: use [`Response::require_success`] or read the provider's error body.
    // A plain `fn` returning the loop's future: an `async fn` here would wrap it in one more
    // state machine, polled and moved on every call.
    pub fn send(&self, req: Request) -> impl Future<Output = Result<Response, HttpError>> + Send {
        self.drive(req, |_| std::future::ready(Next::<HttpError>::Same))
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
        self.drive(first, |_| std::future::ready(Next::New(prepare())))
            .await
    }

    /// The retry loop with a hook before every attempt: `before_attempt(n)` (1-based) does the
    /// attempt's own work (take a rate-limit slot, pick the next host, make a fresh nonce,
    /// sign) and returns the request to send. An error from it ends the loop with that error,
    /// unsent. Whether repeats happen at all is read from the first request's `idempotent`
    /// flag; the waits, `Retry-After` and the attempt count are the policy's, as in
    /// [`HttpClient::send`].
    ///
    /// ```no_run
    /// # async fn demo(client: paysig::http::HttpClient, hosts: Vec<url::Url>) -> Result<(), paysig::http::HttpError> {
    /// use paysig::http::Request;
    /// let resp = client
    ///     .send_each(|attempt: u32| {
    ///         // Each attempt goes to the next host.
    ///         let url = hosts[(attempt as usize - 1) % hosts.len()].clone();
    ///         async move {
    ///             Ok::<_, paysig::http::HttpError>(Request::get("beecloud", "bills", url).idempotent())
    ///         }
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_each<E, F, Fut>(&self, mut before_attempt: F) -> Result<Response, E>
    where
        E: From<HttpError>,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<Request, E>>,
    {
        let first = before_attempt(1).await?;
        self.drive(first, |n| {
            let prepared = before_attempt(n);
            async move { Next::New(prepared.await) }
        })
        .await
    }

    /// The one retry loop: full-jitter backoff from the policy, `Retry-After` obeyed on 429
    /// and 503 within bounds, repeats only for idempotent requests. An answer that may be
    /// repeated (5xx, 429) that is the last one comes back as `Ok`.
    // A plain `fn`: the request is taken apart and the span made at the call, and the future
    // returned holds only what the loop needs. As an `async fn` it also kept `first` (216
    // bytes) for its whole life: 2,160 bytes against 1,768, copied and touched on every call.
    fn drive<E, N, Fut>(
        &self,
        first: Request,
        mut next: N,
    ) -> impl Future<Output = Result<Response, E>> + use<'_, E, N, Fut>
    where
        E: From<HttpError>,
        N: FnMut(u32) -> Fut,
        Fut: Future<Output = Next<E>>,
    {
        let idempotent = first.idempotent;
        let (provider, operation, method) = (first.provider, first.operation, first.method);
        let (mut req, mut url) = Prepared::new(first);
        let span = tracing::info_span!(
            "paysig.http",
            provider,
            operation,
            method = ?method,
            host = host_of(&url),
            path = url.path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let max_attempts = if idempotent {
            self.retry.max_attempts.max(1)
        } else {
            1
        };
        let max_retry_after = self.retry.max_retry_after;
        let retry_on_429 = self.retry.retry_on_429;
        async move {
            // Drawn only when a repeat is due (a jittered wait costs a random draw).
            let mut delays = None;
            let mut attempt = 1u32;
            let outcome = loop {
                let outcome = self.send_once(&req, &url).await;
                if attempt >= max_attempts {
                    break outcome;
                }
                let reason = match &outcome {
                    Ok(r) if r.status >= 500 || (r.status == 429 && retry_on_429) => "status",
                    Ok(_) => break outcome,
                    // A request that could not be built is refused the same way each time.
                    Err(HttpError::Build(_)) => break outcome,
                    Err(_) => "transport",
                };
                let Some(backoff) = delays.get_or_insert_with(|| self.retry.delays()).next() else {
                    break outcome;
                };
                // The server's own word beats our guess, within bounds; beyond them the
                // answer is returned as it is instead of holding the caller.
                let wait = match &outcome {
                    Ok(r) if matches!(r.status, 429 | 503) => match r.retry_after {
                        Some(d) if d <= max_retry_after => d,
                        Some(_) => break outcome,
                        None => backoff,
                    },
                    _ => backoff,
                };
                tracing::info!(
                    wait_ms = wait.as_millis() as u64,
                    reason,
                    "retrying idempotent call"
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
                if let Next::New(prepared) = next(attempt).await {
                    match prepared {
                        Ok(r) => (req, url) = Prepared::new(r),
                        Err(e) => {
                            tracing::Span::current().record("attempts", attempt);
                            return Err(e);
                        }
                    }
                }
            };
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            match outcome {
                Ok(mut r) => {
                    // Kept once, for the answer returned (attempts' answers carry none).
                    r.url = Some(url);
                    span.record("status", r.status);
                    tracing::debug!("answered");
                    Ok(r)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "failed");
                    Err(E::from(e))
                }
            }
        }
        .instrument(span)
    }

    /// One attempt.
    async fn send_once(&self, req: &Prepared, url: &Url) -> Result<Response, HttpError> {
        // Built as a `reqwest::Request` rather than through its builder, which moves itself
        // (a few hundred bytes) at every step. reqwest takes the URL by value: the one copy
        // per attempt, the original kept for repeats and the answer.
        let mut out = reqwest::Request::new(req.method.clone(), url.clone());
        if let Some(ct) = &req.content_type {
            out.headers_mut().insert(CONTENT_TYPE, ct.clone());
            *out.body_mut() = Some(req.body.clone().into());
        }
        for (k, v) in &req.headers {
            let (name, value) = extra_header(k, v)?;
            out.headers_mut().append(name, value);
        }
        // Only when set: a timeout is kept in the request's extensions, a map made on first use.
        if let Some(t) = req.timeout {
            *out.timeout_mut() = Some(t);
        }
        // The host is named only in a failure: it is sliced out of the URL there.
        let host = || host_of(url);
        let mut resp = self
            .client
            .execute(out)
            .await
            .map_err(|e| map_err(host(), e))?;
        let status = resp.status().as_u16();
        // Moved out, not cloned: a clone is an atomic count on the connection's read buffer,
        // which the other core touches too.
        let headers = std::mem::take(resp.headers_mut());
        // Looked for only where it is honoured (`drive`): the other answers skip the lookup.
        let retry_after = match status {
            429 | 503 => headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after),
            _ => None,
        };
        let body = resp.bytes().await.map_err(|e| {
            if e.is_timeout() {
                HttpError::Timeout {
                    host: host().to_owned(),
                }
            } else {
                HttpError::Body {
                    host: host().to_owned(),
                    reason: describe(&e),
                }
            }
        })?;
        Ok(Response {
            // Filled by `drive` for the answer it returns.
            url: None,
            status,
            retry_after,
            headers,
            body,
        })
    }
}

/// An extra header as sent. One that is not valid HTTP is refused before anything is sent,
/// named but not shown (a header may carry a token).
fn extra_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), HttpError> {
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        HttpError::Build("an extra header's name is not a valid HTTP header name".into())
    })?;
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        HttpError::Build(format!(
            "the value of header {name} is not a valid HTTP header value"
        ))
    })?;
    // Shown as "Sensitive" by `Debug`, and never put in an HTTP/2 header table.
    value.set_sensitive(true);
    Ok((name, value))
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3); anything else is
/// ignored.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
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
            jitter: Jitter::None,
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(300));
        let waits: Vec<_> = p.delays().collect();
        assert_eq!(waits, [100, 200, 300, 300].map(Duration::from_millis));
    }

    #[test]
    fn full_jitter_stays_under_the_cap_and_varies() {
        let p = RetryPolicy {
            max_attempts: 200,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        let waits: Vec<_> = p.delays().collect();
        assert_eq!(waits.len(), 199);
        assert!(waits.iter().all(|d| *d <= Duration::from_millis(100)));
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 150, "drawn, not fixed: {}", distinct.len());
        assert!(waits.iter().any(|d| *d < Duration::from_millis(50)));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
