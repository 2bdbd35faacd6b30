//! The dashboard's HTML. Every value that came from a request (order numbers, URLs, the
//! merchant's answers) is escaped.

use super::{Listing, Shown};
use crate::ProviderKind;
use crate::control::FaultsBody;
use crate::shared::Shared;
use crate::store::{DeliveryAttempt, NotificationRecord, NotifyEvent, Order, OrderStatus};
use std::fmt::Write;
use time::OffsetDateTime;

/// Text or attribute value, escaped for HTML.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn yuan(m: paysig::Money) -> String {
    format!("¥{}", m.to_yuan_string())
}

/// `HH:MM:SS.mmm` UTC, the full RFC 3339 time in the title.
fn clock(t: OffsetDateTime) -> String {
    let full = t
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    format!(
        "<time datetime=\"{full}\" title=\"{full}\">{:02}:{:02}:{:02}.{:03}</time>",
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A place on a retry schedule: `+0s`, `+16s`, `+3m46s`, `+1h2m`.
pub(crate) fn offset(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("+{s}s"),
        (0, m, 0) => format!("+{m}m"),
        (0, m, s) => format!("+{m}m{s}s"),
        (h, 0, _) => format!("+{h}h"),
        (h, m, _) => format!("+{h}h{m}m"),
    }
}

fn status_name(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Created => "created",
        OrderStatus::Paying => "paying",
        OrderStatus::Paid => "paid",
        OrderStatus::Failed => "failed",
        OrderStatus::Closed => "closed",
        OrderStatus::Reversed => "reversed",
    }
}

fn event_name(e: NotifyEvent) -> &'static str {
    match e {
        NotifyEvent::PaySucceeded => "payment succeeded",
        NotifyEvent::PayFailed => "payment failed",
        NotifyEvent::Refund => "refund",
    }
}

const STYLE: &str = include_str!("dashboard.css");

/// The whole page.
pub(crate) fn page(shared: &Shared, listing: &Listing, faults: &FaultsBody) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>payhub sandbox</title><style>{STYLE}</style></head><body>\
         <header><h1>payhub sandbox</h1>\
         <span id=\"live\" class=\"live\" data-state=\"connecting\">connecting…</span></header><main>"
    );
    h.push_str("<section class=\"providers\" aria-label=\"Providers\">");
    let ports = shared.provider_urls();
    for p in ProviderKind::ALL {
        let url = ports.get(p as usize).map(String::as_str).unwrap_or("");
        let _ = write!(
            h,
            "<div class=\"provider p-{p}\"><b>{p}</b> <code>{}</code></div>",
            esc(url)
        );
    }
    h.push_str("</section>");
    h.push_str(
        "<div id=\"message\" role=\"status\" aria-live=\"polite\" class=\"message\" hidden></div>",
    );
    h.push_str(
        "<section class=\"panel\" id=\"act\"><h2>Act on an order</h2>\
         <form id=\"act-form\" class=\"row\" autocomplete=\"off\">\
         <label>Provider <select name=\"provider\">",
    );
    for p in ProviderKind::ALL {
        let _ = write!(h, "<option value=\"{p}\">{p}</option>");
    }
    h.push_str(
        "</select></label>\
         <label>Order number <input name=\"order_no\" required></label>\
         <label>Amount (yuan, empty: all) <input name=\"amount\" inputmode=\"decimal\" size=\"8\"></label>\
         <span class=\"buttons\">\
         <button type=\"button\" data-action=\"pay\">pay</button>\
         <button type=\"button\" data-action=\"fail\">fail</button>\
         <button type=\"button\" data-action=\"expire\">expire</button>\
         <button type=\"button\" data-action=\"refund\">refund</button>\
         <button type=\"button\" data-action=\"resend\">resend notify</button></span></form></section>",
    );
    faults_panel(&mut h, faults);
    h.push_str(
        "<section class=\"panel\" id=\"orders-panel\"><h2>Orders and refunds</h2>\
         <form id=\"filter\" class=\"row\" autocomplete=\"off\">\
         <label>Provider <select name=\"provider\"><option value=\"\">all</option>",
    );
    for p in ProviderKind::ALL {
        let _ = write!(h, "<option value=\"{p}\">{p}</option>");
    }
    h.push_str(
        "</select></label><label>Find (order, platform or refund number) \
         <input name=\"q\" type=\"search\"></label></form><div id=\"orders\">",
    );
    h.push_str(&orders(listing));
    h.push_str(
        "</div></section></main><script src=\"/_sandbox/dashboard.js\"></script></body></html>",
    );
    h
}

