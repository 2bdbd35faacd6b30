//! Loads every case of `fixtures/signing/<provider>/<case>/` and checks each stage in turn:
//! params → canonical string → signature. A failure names the case and the stage.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paysig::md5::{CaseCheck, HexCase, KeySuffix, md5_hex, verify_hex};
use paysig::rsa::Backend;
use paysig::{CanonicalRules, Md5Signer, Params, RsaPrivateKey, RsaPublicKey, SecretString, jwt};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/signing")
}

fn read(case: &Path, stage: &str) -> String {
    let text = std::fs::read_to_string(case.join(stage))
        .unwrap_or_else(|e| panic!("{}: {stage}: {e}", case.display()));
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for provider in std::fs::read_dir(root()).unwrap() {
        let provider = provider.unwrap().path();
        if !provider.is_dir() || provider.ends_with("keys") {
            continue;
        }
        for case in std::fs::read_dir(&provider).unwrap() {
            out.push(case.unwrap().path());
        }
    }
    out.sort();
    out
}

/// Loads `key` as an RSA key pair or public key: a path to a PEM, or inline base64 DER.
fn rsa_keys(case: &Path, backend: Backend) -> (Option<RsaPrivateKey>, RsaPublicKey) {
    let key = read(case, "key");
    let path = case.join(&key);
    if key.ends_with(".pem") {
        let pem = std::fs::read_to_string(path).unwrap();
        let private = RsaPrivateKey::from_pem_or_base64_with(&pem, backend).unwrap();
        let public = private.public_key();
        (Some(private), public)
    } else {
        (
            None,
            RsaPublicKey::from_pem_or_base64_with(&key, backend).unwrap(),
        )
    }
}

fn scheme_words(case: &Path) -> (String, Vec<(String, String)>) {
    let scheme = read(case, "scheme");
    let mut words = scheme.split_whitespace();
    let kind = words.next().unwrap().to_owned();
    let opts = words
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (w.to_owned(), String::new()),
        })
        .collect();
    (kind, opts)
}

fn opt<'a>(opts: &'a [(String, String)], name: &str) -> Option<&'a str> {
    opts.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn rules(opts: &[(String, String)]) -> CanonicalRules {
    let mut r = match opt(opts, "fixed") {
        Some(keys) => CanonicalRules::fixed(keys.split(',')),
        None => CanonicalRules::sorted(),
    };
    if let Some(ex) = opt(opts, "exclude") {
        r = r.exclude(ex.split(','));
    }
    if opt(opts, "drop-empty").is_some() {
        r = r.drop_empty();
    }
    r
}

fn check_case(case: &Path) {
    let name = case.strip_prefix(root()).unwrap().display().to_string();
    let (kind, opts) = scheme_words(case);
    let raw_params = read(case, "params");
    let canonical = read(case, "canonical");
    let signature = read(case, "signature");
    match kind.as_str() {
        "md5" if opt(&opts, "concat").is_some() => {
            let params = Params::parse_form(raw_params.as_bytes()).unwrap();
            let joined: String = opt(&opts, "concat")
                .unwrap()
                .split(',')
                .map(|k| {
                    params
                        .get(k)
                        .unwrap_or_else(|| panic!("{name}: params lack {k}"))
                })
                .collect();
            assert_eq!(joined, canonical, "{name}: stage canonical");
            assert_eq!(
                md5_hex(joined.as_bytes(), HexCase::Lower),
                signature,
                "{name}: stage signature"
            );
            assert!(
                verify_hex(
                    (),
                    joined.as_bytes(),
                    &signature.to_uppercase(),
                    CaseCheck::Insensitive,
                    HexCase::Lower
                )
                .is_ok()
            );
        }
        "md5" => {
            let params = Params::parse_form(raw_params.as_bytes()).unwrap();
            let r = rules(&opts);
            assert_eq!(
                r.build(&params).unwrap(),
                canonical,
                "{name}: stage canonical"
            );
            let suffix = match opt(&opts, "suffix") {
                Some("append") => KeySuffix::Append,
                Some("key") => KeySuffix::key_param(),
                other => panic!("{name}: unknown suffix {other:?}"),
            };
            let case_ = if opt(&opts, "case") == Some("upper") {
                HexCase::Upper
            } else {
                HexCase::Lower
            };
            let signer = Md5Signer::new(r, suffix, case_);
            let key = SecretString::from(read(case, "key"));
            assert_eq!(
                signer.sign(&params, &key).unwrap(),
                signature,
                "{name}: stage signature"
            );
            assert!(
                signer.verify(params, &signature, &key).is_ok(),
                "{name}: verify"
            );
        }
        "rsa-sha256" => {
            let params = Params::parse_form(raw_params.as_bytes()).unwrap();
            assert_eq!(
                rules(&opts).build(&params).unwrap(),
                canonical,
                "{name}: stage canonical"
            );
            assert_eq!(
                params.get("sign"),
                Some(signature.as_str()),
                "{name}: sign field"
            );
            for backend in Backend::all() {
                let (private, public) = rsa_keys(case, backend);
                if let Some(private) = private {
                    // PKCS#1 v1.5 is deterministic: our signature must equal openssl's byte for byte.
                    assert_eq!(
                        private.sign_sha256_base64(canonical.as_bytes()).unwrap(),
                        signature,
                        "{name}: sign on {backend:?}"
                    );
                }
                assert!(
                    public
                        .verify_sha256((), canonical.as_bytes(), &signature)
                        .is_ok(),
                    "{name}: verify on {backend:?}"
                );
            }
        }
        "jwt-rs256" => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(raw_params.as_bytes());
            assert_eq!(
                format!("{header}.{payload}"),
                canonical,
                "{name}: stage signing input"
            );
            for backend in Backend::all() {
                let (private, public) = rsa_keys(case, backend);
                let token =
                    jwt::encode_rs256_bytes(raw_params.as_bytes(), &private.unwrap()).unwrap();
                assert_eq!(
                    token,
                    format!("{canonical}.{signature}"),
                    "{name}: stage token on {backend:?}"
                );
                let claims: paysig::Verified<serde_json::Value> =
                    jwt::decode_rs256(&token, &public).unwrap();
                assert_eq!(
                    *claims,
                    serde_json::from_str::<serde_json::Value>(&raw_params).unwrap()
                );
            }
        }
        other => panic!("{name}: unknown scheme {other}"),
    }
}

