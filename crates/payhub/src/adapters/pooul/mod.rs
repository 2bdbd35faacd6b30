//! Pooul (普尔瀚达) behind [`crate::Gateway`], over the `pooul` crate's [`pooul::Client`].
//!
//! Every request is an RS256 JWT signed with the merchant's key; every answer and notify is a
//! JWT verified with Pooul's public key (by the `pooul` crate). Amounts go to the wire in fen
//! through [`paysig::Money`].
//!
//! | [`PayMethod`] | Pooul `pay_type` | [`PaymentAction`] |
//! |---|---|---|
//! | `WechatNative` | `wechat.scan` | `QrCode` (`code_url`) |
//! | `WechatJsapi` | `wechat.jsapi` | `WechatJsapi` (`pay_info`) |
//! | `WechatMini` | `wechat.jsminipg` | `WechatMini` (`pay_info`) |
//! | `WechatApp` | `wechat.app` | `WechatApp` (`pay_info`) |
//! | `WechatH5` | `wechat.wap` (needs [`WechatH5App`]) | `Redirect` (`mweb_url`) |
//! | `AlipayQr` | `alipay.scan` | `QrCode` (`code_url`) |
//! | `MicroPay` | `common.micro` through [`pooul::Client::micro_pay`] | `Final { status }` |
//!
//! Any other method is [`Error::UnsupportedMethod`]. WeChat methods need
//! [`PaymentRequest::client_ip`] (Pooul's `spbill_create_ip`, "微信支付必填").
//!
//! The developer docs' `wechat.jsurl` (a `pay_url` to open in WeChat) and `alipay.jsapi`
//! (服务窗, needs the payer's Alipay `user_id`) have no unified [`PayMethod`]: `WechatJsapi`
//! already means the native `wechat.jsapi`, and no method carries an Alipay user id. Use
//! them through [`PooulGateway::client`] ([`pooul::PayType::WechatJsurl`],
//! [`pooul::PayType::AlipayJsapi`]).
//!
//! Pooul's platform key is loaded with [`pooul::load_platform_key`], which accepts the 1024-bit
//! key Pooul publishes (verification only; the client logs a warning naming its size).
//!
//! Micro-pay runs the `pooul` crate's flow of the document's reminders 1 and 2 (pay, query
//! while paying, reverse if still unknown), so `create_payment` for a micro-pay returns only
//! once the outcome is settled: up to the configured `poll_deadline` / reverse delay
//! ([`pooul::MicroPayTimings`], 30 s / 15 s by default). The trade number is known only when the
//! pay or query answer gave it.

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
use paysig::{Money, Verified};
use pooul::{Client, MchAppType, MicroPayOutcome, PayType, RefundLookup, TradeState};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use url::Url;

mod action;
mod status;

use action::action;
use status::{extent, notified_status};

const PROVIDER: Provider = Provider::Pooul;

/// The app that starts a WeChat H5 payment (`wechat.wap`): Pooul needs it with every order and
/// the unified [`PayMethod::WechatH5`] does not carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatH5App {
    /// `mch_app_type`: IOS, AND (Android) or WAP (mobile site).
    pub app_type: MchAppType,
    /// `mch_app_name`: the app's or site's name.
    pub app_name: String,
    /// `mch_app_id`: bundle_id, package_name or the site's home page.
    pub app_id: String,
}

/// Pooul behind [`Gateway`]: create (seven pay types), query, close, refund, refund query and
/// both notifies. See the [module docs](self) for the method table.
#[derive(Debug, Clone)]
pub struct PooulGateway {
    client: Client,
    wechat_h5: Option<WechatH5App>,
    sent_refunds: Arc<Mutex<SentRefunds>>,
}

/// What Pooul's refund query may not say about a refund: pooul.md's answer lists refunds
/// without `mch_refund_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownRefund {
    /// Pooul's refund number (`refund_id`), e.g. from the refund notify.
    pub provider_refund_no: Option<String>,
    /// The amount the refund asked for.
    pub amount: Option<Money>,
}

