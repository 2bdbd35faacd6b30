//! One call over several equivalent hosts, tried in order, with a rule that says when a failed
//! host may be left for the next.
//!
//! Each host (a *target*) gets the whole retry loop of [`HttpClient::send`]: an idempotent
//! request is repeated there under the client's [`RetryPolicy`](super::RetryPolicy) before the
//! next host is tried. Moving on is a different decision from repeating: it sends the request
//! to another server, so for a request that creates something (a bill, a refund) it is safe
//! only while nothing can have arrived anywhere. [`Failover`] names the two rules.
//!
//! The next host is tried at once, with no wait: the hosts are independent servers, and the
//! per-host backoff has already been spent on the one that failed.

use super::{HttpClient, HttpError, Request, Response};
use std::fmt;

/// When a call of [`HttpClient::send_failover`] leaves a failed host for the next one.
///
/// Moving on is not repeating: it sends the request to another server, so for a request that
/// creates something it is safe only while nothing can have arrived anywhere. Repeats on one
/// host stay the [`RetryPolicy`](super::RetryPolicy)'s (idempotent requests only); the
/// rule decides what happens once a host has given its last answer. A 2xx, 3xx or 4xx answer
/// (429 included) is the service's answer, never a host failure: it ends the call under
/// either rule and is returned as it is.
///
/// ```
/// use paysig::http::{Failover, Request, Url};
/// let url = Url::parse("http://127.0.0.1:8080/1/rest/bills").unwrap();
/// assert_eq!(Failover::for_request(&Request::get("beecloud", "bills", url.clone()).idempotent()), Failover::AnyFailure);
/// assert_eq!(Failover::for_request(&Request::post_json("beecloud", "bill", url, Vec::new())), Failover::NeverSent);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failover {
    /// On any transport failure (refused connection, timeout, dropped connection, unreadable
    /// body) or 5xx answer, after the host's own retries. For idempotent requests (queries),
    /// where a second copy arriving changes nothing.
    AnyFailure,
    /// Only when the request provably never left ([`HttpError::never_sent`]: the connection
    /// could not be made). Anything later (a timeout, a dropped connection, a 5xx) may mean
    /// the host acted on it, so the call stops there with [`FailoverError::MaybeSent`]. For
    /// creates and refunds: a bill sent to two hosts could charge twice.
    NeverSent,
}

impl Failover {
    /// The rule that fits a request: [`Failover::AnyFailure`] when it is marked
    /// [`Request::idempotent`], else [`Failover::NeverSent`].
    pub fn for_request(req: &Request) -> Self {
        if req.idempotent {
            Failover::AnyFailure
        } else {
            Failover::NeverSent
        }
    }

    /// The rule applied to `req`: `self`, narrowed to [`Failover::NeverSent`] for a request
    /// not marked idempotent, so that a wrong argument cannot resend a create.
    fn capped_by(self, req: &Request) -> Self {
        match (self, req.idempotent) {
            (Failover::AnyFailure, true) => Failover::AnyFailure,
            _ => Failover::NeverSent,
        }
    }

    /// Whether a host that failed with `e` may be left for the next.
    fn moves_on(self, e: &HttpError) -> bool {
        match self {
            Failover::AnyFailure => true,
            Failover::NeverSent => e.never_sent(),
        }
    }
}

/// Why [`HttpClient::send_failover`] has no answer to return. Every variant keeps what each
/// host tried before answered, in the order tried.
#[derive(Debug)]
#[non_exhaustive]
pub enum FailoverError<E> {
    /// Every host was tried and each failed in a way the rule moves on from. Empty when
    /// there was no host to try.
    AllFailed {
        /// What each host answered, in the order tried.
        failures: Vec<HttpError>,
    },
    /// The last host tried failed after the request may have reached it, and the rule
    /// ([`Failover::NeverSent`]) stopped there: the request may have been acted on. No other
    /// host was tried after it.
    MaybeSent {
        /// That host (and port), as [`Request::host`] names it.
        host: String,
        /// How it failed.
        source: HttpError,
        /// The hosts tried before it (each provably not reached).
        failures: Vec<HttpError>,
    },
    /// The request builder refused for a host: nothing was sent to it or after it.
    Prepare {
        /// The builder's error.
        error: E,
        /// The hosts tried before.
        failures: Vec<HttpError>,
    },
}

