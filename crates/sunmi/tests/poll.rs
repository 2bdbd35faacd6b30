//! `poll_until_final` under tokio's paused clock: no real 10 s waits.
//!
//! With a paused clock tokio auto-advances to the next timer whenever the runtime is idle,
//! including while it waits for socket I/O, which would fire the HTTP client's timeout
//! instead of reading wiremock's answer. [`ManualClock`] therefore inhibits auto-advance
//! (tokio does that while a blocking task runs) and moves the clock itself in 250 ms steps,
//! letting the loopback I/O complete in real time between steps.

mod common;

use std::time::Duration;
use sunmi::Client;
use sunmi::{Error, OrderRef, PollConfig, QueryRequest, Terminal, TradeState, UnpaidPolicy};
use tokio::task::JoinHandle;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct ManualClock {
    release: Option<std::sync::mpsc::Sender<()>>,
}

impl ManualClock {
    fn start() -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        // While this blocking task runs, tokio does not auto-advance the paused clock.
        drop(tokio::task::spawn_blocking(move || {
            let _ = rx.recv();
        }));
        ManualClock { release: Some(tx) }
    }

    async fn step(&self) {
        tokio::time::advance(Duration::from_millis(250)).await;
        // Real time for the mock server (on its own thread) to answer, then let the runtime
        // process the socket events.
        std::thread::sleep(Duration::from_millis(2));
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    async fn run_for(&self, simulated: Duration) {
        let steps = simulated.as_millis() / 250;
        for _ in 0..steps {
            self.step().await;
        }
    }

    async fn finish<T>(&self, handle: JoinHandle<T>) -> T {
        while !handle.is_finished() {
            self.step().await;
        }
        handle.await.unwrap()
    }
}

impl Drop for ManualClock {
    fn drop(&mut self) {
        self.release.take();
    }
}

fn client_for(server: &MockServer) -> Client {
    let cfg = common::config_for(&server.uri())
        .with_timeouts(Duration::from_secs(10), Duration::from_secs(30));
    Client::new(cfg).unwrap()
}

/// Runs one poll to its end under the manual clock; returns the result and the simulated
/// time it took.
async fn poll_with(
    server: &MockServer,
    cfg: PollConfig,
) -> (Result<sunmi::QueryResult, Error>, Duration) {
    let clock = ManualClock::start();
    let client = client_for(server);
    let start = tokio::time::Instant::now();
    let handle = tokio::spawn(async move { client.poll_until_final(&request(), &cfg).await });
    let out = clock.finish(handle).await;
    (out.map(sunmi::Reply::into_inner), start.elapsed())
}

fn query_body(state: u8) -> String {
    format!(
        r#"{{"code":"10000","msg":"","data":{{"amount":2,"buyerPayAmount":2,"misId":"M1","orderType":0,"payTime":1561454238,"platform":"wxpay","refunded":0,"resultCode":"T00","state":{state}}}}}"#
    )
}

fn request() -> QueryRequest {
    QueryRequest {
        terminal: Terminal::MerchantNo("820291573790006".into()),
        order: OrderRef::MisId("M1".into()),
    }
}

fn poll() -> PollConfig {
    PollConfig {
        initial_delay: Duration::from_secs(10),
        interval: Duration::from_secs(5),
        deadline: Duration::from_secs(60),
        unpaid: UnpaidPolicy::KeepPolling,
    }
}

async fn mount(server: &MockServer, body: String, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/trade/query"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .up_to_n_times(times)
        .mount(server)
        .await;
}

#[tokio::test(start_paused = true)]
async fn waits_ten_seconds_then_polls_until_success() {
    let server = MockServer::start().await;
    mount(&server, query_body(1), 2).await;
    mount(&server, query_body(3), 1).await;
    let (r, elapsed) = poll_with(&server, poll()).await;
    assert_eq!(r.unwrap().state, TradeState::Success);
    // 10 s initial delay, then two more queries 5 s apart.
    assert!(elapsed >= Duration::from_secs(20), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(25), "{elapsed:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn no_query_before_the_initial_delay() {
    let server = MockServer::start().await;
    mount(&server, query_body(3), 1).await;
    let clock = ManualClock::start();
    let client = client_for(&server);
    let handle = tokio::spawn(async move { client.poll_until_final(&request(), &poll()).await });
    clock.run_for(Duration::from_millis(9_750)).await;
    assert!(server.received_requests().await.unwrap().is_empty());
    let r = clock.finish(handle).await.unwrap();
    assert_eq!(r.state, TradeState::Success);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn times_out_with_the_last_state() {
    let server = MockServer::start().await;
    mount(&server, query_body(1), 100).await;
    let (r, _) = poll_with(&server, poll()).await;
    match r.unwrap_err() {
        Error::PollTimeout { last_state, waited } => {
            assert_eq!(last_state, Some(TradeState::Created));
            assert!(waited <= Duration::from_secs(60), "{waited:?}");
            assert!(waited >= Duration::from_secs(55), "{waited:?}");
        }
        other => panic!("expected PollTimeout, got {other:?}"),
    }
    // 10 s, then every 5 s while the next query still fits before 60 s: 10, 15, ..., 55 s.
    assert_eq!(server.received_requests().await.unwrap().len(), 10);
}

#[tokio::test(start_paused = true)]
async fn user_paying_sub_code_keeps_polling_and_other_codes_stop() {
    let server = MockServer::start().await;
    mount(
        &server,
        r#"{"code":"10000","msg":"","data":{"sub_code":"D07","sub_msg":"用户支付中"}}"#.into(),
        1,
    )
    .await;
    mount(
        &server,
        r#"{"code":"10000","msg":"","data":{"sub_code":"E19","sub_msg":"订单不存在"}}"#.into(),
        1,
    )
    .await;
    let (r, _) = poll_with(&server, poll()).await;
    let err = r.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                code: sunmi::BusinessCode::E19OrderNotFound,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn unpaid_is_final_only_when_configured() {
    let server = MockServer::start().await;
    mount(&server, query_body(2), 100).await;
    let mut cfg = poll();
    cfg.unpaid = UnpaidPolicy::Final;
    let (r, _) = poll_with(&server, cfg.clone()).await;
    assert_eq!(r.unwrap().state, TradeState::Unpaid);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    cfg.unpaid = UnpaidPolicy::KeepPolling;
    let (r, _) = poll_with(&server, cfg).await;
    assert!(matches!(
        r.unwrap_err(),
        Error::PollTimeout {
            last_state: Some(TradeState::Unpaid),
            ..
        }
    ));
}

#[tokio::test(start_paused = true)]
async fn an_invalid_request_fails_before_waiting() {
    let server = MockServer::start().await;
    let client = client_for(&server);
    let start = tokio::time::Instant::now();
    let bad = QueryRequest {
        terminal: Terminal::MerchantNo(String::new()),
        order: OrderRef::MisId("M1".into()),
    };
    let err = client.poll_until_final(&bad, &poll()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Validation {
            field: "merchantNo",
            ..
        }
    ));
    assert_eq!(start.elapsed(), Duration::ZERO);
}
