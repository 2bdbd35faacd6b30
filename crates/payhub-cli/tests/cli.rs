//! The `payhub` binary, run as a user runs it.

use paysig::md5::{HexCase, md5_hex};
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

const NOTIFY_6_2: &str = "amount=1&businessId=&buyerPayAmount=1&misId=test_5F5EC7A54CDCC58BADC425&msn=D804P89V00033&orderId=15632714718760&orderType=0&payTime=1563271502&platform=alipay&platformId=2019071622001419071050445382&refunded=0&resultCode=T00&resultMsg=Success&sign=GW6jDdLQ1z%2BCFtLoKjmxtMiHeKjm2ZgMTq19gQisV%2FPpOPIBeDXhWEu5WSzxZwiJHVzCQrPhyZX6kdwQ9xGTyxbsKTZj31zUxtWqqcmol7DpkGJRuG9wzqnNCZ7kmUrk8%2FXLs1TRxIusCQuojEZOdsE%2FEWqy%2FOlX4TrD0WqCeW9Kkk1IB5izAamv9BcEEPgYFLo0hBujo85GEjjzJrFs9ds59TYe0ElOZ6zdputanCJZuM6%2FSqQ4a1Xoy%2FMJFKhA6K0zc8ZPFiW0bBMhVFSwSwRY3IEsP0YWva7QcT9AjVW2FFILghJ5vrjonAmhmKCIwtHMA8zwM9j6qgMEF0kCGg%3D%3D&state=3";

fn payhub_owned(args: Vec<String>) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    payhub(&refs, None)
}

