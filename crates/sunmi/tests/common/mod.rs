//! Shared helpers of the integration tests. Everything talks to 127.0.0.1 only.
#![allow(dead_code)]

use md5::{Digest, Md5};
use paysig::{Params, RsaPublicKey, SecretString};
use std::time::Duration;
use sunmi::{Client, Config, Environment};
use wiremock::MockServer;

pub const APP_ID: &str = "sm5b9b4daef3463";
pub const APP_KEY: &str = "dd3ac24736589ae17d333e362859bf4c";

pub fn config_for(base: &str) -> Config {
    let key = RsaPublicKey::from_pem_or_base64(sunmi::TEST_PUBLIC_KEY).unwrap();
    Config::new(
        Environment::Custom(base.parse().unwrap()),
        APP_ID,
        SecretString::from(APP_KEY),
        key,
    )
    .with_timeouts(Duration::from_secs(2), Duration::from_secs(5))
}

pub fn client_for(server: &MockServer) -> Client {
    Client::new(config_for(&server.uri())).unwrap()
}

/// MD5 of `canonical + APP_KEY`, 32 uppercase hex: sunmi.txt §2.1 computed by hand.
pub fn md5_upper(canonical: &str) -> String {
    let digest = Md5::digest(format!("{canonical}{APP_KEY}").as_bytes());
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

/// The one request the server received, checked for method, query and content type, with
/// its form pairs.
pub async fn single_form(server: &MockServer, expected_path: &str) -> Params {
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "exactly one request");
    let r = &reqs[0];
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(r.url.path(), expected_path);
    assert_eq!(r.url.query(), None, "nothing in the query string");
    let ct = r.headers.get("content-type").unwrap().to_str().unwrap();
    assert_eq!(ct, "application/x-www-form-urlencoded");
    Params::parse_form(&r.body).unwrap()
}

/// Asserts the form holds exactly `expected` (any order) plus a `sign` equal to the MD5 of
/// `canonical` (the documented string, written by hand in the test).
pub fn assert_signed_form(form: &Params, expected: &[(&str, &str)], canonical: &str) {
    let mut got: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| *k != "sign")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(form.get("sign"), Some(md5_upper(canonical).as_str()));
}
