//! The one trait every provider adapter implements.

use crate::error::Error;
use crate::notify::Notification;
use crate::payment::{
    CreatedPayment, Payment, PaymentQuery, PaymentRequest, Refund, RefundQuery, RefundRequest,
};
use crate::provider::Provider;
use crate::resolve::{RefundResolution, Resolution, ResolvePolicy};
use async_trait::async_trait;
use paysig::Verified;

/// A provider behind one API. Implemented for each provider crate's client in
/// `payhub::adapters`; an operation the provider does not have returns
/// [`Error::Unsupported`], nothing is faked.
#[async_trait]
pub trait Gateway: Send + Sync {
    /// Which provider this is.
    fn provider(&self) -> Provider;

    /// Creates a payment. Never retried automatically.
    async fn create_payment(&self, request: &PaymentRequest) -> Result<CreatedPayment, Error>;

    /// Reads a payment's state.
    async fn query_payment(&self, query: &PaymentQuery) -> Result<Payment, Error>;

    /// Refunds (part of) a payment. Never retried automatically.
    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error>;

    /// Reads a refund's state.
    async fn query_refund(&self, query: &RefundQuery) -> Result<Refund, Error>;

    /// Closes an unpaid payment.
    async fn close_payment(&self, query: &PaymentQuery) -> Result<(), Error>;

    /// Verifies a notify over the raw bytes received and maps it to the unified form.
    fn parse_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, Error>;

    /// The exact body the provider expects as acknowledgement.
    fn ack(&self) -> &'static str;

    /// Whether notifies of this gateway must be confirmed by a query before they are trusted
    /// (its configuration asks for it, e.g. Mifeng's inferred notify scheme). The hub also
    /// confirms for providers named in `HubBuilder::confirm_by_query`.
    fn confirm_by_query(&self) -> bool {
        false
    }

    /// The resolution policy of this provider's document (its crate's `DEFAULT_POLICY`);
    /// [`crate::HubBuilder::resolve_policy`] overrides it for every provider.
    fn resolve_policy(&self) -> ResolvePolicy {
        crate::resolve::DEFAULT_POLICY
    }

    /// Queries the payment by the merchant's number until a definite state or the policy's
    /// deadline ([`crate::resolve`]). The default polls [`Gateway::query_payment`] and reads
    /// [`Error::NotFound`] as "not found"; every adapter of this crate delegates to its
    /// provider crate's `resolve_payment` instead, which knows the provider's codes.
    async fn resolve_payment(&self, order_no: &str, policy: &ResolvePolicy) -> Resolution {
        let query = PaymentQuery::by_order_no(order_no);
        paysig::resolve::resolve(policy, || async {
            match self.query_payment(&query).await {
                Ok(p) => Ok(crate::resolve::seen_payment(p)),
                Err(Error::NotFound { .. }) => Ok(paysig::resolve::Seen::NotFound),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Queries the refund `refund_no` of payment `order_no` until a definite state or the
    /// deadline, like [`Gateway::resolve_payment`].
    async fn resolve_refund(
        &self,
        order_no: &str,
        refund_no: &str,
        policy: &ResolvePolicy,
    ) -> RefundResolution {
        let query = RefundQuery {
            order_no: order_no.to_owned(),
            refund_no: refund_no.to_owned(),
        };
        paysig::resolve::resolve(policy, || async {
            match self.query_refund(&query).await {
                Ok(r) => Ok(crate::resolve::seen_refund(r)),
                Err(Error::NotFound { .. }) => Ok(paysig::resolve::Seen::NotFound),
                Err(e) => Err(e),
            }
        })
        .await
        .into()
    }
}
