//! Mifeng Pay (蜜蜂支付) adapter over the [`mifeng`] crate.
//!
//! Mifeng is a hosted cashier: `unifiedorder` answers a `pay_url` the payer is sent to.
//!
//! | Facade | Mifeng |
//! |---|---|
//! | [`Gateway::create_payment`] with [`PayMethod::HostedCashier`] | `unifiedorder` → [`PaymentAction::Redirect`] to `pay_url` |
//! | [`Gateway::create_payment`] with any other method | [`Error::UnsupportedMethod`] |
//! | [`Gateway::query_payment`] | `query` by Mifeng's `order_no` ([`PaymentQuery::provider_trade_no`], required) |
//! | [`Gateway::refund`], [`Gateway::query_refund`], [`Gateway::close_payment`] | [`Error::Unsupported`]: Mifeng has none |
//! | [`MifengGateway::balance`] (inherent, not in the trait) | `balance` |
//! | [`Gateway::parse_notification`] | the **inferred** notify scheme, see below |
//!
//! ## The notify scheme is inferred
//! mifeng.md lists 异步通知 but the section is missing; the signature scheme, the field list,
//! the `state` numbering and the `SUCCESS` acknowledgement come from a document of the same
//! platform template (see [`mifeng::notify`]). The facade always checks that signature (a
//! [`Verified`] value cannot exist without it) and the notify's `mch_id`. The query half of
//! [`NotifyTrust::SignatureAndQuery`] (the crate's default) is switched on by the gateway
//! itself: with that trust [`Gateway::confirm_by_query`] is `true`, so the hub queries Mifeng
//! about every notify and trusts only the queried state and amount, with or without
//! `HubBuilder::confirm_by_query(Provider::Mifeng)` (in TOML, `[notify] confirm_by_query =
//! ["mifeng"]`). With `notify_trust = "signature_only"` it is `false`, and the notify is
//! confirmed by query only if the hub names Mifeng there.
//!
//! [`Gateway::create_payment`]: crate::Gateway::create_payment
//! [`Gateway::query_payment`]: crate::Gateway::query_payment
//! [`Gateway::refund`]: crate::Gateway::refund
//! [`Gateway::query_refund`]: crate::Gateway::query_refund
//! [`Gateway::close_payment`]: crate::Gateway::close_payment
//! [`Gateway::parse_notification`]: crate::Gateway::parse_notification
//! [`Gateway::confirm_by_query`]: crate::Gateway::confirm_by_query

use crate::error::{Error, NotifyError};
use crate::gateway::Gateway;
use crate::notify::{Notification, NotificationKind};
use crate::payment::{
    CreatedPayment, PayMethod, Payment, PaymentAction, PaymentQuery, PaymentRequest, Refund,
    RefundQuery, RefundRequest,
};
use crate::provider::Provider;
use crate::status::PaymentStatus;
use async_trait::async_trait;
use mifeng::{Client, NotifyState, NotifyTrust, OrderState, UnifiedOrderRequest};
use paysig::{Money, Verified};
use std::net::IpAddr;
use url::Url;

const P: Provider = Provider::Mifeng;

/// Mifeng's order state from `query` (0 未出码, 1 交易失败, 2 待支付, 3 交易成功).
///
/// `NoCode` and `AwaitingPayment` are [`PaymentStatus::Pending`]; an `Unknown(raw)` state is
/// also `Pending`, the safe side: never a success.
impl From<OrderState> for PaymentStatus {
    fn from(state: OrderState) -> Self {
        match state {
            OrderState::NoCode => PaymentStatus::Pending,
            OrderState::Failed => PaymentStatus::Failed,
            OrderState::AwaitingPayment => PaymentStatus::Pending,
            OrderState::Success => PaymentStatus::Succeeded,
            OrderState::Unknown(_) => PaymentStatus::Pending,
        }
    }
}

/// Mifeng's notify state (inferred numbering: 1 未出码, 2 待支付, 3 交易成功, 4 交易失败).
///
/// `NoCode` and `AwaitingPayment` are [`PaymentStatus::Pending`]; an `Unknown(raw)` state is
/// also `Pending`, the safe side: never a success.
impl From<NotifyState> for PaymentStatus {
    fn from(state: NotifyState) -> Self {
        match state {
            NotifyState::NoCode => PaymentStatus::Pending,
            NotifyState::AwaitingPayment => PaymentStatus::Pending,
            NotifyState::Success => PaymentStatus::Succeeded,
            NotifyState::Failed => PaymentStatus::Failed,
            NotifyState::Unknown(_) => PaymentStatus::Pending,
        }
    }
}

