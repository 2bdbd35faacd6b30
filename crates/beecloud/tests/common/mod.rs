//! Shared test setup: credentials, a stopped clock, an independent MD5, local mock hosts.
#![allow(dead_code)]

use beecloud::clock::FixedClock;
use beecloud::hosts::InOrder;
use beecloud::{Client, Config, Environment};
use md5::{Digest, Md5};
use paysig::http::{HttpConfig, RetryPolicy};
use serde_json::Value;
use std::time::Duration;
use time::OffsetDateTime;
use time::macros::datetime;
use url::Url;

pub const APP_ID: &str = "0950c062-5e41-44e3-8f52-f89d8cf2b6eb";
pub const APP_KEY: &str = "test-app-key";
pub const APP_SECRET: &str = "test-app-secret";
pub const MASTER_SECRET: &str = "test-master-secret";

/// 2015-06-10 10:35:04 in Beijing.
pub const NOW: OffsetDateTime = datetime!(2015-06-10 02:35:04 UTC);
/// `NOW` in ms.
pub const NOW_MS: i64 = 1_433_903_704_000;
/// md5(APP_ID + "1433903704000" + APP_KEY), computed outside Rust with
/// `python3 -c 'import hashlib; print(hashlib.md5(b"0950c062-5e41-44e3-8f52-f89d8cf2b6eb1433903704000test-app-key").hexdigest())'`.
pub const APP_SIGN_AT_NOW: &str = "6372f06298cf71e2d3272f243175f151";

/// MD5 in lowercase hex, straight from the md-5 crate (not through the crate under test).
pub fn md5_lower(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn http(timeout: Duration) -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout,
        retry: RetryPolicy::none(),
        ..HttpConfig::default()
    }
}

/// A config over the given base URLs, tried in order, at `NOW`.
pub fn config(hosts: &[String]) -> Config {
    let urls = hosts.iter().map(|h| Url::parse(h).unwrap()).collect();
    Config::new(Environment::Custom(urls), APP_ID, APP_KEY)
        .with_clock(FixedClock(NOW))
        .with_host_picker(InOrder)
        .with_http(http(Duration::from_secs(5)))
}

pub fn client(hosts: &[String]) -> Client {
    Client::new(config(hosts)).unwrap()
}

/// The URL of a port on 127.0.0.1 where nothing listens (bound, then released).
pub fn refused_host() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// The JSON object of a request's `para` query parameter.
pub fn para(req: &wiremock::Request) -> serde_json::Map<String, Value> {
    let pairs: Vec<(String, String)> = req
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(pairs.len(), 1, "only `para` is sent: {pairs:?}");
    assert_eq!(pairs[0].0, "para");
    match serde_json::from_str(&pairs[0].1).unwrap() {
        Value::Object(m) => m,
        other => panic!("para is not an object: {other}"),
    }
}

/// Asserts the auth fields and removes them, leaving the call's own fields.
pub fn take_auth(obj: &mut serde_json::Map<String, Value>) {
    assert_eq!(obj.remove("app_id"), Some(Value::from(APP_ID)));
    assert_eq!(obj.remove("timestamp"), Some(Value::from(NOW_MS)));
    let expected = md5_lower(&format!("{APP_ID}{NOW_MS}{APP_KEY}"));
    assert_eq!(expected, APP_SIGN_AT_NOW);
    assert_eq!(obj.remove("app_sign"), Some(Value::from(expected)));
}

/// A tiny server that announces 100 bytes, sends 10 and closes.
pub async fn truncating_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"result_c",
                    )
                    .await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}
