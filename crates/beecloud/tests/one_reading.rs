//! One reading: a validly signed webhook is accepted only as the fields that were signed.
//!
//! V2 signs `app_id + transaction_id + transaction_type + channel_type + transaction_fee +
//! master_secret` with no separators. For random valid notifies, every re-split of the signed
//! string (1..n characters moved across each field boundary, both ways) carries the same
//! signature and must be refused; the original must be accepted. V1 and V1Snake sign only the
//! timestamp: every other spelling of it, re-signed as a sender would, must be refused.
//! Signatures are computed here with the md-5 crate, not with the crate under test.

mod common;

use beecloud::clock::FixedClock;
use beecloud::notify::grammar::{self, CHANNELS, MAX_TIMESTAMP_MS};
use beecloud::notify::{TimestampCheck, TransactionType};
use beecloud::{NotifyError, Webhook, WebhookConfig};
use common::{APP_ID, APP_SECRET, MASTER_SECRET, md5_lower};
use paysig::Money;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;
use time::OffsetDateTime;

const SIGNED: [&str; 4] = [
    "transaction_id",
    "transaction_type",
    "channel_type",
    "transaction_fee",
];

fn v2_hook() -> Webhook {
    Webhook::new(
        APP_ID,
        WebhookConfig::v2(MASTER_SECRET).timestamp_check(TimestampCheck::Skip),
    )
}

/// A V2 body of these four field texts, signed over their concatenation. The fee is sent as
/// a JSON string (its exact text), or as a JSON integer when `fee_as_number` and its text is
/// a plain integer's.
fn v2_body(f: &[String; 4], fee_as_number: bool) -> Vec<u8> {
    let [id, ty, ch, fee] = f;
    let signature = md5_lower(&format!("{APP_ID}{id}{ty}{ch}{fee}{MASTER_SECRET}"));
    let fee_value = match fee.parse::<u64>() {
        Ok(n) if fee_as_number && n.to_string() == *fee => json!(n),
        _ => json!(fee),
    };
    serde_json::to_vec(&json!({
        "signature": signature, "transaction_id": id, "transaction_type": ty,
        "channel_type": ch, "transaction_fee": fee_value, "trade_success": true,
    }))
    .unwrap()
}

/// Every re-split of `f`: for each boundary, 1..=n characters moved from the end of the left
/// field to the start of the right one, and from the start of the right to the end of the
/// left. The concatenation, hence the signature, is unchanged.
fn resplits(f: &[String; 4]) -> Vec<[String; 4]> {
    let mut out = Vec::new();
    for b in 0..3 {
        let (left, right) = (&f[b], &f[b + 1]);
        for k in 1..=left.len() {
            let mut g = f.clone();
            g[b] = left[..left.len() - k].to_owned();
            g[b + 1] = format!("{}{right}", &left[left.len() - k..]);
            out.push(g);
        }
        for k in 1..=right.len() {
            let mut g = f.clone();
            g[b] = format!("{left}{}", &right[..k]);
            g[b + 1] = right[k..].to_owned();
            out.push(g);
        }
    }
    out
}

fn date() -> impl Strategy<Value = String> {
    (1990u16..=2099, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y:04}{m:02}{d:02}"))
}

/// A valid `(transaction_id, transaction_type)`: a bill number for PAY and TRANSFER, a refund
/// number for REFUND.
fn id_and_type() -> impl Strategy<Value = (String, TransactionType)> {
    prop_oneof![
        "[A-Za-z0-9]{1,32}".prop_map(|id| (id, TransactionType::Pay)),
        "[A-Za-z0-9]{1,32}".prop_map(|id| (id, TransactionType::Transfer)),
        (date(), "[A-Za-z0-9]{3,24}")
            .prop_filter("serial 000", |(_, s)| s != "000")
            .prop_map(|(d, s)| (format!("{d}{s}"), TransactionType::Refund)),
    ]
}

fn valid_v2() -> impl Strategy<Value = ([String; 4], bool)> {
    (
        id_and_type(),
        prop::sample::select(CHANNELS.to_vec()),
        1u64..=beecloud::model::MAX_FEE_FEN,
        any::<bool>(),
    )
        .prop_map(|((id, ty), ch, fee, as_number)| {
            (
                [id, ty.as_str().to_owned(), ch.to_owned(), fee.to_string()],
                as_number,
            )
        })
}

