//! The client and the models held to every table of beecloud.md, as extracted by `cargo xtask
//! fixtures` into `fixtures/beecloud/tables/` (or the directory named by `PAYHUB_TABLES_DIR`).
//! A row added to a table is covered without touching this file; a field the client does not
//! send or the model does not read fails with the provider, endpoint and field named, unless
//! `beecloud::DOC_EXCEPTIONS` lists it.
//!
//! - Requests: every call of the typed API, each optional field set, through the `Client`
//!   against wiremock; the JSON body (POST) or the `para` query (GET) must carry every
//!   documented field under its name, with the value set and the documented JSON type, and
//!   nothing undocumented. A row of a channel's table (`group`) must be sent with that channel
//!   only; a row whose requirement names channels (`return_url`) with those channels.
//! - Responses: an answer carrying every documented field, each with its own value, must land
//!   in the typed model; the common fields (`result_code`, `result_msg`, `err_detail`) are read
//!   from a failing answer, where the client keeps them (`Error::Api`).
//! - Codes: every row is a `ResultCode` variant with the documented `result_msg` and meaning.
//! - Lengths: the tables have no length column; the descriptions state them (`32个字符内`,
//!   `32个字节内`, `退款日期(8位) + 流水号(3~24 位)`, `32位16进制`). Each such limit of a
//!   request `String` is enforced before sending (at the limit sent, one over refused with
//!   `Error::Validation` naming the field and nothing sent), or the client computes the value
//!   and the bytes sent stay within it.

mod common;

use beecloud::{
    BillChannel, BillRequest, BillResponse, BillsQuery, Channel, Client, DOC_EXCEPTIONS, Error,
    QrPayMode, RefundChannel, RefundRequest, RefundsQuery, ResultCode, TitleRule,
};
use common::*;
use paysig::Money;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::macros::datetime;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROVIDER: &str = "beecloud";

#[derive(Clone)]
struct Table {
    file: String,
    name: String,
    endpoint: String,
    role: String,
    rows: Vec<Value>,
}

impl Table {
    fn label(&self) -> String {
        format!("{PROVIDER} {} {}", self.endpoint, self.role)
    }
}

fn tables_dir() -> PathBuf {
    match std::env::var_os("PAYHUB_TABLES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/beecloud/tables"),
    }
}

fn tables_in(dir: &Path) -> Vec<Table> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !file.ends_with(".json") || file == "index.json" {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        out.push(Table {
            file,
            name: v["name"].as_str().unwrap().to_owned(),
            endpoint: v["endpoint"].as_str().unwrap_or("?").to_owned(),
            role: v["role"].as_str().unwrap().to_owned(),
            rows: v["rows"].as_array().unwrap().clone(),
        });
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    assert!(!out.is_empty(), "no table in {}", dir.display());
    out
}

fn tables() -> Vec<Table> {
    tables_in(&tables_dir())
}

fn of_role(tables: &[Table], role: &str) -> Vec<Table> {
    tables.iter().filter(|t| t.role == role).cloned().collect()
}

fn s<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key].as_str().unwrap_or("")
}

fn excepted(endpoint: &str, check: &str, field: &str) -> bool {
    DOC_EXCEPTIONS
        .iter()
        .any(|e| e.endpoint == endpoint && e.check == check && e.field == field)
}

fn fail_all(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The channel names a text lists (`WX、WX_APP…`, `WX ALI UN`, `目前只支持WX`): runs of
/// `A-Z` and `_` starting with a letter, at least two long.
fn channel_tokens(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_uppercase() || (c == '_' && !cur.is_empty()) {
            cur.push(c);
        } else {
            let tok = std::mem::take(&mut cur);
            let tok = tok.trim_end_matches('_');
            if tok.len() >= 2 {
                out.insert(tok.to_owned());
            }
        }
    }
    out
}

