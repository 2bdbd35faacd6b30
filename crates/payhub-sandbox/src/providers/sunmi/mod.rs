//! Sunmi (sunmi.txt): form POSTs signed with MD5 (§2.1), JSON answers `{code, msg, data}`,
//! SHA256withRSA form notifies (§2.2, §6).
//!
//! Errors: gateway-level failures use the system codes of §7.1 with the FAQ's messages
//! (`40001 Missing <field>`, `40002 invalid app_id`, `40002 Invalid Sign`); business failures
//! answer `code` 10000 with `data.sub_code`/`data.sub_msg` from §7.2 (E01, E02, E19, E22, T06,
//! D08, ...), as the FAQ explains ("10000 only means the request arrived").

use crate::ProviderKind;
use crate::notify::{Encoding, Outgoing};
use crate::providers::{notify_target, send_refund_notification};
use crate::shared::Shared;
use crate::store::{
    NotifyEvent, Order, OrderKey, OrderStatus, Refund, RefundKey, RefundStatus, Store,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use paysig::{CanonicalRules, ExposeSecret, Money, Params};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use time::OffsetDateTime;

mod answer;
mod form;
mod notify;

use answer::{ok_bytes, order_data, refund_data};
use form::{Form, FormContentType};
pub(crate) use notify::pay_notification;
use notify::signed_form;

const P: ProviderKind = ProviderKind::Sunmi;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/trade/payBind", post(pay_bind))
        .route("/v1/trade/jsApiPay", post(js_api_pay))
        .route("/v1/trade/miniPay", post(mini_pay))
        .route("/v1/trade/query", post(query))
        .route("/v1/trade/refund", post(refund))
        .route("/v1/trade/swipeQuery", post(swipe_query))
}

fn sys(code: &str, msg: &str) -> Response {
    axum::Json(json!({ "code": code, "msg": msg })).into_response()
}

fn biz(sub_code: &str, sub_msg: &str) -> Response {
    axum::Json(json!({
        "code": "10000",
        "data": { "sub_code": sub_code, "sub_msg": sub_msg },
        "msg": "",
    }))
    .into_response()
}

fn ok(data: Value) -> Response {
    axum::Json(json!({ "code": "10000", "data": data, "msg": "成功" })).into_response()
}

/// The checks every endpoint shares: form body, app_id, MD5 sign (§2.1), charset.
fn authenticate<'a>(
    shared: &Shared,
    FormContentType(is_form): FormContentType,
    body: &'a [u8],
) -> Result<Form<'a>, Response> {
    // FAQ 1: a non-form request reads as having no parameters: "Missing app_id".
    let params =
        Form::parse(if is_form { body } else { b"" }).map_err(|_| sys("40002", "非法参数"))?;
    match params.get("app_id") {
        None | Some("") => return Err(sys("40001", "Missing app_id")),
        Some(id) if id != shared.sunmi.app_id => return Err(sys("40002", "invalid app_id")),
        Some(_) => {}
    }
    match params.get("sign") {
        None | Some("") => return Err(sys("40001", "Missing sign")),
        Some(sign) if !params.sign_matches(sign, shared.sunmi.app_key.expose_secret()) => {
            return Err(axum::Json(json!({
                "code": "40002",
                "msg": "Invalid Sign",
                "data": { "sub_code": "E05", "sub_msg": "验签失败" },
            }))
            .into_response());
        }
        Some(_) => {}
    }
    require(&params, &["charset"])?;
    Ok(params)
}

fn require(params: &Form<'_>, fields: &[&str]) -> Result<(), Response> {
    for f in fields {
        if params.get(f).is_none_or(str::is_empty) {
            return Err(sys("40001", &format!("Missing {f}")));
        }
    }
    Ok(())
}

fn max_len(params: &Form<'_>, limits: &[(&str, usize)]) -> Result<(), Response> {
    for (f, max) in limits {
        if params.get(f).is_some_and(|v| v.chars().count() > *max) {
            return Err(sys("40002", &format!("Invalid {f}")));
        }
    }
    Ok(())
}

