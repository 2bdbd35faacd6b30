//! Metrics and tracing against the embedded sandbox: a scripted set of calls and notifies,
//! then the rendered Prometheus text (parsed) must count exactly what was done, and the
//! spans must carry provider, account and order number and never a secret.
//!
//! Each test records into its own local recorder / subscriber (current-thread runtime, so
//! every task of the test runs where they are set): parallel tests cannot disturb the counts.

#![cfg(feature = "prometheus")]

use mifeng::TokenStore;
use payhub::adapters::mifeng::MifengGateway;
use payhub::adapters::pooul::PooulGateway;
use payhub::notify::MemoryOrders;
use payhub::{Hub, Money, NotifyOutcome, PayMethod, PaymentQuery, PaymentRequest, Provider};
use payhub_sandbox::{
    Faults, ProviderKind, RunningSandbox, Sandbox, SandboxConfig, SandboxKeys, pooul_codes,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

async fn start_sandbox() -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        time_scale: 10_000.0,
        keys: Some(SandboxKeys::generate().expect("keys")),
        auto_pay: None,
        mifeng_rate_limit_per_sec: 100_000,
        faults: Faults {
            // The test hands the notify bodies to the hub itself; none is sent.
            drop_notify_ratio: 1.0,
            ..Faults::default()
        },
        seed: 16,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn hub(sb: &RunningSandbox, tokens: Arc<mifeng::MemoryTokenStore>) -> Hub {
    let c = sb.pooul();
    let pooul = pooul::Client::new(pooul::Config::new(
        pooul::Environment::Custom(sb.base_url(ProviderKind::Pooul)),
        c.merchant_id.clone(),
        c.merchant_private_key.clone(),
        c.platform_public_key.clone(),
    ))
    .unwrap()
    .with_not_found_codes([pooul_codes::TRADE_NOT_FOUND]);
    let c = sb.mifeng();
    let mut config = mifeng::Config::new(
        mifeng::Environment::Custom(sb.base_url(ProviderKind::Mifeng)),
        c.mch_id.clone(),
        c.secret.clone(),
    );
    // A store of this test's own: the process-wide one would hold another test's token.
    config.token_store = Some(tokens);
    let mifeng = mifeng::Client::new(config).unwrap();
    Hub::builder()
        .gateway(Arc::new(PooulGateway::new(pooul)))
        .gateway(Arc::new(MifengGateway::new(mifeng)))
        .build()
}

fn pooul_request(order_no: &str, fen: u64) -> PaymentRequest {
    PaymentRequest::new(
        order_no,
        Money::from_fen(fen),
        "metrics test",
        "http://127.0.0.1:9/notify",
        PayMethod::WechatNative,
    )
    .client_ip("127.0.0.1")
}

/// What the script did, counted from what each call and notify returned.
#[derive(Debug, Default)]
struct Done {
    /// (provider, operation, class) → calls.
    calls: BTreeMap<(&'static str, &'static str, String), u64>,
    /// (outcome, reason) → notifies.
    notifies: BTreeMap<(&'static str, &'static str), u64>,
}

impl Done {
    fn call<T>(&mut self, p: Provider, op: &'static str, r: &Result<T, payhub::Error>) {
        let class = match r {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.class().label().to_owned(),
        };
        *self.calls.entry((p.as_str(), op, class)).or_default() += 1;
    }

    async fn notify(
        &mut self,
        hub: &Hub,
        orders: &MemoryOrders,
        headers: &http::HeaderMap,
        body: &[u8],
    ) {
        let r = hub
            .handle_notification(Provider::Pooul, headers, body, orders)
            .await;
        let key = match r {
            Ok(NotifyOutcome::New(delivery)) => {
                delivery.commit().await.expect("commit");
                ("verified", "none")
            }
            Ok(NotifyOutcome::Duplicate { .. }) => ("duplicate", "none"),
            Err(e) => ("refused", payhub::observe::refusal_code(&e)),
        };
        *self.notifies.entry(key).or_default() += 1;
    }
}

/// The pay notify the sandbox made for a paid order: its headers and exact body.
fn pay_notify(sb: &RunningSandbox, order_no: &str) -> (http::HeaderMap, Vec<u8>) {
    sb.pay(ProviderKind::Pooul, order_no).expect("paid");
    let record = sb
        .notifications_delivered(ProviderKind::Pooul)
        .into_iter()
        .find(|n| n.order_no == order_no)
        .expect("a notify for the paid order");
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        record.content_type.parse().unwrap(),
    );
    (headers, record.body.into_bytes())
}

