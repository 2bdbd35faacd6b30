//! Signing throughput: canonical string + MD5 for a 12-parameter request, RSA-2048 sign and
//! verify on every compiled backend, JWT encode and verify.
//!
//! The MD5 group also times the parts of a signature apart (canonical string, MD5 alone, the
//! sort), to show where its time goes.
//!
//! When `openssl` is on PATH, the run also prints `openssl speed -seconds 1 rsa2048` beside
//! the same operations on aws-lc, in three interleaved rounds, each operation counted for one
//! second in this process and divided by user CPU time as `openssl speed` does (target:
//! aws-lc at 0.9× openssl or better). aws-lc is shown twice: through paysig (hashing the
//! message) and signing a digest computed once, which is what `openssl speed` times.
//!
//! `cargo bench -p paysig --all-features`

use criterion::{Criterion, criterion_group, criterion_main};
use paysig::md5::{HexCase, KeySuffix, md5_hex};
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

/// The same twelve pairs, already in key order (as a caller building them sorted sends them).
fn twelve_params_sorted() -> Params {
    let p = twelve_params();
    let mut pairs: Vec<(&str, &str)> = p.iter().collect();
    pairs.sort();
    pairs.into_iter().collect()
}

fn md5(c: &mut Criterion) {
    let rules = CanonicalRules::sorted().exclude(["sign"]);
    let signer = Md5Signer::new(rules.clone(), KeySuffix::Append, HexCase::Upper);
    let key = SecretString::from("dd3ac24736589ae17d333e362859bf4c");
    let p = twelve_params();
    c.bench_function("md5/canonical+sign 12 params", |b| {
        b.iter(|| signer.sign(black_box(&p), &key).unwrap())
    });
    let sorted = twelve_params_sorted();
    c.bench_function("md5/canonical+sign 12 params, sorted input", |b| {
        b.iter(|| signer.sign(black_box(&sorted), &key).unwrap())
    });
    // The parts of the whole, to show where its time goes.
    c.bench_function("md5/part: canonical string built (String)", |b| {
        b.iter(|| rules.build(black_box(&p)).unwrap())
    });
    let mut joined = rules.build(&p).unwrap();
    joined.push_str("dd3ac24736589ae17d333e362859bf4c");
    c.bench_function(
        &format!("md5/part: MD5 alone, {} bytes", joined.len()),
        |b| b.iter(|| md5_hex(black_box(joined.as_bytes()), HexCase::Upper)),
    );
    c.bench_function("md5/part: sort 12 pairs by key", |b| {
        b.iter(|| {
            let mut pairs: [(&str, &str); 12] = [("", ""); 12];
            for (slot, pair) in pairs.iter_mut().zip(black_box(&p).iter()) {
                *slot = pair;
            }
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            pairs
        })
    });
}

/// This thread's CPU time in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`): time another process
/// holds the core is not counted, so a loaded machine moves this far less than wall time.
#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> u64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec of the C layout on 64-bit Linux.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    t.sec as u64 * 1_000_000_000 + t.nsec as u64
}

