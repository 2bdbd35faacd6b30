//! The client: one typed method per endpoint of sunmi.txt chapters 3-5.

use crate::config::{Config, PollConfig, UnpaidPolicy};
use crate::error::{Error, NotifyError};
use crate::model::{
    BusinessCode, JsApiPayRequest, MiniPayRequest, OrderRef, OrderResult, PayBindOutcome,
    PayBindRequest, QueryRequest, QueryResult, RefundRequest, RefundResult, SubError,
    SwipeQueryRequest, SwipeTrade, SystemCode, Terminal, TradeState,
};
use crate::notify::Notification;
use memchr::memmem;
use paysig::http::{HttpClient, Request};
use paysig::md5::{HexCase, KeySuffix};
use paysig::resolve::Step;
use paysig::wire::ToWire;
use paysig::{CanonicalRules, Md5Signer, Reply, Verified};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::sync::{Arc, LazyLock};
use url::Url;

const PROVIDER: &str = "sunmi";

/// Parameters carrying base64 images, left out of the MD5 sign (sunmi.txt §2.1.2 step 1).
/// None of the trade endpoints of chapters 3-5 has one; the list is here so that an image
/// endpoint added later is signed as documented.
pub const IMAGE_PARAMS: &[&str] = &[];

/// The request signer of sunmi.txt §2.1: every parameter but `sign` and image parameters,
/// sorted by name, `k=v&k=v` with empty values kept, the app_key appended with no separator,
/// MD5, 32 uppercase hex digits.
pub fn request_signer() -> Md5Signer {
    let mut excluded = vec!["sign"];
    excluded.extend_from_slice(IMAGE_PARAMS);
    Md5Signer::new(
        CanonicalRules::sorted().exclude(excluded).keep_empty(),
        KeySuffix::Append,
        HexCase::Upper,
    )
}

/// The Sunmi trade client. Cheap to clone: one `Arc` around what it holds, the same shape as
/// every payhub provider crate's client.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    config: Config,
    base: Url,
    http: HttpClient,
    signer: Md5Signer,
    terminal: Option<Terminal>,
    /// [`ENDPOINTS`] joined to `base`.
    endpoints: Vec<(&'static str, Url)>,
}

impl Client {
    /// A client with its own HTTP pool built from the config's timeouts.
    pub fn new(config: Config) -> Result<Client, Error> {
        let http = HttpClient::new(config.http_config()).map_err(crate::error::http("client"))?;
        Client::with_http(config, http)
    }

    /// A client sharing an existing HTTP pool (its timeouts and retry policy apply).
    pub fn with_http(config: Config, http: HttpClient) -> Result<Client, Error> {
        let mut base = config.environment.base_url();
        if base.cannot_be_a_base() {
            return Err(Error::Config {
                reason: "the base URL cannot carry a path".into(),
            });
        }
        // `Url::join` would drop a last path segment without a trailing slash.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        crate::validate::check("app_id", &config.app_id, 32)?;
        let endpoints = ENDPOINTS
            .iter()
            .map(|p| Ok((*p, join(&base, p)?)))
            .collect::<Result<_, Error>>()?;
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                base,
                http,
                signer: request_signer(),
                terminal: None,
                endpoints,
            }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The terminal (`merchantNo` or `msn`) that [`Client::resolve_payment`] and
    /// [`Client::resolve_refund`] query under: Sunmi's `query` requires one, and the
    /// resolution signature is the same in every payhub provider crate.
    pub fn with_terminal(mut self, terminal: Terminal) -> Self {
        // A clone made before keeps its own terminal.
        Arc::make_mut(&mut self.inner).terminal = Some(terminal);
        self
    }

    /// The terminal set by [`Client::with_terminal`].
    pub fn terminal(&self) -> Option<&Terminal> {
        self.inner.terminal.as_ref()
    }

    /// `swipeQuery`: a card trade made on a Sunmi financial device (sunmi.txt §3.3.1).
    /// Sent with retry (it is a read).
    pub async fn swipe_query(&self, req: &SwipeQueryRequest) -> Result<Reply<SwipeTrade>, Error> {
        let body = req.to_wire(&self.inner.config.app_id)?;
        self.call("swipeQuery", "v1/trade/swipeQuery", &body, true)
            .await
            .map(Reply::new)
    }

