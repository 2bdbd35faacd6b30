//! The dashboard: a server-rendered page at `/` of its own port that shows the orders,
//! refunds and notify deliveries of the four providers and steers them (pay, fail, expire,
//! refund, resend the notify, faults), updated live through server-sent events. No front-end
//! build: the HTML is rendered here, the small script and the style are compiled into the
//! binary.
//!
//! Routes (besides `/`):
//! - `GET  /_sandbox/dashboard/orders?provider=&q=`: the orders section (HTML), newest first,
//!   or the order a documented key names (`q`: merchant or provider order number, Sunmi
//!   `platformId`, a refund number).
//! - `POST /_sandbox/dashboard/actions` (JSON `{provider, order_no, action, amount}`): runs an
//!   action; answers `{ok, message, answer}`. Refunds go through the provider's own refund
//!   endpoint as a signed merchant request, so bad input gets the provider's documented error.
//! - `GET  /_sandbox/events`: server-sent events, one per change (`{"kind":"order",...}`,
//!   `{"kind":"faults"}`).
//! - `GET`/`POST /_sandbox/faults`: see [`crate::control`].

mod merchant;
mod render;

use crate::ProviderKind;
use crate::control;
use crate::shared::Shared;
use crate::store::{Change, NotificationRecord, Order, OrderKey, RefundKey, Store};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures::Stream;
use paysig::Money;
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// Orders shown at once (newest first); a search shows the one a key names.
const PAGE: usize = 50;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(page))
        .route("/_sandbox/dashboard.js", get(script))
        .route("/_sandbox/dashboard/orders", get(orders))
        .route("/_sandbox/dashboard/actions", post(action))
        .route("/_sandbox/events", get(events))
        .merge(control::faults_router())
}

/// Which orders to show.
#[derive(Debug, Default, Deserialize)]
struct Filter {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    q: String,
}

/// An order and its notifications, copied out of the store so that rendering holds no lock.
pub(crate) struct Shown {
    pub order: Order,
    pub notifications: Vec<NotificationRecord>,
}

/// What the orders section shows.
pub(crate) struct Listing {
    pub shown: Vec<Shown>,
    /// Orders held in the providers filtered on.
    pub total: usize,
    pub query: String,
}

fn listing(shared: &Shared, filter: &Filter) -> Listing {
    let providers: Vec<ProviderKind> = match filter.provider.parse::<ProviderKind>() {
        Ok(p) => vec![p],
        Err(_) => ProviderKind::ALL.to_vec(),
    };
    let q = filter.q.trim();
    let store = shared.store();
    let mut orders: Vec<&Order> = Vec::new();
    for &p in &providers {
        if q.is_empty() {
            orders.extend(store.newest(p).take(PAGE));
        } else if let Some(o) = lookup(&store, p, q) {
            orders.push(o);
        }
    }
    orders.sort_by_key(|o| std::cmp::Reverse(o.created_at));
    orders.truncate(PAGE);
    let shown = orders
        .into_iter()
        .map(|o| Shown {
            order: o.clone(),
            notifications: store
                .notifications_of(o.provider, &o.order_no)
                .cloned()
                .collect(),
        })
        .collect();
    Listing {
        shown,
        total: providers.iter().map(|&p| store.count(p)).sum(),
        query: q.to_owned(),
    }
}

/// The order any documented key names: an index hit each.
fn lookup<'a>(store: &'a Store, p: ProviderKind, q: &str) -> Option<&'a Order> {
    store
        .order(p, q)
        .or_else(|| store.order_by(p, OrderKey::PlatformNo, q))
        .or_else(|| store.order_by(p, OrderKey::PlatformId, q))
        .or_else(|| store.refund_by(p, RefundKey::RefundNo, q).map(|(o, _)| o))
        .or_else(|| store.refund_by(p, RefundKey::RefundId, q).map(|(o, _)| o))
}