/// Does the value have the documented type?
fn has_type(v: &Value, base_type: &str) -> Option<bool> {
    Some(match base_type {
        "String" => v.is_string(),
        "Long" | "Integer" => v.is_i64() || v.is_u64(),
        "Bool" | "bool" => v.is_boolean(),
        t if t.starts_with("Map") => v.is_object(),
        t if t.starts_with("List") => v.is_array(),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Requests: every documented field is sent under its name, with the value set through the API.

/// One call of the typed API: its path, its channel, and what each field was set to (the auth
/// fields included: the client's own values at the stopped clock).
struct Call {
    path: &'static str,
    channel: String,
    set: Map<String, Value>,
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn auth() -> Map<String, Value> {
    obj(json!({"app_id": APP_ID, "timestamp": NOW_MS, "app_sign": APP_SIGN_AT_NOW}))
}

fn optional() -> Map<String, Value> {
    obj(json!({"key1": "value1", "key2": 2}))
}

const BILL_NO: &str = "201506101035040000001";
const REFUND_NO: &str = "20150610001";
/// An hour before `NOW`.
const START: OffsetDateTime = datetime!(2015-06-10 01:35:04 UTC);

/// Every bill channel with every field it takes set, and the fields only it sends.
fn bill_channels() -> Vec<(BillChannel, Value)> {
    vec![
        (BillChannel::WxApp, json!({})),
        (BillChannel::WxNative, json!({})),
        (
            BillChannel::WxJsapi {
                openid: "oPSDwtwFnD54dB_ggPFGBO_KMdpo".into(),
            },
            json!({"openid": "oPSDwtwFnD54dB_ggPFGBO_KMdpo"}),
        ),
        (BillChannel::AliApp, json!({})),
        (
            BillChannel::AliWeb {
                return_url: "https://merchant.example/paid".into(),
                show_url: Some("http://merchant.example/item".into()),
            },
            json!({"return_url": "https://merchant.example/paid",
                   "show_url": "http://merchant.example/item"}),
        ),
        (
            BillChannel::AliQrcode {
                return_url: "https://merchant.example/paid".into(),
                qr_pay_mode: Some(QrPayMode::MiniFront),
            },
            json!({"return_url": "https://merchant.example/paid", "qr_pay_mode": "3"}),
        ),
        (BillChannel::UnApp, json!({})),
        (
            BillChannel::UnWeb {
                return_url: "https://merchant.example/paid".into(),
            },
            json!({"return_url": "https://merchant.example/paid"}),
        ),
    ]
}

fn bill_request(channel: BillChannel) -> BillRequest {
    BillRequest::new(channel, Money::from_fen(221), BILL_NO, "白开水").optional(optional())
}

fn refund_request(channel: RefundChannel) -> RefundRequest {
    RefundRequest::new(
        channel,
        REFUND_NO,
        BILL_NO,
        Money::from_fen(100),
        Money::from_fen(221),
    )
    .optional(optional())
}

const QUERY_CHANNELS: [Channel; 11] = [
    Channel::Wx,
    Channel::WxApp,
    Channel::WxNative,
    Channel::WxJsapi,
    Channel::Ali,
    Channel::AliApp,
    Channel::AliWeb,
    Channel::AliQrcode,
    Channel::Un,
    Channel::UnApp,
    Channel::UnWeb,
];

fn window() -> Value {
    json!({"start_time": NOW_MS - 3_600_000, "end_time": NOW_MS, "skip": 10, "limit": 50})
}

fn with(mut base: Map<String, Value>, extra: Value) -> Map<String, Value> {
    base.extend(obj(extra));
    base
}

/// Makes every call of the typed API against `server`; returns what each call set.
async fn make_calls(client: &Client) -> Vec<Call> {
    let mut calls = Vec::new();
    for (channel, extra) in bill_channels() {
        let _ = client.bill(&bill_request(channel.clone())).await;
        let set = json!({"channel": channel.as_str(), "total_fee": 221, "bill_no": BILL_NO,
                         "title": "白开水", "optional": optional()});
        calls.push(Call {
            path: "/1/rest/bill",
            channel: channel.as_str().into(),
            set: with(with(auth(), set), extra),
        });
    }
    for channel in [RefundChannel::Wx, RefundChannel::Ali, RefundChannel::Un] {
        let _ = client.refund(&refund_request(channel)).await;
        let set = json!({"channel": channel.as_str(), "refund_no": REFUND_NO, "bill_no": BILL_NO,
                         "refund_fee": 100, "optional": optional()});
        calls.push(Call {
            path: "/1/rest/refund",
            channel: channel.as_str().into(),
            set: with(auth(), set),
        });
    }
    for channel in QUERY_CHANNELS {
        let q = BillsQuery::new(channel.clone())
            .bill_no(BILL_NO)
            .start_time(START)
            .end_time(NOW)
            .skip(10)
            .limit(50);
        let _ = client.bills(&q).await;
        let set = json!({"channel": channel.as_str(), "bill_no": BILL_NO});
        calls.push(Call {
            path: "/1/rest/bills",
            channel: channel.as_str().into(),
            set: with(with(auth(), set), window()),
        });
    }
    for channel in QUERY_CHANNELS {
        let q = RefundsQuery::new(channel.clone())
            .bill_no(BILL_NO)
            .refund_no(REFUND_NO)
            .start_time(START)
            .end_time(NOW)
            .skip(10)
            .limit(50);
        let _ = client.refunds(&q).await;
        let set = json!({"channel": channel.as_str(), "bill_no": BILL_NO, "refund_no": REFUND_NO});
        calls.push(Call {
            path: "/1/rest/refunds",
            channel: channel.as_str().into(),
            set: with(with(auth(), set), window()),
        });
    }
    let _ = client.refund_status(REFUND_NO).await;
    calls.push(Call {
        path: "/1/rest/refund/status",
        channel: "WX".into(),
        set: with(auth(), json!({"channel": "WX", "refund_no": REFUND_NO})),
    });
    calls
}

/// The JSON object a request carried: the body of a POST (sent as JSON), the `para` of a GET.
fn received_fields(r: &wiremock::Request) -> Map<String, Value> {
    match r.method.as_str() {
        "POST" => {
            let ct = r.headers.get("content-type").map(|v| v.to_str().unwrap());
            assert!(
                ct.is_some_and(|ct| ct.starts_with("application/json")),
                "{} sent as {ct:?}",
                r.url.path()
            );
            assert_eq!(r.url.query(), None, "{}: a POST carries no query", r.url);
            obj(serde_json::from_slice(&r.body).unwrap())
        }
        "GET" => {
            assert!(r.body.is_empty(), "{}: a GET carries no body", r.url);
            para(r)
        }
        other => panic!("{}: unexpected method {other}", r.url),
    }
}

/// Every call of the typed API, every optional field set, with the fields the server received.
async fn sent() -> Vec<(Call, Map<String, Value>)> {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"result_code": 0, "result_msg": "OK", "err_detail": "", "count": 0,
                   "bills": [], "refunds": [], "refund_status": "SUCCESS"}),
        ))
        .mount(&server)
        .await;
    let client = common::client(&[server.uri()]);
    let calls = make_calls(&client).await;
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), calls.len(), "one request per call");
    calls
        .into_iter()
        .zip(&received)
        .map(|(call, r)| {
            assert_eq!(r.url.path(), call.path, "calls are received in order");
            (call, received_fields(r))
        })
        .collect()
}

