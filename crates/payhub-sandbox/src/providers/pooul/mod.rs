//! Pooul (pooul.md + provider-notes.md): `POST /v2/...?merchant_id=`, the body a compact RS256
//! JWT signed with the merchant's registered key (`text/plain`), a unique `nonce_str` in every
//! body. Successes are RS256 JWTs signed with the platform key (payload
//! `{code, msg, data, nonce_str}`); failures are plain JSON `{code, msg}`.
//!
//! pooul.md documents only "0 success, non-zero failure", so the failure codes are ASSUMED
//! (see [`crate::POOUL_CODES`]).

use crate::ProviderKind;
use crate::notify::{Encoding, Outgoing};
use crate::providers::send_refund_notification;
use crate::shared::Shared;
use crate::store::{NotifyEvent, Order, OrderStatus, Refund, RefundStatus};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use paysig::Money;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use time::OffsetDateTime;

mod notify;
mod sign;

use notify::jwt_notify;
pub(crate) use notify::pay_notification;

const P: ProviderKind = ProviderKind::Pooul;

/// Missing required field.
pub const MISSING_PARAMETER: i64 = 1001;
/// A field has a wrong type or value.
pub const INVALID_PARAMETER: i64 = 1002;
/// `merchant_id` absent or unknown.
pub const MERCHANT_NOT_FOUND: i64 = 1003;
/// The JWT does not verify with the registered merchant key (or is not a JWT).
pub const SIGNATURE_INVALID: i64 = 1004;
/// `nonce_str` was used before.
pub const NONCE_REUSED: i64 = 1005;
/// `mch_trade_id` exists already.
pub const DUPLICATE_TRADE: i64 = 1006;
/// No such order.
pub const TRADE_NOT_FOUND: i64 = 1007;
/// `refund_fee` exceeds the refundable amount.
pub const REFUND_EXCEEDS: i64 = 1008;
/// The order's state forbids the operation.
pub const STATE_INVALID: i64 = 1009;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v2/pay", post(pay))
        .route("/v2/pay/query", post(query))
        .route("/v2/pay/close", post(close))
        .route("/v2/pay/reverse", post(reverse))
        .route("/v2/pay/refund", post(refund))
        .route("/v2/pay/refund_query", post(refund_query))
}

fn fail(code: i64, msg: impl Into<String>) -> Response {
    axum::Json(json!({ "code": code, "msg": msg.into() })).into_response()
}

fn success(s: &Shared, msg: &str, data: Option<Value>) -> Response {
    let mut payload = json!({ "code": 0, "msg": msg, "nonce_str": s.alnum(16) });
    if let Some(d) = data {
        payload["data"] = d;
    }
    match paysig::jwt::encode_rs256(&payload, &s.keys.pooul_platform) {
        Ok(token) => ([(CONTENT_TYPE, "text/plain; charset=utf-8")], token).into_response(),
        Err(e) => fail(9999, format!("sandbox signing failed: {e}")),
    }
}

type Handled = Result<Response, Response>;

/// merchant_id query, JWT verified with the registered merchant public key, unique nonce_str.
fn authenticate(
    s: &Shared,
    query: Option<&str>,
    body: &[u8],
) -> Result<Map<String, Value>, Response> {
    let merchant = query
        .map(|q| url::form_urlencoded::parse(q.as_bytes()))
        .and_then(|mut pairs| pairs.find(|(k, _)| k == "merchant_id"))
        .map(|(_, v)| v.into_owned());
    match merchant.as_deref() {
        None | Some("") => return Err(fail(MERCHANT_NOT_FOUND, "缺少 merchant_id")),
        Some(m) if m != s.pooul.merchant_id => {
            return Err(fail(MERCHANT_NOT_FOUND, "merchant_id 不存在"));
        }
        Some(_) => {}
    }
    let token = std::str::from_utf8(body).map_err(|_| fail(SIGNATURE_INVALID, "签名验证失败"))?;
    let public = s.pooul.merchant_private_key.public_key();
    let payload = sign::verify_request(token, &public)
        .map_err(|e| fail(SIGNATURE_INVALID, format!("签名验证失败: {e}")))?;
    let obj: Map<String, Value> = serde_json::from_slice(&payload)
        .map_err(|_| fail(INVALID_PARAMETER, "JWT payload 不是 JSON 对象"))?;
    let nonce = match obj.get("nonce_str") {
        Some(Value::String(n)) if !n.is_empty() => n.clone(),
        _ => return Err(fail(MISSING_PARAMETER, "缺少必填参数: nonce_str")),
    };
    if !s.store().pooul_nonces.insert(nonce) {
        return Err(fail(NONCE_REUSED, "nonce_str 重复"));
    }
    Ok(obj)
}