async fn page(State(s): State<Arc<Shared>>) -> Html<String> {
    let listing = listing(&s, &Filter::default());
    let faults = control::FaultsBody::current(&s);
    Html(render::page(&s, &listing, &faults))
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("dashboard.js"),
    )
        .into_response()
}

async fn orders(State(s): State<Arc<Shared>>, Query(filter): Query<Filter>) -> Html<String> {
    Html(render::orders(&listing(&s, &filter)))
}

/// A request of the page's buttons and forms.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRequest {
    provider: String,
    order_no: String,
    action: String,
    /// Yuan, at most two decimals; empty: everything refundable.
    #[serde(default)]
    amount: String,
}

/// What the page shows after an action: `ok`, a sentence, and the provider's answer when the
/// action went through the provider's API.
fn outcome(status: StatusCode, ok: bool, message: String, answer: serde_json::Value) -> Response {
    (
        status,
        axum::Json(json!({ "ok": ok, "message": message, "answer": answer })),
    )
        .into_response()
}

async fn action(State(s): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let bad = |m: String| outcome(StatusCode::BAD_REQUEST, false, m, json!(null));
    let req: ActionRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad(format!("bad action request: {e}")),
    };
    let p = match req.provider.parse::<ProviderKind>() {
        Ok(p) => p,
        Err(e) => return bad(e.to_string()),
    };
    let no = req.order_no.trim();
    if no.is_empty() {
        return bad("enter an order number".into());
    }
    let amount = match req.amount.trim() {
        "" => None,
        text => match Money::parse_yuan(text) {
            Ok(m) if !m.is_zero() => Some(m),
            Ok(_) => return bad("amount: must be more than 0".into()),
            Err(e) => return bad(format!("amount `{text}`: {e}")),
        },
    };
    let done = |m: String| outcome(StatusCode::OK, true, m, json!(null));
    let refused = |m: String| outcome(StatusCode::OK, false, m, json!(null));
    match req.action.as_str() {
        "pay" => match s.settle(p, no, true) {
            Ok(o) => done(format!("{p}: {} paid", o.order_no)),
            Err(e) => refused(e.to_string()),
        },
        "fail" => match s.settle(p, no, false) {
            Ok(o) => done(format!("{p}: {} failed", o.order_no)),
            Err(e) => refused(e.to_string()),
        },
        "expire" => match s.expire(p, no) {
            Ok(o) => done(format!("{p}: {} expired (closed unpaid)", o.order_no)),
            Err(e) => refused(e.to_string()),
        },
        "resend" => match s.resend_pay_notification(p, no, None) {
            Ok(true) => done(format!("{p}: notify of {no} sent again")),
            Ok(false) => refused(format!(
                "{p}: no notify for {no} (the provider does not notify this outcome, or no notify URL is set)"
            )),
            Err(e) => refused(e.to_string()),
        },
        "refund" => {
            let r = merchant::refund(&s, p, no, amount).await;
            outcome(StatusCode::OK, r.ok, r.message, r.answer)
        }
        other => bad(format!(
            "unknown action `{other}` (pay, fail, expire, refund, resend)"
        )),
    }
}

fn change_event(change: &Change) -> Event {
    let data = match change {
        Change::Order { provider, order_no } => {
            json!({ "kind": "order", "provider": provider, "order_no": order_no })
        }
        Change::Faults => json!({ "kind": "faults" }),
    };
    Event::default().data(data.to_string())
}

async fn events(
    State(s): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = s.subscribe();
    let closing = s.closing();
    let stream = futures::stream::unfold((rx, closing), |(mut rx, mut closing)| async move {
        let next = tokio::select! {
            r = rx.recv() => r,
            _ = closing.wait_for(|c| *c) => return None,
        };
        let event = match next {
            Ok(change) => change_event(&change),
            // Too slow a reader: it reloads everything, which covers what it missed.
            Err(RecvError::Lagged(_)) => {
                Event::default().data(json!({ "kind": "all" }).to_string())
            }
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), (rx, closing)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
