//! Sunmi's success answers (§4.3.3 and §4.3.4 `data`).

use super::*;

/// A query's success answer, `{code, data, msg}`. Serialized straight from borrowed fields:
/// the most repeated call builds no JSON tree. Members are declared in name order, the order
/// the other answers' maps write, so both read the same.
#[derive(Serialize)]
pub(super) struct Answer<T> {
    code: &'static str,
    data: T,
    msg: &'static str,
}

/// §4.3.3 `data` of an order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrderData<'a> {
    amount: u64,
    business_id: &'a str,
    buyer_logon_id: &'a str,
    buyer_pay_amount: u64,
    merchant_no: &'a str,
    mis_id: &'a str,
    msn: &'a str,
    order_id: &'a str,
    order_type: u8,
    pay_time: i64,
    platform: &'a str,
    platform_id: &'a str,
    refunded: u64,
    result_code: &'a str,
    result_msg: &'a str,
    state: u8,
}

pub(super) fn order_data<'a>(s: &'a Shared, o: &'a Order) -> OrderData<'a> {
    let (state, result_code, result_msg) = state_of(o);
    let paid = o.status == OrderStatus::Paid;
    OrderData {
        amount: o.amount.fen(),
        business_id: o.extra_str("businessId"),
        buyer_logon_id: o.extra_str("openId"),
        buyer_pay_amount: if paid { o.amount.fen() } else { 0 },
        merchant_no: &s.sunmi.merchant_no,
        mis_id: &o.platform_no,
        msn: "",
        order_id: &o.order_no,
        order_type: 0,
        pay_time: unix(o.settled_at.unwrap_or(o.created_at)),
        platform: "wxpay",
        platform_id: o.extra_str("platformId"),
        refunded: o.refunded.fen(),
        result_code,
        result_msg,
        state,
    }
}

/// The success answer of `data`, as JSON bytes.
pub(super) fn ok_bytes(data: impl Serialize) -> Response {
    let answer = Answer {
        code: "10000",
        data,
        msg: "成功",
    };
    let mut body = Vec::with_capacity(512);
    match serde_json::to_writer(&mut body, &answer) {
        Ok(()) => (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        // Only a failing Serialize impl gets here, and these have none.
        Err(e) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("sandbox: answer not serialized: {e}"),
        )
            .into_response(),
    }
}

pub(super) fn refund_data(s: &Shared, o: &Order, r: &Refund) -> Value {
    let ex = |k: &str| {
        r.extra
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    json!({
        "amount": r.amount.fen(),
        "businessId": ex("businessId"),
        "misId": r.refund_id,
        "msn": ex("msn"),
        "merchantNo": s.sunmi.merchant_no,
        "orderId": r.refund_no,
        "orderType": 1,
        "oriMisId": o.platform_no,
        "oriOrderId": o.order_no,
        "payTime": unix(r.created_at),
        "platform": "wxpay",
        "buyerLogonId": o.extra_str("openId"),
        "platformId": ex("platformId"),
        "resultCode": "00",
        "resultMsg": "成功",
        "state": 3,
    })
}
