//! One reading per signature (issue 11): the inferred fixed-order notify string
//! `mch_id=..&money=..&..&state=..&key=<secret>` is not escaped, so a notify is accepted only if
//! the signed bytes read back into exactly the fields received.
//!
//! Generated: validly signed notifies (param present or absent, under every
//! [`AbsentParam`]), then every re-split of each signed string: characters moved across each
//! field boundary both ways, each following `&k=v` (one or several) moved into the previous
//! value (`param` included, in both directions), and each value's `=` taken as the name's end.
//! Every original must verify into exactly its fields; every re-split must be refused, and a
//! re-split whose signed string is byte for byte the original's must be refused as
//! [`NotifyError::Ambiguous`] naming the field that swallowed the separator.

mod common;

use common::md5_hex;
use mifeng::NotifyError;
use mifeng::notify::{self, AbsentParam, SIGNED_FIELDS};
use paysig::SecretString;
use paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;

const KEY: &str = "4ZWQBPN5SFP7MW6EQHXSCGLMAZVJZT4I";

type Fields = Vec<(String, String)>;

/// The signed string (without `&key=`) the verifier builds from `fields` under `absent`, as
/// the inferred scheme defines it, or `None` when it cannot build one (a signed field absent).
fn reading(fields: &Fields, absent: AbsentParam) -> Option<String> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut parts = Vec::new();
    for name in SIGNED_FIELDS {
        match (get(name), name) {
            (Some(v), _) => parts.push(format!("{name}={v}")),
            (None, "param") => match absent {
                AbsentParam::SignedAsEmpty => parts.push("param=".into()),
                AbsentParam::NotSigned => {}
                _ => return None,
            },
            (None, _) => return None,
        }
    }
    Some(parts.join("&"))
}

fn body(fields: &Fields, sign: &str) -> Vec<u8> {
    let mut obj = serde_json::Map::new();
    for (k, v) in fields {
        obj.insert(k.clone(), v.clone().into());
    }
    obj.insert("sign".into(), sign.into());
    serde_json::to_vec(&obj).unwrap()
}

fn verify(fields: &Fields, sign: &str, absent: AbsentParam) -> Result<(), NotifyError> {
    notify::verify_notify_limited(
        &body(fields, sign),
        &SecretString::from(KEY),
        absent,
        DEFAULT_NOTIFY_BODY_LIMIT,
    )
    .map(|_| ())
}

/// Free text of a signed value: anything but `&` (an honest notify has one reading), with `=`
/// often, so that re-splits at `=` exist.
fn text() -> impl Strategy<Value = String> {
    "[a-z0-9=:. _-]{0,8}"
}

fn honest() -> impl Strategy<Value = (Fields, AbsentParam)> {
    (
        "[0-9]{1,8}",
        "(0|[1-9][0-9]{0,6})\\.[0-9]{2}",
        "[0-9: =-]{0,19}",
        text(),
        text(),
        prop::option::of(text()),
        "[0-9]",
        prop_oneof![
            Just(AbsentParam::SignedAsEmpty),
            Just(AbsentParam::NotSigned),
            Just(AbsentParam::Refused)
        ],
    )
        .prop_filter(
            "an absent param is not an honest notify under Refused",
            |(.., param, _, absent)| param.is_some() || *absent != AbsentParam::Refused,
        )
        .prop_map(
            |(mch_id, money, time, order_no, out_order_no, param, state, absent)| {
                let mut f: Fields = vec![
                    ("mch_id".into(), mch_id),
                    ("money".into(), money),
                    ("notify_time".into(), time),
                    ("order_no".into(), order_no),
                    ("out_order_no".into(), out_order_no),
                ];
                if let Some(p) = param {
                    f.push(("param".into(), p));
                }
                f.push(("state".into(), state));
                (f, absent)
            },
        )
}

/// Every re-split of `f` (fields in signing order).
fn resplits(f: &Fields) -> Vec<Fields> {
    let mut out = Vec::new();
    let n = f.len();
    for i in 0..n.saturating_sub(1) {
        let (a, b) = (&f[i].1, &f[i + 1].1);
        // Characters across the boundary, both ways.
        for c in 1..=a.len() {
            let mut g = f.clone();
            g[i].1 = a[..a.len() - c].to_owned();
            g[i + 1].1 = format!("{}{b}", &a[a.len() - c..]);
            out.push(g);
        }
        for c in 1..=b.len() {
            let mut g = f.clone();
            g[i].1 = format!("{a}{}", &b[..c]);
            g[i + 1].1 = b[c..].to_owned();
            out.push(g);
        }
        // The following `&k=v` (and the ones after it) moved into value i.
        for j in i + 1..n {
            let mut g = f.clone();
            for (k, v) in &f[i + 1..=j] {
                g[i].1.push_str(&format!("&{k}={v}"));
            }
            g.drain(i + 1..=j);
            out.push(g);
        }
        // The separator moved the other way: value i's tail and `&k=` of i+1 become part of
        // the next value, under the name of field i (a preceding `&k=v` into the next value).
        let mut g = f.clone();
        g[i + 1].1 = format!("{a}&{}={b}", f[i + 1].0);
        g[i + 1].0 = f[i].0.clone();
        g.remove(i);
        out.push(g);
    }
    // A `=` inside a value read as the end of the name.
    for (i, (k, v)) in f.iter().enumerate() {
        for (at, _) in v.match_indices('=') {
            let mut g = f.clone();
            g[i] = (format!("{k}={}", &v[..at]), v[at + 1..].to_owned());
            out.push(g);
        }
    }
    out
}