/// The refunds this gateway sent, by merchant refund number, so that
/// [`Gateway::query_refund`] can find one in an answer that does not number them. Bounded:
/// the oldest are forgotten first (a forgotten refund is then found by `mch_refund_id` only,
/// or not at all: never guessed).
#[derive(Debug, Default)]
struct SentRefunds {
    order: VecDeque<String>,
    known: HashMap<String, KnownRefund>,
}

impl SentRefunds {
    const CAPACITY: usize = 4096;

    fn remember(&mut self, refund_no: &str, refund: KnownRefund) {
        if self.known.insert(refund_no.to_owned(), refund).is_none() {
            self.order.push_back(refund_no.to_owned());
        }
        while self.order.len() > Self::CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.known.remove(&old);
            }
        }
    }

    fn get(&self, refund_no: &str) -> KnownRefund {
        self.known.get(refund_no).cloned().unwrap_or_default()
    }
}

/// What the answer to a pay must carry for each method.
enum Expect {
    Qr,
    Jsapi,
    Mini,
    App,
    Redirect,
    Micro,
}

impl PooulGateway {
    /// A gateway over `client`. [`PayMethod::WechatH5`] also needs
    /// [`PooulGateway::with_wechat_h5`].
    pub fn new(client: Client) -> Self {
        PooulGateway {
            client,
            wechat_h5: None,
            sent_refunds: Arc::default(),
        }
    }

    /// Sets the app reported with WeChat H5 (`wechat.wap`) orders.
    pub fn with_wechat_h5(mut self, app: WechatH5App) -> Self {
        self.wechat_h5 = Some(app);
        self
    }

    /// The wrapped client (for Pooul operations the unified API does not have, e.g. `reverse`).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// [`Gateway::query_refund`] with what the merchant stored about the refund: pooul.md's
    /// refund query answer lists refunds with only `refund_id`, `refund_fee` and
    /// `refund_state`, so without `mch_refund_id` in it the refund is found by
    /// `known.provider_refund_no`, else as the ONE refund of `known.amount`. Two refunds of
    /// that amount, or none, is an error ([`pooul::RefundMatchError`] inside
    /// [`Error::Pooul`]), never a guess. `known` is merged with what this gateway recorded
    /// when it sent the refund; a value given here wins.
    pub async fn query_refund_with(
        &self,
        query: &RefundQuery,
        known: &KnownRefund,
    ) -> Result<Refund, Error> {
        let recalled = self.recalled_refund(&query.refund_no);
        let lookup = RefundLookup {
            mch_refund_id: Some(query.refund_no.clone()),
            refund_id: known
                .provider_refund_no
                .clone()
                .or(recalled.provider_refund_no),
            refund_fee: known.amount.or(recalled.amount),
        };
        let wire = pooul::RefundQueryRequest::new(query.order_no.clone())
            .mch_refund_id(query.refund_no.clone());
        let reply = self
            .client
            .refund_query(&wire)
            .await
            .map_err(provider_err)?;
        let total = reply.data.trade.total_fee;
        let item = reply
            .data
            .find_refund(&lookup)
            .map_err(Error::PooulRefundMatch)?;
        let status = match PaymentStatus::from(item.refund_status) {
            PaymentStatus::Refunded(_) => PaymentStatus::Refunded(extent(item.refund_fee, total)),
            other => other,
        };
        Ok(Refund {
            provider: PROVIDER,
            refund_no: query.refund_no.clone(),
            provider_refund_no: Some(item.refund_id.clone()),
            amount: Some(item.refund_fee),
            status,
            action_url: None,
        })
    }

    fn remember_refund(&self, refund_no: &str, refund: KnownRefund) {
        // A poisoned lock only loses the record: the query then fails closed.
        if let Ok(mut sent) = self.sent_refunds.lock() {
            sent.remember(refund_no, refund);
        }
    }

