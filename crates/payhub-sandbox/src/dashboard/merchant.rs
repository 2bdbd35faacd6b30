//! The dashboard's refunds, sent as the merchant would: a request signed with the sandbox
//! merchant's credentials to the provider's documented refund endpoint, answered by the same
//! handler an SDK reaches (in process, without the network faults). So a refund over the total
//! or of an unknown order gets exactly the provider's documented error.

use crate::ProviderKind;
use crate::providers::{self, cst_date, unix_ms};
use crate::shared::Shared;
use axum::body::Body;
use axum::http::{Request, header};
use paysig::md5::{HexCase, KeySuffix, md5_hex};
use paysig::{CanonicalRules, ExposeSecret, Md5Signer, Money, Params};
use serde_json::{Value, json};
use std::sync::Arc;
use time::OffsetDateTime;
use tower::ServiceExt;

/// What the page shows: whether the provider refunded, a sentence, the provider's answer.
pub(crate) struct RefundOutcome {
    pub ok: bool,
    pub message: String,
    pub answer: Value,
}

fn refused(message: String) -> RefundOutcome {
    RefundOutcome {
        ok: false,
        message,
        answer: Value::Null,
    }
}

/// Refunds `amount` (or all that is refundable) of the order through the provider's API.
pub(crate) async fn refund(
    shared: &Arc<Shared>,
    p: ProviderKind,
    order_no: &str,
    amount: Option<Money>,
) -> RefundOutcome {
    let order = shared.store().order(p, order_no).cloned();
    // "All" of an order the sandbox does not hold: any amount, the provider refuses the order.
    let amount = amount
        .or_else(|| order.as_ref().map(|o| o.refundable()))
        .filter(|a| !a.is_zero())
        .unwrap_or(Money::from_fen(1));
    let request = match p {
        ProviderKind::Sunmi => sunmi(shared, order_no, amount),
        ProviderKind::Pooul => pooul(shared, order_no, amount),
        ProviderKind::BeeCloud => {
            let family = order
                .as_ref()
                .and_then(|o| o.extra.get("channel"))
                .and_then(Value::as_str)
                .and_then(|c| c.split('_').next())
                .unwrap_or("WX")
                .to_owned();
            beecloud(shared, order_no, amount, &family)
        }
        ProviderKind::Mifeng => {
            return refused(
                "mifeng: Mifeng Pay has no refund API (mifeng.md documents none)".into(),
            );
        }
    };
    let request = match request {
        Ok(r) => r,
        Err(e) => return refused(format!("{p}: cannot build the refund request: {e}")),
    };
    let app = providers::router(p).with_state(Arc::clone(shared));
    let response = match app.oneshot(request).await {
        Ok(r) => r,
        Err(e) => return refused(format!("{p}: {e}")),
    };
    let body = match axum::body::to_bytes(response.into_body(), 1 << 20).await {
        Ok(b) => b,
        Err(e) => return refused(format!("{p}: unreadable answer: {e}")),
    };
    let shown = amount.to_yuan_string();
    match p {
        ProviderKind::Sunmi => read_sunmi(&body, order_no, &shown),
        ProviderKind::Pooul => read_pooul(shared, &body, order_no, &shown),
        _ => read_beecloud(&body, order_no, &shown),
    }
}

fn post(path: &str, content_type: &str, body: String) -> Result<Request<Body>, String> {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .map_err(|e| e.to_string())
}

/// sunmi.txt 4.3.4: form, MD5 signed (§2.1).
fn sunmi(s: &Shared, order_no: &str, amount: Money) -> Result<Request<Body>, String> {
    let mut params = Params::new();
    for (k, v) in [
        ("app_id", s.sunmi.app_id.clone()),
        ("merchantNo", s.sunmi.merchant_no.clone()),
        ("oriOrderId", order_no.to_owned()),
        ("orderId", format!("DR{}", s.digits(18))),
        ("businessId", "dashboard".to_owned()),
        ("amount", amount.to_fen_string()),
        ("charset", "UTF-8".to_owned()),
    ] {
        params.push(k, v);
    }
    let signer = Md5Signer::new(
        CanonicalRules::sorted().exclude(["sign"]).keep_empty(),
        KeySuffix::Append,
        HexCase::Upper,
    );
    let sign = signer
        .sign(&params, &s.sunmi.app_key)
        .map_err(|e| e.to_string())?;
    params.push("sign", sign);
    post(
        "/v1/trade/refund",
        "application/x-www-form-urlencoded",
        params.to_form(),
    )
}

