//! §6 notify: the signed form POSTed to the merchant.

use super::*;
/// §6: form body, `sign` = SHA256withRSA (base64) over every other field sorted by name,
/// `k=v` joined with `&`, empty values kept.
pub(super) fn signed_form(s: &Shared, url: String, mut form: Params) -> Option<Outgoing> {
    let canonical = CanonicalRules::sorted()
        .exclude(["sign"])
        .keep_empty()
        .build(&form)
        .ok()?;
    let sign = s
        .keys
        .sunmi_platform
        .sign_sha256_base64(canonical.as_bytes())
        .ok()?;
    form.push("sign", sign);
    Some(Outgoing {
        url,
        encoding: Encoding::Form,
        body: form.to_form(),
    })
}

/// Sunmi notifies completed payments only ("支付完成后").
pub(crate) fn pay_notification(
    s: &Arc<Shared>,
    o: &Order,
    event: NotifyEvent,
    url: String,
) -> Option<Outgoing> {
    if event != NotifyEvent::PaySucceeded {
        return None;
    }
    let (state, result_code, result_msg) = state_of(o);
    let mut form = Params::new();
    for (k, v) in [
        ("amount", o.amount.fen().to_string()),
        ("businessId", o.extra_str("businessId").to_owned()),
        ("buyerPayAmount", o.amount.fen().to_string()),
        ("misId", o.platform_no.clone()),
        ("msn", String::new()),
        ("orderId", o.order_no.clone()),
        ("orderType", "0".into()),
        (
            "payTime",
            unix(o.settled_at.unwrap_or(o.created_at)).to_string(),
        ),
        ("platform", "wxpay".into()),
        ("buyerLogonId", o.extra_str("openId").to_owned()),
        ("platformId", o.extra_str("platformId").to_owned()),
        ("refunded", o.refunded.fen().to_string()),
        ("resultCode", result_code.into()),
        ("resultMsg", result_msg.into()),
        ("state", state.to_string()),
    ] {
        form.push(k, v);
    }
    signed_form(s, url, form)
}