/// Median CPU nanoseconds per call of `op`, over 15 batches of `batch` calls.
#[cfg(target_os = "linux")]
fn cpu_ns_per_call(batch: u32, mut op: impl FnMut()) -> f64 {
    let mut per_call: Vec<f64> = (0..15)
        .map(|_| {
            let start = thread_cpu_ns();
            for _ in 0..batch {
                op();
            }
            (thread_cpu_ns() - start) as f64 / f64::from(batch)
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    per_call[per_call.len() / 2]
}

/// The MD5 figures again in thread CPU time, which load inflates far less than criterion's
/// wall time (criterion's figures are still the ones compared with the 1.0 µs target).
#[cfg(target_os = "linux")]
fn md5_cpu(_c: &mut Criterion) {
    let rules = CanonicalRules::sorted().exclude(["sign"]);
    let signer = Md5Signer::new(rules.clone(), KeySuffix::Append, HexCase::Upper);
    let key = SecretString::from("dd3ac24736589ae17d333e362859bf4c");
    let p = twelve_params();
    let sorted = twelve_params_sorted();
    let mut joined = rules.build(&p).unwrap();
    joined.push_str("dd3ac24736589ae17d333e362859bf4c");
    let n = 100_000;
    let sign = cpu_ns_per_call(n, || {
        black_box(signer.sign(black_box(&p), &key).unwrap());
    });
    let sign_sorted = cpu_ns_per_call(n, || {
        black_box(signer.sign(black_box(&sorted), &key).unwrap());
    });
    let md5_alone = cpu_ns_per_call(n, || {
        black_box(md5_hex(black_box(joined.as_bytes()), HexCase::Upper));
    });
    let build = cpu_ns_per_call(n, || {
        black_box(rules.build(black_box(&p)).unwrap());
    });
    println!("md5 in thread CPU time, median of 15 batches of {n} calls:");
    println!("  canonical+sign 12 params        {sign:7.1} ns");
    println!("  canonical+sign, sorted input    {sign_sorted:7.1} ns");
    println!(
        "  MD5 alone, {} bytes             {md5_alone:7.1} ns",
        joined.len()
    );
    println!("  canonical string built (String) {build:7.1} ns");
}

#[cfg(not(target_os = "linux"))]
fn md5_cpu(_c: &mut Criterion) {}

fn rsa(c: &mut Criterion) {
    let base = RsaPrivateKey::generate_2048().unwrap();
    let msg = CanonicalRules::sorted().build(&twelve_params()).unwrap();
    for backend in Backend::all() {
        let key = base.with_backend(backend).unwrap();
        let public = key.public_key();
        let sig = key.sign_sha256_base64(msg.as_bytes()).unwrap();
        let raw = key.sign_sha256_raw(msg.as_bytes()).unwrap();
        c.bench_function(&format!("rsa2048/sign/{backend:?}"), |b| {
            b.iter(|| key.sign_sha256_raw(black_box(msg.as_bytes())).unwrap())
        });
        c.bench_function(&format!("rsa2048/verify/{backend:?}"), |b| {
            b.iter(|| {
                public
                    .verify_sha256_raw(black_box(msg.as_bytes()), &raw)
                    .unwrap()
            })
        });
        c.bench_function(&format!("rsa2048/verify base64/{backend:?}"), |b| {
            b.iter(|| {
                public
                    .verify_sha256((), black_box(msg.as_bytes()), &sig)
                    .unwrap()
            })
        });
    }
}

#[cfg(feature = "aws-lc")]
/// `(sign/s, verify/s)` from the `rsa 2048 bits` line of `openssl speed -seconds 1 rsa2048`.
///
/// `openssl speed` divides by the process's *user CPU* time unless given `-elapsed`, runs one
/// thread unless given `-multi`, and signs a 36-byte buffer (no hashing).
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

#[cfg(feature = "aws-lc")]
/// This thread's user CPU time in seconds (`/proc/thread-self/stat`, in clock ticks of
/// 1/100 s: the clock `openssl speed` divides by).
fn user_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14.
    let rest = &stat[stat.rfind(')')? + 1..];
    let ticks: f64 = rest.split_whitespace().nth(11)?.parse().ok()?;
    Some(ticks / 100.0)
}

#[cfg(feature = "aws-lc")]
/// Operations per second of `op` over one wall-clock second: `(per user-CPU second, per
/// wall second)`. The first compares with `openssl speed`; on a loaded machine the second is
/// lower, by the time another process held the core.
fn per_second(mut op: impl FnMut()) -> (f64, f64) {
    let cpu0 = user_cpu_seconds();
    let start = std::time::Instant::now();
    let mut n = 0u64;
    while start.elapsed() < std::time::Duration::from_secs(1) {
        op();
        n += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu0, user_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => wall,
    };
    (n as f64 / cpu, n as f64 / wall)
}

#[cfg(feature = "aws-lc")]
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// aws-lc beside openssl, measured in this run (nothing printed without `openssl`).
fn rsa_vs_openssl(_c: &mut Criterion) {
    let on_path = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !on_path {
        println!("rsa2048 vs openssl: `openssl` not on PATH, skipped");
        return;
    }
    #[cfg(not(feature = "aws-lc"))]
    println!("rsa2048 vs openssl: aws-lc backend not compiled, skipped");
    #[cfg(feature = "aws-lc")]
    aws_lc_vs_openssl();
}

#[cfg(feature = "aws-lc")]
fn aws_lc_vs_openssl() {
    use aws_lc_rs::digest::{SHA256, digest};
    use aws_lc_rs::signature::{
        ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
    };
    use secrecy::ExposeSecret;

    let key = RsaPrivateKey::generate_2048()
        .and_then(|k| k.with_backend(Backend::AwsLc))
        .unwrap();
    let public = key.public_key();
    let msg = CanonicalRules::sorted().build(&twelve_params()).unwrap();
    let sig = key.sign_sha256_raw(msg.as_bytes()).unwrap();
    // aws-lc-rs itself on a digest computed once: what `openssl speed` times (it hashes
    // nothing), so the ratio below compares the same arithmetic.
    let pkcs8 = pem::parse(key.to_pkcs8_pem().expose_secret()).unwrap();
    let pair = RsaKeyPair::from_pkcs8(pkcs8.contents()).unwrap();
    let parsed = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public.to_spki_der()).unwrap();
    let hashed = digest(&SHA256, msg.as_bytes());
    let mut out = vec![0; pair.public_modulus_len()];

    // Interleaved rounds: openssl, then ours, so both see the same load.
    let rounds = 3;
    let mut rows: Vec<[f64; 10]> = Vec::new();
    for _ in 0..rounds {
        let Some((ossl_sign, ossl_verify)) = openssl_speed() else {
            return;
        };
        let sign = per_second(|| {
            black_box(key.sign_sha256_raw(black_box(msg.as_bytes())).unwrap());
        });
        let verify = per_second(|| {
            public
                .verify_sha256_raw(black_box(msg.as_bytes()), &sig)
                .unwrap();
        });
        let sign_digest = per_second(|| {
            pair.sign_digest(&RSA_PKCS1_SHA256, black_box(&hashed), &mut out)
                .unwrap();
        });
        let verify_digest = per_second(|| {
            parsed.verify_digest_sig(black_box(&hashed), &sig).unwrap();
        });
        rows.push([
            ossl_sign,
            ossl_verify,
            sign.0,
            verify.0,
            sign_digest.0,
            verify_digest.0,
            sign.1,
            verify.1,
            sign_digest.1,
            verify_digest.1,
        ]);
    }
    let col = |i: usize| median(rows.iter().map(|r| r[i]).collect());
    let ratio = |i: usize, o: usize| median(rows.iter().map(|r| r[i] / r[o]).collect());
    println!(
        "rsa2048 vs `openssl speed -seconds 1 rsa2048` (one thread), median of {rounds} interleaved rounds, ops per user-CPU second:"
    );
    println!(
        "  openssl        sign/s {:9.1}  verify/s {:9.1}",
        col(0),
        col(1)
    );
    println!(
        "  paysig aws-lc  sign/s {:9.1}  verify/s {:9.1}  ratio sign {:.3} verify {:.3} (SHA-256 of {} bytes included)",
        col(2),
        col(3),
        ratio(2, 0),
        ratio(3, 1),
        msg.len()
    );
    println!(
        "  aws-lc digest  sign/s {:9.1}  verify/s {:9.1}  ratio sign {:.3} verify {:.3} (pre-hashed, like openssl)",
        col(4),
        col(5),
        ratio(4, 0),
        ratio(5, 1)
    );
    println!(
        "  per wall second (load shows here): paysig sign/s {:.1} verify/s {:.1}, digest sign/s {:.1} verify/s {:.1}",
        col(6),
        col(7),
        col(8),
        col(9)
    );
    println!("  target: ratio >= 0.9");
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
    targets = md5, md5_cpu, rsa, rsa_vs_openssl, jwt_rs256
}
criterion_main!(benches);
