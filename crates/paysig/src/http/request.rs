//! What a provider crate hands to the sender, and what it gets back.

use super::HttpError;
use std::time::Duration;
use url::Url;

/// The HTTP methods the providers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

/// A request body with its content type.
#[derive(Clone, PartialEq, Eq)]
pub enum Body {
    /// No body.
    Empty,
    /// `application/x-www-form-urlencoded`, already encoded. The `charset` parameter is
    /// given when a provider wants it named.
    Form {
        /// The encoded form.
        body: String,
        /// e.g. `Some("utf-8")` for `...; charset=utf-8`.
        charset: Option<&'static str>,
    },
    /// `application/json`, already serialised (so the signed bytes are the sent bytes).
    Json(Vec<u8>),
    /// Text with an explicit content type (Pooul's JWT body is `text/plain`).
    Text {
        /// The content type.
        content_type: &'static str,
        /// The text.
        body: String,
    },
}

impl std::fmt::Debug for Body {
    // Bodies carry signatures and personal data: print only their size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Form { body, .. } => write!(f, "Form({} bytes)", body.len()),
            Body::Json(b) => write!(f, "Json({} bytes)", b.len()),
            Body::Text { content_type, body } => {
                write!(f, "Text({content_type}, {} bytes)", body.len())
            }
        }
    }
}

/// A prepared, signed request.
#[derive(Clone)]
pub struct Request {
    /// Provider name, for the tracing span.
    pub provider: &'static str,
    /// Operation name, for the tracing span.
    pub operation: &'static str,
    /// The method.
    pub method: Method,
    /// The full URL, query included.
    pub url: Url,
    /// Extra headers (never logged).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// Whether the sender may repeat it. Only queries are; a create or refund never is.
    pub idempotent: bool,
    /// Overrides the client's whole-request timeout.
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("provider", &self.provider)
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("host", &self.url.host_str())
            .field("path", &self.url.path())
            .field("body", &self.body)
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

impl Request {
    fn new(
        provider: &'static str,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Body,
    ) -> Self {
        Request {
            provider,
            operation,
            method,
            url,
            headers: Vec::new(),
            body,
            idempotent: false,
            timeout: None,
        }
    }

    /// A GET.
    pub fn get(provider: &'static str, operation: &'static str, url: Url) -> Self {
        Self::new(provider, operation, Method::Get, url, Body::Empty)
    }

    /// A POST of an encoded form.
    pub fn post_form(
        provider: &'static str,
        operation: &'static str,
        url: Url,
        body: String,
    ) -> Self {
        Self::new(
            provider,
            operation,
            Method::Post,
            url,
            Body::Form {
                body,
                charset: None,
            },
        )
    }

    /// A POST of serialised JSON.
    pub fn post_json(
        provider: &'static str,
        operation: &'static str,
        url: Url,
        body: Vec<u8>,
    ) -> Self {
        Self::new(provider, operation, Method::Post, url, Body::Json(body))
    }

    /// A POST of text with a content type.
    pub fn post_text(
        provider: &'static str,
        operation: &'static str,
        url: Url,
        content_type: &'static str,
        body: String,
    ) -> Self {
        Self::new(
            provider,
            operation,
            Method::Post,
            url,
            Body::Text { content_type, body },
        )
    }

    /// Marks the request as safe to repeat (queries).
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a per-request timeout.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// `host[:port]` for errors and spans, borrowed from the URL.
    ///
    /// ```
    /// use paysig::http::{Request, Url};
    /// let url = Url::parse("http://127.0.0.1:8080/v1/query").unwrap();
    /// assert_eq!(Request::get("p", "query", url).host(), "127.0.0.1:8080");
    /// let url = Url::parse("https://api.example.com/v1/query").unwrap();
    /// assert_eq!(Request::get("p", "query", url).host(), "api.example.com");
    /// ```
    pub fn host(&self) -> &str {
        host_of(&self.url)
    }
}

/// `host[:port]` as the URL writes it: a slice of the URL, no copy (a default port is not
/// written; user info, if any, is left out).
pub(super) fn host_of(url: &Url) -> &str {
    &url[url::Position::BeforeHost..url::Position::AfterPort]
}

/// A complete HTTP answer, body read in full.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// The URL the answer came from, kept for [`Response::host`] (moved in once, not copied
    /// per answer). Never printed whole: a query may hold a token.
    pub(super) url: Option<Url>,
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header of a 429 or 503 answer, read as a delay, if any (the
    /// statuses where it is honoured; other answers are not searched for it).
    pub retry_after: Option<std::time::Duration>,
    /// The headers as received, moved out of the transport's answer (no copy, and nothing
    /// looked up that no caller reads). [`Response::content_type`] reads one of them.
    pub headers: super::HeaderMap,
    /// The body bytes (shared, as received: no copy).
    pub body: bytes::Bytes,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("host", &self.host())
            .field("status", &self.status)
            .field("content_type", &self.content_type())
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Response {
    /// An answer from `url`, with no headers and no `Retry-After` (set the fields after):
    /// for tests of code that reads answers.
    ///
    /// ```
    /// use paysig::http::{Response, Url};
    /// let r = Response::new(Url::parse("http://127.0.0.1:9/q?token=t").unwrap(), 200, "{}");
    /// assert_eq!((r.host(), r.status, &r.body[..]), ("127.0.0.1:9", 200, &b"{}"[..]));
    /// assert!(!format!("{r:?}").contains("token"));
    /// ```
    pub fn new(url: Url, status: u16, body: impl Into<bytes::Bytes>) -> Self {
        Response {
            url: Some(url),
            status,
            retry_after: None,
            headers: super::HeaderMap::new(),
            body: body.into(),
        }
    }

    /// The host (and port) that answered, as [`Request::host`] names it.
    pub fn host(&self) -> &str {
        self.url.as_ref().map_or("", host_of)
    }

    /// The `Content-Type` header as text, if any (and if it is text).
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(super::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The body as text, invalid UTF-8 replaced.
    pub fn text_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// Turns a non-2xx status into [`HttpError::Status`].
    pub fn require_success(self) -> Result<Self, HttpError> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(HttpError::Status {
                host: self.host().to_owned(),
                status: self.status,
                // A gateway's error page may echo our request (Mifeng's accesstoken
                // body holds the merchant secret): secret-named values are masked.
                snippet: crate::secret::mask_secret_pairs(
                    &self.text_lossy().chars().take(200).collect::<String>(),
                ),
            })
        }
    }
}
