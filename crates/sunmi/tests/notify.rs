//! Notify verification (sunmi.txt §2.2, §4.3.5, §6.2, §6.4).

use paysig::{Money, Params, RsaPrivateKey, RsaPublicKey};
use sunmi::{NotifyError, OrderType, Platform, TradeState, verify_notify};

const SAMPLE_SIGN: &str = "GW6jDdLQ1z+CFtLoKjmxtMiHeKjm2ZgMTq19gQisV/PpOPIBeDXhWEu5WSzxZwiJHVzCQrPhyZX6kdwQ9xGTyxbsKTZj31zUxtWqqcmol7DpkGJRuG9wzqnNCZ7kmUrk8/XLs1TRxIusCQuojEZOdsE/EWqy/OlX4TrD0WqCeW9Kkk1IB5izAamv9BcEEPgYFLo0hBujo85GEjjzJrFs9ds59TYe0ElOZ6zdputanCJZuM6/SqQ4a1Xoy/MJFKhA6K0zc8ZPFiW0bBMhVFSwSwRY3IEsP0YWva7QcT9AjVW2FFILghJ5vrjonAmhmKCIwtHMA8zwM9j6qgMEF0kCGg==";

/// The §6.2 sample's pairs, in the document's order.
fn sample_pairs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("amount", "1"),
        ("businessId", ""),
        ("buyerPayAmount", "1"),
        ("misId", "test_5F5EC7A54CDCC58BADC425"),
        ("msn", "D804P89V00033"),
        ("orderId", "15632714718760"),
        ("orderType", "0"),
        ("payTime", "1563271502"),
        ("platform", "alipay"),
        ("platformId", "2019071622001419071050445382"),
        ("refunded", "0"),
        ("resultCode", "T00"),
        ("resultMsg", "Success"),
        ("sign", SAMPLE_SIGN),
        ("state", "3"),
    ]
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .cloned()
        .collect::<Params>()
        .to_form()
        .into_bytes()
}

fn test_key() -> RsaPublicKey {
    RsaPublicKey::from_pem_or_base64(sunmi::TEST_PUBLIC_KEY).unwrap()
}

#[test]
fn documented_sample_verifies_with_the_documented_test_key() {
    let body = form(&sample_pairs());
    assert!(std::str::from_utf8(&body).unwrap().contains("businessId=&"));
    let n = verify_notify(&body, &test_key()).expect("§6.2 sample verifies with §6.4 key");
    assert_eq!(n.amount, Money::from_fen(1));
    assert_eq!(n.buyer_pay_amount, Money::from_fen(1));
    assert_eq!(n.business_id, "");
    assert_eq!(n.mis_id, "test_5F5EC7A54CDCC58BADC425");
    assert_eq!(n.msn, "D804P89V00033");
    assert_eq!(n.order_id, "15632714718760");
    assert_eq!(n.order_type, OrderType::Payment);
    assert_eq!(n.pay_time, 1563271502);
    assert_eq!(n.platform, Platform::Alipay);
    assert_eq!(n.platform_id, "2019071622001419071050445382");
    assert_eq!(n.refunded, Money::ZERO);
    assert_eq!(n.result_code, sunmi::BusinessCode::T00Success);
    assert_eq!(n.result_msg, "Success");
    assert_eq!(n.state, TradeState::Success);
    assert_eq!(n.buyer_logon_id, None);
    assert!(n.refund_origin.is_none());
    assert!(!n.is_refund());
}

#[test]
fn changing_any_one_field_fails() {
    for (i, (k, _)) in sample_pairs().iter().enumerate() {
        if *k == "sign" {
            continue;
        }
        let mut pairs = sample_pairs();
        pairs[i].1 = "2";
        if pairs == sample_pairs() {
            pairs[i].1 = "3";
        }
        let err = verify_notify(&form(&pairs), &test_key()).unwrap_err();
        assert_eq!(err, NotifyError::SignatureMismatch, "field {k}");
    }
}

#[test]
fn adding_or_dropping_a_field_fails() {
    let mut added = sample_pairs();
    added.push(("extra", "1"));
    assert_eq!(
        verify_notify(&form(&added), &test_key()).unwrap_err(),
        NotifyError::SignatureMismatch
    );
    // An added field with an empty value still counts (empty values are signed).
    let mut added_empty = sample_pairs();
    added_empty.push(("origMisId", ""));
    assert_eq!(
        verify_notify(&form(&added_empty), &test_key()).unwrap_err(),
        NotifyError::SignatureMismatch
    );
    for (i, (k, _)) in sample_pairs().iter().enumerate() {
        if *k == "sign" {
            continue;
        }
        let mut dropped = sample_pairs();
        dropped.remove(i);
        assert_eq!(
            verify_notify(&form(&dropped), &test_key()).unwrap_err(),
            NotifyError::SignatureMismatch,
            "dropped {k}"
        );
    }
}

#[test]
fn another_key_fails() {
    let other = RsaPrivateKey::generate_2048().unwrap().public_key();
    assert_eq!(
        verify_notify(&form(&sample_pairs()), &other).unwrap_err(),
        NotifyError::SignatureMismatch
    );
}

