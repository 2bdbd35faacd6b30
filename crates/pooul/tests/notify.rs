//! Pay and refund notifies: a valid one verifies; every kind of forgery fails with its own error.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use paysig::Money;
use paysig::class::{Classify, ErrorClass};
use paysig::jwt::{JwtError, Segment};
use pooul::notify::{verify_notify_pay, verify_notify_refund};
use pooul::{NotifyError, PayTypeCode, RefundKey, RefundStatus, TradeState};
use serde_json::{Value, json};

fn pay_payload() -> Value {
    json!({
        "code": 0,
        "data": {
            "trade_id": "5b3783f101c9117d132f2813", "attach": "Alex attach",
            "mch_trade_id": "alextest.scan.113", "merchant_id": MERCHANT_ID,
            "pay_type": "wechat.scan", "total_fee": 221, "trade_state": 0, "trade_info": "支付成功"
        },
        "nonce_str": "wZovMzOCaTJaicnL"
    })
}

fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

fn pooul_public() -> paysig::RsaPublicKey {
    keys().pooul.public_key()
}

#[test]
fn a_valid_pay_notify_verifies_and_is_typed() {
    let body = signed(&pay_payload(), &keys().pooul);
    let n = verify_notify_pay(body.as_bytes(), &pooul_public()).unwrap();
    assert!(n.is_paid());
    assert_eq!(n.data.total_fee, Money::from_fen(221));
    assert_eq!(n.data.trade_state, TradeState::Success);
    assert_eq!(n.data.pay_type, PayTypeCode::WechatScan);
    assert_eq!(n.data.attach.as_deref(), Some("Alex attach"));
    n.check_amount(Money::from_fen(221)).unwrap();
    let err = n.check_amount(Money::from_fen(2210)).unwrap_err();
    assert!(matches!(
        err,
        NotifyError::AmountMismatch { expected, got } if expected.fen() == 2210 && got.fen() == 221
    ));
    assert_eq!(pooul::ACK, "success");
}

#[test]
fn the_client_checks_the_merchant() {
    let c = client("http://127.0.0.1:9");
    let body = signed(&pay_payload(), &keys().pooul);
    assert!(
        c.verify_notify_pay(&paysig::http::HeaderMap::new(), body.as_bytes())
            .is_ok()
    );
    let mut other = pay_payload();
    other["data"]["merchant_id"] = json!("1333259781809471");
    let body = signed(&other, &keys().pooul);
    let err = c
        .verify_notify_pay(&paysig::http::HeaderMap::new(), body.as_bytes())
        .unwrap_err();
    assert!(
        matches!(err, NotifyError::MerchantMismatch { .. }),
        "{err:?}"
    );
}

#[test]
fn a_notify_signed_with_another_key_fails() {
    let body = signed(&pay_payload(), &keys().other);
    let err = verify_notify_pay(body.as_bytes(), &pooul_public()).unwrap_err();
    assert!(matches!(err, NotifyError::SignatureMismatch), "{err:?}");
}

#[test]
fn a_tampered_amount_fails() {
    let body = signed(&pay_payload(), &keys().pooul);
    let parts: Vec<&str> = body.split('.').collect();
    let mut forged = pay_payload();
    forged["data"]["total_fee"] = json!(1);
    let tampered = format!("{}.{}.{}", parts[0], b64(&forged.to_string()), parts[2]);
    let err = verify_notify_pay(tampered.as_bytes(), &pooul_public()).unwrap_err();
    assert!(matches!(err, NotifyError::SignatureMismatch), "{err:?}");
}

