//! BeeCloud adapter: [`BeeCloudGateway`] over [`beecloud::Client`] (beecloud.md, RESTful API V1).
//!
//! | facade | BeeCloud |
//! |---|---|
//! | `create_payment` | §2 `POST /1/rest/bill` |
//! | `query_payment` | §4 `GET /1/rest/bills` filtered by `bill_no`, per channel group |
//! | `refund` | §4 (to learn the bill's channel and total) then §3 `POST /1/rest/refund` |
//! | `query_refund` | §5 `GET /1/rest/refunds`; for an unfinished WeChat refund also §6 `GET /1/rest/refund/status` |
//! | `close_payment` | none: [`Error::Unsupported`] |
//! | `parse_notification` | the webhook, V1, V1Snake or V2 scheme by configuration ([`beecloud::notify`]) |
//!
//! ## Payment methods
//! | [`PayMethod`] | `channel` | [`PaymentAction`] |
//! |---|---|---|
//! | `WechatApp` | `WX_APP` | `WechatApp` (BeeCloud's answer, its `app_id` included) |
//! | `WechatNative` | `WX_NATIVE` | `QrCode { content: code_url }` |
//! | `WechatJsapi` | `WX_JSAPI` (`openid`) | `WechatJsapi` |
//! | `AlipayApp` | `ALI_APP` | `AlipayApp { order_string }` |
//! | `AlipayWeb` | `ALI_WEB` (`return_url`) | `HtmlForm { html }` (the document recommends `html`) |
//! | `AlipayQr` | `ALI_QRCODE` (`return_url` and `qr_pay_mode` from [`BeeCloudSettings`]) | `Redirect { url }`: the page holding the QR code, meant for an iframe |
//! | `UnionPayApp` | `UN_APP` | `UnionPayApp { tn }` |
//! | `UnionPayWeb` | `UN_WEB` (`return_url`) | `HtmlForm { html }` |
//!
//! `WechatMini`, `WechatH5`, `MicroPay` and `HostedCashier` are [`Error::UnsupportedMethod`].
//! The app ids of `WechatApp` / `WechatJsapi` are not sent: BeeCloud uses the WeChat app set up
//! in its console (a different `app_id` in its answer is logged). BeeCloud takes no notify URL
//! per bill (the webhook URL is an app setting in its console) and no client IP, so
//! `notify_url` and `client_ip` are not sent; `attach` is sent as `optional.attach`.
//!
//! ## Channels of queries and refunds
//! BeeCloud's queries require a `channel`, which the facade's queries do not carry. The gateway
//! asks each group of [`BeeCloudSettings::query_channels`] (`WX`, `ALI`, `UN` by default) in
//! turn and stops at the first that knows the bill: configure only the groups you use to save
//! calls. A refund first looks the bill up this way to learn its channel group and total.
//!
//! ## Refund numbers and refund notifies
//! `RefundRequest::refund_no` is passed through unchanged: BeeCloud requires today's Beijing
//! date `yyyyMMdd` followed by 3 to 24 letters or digits (not `000`); the beecloud crate refuses
//! anything else before sending. An Alipay refund is only accepted by BeeCloud: its answer's
//! `url` must be opened by the merchant to confirm it, and comes back as
//! [`Refund::action_url`]; nothing is refunded until then.
//!
//! BeeCloud's refund webhook names the refund (`transaction_id` = `refund_no`), not the bill.
//! So that a refund notify can name the original order, [`BeeCloudGateway::refund`] sends
//! `optional = {"bill_no": <order_no>}`, which BeeCloud returns in the webhook; the adapter
//! reads the bill number from `optional.bill_no`, else from `message_detail.bill_no`. A refund
//! webhook carrying neither (e.g. a refund made in BeeCloud's console) is refused.
//! A webhook whose `transaction_type` is neither `PAY` nor `REFUND` (a `TRANSFER`) is refused
//! too (not acknowledged, so BeeCloud keeps it for a later, updated receiver); the beecloud
//! crate refuses any other type, and any field outside its grammar, before this.
//!
//! ## Webhook schemes
//! V2 signs the transaction id, type, channel and fee, but neither `trade_success` nor the
//! timestamp (a captured unsuccessful webhook can be flipped to "paid" and replayed). **V1
//! and V1Snake (`webhook = "v1_snake"`, the snake_case scheme of October 2015 to January
//! 2017) sign only the timestamp.** So under every scheme the gateway asks the hub to confirm every
//! payment webhook by a bill query ([`Gateway::confirm_by_query`] is always `true`): the hub
//! trusts the queried bill (its `bill_no`, `total_fee` and `spay_result`, returned by
//! [`Gateway::query_payment`]), not the webhook's fee or success flag. A webhook claiming a
//! payment the bill does not show is refused ([`crate::NotifyError::NotConfirmed`]), so
//! BeeCloud resends it later. Refund webhooks are not confirmed this way.

