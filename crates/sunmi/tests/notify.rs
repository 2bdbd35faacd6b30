//! Notify verification (sunmi.txt §2.2, §4.3.5, §6.2, §6.4).

use paysig::{Money, Params, RsaPrivateKey, RsaPublicKey};
use sunmi::{
    NotifyError, NotifyOptions, OrderType, Platform, TradeState, verify_notify, verify_notify_with,
};

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
    assert!(matches!(
        verify_notify(&body, &test_key()).unwrap_err(),
        NotifyError::Malformed { .. }
    ));
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
    let cfg = sunmi::Config::test("app", "k");
    let client = sunmi::Client::new(cfg).unwrap();
    assert!(
        client
            .verify_notify(&paysig::http::HeaderMap::new(), &form(&sample_pairs()))
            .is_ok()
    );
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/sunmi")
        .join(name);
    std::fs::read(path).unwrap()
}

#[test]
fn documented_json_sample_verifies_as_json_with_the_documented_test_key() {
    // fixtures/sunmi/notify.json is the §6.2 sample, pretty-printed, numbers as numbers.
    let body = fixture_bytes("notify.json");
    assert!(String::from_utf8_lossy(&body).contains("\"amount\": 1,"));
    for content_type in [
        Some("application/json"),
        Some("Application/JSON; charset=UTF-8"),
        None,
    ] {
        let n = verify_notify_with(content_type, &body, &test_key(), &NotifyOptions::default())
            .unwrap_or_else(|e| panic!("{content_type:?}: {e}"));
        assert_eq!(n.amount, Money::from_fen(1));
        assert_eq!(n.business_id, "");
        assert_eq!(n.order_id, "15632714718760");
        assert_eq!(n.order_type, OrderType::Payment);
        assert_eq!(n.pay_time, 1563271502);
        assert_eq!(n.state, TradeState::Success);
    }
    // The plain entry tells JSON by its first non-whitespace byte.
    assert!(verify_notify(&body, &test_key()).is_ok());
    // The same JSON with one number changed no longer verifies.
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("\"payTime\": 1563271502", "\"payTime\": 1563271503");
    assert_eq!(
        verify_notify(tampered.as_bytes(), &test_key()).unwrap_err(),
        NotifyError::SignatureMismatch
    );
}

/// A JSON body of `members` (raw JSON text of each value) signed over `signed`.
fn json_signed_over(members: &[(&str, &str)], signed: &str, key: &RsaPrivateKey) -> Vec<u8> {
    let sign = key.sign_sha256_base64(signed.as_bytes()).unwrap();
    let mut parts: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    parts.push(format!("\"sign\":\"{sign}\""));
    format!("{{{}}}", parts.join(",")).into_bytes()
}

/// The sample's members as raw JSON, numbers bare.
fn sample_json_members() -> Vec<(&'static str, &'static str)> {
    vec![
        ("amount", "1"),
        ("businessId", "\"\""),
        ("buyerPayAmount", "1"),
        ("misId", "\"test_5F5EC7A54CDCC58BADC425\""),
        ("msn", "\"D804P89V00033\""),
        ("orderId", "\"15632714718760\""),
        ("orderType", "0"),
        ("payTime", "1563271502"),
        ("platform", "\"alipay\""),
        ("platformId", "\"2019071622001419071050445382\""),
        ("refunded", "\"0\""),
        ("resultCode", "\"T00\""),
        ("resultMsg", "\"Success\""),
        ("state", "3"),
    ]
}

const SAMPLE_SIGNED: &str = "amount=1&businessId=&buyerPayAmount=1&misId=test_5F5EC7A54CDCC58BADC425&msn=D804P89V00033&orderId=15632714718760&orderType=0&payTime=1563271502&platform=alipay&platformId=2019071622001419071050445382&refunded=0&resultCode=T00&resultMsg=Success&state=3";

