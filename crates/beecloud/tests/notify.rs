//! Webhooks: valid samples of both schemes verify; each tampered signed field, a missing or
//! wrong signature, a duplicate field, bad JSON and a stale timestamp each fail with their own
//! error; forgeries of the unsigned fields verify and are caught by `Client::confirm_payment`.
//! The samples are signed here with the md-5 crate directly, not with the crate under test.

mod common;

use beecloud::clock::FixedClock;
use beecloud::notify::{SchemeVersion, TimestampCheck, TransactionType};
use beecloud::{Channel, NotifyError, Unconfirmed, Webhook, WebhookConfig};
use common::*;
use paysig::Money;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// md5(APP_ID + APP_SECRET + "1433903704000"), computed outside Rust with
/// `python3 -c 'import hashlib; print(hashlib.md5(b"0950c062-5e41-44e3-8f52-f89d8cf2b6ebtest-app-secret1433903704000").hexdigest())'`.
const V1_SIGN_AT_NOW: &str = "da9f9088225d651eaaa6dda9c9d41e14";
/// md5(APP_ID + "201506101035040000001" + "PAY" + "WX" + "1" + MASTER_SECRET), computed with
/// python3's hashlib likewise.
const V2_SIGNATURE_SAMPLE: &str = "0d0528d7a61be444ba4c3d95dbc689b3";

fn v1_hook() -> Webhook {
    Webhook::new(APP_ID, WebhookConfig::v1(APP_SECRET)).with_clock(Arc::new(FixedClock(NOW)))
}

fn v2_hook() -> Webhook {
    Webhook::new(APP_ID, WebhookConfig::v2(MASTER_SECRET)).with_clock(Arc::new(FixedClock(NOW)))
}

fn v1_body(timestamp: i64) -> Value {
    let sign = md5_lower(&format!("{APP_ID}{APP_SECRET}{timestamp}"));
    json!({
        "sign": sign, "timestamp": timestamp, "channelType": "WX", "transactionType": "PAY",
        "transactionId": "201506101035040000001", "transactionFee": 1, "tradeSuccess": true,
        "messageDetail": {"transaction_id": "1006410636201505250163820565", "total_fee": "1"},
        "optional": {"agentId": "Alice"}
    })
}

fn v2_sign(id: &str, ty: &str, ch: &str, fee: &str) -> String {
    md5_lower(&format!("{APP_ID}{id}{ty}{ch}{fee}{MASTER_SECRET}"))
}