fn str_field<'a>(obj: &'a Map<String, Value>, f: &str) -> Result<&'a str, Response> {
    match obj.get(f) {
        Some(Value::String(v)) if !v.is_empty() => Ok(v),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(fail(MISSING_PARAMETER, format!("缺少必填参数: {f}")))
        }
        Some(_) => Err(fail(INVALID_PARAMETER, format!("参数格式错误: {f}"))),
    }
}

fn opt_str<'a>(obj: &'a Map<String, Value>, f: &str) -> Option<&'a str> {
    obj.get(f).and_then(Value::as_str).filter(|v| !v.is_empty())
}

/// A positive integer number of fen ("只能为整数"): a JSON integer, not a string or a float.
fn fen_field(obj: &Map<String, Value>, f: &str) -> Result<Money, Response> {
    match obj.get(f) {
        None | Some(Value::Null) => Err(fail(MISSING_PARAMETER, format!("缺少必填参数: {f}"))),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if v > 0 => Ok(Money::from_fen(v)),
            _ => Err(fail(
                INVALID_PARAMETER,
                format!("参数格式错误: {f} 须为正整数（分）"),
            )),
        },
        Some(_) => Err(fail(
            INVALID_PARAMETER,
            format!("参数格式错误: {f} 须为整数（分）"),
        )),
    }
}

fn trade_state(o: &Order) -> (u8, &'static str) {
    match o.status {
        OrderStatus::Created => (2, "未支付"),
        OrderStatus::Paying => (6, "支付中, USERPAYING, 需要用户输入支付密码"),
        OrderStatus::Paid if o.refunded.is_zero() => (0, "支付成功"),
        OrderStatus::Paid => (1, "转入退款"),
        OrderStatus::Failed | OrderStatus::Closed => (3, "已关闭"),
        OrderStatus::Reversed => (5, "已撤销"),
    }
}

fn base_data(s: &Shared, o: &Order) -> Map<String, Value> {
    let mut d = Map::new();
    d.insert("trade_id".into(), o.platform_no.clone().into());
    d.insert("mch_trade_id".into(), o.order_no.clone().into());
    d.insert("merchant_id".into(), s.pooul.merchant_id.clone().into());
    d
}

fn trade_data(s: &Shared, o: &Order) -> Value {
    let (state, info) = trade_state(o);
    let mut d = base_data(s, o);
    let paid =
        matches!(o.status, OrderStatus::Paid | OrderStatus::Reversed) && o.settled_at.is_some();
    d.insert("pay_type".into(), o.extra_str("pay_type").into());
    d.insert("total_fee".into(), o.amount.fen().into());
    d.insert(
        "cash_fee".into(),
        if paid { o.amount.fen() } else { 0 }.into(),
    );
    d.insert("out_trade_id".into(), o.extra_str("out_trade_id").into());
    d.insert("attach".into(), o.extra_str("attach").into());
    d.insert("trade_state".into(), state.into());
    d.insert("trade_info".into(), info.into());
    Value::Object(d)
}

/// pooul.md's seven pay types and the developer docs' `wechat.jsurl` and `alipay.jsapi`.
const PAY_TYPES: [&str; 9] = [
    "wechat.scan",
    "wechat.jsapi",
    "wechat.jsminipg",
    "wechat.app",
    "wechat.wap",
    "alipay.scan",
    "common.micro",
    "wechat.jsurl",
    "alipay.jsapi",
];

async fn pay(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery, body: Bytes) -> Response {
    pay_inner(&s, q.as_deref(), &body).unwrap_or_else(|r| r)
}

