//! Settling an unknown outcome (a create or refund whose answer was lost) by query.
//!
//! After [`Resolution::NotFound`] the order was never created: whether the same number may
//! be sent again is for the document to say (write it here).

use std::time::Duration;

use paysig::http::Jitter;
use paysig::resolve::{self, Seen};
pub use paysig::resolve::{RefundResolution, Resolution, ResolvePolicy};

use crate::Client;
use crate::model::{Order, ResultCode, TradeState};

/// The timing of the queries: a first query after 2 s, waits of at most 2, 4, 8 s, for 60 s
/// (write the document's timing here, or say that it names none).
pub const DEFAULT_POLICY: ResolvePolicy = ResolvePolicy {
    first_delay: Duration::from_secs(2),
    interval: Duration::from_secs(2),
    max_interval: Duration::from_secs(8),
    deadline: Duration::from_secs(60),
    jitter: Jitter::Full,
    max_rounds: None,
};

impl Client {
    /// Queries `order_no` under `policy` until it is paid, final unpaid or not found.
    pub async fn resolve_payment(
        &self,
        order_no: &str,
        policy: &ResolvePolicy,
    ) -> Resolution<Order> {
        resolve::resolve(policy, || async {
            match self.query(order_no).await {
                Ok(reply) => {
                    let order = reply.into_inner();
                    Ok(match order.state {
                        TradeState::Success => Seen::Paid(order),
                        TradeState::Closed => Seen::NotPaid(order),
                        _ => Seen::Pending(order),
                    })
                }
                Err(crate::Error::Api {
                    code: ResultCode::OrderNotExist,
                    ..
                }) => Ok(Seen::NotFound),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Resolves a refund. The template settles it by the order's query; replace with the
    /// provider's refund query when the document has one.
    pub async fn resolve_refund(
        &self,
        order_no: &str,
        _refund_no: &str,
        policy: &ResolvePolicy,
    ) -> RefundResolution<Order> {
        self.resolve_payment(order_no, policy).await.into()
    }
}
