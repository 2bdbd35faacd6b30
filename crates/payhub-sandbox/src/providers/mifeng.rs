//! Mifeng Pay (mifeng.md): an access token from `/v1/api/pay/accesstoken` (2 h, only the newest
//! valid), then `/v1/api/pay/unifiedorder`, `/query`, `/balance`. Every answer is
//! `{code, msg, data, request_id}` with the per-endpoint codes of mifeng.md.
//!
//! ASSUMED where mifeng.md is silent: request bodies are accepted as JSON or as a form (and the
//! token request also as a query string); the rate-limit answer is HTTP 429 with
//! `{"code":429,"msg":"请求过于频繁"}`; the notify format and retry schedule (see
//! [`crate::notify::retry_schedule`]).

use crate::ProviderKind;
use crate::notify::{Encoding, Outgoing};
use crate::providers::{cst_datetime, unix_ms};
use crate::shared::Shared;
use crate::store::{NotifyEvent, Order, OrderKey, OrderStatus};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use paysig::md5::{HexCase, md5_hex};
use paysig::{ExposeSecret, Money, Params};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const P: ProviderKind = ProviderKind::Mifeng;

/// How long a created order stays payable (`expired_time`). Not documented; ASSUMED.
const ORDER_LIFETIME: Duration = Duration::from_secs(600);

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/v1/api/pay/accesstoken",
            post(access_token).get(access_token),
        )
        .route("/v1/api/pay/unifiedorder", post(unified_order))
        .route("/v1/api/pay/query", post(query))
        .route("/v1/api/pay/balance", post(balance))
}

fn answer(s: &Shared, code: i64, msg: &str, data: Value) -> Response {
    axum::Json(json!({ "code": code, "msg": msg, "data": data, "request_id": s.hex(32) }))
        .into_response()
}

fn fail(s: &Shared, code: i64, msg: &str) -> Response {
    answer(s, code, msg, json!({}))
}

type Handled = Result<Response, Response>;

/// Counts the call against the per-second limit (mifeng.md "使用规则" 2).
fn rate_limit(s: &Shared) -> Result<(), Response> {
    let now = Instant::now();
    let mut store = s.store();
    while store
        .mifeng_calls
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        store.mifeng_calls.pop_front();
    }
    if store.mifeng_calls.len() >= s.config.mifeng_rate_limit_per_sec as usize {
        drop(store);
        let mut r = fail(s, 429, "请求过于频繁");
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Err(r);
    }
    store.mifeng_calls.push_back(now);
    Ok(())
}

/// Query-string pairs, then the body's (JSON object or form), later ones winning.
fn params(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<Params, ()> {
    let mut p = Params::new();
    if let Some(q) = query {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            p.set(&k, &v);
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(p);
    }
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
        || body.first() == Some(&b'{');
    let body_params = if json {
        let obj: Map<String, Value> = serde_json::from_slice(body).map_err(|_| ())?;
        Params::from_json_object(&obj)
    } else {
        Params::parse_form(body).map_err(|_| ())?
    };
    for (k, v) in body_params.iter() {
        p.set(k, v);
    }
    Ok(p)
}

fn get<'a>(p: &'a Params, f: &str) -> Option<&'a str> {
    p.get(f).filter(|v| !v.is_empty())
}

fn check_token(s: &Shared, p: &Params) -> bool {
    let Some(token) = get(p, "token") else {
        return false;
    };
    let store = s.store();
    match &store.mifeng_token {
        Some((current, issued)) => {
            paysig::md5::ct_eq(current.as_bytes(), token.as_bytes())
                && issued.elapsed() < s.config.mifeng_token_ttl
        }
        None => false,
    }
}

fn timestamp_ok(p: &Params) -> bool {
    get(p, "timestamp").is_some_and(|t| t.len() == 13 && t.bytes().all(|b| b.is_ascii_digit()))
}

async fn access_token(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let run = || -> Handled {
        rate_limit(&s)?;
        let p =
            params(&headers, q.as_deref(), &body).map_err(|_| fail(&s, 2, "InvalidArgument"))?;
        let (Some(mch_id), Some(secret)) = (get(&p, "mch_id"), get(&p, "secret")) else {
            return Err(fail(&s, 2, "InvalidArgument"));
        };
        let secret_ok = paysig::md5::ct_eq(
            secret.as_bytes(),
            s.mifeng.secret.expose_secret().as_bytes(),
        );
        if mch_id != s.mifeng.mch_id || !secret_ok {
            return Err(fail(&s, 2, "mch_id 或 secret 校验不通过"));
        }
        let token = s.hex(32).to_uppercase();
        // "多次刷新 access_token ，仅有最新一个有效".
        s.store().mifeng_token = Some((token.clone(), Instant::now()));
        // Whole seconds, rounded up so a sub-second TTL (tests) does not read as "already expired".
        let expires_in = s.config.mifeng_token_ttl.as_millis().div_ceil(1000) as u64;
        let data = json!({ "token": token, "expires_in": expires_in });
        Ok(answer(&s, 0, "OK", data))
    };
    run().unwrap_or_else(|r| r)
}

