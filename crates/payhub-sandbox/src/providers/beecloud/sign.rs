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
