//! Notifies read by the client: Pooul's key, then the rotation keys, and this merchant.

use super::Client;
use crate::error::NotifyError;
use crate::notify::{self, Notification, PayNotify, RefundNotify};
use paysig::Verified;

impl Client {
    /// Verifies a notify, pay or refund (told apart by its payload: a refund notify's `data`
    /// carries `refunds`), with Pooul's key and checks it is for this merchant. A body over
    /// [`Config::notify_body_limit`](crate::Config::notify_body_limit) is refused before parsing. The headers are not read (the
    /// body is the whole signed JWT); they are taken so that the entry point is the same in
    /// every payhub provider crate. Answer [`crate::ACK`] once it is processed.
    pub fn verify_notify(
        &self,
        _headers: &paysig::http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, NotifyError> {
        let n = self.with_platform_keys(|key| {
            notify::verify_notify_with_limit(body, key, self.inner.config.notify_body_limit)
        })?;
        self.same_merchant(n.merchant_id())?;
        Ok(n)
    }

    /// Verifies a 支付结果通知 (pay notify), as [`Client::verify_notify`], for a URL that only
    /// receives pay notifies: a refund notify there is refused as not the pay shape.
    pub fn verify_notify_pay(
        &self,
        _headers: &paysig::http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<PayNotify>, NotifyError> {
        let n = self.with_platform_keys(|key| {
            notify::verify_notify_pay_with_limit(body, key, self.inner.config.notify_body_limit)
        })?;
        self.same_merchant(&n.data.merchant_id)?;
        Ok(n)
    }

    /// Verifies a 退款结果通知 (refund notify), as [`Client::verify_notify_pay`].
    pub fn verify_notify_refund(
        &self,
        _headers: &paysig::http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<RefundNotify>, NotifyError> {
        let n = self.with_platform_keys(|key| {
            notify::verify_notify_refund_with_limit(body, key, self.inner.config.notify_body_limit)
        })?;
        self.same_merchant(&n.data.merchant_id)?;
        Ok(n)
    }

    /// Pooul's public key, then the rotation keys.
    pub(super) fn platform_keys(&self) -> impl Iterator<Item = &paysig::RsaPublicKey> {
        std::iter::once(&self.inner.config.pooul_public_key)
            .chain(&self.inner.config.rotation_public_keys)
    }

    /// `verify` with each platform key until one accepts; otherwise the main key's error (a
    /// malformed body is refused the same way by every key).
    fn with_platform_keys<T>(
        &self,
        verify: impl Fn(&paysig::RsaPublicKey) -> Result<T, NotifyError>,
    ) -> Result<T, NotifyError> {
        let first = verify(&self.inner.config.pooul_public_key);
        if first.is_ok() || self.inner.config.rotation_public_keys.is_empty() {
            return first;
        }
        self.inner
            .config
            .rotation_public_keys
            .iter()
            .find_map(|key| verify(key).ok())
            .map_or(first, Ok)
    }

    fn same_merchant(&self, got: &str) -> Result<(), NotifyError> {
        if got != self.inner.config.merchant_id {
            return Err(NotifyError::MerchantMismatch {
                expected: self.inner.config.merchant_id.clone(),
                got: got.to_owned(),
            });
        }
        Ok(())
    }
}
