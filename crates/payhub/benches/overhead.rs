//! SDK overhead at the raw-reqwest line (issue 18).
//!
//! For each provider's query (Sunmi, BeeCloud, Pooul, Mifeng) the bench sends the same bytes
//! twice: through the provider crate's client, and through raw `reqwest` + `serde_json` +
//! `md-5` (+ `aws-lc-rs`/`base64` for Pooul's RS256 JWT), against a loopback server answering
//! fixed bodies taken from `fixtures/`. Before measuring, one request of each side is captured
//! at the server and compared (method, path and query, every header, body bytes); a
//! difference ends the run with exit code 1.
//!
//! Measured, SDK and raw blocks alternating within each round: latency p50/p99 at concurrency
//! 1, throughput at concurrency 64, CPU per call (`getrusage(RUSAGE_SELF)` user+sys over the
//! c=64 blocks), allocations per call (a counting global allocator, over the c=1 blocks).
//! The server runs in a child process (this binary re-executed with `PAYHUB_OVERHEAD_SERVER`
//! set) so that getrusage and the allocation counter see only the clients.
//!
//! `cargo bench -p payhub --bench overhead`; `PAYHUB_OVERHEAD_QUICK=1` for a short run;
//! `PAYHUB_OVERHEAD_TRACE=<provider>:<sdk|raw>` prints where one call's allocations are made;
//! `PAYHUB_OVERHEAD_PIN=1` runs the client on CPU 0 and the server on CPU 1;
//! `PAYHUB_OVERHEAD_PROFILE=<provider>:<sdk|raw>` (and `PAYHUB_OVERHEAD_PROFILE_SECS`) runs one side alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Counts every allocation (and reallocation) of the process.
struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// While set, every allocation's backtrace is kept (`PAYHUB_OVERHEAD_TRACE`).
static TRACING: AtomicBool = AtomicBool::new(false);
static TRACES: std::sync::Mutex<Vec<std::backtrace::Backtrace>> = std::sync::Mutex::new(Vec::new());