/// Mifeng Pay behind the [`Gateway`] trait.
///
/// Mifeng has no refund, refund query or close: those are [`Error::Unsupported`]. It serves
/// one payment method, [`PayMethod::HostedCashier`] (`channel` is Mifeng's `channel_no`), and
/// needs the payer's IP ([`PaymentRequest::client_ip`]). Queries go by Mifeng's `order_no`,
/// which [`CreatedPayment::provider_trade_no`] and every notification carry.
///
/// **The notify scheme is inferred** (see the [module docs](self) and [`mifeng::notify`]):
/// the signature is always checked. With the default [`NotifyTrust::SignatureAndQuery`] the
/// gateway asks the hub to confirm every notify by query ([`Gateway::confirm_by_query`] is
/// `true`) and only the queried state and amount are trusted; with
/// [`NotifyTrust::SignatureOnly`] that happens only when the hub is built with
/// `confirm_by_query(Provider::Mifeng)`.
#[derive(Debug, Clone)]
pub struct MifengGateway {
    client: Client,
}

impl MifengGateway {
    /// Wraps a configured client. Mifeng needs no setting beyond the client's.
    pub fn new(client: Client) -> Self {
        MifengGateway { client }
    }

    /// The wrapped client, for what the facade does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// How notifies are meant to be trusted (the client's [`mifeng::Config::notify_trust`]).
    pub fn notify_trust(&self) -> NotifyTrust {
        self.client.config().notify_trust
    }

    /// True when the configured [`NotifyTrust`] asks for confirmation by query. It is what
    /// [`Gateway::confirm_by_query`] answers, so the hub then confirms every notify by query
    /// whether or not it was built with `confirm_by_query(Provider::Mifeng)`.
    pub fn wants_confirm_by_query(&self) -> bool {
        match self.notify_trust() {
            NotifyTrust::SignatureAndQuery | NotifyTrust::QueryOnly => true,
            NotifyTrust::SignatureOnly => false,
            // A mode added later: confirm, the safe side.
            _ => true,
        }
    }

    /// 余额查询 (`balance`): the merchant's balance. Not part of [`Gateway`].
    pub async fn balance(&self) -> Result<Money, Error> {
        let reply = self.client.balance().await.map_err(Error::Mifeng)?;
        Ok(reply.data.balance)
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}

fn unified_order(
    request: &PaymentRequest,
    channel: &str,
    return_url: Option<&str>,
) -> Result<UnifiedOrderRequest, Error> {
    let ip = request
        .client_ip
        .as_deref()
        .ok_or_else(|| invalid("client_ip", "Mifeng requires the payer's IP"))?;
    let ip: IpAddr = ip
        .parse()
        .map_err(|_| invalid("client_ip", format!("{ip:?} is not an IP address")))?;
    let notify_url =
        Url::parse(&request.notify_url).map_err(|e| invalid("notify_url", e.to_string()))?;
    let mut order = UnifiedOrderRequest::new(
        channel,
        request.order_no.as_str(),
        request.amount,
        ip,
        notify_url,
    );
    if !request.subject.is_empty() {
        order = order.subject(request.subject.as_str());
    }
    if let Some(u) = return_url {
        order = order.return_url(Url::parse(u).map_err(|e| invalid("return_url", e.to_string()))?);
    }
    if let Some(a) = &request.attach {
        order = order.param(a.as_str());
    }
    Ok(order)
}

fn notification(n: mifeng::Notification) -> Notification {
    let raw = serde_json::json!({
        "mch_id": n.mch_id,
        "money": n.money.to_yuan_string(),
        "notify_time": n.notify_time,
        "order_no": n.order_no,
        "out_order_no": n.out_order_no,
        "param": n.param,
        "state": n.state.code(),
    });
    Notification {
        provider: P,
        kind: NotificationKind::Payment,
        order_no: n.out_order_no,
        provider_trade_no: Some(n.order_no),
        provider_refund_no: None,
        amount: n.money,
        status: n.state.into(),
        raw,
    }
}

#[async_trait]
impl Gateway for MifengGateway {
    /// [`mifeng::resolve::DEFAULT_POLICY`] (mifeng.md names no timing).
    fn resolve_policy(&self) -> crate::resolve::ResolvePolicy {
        mifeng::resolve::DEFAULT_POLICY
    }

    /// [`mifeng::Client::resolve_payment`] by the merchant's `out_order_no`. (The refund
    /// resolution is the default: Mifeng has no refund, so it is still unknown with
    /// [`crate::ErrorClass::Unsupported`] at once.)
    async fn resolve_payment(
        &self,
        order_no: &str,
        policy: &crate::resolve::ResolvePolicy,
    ) -> crate::resolve::Resolution {
        self.client
            .resolve_payment(order_no, policy)
            .await
            .map(|reply| {
                let data = reply.data;
                Payment {
                    provider: P,
                    order_no: data.out_order_no,
                    provider_trade_no: Some(data.order_no),
                    status: data.state.into(),
                    amount: Some(data.money),
                }
            })
    }