/// Refused by the grammar (a field named) or as ambiguous: never by the signature, which
/// matches.
fn assert_refused_by_grammar(
    result: Result<impl std::fmt::Debug, NotifyError>,
    case: &[String; 4],
) {
    match result {
        Err(NotifyError::InvalidField { field, .. })
        | Err(NotifyError::Ambiguous { field, .. }) => {
            assert!(SIGNED.contains(&field), "{case:?}: named {field}")
        }
        other => panic!("{case:?} was not refused by the grammar: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn v2_accepts_the_original_and_refuses_every_resplit((fields, fee_as_number) in valid_v2()) {
        let hook = v2_hook();
        let event = hook.verify_notify(&v2_body(&fields, fee_as_number)).expect("the original verifies");
        prop_assert_eq!(&event.transaction_id, &fields[0]);
        prop_assert_eq!(event.transaction_type.as_str(), fields[1].as_str());
        prop_assert_eq!(event.channel_type.as_str(), fields[2].as_str());
        prop_assert_eq!(event.transaction_fee, Money::from_fen(fields[3].parse().unwrap()));
        let shifted = resplits(&fields);
        prop_assert!(!shifted.is_empty());
        for case in shifted {
            assert_refused_by_grammar(hook.verify_notify(&v2_body(&case, fee_as_number)), &case);
        }
    }

    /// The grammar alone, by brute force over every split of the signed middle string into
    /// four parts (not only the moves of one boundary): exactly one satisfies all four field
    /// grammars, the fields signed; and `v2_readings` finds the same single reading.
    #[test]
    fn v2_middle_string_has_exactly_one_reading((fields, _) in valid_v2()) {
        let middle = fields.concat();
        let n = middle.len();
        let mut readings = Vec::new();
        for i in 1..n {
            for j in i + 1..n {
                let Ok(ty) = grammar::transaction_type(&middle[i..j]) else { continue };
                if grammar::transaction_id(&middle[..i], ty).is_err() {
                    continue;
                }
                for k in j + 1..n {
                    if grammar::channel(&middle[j..k]).is_ok() && grammar::fee(&middle[k..]).is_ok() {
                        readings.push((i, j, k));
                    }
                }
            }
        }
        let a = fields[0].len();
        let b = a + fields[1].len();
        let c = b + fields[2].len();
        prop_assert_eq!(readings, vec![(a, b, c)]);
        let found = grammar::v2_readings(&middle);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].transaction_id, fields[0].as_str());
        prop_assert_eq!(found[0].channel_type, fields[2].as_str());
        prop_assert_eq!(found[0].transaction_fee, fields[3].as_str());
    }

    #[test]
    fn v1_accepts_the_original_timestamp_and_refuses_every_other_spelling(
        ts in 1i64..=MAX_TIMESTAMP_MS,
        as_string in any::<bool>(),
        k in 1usize..13,
    ) {
        timestamp_spellings(Scheme::V1, ts, as_string, k)?;
    }

    #[test]
    fn v1_snake_accepts_the_original_timestamp_and_refuses_every_other_spelling(
        ts in 1i64..=MAX_TIMESTAMP_MS,
        as_string in any::<bool>(),
        k in 1usize..13,
    ) {
        timestamp_spellings(Scheme::V1Snake, ts, as_string, k)?;
    }
}

#[derive(Clone, Copy)]
enum Scheme {
    V1,
    V1Snake,
}

impl Scheme {
    fn hook(self, ts: i64) -> Webhook {
        let config = match self {
            Scheme::V1 => WebhookConfig::v1(APP_SECRET),
            Scheme::V1Snake => WebhookConfig::v1_snake(APP_SECRET),
        };
        let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts) * 1_000_000).unwrap();
        Webhook::new(APP_ID, config).with_clock(Arc::new(FixedClock(now)))
    }

    /// A body whose timestamp member is `ts` (any JSON), signed over `signed_text`.
    fn body(self, ts: Value, signed_text: &str) -> Value {
        let sign = md5_lower(&format!("{APP_ID}{APP_SECRET}{signed_text}"));
        match self {
            Scheme::V1 => json!({
                "sign": sign, "timestamp": ts, "channelType": "WX", "transactionType": "PAY",
                "transactionId": "201506101035040000001", "transactionFee": 1, "tradeSuccess": true,
            }),
            Scheme::V1Snake => json!({
                "sign": sign, "timestamp": ts, "channel_type": "WX", "sub_channel_type": "WX_APP",
                "transaction_type": "PAY", "transaction_id": "201506101035040000001",
                "transaction_fee": 1, "trade_success": true,
            }),
        }
    }

    fn fee_field(self) -> &'static str {
        match self {
            Scheme::V1 => "transactionFee",
            Scheme::V1Snake => "transaction_fee",
        }
    }
}