#[test]
fn json_numbers_are_signed_as_their_exact_text() {
    let key = RsaPrivateKey::generate_2048().unwrap();
    let public = key.public_key();
    let mut members = sample_json_members();
    // Names sorting after `state`, so the signed string is the sample's plus these.
    members.push(("xa", "1.10"));
    members.push(("xb", "100"));
    members.push(("xd", "null"));
    members.push(("xc", "{\"a\": [1, 2.50]}"));
    let exact = format!("{SAMPLE_SIGNED}&xa=1.10&xb=100&xc={{\"a\": [1, 2.50]}}&xd=");
    assert!(verify_notify(&json_signed_over(&members, &exact, &key), &public).is_ok());
    // Signed over a re-rendering (1.1, 1e2, compacted nesting, null as text): refused.
    for rendered in [
        exact.replace("1.10", "1.1"),
        exact.replace("xb=100", "xb=1e2"),
        exact.replace("{\"a\": [1, 2.50]}", "{\"a\":[1,2.5]}"),
        exact.replace("xd=", "xd=null"),
    ] {
        assert_eq!(
            verify_notify(&json_signed_over(&members, &rendered, &key), &public).unwrap_err(),
            NotifyError::SignatureMismatch,
            "{rendered}"
        );
    }
    // A number where the sample has a string, and the other way round, sign the same text.
    let mut swapped = sample_json_members();
    swapped[0].1 = "\"1\"";
    swapped[10].1 = "0";
    let n = verify_notify(&json_signed_over(&swapped, SAMPLE_SIGNED, &key), &public).unwrap();
    assert_eq!(n.amount, Money::from_fen(1));
    // An escaped string is signed unescaped.
    let mut escaped = sample_json_members();
    escaped[3].1 = "\"test\\u005F5F5EC7A54CDCC58BADC425\"";
    let n = verify_notify(&json_signed_over(&escaped, SAMPLE_SIGNED, &key), &public).unwrap();
    assert_eq!(n.mis_id, "test_5F5EC7A54CDCC58BADC425");
}