#[test]
fn alg_none_and_hs256_are_refused() {
    let payload = b64(&pay_payload().to_string());
    let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), payload);
    let err = verify_notify_pay(none.as_bytes(), &pooul_public()).unwrap_err();
    assert!(
        matches!(&err, NotifyError::Jwt(JwtError::Algorithm { found }) if found == "none"),
        "{err:?}"
    );

    // HS256 "signed" with the public key as the HMAC secret: refused on the header alone.
    let hs = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"HS256","typ":"JWT"}"#),
        payload,
        b64("mac")
    );
    let err = verify_notify_pay(hs.as_bytes(), &pooul_public()).unwrap_err();
    assert!(
        matches!(&err, NotifyError::Jwt(JwtError::Algorithm { found }) if found == "HS256"),
        "{err:?}"
    );
}

#[test]
fn malformed_tokens_fail_each_with_its_own_error() {
    let body = signed(&pay_payload(), &keys().pooul);
    let parts: Vec<&str> = body.split('.').collect();

    let four = format!("{body}.{}", parts[2]);
    let err = verify_notify_pay(four.as_bytes(), &pooul_public()).unwrap_err();
    assert!(
        matches!(err, NotifyError::Jwt(JwtError::Segments { found: 4 })),
        "{err:?}"
    );

    let bad_b64 = format!("{}.{}.{}", parts[0], "***", parts[2]);
    let err = verify_notify_pay(bad_b64.as_bytes(), &pooul_public()).unwrap_err();
    assert!(
        matches!(
            err,
            NotifyError::Jwt(JwtError::Base64 {
                segment: Segment::Payload
            })
        ),
        "{err:?}"
    );

    let err = verify_notify_pay(&[0xff, 0xfe, b'.', b'.'], &pooul_public()).unwrap_err();
    assert!(matches!(err, NotifyError::Malformed { .. }), "{err:?}");
}

#[test]
fn a_token_without_a_signature_is_missing_signature() {
    let body = signed(&pay_payload(), &keys().pooul);
    let parts: Vec<&str> = body.split('.').collect();
    // `header.payload.` (an empty third segment) and `header.payload` (no third segment).
    for unsigned in [
        format!("{}.{}.", parts[0], parts[1]),
        format!("{}.{}", parts[0], parts[1]),
    ] {
        let err = verify_notify_pay(unsigned.as_bytes(), &pooul_public()).unwrap_err();
        assert!(matches!(err, NotifyError::MissingSignature), "{err:?}");
        assert_eq!(err.class(), ErrorClass::Unauthorized);
    }
    // A signature that is present but wrong stays a mismatch.
    let wrong = format!("{}.{}.{}", parts[0], parts[1], b64("not a signature"));
    let err = verify_notify_pay(wrong.as_bytes(), &pooul_public()).unwrap_err();
    assert!(matches!(err, NotifyError::SignatureMismatch), "{err:?}");
}

#[test]
fn a_repeated_member_is_duplicate_field() {
    // A duplicate total_fee: a reader that kept the first and a reader that kept the last
    // would see different amounts, so the payload is refused even though Pooul's key signed it.
    let dup = r#"{"code":0,"data":{"trade_id":"t","mch_trade_id":"m","merchant_id":"5399355381712172","pay_type":"wechat.scan","total_fee":1,"total_fee":221,"trade_state":0}}"#;
    let token = paysig::jwt::encode_rs256_bytes(dup.as_bytes(), &keys().pooul).unwrap();
    let err = verify_notify_pay(token.as_bytes(), &pooul_public()).unwrap_err();
    assert!(
        matches!(&err, NotifyError::DuplicateField { field } if field == "total_fee"),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::InvalidAnswer);

    // At the top level, through the client's entry point (pay or refund told apart later).
    let dup = r#"{"code":0,"code":1,"data":{"trade_id":"t","mch_trade_id":"m","merchant_id":"5399355381712172","pay_type":"wechat.scan","total_fee":221,"trade_state":0}}"#;
    let token = paysig::jwt::encode_rs256_bytes(dup.as_bytes(), &keys().pooul).unwrap();
    let err = client("http://127.0.0.1:9")
        .verify_notify(&paysig::http::HeaderMap::new(), token.as_bytes())
        .unwrap_err();
    assert!(
        matches!(&err, NotifyError::DuplicateField { field } if field == "code"),
        "{err:?}"
    );
}