    fn recalled_refund(&self, refund_no: &str) -> KnownRefund {
        self.sent_refunds
            .lock()
            .map(|sent| sent.get(refund_no))
            .unwrap_or_default()
    }

    /// The Pooul pay type for a unified method, and what its answer must carry.
    fn plan(&self, method: &PayMethod) -> Result<(PayType, Expect), Error> {
        Ok(match method {
            PayMethod::WechatNative => (PayType::WechatScan, Expect::Qr),
            PayMethod::WechatJsapi { app_id, open_id } => (
                PayType::WechatJsapi {
                    sub_appid: app_id.clone(),
                    sub_openid: open_id.clone(),
                },
                Expect::Jsapi,
            ),
            PayMethod::WechatMini { app_id, open_id } => (
                PayType::WechatMiniProgram {
                    sub_appid: app_id.clone(),
                    sub_openid: open_id.clone(),
                },
                Expect::Mini,
            ),
            PayMethod::WechatApp { app_id } => (
                PayType::WechatApp {
                    sub_appid: app_id.clone(),
                },
                Expect::App,
            ),
            PayMethod::WechatH5 => {
                let app = self.wechat_h5.as_ref().ok_or_else(|| {
                    Error::Config("[pooul] wechat_h5 needs h5_app_type, h5_app_name and h5_app_id (PooulGateway::with_wechat_h5)".into())
                })?;
                (
                    PayType::WechatWap {
                        mch_app_type: app.app_type,
                        mch_app_name: app.app_name.clone(),
                        mch_app_id: app.app_id.clone(),
                    },
                    Expect::Redirect,
                )
            }
            PayMethod::AlipayQr => (PayType::AlipayScan, Expect::Qr),
            PayMethod::MicroPay { auth_code } => (
                PayType::Micro {
                    auth_code: auth_code.clone(),
                },
                Expect::Micro,
            ),
            PayMethod::AlipayWeb { .. }
            | PayMethod::AlipayApp
            | PayMethod::UnionPayApp
            | PayMethod::UnionPayWeb { .. }
            | PayMethod::HostedCashier { .. } => {
                return Err(Error::UnsupportedMethod {
                    provider: PROVIDER,
                    method: method.name(),
                });
            }
        })
    }

    async fn micro_pay(
        &self,
        order: &pooul::PayRequest,
    ) -> Result<(Option<String>, PaymentStatus), Error> {
        Ok(
            match self.client.micro_pay(order).await.map_err(provider_err)? {
                MicroPayOutcome::PaidAtOnce(reply) => {
                    (Some(reply.data.trade_id), TradeState::Success.into())
                }
                MicroPayOutcome::PaidAfterQuery { trade, .. } => {
                    (Some(trade.data.trade_id), trade.data.trade_state.into())
                }
                MicroPayOutcome::NotPaid { state, .. } => (None, state.into()),
                // A state a fresh micro-pay should not reach: reported as mapped (unknown,
                // partially or over-paid are Pending, never a success); check the order by hand.
                MicroPayOutcome::NeedsReview { state, .. } => (None, state.into()),
                MicroPayOutcome::Reversed { .. } => (None, PaymentStatus::Reversed),
            },
        )
    }
}

fn provider_err(e: pooul::Error) -> Error {
    Error::Pooul(e)
}

fn parse_url(field: &'static str, value: &str) -> Result<Url, Error> {
    Url::parse(value).map_err(|e| Error::Invalid {
        field,
        reason: e.to_string(),
    })
}

fn refused(reason: String) -> Error {
    Error::Notify(NotifyError::Verification {
        provider: PROVIDER,
        reason,
    })
}

#[async_trait]
impl Gateway for PooulGateway {
    /// pooul.md's timing ([`pooul::resolve::DEFAULT_POLICY`]: first query after 5 s).
    fn resolve_policy(&self) -> crate::resolve::ResolvePolicy {
        pooul::resolve::DEFAULT_POLICY
    }