use crate::error::{Error, NotifyError};
use crate::gateway::Gateway;
use crate::notify::Notification;
use crate::payment::{
    CreatedPayment, PayMethod, Payment, PaymentAction, PaymentQuery, PaymentRequest, Refund,
    RefundQuery, RefundRequest, WechatAppParams, WechatJsapiParams,
};
use crate::provider::Provider;
use crate::status::{PaymentStatus, RefundExtent};
use async_trait::async_trait;
use beecloud::model::BillRecord;
use beecloud::{
    BillChannel, BillRequest, BillResponse, BillsQuery, Channel, Client, QrPayMode, RefundChannel,
    RefundsQuery,
};
use paysig::Verified;

mod notification;
mod status;

use serde_json::{Map, Value};
pub use status::{BillState, RefundState, WebhookState, WxRefundStatus};

const P: Provider = Provider::BeeCloud;

/// What the facade's requests do not carry and BeeCloud needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeeCloudSettings {
    /// The channel groups asked, in order, when a bill or refund is looked up (queries, and
    /// the bill lookup before a refund). Default `WX`, `ALI`, `UN`.
    pub query_channels: Vec<RefundChannel>,
    /// `return_url` of `ALI_QRCODE` bills ([`PayMethod::AlipayQr`] carries none). Without it,
    /// `AlipayQr` is refused with [`Error::Config`] before anything is sent.
    pub alipay_qr_return_url: Option<String>,
    /// `qr_pay_mode` of `ALI_QRCODE` bills (the iframe layout); BeeCloud's default if `None`.
    pub alipay_qr_pay_mode: Option<QrPayMode>,
}

impl Default for BeeCloudSettings {
    fn default() -> Self {
        BeeCloudSettings {
            query_channels: vec![RefundChannel::Wx, RefundChannel::Ali, RefundChannel::Un],
            alipay_qr_return_url: None,
            alipay_qr_pay_mode: None,
        }
    }
}

/// BeeCloud behind the unified [`Gateway`] API. See the [module documentation](self) for
/// what maps to what.
#[derive(Debug, Clone)]
pub struct BeeCloudGateway {
    client: Client,
    settings: BeeCloudSettings,
}

/// A bill or refund that no configured channel group knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// §4 answered no bill with this `bill_no` in any configured group.
    #[error("no BeeCloud bill {bill_no:?} in channels {channels}")]
    NoBill {
        /// The merchant order number.
        bill_no: String,
        /// The groups asked.
        channels: String,
    },
    /// §5 answered no refund with this `refund_no` of this bill in any configured group.
    #[error("no BeeCloud refund {refund_no:?} of bill {bill_no:?} in channels {channels}")]
    NoRefund {
        /// The merchant order number.
        bill_no: String,
        /// The merchant refund number.
        refund_no: String,
        /// The groups asked.
        channels: String,
    },
}

fn group(c: RefundChannel) -> Channel {
    match c {
        RefundChannel::Wx => Channel::Wx,
        RefundChannel::Ali => Channel::Ali,
        RefundChannel::Un => Channel::Un,
    }
}

fn bee(e: beecloud::Error) -> Error {
    Error::BeeCloud(e)
}

fn refused(reason: impl Into<String>) -> Error {
    Error::Notify(NotifyError::Verification {
        provider: P,
        reason: reason.into(),
    })
}

