//! A notify verifies only when its signed string has one reading: the fields received.
//!
//! Validly signed notifies (random values of every documented field, refund `orig*` fields
//! included) are generated and signed with a 2048-bit key made once per run; each is sent as
//! a form and as JSON and must verify. Then every re-split of its signed string is built:
//!
//! - a following `&k=v` (one or two of them) moved into the previous value: the same signed
//!   bytes, so the signature holds, and only the one-reading check refuses it;
//! - a later `=` of a value taken as the name/value separator: the same bytes again;
//! - characters (1 to 3 per case) moved across each field boundary (between a value and the
//!   next name) and across each name/value boundary, both ways: other bytes, refused by the
//!   signature or earlier.
//!
//! Every shifted notify is refused, in both transports; every original is accepted.

use paysig::{CanonicalRules, Params, RsaPrivateKey, RsaPublicKey};
use proptest::prelude::*;
use std::sync::OnceLock;
use sunmi::notify::{NotifyError, NotifyOptions, verify_notify_with};

/// The key playing Sunmi's notify key, generated once per run.
fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate_2048().expect("generate an RSA key"))
}

fn public() -> &'static RsaPublicKey {
    static KEY: OnceLock<RsaPublicKey> = OnceLock::new();
    KEY.get_or_init(|| key().public_key())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Form,
    Json,
}

const TRANSPORTS: [Transport; 2] = [Transport::Form, Transport::Json];

/// One received field. `number`: JSON writes the value as a bare number (its digits as
/// text), as the §6.2 sample does for `amount`, `orderType`, `payTime`, `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: String,
    value: String,
    number: bool,
}

fn text(name: &str, value: &str) -> Field {
    Field {
        name: name.into(),
        value: value.into(),
        number: false,
    }
}

/// Sunmi's signed string, written out by hand: all fields (no `sign` among them), sorted by
/// name bytes, `k=v` joined by `&`, empty values kept.
fn signed_string(fields: &[Field]) -> String {
    let mut sorted: Vec<&Field> = fields.iter().collect();
    sorted.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    sorted
        .iter()
        .map(|f| format!("{}={}", f.name, f.value))
        .collect::<Vec<_>>()
        .join("&")
}

fn sign(fields: &[Field]) -> String {
    key()
        .sign_sha256_base64(signed_string(fields).as_bytes())
        .unwrap()
}

fn body(fields: &[Field], sign: &str, transport: Transport) -> Vec<u8> {
    match transport {
        Transport::Form => {
            let mut p: Params = fields
                .iter()
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect();
            p.push("sign", sign);
            p.to_form().into_bytes()
        }
        Transport::Json => {
            let mut members: Vec<String> = fields
                .iter()
                .map(|f| {
                    let name = serde_json::to_string(&f.name).unwrap();
                    let value = if f.number {
                        f.value.clone()
                    } else {
                        serde_json::to_string(&f.value).unwrap()
                    };
                    format!("{name}:{value}")
                })
                .collect();
            members.push(format!("\"sign\":{}", serde_json::to_string(sign).unwrap()));
            format!("{{{}}}", members.join(",")).into_bytes()
        }
    }
}

fn content_type(transport: Transport) -> Option<&'static str> {
    match transport {
        Transport::Form => Some("application/x-www-form-urlencoded"),
        Transport::Json => Some("application/json"),
    }
}

fn verify(
    fields: &[Field],
    sign: &str,
    transport: Transport,
) -> Result<paysig::Verified<sunmi::Notification>, NotifyError> {
    verify_notify_with(
        content_type(transport),
        &body(fields, sign, transport),
        public(),
        &NotifyOptions::default(),
    )
}

/// The fields in signed order.
fn sorted(mut fields: Vec<Field>) -> Vec<Field> {
    fields.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    fields
}

/// A value Sunmi could send: any text without `&` (one with `&` has no single reading and is
/// refused by design), `=`, `%`, `+`, quotes, backslashes and non-ASCII included.
fn value() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_=+%. \"\\\\:/中文-]{0,10}"
}

fn digits() -> impl Strategy<Value = String> {
    (0u64..10_000_000_000).prop_map(|n| n.to_string())
}