fn timestamp_spellings(
    scheme: Scheme,
    ts: i64,
    as_string: bool,
    k: usize,
) -> Result<(), TestCaseError> {
    let hook = scheme.hook(ts);
    let text = ts.to_string();
    let original = if as_string { json!(text) } else { json!(ts) };
    let event = hook
        .verify_notify(&serde_json::to_vec(&scheme.body(original, &text)).unwrap())
        .expect("the original verifies");
    prop_assert_eq!(event.timestamp_ms, Some(ts));

    // Other spellings, each signed over its own text as a sender would have: only the grammar
    // can refuse them.
    let mut spellings: Vec<(Value, String)> = [
        format!("0{text}"),
        format!("00{text}"),
        format!("+{text}"),
        format!("-{text}"),
        format!(" {text}"),
        format!("{text} "),
        format!("\t{text}"),
        format!("{text}\n"),
        format!("{text}.0"),
        format!("{text}.5"),
        format!("{text}e0"),
        String::new(),
    ]
    .into_iter()
    .map(|s| (json!(s), s))
    .collect();
    // As JSON numbers: a fraction, and a negative.
    spellings.push((json!(ts as f64 + 0.5), format!("{}", ts as f64 + 0.5)));
    spellings.push((
        serde_json::from_str(&format!("{text}.0")).unwrap(),
        format!("{text}.0"),
    ));
    spellings.push((json!(-ts), format!("-{text}")));
    for (value, signed_text) in spellings {
        let body = scheme.body(value.clone(), &signed_text);
        match hook.verify_notify(&serde_json::to_vec(&body).unwrap()) {
            Err(NotifyError::InvalidField {
                field: "timestamp", ..
            }) => {}
            other => prop_assert!(false, "{value} was not refused as a timestamp: {other:?}"),
        }
    }

    // Digits moved out of the timestamp into another field, the original signature kept.
    let k = k.min(text.len());
    let (head, tail) = text.split_at(text.len() - k);
    let mut into_fee = scheme.body(json!(head), &text);
    into_fee[scheme.fee_field()] = json!(format!("1{tail}"));
    let mut from_front = scheme.body(json!(&text[k.min(text.len() - 1)..]), &text);
    from_front[scheme.fee_field()] = json!(format!("{}1", &text[..k.min(text.len() - 1)]));
    for body in [into_fee, from_front] {
        match hook.verify_notify(&serde_json::to_vec(&body).unwrap()) {
            Err(NotifyError::SignatureMismatch)
            | Err(NotifyError::InvalidField {
                field: "timestamp", ..
            })
            | Err(NotifyError::MissingField {
                field: "timestamp", ..
            }) => {}
            other => prop_assert!(false, "{body} was not refused: {other:?}"),
        }
    }
    Ok(())
}

#[test]
fn the_known_forgery_is_refused() {
    // A genuine V2 PAY of 10 fen in WX, signed over "...PAYWX10".
    let genuine = [
        "201506101035040000001".to_owned(),
        "PAY".to_owned(),
        "WX".to_owned(),
        "10".to_owned(),
    ];
    let hook = v2_hook();
    let event = hook.verify_notify(&v2_body(&genuine, true)).unwrap();
    assert_eq!(event.transaction_fee, Money::from_fen(10));
    // The forgery of issue 11: `channel_type:"WX1", transaction_fee:0`, same signature.
    let forged = [
        genuine[0].clone(),
        "PAY".to_owned(),
        "WX1".to_owned(),
        "0".to_owned(),
    ];
    let err = hook.verify_notify(&v2_body(&forged, true)).unwrap_err();
    assert!(
        matches!(
            err,
            NotifyError::InvalidField {
                field: "channel_type",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("channel_type"));
    // The fee alone at 0 (with a channel that reads) is refused by the fee's grammar.
    let zero = [
        genuine[0].clone(),
        "PAY".to_owned(),
        "WX".to_owned(),
        "0".to_owned(),
    ];
    assert!(matches!(
        hook.verify_notify(&v2_body(&zero, true)).unwrap_err(),
        NotifyError::InvalidField {
            field: "transaction_fee",
            ..
        }
    ));
    // An empty channel, an unknown type: refused.
    for (i, v) in [(2, ""), (1, "CHARGE"), (1, "")] {
        let mut f = genuine.clone();
        f[i] = v.to_owned();
        assert!(matches!(
            hook.verify_notify(&v2_body(&f, true)).unwrap_err(),
            NotifyError::InvalidField { .. }
        ));
    }
}
