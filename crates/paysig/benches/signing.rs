//! Signing throughput: canonical string + MD5 for a 12-parameter request, RSA-2048 sign and
//! verify on every compiled backend, JWT encode and verify.
//!
//! When `openssl` is on PATH, the run also prints `openssl speed -seconds 1 rsa2048` beside
//! the same operations on aws-lc, each counted for one second in this process, one after the
//! other (target: aws-lc at 0.9× openssl or better).
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

/// `(sign/s, verify/s)` from the `rsa 2048 bits` line of `openssl speed -seconds 1 rsa2048`.
fn openssl_speed() -> Option<(f64, f64)> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "1", "rsa2048"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // `rsa 2048 bits 0.000881s 0.000028s   1135.3  35497.4` (the last two: sign/s, verify/s).
    let line = text.lines().find(|l| l.starts_with("rsa 2048 bits"))?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    let n = fields.len();
    Some((
        fields.get(n - 2)?.parse().ok()?,
        fields.get(n - 1)?.parse().ok()?,
    ))
}

/// Operations per second of `op`, counted for one second.
fn per_second(mut op: impl FnMut()) -> f64 {
    let start = std::time::Instant::now();
    let mut n = 0u64;
    while start.elapsed() < std::time::Duration::from_secs(1) {
        op();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// aws-lc beside openssl, measured in this run (nothing printed without `openssl`).
fn rsa_vs_openssl(_c: &mut Criterion) {
    let Some((ossl_sign, ossl_verify)) = openssl_speed() else {
        println!("rsa2048 vs openssl: `openssl` not on PATH, skipped");
        return;
    };
    #[cfg(not(feature = "aws-lc"))]
    {
        let _ = (ossl_sign, ossl_verify);
        println!("rsa2048 vs openssl: aws-lc backend not compiled, skipped");
    }
    #[cfg(feature = "aws-lc")]
    {
        let key = RsaPrivateKey::generate_2048()
            .and_then(|k| k.with_backend(Backend::AwsLc))
            .unwrap();
        aws_lc_vs(&key, ossl_sign, ossl_verify);
    }
}

#[cfg(feature = "aws-lc")]
fn aws_lc_vs(key: &RsaPrivateKey, ossl_sign: f64, ossl_verify: f64) {
    let public = key.public_key();
    let msg = CanonicalRules::sorted().build(&twelve_params()).unwrap();
    let sig = key.sign_sha256_base64(msg.as_bytes()).unwrap();
    let sign = per_second(|| {
        black_box(key.sign_sha256_raw(black_box(msg.as_bytes())).unwrap());
    });
    let verify = per_second(|| {
        public
            .verify_sha256((), black_box(msg.as_bytes()), &sig)
            .unwrap();
    });
    println!(
        "rsa2048 sign/s:   aws-lc {sign:.1}, openssl {ossl_sign:.1}, ratio {:.3} (target >= 0.9)",
        sign / ossl_sign
    );
    println!(
        "rsa2048 verify/s: aws-lc {verify:.1}, openssl {ossl_verify:.1}, ratio {:.3} (target >= 0.9)",
        verify / ossl_verify
    );
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
    targets = md5, rsa, rsa_vs_openssl, jwt_rs256
}
criterion_main!(benches);
