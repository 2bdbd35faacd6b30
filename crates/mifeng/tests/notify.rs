//! The inferred notify scheme, and confirmation by query.

mod common;

use common::{MCH_ID, SECRET, config, md5_hex};
use mifeng::notify::{self, ACK};
use mifeng::{Client, NotifyError, NotifyState, NotifyTrust, OrderState};
use paysig::{Money, SecretString};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Fields in the inferred order; the sign is computed here by hand from the documented string.
fn fields() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("mch_id", MCH_ID.into()),
        ("money", "1000.00".into()),
        ("notify_time", "2022-07-25 20:41:01".into()),
        ("order_no", "202204157885214563228".into()),
        ("out_order_no", "20150320010101001".into()),
        ("param", "xyz".into()),
        ("state", 3.into()),
    ]
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        o => o.to_string(),
    }
}

fn signed_body(f: &[(&str, serde_json::Value)], key: &str) -> Vec<u8> {
    let joined: Vec<String> = f.iter().map(|(k, v)| format!("{k}={}", text(v))).collect();
    let sign = md5_hex(&format!("{}&key={key}", joined.join("&")));
    body_with(f, Some(&sign))
}

fn body_with(f: &[(&str, serde_json::Value)], sign: Option<&str>) -> Vec<u8> {
    let mut obj = serde_json::Map::new();
    for (k, v) in f {
        obj.insert((*k).to_owned(), v.clone());
    }
    if let Some(s) = sign {
        obj.insert("sign".into(), s.into());
    }
    serde_json::to_vec(&obj).unwrap()
}

fn secret() -> SecretString {
    SecretString::from(SECRET)
}

#[test]
fn a_signed_notify_verifies_into_a_typed_notification() {
    assert_eq!(ACK, "SUCCESS");
    let n = notify::verify_notify(&signed_body(&fields(), SECRET), &secret()).unwrap();
    assert_eq!(n.money, Money::from_fen(100_000));
    assert_eq!(n.state, NotifyState::Success);
    assert_eq!(n.order_no, "202204157885214563228");
    assert_eq!(n.param, "xyz");
    n.check_amount(Money::from_fen(100_000)).unwrap();
    assert_eq!(
        n.check_amount(Money::from_fen(1)).unwrap_err(),
        NotifyError::AmountMismatch {
            expected: Money::from_fen(1),
            got: Money::from_fen(100_000)
        }
    );
}

#[test]
fn uppercase_signature_is_accepted() {
    let body = signed_body(&fields(), SECRET);
    let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let upper = v["sign"].as_str().unwrap().to_uppercase();
    v["sign"] = upper.into();
    notify::verify_notify(&serde_json::to_vec(&v).unwrap(), &secret()).unwrap();
}

#[test]
fn each_tampered_field_is_a_mismatch() {
    let body = signed_body(&fields(), SECRET);
    let original: serde_json::Value = serde_json::from_slice(&body).unwrap();
    for (field, forged) in [
        ("mch_id", serde_json::Value::from("1000124")),
        ("money", "0.01".into()),
        ("notify_time", "2022-07-25 20:41:02".into()),
        ("order_no", "202204157885214563229".into()),
        ("out_order_no", "x".into()),
        ("param", "".into()),
        ("state", 2.into()),
    ] {
        let mut v = original.clone();
        v[field] = forged;
        let err = notify::verify_notify(&serde_json::to_vec(&v).unwrap(), &secret()).unwrap_err();
        assert_eq!(err, NotifyError::SignatureMismatch, "{field}");
    }
}

