//! Shared test helpers: keys, client, and an independent reading of the JWTs we send.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paysig::http::HttpConfig;
use paysig::{RsaPrivateKey, RsaPublicKey};
use pooul::{Client, Config, Environment};
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

pub const MERCHANT_ID: &str = "5399355381712172";

pub struct Keys {
    /// The merchant's key: signs our requests.
    pub merchant: RsaPrivateKey,
    /// Stands for Pooul's key: signs answers and notifies.
    pub pooul: RsaPrivateKey,
    /// Neither: a forger's key.
    pub other: RsaPrivateKey,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        merchant: RsaPrivateKey::generate_2048().unwrap(),
        pooul: RsaPrivateKey::generate_2048().unwrap(),
        other: RsaPrivateKey::generate_2048().unwrap(),
    })
}

pub fn config(base: &str) -> Config {
    let k = keys();
    let mut c = Config::new(
        Environment::Custom(base.parse().unwrap()),
        MERCHANT_ID,
        k.merchant.clone(),
        k.pooul.public_key(),
    );
    c.http = HttpConfig {
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    };
    c
}

pub fn client(base: &str) -> Client {
    Client::new(config(base)).unwrap()
}

/// A compact JWT over `payload`, signed by `key` (Pooul's, or the forger's).
pub fn signed(payload: &Value, key: &RsaPrivateKey) -> String {
    paysig::jwt::encode_rs256(payload, key).unwrap()
}

/// A Pooul answer `{code:0, msg, data, nonce_str}` signed with the Pooul key.
pub fn pooul_answer(msg: &str, data: Value) -> String {
    signed(
        &serde_json::json!({"code": 0, "msg": msg, "data": data, "nonce_str": "5b378a0601c9117d"}),
        &keys().pooul,
    )
}

/// Reads a request body as the server would: splits the compact JWT by hand, checks the
/// header, verifies the RS256 signature over `header.payload` with the merchant PUBLIC key,
/// and returns the payload JSON.
pub fn read_sent_jwt(body: &[u8], merchant_public: &RsaPublicKey) -> Value {
    let token = std::str::from_utf8(body).expect("body is text");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWT has three segments");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, serde_json::json!({"alg": "RS256", "typ": "JWT"}));
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let signed_part = format!("{}.{}", parts[0], parts[1]);
    merchant_public
        .verify_sha256_raw(signed_part.as_bytes(), &sig)
        .expect("request JWT verifies with the merchant public key");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

/// Removes `nonce_str` from a sent payload after checking its form, and returns it.
pub fn take_nonce(payload: &mut Value) -> String {
    let nonce = payload
        .as_object_mut()
        .unwrap()
        .remove("nonce_str")
        .expect("nonce_str is sent");
    let nonce = nonce.as_str().unwrap().to_owned();
    assert_eq!(nonce.len(), 32);
    assert!(nonce.chars().all(|c| c.is_ascii_alphanumeric()));
    nonce
}
