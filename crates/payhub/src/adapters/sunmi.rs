//! Sunmi (商米云交易) adapter over the [`sunmi`] crate (`docs/upstream/sunmi.txt`).
//!
//! | facade | Sunmi |
//! |---|---|
//! | [`PayMethod::WechatJsapi`] | `jsApiPay` (§4.3.2), `totalAmount` in yuan on the wire |
//! | [`PayMethod::WechatMini`] | `miniPay` (§5.3.2), `totalAmount` in fen on the wire |
//! | any other method | [`Error::UnsupportedMethod`] |
//! | `query_payment` | `query` (§4.3.3) by `misId` when the provider number is given (matched on `misId`; an empty `orderId` accepted), else `orderId` |
//! | `refund` | `refund` (§4.3.4), `amount` in fen |
//! | `query_refund` | `query` (§4.3.3) by the refund's `orderId`; the answer must be `orderType` 1 |
//! | `close_payment` | none: [`Error::Unsupported`] |
//! | `parse_notification` | SHA256withRSA notify (§2.2, §4.3.5, §6), form or JSON by `Content-Type`, one reading only, acknowledged with `success` |
//!
//! Every call addresses the merchant by `merchantNo` only: the orders this adapter creates are
//! not device trades, and §4.3.3 says such trades "只能通过商户号查询" (can only be found by
//! merchant number). `subject`, `client_ip` and `attach` of a [`PaymentRequest`], and `reason`
//! and `notify_url` of a [`RefundRequest`], have no Sunmi field and are not sent.
//!
//! Sunmi uses one state enum ([`sunmi::TradeState`]) for payments and refunds: its one
//! `From` impl gives the payment meaning, [`refund_status`] the refund meaning (both name
//! every variant).

use crate::error::{Error, NotifyError};
use crate::gateway::Gateway;
use crate::notify::{Notification, NotificationKind};
use crate::payment::{
    CreatedPayment, PayMethod, Payment, PaymentAction, PaymentQuery, PaymentRequest, Refund,
    RefundQuery, RefundRequest, WechatJsapiParams,
};
use crate::provider::Provider;
use crate::status::{PaymentStatus, RefundExtent};
use async_trait::async_trait;
use paysig::{Money, Verified};
use sunmi::{CloudPayInfo, OrderRef, OrderType, OriginalOrder, Terminal, TradeState};

const PROVIDER: Provider = Provider::Sunmi;

/// Sunmi's payment states in the payment sense (sunmi.txt §4.3.3 `state`).
///
/// | Sunmi `state` | unified |
/// |---|---|
/// | 1 `Created` 交易创建，待付款 | `Pending` |
/// | 2 `Unpaid` 订单未付款 | `Pending` (the document does not say the payer can no longer pay) |
/// | 3 `Success` 交易成功 | `Succeeded` |
/// | 4 `Closed` 交易结束，不可退款 (e.g. the original order after a cancellation) | `Closed` |
/// | 5 `Failed` 交易失败 | `Failed` |
/// | `Unknown(raw)` (a state the document does not list) | `Pending`: never a success |
///
/// A payment in state 3 with a non-zero `refunded` total is reported as `Refunded` by the
/// adapter (see [`SunmiGateway`]); a refund's state maps through [`refund_status`].
impl From<TradeState> for PaymentStatus {
    fn from(state: TradeState) -> Self {
        match state {
            TradeState::Created => PaymentStatus::Pending,
            TradeState::Unpaid => PaymentStatus::Pending,
            TradeState::Success => PaymentStatus::Succeeded,
            TradeState::Closed => PaymentStatus::Closed,
            TradeState::Failed => PaymentStatus::Failed,
            TradeState::Unknown(_) => PaymentStatus::Pending,
        }
    }
}

