//! The common.micro flow (reminders 1 and 2) on tokio's paused clock: no real waiting.
//!
//! reqwest's own timeout is a tokio timer, and a paused runtime with nothing to do jumps the
//! clock to the next timer, which would fire that timeout while a request is on the wire.
//! A background ticker keeps a 1 ms timer always pending, so the paused clock creeps in
//! 1 ms steps instead of jumping; the flow's 10 s sleeps still pass in milliseconds.
//! The mock records the paused clock at each request, which is what the assertions read.

mod common;

use common::*;
use paysig::Money;
use pooul::{Error, MicroPayOutcome, PayRequest, PayType, ReverseDelay, TradeState};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::time::Instant;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::method};

const ID: &str = "alextest.micro.78";

/// Answers each path from its own script (the last answer repeats) and logs
/// (path, paused-clock seconds since the start) per request.
struct Script {
    answers: Mutex<HashMap<String, VecDeque<ResponseTemplate>>>,
    log: Arc<Mutex<Vec<(String, Duration)>>>,
    runtime: Handle,
    start: Instant,
}

impl Respond for Script {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let now = {
            let _in_test_runtime = self.runtime.enter();
            Instant::now()
        };
        let path = req.url.path().to_owned();
        self.log
            .lock()
            .unwrap()
            .push((path.clone(), now - self.start));
        let mut answers = self.answers.lock().unwrap();
        let queue = answers.get_mut(&path).expect("scripted path");
        if queue.len() > 1 {
            queue.pop_front().unwrap()
        } else {
            queue.front().unwrap().clone()
        }
    }
}

fn state(s: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_string(pooul_answer(
        "success",
        json!({"trade_id": "5b378a06", "mch_trade_id": ID, "merchant_id": MERCHANT_ID, "trade_state": s}),
    ))
}

fn reversed() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_string(signed(&json!({"code": 0, "msg": "success"}), &keys().pooul))
}

struct Run {
    outcome: Result<MicroPayOutcome, Error>,
    log: Vec<(String, f64)>,
}