impl BeeCloudGateway {
    /// A gateway over `client`. Webhooks are verified with the client's
    /// [`beecloud::Config::webhook`]; without one, [`Gateway::parse_notification`] is an
    /// [`Error::Config`].
    pub fn new(client: Client, settings: BeeCloudSettings) -> Self {
        BeeCloudGateway { client, settings }
    }

    /// The BeeCloud client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The settings.
    pub fn settings(&self) -> &BeeCloudSettings {
        &self.settings
    }

    fn channels_label(&self) -> String {
        self.settings
            .query_channels
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The bill with this number and the group that knows it.
    async fn find_bill(&self, bill_no: &str) -> Result<(RefundChannel, BillRecord), Error> {
        for &g in &self.settings.query_channels {
            let page = self
                .client
                .bills(&BillsQuery::new(group(g)).bill_no(bill_no))
                .await
                .map_err(bee)?;
            let mut found: Vec<BillRecord> = page
                .data
                .bills
                .into_iter()
                .filter(|b| b.bill_no == bill_no)
                .collect();
            // One bill per number; should BeeCloud list it twice, a paid copy wins.
            found.sort_by_key(|b| !b.spay_result);
            if let Some(b) = found.into_iter().next() {
                return Ok((g, b));
            }
        }
        Err(Error::NotFound {
            provider: P,
            reason: LookupError::NoBill {
                bill_no: bill_no.to_owned(),
                channels: self.channels_label(),
            }
            .to_string(),
        })
    }

    fn bill_channel(&self, method: &PayMethod) -> Result<BillChannel, Error> {
        let unsupported = || Error::UnsupportedMethod {
            provider: P,
            method: method.name(),
        };
        Ok(match method {
            PayMethod::WechatApp { .. } => BillChannel::WxApp,
            PayMethod::WechatNative => BillChannel::WxNative,
            PayMethod::WechatJsapi { open_id, .. } => BillChannel::WxJsapi {
                openid: open_id.clone(),
            },
            PayMethod::AlipayApp => BillChannel::AliApp,
            PayMethod::AlipayWeb { return_url } => BillChannel::AliWeb {
                return_url: return_url.clone(),
                show_url: None,
            },
            PayMethod::AlipayQr => {
                let return_url = self.settings.alipay_qr_return_url.clone().ok_or_else(|| {
                    Error::Config(format!(
                        "[{P}] alipay_qr_return_url is needed for {}",
                        method.name()
                    ))
                })?;
                BillChannel::AliQrcode {
                    return_url,
                    qr_pay_mode: self.settings.alipay_qr_pay_mode,
                }
            }
            PayMethod::UnionPayApp => BillChannel::UnApp,
            PayMethod::UnionPayWeb { return_url } => BillChannel::UnWeb {
                return_url: return_url.clone(),
            },
            PayMethod::WechatMini { .. }
            | PayMethod::WechatH5
            | PayMethod::MicroPay { .. }
            | PayMethod::HostedCashier { .. } => return Err(unsupported()),
        })
    }
}

#[async_trait]
impl Gateway for BeeCloudGateway {
    /// [`beecloud::resolve::DEFAULT_POLICY`] (beecloud.md names no timing).
    fn resolve_policy(&self) -> crate::resolve::ResolvePolicy {
        beecloud::resolve::DEFAULT_POLICY
    }

    /// [`beecloud::Client::resolve_payment`]: §4 by `bill_no` in every channel group.
    async fn resolve_payment(
        &self,
        order_no: &str,
        policy: &crate::resolve::ResolvePolicy,
    ) -> crate::resolve::Resolution {
        self.client
            .resolve_payment(order_no, policy)
            .await
            .map(|bill| Payment {
                provider: P,
                order_no: bill.bill_no.clone(),
                provider_trade_no: None,
                status: BillState::from(&bill).into(),
                amount: Some(bill.total_fee),
            })
    }

    /// [`beecloud::Client::resolve_refund`]: §5 by `bill_no` and `refund_no`.
    async fn resolve_refund(
        &self,
        order_no: &str,
        refund_no: &str,
        policy: &crate::resolve::ResolvePolicy,
    ) -> crate::resolve::RefundResolution {
        self.client
            .resolve_refund(order_no, refund_no, policy)
            .await
            .map(|record| Refund {
                provider: P,
                refund_no: record.refund_no.clone(),
                provider_refund_no: None,
                amount: Some(record.refund_fee),
                status: RefundState::from(&record).into(),
                action_url: None,
            })
    }

