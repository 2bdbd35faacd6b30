//! Key loading in every documented format, and JWT rejection paths, on every backend.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use paysig::jwt::{self, JwtError, Segment};
use paysig::rsa::{Backend, KeySizePolicy};
use paysig::{RsaPrivateKey, RsaPublicKey, SignError};
use std::path::Path;

fn key_file(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/signing/keys")
            .join(name),
    )
    .unwrap()
}

fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

#[test]
fn keys_load_from_every_format_and_agree() {
    for backend in Backend::all() {
        let pkcs8 =
            RsaPrivateKey::from_pem_or_base64_with(&key_file("test_rsa_pkcs8.pem"), backend)
                .unwrap();
        let pkcs1 =
            RsaPrivateKey::from_pem_or_base64_with(&key_file("test_rsa_pkcs1.pem"), backend)
                .unwrap();
        let bare8 = RsaPrivateKey::from_pem_or_base64_with(
            &pem_body(&key_file("test_rsa_pkcs8.pem")),
            backend,
        )
        .unwrap();
        let spki =
            RsaPublicKey::from_pem_or_base64_with(&key_file("test_rsa_spki.pem"), backend).unwrap();
        let pub1 =
            RsaPublicKey::from_pem_or_base64_with(&key_file("test_rsa_pkcs1_pub.pem"), backend)
                .unwrap();
        let bare_spki = RsaPublicKey::from_pem_or_base64_with(
            &pem_body(&key_file("test_rsa_spki.pem")),
            backend,
        )
        .unwrap();
        let bare_pkcs1 = RsaPublicKey::from_pem_or_base64_with(
            &pem_body(&key_file("test_rsa_pkcs1_pub.pem")),
            backend,
        )
        .unwrap();
        assert_eq!(pkcs8.public_key().to_spki_der(), spki.to_spki_der());
        assert_eq!(pkcs1.public_key().to_spki_der(), spki.to_spki_der());
        for signer in [&pkcs8, &pkcs1, &bare8] {
            let sig = signer.sign_sha256_base64(b"m").unwrap();
            for verifier in [&spki, &pub1, &bare_spki, &bare_pkcs1] {
                assert!(
                    verifier.verify_sha256((), b"m", &sig).is_ok(),
                    "{backend:?}"
                );
            }
        }
    }
}

#[test]
fn bad_keys_are_typed_errors_without_key_material() {
    for backend in Backend::all() {
        let e = RsaPublicKey::from_pem_or_base64_with("not a key!", backend).unwrap_err();
        assert!(matches!(e, SignError::BadKey { .. }), "{e:?}");
        let e = RsaPublicKey::from_pem_or_base64_with(&key_file("test_rsa_pkcs8.pem"), backend)
            .unwrap_err();
        assert!(
            matches!(e, SignError::BadKey { ref reason } if reason.contains("PRIVATE KEY")),
            "{e:?}"
        );
        let e = RsaPrivateKey::from_pem_or_base64_with(&STANDARD.encode(b"garbage der"), backend)
            .unwrap_err();
        assert!(matches!(e, SignError::BadKey { .. }));
    }
    let private = RsaPrivateKey::from_pem_or_base64(&key_file("test_rsa_pkcs8.pem")).unwrap();
    let body = pem_body(&key_file("test_rsa_pkcs8.pem"));
    let debug = format!("{private:?}");
    assert!(
        debug.contains("REDACTED") && !debug.contains(&body[40..80]),
        "{debug}"
    );
}

fn assert_size_refused(e: SignError, bits: usize, what: &str) {
    assert_eq!(
        e,
        SignError::BadKey {
            reason: format!("RSA key of {bits} bits; 2048 to 4096 accepted")
        },
        "{what}"
    );
}

#[test]
fn keys_outside_2048_to_4096_bits_are_refused_at_load_on_every_backend() {
    for backend in Backend::all() {
        let e = RsaPrivateKey::from_pem_or_base64_with(&key_file("test_rsa_1024.pem"), backend)
            .unwrap_err();
        assert_size_refused(e, 1024, &format!("{backend:?} private"));
        let e = RsaPrivateKey::from_pem_or_base64_with(
            &pem_body(&key_file("test_rsa_1024.pem")),
            backend,
        )
        .unwrap_err();
        assert_size_refused(e, 1024, &format!("{backend:?} bare private"));
        let e = RsaPublicKey::from_pem_or_base64_with(&key_file("test_rsa_1024_spki.pem"), backend)
            .unwrap_err();
        assert_size_refused(e, 1024, &format!("{backend:?} public"));
        for bits in [2047, 4097, 8192] {
            let e = RsaPublicKey::from_pem_or_base64_with(
                &STANDARD.encode(pkcs1_public_of_bits(bits)),
                backend,
            )
            .unwrap_err();
            assert_size_refused(e, bits, &format!("{backend:?} public"));
        }
    }
}

