//! A small Mifeng for load tests, on 127.0.0.1 (plain tokio, HTTP/1.1 keep-alive): it issues
//! short tokens, each `accesstoken` call superseding the previous token (mifeng.md: only the
//! newest is valid), answers code 2 to any other or expired token, and records every call
//! with the instant it arrived, so that every one-second window can be counted.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One call as the server saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub at: Instant,
    pub endpoint: String,
    pub code: i64,
    /// Which listener it came through.
    pub port: usize,
}

#[derive(Default)]
struct Tokens {
    n: u64,
    current: Option<(String, Instant)>,
    minted: Vec<Instant>,
}

/// Called with the listener and the number of tokens minted so far when `accesstoken`
/// arrives, after the token was minted and before the answer is written.
pub type OnMint = Box<dyn Fn(usize, u64) + Send + Sync>;

pub struct Server {
    pub addrs: Vec<SocketAddr>,
    lifetime: Duration,
    tokens: Mutex<Tokens>,
    calls: Mutex<Vec<Call>>,
    on_mint: Mutex<Option<OnMint>>,
}

impl Server {
    /// Listens on `ports` loopback ports (one per group of clients that a test tells apart).
    pub async fn start(ports: usize, lifetime: Duration) -> Arc<Server> {
        let mut listeners = Vec::new();
        for _ in 0..ports {
            listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
        }
        let server = Arc::new(Server {
            addrs: listeners.iter().map(|l| l.local_addr().unwrap()).collect(),
            lifetime,
            tokens: Mutex::default(),
            calls: Mutex::default(),
            on_mint: Mutex::new(None),
        });
        for (port, l) in listeners.into_iter().enumerate() {
            let s = server.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = l.accept().await else {
                        return;
                    };
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(s.clone().serve(stream, port));
                }
            });
        }
        server
    }

    pub fn base_url(&self, port: usize) -> String {
        format!("http://{}/", self.addrs[port])
    }

    pub fn on_mint(&self, f: OnMint) {
        *self.on_mint.lock().unwrap() = Some(f);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn minted(&self) -> Vec<Instant> {
        self.tokens.lock().unwrap().minted.clone()
    }

    async fn serve(self: Arc<Self>, stream: TcpStream, port: usize) {
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).await.unwrap_or(0) == 0 {
                    return;
                }
                if h == "\r\n" || h == "\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).await.is_err() {
                return;
            }
            let at = Instant::now();
            let answer = self.handle(&target, &body, port, at);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                answer.len()
            );
            if w.write_all(response.as_bytes()).await.is_err() {
                return;
            }
        }
    }

    fn handle(&self, target: &str, body: &[u8], port: usize, at: Instant) -> String {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let endpoint = path.rsplit('/').next().unwrap_or("").to_owned();
        let f = fields(query, body);
        let (code, data) = if endpoint == "accesstoken" {
            let (token, n) = {
                let mut t = self.tokens.lock().unwrap();
                t.n += 1;
                let token = format!("TOKEN-{}", t.n);
                t.current = Some((token.clone(), at));
                t.minted.push(at);
                (token, t.n)
            };
            if let Some(hook) = self.on_mint.lock().unwrap().as_ref() {
                hook(port, n);
            }
            (
                0,
                format!(
                    r#"{{"token":"{token}","expires_in":{}}}"#,
                    self.lifetime.as_secs()
                ),
            )
        } else {
            let valid = {
                let t = self.tokens.lock().unwrap();
                matches!(&t.current, Some((tok, minted))
                    if Some(tok) == f.get("token") && at.duration_since(*minted) < self.lifetime)
            };
            if valid {
                (0, r#"{"balance":"10000.00"}"#.to_owned())
            } else {
                (2, "{}".to_owned())
            }
        };
        self.calls.lock().unwrap().push(Call {
            at,
            endpoint,
            code,
            port,
        });
        format!(r#"{{"code":{code},"msg":"m","data":{data},"request_id":"r"}}"#)
    }
}

fn fields(query: &str, body: &[u8]) -> HashMap<String, String> {
    let mut f: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if body.first() == Some(&b'{') {
        let v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(body).unwrap_or_default();
        for (k, v) in v {
            let text = match v {
                serde_json::Value::String(s) => s,
                o => o.to_string(),
            };
            f.insert(k, text);
        }
    } else {
        f.extend(url::form_urlencoded::parse(body).into_owned());
    }
    f
}

/// The largest number of instants inside any half-open window `[t, t + window)`.
pub fn busiest_window(sorted: &[Instant], window: Duration) -> usize {
    let mut best = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end].duration_since(sorted[start]) >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}
