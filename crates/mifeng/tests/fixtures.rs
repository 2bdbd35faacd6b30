//! Every Mifeng sample of the document parses into its typed model.

use mifeng::model::{AccessTokenResponse, Operation, decode_reply};
use mifeng::{ApiCode, BalanceResponse, Error, QueryOrderResponse, UnifiedOrderResponse};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mifeng")
}

/// Parses `body` as the answer named `name`; returns a description of what it parsed to.
fn parse(name: &str, body: &[u8]) -> Result<String, String> {
    let ok = |r: Result<String, Error>| r.map_err(|e| e.to_string());
    let error = |op: Operation| match decode_reply::<serde_json::Value>(op, body) {
        Err(Error::Api {
            code, request_id, ..
        }) => {
            assert_eq!(code, op.api_code(code.code()));
            assert!(
                !matches!(
                    code,
                    ApiCode::UnifiedOrder(mifeng::UnifiedOrderCode::Unknown(_))
                        | ApiCode::Query(mifeng::QueryCode::Unknown(_))
                        | ApiCode::Balance(mifeng::BalanceCode::Unknown(_))
                ),
                "{name}: a documented code"
            );
            assert!(request_id.is_some(), "{name}: request_id kept");
            Ok(format!("{code:?}"))
        }
        other => Err(format!("{name}: expected an API error, got {other:?}")),
    };
    match name {
        "accesstoken_response" => ok(decode_reply::<AccessTokenResponse>(
            Operation::AccessToken,
            body,
        )
        .map(|r| format!("expires_in {}", r.expires_in))),
        "unifiedorder_response" => ok(decode_reply::<UnifiedOrderResponse>(
            Operation::UnifiedOrder,
            body,
        )
        .map(|r| format!("{:?}", r.data))),
        "query_response" => ok(decode_reply::<QueryOrderResponse>(Operation::Query, body)
            .map(|r| format!("{:?}", r.data))),
        "balance_response" => ok(decode_reply::<BalanceResponse>(Operation::Balance, body)
            .map(|r| format!("{:?}", r.data))),
        "unifiedorder_error" => error(Operation::UnifiedOrder),
        "query_error" => error(Operation::Query),
        "balance_error" => error(Operation::Balance),
        other => Err(format!("fixture {other} has no model")),
    }
}

#[test]
fn every_fixture_parses_into_its_model() {
    let index: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir().join("index.json")).unwrap()).unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !file.ends_with(".json") || file == "index.json" {
            continue;
        }
        let name = file.trim_end_matches(".json");
        let meta = index
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{file} is not in index.json"));
        if meta["status"] == "invalid" {
            assert!(
                meta["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{file}: invalid without a reason"
            );
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        parse(name, &body).unwrap_or_else(|e| panic!("{file}: {e}"));
        seen += 1;
    }
    assert!(seen >= 7, "only {seen} fixtures parsed");
}

#[test]
fn the_documented_samples_have_the_documented_values() {
    let read = |n: &str| std::fs::read(dir().join(format!("{n}.json"))).unwrap();
    let q = decode_reply::<QueryOrderResponse>(Operation::Query, &read("query_response")).unwrap();
    assert_eq!(q.state, mifeng::OrderState::NoCode);
    assert_eq!(q.mch_id, "1000122");
    assert_eq!(q.notify_succ, Some(mifeng::NotifyDelivery::Delivered));
    assert_eq!(q.money.fen(), 100_000);
    let u = decode_reply::<UnifiedOrderResponse>(
        Operation::UnifiedOrder,
        &read("unifiedorder_response"),
    )
    .unwrap();
    assert_eq!(u.expired_timestamp, Some(1_658_752_861_000));
    assert_eq!(u.real_money, None);
    let b = decode_reply::<BalanceResponse>(Operation::Balance, &read("balance_response")).unwrap();
    assert_eq!(b.balance.fen(), 1_000_000);
    let e = decode_reply::<serde_json::Value>(Operation::UnifiedOrder, &read("unifiedorder_error"))
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Api {
            code: ApiCode::UnifiedOrder(mifeng::UnifiedOrderCode::TokenInvalid),
            ..
        }
    ));
}
