//! The one HTTP sender all four provider crates use (feature `http`).
//!
//! Provider crates build and sign a [`Request`] and parse the [`Response`]; this module sends
//! it: one pooled `reqwest` client with timeouts, retry with backoff for requests the caller
//! marks idempotent (queries) and never for the others (create, refund), transport failures
//! mapped to [`HttpError`], and one tracing span per call. The span records provider,
//! operation, method, host and path, status, attempts: never the query string, headers or
//! body, where tokens, signatures and personal data travel.
//!
//! A provider with several equivalent hosts sends through [`HttpClient::send_failover`],
//! which tries them in order under a [`Failover`] rule: any failure moves a query on, only a
//! request that provably never left moves a create on.
//!
//! ```no_run
//! # async fn demo() -> Result<(), paysig::http::HttpError> {
//! use paysig::http::{HttpClient, HttpConfig, Request};
//! let client = HttpClient::new(HttpConfig::default())?;
//! let url = url::Url::parse("http://127.0.0.1:8080/v1/trade/query").unwrap();
//! let resp = client
//!     .send(Request::post_form("sunmi", "query", url, "a=1".into()).idempotent())
//!     .await?
//!     .require_success()?;
//! println!("{}", resp.status);
//! # Ok(()) }
//! ```

mod client;
mod error;
mod failover;
mod request;

pub use client::{HttpClient, HttpConfig, Jitter, RetryPolicy};
pub use error::{HttpError, status_class};
pub use failover::{Failover, FailoverError};
pub use request::{Body, Method, Request, Response};
/// The `http` crate's header types, which every provider's `Client::verify_notify` takes.
pub use reqwest::header::{self, HeaderMap, HeaderValue};
pub use url::Url;
