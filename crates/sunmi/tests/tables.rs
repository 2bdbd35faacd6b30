//! The models held to every table of sunmi.txt, as extracted by `cargo xtask fixtures` into
//! `fixtures/sunmi/tables/` (or the directory named by `PAYHUB_TABLES_DIR`). A row added to a
//! table is covered without touching this file; a field the crate does not send or read fails
//! with the provider, endpoint and field named, unless `sunmi::DOC_EXCEPTIONS` lists it.

mod common;

use common::{APP_ID, client_for};
use paysig::{Money, Params, RsaPrivateKey};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use sunmi::model::Envelope;
use sunmi::{
    BindConfig, BusinessCode, CardGov, CardType, DOC_EXCEPTIONS, Error, JsApiPayRequest,
    MiniPayRequest, Notification, OrderRef, OrderResult, OriginalOrder, PayBindRequest,
    QueryRequest, QueryResult, RefundRequest, RefundResult, SwipeQueryRequest, SwipeTrade,
    SwipeTradeRef, SystemCode, Terminal, TradeDate, WalletType, verify_notify,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

// ---------------------------------------------------------------------------------------------
// The table files.

struct Table {
    file: String,
    name: String,
    endpoint: Option<String>,
    role: String,
    rows: Vec<Value>,
}

impl Table {
    /// `sunmi <path or name> <role>`: how failures name the table.
    fn label(&self) -> String {
        format!(
            "sunmi {} {}",
            self.endpoint.as_deref().unwrap_or(&self.name),
            self.role
        )
    }
}

fn tables_dir() -> PathBuf {
    match std::env::var_os("PAYHUB_TABLES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sunmi/tables"),
    }
}

