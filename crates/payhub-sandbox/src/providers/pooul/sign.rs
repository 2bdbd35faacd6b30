//! Pooul's request and notify JWTs (pooul.md, provider-notes.md), pinned to
//! `fixtures/signing/pooul` (the tests below).

use paysig::jwt::JwtError;
use paysig::{RsaPrivateKey, RsaPublicKey};
use serde_json::Value;

/// A request body: a compact RS256 JWT signed with the merchant's key; its payload bytes.
pub(crate) fn verify_request(token: &str, merchant: &RsaPublicKey) -> Result<Vec<u8>, JwtError> {
    paysig::jwt::verify_rs256(token, merchant).map(|p| p.into_inner())
}

/// A notify body: the payload as a compact RS256 JWT signed with the platform key.
pub(crate) fn notify(payload: &Value, platform: &RsaPrivateKey) -> Option<String> {
    paysig::jwt::encode_rs256(payload, platform).ok()
}
