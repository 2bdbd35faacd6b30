//! Property tests: money round trips, canonical string invariants, sign/verify, tampering.

use paysig::md5::{HexCase, KeySuffix};
use paysig::{CanonicalRules, Md5Signer, Money, Params, RsaPrivateKey, SecretString};
use proptest::prelude::*;
use std::sync::OnceLock;

fn rsa_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate_2048().unwrap())
}

fn key_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,11}"
}

fn params_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(key_strategy(), "[^&=]{0,12}", 0..12)
        .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #[test]
    fn money_formats_and_parses_back(fen in any::<u64>()) {
        let m = Money::from_fen(fen);
        prop_assert_eq!(Money::parse_yuan(&m.to_yuan_string()).unwrap(), m);
        prop_assert_eq!(Money::parse_fen(&m.to_fen_string()).unwrap(), m);
    }

    #[test]
    fn yuan_text_round_trips(whole in 0u64..10_000_000_000, frac in 0u64..100) {
        let text = format!("{whole}.{frac:02}");
        prop_assert_eq!(Money::parse_yuan(&text).unwrap().to_yuan_string(), text);
    }

    #[test]
    fn three_decimals_never_parse(whole in 0u64..1_000_000, frac in 0u64..1000) {
        let text = format!("{whole}.{frac:03}");
        prop_assert!(Money::parse_yuan(&text).is_err());
    }

    #[test]
    fn canonical_string_is_sorted_complete_and_order_independent(pairs in params_strategy()) {
        let p: Params = pairs.iter().cloned().collect();
        let mut reversed = pairs.clone();
        reversed.reverse();
        let q: Params = reversed.into_iter().collect();
        let rules = CanonicalRules::sorted();
        let s = rules.build(&p).unwrap();
        prop_assert_eq!(&s, &rules.build(&q).unwrap());
        let keys: Vec<&str> = if s.is_empty() { vec![] } else { s.split('&').map(|kv| kv.split_once('=').unwrap().0).collect() };
        let mut sorted = keys.clone();
        sorted.sort();
        prop_assert_eq!(&keys, &sorted);
        prop_assert_eq!(keys.len(), pairs.len());
        let dropped = rules.clone().drop_empty().build(&p).unwrap();
        prop_assert_eq!(dropped.split('&').filter(|x| !x.is_empty()).count(), pairs.iter().filter(|(_, v)| !v.is_empty()).count());
    }

    #[test]
    fn excluded_keys_never_reach_the_string(pairs in params_strategy(), sign in "[A-F0-9]{32}") {
        let p: Params = pairs.into_iter().filter(|(k, _)| k != "sign").collect::<Params>().with("sign", sign.clone());
        let s = CanonicalRules::sorted().exclude(["sign"]).build(&p).unwrap();
        prop_assert!(!s.split('&').any(|kv| kv.starts_with("sign=")));
    }

    #[test]
    fn md5_sign_then_verify_and_any_value_change_fails(pairs in params_strategy(), idx in any::<prop::sample::Index>()) {
        let signer = Md5Signer::new(CanonicalRules::sorted().exclude(["sign"]), KeySuffix::Append, HexCase::Upper);
        let key = SecretString::from("k3y");
        let p: Params = pairs.iter().cloned().collect();
        let sig = signer.sign(&p, &key).unwrap();
        prop_assert!(signer.verify(p.clone(), &sig, &key).is_ok());
        if !pairs.is_empty() {
            let (k, v) = &pairs[idx.index(pairs.len())];
            let mut q = p.clone();
            q.set(k, format!("{v}x"));
            prop_assert!(signer.verify(q, &sig, &key).is_err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn rsa_flipping_any_byte_of_message_or_signature_fails(msg in prop::collection::vec(any::<u8>(), 1..200), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let key = rsa_key();
        let raw = key.sign_sha256_raw(&msg).unwrap();
        for backend in paysig::rsa::Backend::all() {
            let public = key.public_key().with_backend(backend).unwrap();
            prop_assert!(public.verify_sha256_raw(&msg, &raw).is_ok());
            let mut m = msg.clone();
            let i = pos.index(m.len());
            m[i] ^= 1 << bit;
            prop_assert!(public.verify_sha256_raw(&m, &raw).is_err());
            let mut s = raw.clone();
            let j = pos.index(s.len());
            s[j] ^= 1 << bit;
            prop_assert!(public.verify_sha256_raw(&msg, &s).is_err());
        }
    }
}