fn tables() -> Vec<Table> {
    let dir = tables_dir();
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
            endpoint: v["endpoint"].as_str().map(str::to_owned),
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

// ---------------------------------------------------------------------------------------------
// Requests: every documented field is set through the typed API and sent under its name.

fn terminal() -> Terminal {
    Terminal::Both {
        msn: "V206D88200036".into(),
        merchant_no: "820291573790006".into(),
    }
}

/// The typed requests that together set every field the crate can send for a table, each
/// with a setter per free-text field (to check its documented length).
enum Req {
    Swipe(SwipeQueryRequest),
    Bind(PayBindRequest),
    JsApi(JsApiPayRequest),
    Mini(MiniPayRequest),
    Query(QueryRequest),
    Refund(RefundRequest),
}

fn requests(table: &str) -> Option<Vec<Req>> {
    let fen = Money::from_fen(100);
    Some(match table {
        "swipequery" => vec![Req::Swipe(SwipeQueryRequest {
            msn: "V206D88200036".into(),
            trade_date: Some(TradeDate::parse("20190520").unwrap()),
            trade: SwipeTradeRef::Both {
                order_id: "201906300600003".into(),
                platform_id: "331916913".into(),
            },
        })],
        "paybind_jsapi" | "paybind_mini" => [
            BindConfig::PayUrl {
                pay_url: "http://xxxx.com/xxx/".into(),
                attention_app_id: Some("wxhsdfk34".into()),
            },
            BindConfig::MiniAppId("wxhsdfks24324534".into()),
            BindConfig::AttentionAppId("wxhsdfk34".into()),
            BindConfig::ReceiptAppId("wxreceipt".into()),
            BindConfig::Query,
        ]
        .into_iter()
        .map(|config| {
            Req::Bind(PayBindRequest {
                merchant_no: "820291573790006".into(),
                config,
            })
        })
        .collect(),
        "jsapipay" => vec![Req::JsApi(JsApiPayRequest {
            merchant_no: "8202915737".into(),
            total_amount: fen,
            mini_app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
            order_id: "SFD42343242364723482".into(),
            wallet_type: WalletType::default(),
            notify_url: Some("https://merchant.example/notify".into()),
        })],
        "minipay" => vec![Req::Mini(MiniPayRequest {
            merchant_no: "8202915737".into(),
            total_amount: fen,
            mini_app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
            order_id: "SFD42343242364723482".into(),
            app_version: Some("1.0.3".into()),
            notify_url: Some("https://m.example/n".into()),
        })],
        "query" => [
            OrderRef::MisId("m1".into()),
            OrderRef::OrderId("o1".into()),
            OrderRef::PlatformId("p1".into()),
        ]
        .into_iter()
        .map(|order| {
            Req::Query(QueryRequest {
                terminal: terminal(),
                order,
            })
        })
        .collect(),
        "refund" => [
            OriginalOrder::MisId("m1".into()),
            OriginalOrder::PlatformId("p1".into()),
            OriginalOrder::OrderId("o1".into()),
        ]
        .into_iter()
        .map(|original| {
            Req::Refund(RefundRequest {
                terminal: terminal(),
                original,
                order_id: "sda1212".into(),
                business_id: "453975342343".into(),
                amount: fen,
            })
        })
        .collect(),
        _ => return None,
    })
}

/// Sets free-text `field` of `req` to `value`; false when `req` has no such text field.
fn set_text(req: &mut Req, field: &str, value: String) -> bool {
    let slot: Option<&mut String> = match (req, field) {
        (Req::Swipe(r), "msn") => Some(&mut r.msn),
        (
            Req::Swipe(SwipeQueryRequest {
                trade: SwipeTradeRef::Both { order_id, .. },
                ..
            }),
            "orderId",
        ) => Some(order_id),
        (
            Req::Swipe(SwipeQueryRequest {
                trade: SwipeTradeRef::Both { platform_id, .. },
                ..
            }),
            "platformId",
        ) => Some(platform_id),
        (Req::Bind(r), "merchantNo") => Some(&mut r.merchant_no),
        (Req::Bind(r), f) => match (&mut r.config, f) {
            (BindConfig::PayUrl { pay_url, .. }, "payUrl") => Some(pay_url),
            (
                BindConfig::PayUrl {
                    attention_app_id: Some(a),
                    ..
                },
                "attentionAppId",
            ) => Some(a),
            (BindConfig::MiniAppId(v), "miniAppId") => Some(v),
            (BindConfig::ReceiptAppId(v), "receiptAppId") => Some(v),
            _ => None,
        },
        (Req::JsApi(r), "merchantNo") => Some(&mut r.merchant_no),
        (Req::JsApi(r), "miniAppId") => Some(&mut r.mini_app_id),
        (Req::JsApi(r), "openId") => Some(&mut r.open_id),
        (Req::JsApi(r), "orderId") => Some(&mut r.order_id),
        (Req::JsApi(r), "notifyUrl") => r.notify_url.as_mut(),
        (Req::Mini(r), "merchantNo") => Some(&mut r.merchant_no),
        (Req::Mini(r), "miniAppId") => Some(&mut r.mini_app_id),
        (Req::Mini(r), "openId") => Some(&mut r.open_id),
        (Req::Mini(r), "orderId") => Some(&mut r.order_id),
        (Req::Mini(r), "appVersion") => r.app_version.as_mut(),
        (Req::Mini(r), "notifyUrl") => r.notify_url.as_mut(),
        (Req::Query(r), "msn") => terminal_msn(&mut r.terminal),
        (Req::Query(r), "merchantNo") => terminal_merchant(&mut r.terminal),
        (Req::Query(r), f) => match (&mut r.order, f) {
            (OrderRef::MisId(v), "misId")
            | (OrderRef::OrderId(v), "orderId")
            | (OrderRef::PlatformId(v), "platformId") => Some(v),
            _ => None,
        },
        (Req::Refund(r), "msn") => terminal_msn(&mut r.terminal),
        (Req::Refund(r), "merchantNo") => terminal_merchant(&mut r.terminal),
        (Req::Refund(r), "orderId") => Some(&mut r.order_id),
        (Req::Refund(r), "businessId") => Some(&mut r.business_id),
        (Req::Refund(r), f) => match (&mut r.original, f) {
            (OriginalOrder::MisId(v), "oriMisId")
            | (OriginalOrder::PlatformId(v), "oriPlatformId")
            | (OriginalOrder::OrderId(v), "oriOrderId") => Some(v),
            _ => None,
        },
        _ => None,
    };
    match slot {
        Some(s) => {
            *s = value;
            true
        }
        None => false,
    }
}

fn terminal_msn(t: &mut Terminal) -> Option<&mut String> {
    match t {
        Terminal::Both { msn, .. } | Terminal::Msn(msn) => Some(msn),
        Terminal::MerchantNo(_) => None,
    }
}

fn terminal_merchant(t: &mut Terminal) -> Option<&mut String> {
    match t {
        Terminal::Both { merchant_no, .. } | Terminal::MerchantNo(merchant_no) => Some(merchant_no),
        Terminal::Msn(_) => None,
    }
}

/// Sends `req` to a loopback server; returns the call's result and the forms received.
async fn send(req: &Req) -> (Result<(), Error>, Vec<Params>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"code":"40002","msg":"refused by the test server"}"#),
        )
        .mount(&server)
        .await;
    let client = client_for(&server);
    let result = match req {
        Req::Swipe(r) => client.swipe_query(r).await.map(drop),
        Req::Bind(r) => client.pay_bind(r).await.map(drop),
        Req::JsApi(r) => client.js_api_pay(r).await.map(drop),
        Req::Mini(r) => client.mini_pay(r).await.map(drop),
        Req::Query(r) => client.query(r).await.map(drop),
        Req::Refund(r) => client.refund(r).await.map(drop),
    };
    let forms = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| Params::parse_form(&r.body).unwrap())
        .collect();
    (result, forms)
}