#[test]
fn json_body_errors_are_typed() {
    let key = RsaPrivateKey::generate_2048().unwrap();
    let public = key.public_key();
    let mut dup = sample_json_members();
    dup.push(("amount", "1"));
    assert_eq!(
        verify_notify(&json_signed_over(&dup, SAMPLE_SIGNED, &key), &public).unwrap_err(),
        NotifyError::DuplicateField {
            field: "amount".into()
        }
    );
    for bad in [&b"{"[..], b"{\"a\":1}x", b"{\"a\":\"\\ud800\"}"] {
        assert!(
            matches!(
                verify_notify(bad, &public).unwrap_err(),
                NotifyError::Malformed { .. }
            ),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    // Content-Type wins over the first byte: a form body sent as JSON is not JSON, and a JSON
    // body sent as a form is one unsigned field.
    let form_body = form(&sample_pairs());
    assert!(matches!(
        verify_notify_with(
            Some("application/json"),
            &form_body,
            &public,
            &NotifyOptions::default()
        )
        .unwrap_err(),
        NotifyError::Malformed { .. }
    ));
    assert_eq!(
        verify_notify_with(
            Some("application/x-www-form-urlencoded"),
            &fixture_bytes("notify.json"),
            &test_key(),
            &NotifyOptions::default()
        )
        .unwrap_err(),
        NotifyError::MissingSignature
    );
}

#[test]
fn an_oversized_body_is_refused_before_parsing() {
    let options = NotifyOptions::default();
    assert_eq!(options.body_limit, paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT);
    // Over the limit and not even a form or JSON: the size is the error, not the content.
    let big = vec![b'{'; paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT + 1];
    assert_eq!(
        verify_notify(&big, &test_key()).unwrap_err(),
        NotifyError::BodyTooLarge {
            len: big.len(),
            limit: 65_536
        }
    );
    // A configured limit applies to both transports; at the limit is still read.
    let body = form(&sample_pairs());
    let at = NotifyOptions::default().with_body_limit(body.len());
    assert!(verify_notify_with(None, &body, &test_key(), &at).is_ok());
    let under = NotifyOptions::default().with_body_limit(body.len() - 1);
    assert_eq!(
        verify_notify_with(None, &body, &test_key(), &under).unwrap_err(),
        NotifyError::BodyTooLarge {
            len: body.len(),
            limit: body.len() - 1
        }
    );
    let json = fixture_bytes("notify.json");
    let small = NotifyOptions::default().with_body_limit(100);
    assert!(matches!(
        verify_notify_with(Some("application/json"), &json, &test_key(), &small).unwrap_err(),
        NotifyError::BodyTooLarge { limit: 100, .. }
    ));
    let e = NotifyError::BodyTooLarge { len: 7, limit: 5 };
    assert!(e.to_string().contains('7') && e.to_string().contains('5'));
}

#[test]
fn ambiguity_is_checked_after_the_sign_is_present_and_before_the_signature() {
    // `businessId` holding `&`: refused as ambiguous even with a sign that is not base64
    // (the signature is never looked at), but an absent sign is reported first.
    let mut pairs = sample_pairs();
    pairs[1].1 = "x&y=1";
    assert_eq!(
        verify_notify(&form(&pairs), &test_key()).unwrap_err(),
        NotifyError::Ambiguous {
            field: "businessId".into()
        }
    );
    pairs.iter_mut().find(|(k, _)| *k == "sign").unwrap().1 = "not*base64!";
    assert_eq!(
        verify_notify(&form(&pairs), &test_key()).unwrap_err(),
        NotifyError::Ambiguous {
            field: "businessId".into()
        }
    );
    pairs.retain(|(k, _)| *k != "sign");
    assert_eq!(
        verify_notify(&form(&pairs), &test_key()).unwrap_err(),
        NotifyError::MissingSignature
    );
    // A name holding `=` or `&`, or an empty name: ambiguous too. `=` in a value is not.
    for (name, value) in [("a=b", "1"), ("a&b", "1"), ("", "1")] {
        let mut p = sample_pairs();
        p.push((name, value));
        assert_eq!(
            verify_notify(&form(&p), &test_key()).unwrap_err(),
            NotifyError::Ambiguous { field: name.into() },
            "{name:?}"
        );
    }
    let key = RsaPrivateKey::generate_2048().unwrap();
    let mut p = unsigned_sample();
    p[12].1 = "a=b==c";
    let n = verify_notify(&sign_like_sunmi(&p, &key), &key.public_key()).unwrap();
    assert_eq!(n.result_msg, "a=b==c");
    // A genuine Sunmi signature over a value holding `&` is refused as well, by design.
    let mut p = unsigned_sample();
    p[12].1 = "a&b";
    assert_eq!(
        verify_notify(&sign_like_sunmi(&p, &key), &key.public_key()).unwrap_err(),
        NotifyError::Ambiguous {
            field: "resultMsg".into()
        }
    );
}

#[test]
fn client_reads_json_by_content_type_with_its_configured_limit() {
    let mut cfg = sunmi::Config::test("app", "k");
    let body = fixture_bytes("notify.json");
    let client = sunmi::Client::new(cfg.clone()).unwrap();
    let mut json_headers = paysig::http::HeaderMap::new();
    json_headers.insert(
        paysig::http::header::CONTENT_TYPE,
        paysig::http::HeaderValue::from_static("application/json"),
    );
    assert!(client.verify_notify(&json_headers, &body).is_ok());
    cfg.notify_body_limit = 10;
    let client = sunmi::Client::new(cfg).unwrap();
    assert!(matches!(
        client.verify_notify(&json_headers, &body).unwrap_err(),
        NotifyError::BodyTooLarge { limit: 10, .. }
    ));
}
