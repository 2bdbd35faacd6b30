//! Every Sunmi fixture (JSON samples of sunmi.txt, see fixtures/sunmi/index.json) parses into
//! the typed model of its endpoint and role. A fixture without a model fails.

use paysig::{Params, RsaPublicKey};
use serde_json::Value;
use std::path::PathBuf;
use sunmi::model::{Envelope, SubError};
use sunmi::*;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sunmi")
}

fn params(v: &Value) -> Params {
    Params::from_json_object(v.as_object().expect("a JSON object"))
}

fn data<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    let env: Envelope = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(env.code, SystemCode::Success);
    serde_json::from_value(env.data.expect("data")).unwrap()
}

/// Samples the document itself gets wrong, with the check that documents how.
fn known_deviation(name: &str, v: &Value) -> bool {
    match name {
        // sunmi.txt §4.3.2's sample omits `miniAppId`, which its table marks M.
        "jsapipay_request" => {
            let err = JsApiPayRequest::from_params(&params(v)).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Validation {
                        field: "miniAppId",
                        ..
                    }
                ),
                "{err:?}"
            );
            true
        }
        _ => false,
    }
}

/// Parses one fixture with the model of its endpoint and role; `Err` when there is none.
fn parse(endpoint: Option<&str>, role: &str, name: &str, v: &Value) -> Result<(), String> {
    if known_deviation(name, v) {
        return Ok(());
    }
    match (endpoint, role) {
        (Some("/v1/trade/swipeQuery"), "request") => {
            SwipeQueryRequest::from_params(&params(v)).unwrap();
        }
        (Some("/v1/trade/swipeQuery"), "response") => {
            let t: SwipeTrade = data(v);
            assert_eq!(t.state, TradeState::Success);
        }
        (Some("/v1/trade/payBind"), "request") => {
            PayBindRequest::from_params(&params(v)).unwrap();
        }
        (Some("/v1/trade/payBind"), "response") => {
            let env: Envelope = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(env.data, Some(Value::String("Success".into())));
        }
        (Some("/v1/trade/payBind"), "error") => {
            let env: Envelope = serde_json::from_value(v.clone()).unwrap();
            let sub: SubError = serde_json::from_value(env.data.unwrap()).unwrap();
            assert_eq!(sub.sub_code, BusinessCode::Q03ParameterError);
        }
        (Some("/v1/trade/jsApiPay"), "request") => {
            JsApiPayRequest::from_params(&params(v)).unwrap();
        }
        (Some("/v1/trade/jsApiPay" | "/v1/trade/miniPay"), "response") => {
            let o: OrderResult = data(v);
            assert!(o.is_paying());
        }
        (Some("/v1/trade/miniPay"), "request") => {
            MiniPayRequest::from_params(&params(v)).unwrap();
        }
        (Some("/v1/trade/query"), "request") => {
            QueryRequest::from_params(&params(v)).unwrap();
        }
        (Some("/v1/trade/query"), "response") => {
            let _: QueryResult = data(v);
        }
        (Some("/v1/trade/refund"), "request") => {
            RefundRequest::from_params(&params(v)).unwrap();
        }
        (Some("/v1/trade/refund"), "response") => {
            let r: RefundResult = data(v);
            assert_eq!(r.order_type, OrderType::Refund);
        }
        (None, "notify") => {
            // Delivered as a form: the JSON sample's pairs, verified with the §6.4 key.
            let body = params(v).to_form();
            let key = RsaPublicKey::from_pem_or_base64(TEST_PUBLIC_KEY).unwrap();
            verify_notify(body.as_bytes(), &key).unwrap();
        }
        _ => {
            return Err(format!(
                "no model for {name}: endpoint {endpoint:?}, role {role}"
            ));
        }
    }
    Ok(())
}

#[test]
fn every_fixture_parses_into_its_model() {
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir().join("index.json")).unwrap()).unwrap();
    let mut parsed = 0;
    let mut files: Vec<_> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "index.json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "fixtures/sunmi holds no fixture");
    for file in files {
        let name = file.file_stem().unwrap().to_str().unwrap().to_owned();
        let entry = index
            .iter()
            .find(|e| e["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} is not listed in index.json"));
        if entry["status"] == "invalid" {
            let reason = entry["reason"].as_str().unwrap_or_default();
            assert!(!reason.is_empty(), "{name} is invalid without a reason");
            continue;
        }
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let role = entry["role"].as_str().unwrap();
        parse(entry["endpoint"].as_str(), role, &name, &v).unwrap();
        parsed += 1;
    }
    assert!(parsed >= 20, "only {parsed} fixtures parsed");
}