fn request_tables() -> Vec<Table> {
    tables()
        .into_iter()
        .filter(|t| t.role == "request" && !t.name.starts_with("notify"))
        .collect()
}

#[tokio::test]
async fn every_documented_request_field_is_sent_under_its_name() {
    let mut problems = Vec::new();
    for t in request_tables() {
        let Some(reqs) = requests(&t.name) else {
            problems.push(format!(
                "{}: no typed request for table {}",
                t.label(),
                t.file
            ));
            continue;
        };
        let mut sent: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for req in &reqs {
            let (_, forms) = send(req).await;
            assert!(!forms.is_empty(), "{}: nothing was sent", t.label());
            for form in forms {
                for (k, v) in form.iter() {
                    sent.entry(k.to_owned()).or_default().push(v.to_owned());
                }
            }
        }
        for row in &t.rows {
            let name = s(row, "name");
            if !sent.contains_key(name) && !excepted(&t.name, "request", name) {
                problems.push(format!(
                    "{} field `{name}` (sunmi.txt line {}) is never sent by the typed API",
                    t.label(),
                    row["line"]
                ));
            }
        }
        for name in sent.keys() {
            if !t.rows.iter().any(|r| s(r, "name") == name) {
                problems.push(format!(
                    "{}: sends `{name}`, which no row documents",
                    t.label()
                ));
            }
        }
        assert_eq!(sent["app_id"][0], APP_ID);
    }
    fail_all(problems);
}

/// Fields whose sent value cannot outgrow the documented length whatever the caller does:
/// the client's own fields, amounts (`Money` as fen digits: at most 20), fixed codes.
const BOUNDED_BY_TYPE: &[&str] = &[
    "app_id",
    "charset",
    "sign",
    "totalAmount",
    "amount",
    "configType",
    "tradeDate",
    "walletType",
];

#[tokio::test]
async fn documented_lengths_are_enforced_before_sending() {
    let mut problems = Vec::new();
    for t in request_tables() {
        let Some(reqs) = requests(&t.name) else {
            continue;
        };
        let mut full_forms = Vec::new();
        for req in &reqs {
            full_forms.extend(send(req).await.1);
        }
        for row in &t.rows {
            let name = s(row, "name");
            let Some(max) = row["length"].as_u64().map(|n| n as usize) else {
                continue;
            };
            if BOUNDED_BY_TYPE.contains(&name) {
                // What the client sends stays within the documented length.
                for form in &full_forms {
                    if let Some(v) = form.get(name) {
                        assert!(
                            v.chars().count() <= max,
                            "{} field `{name}` sent as `{v}`, longer than String({max})",
                            t.label()
                        );
                    }
                }
                continue;
            }
            let mut checked = false;
            for mut req in requests(&t.name).unwrap() {
                if !set_text(&mut req, name, "x".repeat(max)) {
                    continue;
                }
                // At the limit it is sent...
                let (_, forms) = send(&req).await;
                assert!(!forms.is_empty(), "{} `{name}` at String({max})", t.label());
                // ...one character more is refused before anything is sent.
                set_text(&mut req, name, "x".repeat(max + 1));
                let (result, forms) = send(&req).await;
                match result {
                    Err(Error::Validation { field, .. }) if field == name => {}
                    other => problems.push(format!(
                        "{} field `{name}` of {} characters (String({max})) gave {other:?}",
                        t.label(),
                        max + 1
                    )),
                }
                assert!(forms.is_empty(), "{} `{name}` too long was sent", t.label());
                checked = true;
            }
            if !checked && !excepted(&t.name, "length", name) {
                problems.push(format!(
                    "{} field `{name}` String({max}): no length check found",
                    t.label()
                ));
            }
        }
    }
    fail_all(problems);
}

