//! The requests held to every table of pooul.md, as extracted by `cargo xtask fixtures` into
//! `fixtures/pooul/tables/` (or the directory named by `PAYHUB_TABLES_DIR`). A row added to a
//! table is covered without touching this file; a field the typed API does not send fails with
//! the provider, endpoint and field named, unless `pooul::DOC_EXCEPTIONS` lists it. pooul.md
//! documents no response or code table (its answers are only samples, see tests/fixtures.rs).

mod common;

use paysig::Money;
use pooul::{DOC_EXCEPTIONS, MchAppType, PayRequest, PayType, RefundQueryRequest, RefundRequest};
use serde_json::Value;
use std::path::PathBuf;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Table {
    file: String,
    name: String,
    endpoint: String,
    role: String,
    rows: Vec<Value>,
}

fn tables() -> Vec<Table> {
    let dir = match std::env::var_os("PAYHUB_TABLES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pooul/tables"),
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

/// One request as received: path, query pairs, the JWT payload's keys, and the pay type.
struct Sent {
    path: String,
    query: Vec<(String, String)>,
    body: Vec<String>,
    pay_type: Option<String>,
}

fn pay_types() -> Vec<PayType> {
    vec![
        PayType::Micro {
            auth_code: "136345610916464024".into(),
        },
        PayType::WechatScan,
        PayType::WechatJsapi {
            sub_appid: "wx069eb0cbbdd45873".into(),
            sub_openid: "outOWs-bgUH2QiCE0vNZhyCj2FJI".into(),
        },
        PayType::WechatMiniProgram {
            sub_appid: "wx758379be100f9991".into(),
            sub_openid: "o2uCJ5RGOOylP75Ipvncazz0bFAI".into(),
        },
        PayType::WechatApp {
            sub_appid: "wx2fbcb61b6e5b1384".into(),
        },
        PayType::WechatWap {
            mch_app_type: MchAppType::Wap,
            mch_app_name: "普尔商城".into(),
            mch_app_id: "https://store.pooul.com/".into(),
        },
        PayType::AlipayScan,
    ]
}

/// Every call of the typed API, every optional field set, as the server received them.
async fn sent() -> Vec<Sent> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(common::pooul_answer("success", serde_json::json!({}))),
        )
        .mount(&server)
        .await;
    let client = common::client(&server.uri());
    let fee = Money::from_fen(221);
    for pay_type in pay_types() {
        let req = PayRequest::new(pay_type, "alextest.113", fee, "Alex Test")
            .spbill_create_ip("127.0.0.1")
            .notify_url("https://merchant.example/notify".parse().unwrap())
            .time_start(1530759545)
            .time_expire(1530759574)
            .store_id("9527")
            .device_info("WEB")
            .op_user_id("301");
        let _ = client.pay(&req).await;
    }
    let _ = client.query("alextest.113").await;
    let _ = client.close("alextest.113").await;
    let _ = client.reverse("alextest.113").await;
    let refund = RefundRequest::without_refund_id("alextest.113", fee, "Alex Test")
        .notify_url("https://merchant.example/refunded".parse().unwrap());
    let _ = client.refund(&refund).await;
    let _ = client
        .refund_query(&RefundQueryRequest::new("alextest.113"))
        .await;
    let merchant = common::keys().merchant.public_key();
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let payload = common::read_sent_jwt(&r.body, &merchant);
            let body = payload.as_object().unwrap();
            Sent {
                path: r.url.path().to_owned(),
                query: r
                    .url
                    .query_pairs()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
                body: body.keys().cloned().collect(),
                pay_type: body
                    .get("pay_type")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            }
        })
        .collect()
}

#[tokio::test]
async fn every_documented_request_field_is_sent_under_its_name() {
    let sent = sent().await;
    let mut problems = Vec::new();
    for t in tables() {
        assert_eq!(
            t.role, "request",
            "{}: pooul.md has only request tables",
            t.file
        );
        let calls: Vec<&Sent> = sent.iter().filter(|c| c.path == t.endpoint).collect();
        if calls.is_empty() {
            problems.push(format!(
                "pooul {} request: the typed API never calls it",
                t.endpoint
            ));
            continue;
        }
        for row in &t.rows {
            let name = s(row, "name");
            // A row of a pay type's table is sent with that pay type; a shared row with all.
            let relevant: Vec<&&Sent> = calls
                .iter()
                .filter(|c| {
                    row["group"].is_null() || c.pay_type.as_deref() == row["group"].as_str()
                })
                .collect();
            let carried = !relevant.is_empty()
                && relevant.iter().all(|c| match s(row, "location") {
                    "url" => c
                        .query
                        .iter()
                        .any(|(k, v)| k == name && v == common::MERCHANT_ID),
                    _ => c.body.iter().any(|k| k == name),
                });
            if !carried && !excepted(&t.name, "request", name) {
                problems.push(format!(
                    "pooul {} request field `{name}`{} (pooul.md line {}) is not sent by the typed API",
                    t.endpoint,
                    row["group"].as_str().map(|g| format!(" ({g})")).unwrap_or_default(),
                    row["line"]
                ));
            }
        }
        for c in &calls {
            for k in &c.body {
                let documented = t.rows.iter().any(|r| s(r, "name") == k);
                if !documented && !excepted(&t.name, "extra", k) {
                    problems.push(format!(
                        "pooul {} request: sends `{k}`, which no row documents",
                        t.endpoint
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_document_gives_no_lengths_and_every_exception_names_a_table() {
    let tables = tables();
    for t in &tables {
        for row in &t.rows {
            assert!(
                row["length"].is_null(),
                "pooul {} `{}` now has a documented length: enforce it",
                t.endpoint,
                s(row, "name")
            );
        }
    }
    for e in DOC_EXCEPTIONS {
        let table = tables.iter().find(|t| t.name == e.endpoint);
        assert!(
            table.is_some(),
            "DOC_EXCEPTIONS names table {}: none",
            e.endpoint
        );
        let documented = table.unwrap().rows.iter().any(|r| s(r, "name") == e.field);
        // An `extra` field is by definition not in the table; any other must be.
        assert_eq!(documented, e.check != "extra", "{}/{}", e.endpoint, e.field);
    }
}
