//! Pooul's own published vector (developer docs: a 1024-bit platform key and a sample `/v2/pay`
//! answer signed with it) through the client's answer reader, and a notify signed with a
//! 1024-bit test key through the notify reader.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use paysig::Money;
use paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT;
use paysig::rsa::KeySizePolicy;
use pooul::{Client, Error, NotifyError, PayRequest, PayType, PayTypeCode, TradeState};
use serde_json::json;
use std::path::Path;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/pooul")
            .join(name),
    )
    .unwrap()
}

fn devdocs_client(base: &str) -> Client {
    let mut config = config(base);
    config.pooul_public_key =
        pooul::load_platform_key(&fixture("devdocs/platform_public_1024.pem")).unwrap();
    Client::new(config).unwrap()
}

#[test]
fn the_platform_key_loads_under_the_legacy_policy_only() {
    let pem = fixture("devdocs/platform_public_1024.pem");
    let key = pooul::load_platform_key(&pem).unwrap();
    assert_eq!(key.modulus_bits(), 1024);
    assert_eq!(key.key_size_policy(), KeySizePolicy::Legacy1024);
    assert_eq!(pooul::PLATFORM_KEY_POLICY, KeySizePolicy::Legacy1024);
    let err = pooul::load_platform_key_with(&pem, KeySizePolicy::Standard).unwrap_err();
    assert!(
        matches!(&err, Error::Validation { field: "pooul_public_key", reason }
            if reason.contains("1024 bits") && reason.contains("2048 to 4096")),
        "{err}"
    );
}

#[test]
fn a_1024_bit_merchant_key_is_refused() {
    let pem = fixture("legacy1024/test_platform_private_1024.pem");
    let err = pooul::load_merchant_key(&pem).unwrap_err();
    assert!(
        matches!(&err, Error::Validation { field: "merchant_key", reason }
            if reason.contains("1024 bits") && reason.contains("2048 to 4096")),
        "{err}"
    );
    // The error names the size, never the key.
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!err.to_string().contains(&body[10..40]));
    // And a 2048-bit one loads.
    let ok = keys().merchant.to_pkcs8_pem();
    assert!(pooul::load_merchant_key(paysig::ExposeSecret::expose_secret(&ok)).is_ok());
}

#[tokio::test]
async fn the_published_sample_answer_verifies_through_the_pay_answer_reader() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/pay"))
        .and(query_param("merchant_id", MERCHANT_ID))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain")
                .set_body_string(fixture("devdocs/sample_response.jwt")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = devdocs_client(&server.uri());
    let order = PayRequest::new(
        PayType::WechatScan,
        "alextest.scan.153",
        Money::from_fen(221),
        "Alex Test Scan",
    )
    .spbill_create_ip("127.0.0.1");
    let reply = c.pay(&order).await.unwrap();
    assert_eq!(reply.msg.as_deref(), Some("success"));
    assert_eq!(
        reply.data.code_url.as_deref(),
        Some("weixin://wxpay/bizpayurl?pr=tNkezy0")
    );
    assert_eq!(
        reply.data.prepay_id.as_deref(),
        Some("wx10110224612615aa7b4317c02175499973")
    );
    assert_eq!(reply.data.trade_id, "5b4421c001c9117d49d35771");
    assert_eq!(reply.data.mch_trade_id, "alextest.scan.153");
    assert_eq!(reply.data.merchant_id.as_deref(), Some(MERCHANT_ID));

    // What we sent: one JWT signed with the merchant key, the documented fields.
    let sent = server.received_requests().await.unwrap();
    let mut payload = read_sent_jwt(&sent[0].body, &keys().merchant.public_key());
    take_nonce(&mut payload);
    assert_eq!(
        payload,
        json!({
            "pay_type": "wechat.scan", "mch_trade_id": "alextest.scan.153", "total_fee": 221,
            "body": "Alex Test Scan", "spbill_create_ip": "127.0.0.1",
        })
    );
}