    /// `payBind`: binds a payment directory or an app ID, or reads the configuration
    /// (sunmi.txt §4.3.1, §5.3.1). The official account needs two calls: first
    /// [`crate::BindConfig::AttentionAppId`], then [`crate::BindConfig::PayUrl`].
    pub async fn pay_bind(&self, req: &PayBindRequest) -> Result<Reply<PayBindOutcome>, Error> {
        let body = req.to_wire(&self.inner.config.app_id)?;
        let data: serde_json::Value = self
            .call("payBind", "v1/trade/payBind", &body, false)
            .await?;
        match data {
            serde_json::Value::String(s) if s == "Success" => {
                Ok(Reply::new(PayBindOutcome::Success))
            }
            other => Ok(Reply::new(PayBindOutcome::Data(other))),
        }
    }

    /// `jsApiPay`: a WeChat official-account order (sunmi.txt §4.3.2); `totalAmount` is sent
    /// in yuan. Sent once. When [`OrderResult::is_paying`], use
    /// [`Client::poll_until_final`].
    pub async fn js_api_pay(&self, req: &JsApiPayRequest) -> Result<Reply<OrderResult>, Error> {
        let body = req.to_wire(&self.inner.config.app_id)?;
        let order: OrderResult = self
            .call("jsApiPay", "v1/trade/jsApiPay", &body, false)
            .await?;
        check_echo("jsApiPay", &order, &req.order_id, req.total_amount)?;
        Ok(Reply::new(order))
    }

    /// `miniPay`: a WeChat mini-program order (sunmi.txt §5.3.2); `totalAmount` is sent in
    /// fen. Sent once. When [`OrderResult::is_paying`], use [`Client::poll_until_final`].
    pub async fn mini_pay(&self, req: &MiniPayRequest) -> Result<Reply<OrderResult>, Error> {
        let body = req.to_wire(
            &self.inner.config.app_id,
            self.inner.config.mini_pay_notify_url_max,
        )?;
        let order: OrderResult = self
            .call("miniPay", "v1/trade/miniPay", &body, false)
            .await?;
        check_echo("miniPay", &order, &req.order_id, req.total_amount)?;
        Ok(Reply::new(order))
    }

    /// `query`: any non-card order (sunmi.txt §4.3.3, §5.3.3). Sent with retry.
    ///
    /// The answer must be about the order asked for, matched on the key that was sent:
    /// asked by [`OrderRef::MisId`], the answer's `misId` (always present) must be it; asked
    /// by [`OrderRef::OrderId`] / [`OrderRef::PlatformId`], an answer naming another
    /// `orderId` / `platformId` is refused. Either is [`Error::ResponseMismatch`]. An answer
    /// silent on `orderId` / `platformId` (empty or absent, as `orderId` is in §4.3.3's own
    /// sample) cannot be matched here: a caller that needs the match asks by `misId`, or
    /// requires the field itself (the payhub adapter does).
    pub async fn query(&self, req: &QueryRequest) -> Result<Reply<QueryResult>, Error> {
        let body = req.to_wire(&self.inner.config.app_id)?;
        let result: QueryResult = self.call("query", "v1/trade/query", &body, true).await?;
        check_query_echo(&req.order, &result)?;
        Ok(Reply::new(result))
    }

    /// `refund`: a full or partial refund, `amount` in fen (sunmi.txt §4.3.4, §5.3.4).
    /// Sent once: on [`Error::outcome_unknown`], query the refund before trying again.
    /// Only `state` [`TradeState::Success`] means the money went back.
    pub async fn refund(&self, req: &RefundRequest) -> Result<Reply<RefundResult>, Error> {
        let body = req.to_wire(&self.inner.config.app_id)?;
        self.call("refund", "v1/trade/refund", &body, false)
            .await
            .map(Reply::new)
    }

