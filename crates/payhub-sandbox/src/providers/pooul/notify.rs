//! Pooul's notifies: RS256 JWTs signed with the platform key (provider-notes.md).

use super::*;

pub(super) fn jwt_notify(s: &Shared, url: String, payload: &Value) -> Option<Outgoing> {
    let token = sign::notify(payload, &s.keys.pooul_platform)?;
    Some(Outgoing {
        url,
        encoding: Encoding::Text,
        body: token,
    })
}

/// Pay notify (provider-notes.md): compact RS256 JWT, payload
/// `{code, data:{trade_id, attach, mch_trade_id, merchant_id, pay_type, total_fee, trade_state,
/// trade_info}, nonce_str}`. Sent for successful payments only.
pub(crate) fn pay_notification(
    s: &Arc<Shared>,
    o: &Order,
    event: NotifyEvent,
    url: String,
) -> Option<Outgoing> {
    if event != NotifyEvent::PaySucceeded {
        return None;
    }
    let (state, info) = trade_state(o);
    let payload = json!({
        "code": 0,
        "data": {
            "trade_id": o.platform_no,
            "attach": o.extra_str("attach"),
            "mch_trade_id": o.order_no,
            "merchant_id": s.pooul.merchant_id,
            "pay_type": o.extra_str("pay_type"),
            "total_fee": o.amount.fen(),
            "trade_state": state,
            "trade_info": info,
        },
        "nonce_str": s.alnum(16),
    });
    jwt_notify(s, url, &payload)
}