/// Creates, queries, a failed query, a Mifeng create (a token refresh and two rate-limit
/// slots), then notifies: two verified, one duplicate, one amount mismatch, one tampered.
async fn script(sb: &RunningSandbox, hub: &Hub) -> Done {
    let mut done = Done::default();
    let creates = ["MC0001", "MC0002", "MC0003"];
    for (i, order_no) in creates.iter().enumerate() {
        let r = hub
            .create_payment(Provider::Pooul, &pooul_request(order_no, 100 + i as u64))
            .await;
        assert!(r.is_ok(), "{r:?}");
        done.call(Provider::Pooul, "create_payment", &r);
    }
    for order_no in &creates[..2] {
        let r = hub
            .query_payment(Provider::Pooul, &PaymentQuery::by_order_no(*order_no))
            .await;
        assert!(r.is_ok(), "{r:?}");
        done.call(Provider::Pooul, "query_payment", &r);
    }
    let r = hub
        .query_payment(Provider::Pooul, &PaymentQuery::by_order_no("MC9999"))
        .await;
    assert!(r.is_err(), "no such order: {r:?}");
    done.call(Provider::Pooul, "query_payment", &r);

    let mifeng_order = PaymentRequest::new(
        "MF0001",
        Money::from_fen(500),
        "metrics test",
        "http://127.0.0.1:9/notify",
        PayMethod::HostedCashier {
            channel: "1".into(),
            return_url: None,
        },
    )
    .client_ip("127.0.0.1");
    let r = hub.create_payment(Provider::Mifeng, &mifeng_order).await;
    assert!(r.is_ok(), "{r:?}");
    done.call(Provider::Mifeng, "create_payment", &r);

    let orders = MemoryOrders::default();
    orders.insert(Provider::Pooul, "MC0001", Money::from_fen(100));
    orders.insert(Provider::Pooul, "MC0002", Money::from_fen(101));
    // Not what was charged (102): the notify is refused.
    orders.insert(Provider::Pooul, "MC0003", Money::from_fen(999));
    let (h1, b1) = pay_notify(sb, "MC0001");
    let (h2, b2) = pay_notify(sb, "MC0002");
    let (h3, b3) = pay_notify(sb, "MC0003");
    done.notify(hub, &orders, &h1, &b1).await;
    done.notify(hub, &orders, &h2, &b2).await;
    done.notify(hub, &orders, &h1, &b1).await;
    done.notify(hub, &orders, &h3, &b3).await;
    // Pooul's notify is a JWS: one character of its signature changed.
    let mut tampered = b2.clone();
    let at = tampered.len() - 20;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    done.notify(hub, &orders, &h2, &tampered).await;
    done
}

/// The tests of this file run one at a time: tracing caches per call site whether anyone is
/// interested, across threads, so a span first met by the other test's thread (with no
/// subscriber there) while this one installs its own could go unrecorded.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

type Series = BTreeMap<(String, BTreeMap<String, String>), f64>;

/// Parses Prometheus text exposition: `name{k="v",...} value` lines, comments skipped.
fn parse(text: &str) -> Series {
    let mut out = Series::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        let mut map = BTreeMap::new();
        // Label values here hold no comma or quote (they are fixed words and names).
        for pair in labels.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').expect("k=v");
            map.insert(k.to_owned(), v.trim_matches('"').to_owned());
        }
        out.insert((name.to_owned(), map), value.parse().expect("a number"));
    }
    out
}

fn get(series: &Series, name: &str, labels: &[(&str, &str)]) -> f64 {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    series.get(&(name.to_owned(), want)).copied().unwrap_or(0.0)
}

fn total(series: &Series, name: &str) -> f64 {
    series
        .iter()
        .filter(|((n, _), _)| n == name)
        .map(|(_, v)| v)
        .sum()
}