#[test]
fn every_resplit_is_refused_and_every_original_accepted() {
    let originals = Cell::new(0usize);
    let shifted = Cell::new(0usize);
    let same_string = Cell::new(0usize);
    let mut runner = TestRunner::new(Config {
        cases: 1_000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&honest(), |(f, absent)| {
            let signed = reading(&f, absent).expect("honest notifies have every field");
            let sign = md5_hex(&format!("{signed}&key={KEY}"));
            // The original verifies into exactly its fields.
            let got = notify::verify_notify_limited(
                &body(&f, &sign),
                &SecretString::from(KEY),
                absent,
                DEFAULT_NOTIFY_BODY_LIMIT,
            );
            let n = got.map_err(|e| TestCaseError::fail(format!("original refused: {e}")))?;
            let field = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            prop_assert_eq!(Some(n.mch_id.clone()), field("mch_id"));
            prop_assert_eq!(Some(n.money.to_yuan_string()), field("money"));
            prop_assert_eq!(Some(n.notify_time.clone()), field("notify_time"));
            prop_assert_eq!(Some(n.order_no.clone()), field("order_no"));
            prop_assert_eq!(Some(n.out_order_no.clone()), field("out_order_no"));
            prop_assert_eq!(n.param.clone(), field("param").unwrap_or_default());
            prop_assert_eq!(n.state.to_string(), field("state").unwrap());
            originals.set(originals.get() + 1);

            for g in resplits(&f) {
                if g == f {
                    continue;
                }
                shifted.set(shifted.get() + 1);
                let refused = verify(&g, &sign, absent);
                prop_assert!(refused.is_err(), "accepted re-split {:?} of {:?}", g, f);
                if reading(&g, absent).as_deref() == Some(signed.as_str()) {
                    // The signature is genuine for these bytes: only the one-reading check
                    // stands between it and a forged field.
                    same_string.set(same_string.get() + 1);
                    let holder = g
                        .iter()
                        .find(|(k, v)| SIGNED_FIELDS.contains(&k.as_str()) && v.contains('&'))
                        .map(|(k, _)| k.clone())
                        .unwrap();
                    prop_assert_eq!(
                        refused.unwrap_err(),
                        NotifyError::Ambiguous { field: holder }
                    );
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "one_reading: {} originals accepted, {} re-splits refused ({} with the original's signed string)",
        originals.get(),
        shifted.get(),
        same_string.get()
    );
    assert_eq!(originals.get(), 1_000);
    assert!(shifted.get() >= 1_000);
    // The dangerous case (out_order_no swallowing `&param=P` under NotSigned) was generated.
    assert!(same_string.get() >= 50, "{}", same_string.get());
}

#[test]
fn the_documented_forgery_is_refused_as_ambiguous() {
    // Signed by Mifeng: out_order_no "X", param "P". Re-sent with param folded into
    // out_order_no: under NotSigned the signed bytes are the same.
    let honest: Fields = [
        ("mch_id", "1000123"),
        ("money", "10.00"),
        ("notify_time", "2022-07-25 20:41:01"),
        ("order_no", "202204157885214563228"),
        ("out_order_no", "X"),
        ("param", "P"),
        ("state", "3"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let signed = reading(&honest, AbsentParam::NotSigned).unwrap();
    let sign = md5_hex(&format!("{signed}&key={KEY}"));
    verify(&honest, &sign, AbsentParam::NotSigned).unwrap();
    let mut forged = honest.clone();
    forged[4].1 = "X&param=P".into();
    forged.remove(5);
    assert_eq!(reading(&forged, AbsentParam::NotSigned), Some(signed));
    let e = verify(&forged, &sign, AbsentParam::NotSigned).unwrap_err();
    assert_eq!(
        e,
        NotifyError::Ambiguous {
            field: "out_order_no".into()
        }
    );
    assert!(e.to_string().contains("out_order_no"), "{e}");
    // Signed as empty or refused, the same body is refused too.
    assert!(verify(&forged, &sign, AbsentParam::SignedAsEmpty).is_err());
    assert_eq!(
        verify(&forged, &sign, AbsentParam::Refused).unwrap_err(),
        NotifyError::MissingField {
            field: "param".into()
        }
    );
}

#[test]
fn a_body_over_the_limit_is_refused_before_parsing() {
    // Not even JSON: the length alone decides.
    let big = vec![b'x'; DEFAULT_NOTIFY_BODY_LIMIT + 1];
    assert_eq!(
        notify::verify_notify(&big, &SecretString::from(KEY)).unwrap_err(),
        NotifyError::BodyTooLarge {
            len: DEFAULT_NOTIFY_BODY_LIMIT + 1,
            limit: DEFAULT_NOTIFY_BODY_LIMIT
        }
    );
    assert_eq!(
        notify::parse_pairs_limited(b"{\"a\":\"1\"}", 4).unwrap_err(),
        NotifyError::BodyTooLarge { len: 9, limit: 4 }
    );
    // At the limit it is read (and refused for what it is).
    let at = vec![b'x'; DEFAULT_NOTIFY_BODY_LIMIT];
    assert!(matches!(
        notify::verify_notify(&at, &SecretString::from(KEY)).unwrap_err(),
        NotifyError::Malformed { .. }
    ));
}
