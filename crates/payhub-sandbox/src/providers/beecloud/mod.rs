//! BeeCloud (beecloud.md): JSON POST `/1/rest/bill` and `/1/rest/refund`, GET
//! `/1/rest/bills`, `/1/rest/refunds`, `/1/rest/refund/status` with `para=<url-encoded JSON>`;
//! every request carries `app_id`, `timestamp` (ms) and
//! `app_sign = md5(app_id + timestamp + app_key)` (hex, any case). Answers
//! `{result_code, result_msg, err_detail, ...}` with the documented codes.

use crate::notify::{Encoding, Outgoing};
use crate::providers::{cst_date, notify_target, send_refund_notification, unix_ms};
use crate::shared::Shared;
use crate::store::{NotifyEvent, Order, OrderStatus, Refund, RefundKey, RefundStatus, Store};
use crate::{BeeCloudWebhookScheme, ProviderKind};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use paysig::{ExposeSecret, Money};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use time::OffsetDateTime;

mod notify;
mod sign;

pub(crate) use notify::pay_notification;
use notify::webhook;

const P: ProviderKind = ProviderKind::BeeCloud;

const CHANNELS: [&str; 8] = [
    "WX_APP",
    "WX_NATIVE",
    "WX_JSAPI",
    "ALI_APP",
    "ALI_WEB",
    "ALI_QRCODE",
    "UN_APP",
    "UN_WEB",
];

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/1/rest/bill", post(bill))
        .route("/1/rest/refund", post(refund))
        .route("/1/rest/bills", get(bills))
        .route("/1/rest/refunds", get(refunds))
        .route("/1/rest/refund/status", get(refund_status))
}

fn fail(code: u8, detail: impl Into<String>) -> Response {
    let msg = match code {
        1 => "APP_INVALID",
        2 => "PAY_FACTOR_NOT_SET",
        3 => "CHANNEL_INVALID",
        4 => "MISS_PARAM",
        5 => "PARAM_INVALID",
        6 => "CERT_FILE_ERROR",
        7 => "CHANNEL_ERROR",
        8 => "NO_SUCH_BILL",
        9 => "BILL_UNSUCCESS",
        10 => "REFUND_EXCEED_TIME",
        11 => "ALREADY_REFUNDING",
        12 => "REFUND_AMOUNT_TOO_LARGE",
        13 => "NO_SUCH_REFUND",
        // 14 RUN_TIME_ERROR; the sandbox uses only the codes above.
        _ => "RUN_TIME_ERROR",
    };
    axum::Json(json!({ "result_code": code, "result_msg": msg, "err_detail": detail.into() }))
        .into_response()
}

fn ok(extra: Map<String, Value>) -> Response {
    let mut body = Map::new();
    body.insert("result_code".into(), 0.into());
    body.insert("result_msg".into(), "OK".into());
    body.insert("err_detail".into(), "".into());
    body.extend(extra);
    axum::Json(Value::Object(body)).into_response()
}

type Handled = Result<Response, Response>;

fn parse_post(body: &[u8]) -> Result<Map<String, Value>, Response> {
    serde_json::from_slice(body).map_err(|_| fail(5, "请求体不是 JSON 对象"))
}

fn parse_para(query: Option<&str>) -> Result<Map<String, Value>, Response> {
    let para = query
        .map(|q| url::form_urlencoded::parse(q.as_bytes()))
        .and_then(|mut pairs| pairs.find(|(k, _)| k == "para"))
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| fail(4, "缺少 para"))?;
    serde_json::from_str(&para).map_err(|_| fail(5, "para 不是 JSON 对象"))
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// app_id, timestamp and app_sign: missing → 4 MISS_PARAM; unknown app or wrong sign →
/// 1 APP_INVALID (the table: "根据app_id找不到对应的APP或者app_sign不正确").
fn authenticate(s: &Shared, obj: &Map<String, Value>) -> Result<(), Response> {
    let get = |f: &str| {
        obj.get(f)
            .and_then(str_of)
            .ok_or_else(|| fail(4, format!("缺少 {f}")))
    };
    let app_id = get("app_id")?;
    let timestamp = get("timestamp")?;
    let sign = get("app_sign")?;
    if !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail(5, "timestamp 须为毫秒时间戳"));
    }
    if app_id != s.beecloud.app_id {
        return Err(fail(1, "app_id 不存在"));
    }
    if !sign::app_sign_ok(
        &app_id,
        &timestamp,
        s.beecloud.app_key.expose_secret(),
        &sign,
    ) {
        return Err(fail(1, "app_sign 不正确"));
    }
    Ok(())
}

