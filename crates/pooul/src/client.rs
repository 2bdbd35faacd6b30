//! The client: one typed method per `/v2` operation, over one signed transport.

use crate::config::{Config, EchoCheck, PlainJsonFailures};
use crate::error::Error;
use crate::model::pay::{PayData, PayRequest};
use crate::model::refund::{RefundQueryData, RefundQueryRequest, RefundRequest};
use crate::model::trade::TradeData;
use crate::model::wire::TradeBody;
use crate::model::{Envelope, Reply, validate};
use paysig::http::{HttpClient, HttpError, Request, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::sync::Arc;
use url::Url;

mod verify;

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
    /// The URL of each path in [`PATHS`], `merchant_id` appended, built once.
    endpoints: Vec<(&'static str, Url)>,
    not_found_codes: Vec<i64>,
}

/// The paths of the operations, joined to the base once per client.
const PATHS: &[&str] = &[
    "v2/pay",
    "v2/pay/query",
    "v2/pay/close",
    "v2/pay/reverse",
    "v2/pay/refund",
    "v2/pay/refund_query",
];

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
    let mut segments = text.split('.');
    let three = segments.by_ref().take(3).filter(|s| base64url(s)).count() == 3;
    if three && segments.next().is_none() {
        BodyKind::Jwt(text)
    } else {
        BodyKind::Other
    }
}

