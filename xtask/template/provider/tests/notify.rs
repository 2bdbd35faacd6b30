//! The notify entry point: a signed notify is read, a changed byte is refused.

use paysig::Money;
use paysig::http::HeaderMap;
use {{crate}}::{Client, Config, Environment, NotifyError};

const KEY: &str = "test-app-key";

fn client() -> Client {
    Client::new(Config::new(Environment::Test, "app", KEY)).unwrap()
}

/// `amount=100&order_no=T1&trade_state=SUCCESS&key=test-app-key`, MD5, upper case.
fn signed_body() -> String {
    let fields = "amount=100&order_no=T1&trade_state=SUCCESS";
    let sign = paysig::md5::md5_hex(
        format!("{fields}&key={KEY}").as_bytes(),
        paysig::md5::HexCase::Upper,
    );
    format!("{fields}&sign={sign}")
}

#[test]
fn a_signed_notify_is_read_and_its_amount_checked() {
    let n = client()
        .verify_notify(&HeaderMap::new(), signed_body().as_bytes())
        .unwrap();
    assert_eq!(n.order_no, "T1");
    assert_eq!(n.check_amount(Money::from_fen(100)), Ok(()));
    assert!(matches!(
        n.check_amount(Money::from_fen(101)),
        Err(NotifyError::AmountMismatch { .. })
    ));
}

#[test]
fn a_changed_byte_or_a_missing_signature_is_refused() {
    let tampered = signed_body().replace("amount=100", "amount=900");
    assert_eq!(
        client().verify_notify(&HeaderMap::new(), tampered.as_bytes()),
        Err(NotifyError::SignatureMismatch)
    );
    assert_eq!(
        client().verify_notify(&HeaderMap::new(), b"amount=100&order_no=T1"),
        Err(NotifyError::MissingSignature)
    );
}