fn v2_body() -> Value {
    json!({
        "signature": v2_sign("201506101035040000001", "PAY", "WX", "1"),
        "timestamp": NOW_MS, "channel_type": "WX", "sub_channel_type": "WX_NATIVE",
        "transaction_type": "PAY", "transaction_id": "201506101035040000001",
        "transaction_fee": 1, "trade_success": true,
        "message_detail": {"out_trade_no": "201506101035040000001"},
        "optional": {"agentId": "Alice"}
    })
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

#[test]
fn the_independent_md5_matches_the_precomputed_constants() {
    assert_eq!(
        md5_lower(&format!("{APP_ID}{APP_SECRET}{NOW_MS}")),
        V1_SIGN_AT_NOW
    );
    assert_eq!(
        v2_sign("201506101035040000001", "PAY", "WX", "1"),
        V2_SIGNATURE_SAMPLE
    );
}

#[test]
fn a_valid_v1_webhook_verifies_into_a_typed_event() {
    let body = v1_body(NOW_MS);
    assert_eq!(body["sign"], V1_SIGN_AT_NOW);
    let event = v1_hook().verify_notify(&bytes(&body)).unwrap().into_inner();
    assert_eq!(event.scheme, SchemeVersion::V1);
    assert_eq!(event.transaction_type, TransactionType::Pay);
    assert_eq!(event.channel_type, Channel::Wx);
    assert_eq!(event.sub_channel_type, None);
    assert_eq!(event.transaction_id, "201506101035040000001");
    assert_eq!(event.transaction_fee, Money::from_fen(1));
    assert_eq!(event.trade_success, Some(true));
    assert!(event.claims_paid());
    assert_eq!(event.timestamp_ms, Some(NOW_MS));
    assert_eq!(event.optional, Some(json!({"agentId": "Alice"})));
    assert_eq!(
        event.message_detail.as_ref().unwrap()["transaction_id"],
        "1006410636201505250163820565"
    );
    assert!(event.check_amount(Money::from_fen(1)).is_ok());
    assert_eq!(
        event.check_amount(Money::from_fen(100)),
        Err(NotifyError::AmountMismatch {
            expected: Money::from_fen(100),
            got: Money::from_fen(1)
        })
    );
}

#[test]
fn a_valid_v2_webhook_verifies_into_a_typed_event() {
    let body = v2_body();
    assert_eq!(body["signature"], V2_SIGNATURE_SAMPLE);
    let event = v2_hook().verify_notify(&bytes(&body)).unwrap().into_inner();
    assert_eq!(event.scheme, SchemeVersion::V2);
    assert_eq!(event.sub_channel_type, Some(Channel::WxNative));
    assert_eq!(event.transaction_fee, Money::from_fen(1));
    assert!(event.claims_paid());
    // Refunds come through typed; a fee as a digit string and a success flag as a string are
    // read (the senders are loose with types).
    let mut refund = v2_body();
    refund["transaction_type"] = json!("REFUND");
    refund["channel_type"] = json!("UN");
    refund.as_object_mut().unwrap().remove("sub_channel_type");
    refund["transaction_fee"] = json!("250");
    refund["trade_success"] = json!("false");
    refund["signature"] = json!(v2_sign("201506101035040000001", "REFUND", "UN", "250"));
    let event = v2_hook()
        .verify_notify(&bytes(&refund))
        .unwrap()
        .into_inner();
    assert_eq!(event.transaction_type, TransactionType::Refund);
    assert_eq!(event.channel_type, Channel::Un);
    assert_eq!(event.transaction_fee, Money::from_fen(250));
    assert!(!event.claims_paid());
    // A channel beecloud.md does not list is refused, validly signed or not (this test used
    // to accept KUAIQIAN as `Channel::Unknown`).
    refund["channel_type"] = json!("KUAIQIAN");
    refund["signature"] = json!(v2_sign(
        "201506101035040000001",
        "REFUND",
        "KUAIQIAN",
        "250"
    ));
    assert!(matches!(
        v2_hook().verify_notify(&bytes(&refund)),
        Err(NotifyError::InvalidField {
            field: "channel_type",
            ..
        })
    ));
}

#[test]
fn the_signature_is_checked_in_either_case() {
    let mut body = v2_body();
    body["signature"] = json!(V2_SIGNATURE_SAMPLE.to_uppercase());
    assert!(v2_hook().verify_notify(&bytes(&body)).is_ok());
}

#[test]
fn v2_fee_is_an_integer_of_plain_digits() {
    // The documents type the fee `Integer` (正整数): `1.0` is not its signed text `1`, so it
    // is refused (this test used to accept `1.0` as 1 fen), like a fraction, a sign or zero.
    let mut body = v2_body();
    for bad in [
        json!(1.0),
        json!(1.5),
        json!(-1),
        json!(0),
        json!("01"),
        json!("+1"),
        json!(" 1"),
    ] {
        body["transaction_fee"] = bad.clone();
        assert!(
            matches!(
                v2_hook().verify_notify(&bytes(&body)),
                Err(NotifyError::InvalidField {
                    field: "transaction_fee",
                    ..
                })
            ),
            "{bad}"
        );
    }
    body["transaction_fee"] = json!("1");
    assert_eq!(
        v2_hook()
            .verify_notify(&bytes(&body))
            .unwrap()
            .transaction_fee,
        Money::from_fen(1)
    );
}

#[test]
fn each_signed_v2_field_tampered_fails() {
    for (field, value) in [
        ("transaction_id", json!("201506101035040000002")),
        ("transaction_type", json!("REFUND")),
        ("channel_type", json!("ALI")),
        ("transaction_fee", json!(100)),
    ] {
        let mut body = v2_body();
        body[field] = value;
        assert_eq!(
            v2_hook().verify_notify(&bytes(&body)).unwrap_err(),
            NotifyError::SignatureMismatch,
            "{field}"
        );
    }
}

/// A §4 answer listing one bill.
fn bill_answer(bill_no: &str, total_fee: u64, paid: bool) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "result_code": 0, "result_msg": "OK", "err_detail": "", "count": 1,
        "bills": [{"bill_no": bill_no, "total_fee": total_fee, "channel": "WX_NATIVE",
                   "title": "t", "spay_result": paid, "created_time": 1_433_903_700_000u64}]
    }))
}

