//! The shared sender: bytes on the wire, retry only when marked idempotent, typed transport
//! errors, and a tracing span that never records a secret.

use paysig::http::{Body, HttpClient, HttpConfig, HttpError, Request, RetryPolicy, Url};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(timeout_ms: u64) -> HttpClient {
    HttpClient::new(HttpConfig {
        timeout: Duration::from_millis(timeout_ms),
        retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(20),
            ..Default::default()
        },
        ..HttpConfig::default()
    })
    .unwrap()
}

fn url(server: &MockServer, p: &str) -> Url {
    Url::parse(&format!("{}{p}", server.uri())).unwrap()
}

#[tokio::test]
async fn sends_each_body_kind_with_its_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/form"))
        .and(header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf8",
        ))
        .and(body_string("a=1&b=%E5%95%86"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/json"))
        .and(header("content-type", "application/json"))
        .and(body_string(r#"{"x":1}"#))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jwt"))
        .and(query_param("merchant_id", "123"))
        .and(header("content-type", "text/plain"))
        .and(body_string("h.p.s"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/get"))
        .and(query_param("para", "{\"a\":1}"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .expect(1)
        .mount(&server)
        .await;

    let c = client(2000);
    let mut form = Request::post_form("t", "form", url(&server, "/form"), "a=1&b=%E5%95%86".into());
    form.body = Body::Form {
        body: "a=1&b=%E5%95%86".into(),
        charset: Some("utf8"),
    };
    assert_eq!(c.send(form).await.unwrap().text_lossy(), "ok");
    c.send(Request::post_json(
        "t",
        "json",
        url(&server, "/json"),
        br#"{"x":1}"#.to_vec(),
    ))
    .await
    .unwrap();
    c.send(Request::post_text(
        "t",
        "jwt",
        url(&server, "/jwt?merchant_id=123"),
        "text/plain",
        "h.p.s".into(),
    ))
    .await
    .unwrap();
    let mut u = url(&server, "/get");
    u.query_pairs_mut().append_pair("para", "{\"a\":1}");
    let r = c.send(Request::get("t", "get", u)).await.unwrap();
    assert_eq!(
        (r.status, r.content_type()),
        (200, Some("application/json"))
    );
}

#[tokio::test]
async fn extra_headers_are_sent_and_an_invalid_one_is_refused_unsent_without_its_value() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/h"))
        .and(header("authorization", "Bearer t0ken"))
        .and(header("x-trace", "a"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(2000);
    let ok = Request::get("t", "h", url(&server, "/h"))
        .header("Authorization", "Bearer t0ken")
        .header("X-Trace", "a")
        .idempotent();
    assert_eq!(c.send(ok).await.unwrap().status, 200);

    // A value with a line break would split the header block; a name with a space is no name.
    for (name, value) in [
        ("Authorization", "Bearer se\ncret"),
        ("bad name", "se cret"),
    ] {
        let bad = Request::get("t", "h", url(&server, "/h"))
            .header(name, value)
            .idempotent();
        let e = c.send(bad).await.unwrap_err();
        assert!(matches!(e, HttpError::Build(_)), "{e:?}");
        assert_eq!(
            e.class(paysig::class::Operation::Mutation),
            paysig::class::ErrorClass::InvalidRequest,
            "refused before sending, so no money can have moved"
        );
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("cret"), "the value is not shown: {shown}");
    }
    // Refused once, not repeated: the hook before each attempt runs only for the first.
    let mut attempts = 0;
    let e = c
        .send_each(|_| {
            attempts += 1;
            let bad = Request::get("t", "h", url(&server, "/h"))
                .header("Authorization", "Bearer se\ncret")
                .idempotent();
            async move { Ok::<_, HttpError>(bad) }
        })
        .await
        .unwrap_err();
    assert!(matches!(e, HttpError::Build(_)), "{e:?}");
    assert_eq!(attempts, 1, "a request that cannot be built is not retried");
    // The mock's `expect(1)` is checked on drop: the refused requests never arrived.
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
}

#[tokio::test]
async fn idempotent_calls_are_retried_on_5xx_until_success() {
    let server = MockServer::start().await;
    Mock::given(path("/q"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/q"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let r = client(2000)
        .send(Request::get("t", "query", url(&server, "/q")).idempotent())
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    // The answer names the host that gave it (set once, after the attempts).
    assert_eq!(r.host(), server.address().to_string());
}

#[tokio::test]
async fn idempotent_calls_give_up_after_max_attempts_with_the_last_answer() {
    let server = MockServer::start().await;
    Mock::given(path("/q"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .expect(3)
        .mount(&server)
        .await;
    let r = client(2000)
        .send(Request::get("t", "query", url(&server, "/q")).idempotent())
        .await
        .unwrap();
    assert_eq!(r.status, 502);
    match r.require_success().unwrap_err() {
        HttpError::Status {
            host,
            status,
            snippet,
        } => assert_eq!(
            (host, status, snippet.as_str()),
            (server.address().to_string(), 502, "bad gateway")
        ),
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn creates_are_never_retried_not_on_5xx_and_not_on_timeout() {
    let server = MockServer::start().await;
    Mock::given(path("/create"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(800)))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(200);
    let r = c
        .send(Request::post_json(
            "t",
            "create",
            url(&server, "/create"),
            b"{}".to_vec(),
        ))
        .await
        .unwrap();
    assert_eq!(r.status, 500);
    let e = c
        .send(Request::post_json(
            "t",
            "create",
            url(&server, "/slow"),
            b"{}".to_vec(),
        ))
        .await
        .unwrap_err();
    assert!(matches!(e, HttpError::Timeout { .. }), "{e:?}");
    assert!(!e.never_sent());
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_that_was_never_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let u = Url::parse(&format!("http://127.0.0.1:{port}/x")).unwrap();
    let e = client(1000)
        .send(Request::post_json("t", "create", u, b"{}".to_vec()))
        .await
        .unwrap_err();
    assert!(
        matches!(e, HttpError::Connect { ref host, .. } if host == &format!("127.0.0.1:{port}")),
        "{e:?}"
    );
    assert!(e.never_sent());
}

#[tokio::test]
async fn a_truncated_body_is_a_body_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"code\":\"1")
            .await;
        let _ = sock.shutdown().await;
    });
    let u = Url::parse(&format!("http://{addr}/x")).unwrap();
    let e = client(2000)
        .send(Request::post_json("t", "create", u, b"{}".to_vec()))
        .await
        .unwrap_err();
    assert!(matches!(e, HttpError::Body { .. }), "{e:?}");
}

#[tokio::test]
async fn send_with_prepares_every_attempt_anew() {
    let server = MockServer::start().await;
    Mock::given(path("/q"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/q"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let mut prepared = 0;
    let r = client(2000)
        .send_with(|| {
            prepared += 1;
            Ok::<_, HttpError>(
                Request::post_text(
                    "t",
                    "query",
                    url(&server, "/q"),
                    "text/plain",
                    paysig::nonce(),
                )
                .idempotent(),
            )
        })
        .await
        .unwrap();
    assert_eq!((r.status, prepared), (200, 3));
    let bodies: std::collections::HashSet<Vec<u8>> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(bodies.len(), 3, "each attempt must carry its own nonce");

    // A non-idempotent first request is prepared and sent once.
    let mut prepared = 0;
    let r = client(2000)
        .send_with(|| {
            prepared += 1;
            Ok::<_, HttpError>(Request::post_text(
                "t",
                "refund",
                url(&server, "/none"),
                "text/plain",
                "x".into(),
            ))
        })
        .await
        .unwrap();
    assert_eq!((r.status, prepared), (404, 1));
}

#[tokio::test]
async fn send_each_runs_the_hook_before_every_attempt_and_may_change_host() {
    // Two servers: the first always fails, the hook sends attempt 2 to the second.
    let down = MockServer::start().await;
    Mock::given(path("/q"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&down)
        .await;
    let up = MockServer::start().await;
    Mock::given(path("/q"))
        .respond_with(ResponseTemplate::new(200).set_body_string("up"))
        .expect(1)
        .mount(&up)
        .await;
    let hosts = [url(&down, "/q"), url(&up, "/q")];
    let mut seen = Vec::new();
    let r = client(2000)
        .send_each(|attempt: u32| {
            seen.push(attempt);
            let url = hosts[(attempt as usize - 1) % 2].clone();
            async move { Ok::<_, HttpError>(Request::get("t", "query", url).idempotent()) }
        })
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.text_lossy().as_ref(), seen),
        (200, "up", vec![1, 2])
    );
    assert_eq!(down.received_requests().await.unwrap().len(), 1);

    // An error from the hook (no rate-limit slot, say) ends the loop unsent.
    let mut seen = Vec::new();
    let err = client(2000)
        .send_each(|attempt: u32| {
            seen.push(attempt);
            let req = Request::get("t", "query", url(&down, "/q")).idempotent();
            // An async step (a rate-limit slot, say) that refuses the second attempt.
            async move {
                tokio::task::yield_now().await;
                if attempt == 2 {
                    return Err(HttpError::Build("no slot".into()));
                }
                Ok(req)
            }
        })
        .await
        .unwrap_err();
    assert_eq!(
        (err, seen),
        (HttpError::Build("no slot".into()), vec![1, 2])
    );
    assert_eq!(down.received_requests().await.unwrap().len(), 2);

    // Not idempotent: the hook runs once and the request is sent once.
    let mut seen = 0;
    let r = client(2000)
        .send_each(|_| {
            seen += 1;
            std::future::ready(Ok::<_, HttpError>(Request::get(
                "t",
                "refund",
                url(&down, "/q"),
            )))
        })
        .await
        .unwrap();
    assert_eq!((r.status, seen), (503, 1));
}

#[tokio::test]
async fn an_error_page_echoing_the_request_does_not_carry_the_secret_into_the_error() {
    let server = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string("bad request: mch_id=1000123&secret=MERCHANT-SECRET-9"),
        )
        .mount(&server)
        .await;
    let r = client(2000)
        .send(Request::post_form(
            "mifeng",
            "accesstoken",
            url(&server, "/token"),
            "mch_id=1000123&secret=MERCHANT-SECRET-9".into(),
        ))
        .await
        .unwrap();
    let e = r.require_success().unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("MERCHANT-SECRET-9"), "{shown}");
    assert!(shown.contains("mch_id=1000123&secret=***"), "{shown}");
}

#[tokio::test]
async fn retry_after_is_honoured_on_429_and_503_for_idempotent_calls_only() {
    for status in [429u16, 503] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/q"))
            .respond_with(ResponseTemplate::new(status).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/q"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .expect(1)
            .mount(&server)
            .await;
        let started = std::time::Instant::now();
        let r = client(2_000)
            .send(Request::get("t", "query", url(&server, "/q")).idempotent())
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{status}");
        // The policy's own waits are at most 20 ms: only Retry-After explains a second.
        assert!(
            started.elapsed() >= Duration::from_millis(950),
            "{status}: waited {:?}",
            started.elapsed()
        );
    }
    // A create is never repeated, not even on a 429 that asks for it.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .expect(1)
        .mount(&server)
        .await;
    let r = client(2_000)
        .send(Request::post_form(
            "t",
            "create",
            url(&server, "/c"),
            "a=1".into(),
        ))
        .await
        .unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.retry_after, Some(Duration::ZERO));
}

#[tokio::test]
async fn a_retry_after_longer_than_the_policy_allows_returns_the_answer_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let r = client(2_000)
        .send(Request::get("t", "query", url(&server, "/q")).idempotent())
        .await
        .unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.retry_after, Some(Duration::from_secs(3600)));
    assert_eq!(
        paysig::http::status_class(r.status, paysig::class::Operation::Query),
        paysig::ErrorClass::RateLimited
    );
}

#[tokio::test]
async fn with_retry_on_429_off_a_429_is_returned_at_once_but_a_5xx_still_repeats() {
    let server = MockServer::start().await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let base = client(2000);
    let no_429 = base.with_retry(RetryPolicy {
        retry_on_429: false,
        ..base.retry_policy().clone()
    });
    let r = no_429
        .send(Request::get("t", "query", url(&server, "/limited")).idempotent())
        .await
        .unwrap();
    assert_eq!(r.status, 429);
    let r = no_429
        .send(Request::get("t", "query", url(&server, "/down")).idempotent())
        .await
        .unwrap();
    assert_eq!(r.status, 503);
}

#[tokio::test]
async fn by_default_a_429_is_repeated() {
    let server = MockServer::start().await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    assert!(RetryPolicy::default().retry_on_429);
    let r = client(2000)
        .send(Request::get("t", "query", url(&server, "/limited")).idempotent())
        .await
        .unwrap();
    assert_eq!(r.status, 200);
}