async fn run(
    script: Vec<(&str, Vec<ResponseTemplate>)>,
    tune: impl FnOnce(&mut pooul::Config),
) -> Run {
    tokio::spawn(async {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let server = MockServer::start().await;
    let mut cfg = config(&server.uri());
    cfg.http.timeout = Duration::from_secs(3600);
    cfg.http.connect_timeout = Duration::from_secs(3600);
    cfg.http.retry = paysig::http::RetryPolicy::none();
    tune(&mut cfg);
    // Open the pooled connection first, so the first scripted request creeps no more than
    // the others.
    let http = paysig::http::HttpClient::new(cfg.http.clone()).unwrap();
    let warm_up = paysig::http::Request::get("test", "warm-up", server.uri().parse().unwrap());
    http.send(warm_up).await.unwrap();
    let client = pooul::Client::with_http(cfg, http).unwrap();

    let log = Arc::new(Mutex::new(Vec::new()));
    let responder = Script {
        answers: Mutex::new(
            script
                .into_iter()
                .map(|(p, a)| (p.to_owned(), a.into()))
                .collect(),
        ),
        log: log.clone(),
        runtime: Handle::current(),
        start: Instant::now(),
    };
    Mock::given(method("POST"))
        .respond_with(responder)
        .mount(&server)
        .await;
    let req = PayRequest::new(
        PayType::Micro {
            auth_code: "136345610916464024".into(),
        },
        ID,
        Money::from_fen(1223),
        "Alex Test Micro",
    )
    .spbill_create_ip("127.0.0.1");
    let outcome = client.micro_pay(&req).await;
    let log = log
        .lock()
        .unwrap()
        .iter()
        .map(|(p, d)| (p.clone(), d.as_secs_f64()))
        .collect();
    Run { outcome, log }
}

/// Asserts the requests' paths and that each came at `at` seconds: never sooner, and later
/// only by the creep of the clock while requests are on the wire (well under 3 s).
/// The paused-clock tests run one at a time: each keeps a 1 ms ticker busy, and running a
/// dozen side by side on a small machine makes the clock creep more than the tolerance.
/// A std mutex on purpose: each test has its own runtime on its own thread, and blocking
/// that thread until the previous test is done is exactly what is wanted (hence the
/// `await_holding_lock` allowance on the tests).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Tolerance for creep: below the shortest scheduled gap (5 s), so a step one interval late
/// still fails, while a slow machine does not.
const CREEP: f64 = 4.5;

fn assert_timeline(log: &[(String, f64)], want: &[(&str, f64)]) {
    let paths: Vec<&str> = log.iter().map(|(p, _)| p.as_str()).collect();
    let want_paths: Vec<&str> = want.iter().map(|(p, _)| *p).collect();
    assert_eq!(paths, want_paths, "{log:?}");
    for ((path, at), (_, want_at)) in log.iter().zip(want) {
        assert!(
            *at >= *want_at && *at < want_at + CREEP,
            "{path} at {at}s, expected {want_at}s: {log:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn paying_paying_success_is_paid_after_two_queries() {
    let _serial = serial();
    let r = run(
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![state(6), state(0)]),
        ],
        |_| {},
    )
    .await;
    match r.outcome.unwrap() {
        MicroPayOutcome::PaidAfterQuery { trade, queries } => {
            assert_eq!(queries, 2);
            assert_eq!(trade.data.trade_state, TradeState::Success);
        }
        other => panic!("{other:?}"),
    }
    assert_timeline(
        &r.log,
        &[
            ("/v2/pay", 0.0),
            ("/v2/pay/query", 10.0),
            ("/v2/pay/query", 20.0),
        ],
    );
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn paying_until_the_deadline_is_reversed() {
    let _serial = serial();
    let r = run(
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![state(6)]),
            ("/v2/pay/reverse", vec![reversed()]),
        ],
        |_| {},
    )
    .await;
    match r.outcome.unwrap() {
        MicroPayOutcome::Reversed {
            last_state,
            queries,
            reverse_attempts,
            ack,
        } => {
            assert_eq!(
                (last_state, queries, reverse_attempts),
                (Some(TradeState::Paying), 3, 1)
            );
            assert_eq!(ack.msg.as_deref(), Some("success"));
        }
        other => panic!("{other:?}"),
    }
    assert_timeline(
        &r.log,
        &[
            ("/v2/pay", 0.0),
            ("/v2/pay/query", 10.0),
            ("/v2/pay/query", 20.0),
            ("/v2/pay/query", 30.0),
            ("/v2/pay/reverse", 30.0),
        ],
    );
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_short_deadline_still_waits_15_seconds_before_reversing() {
    let _serial = serial();
    let short = |c: &mut pooul::Config| {
        let t = &mut c.micropay;
        t.poll_interval = Duration::from_secs(4);
        t.poll_deadline = Duration::from_secs(8);
    };
    let script = || {
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![state(2)]),
            ("/v2/pay/reverse", vec![reversed()]),
        ]
    };
    let r = run(script(), short).await;
    assert!(
        matches!(r.outcome, Ok(MicroPayOutcome::Reversed { queries: 2, .. })),
        "{:?}",
        r.outcome
    );
    assert_timeline(
        &r.log,
        &[
            ("/v2/pay", 0.0),
            ("/v2/pay/query", 4.0),
            ("/v2/pay/query", 8.0),
            ("/v2/pay/reverse", 15.0),
        ],
    );
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn the_caller_may_override_the_reverse_delay() {
    let _serial = serial();
    let r = run(
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![state(6)]),
            ("/v2/pay/reverse", vec![reversed()]),
        ],
        |c| {
            let t = &mut c.micropay;
            t.poll_interval = Duration::from_secs(4);
            t.poll_deadline = Duration::from_secs(8);
            t.reverse_delay = ReverseDelay::Override(Duration::from_secs(9));
        },
    )
    .await;
    assert!(
        matches!(r.outcome, Ok(MicroPayOutcome::Reversed { .. })),
        "{:?}",
        r.outcome
    );
    assert_timeline(
        &r.log,
        &[
            ("/v2/pay", 0.0),
            ("/v2/pay/query", 4.0),
            ("/v2/pay/query", 8.0),
            ("/v2/pay/reverse", 9.0),
        ],
    );
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_failed_reverse_is_repeated() {
    let _serial = serial();
    let r = run(
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![state(6)]),
            (
                "/v2/pay/reverse",
                vec![ResponseTemplate::new(502), reversed()],
            ),
        ],
        |_| {},
    )
    .await;
    assert!(
        matches!(
            r.outcome,
            Ok(MicroPayOutcome::Reversed {
                reverse_attempts: 2,
                ..
            })
        ),
        "{:?}",
        r.outcome
    );
    let reverses: Vec<f64> = r
        .log
        .iter()
        .filter(|(p, _)| p == "/v2/pay/reverse")
        .map(|(_, t)| *t)
        .collect();
    assert_eq!(reverses.len(), 2);
    assert!(reverses[1] - reverses[0] >= 5.0, "{reverses:?}");
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_reverse_that_keeps_failing_is_an_error() {
    let _serial = serial();
    let r = run(
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![state(6)]),
            ("/v2/pay/reverse", vec![ResponseTemplate::new(502)]),
        ],
        |_| {},
    )
    .await;
    assert!(
        matches!(&r.outcome, Err(Error::ReverseFailed { attempts: 3, .. })),
        "{:?}",
        r.outcome
    );
}