fn payhub(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_payhub"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the payhub binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn demo_runs_every_provider_and_exits_zero() {
    let out = payhub(&["demo"], None);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    for p in ["sunmi", "pooul", "beecloud", "mifeng"] {
        assert!(
            stdout.contains(&format!("ok  {p:<9} notify")),
            "{p} notify step missing:\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("ok  {p:<9} query ")),
            "{p} query step missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("every step held"));
}

#[test]
fn verify_notify_accepts_the_6_2_sample_with_the_6_4_key() {
    let out = payhub(
        &["verify-notify", "sunmi", "--test-key"],
        Some(&format!("{NOTIFY_6_2}\n")),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["notification"]["orderId"], "15632714718760");
    assert_eq!(v["notification"]["amount"], "1");
}

#[test]
fn verify_notify_rejects_the_sample_altered_with_one_line_and_exit_1() {
    let altered = NOTIFY_6_2.replace("amount=1&", "amount=100&");
    let out = payhub(&["verify-notify", "sunmi", "--test-key"], Some(&altered));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && err.to_lowercase().contains("signature"),
        "{err}"
    );
}

#[test]
fn sign_prints_each_stage_with_the_key_masked() {
    let key = "dd3ac24736589ae17d333e362859bf4c";
    let out = payhub(
        &[
            "sign",
            "sunmi",
            "--key",
            key,
            "orderId=sda1212",
            "app_id=sm5b9b4daef3463",
            "amount=1",
            "businessId=",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let canonical = "amount=1&app_id=sm5b9b4daef3463&businessId=&orderId=sda1212";
    assert!(
        stdout.contains(&format!("canonical : {canonical}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("hashed    : {canonical}***\n")),
        "{stdout}"
    );
    let expected = md5_hex(format!("{canonical}{key}").as_bytes(), HexCase::Upper);
    assert!(
        stdout.contains(&format!("signature : {expected}\n")),
        "{stdout}"
    );
    assert!(!stdout.contains(key), "the key must never print");
}

/// A merchant endpoint that verifies Sunmi notifies with `public_key` and answers `answer`.
async fn receiver(
    public_key: paysig::RsaPublicKey,
    answer: &'static str,
) -> (String, Arc<Mutex<Vec<sunmi::Notification>>>) {
    let seen: Arc<Mutex<Vec<sunmi::Notification>>> = Arc::default();
    let sink = seen.clone();
    let app = axum::Router::new().route(
        "/notify",
        axum::routing::post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            let key = public_key.clone();
            async move {
                match sunmi::verify_notify(&body, &key) {
                    Ok(n) => {
                        sink.lock().unwrap().push(n.into_inner());
                        answer
                    }
                    Err(_) => "rejected",
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn keys_dir(test: &str) -> (std::path::PathBuf, paysig::RsaPublicKey) {
    use paysig::ExposeSecret;
    let dir = std::env::temp_dir().join(format!("payhub-cli-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = payhub_sandbox::SandboxKeys::generate().unwrap();
    for (name, key) in [
        ("sunmi_platform.pem", &keys.sunmi_platform),
        ("pooul_platform.pem", &keys.pooul_platform),
        ("pooul_merchant.pem", &keys.pooul_merchant),
    ] {
        std::fs::write(dir.join(name), key.to_pkcs8_pem().expose_secret()).unwrap();
    }
    (dir, keys.sunmi_platform.public_key())
}

#[tokio::test(flavor = "multi_thread")]
async fn trigger_reaches_a_local_receiver_that_verifies_it() {
    let (dir, public) = keys_dir("trigger-ok");
    let (url, seen) = receiver(public, "success").await;
    let args = [
        "trigger",
        "sunmi",
        "pay-success",
        "--to",
        url.as_str(),
        "--keys-dir",
        dir.to_str().unwrap(),
        "--amount",
        "0.05",
        "--order-no",
        "TRIG-T1",
    ];
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || payhub_owned(args))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("acknowledged"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one verified notify");
    assert_eq!(seen[0].order_id, "TRIG-T1");
    assert_eq!(seen[0].amount, paysig::Money::from_fen(5));
    assert_eq!(seen[0].state, sunmi::TradeState::Success);
}

#[tokio::test(flavor = "multi_thread")]
async fn trigger_fails_when_the_endpoint_does_not_acknowledge() {
    let (dir, public) = keys_dir("trigger-nack");
    let (url, seen) = receiver(public, "not the ack").await;
    let args = [
        "trigger",
        "sunmi",
        "pay-success",
        "--to",
        url.as_str(),
        "--keys-dir",
        dir.to_str().unwrap(),
        "--wait",
        "2",
    ];
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || payhub_owned(args))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("not the ack"), "{err}");
    assert!(
        !seen.lock().unwrap().is_empty(),
        "the notify did arrive and verify"
    );
}

fn payhub_env(args: &[String], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_payhub"));
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the payhub binary runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn call_creates_and_queries_through_the_sdk_with_base_url_overriding_the_config() {
    use paysig::ExposeSecret;
    let sandbox = payhub_sandbox::Sandbox::start(payhub_sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let s = sandbox.sunmi();
    // A production configuration: --base-url must send the calls to the sandbox instead.
    let config = format!(
        "[sunmi]\nenvironment = \"production\"\napp_id = \"{}\"\napp_key_env = \"PAYHUB_TEST_SUNMI_KEY\"\nmerchant_no = \"{}\"\nsunmi_public_key = \"\"\"{}\"\"\"\n",
        s.app_id,
        s.merchant_no,
        s.platform_public_key.to_pem()
    );
    let path = std::env::temp_dir().join(format!("payhub-cli-call-{}.toml", std::process::id()));
    std::fs::write(&path, config).unwrap();
    let env = [(
        "PAYHUB_TEST_SUNMI_KEY",
        s.app_key.expose_secret().to_owned(),
    )];
    let base = sandbox
        .base_url(payhub_sandbox::ProviderKind::Sunmi)
        .to_string();
    let common = |op: &str| -> Vec<String> {
        vec![
            "call".into(),
            "sunmi".into(),
            op.into(),
            "--config".into(),
            path.display().to_string(),
            "--base-url".into(),
            base.clone(),
        ]
    };

    let mut create = common("create");
    create.extend(
        [
            "order_no=CALL1",
            "amount=0.10",
            "subject=tea",
            "notify_url=http://127.0.0.1:9/n",
            "method=wechat_jsapi",
            "app_id=wx2e5f6590644de622",
            "open_id=oG-NZ5LHRuFlGF7bKEbXtjxkHS3s",
        ]
        .map(String::from),
    );
    let (c, e) = (create.clone(), env.clone());
    let out = tokio::task::spawn_blocking(move || payhub_env(&c, &e))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["provider"].as_str(), v["order_no"].as_str()),
        (Some("sunmi"), Some("CALL1"))
    );
    assert_eq!(v["action"]["action"], "wechat_jsapi");
    let order = sandbox
        .order_state(payhub_sandbox::ProviderKind::Sunmi, "CALL1")
        .expect("the sandbox has the order");
    assert_eq!(order.amount, paysig::Money::from_fen(10));

    let mut query = common("query");
    query.push("order_no=CALL1".into());
    let out = tokio::task::spawn_blocking(move || payhub_env(&query, &env))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "pending");
    assert_eq!(v["amount"], "0.10");

    // Without the secret in the environment: one line naming the variable, exit 1.
    let out = tokio::task::spawn_blocking(move || payhub_env(&create, &[]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("PAYHUB_TEST_SUNMI_KEY"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_file(&path);
    sandbox.shutdown().await;
}

#[test]
fn verify_notify_refuses_to_call_a_beecloud_v1_body_verified() {
    let body = r#"{"sign":"0123456789abcdef0123456789abcdef","timestamp":1435890533866,"channelType":"WX","transactionType":"PAY","transactionId":"b1","transactionFee":1,"tradeSuccess":true}"#;
    let out = payhub(
        &[
            "verify-notify",
            "beecloud",
            "--scheme",
            "v1",
            "--key-env",
            "PAYHUB_TEST_UNSET_VAR",
            "--app-id",
            "a",
        ],
        Some(body),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("sign only the timestamp"), "{err}");
    assert!(out.stdout.is_empty());
}

/// A Mifeng notify signed with `secret` (the inferred fixed-order scheme).
fn mifeng_notify(secret: &str) -> String {
    let fields = [
        ("mch_id", "1000123"),
        ("money", "12.30"),
        ("notify_time", "2022-07-25 20:41:01"),
        ("order_no", "MF1"),
        ("out_order_no", "A1"),
        ("param", ""),
        ("state", "3"),
    ];
    let params: paysig::Params = fields.iter().copied().collect();
    let sign = mifeng::notify::sign(&params, &paysig::SecretString::from(secret)).unwrap();
    let mut obj: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned())))
        .collect();
    obj.insert("sign".into(), sign.into());
    serde_json::Value::Object(obj).to_string()
}

#[test]
fn verify_notify_reads_the_secret_from_a_file_a_path_or_the_environment() {
    let body = mifeng_notify("file-secret");
    let dir = std::env::temp_dir().join(format!("payhub-cli-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mifeng.secret");
    std::fs::write(&path, "file-secret\n").unwrap();
    let path = path.to_str().unwrap().to_owned();
    for key in [format!("@{path}"), path.clone()] {
        let out = payhub(&["verify-notify", "mifeng", "--key", &key], Some(&body));
        assert!(out.status.success(), "{key}: {}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["verified"], true);
    }
    // The literal text "@path" is not the secret.
    let wrong = mifeng_notify(&format!("@{path}"));
    let out = payhub(
        &["verify-notify", "mifeng", "--key", &format!("@{path}")],
        Some(&wrong),
    );
    assert_eq!(out.status.code(), Some(1));
    // --key-env is honoured.
    let out = Command::new(env!("CARGO_BIN_EXE_payhub"))
        .args([
            "verify-notify",
            "mifeng",
            "--key-env",
            "PAYHUB_TEST_MIFENG_SECRET",
        ])
        .env("PAYHUB_TEST_MIFENG_SECRET", "file-secret")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(body.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A missing file says so.
    let out = payhub(
        &[
            "verify-notify",
            "mifeng",
            "--key",
            "@/nonexistent/payhub.secret",
        ],
        Some(&body),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no such file /nonexistent/payhub.secret"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_notify_refuses_a_body_over_the_limit_unread() {
    let body = mifeng_notify("s");
    let out = payhub(
        &[
            "verify-notify",
            "mifeng",
            "--key",
            "s",
            "--body-limit",
            "64",
        ],
        Some(&body),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("over the limit of 64 bytes"),
        "{}",
        text(&out.stderr)
    );
    let out = payhub(&["verify-notify", "mifeng", "--key", "s"], Some(&body));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn call_with_account_calls_the_named_account_and_refuses_an_unknown_one() {
    use paysig::ExposeSecret;
    let sandbox = payhub_sandbox::Sandbox::start(payhub_sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let s = sandbox.sunmi();
    // The default account points at a closed port: a call that used it would fail not_sent.
    let config = format!(
        "[sunmi]\nbase_url = \"http://127.0.0.1:9\"\napp_id = \"other-app\"\napp_key_env = \"PAYHUB_TEST_SUNMI_KEY\"\nmerchant_no = \"1\"\nsunmi_public_key = \"\"\"{pem}\"\"\"\n\n[sunmi.accounts.shop-b]\nenvironment = \"production\"\napp_id = \"{}\"\napp_key_env = \"PAYHUB_TEST_SUNMI_KEY\"\nmerchant_no = \"{}\"\nsunmi_public_key = \"\"\"{pem}\"\"\"\n",
        s.app_id,
        s.merchant_no,
        pem = s.platform_public_key.to_pem()
    );
    let path = std::env::temp_dir().join(format!("payhub-cli-account-{}.toml", std::process::id()));
    std::fs::write(&path, config).unwrap();
    let env = [(
        "PAYHUB_TEST_SUNMI_KEY",
        s.app_key.expose_secret().to_owned(),
    )];
    let base = sandbox
        .base_url(payhub_sandbox::ProviderKind::Sunmi)
        .to_string();
    let args = |account: &str| -> Vec<String> {
        [
            "call",
            "sunmi",
            "create",
            "--config",
            &path.display().to_string(),
            "--account",
            account,
            "--base-url",
            &base,
            "order_no=ACCT1",
            "amount=0.20",
            "subject=tea",
            "notify_url=http://127.0.0.1:9/n",
            "method=wechat_jsapi",
            "app_id=wx2e5f6590644de622",
            "open_id=oG-NZ5LHRuFlGF7bKEbXtjxkHS3s",
        ]
        .map(String::from)
        .to_vec()
    };
    let (a, e) = (args("shop-b"), env.clone());
    let out = tokio::task::spawn_blocking(move || payhub_env(&a, &e))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let order = sandbox
        .order_state(payhub_sandbox::ProviderKind::Sunmi, "ACCT1")
        .expect("the named account's call reached the sandbox");
    assert_eq!(order.amount, paysig::Money::from_fen(20));

    let a = args("shop-c");
    let out = tokio::task::spawn_blocking(move || payhub_env(&a, &env))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("[sunmi.accounts.shop-c]"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_file(&path);
    sandbox.shutdown().await;
}
