//! The webhook: BeeCloud's notify of a payment or refund (provider-notes.md).

use super::*;

/// The webhook (provider-notes.md; the scheme is [`crate::SandboxConfig::beecloud_webhook`]).
/// BeeCloud requests carry no notify URL: the app-level one (console setting) is used.
pub(super) fn webhook(
    s: &Shared,
    o: &Order,
    refund: Option<&Refund>,
    url: String,
) -> Option<Outgoing> {
    let timestamp = unix_ms(OffsetDateTime::now_utc());
    let channel_type = family(o.extra_str("channel")).to_owned();
    let sub_channel = o.extra_str("channel").to_owned();
    let (transaction_type, transaction_id, fee, optional) = match refund {
        None => (
            "PAY",
            o.order_no.clone(),
            o.amount.fen(),
            o.extra.get("optional"),
        ),
        Some(r) => (
            "REFUND",
            r.refund_no.clone(),
            r.amount.fen(),
            r.extra.get("optional"),
        ),
    };
    let optional = optional.cloned().unwrap_or_else(|| json!({}));
    let detail =
        json!({ "bill_no": o.order_no, "total_fee": o.amount.fen(), "channel": sub_channel });
    let body = match s.config.beecloud_webhook {
        BeeCloudWebhookScheme::V1CamelCase => {
            let sign = sign::webhook_v1(
                &s.beecloud.app_id,
                s.beecloud.app_secret.expose_secret(),
                timestamp,
            );
            json!({
                "sign": sign,
                "timestamp": timestamp,
                "channelType": channel_type,
                "transactionType": transaction_type,
                "transactionId": transaction_id,
                "transactionFee": fee,
                "tradeSuccess": true,
                "messageDetail": detail,
                "optional": optional,
            })
        }
        BeeCloudWebhookScheme::SnakeCaseSignature => {
            let signature = sign::webhook_v2(
                &s.beecloud.app_id,
                &transaction_id,
                transaction_type,
                &channel_type,
                fee,
                s.beecloud.master_secret.expose_secret(),
            );
            json!({
                "signature": signature,
                "timestamp": timestamp,
                "channel_type": channel_type,
                "sub_channel_type": sub_channel,
                "transaction_type": transaction_type,
                "transaction_id": transaction_id,
                "transaction_fee": fee,
                "trade_success": true,
                "message_detail": detail,
                "optional": optional,
            })
        }
    };
    Some(Outgoing {
        url,
        encoding: Encoding::Json,
        body: body.to_string(),
    })
}

/// BeeCloud sends the webhook for successful payments.
pub(crate) fn pay_notification(
    s: &Arc<Shared>,
    o: &Order,
    event: NotifyEvent,
    url: String,
) -> Option<Outgoing> {
    if event != NotifyEvent::PaySucceeded {
        return None;
    }
    webhook(s, o, None, url)
}