#[test]
fn an_absent_required_field_is_missing_field() {
    let mut no_fee = pay_payload();
    no_fee["data"].as_object_mut().unwrap().remove("total_fee");
    let token = signed(&no_fee, &keys().pooul);
    let err = verify_notify_pay(token.as_bytes(), &pooul_public()).unwrap_err();
    assert!(
        matches!(&err, NotifyError::MissingField { field } if field == "total_fee"),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::InvalidAnswer);

    // Through `verify_notify`, whose payload is read as a pay or a refund notify.
    let mut no_trade_id = pay_payload();
    no_trade_id["data"]
        .as_object_mut()
        .unwrap()
        .remove("trade_id");
    let token = signed(&no_trade_id, &keys().pooul);
    let err = client("http://127.0.0.1:9")
        .verify_notify(&paysig::http::HeaderMap::new(), token.as_bytes())
        .unwrap_err();
    assert!(
        matches!(&err, NotifyError::MissingField { field } if field == "trade_id"),
        "{err:?}"
    );

    // A refund notify without `refunds`' required `refund_fee`.
    let refund = json!({
        "code": 0,
        "data": {
            "trade_id": "5b34b9a9", "mch_trade_id": "alextest.jsapi.33", "merchant_id": MERCHANT_ID,
            "refunds": {"refund_id": "5b34ba3d", "mch_refund_id": "r1", "refund_status": 0}
        }
    });
    let err = verify_notify_refund(signed(&refund, &keys().pooul).as_bytes(), &pooul_public())
        .unwrap_err();
    assert!(
        matches!(&err, NotifyError::MissingField { field } if field == "refund_fee"),
        "{err:?}"
    );
}

#[test]
fn signed_but_malformed_payloads_fail() {
    // (A repeated or absent member has its own variant: see the tests above.)
    let mut float_fee = pay_payload();
    float_fee["data"]["total_fee"] = json!(2.21);
    let token = signed(&float_fee, &keys().pooul);
    let err = verify_notify_pay(token.as_bytes(), &pooul_public()).unwrap_err();
    assert!(matches!(err, NotifyError::Malformed { .. }), "{err:?}");
}

#[test]
fn refund_notify_reads_one_refund_or_a_list() {
    let one = json!({
        "code": 0, "msg": "success",
        "data": {
            "trade_id": "5b34b9a9", "mch_trade_id": "alextest.jsapi.33", "merchant_id": MERCHANT_ID,
            "pay_type": "wechat.jsapi",
            "refunds": {"refund_id": "5b34ba3d", "mch_refund_id": "r1", "refund_fee": 5, "refund_desc": "Alex", "refund_status": 0}
        }
    });
    let n = verify_notify_refund(signed(&one, &keys().pooul).as_bytes(), &pooul_public()).unwrap();
    assert_eq!(n.data.refunds.len(), 1);
    assert_eq!(n.data.refunds[0].refund_status, RefundStatus::Success);
    assert_eq!(n.data.refunds[0].mch_refund_id.as_deref(), Some("r1"));
    n.check_refunded(RefundKey::Merchant("r1"), Money::from_fen(5))
        .unwrap();
    n.check_refunded(RefundKey::Pooul("5b34ba3d"), Money::from_fen(5))
        .unwrap();
    assert!(matches!(
        n.check_refunded(RefundKey::Merchant("r1"), Money::from_fen(6)),
        Err(NotifyError::AmountMismatch { .. })
    ));

    let mut many = one.clone();
    many["data"]["refunds"] = json!([
        {"refund_id": "a", "mch_refund_id": "r1", "refund_fee": 5, "refund_status": 1},
        {"refund_id": "b", "mch_refund_id": "r2", "refund_fee": 100, "refund_status": 3}
    ]);
    let n = verify_notify_refund(signed(&many, &keys().pooul).as_bytes(), &pooul_public()).unwrap();
    assert_eq!(n.data.refunds[1].refund_status, RefundStatus::Abnormal);
    // The order's full list: only the refund asked about is compared, never the sum.
    n.check_refunded(RefundKey::Merchant("r2"), Money::from_fen(100))
        .unwrap();
    assert!(matches!(
        n.check_refunded(RefundKey::Merchant("r2"), Money::from_fen(105)),
        Err(NotifyError::AmountMismatch { got, .. }) if got == Money::from_fen(100)
    ));
    assert!(matches!(
        n.check_refunded(RefundKey::Merchant("r3"), Money::from_fen(5)),
        Err(NotifyError::RefundNotFound { id }) if id == "r3"
    ));
    let mut twice = many.clone();
    twice["data"]["refunds"][1]["mch_refund_id"] = json!("r1");
    let n =
        verify_notify_refund(signed(&twice, &keys().pooul).as_bytes(), &pooul_public()).unwrap();
    assert!(matches!(
        n.check_refunded(RefundKey::Merchant("r1"), Money::from_fen(5)),
        Err(NotifyError::Malformed { .. })
    ));

    let err =
        verify_notify_refund(signed(&one, &keys().other).as_bytes(), &pooul_public()).unwrap_err();
    assert!(matches!(err, NotifyError::SignatureMismatch), "{err:?}");
}