async fn bills_server(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// The `channel` and `bill_no` of the one bills query received.
async fn queried(server: &MockServer) -> (Value, Value) {
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "exactly one bills query");
    let p = para(&reqs[0]);
    (p["channel"].clone(), p["bill_no"].clone())
}

fn reason(err: beecloud::Error) -> (String, Unconfirmed) {
    match err {
        beecloud::Error::Unconfirmed { bill_no, reason } => (bill_no, reason),
        other => panic!("not Unconfirmed: {other:?}"),
    }
}

#[test]
fn v1_signs_only_the_timestamp() {
    let mut body = v1_body(NOW_MS);
    body["timestamp"] = json!(NOW_MS + 1);
    assert_eq!(
        v1_hook().verify_notify(&bytes(&body)).unwrap_err(),
        NotifyError::SignatureMismatch
    );
    let event = v1_hook().verify_notify(&bytes(&v1_body(NOW_MS))).unwrap();
    assert_eq!(event.signed_fields(), ["timestamp"]);
}

/// A captured V1 `(timestamp, sign)` pair on a made-up bill, fee and success flag.
fn forged_v1(bill_no: &str, fee: u64) -> Value {
    let mut body = v1_body(NOW_MS);
    body["transactionId"] = json!(bill_no);
    body["transactionFee"] = json!(fee);
    body["tradeSuccess"] = json!(true);
    body
}

