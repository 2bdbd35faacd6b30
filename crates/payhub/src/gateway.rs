//! The one trait every provider adapter implements.

use crate::error::Error;
use crate::notify::Notification;
use crate::payment::{
    CreatedPayment, Payment, PaymentQuery, PaymentRequest, Refund, RefundQuery, RefundRequest,
};
use crate::provider::Provider;
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
}