fn request_problems(tables: &[Table], sent: &[(Call, Map<String, Value>)]) -> Vec<String> {
    let mut problems = Vec::new();
    for t in of_role(tables, "request") {
        let calls: Vec<&(Call, Map<String, Value>)> =
            sent.iter().filter(|(c, _)| c.path == t.endpoint).collect();
        if calls.is_empty() {
            if !excepted(&t.name, "request", "*") {
                problems.push(format!("{}: the typed API never calls it", t.label()));
            }
            continue;
        }
        for row in &t.rows {
            let name = s(row, "name");
            if excepted(&t.name, "request", name) {
                continue;
            }
            let where_ = format!(
                "{} field `{name}`{} (beecloud.md line {})",
                t.label(),
                row["group"]
                    .as_str()
                    .map(|g| format!(" ({g})"))
                    .unwrap_or_default(),
                row["line"]
            );
            // A channel's row goes with that channel only; a row required for named channels
            // (`当channel参数为 ALI_WEB 或 …时为必填`) goes with those; any other row with every
            // call (every optional field is set).
            let conditional = channel_tokens(s(row, "required_text"));
            let for_channels: Option<BTreeSet<String>> = match row["group"].as_str() {
                Some(g) => Some(g.split(',').map(str::to_owned).collect()),
                None if row["required"].is_null() && !conditional.is_empty() => Some(conditional),
                None => None,
            };
            let relevant: Vec<_> = calls
                .iter()
                .filter(|(c, _)| for_channels.as_ref().is_none_or(|g| g.contains(&c.channel)))
                .collect();
            if relevant.is_empty() {
                problems.push(format!(
                    "{where_}: no call of the typed API uses its channel"
                ));
            }
            for (call, got) in relevant {
                match got.get(name) {
                    None => problems.push(format!(
                        "{where_} is not sent by the typed API ({})",
                        call.channel
                    )),
                    Some(v) if call.set.get(name) != Some(v) => problems.push(format!(
                        "{where_} ({}): set to {:?}, sent as {v}",
                        call.channel,
                        call.set.get(name)
                    )),
                    Some(v) => match has_type(v, s(row, "base_type")) {
                        Some(true) => {}
                        Some(false) => problems.push(format!(
                            "{where_}: sent as {v}, not the documented {}",
                            s(row, "type")
                        )),
                        None => problems.push(format!(
                            "{where_}: documented type {} is not known to this test",
                            s(row, "type")
                        )),
                    },
                }
            }
            // A channel's field is never sent with another channel.
            if let Some(g) = row["group"].as_str() {
                for (call, got) in &calls {
                    if !g.split(',').any(|g| g == call.channel) && got.contains_key(name) {
                        problems.push(format!("{where_}: also sent with {}", call.channel));
                    }
                }
            }
            // Every channel the row lists can be sent.
            if name == "channel" {
                let listed =
                    channel_tokens(&format!("{} {}", s(row, "example"), s(row, "description")));
                for tok in listed {
                    if !calls.iter().any(|(c, _)| c.channel == tok) {
                        problems.push(format!(
                            "{where_}: the documented value `{tok}` is never sent"
                        ));
                    }
                }
            }
        }
        for (call, got) in &calls {
            for k in got.keys() {
                if !t.rows.iter().any(|r| s(r, "name") == k) && !excepted(&t.name, "extra", k) {
                    problems.push(format!(
                        "{} ({}): sends `{k}`, which no row documents",
                        t.label(),
                        call.channel
                    ));
                }
            }
        }
    }
    problems
}