/// Sunmi's state of a refund order (`orderType` 1; sunmi.txt §4.3.4 "3-交易成功，包含：收款、
/// 退款等成功").
///
/// | Sunmi `state` | unified |
/// |---|---|
/// | 1 `Created` | `Refunding` (accepted, not finished) |
/// | 2 `Unpaid` | `Refunding` (not finished) |
/// | 3 `Success` | `Refunded(extent)` |
/// | 4 `Closed` | `Closed` (ended without a success; query the payment before refunding again) |
/// | 5 `Failed` | `Failed` |
/// | `Unknown(raw)` | `Refunding`: never a success |
///
/// `extent` is what the caller knows: [`RefundExtent::Full`] / [`RefundExtent::Partial`]
/// when the payment's total was given, else [`RefundExtent::Unknown`].
pub fn refund_status(state: TradeState, extent: RefundExtent) -> PaymentStatus {
    match state {
        TradeState::Created => PaymentStatus::Refunding,
        TradeState::Unpaid => PaymentStatus::Refunding,
        TradeState::Success => PaymentStatus::Refunded(extent),
        TradeState::Closed => PaymentStatus::Closed,
        TradeState::Failed => PaymentStatus::Failed,
        TradeState::Unknown(_) => PaymentStatus::Refunding,
    }
}

/// A payment's unified status: the state's meaning, except that a successful payment with a
/// non-zero `refunded` total is `Refunded` (full when the whole amount went back).
fn payment_status(state: TradeState, amount: Money, refunded: Money) -> PaymentStatus {
    match PaymentStatus::from(state) {
        PaymentStatus::Succeeded if !refunded.is_zero() => {
            PaymentStatus::Refunded(if refunded >= amount {
                RefundExtent::Full
            } else {
                RefundExtent::Partial
            })
        }
        other => other,
    }
}

/// The Sunmi gateway: a [`sunmi::Client`] plus the Sunmi merchant number (`merchantNo`) that
/// every order, query and refund names.
///
/// Built in code with [`SunmiGateway::new`], or from a hub config with
/// [`SunmiGateway::from_config`].
#[derive(Debug, Clone)]
pub struct SunmiGateway {
    client: sunmi::Client,
    merchant_no: String,
}

impl SunmiGateway {
    /// A gateway over `client` for the Sunmi merchant `merchant_no` (`merchantNo`,
    /// String(20)).
    pub fn new(client: sunmi::Client, merchant_no: impl Into<String>) -> Self {
        SunmiGateway {
            client,
            merchant_no: merchant_no.into(),
        }
    }

    /// The Sunmi client.
    pub fn client(&self) -> &sunmi::Client {
        &self.client
    }

    /// The Sunmi merchant number.
    pub fn merchant_no(&self) -> &str {
        &self.merchant_no
    }

    fn terminal(&self) -> Terminal {
        Terminal::MerchantNo(self.merchant_no.clone())
    }
}