async fn unified_order(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let run = || -> Handled {
        rate_limit(&s)?;
        let p =
            params(&headers, q.as_deref(), &body).map_err(|_| fail(&s, 2, "InvalidArgument"))?;
        if !check_token(&s, &p) {
            return Err(fail(&s, 2, "token校验不通过"));
        }
        let amount = match get(&p, "money").map(Money::parse_yuan) {
            Some(Ok(m)) if !m.is_zero() => m,
            _ => return Err(fail(&s, -1, "money 参数有误")),
        };
        if !get(&p, "channel_no").is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit())) {
            return Err(fail(&s, -2, "channel_no 参数有误"));
        }
        let Some(order_no) = get(&p, "out_order_no").filter(|o| o.len() <= 64) else {
            return Err(fail(&s, -3, "out_order_no 参数有误"));
        };
        let order_no = order_no.to_owned();
        let notify_ok = get(&p, "notify_url").is_some_and(|u| url::Url::parse(u).is_ok());
        if get(&p, "client_ip").is_none() || !notify_ok || !timestamp_ok(&p) {
            return Err(fail(&s, 2, "InvalidArgument"));
        }
        let now = OffsetDateTime::now_utc();
        let order = {
            let mut store = s.store();
            if store.order(P, &order_no).is_some() {
                return Err(fail(&s, -3, "out_order_no 参数有误"));
            }
            let mut extra = Map::new();
            for k in ["channel_no", "subject", "client_ip", "return_url", "param"] {
                extra.insert(k.into(), p.get(k).unwrap_or_default().into());
            }
            let order = Order {
                provider: P,
                order_no: order_no.clone(),
                platform_no: format!("{}{}", crate::providers::cst_date(now), s.digits(13)),
                amount,
                refunded: Money::ZERO,
                status: OrderStatus::Created,
                notify_url: get(&p, "notify_url").map(str::to_owned),
                created_at: now,
                settled_at: None,
                refunds: Vec::new(),
                extra,
            };
            store.insert(order.clone());
            order
        };
        s.schedule_auto_pay(P, &order_no);
        let expires = now + ORDER_LIFETIME;
        let data = json!({
            "mch_id": s.mifeng.mch_id,
            "order_no": order.platform_no,
            "out_order_no": order.order_no,
            "money": amount.to_yuan_string(),
            "real_money": amount.to_yuan_string(),
            "pay_url": format!("https://pay.sandbox.invalid/#/?order_no={}", order.platform_no),
            "expired_time": cst_datetime(expires),
            "expired_timestamp": unix_ms(expires),
        });
        Ok(answer(&s, 0, "ok", data))
    };
    run().unwrap_or_else(|r| r)
}

/// Query `state`: 0 no code yet, 1 failed, 2 awaiting payment, 3 paid.
fn query_state(o: &Order) -> u8 {
    match o.status {
        OrderStatus::Created | OrderStatus::Paying => 2,
        OrderStatus::Paid => 3,
        OrderStatus::Failed | OrderStatus::Closed | OrderStatus::Reversed => 1,
    }
}

async fn query(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let run = || -> Handled {
        rate_limit(&s)?;
        let p = params(&headers, q.as_deref(), &body).map_err(|_| fail(&s, 2, "参数校验不通过"))?;
        // The query table has no token code: an invalid token is "2 参数校验不通过".
        if !check_token(&s, &p) || get(&p, "mch_id") != Some(s.mifeng.mch_id.as_str()) {
            return Err(fail(&s, 2, "参数校验不通过"));
        }
        let (Some(no), true) = (get(&p, "order_no"), timestamp_ok(&p)) else {
            return Err(fail(&s, 2, "参数校验不通过"));
        };
        let (order, notified) = {
            let store = s.store();
            // order_no is the platform's number; the merchant's is accepted too (ASSUMED).
            let Some(o) = store
                .order_by(P, OrderKey::PlatformNo, no)
                .or_else(|| store.order(P, no))
                .cloned()
            else {
                return Err(fail(&s, 1, "找不到数据"));
            };
            let notified = store
                .notifications_of(P, &o.order_no)
                .any(|n| n.acknowledged);
            (o, notified)
        };
        let expires = order.created_at + ORDER_LIFETIME;
        let data = json!({
            "mch_id": s.mifeng.mch_id,
            "order_no": order.platform_no,
            "out_order_no": order.order_no,
            "state": query_state(&order),
            "money": order.amount.to_yuan_string(),
            "notify_succ": if notified { 1 } else { 0 },
            "expired_time": cst_datetime(expires),
            "expired_timestamp": unix_ms(expires).to_string(),
            "notify_url": order.notify_url.clone().unwrap_or_default(),
            "pay_url": format!("https://pay.sandbox.invalid/#/?order_no={}", order.platform_no),
        });
        Ok(answer(&s, 0, "ok", data))
    };
    run().unwrap_or_else(|r| r)
}