fn notify() -> impl Strategy<Value = Vec<Field>> {
    let numbers = (
        digits(),
        digits(),
        0u8..=6,
        0u32..=u32::MAX,
        1u8..=5,
        digits(),
    );
    let strings = (
        value(),
        value(),
        value(),
        value(),
        prop_oneof!["wxpay", "alipay", "unionpay"],
        value(),
        value(),
        value(),
        proptest::option::of(value()),
    );
    let origin = proptest::collection::vec(proptest::option::of(value()), 4);
    (numbers, strings, origin).prop_map(
        |(
            (amount, buyer, order_type, pay_time, state, refunded),
            (business, mis, msn, order, platform, platform_id, code, msg, logon),
            origin,
        )| {
            let number = |name: &str, v: String| Field {
                name: name.into(),
                value: v,
                number: true,
            };
            let mut f = vec![
                number("amount", amount),
                text("businessId", &business),
                number("buyerPayAmount", buyer),
                text("misId", &mis),
                text("msn", &msn),
                text("orderId", &order),
                number("orderType", order_type.to_string()),
                number("payTime", pay_time.to_string()),
                text("platform", &platform),
                text("platformId", &platform_id),
                // A string in the §6.2 sample although documented as a number.
                text("refunded", &refunded),
                text("resultCode", &code),
                text("resultMsg", &msg),
                number("state", state.to_string()),
            ];
            if let Some(l) = logon {
                f.push(text("buyerLogonId", &l));
            }
            for (name, v) in [
                "origMisId",
                "origOrderId",
                "origPlatformId",
                "origBusinessId",
            ]
            .into_iter()
            .zip(origin)
            {
                if let Some(v) = v {
                    f.push(text(name, &v));
                }
            }
            f
        },
    )
}

/// Re-splits with the same signed bytes: each must be refused as ambiguous, naming `field`.
fn same_bytes_resplits(fields: &[Field]) -> Vec<(Vec<Field>, String)> {
    let s = sorted(fields.to_vec());
    let mut out = Vec::new();
    // `&k=v` (one or two following pairs) moved into the previous value.
    for i in 0..s.len() {
        for run in 1..=2 {
            if i + run >= s.len() {
                continue;
            }
            let mut merged = s[i].value.clone();
            for f in &s[i + 1..=i + run] {
                merged.push_str(&format!("&{}={}", f.name, f.value));
            }
            let mut shifted: Vec<Field> = s[..i].to_vec();
            shifted.push(text(&s[i].name, &merged));
            shifted.extend_from_slice(&s[i + run + 1..]);
            assert_eq!(signed_string(&shifted), signed_string(&s));
            out.push((shifted, s[i].name.clone()));
        }
    }
    // A later `=` of a value taken as the separator: `k=a=b` read as `k=a` = `b`.
    for (i, f) in s.iter().enumerate() {
        for (j, _) in f.value.match_indices('=') {
            let name = format!("{}={}", f.name, &f.value[..j]);
            let mut shifted = s.clone();
            shifted[i] = text(&name, &f.value[j + 1..]);
            out.push((shifted, name));
        }
    }
    out
}

