//! Several merchant accounts per provider and notify key rotation (issue 16), against wiremock
//! on 127.0.0.1: each account's calls carry its own credentials, a notify on another
//! account's route is refused, a key past its `valid_until` is refused by name, and a reload
//! picks up a changed key file while a call in flight keeps the keys it started with.
#![cfg(feature = "mifeng")]

use payhub::account::Clock;
use payhub::notify::MemoryOrders;
use payhub::{Error, Hub, NotifyError, PaymentQuery, PaymentStatus, Provider};
use paysig::Money;
use paysig::md5::{HexCase, md5_hex};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const MF_NO: &str = "202611227885214563228";
const ORDER: &str = "T20261130001";

/// The token endpoint: answers each merchant with a token of its own (`TOKEN-<mch_id>`), so
/// a later call shows whose token it carries.
struct TokenPerMerchant;

impl Respond for TokenPerMerchant {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let f = form(req);
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "OK",
            "data": {"token": format!("TOKEN-{}", f["mch_id"]), "expires_in": 7200}
        }))
    }
}

/// The query endpoint: the order pending, for whichever merchant asked.
struct QueryEcho;

impl Respond for QueryEcho {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let f = form(req);
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "ok", "request_id": "r1",
            "data": {
                "mch_id": f["mch_id"], "order_no": MF_NO, "out_order_no": ORDER,
                "state": 2, "money": "12.34", "notify_succ": "0"
            }
        }))
    }
}

async fn mifeng_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/accesstoken"))
        .respond_with(TokenPerMerchant)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/api/pay/query"))
        .respond_with(QueryEcho)
        .mount(&server)
        .await;
    server
}

fn form(req: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<HashMap<String, String>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == p)
        .map(form)
        .collect()
}

/// A Mifeng notify signed the inferred way (the mifeng crate's scheme, built here by hand):
/// the seven fields in fixed order, `&key=<secret>`, MD5, lowercase hex.
fn notify(mch_id: &str, money: &str, secret: &str) -> Vec<u8> {
    let notify_time = "2026-11-30 10:41:01";
    let plain = format!(
        "mch_id={mch_id}&money={money}&notify_time={notify_time}&order_no={MF_NO}&out_order_no={ORDER}&param=cart=42&state=3&key={secret}"
    );
    let sign = md5_hex(plain.as_bytes(), HexCase::Lower);
    serde_json::to_vec(&serde_json::json!({
        "mch_id": mch_id, "money": money, "notify_time": notify_time, "order_no": MF_NO,
        "out_order_no": ORDER, "param": "cart=42", "state": 3, "sign": sign
    }))
    .unwrap()
}

fn orders() -> MemoryOrders {
    let orders = MemoryOrders::default();
    orders.insert(Provider::Mifeng, ORDER, Money::parse_yuan("12.34").unwrap());
    orders
}

const SECRET_A: &str = "AAAAQBPN5SFP7MW6EQHXSCGLMAZVJZT4";
const SECRET_B: &str = "BBBBQBPN5SFP7MW6EQHXSCGLMAZVJZT4";

fn two_account_toml(uri: &str, mch_a: &str, mch_b: &str) -> String {
    format!(
        r#"
[mifeng]
base_url = "{uri}"
mch_id = "{mch_a}"
secret_env = "MF_SECRET_A"
notify_trust = "signature_only"
body_encoding = "form"

[mifeng.accounts.shop-b]
base_url = "{uri}"
mch_id = "{mch_b}"
secret_env = "MF_SECRET_B"
notify_trust = "signature_only"
body_encoding = "form"
"#
    )
}

fn env_ab(name: &str) -> Option<String> {
    match name {
        "MF_SECRET_A" => Some(SECRET_A.into()),
        "MF_SECRET_B" => Some(SECRET_B.into()),
        _ => None,
    }
}

