//! Query load against the sandbox at concurrency 64, with a Rust load generator in the same
//! process (reqwest over loopback, 64 tokio tasks, bounded in time and in count).
//!
//! Three targets, measured in interleaved rounds so that a busy neighbour on a shared machine
//! hits all of them alike; the median round of each is reported:
//! - `fixed`: an axum handler that reads the request and returns a fixed body (the bytes the
//!   sandbox answers for the same query), on its own port;
//! - `one`: the sandbox's Sunmi `/v1/trade/query` (form, MD5 sign checked) with 1 stored order;
//! - `many`: the same with 100,000 stored orders, queried by `orderId`, `misId` and
//!   `platformId` in turn, spread over all of them.
//!
//! Also the create path: BeeCloud `/1/rest/bill` creates with 0 and with 100,000 stored
//! orders (they must not slow down as the store grows).
//!
//! Besides requests per second, each target's CPU time per request (the whole process: load
//! generator and server, from /proc/self/stat) is reported. On a machine shared with other
//! work the throughput of a measurement follows the CPU share the process happens to get;
//! the CPU time a request costs does not, so its ratio is the steadier reading of the same
//! comparison (the two agree on a quiet machine, where the process is CPU-bound).
//!
//! `cargo bench -p payhub-sandbox --bench query_load`. Environment: `PAYHUB_BENCH_SECS`
//! (seconds per measurement, default 2), `PAYHUB_BENCH_ROUNDS` (default 3),
//! `PAYHUB_BENCH_ORDERS` (default 100000).

use axum::body::Bytes;
use payhub_sandbox::{
    Order, OrderStatus, ProviderKind, RunningSandbox, Sandbox, SandboxConfig, SandboxKeys,
};
use paysig::md5::{HexCase, KeySuffix, md5_hex};
use paysig::{CanonicalRules, ExposeSecret, Md5Signer, Money, Params};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const CONCURRENCY: usize = 64;
/// Upper bound of requests per measurement, whatever the duration.
const MAX_REQUESTS: u64 = 2_000_000;
const WARMUP: Duration = Duration::from_millis(300);

fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

/// One HTTP request of the load: path and body.
#[derive(Clone)]
struct Call {
    url: String,
    content_type: &'static str,
    body: Bytes,
    /// Expected in the answer (checks the load gets real answers, not errors).
    expect: String,
}

struct Measured {
    per_sec: f64,
    requests: u64,
    /// CPU clock ticks of the process per request, warm-up included (`None` without /proc).
    cpu_per_request: Option<f64>,
}

/// CPU time (user + system, all threads) of this process so far, in clock ticks.
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces and parentheses; the fields after its last
    // ')' start at field 3, so utime (14) and stime (15) are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Drives `calls` (round robin) at CONCURRENCY for `secs`; every answer must be 200 and