async fn balance(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let run = || -> Handled {
        rate_limit(&s)?;
        let p = params(&headers, q.as_deref(), &body).map_err(|_| fail(&s, 3, "参数校验不通过"))?;
        if !check_token(&s, &p) {
            return Err(fail(&s, 2, "token校验不通过"));
        }
        if get(&p, "mch_id") != Some(s.mifeng.mch_id.as_str()) || !timestamp_ok(&p) {
            return Err(fail(&s, 3, "参数校验不通过"));
        }
        let total = s
            .store()
            .newest(P)
            .filter(|o| o.status == OrderStatus::Paid)
            .try_fold(Money::ZERO, |acc, o| acc.checked_add(o.amount))
            .map_err(|_| fail(&s, 3, "参数校验不通过"))?;
        Ok(answer(
            &s,
            0,
            "ok",
            json!({ "balance": total.to_yuan_string() }),
        ))
    };
    run().unwrap_or_else(|r| r)
}

/// Notify (provider-notes.md, INFERRED): JSON `mch_id, money, notify_time, order_no,
/// out_order_no, param, state, sign`, `sign = md5("mch_id=..&money=..&notify_time=..&
/// order_no=..&out_order_no=..&param=..&state=..&key=<secret>")` lowercase; notify `state`
/// 3 success, 4 failed; `notify_time` as `yyyy-MM-dd HH:mm:ss` (China time, ASSUMED).
pub(crate) fn pay_notification(
    s: &Arc<Shared>,
    o: &Order,
    event: NotifyEvent,
    url: String,
) -> Option<Outgoing> {
    let state = match event {
        NotifyEvent::PaySucceeded => "3",
        NotifyEvent::PayFailed => "4",
        NotifyEvent::Refund => return None,
    };
    let fields = [
        ("mch_id", s.mifeng.mch_id.clone()),
        ("money", o.amount.to_yuan_string()),
        (
            "notify_time",
            cst_datetime(o.settled_at.unwrap_or(o.created_at)),
        ),
        ("order_no", o.platform_no.clone()),
        ("out_order_no", o.order_no.clone()),
        ("param", o.extra_str("param").to_owned()),
        ("state", state.to_owned()),
    ];
    let sign = notify_sign(&fields, s.mifeng.secret.expose_secret());
    let mut body = Map::new();
    for (k, v) in fields {
        body.insert(k.into(), v.into());
    }
    body.insert("sign".into(), sign.into());
    Some(Outgoing {
        url,
        encoding: Encoding::Json,
        body: Value::Object(body).to_string(),
    })
}

/// The notify's signed string: the fields in their fixed order, `k=v` joined with `&`.
fn notify_canonical(fields: &[(&str, String)]) -> String {
    let joined: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    joined.join("&")
}

/// The notify's `sign`: `md5(<signed string>&key=<secret>)`, lower-case hex.
fn notify_sign(fields: &[(&str, String)], secret: &str) -> String {
    let message = format!("{}&key={secret}", notify_canonical(fields));
    md5_hex(message.as_bytes(), HexCase::Lower)
}

#[cfg(test)]
mod sign_tests {
    use super::*;
    use crate::providers::vectors::Vector;

    /// The notify is signed exactly as the `fixtures/signing` vector (hashlib's MD5).
    #[test]
    fn notify_signature_is_pinned_to_the_fixture_vector() {
        let v = Vector::load("mifeng/notify_inferred");
        let names = [
            "mch_id",
            "money",
            "notify_time",
            "order_no",
            "out_order_no",
            "param",
            "state",
        ];
        let fields: Vec<(&str, String)> = names.iter().map(|n| (*n, v.param(n))).collect();
        assert_eq!(notify_canonical(&fields), v.canonical);
        assert_eq!(notify_sign(&fields, &v.key), v.signature);
    }
}