fn nonempty<'a>(params: &'a Form<'_>, f: &str) -> Option<&'a str> {
    params.get(f).filter(|v| !v.is_empty())
}

/// msn / merchantNo: one is required, both must belong to the sandbox merchant.
fn check_merchant(shared: &Shared, params: &Form<'_>, allow_msn: bool) -> Result<(), Response> {
    let msn = if allow_msn {
        nonempty(params, "msn")
    } else {
        None
    };
    let merchant = nonempty(params, "merchantNo");
    if msn.is_none() && merchant.is_none() {
        return Err(sys("40001", "Missing merchantNo"));
    }
    if msn.is_some_and(|m| m != shared.sunmi.msn) {
        return Err(biz("E25", "商户不合法"));
    }
    if merchant.is_some_and(|m| m != shared.sunmi.merchant_no) {
        return Err(biz("E01", "商户不存在"));
    }
    Ok(())
}

fn state_of(o: &Order) -> (u8, &'static str, &'static str) {
    match o.status {
        OrderStatus::Created | OrderStatus::Paying => (1, "T00", "用户支付中"),
        OrderStatus::Paid => (3, "T00", "Success"),
        OrderStatus::Failed => (5, "T07", "交易失败"),
        OrderStatus::Closed | OrderStatus::Reversed => (4, "D04", "交易结束"),
    }
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

// ---- 4.3.1 / 5.3.1 payBind ----

async fn pay_bind(
    State(s): State<Arc<Shared>>,
    form_type: FormContentType,
    body: Bytes,
) -> Response {
    let params = match authenticate(&s, form_type, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = require(&params, &["merchantNo", "configType"]) {
        return r;
    }
    if let Err(r) = check_merchant(&s, &params, false) {
        return r;
    }
    let field = match params.get("configType").unwrap_or_default() {
        "1" => "payUrl",
        "2" => "miniAppId",
        "3" => "attentionAppId",
        "4" => "receiptAppId",
        "5" => {
            // Undocumented answer shape for "query configuration": the bindings by configType.
            let store = s.store();
            let mut data = serde_json::Map::new();
            for (kind, value) in &store.sunmi_bindings {
                let entry = data
                    .entry(kind.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = entry {
                    list.push(Value::String(value.clone()));
                }
            }
            return ok(Value::Object(data));
        }
        _ => return biz("Q03", "参数异常"),
    };
    let Some(value) = nonempty(&params, field) else {
        return biz("Q03", "参数异常");
    };
    if let Err(r) = max_len(
        &params,
        &[(field, if field == "payUrl" { 255 } else { 32 })],
    ) {
        return r;
    }
    let fresh = s
        .store()
        .sunmi_bindings
        .insert((field.to_owned(), value.to_owned()));
    if !fresh {
        return biz("Q03", "subappid已配置，请勿重复配置");
    }
    axum::Json(json!({ "code": "10000", "data": "Success", "msg": "" })).into_response()
}

// ---- 4.3.2 jsApiPay (yuan) / 5.3.2 miniPay (fen) ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    JsApi,
    Mini,
}

async fn js_api_pay(
    State(s): State<Arc<Shared>>,
    form_type: FormContentType,
    body: Bytes,
) -> Response {
    create(&s, form_type, &body, Kind::JsApi)
}

async fn mini_pay(
    State(s): State<Arc<Shared>>,
    form_type: FormContentType,
    body: Bytes,
) -> Response {
    create(&s, form_type, &body, Kind::Mini)
}

fn create(s: &Arc<Shared>, form_type: FormContentType, body: &[u8], kind: Kind) -> Response {
    let params = match authenticate(s, form_type, body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut required = vec![
        "merchantNo",
        "totalAmount",
        "miniAppId",
        "openId",
        "orderId",
    ];
    if kind == Kind::JsApi {
        required.push("walletType");
    }
    if let Err(r) = require(&params, &required) {
        return r;
    }
    let order_len = if kind == Kind::JsApi { 80 } else { 32 };
    // miniPay's table says notifyUrl String(32), an evident typo for 255: not enforced.
    if let Err(r) = max_len(
        &params,
        &[
            ("merchantNo", 20),
            ("totalAmount", 20),
            ("miniAppId", 32),
            ("openId", 128),
            ("orderId", order_len),
            ("walletType", 4),
            ("notifyUrl", 255),
            ("appVersion", 80),
        ],
    ) {
        return r;
    }
    if let Err(r) = check_merchant(s, &params, false) {
        return r;
    }
    let raw_amount = params.get("totalAmount").unwrap_or_default();
    let amount = match kind {
        Kind::JsApi => Money::parse_yuan(raw_amount),
        Kind::Mini => Money::parse_fen(raw_amount),
    };
    let amount = match amount {
        Ok(a) if !a.is_zero() => a,
        _ => return biz("E02", "无效金额"),
    };
    let notify_url = nonempty(&params, "notifyUrl").map(str::to_owned);
    if notify_url
        .as_deref()
        .is_some_and(|u| url::Url::parse(u).is_err())
    {
        return sys("40002", "Invalid notifyUrl");
    }
    let order_no = params.get("orderId").unwrap_or_default().to_owned();
    let now = OffsetDateTime::now_utc();
    let order = {
        let mut store = s.store();
        if number_taken(&store, &order_no) {
            return biz("T06", "重复交易");
        }
        let mut extra = serde_json::Map::new();
        for (k, v) in params.iter() {
            if k != "sign" && k != "app_id" {
                extra.insert(k.to_owned(), Value::String(v.to_owned()));
            }
        }
        extra.insert("platformId".into(), format!("4200{}", s.digits(24)).into());
        extra.insert(
            "kind".into(),
            if kind == Kind::JsApi {
                "jsApiPay"
            } else {
                "miniPay"
            }
            .into(),
        );
        let order = Order {
            provider: P,
            order_no: order_no.clone(),
            platform_no: format!("SM{}", s.digits(20)),
            amount,
            refunded: Money::ZERO,
            status: OrderStatus::Created,
            notify_url,
            created_at: now,
            settled_at: None,
            refunds: Vec::new(),
            extra,
        };
        store.insert(order.clone());
        order
    };
    s.schedule_auto_pay(P, &order_no);
    let cloud_pay_info = json!({
        "appId": order.extra_str("miniAppId"),
        "timeStamp": unix(now).to_string(),
        "nonceStr": s.hex(32),
        "packageStr": format!("prepay_id=wx{}", s.hex(28)),
        "signType": "RSA",
        "paySign": s
            .keys
            .sunmi_platform
            .sign_sha256_base64(order.platform_no.as_bytes())
            .unwrap_or_default(),
    });
    let (state, result_code, result_msg) = state_of(&order);
    let common = |amount: Value, pay_time: Value, cloud: Value| {
        json!({
            "orderId": order.order_no,
            "misId": order.platform_no,
            "platformId": order.extra_str("platformId"),
            "merchantNo": s.sunmi.merchant_no,
            "amount": amount,
            "payTime": pay_time,
            "platform": "wxpay",
            "buyerLogonId": order.extra_str("openId"),
            "cloudPayInfo": cloud,
            "buyerPayAmount": amount,
            "resultCode": result_code,
            "resultMsg": result_msg,
            "state": state,
        })
    };
    // The two sections' samples differ in types: jsApiPay strings and an object
    // cloudPayInfo, miniPay integers and a JSON-encoded cloudPayInfo.
    let data = match kind {
        Kind::JsApi => common(
            amount.fen().to_string().into(),
            unix(now).to_string().into(),
            cloud_pay_info,
        ),
        Kind::Mini => common(
            amount.fen().into(),
            unix(now).into(),
            cloud_pay_info.to_string().into(),
        ),
    };
    ok(data)
}

// ---- 4.3.3 query ----

async fn query(State(s): State<Arc<Shared>>, form_type: FormContentType, body: Bytes) -> Response {
    let params = match authenticate(&s, form_type, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = check_merchant(&s, &params, true) {
        return r;
    }
    let mis = nonempty(&params, "misId");
    let oid = nonempty(&params, "orderId");
    let pid = nonempty(&params, "platformId");
    if mis.is_none() && oid.is_none() && pid.is_none() {
        return sys("40001", "Missing orderId");
    }
    let matches = |no: &str, mis_id: &str, platform_id: &str| {
        oid.is_none_or(|v| v == no)
            && mis.is_none_or(|v| v == mis_id)
            && pid.is_none_or(|v| v == platform_id)
    };
    // A read lock: queries do not wait for each other, only for a change being made.
    let store = s.store_read();
    // One key finds the only candidate (each is unique); the others must agree with it.
    if let Some(o) = find_order(&store, oid, mis, pid)
        .filter(|o| matches(&o.order_no, &o.platform_no, o.extra_str("platformId")))
    {
        return ok_bytes(order_data(&s, o));
    }
    let refund = match (oid, mis, pid) {
        (Some(v), _, _) => store.refund_by(P, RefundKey::RefundNo, v),
        (None, Some(v), _) => store.refund_by(P, RefundKey::RefundId, v),
        (None, None, Some(v)) => store.refund_by(P, RefundKey::PlatformId, v),
        (None, None, None) => None,
    };
    if let Some((o, r)) = refund {
        let pid_r = r
            .extra
            .get("platformId")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if matches(&r.refund_no, &r.refund_id, pid_r) {
            let mut data = refund_data(&s, o, r);
            data["refunded"] = json!(0);
            data["buyerPayAmount"] = json!(r.amount.fen());
            return ok(data);
        }
    }
    biz("E19", "订单不存在")
}

/// Order and refund numbers share one namespace (a refund's `orderId` is a trade number too).
fn number_taken(store: &Store, no: &str) -> bool {
    store.order(P, no).is_some() || store.refund_by(P, RefundKey::RefundNo, no).is_some()
}

/// The order named by the first key given (orderId, misId, platformId): an index hit.
fn find_order<'a>(
    store: &'a Store,
    order_id: Option<&str>,
    mis_id: Option<&str>,
    platform_id: Option<&str>,
) -> Option<&'a Order> {
    match (order_id, mis_id, platform_id) {
        (Some(v), _, _) => store.order(P, v),
        (None, Some(v), _) => store.order_by(P, OrderKey::PlatformNo, v),
        (None, None, Some(v)) => store.order_by(P, OrderKey::PlatformId, v),
        (None, None, None) => None,
    }
}

// ---- 4.3.4 refund ----

async fn refund(State(s): State<Arc<Shared>>, form_type: FormContentType, body: Bytes) -> Response {
    let params = match authenticate(&s, form_type, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = require(&params, &["amount", "orderId", "businessId"]) {
        return r;
    }
    if let Err(r) = max_len(
        &params,
        &[
            ("amount", 20),
            ("orderId", 80),
            ("businessId", 80),
            ("oriMisId", 80),
            ("oriPlatformId", 80),
            ("oriOrderId", 80),
        ],
    ) {
        return r;
    }
    if let Err(r) = check_merchant(&s, &params, true) {
        return r;
    }
    let ori_mis = nonempty(&params, "oriMisId");
    let ori_pid = nonempty(&params, "oriPlatformId");
    let ori_oid = nonempty(&params, "oriOrderId");
    if ori_mis.is_none() && ori_pid.is_none() && ori_oid.is_none() {
        return sys("40001", "Missing oriOrderId");
    }
    // FAQ 8: the amount is fen, at least 1 ("not 0.01").
    let amount = match Money::parse_fen(params.get("amount").unwrap_or_default()) {
        Ok(a) if !a.is_zero() => a,
        _ => return biz("E22", "退款金额有误"),
    };
    let refund_no = params.get("orderId").unwrap_or_default().to_owned();
    let (order, refund) = {
        let mut store = s.store();
        if number_taken(&store, &refund_no) {
            return biz("T06", "重复交易");
        }
        let Some(key) = find_order(&store, ori_oid, ori_mis, ori_pid)
            .filter(|o| {
                ori_oid.is_none_or(|v| v == o.order_no)
                    && ori_mis.is_none_or(|v| v == o.platform_no)
                    && ori_pid.is_none_or(|v| v == o.extra_str("platformId"))
            })
            .map(|o| o.order_no.clone())
        else {
            return biz("E19", "订单不存在");
        };
        let refund_id = format!("SMR{}", s.digits(19));
        let platform_id = format!("5000{}", s.digits(24));
        let Some(o) = store.order_mut(P, &key) else {
            return biz("E19", "订单不存在");
        };
        match o.status {
            OrderStatus::Paid => {}
            OrderStatus::Created | OrderStatus::Paying => return biz("D08", "订单未支付"),
            OrderStatus::Failed => return biz("D09", "订单支付失败"),
            OrderStatus::Closed | OrderStatus::Reversed => return biz("D04", "交易结束"),
        }
        if amount > o.refundable() {
            return biz("E22", "退款金额有误");
        }
        let mut extra = serde_json::Map::new();
        for k in ["businessId", "msn"] {
            extra.insert(k.into(), params.get(k).unwrap_or_default().into());
        }
        extra.insert("platformId".into(), platform_id.into());
        let refund = Refund {
            refund_no,
            refund_id,
            amount,
            status: RefundStatus::Succeeded,
            created_at: OffsetDateTime::now_utc(),
            extra,
        };
        o.refunded = o.refunded.checked_add(amount).unwrap_or(o.amount);
        let Some(o) = store.add_refund(P, &key, refund.clone()) else {
            return biz("E19", "订单不存在");
        };
        (o.clone(), refund)
    };
    let out = notify_target(&s, P, order.notify_url.as_deref()).and_then(|url| {
        let mut form = Params::new();
        let data = refund_data(&s, &order, &refund);
        for (k, v) in [
            ("amount", refund.amount.fen().to_string()),
            ("businessId", text(&data["businessId"])),
            ("buyerPayAmount", refund.amount.fen().to_string()),
            ("misId", refund.refund_id.clone()),
            ("msn", text(&data["msn"])),
            ("orderId", refund.refund_no.clone()),
            ("orderType", "1".into()),
            ("payTime", unix(refund.created_at).to_string()),
            ("platform", "wxpay".into()),
            ("buyerLogonId", order.extra_str("openId").to_owned()),
            ("platformId", text(&data["platformId"])),
            ("refunded", order.refunded.fen().to_string()),
            ("resultCode", "T00".into()),
            ("resultMsg", "Success".into()),
            ("state", "3".into()),
            ("origMisId", order.platform_no.clone()),
            ("origOrderId", order.order_no.clone()),
            ("origPlatformId", order.extra_str("platformId").to_owned()),
            ("origBusinessId", order.extra_str("businessId").to_owned()),
        ] {
            form.push(k, v);
        }
        signed_form(&s, url, form)
    });
    send_refund_notification(&s, &order, &refund, out);
    ok(refund_data(&s, &order, &refund))
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

// ---- 3.3.1 swipeQuery ----

/// Card (financial) trades happen on devices, which the sandbox does not have: every query
/// answers E19 "order not found" after the documented checks.
async fn swipe_query(
    State(s): State<Arc<Shared>>,
    form_type: FormContentType,
    body: Bytes,
) -> Response {
    let params = match authenticate(&s, form_type, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = require(&params, &["msn"]) {
        return r;
    }
    if nonempty(&params, "orderId").is_none() && nonempty(&params, "platformId").is_none() {
        return sys("40001", "Missing orderId");
    }
    if let Err(r) = check_merchant(&s, &params, true) {
        return r;
    }
    biz("E19", "订单不存在")
}

// ---- 6 notify ----
