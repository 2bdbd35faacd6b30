//! Every JSON sample extracted from beecloud.md (`fixtures/beecloud/`) parses into the typed
//! model of its endpoint and role; a sample without a model fails.
//!
//! beecloud.md documents its fields in tables; when this was written the extractor found no
//! JSON sample in it, so `index.json` was empty. The table below is ready for any it finds.

use beecloud::model::{
    AliAppPayment, AliQrcodePayment, AliWebPayment, BillsPage, Envelope, RefundResponse,
    RefundStatus, RefundsPage, ResultCode, UnAppPayment, UnWebPayment, WxAppPayment,
    WxJsapiPayment, WxNativePayment,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn parses<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(v.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn request_keys(v: &Value, allowed: &[&str]) -> Result<(), String> {
    let obj = v.as_object().ok_or("a request is a JSON object")?;
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("undocumented request field {k:?}")),
        None => Ok(()),
    }
}

const AUTH: [&str; 3] = ["app_id", "timestamp", "app_sign"];

fn with_auth(extra: &[&'static str]) -> Vec<&'static str> {
    AUTH.iter().chain(extra).copied().collect()
}

/// The model for an (endpoint, role); `None` when there is none.
fn check(endpoint: Option<&str>, role: &str, v: &Value) -> Option<Result<(), String>> {
    Some(match (endpoint?, role) {
        ("/1/rest/bill", "request") => request_keys(
            v,
            &with_auth(&[
                "channel",
                "total_fee",
                "bill_no",
                "title",
                "optional",
                "return_url",
                "openid",
                "show_url",
                "qr_pay_mode",
            ]),
        ),
        ("/1/rest/bill", "response") => parses::<Envelope>(v).and_then(|_| {
            // The answer's shape depends on the channel: one of them must fit.
            let fits = [
                parses::<WxAppPayment>(v),
                parses::<WxNativePayment>(v),
                parses::<WxJsapiPayment>(v),
                parses::<AliAppPayment>(v),
                parses::<AliWebPayment>(v),
                parses::<AliQrcodePayment>(v),
                parses::<UnAppPayment>(v),
                parses::<UnWebPayment>(v),
            ];
            if fits.iter().any(Result::is_ok) {
                Ok(())
            } else {
                Err("fits no channel's answer".into())
            }
        }),
        ("/1/rest/refund", "request") => request_keys(
            v,
            &with_auth(&["channel", "refund_no", "bill_no", "refund_fee", "optional"]),
        ),
        ("/1/rest/refund", "response") => {
            parses::<Envelope>(v).and_then(|_| parses::<RefundResponse>(v))
        }
        ("/1/rest/bills", "response") => parses::<Envelope>(v).and_then(|_| parses::<BillsPage>(v)),
        ("/1/rest/refunds", "response") => {
            parses::<Envelope>(v).and_then(|_| parses::<RefundsPage>(v))
        }
        ("/1/rest/refund/status", "response") => {
            parses::<Envelope>(v).and_then(|_| parses::<RefundStatus>(v))
        }
        (_, "error") => serde_json::from_value::<Envelope>(v.clone())
            .map_err(|e| e.to_string())
            .and_then(|e| match e.result_code {
                ResultCode::Ok => Err("an error sample with result_code 0".into()),
                _ => Ok(()),
            }),
        _ => return None,
    })
}

#[test]
fn every_fixture_parses_into_its_model() {
    let dir = root().join("fixtures/beecloud");
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let mut listed = BTreeSet::new();
    for entry in &index {
        let name = entry["name"].as_str().unwrap();
        match entry["status"].as_str() {
            Some("ok") => {
                let file = entry["file"].as_str().unwrap();
                listed.insert(file.to_owned());
                let v: Value =
                    serde_json::from_str(&std::fs::read_to_string(root().join(file)).unwrap())
                        .unwrap();
                let role = entry["role"].as_str().unwrap();
                match check(entry["endpoint"].as_str(), role, &v) {
                    Some(Ok(())) => {}
                    Some(Err(e)) => panic!("{name}: does not parse: {e}"),
                    None => panic!("{name}: no model for {:?} {role}", entry["endpoint"]),
                }
            }
            Some("invalid") => {
                let reason = entry["reason"].as_str().unwrap_or("");
                assert!(!reason.is_empty(), "{name}: invalid without a reason");
            }
            other => panic!("{name}: unknown status {other:?}"),
        }
    }
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().file_name().to_string_lossy().into_owned();
        if f.ends_with(".json") && f != "index.json" {
            assert!(
                listed.contains(&format!("fixtures/beecloud/{f}")),
                "{f} is not listed in index.json"
            );
        }
    }
}

#[test]
fn the_model_table_accepts_documented_shapes_and_refuses_others() {
    // The table itself is tested, so an empty fixture directory does not hide a broken table.
    let bills = serde_json::json!({"result_code": 0, "result_msg": "OK", "count": 1, "bills": [
        {"bill_no": "b", "total_fee": 1, "channel": "WX", "title": "t", "spay_result": true,
         "created_time": 1435890530000u64}]});
    assert_eq!(
        check(Some("/1/rest/bills"), "response", &bills),
        Some(Ok(()))
    );
    let wrong = serde_json::json!({"result_code": 0, "bills": [{"bill_no": "b"}]});
    assert!(matches!(
        check(Some("/1/rest/bills"), "response", &wrong),
        Some(Err(_))
    ));
    let bill_req = serde_json::json!({"app_id": "a", "timestamp": 1, "app_sign": "s",
        "channel": "WX_NATIVE", "total_fee": 1, "bill_no": "b", "title": "t", "extra": 1});
    assert!(matches!(
        check(Some("/1/rest/bill"), "request", &bill_req),
        Some(Err(_))
    ));
    assert_eq!(check(Some("/unknown"), "response", &bills), None);
    assert_eq!(check(None, "notify", &bills), None);
}
