//! [`Instrumented`]: the gateway decorator that records every call once.

use super::names;
use crate::error::Error;
use crate::gateway::Gateway;
use crate::notify::Notification;
use crate::payment::{
    CreatedPayment, Payment, PaymentQuery, PaymentRequest, Refund, RefundQuery, RefundRequest,
};
use crate::provider::Provider;
use crate::resolve::{RefundResolution, Resolution, ResolvePolicy};
use async_trait::async_trait;
use paysig::Verified;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

/// A [`Gateway`] that records each call of the gateway it wraps: the `payhub_calls_total`
/// counter and the `payhub_call_duration_seconds` histogram (see [`names`]), in a
/// `payhub.call` span with the provider, account, operation and order number.
///
/// [`crate::HubBuilder::gateway`] wraps every gateway in one, so calls through a
/// [`crate::Hub`] are recorded without anything more. Wrap a gateway yourself only when you
/// call it outside a hub (wrapping twice counts twice).
///
/// ```no_run
/// # fn demo(sunmi: std::sync::Arc<dyn payhub::Gateway>) {
/// let gateway = payhub::observe::Instrumented::new(sunmi, "shop-a");
/// # }
/// ```
pub struct Instrumented {
    inner: Arc<dyn Gateway>,
    provider: Provider,
    account: Arc<str>,
}

impl std::fmt::Debug for Instrumented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instrumented")
            .field("provider", &self.provider)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Instrumented {
    /// Wraps `inner`; `account` is the `account` label and span field of its calls.
    // Returns the trait object a hub holds: the wrapper is only ever used as a gateway.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(inner: Arc<dyn Gateway>, account: impl Into<Arc<str>>) -> Arc<dyn Gateway> {
        Arc::new(Instrumented {
            provider: inner.provider(),
            inner,
            account: account.into(),
        })
    }

    /// The account name recorded with every call.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Runs `call` in its span, then records its class and latency.
    async fn observe<T>(
        &self,
        operation: &'static str,
        order_no: &str,
        refund_no: Option<&str>,
        call: impl Future<Output = T>,
        class_of: impl FnOnce(&T) -> &'static str,
    ) -> T {
        let span = tracing::info_span!(
            "payhub.call",
            provider = self.provider.as_str(),
            account = &*self.account,
            operation,
            order_no,
            refund_no,
            class = Empty,
        );
        let started = Instant::now();
        let outcome = call.instrument(span.clone()).await;
        let elapsed = started.elapsed();
        let class = class_of(&outcome);
        span.record("class", class);
        let labels = [
            ("provider", self.provider.as_str().into()),
            ("account", self.account.clone().into()),
            ("operation", operation.into()),
            ("class", class.into()),
        ];
        let labels: Vec<metrics::Label> = labels
            .into_iter()
            .map(|(k, v): (&'static str, metrics::SharedString)| metrics::Label::new(k, v))
            .collect();
        metrics::counter!(names::CALLS, labels.clone()).increment(1);
        metrics::histogram!(names::CALL_DURATION, labels).record(elapsed.as_secs_f64());
        outcome
    }
}

fn class_of_result<T>(r: &Result<T, Error>) -> &'static str {
    match r {
        Ok(_) => names::OK,
        Err(e) => e.class().label(),
    }
}

/// A definite answer is `ok`; one still unknown at the deadline carries its last error's
/// class (`outcome_unknown` when it had none: it never got an answer either way).
fn class_of_resolution<T>(r: &paysig::resolve::Resolution<T>) -> &'static str {
    match r {
        paysig::resolve::Resolution::StillUnknown { last_error, .. } => last_error
            .map_or(paysig::class::ErrorClass::OutcomeUnknown.label(), |c| {
                c.label()
            }),
        _ => names::OK,
    }
}

#[async_trait]
impl Gateway for Instrumented {
    fn provider(&self) -> Provider {
        self.provider
    }

    async fn create_payment(&self, request: &PaymentRequest) -> Result<CreatedPayment, Error> {
        let call = self.inner.create_payment(request);
        self.observe(
            "create_payment",
            &request.order_no,
            None,
            call,
            class_of_result,
        )
        .await
    }

    async fn query_payment(&self, query: &PaymentQuery) -> Result<Payment, Error> {
        let call = self.inner.query_payment(query);
        self.observe(
            "query_payment",
            &query.order_no,
            None,
            call,
            class_of_result,
        )
        .await
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let call = self.inner.refund(request);
        let refund_no = Some(request.refund_no.as_str());
        self.observe(
            "refund",
            &request.order_no,
            refund_no,
            call,
            class_of_result,
        )
        .await
    }

    async fn query_refund(&self, query: &RefundQuery) -> Result<Refund, Error> {
        let call = self.inner.query_refund(query);
        let refund_no = Some(query.refund_no.as_str());
        self.observe(
            "query_refund",
            &query.order_no,
            refund_no,
            call,
            class_of_result,
        )
        .await
    }

    async fn close_payment(&self, query: &PaymentQuery) -> Result<(), Error> {
        let call = self.inner.close_payment(query);
        self.observe(
            "close_payment",
            &query.order_no,
            None,
            call,
            class_of_result,
        )
        .await
    }

    fn parse_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, Error> {
        // Counted as a notify by the hub (`payhub_notifies_total`), not as a call.
        self.inner.parse_notification(headers, body)
    }

    fn ack(&self) -> &'static str {
        self.inner.ack()
    }

    fn confirm_by_query(&self) -> bool {
        self.inner.confirm_by_query()
    }

    fn resolve_policy(&self) -> ResolvePolicy {
        self.inner.resolve_policy()
    }

    async fn resolve_payment(&self, order_no: &str, policy: &ResolvePolicy) -> Resolution {
        let call = self.inner.resolve_payment(order_no, policy);
        self.observe("resolve_payment", order_no, None, call, class_of_resolution)
            .await
    }

    async fn resolve_refund(
        &self,
        order_no: &str,
        refund_no: &str,
        policy: &ResolvePolicy,
    ) -> RefundResolution {
        let call = self.inner.resolve_refund(order_no, refund_no, policy);
        self.observe(
            "resolve_refund",
            order_no,
            Some(refund_no),
            call,
            |r: &RefundResolution| match r {
                paysig::resolve::RefundResolution::StillUnknown { last_error, .. } => last_error
                    .map_or(paysig::class::ErrorClass::OutcomeUnknown.label(), |c| {
                        c.label()
                    }),
                _ => names::OK,
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definite_resolution_is_ok_an_unknown_one_its_last_class() {
        let paid: paysig::resolve::Resolution<()> = paysig::resolve::Resolution::Paid(());
        assert_eq!(class_of_resolution(&paid), "ok");
        let unknown: paysig::resolve::Resolution<()> = paysig::resolve::Resolution::StillUnknown {
            last_seen: None,
            last_error: Some(paysig::class::ErrorClass::RateLimited),
        };
        assert_eq!(class_of_resolution(&unknown), "rate_limited");
        let silent: paysig::resolve::Resolution<()> = paysig::resolve::Resolution::StillUnknown {
            last_seen: None,
            last_error: None,
        };
        assert_eq!(class_of_resolution(&silent), "outcome_unknown");
    }
}
