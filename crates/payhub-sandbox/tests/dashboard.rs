//! The dashboard in a real browser: headless Chromium driven over WebDriver (fantoccini).
//! Needs a chromedriver at `PAYHUB_WEBDRIVER_URL`; `cargo xtask ci` installs Debian's
//! `chromium` and `chromium-driver` when missing, starts chromedriver and sets it. Hence
//! `#[ignore]`: CI runs them with `--include-ignored`. Screenshots go to
//! `target/screenshots/`.

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use fantoccini::{Client, ClientBuilder, Locator};
use payhub_sandbox::{OrderStatus, ProviderKind, RunningSandbox};
use paysig::Money;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);

fn webdriver_url() -> String {
    std::env::var("PAYHUB_WEBDRIVER_URL").expect(
        "PAYHUB_WEBDRIVER_URL must name a running chromedriver (`cargo xtask ci` starts one; \
         or run `chromedriver --port=9515` and set it to http://127.0.0.1:9515)",
    )
}

/// A fresh headless Chromium with its own profile directory.
async fn browser(width: u32, height: u32) -> Client {
    static N: AtomicUsize = AtomicUsize::new(0);
    let profile = std::env::temp_dir().join(format!(
        "payhub-chromium-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let binary = std::env::var("PAYHUB_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": binary,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},{height}"),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&webdriver_url())
        .await
        .expect("a chromedriver session")
}

fn screenshots() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|t| t.join("screenshots"))
        .expect("target dir");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let path = screenshots().join(name);
    std::fs::write(&path, png).expect("write screenshot");
    println!("screenshot: {}", path.display());
}

/// Polls `f` until it returns `Some` or WAIT passes.
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The merchant's notify receiver: verifies each notify with the Sunmi SDK and acknowledges
/// only a verified one.
#[derive(Clone)]
struct Merchant {
    key: paysig::RsaPublicKey,
    verified: Arc<Mutex<Vec<sunmi::Notification>>>,
}

async fn receive(State(m): State<Merchant>, body: Bytes) -> (StatusCode, &'static str) {
    match sunmi::verify_notify(&body, &m.key) {
        Ok(n) => {
            m.verified.lock().expect("lock").push(n.into_inner());
            (StatusCode::OK, sunmi::ACK)
        }
        Err(_) => (StatusCode::BAD_REQUEST, "bad notify"),
    }
}