    fn provider(&self) -> Provider {
        P
    }

    async fn create_payment(&self, request: &PaymentRequest) -> Result<CreatedPayment, Error> {
        let channel = self.bill_channel(&request.method)?;
        let mut bill = BillRequest::new(
            channel,
            request.amount,
            request.order_no.clone(),
            request.subject.clone(),
        );
        if let Some(attach) = &request.attach {
            let mut optional = Map::new();
            optional.insert("attach".into(), Value::String(attach.clone()));
            bill = bill.optional(optional);
        }
        let answer = self.client.bill(&bill).await.map_err(bee)?.into_inner();
        let requested_app_id = match &request.method {
            PayMethod::WechatApp { app_id } | PayMethod::WechatJsapi { app_id, .. } => {
                Some(app_id.as_str())
            }
            _ => None,
        };
        let action = match answer {
            BillResponse::WxApp(p) => {
                warn_app_id(requested_app_id, &p.app_id);
                PaymentAction::WechatApp(WechatAppParams {
                    app_id: p.app_id,
                    partner_id: p.partner_id,
                    prepay_id: p.prepay_id,
                    package: p.package,
                    nonce_str: p.nonce_str,
                    timestamp: p.timestamp,
                    sign: p.pay_sign,
                })
            }
            BillResponse::WxNative(p) => PaymentAction::QrCode {
                content: p.code_url,
            },
            BillResponse::WxJsapi(p) => {
                warn_app_id(requested_app_id, &p.app_id);
                PaymentAction::WechatJsapi(WechatJsapiParams {
                    app_id: p.app_id,
                    time_stamp: p.timestamp,
                    nonce_str: p.nonce_str,
                    package: p.package,
                    sign_type: p.sign_type,
                    pay_sign: p.pay_sign,
                })
            }
            BillResponse::AliApp(p) => PaymentAction::AlipayApp {
                order_string: p.order_string,
            },
            BillResponse::AliWeb(p) => PaymentAction::HtmlForm { html: p.html },
            BillResponse::AliQrcode(p) => PaymentAction::Redirect { url: p.url },
            BillResponse::UnApp(p) => PaymentAction::UnionPayApp { tn: p.tn },
            BillResponse::UnWeb(p) => PaymentAction::HtmlForm { html: p.html },
        };
        Ok(CreatedPayment {
            provider: P,
            order_no: request.order_no.clone(),
            provider_trade_no: None,
            action,
            payer_amount: None,
        })
    }

    /// The bill as §4 lists it: its own `bill_no` and `total_fee` (what the hub's notify
    /// confirmation compares with the webhook) and `spay_result` as the status.
    async fn query_payment(&self, query: &PaymentQuery) -> Result<Payment, Error> {
        let (_, bill) = self.find_bill(&query.order_no).await?;
        Ok(Payment {
            provider: P,
            order_no: bill.bill_no.clone(),
            provider_trade_no: None,
            status: BillState::from(&bill).into(),
            amount: Some(bill.total_fee),
        })
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        // The refund needs the bill's channel and total first: if that look-up fails, the
        // refund never left, whatever the look-up's own class (a timeout of a query is not an
        // unknown refund). A bill that does not exist stays a definite refusal.
        let (channel, bill) = match self.find_bill(&request.order_no).await {
            Ok(found) => found,
            Err(e @ Error::NotFound { .. }) => return Err(e),
            Err(e) => {
                return Err(Error::NotSent {
                    provider: P,
                    operation: "refund",
                    source: Box::new(e),
                });
            }
        };
        if let Some(total) = request.total
            && total != bill.total_fee
        {
            return Err(Error::Invalid {
                field: "total",
                reason: format!(
                    "{total} differs from BeeCloud's total_fee {} of bill {}",
                    bill.total_fee, bill.bill_no
                ),
            });
        }
        let mut optional = Map::new();
        optional.insert("bill_no".into(), Value::String(request.order_no.clone()));
        if let Some(reason) = &request.reason {
            optional.insert("reason".into(), Value::String(reason.clone()));
        }
        let req = beecloud::RefundRequest::new(
            channel,
            request.refund_no.clone(),
            request.order_no.clone(),
            request.amount,
            bill.total_fee,
        )
        .optional(optional);
        let answer = self.client.refund(&req).await.map_err(bee)?.into_inner();
        if channel == RefundChannel::Ali && answer.url.is_none() {
            tracing::warn!(refund_no = %request.refund_no, "BeeCloud answered an Alipay refund without the confirmation url");
        }
        Ok(Refund {
            provider: P,
            refund_no: request.refund_no.clone(),
            provider_refund_no: None,
            amount: Some(request.amount),
            // Accepted, not finished (Alipay: not even started until the url is confirmed).
            status: RefundState::Processing.into(),
            action_url: answer.url,
        })
    }

