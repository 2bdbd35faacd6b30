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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::vectors::{Vector, one_byte_changes};

    /// The request check accepts the `fixtures/signing` JWT (signed with openssl) and refuses
    /// it with any one letter or digit of its header, payload or signature changed.
    #[test]
    fn request_check_is_pinned_to_the_fixture_vector() {
        let v = Vector::load("pooul/jwt_pay_request");
        let merchant = v.private_key().public_key();
        let token = format!("{}.{}", v.canonical, v.signature);
        let payload = verify_request(&token, &merchant).unwrap();
        assert_eq!(String::from_utf8(payload).unwrap(), v.params);
        let mut refused = 0;
        for bad in one_byte_changes(&token) {
            // A change in base64url padding bits can decode to the same bytes; every other
            // change must be refused.
            if verify_request(&bad, &merchant).is_err() {
                refused += 1;
            }
        }
        let total = one_byte_changes(&token).len();
        assert!(total - refused <= 3, "{refused} of {total} refused");
    }
}
