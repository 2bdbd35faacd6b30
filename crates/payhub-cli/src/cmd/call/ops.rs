//! What each operation of `payhub call` does with the account it was given: build the
//! request from the checked fields, call, and answer JSON.

use super::{Answer, Fields};
use crate::failure::Failure;
use payhub::{
    AccountRef, ErrorClass, PaymentQuery, PaymentRequest, RefundQuery, RefundRequest,
    RefundResolution, Resolution,
};
use serde_json::Value;

fn json(v: impl serde::Serialize) -> Result<Value, Failure> {
    serde_json::to_value(v).map_err(|e| Failure::Other(e.to_string()))
}

pub(super) fn create<'a>(acct: &'a AccountRef<'a>, f: &'a Fields) -> Answer<'a> {
    Box::pin(async move {
        let method = f
            .method
            .ok_or_else(|| Failure::Usage("missing method=...".into()))?;
        let mut req = PaymentRequest::new(
            f.need("order_no")?,
            f.money("amount")?,
            f.need("subject")?,
            f.need("notify_url")?,
            method.pay_method(f)?,
        );
        req.client_ip = f.opt("client_ip");
        req.attach = f.opt("attach");
        json(acct.create_payment(&req).await?)
    })
}

fn payment_query(f: &Fields) -> Result<PaymentQuery, Failure> {
    Ok(PaymentQuery {
        order_no: f.need("order_no")?.to_owned(),
        provider_trade_no: f.opt("provider_trade_no"),
    })
}

pub(super) fn query<'a>(acct: &'a AccountRef<'a>, f: &'a Fields) -> Answer<'a> {
    Box::pin(async move { json(acct.query_payment(&payment_query(f)?).await?) })
}

pub(super) fn refund<'a>(acct: &'a AccountRef<'a>, f: &'a Fields) -> Answer<'a> {
    Box::pin(async move {
        let r = RefundRequest {
            order_no: f.need("order_no")?.to_owned(),
            provider_trade_no: f.opt("provider_trade_no"),
            refund_no: f.need("refund_no")?.to_owned(),
            amount: f.money("amount")?,
            total: f.opt_money("total")?,
            reason: f.opt("reason"),
            notify_url: f.opt("notify_url"),
        };
        json(acct.refund(&r).await?)
    })
}

pub(super) fn query_refund<'a>(acct: &'a AccountRef<'a>, f: &'a Fields) -> Answer<'a> {
    Box::pin(async move {
        let q = RefundQuery {
            order_no: f.need("order_no")?.to_owned(),
            refund_no: f.need("refund_no")?.to_owned(),
        };
        json(acct.query_refund(&q).await?)
    })
}

pub(super) fn close<'a>(acct: &'a AccountRef<'a>, f: &'a Fields) -> Answer<'a> {
    Box::pin(async move {
        let q = payment_query(f)?;
        acct.close_payment(&q).await?;
        Ok(serde_json::json!({ "closed": q.order_no }))
    })
}

/// A resolution as JSON: `{"resolution": "paid" | "not_paid" | "not_found" | "still_unknown",
/// "state": <the payment or refund last seen, or null>, "last_error": <class or null>}`.
fn resolution_json<T: serde::Serialize>(
    label: &str,
    seen: Option<&T>,
    last_error: Option<ErrorClass>,
) -> Result<Value, Failure> {
    Ok(serde_json::json!({
        "resolution": label,
        "state": json(seen)?,
        "last_error": last_error.map(ErrorClass::label),
    }))
}

pub(super) fn resolve<'a>(acct: &'a AccountRef<'a>, f: &'a Fields) -> Answer<'a> {
    Box::pin(async move {
        let r = acct.resolve_payment(f.need("order_no")?).await;
        let label = r.label();
        match &r {
            Resolution::Paid(x) | Resolution::NotPaid(x) => resolution_json(label, Some(x), None),
            Resolution::StillUnknown {
                last_seen,
                last_error,
            } => resolution_json(label, last_seen.as_ref(), *last_error),
            _ => resolution_json::<()>(label, None, None),
        }
    })
}

pub(super) fn resolve_refund<'a>(acct: &'a AccountRef<'a>, f: &'a Fields) -> Answer<'a> {
    Box::pin(async move {
        let r = acct
            .resolve_refund(f.need("order_no")?, f.need("refund_no")?)
            .await;
        let label = r.label();
        match &r {
            RefundResolution::Refunded(x) | RefundResolution::NotRefunded(x) => {
                resolution_json(label, Some(x), None)
            }
            RefundResolution::StillUnknown {
                last_seen,
                last_error,
            } => resolution_json(label, last_seen.as_ref(), *last_error),
            _ => resolution_json::<()>(label, None, None),
        }
    })
}