fn pay_inner(s: &Arc<Shared>, q: Option<&str>, body: &[u8]) -> Handled {
    let obj = authenticate(s, q, body)?;
    let pay_type = str_field(&obj, "pay_type")?.to_owned();
    if !PAY_TYPES.contains(&pay_type.as_str()) {
        return Err(fail(
            INVALID_PARAMETER,
            format!("参数格式错误: pay_type {pay_type}"),
        ));
    }
    let order_no = str_field(&obj, "mch_trade_id")?.to_owned();
    let amount = fen_field(&obj, "total_fee")?;
    str_field(&obj, "body")?;
    let mut required: Vec<&str> = Vec::new();
    if pay_type.starts_with("wechat.") {
        required.push("spbill_create_ip"); // 微信支付必填
    }
    match pay_type.as_str() {
        "wechat.jsapi" | "wechat.jsminipg" | "alipay.jsapi" => {
            required.extend(["sub_appid", "sub_openid"])
        }
        "wechat.app" => required.push("sub_appid"),
        "wechat.wap" => required.extend(["mch_app_type", "mch_app_name", "mch_app_id"]),
        "common.micro" => required.push("auth_code"),
        _ => {}
    }
    for f in required {
        str_field(&obj, f)?;
    }
    if pay_type == "wechat.wap"
        && !matches!(opt_str(&obj, "mch_app_type"), Some("IOS" | "AND" | "WAP"))
    {
        return Err(fail(INVALID_PARAMETER, "参数格式错误: mch_app_type"));
    }
    let notify_url = opt_str(&obj, "notify_url").map(str::to_owned);
    if notify_url
        .as_deref()
        .is_some_and(|u| url::Url::parse(u).is_err())
    {
        return Err(fail(INVALID_PARAMETER, "参数格式错误: notify_url"));
    }
    let micro = pay_type == "common.micro";
    let order = {
        let mut store = s.store();
        if store.order(P, &order_no).is_some() {
            return Err(fail(DUPLICATE_TRADE, "mch_trade_id 重复"));
        }
        let mut extra = obj.clone();
        extra.remove("nonce_str");
        extra.insert(
            "out_trade_id".into(),
            format!("4200{}", s.digits(24)).into(),
        );
        let order = Order {
            provider: P,
            order_no: order_no.clone(),
            platform_no: s.hex(24),
            amount,
            refunded: Money::ZERO,
            status: if micro {
                OrderStatus::Paying
            } else {
                OrderStatus::Created
            },
            notify_url,
            created_at: OffsetDateTime::now_utc(),
            settled_at: None,
            refunds: Vec::new(),
            extra,
        };
        store.insert(order.clone());
        order
    };
    if micro && !s.config.micropay_paying_first {
        let paid = s
            .settle(P, &order_no, true)
            .map_err(|e| fail(9999, e.to_string()))?;
        return Ok(success(s, "success", Some(micro_data(s, &paid))));
    }
    s.schedule_auto_pay(P, &order_no);
    if micro {
        return Ok(success(
            s,
            "USERPAYING, 需要用户输入支付密码",
            Some(micro_data(s, &order)),
        ));
    }
    let mut d = base_data(s, &order);
    let prepay = format!("wx{}", s.hex(32));
    let now = OffsetDateTime::now_utc().unix_timestamp();
    match pay_type.as_str() {
        "wechat.scan" => {
            d.insert(
                "code_url".into(),
                format!("weixin://wxpay/bizpayurl?pr={}", s.alnum(7)).into(),
            );
            d.insert("prepay_id".into(), prepay.into());
        }
        "wechat.jsapi" | "wechat.jsminipg" => {
            let info = json!({
                "appId": order.extra_str("sub_appid"), "timeStamp": now, "nonceStr": s.hex(24),
                "package": format!("prepay_id={prepay}"), "signType": "MD5", "paySign": s.hex(32),
            });
            d.insert("prepay_id".into(), prepay.into());
            d.insert("pay_info".into(), info.to_string().into());
        }
        "wechat.app" => {
            let info = json!({
                "appid": order.extra_str("sub_appid"), "partnerid": s.digits(10),
                "prepayid": prepay, "package": "Sign=WXPay", "noncestr": s.hex(24),
                "timestamp": now, "sign": s.hex(32),
            });
            d.insert("prepay_id".into(), prepay.into());
            d.insert("pay_info".into(), info.to_string().into());
        }
        "wechat.wap" => {
            d.insert("prepay_id".into(), prepay.clone().into());
            d.insert(
                "mweb_url".into(),
                format!("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay}")
                    .into(),
            );
        }
        "wechat.jsurl" => {
            // The developer docs' sample: a pay_url, the echoed device/operator, paying.
            d.insert(
                "pay_url".into(),
                format!("https://pay.sandbox.invalid/jsurl/{}", s.alnum(24)).into(),
            );
            for echoed in ["device_info", "op_user_id"] {
                if let Some(v) = opt_str(&obj, echoed) {
                    d.insert(echoed.into(), v.into());
                }
            }
            d.insert("pay_type".into(), pay_type.clone().into());
            d.insert("trade_state".into(), 6.into());
        }
        "alipay.jsapi" => {
            // The developer docs' sample: pay_info as an object holding Alipay's trade_no.
            d.insert("pay_type".into(), pay_type.clone().into());
            d.insert("total_fee".into(), order.amount.fen().into());
            d.insert("body".into(), order.extra_str("body").into());
            d.insert("actual_fee".into(), 0.into());
            d.insert("settle_fee".into(), order.amount.fen().into());
            d.insert("trade_fee".into(), 0.into());
            d.insert("updated_at".into(), now.into());
            d.insert(
                "pay_info".into(),
                json!({ "trade_no": format!("2019{}", s.digits(24)) }),
            );
            d.insert("trade_state".into(), 6.into());
            d.insert("trade_info".into(), "支付中, Success".into());
        }
        _ => {
            // alipay.scan: code_url with trade_state 6 (the document's sample).
            d.insert(
                "code_url".into(),
                format!("https://qr.alipay.com/bax{}", s.alnum(20)).into(),
            );
            d.insert("pay_type".into(), pay_type.clone().into());
            d.insert("trade_state".into(), 6.into());
            d.insert("trade_info".into(), "支付中, 10000,Success".into());
        }
    }
    Ok(success(s, "success", Some(Value::Object(d))))
}

