//! The client: one typed method per `/v2` operation, over one signed transport.

use crate::config::{Config, EchoCheck, PlainJsonFailures};
use crate::error::{Error, NotifyError};
use crate::model::pay::{PayData, PayRequest};
use crate::model::refund::{RefundQueryData, RefundQueryRequest, RefundRequest};
use crate::model::trade::TradeData;
use crate::model::wire::TradeBody;
use crate::model::{Envelope, Reply, validate};
use crate::notify::{self, Notification, PayNotify, RefundNotify};
use paysig::Verified;
use paysig::http::{HttpClient, HttpError, Request, Response};
use paysig::wire::ToWire;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::sync::Arc;
use url::Url;

const PROVIDER: &str = "pooul";

/// Below this, a platform key is legacy-sized and logged as such.
const MODERN_KEY_BITS: usize = 2048;

/// A Pooul client. Cheap to clone: one `Arc` around what it holds, the same shape as every
/// payhub provider crate's client. Printing it never shows the private key.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    config: Config,
    http: HttpClient,
    base: Url,
    not_found_codes: Vec<i64>,
}

/// What a response body is, decided by its first bytes (see [`Client`]'s transport notes in
/// the crate docs).
enum BodyKind<'a> {
    /// Starts with `{`: unsigned plain JSON.
    Json,
    /// Three non-empty dot-separated base64url segments: a compact JWT.
    Jwt(&'a str),
    /// Anything else.
    Other,
}

fn classify(body: &[u8]) -> BodyKind<'_> {
    let Ok(text) = std::str::from_utf8(body) else {
        return BodyKind::Other;
    };
    let text = text.trim();
    if text.starts_with('{') {
        return BodyKind::Json;
    }
    let base64url = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
    };
    let segments: Vec<&str> = text.split('.').collect();
    if segments.len() == 3 && segments.iter().all(|s| base64url(s)) {
        BodyKind::Jwt(text)
    } else {
        BodyKind::Other
    }
}

/// `data.trade_info` of a failure answer, when it has one as a string.
fn failure_info(env: &Envelope) -> Option<String> {
    env.data
        .as_ref()?
        .get("trade_info")?
        .as_str()
        .map(str::to_owned)
}

impl Client {
    /// Builds a client with its own HTTP sender from `config.http`.
    pub fn new(config: Config) -> Result<Client, Error> {
        let http = HttpClient::new(config.http.clone()).map_err(crate::error::http("client"))?;
        Self::with_http(config, http)
    }

