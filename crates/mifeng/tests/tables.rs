//! The models held to every table of mifeng.md, as extracted by `cargo xtask fixtures` into
//! `fixtures/mifeng/tables/` (or the directory named by `PAYHUB_TABLES_DIR`). A row added to a
//! table is covered without touching this file; a field the crate does not send or read fails
//! with the provider, endpoint and field named, unless `mifeng::DOC_EXCEPTIONS` lists it.

mod common;

use mifeng::model::AccessTokenResponse;
use mifeng::{
    BalanceCode, BalanceResponse, DOC_EXCEPTIONS, QueryCode, QueryOrderResponse, UnifiedOrderCode,
    UnifiedOrderRequest, UnifiedOrderResponse,
};
use paysig::ExposeSecret;
use paysig::Money;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use wiremock::MockServer;

struct Table {
    file: String,
    name: String,
    endpoint: String,
    role: String,
    rows: Vec<Value>,
}

impl Table {
    fn label(&self) -> String {
        format!("mifeng {} {}", self.endpoint, self.role)
    }
}

fn tables() -> Vec<Table> {
    let dir = match std::env::var_os("PAYHUB_TABLES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mifeng/tables"),
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
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

/// Every call of the typed API with every optional field set; the fields each path received.
async fn sent_fields() -> BTreeMap<String, BTreeSet<String>> {
    let server = MockServer::start().await;
    common::Fake::new(7200).mount(&server).await;
    let client = common::client(&server);
    let req = UnifiedOrderRequest::new(
        "1",
        "20150320010101001",
        Money::parse_yuan("1000.00").unwrap(),
        "10.0.0.1".parse().unwrap(),
        "https://merchant.example/notify".parse().unwrap(),
    )
    .subject("subject")
    .return_url("https://merchant.example/paid".parse().unwrap())
    .param("pass-through");
    client.unified_order(&req).await.unwrap();
    client.query("2015042321001004720").await.unwrap();
    client.balance().await.unwrap();
    let mut sent: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in server.received_requests().await.unwrap() {
        let names = sent.entry(r.url.path().to_owned()).or_default();
        names.extend(common::fields(&r).into_keys());
    }
    sent
}

#[tokio::test]
async fn every_documented_request_field_is_sent_under_its_name() {
    let sent = sent_fields().await;
    let mut problems = Vec::new();
    for t in tables().iter().filter(|t| t.role == "request") {
        let Some(names) = sent.get(&t.endpoint) else {
            problems.push(format!("{}: the typed API never calls it", t.label()));
            continue;
        };
        for row in &t.rows {
            let name = s(row, "name");
            if !names.contains(name) && !excepted(&t.name, "request", name) {
                problems.push(format!(
                    "{} field `{name}` (mifeng.md line {}) is never sent by the typed API",
                    t.label(),
                    row["line"]
                ));
            }
        }
        for name in names {
            if !t.rows.iter().any(|r| s(r, "name") == name) {
                problems.push(format!(
                    "{}: sends `{name}`, which no row documents",
                    t.label()
                ));
            }
        }
    }
    fail_all(problems);
}

type Getter<T> = fn(&T) -> Option<String>;

fn yuan(m: &Money) -> Option<String> {
    Some(m.to_yuan_string())
}

fn unified_getters() -> Vec<(&'static str, Getter<UnifiedOrderResponse>)> {
    vec![
        ("mch_id", |r| Some(r.mch_id.clone())),
        ("order_no", |r| Some(r.order_no.clone())),
        ("out_order_no", |r| Some(r.out_order_no.clone())),
        ("money", |r| yuan(&r.money)),
        ("real_money", |r| r.real_money.as_ref().and_then(yuan)),
        ("pay_url", |r| Some(r.pay_url.clone())),
        ("expired_time", |r| r.expired_time.clone()),
        ("expired_timestamp", |r| {
            r.expired_timestamp.map(|t| t.to_string())
        }),
    ]
}

fn query_getters() -> Vec<(&'static str, Getter<QueryOrderResponse>)> {
    vec![
        ("mch_id", |r| Some(r.mch_id.clone())),
        ("order_no", |r| Some(r.order_no.clone())),
        ("out_order_no", |r| Some(r.out_order_no.clone())),
        ("state", |r| Some(r.state.code().to_string())),
        ("money", |r| yuan(&r.money)),
        ("notify_succ", |r| {
            r.notify_succ.map(|n| n.code().to_string())
        }),
        ("expired_time", |r| r.expired_time.clone()),
        ("expired_timestamp", |r| {
            r.expired_timestamp.map(|t| t.to_string())
        }),
        ("notify_url", |r| r.notify_url.clone()),
        ("pay_url", |r| r.pay_url.clone()),
    ]
}

fn balance_getters() -> Vec<(&'static str, Getter<BalanceResponse>)> {
    vec![("balance", |r| yuan(&r.balance))]
}

fn token_getters() -> Vec<(&'static str, Getter<AccessTokenResponse>)> {
    vec![
        ("token", |r| Some(r.token.expose_secret().to_owned())),
        ("expires_in", |r| Some(r.expires_in.to_string())),
    ]
}

/// A distinct value per row, as digits (a valid text, integer and yuan amount alike).
fn value_for(i: usize) -> String {
    (11 + i).to_string()
}

/// Same value: equal text, or the same amount (`12` and `12.00` yuan).
fn same(got: Option<&str>, want: &str) -> bool {
    got == Some(want)
        || got.is_some_and(
            |g| matches!((Money::parse_yuan(g), Money::parse_yuan(want)), (Ok(a), Ok(b)) if a == b),
        )
}

fn check<T: serde::de::DeserializeOwned>(
    t: &Table,
    getters: &[(&str, Getter<T>)],
    problems: &mut Vec<String>,
) {
    // The documented type first (`int` as a JSON number); the samples also send integers as
    // text (`"mch_id":"1000123"`), so a model that reads text gets text.
    let typed: serde_json::Map<String, Value> = t
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let v = value_for(i);
            let value = match s(r, "base_type") {
                "int" | "int64" => json!(v.parse::<i64>().unwrap()),
                _ => json!(v),
            };
            (s(r, "name").to_owned(), value)
        })
        .collect();
    let texts: serde_json::Map<String, Value> = typed
        .iter()
        .map(|(k, v)| (k.clone(), json!(v.to_string().trim_matches('"'))))
        .collect();
    let model: T = match serde_json::from_value(Value::Object(typed)) {
        Ok(m) => m,
        Err(_) => serde_json::from_value(Value::Object(texts)).unwrap_or_else(|e| {
            panic!(
                "{}: an answer with every field does not decode: {e}",
                t.label()
            )
        }),
    };
    for (i, row) in t.rows.iter().enumerate() {
        let name = s(row, "name");
        match getters.iter().find(|(n, _)| *n == name) {
            Some((_, get)) => {
                if !same(get(&model).as_deref(), &value_for(i)) {
                    problems.push(format!(
                        "{} field `{name}`: sent {}, the model holds {:?}",
                        t.label(),
                        value_for(i),
                        get(&model)
                    ));
                }
            }
            None if excepted(&t.name, "response", name) => {}
            None => problems.push(format!(
                "{} field `{name}` (mifeng.md line {}) is missing from the model",
                t.label(),
                row["line"]
            )),
        }
    }
}