#[test]
fn verify_notify_tells_a_pay_from_a_refund_and_checks_the_merchant() {
    let c = client("http://127.0.0.1:9");
    let headers = paysig::http::HeaderMap::new();
    let pay = signed(&pay_payload(), &keys().pooul);
    let n = c.verify_notify(&headers, pay.as_bytes()).unwrap();
    assert!(
        matches!(&*n, pooul::Notification::Pay(p) if p.data.trade_id == "5b3783f101c9117d132f2813")
    );
    n.check_amount(Money::from_fen(221)).unwrap();
    assert!(matches!(
        n.check_amount(Money::from_fen(220)),
        Err(NotifyError::AmountMismatch { .. })
    ));

    let mut refund = json!({
        "code": 0,
        "data": {
            "trade_id": "5b34b9a9", "mch_trade_id": "alextest.jsapi.33", "merchant_id": MERCHANT_ID,
            "refunds": {"refund_id": "5b34ba3d", "mch_refund_id": "r1", "refund_fee": 5, "refund_status": 0}
        }
    });
    let n = c
        .verify_notify(&headers, signed(&refund, &keys().pooul).as_bytes())
        .unwrap();
    assert!(matches!(&*n, pooul::Notification::Refund(r) if r.data.refunds.len() == 1));
    n.check_amount(Money::from_fen(5)).unwrap();
    assert!(matches!(
        n.check_amount(Money::from_fen(6)),
        Err(NotifyError::AmountMismatch { .. })
    ));
    // Two refunds: which one is meant must be named.
    refund["data"]["refunds"] = json!([
        {"refund_id": "a", "mch_refund_id": "r1", "refund_fee": 5, "refund_status": 0},
        {"refund_id": "b", "mch_refund_id": "r2", "refund_fee": 5, "refund_status": 0}
    ]);
    let n = c
        .verify_notify(&headers, signed(&refund, &keys().pooul).as_bytes())
        .unwrap();
    assert!(matches!(
        n.check_amount(Money::from_fen(5)),
        Err(NotifyError::Malformed { .. })
    ));
    // Another merchant, and another key, are refused as with the specific entry points.
    refund["data"]["merchant_id"] = json!("1333259781809471");
    assert!(matches!(
        c.verify_notify(&headers, signed(&refund, &keys().pooul).as_bytes()),
        Err(NotifyError::MerchantMismatch { .. })
    ));
    assert!(matches!(
        c.verify_notify(&headers, signed(&pay_payload(), &keys().other).as_bytes()),
        Err(NotifyError::SignatureMismatch)
    ));
}