#[tokio::test]
async fn every_documented_request_field_is_sent_under_its_name() {
    let sent = sent().await;
    let tables = tables();
    assert!(!of_role(&tables, "request").is_empty());
    fail_all(request_problems(&tables, &sent));
}

// ---------------------------------------------------------------------------------------------
// Lengths: stated in the descriptions, enforced before sending.

/// The longest value a row's description allows: `N个字符内` / `N个字节内`, or the sum of the
/// parts' maxima (`退款日期(8位) + 流水号(3~24 位)` is 32, `32位16进制` is 32). The `length`
/// column wins when the xtask fills it.
fn documented_max(row: &Value) -> Option<usize> {
    if let Some(n) = row["length"].as_u64() {
        return Some(n as usize);
    }
    if s(row, "base_type") != "String" {
        // `毫秒时间戳, 13位` of a Long is its format, not a text length.
        return None;
    }
    let text: Vec<char> = s(row, "description").chars().collect();
    let mut total = 0;
    let mut found = false;
    let mut i = 0;
    while i < text.len() {
        if !text[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let number = |i: &mut usize| {
            let mut n = 0usize;
            while *i < text.len() && text[*i].is_ascii_digit() {
                n = n * 10 + text[*i].to_digit(10).unwrap() as usize;
                *i += 1;
            }
            n
        };
        let mut n = number(&mut i);
        if i < text.len() && text[i] == '~' {
            i += 1;
            n = number(&mut i);
        }
        while i < text.len() && text[i] == ' ' {
            i += 1;
        }
        let rest: String = text[i..].iter().take(4).collect();
        if rest.starts_with("个字符内") || rest.starts_with("个字节") {
            return Some(n);
        }
        if rest.starts_with('位') {
            total += n;
            found = true;
        }
    }
    found.then_some(total)
}

/// The largest value a number row's description allows (`最大为50`).
fn documented_value_max(row: &Value) -> Option<u64> {
    if !matches!(s(row, "base_type"), "Integer" | "Long") {
        return None;
    }
    let (_, after) = s(row, "description").split_once("最大为")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Fields the client computes, whatever the caller sets: checked on the bytes sent.
const COMPUTED: &[&str] = &["app_sign"];

/// A value of `len` characters for the field that is otherwise valid (letters and digits where
/// the document asks for them; `refund_no` starts with today's date).
fn value_of_len(field: &str, len: usize) -> String {
    match field {
        "refund_no" => format!("20150610{}", "1".repeat(len.saturating_sub(8))),
        _ => "1".repeat(len),
    }
}

/// Sends the table's request with `field` set to `value`; `None` if the typed API has no such
/// field for that table. Returns the result and how many requests reached the server.
async fn send_with(table: &str, field: &str, value: String) -> Option<(Result<(), Error>, usize)> {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"result_code": 0, "code_url": "weixin://wxpay/x", "count": 0, "bills": [],
                   "refunds": [], "refund_status": "SUCCESS"}),
        ))
        .mount(&server)
        .await;
    let client = common::client(&[server.uri()]);
    let result = match (table, field) {
        ("bill", "bill_no" | "title") => {
            let mut req = bill_request(BillChannel::WxNative);
            if field == "bill_no" {
                req.bill_no = value;
            } else {
                req.title = value;
            }
            client.bill(&req).await.map(drop)
        }
        ("bills", "limit") => {
            let q = BillsQuery::new(Channel::Wx).limit(value.parse().unwrap());
            client.bills(&q).await.map(drop)
        }
        ("refunds", "limit") => {
            let q = RefundsQuery::new(Channel::Wx).limit(value.parse().unwrap());
            client.refunds(&q).await.map(drop)
        }
        ("refund", "refund_no" | "bill_no") => {
            let mut req = refund_request(RefundChannel::Wx);
            if field == "refund_no" {
                req.refund_no = value;
            } else {
                req.bill_no = value;
            }
            client.refund(&req).await.map(drop)
        }
        _ => return None,
    };
    Some((result, server.received_requests().await.unwrap().len()))
}