#[test]
fn keys_of_2048_and_4096_bits_load_and_sign_on_every_backend() {
    for backend in Backend::all() {
        for (private, public) in [
            ("test_rsa_pkcs8.pem", "test_rsa_spki.pem"),
            ("test_rsa_4096.pem", "test_rsa_4096_spki.pem"),
        ] {
            let key = RsaPrivateKey::from_pem_or_base64_with(&key_file(private), backend).unwrap();
            let public = RsaPublicKey::from_pem_or_base64_with(&key_file(public), backend).unwrap();
            assert_eq!(key.public_key().to_spki_der(), public.to_spki_der());
            let sig = key.sign_sha256_base64(b"m").unwrap();
            assert!(public.verify_sha256((), b"m", &sig).is_ok(), "{backend:?}");
        }
        for bits in [2048, 4096] {
            assert!(
                RsaPublicKey::from_pem_or_base64_with(
                    &STANDARD.encode(pkcs1_public_of_bits(bits)),
                    backend
                )
                .is_ok(),
                "{backend:?} {bits}"
            );
        }
    }
}

fn pooul_file(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/pooul")
            .join(name),
    )
    .unwrap()
}

#[test]
fn legacy_policy_loads_1024_bit_public_keys_and_verifies_on_every_backend() {
    // Pooul's published platform key and the docs' sample answer signed with it.
    let pem = pooul_file("devdocs/platform_public_1024.pem");
    let token = pooul_file("devdocs/sample_response.jwt");
    for backend in Backend::all() {
        // The default policy still refuses it, by size.
        let e = RsaPublicKey::from_pem_or_base64_using(&pem, backend, KeySizePolicy::Standard)
            .unwrap_err();
        assert_size_refused(e, 1024, &format!("{backend:?} standard"));
        let key = RsaPublicKey::from_pem_or_base64_using(&pem, backend, KeySizePolicy::Legacy1024)
            .unwrap();
        assert_eq!(key.backend(), backend);
        assert_eq!(key.modulus_bits(), 1024);
        assert_eq!(key.key_size_policy(), KeySizePolicy::Legacy1024);
        let payload = jwt::verify_rs256(token.trim(), &key).unwrap();
        assert!(payload.starts_with(b"{\"code\":0"), "{backend:?}");
        // One changed byte of the signed part fails on the legacy algorithm too.
        let mut tampered = token.trim().to_owned();
        let i = tampered.find('.').unwrap() + 5;
        let c = if &tampered[i..=i] == "A" { "B" } else { "A" };
        tampered.replace_range(i..=i, c);
        assert_eq!(
            jwt::verify_rs256(&tampered, &key).unwrap_err(),
            JwtError::Signature,
            "{backend:?}"
        );
        // The other backend gets the same policy with the key.
        for other in Backend::all() {
            let moved = key.with_backend(other).unwrap();
            assert_eq!(moved.key_size_policy(), KeySizePolicy::Legacy1024);
            assert!(jwt::verify_rs256(token.trim(), &moved).is_ok(), "{other:?}");
        }
        // PKCS#1 and bare base64 forms load under the policy as well.
        let bare = pem_body(&key_file("test_rsa_1024_spki.pem"));
        assert!(
            RsaPublicKey::from_pem_or_base64_using(&bare, backend, KeySizePolicy::Legacy1024)
                .is_ok()
        );
        let spki = pooul_file("legacy1024/test_platform_public_1024.pem");
        let key = RsaPublicKey::from_pem_or_base64_using(&spki, backend, KeySizePolicy::Legacy1024)
            .unwrap();
        let notify = pooul_file("legacy1024/pay_notify.jwt");
        assert!(
            jwt::verify_rs256(notify.trim(), &key).is_ok(),
            "{backend:?}"
        );
        // ...and the sample answer does not verify with another 1024-bit key.
        assert_eq!(
            jwt::verify_rs256(token.trim(), &key).unwrap_err(),
            JwtError::Signature
        );
    }
}