#[test]
fn missing_empty_or_badly_encoded_sign_fails_distinctly() {
    let without: Vec<_> = sample_pairs()
        .into_iter()
        .filter(|(k, _)| *k != "sign")
        .collect();
    assert_eq!(
        verify_notify(&form(&without), &test_key()).unwrap_err(),
        NotifyError::MissingSignature
    );
    let mut empty = sample_pairs();
    empty.iter_mut().find(|(k, _)| *k == "sign").unwrap().1 = "";
    assert_eq!(
        verify_notify(&form(&empty), &test_key()).unwrap_err(),
        NotifyError::MissingSignature
    );
    let mut bad = sample_pairs();
    bad.iter_mut().find(|(k, _)| *k == "sign").unwrap().1 = "not*base64!";
    assert_eq!(
        verify_notify(&form(&bad), &test_key()).unwrap_err(),
        NotifyError::BadSignatureEncoding
    );
}

#[test]
fn duplicate_field_fails() {
    let mut body = form(&sample_pairs());
    body.extend_from_slice(b"&amount=1");
    assert_eq!(
        verify_notify(&body, &test_key()).unwrap_err(),
        NotifyError::DuplicateField {
            field: "amount".into()
        }
    );
}

#[test]
fn invalid_utf8_form_fails() {
    let mut body = form(&sample_pairs());
    body.extend_from_slice(b"&x=%FF");
    assert_eq!(
        verify_notify(&body, &test_key()).unwrap_err(),
        NotifyError::BadForm
    );
}

/// Signs pairs as Sunmi does (sorted, empty kept, SHA256withRSA), built by hand here.
fn sign_like_sunmi(pairs: &[(&str, &str)], key: &RsaPrivateKey) -> Vec<u8> {
    let mut sorted: Vec<_> = pairs.iter().filter(|(k, _)| *k != "sign").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let message = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let sign = key.sign_sha256_base64(message.as_bytes()).unwrap();
    let mut all: Vec<(&str, &str)> = pairs.to_vec();
    all.push(("sign", &sign));
    form(&all)
}

fn unsigned_sample() -> Vec<(&'static str, &'static str)> {
    sample_pairs()
        .into_iter()
        .filter(|(k, _)| *k != "sign")
        .collect()
}

#[test]
fn a_notify_signed_with_a_fresh_key_verifies_with_that_key_only() {
    let key = RsaPrivateKey::generate_2048().unwrap();
    let body = sign_like_sunmi(&unsigned_sample(), &key);
    let n = verify_notify(&body, &key.public_key()).unwrap();
    assert_eq!(n.order_id, "15632714718760");
    assert_eq!(
        verify_notify(&body, &test_key()).unwrap_err(),
        NotifyError::SignatureMismatch
    );
}

#[test]
fn refund_notify_carries_the_original_trade() {
    let key = RsaPrivateKey::generate_2048().unwrap();
    let mut pairs = unsigned_sample();
    for (k, v) in pairs.iter_mut() {
        match *k {
            "orderType" => *v = "1",
            "orderId" => *v = "R1",
            _ => {}
        }
    }
    pairs.extend([
        ("origMisId", "MIS0"),
        ("origOrderId", "15632714718760"),
        ("origPlatformId", "P0"),
        ("origBusinessId", ""),
    ]);
    let n = verify_notify(&sign_like_sunmi(&pairs, &key), &key.public_key()).unwrap();
    assert!(n.is_refund());
    let origin = n.refund_origin.clone().unwrap();
    assert_eq!(origin.orig_mis_id.as_deref(), Some("MIS0"));
    assert_eq!(origin.orig_order_id.as_deref(), Some("15632714718760"));
    assert_eq!(origin.orig_platform_id.as_deref(), Some("P0"));
    assert_eq!(origin.orig_business_id.as_deref(), Some(""));
}

#[test]
fn a_genuine_notify_with_a_malformed_number_or_missing_field_is_refused() {
    let key = RsaPrivateKey::generate_2048().unwrap();
    for (field, value) in [
        ("amount", "0.01"),
        ("buyerPayAmount", "-1"),
        ("refunded", "x"),
        ("orderType", "+0"),
        ("payTime", "1e9"),
        ("state", ""),
    ] {
        let mut pairs = unsigned_sample();
        pairs.iter_mut().find(|(k, _)| *k == field).unwrap().1 = value;
        assert_eq!(
            verify_notify(&sign_like_sunmi(&pairs, &key), &key.public_key()).unwrap_err(),
            NotifyError::MalformedNumber { field },
            "{field}={value}"
        );
    }
    for field in [
        "amount",
        "businessId",
        "misId",
        "msn",
        "orderId",
        "orderType",
        "payTime",
        "platform",
        "platformId",
        "refunded",
        "resultCode",
        "resultMsg",
        "state",
    ] {
        let pairs: Vec<_> = unsigned_sample()
            .into_iter()
            .filter(|(k, _)| *k != field)
            .collect();
        assert_eq!(
            verify_notify(&sign_like_sunmi(&pairs, &key), &key.public_key()).unwrap_err(),
            NotifyError::MissingField { field },
        );
    }
}

#[test]
fn amount_check_compares_with_the_expected_amount() {
    let n = verify_notify(&form(&sample_pairs()), &test_key()).unwrap();
    assert!(n.check_amount(Money::from_fen(1)).is_ok());
    assert_eq!(
        n.check_amount(Money::from_fen(100)).unwrap_err(),
        NotifyError::AmountMismatch {
            expected: Money::from_fen(100),
            got: Money::from_fen(1)
        }
    );
}

#[test]
fn ack_is_exactly_success() {
    assert_eq!(sunmi::ACK, "success");
}

#[test]
fn client_verifies_with_the_configured_key() {
    let cfg = sunmi::Config::test("app", paysig::SecretString::from("k")).unwrap();
    let client = sunmi::Client::new(cfg).unwrap();
    assert!(client.verify_notify(&form(&sample_pairs())).is_ok());
}