#[tokio::test]
async fn documented_lengths_are_enforced_before_sending() {
    let tables = tables();
    let sent = sent().await;
    let mut problems = Vec::new();
    let mut limits = 0;
    for t in of_role(&tables, "request") {
        for row in &t.rows {
            let name = s(row, "name");
            // A text's length, or a number's largest value: the same check at the bound.
            let (max, at, over) = if let Some(max) = documented_max(row) {
                (
                    max as u64,
                    value_of_len(name, max),
                    value_of_len(name, max + 1),
                )
            } else if let Some(max) = documented_value_max(row) {
                (max, max.to_string(), (max + 1).to_string())
            } else {
                continue;
            };
            limits += 1;
            if COMPUTED.contains(&name) {
                for (call, got) in sent.iter().filter(|(c, _)| c.path == t.endpoint) {
                    let v = got.get(name).and_then(Value::as_str).unwrap_or("");
                    if v.chars().count() as u64 > max {
                        problems.push(format!(
                            "{} field `{name}` ({}) sent as `{v}`, longer than {max}",
                            t.label(),
                            call.channel
                        ));
                    }
                }
                continue;
            }
            // An exception forgives a missing check only: what the client enforces is still
            // checked at the bound it enforces.
            let Some((at_limit, sent_at_limit)) = send_with(&t.name, name, at).await else {
                if excepted(&t.name, "length", name) {
                    continue;
                }
                problems.push(format!(
                    "{} field `{name}` (at most {max}, beecloud.md line {}): no length check found",
                    t.label(),
                    row["line"]
                ));
                continue;
            };
            if at_limit.is_err() || sent_at_limit != 1 {
                problems.push(format!(
                    "{} field `{name}` at its bound {max}: {at_limit:?}, {sent_at_limit} sent",
                    t.label()
                ));
            }
            let (result, sent_over) = send_with(&t.name, name, over.clone()).await.unwrap();
            match result {
                Err(Error::Validation { field, .. }) if field == name => {}
                other => problems.push(format!(
                    "{} field `{name}` = `{over}` (bound {max}) gave {other:?}",
                    t.label()
                )),
            }
            if sent_over != 0 {
                problems.push(format!(
                    "{} field `{name}` over its bound was sent",
                    t.label()
                ));
            }
        }
    }
    assert!(
        limits > 0,
        "no documented length found: is the parser still right?"
    );
    fail_all(problems);
}

// ---------------------------------------------------------------------------------------------
// Responses: every documented field lands in the model.

/// A distinct value per row, of the documented type; a list holds one element made of the
/// rows of its group.
fn sample(t: &Table, row: &Value) -> Value {
    let line = row["line"].as_u64().unwrap();
    match s(row, "base_type") {
        "Integer" | "Long" => json!(line),
        "Bool" | "bool" => json!(true),
        b if b.starts_with("List") => {
            let name = s(row, "name");
            let element: Map<String, Value> = t
                .rows
                .iter()
                .filter(|r| r["group"].as_str() == Some(name))
                .map(|r| (s(r, "name").to_owned(), sample(t, r)))
                .collect();
            json!([element])
        }
        b if b.starts_with("Map") => json!({"k": line}),
        _ => json!(format!("v{line}")),
    }
}

/// The value as the test expects to read it back from the model.
fn as_read(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.len().to_string(),
        other => other.to_string(),
    }
}

/// The fields a model read, keyed by documented name (`list.field` inside a list).
type Read = BTreeMap<String, String>;

fn read(pairs: &[(&str, Option<String>)]) -> Read {
    pairs
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
        .collect()
}

fn bill_read(r: &BillResponse) -> Read {
    match r {
        BillResponse::WxApp(p) => read(&[
            ("app_id", Some(p.app_id.clone())),
            ("partner_id", Some(p.partner_id.clone())),
            ("package", Some(p.package.clone())),
            ("nonce_str", Some(p.nonce_str.clone())),
            ("timestamp", Some(p.timestamp.clone())),
            ("pay_sign", Some(p.pay_sign.clone())),
            ("prepay_id", Some(p.prepay_id.clone())),
        ]),
        BillResponse::WxNative(p) => read(&[("code_url", Some(p.code_url.clone()))]),
        BillResponse::WxJsapi(p) => read(&[
            ("app_id", Some(p.app_id.clone())),
            ("package", Some(p.package.clone())),
            ("nonce_str", Some(p.nonce_str.clone())),
            ("timestamp", Some(p.timestamp.clone())),
            ("pay_sign", Some(p.pay_sign.clone())),
            ("sign_type", Some(p.sign_type.clone())),
        ]),
        BillResponse::AliApp(p) => read(&[("order_string", Some(p.order_string.clone()))]),
        BillResponse::AliWeb(p) => read(&[("html", Some(p.html.clone())), ("url", p.url.clone())]),
        BillResponse::AliQrcode(p) => {
            read(&[("html", p.html.clone()), ("url", Some(p.url.clone()))])
        }
        BillResponse::UnApp(p) => read(&[("tn", Some(p.tn.clone()))]),
        BillResponse::UnWeb(p) => read(&[("html", Some(p.html.clone()))]),
    }
}