fn micro_data(s: &Shared, o: &Order) -> Value {
    let (state, info) = trade_state(o);
    let mut d = base_data(s, o);
    d.insert("trade_state".into(), state.into());
    d.insert("trade_info".into(), info.into());
    Value::Object(d)
}

fn find_order(s: &Shared, obj: &Map<String, Value>) -> Result<Order, Response> {
    let no = str_field(obj, "mch_trade_id")?;
    s.store()
        .order(P, no)
        .cloned()
        .ok_or_else(|| fail(TRADE_NOT_FOUND, "订单不存在"))
}

async fn query(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let run = || -> Handled {
        let obj = authenticate(&s, q.as_deref(), &body)?;
        let o = find_order(&s, &obj)?;
        Ok(success(&s, "success", Some(trade_data(&s, &o))))
    };
    run().unwrap_or_else(|r| r)
}

async fn close(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let run = || -> Handled {
        let obj = authenticate(&s, q.as_deref(), &body)?;
        let o = find_order(&s, &obj)?;
        let mut store = s.store();
        let Some(o) = store.order_mut(P, &o.order_no) else {
            return Err(fail(TRADE_NOT_FOUND, "订单不存在"));
        };
        match o.status {
            OrderStatus::Created | OrderStatus::Paying => o.status = OrderStatus::Closed,
            OrderStatus::Paid => return Err(fail(STATE_INVALID, "订单已支付，不能关闭")),
            OrderStatus::Failed | OrderStatus::Closed | OrderStatus::Reversed => {
                return Err(fail(STATE_INVALID, "订单已关闭或已撤销"));
            }
        }
        drop(store);
        Ok(success(&s, "success", None))
    };
    run().unwrap_or_else(|r| r)
}

/// Unpaid: the order is closed as reversed. Paid without refunds: the money goes back
/// (recorded as a full refund) and the order is reversed.
async fn reverse(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let run = || -> Handled {
        let obj = authenticate(&s, q.as_deref(), &body)?;
        let o = find_order(&s, &obj)?;
        let refund_id = s.hex(24);
        let mut store = s.store();
        let Some(o) = store.order_mut(P, &o.order_no) else {
            return Err(fail(TRADE_NOT_FOUND, "订单不存在"));
        };
        match o.status {
            OrderStatus::Created | OrderStatus::Paying => o.status = OrderStatus::Reversed,
            OrderStatus::Paid if o.refunded.is_zero() => {
                let refund = Refund {
                    refund_no: refund_id.clone(),
                    refund_id,
                    amount: o.amount,
                    status: RefundStatus::Succeeded,
                    created_at: OffsetDateTime::now_utc(),
                    extra: Map::new(),
                };
                o.refunded = o.amount;
                o.status = OrderStatus::Reversed;
                let no = o.order_no.clone();
                store.add_refund(P, &no, refund);
            }
            OrderStatus::Paid
            | OrderStatus::Failed
            | OrderStatus::Closed
            | OrderStatus::Reversed => return Err(fail(STATE_INVALID, "订单状态不允许撤销")),
        }
        drop(store);
        Ok(success(&s, "success", None))
    };
    run().unwrap_or_else(|r| r)
}

fn refund_json(s: &Shared, o: &Order, r: &Refund) -> Value {
    let mut d = base_data(s, o);
    d.insert("refund_id".into(), r.refund_id.clone().into());
    d.insert("mch_refund_id".into(), r.refund_no.clone().into());
    d.insert("refund_fee".into(), r.amount.fen().into());
    d.insert("refund_status".into(), 0.into());
    Value::Object(d)
}

