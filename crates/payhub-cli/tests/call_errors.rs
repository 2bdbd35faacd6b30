//! `payhub call` prints a failed call as JSON on stderr, with an exit status per class:
//! "not sent" (a refused connection) and "outcome unknown" (a 5xx to a create) differ.

use std::process::{Command, Output, Stdio};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const APP_KEY: &str = "call-errors-app-key-never-printed";

fn config_file(tag: &str) -> std::path::PathBuf {
    let pem = paysig::RsaPrivateKey::generate_2048()
        .unwrap()
        .public_key()
        .to_pem();
    let config = format!(
        "[sunmi]\nenvironment = \"production\"\napp_id = \"sm5b9b4daef3463\"\napp_key_env = \"PAYHUB_TEST_CALL_ERRORS_KEY\"\nmerchant_no = \"8202915737\"\nsunmi_public_key = \"\"\"{pem}\"\"\"\n"
    );
    let path = std::env::temp_dir().join(format!(
        "payhub-cli-call-errors-{tag}-{}.toml",
        std::process::id()
    ));
    std::fs::write(&path, config).unwrap();
    path
}

fn create(config: &std::path::Path, base: &str) -> Output {
    let args = [
        "call",
        "sunmi",
        "create",
        "--config",
        config.to_str().unwrap(),
        "--base-url",
        base,
        "order_no=CALLERR1",
        "amount=0.10",
        "subject=tea",
        "notify_url=http://127.0.0.1:9/n",
        "method=wechat_jsapi",
        "app_id=wx2e5f6590644de622",
        "open_id=oG-NZ5LHRuFlGF7bKEbXtjxkHS3s",
    ];
    Command::new(env!("CARGO_BIN_EXE_payhub"))
        .args(args)
        .env("PAYHUB_TEST_CALL_ERRORS_KEY", APP_KEY)
        .stdin(Stdio::null())
        .output()
        .expect("the payhub binary runs")
}

/// The one JSON line on stderr.
fn error_of(out: &Output) -> serde_json::Value {
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON on stderr: {err}"));
    assert!(!err.contains(APP_KEY), "the key leaked: {err}");
    serde_json::from_str(line).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_connection_is_not_sent_and_a_5xx_to_a_create_is_outcome_unknown() {
    let config = config_file("a");

    // Nothing listens: provably not sent.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let (c, b) = (config.clone(), base.clone());
    let out = tokio::task::spawn_blocking(move || create(&c, &b))
        .await
        .unwrap();
    let e = error_of(&out);
    assert_eq!(e["error"]["class"], "not_sent", "{e}");
    assert_eq!(e["error"]["provider"], "sunmi", "{e}");
    assert_eq!(out.status.code(), Some(4), "{e}");

    // A listener that reads the request and answers 502: the create may have been acted on.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(
                        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad",
                    )
                    .await;
                let _ = sock.shutdown().await;
            });
        }
    });
    let c = config.clone();
    let out = tokio::task::spawn_blocking(move || create(&c, &base))
        .await
        .unwrap();
    let e = error_of(&out);
    assert_eq!(e["error"]["class"], "outcome_unknown", "{e}");
    assert_eq!(out.status.code(), Some(5), "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("502"),
        "{e}"
    );
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a create is sent once"
    );
    let _ = std::fs::remove_file(config);
}

/// One HTTP/1.1 POST of a JSON body over loopback; the status line.
fn post_json(url: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let u = url::Url::parse(url).unwrap();
    let mut s = std::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).unwrap();
    write!(
        s,
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        u.path(),
        u.host_str().unwrap(),
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or_default().to_owned()
}

/// `payhub call` against `payhub sandbox` with every answer dropped after the request was
/// processed: the create is "outcome unknown" (exit 5); with the faults cleared, `resolve`
/// finds it paid (the sandbox pays it by itself after 1 s), and an order never sent is
/// "not found".
#[test]
fn resolve_on_a_faulted_sandbox_reads_each_outcome() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("payhub-cli-resolve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("payhub.toml");
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_payhub"))
        .args(["--json", "sandbox", "--keys-dir"])
        .arg(dir.join("keys"))
        .arg("--write-config")
        .arg(&config)
        .args([
            "--drop-ratio",
            "1",
            "--auto-pay-secs",
            "1",
            "--fault-seed",
            "7",
        ])
        .env_remove("PAYHUB_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut text = String::new();
    for line in BufReader::new(sandbox.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        if line == "}" {
            break;
        }
    }
    let d: serde_json::Value = serde_json::from_str(&text).unwrap();
    let env: Vec<(String, String)> = d["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let call = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_payhub"))
            .args(["call", "beecloud"])
            .args(args)
            .arg("--config")
            .arg(&config)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };

    let out = call(&[
        "create",
        "order_no=RESOLVE1",
        "amount=0.10",
        "subject=tea",
        "notify_url=http://127.0.0.1:9/n",
        "method=wechat_native",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("{stderr}"));
    let e: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(e["error"]["class"], "outcome_unknown", "{e}");
    assert_eq!(out.status.code(), Some(5), "{e}");

    let dashboard = d["dashboard"].as_str().unwrap();
    let status = post_json(
        &format!("{}_sandbox/faults", dashboard),
        r#"{"latency_ms":0,"error_5xx_ratio":0,"drop_ratio":0,"drop_notify_ratio":0}"#,
    );
    assert!(status.contains(" 200 "), "{status}");

    let out = call(&["resolve", "order_no=RESOLVE1"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["resolution"], "paid", "{r}");
    assert_eq!(r["state"]["order_no"], "RESOLVE1", "{r}");

    let out = call(&["resolve", "order_no=NEVERSENT1"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["resolution"], "not_found", "{r}");

    sandbox.kill().unwrap();
    let _ = sandbox.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