#[test]
fn wrong_key_missing_sign_bad_encoding_missing_field_duplicate_and_garbage_are_distinct() {
    let wrong =
        notify::verify_notify(&signed_body(&fields(), "another-key"), &secret()).unwrap_err();
    assert_eq!(wrong, NotifyError::SignatureMismatch);

    let unsigned = notify::verify_notify(&body_with(&fields(), None), &secret()).unwrap_err();
    assert_eq!(unsigned, NotifyError::MissingSignature);
    let empty = notify::verify_notify(&body_with(&fields(), Some("")), &secret()).unwrap_err();
    assert_eq!(empty, NotifyError::MissingSignature);

    let bad = notify::verify_notify(&body_with(&fields(), Some("zz")), &secret()).unwrap_err();
    assert_eq!(bad, NotifyError::BadSignatureEncoding);

    let mut f = fields();
    f.retain(|(k, _)| *k != "money");
    let missing = notify::verify_notify(&signed_body(&f, SECRET), &secret()).unwrap_err();
    assert_eq!(
        missing,
        NotifyError::MissingField {
            field: "money".into()
        }
    );

    let good = String::from_utf8(signed_body(&fields(), SECRET)).unwrap();
    let dup = good.replacen('{', r#"{"money":"0.01","#, 1);
    let err = notify::verify_notify(dup.as_bytes(), &secret()).unwrap_err();
    assert_eq!(
        err,
        NotifyError::DuplicateField {
            field: "money".into()
        }
    );

    for garbage in [
        &b"mch_id=1&sign=x"[..],
        b"[1,2]",
        b"{\"a\":1",
        b"{} trailing",
    ] {
        let err = notify::verify_notify(garbage, &secret()).unwrap_err();
        assert!(matches!(err, NotifyError::Malformed { .. }), "{err:?}");
    }

    let mut f = fields();
    f[5] = ("param", serde_json::json!({"nested": 1}));
    let err = notify::verify_notify(&body_with(&f, Some(&"0".repeat(32))), &secret()).unwrap_err();
    assert!(matches!(err, NotifyError::BadValue { field, .. } if field == "param"));
}

#[test]
fn an_absent_param_is_signed_as_empty() {
    let mut f = fields();
    f[5] = ("param", "".into());
    let with_empty = signed_body(&f, SECRET);
    let mut v: serde_json::Value = serde_json::from_slice(&with_empty).unwrap();
    v.as_object_mut().unwrap().remove("param");
    let n = notify::verify_notify(&serde_json::to_vec(&v).unwrap(), &secret()).unwrap();
    assert_eq!(n.param, "");
}

#[test]
fn numbers_are_signed_as_their_json_text() {
    let mut f = fields();
    f[0] = ("mch_id", 1000123.into());
    let n = notify::verify_notify(&signed_body(&f, SECRET), &secret()).unwrap();
    assert_eq!(n.mch_id, MCH_ID);
}

async fn server_with_order(state: i64, money: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/v1/api/pay/accesstoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "OK", "data": {"token": "T", "expires_in": 7200}
        })))
        .mount(&server)
        .await;
    Mock::given(path("/v1/api/pay/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "ok", "request_id": "r",
            "data": {"mch_id": MCH_ID, "order_no": "202204157885214563228",
                     "out_order_no": "20150320010101001", "state": state, "money": money}
        })))
        .mount(&server)
        .await;
    server
}

fn client_with(server: &MockServer, trust: NotifyTrust) -> Client {
    let mut c = config(server);
    c.notify_trust = trust;
    Client::new(c).unwrap()
}

#[tokio::test]
async fn default_trust_checks_the_signature_and_the_query() {
    let server = server_with_order(3, "1000.00").await;
    let c = client_with(&server, NotifyTrust::default());
    let out = c
        .handle_notify(&signed_body(&fields(), SECRET))
        .await
        .unwrap();
    assert!(out.paid);
    assert_eq!(out.money, Money::from_fen(100_000));
    assert!(out.signed.is_some() && out.queried.is_some());
    out.check_amount(Money::from_fen(100_000)).unwrap();
    assert!(matches!(
        out.check_amount(Money::from_fen(99_999)),
        Err(NotifyError::AmountMismatch { .. })
    ));
    // A forged notify never reaches the query.
    let err = c
        .handle_notify(&signed_body(&fields(), "forger"))
        .await
        .unwrap_err();
    assert_eq!(err, NotifyError::SignatureMismatch);
}