fn provider_err(e: sunmi::Error) -> Error {
    Error::Sunmi(e)
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The `orderId` a `query` answer asked by `orderId` is about (`what`: "payment" or
/// "refund"). Never filled in from the request: without it the answer cannot be matched to
/// what was asked. (Asked by `misId`, the answer is matched on `misId` instead.)
fn answered_order_id(r: &sunmi::QueryResult, what: &str) -> Result<String, Error> {
    non_empty(r.order_id.as_deref()).ok_or_else(|| Error::Answer {
        provider: PROVIDER,
        operation: "query",
        reason: format!(
            "the query answer has no orderId: the {what} it describes is unknown (misId {:?})",
            r.mis_id
        ),
    })
}

fn wechat_params(info: CloudPayInfo) -> WechatJsapiParams {
    WechatJsapiParams {
        app_id: info.app_id,
        time_stamp: info.time_stamp,
        nonce_str: info.nonce_str,
        package: info.package_str,
        sign_type: info.sign_type,
        pay_sign: info.pay_sign,
    }
}

fn verification(reason: impl Into<String>) -> Error {
    Error::Notify(NotifyError::Verification {
        provider: PROVIDER,
        reason: reason.into(),
    })
}

/// The typed notify as JSON, under its wire names and units (fen, integer codes).
fn raw_json(n: &sunmi::Notification) -> serde_json::Value {
    let mut raw = serde_json::json!({
        "amount": n.amount.fen(),
        "businessId": n.business_id,
        "buyerPayAmount": n.buyer_pay_amount.fen(),
        "misId": n.mis_id,
        "msn": n.msn,
        "orderId": n.order_id,
        "orderType": n.order_type.code(),
        "payTime": n.pay_time,
        "platform": n.platform.as_str(),
        "buyerLogonId": n.buyer_logon_id,
        "platformId": n.platform_id,
        "refunded": n.refunded.fen(),
        "resultCode": n.result_code.as_str(),
        "resultMsg": n.result_msg,
        "state": n.state.code(),
    });
    if let (Some(origin), Some(obj)) = (&n.refund_origin, raw.as_object_mut()) {
        for (key, value) in [
            ("origMisId", &origin.orig_mis_id),
            ("origOrderId", &origin.orig_order_id),
            ("origPlatformId", &origin.orig_platform_id),
            ("origBusinessId", &origin.orig_business_id),
        ] {
            if let Some(v) = value {
                obj.insert(key.to_owned(), serde_json::Value::String(v.clone()));
            }
        }
    }
    raw
}

/// A verified Sunmi notify in the unified form. A refund notify is keyed by the ORIGINAL
/// payment's order number (`origOrderId`, required), with the refund's `orderId` as refund
/// number and `amount` as the refunded amount. Order types other than payment and refund
/// (cancellation, pre-authorisation, ...: device trades this adapter never creates) are
/// refused rather than guessed.
fn to_notification(n: sunmi::Notification) -> Result<Notification, Error> {
    match n.order_type {
        OrderType::Payment | OrderType::Refund => {}
        OrderType::Cancellation
        | OrderType::PreAuthorization
        | OrderType::PreAuthorizationCompletion
        | OrderType::Reversal
        | OrderType::OrderQuery
        | OrderType::Unknown(_) => {
            return Err(verification(format!(
                "orderType {} is neither a payment nor a refund; not handled",
                n.order_type.code()
            )));
        }
    }
    let raw = raw_json(&n);
    if n.is_refund() {
        let origin = n.refund_origin.as_ref();
        let order_no =
            non_empty(origin.and_then(|o| o.orig_order_id.as_deref())).ok_or_else(|| {
                verification("refund notify without origOrderId: the original order is unknown")
            })?;
        Ok(Notification {
            provider: PROVIDER,
            kind: NotificationKind::Refund {
                refund_no: non_empty(Some(&n.order_id)),
            },
            order_no,
            provider_trade_no: non_empty(origin.and_then(|o| o.orig_mis_id.as_deref())),
            provider_refund_no: non_empty(Some(&n.mis_id)),
            amount: n.amount,
            status: refund_status(n.state, RefundExtent::Unknown),
            raw,
        })
    } else {
        Ok(Notification {
            provider: PROVIDER,
            kind: NotificationKind::Payment,
            provider_trade_no: non_empty(Some(&n.mis_id)),
            provider_refund_no: None,
            amount: n.amount,
            status: payment_status(n.state, n.amount, n.refunded),
            order_no: n.order_id,
            raw,
        })
    }
}

#[async_trait]
impl Gateway for SunmiGateway {
    /// sunmi.txt's timing ([`sunmi::resolve::DEFAULT_POLICY`]: first query after 10 s).
    fn resolve_policy(&self) -> crate::resolve::ResolvePolicy {
        sunmi::resolve::DEFAULT_POLICY
    }

    /// [`sunmi::Client::resolve_payment`] under this gateway's `merchantNo`.
    async fn resolve_payment(
        &self,
        order_no: &str,
        policy: &crate::resolve::ResolvePolicy,
    ) -> crate::resolve::Resolution {
        self.client
            .clone()
            .with_terminal(self.terminal())
            .resolve_payment(order_no, policy)
            .await
            .map(|r| Payment {
                provider: PROVIDER,
                order_no: order_no.to_owned(),
                provider_trade_no: non_empty(Some(&r.mis_id)),
                status: payment_status(r.state, r.amount, r.refunded),
                amount: Some(r.amount),
            })
    }

    /// [`sunmi::Client::resolve_refund`] under this gateway's `merchantNo` (the refund's own
    /// `orderId` is `refund_no`); the extent is unknown, as in [`Gateway::query_refund`].
    async fn resolve_refund(
        &self,
        order_no: &str,
        refund_no: &str,
        policy: &crate::resolve::ResolvePolicy,
    ) -> crate::resolve::RefundResolution {
        self.client
            .clone()
            .with_terminal(self.terminal())
            .resolve_refund(order_no, refund_no, policy)
            .await
            .map(|r| Refund {
                provider: PROVIDER,
                refund_no: refund_no.to_owned(),
                provider_refund_no: non_empty(Some(&r.mis_id)),
                amount: Some(r.amount),
                status: refund_status(r.state, RefundExtent::Unknown),
                action_url: None,
            })
    }

    fn provider(&self) -> Provider {
        PROVIDER
    }

    /// `jsApiPay` for [`PayMethod::WechatJsapi`], `miniPay` for [`PayMethod::WechatMini`]; the
    /// action carries `cloudPayInfo` as typed WeChat parameters, or is
    /// [`PaymentAction::Final`] when Sunmi already answers a final state.
    async fn create_payment(&self, request: &PaymentRequest) -> Result<CreatedPayment, Error> {
        let notify_url = non_empty(Some(&request.notify_url));
        let (result, mini) = match &request.method {
            PayMethod::WechatJsapi { app_id, open_id } => {
                let req = sunmi::JsApiPayRequest {
                    merchant_no: self.merchant_no.clone(),
                    total_amount: request.amount,
                    mini_app_id: app_id.clone(),
                    open_id: open_id.clone(),
                    order_id: request.order_no.clone(),
                    wallet_type: sunmi::WalletType::default(),
                    notify_url,
                };
                (
                    self.client
                        .js_api_pay(&req)
                        .await
                        .map_err(provider_err)?
                        .into_inner(),
                    false,
                )
            }
            PayMethod::WechatMini { app_id, open_id } => {
                let req = sunmi::MiniPayRequest {
                    merchant_no: self.merchant_no.clone(),
                    total_amount: request.amount,
                    mini_app_id: app_id.clone(),
                    open_id: open_id.clone(),
                    order_id: request.order_no.clone(),
                    app_version: None,
                    notify_url,
                };
                (
                    self.client
                        .mini_pay(&req)
                        .await
                        .map_err(provider_err)?
                        .into_inner(),
                    true,
                )
            }
            method @ (PayMethod::WechatNative
            | PayMethod::WechatApp { .. }
            | PayMethod::WechatH5
            | PayMethod::AlipayQr
            | PayMethod::AlipayWeb { .. }
            | PayMethod::AlipayApp
            | PayMethod::UnionPayApp
            | PayMethod::UnionPayWeb { .. }
            | PayMethod::MicroPay { .. }
            | PayMethod::HostedCashier { .. }) => {
                return Err(Error::UnsupportedMethod {
                    provider: PROVIDER,
                    method: method.name(),
                });
            }
        };
        if result.amount != request.amount {
            tracing::warn!(order_no = %request.order_no, requested = %request.amount, answered = %result.amount, "Sunmi answered another amount than requested");
        }
        let action = match result.state {
            TradeState::Success | TradeState::Closed | TradeState::Failed => PaymentAction::Final {
                status: PaymentStatus::from(result.state),
            },
            TradeState::Created | TradeState::Unpaid | TradeState::Unknown(_) => {
                let params = wechat_params(result.cloud_pay_info);
                if mini {
                    PaymentAction::WechatMini(params)
                } else {
                    PaymentAction::WechatJsapi(params)
                }
            }
        };
        Ok(CreatedPayment {
            provider: PROVIDER,
            order_no: request.order_no.clone(),
            provider_trade_no: non_empty(Some(&result.mis_id)),
            action,
            payer_amount: None,
        })
    }

    /// `query` by `misId` when `provider_trade_no` is given, else by `orderId`. The answer
    /// must be a payment (`orderType` 0) about the number asked by:
    ///
    /// - by `misId`: Sunmi's `misId` must be the one asked (else [`Error::Sunmi`] or [`Error::Answer`], the
    ///   crate's [`sunmi::Error::ResponseMismatch`]). Its `orderId` may be empty, as in
    ///   §4.3.3's own sample: the payment is then the one of [`PaymentQuery::order_no`] that
    ///   carries this `misId` (the caller's pairing, e.g. from a verified notify or the
    ///   create answer). A non-empty `orderId` naming another order is [`Error::Invalid`]
    ///   (`provider_trade_no`).
    /// - by `orderId`: Sunmi's `orderId` must be [`PaymentQuery::order_no`]; an answer without
    ///   one, or naming another order (the crate's [`sunmi::Error::ResponseMismatch`]), is an
    ///   [`Error::Sunmi`] or [`Error::Answer`] naming `orderId`.
    ///
    /// The amount is the one Sunmi answered; a notify confirmed by query compares it with the
    /// notified amount (the hub refuses one that differs).
    async fn query_payment(&self, query: &PaymentQuery) -> Result<Payment, Error> {
        let mis_id = non_empty(query.provider_trade_no.as_deref());
        let (order, field) = match &mis_id {
            Some(mis_id) => (OrderRef::MisId(mis_id.clone()), "provider_trade_no"),
            None => (OrderRef::OrderId(query.order_no.clone()), "order_no"),
        };
        let r = self
            .client
            .query(&sunmi::QueryRequest {
                terminal: self.terminal(),
                order,
            })
            .await
            .map_err(provider_err)?;
        if r.order_type != OrderType::Payment {
            return Err(Error::Invalid {
                field,
                reason: format!(
                    "Sunmi answered an order of orderType {}, not a payment",
                    r.order_type.code()
                ),
            });
        }
        let order_no = match (&mis_id, non_empty(r.order_id.as_deref())) {
            (_, Some(answered)) => answered,
            // The crate matched the answer's misId with the one asked.
            (Some(_), None) => query.order_no.clone(),
            (None, None) => answered_order_id(&r, "payment")?,
        };
        if order_no != query.order_no {
            return Err(Error::Invalid {
                field,
                reason: format!("Sunmi's order is {order_no:?}, not {:?}", query.order_no),
            });
        }
        Ok(Payment {
            provider: PROVIDER,
            order_no,
            provider_trade_no: non_empty(Some(&r.mis_id)),
            status: payment_status(r.state, r.amount, r.refunded),
            amount: Some(r.amount),
        })
    }

    /// `refund` of the payment (`oriMisId` when `provider_trade_no` is given, else
    /// `oriOrderId`), `orderId` = the refund number, `businessId` = the payment's order
    /// number. The extent is known only when `total` is given.
    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let original = match non_empty(request.provider_trade_no.as_deref()) {
            Some(mis_id) => OriginalOrder::MisId(mis_id),
            None => OriginalOrder::OrderId(request.order_no.clone()),
        };
        let req = sunmi::RefundRequest {
            terminal: self.terminal(),
            original,
            order_id: request.refund_no.clone(),
            business_id: request.order_no.clone(),
            amount: request.amount,
        };
        let r = self
            .client
            .refund(&req)
            .await
            .map_err(provider_err)?
            .into_inner();
        let extent = match request.total {
            Some(total) if request.amount >= total => RefundExtent::Full,
            Some(_) => RefundExtent::Partial,
            None => RefundExtent::Unknown,
        };
        Ok(Refund {
            provider: PROVIDER,
            refund_no: request.refund_no.clone(),
            provider_refund_no: non_empty(Some(&r.mis_id)),
            amount: Some(r.amount),
            status: refund_status(r.state, extent),
            action_url: None,
        })
    }

    /// Sunmi has no refund query endpoint, but `query` covers every non-card order, refunds
    /// included (§4.3.3: `orderType` 1 表示退款): the refund is looked up by its `orderId` (the
    /// refund number sent to `refund`), and the answer must be a refund naming that number in
    /// `orderId`: the returned [`Refund::refund_no`] is Sunmi's `orderId`, never the
    /// request's. An answer without `orderId` is an [`Error::Sunmi`] or [`Error::Answer`] naming it; a refund
    /// of another number is [`Error::Invalid`] (`refund_no`).
    ///
    /// The refund must belong to [`RefundQuery::order_no`]: §4.3.3's answer has no `ori*`
    /// field (nor does [`sunmi::QueryResult`]), so the original order is read from
    /// `businessId`, which [`Gateway::refund`] sets to the payment's order number. When the
    /// answer names one (non-empty) and it is another order, the answer is refused with
    /// [`Error::Invalid`] (`order_no`). The extent is [`RefundExtent::Unknown`].
    async fn query_refund(&self, query: &RefundQuery) -> Result<Refund, Error> {
        let r = self
            .client
            .query(&sunmi::QueryRequest {
                terminal: self.terminal(),
                order: OrderRef::OrderId(query.refund_no.clone()),
            })
            .await
            .map_err(provider_err)?;
        if r.order_type != OrderType::Refund {
            return Err(Error::Invalid {
                field: "refund_no",
                reason: format!(
                    "Sunmi answered an order of orderType {}, not a refund",
                    r.order_type.code()
                ),
            });
        }
        let refund_no = answered_order_id(&r, "refund")?;
        if refund_no != query.refund_no {
            return Err(Error::Invalid {
                field: "refund_no",
                reason: format!("Sunmi's refund is {refund_no:?}, not {:?}", query.refund_no),
            });
        }
        if let Some(original) = non_empty(r.business_id.as_deref())
            && original != query.order_no
        {
            return Err(Error::Invalid {
                field: "order_no",
                reason: format!(
                    "Sunmi's refund {refund_no:?} belongs to order {original:?} (businessId), not {:?}",
                    query.order_no
                ),
            });
        }
        Ok(Refund {
            provider: PROVIDER,
            refund_no,
            provider_refund_no: non_empty(Some(&r.mis_id)),
            amount: Some(r.amount),
            status: refund_status(r.state, RefundExtent::Unknown),
            action_url: None,
        })
    }

    /// Sunmi has no close: [`Error::Unsupported`].
    async fn close_payment(&self, _query: &PaymentQuery) -> Result<(), Error> {
        Err(Error::Unsupported {
            provider: PROVIDER,
            operation: "close_payment",
        })
    }

    /// Verifies the body with the configured Sunmi public key: a form (documented), or a JSON
    /// object when `Content-Type` says `application/json` or, without a known type, when it
    /// starts with `{` ([`sunmi::NotifyFormat::detect`]). A `Content-Type` that is not
    /// visible ASCII counts as absent.
    fn parse_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, Error> {
        let verified = self
            .client
            .verify_notify(headers, body)
            .map_err(|e| verification(e.to_string()))?;
        verified.try_map(to_notification)
    }

    fn ack(&self) -> &'static str {
        sunmi::ACK
    }
}