#[tokio::test]
async fn metrics_match_calls() {
    use payhub::observe::names;
    let _serial = ONE_AT_A_TIME.lock().await;
    let recorder = payhub::observe::prometheus_builder().build_recorder();
    let handle = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);

    let sb = start_sandbox().await;
    let hub = hub(&sb, Arc::new(mifeng::MemoryTokenStore::new()));
    let done = script(&sb, &hub).await;
    let text = handle.render();
    let series = parse(&text);

    // The script did what it says (so the comparison below covers each kind).
    let ok_creates = done.calls[&("pooul", "create_payment", "ok".to_owned())];
    assert_eq!(ok_creates, 3);
    assert_eq!(done.calls[&("pooul", "query_payment", "ok".to_owned())], 2);
    let failed: Vec<_> = done
        .calls
        .iter()
        .filter(|((_, _, class), _)| class != "ok")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    // Pooul's "no such order" (with_not_found_codes) is a final refusal.
    assert_eq!(
        failed[0].0,
        &("pooul", "query_payment", "rejected".to_owned())
    );
    assert_eq!(
        done.notifies,
        BTreeMap::from([
            (("verified", "none"), 2),
            (("duplicate", "none"), 1),
            (("refused", "order_mismatch"), 1),
            (("refused", "verification_failed"), 1),
        ])
    );

    // Every call, exactly: the counter and the histogram's count, by its labels.
    for ((provider, operation, class), n) in &done.calls {
        let labels = [
            ("provider", *provider),
            ("account", "default"),
            ("operation", *operation),
            ("class", class.as_str()),
        ];
        assert_eq!(
            get(&series, names::CALLS, &labels),
            *n as f64,
            "{labels:?}\n{text}"
        );
        let count = format!("{}_count", names::CALL_DURATION);
        assert_eq!(get(&series, &count, &labels), *n as f64, "{labels:?}");
    }
    let calls: u64 = done.calls.values().sum();
    assert_eq!(
        total(&series, names::CALLS),
        calls as f64,
        "no other call counted"
    );

    for ((outcome, reason), n) in &done.notifies {
        let labels = [
            ("provider", "pooul"),
            ("account", "default"),
            ("outcome", *outcome),
            ("reason", *reason),
        ];
        assert_eq!(
            get(&series, names::NOTIFIES, &labels),
            *n as f64,
            "{labels:?}"
        );
    }
    let notifies: u64 = done.notifies.values().sum();
    assert_eq!(total(&series, names::NOTIFIES), notifies as f64);

    // Mifeng: one token fetched for the one create, whose call and token took a slot each.
    let mch_id = sb.mifeng().mch_id.as_str();
    let refreshes = [("mch_id", mch_id), ("class", "ok")];
    assert_eq!(get(&series, names::MIFENG_TOKEN_REFRESHES, &refreshes), 1.0);
    for lane in ["token", "call"] {
        let labels = [("mch_id", mch_id), ("lane", lane), ("result", "ok")];
        assert_eq!(
            get(&series, names::MIFENG_RATE_LIMIT_WAITS, &labels),
            1.0,
            "{lane}"
        );
    }
    assert_eq!(total(&series, names::MIFENG_RATE_LIMIT_WAITS), 2.0);

    // Bounded labels: no order number and no URL anywhere in the export.
    for unbounded in ["MC000", "MF000", "MC9999", "http", "127.0.0.1"] {
        assert!(!text.contains(unbounded), "{unbounded} in\n{text}");
    }
    sb.shutdown().await;
}

/// Every closed span (with the fields it was created with and those recorded later) and
/// every event, as `span name field=value ...` / `event target field=value ...` lines.
#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    open: Arc<Mutex<BTreeMap<u64, String>>>,
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

impl<S> tracing_subscriber::Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut f = Fields(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut f);
        self.open.lock().unwrap().insert(id.into_u64(), f.0);
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut open = self.open.lock().unwrap();
        if let Some(line) = open.get_mut(&id.into_u64()) {
            let mut f = Fields(std::mem::take(line));
            values.record(&mut f);
            *line = f.0;
        }
    }

    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut f = Fields(format!("event {}", event.metadata().target()));
        event.record(&mut f);
        self.lines.lock().unwrap().push(f.0);
    }

    fn on_close(&self, id: tracing::span::Id, _ctx: tracing_subscriber::layer::Context<'_, S>) {
        if let Some(line) = self.open.lock().unwrap().remove(&id.into_u64()) {
            self.lines.lock().unwrap().push(line);
        }
    }
}