#[tokio::test]
async fn two_accounts_one_provider() {
    let server = mifeng_server().await;
    // Merchant numbers of this test only: Mifeng's token store is per base URL and mch_id,
    // process-wide, and wiremock reuses ports between the tests of a binary.
    let (mch_a, mch_b) = ("3100001", "3100002");
    let hub = Hub::from_toml_str_with_env(&two_account_toml(&server.uri(), mch_a, mch_b), &env_ab)
        .unwrap();
    assert_eq!(
        hub.accounts(),
        [
            (Provider::Mifeng, "default".to_owned()),
            (Provider::Mifeng, "shop-b".to_owned())
        ]
    );
    let query = PaymentQuery::by_order_no(ORDER).with_provider_trade_no(MF_NO);
    let a = hub.query_payment(Provider::Mifeng, &query).await.unwrap();
    let b = hub
        .account(Provider::Mifeng, "shop-b")
        .unwrap()
        .query_payment(&query)
        .await
        .unwrap();
    assert_eq!(
        (a.status, b.status),
        (PaymentStatus::Pending, PaymentStatus::Pending)
    );

    // Each account fetched its own token with its own merchant number and secret...
    let tokens = requests_to(&server, "/v1/api/pay/accesstoken").await;
    let mut sent: Vec<(String, String)> = tokens
        .iter()
        .map(|f| (f["mch_id"].clone(), f["secret"].clone()))
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        [
            (mch_a.to_owned(), SECRET_A.to_owned()),
            (mch_b.to_owned(), SECRET_B.to_owned())
        ]
    );
    // ...and each query carries its account's merchant number and that merchant's token.
    let queries = requests_to(&server, "/v1/api/pay/query").await;
    assert_eq!(queries.len(), 2);
    for (q, mch) in queries.iter().zip([mch_a, mch_b]) {
        assert_eq!(q["mch_id"], mch);
        assert_eq!(q["token"], format!("TOKEN-{mch}"));
        assert_eq!(q["order_no"], MF_NO);
    }

    // A notify signed with account B's secret, for B's merchant.
    let orders = orders();
    let from_b = notify(mch_b, "12.34", SECRET_B);
    let headers = http::HeaderMap::new();
    // On A's route (the default): refused, naming both accounts.
    match hub
        .handle_notification(Provider::Mifeng, &headers, &from_b, &orders)
        .await
    {
        Err(Error::Notify(NotifyError::WrongAccount {
            provider: Provider::Mifeng,
            account,
            belongs_to,
        })) => assert_eq!(
            (account.as_str(), belongs_to.as_str()),
            ("default", "shop-b")
        ),
        other => panic!("expected WrongAccount, got {other:?}"),
    }
    // B's secret over A's merchant number (a forgery by B's key holder) is refused on A's
    // route too, and on B's (Mifeng's notify names its merchant).
    let forged = notify(mch_a, "12.34", SECRET_B);
    for account in ["default", "shop-b"] {
        let r = hub
            .account(Provider::Mifeng, account)
            .unwrap()
            .verify_notification(&headers, &forged);
        assert!(
            matches!(r, Err(Error::Notify(NotifyError::Verification { .. }))),
            "{account}: {r:?}"
        );
    }
    // On B's route: accepted, the account and the key recorded.
    let shop_b = hub.account(Provider::Mifeng, "shop-b").unwrap();
    let ack = shop_b
        .handle_notification_with(&headers, &from_b, &orders, |event| async move {
            assert_eq!(event.account, "shop-b");
            assert_eq!(event.key.as_deref(), Some("primary"));
            assert_eq!(event.order_no, ORDER);
            assert!(
                event.dedup_key().starts_with("mifeng@shop-b:"),
                "{}",
                event.dedup_key()
            );
            Ok::<(), std::io::Error>(())
        })
        .await
        .unwrap();
    assert_eq!(ack, "SUCCESS");
    // A's own notify on A's route: accepted as the default account's, a separate event.
    let from_a = notify(mch_a, "12.34", SECRET_A);
    match hub
        .handle_notification(Provider::Mifeng, &headers, &from_a, &orders)
        .await
        .unwrap()
    {
        payhub::NotifyOutcome::New(d) => {
            assert_eq!(d.event.account, "default");
            assert!(d.event.dedup_key().starts_with("mifeng:"));
        }
        other => panic!("expected a new notification, got {other:?}"),
    }
    // An account the hub does not have is a typed error naming it; so is a provider with none.
    match hub.account(Provider::Mifeng, "shop-c") {
        Err(Error::UnknownAccount { provider, account }) => {
            assert_eq!((provider, account.as_str()), (Provider::Mifeng, "shop-c"))
        }
        other => panic!("expected UnknownAccount, got {other:?}"),
    }
    assert!(matches!(
        hub.account(Provider::Sunmi, "default"),
        Err(Error::NotConfigured(Provider::Sunmi))
    ));
}

