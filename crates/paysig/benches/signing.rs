//! Signing throughput: canonical string + MD5 for a 12-parameter request, RSA-2048 sign and
//! verify on every compiled backend, JWT encode and verify.
//!
//! `cargo bench -p paysig --all-features`

use criterion::{Criterion, criterion_group, criterion_main};
use paysig::md5::{HexCase, KeySuffix};
use paysig::rsa::Backend;
use paysig::{CanonicalRules, Md5Signer, Params, RsaPrivateKey, SecretString, jwt};
use std::hint::black_box;

fn twelve_params() -> Params {
    Params::new()
        .with("app_id", "sm5b9b4daef3463")
        .with("charset", "utf8")
        .with("msn", "V206D88200036")
        .with("merchantNo", "")
        .with("orderId", "15632714718760")
        .with("totalAmount", "1")
        .with("appVersion", "1.0.0")
        .with("notifyUrl", "https://merchant.example/notify/sunmi")
        .with("openId", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
        .with("subAppId", "wx8888888888888888")
        .with("body", "商品描述")
        .with("timestamp", "1563271502")
}

fn md5(c: &mut Criterion) {
    let signer = Md5Signer::new(
        CanonicalRules::sorted().exclude(["sign"]),
        KeySuffix::Append,
        HexCase::Upper,
    );
    let key = SecretString::from("dd3ac24736589ae17d333e362859bf4c");
    let p = twelve_params();
    c.bench_function("md5/canonical+sign 12 params", |b| {
        b.iter(|| signer.sign(black_box(&p), &key).unwrap())
    });
}

fn rsa(c: &mut Criterion) {
    let base = RsaPrivateKey::generate_2048().unwrap();
    let msg = CanonicalRules::sorted().build(&twelve_params()).unwrap();
    for backend in Backend::all() {
        let key = base.with_backend(backend).unwrap();
        let public = key.public_key();
        let sig = key.sign_sha256_base64(msg.as_bytes()).unwrap();
        c.bench_function(&format!("rsa2048/sign/{backend:?}"), |b| {
            b.iter(|| key.sign_sha256_raw(black_box(msg.as_bytes())).unwrap())
        });
        c.bench_function(&format!("rsa2048/verify/{backend:?}"), |b| {
            b.iter(|| {
                public
                    .verify_sha256((), black_box(msg.as_bytes()), &sig)
                    .unwrap()
            })
        });
    }
}

fn jwt_rs256(c: &mut Criterion) {
    let key = RsaPrivateKey::generate_2048().unwrap();
    let public = key.public_key();
    let claims = serde_json::json!({
        "pay_type": "wechat.jsapi", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "mch_trade_id": "T20190716001", "total_fee": 1, "body": "test",
        "sub_appid": "wx8888888888888888", "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    });
    let token = jwt::encode_rs256(&claims, &key).unwrap();
    c.bench_function("jwt/encode RS256", |b| {
        b.iter(|| jwt::encode_rs256(black_box(&claims), &key).unwrap())
    });
    c.bench_function("jwt/decode+verify RS256", |b| {
        b.iter(|| jwt::decode_rs256::<serde_json::Value>(black_box(&token), &public).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = md5, rsa, jwt_rs256
}
criterion_main!(benches);