fn faults_panel(h: &mut String, f: &FaultsBody) {
    let num = |v: Option<f64>| v.unwrap_or(0.0).to_string();
    let _ = write!(
        h,
        "<section class=\"panel\" id=\"faults-panel\"><h2>Faults</h2>\
         <form id=\"faults-form\" class=\"row\" autocomplete=\"off\">\
         <label>Latency (ms) <input name=\"latency_ms\" type=\"number\" min=\"0\" step=\"1\" value=\"{}\"></label>\
         <label>5xx ratio <input name=\"error_5xx_ratio\" type=\"number\" min=\"0\" max=\"1\" step=\"0.01\" value=\"{}\"></label>\
         <label>Dropped connections <input name=\"drop_ratio\" type=\"number\" min=\"0\" max=\"1\" step=\"0.01\" value=\"{}\"></label>\
         <label>Dropped notifies <input name=\"drop_notify_ratio\" type=\"number\" min=\"0\" max=\"1\" step=\"0.01\" value=\"{}\"></label>\
         <label>Seed <input name=\"seed\" type=\"number\" min=\"0\" step=\"1\" value=\"{}\"></label>\
         <span class=\"buttons\"><button type=\"submit\">apply</button></span></form>\
         <p class=\"hint\">Ratios from 0 to 1, on the provider APIs (never on <code>/_sandbox</code>). \
         Dropped notifies are recorded and retried on the provider's schedule.</p></section>",
        f.latency_ms.unwrap_or(0),
        num(f.error_5xx_ratio),
        num(f.drop_ratio),
        num(f.drop_notify_ratio),
        f.seed.unwrap_or(0),
    );
}

/// The orders section: one card per order.
pub(crate) fn orders(listing: &Listing) -> String {
    let mut h = String::with_capacity(4096 + listing.shown.len() * 2048);
    let _ = write!(
        h,
        "<p class=\"count\" data-total=\"{}\">{}</p>",
        listing.total,
        if listing.query.is_empty() {
            format!(
                "{} shown of {} orders, newest first",
                listing.shown.len(),
                listing.total
            )
        } else {
            format!(
                "{} found for “{}”",
                listing.shown.len(),
                esc(&listing.query)
            )
        }
    );
    if listing.shown.is_empty() {
        h.push_str("<p class=\"empty\">No orders yet. Create one with an SDK client.</p>");
    }
    h.push_str("<div class=\"cards\">");
    for shown in &listing.shown {
        order_card(&mut h, shown);
    }
    h.push_str("</div>");
    h
}

fn button(h: &mut String, o: &Order, action: &str, label: &str) {
    let _ = write!(
        h,
        "<button type=\"button\" data-action=\"{action}\" data-provider=\"{}\" data-order=\"{}\">{label}</button>",
        o.provider,
        esc(&o.order_no)
    );
}