/// The repeats stop at `reverse_attempts` calls, `reverse_retry_interval` apart, and the
/// error carries the last call's failure.
#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_failing_reverse_is_sent_reverse_attempts_times_5_seconds_apart() {
    let _serial = serial();
    let r = run(
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![state(6)]),
            ("/v2/pay/reverse", vec![ResponseTemplate::new(502)]),
        ],
        |_| {},
    )
    .await;
    match &r.outcome {
        Err(Error::ReverseFailed {
            mch_trade_id,
            attempts,
            last,
        }) => {
            assert_eq!((mch_trade_id.as_str(), *attempts), (ID, 3));
            assert!(
                matches!(
                    **last,
                    Error::Http {
                        source: paysig::http::HttpError::Status { status: 502, .. },
                        ..
                    }
                ),
                "{last:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_timeline(
        &r.log,
        &[
            ("/v2/pay", 0.0),
            ("/v2/pay/query", 10.0),
            ("/v2/pay/query", 20.0),
            ("/v2/pay/query", 30.0),
            ("/v2/pay/reverse", 30.0),
            ("/v2/pay/reverse", 35.0),
            ("/v2/pay/reverse", 40.0),
        ],
    );
}

/// A zero retry interval repeats the reverse at once, still no more than `reverse_attempts`
/// times.
#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_zero_reverse_retry_interval_repeats_at_once() {
    let _serial = serial();
    let r = run(
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![state(6)]),
            (
                "/v2/pay/reverse",
                vec![ResponseTemplate::new(502), reversed()],
            ),
        ],
        |c| {
            c.micropay.reverse_retry_interval = Duration::ZERO;
            c.micropay.reverse_attempts = 2;
        },
    )
    .await;
    assert!(
        matches!(
            r.outcome,
            Ok(MicroPayOutcome::Reversed {
                reverse_attempts: 2,
                queries: 3,
                ..
            })
        ),
        "{:?}",
        r.outcome
    );
    assert_timeline(
        &r.log,
        &[
            ("/v2/pay", 0.0),
            ("/v2/pay/query", 10.0),
            ("/v2/pay/query", 20.0),
            ("/v2/pay/query", 30.0),
            ("/v2/pay/reverse", 30.0),
            ("/v2/pay/reverse", 30.0),
        ],
    );
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_pay_without_usable_answer_is_queried_after_5_seconds() {
    let _serial = serial();
    let r = run(
        vec![
            ("/v2/pay", vec![ResponseTemplate::new(500)]),
            ("/v2/pay/query", vec![state(0)]),
        ],
        |_| {},
    )
    .await;
    assert!(
        matches!(
            r.outcome,
            Ok(MicroPayOutcome::PaidAfterQuery { queries: 1, .. })
        ),
        "{:?}",
        r.outcome
    );
    assert_timeline(&r.log, &[("/v2/pay", 0.0), ("/v2/pay/query", 5.0)]);
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn paid_at_once_and_closed_end_without_reverse() {
    let _serial = serial();
    let r = run(vec![("/v2/pay", vec![state(0)])], |_| {}).await;
    assert!(
        matches!(r.outcome, Ok(MicroPayOutcome::PaidAtOnce(_))),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.log.len(), 1);

    let r = run(
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![state(3)]),
        ],
        |_| {},
    )
    .await;
    assert!(
        matches!(
            r.outcome,
            Ok(MicroPayOutcome::NotPaid {
                state: TradeState::Closed,
                queries: 1
            })
        ),
        "{:?}",
        r.outcome
    );
}

fn refusal(payload: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_string(signed(&payload, &keys().pooul))
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_plain_refusal_is_returned_without_querying() {
    let _serial = serial();
    let refused = refusal(json!({"code": 1, "msg": "付款码无效"}));
    let r = run(vec![("/v2/pay", vec![refused])], |_| {}).await;
    assert!(
        matches!(r.outcome, Err(Error::Api { code: 1, .. })),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.log.len(), 1);
}

/// Reminder 1: "当返回结果为“系统错误”时，商户系统等待5秒后调用【查询订单API】".
#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_system_error_answer_is_queried_after_5_s() {
    let _serial = serial();
    let system_error = refusal(json!({"code": 1, "msg": "系统错误"}));
    let r = run(
        vec![
            ("/v2/pay", vec![system_error]),
            ("/v2/pay/query", vec![state(0)]),
        ],
        |_| {},
    )
    .await;
    assert!(
        matches!(
            r.outcome,
            Ok(MicroPayOutcome::PaidAfterQuery { queries: 1, .. })
        ),
        "{:?}",
        r.outcome
    );
    assert_timeline(&r.log, &[("/v2/pay", 0.0), ("/v2/pay/query", 5.0)]);
}