#[test]
fn every_signing_vector_holds_at_every_stage() {
    let all = cases();
    assert!(
        all.len() >= 8,
        "expected the signing vectors, found {}",
        all.len()
    );
    for case in &all {
        check_case(case);
    }
}

fn sunmi_golden() -> (Params, String, String) {
    let case = root().join("sunmi/notify_6_2");
    let params = Params::parse_form(read(&case, "params").as_bytes()).unwrap();
    (params, read(&case, "signature"), read(&case, "key"))
}

fn verify_sunmi(params: &Params, sig: &str, key: &RsaPublicKey) -> bool {
    let canonical = CanonicalRules::sorted()
        .exclude(["sign"])
        .build(params)
        .unwrap();
    key.verify_sha256((), canonical.as_bytes(), sig).is_ok()
}

#[test]
fn sunmi_6_2_sample_verifies_with_the_6_4_key_on_every_backend() {
    let (params, sig, key) = sunmi_golden();
    assert_eq!(
        Backend::all().len(),
        if cfg!(all(feature = "aws-lc", feature = "rsa-backend")) {
            2
        } else {
            1
        }
    );
    for backend in Backend::all() {
        let key = RsaPublicKey::from_pem_or_base64_with(&key, backend).unwrap();
        assert!(verify_sunmi(&params, &sig, &key), "{backend:?}");
    }
}

#[test]
fn any_single_field_change_breaks_the_sunmi_6_2_signature() {
    let (params, sig, key) = sunmi_golden();
    for backend in Backend::all() {
        let key = RsaPublicKey::from_pem_or_base64_with(&key, backend).unwrap();
        let fields: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| *k != "sign")
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        for (k, v) in &fields {
            // changed value
            let mut p = params.clone();
            p.set(k, format!("{v}0"));
            assert!(
                !verify_sunmi(&p, &sig, &key),
                "{backend:?}: changing {k} still verified"
            );
            // dropped field
            let mut p = params.clone();
            p.remove(k);
            assert!(
                !verify_sunmi(&p, &sig, &key),
                "{backend:?}: dropping {k} still verified"
            );
        }
        // an added field, even an empty one (empty values are signed over)
        for extra in ["zzz=", "attach=1", "origOrderId="] {
            let (k, v) = extra.split_once('=').unwrap();
            let p = params.clone().with(k, v);
            assert!(
                !verify_sunmi(&p, &sig, &key),
                "{backend:?}: adding {extra} still verified"
            );
        }
        // another key
        let other = RsaPrivateKey::generate_2048()
            .unwrap()
            .public_key()
            .with_backend(backend)
            .unwrap();
        assert!(
            !verify_sunmi(&params, &sig, &other),
            "{backend:?}: another key verified"
        );
    }
}