impl<E> FailoverError<E> {
    /// Whether the request may have reached a server (only [`FailoverError::MaybeSent`]).
    pub fn maybe_sent(&self) -> bool {
        matches!(self, FailoverError::MaybeSent { .. })
    }

    /// What each host tried answered, in order, the host that stopped the call included.
    pub fn failures(&self) -> impl Iterator<Item = &HttpError> {
        let (earlier, last) = match self {
            FailoverError::AllFailed { failures } | FailoverError::Prepare { failures, .. } => {
                (failures, None)
            }
            FailoverError::MaybeSent {
                source, failures, ..
            } => (failures, Some(source)),
        };
        earlier.iter().chain(last)
    }
}

impl<E: fmt::Display> fmt::Display for FailoverError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailoverError::AllFailed { failures } => {
                write!(f, "all {} hosts failed", failures.len())?;
                for (i, e) in failures.iter().enumerate() {
                    write!(f, "{} {e}", if i == 0 { ":" } else { ";" })?;
                }
                Ok(())
            }
            FailoverError::MaybeSent { host, source, .. } => {
                write!(f, "request to {host} may have been sent: {source}")
            }
            FailoverError::Prepare { error, .. } => {
                write!(f, "request could not be prepared: {error}")
            }
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for FailoverError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FailoverError::AllFailed { failures } => {
                failures.last().map(|e| e as &dyn std::error::Error)
            }
            FailoverError::MaybeSent { source, .. } => Some(source),
            FailoverError::Prepare { error, .. } => Some(error),
        }
    }
}

impl HttpClient {
    /// Sends one request to the first of `targets` that answers, failing over under `rule`.
    ///
    /// `build` makes the request for each target, when its turn comes (the target's URL,
    /// and any per-host work: a fresh signature, a rate-limit slot). Each target gets the
    /// retry loop of [`HttpClient::send`] (repeats only for an idempotent request); a 5xx
    /// that is still the answer after those repeats counts as the host's failure, as
    /// [`HttpError::Status`]. The first answer that is not a failure (2xx to 4xx) is
    /// returned as it is: read its status or use [`Response::require_success`].
    ///
    /// `rule` is narrowed to [`Failover::NeverSent`] for a request not marked idempotent,
    /// whatever is passed. The next target is tried at once, with no wait: the hosts are
    /// independent servers, and the backoff of the retry policy has already been spent on the
    /// one that failed (BeeCloud's hosts are interchangeable, beecloud.md §1).
    ///
    /// ```no_run
    /// # async fn demo(client: paysig::http::HttpClient, hosts: Vec<url::Url>) {
    /// use paysig::http::{Failover, FailoverError, Request};
    /// let sent = client
    ///     .send_failover(hosts.iter(), Failover::NeverSent, |base| {
    ///         let url = base.join("/1/rest/bill").map_err(|e| e.to_string())?;
    ///         Ok::<_, String>(Request::post_json("beecloud", "bill", url, b"{}".to_vec()))
    ///     })
    ///     .await;
    /// match sent {
    ///     Ok(resp) => println!("HTTP {}", resp.status),
    ///     // Query before creating it again: it may exist.
    ///     Err(FailoverError::MaybeSent { host, .. }) => println!("may have reached {host}"),
    ///     Err(e) => println!("never sent: {e}"),
    /// }
    /// # }
    /// ```
    pub async fn send_failover<T, E, B>(
        &self,
        targets: impl IntoIterator<Item = T>,
        rule: Failover,
        mut build: B,
    ) -> Result<Response, FailoverError<E>>
    where
        B: FnMut(T) -> Result<Request, E>,
    {
        let mut failures = Vec::new();
        let mut targets = targets.into_iter().peekable();
        while let Some(target) = targets.next() {
            let req = match build(target) {
                Ok(req) => req,
                Err(error) => return Err(FailoverError::Prepare { error, failures }),
            };
            let rule = rule.capped_by(&req);
            let (provider, operation) = (req.provider, req.operation);
            let failure = match self.send(req).await {
                Ok(resp) if resp.status >= 500 => match resp.require_success() {
                    Err(e) => e,
                    // Unreachable: a 5xx is never a success.
                    Ok(resp) => return Ok(resp),
                },
                Ok(resp) => return Ok(resp),
                Err(e) => e,
            };
            // Named from the failure (each names its host): no copy of the host per call.
            let host = failure.host().unwrap_or_default();
            if !rule.moves_on(&failure) {
                return Err(FailoverError::MaybeSent {
                    host: host.to_owned(),
                    source: failure,
                    failures,
                });
            }
            if targets.peek().is_some() {
                tracing::warn!(
                    provider,
                    operation,
                    host,
                    error = %failure,
                    "host failed, trying the next"
                );
            }
            failures.push(failure);
        }
        Err(FailoverError::AllFailed { failures })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpConfig, Jitter, RetryPolicy, Url};
    use std::time::Duration;
    use wiremock::matchers::{body_string, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// Two attempts per host for idempotent requests, 1 ms apart; a 300 ms timeout.
    fn client() -> HttpClient {
        HttpClient::new(HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_millis(300),
            retry: RetryPolicy {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(1),
                jitter: Jitter::None,
                ..RetryPolicy::default()
            },
            ..HttpConfig::default()
        })
        .unwrap()
    }