// ---------------------------------------------------------------------------------------------
// Responses and the notification: every documented field is read by the model.

type Getter<T> = fn(&T) -> Option<String>;

fn money(m: &Money) -> Option<String> {
    Some(m.to_fen_string())
}

fn order_getters() -> Vec<(&'static str, &'static str, Getter<OrderResult>)> {
    vec![
        ("data", "orderId", |r| Some(r.order_id.clone())),
        ("data", "misId", |r| Some(r.mis_id.clone())),
        ("data", "platformId", |r| Some(r.platform_id.clone())),
        ("data", "merchantNo", |r| Some(r.merchant_no.clone())),
        ("data", "amount", |r| money(&r.amount)),
        ("data", "payTime", |r| Some(r.pay_time.clone())),
        ("data", "platform", |r| Some(r.platform.as_str().to_owned())),
        ("data", "buyerLogonId", |r| r.buyer_logon_id.clone()),
        ("data", "buyerPayAmount", |r| money(&r.buyer_pay_amount)),
        ("data", "resultCode", |r| {
            Some(r.result_code.as_str().to_owned())
        }),
        ("data", "resultMsg", |r| r.result_msg.clone()),
        ("data", "state", |r| Some(r.state.code().to_string())),
        ("data", "cloudPayInfo", |_| None),
        ("cloudPayInfo", "appId", |r| {
            Some(r.cloud_pay_info.app_id.clone())
        }),
        ("cloudPayInfo", "timeStamp", |r| {
            Some(r.cloud_pay_info.time_stamp.clone())
        }),
        ("cloudPayInfo", "nonceStr", |r| {
            Some(r.cloud_pay_info.nonce_str.clone())
        }),
        ("cloudPayInfo", "packageStr", |r| {
            Some(r.cloud_pay_info.package_str.clone())
        }),
        ("cloudPayInfo", "signType", |r| {
            Some(r.cloud_pay_info.sign_type.clone())
        }),
        ("cloudPayInfo", "paySign", |r| {
            Some(r.cloud_pay_info.pay_sign.clone())
        }),
    ]
}

fn query_getters() -> Vec<(&'static str, &'static str, Getter<QueryResult>)> {
    vec![
        ("data", "amount", |r| money(&r.amount)),
        ("data", "businessId", |r| r.business_id.clone()),
        ("data", "buyerPayAmount", |r| money(&r.buyer_pay_amount)),
        ("data", "misId", |r| Some(r.mis_id.clone())),
        ("data", "msn", |r| r.msn.clone()),
        ("data", "merchantNo", |r| r.merchant_no.clone()),
        ("data", "orderType", |r| {
            Some(r.order_type.code().to_string())
        }),
        ("data", "orderId", |r| r.order_id.clone()),
        ("data", "payTime", |r| Some(r.pay_time.to_string())),
        ("data", "platform", |r| Some(r.platform.as_str().to_owned())),
        ("data", "buyerLogonId", |r| r.buyer_logon_id.clone()),
        ("data", "platformId", |r| r.platform_id.clone()),
        ("data", "refunded", |r| money(&r.refunded)),
        ("data", "resultCode", |r| {
            r.result_code.as_ref().map(|c| c.as_str().to_owned())
        }),
        ("data", "resultMsg", |r| r.result_msg.clone()),
        ("data", "state", |r| Some(r.state.code().to_string())),
    ]
}