fn required_str(obj: &Map<String, Value>, f: &str) -> Result<String, Response> {
    match obj.get(f) {
        Some(Value::String(v)) if !v.is_empty() => Ok(v.clone()),
        None | Some(Value::Null) => Err(fail(4, format!("缺少 {f}"))),
        Some(Value::String(_)) => Err(fail(4, format!("缺少 {f}"))),
        Some(_) => Err(fail(5, format!("{f} 须为字符串"))),
    }
}

/// A positive integer of fen ("必须是正整数，单位为分").
fn fen(obj: &Map<String, Value>, f: &str) -> Result<Money, Response> {
    match obj.get(f) {
        None | Some(Value::Null) => Err(fail(4, format!("缺少 {f}"))),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if v > 0 => Ok(Money::from_fen(v)),
            _ => Err(fail(5, format!("{f} 必须是正整数，单位为分"))),
        },
        Some(_) => Err(fail(5, format!("{f} 必须是正整数，单位为分"))),
    }
}

fn family(channel: &str) -> &str {
    channel.split('_').next().unwrap_or(channel)
}

async fn bill(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    bill_inner(&s, &body).unwrap_or_else(|r| r)
}

fn bill_inner(s: &Arc<Shared>, body: &[u8]) -> Handled {
    let obj = parse_post(body)?;
    authenticate(s, &obj)?;
    let channel = required_str(&obj, "channel")?;
    if !CHANNELS.contains(&channel.as_str()) {
        return Err(fail(3, format!("channel {channel} 不合法")));
    }
    let amount = fen(&obj, "total_fee")?;
    let bill_no = required_str(&obj, "bill_no")?;
    if bill_no.len() > 32 || !bill_no.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(fail(5, "bill_no 须为32个字符内的数字和/或字母"));
    }
    let title = required_str(&obj, "title")?;
    if title.len() > 32 {
        return Err(fail(5, "title 须在32个字节内"));
    }
    if matches!(channel.as_str(), "ALI_WEB" | "ALI_QRCODE" | "UN_WEB") {
        required_str(&obj, "return_url")?;
    }
    if channel == "WX_JSAPI" {
        required_str(&obj, "openid")?;
    }
    if obj
        .get("optional")
        .is_some_and(|v| !v.is_object() && !v.is_null())
    {
        return Err(fail(5, "optional 须为 Map"));
    }
    if channel == "ALI_QRCODE"
        && obj
            .get("qr_pay_mode")
            .and_then(str_of)
            .is_some_and(|m| !matches!(m.as_str(), "0" | "1" | "3"))
    {
        return Err(fail(5, "qr_pay_mode 须为 0、1 或 3"));
    }
    {
        let mut store = s.store();
        if store.order(P, &bill_no).is_some() {
            return Err(fail(5, "bill_no 重复"));
        }
        let mut extra = obj.clone();
        for k in ["app_id", "timestamp", "app_sign"] {
            extra.remove(k);
        }
        extra.insert("title".into(), title.into());
        store.insert(Order {
            provider: P,
            order_no: bill_no.clone(),
            platform_no: bill_no.clone(),
            amount,
            refunded: Money::ZERO,
            status: OrderStatus::Created,
            notify_url: None,
            created_at: OffsetDateTime::now_utc(),
            settled_at: None,
            refunds: Vec::new(),
            extra,
        });
    }
    s.schedule_auto_pay(P, &bill_no);
    let now_ms = unix_ms(OffsetDateTime::now_utc()).to_string();
    let prepay = format!("wx{}", s.hex(28));
    let mut out = Map::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.into(), v.into());
    };
    match channel.as_str() {
        "WX_APP" => {
            put("app_id", format!("wx{}", s.hex(16)));
            put("partner_id", s.digits(10));
            put("package", "Sign=WXPay".into());
            put("nonce_str", s.hex(32));
            put("timestamp", now_ms);
            put("pay_sign", s.hex(32).to_uppercase());
            put("prepay_id", prepay);
        }
        "WX_NATIVE" => put("code_url", format!("weixin://wxpay/bizpayurl?pr={}", s.alnum(7))),
        "WX_JSAPI" => {
            put("app_id", format!("wx{}", s.hex(16)));
            put("package", format!("prepay_id={prepay}"));
            put("nonce_str", s.hex(32));
            put("timestamp", now_ms);
            put("pay_sign", s.hex(32).to_uppercase());
            put("sign_type", "MD5".into());
        }
        "ALI_APP" => put("order_string", format!("partner=\"2088{}\"&out_trade_no=\"{bill_no}\"", s.digits(12))),
        "ALI_WEB" | "ALI_QRCODE" => {
            let url = format!("https://mapi.alipay.com/gateway.do?out_trade_no={bill_no}");
            put("html", format!("<form id=\"alipaysubmit\" action=\"{url}\" method=\"POST\"></form><script>document.forms['alipaysubmit'].submit();</script>"));
            put("url", url);
        }
        "UN_APP" => put("tn", s.digits(21)),
        _ => put("html", "<form id=\"pay_form\" action=\"https://gateway.95516.com/gateway/api/frontTransReq.do\" method=\"post\"></form>".into()),
    }
    Ok(ok(out))
}