fn order_card(h: &mut String, shown: &Shown) {
    let o = &shown.order;
    let key = esc(&format!("{}/{}", o.provider, o.order_no));
    let status = status_name(o.status);
    let _ = write!(
        h,
        "<article class=\"order\" data-order=\"{key}\" data-status=\"{status}\">\
         <div class=\"head\"><span class=\"badge p-{p}\">{p}</span> \
         <b class=\"no\">{no}</b> <span class=\"status s-{status}\">{status}</span></div>\
         <dl><dt>Amount</dt><dd class=\"amount\">{amount}</dd>\
         <dt>Refunded</dt><dd class=\"refunded\">{refunded}</dd>\
         <dt>Provider no.</dt><dd><code>{platform}</code></dd>\
         <dt>Created</dt><dd>{created}</dd>",
        p = o.provider,
        no = esc(&o.order_no),
        amount = yuan(o.amount),
        refunded = yuan(o.refunded),
        platform = esc(&o.platform_no),
        created = clock(o.created_at),
    );
    if let Some(t) = o.settled_at {
        let _ = write!(h, "<dt>Settled</dt><dd>{}</dd>", clock(t));
    }
    h.push_str("</dl><div class=\"buttons\">");
    if o.status.awaits_payment() {
        button(h, o, "pay", "pay");
        button(h, o, "fail", "fail");
        button(h, o, "expire", "expire");
    }
    if o.status == OrderStatus::Paid && !o.refundable().is_zero() {
        let _ = write!(
            h,
            "<span class=\"refund\"><input name=\"amount\" data-key=\"amount:{key}\" \
             inputmode=\"decimal\" size=\"7\" placeholder=\"{}\" aria-label=\"Refund amount (yuan)\">",
            o.refundable().to_yuan_string()
        );
        button(h, o, "refund", "refund");
        h.push_str("</span>");
    }
    if matches!(o.status, OrderStatus::Paid | OrderStatus::Failed) {
        button(h, o, "resend", "resend notify");
    }
    h.push_str("</div>");
    if !o.refunds.is_empty() {
        h.push_str(
            "<div class=\"scroll\"><table class=\"refunds\"><caption>Refunds</caption>\
             <tr><th>Refund no.</th><th>Amount</th><th>State</th><th>At</th></tr>",
        );
        for r in &o.refunds {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>succeeded</td><td>{}</td></tr>",
                esc(&r.refund_no),
                yuan(r.amount),
                clock(r.created_at)
            );
        }
        h.push_str("</table></div>");
    }
    let n = shown.notifications.len();
    let _ = write!(
        h,
        "<details class=\"log\" data-key=\"log:{key}\"{}><summary>Notify delivery log ({n})</summary>",
        if n > 0 { " open" } else { "" }
    );
    if n == 0 {
        h.push_str("<p class=\"hint\">No notify sent yet.</p>");
    }
    for rec in &shown.notifications {
        notification(h, rec);
    }
    h.push_str("</details></article>");
}

fn notification(h: &mut String, rec: &NotificationRecord) {
    let state = if rec.acknowledged {
        "acknowledged".to_owned()
    } else if rec.gave_up {
        "gave up: the schedule is over".to_owned()
    } else {
        match (rec.next_attempt_at, rec.next_documented_offset_secs) {
            (Some(at), Some(secs)) => {
                format!("next attempt {} at {}", offset(secs), clock(at))
            }
            _ => "pending".to_owned(),
        }
    };
    let _ = write!(
        h,
        "<div class=\"notify\" data-event=\"{event}\"><p><b>{event}</b> → <code>{url}</code> \
         <span class=\"next\">{state}</span></p>\
         <div class=\"scroll\"><table class=\"attempts\"><tr><th>#</th><th>Schedule</th><th>Sent</th>\
         <th>Status</th><th>Merchant's answer</th><th>Result</th></tr>",
        event = event_name(rec.event),
        url = esc(&rec.url),
    );
    for a in &rec.attempts {
        attempt(h, a);
    }
    h.push_str("</table></div></div>");
}

fn attempt(h: &mut String, a: &DeliveryAttempt) {
    let status = a
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "–".into());
    let answer = match &a.error {
        Some(e) => format!("<span class=\"err\">{}</span>", esc(e)),
        None => format!("<code>{}</code>", esc(&a.response)),
    };
    let result = if a.acknowledged {
        "acknowledged"
    } else if a.dropped {
        "dropped"
    } else {
        "not acknowledged"
    };
    let _ = write!(
        h,
        "<tr class=\"attempt\" data-attempt=\"{n}\" data-status=\"{status}\" data-result=\"{result}\">\
         <td>{n}</td><td>{sched}</td><td>{sent}</td><td>{status}</td><td>{answer}</td><td>{result}</td></tr>",
        n = a.attempt,
        sched = offset(a.documented_offset_secs),
        sent = clock(a.at),
    );
}

#[cfg(test)]
mod tests {
    use super::{esc, offset};

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn schedule_offsets_read_as_durations() {
        assert_eq!(offset(0), "+0s");
        assert_eq!(offset(16), "+16s");
        assert_eq!(offset(180), "+3m");
        assert_eq!(offset(226), "+3m46s");
        assert_eq!(offset(3600), "+1h");
        assert_eq!(offset(3 * 3600 + 17 * 60 + 5), "+3h17m");
    }
}