fn refund_getters() -> Vec<(&'static str, &'static str, Getter<RefundResult>)> {
    vec![
        ("data", "amount", |r| money(&r.amount)),
        ("data", "businessId", |r| r.business_id.clone()),
        ("data", "misId", |r| Some(r.mis_id.clone())),
        ("data", "msn", |r| r.msn.clone()),
        ("data", "merchantNo", |r| r.merchant_no.clone()),
        ("data", "orderId", |r| Some(r.order_id.clone())),
        ("data", "orderType", |r| {
            Some(r.order_type.code().to_string())
        }),
        ("data", "oriMisId", |r| Some(r.ori_mis_id.clone())),
        ("data", "oriOrderId", |r| r.ori_order_id.clone()),
        ("data", "payTime", |r| Some(r.pay_time.to_string())),
        ("data", "platform", |r| Some(r.platform.as_str().to_owned())),
        ("data", "buyerLogonId", |r| r.buyer_logon_id.clone()),
        ("data", "platformId", |r| Some(r.platform_id.clone())),
        ("data", "resultCode", |r| {
            r.result_code.as_ref().map(|c| c.as_str().to_owned())
        }),
        ("data", "resultMsg", |r| r.result_msg.clone()),
        ("data", "state", |r| Some(r.state.code().to_string())),
    ]
}

fn swipe_getters() -> Vec<(&'static str, &'static str, Getter<SwipeTrade>)> {
    vec![
        ("data", "TransCurrency", |r| Some(r.trans_currency.clone())),
        ("data", "amount", |r| money(&r.amount)),
        ("data", "batchNo", |r| r.batch_no.clone()),
        ("data", "cardGov", |r| {
            r.card_gov.as_ref().map(|c| c.as_str().to_owned())
        }),
        ("data", "cardHash", |r| r.card_hash.clone()),
        ("data", "cardType", |r| {
            r.card_type.as_ref().map(|c| c.as_str().to_owned())
        }),
        ("data", "merchantNo", |r| Some(r.merchant_no.clone())),
        ("data", "orderType", |r| {
            Some(r.order_type.code().to_string())
        }),
        ("data", "oriTradeRef", |r| r.ori_trade_ref.clone()),
        ("data", "orderId", |r| Some(r.order_id.clone())),
        ("data", "payTime", |r| Some(r.pay_time.to_string())),
        ("data", "platformId", |r| Some(r.platform_id.clone())),
        ("data", "resultCode", |r| {
            Some(r.result_code.as_str().to_owned())
        }),
        ("data", "resultMsg", |r| r.result_msg.clone()),
        ("data", "shortCard", |r| r.short_card.clone()),
        ("data", "state", |r| Some(r.state.code().to_string())),
        ("data", "terminalNo", |r| Some(r.terminal_no.clone())),
        ("data", "traceNo", |r| r.trace_no.clone()),
        ("data", "tradeRef", |r| r.trade_ref.clone()),
    ]
}

/// A distinct value per row: digits, which every documented type (text, integer, amount in
/// fen, integer-coded state) can carry.
fn value_for(i: usize) -> String {
    (1001 + i).to_string()
}

fn json_value(row: &Value, v: &str) -> Value {
    match s(row, "base_type") {
        "Int" => json!(v.parse::<i64>().unwrap()),
        _ => json!(v),
    }
}

/// The answer carrying every documented field of `t`: `data` fields in `data`, the
/// `cloudPayInfo` fields as the JSON text of `data.cloudPayInfo`.
fn full_answer(t: &Table) -> (Value, Vec<(usize, String)>) {
    let mut data = serde_json::Map::new();
    let mut pay_info = serde_json::Map::new();
    let mut values = Vec::new();
    for (i, row) in t.rows.iter().enumerate() {
        let v = value_for(i);
        let name = s(row, "name").to_owned();
        match row["group"].as_str() {
            Some("data") => {
                data.insert(name, json_value(row, &v));
            }
            Some("cloudPayInfo") => {
                pay_info.insert(name, json_value(row, &v));
            }
            _ => {}
        }
        values.push((i, v));
    }
    if !pay_info.is_empty() {
        data.insert(
            "cloudPayInfo".into(),
            json!(Value::Object(pay_info).to_string()),
        );
    }
    (
        json!({"code": "10000", "msg": "ok", "data": Value::Object(data)}),
        values,
    )
}