/// contain its `expect`.
async fn drive(client: &reqwest::Client, calls: &Arc<Vec<Call>>, secs: f64) -> Measured {
    let stop_warmup = Instant::now() + WARMUP;
    let counted = Arc::new(AtomicU64::new(0));
    let all = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let cpu_before = cpu_ticks();
    let window = Duration::from_secs_f64(secs);
    let start = stop_warmup;
    let end = start + window;
    let mut tasks = Vec::with_capacity(CONCURRENCY);
    for t in 0..CONCURRENCY {
        let (client, calls) = (client.clone(), Arc::clone(calls));
        let (counted, failed, all) = (Arc::clone(&counted), Arc::clone(&failed), Arc::clone(&all));
        tasks.push(tokio::spawn(async move {
            let mut i = t;
            loop {
                let now = Instant::now();
                if now >= end || counted.load(Ordering::Relaxed) >= MAX_REQUESTS {
                    break;
                }
                let call = &calls[i % calls.len()];
                i += CONCURRENCY;
                let ok = match client
                    .post(&call.url)
                    .header("content-type", call.content_type)
                    .body(call.body.clone())
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => r
                        .bytes()
                        .await
                        .is_ok_and(|b| memchr(&b, call.expect.as_bytes())),
                    _ => false,
                };
                all.fetch_add(1, Ordering::Relaxed);
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                } else if now >= start {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("load task");
    }
    let cpu_per_request = cpu_before
        .zip(cpu_ticks())
        .map(|(before, after)| (after - before) as f64 / all.load(Ordering::Relaxed).max(1) as f64);
    let failures = failed.load(Ordering::Relaxed);
    assert_eq!(
        failures, 0,
        "{failures} requests failed or got a wrong answer"
    );
    let requests = counted.load(Ordering::Relaxed);
    let elapsed = Instant::now().min(end).duration_since(start).as_secs_f64();
    Measured {
        per_sec: requests as f64 / elapsed,
        requests,
        cpu_per_request,
    }
}

fn memchr(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn sunmi_query(sb: &RunningSandbox, key: &str, value: &str) -> Call {
    let c = sb.sunmi();
    let mut params = Params::new();
    for (k, v) in [
        ("app_id", c.app_id.as_str()),
        ("merchantNo", c.merchant_no.as_str()),
        (key, value),
        ("charset", "UTF-8"),
    ] {
        params.push(k, v);
    }
    let signer = Md5Signer::new(
        CanonicalRules::sorted().exclude(["sign"]).keep_empty(),
        KeySuffix::Append,
        HexCase::Upper,
    );
    let sign = signer.sign(&params, &c.app_key).expect("sign");
    params.push("sign", sign);
    Call {
        url: sb
            .base_url(ProviderKind::Sunmi)
            .join("v1/trade/query")
            .expect("url")
            .to_string(),
        content_type: "application/x-www-form-urlencoded",
        body: Bytes::from(params.to_form()),
        expect: format!("\"{value}\""),
    }
}

/// A stored Sunmi order as a `miniPay` create leaves it.
fn sunmi_order(i: usize, now: OffsetDateTime) -> Order {
    let mut extra = serde_json::Map::new();
    extra.insert("openId".into(), "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into());
    extra.insert("platformId".into(), format!("4200{i:024}").into());
    extra.insert("kind".into(), "miniPay".into());
    Order {
        provider: ProviderKind::Sunmi,
        order_no: format!("LOAD-{i:08}"),
        platform_no: format!("SM{i:020}"),
        amount: Money::from_fen(100 + i as u64 % 9900),
        refunded: Money::ZERO,
        status: if i.is_multiple_of(2) {
            OrderStatus::Paid
        } else {
            OrderStatus::Created
        },
        notify_url: None,
        created_at: now,
        settled_at: None,
        refunds: Vec::new(),
        extra,
    }
}

fn beecloud_creates(sb: &RunningSandbox, tag: &str, n: usize) -> Vec<Call> {
    let c = sb.beecloud();
    let url = sb
        .base_url(ProviderKind::BeeCloud)
        .join("1/rest/bill")
        .expect("url")
        .to_string();
    (0..n)
        .map(|i| {
            let ts = "1700000000000";
            let sign = md5_hex(
                format!("{}{ts}{}", c.app_id, c.app_key.expose_secret()).as_bytes(),
                HexCase::Lower,
            );
            let body = serde_json::json!({
                "app_id": c.app_id, "timestamp": ts, "app_sign": sign, "channel": "WX_NATIVE",
                "total_fee": 1, "bill_no": format!("{tag}{i:010}"), "title": "load",
            });
            Call {
                url: url.clone(),
                content_type: "application/json",
                body: Bytes::from(body.to_string()),
                expect: "\"result_code\":0".into(),
            }
        })
        .collect()
}

/// Creates each call once, at CONCURRENCY; requests per second.
async fn create_all(client: &reqwest::Client, calls: Vec<Call>) -> f64 {
    let calls = Arc::new(calls);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, calls, next) = (client.clone(), Arc::clone(&calls), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(call) = calls.get(i) else { break };
                let r = client
                    .post(&call.url)
                    .header("content-type", call.content_type)
                    .body(call.body.clone())
                    .send()
                    .await
                    .expect("create");
                let b = r.bytes().await.expect("body");
                assert!(memchr(&b, call.expect.as_bytes()), "{b:?}");
            }
        }));
    }
    for t in tasks {
        t.await.expect("create task");
    }
    calls.len() as f64 / start.elapsed().as_secs_f64()
}