#[tokio::test]
async fn spans_carry_provider_account_order_and_no_secret() {
    use tracing_subscriber::layer::SubscriberExt;
    let _serial = ONE_AT_A_TIME.lock().await;
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _default = tracing::subscriber::set_default(subscriber);

    let sb = start_sandbox().await;
    let tokens = Arc::new(mifeng::MemoryTokenStore::new());
    let hub = hub(&sb, tokens.clone());
    script(&sb, &hub).await;
    drop(hub);
    let mut lines = capture.lines.lock().unwrap().clone();
    // Spans still open (none should be) are checked too.
    lines.extend(capture.open.lock().unwrap().values().cloned());

    let has = |want: &[&str]| lines.iter().any(|l| want.iter().all(|w| l.contains(w)));
    let call = [
        "span payhub.call",
        "provider=pooul",
        "account=default",
        "operation=create_payment",
        "order_no=MC0001",
        "class=ok",
    ];
    assert!(has(&call), "{lines:#?}");
    let failed = lines
        .iter()
        .find(|l| l.starts_with("span payhub.call") && l.contains("order_no=MC9999"))
        .expect("the failed query's span");
    assert!(failed.contains("operation=query_payment"), "{failed}");
    assert!(
        failed.contains(" class=") && !failed.contains("class=ok"),
        "{failed}"
    );
    assert!(has(&[
        "span payhub.call",
        "provider=mifeng",
        "account=default",
        "operation=create_payment",
        "order_no=MF0001",
        "class=ok",
    ]));
    // The order number is recorded once the notify is verified, with the outcome.
    let verified = [
        "span payhub.notify",
        "provider=pooul",
        "account=default",
        "order_no=MC0001",
        "outcome=verified",
        "reason=none",
    ];
    assert!(has(&verified), "{lines:#?}");
    assert!(has(&[
        "span payhub.notify",
        "order_no=MC0001",
        "outcome=duplicate",
    ]));
    assert!(has(&[
        "span payhub.notify",
        "order_no=MC0003",
        "outcome=refused",
        "reason=order_mismatch",
    ]));
    // A body that does not verify: its order number is not trusted, so none is recorded.
    let forged = lines
        .iter()
        .find(|l| l.starts_with("span payhub.notify") && l.contains("reason=verification_failed"))
        .expect("the tampered notify's span");
    assert!(!forged.contains("order_no=MC"), "{forged}");

    // No secret in any span or event: the Mifeng secret and the token it was given, the
    // Pooul private key (any line of its PEM).
    let token = tokens
        .current(&sb.mifeng().mch_id)
        .await
        .unwrap()
        .expect("a token was fetched");
    let mut secrets = vec![
        paysig::ExposeSecret::expose_secret(&sb.mifeng().secret).to_owned(),
        paysig::ExposeSecret::expose_secret(&token.token).to_owned(),
    ];
    let pem = sb.credentials_json(ProviderKind::Pooul)["merchant_private_key"]
        .as_str()
        .unwrap()
        .to_owned();
    secrets.extend(
        pem.lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
            .map(str::to_owned),
    );
    assert!(secrets.len() > 3 && secrets.iter().all(|s| s.len() >= 8));
    for line in &lines {
        for secret in &secrets {
            assert!(!line.contains(secret.as_str()), "a secret in: {line}");
        }
    }
    sb.shutdown().await;
}

/// Refusals the axum router answers before an account's pipeline runs are counted too, under
/// fixed labels: a path's made-up provider or account never becomes a label value.
#[cfg(feature = "axum")]
#[tokio::test]
async fn refusals_before_the_pipeline_are_counted_without_minting_labels() {
    use payhub::observe::names;
    struct Accept;
    #[payhub::async_trait]
    impl payhub::axum::NotificationHandler for Accept {
        async fn handle(
            &self,
            _: payhub::Verified<payhub::Notification>,
        ) -> Result<(), payhub::BoxError> {
            Ok(())
        }
    }
    let _serial = ONE_AT_A_TIME.lock().await;
    let recorder = payhub::observe::prometheus_builder().build_recorder();
    let handle = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);

    let sb = start_sandbox().await;
    let hub = Arc::new(hub(&sb, Arc::new(mifeng::MemoryTokenStore::new())));
    let app = payhub::axum::notify_router(hub, Arc::new(MemoryOrders::default()), Arc::new(Accept));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    for (path, body, status, code) in [
        ("/notify/paypal", "x".to_owned(), 404, "unknown_provider"),
        (
            "/notify/pooul/evil-7f3a",
            "x".to_owned(),
            404,
            "unknown_account",
        ),
        (
            "/notify/sunmi",
            "x".to_owned(),
            404,
            "provider_not_configured",
        ),
        ("/notify/pooul", "x".repeat(70_000), 413, "body_too_large"),
        // Reaches the pipeline, which counts it itself (once).
        (
            "/notify/pooul",
            "not a jwt".to_owned(),
            400,
            "verification_failed",
        ),
    ] {
        let resp = client
            .post(format!("{base}{path}"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{path}");
        assert_eq!(resp.text().await.unwrap(), code, "{path}");
    }

    let series = parse(&handle.render());
    let refused = |provider: &str, account: &str, reason: &str| {
        get(
            &series,
            names::NOTIFIES,
            &[
                ("provider", provider),
                ("account", account),
                ("outcome", "refused"),
                ("reason", reason),
            ],
        )
    };
    assert_eq!(refused("unknown", "unknown", "unknown_provider"), 1.0);
    assert_eq!(refused("pooul", "unknown", "unknown_account"), 1.0);
    assert_eq!(refused("sunmi", "unknown", "provider_not_configured"), 1.0);
    assert_eq!(refused("pooul", "default", "body_too_large"), 1.0);
    assert_eq!(refused("pooul", "default", "verification_failed"), 1.0);
    assert_eq!(total(&series, names::NOTIFIES), 5.0);
    let text = handle.render();
    assert!(!text.contains("evil") && !text.contains("paypal"), "{text}");
}
