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

use crate::adapters::{
    Endpoint, EnvLookup, endpoint, reject_unknown_keys, secret_from_env, string_field,
};
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
use mifeng::{
    BodyEncoding, Client, Config, Environment, NotifyState, NotifyTrust, OrderState, QueryCode2,
    TokenMethod, UnifiedOrderRequest,
};
use paysig::{Money, Verified};
use std::net::IpAddr;
use std::num::NonZeroU32;
use url::Url;

const P: Provider = Provider::Mifeng;

/// The keys [`MifengGateway::from_toml`] reads; any other key is a configuration error.
const KEYS: [&str; 10] = [
    "environment",
    "base_url",
    "mch_id",
    "secret_env",
    "notify_trust",
    "body_encoding",
    "token_method",
    "query_code_2",
    "rate_limit_per_second",
    "notify_absent_param",
];

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

    /// Builds the gateway from the `[mifeng]` section of the hub's configuration.
    ///
    /// ```toml
    /// [mifeng]
    /// environment = "production"        # or base_url = "http://127.0.0.1:9001" (not both)
    /// mch_id = "1000123"                 # 商户编号 (a string or an integer)
    /// secret_env = "MIFENG_SECRET"       # the NAME of the variable holding 接口密钥
    /// # Optional, the crate's switches for what mifeng.md leaves open (defaults shown):
    /// notify_trust = "signature_and_query"  # or "signature_only"
    /// body_encoding = "platform_export"     # or "form", or "json"
    /// token_method = "post"                 # or "get"
    /// query_code_2 = "param_invalid"        # or "token_invalid"
    /// rate_limit_per_second = 20            # 1..=20 calls/s per mch_id
    /// notify_absent_param = "signed_as_empty"  # or "not_signed", or "refused"
    ///
    /// [notify]
    /// confirm_by_query = ["mifeng"]         # optional: signature_and_query already confirms
    ///                                       # by query; needed only with signature_only
    /// ```
    ///
    /// - `environment`: only `"production"` (`https://open.mifengpay.com`); mifeng.md names no
    ///   test host, so `"test"` is refused: give `base_url` for a sandbox or a mock.
    /// - `notify_trust`: [`NotifyTrust`]. `"query_only"` is refused: the facade always checks
    ///   the notify signature; use [`mifeng::Client::confirm_notify_by_query`] directly for
    ///   that. With `"signature_and_query"` (the default) the hub confirms every notify by
    ///   query on the gateway's own request ([`Gateway::confirm_by_query`] is `true`);
    ///   listing `mifeng` in `[notify] confirm_by_query` is not needed for it. With
    ///   `"signature_only"` the hub confirms only if `[notify] confirm_by_query` lists
    ///   `mifeng`.
    /// - `body_encoding`, `token_method`, `query_code_2`, `notify_absent_param`:
    ///   [`BodyEncoding`], [`TokenMethod`], [`QueryCode2`], [`mifeng::AbsentParam`].
    ///
    /// Any other key is an error (a misspelt key is not silently ignored). Error messages
    /// name variables and keys, never secret values.
    pub fn from_toml(section: &toml::Table, env: EnvLookup<'_>) -> Result<Self, Error> {
        reject_unknown_keys(P, section, KEYS.as_ref())?;
        let environment = match endpoint(P, section)? {
            Endpoint::Production => Environment::Production,
            Endpoint::Test => {
                return Err(Error::Config(format!(
                    "[{P}] mifeng.md names no test host: give base_url"
                )));
            }
            Endpoint::BaseUrl(url) => Environment::Custom(url),
        };
        let mch_id = match section.get("mch_id") {
            Some(toml::Value::Integer(n)) => n.to_string(),
            _ => string_field(P, section, "mch_id")?,
        };
        let secret = secret_from_env(P, section, "secret_env", env)?;
        let mut config = Config::new(environment, mch_id, secret);
        if let Some(v) = choice(
            section,
            "notify_trust",
            &["signature_and_query", "signature_only", "query_only"],
        )? {
            config.notify_trust = match v {
                "signature_only" => NotifyTrust::SignatureOnly,
                "query_only" => {
                    return Err(Error::Config(format!(
                        "[{P}] notify_trust = \"query_only\" is not available through payhub, which always checks the notify signature; use \"signature_and_query\", which also confirms every notify by query"
                    )));
                }
                _ => NotifyTrust::SignatureAndQuery,
            };
        }
        if let Some(v) = choice(
            section,
            "body_encoding",
            &["platform_export", "form", "json"],
        )? {
            config.body_encoding = match v {
                "json" => BodyEncoding::Json,
                "form" => BodyEncoding::Form,
                _ => BodyEncoding::PlatformExport,
            };
        }
        if let Some(v) = choice(section, "token_method", &["post", "get"])? {
            config.token_method = if v == "get" {
                TokenMethod::Get
            } else {
                TokenMethod::Post
            };
        }
        if let Some(v) = choice(section, "query_code_2", &["param_invalid", "token_invalid"])? {
            config.query_code_2 = if v == "token_invalid" {
                QueryCode2::TokenInvalid
            } else {
                QueryCode2::ParamInvalid
            };
        }
        if let Some(v) = choice(
            section,
            "notify_absent_param",
            &["signed_as_empty", "not_signed", "refused"],
        )? {
            config.notify_absent_param = match v {
                "not_signed" => mifeng::AbsentParam::NotSigned,
                "refused" => mifeng::AbsentParam::Refused,
                _ => mifeng::AbsentParam::SignedAsEmpty,
            };
        }
        if let Some(v) = section.get("rate_limit_per_second") {
            let n = v
                .as_integer()
                .filter(|n| (1..=20).contains(n))
                .and_then(|n| u32::try_from(n).ok())
                .and_then(NonZeroU32::new)
                .ok_or_else(|| Error::Config(format!("[{P}] rate_limit_per_second must be an integer from 1 to 20 (mifeng.md §使用规则)")))?;
            config.rate_limit.per_second = n;
        }
        let client = Client::new(config).map_err(|e| Error::Config(format!("[{P}] {e}")))?;
        Ok(MifengGateway::new(client))
    }

    /// The wrapped client, for what the facade does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// How notifies are meant to be trusted (the client's [`Config::notify_trust`]).
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
        }
    }

    /// 余额查询 (`balance`): the merchant's balance. Not part of [`Gateway`].
    pub async fn balance(&self) -> Result<Money, Error> {
        let reply = self.client.balance().await.map_err(Error::Mifeng)?;
        Ok(reply.data.balance)
    }
}

/// An optional string key whose value must be one of `allowed`.
fn choice<'a>(
    section: &'a toml::Table,
    key: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, Error> {
    let Some(value) = section.get(key) else {
        return Ok(None);
    };
    match value.as_str() {
        Some(v) if allowed.contains(&v) => Ok(Some(v)),
        _ => Err(Error::Config(format!(
            "[{P}] {key} must be one of {}",
            allowed.join(", ")
        ))),
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
        _headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, Error> {
        let verified = self
            .client
            .verify_notify(body)
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
