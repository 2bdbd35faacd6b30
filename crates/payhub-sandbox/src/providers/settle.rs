//! Settling an order (the simulated payer pays or fails it) and sending its pay notify.
//!
//! Methods of [`Shared`] that need the providers' notify builders live here, with the
//! providers, so that `shared` (state) depends on neither `providers` nor `notify`.

use super::pay_notification;
use crate::ProviderKind;
use crate::SandboxError;
use crate::notify;
use crate::shared::Shared;
use crate::store::{NotifyEvent, Order, OrderStatus};
use std::sync::Arc;
use time::OffsetDateTime;

impl Shared {
    /// After a create: the simulated payer pays after `auto_pay` (scaled), if configured.
    pub fn schedule_auto_pay(self: &Arc<Self>, p: ProviderKind, order_no: &str) {
        if let Some(delay) = self.config.auto_pay {
            let me = Arc::clone(self);
            let order_no = order_no.to_owned();
            let delay = self.scaled(delay);
            self.spawn(async move {
                tokio::time::sleep(delay).await;
                // Already settled by the control API: nothing to do.
                let _ = me.settle(p, &order_no, true);
            });
        }
    }

    /// The simulated payer pays (`paid`) or fails the order; the pay notify is sent.
    pub fn settle(
        self: &Arc<Self>,
        p: ProviderKind,
        order_no: &str,
        paid: bool,
    ) -> Result<Order, SandboxError> {
        let order = {
            let mut store = self.store();
            let o = store
                .order_mut(p, order_no)
                .ok_or_else(|| SandboxError::OrderNotFound {
                    provider: p,
                    order_no: order_no.to_owned(),
                })?;
            if !o.status.awaits_payment() {
                return Err(SandboxError::NotAwaitingPayment {
                    provider: p,
                    order_no: order_no.to_owned(),
                    status: o.status,
                });
            }
            o.status = if paid {
                OrderStatus::Paid
            } else {
                OrderStatus::Failed
            };
            o.settled_at = Some(OffsetDateTime::now_utc());
            o.clone()
        };
        let event = if paid {
            NotifyEvent::PaySucceeded
        } else {
            NotifyEvent::PayFailed
        };
        if let Some(out) = pay_notification(self, &order, event, None) {
            notify::deliver(self, p, &order.order_no, event, out);
        }
        Ok(order)
    }

    /// Sends the pay notify of a settled order again, to `to` (or its usual address).
    pub fn resend_pay_notification(
        self: &Arc<Self>,
        p: ProviderKind,
        order_no: &str,
        to: Option<String>,
    ) -> Result<bool, SandboxError> {
        let order = self.store().order(p, order_no).cloned().ok_or_else(|| {
            SandboxError::OrderNotFound {
                provider: p,
                order_no: order_no.to_owned(),
            }
        })?;
        let event = match order.status {
            OrderStatus::Paid => NotifyEvent::PaySucceeded,
            OrderStatus::Failed => NotifyEvent::PayFailed,
            status => {
                return Err(SandboxError::NotSettled {
                    provider: p,
                    order_no: order_no.to_owned(),
                    status,
                });
            }
        };
        match pay_notification(self, &order, event, to) {
            Some(out) => {
                notify::deliver(self, p, order_no, event, out);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
