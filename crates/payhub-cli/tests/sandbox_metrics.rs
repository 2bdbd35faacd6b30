//! `payhub sandbox` serves `GET /metrics`: after `payhub call pooul create` and the sandbox's
//! own payment, the scrape counts the one pending notify (its address refuses connections)
//! and its delivery attempts, and names no order number.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn get(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    let mut s = std::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).unwrap();
    write!(
        s,
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        u.path(),
        u.host_str().unwrap()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

/// The value of the series written exactly as `series` (name and labels).
fn value(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn sandbox_serves_metrics() {
    let dir = std::env::temp_dir().join(format!("payhub-cli-metrics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("payhub.toml");
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_payhub"))
        .args(["--json", "sandbox", "--keys-dir"])
        .arg(dir.join("keys"))
        .arg("--write-config")
        .arg(&config)
        .args(["--auto-pay-secs", "1"])
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
    let metrics = d["metrics"].as_str().expect("the metrics URL").to_owned();
    assert!(metrics.starts_with("http://127.0.0.1:"), "{metrics}");
    assert!(metrics.ends_with("/metrics"), "{metrics}");

    let answer = get(&metrics);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("text/plain; version=0.0.4"), "{answer}");
    let pending = r#"payhub_sandbox_notifications{provider="pooul",state="pending"}"#;
    assert_eq!(value(&answer, pending), Some(0.0), "{answer}");

    let env: Vec<(String, String)> = d["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_payhub"))
        .args(["call", "pooul", "create"])
        .args([
            "order_no=METRICS1",
            "amount=0.10",
            "subject=tea",
            "notify_url=http://127.0.0.1:9/n",
            "method=wechat_native",
            "client_ip=127.0.0.1",
        ])
        .arg("--config")
        .arg(&config)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Paid by the sandbox after 1 s, then its notify's first attempt fails (port 9).
    let attempts = r#"payhub_sandbox_notify_attempts_total{provider="pooul"}"#;
    let deadline = Instant::now() + Duration::from_secs(20);
    let scrape = loop {
        let scrape = get(&metrics);
        if value(&scrape, attempts).is_some_and(|n| n >= 1.0) || Instant::now() > deadline {
            break scrape;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(value(&scrape, pending), Some(1.0), "{scrape}");
    assert!(
        value(&scrape, attempts).is_some_and(|n| n >= 1.0),
        "{scrape}"
    );
    let acknowledged = r#"payhub_sandbox_notifications{provider="pooul",state="acknowledged"}"#;
    assert_eq!(value(&scrape, acknowledged), Some(0.0), "{scrape}");
    assert!(!scrape.contains("METRICS1"), "no order number in a label");

    sandbox.kill().unwrap();
    let _ = sandbox.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