#[tokio::test]
async fn the_query_must_agree_with_a_signed_notify() {
    let server = server_with_order(2, "1000.00").await;
    let c = client_with(&server, NotifyTrust::SignatureAndQuery);
    let err = c
        .handle_notify(&signed_body(&fields(), SECRET))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NotifyError::QueryMismatch { field: "state", .. }),
        "{err:?}"
    );

    let server = server_with_order(3, "999.00").await;
    let c = client_with(&server, NotifyTrust::SignatureAndQuery);
    let err = c
        .handle_notify(&signed_body(&fields(), SECRET))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NotifyError::QueryMismatch { field: "money", .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn query_only_trusts_the_queried_state_and_amount() {
    let server = server_with_order(2, "999.00").await;
    let c = client_with(&server, NotifyTrust::QueryOnly);
    // Unsigned, with a claimed amount: only order_no is taken from it.
    let out = c
        .confirm_notify_by_query(&body_with(&fields(), None))
        .await
        .unwrap();
    assert!(!out.paid);
    assert_eq!(
        out.queried.as_ref().unwrap().state,
        OrderState::AwaitingPayment
    );
    assert_eq!(out.money, Money::from_fen(99_900));
    let same = c.handle_notify(&body_with(&fields(), None)).await.unwrap();
    assert_eq!(same.money, out.money);
    // A notify naming another merchant order than the queried one is refused.
    let mut f = fields();
    f[4] = ("out_order_no", "someone-else".into());
    let err = c.handle_notify(&body_with(&f, None)).await.unwrap_err();
    assert!(matches!(
        err,
        NotifyError::QueryMismatch {
            field: "out_order_no",
            ..
        }
    ));
}

#[tokio::test]
async fn signature_only_needs_no_network_and_checks_the_merchant() {
    let server = MockServer::start().await; // nothing mounted
    let c = client_with(&server, NotifyTrust::SignatureOnly);
    let out = c
        .handle_notify(&signed_body(&fields(), SECRET))
        .await
        .unwrap();
    assert!(out.paid && out.queried.is_none());
    let mut f = fields();
    f[0] = ("mch_id", "999".into());
    let err = c.handle_notify(&signed_body(&f, SECRET)).await.unwrap_err();
    assert!(matches!(err, NotifyError::MerchantMismatch { .. }));
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// A body written by hand: serde_json would re-render `1000.00` as `1000.0`.
fn raw_numeric_body(money: &str, key: &str) -> Vec<u8> {
    let signed = format!(
        "mch_id={MCH_ID}&money={money}&notify_time=2022-07-25 20:41:01&order_no=202204157885214563228&out_order_no=20150320010101001&param=xyz&state=3"
    );
    let sign = md5_hex(&format!("{signed}&key={key}"));
    format!(
        r#"{{"mch_id":"{MCH_ID}", "money": {money} ,"notify_time":"2022-07-25 20:41:01","order_no":"202204157885214563228","out_order_no":"20150320010101001","param":"xyz","state":3,"sign":"{sign}"}}"#
    )
    .into_bytes()
}

#[test]
fn a_numeric_money_is_signed_as_the_text_received() {
    for money in ["1000.00", "1000", "1000.0"] {
        let n = notify::verify_notify(&raw_numeric_body(money, SECRET), &secret())
            .unwrap_or_else(|e| panic!("{money}: {e:?}"));
        assert_eq!(n.money, Money::from_fen(100_000));
    }
    // The signature over "1e3" matches; the amount is then refused as not plain yuan.
    assert!(matches!(
        notify::verify_notify(&raw_numeric_body("1e3", SECRET), &secret()).unwrap_err(),
        NotifyError::BadValue { field, .. } if field == "money"
    ));
    // Signed over another rendering than the one sent: refused.
    let mut body = String::from_utf8(raw_numeric_body("1000.00", SECRET)).unwrap();
    body = body.replace(" 1000.00 ", " 1000.0 ");
    assert_eq!(
        notify::verify_notify(body.as_bytes(), &secret()).unwrap_err(),
        NotifyError::SignatureMismatch
    );
}

fn without_param(sign_over: &[(&'static str, serde_json::Value)]) -> Vec<u8> {
    let signed = signed_body(sign_over, SECRET);
    let mut v: serde_json::Value = serde_json::from_slice(&signed).unwrap();
    v.as_object_mut().unwrap().remove("param");
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn an_absent_param_follows_the_configured_choice() {
    use mifeng::AbsentParam;
    let mut with_empty = fields();
    with_empty[5] = ("param", "".into());
    let mut six = fields();
    six.remove(5);
    let signed_empty = without_param(&with_empty);
    let signed_six = without_param(&six);

    let n =
        notify::verify_notify_with(&signed_empty, &secret(), AbsentParam::SignedAsEmpty).unwrap();
    assert_eq!(n.param, "");
    assert_eq!(
        notify::verify_notify_with(&signed_six, &secret(), AbsentParam::SignedAsEmpty).unwrap_err(),
        NotifyError::SignatureMismatch
    );

    let n = notify::verify_notify_with(&signed_six, &secret(), AbsentParam::NotSigned).unwrap();
    assert_eq!(n.param, "");
    assert_eq!(
        notify::verify_notify_with(&signed_empty, &secret(), AbsentParam::NotSigned).unwrap_err(),
        NotifyError::SignatureMismatch
    );

    for body in [&signed_empty, &signed_six] {
        assert_eq!(
            notify::verify_notify_with(body, &secret(), AbsentParam::Refused).unwrap_err(),
            NotifyError::MissingField {
                field: "param".into()
            }
        );
    }
    // A present param is signed under every choice.
    let full = signed_body(&fields(), SECRET);
    for choice in [
        AbsentParam::SignedAsEmpty,
        AbsentParam::NotSigned,
        AbsentParam::Refused,
    ] {
        assert_eq!(
            notify::verify_notify_with(&full, &secret(), choice)
                .unwrap()
                .param,
            "xyz"
        );
    }
}

#[tokio::test]
async fn the_client_verifies_with_the_configured_absent_param_choice() {
    let server = MockServer::start().await;
    let mut cfg = config(&server);
    cfg.notify_absent_param = mifeng::AbsentParam::Refused;
    let c = Client::new(cfg).unwrap();
    let mut with_empty = fields();
    with_empty[5] = ("param", "".into());
    assert_eq!(
        c.verify_notify(&paysig::http::HeaderMap::new(), &without_param(&with_empty))
            .unwrap_err(),
        NotifyError::MissingField {
            field: "param".into()
        }
    );
}

#[tokio::test]
async fn the_client_refuses_a_body_over_its_configured_limit_unread() {
    let server = MockServer::start().await;
    let body = signed_body(&fields(), SECRET);
    let mut c = config(&server);
    c.notify_body_limit = body.len() - 1;
    let client = Client::new(c).unwrap();
    let want = NotifyError::BodyTooLarge {
        len: body.len(),
        limit: body.len() - 1,
    };
    assert_eq!(
        client
            .verify_notify(&paysig::http::HeaderMap::new(), &body)
            .unwrap_err(),
        want
    );
    assert_eq!(
        client.confirm_notify_by_query(&body).await.unwrap_err(),
        want
    );
    // Nothing was queried for it.
    assert!(server.received_requests().await.unwrap().is_empty());
    let mut c = config(&server);
    c.notify_body_limit = body.len();
    c.notify_trust = NotifyTrust::SignatureOnly;
    Client::new(c)
        .unwrap()
        .verify_notify(&paysig::http::HeaderMap::new(), &body)
        .unwrap();
}

#[test]
fn a_value_holding_the_separator_is_refused_as_ambiguous_naming_it() {
    let mut f = fields();
    f[5].1 = "x&state=3".into();
    let e = notify::verify_notify(&signed_body(&f, SECRET), &secret()).unwrap_err();
    assert_eq!(
        e,
        NotifyError::Ambiguous {
            field: "param".into()
        }
    );
    assert!(e.to_string().contains("\"param\""), "{e}");
}