    /// A base URL on 127.0.0.1 where nothing listens (bound, then released).
    fn refused() -> Url {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        Url::parse(&format!("http://127.0.0.1:{port}")).unwrap()
    }

    async fn answering(status: u16, times: u64) -> MockServer {
        let s = MockServer::start().await;
        Mock::given(path("/x"))
            .respond_with(ResponseTemplate::new(status).set_body_string(format!("from {status}")))
            .expect(times)
            .mount(&s)
            .await;
        s
    }

    fn base(s: &MockServer) -> Url {
        Url::parse(&s.uri()).unwrap()
    }

    fn get(base: Url) -> Result<Request, HttpError> {
        Ok(Request::get("test", "query", base.join("/x").unwrap()).idempotent())
    }

    fn post(base: Url) -> Result<Request, HttpError> {
        Ok(Request::post_json(
            "test",
            "create",
            base.join("/x").unwrap(),
            br#"{"n":1}"#.to_vec(),
        ))
    }

    async fn hits(s: &MockServer) -> usize {
        s.received_requests().await.unwrap().len()
    }

    #[tokio::test]
    async fn a_get_fails_over_on_5xx_after_the_hosts_retries_and_on_transport() {
        let broken = answering(502, 2).await;
        let good = answering(200, 1).await;
        let hosts = [refused(), base(&broken), base(&good)];
        let resp = client()
            .send_failover(hosts, Failover::AnyFailure, get)
            .await
            .unwrap();
        assert_eq!((resp.status, &resp.body[..]), (200, &b"from 200"[..]));
        assert_eq!(hits(&broken).await, 2, "the policy's two attempts, then on");
    }

    #[tokio::test]
    async fn a_get_fails_over_on_a_timeout() {
        let slow = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
            .mount(&slow)
            .await;
        let good = answering(200, 1).await;
        let resp = client()
            .send_failover([base(&slow), base(&good)], Failover::AnyFailure, get)
            .await
            .unwrap();
        assert_eq!(resp.host(), good.address().to_string());
    }

    #[tokio::test]
    async fn an_answer_that_is_not_a_failure_ends_the_call() {
        for status in [404, 429] {
            let first = answering(status, 1).await;
            let second = answering(200, 0).await;
            let resp = client()
                .with_retry(RetryPolicy {
                    retry_on_429: false,
                    ..client().retry_policy().clone()
                })
                .send_failover([base(&first), base(&second)], Failover::AnyFailure, get)
                .await
                .unwrap();
            assert_eq!(resp.status, status);
        }
    }

    #[tokio::test]
    async fn failures_are_collected_in_the_order_tried() {
        let gone = refused();
        let (a, b) = (answering(500, 2).await, answering(503, 2).await);
        let err = client()
            .send_failover(
                [base(&a), gone.clone(), base(&b)],
                Failover::AnyFailure,
                get,
            )
            .await
            .unwrap_err();
        assert!(!err.maybe_sent());
        let FailoverError::AllFailed { failures } = &err else {
            panic!("{err:?}")
        };
        let addr = |s: &MockServer| s.address().to_string();
        let gone_host = format!("127.0.0.1:{}", gone.port().unwrap());
        assert!(
            matches!(
                &failures[..],
                [
                    HttpError::Status { status: 500, host: h0, snippet: s0 },
                    HttpError::Connect { host: h1, .. },
                    HttpError::Status { status: 503, host: h2, snippet: s2 },
                ] if *h0 == addr(&a) && *h1 == gone_host && *h2 == addr(&b)
                    && s0 == "from 500" && s2 == "from 503"
            ),
            "{failures:?}"
        );
        assert_eq!(err.failures().count(), 3);
        let text = err.to_string();
        assert!(text.starts_with("all 3 hosts failed: "), "{text}");
        assert!(text.contains("could not connect"), "{text}");
    }

