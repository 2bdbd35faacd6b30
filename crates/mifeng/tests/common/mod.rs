//! A fake Mifeng on 127.0.0.1 that behaves like the document says: each `accesstoken` call
//! issues a new token and supersedes the previous ones; calls with any other token get code 2.
#![allow(dead_code)]

use mifeng::{Client, Config, Environment};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const MCH_ID: &str = "1000123";
pub const SECRET: &str = "4ZWQBPN5SFP7MW6EQHXSCGLMAZVJZT4I";

/// Form or JSON body as pairs of text.
pub fn fields(req: &Request) -> HashMap<String, String> {
    let ct = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("application/json") {
        let v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&req.body).expect("json body");
        v.into_iter()
            .map(|(k, v)| {
                let t = match v {
                    serde_json::Value::String(s) => s,
                    o => o.to_string(),
                };
                (k, t)
            })
            .collect()
    } else if req.body.is_empty() {
        req.url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    } else {
        url::form_urlencoded::parse(&req.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

#[derive(Clone)]
pub struct Fake {
    pub issued: Arc<AtomicUsize>,
    pub valid: Arc<Mutex<Option<String>>>,
    pub expires_in: u64,
    pub token_delay: Duration,
}

impl Fake {
    pub fn new(expires_in: u64) -> Self {
        Fake {
            issued: Arc::new(AtomicUsize::new(0)),
            valid: Arc::new(Mutex::new(None)),
            expires_in,
            token_delay: Duration::from_millis(0),
        }
    }

    pub fn issued(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }

    /// Supersedes the current token, as another refresher would.
    pub fn revoke(&self) {
        *self.valid.lock().unwrap() = Some("revoked-by-someone-else".into());
    }

    pub async fn mount(&self, server: &MockServer) {
        Mock::given(path("/v1/api/pay/accesstoken"))
            .respond_with(TokenResponder(self.clone()))
            .mount(server)
            .await;
        for endpoint in ["balance", "query", "unifiedorder"] {
            Mock::given(method("POST"))
                .and(path(format!("/v1/api/pay/{endpoint}")))
                .respond_with(ApiResponder(self.clone(), endpoint))
                .mount(server)
                .await;
        }
    }
}

struct TokenResponder(Fake);

impl Respond for TokenResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let f = fields(req);
        assert_eq!(f.get("mch_id").map(String::as_str), Some(MCH_ID));
        assert_eq!(f.get("secret").map(String::as_str), Some(SECRET));
        let n = self.0.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("TOKEN-{n}");
        *self.0.valid.lock().unwrap() = Some(token.clone());
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({
                "code": 0, "msg": "OK",
                "data": {"token": token, "expires_in": self.0.expires_in}
            }))
            .set_delay(self.0.token_delay)
    }
}

struct ApiResponder(Fake, &'static str);

impl Respond for ApiResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let f = fields(req);
        let valid = self.0.valid.lock().unwrap().clone();
        if f.get("token") != valid.as_ref() {
            return ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "code": 2, "msg": "token invalid", "data": {}, "request_id": "rid-bad-token"
            }));
        }
        let data = match self.1 {
            "balance" => serde_json::json!({"balance": "10000.00"}),
            "query" => serde_json::json!({
                "mch_id": MCH_ID, "order_no": f["order_no"], "out_order_no": "20150320010101001",
                "state": 3, "money": "1000.00", "notify_succ": "1"
            }),
            _ => serde_json::json!({
                "mch_id": MCH_ID, "order_no": "202204157885214563228",
                "out_order_no": f["out_order_no"], "money": f["money"],
                "pay_url": "https://pay.example/#/?order_no=202204157885214563228",
                "expired_time": "2022-07-25 20:41:01", "expired_timestamp": 1658752861000u64
            }),
        };
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "ok", "data": data, "request_id": "rid-ok"
        }))
    }
}

/// A config against `server`, with a rate limit high enough not to slow the token tests, and
/// a limiter and a token store of its own (so tests in one binary do not share the
/// process-wide ones: wiremock reuses servers, hence base URLs, between tests).
pub fn config(server: &MockServer) -> Config {
    let mut c = Config::new(
        Environment::Custom(server.uri().parse().unwrap()),
        MCH_ID,
        SECRET,
    );
    c.rate_limit.per_second = NonZeroU32::new(1000).unwrap();
    c.rate_limit.limiter = Some(Arc::new(mifeng::LocalRateLimiter::new()));
    c.token_store = Some(Arc::new(mifeng::MemoryTokenStore::new()));
    c.http.retry = paysig::http::RetryPolicy::none();
    c
}

pub fn client(server: &MockServer) -> Client {
    Client::new(config(server)).unwrap()
}

pub fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
