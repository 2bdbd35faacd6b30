//! Checks a verified notify against the merchant's order and, where asked, the provider.

use crate::error::{Error, NotifyError};
use crate::gateway::Gateway;
use crate::notify::{Notification, NotificationKind, OrderLookup};
use crate::payment::{PaymentQuery, RefundQuery};
use crate::provider::Provider;
use crate::status::PaymentStatus;
use paysig::Verified;

/// Queries the provider about a notify and trusts the query: the queried payment (or
/// refund) must be the notified one, with the notified amount; a notified success the
/// query does not show yet is refused (not acknowledged), so the provider sends it again
/// later. A refund notify that cannot be confirmed (no refund number, or no refund query at
/// this provider) is refused: confirmation fails closed.
pub(super) async fn confirm(
    gateway: &dyn Gateway,
    event: Verified<Notification>,
) -> Result<Verified<Notification>, Error> {
    let provider = event.provider;
    let order_no = event.order_no.clone();
    let refuse = |reason: String| -> Error {
        NotifyError::NotConfirmed {
            provider,
            order_no: order_no.clone(),
            reason,
        }
        .into()
    };
    let (queried_status, queried_amount) = match &event.kind {
        NotificationKind::Payment => {
            let query = PaymentQuery {
                order_no: event.order_no.clone(),
                provider_trade_no: event.provider_trade_no.clone(),
            };
            let queried = gateway.query_payment(&query).await?;
            if queried.order_no != event.order_no {
                return Err(refuse(format!(
                    "the query answered for order {:?}",
                    queried.order_no
                )));
            }
            // A refund under way or done proves the payment was made (a late pay notify).
            let paid = matches!(
                queried.status,
                PaymentStatus::Succeeded | PaymentStatus::Refunding | PaymentStatus::Refunded(_)
            );
            if event.status == PaymentStatus::Succeeded && !paid {
                return Err(refuse(format!(
                    "notified succeeded, queried {}",
                    queried.status
                )));
            }
            let status = if event.status == PaymentStatus::Succeeded {
                PaymentStatus::Succeeded
            } else {
                queried.status
            };
            (status, queried.amount)
        }
        NotificationKind::Refund { refund_no } => {
            let Some(refund_no) = refund_no.clone() else {
                return Err(refuse(
                    "the refund notify names no refund number to query".into(),
                ));
            };
            let query = RefundQuery {
                order_no: event.order_no.clone(),
                refund_no: refund_no.clone(),
            };
            let queried = match gateway.query_refund(&query).await {
                Ok(r) => r,
                Err(Error::Unsupported { .. }) => {
                    return Err(refuse("this provider has no refund query".into()));
                }
                Err(e) => return Err(e),
            };
            if queried.refund_no != refund_no {
                return Err(refuse(format!(
                    "the query answered for refund {:?}",
                    queried.refund_no
                )));
            }
            if matches!(event.status, PaymentStatus::Refunded(_))
                && !matches!(queried.status, PaymentStatus::Refunded(_))
            {
                return Err(refuse(format!(
                    "notified refunded, queried {}",
                    queried.status
                )));
            }
            (queried.status, queried.amount)
        }
    };
    // Fail closed: a query that does not say the amount confirms nothing.
    let amount = queried_amount.ok_or_else(|| refuse("the query reports no amount".into()))?;
    if amount != event.amount {
        return Err(refuse(format!(
            "queried amount {amount} differs from notified {}",
            event.amount
        )));
    }
    Ok(event.map(|mut n| {
        n.status = queried_status;
        n
    }))
}

pub(super) async fn check_order(
    provider: Provider,
    event: &Notification,
    orders: &dyn OrderLookup,
) -> Result<(), NotifyError> {
    let order = orders
        .find_order_in(provider, &event.account, &event.order_no)
        .await
        .map_err(NotifyError::Lookup)?
        .ok_or_else(|| NotifyError::UnknownOrder {
            provider,
            order_no: event.order_no.clone(),
        })?;
    let ok = match event.kind {
        NotificationKind::Payment => event.amount == order.amount,
        // A refund may be partial, never more than the order.
        NotificationKind::Refund { .. } => event.amount <= order.amount,
    };
    if ok {
        Ok(())
    } else {
        Err(NotifyError::AmountMismatch {
            provider,
            order_no: event.order_no.clone(),
            expected: order.amount,
            got: event.amount,
        })
    }
}
