//! Every JSON sample extracted from pooul.md parses into the typed model of its endpoint and
//! role; request samples also survive a round trip through the request builders.

use pooul::{
    Answer, PayData, PayRequest, RefundQueryData, RefundQueryRequest, RefundRequest, TradeData,
    TradeRef,
};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

/// Samples that are placeholders in pooul.md: they must NOT parse into the model, and the
/// reason says why (if one starts parsing, the document changed and this list must too).
const PLACEHOLDERS: &[(&str, &str)] = &[(
    "query_response",
    "pooul.md prints the query answer's data as `{ …… }`: no trade_id or trade_state",
)];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pooul")
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(v.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The typed model for an (endpoint, role); `None` when there is none (which fails the test).
fn model(endpoint: &str, role: &str, v: &Value) -> Option<Result<(), String>> {
    Some(match (endpoint, role) {
        ("/v2/pay", "request") => parse::<PayRequest>(v),
        ("/v2/pay", "response") => parse::<Answer<PayData>>(v),
        ("/v2/pay/query" | "/v2/pay/close" | "/v2/pay/reverse", "request") => parse::<TradeRef>(v),
        ("/v2/pay/query", "response") => parse::<Answer<TradeData>>(v),
        ("/v2/pay/close" | "/v2/pay/reverse" | "/v2/pay/refund", "response") => {
            parse::<Answer<Value>>(v)
        }
        ("/v2/pay/refund", "request") => parse::<RefundRequest>(v),
        ("/v2/pay/refund_query", "request") => parse::<RefundQueryRequest>(v),
        ("/v2/pay/refund_query", "response") => parse::<Answer<RefundQueryData>>(v),
        _ => return None,
    })
}

#[test]
fn every_fixture_parses_into_its_model() {
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir().join("index.json")).unwrap()).unwrap();
    let by_name: HashMap<&str, &Value> = index
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e))
        .collect();

    for entry in &index {
        if entry["status"] == "invalid" {
            let reason = entry["reason"].as_str().unwrap_or_default();
            assert!(
                !reason.is_empty(),
                "invalid entry without a reason: {entry}"
            );
        }
    }

    let mut seen = 0;
    for file in std::fs::read_dir(dir()).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if path.extension().and_then(|e| e.to_str()) != Some("json") || name == "index" {
            continue;
        }
        seen += 1;
        let entry = by_name
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{name} not in index.json"));
        assert_ne!(
            entry["status"], "invalid",
            "{name} is on disk but marked invalid"
        );
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let endpoint = entry["endpoint"].as_str().unwrap();
        let role = entry["role"].as_str().unwrap();
        let result = model(endpoint, role, &value)
            .unwrap_or_else(|| panic!("{name}: no model for {endpoint} {role}"));
        match PLACEHOLDERS.iter().find(|(n, _)| *n == name) {
            Some((_, why)) => assert!(
                result.is_err(),
                "{name} is listed as a placeholder ({why}) but parses"
            ),
            None => assert!(result.is_ok(), "{name}: {}", result.unwrap_err()),
        }
    }
    assert!(
        seen >= 20,
        "only {seen} fixtures found in {}",
        dir().display()
    );
}

#[test]
fn request_samples_round_trip_through_the_builders() {
    // Pay and refund samples, read into the typed request, must come back out as the same
    // JSON body (nonce_str aside): nothing dropped, renamed or re-typed.
    for file in std::fs::read_dir(dir()).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if !(name.starts_with("pay_") || name == "refund_request") || !name.ends_with("request") {
            continue;
        }
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let rebuilt = if name == "refund_request" {
            serde_json::from_value::<RefundRequest>(value.clone())
                .unwrap()
                .wire_body()
                .unwrap()
        } else {
            serde_json::from_value::<PayRequest>(value.clone())
                .unwrap()
                .wire_body()
                .unwrap()
        };
        assert_eq!(Value::Object(rebuilt), value, "{name}");
    }
}

#[test]
fn a_field_of_another_pay_type_is_refused() {
    let v = serde_json::json!({"pay_type": "wechat.scan", "mch_trade_id": "m", "total_fee": 1,
        "body": "b", "auth_code": "134"});
    let err = serde_json::from_value::<PayRequest>(v)
        .unwrap_err()
        .to_string();
    assert!(err.contains("auth_code"), "{err}");
}