    /// Polls `query` after "用户支付中" until a final state (sunmi.txt §4.3.2, §5.3.2: "建议在
    /// 10秒（含）后开始查询"): waits `initial_delay`, then queries every `interval` until
    /// `state` is 3, 4 or 5 (or 2 with [`UnpaidPolicy::Final`]), or the `deadline` passes
    /// ([`Error::PollTimeout`]).
    ///
    /// Business codes D01 处理中 and D07 用户支付中 (and D08 订单未支付 under
    /// [`UnpaidPolicy::KeepPolling`]) mean "ask again"; any other error is returned at once
    /// (the query itself is already retried on transport failures).
    pub async fn poll_until_final(
        &self,
        req: &QueryRequest,
        poll: &PollConfig,
    ) -> Result<Reply<QueryResult>, Error> {
        // A malformed request fails now rather than after the first wait.
        req.to_wire(&self.inner.config.app_id)?;
        if poll.interval.is_zero() {
            return Err(Error::Validation {
                field: "interval",
                reason: "the polling interval must be longer than zero".into(),
            });
        }
        // The document's rhythm is fixed ("every interval"), so no growth and no jitter; the
        // poll config's deadline is exclusive (no query starts at it), the policy's inclusive.
        let policy = paysig::resolve::ResolvePolicy::fixed(
            poll.initial_delay,
            poll.interval,
            poll.deadline
                .saturating_sub(std::time::Duration::from_nanos(1)),
        );
        let start = tokio::time::Instant::now();
        // The state of the last query that answered one, across rounds that said "ask again".
        let last_state = std::sync::Mutex::new(None);
        let out = paysig::resolve::poll(&policy, || async {
            match self.query(req).await {
                Ok(r) if is_done(r.state, poll.unpaid) => Step::Done(Ok(r)),
                Ok(r) => {
                    *last_state.lock().unwrap_or_else(|p| p.into_inner()) = Some(r.state);
                    Step::Again(())
                }
                Err(Error::Api { code, .. }) if keep_polling(&code, poll.unpaid) => Step::Again(()),
                Err(e) => Step::Done(Err(e)),
            }
        })
        .await;
        match out {
            Ok(done) => done,
            Err(_) => Err(Error::PollTimeout {
                last_state: last_state.into_inner().unwrap_or_else(|p| p.into_inner()),
                waited: start.elapsed(),
            }),
        }
    }

    /// Verifies a notify: the format told by the request's `Content-Type` header first, by
    /// the body otherwise ([`crate::NotifyFormat::detect`]), with the configured Sunmi public
    /// key and [`Config::notify_body_limit`] (see [`crate::notify::verify_notify_with`]).
    pub fn verify_notify(
        &self,
        headers: &paysig::http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, NotifyError> {
        let content_type = headers
            .get(paysig::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        crate::notify::verify_notify_with(
            content_type,
            body,
            &self.inner.config.sunmi_public_key,
            &crate::notify::NotifyOptions::default()
                .with_body_limit(self.inner.config.notify_body_limit),
        )
    }

    /// Signs and sends, then reads the answer into `T`.
    ///
    /// An answer whose text holds neither `sub_code` nor an escape cannot carry a refusal in
    /// `data`, so it is read in one pass, envelope and `data` together; if that read fails or
    /// the code is not success, it is read again in two steps, as every other answer is: the
    /// envelope borrowed from the body, `data` kept as its raw text, probed for `sub_code`,
    /// then read into `T`. Either way the same answer gives the same result or error.
    async fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        body: &impl Serialize,
        idempotent: bool,
    ) -> Result<T, Error> {
        // Signing comes last, over exactly the pairs sent.
        let params = body
            .to_signed_params(&self.inner.signer, &self.inner.config.app_key, "sign")
            .map_err(crate::model::wire_error)?;
        let url = self.endpoint(path)?;
        let mut request = Request::post_form(PROVIDER, operation, url, params.to_form());
        if idempotent {
            request = request.idempotent();
        }
        let response = self
            .inner
            .http
            .send(request)
            .await
            .and_then(paysig::http::Response::require_success)
            .map_err(crate::error::http(operation))?;
        if !might_carry_sub_code(&response.body)
            && let Ok(TypedEnvelope {
                code: SystemCode::Success,
                data: Some(data),
                ..
            }) = serde_json::from_slice::<TypedEnvelope<T>>(&response.body)
        {
            return Ok(data);
        }
        let decode_error = |e: serde_json::Error| Error::Decode {
            operation,
            reason: e.to_string(),
        };
        let envelope: RawEnvelope<'_> =
            serde_json::from_slice(&response.body).map_err(decode_error)?;
        if envelope.code != SystemCode::Success {
            return Err(Error::System {
                code: envelope.code,
                msg: envelope.msg.unwrap_or_default(),
            });
        }
        if let Some(data) = envelope.data
            && data.get().starts_with('{')
            && might_carry_sub_code(data.get().as_bytes())
            && serde_json::from_str::<SubProbe>(data.get())
                .map_err(decode_error)?
                .sub_code
                .0
        {
            let sub: SubError = serde_json::from_str(data.get()).map_err(decode_error)?;
            return Err(Error::Api {
                code: sub.sub_code,
                msg: sub.sub_msg.unwrap_or_default(),
            });
        }
        decode_data(operation)(envelope.data)
    }

    /// The endpoint's URL, joined at construction (a path not listed in [`ENDPOINTS`] is
    /// joined here).
    fn endpoint(&self, path: &str) -> Result<Url, Error> {
        if let Some((_, url)) = self.inner.endpoints.iter().find(|(p, _)| *p == path) {
            return Ok(url.clone());
        }
        join(&self.inner.base, path)
    }
}

/// The paths of chapters 3-5, joined to the base once per client.
const ENDPOINTS: &[&str] = &[
    "v1/trade/swipeQuery",
    "v1/trade/payBind",
    "v1/trade/jsApiPay",
    "v1/trade/miniPay",
    "v1/trade/query",
    "v1/trade/refund",
];

fn join(base: &Url, path: &str) -> Result<Url, Error> {
    base.join(path).map_err(|e| Error::Config {
        reason: format!("cannot build the endpoint URL: {e}"),
    })
}

/// The answer envelope as read by [`Client::call`]: [`crate::model::Envelope`]'s fields,
/// `data` borrowed as raw JSON text.
#[derive(serde::Deserialize)]
struct RawEnvelope<'a> {
    code: SystemCode,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    msg: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

/// The answer envelope with `data` read straight into `T`: the one-pass read of
/// [`Client::call`]. `msg` is read as [`RawEnvelope`] reads it, so a malformed one fails here
/// too and the answer goes the two-step way, which names the fault.
#[derive(serde::Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct TypedEnvelope<T> {
    code: SystemCode,
    #[serde(
        default,
        rename = "msg",
        deserialize_with = "paysig::lenient::opt_string"
    )]
    _msg: Option<String>,
    #[serde(default)]
    data: Option<T>,
}