#[tokio::test]
async fn the_sample_answer_is_refused_with_another_key_or_tampered() {
    let token = fixture("devdocs/sample_response.jwt");
    let parts: Vec<&str> = token.trim().split('.').collect();
    // The payload with `time_elapsed` changed, re-encoded under the same signature.
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let forged_payload = payload.replace("0.3801", "0.3802");
    assert_ne!(payload, forged_payload);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged_payload),
        parts[2]
    );
    for (body, with_devdocs_key) in [(forged, true), (token.clone(), false)] {
        let server = MockServer::start().await;
        Mock::given(path("/v2/pay"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let c = if with_devdocs_key {
            devdocs_client(&server.uri())
        } else {
            client(&server.uri())
        };
        let order = PayRequest::new(
            PayType::WechatScan,
            "alextest.scan.153",
            Money::from_fen(221),
            "b",
        )
        .spbill_create_ip("127.0.0.1");
        let err = c.pay(&order).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::ResponseSignature {
                    operation: "pay",
                    ..
                }
            ),
            "{err}"
        );
    }
}

fn legacy_client() -> Client {
    let mut config = config("http://127.0.0.1:9");
    config.pooul_public_key =
        pooul::load_platform_key(&fixture("legacy1024/test_platform_public_1024.pem")).unwrap();
    Client::new(config).unwrap()
}

#[test]
fn a_notify_signed_with_a_1024_bit_key_verifies_through_the_notify_reader() {
    let c = legacy_client();
    let body = fixture("legacy1024/pay_notify.jwt");
    let n = c
        .verify_notify_pay(&paysig::http::HeaderMap::new(), body.trim().as_bytes())
        .unwrap();
    assert!(n.is_paid());
    assert_eq!(n.data.mch_trade_id, "alextest.scan.113");
    assert_eq!(n.data.total_fee, Money::from_fen(221));
    assert_eq!(n.data.trade_state, TradeState::Success);
    assert_eq!(n.data.pay_type, PayTypeCode::WechatScan);
    n.check_amount(Money::from_fen(221)).unwrap();

    // The devdocs key (another 1024-bit key) does not verify it.
    let err = devdocs_client("http://127.0.0.1:9")
        .verify_notify_pay(&paysig::http::HeaderMap::new(), body.trim().as_bytes())
        .unwrap_err();
    assert!(matches!(err, NotifyError::SignatureMismatch), "{err}");
}

#[test]
fn notify_bodies_over_the_limit_are_refused_before_parsing() {
    // Not even a JWT: refused for its size, not for its content.
    let huge = vec![b'x'; DEFAULT_NOTIFY_BODY_LIMIT + 1];
    let key = keys().pooul.public_key();
    for result in [
        pooul::notify::verify_notify_pay(&huge, &key).map(|_| ()),
        pooul::notify::verify_notify_refund(&huge, &key).map(|_| ()),
    ] {
        assert!(
            matches!(
                result,
                Err(NotifyError::BodyTooLarge { len, limit })
                    if len == DEFAULT_NOTIFY_BODY_LIMIT + 1 && limit == DEFAULT_NOTIFY_BODY_LIMIT
            ),
            "{result:?}"
        );
    }
    // At the limit, the body is read (and here refused as what it is: not UTF-8 JWT segments).
    let at_limit = vec![b'x'; DEFAULT_NOTIFY_BODY_LIMIT];
    assert!(matches!(
        pooul::notify::verify_notify_pay(&at_limit, &key),
        Err(NotifyError::Jwt(_))
    ));

    // A configured limit applies to the client's readers, to a valid notify too.
    let valid = signed(
        &json!({"code": 0, "data": {
            "trade_id": "t", "mch_trade_id": "o", "merchant_id": MERCHANT_ID,
            "pay_type": "wechat.scan", "total_fee": 1, "trade_state": 0}}),
        &keys().pooul,
    );
    let mut config = config("http://127.0.0.1:9");
    config.notify_body_limit = valid.len() - 1;
    let c = Client::new(config).unwrap();
    let err = c
        .verify_notify_pay(&paysig::http::HeaderMap::new(), valid.as_bytes())
        .unwrap_err();
    assert!(
        matches!(err, NotifyError::BodyTooLarge { len, limit } if len == valid.len() && limit == valid.len() - 1),
        "{err}"
    );
    let err = c
        .verify_notify_refund(&paysig::http::HeaderMap::new(), valid.as_bytes())
        .unwrap_err();
    assert!(matches!(err, NotifyError::BodyTooLarge { .. }), "{err}");
    assert!(
        client("http://127.0.0.1:9")
            .verify_notify_pay(&paysig::http::HeaderMap::new(), valid.as_bytes())
            .is_ok()
    );
}
