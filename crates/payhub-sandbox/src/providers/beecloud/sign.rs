//! BeeCloud's signatures, computed by the sandbox itself (beecloud.md, provider-notes.md) and
//! pinned to `fixtures/signing/beecloud` (the tests below), so that a mistake in paysig or in
//! the SDK is not repeated here unnoticed.

use paysig::md5::{CaseCheck, HexCase, md5_hex, verify_hex};

/// A request's `app_sign`: `md5(app_id + timestamp + app_key)`, either letter case.
pub(crate) fn app_sign_ok(app_id: &str, timestamp: &str, app_key: &str, app_sign: &str) -> bool {
    let message = format!("{app_id}{timestamp}{app_key}");
    verify_hex(
        (),
        message.as_bytes(),
        app_sign,
        CaseCheck::Insensitive,
        HexCase::Lower,
    )
    .is_ok()
}

/// The v1 (camelCase) webhook's `sign`: `md5(appId + appSecret + timestamp)`, lower case.
pub(crate) fn webhook_v1(app_id: &str, app_secret: &str, timestamp: i64) -> String {
    md5_hex(
        format!("{app_id}{app_secret}{timestamp}").as_bytes(),
        HexCase::Lower,
    )
}

/// The snake_case webhook's `signature`: `md5(app_id + transaction_id + transaction_type +
/// channel_type + transaction_fee + master_secret)`, lower case.
pub(crate) fn webhook_v2(
    app_id: &str,
    transaction_id: &str,
    transaction_type: &str,
    channel_type: &str,
    fee: u64,
    master_secret: &str,
) -> String {
    md5_hex(
        format!("{app_id}{transaction_id}{transaction_type}{channel_type}{fee}{master_secret}")
            .as_bytes(),
        HexCase::Lower,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::vectors::{Vector, one_byte_changes};

    /// The request check accepts the `fixtures/signing` vector (hashlib's MD5) and refuses
    /// any one letter or digit changed in the app id, the timestamp or the signature.
    #[test]
    fn app_sign_check_is_pinned_to_the_fixture_vector() {
        let v = Vector::load("beecloud/app_sign");
        let (id, ts, key) = (v.param("app_id"), v.param("timestamp"), v.param("app_key"));
        assert_eq!(format!("{id}{ts}{key}"), v.canonical);
        assert!(app_sign_ok(&id, &ts, &key, &v.signature));
        assert!(app_sign_ok(&id, &ts, &key, &v.signature.to_uppercase()));
        for bad in one_byte_changes(&id) {
            assert!(!app_sign_ok(&bad, &ts, &key, &v.signature), "{bad}");
        }
        for bad in one_byte_changes(&ts) {
            assert!(!app_sign_ok(&id, &bad, &key, &v.signature), "{bad}");
        }
        for bad in one_byte_changes(&v.signature) {
            assert!(!app_sign_ok(&id, &ts, &key, &bad), "{bad}");
        }
    }

    /// Both webhook schemes sign exactly as the vectors do.
    #[test]
    fn webhook_signatures_are_pinned_to_the_fixture_vectors() {
        let v = Vector::load("beecloud/webhook_v1");
        let ts: i64 = v.param("timestamp").parse().unwrap();
        assert_eq!(
            webhook_v1(&v.param("appId"), &v.param("appSecret"), ts),
            v.signature
        );
        let v = Vector::load("beecloud/webhook_v2");
        let fee: u64 = v.param("transaction_fee").parse().unwrap();
        let got = webhook_v2(
            &v.param("app_id"),
            &v.param("transaction_id"),
            &v.param("transaction_type"),
            &v.param("channel_type"),
            fee,
            &v.param("master_secret"),
        );
        assert_eq!(got, v.signature);
    }
}