/// Whether text may hold a `sub_code` member: it names it, or it has an escape anywhere (a
/// member name may be written escaped). Text that may not is read once, into the
/// operation's type, without a scan by [`SubProbe`].
fn might_carry_sub_code(text: &[u8]) -> bool {
    // memchr is already built for serde_json: both scans are a few tens of ns per answer. The
    // finder is built once: building it costs more than the search.
    static SUB_CODE: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"sub_code"));
    memchr::memchr(b'\\', text).is_some() || SUB_CODE.find(text).is_some()
}

/// Whether an object `data` carries `sub_code` at all (any value, `null` included: such an
/// object is read as a [`SubError`], which then names what is wrong with it).
#[derive(serde::Deserialize)]
struct SubProbe {
    #[serde(default)]
    sub_code: Present,
}

#[derive(Default)]
struct Present(bool);

impl<'de> serde::Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// Reads `data` into the operation's type; an answer without `data` is a decode error.
fn decode_data<T: DeserializeOwned>(
    operation: &'static str,
) -> impl FnOnce(Option<&RawValue>) -> Result<T, Error> {
    move |data| {
        let data = data.ok_or_else(|| Error::Decode {
            operation,
            reason: "the answer has no data".into(),
        })?;
        serde_json::from_str(data.get()).map_err(|e| Error::Decode {
            operation,
            reason: e.to_string(),
        })
    }
}

fn is_done(state: TradeState, unpaid: UnpaidPolicy) -> bool {
    state.is_final() || (state == TradeState::Unpaid && unpaid == UnpaidPolicy::Final)
}

fn keep_polling(code: &BusinessCode, unpaid: UnpaidPolicy) -> bool {
    code.is_pending() || (*code == BusinessCode::D08NotPaid && unpaid == UnpaidPolicy::KeepPolling)
}

/// A `query` answer must name the order by the key it was asked by (see [`Client::query`]).
fn check_query_echo(asked: &OrderRef, answer: &QueryResult) -> Result<(), Error> {
    let (field, expected, got) = match asked {
        OrderRef::MisId(v) => ("misId", v, answer.mis_id.as_str()),
        OrderRef::OrderId(v) => ("orderId", v, answer.order_id.as_deref().unwrap_or_default()),
        OrderRef::PlatformId(v) => (
            "platformId",
            v,
            answer.platform_id.as_deref().unwrap_or_default(),
        ),
    };
    let silent = got.is_empty() && !matches!(asked, OrderRef::MisId(_));
    if got == expected || silent {
        Ok(())
    } else {
        Err(Error::ResponseMismatch {
            operation: "query",
            field,
            expected: expected.clone(),
            got: got.to_owned(),
        })
    }
}

/// An order answer must be about the order and amount requested; anything else is refused
/// rather than shown to a payer.
fn check_echo(
    operation: &'static str,
    order: &OrderResult,
    order_id: &str,
    amount: paysig::Money,
) -> Result<(), Error> {
    if order.order_id != order_id {
        return Err(Error::ResponseMismatch {
            operation,
            field: "orderId",
            expected: order_id.to_owned(),
            got: order.order_id.clone(),
        });
    }
    if order.amount != amount {
        return Err(Error::ResponseMismatch {
            operation,
            field: "amount",
            expected: amount.to_fen_string(),
            got: order.amount.to_fen_string(),
        });
    }
    Ok(())
}