/// `refund_no`: today's date (8 digits) + 3..=24 alphanumerics, not "000". "Today" is taken in
/// China Standard Time; the UTC date is accepted too, so a merchant near midnight is not
/// refused for a time-zone choice the document does not make.
fn valid_refund_no(no: &str) -> bool {
    let now = OffsetDateTime::now_utc();
    let (date, serial) = no.split_at(no.len().min(8));
    let today = [
        cst_date(now),
        format!(
            "{:04}{:02}{:02}",
            now.year(),
            u8::from(now.month()),
            now.day()
        ),
    ];
    today.iter().any(|d| d == date)
        && (3..=24).contains(&serial.len())
        && serial.bytes().all(|b| b.is_ascii_alphanumeric())
        && serial != "000"
}

async fn refund(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    refund_inner(&s, &body).unwrap_or_else(|r| r)
}

fn refund_inner(s: &Arc<Shared>, body: &[u8]) -> Handled {
    let obj = parse_post(body)?;
    authenticate(s, &obj)?;
    let channel = required_str(&obj, "channel")?;
    if !matches!(channel.as_str(), "WX" | "ALI" | "UN") {
        return Err(fail(
            3,
            format!("channel {channel} 不合法，退款须为 WX、ALI 或 UN"),
        ));
    }
    let refund_no = required_str(&obj, "refund_no")?;
    let bill_no = required_str(&obj, "bill_no")?;
    let amount = fen(&obj, "refund_fee")?;
    if !valid_refund_no(&refund_no) {
        return Err(fail(
            5,
            "refund_no 格式为: 退款日期(8位当天日期) + 流水号(3~24位，不可为000)",
        ));
    }
    let (order, refund) = {
        let mut store = s.store();
        if store
            .refund_by(P, RefundKey::RefundNo, &refund_no)
            .is_some()
        {
            return Err(fail(5, "refund_no 重复"));
        }
        let Some(o) = store.order_mut(P, &bill_no) else {
            return Err(fail(8, format!("没有订单 {bill_no}")));
        };
        if family(o.extra_str("channel")) != channel {
            return Err(fail(3, "channel 与订单渠道不符"));
        }
        if o.status != OrderStatus::Paid {
            return Err(fail(9, "该订单没有支付成功"));
        }
        // Checked before "one refund only" so an over-amount request gets its own code.
        if amount > o.amount {
            return Err(fail(12, "退款金额必须小于或等于订单金额 total_fee"));
        }
        // "同一笔订单，仅能退款成功一次".
        if !o.refunds.is_empty() {
            return Err(fail(11, "该订单已有退款"));
        }
        let mut extra = Map::new();
        if let Some(opt) = obj.get("optional") {
            extra.insert("optional".into(), opt.clone());
        }
        extra.insert("channel".into(), channel.clone().into());
        let refund = Refund {
            refund_no: refund_no.clone(),
            refund_id: refund_no,
            amount,
            status: RefundStatus::Succeeded,
            created_at: OffsetDateTime::now_utc(),
            extra,
        };
        o.refunded = amount;
        let Some(o) = store.add_refund(P, &bill_no, refund.clone()) else {
            return Err(fail(8, format!("没有订单 {bill_no}")));
        };
        (o.clone(), refund)
    };
    let out = notify_target(s, P, None).and_then(|url| webhook(s, &order, Some(&refund), url));
    send_refund_notification(s, &order, &refund, out);
    let mut extra = Map::new();
    if channel == "ALI" {
        extra.insert(
            "url".into(),
            format!(
                "https://mapi.alipay.com/gateway.do?refund_no={}",
                refund.refund_no
            )
            .into(),
        );
    }
    Ok(ok(extra))
}