/// `d` characters moved across each boundary (value|next name, and name|value), both ways:
/// other bytes.
fn shifted_chars(fields: &[Field], d: usize) -> Vec<Vec<Field>> {
    let s = sorted(fields.to_vec());
    let chars = |t: &str| t.chars().collect::<Vec<char>>();
    let mut out = Vec::new();
    for i in 0..s.len() {
        let name: Vec<char> = chars(&s[i].name);
        let value: Vec<char> = chars(&s[i].value);
        // name|value: the name's last d chars into the value, the value's first d into
        // the name.
        if d < name.len() {
            let mut v = s.clone();
            let (keep, moved) = name.split_at(name.len() - d);
            v[i] = text(
                &keep.iter().collect::<String>(),
                &format!("{}{}", moved.iter().collect::<String>(), s[i].value),
            );
            out.push(v);
        }
        if d <= value.len() {
            let mut v = s.clone();
            let (moved, keep) = value.split_at(d);
            v[i] = text(
                &format!("{}{}", s[i].name, moved.iter().collect::<String>()),
                &keep.iter().collect::<String>(),
            );
            out.push(v);
        }
        // value|next name.
        if i + 1 < s.len() {
            let next: Vec<char> = chars(&s[i + 1].name);
            if d <= value.len() {
                let mut v = s.clone();
                let (keep, moved) = value.split_at(value.len() - d);
                v[i] = text(&s[i].name, &keep.iter().collect::<String>());
                v[i + 1] = text(
                    &format!("{}{}", moved.iter().collect::<String>(), s[i + 1].name),
                    &s[i + 1].value,
                );
                out.push(v);
            }
            if d <= next.len() {
                let mut v = s.clone();
                let (moved, keep) = next.split_at(d);
                v[i] = text(
                    &s[i].name,
                    &format!("{}{}", s[i].value, moved.iter().collect::<String>()),
                );
                v[i + 1] = text(&keep.iter().collect::<String>(), &s[i + 1].value);
                out.push(v);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn originals_verify_and_every_resplit_is_refused(fields in notify(), d in 1usize..=3) {
        let sign = sign(&fields);
        for t in TRANSPORTS {
            let n = verify(&fields, &sign, t);
            prop_assert!(n.is_ok(), "{t:?} original refused: {n:?}");
            let n = n.unwrap();
            let get = |name: &str| fields.iter().find(|f| f.name == name).map(|f| f.value.clone());
            prop_assert_eq!(Some(n.mis_id.clone()), get("misId"));
            prop_assert_eq!(Some(n.amount.fen().to_string()), get("amount"));
            prop_assert_eq!(
                n.refund_origin.as_ref().and_then(|o| o.orig_mis_id.clone()),
                get("origMisId")
            );
            // Told by its first byte as well as by Content-Type.
            let sniffed = verify_notify_with(None, &body(&fields, &sign, t), public(), &NotifyOptions::default());
            prop_assert!(sniffed.is_ok(), "{t:?} sniffed original refused: {sniffed:?}");

            for (shifted, field) in same_bytes_resplits(&fields) {
                let r = verify(&shifted, &sign, t);
                prop_assert_eq!(
                    r.as_ref().err(),
                    Some(&NotifyError::Ambiguous { field: field.clone() }),
                    "{:?} {:?}", t, shifted
                );
            }
            for shifted in shifted_chars(&fields, d) {
                let r = verify(&shifted, &sign, t);
                prop_assert!(r.is_err(), "{t:?} shifted notify accepted: {shifted:?}");
            }
        }
    }
}

/// A genuine refund notify with `origBusinessId=B` and `origMisId=OM`.
fn genuine_refund() -> Vec<Field> {
    let mut f: Vec<Field> = [
        ("amount", "100"),
        ("businessId", ""),
        ("buyerPayAmount", "100"),
        ("misId", "MIS-R1"),
        ("msn", "D804P89V00033"),
        ("orderId", "R1"),
        ("orderType", "1"),
        ("payTime", "1563271502"),
        ("platform", "alipay"),
        ("platformId", "P-R1"),
        ("refunded", "100"),
        ("resultCode", "T00"),
        ("resultMsg", "Success"),
        ("state", "3"),
        ("origOrderId", "O1"),
        ("origPlatformId", "P1"),
        ("origBusinessId", "B"),
        ("origMisId", "OM"),
    ]
    .iter()
    .map(|(k, v)| text(k, v))
    .collect();
    f.sort_by(|a, b| a.name.cmp(&b.name));
    f
}

#[test]
fn the_attackers_notify_is_refused_although_its_signature_holds() {
    let genuine = genuine_refund();
    let sign = sign(&genuine);
    // `&origMisId=OM` moved into the value of `origBusinessId`.
    let forged: Vec<Field> = genuine
        .iter()
        .filter(|f| f.name != "origMisId")
        .map(|f| {
            if f.name == "origBusinessId" {
                text("origBusinessId", "B&origMisId=OM")
            } else {
                f.clone()
            }
        })
        .collect();
    // The same signed bytes, so the RSA signature itself holds over the forged fields.
    let forged_params: Params = forged
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    let bytes = CanonicalRules::sorted()
        .exclude(["sign"])
        .build(&forged_params)
        .unwrap();
    assert_eq!(bytes, signed_string(&genuine));
    assert!(public().verify_sha256((), bytes.as_bytes(), &sign).is_ok());

    for t in TRANSPORTS {
        let n = verify(&genuine, &sign, t).unwrap();
        let origin = n.refund_origin.clone().unwrap();
        assert_eq!(origin.orig_mis_id.as_deref(), Some("OM"));
        assert_eq!(origin.orig_business_id.as_deref(), Some("B"));

        let err = verify(&forged, &sign, t).unwrap_err();
        assert_eq!(
            err,
            NotifyError::Ambiguous {
                field: "origBusinessId".into()
            },
            "{t:?}"
        );
        assert!(err.to_string().contains("origBusinessId"), "{err}");
    }
    // The exact form body of the forgery.
    let form = body(&forged, &sign, Transport::Form);
    assert!(
        std::str::from_utf8(&form)
            .unwrap()
            .contains("origBusinessId=B%26origMisId%3DOM")
    );
}