    #[tokio::test]
    async fn a_post_stops_at_maybe_sent_after_a_5xx() {
        let broken = answering(500, 1).await;
        let other = answering(200, 0).await;
        let err = client()
            .send_failover([base(&broken), base(&other)], Failover::NeverSent, post)
            .await
            .unwrap_err();
        match &err {
            FailoverError::MaybeSent {
                host,
                source: HttpError::Status { status: 500, .. },
                failures,
            } => {
                assert_eq!(*host, broken.address().to_string());
                assert!(failures.is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert!(err.maybe_sent());
        assert_eq!(hits(&other).await, 0);
    }

    #[tokio::test]
    async fn a_post_stops_at_maybe_sent_after_a_timeout() {
        let slow = MockServer::start().await;
        Mock::given(method("POST"))
            .and(body_string(r#"{"n":1}"#))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
            .expect(1)
            .mount(&slow)
            .await;
        let other = answering(200, 0).await;
        let err = client()
            .send_failover([base(&slow), base(&other)], Failover::NeverSent, post)
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                FailoverError::MaybeSent {
                    source: HttpError::Timeout { .. },
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("may have been sent"), "{err}");
        assert_eq!(hits(&other).await, 0);
    }

    #[tokio::test]
    async fn a_post_fails_over_on_a_refused_connection_and_is_sent_once() {
        let gone = refused();
        let good = MockServer::start().await;
        Mock::given(method("POST"))
            .and(body_string(r#"{"n":1}"#))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&good)
            .await;
        let resp = client()
            .send_failover([gone, base(&good)], Failover::NeverSent, post)
            .await
            .unwrap();
        assert_eq!(resp.status, 200);

        // Every host refused: never sent, each refusal listed.
        let err = client()
            .send_failover([refused(), refused()], Failover::NeverSent, post)
            .await
            .unwrap_err();
        assert!(!err.maybe_sent());
        assert_eq!(err.failures().count(), 2);
        assert!(err.failures().all(HttpError::never_sent));
    }

    #[tokio::test]
    async fn any_failure_is_narrowed_for_a_request_not_marked_idempotent() {
        let broken = answering(503, 1).await;
        let other = answering(200, 0).await;
        let err = client()
            .send_failover([base(&broken), base(&other)], Failover::AnyFailure, post)
            .await
            .unwrap_err();
        assert!(err.maybe_sent(), "{err:?}");
        assert_eq!(hits(&other).await, 0);
    }

    #[tokio::test]
    async fn the_builder_runs_per_host_and_its_refusal_stops_the_call() {
        let good = answering(200, 0).await;
        let mut built = Vec::new();
        let err = client()
            .send_failover([refused(), base(&good)], Failover::AnyFailure, |u: Url| {
                built.push(u.port());
                if built.len() == 2 {
                    return Err("no slot");
                }
                Ok(Request::get("test", "query", u.join("/x").unwrap()).idempotent())
            })
            .await
            .unwrap_err();
        assert_eq!(built.len(), 2);
        match err {
            FailoverError::Prepare { error, failures } => {
                assert_eq!(error, "no slot");
                assert!(matches!(&failures[..], [HttpError::Connect { .. }]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn no_target_is_an_empty_failure() {
        let err = client()
            .send_failover(Vec::<Url>::new(), Failover::AnyFailure, get)
            .await
            .unwrap_err();
        assert!(matches!(&err, FailoverError::AllFailed { failures } if failures.is_empty()));
    }

    #[test]
    fn the_rule_for_a_request_follows_its_idempotent_flag() {
        let u = Url::parse("http://127.0.0.1:1/x").unwrap();
        let q = Request::get("t", "q", u.clone()).idempotent();
        let c = Request::post_json("t", "c", u, Vec::new());
        assert_eq!(Failover::for_request(&q), Failover::AnyFailure);
        assert_eq!(Failover::for_request(&c), Failover::NeverSent);
        assert_eq!(Failover::AnyFailure.capped_by(&c), Failover::NeverSent);
    }
}