    /// [`pooul::Client::resolve_payment`]; "not found" needs the client's
    /// [`pooul::Client::with_not_found_codes`] (pooul.md lists no code).
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
                    provider: PROVIDER,
                    order_no: data.mch_trade_id,
                    provider_trade_no: Some(data.trade_id),
                    status: data.trade_state.into(),
                    amount: data.total_fee,
                }
            })
    }

    /// [`pooul::Client::resolve_refund`] by `mch_trade_id` and `mch_refund_id` (= `refund_no`).
    async fn resolve_refund(
        &self,
        order_no: &str,
        refund_no: &str,
        policy: &crate::resolve::ResolvePolicy,
    ) -> crate::resolve::RefundResolution {
        self.client
            .resolve_refund(order_no, refund_no, policy)
            .await
            .map(|item| Refund {
                provider: PROVIDER,
                refund_no: refund_no.to_owned(),
                provider_refund_no: Some(item.refund_id),
                amount: Some(item.refund_fee),
                status: item.refund_status.into(),
                action_url: None,
            })
    }

    fn provider(&self) -> Provider {
        PROVIDER
    }

    async fn create_payment(&self, request: &PaymentRequest) -> Result<CreatedPayment, Error> {
        let (pay_type, expect) = self.plan(&request.method)?;
        let wechat = matches!(
            request.method,
            PayMethod::WechatNative
                | PayMethod::WechatJsapi { .. }
                | PayMethod::WechatMini { .. }
                | PayMethod::WechatApp { .. }
                | PayMethod::WechatH5
        );
        if wechat && request.client_ip.is_none() {
            return Err(Error::Invalid {
                field: "client_ip",
                reason: "Pooul requires the payer's IP (spbill_create_ip) for WeChat pay types"
                    .into(),
            });
        }
        let mut order = pooul::PayRequest::new(
            pay_type,
            request.order_no.clone(),
            request.amount,
            request.subject.clone(),
        );
        order.spbill_create_ip = request.client_ip.clone();
        order.attach = request.attach.clone();
        if !request.notify_url.trim().is_empty() {
            order.notify_url = Some(parse_url("notify_url", &request.notify_url)?);
        }
        if let Expect::Micro = expect {
            let (provider_trade_no, status) = self.micro_pay(&order).await?;
            return Ok(CreatedPayment {
                provider: PROVIDER,
                order_no: request.order_no.clone(),
                provider_trade_no,
                action: PaymentAction::Final { status },
                payer_amount: None,
            });
        }
        let reply = self.client.pay(&order).await.map_err(provider_err)?;
        let provider_trade_no = Some(reply.data.trade_id.clone());
        let action = action(&expect, reply.data)?;
        Ok(CreatedPayment {
            provider: PROVIDER,
            order_no: request.order_no.clone(),
            provider_trade_no,
            action,
            payer_amount: None,
        })
    }

    async fn query_payment(&self, query: &PaymentQuery) -> Result<Payment, Error> {
        let reply = self
            .client
            .query(&query.order_no)
            .await
            .map_err(provider_err)?;
        let data = reply.data;
        Ok(Payment {
            provider: PROVIDER,
            order_no: data.mch_trade_id,
            provider_trade_no: Some(data.trade_id),
            status: data.trade_state.into(),
            amount: data.total_fee,
        })
    }

    /// `mch_refund_id` is the unified `refund_no`; `refund_desc` (required by Pooul) is the
    /// `reason`, so a refund without one is [`Error::Invalid`]. Accepted means `Refunding`.
    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let reason = request
            .reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| Error::Invalid {
                field: "reason",
                reason: "Pooul requires a refund reason (refund_desc)".into(),
            })?;
        if let Some(total) = request.total
            && request.amount > total
        {
            return Err(Error::Invalid {
                field: "amount",
                reason: format!(
                    "refund {} exceeds the payment's total {total}",
                    request.amount
                ),
            });
        }
        let mut wire = pooul::RefundRequest::new(
            request.order_no.clone(),
            request.refund_no.clone(),
            request.amount,
            reason,
        );
        if let Some(url) = &request.notify_url {
            wire = wire.notify_url(parse_url("notify_url", url)?);
        }
        let ack = self.client.refund(&wire).await.map_err(provider_err)?;
        // Pooul documents no `data` here; a `refund_id` in one is kept.
        let provider_refund_no = ack
            .data
            .as_ref()
            .and_then(|d| d.get("refund_id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        self.remember_refund(
            &request.refund_no,
            KnownRefund {
                provider_refund_no: provider_refund_no.clone(),
                amount: Some(request.amount),
            },
        );
        Ok(Refund {
            provider: PROVIDER,
            refund_no: request.refund_no.clone(),
            provider_refund_no,
            amount: Some(request.amount),
            status: PaymentStatus::Refunding,
            action_url: None,
        })
    }

    /// Asks for the order's refunds narrowed to `mch_refund_id` and finds this refund among
    /// them with [`pooul::RefundQueryData::find_refund`]: by `mch_refund_id` where the answer
    /// carries it; else by the `refund_id` and amount this gateway's own [`Gateway::refund`]
    /// recorded for `refund_no` (see [`PooulGateway::query_refund_with`] to pass them in).
    /// No match, or two, is [`Error::PooulRefundMatch`].
    async fn query_refund(&self, query: &RefundQuery) -> Result<Refund, Error> {
        let known = self.recalled_refund(&query.refund_no);
        self.query_refund_with(query, &known).await
    }

    async fn close_payment(&self, query: &PaymentQuery) -> Result<(), Error> {
        self.client
            .close(&query.order_no)
            .await
            .map_err(provider_err)?;
        Ok(())
    }

    /// Pay notify or refund notify, told apart by `data.refunds`; either way the whole JWT is
    /// verified by the `pooul` crate with Pooul's key (and the merchant checked) before
    /// anything is believed. A refund notify must carry exactly one refund.
    fn parse_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, Error> {
        let token =
            std::str::from_utf8(body).map_err(|_| refused("notify body is not UTF-8".into()))?;
        // Read unverified only to be kept as `raw` once the same token verified below.
        let payload = paysig::jwt::peek_payload(token)
            .map_err(|e| refused(format!("notify JWT refused: {e}")))?;
        let notify = self
            .client
            .verify_notify(headers, body)
            .map_err(|e| refused(e.to_string()))?;
        notify.try_map(|n| match n {
            pooul::Notification::Refund(n) => {
                let [item] = n.data.refunds.as_slice() else {
                    return Err(refused(format!(
                        "a refund notify must carry one refund, this one has {}",
                        n.data.refunds.len()
                    )));
                };
                Ok(Notification {
                    provider: PROVIDER,
                    kind: NotificationKind::Refund {
                        refund_no: item.mch_refund_id.clone(),
                    },
                    order_no: n.data.mch_trade_id.clone(),
                    provider_trade_no: Some(n.data.trade_id.clone()),
                    provider_refund_no: Some(item.refund_id.clone()),
                    amount: item.refund_fee,
                    status: notified_status(n.code, item.refund_status.into()),
                    raw: payload,
                })
            }
            pooul::Notification::Pay(n) => Ok(Notification {
                provider: PROVIDER,
                kind: NotificationKind::Payment,
                order_no: n.data.mch_trade_id,
                provider_trade_no: Some(n.data.trade_id),
                provider_refund_no: None,
                amount: n.data.total_fee,
                status: notified_status(n.code, n.data.trade_state.into()),
                raw: payload,
            }),
            other => Err(refused(format!("a notify of no known kind: {other:?}"))),
        })
    }

    fn ack(&self) -> &'static str {
        pooul::ACK
    }
}