    /// Builds a client over a shared HTTP sender (its timeouts and retry policy apply).
    ///
    /// A platform key under 2048 bits (accepted by [`crate::load_platform_key`]) is logged
    /// once, here, as a `tracing` warning with its size; never with key material.
    pub fn with_http(config: Config, http: HttpClient) -> Result<Client, Error> {
        validate::merchant_id(&config.merchant_id)?;
        let bits = config.pooul_public_key.modulus_bits();
        if bits < MODERN_KEY_BITS {
            tracing::warn!(
                provider = PROVIDER,
                key_bits = bits,
                "Pooul platform key is {bits} bits, under {MODERN_KEY_BITS}: accepted for \
                 verification only (legacy key-size policy); ask Pooul for a longer key"
            );
        }
        let base = config.environment.base_url();
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                base,
                not_found_codes: Vec::new(),
            }),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn set_not_found_codes(&mut self, codes: Vec<i64>) {
        // A clone made before keeps its own codes.
        Arc::make_mut(&mut self.inner).not_found_codes = codes;
    }

    /// The refusal codes read as "no such order" (see [`Client::with_not_found_codes`]).
    pub fn not_found_codes(&self) -> &[i64] {
        &self.inner.not_found_codes
    }

    /// 统一支付 Pay order (pooul.md "收款 Pay / 统一支付 Pay order", `POST /v2/pay`), every
    /// pay type. For `common.micro` prefer [`Client::micro_pay`], which follows the
    /// document's query-then-reverse reminders.
    pub async fn pay(&self, request: &PayRequest) -> Result<Reply<PayData>, Error> {
        let body = request.wire_body()?;
        let env = self
            .call("pay", "v2/pay", body, Some(&request.mch_trade_id), false)
            .await?;
        self.typed_data("pay", env)
    }

    /// 查询订单 Query (pooul.md "查询订单 Query", `POST /v2/pay/query`). Safe to repeat:
    /// repeated on transport failure, each attempt with a fresh `nonce_str`.
    pub async fn query(&self, mch_trade_id: &str) -> Result<Reply<TradeData>, Error> {
        let body = Self::trade_body(mch_trade_id)?;
        let env = self
            .call("query", "v2/pay/query", body, Some(mch_trade_id), true)
            .await?;
        self.typed_data("query", env)
    }

    /// 关闭订单 Close (pooul.md "关闭订单 Close", `POST /v2/pay/close`). The document advises
    /// waiting 5 minutes after creating an order before closing it; that is left to the caller.
    pub async fn close(&self, mch_trade_id: &str) -> Result<Reply<Option<Value>>, Error> {
        let body = Self::trade_body(mch_trade_id)?;
        let env = self
            .call("close", "v2/pay/close", body, Some(mch_trade_id), false)
            .await?;
        Ok(Self::ack(env))
    }

    /// 撤销订单 Reverse (pooul.md "撤销订单 Reverse", `POST /v2/pay/reverse`): closes an unpaid
    /// order or refunds a paid one (orders up to 7 days old). Sent at once: the document's
    /// 15 s minimum after paying is enforced by [`Client::micro_pay`], not here.
    pub async fn reverse(&self, mch_trade_id: &str) -> Result<Reply<Option<Value>>, Error> {
        let body = Self::trade_body(mch_trade_id)?;
        let env = self
            .call("reverse", "v2/pay/reverse", body, Some(mch_trade_id), false)
            .await?;
        Ok(Self::ack(env))
    }

    /// 申请退款 Refund (pooul.md "申请退款 Refund", `POST /v2/pay/refund`). A success means
    /// the refund was ACCEPTED, not that money moved: follow it with [`Client::refund_query`]
    /// or the refund notify. Sent once, never repeated automatically.
    pub async fn refund(&self, request: &RefundRequest) -> Result<Reply<Option<Value>>, Error> {
        let body = request.wire_body()?;
        let env = self
            .call(
                "refund",
                "v2/pay/refund",
                body,
                Some(&request.mch_trade_id),
                false,
            )
            .await?;
        Ok(Self::ack(env))
    }

    /// 退款查询 Refund query (pooul.md "退款查询 Refund query", `POST /v2/pay/refund_query`).
    /// Safe to repeat, like [`Client::query`].
    pub async fn refund_query(
        &self,
        request: &RefundQueryRequest,
    ) -> Result<Reply<RefundQueryData>, Error> {
        let body = request.wire_body()?;
        let env = self
            .call(
                "refund_query",
                "v2/pay/refund_query",
                body,
                Some(&request.mch_trade_id),
                true,
            )
            .await?;
        self.typed_data("refund_query", env)
    }

    /// Verifies a notify, pay or refund (told apart by its payload: a refund notify's `data`
    /// carries `refunds`), with Pooul's key and checks it is for this merchant. A body over
    /// [`Config::notify_body_limit`] is refused before parsing. The headers are not read (the
    /// body is the whole signed JWT); they are taken so that the entry point is the same in
    /// every payhub provider crate. Answer [`crate::ACK`] once it is processed.
    pub fn verify_notify(
        &self,
        _headers: &paysig::http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, NotifyError> {
        let n = notify::verify_notify_with_limit(
            body,
            &self.inner.config.pooul_public_key,
            self.inner.config.notify_body_limit,
        )?;
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
        let n = notify::verify_notify_pay_with_limit(
            body,
            &self.inner.config.pooul_public_key,
            self.inner.config.notify_body_limit,
        )?;
        self.same_merchant(&n.data.merchant_id)?;
        Ok(n)
    }

    /// Verifies a 退款结果通知 (refund notify), as [`Client::verify_notify_pay`].
    pub fn verify_notify_refund(
        &self,
        _headers: &paysig::http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<RefundNotify>, NotifyError> {
        let n = notify::verify_notify_refund_with_limit(
            body,
            &self.inner.config.pooul_public_key,
            self.inner.config.notify_body_limit,
        )?;
        self.same_merchant(&n.data.merchant_id)?;
        Ok(n)
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

    fn trade_body(mch_trade_id: &str) -> Result<Map<String, Value>, Error> {
        validate::non_empty("mch_trade_id", mch_trade_id)?;
        crate::model::wire::json_object(&TradeBody { mch_trade_id })
    }

    /// The answer of close, reverse and refund: `{code: 0, msg}` with no documented `data`;
    /// a `data` Pooul sends anyway is kept raw.
    fn ack(env: Envelope) -> Reply<Option<Value>> {
        Reply::new(env.data).with_msg(env.msg)
    }

    fn typed_data<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        env: Envelope,
    ) -> Result<Reply<T>, Error> {
        let data = env.data.ok_or_else(|| Error::Decode {
            operation,
            reason: "no `data` in a successful answer".into(),
        })?;
        let data = serde_json::from_value(data).map_err(|e| Error::Decode {
            operation,
            reason: e.to_string(),
        })?;
        Ok(Reply::<T>::new(data).with_msg(env.msg))
    }

    /// Signs `body` (with a fresh `nonce_str` per attempt), sends it, verifies the answer.
    /// A `repeatable` call (a query) is retried per the sender's [`paysig::http::RetryPolicy`]
    /// on a transport failure or 5xx, re-signed each time because `nonce_str` must be unique
    /// per request.
    async fn call(
        &self,
        operation: &'static str,
        path: &str,
        mut body: Map<String, Value>,
        mch_trade_id: Option<&str>,
        repeatable: bool,
    ) -> Result<Envelope, Error> {
        let mut url = self.inner.base.join(path).map_err(|e| Error::Config {
            reason: format!("cannot join {path}: {e}"),
        })?;
        url.query_pairs_mut()
            .append_pair("merchant_id", &self.inner.config.merchant_id);
        let merchant_key = &self.inner.config.merchant_key;
        let resp = self
            .inner
            .http
            .send_with(|| {
                // A fresh nonce, hence a fresh signature, for every attempt: Pooul refuses a
                // repeated nonce_str.
                body.insert("nonce_str".into(), paysig::nonce().into());
                let token = body.to_jwt_rs256(merchant_key).map_err(|e| {
                    Attempt::Prepare(Error::Sign {
                        reason: e.to_string(),
                    })
                })?;
                let request =
                    Request::post_text(PROVIDER, operation, url.clone(), "text/plain", token);
                Ok::<_, Attempt>(if repeatable {
                    request.idempotent()
                } else {
                    request
                })
            })
            .await
            .map_err(|a| match a {
                Attempt::Prepare(e) => e,
                Attempt::Http(source) => crate::error::http(operation)(source),
            })?;
        let env = self.read_answer(operation, resp)?;
        self.check_echo(operation, &env, mch_trade_id)?;
        Ok(env)
    }

    fn read_answer(&self, operation: &'static str, resp: Response) -> Result<Envelope, Error> {
        let http_status = resp.status;
        let decode = |reason: String| Error::Decode { operation, reason };
        match classify(&resp.body) {
            BodyKind::Json => {
                let env: Envelope = match serde_json::from_slice(&resp.body) {
                    Ok(env) => env,
                    Err(e) => {
                        resp.require_success()
                            .map_err(crate::error::http(operation))?;
                        return Err(decode(e.to_string()));
                    }
                };
                if env.code == 0
                    || self.inner.config.plain_json_failures == PlainJsonFailures::Reject
                {
                    return Err(Error::Unsigned {
                        operation,
                        code: env.code,
                    });
                }
                Err(Error::Api {
                    operation,
                    code: env.code,
                    trade_info: failure_info(&env),
                    msg: env.msg.unwrap_or_default(),
                    http_status,
                    signed: false,
                })
            }
            BodyKind::Jwt(token) => {
                let verified =
                    paysig::jwt::verify_rs256(token, &self.inner.config.pooul_public_key)
                        .map_err(|source| Error::ResponseSignature { operation, source })?;
                let payload = verified.into_inner();
                // One reading of what was signed: no member twice, at any depth.
                crate::unique::check_unique_members(&payload).map_err(|e| decode(e.to_string()))?;
                let env: Envelope =
                    serde_json::from_slice(&payload).map_err(|e| decode(e.to_string()))?;
                if env.code != 0 {
                    return Err(Error::Api {
                        operation,
                        code: env.code,
                        trade_info: failure_info(&env),
                        msg: env.msg.unwrap_or_default(),
                        http_status,
                        signed: true,
                    });
                }
                resp.require_success()
                    .map_err(crate::error::http(operation))?;
                Ok(env)
            }
            BodyKind::Other => {
                resp.require_success()
                    .map_err(crate::error::http(operation))?;
                Err(decode(
                    "neither a JSON object nor a compact JWT (three base64url segments)".into(),
                ))
            }
        }
    }

    fn check_echo(
        &self,
        operation: &'static str,
        env: &Envelope,
        mch_trade_id: Option<&str>,
    ) -> Result<(), Error> {
        if self.inner.config.echo_check == EchoCheck::Ignore {
            return Ok(());
        }
        let Some(data) = env.data.as_ref().and_then(Value::as_object) else {
            return Ok(());
        };
        let expected = [
            ("merchant_id", Some(self.inner.config.merchant_id.as_str())),
            ("mch_trade_id", mch_trade_id),
        ];
        for (field, want) in expected {
            let Some(want) = want else { continue };
            let got = match data.get(field) {
                // Not echoed: nothing to compare (see `EchoCheck`).
                None | Some(Value::Null) => continue,
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                // An identifier that is a bool, list or object cannot be the one asked
                // about; skipping it would let any answer through.
                Some(other) => {
                    return Err(Error::ResponseMismatch {
                        operation,
                        field,
                        expected: want.to_owned(),
                        got: format!("non-string JSON {other}"),
                    });
                }
            };
            if got != want {
                return Err(Error::ResponseMismatch {
                    operation,
                    field,
                    expected: want.to_owned(),
                    got,
                });
            }
        }
        Ok(())
    }
}

/// One attempt's failure inside [`HttpClient::send_with`]: the transport's, to be wrapped
/// with the operation's kind, or the preparation's (signing), returned as it is.
enum Attempt {
    Http(HttpError),
    Prepare(Error),
}

impl From<HttpError> for Attempt {
    fn from(e: HttpError) -> Self {
        Attempt::Http(e)
    }
}