thread_local! {
    /// Set while this thread records a trace: the recording's own allocations are not traced.
    static IN_TRACE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn trace_allocation() {
    if !TRACING.load(Ordering::Relaxed) {
        return;
    }
    let _ = IN_TRACE.try_with(|busy| {
        if busy.replace(true) {
            return;
        }
        let bt = std::backtrace::Backtrace::force_capture();
        if let Ok(mut traces) = TRACES.lock() {
            traces.push(bt);
        }
        busy.set(false);
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a side
// effect only.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        trace_allocation();
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        trace_allocation();
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        trace_allocation();
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const SERVER_ENV: &str = "PAYHUB_OVERHEAD_SERVER";
const QUICK_ENV: &str = "PAYHUB_OVERHEAD_QUICK";
/// `<provider>:<sdk|raw>`: after the byte check, run only that side at c=64 for 20 s (for
/// `perf record`, or `valgrind --tool=callgrind` with two lengths, to count instructions per
/// call), then print its calls and CPU per call.
const PROFILE_ENV: &str = "PAYHUB_OVERHEAD_PROFILE";
/// With `PAYHUB_OVERHEAD_PROFILE`: how many seconds the block runs (20 unless set).
const PROFILE_SECS_ENV: &str = "PAYHUB_OVERHEAD_PROFILE_SECS";
/// `<provider>:<sdk|raw>`: after the byte check and a warm-up, make one call of that side and
/// print where each of its allocations was made (the first frames outside std), then exit.
const TRACE_ENV: &str = "PAYHUB_OVERHEAD_TRACE";
/// Set: the client runs on CPU 0 and the server on CPU 1 (Linux), so neither takes the
/// other's core and a ratio reads the client's own cost; c=64 throughput is then bounded by
/// the client's one core.
const PIN_ENV: &str = "PAYHUB_OVERHEAD_PIN";

type BenchResult<T> = Result<T, String>;

fn main() {
    let server = std::env::var_os(SERVER_ENV).is_some();
    // Before any runtime thread exists: threads inherit the mask.
    let pinned = match std::env::var_os(PIN_ENV) {
        Some(_) => pin_to(if server { 1 } else { 0 }),
        None => Ok(()),
    };
    let outcome = pinned.and_then(|()| if server { server::run() } else { client::run() });
    if let Err(e) = outcome {
        eprintln!("overhead: {e}");
        std::process::exit(1);
    }
}

fn fixture(path: &str) -> BenchResult<String> {
    let full = format!("{}/../../fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).map_err(|e| format!("{full}: {e}"))
}

fn pem_der(path: &str) -> BenchResult<Vec<u8>> {
    let text = fixture(path)?;
    Ok(pem::parse(text)
        .map_err(|e| format!("{path}: {e}"))?
        .into_contents())
}

/// The identities the requests carry; shared by the server (echo checks) and both clients.
mod ids {
    /// Sunmi `app_id` and the query keys of fixtures/sunmi/query_request.json.
    pub const SUNMI_APP_ID: &str = "71aefe05cd4c49b6acd1bd2715ed5577";
    pub const SUNMI_APP_KEY: &str = "bench-sunmi-app-key";
    pub const SUNMI_MSN: &str = "V206D88200036";
    pub const SUNMI_ORDER_ID: &str = "40000734324823473432";
    /// BeeCloud's example values of docs/upstream/beecloud.md §4.
    pub const BEECLOUD_APP_ID: &str = "0950c062-5e41-44e3-8f52-f89d8cf2b6eb";
    pub const BEECLOUD_APP_KEY: &str = "bench-beecloud-app-key";
    pub const BEECLOUD_BILL_NO: &str = "201506101035040000001";
    /// Pooul merchant and order of fixtures/pooul/pay_common_micro_response.json.
    pub const POOUL_MERCHANT_ID: &str = "5399355381712172";
    pub const POOUL_MCH_TRADE_ID: &str = "alextest.micro.78";
    /// Mifeng merchant and order of fixtures/mifeng/query_response.json.
    pub const MIFENG_MCH_ID: &str = "1000122";
    pub const MIFENG_SECRET: &str = "bench-mifeng-secret";
    pub const MIFENG_ORDER_NO: &str = "2015042321001004720";
    /// Keys under fixtures/signing/keys: the merchant signs with the PKCS#1 key, the platform
    /// answers with the PKCS#8 one.
    pub const POOUL_MERCHANT_KEY: &str = "signing/keys/test_rsa_pkcs1.pem";
    pub const POOUL_PLATFORM_KEY: &str = "signing/keys/test_rsa_pkcs8.pem";
    pub const POOUL_PLATFORM_PUBLIC: &str = "signing/keys/test_rsa_spki.pem";
}

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Captured {
    method: String,
    uri: String,
    /// Every header, names lowercased, sorted.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

mod server {
    //! The loopback server of the child process: fixed answers, and a capture switch.

    use super::{BenchResult, Captured, fixture, ids};
    use axum::body::{Body, Bytes};
    use axum::extract::{Request, State};
    use axum::http::{StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use std::io::{BufRead, Write};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Answers {
        sunmi_query: Bytes,
        beecloud_bills: Bytes,
        pooul_query: Bytes,
        mifeng_token: Bytes,
        mifeng_query: Bytes,
        capturing: AtomicBool,
        captured: Mutex<Vec<Captured>>,
    }

    /// BeeCloud's document has no JSON sample of a §4 answer: this one is built from the
    /// documented fields (result_code/result_msg/err_detail, count, bills[] with bill_no,
    /// total_fee, channel, title, spay_result, created_time), filled with the document's own
    /// example values (§2 and §4).
    pub fn beecloud_bills() -> String {
        serde_json::json!({
            "result_code": 0,
            "result_msg": "OK",
            "err_detail": "",
            "count": 1,
            "bills": [{
                "bill_no": ids::BEECLOUD_BILL_NO,
                "total_fee": 1,
                "channel": "WX",
                "title": "白开水",
                "spay_result": true,
                "created_time": 1435890533866i64,
            }],
        })
        .to_string()
    }

    /// Pooul's query answer: the documented `{code, msg, data, nonce_str}` envelope with the
    /// trade of fixtures/pooul/pay_common_micro_response.json (fixtures/pooul/query_response.json
    /// has an empty `data`, which no query result decodes from), signed once as an RS256 JWT
    /// with the platform test key.
    fn pooul_query() -> BenchResult<String> {
        let mut answer: serde_json::Value =
            serde_json::from_str(&fixture("pooul/pay_common_micro_response.json")?)
                .map_err(|e| e.to_string())?;
        answer["nonce_str"] = "benchanswernonce".into();
        let key = paysig::RsaPrivateKey::from_pem_or_base64(&fixture(ids::POOUL_PLATFORM_KEY)?)
            .map_err(|e| e.to_string())?;
        paysig::jwt::encode_rs256(&answer, &key).map_err(|e| e.to_string())
    }

    pub fn run() -> BenchResult<()> {
        let answers = std::sync::Arc::new(Answers {
            sunmi_query: fixture("sunmi/query_response.json")?.into(),
            beecloud_bills: beecloud_bills().into(),
            pooul_query: pooul_query()?.into(),
            mifeng_token: fixture("mifeng/accesstoken_response.json")?.into(),
            mifeng_query: fixture("mifeng/query_response.json")?.into(),
            capturing: AtomicBool::new(false),
            captured: Mutex::new(Vec::new()),
        });
        // The parent closes our stdin when it is done (or dies): then we go too.
        std::thread::spawn(|| {
            let mut sink = String::new();
            while std::io::stdin().lock().read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
            std::process::exit(0);
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| e.to_string())?;
            let port = listener.local_addr().map_err(|e| e.to_string())?.port();
            let mut out = std::io::stdout().lock();
            writeln!(out, "PORT {port}").map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())?;
            drop(out);
            let app = axum::Router::new().fallback(handle).with_state(answers);
            axum::serve(listener, app).await.map_err(|e| e.to_string())
        })
    }

    async fn handle(State(a): State<std::sync::Arc<Answers>>, req: Request) -> Response {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path().to_owned();
        let body = match axum::body::to_bytes(body, 1 << 20).await {
            Ok(b) => b,
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        };
        match path.as_str() {
            "/_capture/arm" => {
                a.captured.lock().unwrap_or_else(|p| p.into_inner()).clear();
                a.capturing.store(true, Ordering::SeqCst);
                return StatusCode::NO_CONTENT.into_response();
            }
            "/_capture/take" => {
                a.capturing.store(false, Ordering::SeqCst);
                let taken =
                    std::mem::take(&mut *a.captured.lock().unwrap_or_else(|p| p.into_inner()));
                return match serde_json::to_vec(&taken) {
                    Ok(json) => json.into_response(),
                    Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                };
            }
            _ => {}
        }
        if a.capturing.load(Ordering::SeqCst) {
            let mut headers: Vec<(String, String)> = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            headers.sort();
            a.captured
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Captured {
                    method: parts.method.to_string(),
                    uri: parts.uri.to_string(),
                    headers,
                    body: body.to_vec(),
                });
        }
        let (content_type, answer) = match (parts.method.as_str(), path.as_str()) {
            ("POST", "/sunmi/v1/trade/query") => ("application/json", a.sunmi_query.clone()),
            ("GET", "/beecloud/1/rest/bills") => ("application/json", a.beecloud_bills.clone()),
            ("POST", "/pooul/v2/pay/query") => ("text/plain", a.pooul_query.clone()),
            ("POST", "/mifeng/v1/api/pay/accesstoken") => {
                ("application/json", a.mifeng_token.clone())
            }
            ("POST", "/mifeng/v1/api/pay/query") => ("application/json", a.mifeng_query.clone()),
            _ => return StatusCode::NOT_FOUND.into_response(),
        };
        ([(header::CONTENT_TYPE, content_type)], Body::from(answer)).into_response()
    }
}

/// One side of a comparison: a call that sends one query and checks its answer.
trait Target: Send + Sync + 'static {
    fn call(&self) -> impl Future<Output = BenchResult<()>> + Send;
}

mod sdk {
    //! The four provider clients, configured for the loopback server.

    use super::{BenchResult, Target, fixture, ids};
    use std::sync::Arc;
    use url::Url;

    fn base(port: u16, provider: &str) -> BenchResult<Url> {
        Url::parse(&format!("http://127.0.0.1:{port}/{provider}/")).map_err(|e| e.to_string())
    }

    pub struct Sunmi {
        client: sunmi::Client,
        req: sunmi::QueryRequest,
    }

    impl Sunmi {
        pub fn new(port: u16) -> BenchResult<Self> {
            let key = paysig::RsaPublicKey::from_pem_or_base64(sunmi::TEST_PUBLIC_KEY)
                .map_err(|e| e.to_string())?;
            let config = sunmi::Config::new(
                sunmi::Environment::Custom(base(port, "sunmi")?),
                ids::SUNMI_APP_ID,
                paysig::SecretString::from(ids::SUNMI_APP_KEY),
                key,
            );
            Ok(Sunmi {
                client: sunmi::Client::new(config).map_err(|e| e.to_string())?,
                req: sunmi::QueryRequest {
                    terminal: sunmi::Terminal::Msn(ids::SUNMI_MSN.into()),
                    order: sunmi::OrderRef::OrderId(ids::SUNMI_ORDER_ID.into()),
                },
            })
        }
    }

    impl Target for Sunmi {
        async fn call(&self) -> BenchResult<()> {
            let r = self
                .client
                .query(&self.req)
                .await
                .map_err(|e| e.to_string())?;
            std::hint::black_box(r);
            Ok(())
        }
    }

    pub struct BeeCloud {
        client: beecloud::Client,
        query: beecloud::BillsQuery,
    }

    impl BeeCloud {
        pub fn new(port: u16) -> BenchResult<Self> {
            let config = beecloud::Config::new(
                beecloud::Environment::Custom(vec![base(port, "beecloud")?]),
                ids::BEECLOUD_APP_ID,
                ids::BEECLOUD_APP_KEY,
            );
            Ok(BeeCloud {
                client: beecloud::Client::new(config).map_err(|e| e.to_string())?,
                query: beecloud::BillsQuery::new(beecloud::Channel::Wx)
                    .bill_no(ids::BEECLOUD_BILL_NO),
            })
        }
    }

    impl Target for BeeCloud {
        async fn call(&self) -> BenchResult<()> {
            let page = self
                .client
                .bills(&self.query)
                .await
                .map_err(|e| e.to_string())?;
            std::hint::black_box(page);
            Ok(())
        }
    }

    pub struct Pooul {
        client: pooul::Client,
    }

    impl Pooul {
        pub fn new(port: u16) -> BenchResult<Self> {
            let merchant_key =
                paysig::RsaPrivateKey::from_pem_or_base64(&fixture(ids::POOUL_MERCHANT_KEY)?)
                    .map_err(|e| e.to_string())?;
            let platform_key =
                paysig::RsaPublicKey::from_pem_or_base64(&fixture(ids::POOUL_PLATFORM_PUBLIC)?)
                    .map_err(|e| e.to_string())?;
            let config = pooul::Config::new(
                pooul::Environment::Custom(base(port, "pooul")?),
                ids::POOUL_MERCHANT_ID,
                merchant_key,
                platform_key,
            );
            Ok(Pooul {
                client: pooul::Client::new(config).map_err(|e| e.to_string())?,
            })
        }
    }

    impl Target for Pooul {
        async fn call(&self) -> BenchResult<()> {
            let r = self
                .client
                .query(ids::POOUL_MCH_TRADE_ID)
                .await
                .map_err(|e| e.to_string())?;
            std::hint::black_box(r);
            Ok(())
        }
    }

    /// Lets every call through at once: the documented 20 calls/s would make the bench measure
    /// the limiter's pacing, not the SDK (Mifeng's figures therefore leave the limiter out).
    #[derive(Debug)]
    struct Unlimited;

    #[async_trait::async_trait]
    impl mifeng::RateLimiter for Unlimited {
        async fn acquire(
            &self,
            _mch_id: &str,
            _pace: mifeng::Pace,
            _max_wait: std::time::Duration,
            _lane: mifeng::Lane,
        ) -> Result<(), mifeng::Error> {
            Ok(())
        }
    }

    pub struct Mifeng {
        client: mifeng::Client,
    }

    impl Mifeng {
        pub fn new(port: u16) -> BenchResult<Self> {
            let mut config = mifeng::Config::new(
                mifeng::Environment::Custom(base(port, "mifeng")?),
                ids::MIFENG_MCH_ID,
                ids::MIFENG_SECRET,
            );
            config.rate_limit.limiter = Some(Arc::new(Unlimited));
            Ok(Mifeng {
                client: mifeng::Client::new(config).map_err(|e| e.to_string())?,
            })
        }
    }

    impl Target for Mifeng {
        async fn call(&self) -> BenchResult<()> {
            let r = self
                .client
                .query(ids::MIFENG_ORDER_NO)
                .await
                .map_err(|e| e.to_string())?;
            std::hint::black_box(r);
            Ok(())
        }
    }
}

mod raw {
    //! The same requests through raw reqwest + serde_json + md-5 (+ aws-lc-rs and base64 for
    //! Pooul's JWT), with the nonce/timestamp captured from one SDK request.

    use super::{BenchResult, Captured, Target, ids, pem_der};
    use aws_lc_rs::signature::{self, RsaKeyPair, UnparsedPublicKey};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use md5::{Digest, Md5};
    use serde::{Deserialize, Serialize};

    /// The sender the SDK builds (same timeouts, User-Agent and pool), without the SDK.
    pub fn http() -> BenchResult<reqwest::Client> {
        let defaults = paysig::http::HttpConfig::default();
        reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(defaults.user_agent)
            .pool_idle_timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())
    }

    fn url(port: u16, path: &str) -> BenchResult<reqwest::Url> {
        reqwest::Url::parse(&format!("http://127.0.0.1:{port}{path}")).map_err(|e| e.to_string())
    }

    fn hex(digest: &[u8], upper: bool) -> [u8; 32] {
        let table = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let mut out = [0u8; 32];
        for (i, b) in digest.iter().take(16).enumerate() {
            out[2 * i] = table[usize::from(b >> 4)];
            out[2 * i + 1] = table[usize::from(b & 0xf)];
        }
        out
    }

    fn ascii(bytes: &[u8]) -> &str {
        // Hex digits and decimal digits only.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    async fn read_ok(resp: reqwest::Response) -> BenchResult<axum::body::Bytes> {
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        resp.bytes().await.map_err(|e| e.to_string())
    }

    // ---- Sunmi: form POST, MD5 over the sorted pairs + app_key, uppercase hex.

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)] // read through black_box
    struct SunmiQuery {
        amount: u64,
        business_id: String,
        buyer_pay_amount: u64,
        mis_id: String,
        msn: String,
        merchant_no: String,
        order_type: u8,
        order_id: String,
        pay_time: i64,
        platform: String,
        platform_id: String,
        refunded: String,
        result_code: String,
        result_msg: String,
        state: u8,
    }

    #[derive(Deserialize)]
    pub struct SunmiAnswer {
        code: String,
        #[allow(dead_code)]
        msg: Option<String>,
        data: Option<SunmiQuery>,
    }

    pub struct Sunmi {
        http: reqwest::Client,
        url: reqwest::Url,
    }

    impl Sunmi {
        pub fn new(port: u16) -> BenchResult<Self> {
            Ok(Sunmi {
                http: http()?,
                url: url(port, "/sunmi/v1/trade/query")?,
            })
        }
    }

    impl Target for Sunmi {
        async fn call(&self) -> BenchResult<()> {
            let pairs = [
                ("app_id", ids::SUNMI_APP_ID),
                ("charset", "utf8"),
                ("msn", ids::SUNMI_MSN),
                ("orderId", ids::SUNMI_ORDER_ID),
            ];
            let mut sorted = pairs;
            sorted.sort_unstable_by_key(|(k, _)| *k);
            let mut md5 = Md5::new();
            for (i, (k, v)) in sorted.iter().enumerate() {
                if i > 0 {
                    md5.update(b"&");
                }
                md5.update(k.as_bytes());
                md5.update(b"=");
                md5.update(v.as_bytes());
            }
            md5.update(ids::SUNMI_APP_KEY.as_bytes());
            let sign = hex(&md5.finalize(), true);
            let form = [
                pairs[0],
                pairs[1],
                pairs[2],
                pairs[3],
                ("sign", ascii(&sign)),
            ];
            let resp = self
                .http
                .post(self.url.clone())
                .form(&form)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let body = read_ok(resp).await?;
            let answer: SunmiAnswer = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            if answer.code != "10000" || answer.data.is_none() {
                return Err(format!("sunmi answered {}", answer.code));
            }
            std::hint::black_box(answer);
            Ok(())
        }
    }

    // ---- BeeCloud: GET ?para=<JSON>, app_sign = md5(app_id + timestamp + app_key).

    #[derive(Serialize)]
    struct BillsPara<'a> {
        app_id: &'a str,
        timestamp: i64,
        app_sign: &'a str,
        channel: &'a str,
        bill_no: &'a str,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)] // read through black_box
    struct Bill {
        bill_no: String,
        total_fee: u64,
        channel: String,
        title: String,
        spay_result: bool,
        created_time: i64,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)] // read through black_box
    pub struct BillsAnswer {
        result_code: i64,
        result_msg: String,
        err_detail: String,
        count: u64,
        bills: Vec<Bill>,
    }

    pub struct BeeCloud {
        http: reqwest::Client,
        url: reqwest::Url,
        timestamp: i64,
    }

    impl BeeCloud {
        /// `timestamp` read from the SDK's captured `para`.
        pub fn new(port: u16, sdk: &Captured) -> BenchResult<Self> {
            let query = sdk.uri.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let para = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "para")
                .ok_or("no para in the SDK's BeeCloud request")?
                .1;
            let para: serde_json::Value = serde_json::from_str(&para).map_err(|e| e.to_string())?;
            let timestamp = para["timestamp"]
                .as_i64()
                .ok_or("no timestamp in the SDK's para")?;
            Ok(BeeCloud {
                http: http()?,
                url: url(port, "/beecloud/1/rest/bills")?,
                timestamp,
            })
        }
    }

    impl Target for BeeCloud {
        async fn call(&self) -> BenchResult<()> {
            let mut ts = [0u8; 20];
            let ts_len = {
                use std::io::Write;
                let mut cursor = std::io::Cursor::new(&mut ts[..]);
                write!(cursor, "{}", self.timestamp).map_err(|e| e.to_string())?;
                usize::try_from(cursor.position()).unwrap_or(0)
            };
            let mut md5 = Md5::new();
            md5.update(ids::BEECLOUD_APP_ID.as_bytes());
            md5.update(&ts[..ts_len]);
            md5.update(ids::BEECLOUD_APP_KEY.as_bytes());
            let sign = hex(&md5.finalize(), false);
            let para = serde_json::to_string(&BillsPara {
                app_id: ids::BEECLOUD_APP_ID,
                timestamp: self.timestamp,
                app_sign: ascii(&sign),
                channel: "WX",
                bill_no: ids::BEECLOUD_BILL_NO,
            })
            .map_err(|e| e.to_string())?;
            // reqwest 0.13 has `RequestBuilder::query` only behind its `query` feature; this is
            // what it does.
            let mut url = self.url.clone();
            url.query_pairs_mut().append_pair("para", &para);
            let resp = self.http.get(url).send().await.map_err(|e| e.to_string())?;
            let body = read_ok(resp).await?;
            let answer: BillsAnswer = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            if answer.result_code != 0 {
                return Err(format!("beecloud answered {}", answer.result_code));
            }
            std::hint::black_box(answer);
            Ok(())
        }
    }

    // ---- Pooul: text/plain RS256 JWT of {mch_trade_id, nonce_str}; the answer is a JWT too.

    const JWT_HEADER: &str = r#"{"alg":"RS256","typ":"JWT"}"#;

    #[derive(Serialize)]
    struct PooulQuery<'a> {
        mch_trade_id: &'a str,
        nonce_str: &'a str,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)] // read through black_box
    struct PooulTrade {
        trade_id: String,
        mch_trade_id: String,
        merchant_id: String,
        trade_state: i64,
        trade_info: String,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)] // read through black_box
    pub struct PooulAnswer {
        code: i64,
        msg: String,
        data: Option<PooulTrade>,
        nonce_str: String,
    }

    pub struct Pooul {
        http: reqwest::Client,
        url: reqwest::Url,
        nonce: String,
        merchant_key: RsaKeyPair,
        platform_key: UnparsedPublicKey<Vec<u8>>,
        rng: aws_lc_rs::rand::SystemRandom,
    }

    impl Pooul {
        /// `nonce_str` read from the SDK's captured JWT.
        pub fn new(port: u16, sdk: &Captured) -> BenchResult<Self> {
            let token = std::str::from_utf8(&sdk.body).map_err(|e| e.to_string())?;
            let payload = token.split('.').nth(1).ok_or("the SDK sent no JWT")?;
            let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|e| e.to_string())?;
            let payload: serde_json::Value =
                serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
            let nonce = payload["nonce_str"]
                .as_str()
                .ok_or("no nonce_str in the SDK's JWT")?
                .to_owned();
            let merchant_key = RsaKeyPair::from_der(&pem_der(ids::POOUL_MERCHANT_KEY)?)
                .map_err(|e| e.to_string())?;
            let platform_key = UnparsedPublicKey::new(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                pem_der(ids::POOUL_PLATFORM_PUBLIC)?,
            );
            let mut url = url(port, "/pooul/v2/pay/query")?;
            url.query_pairs_mut()
                .append_pair("merchant_id", ids::POOUL_MERCHANT_ID);
            Ok(Pooul {
                http: http()?,
                url,
                nonce,
                merchant_key,
                platform_key,
                rng: aws_lc_rs::rand::SystemRandom::new(),
            })
        }
    }

    impl Target for Pooul {
        async fn call(&self) -> BenchResult<()> {
            let payload = serde_json::to_vec(&PooulQuery {
                mch_trade_id: ids::POOUL_MCH_TRADE_ID,
                nonce_str: &self.nonce,
            })
            .map_err(|e| e.to_string())?;
            let mut token = String::with_capacity(64 + payload.len() * 4 / 3 + 350);
            URL_SAFE_NO_PAD.encode_string(JWT_HEADER, &mut token);
            token.push('.');
            URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
            let mut sig = [0u8; 512];
            let sig = &mut sig[..self.merchant_key.public_modulus_len()];
            self.merchant_key
                .sign(
                    &signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    token.as_bytes(),
                    sig,
                )
                .map_err(|e| e.to_string())?;
            token.push('.');
            URL_SAFE_NO_PAD.encode_string(sig, &mut token);
            let resp = self
                .http
                .post(self.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "text/plain")
                .body(token)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let body = read_ok(resp).await?;
            let text = std::str::from_utf8(&body).map_err(|e| e.to_string())?;
            let mut parts = text.trim().splitn(3, '.');
            let (Some(head), Some(claims), Some(sig)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err("pooul answered no JWT".into());
            };
            let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|e| e.to_string())?;
            let signed = &text.trim().as_bytes()[..head.len() + 1 + claims.len()];
            self.platform_key
                .verify(signed, &sig)
                .map_err(|_| "pooul answer signature")?;
            let claims = URL_SAFE_NO_PAD.decode(claims).map_err(|e| e.to_string())?;
            let answer: PooulAnswer = serde_json::from_slice(&claims).map_err(|e| e.to_string())?;
            match &answer.data {
                Some(t) if answer.code == 0 && t.mch_trade_id == ids::POOUL_MCH_TRADE_ID => {}
                _ => return Err(format!("pooul answered {}", answer.code)),
            }
            std::hint::black_box(answer);
            Ok(())
        }
    }

    // ---- Mifeng: an access token fetched once, then a form POST of token/mch_id/order_no/timestamp.

    #[derive(Deserialize)]
    struct TokenData {
        token: String,
    }

    #[derive(Deserialize)]
    struct TokenAnswer {
        code: i64,
        data: Option<TokenData>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)] // read through black_box
    struct MifengOrder {
        mch_id: String,
        order_no: String,
        out_order_no: String,
        state: i64,
        money: String,
        notify_succ: String,
        expired_time: String,
        expired_timestamp: String,
        notify_url: String,
        pay_url: String,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)] // read through black_box
    pub struct MifengAnswer {
        code: i64,
        msg: String,
        data: Option<MifengOrder>,
        request_id: String,
    }

    pub struct Mifeng {
        http: reqwest::Client,
        url: reqwest::Url,
        token: String,
        timestamp: String,
    }

    impl Mifeng {
        /// The token is fetched like the SDK does (once); `timestamp` is read from the SDK's
        /// captured form.
        pub async fn new(port: u16, sdk: &Captured) -> BenchResult<Self> {
            let timestamp = url::form_urlencoded::parse(&sdk.body)
                .find(|(k, _)| k == "timestamp")
                .ok_or("no timestamp in the SDK's Mifeng query")?
                .1
                .into_owned();
            let http = http()?;
            let resp = http
                .post(url(port, "/mifeng/v1/api/pay/accesstoken")?)
                .form(&[
                    ("mch_id", ids::MIFENG_MCH_ID),
                    ("secret", ids::MIFENG_SECRET),
                ])
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let answer: TokenAnswer =
                serde_json::from_slice(&read_ok(resp).await?).map_err(|e| e.to_string())?;
            let token = match answer.data {
                Some(d) if answer.code == 0 => d.token,
                _ => return Err(format!("mifeng token answer {}", answer.code)),
            };
            Ok(Mifeng {
                http,
                url: url(port, "/mifeng/v1/api/pay/query")?,
                token,
                timestamp,
            })
        }
    }

    impl Target for Mifeng {
        async fn call(&self) -> BenchResult<()> {
            let form = [
                ("token", self.token.as_str()),
                ("mch_id", ids::MIFENG_MCH_ID),
                ("order_no", ids::MIFENG_ORDER_NO),
                ("timestamp", self.timestamp.as_str()),
            ];
            let resp = self
                .http
                .post(self.url.clone())
                .form(&form)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let body = read_ok(resp).await?;
            let answer: MifengAnswer = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            match &answer.data {
                Some(o) if answer.code == 0 && o.order_no == ids::MIFENG_ORDER_NO => {}
                _ => return Err(format!("mifeng answered {}", answer.code)),
            }
            std::hint::black_box(answer);
            Ok(())
        }
    }
}