async fn start_merchant(sb: &RunningSandbox) -> (Merchant, url::Url) {
    let m = Merchant {
        key: sb.sunmi().platform_public_key.clone(),
        verified: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/notify", axum::routing::post(receive))
        .with_state(m.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (
        m,
        url::Url::parse(&format!("http://{addr}/notify")).expect("url"),
    )
}

fn sunmi_client(sb: &RunningSandbox) -> sunmi::Client {
    let c = sb.sunmi();
    sunmi::Client::new(sunmi::Config::new(
        sunmi::Environment::Custom(sb.base_url(ProviderKind::Sunmi)),
        c.app_id.clone(),
        c.app_key.clone(),
        c.platform_public_key.clone(),
    ))
    .expect("client")
}

async fn create_sunmi(sb: &RunningSandbox, order_id: &str, fen: u64, notify: Option<&url::Url>) {
    sunmi_client(sb)
        .js_api_pay(&sunmi::JsApiPayRequest {
            merchant_no: sb.sunmi().merchant_no.clone(),
            total_amount: Money::from_fen(fen),
            mini_app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
            order_id: order_id.into(),
            wallet_type: Default::default(),
            notify_url: notify.map(url::Url::to_string),
        })
        .await
        .expect("order created through the SDK");
}

/// Opens the dashboard and waits until its live updates are connected and the first refresh
/// they trigger is over (elements found later are not replaced under the test's hands).
async fn open_dashboard(c: &Client, sb: &RunningSandbox) {
    c.goto(sb.dashboard_url().as_str()).await.expect("open");
    eventually("the live indicator", || async {
        (text_of(c, "#live").await? == "live").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
}

async fn text_of(c: &Client, css: &str) -> Option<String> {
    let el = c.find(Locator::Css(css)).await.ok()?;
    el.text().await.ok()
}

/// The page's status line once it shows an outcome (not the "…" of a running action).
async fn message(c: &Client) -> (String, String) {
    eventually("the page's message", || async {
        let el = c.find(Locator::Css("#message")).await.ok()?;
        let text = el.text().await.ok()?;
        let class = el.attr("class").await.ok()??;
        (!text.is_empty() && !text.ends_with('…')).then_some((text, class))
    })
    .await
}

#[tokio::test]
#[ignore = "needs chromedriver at PAYHUB_WEBDRIVER_URL (cargo xtask ci)"]
async fn dashboard_pay_delivers_notify() {
    let sb = common::sandbox().await;
    let (merchant, notify_url) = start_merchant(&sb).await;
    // 1. An order created through the SDK.
    create_sunmi(&sb, "DASH-PAY-1", 123, Some(&notify_url)).await;

    let c = browser(1280, 1400).await;
    open_dashboard(&c, &sb).await;
    let card = "article[data-order=\"sunmi/DASH-PAY-1\"]";
    let shown = text_of(&c, card).await.expect("the order is on the page");
    assert!(shown.contains("¥1.23"), "{shown}");
    assert!(shown.to_lowercase().contains("created"), "{shown}");

    // 2. Click "pay" on the page.
    c.find(Locator::Css(&format!("{card} button[data-action=\"pay\"]")))
        .await
        .expect("pay button")
        .click()
        .await
        .expect("click pay");

    // 3. The merchant's receiver gets a verified notify of this order and amount.
    let got = eventually("a verified notify", || async {
        merchant.verified.lock().expect("lock").first().cloned()
    })
    .await;
    assert_eq!(got.order_id, "DASH-PAY-1");
    got.check_amount(Money::from_fen(123)).expect("amount");
    assert_eq!(
        sb.order_state(ProviderKind::Sunmi, "DASH-PAY-1")
            .unwrap()
            .status,
        OrderStatus::Paid
    );

    // 4. The page's delivery log shows the attempt and the merchant's answer, live.
    let row = format!("{card} tr.attempt[data-attempt=\"1\"]");
    let attempt = eventually("the attempt in the delivery log", || async {
        let t = text_of(&c, &row).await?;
        t.contains("acknowledged").then_some(t)
    })
    .await;
    assert!(attempt.contains("+0s"), "{attempt}");
    assert!(attempt.contains("200"), "{attempt}");
    assert!(attempt.contains("success"), "{attempt}");
    let status = text_of(&c, &format!("{card} .status")).await.unwrap();
    assert_eq!(status.to_lowercase(), "paid");
    let log = text_of(&c, &format!("{card} details.log")).await.unwrap();
    assert!(log.contains(notify_url.as_str()), "{log}");
    assert!(log.contains("acknowledged"), "{log}");
    screenshot(&c, "dashboard.png").await;

    // From a phone-width window up: nothing wider than the window.
    c.set_window_size(390, 844).await.expect("resize");
    open_dashboard(&c, &sb).await;
    text_of(&c, card).await.expect("the order at phone width");
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .expect("measure");
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "page wider than a phone: {overflow}"
    );
    screenshot(&c, "dashboard-phone.png").await;
    c.close().await.expect("close");
    sb.shutdown().await;
}

#[tokio::test]
#[ignore = "needs chromedriver at PAYHUB_WEBDRIVER_URL (cargo xtask ci)"]
async fn dashboard_shows_provider_errors_for_bad_input() {
    let sb = common::sandbox().await;
    create_sunmi(&sb, "DASH-BAD-1", 123, None).await;
    sb.pay(ProviderKind::Sunmi, "DASH-BAD-1").expect("paid");
    let c = browser(1280, 1000).await;
    open_dashboard(&c, &sb).await;
    let card = "article[data-order=\"sunmi/DASH-BAD-1\"]";

    // A refund over the total, typed into the order's card: Sunmi's E22.
    let amount = c
        .find(Locator::Css(&format!("{card} input[name=\"amount\"]")))
        .await
        .expect("refund amount input");
    amount.send_keys("2.00").await.expect("type");
    c.find(Locator::Css(&format!(
        "{card} button[data-action=\"refund\"]"
    )))
    .await
    .expect("refund button")
    .click()
    .await
    .expect("click");
    let (text, class) = message(&c).await;
    assert!(class.contains("error"), "{class}: {text}");
    assert!(text.contains("10000 E22 退款金额有误"), "{text}");
    let o = sb.order_state(ProviderKind::Sunmi, "DASH-BAD-1").unwrap();
    assert_eq!(o.refunded, Money::ZERO, "nothing refunded");

    // An unknown order, through the "act on an order" form.
    let act = |provider: &'static str, order: &'static str| {
        let c = c.clone();
        async move {
            let form = c.form(Locator::Css("#act-form")).await.expect("form");
            form.set_by_name("provider", provider)
                .await
                .expect("provider");
            form.set_by_name("order_no", order).await.expect("order");
            form.set_by_name("amount", "1.00").await.expect("amount");
            // Clear the previous outcome so the next one is this action's.
            c.execute("document.getElementById('message').textContent='';", vec![])
                .await
                .expect("clear");
            c.find(Locator::Css("#act-form button[data-action=\"refund\"]"))
                .await
                .expect("refund")
                .click()
                .await
                .expect("click");
            message(&c).await
        }
    };
    let (text, class) = act("sunmi", "NO-SUCH-ORDER").await;
    assert!(class.contains("error"), "{class}: {text}");
    assert!(text.contains("E19 订单不存在"), "{text}");
    let (text, _) = act("beecloud", "NOSUCHBILL").await;
    assert!(text.contains("8 NO_SUCH_BILL"), "{text}");
    let (text, _) = act("pooul", "NO-SUCH-TRADE").await;
    assert!(text.contains("1007"), "{text}");
    screenshot(&c, "dashboard-error.png").await;

    // A part refund through the card succeeds and shows on the page.
    let amount = c
        .find(Locator::Css(&format!("{card} input[name=\"amount\"]")))
        .await
        .expect("refund amount input");
    amount.clear().await.expect("clear");
    amount.send_keys("0.23").await.expect("type");
    c.execute("document.getElementById('message').textContent='';", vec![])
        .await
        .expect("clear");
    c.find(Locator::Css(&format!(
        "{card} button[data-action=\"refund\"]"
    )))
    .await
    .expect("refund button")
    .click()
    .await
    .expect("click");
    let (text, class) = message(&c).await;
    assert!(class.contains("ok"), "{class}: {text}");
    let refunded = eventually("the refund on the card", || async {
        let t = text_of(&c, &format!("{card} .refunded")).await?;
        (t == "¥0.23").then_some(t)
    })
    .await;
    assert_eq!(refunded, "¥0.23");
    assert_eq!(
        sb.order_state(ProviderKind::Sunmi, "DASH-BAD-1")
            .unwrap()
            .refunded,
        Money::from_fen(23)
    );
    c.close().await.expect("close");
    sb.shutdown().await;
}
