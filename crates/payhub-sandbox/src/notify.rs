//! Delivery of signed notifies: POST, record, retry on the provider's schedule until the
//! receiver answers the exact acknowledgement.

use crate::ProviderKind;
use crate::shared::Shared;
use crate::store::{DeliveryAttempt, NotificationRecord, NotifyEvent};
use paysig::http::{Request, Url};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// How a notify body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Form,
    Json,
    Text,
}

/// A signed notify ready to POST.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub url: String,
    pub encoding: Encoding,
    pub body: String,
}

/// Waits between attempts, in documented seconds (the first attempt is immediate).
///
/// - Sunmi, sunmi.txt §6.3: 1s/15s/30s/3m/10m/10m/1h/2h/6h/15h.
/// - Pooul, pooul.md "支付结果通知": 15/15/30/180/1800/1800/1800/1800/3600.
/// - BeeCloud, provider-notes.md: 2, 4, 8 … 2^17 s.
/// - Mifeng: ASSUMED (mifeng.md's notify section is missing): the same WeChat-style schedule
///   as Pooul.
pub fn retry_schedule(p: ProviderKind) -> Vec<Duration> {
    let secs: Vec<u64> = match p {
        ProviderKind::Sunmi => vec![1, 15, 30, 180, 600, 600, 3600, 7200, 21600, 54000],
        ProviderKind::Pooul | ProviderKind::Mifeng => {
            vec![15, 15, 30, 180, 1800, 1800, 1800, 1800, 3600]
        }
        ProviderKind::BeeCloud => (1..=17).map(|e| 1u64 << e).collect(),
    };
    secs.into_iter().map(Duration::from_secs).collect()
}

/// The acknowledgement body each provider expects.
///
/// Sunmi `success` (exactly 7 characters, §6.3); Pooul `success` in any case; BeeCloud
/// `success`; Mifeng `SUCCESS` (provider-notes.md, inferred). The HTTP status must be 2xx.
pub fn acknowledgement(p: ProviderKind) -> &'static str {
    match p {
        ProviderKind::Sunmi | ProviderKind::Pooul | ProviderKind::BeeCloud => "success",
        ProviderKind::Mifeng => "SUCCESS",
    }
}

fn is_ack(p: ProviderKind, status: u16, body: &[u8]) -> bool {
    if !(200..300).contains(&status) {
        return false;
    }
    let expected = acknowledgement(p).as_bytes();
    match p {
        ProviderKind::Pooul => body.eq_ignore_ascii_case(expected),
        _ => body == expected,
    }
}

/// Records the notification and spawns its delivery loop.
pub(crate) fn deliver(
    shared: &Arc<Shared>,
    p: ProviderKind,
    order_no: &str,
    event: NotifyEvent,
    out: Outgoing,
) {
    let content_type = match out.encoding {
        Encoding::Form => "application/x-www-form-urlencoded",
        Encoding::Json => "application/json",
        Encoding::Text => "text/plain",
    };
    let index = shared.store().push_notification(NotificationRecord {
        provider: p,
        order_no: order_no.to_owned(),
        event,
        url: out.url.clone(),
        content_type: content_type.to_owned(),
        body: out.body.clone(),
        attempts: Vec::new(),
        acknowledged: false,
        gave_up: false,
        next_attempt_at: Some(OffsetDateTime::now_utc()),
        next_documented_offset_secs: Some(0),
    });
    let me = Arc::clone(shared);
    shared.spawn(async move {
        let schedule = retry_schedule(p);
        let mut offset = 0u64;
        for n in 0..=schedule.len() {
            let wait = if n == 0 {
                Duration::ZERO
            } else {
                schedule[n - 1]
            };
            offset += wait.as_secs();
            tokio::time::sleep(me.scaled(wait)).await;
            let mut attempt = if me.notify_dropped() {
                DeliveryAttempt {
                    attempt: n as u32 + 1,
                    documented_offset_secs: 0,
                    at: OffsetDateTime::now_utc(),
                    status: None,
                    response: String::new(),
                    error: Some("dropped by the sandbox (notify fault), not sent".into()),
                    acknowledged: false,
                    dropped: true,
                }
            } else {
                send_once(&me, p, &out, n as u32 + 1).await
            };
            attempt.documented_offset_secs = offset;
            let acked = attempt.acknowledged;
            let next = schedule.get(n).copied().filter(|_| !acked);
            me.store().update_notification(index, |rec| {
                rec.attempts.push(attempt);
                rec.acknowledged = acked;
                rec.next_attempt_at = next.map(|w| OffsetDateTime::now_utc() + me.scaled(w));
                rec.next_documented_offset_secs = next.map(|w| offset + w.as_secs());
                rec.gave_up = !acked && next.is_none();
            });
            if acked {
                return;
            }
        }
    });
}

async fn send_once(shared: &Shared, p: ProviderKind, out: &Outgoing, n: u32) -> DeliveryAttempt {
    let at = OffsetDateTime::now_utc();
    let mut attempt = DeliveryAttempt {
        attempt: n,
        documented_offset_secs: 0,
        at,
        status: None,
        response: String::new(),
        error: None,
        acknowledged: false,
        dropped: false,
    };
    let url = match Url::parse(&out.url) {
        Ok(u) => u,
        Err(e) => {
            attempt.error = Some(format!("bad notify URL: {e}"));
            return attempt;
        }
    };
    let req = match out.encoding {
        Encoding::Form => Request::post_form(p.as_str(), "notify", url, out.body.clone()),
        Encoding::Json => {
            Request::post_json(p.as_str(), "notify", url, out.body.clone().into_bytes())
        }
        Encoding::Text => {
            Request::post_text(p.as_str(), "notify", url, "text/plain", out.body.clone())
        }
    };
    match shared.http.send(req).await {
        Ok(resp) => {
            attempt.status = Some(resp.status);
            let shown = &resp.body[..resp.body.len().min(200)];
            attempt.response = String::from_utf8_lossy(shown).into_owned();
            attempt.acknowledged = is_ack(p, resp.status, &resp.body);
        }
        Err(e) => attempt.error = Some(e.to_string()),
    }
    tracing::debug!(provider = %p, attempt = n, acknowledged = attempt.acknowledged, "notify attempt");
    attempt
}