/// The answer of one table (and, for `bill`, one channel's group) read by the typed API.
async fn read_answer(
    client: &Client,
    table: &str,
    group: Option<&str>,
) -> Option<Result<Read, Error>> {
    Some(match table {
        "bill" => {
            let channel = bill_channels()
                .into_iter()
                .map(|(c, _)| c)
                .find(|c| Some(c.as_str()) == group)?;
            client
                .bill(&bill_request(channel))
                .await
                .map(|r| bill_read(&r))
        }
        "refund" => {
            // The rows of this table's group are answered for the Alipay channels.
            let channel = match group {
                Some(g) if g.starts_with("ALI") => RefundChannel::Ali,
                Some(g) if g.starts_with("UN") => RefundChannel::Un,
                _ => RefundChannel::Wx,
            };
            client
                .refund(&refund_request(channel))
                .await
                .map(|r| read(&[("url", r.data.url)]))
        }
        "bills" => client.bills(&BillsQuery::new(Channel::Wx)).await.map(|p| {
            let mut out = read(&[
                ("count", p.count.map(|c| c.to_string())),
                ("bills", Some(p.bills.len().to_string())),
            ]);
            for b in &p.bills {
                out.extend(read(&[
                    ("bills.bill_no", Some(b.bill_no.clone())),
                    ("bills.total_fee", Some(b.total_fee.fen().to_string())),
                    ("bills.channel", Some(b.channel.as_str().to_owned())),
                    ("bills.title", b.title.clone()),
                    ("bills.spay_result", Some(b.spay_result.to_string())),
                    ("bills.created_time", Some(b.created_time.to_string())),
                ]));
            }
            out
        }),
        "refunds" => client
            .refunds(&RefundsQuery::new(Channel::Wx))
            .await
            .map(|p| {
                let mut out = read(&[
                    ("count", p.count.map(|c| c.to_string())),
                    ("refunds", Some(p.refunds.len().to_string())),
                ]);
                for r in &p.refunds {
                    out.extend(read(&[
                        ("refunds.bill_no", Some(r.bill_no.clone())),
                        ("refunds.refund_no", Some(r.refund_no.clone())),
                        ("refunds.total_fee", Some(r.total_fee.fen().to_string())),
                        ("refunds.refund_fee", Some(r.refund_fee.fen().to_string())),
                        ("refunds.finish", Some(r.finish.to_string())),
                        ("refunds.result", Some(r.result.to_string())),
                        ("refunds.created_time", Some(r.created_time.to_string())),
                    ]));
                }
                out
            }),
        "refund_status" => client
            .refund_status(REFUND_NO)
            .await
            .map(|r| read(&[("refund_status", Some(r.data.refund_status))])),
        _ => return None,
    })
}

