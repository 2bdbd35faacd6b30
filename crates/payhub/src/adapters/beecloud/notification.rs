//! A verified BeeCloud webhook turned into the facade's [`Notification`].

use super::{P, refused};
use crate::error::Error;
use crate::notify::{Notification, NotificationKind};
use beecloud::TransactionType;
use serde_json::Value;

/// The facade's notification of a verified webhook: a payment or a refund (a transfer is
/// refused), its state by [`beecloud::Notification::state`].
pub(super) fn notification(
    event: beecloud::Notification,
    raw: Value,
) -> Result<Notification, Error> {
    let (kind, order_no, state) = match (event.transaction_type, event.state()) {
        (TransactionType::Pay, Some(state)) => (
            NotificationKind::Payment,
            event.transaction_id.clone(),
            state,
        ),
        (TransactionType::Refund, Some(state)) => {
            let bill_no = bill_no_of_refund(&event).ok_or_else(|| refused(format!("refund webhook {:?} names no bill (optional.bill_no or message_detail.bill_no)", event.transaction_id)))?;
            (
                NotificationKind::Refund {
                    refund_no: Some(event.transaction_id.clone()),
                },
                bill_no,
                state,
            )
        }
        (other, _) => {
            return Err(refused(format!(
                "transaction type {} is not a payment or a refund",
                other.as_str()
            )));
        }
    };
    Ok(Notification {
        provider: P,
        kind,
        order_no,
        provider_trade_no: None,
        provider_refund_no: None,
        amount: event.transaction_fee,
        status: state.into(),
        raw,
    })
}

fn bill_no_of_refund(event: &beecloud::Notification) -> Option<String> {
    [&event.optional, &event.message_detail]
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("bill_no"))
        .find_map(|v| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}