/// `data.trade_info` of a failure answer, when it has one as a string.
fn failure_info(data: Option<&RawValue>) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Info {
        trade_info: Option<Value>,
    }
    let data = data.filter(|d| d.get().starts_with('{'))?;
    match serde_json::from_str::<Info>(data.get()).ok()?.trade_info? {
        Value::String(s) => Some(s),
        _ => None,
    }
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
        let endpoints = PATHS
            .iter()
            .map(|path| Ok((*path, endpoint(&base, path, &config.merchant_id)?)))
            .collect::<Result<_, Error>>()?;
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                base,
                endpoints,
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
        let body = request.wire_json()?;
        self.call(
            "pay",
            "v2/pay",
            body,
            Some(&request.mch_trade_id),
            false,
            typed("pay"),
        )
        .await
    }

    /// 查询订单 Query (pooul.md "查询订单 Query", `POST /v2/pay/query`). Safe to repeat:
    /// repeated on transport failure, each attempt with a fresh `nonce_str`.
    pub async fn query(&self, mch_trade_id: &str) -> Result<Reply<TradeData>, Error> {
        let body = Self::trade_body(mch_trade_id)?;
        self.call(
            "query",
            "v2/pay/query",
            body,
            Some(mch_trade_id),
            true,
            typed("query"),
        )
        .await
    }

    /// 关闭订单 Close (pooul.md "关闭订单 Close", `POST /v2/pay/close`). The document advises
    /// waiting 5 minutes after creating an order before closing it; that is left to the caller.
    pub async fn close(&self, mch_trade_id: &str) -> Result<Reply<Option<Value>>, Error> {
        let body = Self::trade_body(mch_trade_id)?;
        self.call(
            "close",
            "v2/pay/close",
            body,
            Some(mch_trade_id),
            false,
            ack("close"),
        )
        .await
    }

    /// 撤销订单 Reverse (pooul.md "撤销订单 Reverse", `POST /v2/pay/reverse`): closes an unpaid
    /// order or refunds a paid one (orders up to 7 days old). Sent at once: the document's
    /// 15 s minimum after paying is enforced by [`Client::micro_pay`], not here.
    pub async fn reverse(&self, mch_trade_id: &str) -> Result<Reply<Option<Value>>, Error> {
        let body = Self::trade_body(mch_trade_id)?;
        self.call(
            "reverse",
            "v2/pay/reverse",
            body,
            Some(mch_trade_id),
            false,
            ack("reverse"),
        )
        .await
    }

    /// 申请退款 Refund (pooul.md "申请退款 Refund", `POST /v2/pay/refund`). A success means
    /// the refund was ACCEPTED, not that money moved: follow it with [`Client::refund_query`]
    /// or the refund notify. Sent once, never repeated automatically.
    pub async fn refund(&self, request: &RefundRequest) -> Result<Reply<Option<Value>>, Error> {
        let body = request.wire_json()?;
        self.call(
            "refund",
            "v2/pay/refund",
            body,
            Some(&request.mch_trade_id),
            false,
            ack("refund"),
        )
        .await
    }

    /// 退款查询 Refund query (pooul.md "退款查询 Refund query", `POST /v2/pay/refund_query`).
    /// Safe to repeat, like [`Client::query`].
    pub async fn refund_query(
        &self,
        request: &RefundQueryRequest,
    ) -> Result<Reply<RefundQueryData>, Error> {
        let body = request.wire_json()?;
        self.call(
            "refund_query",
            "v2/pay/refund_query",
            body,
            Some(&request.mch_trade_id),
            true,
            typed("refund_query"),
        )
        .await
    }

    fn trade_body(mch_trade_id: &str) -> Result<Vec<u8>, Error> {
        validate::non_empty("mch_trade_id", mch_trade_id)?;
        crate::model::wire::json_bytes(&TradeBody { mch_trade_id })
    }

    /// Signs `body` (with a fresh `nonce_str` per attempt), sends it, verifies the answer and
    /// reads it once: the envelope borrowed from the verified payload, `data` kept as its raw
    /// text for the echo check and for `read` (no `Value` tree in between).
    /// A `repeatable` call (a query) is retried per the sender's [`paysig::http::RetryPolicy`]
    /// on a transport failure or 5xx, re-signed each time because `nonce_str` must be unique
    /// per request.
    async fn call<T>(
        &self,
        operation: &'static str,
        path: &str,
        body: Vec<u8>,
        mch_trade_id: Option<&str>,
        repeatable: bool,
        read: impl FnOnce(Option<&RawValue>) -> Result<T, Error>,
    ) -> Result<Reply<T>, Error> {
        // Borrowed from the endpoints joined at construction: each attempt's request takes
        // its own copy, so none is made up front.
        let url = match self.inner.endpoints.iter().find(|(p, _)| *p == path) {
            Some((_, url)) => std::borrow::Cow::Borrowed(url),
            None => std::borrow::Cow::Owned(endpoint(
                &self.inner.base,
                path,
                &self.inner.config.merchant_id,
            )?),
        };
        let merchant_key = &self.inner.config.merchant_key;
        let resp = self
            .inner
            .http
            .send_with(|| {
                // A fresh nonce, hence a fresh signature, for every attempt: Pooul refuses a
                // repeated nonce_str.
                // Written into the claims as `insert` would put it, the body left as it is.
                let sign_error = |reason: String| Attempt::Prepare(Error::Sign { reason });
                let claims =
                    paysig::wire::json_with_member(&body, "nonce_str", &paysig::nonce_text())
                        .map_err(|e| sign_error(e.to_string()))?;
                let token = paysig::jwt::encode_rs256_bytes(&claims, merchant_key)
                    .map_err(|e| sign_error(e.to_string()))?;
                let request = Request::post_text(
                    PROVIDER,
                    operation,
                    url.as_ref().clone(),
                    "text/plain",
                    token,
                );
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
        let http_status = resp.status;
        let payload = self.verified_payload(operation, &resp)?;
        let answer: RawAnswer<'_> =
            serde_json::from_slice(&payload).map_err(|e| Error::Decode {
                operation,
                reason: e.to_string(),
            })?;
        if answer.code != 0 {
            return Err(Error::Api {
                operation,
                code: answer.code,
                trade_info: failure_info(answer.data),
                msg: answer.msg.unwrap_or_default(),
                http_status,
                signed: true,
            });
        }
        resp.require_success()
            .map_err(crate::error::http(operation))?;
        self.check_echo(operation, answer.data, mch_trade_id)?;
        Ok(Reply::new(read(answer.data)?).with_msg(answer.msg))
    }

    /// The answer's signed payload: a JWT verified with Pooul's key whose JSON has one
    /// reading. A plain-JSON body (unsigned) or anything else is refused here.
    fn verified_payload(&self, operation: &'static str, resp: &Response) -> Result<Vec<u8>, Error> {
        let http_status = resp.status;
        let decode = |reason: String| Error::Decode { operation, reason };
        match classify(&resp.body) {
            BodyKind::Json => {
                let env: Envelope = match serde_json::from_slice(&resp.body) {
                    Ok(env) => env,
                    Err(e) => {
                        resp.clone()
                            .require_success()
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
                    trade_info: env
                        .data
                        .as_ref()
                        .and_then(|d| d.get("trade_info")?.as_str())
                        .map(str::to_owned),
                    msg: env.msg.unwrap_or_default(),
                    http_status,
                    signed: false,
                })
            }
            BodyKind::Jwt(token) => {
                let verified = self
                    .platform_keys()
                    .find_map(|key| paysig::jwt::verify_rs256(token, key).ok())
                    .map_or_else(
                        // Reported as the main key's refusal: the one the caller configured.
                        || {
                            paysig::jwt::verify_rs256(token, &self.inner.config.pooul_public_key)
                                .map_err(|source| Error::ResponseSignature { operation, source })
                        },
                        Ok,
                    )?;
                let payload = verified.into_inner();
                // One reading of what was signed: no member twice, at any depth.
                crate::unique::check_unique_members(&payload).map_err(|e| decode(e.to_string()))?;
                Ok(payload)
            }
            BodyKind::Other => {
                resp.clone()
                    .require_success()
                    .map_err(crate::error::http(operation))?;
                Err(decode(
                    "neither a JSON object nor a compact JWT (three base64url segments)".into(),
                ))
            }
        }
    }

    /// The answer's `data` must be about this merchant and the order asked about, when it
    /// names them (see [`EchoCheck`]).
    fn check_echo(
        &self,
        operation: &'static str,
        data: Option<&RawValue>,
        mch_trade_id: Option<&str>,
    ) -> Result<(), Error> {
        if self.inner.config.echo_check == EchoCheck::Ignore {
            return Ok(());
        }
        let Some(data) = data.filter(|d| d.get().starts_with('{')) else {
            return Ok(());
        };
        // Only the two members, borrowed; the rest is skipped without being built.
        let echo: Echo<'_> = serde_json::from_str(data.get()).map_err(|e| Error::Decode {
            operation,
            reason: e.to_string(),
        })?;
        let expected = [
            (
                "merchant_id",
                Some(self.inner.config.merchant_id.as_str()),
                echo.merchant_id,
            ),
            ("mch_trade_id", mch_trade_id, echo.mch_trade_id),
        ];
        for (field, want, got) in expected {
            let (Some(want), Some(got)) = (want, got) else {
                // Not asked about, or not echoed: nothing to compare (see `EchoCheck`).
                continue;
            };
            let mismatch = |got: String| Error::ResponseMismatch {
                operation,
                field,
                expected: want.to_owned(),
                got,
            };
            let raw = got.get();
            if raw.starts_with('"') {
                // A string without escapes is compared in place; one with escapes is unescaped.
                let same = match serde_json::from_str::<&str>(raw) {
                    Ok(s) => s == want,
                    Err(_) => serde_json::from_str::<String>(raw).is_ok_and(|s| s == want),
                };
                if !same {
                    let got =
                        serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_owned());
                    return Err(mismatch(got));
                }
            } else if let Ok(n) = serde_json::from_str::<serde_json::Number>(raw) {
                let got = n.to_string();
                if got != want {
                    return Err(mismatch(got));
                }
            } else if raw != "null" {
                // An identifier that is a bool, list or object cannot be the one asked about;
                // skipping it would let any answer through.
                let other = serde_json::from_str::<Value>(raw)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|_| raw.to_owned());
                return Err(mismatch(format!("non-string JSON {other}")));
            }
        }
        Ok(())
    }
}