async fn response_problems(tables: &[Table]) -> Vec<String> {
    let server = MockServer::start().await;
    let client = common::client(&[server.uri()]);
    let mut problems = Vec::new();
    for t in of_role(tables, "response") {
        let lists: BTreeSet<&str> = t
            .rows
            .iter()
            .filter(|r| s(r, "base_type").starts_with("List"))
            .map(|r| s(r, "name"))
            .collect();
        // One answer per group that is not a list's element (for `bill`, one per channel).
        let mut groups: Vec<Option<&str>> = t
            .rows
            .iter()
            .filter_map(|r| r["group"].as_str())
            .filter(|g| !lists.contains(g))
            .map(Some)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if groups.is_empty() {
            groups.push(None);
        }
        // The common fields, kept by the client from a failing answer; every row answered at
        // once is a failure only if `result_code` is not 0 (each sample is its line number).
        let common_rows: Vec<&Value> = t.rows.iter().filter(|r| r["group"].is_null()).collect();
        let failing: Map<String, Value> = common_rows
            .iter()
            .map(|r| (s(r, "name").to_owned(), sample(&t, r)))
            .collect();
        server.reset().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(200).set_body_json(Value::Object(failing)))
            .mount(&server)
            .await;
        let envelope: Read = match read_answer(&client, &t.name, groups[0]).await {
            Some(Err(Error::Api {
                code,
                msg,
                err_detail,
                ..
            })) => read(&[
                ("result_code", Some(code.code().to_string())),
                ("result_msg", Some(msg)),
                ("err_detail", err_detail),
            ]),
            None => {
                problems.push(format!("{}: no model for table {}", t.label(), t.file));
                continue;
            }
            Some(other) => {
                problems.push(format!("{}: a failing answer gave {other:?}", t.label()));
                Read::new()
            }
        };
        for group in groups {
            let rows: Vec<&Value> = t
                .rows
                .iter()
                .filter(|r| {
                    r["group"].is_null()
                        || r["group"].as_str() == group
                        || r["group"].as_str().is_some_and(|g| lists.contains(g))
                })
                .collect();
            let mut answer: Map<String, Value> = rows
                .iter()
                .filter(|r| r["group"].is_null() || r["group"].as_str() == group)
                .map(|r| (s(r, "name").to_owned(), sample(&t, r)))
                .collect();
            answer.insert("result_code".into(), json!(0));
            server.reset().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(ResponseTemplate::new(200).set_body_json(Value::Object(answer)))
                .mount(&server)
                .await;
            let model = match read_answer(&client, &t.name, group).await {
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    problems.push(format!(
                        "{}{}: an answer with every field does not decode: {e}",
                        t.label(),
                        group.map(|g| format!(" ({g})")).unwrap_or_default()
                    ));
                    continue;
                }
                None => {
                    problems.push(format!(
                        "{} ({}): no call of the typed API answers it",
                        t.label(),
                        group.unwrap_or("-")
                    ));
                    continue;
                }
            };
            for row in rows {
                let name = s(row, "name");
                let key = match row["group"].as_str() {
                    Some(g) if lists.contains(g) => format!("{g}.{name}"),
                    _ => name.to_owned(),
                };
                let want = as_read(&sample(&t, row));
                let got = model.get(&key).or_else(|| envelope.get(&key));
                let where_ = format!(
                    "{}{} field `{name}` (beecloud.md line {})",
                    t.label(),
                    row["group"]
                        .as_str()
                        .map(|g| format!(" ({g})"))
                        .unwrap_or_default(),
                    row["line"]
                );
                match got {
                    _ if excepted(&t.name, "response", name) => {}
                    None => problems.push(format!("{where_} is missing from the model")),
                    Some(g) if *g != want => {
                        problems.push(format!("{where_}: answered {want}, the model holds {g}"))
                    }
                    Some(_) => {}
                }
                // Every channel a record's `channel` may hold is a known variant.
                if name == "channel" {
                    for tok in channel_tokens(s(row, "description")) {
                        let c = Channel::from(tok.as_str());
                        if matches!(c, Channel::Unknown(_)) || c.as_str() != tok {
                            problems.push(format!(
                                "{where_}: the documented value `{tok}` is not a Channel variant"
                            ));
                        }
                    }
                }
            }
        }
    }
    problems
}

#[tokio::test]
async fn every_documented_response_field_is_read_by_the_model() {
    let tables = tables();
    assert!(!of_role(&tables, "response").is_empty());
    fail_all(response_problems(&tables).await);
}

// ---------------------------------------------------------------------------------------------
// Codes.

#[test]
fn every_documented_result_code_is_a_variant_with_its_result_msg_and_meaning() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for t in of_role(&tables(), "codes") {
        for row in &t.rows {
            let (code, msg, meaning) = (s(row, "code"), s(row, "message"), s(row, "description"));
            assert_eq!(row["column"], "result_code", "{}: {row}", t.label());
            let Ok(n) = code.parse::<i64>() else {
                problems.push(format!(
                    "{} result_code `{code}` is not an integer",
                    t.label()
                ));
                continue;
            };
            let variant = ResultCode::from(n);
            if matches!(variant, ResultCode::Unknown(_)) {
                problems.push(format!(
                    "{} result_code `{code}` ({msg}) is not a variant of ResultCode",
                    t.label()
                ));
            } else if variant.result_msg() != msg || variant.code() != n {
                problems.push(format!(
                    "{} result_code `{code}`: documented `{msg}`, ResultCode says `{}`",
                    t.label(),
                    variant.result_msg()
                ));
            } else if variant.doc_meaning() != Some(meaning) {
                problems.push(format!(
                    "{} result_code `{code}`: documented meaning `{meaning}`, ResultCode says {:?}",
                    t.label(),
                    variant.doc_meaning()
                ));
            }
            seen += 1;
        }
    }
    fail_all(problems);
    assert!(seen > 0, "no result_code row read");
}

// ---------------------------------------------------------------------------------------------
// The exceptions, and the checks shown to fail on a table the crate does not follow.