#[test]
fn legacy_policy_keeps_its_bounds_and_private_keys_stay_at_2048() {
    for backend in Backend::all() {
        for bits in [1023, 512, 4097] {
            let e = RsaPublicKey::from_pem_or_base64_using(
                &STANDARD.encode(pkcs1_public_of_bits(bits)),
                backend,
                KeySizePolicy::Legacy1024,
            )
            .unwrap_err();
            assert_eq!(
                e,
                SignError::BadKey {
                    reason: format!("RSA key of {bits} bits; 1024 to 4096 accepted")
                },
                "{backend:?} {bits}"
            );
        }
        for bits in [1024, 1536, 2047, 2048, 4096] {
            let key = RsaPublicKey::from_pem_or_base64_using(
                &STANDARD.encode(pkcs1_public_of_bits(bits)),
                backend,
                KeySizePolicy::Legacy1024,
            )
            .unwrap();
            assert_eq!(key.modulus_bits(), bits, "{backend:?}");
        }
        // No policy reaches private keys: a 1024-bit signing key is refused on every path.
        let e = RsaPrivateKey::from_pem_or_base64_with(
            &pooul_file("legacy1024/test_platform_private_1024.pem"),
            backend,
        )
        .unwrap_err();
        assert_size_refused(e, 1024, &format!("{backend:?} private"));
    }
    assert_eq!(KeySizePolicy::default(), KeySizePolicy::Standard);
    assert!(!KeySizePolicy::Standard.allows(1024));
    assert!(KeySizePolicy::Legacy1024.allows(1024));
}

/// A DER element with a definite length.
fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// A PKCS#1 `RSAPublicKey` with an odd modulus of exactly `bits` bits and e = 65537.
/// Nobody holds its private half; it only exercises the size rule.
fn pkcs1_public_of_bits(bits: usize) -> Vec<u8> {
    let bytes = bits.div_ceil(8);
    let mut n = vec![0xc5u8; bytes];
    n[0] = 0xff >> (bytes * 8 - bits);
    n[bytes - 1] |= 1;
    if n[0] & 0x80 != 0 {
        n.insert(0, 0);
    }
    let mut body = tlv(0x02, &n);
    body.extend(tlv(0x02, &[0x01, 0x00, 0x01]));
    tlv(0x30, &body)
}

#[test]
fn signature_errors_are_distinct() {
    let key = RsaPrivateKey::from_pem_or_base64(&key_file("test_rsa_pkcs8.pem")).unwrap();
    let public = key.public_key();
    let sig = key.sign_sha256_base64(b"m").unwrap();
    assert_eq!(
        public.verify_sha256((), b"m", "").unwrap_err(),
        SignError::MissingSignature {
            field: "sign".into()
        }
    );
    assert_eq!(
        public.verify_sha256((), b"m", "!!!").unwrap_err(),
        SignError::BadEncoding { encoding: "base64" }
    );
    assert_eq!(
        public.verify_sha256((), b"n", &sig).unwrap_err(),
        SignError::Mismatch
    );
    assert_eq!(
        public
            .verify_sha256((), b"m", &STANDARD.encode([0u8; 10]))
            .unwrap_err(),
        SignError::Mismatch
    );
}

fn token_parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