#[tokio::test]
async fn a_forged_v1_webhook_verifies_but_confirm_payment_refuses_it() {
    // An unpaid bill: the forged success is caught.
    let server = bills_server(bill_answer("201506109999", 100_000, false)).await;
    let event = v1_hook()
        .verify_notify(&bytes(&forged_v1("201506109999", 100_000)))
        .expect("the signature covers none of the forged fields");
    assert!(event.claims_paid());
    let err = client(&[server.uri()])
        .confirm_payment(&event)
        .await
        .unwrap_err();
    assert_eq!(
        reason(err),
        ("201506109999".to_owned(), Unconfirmed::NotPaid)
    );
    assert_eq!(queried(&server).await, (json!("WX"), json!("201506109999")));

    // A paid bill of 1 fen, the forged fee 100000: caught by the queried total_fee, even when
    // the merchant's own amount check would be fooled by a forger who copied the order amount.
    let server = bills_server(bill_answer("201506101035040000001", 1, true)).await;
    let event = v1_hook()
        .verify_notify(&bytes(&forged_v1("201506101035040000001", 100_000)))
        .unwrap();
    let err = client(&[server.uri()])
        .confirm_payment(&event)
        .await
        .unwrap_err();
    assert_eq!(
        reason(err).1,
        Unconfirmed::FeeMismatch {
            notified: Money::from_fen(100_000),
            billed: Money::from_fen(1)
        }
    );

    // A bill BeeCloud does not know.
    let server = bills_server(
        ResponseTemplate::new(200)
            .set_body_json(json!({"result_code": 0, "result_msg": "OK", "count": 0, "bills": []})),
    )
    .await;
    let event = v1_hook()
        .verify_notify(&bytes(&forged_v1("201506108888", 1)))
        .unwrap();
    let err = client(&[server.uri()])
        .confirm_payment(&event)
        .await
        .unwrap_err();
    assert_eq!(
        reason(err).1,
        Unconfirmed::NoBill {
            channel: "WX".into()
        }
    );

    // A refund is not a payment: refused without a query.
    let server = bills_server(bill_answer("201506101035040000001", 1, true)).await;
    let mut refund = v1_body(NOW_MS);
    refund["transactionType"] = json!("REFUND");
    let event = v1_hook().verify_notify(&bytes(&refund)).unwrap();
    let err = client(&[server.uri()])
        .confirm_payment(&event)
        .await
        .unwrap_err();
    assert_eq!(
        reason(err).1,
        Unconfirmed::NotAPayment(TransactionType::Refund)
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_v2_webhook_flipped_to_trade_success_verifies_but_confirm_payment_refuses_it() {
    let mut captured = v2_body();
    captured["trade_success"] = json!(false);
    let captured = v2_hook().verify_notify(&bytes(&captured)).unwrap();
    assert!(!captured.claims_paid());
    assert!(!captured.signed_fields().contains(&"trade_success"));
    assert!(!captured.signed_fields().contains(&"timestamp"));

    // Flipped, and replayed later with a fresh timestamp: the same signature still verifies.
    let mut flipped = v2_body();
    flipped["trade_success"] = json!(true);
    flipped["timestamp"] = json!(NOW_MS + 86_400_000);
    let later = Webhook::new(APP_ID, WebhookConfig::v2(MASTER_SECRET))
        .with_clock(Arc::new(FixedClock(NOW + time::Duration::days(1))));
    let event = later.verify_notify(&bytes(&flipped)).unwrap();
    assert!(event.claims_paid());

    let server = bills_server(bill_answer("201506101035040000001", 1, false)).await;
    let err = client(&[server.uri()])
        .confirm_payment(&event)
        .await
        .unwrap_err();
    assert_eq!(
        reason(err),
        ("201506101035040000001".to_owned(), Unconfirmed::NotPaid)
    );
    assert_eq!(
        queried(&server).await,
        (json!("WX"), json!("201506101035040000001"))
    );
}

#[tokio::test]
async fn a_genuine_paid_webhook_is_confirmed_by_the_bill() {
    let server = bills_server(bill_answer("201506101035040000001", 1, true)).await;
    let c = client(&[server.uri()]);
    let event = v2_hook().verify_notify(&bytes(&v2_body())).unwrap();
    let confirmed = c.confirm_payment(&event).await.unwrap();
    assert_eq!(confirmed.bill_no, "201506101035040000001");
    assert_eq!(confirmed.total_fee, Money::from_fen(1));
    assert_eq!(confirmed.channel, Channel::WxNative);
    // The bill, not trade_success, decides: `false` does not mean failed.
    let mut not_yet = v2_body();
    not_yet["trade_success"] = json!(false);
    let event = v2_hook().verify_notify(&bytes(&not_yet)).unwrap();
    assert!(c.confirm_payment(&event).await.is_ok());
    // A failed query is its own error, never a confirmation.
    let broken = bills_server(
        ResponseTemplate::new(200)
            .set_body_json(json!({"result_code": 0, "result_msg": "OK", "count": 1})),
    )
    .await;
    assert!(matches!(
        client(&[broken.uri()]).confirm_payment(&event).await,
        Err(beecloud::Error::Decode {
            operation: "bills",
            ..
        })
    ));
}

#[test]
fn missing_wrong_or_malformed_signatures_fail_distinctly() {
    let mut body = v2_body();
    body.as_object_mut().unwrap().remove("signature");
    assert_eq!(
        v2_hook().verify_notify(&bytes(&body)).unwrap_err(),
        NotifyError::MissingSignature {
            field: "signature".into()
        }
    );
    let mut body = v1_body(NOW_MS);
    body["sign"] = json!("");
    assert_eq!(
        v1_hook().verify_notify(&bytes(&body)).unwrap_err(),
        NotifyError::MissingSignature {
            field: "sign".into()
        }
    );
    body["sign"] = json!("not-hex");
    assert_eq!(
        v1_hook().verify_notify(&bytes(&body)).unwrap_err(),
        NotifyError::BadSignatureEncoding
    );
    let wrong_key = Webhook::new(APP_ID, WebhookConfig::v2("another-secret"))
        .with_clock(Arc::new(FixedClock(NOW)));
    assert_eq!(
        wrong_key.verify_notify(&bytes(&v2_body())).unwrap_err(),
        NotifyError::SignatureMismatch
    );
    let other_app = Webhook::new("another-app", WebhookConfig::v1(APP_SECRET))
        .with_clock(Arc::new(FixedClock(NOW)));
    assert_eq!(
        other_app
            .verify_notify(&bytes(&v1_body(NOW_MS)))
            .unwrap_err(),
        NotifyError::SignatureMismatch
    );
    // A V2 body offered to a V1 verifier has no `sign`.
    assert!(matches!(
        v1_hook().verify_notify(&bytes(&v2_body())),
        Err(NotifyError::MissingSignature { .. })
    ));
}

#[test]
fn a_missing_signed_field_is_named() {
    let mut body = v2_body();
    body.as_object_mut().unwrap().remove("channel_type");
    assert_eq!(
        v2_hook().verify_notify(&bytes(&body)).unwrap_err(),
        NotifyError::MissingField {
            field: "channel_type"
        }
    );
    let mut body = v1_body(NOW_MS);
    body["timestamp"] = Value::Null;
    assert_eq!(
        v1_hook().verify_notify(&bytes(&body)).unwrap_err(),
        NotifyError::MissingField { field: "timestamp" }
    );
}

#[test]
fn duplicate_fields_and_bad_json_are_refused() {
    let sig = V2_SIGNATURE_SAMPLE;
    let dup = format!(
        r#"{{"signature":"{sig}","transaction_id":"201506101035040000001","transaction_type":"PAY","channel_type":"WX","transaction_fee":1,"transaction_fee":100,"timestamp":{NOW_MS}}}"#
    );
    assert_eq!(
        v2_hook().verify_notify(dup.as_bytes()).unwrap_err(),
        NotifyError::DuplicateField {
            field: "transaction_fee".into()
        }
    );
    for bad in [&b"not json"[..], b"[1,2]", b"{\"signature\":", b"\xff\xfe"] {
        assert!(
            matches!(
                v2_hook().verify_notify(bad),
                Err(NotifyError::Malformed { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn a_timestamp_outside_the_window_is_stale() {
    let five_min = 300_000;
    assert!(
        v1_hook()
            .verify_notify(&bytes(&v1_body(NOW_MS - five_min)))
            .is_ok()
    );
    for ts in [NOW_MS - five_min - 1, NOW_MS + five_min + 1] {
        assert_eq!(
            v1_hook().verify_notify(&bytes(&v1_body(ts))).unwrap_err(),
            NotifyError::Stale {
                timestamp_ms: ts,
                skew_ms: five_min + 1,
                tolerance_ms: five_min
            }
        );
    }
    let wide = Webhook::new(
        APP_ID,
        WebhookConfig::v1(APP_SECRET)
            .timestamp_check(TimestampCheck::Within(Duration::from_secs(3600))),
    )
    .with_clock(Arc::new(FixedClock(NOW)));
    assert!(
        wide.verify_notify(&bytes(&v1_body(NOW_MS - 3_000_000)))
            .is_ok()
    );

    let mut stale = v2_body();
    stale["timestamp"] = json!(NOW_MS - 3_600_000);
    assert!(matches!(
        v2_hook().verify_notify(&bytes(&stale)),
        Err(NotifyError::Stale { .. })
    ));
    let skip = Webhook::new(
        APP_ID,
        WebhookConfig::v2(MASTER_SECRET).timestamp_check(TimestampCheck::Skip),
    );
    assert!(skip.verify_notify(&bytes(&stale)).is_ok());
    stale.as_object_mut().unwrap().remove("timestamp");
    assert!(skip.verify_notify(&bytes(&stale)).is_ok());
    assert_eq!(
        v2_hook().verify_notify(&bytes(&stale)).unwrap_err(),
        NotifyError::MissingField { field: "timestamp" }
    );
}

#[test]
fn a_webhook_naming_another_app_is_refused() {
    let mut body = v2_body();
    body["app_id"] = json!("someone-else");
    assert_eq!(
        v2_hook().verify_notify(&bytes(&body)).unwrap_err(),
        NotifyError::AppIdMismatch {
            got: "someone-else".into()
        }
    );
    body["app_id"] = json!(APP_ID);
    assert!(v2_hook().verify_notify(&bytes(&body)).is_ok());
}

#[test]
fn the_client_builds_the_configured_verifier_on_its_clock() {
    let c = beecloud::Client::new(
        config(&["http://127.0.0.1:9".into()]).with_webhook(WebhookConfig::v1(APP_SECRET)),
    )
    .unwrap();
    let headers = paysig::http::HeaderMap::new();
    assert!(c.verify_notify(&headers, &bytes(&v1_body(NOW_MS))).is_ok());
    assert_eq!(
        client(&["http://127.0.0.1:9".into()])
            .verify_notify(&headers, &bytes(&v1_body(NOW_MS)))
            .unwrap_err(),
        NotifyError::NotConfigured
    );
    assert_eq!(beecloud::ACK, "success");
}

fn snake_hook(config: WebhookConfig) -> Webhook {
    Webhook::new(APP_ID, config).with_clock(Arc::new(FixedClock(NOW)))
}

/// A V1Snake body (Oct 2015 – Jan 2017): snake_case, `sign = md5(app_id + secret + timestamp)`.
fn snake_body(secret: &str, timestamp: i64) -> Value {
    json!({
        "sign": md5_lower(&format!("{APP_ID}{secret}{timestamp}")),
        "timestamp": timestamp, "channel_type": "ALI", "sub_channel_type": "ALI_WEB",
        "transaction_type": "PAY", "transaction_id": "201506101035040000001",
        "channel_transaction_id": "2015061000001000990059469866",
        "transaction_fee": 1, "trade_success": true,
        "message_detail": {"trade_no": "2015061000001000990059469866"},
        "optional": {"agentId": "Alice"}
    })
}

#[test]
fn a_valid_v1_snake_webhook_verifies_and_says_it_signs_only_the_timestamp() {
    // md5(APP_ID + APP_SECRET + NOW_MS) is V1's constant: the same signature, snake_case body.
    let body = snake_body(APP_SECRET, NOW_MS);
    assert_eq!(body["sign"], V1_SIGN_AT_NOW);
    let event = snake_hook(WebhookConfig::v1_snake(APP_SECRET))
        .verify_notify(&bytes(&body))
        .unwrap()
        .into_inner();
    assert_eq!(event.scheme, SchemeVersion::V1Snake);
    assert!(!event.test_mode);
    assert_eq!(event.signed_fields(), ["timestamp"]);
    assert_eq!(event.channel_type, Channel::Ali);
    assert_eq!(event.sub_channel_type, Some(Channel::AliWeb));
    assert_eq!(event.transaction_id, "201506101035040000001");
    assert_eq!(
        event.channel_transaction_id.as_deref(),
        Some("2015061000001000990059469866")
    );
    assert_eq!(event.transaction_fee, Money::from_fen(1));
    assert_eq!(event.timestamp_ms, Some(NOW_MS));
    assert!(event.claims_paid());
    // The timestamp is signed; a camelCase verifier finds none of its fields.
    let mut moved = body.clone();
    moved["timestamp"] = json!(NOW_MS + 1);
    assert_eq!(
        snake_hook(WebhookConfig::v1_snake(APP_SECRET))
            .verify_notify(&bytes(&moved))
            .unwrap_err(),
        NotifyError::SignatureMismatch
    );
    assert_eq!(
        v1_hook().verify_notify(&bytes(&body)).unwrap_err(),
        NotifyError::MissingField {
            field: "transactionType"
        }
    );
    // The window applies as for V1.
    let stale = snake_body(APP_SECRET, NOW_MS - 300_001);
    assert!(matches!(
        snake_hook(WebhookConfig::v1_snake(APP_SECRET)).verify_notify(&bytes(&stale)),
        Err(NotifyError::Stale { .. })
    ));
}

#[test]
fn a_v1_snake_test_mode_webhook_is_signed_with_the_test_secret_and_marked() {
    const TEST_SECRET: &str = "test-mode-secret";
    let body = snake_body(TEST_SECRET, NOW_MS);
    let event = snake_hook(WebhookConfig::v1_snake_test(TEST_SECRET))
        .verify_notify(&bytes(&body))
        .unwrap();
    assert!(event.test_mode);
    // A live verifier (App Secret) refuses it, and the reverse.
    assert_eq!(
        snake_hook(WebhookConfig::v1_snake(APP_SECRET))
            .verify_notify(&bytes(&body))
            .unwrap_err(),
        NotifyError::SignatureMismatch
    );
    assert_eq!(
        snake_hook(WebhookConfig::v1_snake_test(TEST_SECRET))
            .verify_notify(&bytes(&snake_body(APP_SECRET, NOW_MS)))
            .unwrap_err(),
        NotifyError::SignatureMismatch
    );
}

#[tokio::test]
async fn a_forged_v1_snake_webhook_verifies_but_confirm_payment_refuses_it() {
    // A captured (timestamp, sign) on a made-up bill and fee.
    let mut forged = snake_body(APP_SECRET, NOW_MS);
    forged["transaction_id"] = json!("201506109999");
    forged["transaction_fee"] = json!(100_000);
    let event = snake_hook(WebhookConfig::v1_snake(APP_SECRET))
        .verify_notify(&bytes(&forged))
        .expect("the signature covers none of the forged fields");
    let server = bills_server(bill_answer("201506109999", 100_000, false)).await;
    let err = client(&[server.uri()])
        .confirm_payment(&event)
        .await
        .unwrap_err();
    assert_eq!(
        reason(err),
        ("201506109999".to_owned(), Unconfirmed::NotPaid)
    );
    assert_eq!(
        queried(&server).await,
        (json!("ALI"), json!("201506109999"))
    );
}

#[test]
fn unsigned_fields_follow_the_grammar_too() {
    let hook = snake_hook(WebhookConfig::v1_snake(APP_SECRET));
    for (field, value) in [
        ("channel_type", json!("")),
        ("channel_type", json!("KUAIQIAN")),
        ("transaction_type", json!("")),
        ("transaction_type", json!("CHARGE")),
        ("transaction_id", json!("2015-0610")),
        ("transaction_fee", json!(0)),
        ("sub_channel_type", json!("")),
        // Of another group than channel_type ALI.
        ("sub_channel_type", json!("WX_APP")),
    ] {
        let mut body = snake_body(APP_SECRET, NOW_MS);
        body[field] = value.clone();
        match hook.verify_notify(&bytes(&body)).unwrap_err() {
            NotifyError::InvalidField { field: named, .. } => assert_eq!(named, field, "{value}"),
            other => panic!("{field} {value}: {other:?}"),
        }
    }
    // V1 alike: its camelCase names are the ones reported.
    let mut body = v1_body(NOW_MS);
    body["transactionType"] = json!("UNKNOWN");
    let err = v1_hook().verify_notify(&bytes(&body)).unwrap_err();
    assert!(
        err.to_string().contains("transactionType"),
        "Display names the field: {err}"
    );
}

#[test]
fn transfer_is_a_typed_transaction_type() {
    let mut body = v2_body();
    body["transaction_type"] = json!("TRANSFER");
    body["signature"] = json!(v2_sign("201506101035040000001", "TRANSFER", "WX", "1"));
    let event = v2_hook().verify_notify(&bytes(&body)).unwrap();
    assert_eq!(event.transaction_type, TransactionType::Transfer);
    assert!(!event.claims_paid());
}

#[test]
fn a_body_over_the_limit_is_refused_before_parsing() {
    // Not even JSON: the size is checked first.
    let big = vec![b'x'; 64 * 1024 + 1];
    assert_eq!(
        v2_hook().verify_notify(&big).unwrap_err(),
        NotifyError::BodyTooLarge {
            len: 64 * 1024 + 1,
            limit: 64 * 1024
        }
    );
    let body = bytes(&v2_body());
    let small = Webhook::new(
        APP_ID,
        WebhookConfig::v2(MASTER_SECRET).body_limit(body.len() - 1),
    )
    .with_clock(Arc::new(FixedClock(NOW)));
    let err = small.verify_notify(&body).unwrap_err();
    assert_eq!(
        err,
        NotifyError::BodyTooLarge {
            len: body.len(),
            limit: body.len() - 1
        }
    );
    assert!(err.to_string().contains("over the limit"));
    let exact = Webhook::new(
        APP_ID,
        WebhookConfig::v2(MASTER_SECRET).body_limit(body.len()),
    )
    .with_clock(Arc::new(FixedClock(NOW)));
    assert!(exact.verify_notify(&body).is_ok());
}