/// The words may come as WeChat's code, in `trade_info` only, and unsigned; the state stays
/// unclear, so the order is reversed (reminder 2).
#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_systemerror_in_trade_info_that_stays_unclear_is_reversed() {
    let _serial = serial();
    let system_error = refusal(json!({"code": 500, "msg": "failed",
        "data": {"trade_info": "SYSTEMERROR, 系统超时"}}));
    let r = run(
        vec![
            ("/v2/pay", vec![system_error]),
            ("/v2/pay/query", vec![state(6)]),
            ("/v2/pay/reverse", vec![reversed()]),
        ],
        |_| {},
    )
    .await;
    assert!(
        matches!(
            r.outcome,
            Ok(MicroPayOutcome::Reversed {
                last_state: Some(TradeState::Paying),
                reverse_attempts: 1,
                ..
            })
        ),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.log.last().unwrap().0, "/v2/pay/reverse");

    let unsigned = ResponseTemplate::new(200).set_body_string(r#"{"code":1,"msg":"SystemError"}"#);
    let r = run(
        vec![
            ("/v2/pay", vec![unsigned]),
            ("/v2/pay/query", vec![state(0)]),
        ],
        |_| {},
    )
    .await;
    assert!(
        matches!(r.outcome, Ok(MicroPayOutcome::PaidAfterQuery { .. })),
        "{:?}",
        r.outcome
    );
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn every_refusal_can_be_queried_by_configuration() {
    let _serial = serial();
    let refused = refusal(json!({"code": 1, "msg": "付款码无效"}));
    let r = run(
        vec![
            ("/v2/pay", vec![refused]),
            ("/v2/pay/query", vec![state(3)]),
        ],
        |c| c.micropay_api_errors = pooul::MicroPayApiErrors::QueryAll,
    )
    .await;
    assert!(
        matches!(
            r.outcome,
            Ok(MicroPayOutcome::NotPaid {
                state: TradeState::Closed,
                queries: 1
            })
        ),
        "{:?}",
        r.outcome
    );

    // ReturnError still wins: the caller settles the order itself.
    let system_error = refusal(json!({"code": 1, "msg": "系统错误"}));
    let r = run(vec![("/v2/pay", vec![system_error])], |c| {
        c.micropay_unknown_outcome = pooul::UnknownPayOutcome::ReturnError;
    })
    .await;
    assert!(
        matches!(&r.outcome, Err(e @ Error::Api { .. }) if e.is_system_error()),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.log.len(), 1);
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn a_pay_answer_that_fails_verification_is_queried_not_trusted() {
    let _serial = serial();
    let forged = ResponseTemplate::new(200).set_body_string(signed(
        &json!({"code": 0, "msg": "success", "data": {"trade_id": "t", "mch_trade_id": ID, "trade_state": 3}}),
        &keys().other,
    ));
    let r = run(
        vec![("/v2/pay", vec![forged]), ("/v2/pay/query", vec![state(0)])],
        |_| {},
    )
    .await;
    assert!(
        matches!(
            r.outcome,
            Ok(MicroPayOutcome::PaidAfterQuery { queries: 1, .. })
        ),
        "{:?}",
        r.outcome
    );
    assert_timeline(&r.log, &[("/v2/pay", 0.0), ("/v2/pay/query", 5.0)]);
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn an_unknown_pay_outcome_can_be_returned_instead_of_queried() {
    let _serial = serial();
    let r = run(vec![("/v2/pay", vec![ResponseTemplate::new(500)])], |c| {
        c.micropay_unknown_outcome = pooul::UnknownPayOutcome::ReturnError;
    })
    .await;
    assert!(
        matches!(
            r.outcome,
            Err(Error::Http {
                source: paysig::http::HttpError::Status { status: 500, .. },
                ..
            })
        ),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.log.len(), 1);
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)]
async fn paid_with_another_amount_is_a_mismatch() {
    let _serial = serial();
    let paid_less = ResponseTemplate::new(200).set_body_string(pooul_answer(
        "success",
        json!({"trade_id": "t", "mch_trade_id": ID, "trade_state": 0, "total_fee": 1}),
    ));
    let r = run(
        vec![
            ("/v2/pay", vec![state(6)]),
            ("/v2/pay/query", vec![paid_less]),
        ],
        |_| {},
    )
    .await;
    assert!(
        matches!(&r.outcome, Err(Error::ResponseMismatch { field: "total_fee", got, .. }) if got == "1"),
        "{:?}",
        r.outcome
    );
}