#[test]
fn two_accounts_of_one_mch_id_are_refused() {
    let text = two_account_toml("http://127.0.0.1:9", "3200001", "3200001");
    match Hub::from_toml_str_with_env(&text, &env_ab) {
        Err(Error::Config(m)) => {
            assert!(m.contains("same mch_id"), "{m}");
            assert!(m.contains("\"default\"") && m.contains("\"shop-b\""), "{m}");
            assert!(!m.contains(SECRET_A) && !m.contains(SECRET_B), "{m}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
    // The same number at another host is another merchant.
    let other_host = two_account_toml("http://127.0.0.1:9", "3200001", "3200001").replacen(
        "http://127.0.0.1:9",
        "http://127.0.0.1:10",
        1,
    );
    assert!(Hub::from_toml_str_with_env(&other_host, &env_ab).is_ok());
    // One server written two ways is one server: a trailing slash, or the production
    // environment and its URL.
    let slash = two_account_toml("http://127.0.0.1:9", "3200001", "3200001").replacen(
        "http://127.0.0.1:9\"",
        "http://127.0.0.1:9/\"",
        1,
    );
    let production = two_account_toml("http://127.0.0.1:9", "3200001", "3200001")
        .replacen(
            "base_url = \"http://127.0.0.1:9\"",
            "environment = \"production\"",
            1,
        )
        .replacen("http://127.0.0.1:9", "https://open.mifengpay.com", 1);
    for text in [slash, production] {
        match Hub::from_toml_str_with_env(&text, &env_ab) {
            Err(Error::Config(m)) => assert!(m.contains("same mch_id"), "{m}"),
            other => panic!("expected the same-merchant refusal for {text}, got {other:?}"),
        }
    }
}

#[test]
fn a_named_account_section_is_checked_like_the_default_one() {
    for (extra, needle) in [
        ("mch_idd = \"1\"\n", "unknown key \"mch_idd\""),
        (
            "notify_secrets = [{ label = \"k1\", value = \"SECRET-INLINE\" }]\n",
            "[mifeng.accounts.shop-b] notify_secrets \"k1\": a secret is never written inline",
        ),
        (
            "notify_secrets = [{ label = \"k1\", env = \"MF_SECRET_B\", valid_until = \"tomorrow\" }]\n",
            "not RFC 3339",
        ),
        (
            "secret_file = \"/nonexistent/payhub/key\"\n",
            "set secret_env or secret_file, not both",
        ),
    ] {
        let text = two_account_toml("http://127.0.0.1:9", "3300001", "3300002") + extra;
        match Hub::from_toml_str_with_env(&text, &env_ab) {
            Err(Error::Config(m)) => {
                assert!(m.contains(needle), "{extra:?}: {m}");
                assert!(!m.contains("SECRET-INLINE") && !m.contains(SECRET_B), "{m}");
            }
            other => panic!("{extra:?}: expected a configuration error, got {other:?}"),
        }
    }
    let bad_name = "[mifeng.accounts.\"shop b\"]\nbase_url = \"http://127.0.0.1:9\"\nmch_id = \"3300003\"\nsecret_env = \"MF_SECRET_B\"\n";
    let text = two_account_toml("http://127.0.0.1:9", "3300001", "3300002") + bad_name;
    match Hub::from_toml_str_with_env(&text, &env_ab) {
        Err(Error::Config(m)) => assert!(m.contains("account name \"shop b\""), "{m}"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// A directory of this test's own under the system's temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("payhub-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn clock_at(secs: &Arc<AtomicU64>) -> Clock {
    let secs = secs.clone();
    Arc::new(move || UNIX_EPOCH + Duration::from_secs(secs.load(Ordering::SeqCst)))
}

#[tokio::test]
async fn key_rotation_window() {
    const OLD: &str = "OLDOQBPN5SFP7MW6EQHXSCGLMAZVJZT4";
    const NEW: &str = "NEWNQBPN5SFP7MW6EQHXSCGLMAZVJZT4";
    const NEWER: &str = "NEWRQBPN5SFP7MW6EQHXSCGLMAZVJZT4";
    let mch = "3400001";
    let dir = scratch("key-rotation");
    let (old_file, new_file) = (dir.join("old.key"), dir.join("new.key"));
    std::fs::write(&old_file, format!("{OLD}\n")).unwrap();
    std::fs::write(&new_file, NEW).unwrap();
    let call_secret = dir.join("call.key");
    std::fs::write(&call_secret, SECRET_A).unwrap();
    // 2026-12-01T00:00:00Z
    let until: u64 = 1_796_083_200;
    let toml_path = dir.join("payhub.toml");
    std::fs::write(
        &toml_path,
        format!(
            r#"
[mifeng]
base_url = "http://127.0.0.1:9"
mch_id = "{mch}"
secret_file = "{}"
notify_trust = "signature_only"
notify_secrets = [
  {{ label = "2025", file = "{}", valid_until = "2026-12-01T00:00:00Z" }},
  {{ label = "2026", file = "{}" }},
]
"#,
            call_secret.display(),
            old_file.display(),
            new_file.display()
        ),
    )
    .unwrap();
    let now = Arc::new(AtomicU64::new(until - 60));
    let hub = Hub::from_path(&toml_path)
        .unwrap()
        .with_clock(clock_at(&now));
    let headers = http::HeaderMap::new();
    let account = || hub.account(Provider::Mifeng, "default").unwrap();
    let verify = |body: &[u8]| account().verify_notification(&headers, body);
    let by_old = notify(mch, "12.34", OLD);
    let by_new = notify(mch, "12.34", NEW);
    let by_newer = notify(mch, "12.34", NEWER);

    // A minute before the old key's end: both keys verify, each notification names its key.
    assert_eq!(verify(&by_old).unwrap().key.as_deref(), Some("2025"));
    assert_eq!(verify(&by_new).unwrap().key.as_deref(), Some("2026"));
    // The calls' secret is not a notify key once a ring is configured.
    assert!(matches!(
        verify(&notify(mch, "12.34", SECRET_A)),
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));

    // From valid_until on, the old key is refused by name although its signature matches.
    for at in [until, until + 1, until + 86_400] {
        now.store(at, Ordering::SeqCst);
        match verify(&by_old) {
            Err(Error::Notify(NotifyError::KeyExpired {
                provider: Provider::Mifeng,
                account,
                key,
                valid_until,
            })) => {
                assert_eq!(
                    (account.as_str(), key.as_str(), valid_until.as_str()),
                    ("default", "2025", "2026-12-01T00:00:00Z")
                );
            }
            other => panic!("at {at}: expected KeyExpired, got {other:?}"),
        }
        assert_eq!(verify(&by_new).unwrap().key.as_deref(), Some("2026"));
    }
    // The refusal's text names the key and the reason, never a secret.
    let text = verify(&by_old).unwrap_err().to_string();
    assert!(
        text.contains("\"2025\"") && text.contains("expired"),
        "{text}"
    );
    assert!(!text.contains(OLD), "{text}");

    // The key file changes; an account taken before the reload is a call in flight.
    let in_flight = account();
    std::fs::write(&new_file, format!("{NEWER}\n")).unwrap();
    assert!(matches!(
        verify(&by_newer),
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));
    hub.reload_credentials().unwrap();
    assert_eq!(verify(&by_newer).unwrap().key.as_deref(), Some("2026"));
    assert!(matches!(
        verify(&by_new),
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));
    // The call in flight finishes with the keys it started with.
    assert_eq!(
        in_flight
            .verify_notification(&headers, &by_new)
            .unwrap()
            .key
            .as_deref(),
        Some("2026")
    );

    // A reload that fails (the file is gone) keeps the credentials in force.
    std::fs::remove_file(&new_file).unwrap();
    match hub.reload_credentials() {
        Err(Error::Reload(cause)) => {
            let m = cause.to_string();
            assert!(m.contains("notify_secrets \"2026\" file"), "{m}");
            assert!(!m.contains(NEWER), "{m}");
        }
        other => panic!("expected a reload error, got {other:?}"),
    }
    assert_eq!(verify(&by_newer).unwrap().key.as_deref(), Some("2026"));
    let _ = std::fs::remove_dir_all(&dir);

    // A hub built from a borrowed lookup has nothing to re-read: a typed error too.
    let text = two_account_toml("http://127.0.0.1:9", "3400002", "3400003");
    let fixed = Hub::from_toml_str_with_env(&text, &env_ab).unwrap();
    assert!(matches!(fixed.reload_credentials(), Err(Error::Reload(_))));
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn the_router_routes_notifies_by_account() {
    use payhub::axum::{NotificationHandler, notify_router};
    use payhub::{BoxError, Notification, Verified};

    struct Accept;
    #[payhub::async_trait]
    impl NotificationHandler for Accept {
        async fn handle(&self, _: Verified<Notification>) -> Result<(), BoxError> {
            Ok(())
        }
    }

    let (mch_a, mch_b) = ("3500001", "3500002");
    let hub = Hub::from_toml_str_with_env(
        &two_account_toml("http://127.0.0.1:9", mch_a, mch_b),
        &env_ab,
    )
    .unwrap();
    let app = notify_router(Arc::new(hub), Arc::new(orders()), Arc::new(Accept));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let from_b = notify(mch_b, "12.34", SECRET_B);
    for (route, status, body) in [
        ("/notify/mifeng", 400, "wrong_account"),
        ("/notify/mifeng/default", 400, "wrong_account"),
        ("/notify/mifeng/shop-c", 404, "unknown_account"),
        ("/notify/mifeng/shop-b", 200, "SUCCESS"),
    ] {
        let answer = client
            .post(format!("{base}{route}"))
            .body(from_b.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), status, "{route}");
        assert_eq!(answer.text().await.unwrap(), body, "{route}");
    }
}

/// Sunmi's notify keys as a ring written inline (public keys), through the same window.
#[cfg(feature = "sunmi")]
#[test]
fn sunmi_public_key_ring_from_toml() {
    use paysig::{Params, RsaPrivateKey};
    let (old, new) = (
        RsaPrivateKey::generate_2048().unwrap(),
        RsaPrivateKey::generate_2048().unwrap(),
    );
    let signed = |key: &RsaPrivateKey| -> Vec<u8> {
        let mut pairs = vec![
            ("amount", "1234"),
            ("businessId", ""),
            ("buyerPayAmount", "1234"),
            ("misId", "MIS-1"),
            ("msn", "D804P89V00033"),
            ("orderId", ORDER),
            ("orderType", "0"),
            ("payTime", "1563271502"),
            ("platform", "wxpay"),
            ("platformId", "4200000001"),
            ("refunded", "0"),
            ("resultCode", "T00"),
            ("resultMsg", "Success"),
            ("state", "3"),
        ];
        pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let message = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let mut all: Params = pairs.iter().cloned().collect();
        all.push("sign", key.sign_sha256_base64(message.as_bytes()).unwrap());
        all.to_form().into_bytes()
    };
    let text = format!(
        r#"
[sunmi]
base_url = "http://127.0.0.1:9/"
app_id = "sm5b9b4daef3463"
app_key_env = "SUNMI_APP_KEY"
merchant_no = "8202915737"

[[sunmi.sunmi_public_keys]]
label = "2025"
value = """{}"""
valid_until = "2026-12-01T00:00:00Z"

[[sunmi.sunmi_public_keys]]
label = "2026"
value = """{}"""
"#,
        old.public_key().to_pem(),
        new.public_key().to_pem()
    );
    let env =
        |n: &str| (n == "SUNMI_APP_KEY").then(|| "dd3ac24736589ae17d333e362859bf4c".to_owned());
    let now = Arc::new(AtomicU64::new(1_796_083_200 - 1));
    let hub = Hub::from_toml_str_with_env(&text, &env)
        .unwrap()
        .with_clock(clock_at(&now));
    let account = hub.account(Provider::Sunmi, "default").unwrap();
    let headers = http::HeaderMap::new();
    let (by_old, by_new) = (signed(&old), signed(&new));
    assert_eq!(
        account
            .verify_notification(&headers, &by_old)
            .unwrap()
            .key
            .as_deref(),
        Some("2025")
    );
    now.store(1_796_083_200, Ordering::SeqCst);
    assert!(matches!(
        account.verify_notification(&headers, &by_old),
        Err(Error::Notify(NotifyError::KeyExpired { ref key, .. })) if key == "2025"
    ));
    let event = account.verify_notification(&headers, &by_new).unwrap();
    assert_eq!(
        (event.key.as_deref(), event.account.as_str()),
        (Some("2026"), "default")
    );
    // A key of neither is refused as before.
    let stranger = RsaPrivateKey::generate_2048().unwrap();
    assert!(matches!(
        account.verify_notification(&headers, &signed(&stranger)),
        Err(Error::Notify(NotifyError::Verification { .. }))
    ));
}