#[test]
fn every_documented_response_field_is_read_by_the_model() {
    let mut problems = Vec::new();
    for t in tables().iter().filter(|t| t.role == "response") {
        match t.name.as_str() {
            "unifiedorder" => check(t, &unified_getters(), &mut problems),
            "query" => check(t, &query_getters(), &mut problems),
            "balance" => check(t, &balance_getters(), &mut problems),
            "accesstoken" => check(t, &token_getters(), &mut problems),
            _ => problems.push(format!("{}: no model for table {}", t.label(), t.file)),
        }
    }
    fail_all(problems);
}

#[test]
fn every_documented_code_is_a_variant_with_its_meaning() {
    let mut problems = Vec::new();
    for t in tables().iter().filter(|t| t.role == "codes") {
        for row in &t.rows {
            let (code, want) = (s(row, "code"), s(row, "description"));
            let Ok(n) = code.parse::<i64>() else {
                problems.push(format!("{} code `{code}` is not an integer", t.label()));
                continue;
            };
            let got = match t.name.as_str() {
                "unifiedorder" => UnifiedOrderCode::from(n).doc_meaning(),
                "query" => QueryCode::from(n).doc_meaning(),
                "balance" => BalanceCode::from(n).doc_meaning(),
                other => {
                    problems.push(format!("{}: no code enum for {other}", t.label()));
                    continue;
                }
            };
            match got {
                None => problems.push(format!(
                    "{} code `{code}` ({want}) is not a variant of its enum",
                    t.label()
                )),
                Some(m) if m != want => problems.push(format!(
                    "{} code `{code}`: documented `{want}`, the enum says `{m}`",
                    t.label()
                )),
                Some(_) => {}
            }
        }
    }
    fail_all(problems);
}

#[test]
fn the_document_gives_no_lengths_and_every_exception_names_a_row() {
    let tables = tables();
    for t in &tables {
        for row in &t.rows {
            assert!(
                row["length"].is_null(),
                "{} `{}` now has a documented length: enforce it",
                t.label(),
                s(row, "name")
            );
        }
    }
    for e in DOC_EXCEPTIONS {
        assert!(
            tables
                .iter()
                .any(|t| t.name == e.endpoint && t.rows.iter().any(|r| s(r, "name") == e.field)),
            "DOC_EXCEPTIONS names {}/{}: no such row",
            e.endpoint,
            e.field
        );
    }
}
