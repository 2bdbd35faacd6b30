//! The four protocol implementations, each independent of the SDK crates.

// Handlers return the provider's error answer as the `Err` of a `Result`, so `?` reads like the
// document's list of checks; boxing it would buy nothing on a simulator.
#![allow(clippy::result_large_err)]

pub(crate) mod beecloud;
pub(crate) mod mifeng;
pub(crate) mod pooul;
mod settle;
pub(crate) mod sunmi;
#[cfg(test)]
mod vectors;

use crate::ProviderKind;
use crate::notify::Outgoing;
use crate::shared::Shared;
use crate::store::{NotifyEvent, Order, Refund};
use axum::Router;
use std::sync::Arc;
use time::OffsetDateTime;

pub(crate) fn router(p: ProviderKind) -> Router<Arc<Shared>> {
    match p {
        ProviderKind::Sunmi => sunmi::router(),
        ProviderKind::Pooul => pooul::router(),
        ProviderKind::BeeCloud => beecloud::router(),
        ProviderKind::Mifeng => mifeng::router(),
    }
}

/// The signed pay notify of a settled order, if it has somewhere to go (`to`, else the order's
/// notify URL, else the app-level one) and the provider notifies this outcome.
pub(crate) fn pay_notification(
    shared: &Arc<Shared>,
    order: &Order,
    event: NotifyEvent,
    to: Option<String>,
) -> Option<Outgoing> {
    // BeeCloud requests carry no notify URL: its webhook is the app-level (console) setting.
    let own = match order.provider {
        ProviderKind::BeeCloud => None,
        _ => order.notify_url.as_deref(),
    };
    let url = to.or_else(|| notify_target(shared, order.provider, own))?;
    match order.provider {
        ProviderKind::Sunmi => sunmi::pay_notification(shared, order, event, url),
        ProviderKind::Pooul => pooul::pay_notification(shared, order, event, url),
        ProviderKind::BeeCloud => beecloud::pay_notification(shared, order, event, url),
        ProviderKind::Mifeng => mifeng::pay_notification(shared, order, event, url),
    }
}

/// Refund notifies are built by each provider module at refund time; this is their common
/// delivery call.
pub(crate) fn send_refund_notification(
    shared: &Arc<Shared>,
    order: &Order,
    _refund: &Refund,
    out: Option<Outgoing>,
) {
    if let Some(out) = out {
        crate::notify::deliver(
            shared,
            order.provider,
            &order.order_no,
            NotifyEvent::Refund,
            out,
        );
    }
}

// Dates and times are not protocol checks: the sandbox reads them as the beecloud crate does.
pub(crate) use ::beecloud::clock::unix_millis as unix_ms;

/// China Standard Time, in which the providers write their dates.
pub(crate) fn cst(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(::beecloud::clock::BEIJING)
}

/// `yyyy-MM-dd HH:mm:ss` in China Standard Time.
pub(crate) fn cst_datetime(t: OffsetDateTime) -> String {
    let t = cst(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `yyyyMMdd` in China Standard Time.
pub(crate) fn cst_date(t: OffsetDateTime) -> String {
    let d = ::beecloud::clock::beijing_today(t);
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The notify address: the request's, else the app-level default.
pub(crate) fn notify_target(shared: &Shared, p: ProviderKind, own: Option<&str>) -> Option<String> {
    own.filter(|u| !u.is_empty())
        .map(str::to_owned)
        .or_else(|| shared.default_notify_url(p))
}