    async fn query_refund(&self, query: &RefundQuery) -> Result<Refund, Error> {
        for &g in &self.settings.query_channels {
            let q = RefundsQuery::new(group(g))
                .bill_no(query.order_no.clone())
                .refund_no(query.refund_no.clone());
            let page = self.client.refunds(&q).await.map_err(bee)?.into_inner();
            let Some(record) = page
                .refunds
                .into_iter()
                .find(|r| r.refund_no == query.refund_no && r.bill_no == query.order_no)
            else {
                continue;
            };
            let state = RefundState::from(&record);
            let mut status: PaymentStatus = state.into();
            if g == RefundChannel::Wx && state == RefundState::Processing {
                // §6 asks BeeCloud to refresh the state from WeChat.
                match self.client.refund_status(&record.refund_no).await {
                    Ok(s) => {
                        status =
                            match PaymentStatus::from(WxRefundStatus::from_wire(&s.refund_status)) {
                                PaymentStatus::Refunded(_) => PaymentStatus::Refunded(
                                    if record.refund_fee >= record.total_fee {
                                        RefundExtent::Full
                                    } else {
                                        RefundExtent::Partial
                                    },
                                ),
                                other => other,
                            }
                    }
                    Err(e) => {
                        tracing::warn!(refund_no = %record.refund_no, error = %e, "BeeCloud refund/status failed; reporting the refunds record's state")
                    }
                }
            }
            return Ok(Refund {
                provider: P,
                refund_no: record.refund_no,
                provider_refund_no: None,
                amount: Some(record.refund_fee),
                status,
                action_url: None,
            });
        }
        Err(Error::NotFound {
            provider: P,
            reason: LookupError::NoRefund {
                bill_no: query.order_no.clone(),
                refund_no: query.refund_no.clone(),
                channels: self.channels_label(),
            }
            .to_string(),
        })
    }

    async fn close_payment(&self, _query: &PaymentQuery) -> Result<(), Error> {
        Err(Error::Unsupported {
            provider: P,
            operation: "close_payment",
        })
    }

    fn parse_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, Error> {
        let event = self.client.verify_notify(headers, body).map_err(|e| match e {
            beecloud::NotifyError::NotConfigured => Error::Config(format!("[{P}] no webhook scheme configured: set webhook = \"v1\"|\"v1_snake\"|\"v2\" and webhook_secret_env")),
            e => refused(e.to_string()),
        })?;
        event.try_map(|event| {
            // The body verified and parsed as a JSON object already.
            let raw: Value = serde_json::from_slice(body).map_err(|e| refused(e.to_string()))?;
            notification::notification(event, raw)
        })
    }

    fn ack(&self) -> &'static str {
        beecloud::ACK
    }

    /// Always `true`: `trade_success` is signed by no webhook scheme (and V1 and V1Snake sign
    /// nothing but the timestamp), so every payment webhook is confirmed by a bill query
    /// (§4, [`Gateway::query_payment`]): the hub trusts the queried bill's `bill_no`,
    /// `total_fee` and `spay_result`, not the webhook's fee or success flag.
    fn confirm_by_query(&self) -> bool {
        true
    }
}

fn warn_app_id(requested: Option<&str>, answered: &str) {
    if let Some(requested) = requested
        && requested != answered
    {
        tracing::warn!(
            requested,
            answered,
            "BeeCloud answered with the WeChat app id set in its console, not the one requested"
        );
    }
}