fn read_sunmi(body: &[u8], order_no: &str, amount: &str) -> RefundOutcome {
    let answer: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = answer["code"].as_str().unwrap_or("?");
    let data = &answer["data"];
    match data["sub_code"].as_str() {
        None if code == "10000" => RefundOutcome {
            ok: true,
            message: format!(
                "sunmi: refunded ¥{amount} of {order_no} (refund misId {})",
                data["misId"].as_str().unwrap_or("")
            ),
            answer,
        },
        sub => {
            let msg = data["sub_msg"]
                .as_str()
                .or(answer["msg"].as_str())
                .unwrap_or("");
            let sub = sub.map(|c| format!(" {c}")).unwrap_or_default();
            RefundOutcome {
                ok: false,
                message: format!("sunmi refused the refund: {code}{sub} {msg}"),
                answer,
            }
        }
    }
}

/// pooul.md `/v2/pay/refund`: RS256 JWT of the merchant key, `merchant_id` in the query.
fn pooul(s: &Shared, order_no: &str, amount: Money) -> Result<Request<Body>, String> {
    let payload = json!({
        "mch_trade_id": order_no,
        "mch_refund_id": format!("DR{}", s.digits(18)),
        "refund_fee": amount.fen(),
        "refund_desc": "dashboard refund",
        "nonce_str": s.alnum(16),
    });
    let token = paysig::jwt::encode_rs256(&payload, &s.pooul.merchant_private_key)
        .map_err(|e| e.to_string())?;
    let path = format!("/v2/pay/refund?merchant_id={}", s.pooul.merchant_id);
    post(&path, "text/plain", token)
}

fn read_pooul(s: &Shared, body: &[u8], order_no: &str, amount: &str) -> RefundOutcome {
    // Failures are plain JSON; a success is a JWT signed with the platform key.
    if let Ok(answer) = serde_json::from_slice::<Value>(body) {
        return RefundOutcome {
            ok: false,
            message: format!(
                "pooul refused the refund: {} {}",
                answer["code"],
                answer["msg"].as_str().unwrap_or("")
            ),
            answer,
        };
    }
    let token = String::from_utf8_lossy(body);
    let answer = paysig::jwt::verify_rs256(&token, &s.pooul.platform_public_key)
        .ok()
        .and_then(|v| serde_json::from_slice::<Value>(&v.into_inner()).ok())
        .unwrap_or(Value::Null);
    if answer["code"] == 0 {
        RefundOutcome {
            ok: true,
            message: format!(
                "pooul: refunded ¥{amount} of {order_no} (refund_id {})",
                answer["data"]["refund_id"].as_str().unwrap_or("")
            ),
            answer,
        }
    } else {
        refused(format!("pooul: unexpected answer {token}"))
    }
}

/// beecloud.md `/1/rest/refund`: JSON with `app_sign`, `refund_no` = today + serial.
fn beecloud(
    s: &Shared,
    order_no: &str,
    amount: Money,
    family: &str,
) -> Result<Request<Body>, String> {
    let timestamp = unix_ms(OffsetDateTime::now_utc()).to_string();
    let sign = md5_hex(
        format!(
            "{}{timestamp}{}",
            s.beecloud.app_id,
            s.beecloud.app_key.expose_secret()
        )
        .as_bytes(),
        HexCase::Lower,
    );
    let body = json!({
        "app_id": s.beecloud.app_id,
        "timestamp": timestamp,
        "app_sign": sign,
        "channel": family,
        "refund_no": format!("{}{}", cst_date(OffsetDateTime::now_utc()), s.digits(12)),
        "bill_no": order_no,
        "refund_fee": amount.fen(),
    });
    post("/1/rest/refund", "application/json", body.to_string())
}

fn read_beecloud(body: &[u8], order_no: &str, amount: &str) -> RefundOutcome {
    let answer: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if answer["result_code"] == 0 {
        return RefundOutcome {
            ok: true,
            message: format!("beecloud: refunded ¥{amount} of {order_no}"),
            answer,
        };
    }
    RefundOutcome {
        ok: false,
        message: format!(
            "beecloud refused the refund: {} {}: {}",
            answer["result_code"],
            answer["result_msg"].as_str().unwrap_or(""),
            answer["err_detail"].as_str().unwrap_or("")
        ),
        answer,
    }
}