/// A verified answer as [`Client::call`] reads it: [`crate::Answer`]'s fields, `data` borrowed
/// as raw JSON text.
#[derive(serde::Deserialize)]
struct RawAnswer<'a> {
    #[serde(deserialize_with = "paysig::lenient::number")]
    code: i64,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    msg: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    // Read as before (a string or number), so that an answer refused then is refused now.
    #[serde(default, rename = "nonce_str", deserialize_with = "lenient_ignored")]
    _nonce_str: (),
}

/// Checks a value as [`paysig::lenient::opt_string`] does, keeping nothing.
fn lenient_ignored<'de, D: serde::Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    paysig::lenient::opt_string(d).map(drop)
}

/// The identifiers a `data` object may echo, as raw JSON text.
#[derive(serde::Deserialize)]
struct Echo<'a> {
    #[serde(default, borrow)]
    merchant_id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    mch_trade_id: Option<&'a RawValue>,
}

/// Reads `data` into the operation's type; a successful answer without `data` is a decode
/// error.
fn typed<T: DeserializeOwned>(
    operation: &'static str,
) -> impl FnOnce(Option<&RawValue>) -> Result<T, Error> {
    move |data| {
        let data = data.ok_or_else(|| Error::Decode {
            operation,
            reason: "no `data` in a successful answer".into(),
        })?;
        serde_json::from_str(data.get()).map_err(|e| Error::Decode {
            operation,
            reason: e.to_string(),
        })
    }
}

/// The answer of close, reverse and refund: `{code: 0, msg}` with no documented `data`;
/// a `data` Pooul sends anyway is kept raw.
fn ack(operation: &'static str) -> impl FnOnce(Option<&RawValue>) -> Result<Option<Value>, Error> {
    move |data| {
        data.map(|d| serde_json::from_str(d.get()))
            .transpose()
            .map_err(|e| Error::Decode {
                operation,
                reason: e.to_string(),
            })
    }
}

/// `path` on `base`, with the `merchant_id` query every call carries.
fn endpoint(base: &Url, path: &str, merchant_id: &str) -> Result<Url, Error> {
    let mut url = base.join(path).map_err(|e| Error::Config {
        reason: format!("cannot join {path}: {e}"),
    })?;
    url.query_pairs_mut()
        .append_pair("merchant_id", merchant_id);
    Ok(url)
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