fn check_fields<T>(
    t: &Table,
    model: &T,
    getters: &[(&str, &str, Getter<T>)],
    values: &[(usize, String)],
    problems: &mut Vec<String>,
) {
    for (i, row) in t.rows.iter().enumerate() {
        let name = s(row, "name");
        let group = row["group"].as_str().unwrap_or("");
        if group.is_empty() {
            continue; // the envelope: checked on its own
        }
        let Some((_, _, get)) = getters.iter().find(|(g, n, _)| *g == group && *n == name) else {
            if !excepted(&t.name, "response", name) {
                problems.push(format!(
                    "{} field `{name}` (group {group}, sunmi.txt line {}) is missing from the model",
                    t.label(),
                    row["line"]
                ));
            }
            continue;
        };
        if name == "cloudPayInfo" {
            continue; // its fields are rows of their own
        }
        let want = &values[i].1;
        if get(model).as_deref() != Some(want.as_str()) {
            problems.push(format!(
                "{} field `{name}`: sent {want}, the model holds {:?}",
                t.label(),
                get(model)
            ));
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(t: &Table, answer: &Value) -> T {
    serde_json::from_value(answer["data"].clone())
        .unwrap_or_else(|e| panic!("{}: the full answer does not decode: {e}", t.label()))
}

#[test]
fn every_documented_response_field_is_read_by_the_model() {
    let mut problems = Vec::new();
    for t in tables().iter().filter(|t| t.role == "response") {
        let (answer, values) = full_answer(t);
        // The envelope rows (`code`, `msg`, `data`) are read by `Envelope`.
        let envelope: Envelope = serde_json::from_value(answer.clone()).unwrap();
        for row in t.rows.iter().filter(|r| r["group"].is_null()) {
            let read = match s(row, "name") {
                "code" => envelope.code == SystemCode::Success,
                "msg" => envelope.msg.as_deref() == Some("ok"),
                "data" => envelope.data.is_some(),
                _ => false,
            };
            if !read {
                problems.push(format!(
                    "{} field `{}` is missing from the envelope model",
                    t.label(),
                    s(row, "name")
                ));
            }
        }
        match t.name.as_str() {
            "jsapipay" | "minipay" => {
                let m: OrderResult = decode(t, &answer);
                check_fields(t, &m, &order_getters(), &values, &mut problems);
            }
            "query" => {
                let m: QueryResult = decode(t, &answer);
                check_fields(t, &m, &query_getters(), &values, &mut problems);
            }
            "refund" => {
                let m: RefundResult = decode(t, &answer);
                check_fields(t, &m, &refund_getters(), &values, &mut problems);
            }
            "swipequery" => {
                let m: SwipeTrade = decode(t, &answer);
                check_fields(t, &m, &swipe_getters(), &values, &mut problems);
            }
            _ if t.rows.iter().all(|r| r["group"].is_null()) => {}
            _ => problems.push(format!("{}: no model for table {}", t.label(), t.file)),
        }
    }
    fail_all(problems);
}

fn notify_getters() -> Vec<(&'static str, Getter<Notification>)> {
    fn origin(n: &Notification, f: fn(&sunmi::RefundOrigin) -> &Option<String>) -> Option<String> {
        n.refund_origin.as_ref().and_then(|o| f(o).clone())
    }
    vec![
        ("amount", |n| money(&n.amount)),
        ("businessId", |n| Some(n.business_id.clone())),
        ("buyerPayAmount", |n| money(&n.buyer_pay_amount)),
        ("misId", |n| Some(n.mis_id.clone())),
        ("msn", |n| Some(n.msn.clone())),
        ("orderId", |n| Some(n.order_id.clone())),
        ("orderType", |n| Some(n.order_type.code().to_string())),
        ("payTime", |n| Some(n.pay_time.to_string())),
        ("platform", |n| Some(n.platform.as_str().to_owned())),
        ("buyerLogonId", |n| n.buyer_logon_id.clone()),
        ("platformId", |n| Some(n.platform_id.clone())),
        ("refunded", |n| money(&n.refunded)),
        ("resultCode", |n| Some(n.result_code.as_str().to_owned())),
        ("resultMsg", |n| Some(n.result_msg.clone())),
        ("state", |n| Some(n.state.code().to_string())),
        ("origMisId", |n| origin(n, |o| &o.orig_mis_id)),
        ("origOrderId", |n| origin(n, |o| &o.orig_order_id)),
        ("origPlatformId", |n| origin(n, |o| &o.orig_platform_id)),
        ("origBusinessId", |n| origin(n, |o| &o.orig_business_id)),
    ]
}

#[test]
fn every_documented_notify_field_is_read_by_the_model() {
    let key = RsaPrivateKey::generate_2048().unwrap();
    let mut problems = Vec::new();
    for t in tables().iter().filter(|t| t.name.starts_with("notify")) {
        let mut pairs: Vec<(String, String)> = t
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| s(r, "name") != "sign")
            .map(|(i, r)| (s(r, "name").to_owned(), value_for(i)))
            .collect();
        let mut sorted = pairs.clone();
        sorted.sort();
        let message = sorted
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        pairs.push((
            "sign".into(),
            key.sign_sha256_base64(message.as_bytes()).unwrap(),
        ));
        let mut form = Params::new();
        for (k, v) in &pairs {
            form.push(k.as_str(), v.as_str());
        }
        let body = form.to_form();
        let n = verify_notify(body.as_bytes(), &key.public_key())
            .unwrap_or_else(|e| panic!("{}: the full notify is refused: {e}", t.label()));
        let getters = notify_getters();
        for (i, row) in t.rows.iter().enumerate() {
            let name = s(row, "name");
            if name == "sign" {
                continue; // consumed by the verification above
            }
            match getters.iter().find(|(g, _)| *g == name) {
                Some((_, get)) => {
                    if get(&n).as_deref() != Some(value_for(i).as_str()) {
                        problems.push(format!(
                            "{} field `{name}`: sent {}, the model holds {:?}",
                            t.label(),
                            value_for(i),
                            get(&n)
                        ));
                    }
                }
                None if excepted(&t.name, "request", name) => {}
                None => problems.push(format!(
                    "{} field `{name}` (sunmi.txt line {}) is missing from the notification model",
                    t.label(),
                    row["line"]
                )),
            }
        }
    }
    fail_all(problems);
}

// ---------------------------------------------------------------------------------------------
// Codes: every row is a variant of its enum with the documented meaning.

#[test]
fn every_documented_code_is_a_variant_with_its_meaning() {
    let mut problems = Vec::new();
    for t in tables().iter().filter(|t| t.role == "codes") {
        for row in &t.rows {
            let (column, code, want) = (s(row, "column"), s(row, "code"), s(row, "description"));
            let got = match column {
                "code" => SystemCode::from(code).doc_meaning(),
                "sub_code" => BusinessCode::from(code).doc_meaning(),
                "cardType" => CardType::from(code).doc_meaning(),
                "cardGov" => CardGov::from(code).doc_meaning(),
                other => {
                    problems.push(format!("{}: no enum for code column `{other}`", t.label()));
                    continue;
                }
            };
            match got {
                None => problems.push(format!(
                    "{} {column} `{code}` ({want}) is not a variant of its enum",
                    t.label()
                )),
                Some(meaning) if meaning != want => problems.push(format!(
                    "{} {column} `{code}`: documented `{want}`, the enum says `{meaning}`",
                    t.label()
                )),
                Some(_) => {}
            }
        }
    }
    fail_all(problems);
}

#[test]
fn every_exception_names_a_documented_field() {
    let tables = tables();
    for e in DOC_EXCEPTIONS {
        assert_eq!(e.provider, "sunmi");
        assert!(!e.reason.is_empty());
        let found = tables
            .iter()
            .any(|t| t.name == e.endpoint && t.rows.iter().any(|r| s(r, "name") == e.field));
        assert!(
            found,
            "DOC_EXCEPTIONS names {}/{}: no such row",
            e.endpoint, e.field
        );
    }
}

#[test]
fn the_tables_hold_what_the_document_shows() {
    // A guard on the extraction the tests above rely on.
    let tables = tables();
    let mini = tables
        .iter()
        .find(|t| t.file == "minipay.request.json")
        .unwrap();
    let notify_url = mini
        .rows
        .iter()
        .find(|r| s(r, "name") == "notifyUrl")
        .unwrap();
    assert_eq!(s(notify_url, "type"), "String(32)");
    assert_eq!(notify_url["required"], false);
    assert_eq!(mini.endpoint.as_deref(), Some("/v1/trade/miniPay"));
}