#[test]
fn every_exception_names_a_documented_row_and_gives_a_reason() {
    let tables = tables();
    for e in DOC_EXCEPTIONS {
        assert_eq!(e.provider, PROVIDER);
        assert!(
            !e.reason.trim().is_empty(),
            "{}/{}: no reason",
            e.endpoint,
            e.field
        );
        let table_has = |role: &str| {
            tables.iter().any(|t| {
                t.name == e.endpoint
                    && t.role == role
                    && (e.field == "*" || t.rows.iter().any(|r| s(r, "name") == e.field))
            })
        };
        let ok = match e.check {
            "request" | "length" => table_has("request"),
            "response" => table_has("response"),
            // An `extra` field is by definition not in the table.
            "extra" => !table_has("request") && tables.iter().any(|t| t.name == e.endpoint),
            other => panic!("{}/{}: unknown check {other}", e.endpoint, e.field),
        };
        assert!(
            ok,
            "DOC_EXCEPTIONS names {} {} `{}`: no such row",
            e.endpoint, e.check, e.field
        );
    }
}

#[test]
fn the_descriptions_give_the_lengths_checked() {
    let rows: BTreeMap<(String, String), usize> = of_role(&tables(), "request")
        .iter()
        .flat_map(|t| {
            t.rows.iter().filter_map(|r| {
                documented_max(r).map(|m| ((t.name.clone(), s(r, "name").to_owned()), m))
            })
        })
        .collect();
    let key = |t: &str, f: &str| (t.to_owned(), f.to_owned());
    assert_eq!(rows.get(&key("bill", "bill_no")), Some(&32));
    assert_eq!(rows.get(&key("bill", "title")), Some(&32));
    assert_eq!(rows.get(&key("refund", "refund_no")), Some(&32));
    assert_eq!(rows.get(&key("refund", "app_sign")), Some(&32));
    assert_eq!(
        rows.get(&key("bills", "start_time")),
        None,
        "a Long's 13位 is no length"
    );
    let limits: Vec<(String, u64)> = of_role(&tables(), "request")
        .iter()
        .flat_map(|t| {
            t.rows
                .iter()
                .filter_map(|r| documented_value_max(r).map(|m| (t.name.clone(), m)))
        })
        .collect();
    assert_eq!(limits, [("bills".into(), 50), ("refunds".into(), 50)]);
}

/// The `title` exception: 16 Chinese characters (documented as supported, 48 UTF-8 bytes) are
/// refused before sending under the default rule, and sent under `TitleRule::DoubleWidth`.
#[tokio::test]
async fn a_title_of_16_chinese_characters_follows_the_title_rule() {
    assert!(excepted("bill", "length", "title"));
    let title = "白".repeat(16);
    for (rule, sent) in [(TitleRule::Utf8Bytes, 0), (TitleRule::DoubleWidth, 1)] {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"result_code": 0, "code_url": "weixin://wxpay/x"})),
            )
            .mount(&server)
            .await;
        let client = Client::new(config(&[server.uri()]).with_title_rule(rule)).unwrap();
        let mut req = bill_request(BillChannel::WxNative);
        req.title = title.clone();
        let result = client.bill(&req).await;
        let received = server.received_requests().await.unwrap();
        assert_eq!(received.len(), sent, "{rule:?}");
        if sent == 0 {
            assert!(
                matches!(result, Err(Error::Validation { field: "title", .. })),
                "{result:?}"
            );
        } else {
            assert!(result.is_ok(), "{result:?}");
            assert_eq!(received_fields(&received[0])["title"], json!(title));
        }
    }
}

/// A copy of the tables with one request and one response row added: the checks name them.
#[tokio::test]
async fn a_field_added_to_a_table_fails_with_provider_endpoint_and_field() {
    let mut tables = tables();
    for t in tables.iter_mut() {
        let extra = match (t.name.as_str(), t.role.as_str()) {
            ("refund", "request") => "notify_url",
            ("refunds", "response") => "refund_channel",
            _ => continue,
        };
        t.rows
            .push(json!({"name": extra, "location": "body", "group": null,
            "type": "String", "base_type": "String", "length": null, "required": false,
            "required_text": "否", "description": "", "example": null, "line": 999}));
    }
    let sent = sent().await;
    let requests = request_problems(&tables, &sent);
    assert!(
        requests.iter().any(|p| p.starts_with(
            "beecloud /1/rest/refund request field `notify_url` (beecloud.md line 999) is not sent"
        )),
        "{requests:#?}"
    );
    let responses = response_problems(&tables).await;
    assert_eq!(
        responses,
        [
            "beecloud /1/rest/refunds response field `refund_channel` (beecloud.md line 999) is \
          missing from the model"
        ],
    );
}