/// skip (default 0) and limit (default 10, at most 50).
fn paging(obj: &Map<String, Value>) -> Result<(usize, usize), Response> {
    let num = |f: &str, default: u64| match obj.get(f) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => str_of(v)
            .and_then(|t| t.parse::<u64>().ok())
            .ok_or_else(|| fail(5, format!("{f} 须为整数"))),
    };
    let skip = num("skip", 0)?;
    let limit = num("limit", 10)?;
    if limit > 50 {
        return Err(fail(5, "limit 最大为50"));
    }
    Ok((skip as usize, limit as usize))
}

fn time_filter(obj: &Map<String, Value>) -> Result<(Option<i64>, Option<i64>), Response> {
    let t = |f: &str| match obj.get(f) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => str_of(v)
            .and_then(|t| t.parse::<i64>().ok())
            .map(Some)
            .ok_or_else(|| fail(5, format!("{f} 须为毫秒时间戳"))),
    };
    Ok((t("start_time")?, t("end_time")?))
}

const QUERY_CHANNELS: [&str; 11] = [
    "WX",
    "WX_APP",
    "WX_NATIVE",
    "WX_JSAPI",
    "ALI",
    "ALI_APP",
    "ALI_WEB",
    "ALI_QRCODE",
    "UN",
    "UN_APP",
    "UN_WEB",
];

fn channel_matches(query: &str, order_channel: &str) -> bool {
    query == order_channel || query == family(order_channel) && !query.contains('_')
}

/// The one order named by `bill_no` (an index hit), or every order newest first.
fn candidates<'a>(
    store: &'a Store,
    bill_no: Option<&str>,
) -> Box<dyn Iterator<Item = &'a Order> + 'a> {
    match bill_no {
        Some(no) => Box::new(store.order(P, no).into_iter()),
        None => Box::new(store.newest(P)),
    }
}

