//! A Pooul notify is `base64url(header).base64url(payload).base64url(signature)`. base64url has
//! no `.`, so the three segments split one way only, and a signed payload is one JSON object
//! whose members appear once. Properties: a validly signed notify is accepted as signed; moving
//! characters across either `.` is refused; a payload repeating a member is refused, at the top
//! level or inside `data`, even though its signature holds.

mod common;

use common::*;
use paysig::Money;
use pooul::NotifyError;
use pooul::notify::{verify_notify_pay, verify_notify_refund};
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
struct Notify {
    trade_id: String,
    mch_trade_id: String,
    attach: String,
    total_fee: u64,
    trade_state: i64,
}

fn notify() -> impl Strategy<Value = Notify> {
    (
        "[0-9a-f]{24}",
        "[A-Za-z0-9._-]{1,32}",
        "[ -~]{0,24}",
        1u64..=100_000_000,
        0i64..=8,
    )
        .prop_map(
            |(trade_id, mch_trade_id, attach, total_fee, trade_state)| Notify {
                trade_id,
                mch_trade_id,
                attach,
                total_fee,
                trade_state,
            },
        )
}

fn payload(n: &Notify) -> serde_json::Value {
    json!({
        "code": 0,
        "data": {
            "trade_id": n.trade_id, "attach": n.attach, "mch_trade_id": n.mch_trade_id,
            "merchant_id": MERCHANT_ID, "pay_type": "wechat.scan", "total_fee": n.total_fee,
            "trade_state": n.trade_state, "trade_info": "支付成功"
        },
        "nonce_str": "wZovMzOCaTJaicnL"
    })
}

/// Moves `k` characters across dot number `boundary` (0 or 1): from the end of the segment
/// before it to the start of the one after (`rightwards`), or back.
fn move_across(token: &str, boundary: usize, k: usize, rightwards: bool) -> Option<String> {
    let dots: Vec<usize> = token.match_indices('.').map(|(i, _)| i).collect();
    let dot = dots[boundary];
    let (before_start, after_end) = match boundary {
        0 => (0, dots[1]),
        _ => (dots[0] + 1, token.len()),
    };
    let before = &token[before_start..dot];
    let after = &token[dot + 1..after_end];
    let (before, after) = if rightwards {
        let cut = before.len().checked_sub(k)?;
        (
            before[..cut].to_owned(),
            format!("{}{}", &before[cut..], after),
        )
    } else {
        if k > after.len() {
            return None;
        }
        (format!("{}{}", before, &after[..k]), after[k..].to_owned())
    };
    Some(format!(
        "{}{}.{}{}",
        &token[..before_start],
        before,
        after,
        &token[after_end..]
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn only_the_signed_reading_is_accepted(
        n in notify(),
        boundary in 0usize..2,
        k in 1usize..=6,
        rightwards in any::<bool>(),
        duplicate in 0usize..4,
    ) {
        let key = keys().pooul.public_key();
        let token = signed(&payload(&n), &keys().pooul);

        // 1. The validly signed notify is accepted, and reads as what was signed.
        let got = verify_notify_pay(token.as_bytes(), &key).unwrap();
        prop_assert_eq!(&got.data.trade_id, &n.trade_id);
        prop_assert_eq!(&got.data.mch_trade_id, &n.mch_trade_id);
        prop_assert_eq!(got.data.attach.as_deref(), Some(n.attach.as_str()));
        prop_assert_eq!(got.data.total_fee, Money::from_fen(n.total_fee));
        prop_assert_eq!(got.data.trade_state.code(), n.trade_state);

        // 2. Characters moved across a `.` boundary: another string, refused.
        if let Some(moved) = move_across(&token, boundary, k, rightwards) {
            prop_assert_ne!(&moved, &token);
            prop_assert_eq!(moved.len(), token.len());
            let err = verify_notify_pay(moved.as_bytes(), &key).unwrap_err();
            prop_assert!(matches!(err, NotifyError::Jwt(_) | NotifyError::SignatureMismatch), "{}", err);
            prop_assert!(verify_notify_refund(moved.as_bytes(), &key).is_err());
        }

        // 3. A repeated member, signed as such: the signature holds, the payload is refused.
        // Each is put before the original, with another value: whichever copy a parser
        // keeps, the other was signed too.
        let (name, other) = [
            ("code", "1"),
            ("total_fee", "1"),
            ("trade_state", "2"),
            ("mch_trade_id", "\"other\""),
        ][duplicate];
        let text = payload(&n).to_string();
        let dup = if name == "code" {
            text.replacen('{', &format!("{{\"{name}\":{other},"), 1)
        } else {
            text.replacen("\"data\":{", &format!("\"data\":{{\"{name}\":{other},"), 1)
        };
        prop_assert_eq!(dup.matches(&format!("\"{name}\":")).count(), 2, "{}", dup);
        let token = paysig::jwt::encode_rs256_bytes(dup.as_bytes(), &keys().pooul).unwrap();
        prop_assert!(paysig::jwt::verify_rs256(&token, &key).is_ok());
        let err = verify_notify_pay(token.as_bytes(), &key).unwrap_err();
        prop_assert!(
            matches!(&err, NotifyError::DuplicateField { field } if field == name),
            "{}", err
        );
    }
}