async fn refund(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let run = || -> Handled {
        let obj = authenticate(&s, q.as_deref(), &body)?;
        let order_no = str_field(&obj, "mch_trade_id")?.to_owned();
        let amount = fen_field(&obj, "refund_fee")?;
        let desc = str_field(&obj, "refund_desc")?.to_owned();
        let notify_url = opt_str(&obj, "notify_url").map(str::to_owned);
        if notify_url
            .as_deref()
            .is_some_and(|u| url::Url::parse(u).is_err())
        {
            return Err(fail(INVALID_PARAMETER, "参数格式错误: notify_url"));
        }
        let mch_refund_id = opt_str(&obj, "mch_refund_id").map(str::to_owned);
        let refund_id = s.hex(24);
        let (order, refund) = {
            let mut store = s.store();
            let Some(o) = store.order_mut(P, &order_no) else {
                return Err(fail(TRADE_NOT_FOUND, "订单不存在"));
            };
            // "一笔退款失败后重新提交，要采用原来的退款单号": the same mch_refund_id is the
            // same refund, answered again rather than refunded twice.
            if let Some(id) = &mch_refund_id
                && let Some(r) = o.refunds.iter().find(|r| &r.refund_no == id)
            {
                if r.amount != amount {
                    return Err(fail(INVALID_PARAMETER, "mch_refund_id 已存在且金额不同"));
                }
                let (o, r) = (o.clone(), r.clone());
                drop(store);
                return Ok(success(&s, "success", Some(refund_json(&s, &o, &r))));
            }
            if o.status != OrderStatus::Paid {
                return Err(fail(STATE_INVALID, "订单未支付成功，不能退款"));
            }
            if amount > o.refundable() {
                return Err(fail(REFUND_EXCEEDS, "退款金额超过可退金额"));
            }
            let mut extra = Map::new();
            extra.insert("refund_desc".into(), desc.into());
            if let Some(u) = &notify_url {
                extra.insert("notify_url".into(), u.clone().into());
            }
            let refund = Refund {
                refund_no: mch_refund_id.unwrap_or_else(|| refund_id.clone()),
                refund_id,
                amount,
                status: RefundStatus::Succeeded,
                created_at: OffsetDateTime::now_utc(),
                extra,
            };
            o.refunded = o.refunded.checked_add(amount).unwrap_or(o.amount);
            let Some(o) = store.add_refund(P, &order_no, refund.clone()) else {
                return Err(fail(TRADE_NOT_FOUND, "订单不存在"));
            };
            (o.clone(), refund)
        };
        // The refund notify goes to the refund request's notify_url only.
        let out = notify_url.and_then(|url| {
            let payload = json!({
                "code": 0,
                "msg": "success",
                "data": {
                    "trade_id": order.platform_no,
                    "mch_trade_id": order.order_no,
                    "merchant_id": s.pooul.merchant_id,
                    "pay_type": order.extra_str("pay_type"),
                    "refunds": {
                        "refund_id": refund.refund_id,
                        "mch_refund_id": refund.refund_no,
                        "refund_fee": refund.amount.fen(),
                        "refund_desc": refund.extra.get("refund_desc").cloned().unwrap_or_default(),
                        "refund_status": 0,
                    },
                },
                "nonce_str": s.alnum(16),
            });
            jwt_notify(&s, url, &payload)
        });
        send_refund_notification(&s, &order, &refund, out);
        Ok(success(
            &s,
            "success",
            Some(refund_json(&s, &order, &refund)),
        ))
    };
    run().unwrap_or_else(|r| r)
}

async fn refund_query(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let run = || -> Handled {
        let obj = authenticate(&s, q.as_deref(), &body)?;
        let o = find_order(&s, &obj)?;
        let only = opt_str(&obj, "mch_refund_id");
        let refunds: Vec<Value> = o
            .refunds
            .iter()
            .filter(|r| only.is_none_or(|id| id == r.refund_no))
            .map(|r| {
                json!({
                    "refund_id": r.refund_id,
                    "mch_refund_id": r.refund_no,
                    "refund_fee": r.amount.fen(),
                    "refund_state": 0,
                })
            })
            .collect();
        let mut d = trade_data(&s, &o);
        d["refunds"] = Value::Array(refunds);
        Ok(success(&s, "success", Some(d)))
    };
    run().unwrap_or_else(|r| r)
}