/// user+sys CPU time of this process.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// This thread, and the threads it starts, on `cpu` only.
fn pin_to(cpu: usize) -> BenchResult<()> {
    // SAFETY: the set is a zeroed `cpu_set_t` we own, of the size passed; pid 0 is this
    // thread.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "{PIN_ENV}: cannot run on CPU {cpu}: {}",
            std::io::Error::last_os_error()
        ))
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

mod client {
    //! The parent: starts the server, checks the bytes, measures, prints.

    use super::*;
    use std::io::BufRead;
    use std::process::{Child, Command, Stdio};

    struct Plan {
        rounds: usize,
        c1_block: Duration,
        c64_block: Duration,
        warmup: usize,
    }

    impl Plan {
        fn from_env() -> Plan {
            if std::env::var_os(QUICK_ENV).is_some() {
                Plan {
                    rounds: 2,
                    c1_block: Duration::from_millis(150),
                    c64_block: Duration::from_millis(200),
                    warmup: 50,
                }
            } else {
                Plan {
                    rounds: 6,
                    c1_block: Duration::from_millis(400),
                    c64_block: Duration::from_millis(600),
                    warmup: 200,
                }
            }
        }
    }

    /// The server child; killed when dropped.
    struct Server {
        child: Child,
        port: u16,
    }