async fn fixed_server(body: Bytes) -> String {
    let app = axum::Router::new().route(
        "/v1/trade/query",
        axum::routing::post(move |_req: Bytes| {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/v1/trade/query")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn run() {
    let secs: f64 = env_num("PAYHUB_BENCH_SECS", 2.0);
    let rounds: usize = env_num("PAYHUB_BENCH_ROUNDS", 3).max(1);
    let stored: usize = env_num("PAYHUB_BENCH_ORDERS", 100_000).max(1);
    let keys = SandboxKeys::generate().expect("keys");
    let config = || SandboxConfig {
        keys: Some(keys.clone()),
        ..SandboxConfig::default()
    };
    let one = Sandbox::start(config()).await.expect("sandbox");
    let many = Sandbox::start(config()).await.expect("sandbox");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");

    // Creates, before the bulk load and after it.
    let n_creates = 2_000;
    let creates_empty = create_all(&client, beecloud_creates(&many, "E", n_creates)).await;

    let now = OffsetDateTime::now_utc();
    one.insert_order(sunmi_order(0, now)).expect("insert");
    let t = Instant::now();
    for i in 0..stored {
        many.insert_order(sunmi_order(i, now)).expect("insert");
    }
    let load_secs = t.elapsed().as_secs_f64();
    let creates_full = create_all(&client, beecloud_creates(&many, "F", n_creates)).await;

    let one_calls = Arc::new(vec![sunmi_query(&one, "orderId", "LOAD-00000000")]);
    // 4096 distinct queries spread over the whole store, by each documented key in turn.
    let step = (stored / 4096).max(1);
    let many_calls: Vec<Call> = (0..4096.min(stored))
        .map(|k| {
            let i = (k * step + k % step.max(1)) % stored;
            match k % 3 {
                0 => sunmi_query(&many, "orderId", &format!("LOAD-{i:08}")),
                1 => sunmi_query(&many, "misId", &format!("SM{i:020}")),
                _ => sunmi_query(&many, "platformId", &format!("4200{i:024}")),
            }
        })
        .collect();
    let many_calls = Arc::new(many_calls);

    // The fixed handler answers the very bytes the sandbox answers for the one-order query.
    let sample = client
        .post(&one_calls[0].url)
        .header("content-type", one_calls[0].content_type)
        .body(one_calls[0].body.clone())
        .send()
        .await
        .expect("sample")
        .bytes()
        .await
        .expect("sample body");
    let fixed_url = fixed_server(sample.clone()).await;
    let fixed_calls = Arc::new(vec![Call {
        url: fixed_url,
        expect: one_calls[0].expect.clone(),
        ..one_calls[0].clone()
    }]);

    println!(
        "query_load: concurrency {CONCURRENCY}, {secs} s per measurement (+{} ms warm-up), \
         {rounds} interleaved rounds, median shown; {} worker threads, {} CPUs",
        WARMUP.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!(
        "stored {stored} orders in {load_secs:.2} s; answer size {} bytes",
        sample.len()
    );
    let (mut fixed, mut single, mut full) = (Vec::new(), Vec::new(), Vec::new());
    // CPU per request, in the same order.
    let mut cpu: [Vec<f64>; 3] = Default::default();
    let mut total = 0;
    for r in 0..rounds {
        // Rotate the order so no target always runs first or last.
        for k in 0..3 {
            let target = (r + k) % 3;
            let (calls, into) = match target {
                0 => (&fixed_calls, &mut fixed),
                1 => (&one_calls, &mut single),
                _ => (&many_calls, &mut full),
            };
            let m = drive(&client, calls, secs).await;
            total += m.requests;
            into.push(m.per_sec);
            if let Some(c) = m.cpu_per_request {
                cpu[target].push(c);
            }
        }
        println!(
            "round {}: fixed {:.0}/s, 1 order {:.0}/s, {stored} orders {:.0}/s",
            r + 1,
            fixed[r],
            single[r],
            full[r]
        );
    }
    let spread = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(0.0, f64::max);
        format!("{lo:.0}..{hi:.0}")
    };
    println!(
        "spread over rounds (req/s): fixed {}, 1 order {}, {stored} orders {}",
        spread(&fixed),
        spread(&single),
        spread(&full)
    );
    let (fixed, single, full) = (median(fixed), median(single), median(full));
    println!("requests measured: {total}");
    println!("fixed axum handler      {fixed:>9.0} req/s");
    println!("sandbox, 1 order        {single:>9.0} req/s");
    println!("sandbox, {stored} orders {full:>9.0} req/s");
    println!(
        "ratio {stored} orders / 1 order:    {:.3}  (must be >= 0.90)",
        full / single
    );
    println!(
        "ratio 1 order / fixed handler:     {:.3}  (must be >= 0.80)",
        single / fixed
    );
    println!("ratio {stored} orders / fixed:      {:.3}", full / fixed);
    if cpu.iter().all(|c| c.len() == rounds) {
        let [c_fixed, c_one, c_many] = cpu.map(median);
        println!(
            "by CPU time per request (process, median): 1 order / fixed {:.3}, \
             {stored} orders / 1 order {:.3}, {stored} orders / fixed {:.3}",
            c_fixed / c_one,
            c_one / c_many,
            c_fixed / c_many
        );
    }
    println!(
        "creates (BeeCloud /1/rest/bill, {n_creates} at concurrency {CONCURRENCY}): \
         {creates_empty:.0}/s on an empty store, {creates_full:.0}/s with {stored} orders \
         (ratio {:.3})",
        creates_full / creates_empty
    );
    one.shutdown().await;
    many.shutdown().await;
}