    fn provider(&self) -> Provider {
        P
    }

    /// `unifiedorder` for [`PayMethod::HostedCashier`]: `channel` → `channel_no`,
    /// `attach` → `param`, amount in yuan through paysig; the answer's `pay_url` is a
    /// [`PaymentAction::Redirect`]. Every other method is [`Error::UnsupportedMethod`].
    async fn create_payment(&self, request: &PaymentRequest) -> Result<CreatedPayment, Error> {
        let order = match &request.method {
            PayMethod::HostedCashier {
                channel,
                return_url,
            } => unified_order(request, channel, return_url.as_deref())?,
            other @ (PayMethod::WechatNative
            | PayMethod::WechatJsapi { .. }
            | PayMethod::WechatMini { .. }
            | PayMethod::WechatApp { .. }
            | PayMethod::WechatH5
            | PayMethod::AlipayQr
            | PayMethod::AlipayWeb { .. }
            | PayMethod::AlipayApp
            | PayMethod::UnionPayApp
            | PayMethod::UnionPayWeb { .. }
            | PayMethod::MicroPay { .. }) => {
                return Err(Error::UnsupportedMethod {
                    provider: P,
                    method: other.name(),
                });
            }
        };
        let reply = self
            .client
            .unified_order(&order)
            .await
            .map_err(Error::Mifeng)?;
        let created = reply.data;
        Ok(CreatedPayment {
            provider: P,
            order_no: created.out_order_no,
            provider_trade_no: Some(created.order_no),
            action: PaymentAction::Redirect {
                url: created.pay_url,
            },
            payer_amount: created.real_money,
        })
    }

    /// `query` by Mifeng's `order_no` (`query.provider_trade_no`, required). When
    /// `query.order_no` is not empty the answer must be for that merchant order, or the call
    /// fails (a notify naming one order's `order_no` and another's `out_order_no` cannot be
    /// confirmed by the other order's state).
    async fn query_payment(&self, query: &PaymentQuery) -> Result<Payment, Error> {
        let no = query.provider_trade_no.as_deref().ok_or_else(|| {
            invalid(
                "provider_trade_no",
                "Mifeng queries by its own order_no (CreatedPayment::provider_trade_no)",
            )
        })?;
        let reply = self.client.query(no).await.map_err(Error::Mifeng)?;
        let data = reply.data;
        if !query.order_no.is_empty() && data.out_order_no != query.order_no {
            return Err(Error::Mifeng(mifeng::Error::ResponseMismatch {
                operation: "query",
                field: "out_order_no",
                expected: query.order_no.clone(),
                got: data.out_order_no,
                request_id: reply.request_id,
            }));
        }
        Ok(Payment {
            provider: P,
            order_no: data.out_order_no,
            provider_trade_no: Some(data.order_no),
            status: data.state.into(),
            amount: Some(data.money),
        })
    }

    /// Mifeng has no refund.
    async fn refund(&self, _request: &RefundRequest) -> Result<Refund, Error> {
        Err(Error::Unsupported {
            provider: P,
            operation: "refund",
        })
    }

    /// Mifeng has no refund query.
    async fn query_refund(&self, _query: &RefundQuery) -> Result<Refund, Error> {
        Err(Error::Unsupported {
            provider: P,
            operation: "query_refund",
        })
    }

    /// Mifeng has no close.
    async fn close_payment(&self, _query: &PaymentQuery) -> Result<(), Error> {
        Err(Error::Unsupported {
            provider: P,
            operation: "close_payment",
        })
    }

    /// Checks the **inferred** MD5 signature over the raw JSON body and the notify's
    /// `mch_id`; `order_no` is the merchant's `out_order_no`, `provider_trade_no` Mifeng's
    /// `order_no`, `raw` the seven signed fields.
    fn parse_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, Error> {
        let verified =
            self.client
                .verify_notify(headers, body)
                .map_err(|e| NotifyError::Verification {
                    provider: P,
                    reason: e.to_string(),
                })?;
        verified.try_map(|n| Ok::<_, Error>(notification(n)))
    }

    /// `SUCCESS` (inferred, upper case).
    fn ack(&self) -> &'static str {
        mifeng::ACK
    }

    /// [`MifengGateway::wants_confirm_by_query`]: `true` with the default
    /// [`NotifyTrust::SignatureAndQuery`], so the hub confirms every notify by query.
    fn confirm_by_query(&self) -> bool {
        self.wants_confirm_by_query()
    }
}