#[test]
fn jwt_round_trips_and_rejects_each_tampering_with_its_own_error() {
    for backend in Backend::all() {
        let key = RsaPrivateKey::from_pem_or_base64_with(&key_file("test_rsa_pkcs8.pem"), backend)
            .unwrap();
        let public = key.public_key();
        let claims = serde_json::json!({"code": 0, "data": {"total_fee": 1}, "nonce_str": "n"});
        let token = jwt::encode_rs256(&claims, &key).unwrap();
        let got: paysig::Verified<serde_json::Value> = jwt::decode_rs256(&token, &public).unwrap();
        assert_eq!(*got, claims);
        let p = token_parts(&token);
        let d = |t: &str| jwt::decode_rs256::<serde_json::Value>(t, &public).unwrap_err();

        assert_eq!(
            d(&format!("{}.{}", p[0], p[1])),
            JwtError::Segments { found: 2 }
        );
        assert_eq!(d(&format!("{token}.x")), JwtError::Segments { found: 4 });
        assert_eq!(
            d(&format!("@@.{}.{}", p[1], p[2])),
            JwtError::Base64 {
                segment: Segment::Header
            }
        );
        assert_eq!(
            d(&format!("{}.@@.{}", p[0], p[2])),
            JwtError::Base64 {
                segment: Segment::Payload
            }
        );
        assert_eq!(
            d(&format!("{}.{}.@@", p[0], p[1])),
            JwtError::Base64 {
                segment: Segment::Signature
            }
        );
        let not_json = URL_SAFE_NO_PAD.encode("{nope");
        assert!(matches!(
            d(&format!("{not_json}.{}.{}", p[1], p[2])),
            JwtError::Json {
                segment: Segment::Header,
                ..
            }
        ));

        // alg none, with and without a signature
        let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            d(&format!("{none}.{}.", p[1])),
            JwtError::Algorithm {
                found: "none".into()
            }
        );
        assert_eq!(
            d(&format!("{none}.{}.{}", p[1], p[2])),
            JwtError::Algorithm {
                found: "none".into()
            }
        );
        // HS256 "signed" with the public key as the HMAC secret: refused before any check
        let hs = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        assert_eq!(
            d(&format!("{hs}.{}.{}", p[1], p[2])),
            JwtError::Algorithm {
                found: "HS256".into()
            }
        );
        let noalg = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT"}"#);
        assert_eq!(
            d(&format!("{noalg}.{}.{}", p[1], p[2])),
            JwtError::Algorithm {
                found: String::new()
            }
        );

        // tampered payload
        let forged =
            URL_SAFE_NO_PAD.encode(r#"{"code":0,"data":{"total_fee":100000},"nonce_str":"n"}"#);
        assert_eq!(
            d(&format!("{}.{forged}.{}", p[0], p[2])),
            JwtError::Signature
        );
        // wrong key
        let other = RsaPrivateKey::generate_2048()
            .unwrap()
            .with_backend(backend)
            .unwrap();
        let foreign = jwt::encode_rs256(&claims, &other).unwrap();
        assert_eq!(d(&foreign), JwtError::Signature);
        // verified but not the expected shape
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wanted {
            missing: u8,
        }
        assert!(matches!(
            jwt::decode_rs256::<Wanted>(&token, &public).unwrap_err(),
            JwtError::Json {
                segment: Segment::Payload,
                ..
            }
        ));
    }
}

/// Header and signature are decoded on the stack when they fit; a header past that buffer
/// (and a 4096-bit signature) read the same, and tampering is still caught.
#[test]
fn a_long_header_and_a_4096_bit_signature_verify_like_short_ones() {
    let key = RsaPrivateKey::from_pem_or_base64(&key_file("test_rsa_pkcs8.pem")).unwrap();
    let claims = URL_SAFE_NO_PAD.encode(r#"{"code":0}"#);
    for kid_len in [0, 100, 200, 1000] {
        let header = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#,
            "k".repeat(kid_len)
        ));
        let signed = format!("{header}.{claims}");
        let sig = URL_SAFE_NO_PAD.encode(key.sign_sha256_raw(signed.as_bytes()).unwrap());
        let token = format!("{signed}.{sig}");
        let got = jwt::verify_rs256(&token, &key.public_key()).unwrap();
        assert_eq!(*got, br#"{"code":0}"#, "kid of {kid_len}");
        let bad = format!("{signed}.{}", &sig[..sig.len() - 4]);
        assert!(jwt::verify_rs256(&bad, &key.public_key()).is_err());
        let junk = format!("{header}@.{claims}.{sig}");
        assert_eq!(
            jwt::verify_rs256(&junk, &key.public_key()).unwrap_err(),
            JwtError::Base64 {
                segment: Segment::Header
            }
        );
    }
    let big = RsaPrivateKey::from_pem_or_base64(&key_file("test_rsa_4096.pem")).unwrap();
    let token = jwt::encode_rs256(&serde_json::json!({"a": 1}), &big).unwrap();
    assert_eq!(
        *jwt::verify_rs256(&token, &big.public_key()).unwrap(),
        br#"{"a":1}"#
    );
    let cut = &token[..token.len() - 4];
    assert_eq!(
        jwt::verify_rs256(cut, &big.public_key()).unwrap_err(),
        JwtError::Signature
    );
}

#[test]
fn backends_are_interchangeable() {
    let all = Backend::all();
    let key = RsaPrivateKey::from_pem_or_base64(&key_file("test_rsa_pkcs8.pem")).unwrap();
    for a in &all {
        for b in &all {
            let token =
                jwt::encode_rs256(&serde_json::json!({"x": 1}), &key.with_backend(*a).unwrap())
                    .unwrap();
            let public = key.public_key().with_backend(*b).unwrap();
            assert!(
                jwt::decode_rs256::<serde_json::Value>(&token, &public).is_ok(),
                "{a:?} -> {b:?}"
            );
        }
    }
}