async fn bills(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let run = || -> Handled {
        let obj = parse_para(q.as_deref())?;
        authenticate(&s, &obj)?;
        let channel = required_str(&obj, "channel")?;
        if !QUERY_CHANNELS.contains(&channel.as_str()) {
            return Err(fail(3, format!("channel {channel} 不合法")));
        }
        let bill_no = obj.get("bill_no").and_then(str_of);
        let (start, end) = time_filter(&obj)?;
        let (skip, limit) = paging(&obj)?;
        let store = s.store();
        let page: Vec<Value> = candidates(&store, bill_no.as_deref())
            .filter(|o| channel_matches(&channel, o.extra_str("channel")))
            .filter(|o| start.is_none_or(|t| unix_ms(o.created_at) >= t))
            .filter(|o| end.is_none_or(|t| unix_ms(o.created_at) <= t))
            .skip(skip)
            .take(limit)
            .map(|o| {
                json!({
                    "bill_no": o.order_no,
                    "total_fee": o.amount.fen(),
                    "channel": o.extra_str("channel"),
                    "title": o.extra_str("title"),
                    "spay_result": o.status == OrderStatus::Paid,
                    "created_time": unix_ms(o.created_at),
                })
            })
            .collect();
        let mut extra = Map::new();
        extra.insert("count".into(), page.len().into());
        extra.insert("bills".into(), Value::Array(page));
        Ok(ok(extra))
    };
    run().unwrap_or_else(|r| r)
}

async fn refunds(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let run = || -> Handled {
        let obj = parse_para(q.as_deref())?;
        authenticate(&s, &obj)?;
        let channel = required_str(&obj, "channel")?;
        if !QUERY_CHANNELS.contains(&channel.as_str()) {
            return Err(fail(3, format!("channel {channel} 不合法")));
        }
        let bill_no = obj.get("bill_no").and_then(str_of);
        let refund_no = obj.get("refund_no").and_then(str_of);
        let (start, end) = time_filter(&obj)?;
        let (skip, limit) = paging(&obj)?;
        let store = s.store();
        // refund_no given: its index names the one order; else bill_no's, else all.
        let by_refund = refund_no
            .as_deref()
            .map(|n| store.refund_by(P, RefundKey::RefundNo, n).map(|(o, _)| o));
        let orders: Box<dyn Iterator<Item = &Order>> = match by_refund {
            Some(found) => Box::new(
                found
                    .into_iter()
                    .filter(|o| bill_no.as_ref().is_none_or(|b| b == &o.order_no)),
            ),
            None => Box::new(candidates(&store, bill_no.as_deref())),
        };
        let mut list: Vec<(&Order, &Refund)> = orders
            .filter(|o| channel_matches(&channel, o.extra_str("channel")))
            .filter(|o| start.is_none_or(|t| unix_ms(o.created_at) >= t))
            .filter(|o| end.is_none_or(|t| unix_ms(o.created_at) <= t))
            .flat_map(|o| o.refunds.iter().map(move |r| (o, r)))
            .filter(|(_, r)| refund_no.as_ref().is_none_or(|n| n == &r.refund_no))
            .collect();
        list.sort_by_key(|(_, r)| std::cmp::Reverse(r.created_at));
        let page: Vec<Value> = list
            .into_iter()
            .skip(skip)
            .take(limit)
            .map(|(o, r)| {
                json!({
                    "bill_no": o.order_no,
                    "refund_no": r.refund_no,
                    "total_fee": o.amount.fen(),
                    "refund_fee": r.amount.fen(),
                    "finish": true,
                    "result": r.status == RefundStatus::Succeeded,
                    "created_time": unix_ms(r.created_at),
                })
            })
            .collect();
        let mut extra = Map::new();
        extra.insert("count".into(), page.len().into());
        extra.insert("refunds".into(), Value::Array(page));
        Ok(ok(extra))
    };
    run().unwrap_or_else(|r| r)
}

async fn refund_status(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let run = || -> Handled {
        let obj = parse_para(q.as_deref())?;
        authenticate(&s, &obj)?;
        let channel = required_str(&obj, "channel")?;
        if channel != "WX" {
            return Err(fail(3, "目前只支持WX"));
        }
        let refund_no = required_str(&obj, "refund_no")?;
        let found = s
            .store()
            .refund_by(P, RefundKey::RefundNo, &refund_no)
            .is_some();
        if !found {
            return Err(fail(13, format!("没有退款记录 {refund_no}")));
        }
        let mut extra = Map::new();
        extra.insert("refund_status".into(), "SUCCESS".into());
        Ok(ok(extra))
    };
    run().unwrap_or_else(|r| r)
}