    impl Server {
        fn start() -> BenchResult<Server> {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let mut child = Command::new(exe)
                .env(SERVER_ENV, "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| e.to_string())?;
            let stdout = child.stdout.take().ok_or("no server stdout")?;
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            let port = line
                .trim()
                .strip_prefix("PORT ")
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| format!("the server said {line:?}"))?;
            Ok(Server { child, port })
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// What one side accumulated over all rounds.
    #[derive(Default)]
    struct Side {
        latencies: Vec<Duration>,
        c1_calls: u64,
        c1_allocs: u64,
        c64_calls: u64,
        c64_elapsed: Duration,
        c64_cpu: Duration,
        /// Throughput of each round, for the spread.
        c64_per_round: Vec<f64>,
    }

    impl Side {
        fn p(&self, q: f64) -> Duration {
            let mut v = self.latencies.clone();
            v.sort_unstable();
            if v.is_empty() {
                return Duration::ZERO;
            }
            let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
            v[i]
        }
        fn throughput(&self) -> f64 {
            self.c64_calls as f64 / self.c64_elapsed.as_secs_f64().max(1e-9)
        }
        fn cpu_per_call(&self) -> Duration {
            self.c64_cpu / u32::try_from(self.c64_calls.max(1)).unwrap_or(u32::MAX)
        }
        fn allocs_per_call(&self) -> f64 {
            self.c1_allocs as f64 / self.c1_calls.max(1) as f64
        }
    }

    struct Pair<S, R> {
        name: &'static str,
        sdk: Arc<S>,
        raw: Arc<R>,
        sdk_side: Side,
        raw_side: Side,
    }

    async fn c1_block<T: Target>(t: &T, block: Duration, side: &mut Side) -> BenchResult<()> {
        // Reserved up front so that recording a latency never allocates inside the block.
        side.latencies.reserve(200_000);
        let a0 = ALLOCATIONS.load(Ordering::SeqCst);
        let start = Instant::now();
        let mut calls = 0u64;
        while start.elapsed() < block {
            let t0 = Instant::now();
            t.call().await?;
            let took = t0.elapsed();
            if side.latencies.len() < side.latencies.capacity() {
                side.latencies.push(took);
            }
            calls += 1;
        }
        side.c1_allocs += ALLOCATIONS.load(Ordering::SeqCst) - a0;
        side.c1_calls += calls;
        Ok(())
    }

    async fn c64_block<T: Target>(t: &Arc<T>, block: Duration, side: &mut Side) -> BenchResult<()> {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let cpu0 = cpu_time();
        let start = Instant::now();
        let mut tasks = Vec::with_capacity(64);
        for _ in 0..64 {
            let (t, stop, done) = (t.clone(), stop.clone(), done.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    t.call().await?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, String>(())
            }));
        }
        tokio::time::sleep(block).await;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            task.await.map_err(|e| e.to_string())??;
        }
        let elapsed = start.elapsed();
        let cpu = cpu_time() - cpu0;
        let calls = done.load(Ordering::SeqCst);
        side.c64_calls += calls;
        side.c64_elapsed += elapsed;
        side.c64_cpu += cpu;
        side.c64_per_round
            .push(calls as f64 / elapsed.as_secs_f64().max(1e-9));
        Ok(())
    }

    /// One call of `t` after a warm-up, each allocation printed by where it was made.
    async fn trace_one<T: Target>(t: &T) -> BenchResult<()> {
        warm(t, 20).await?;
        let a0 = ALLOCATIONS.load(Ordering::SeqCst);
        TRACING.store(true, Ordering::SeqCst);
        let out = t.call().await;
        TRACING.store(false, Ordering::SeqCst);
        let n = ALLOCATIONS.load(Ordering::SeqCst) - a0;
        out?;
        let traces = std::mem::take(&mut *TRACES.lock().map_err(|e| e.to_string())?);
        println!("{n} allocations in one call ({} traced):", traces.len());
        for (i, bt) in traces.iter().enumerate() {
            let text = bt.to_string();
            let frames: Vec<&str> = text
                .lines()
                .filter_map(|l| l.trim().split_once(": ").map(|(_, f)| f))
                .filter(|f| {
                    ![
                        "std::", "core::", "alloc::", "<alloc::", "<core::", "<std::", "__rust",
                    ]
                    .iter()
                    .any(|p| f.starts_with(p))
                        && !f.contains("CountingAlloc")
                        && !f.contains("trace_allocation")
                })
                .take(4)
                .collect();
            println!("{i:>4}  {}", frames.join("  <  "));
        }
        Ok(())
    }

    async fn warm<T: Target>(t: &T, n: usize) -> BenchResult<()> {
        for _ in 0..n {
            t.call().await?;
        }
        Ok(())
    }

    impl<S: Target, R: Target> Pair<S, R> {
        /// One round: SDK then raw, or raw then SDK on odd rounds, each c=1 then c=64.
        async fn round(&mut self, i: usize, plan: &Plan) -> BenchResult<()> {
            let sdk_first = i.is_multiple_of(2);
            for step in 0..2 {
                if (step == 0) == sdk_first {
                    c1_block(&*self.sdk, plan.c1_block, &mut self.sdk_side).await?;
                    c64_block(&self.sdk, plan.c64_block, &mut self.sdk_side).await?;
                } else {
                    c1_block(&*self.raw, plan.c1_block, &mut self.raw_side).await?;
                    c64_block(&self.raw, plan.c64_block, &mut self.raw_side).await?;
                }
            }
            Ok(())
        }

        fn print(&self) {
            let (s, r) = (&self.sdk_side, &self.raw_side);
            let us = |d: Duration| d.as_secs_f64() * 1e6;
            let rows: [(&str, f64, f64, &str); 5] = [
                ("p50 latency c=1 (µs)", us(s.p(0.5)), us(r.p(0.5)), "≤ 1.02"),
                ("p99 latency c=1 (µs)", us(s.p(0.99)), us(r.p(0.99)), "-"),
                (
                    "throughput c=64 (/s)",
                    s.throughput(),
                    r.throughput(),
                    "≥ 0.97",
                ),
                (
                    "CPU per call (µs)",
                    us(s.cpu_per_call()),
                    us(r.cpu_per_call()),
                    "≤ 1.05",
                ),
                (
                    "allocations per call",
                    s.allocs_per_call(),
                    r.allocs_per_call(),
                    "≤ 1.00",
                ),
            ];
            for (i, (measure, sdk, raw, target)) in rows.iter().enumerate() {
                let name = if i == 0 { self.name } else { "" };
                println!(
                    "{name:<9} {measure:<22} {sdk:>11.1} {raw:>11.1} {:>8.3}   {target}",
                    sdk / raw.max(1e-9)
                );
            }
            let ratios: Vec<f64> = s
                .c64_per_round
                .iter()
                .zip(&r.c64_per_round)
                .map(|(a, b)| a / b.max(1e-9))
                .collect();
            let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let max = ratios.iter().copied().fold(0.0, f64::max);
            println!(
                "{:<9} {:<22} per-round SDK/raw throughput {min:.3}–{max:.3} ({} rounds); c=1 calls {} / {}",
                "",
                "",
                ratios.len(),
                s.c1_calls,
                r.c1_calls
            );
        }
    }

    async fn capture<T: Target>(http: &reqwest::Client, port: u16, t: &T) -> BenchResult<Captured> {
        let base = format!("http://127.0.0.1:{port}/_capture");
        http.post(format!("{base}/arm"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        t.call().await?;
        let taken: Vec<Captured> = http
            .get(format!("{base}/take"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        match <[Captured; 1]>::try_from(taken) {
            Ok([one]) => Ok(one),
            Err(all) => Err(format!(
                "expected one request at the server, saw {}",
                all.len()
            )),
        }
    }

    /// Method, path and query, every header, body bytes.
    fn assert_same(name: &str, sdk: &Captured, raw: &Captured) -> BenchResult<()> {
        if sdk == raw {
            println!(
                "{name:<9} bytes equal: {} {} ({} headers, {} body bytes)",
                sdk.method,
                sdk.uri.split('?').next().unwrap_or_default(),
                sdk.headers.len(),
                sdk.body.len()
            );
            return Ok(());
        }
        let mut diff = format!("{name}: the raw request differs from the SDK's\n");
        if sdk.method != raw.method || sdk.uri != raw.uri {
            diff += &format!(
                "  SDK {} {}\n  raw {} {}\n",
                sdk.method, sdk.uri, raw.method, raw.uri
            );
        }
        if sdk.headers != raw.headers {
            diff += &format!(
                "  SDK headers {:?}\n  raw headers {:?}\n",
                sdk.headers, raw.headers
            );
        }
        if sdk.body != raw.body {
            diff += &format!(
                "  SDK body {}\n  raw body {}\n",
                String::from_utf8_lossy(&sdk.body),
                String::from_utf8_lossy(&raw.body)
            );
        }
        Err(diff)
    }

    pub fn run() -> BenchResult<()> {
        let plan = Plan::from_env();
        let load_start = loadavg();
        let server = Server::start()?;
        let port = server.port;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        rt.block_on(async {
            let control = raw::http()?;

            let sunmi_sdk = sdk::Sunmi::new(port)?;
            let sunmi_raw = raw::Sunmi::new(port)?;
            let s = capture(&control, port, &sunmi_sdk).await?;
            let r = capture(&control, port, &sunmi_raw).await?;
            assert_same("sunmi", &s, &r)?;
            let mut sunmi = Pair {
                name: "sunmi",
                sdk: Arc::new(sunmi_sdk),
                raw: Arc::new(sunmi_raw),
                sdk_side: Side::default(),
                raw_side: Side::default(),
            };

            let bee_sdk = sdk::BeeCloud::new(port)?;
            let s = capture(&control, port, &bee_sdk).await?;
            let bee_raw = raw::BeeCloud::new(port, &s)?;
            let r = capture(&control, port, &bee_raw).await?;
            assert_same("beecloud", &s, &r)?;
            let mut beecloud = Pair {
                name: "beecloud",
                sdk: Arc::new(bee_sdk),
                raw: Arc::new(bee_raw),
                sdk_side: Side::default(),
                raw_side: Side::default(),
            };

            let pooul_sdk = sdk::Pooul::new(port)?;
            let s = capture(&control, port, &pooul_sdk).await?;
            let pooul_raw = raw::Pooul::new(port, &s)?;
            let r = capture(&control, port, &pooul_raw).await?;
            assert_same("pooul", &s, &r)?;
            let mut pooul = Pair {
                name: "pooul",
                sdk: Arc::new(pooul_sdk),
                raw: Arc::new(pooul_raw),
                sdk_side: Side::default(),
                raw_side: Side::default(),
            };

            let mifeng_sdk = sdk::Mifeng::new(port)?;
            // The first call fetches the token; the captured one is a query alone.
            mifeng_sdk.call().await?;
            let s = capture(&control, port, &mifeng_sdk).await?;
            let mifeng_raw = raw::Mifeng::new(port, &s).await?;
            let r = capture(&control, port, &mifeng_raw).await?;
            assert_same("mifeng", &s, &r)?;
            let mut mifeng = Pair {
                name: "mifeng",
                sdk: Arc::new(mifeng_sdk),
                raw: Arc::new(mifeng_raw),
                sdk_side: Side::default(),
                raw_side: Side::default(),
            };

            if let Ok(which) = std::env::var(TRACE_ENV) {
                return match which.as_str() {
                    "sunmi:sdk" => trace_one(&*sunmi.sdk).await,
                    "sunmi:raw" => trace_one(&*sunmi.raw).await,
                    "beecloud:sdk" => trace_one(&*beecloud.sdk).await,
                    "beecloud:raw" => trace_one(&*beecloud.raw).await,
                    "pooul:sdk" => trace_one(&*pooul.sdk).await,
                    "pooul:raw" => trace_one(&*pooul.raw).await,
                    "mifeng:sdk" => trace_one(&*mifeng.sdk).await,
                    "mifeng:raw" => trace_one(&*mifeng.raw).await,
                    other => Err(format!(
                        "{TRACE_ENV}={other}: <provider>:<sdk|raw> expected"
                    )),
                };
            }
            if let Ok(which) = std::env::var(PROFILE_ENV) {
                let secs = Duration::from_secs(
                    std::env::var(PROFILE_SECS_ENV)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(20),
                );
                let mut side = Side::default();
                let outcome = match which.as_str() {
                    "sunmi:sdk" => c64_block(&sunmi.sdk, secs, &mut side).await,
                    "sunmi:raw" => c64_block(&sunmi.raw, secs, &mut side).await,
                    "beecloud:sdk" => c64_block(&beecloud.sdk, secs, &mut side).await,
                    "beecloud:raw" => c64_block(&beecloud.raw, secs, &mut side).await,
                    "pooul:sdk" => c64_block(&pooul.sdk, secs, &mut side).await,
                    "pooul:raw" => c64_block(&pooul.raw, secs, &mut side).await,
                    "mifeng:sdk" => c64_block(&mifeng.sdk, secs, &mut side).await,
                    "mifeng:raw" => c64_block(&mifeng.raw, secs, &mut side).await,
                    other => Err(format!(
                        "{PROFILE_ENV}={other}: <provider>:<sdk|raw> expected"
                    )),
                };
                println!(
                    "{which}: {} calls, {:.0} calls/s, {:.3} us CPU per call",
                    side.c64_calls,
                    side.c64_calls as f64 / side.c64_elapsed.as_secs_f64().max(1e-9),
                    side.c64_cpu.as_secs_f64() * 1e6 / (side.c64_calls.max(1) as f64),
                );
                return outcome;
            }
            warm(&*sunmi.sdk, plan.warmup).await?;
            warm(&*sunmi.raw, plan.warmup).await?;
            warm(&*beecloud.sdk, plan.warmup).await?;
            warm(&*beecloud.raw, plan.warmup).await?;
            warm(&*pooul.sdk, plan.warmup / 4).await?;
            warm(&*pooul.raw, plan.warmup / 4).await?;
            warm(&*mifeng.sdk, plan.warmup).await?;
            warm(&*mifeng.raw, plan.warmup).await?;

            for i in 0..plan.rounds {
                sunmi.round(i, &plan).await?;
                beecloud.round(i, &plan).await?;
                pooul.round(i, &plan).await?;
                mifeng.round(i, &plan).await?;
            }

            println!();
            println!(
                "{:<9} {:<22} {:>11} {:>11} {:>8}   target",
                "provider", "measure", "SDK", "raw", "SDK/raw"
            );
            sunmi.print();
            beecloud.print();
            pooul.print();
            mifeng.print();
            Ok::<_, String>(())
        })?;
        drop(server);
        println!();
        println!(
            "loadavg start {load_start}, end {}; {} rounds in {:.1} s{}{}",
            loadavg(),
            plan.rounds,
            started.elapsed().as_secs_f64(),
            if std::env::var_os(QUICK_ENV).is_some() {
                " (quick)"
            } else {
                ""
            },
            if std::env::var_os(PIN_ENV).is_some() {
                "; pinned: client on CPU 0, server on CPU 1"
            } else {
                ""
            }
        );
        Ok(())
    }
}
