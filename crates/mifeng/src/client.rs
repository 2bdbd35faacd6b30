//! The client: one typed method per endpoint of mifeng.md, with the token and the rate limit
//! handled underneath.

mod notify;

use crate::Error;
use crate::config::{Config, QueryCode2, TokenMethod, TokenRequestId};
use crate::model::wire::{
    AccessTokenForm, BalanceBody, MchId, QueryBody, UnifiedOrderBody, wire_error,
};
use crate::model::{
    AccessTokenResponse, ApiCode, BalanceCode, BalanceResponse, Operation, QueryCode,
    QueryOrderResponse, Reply, UnifiedOrderCode, UnifiedOrderRequest, UnifiedOrderResponse,
    decode_reply,
};
use crate::ratelimit::{Lane, LocalRateLimiter, RateLimiter};
use crate::token::{MemoryTokenStore, StoredToken, TokenFetcher, TokenStore, TokenWant, now_ms};
use async_trait::async_trait;
use paysig::ExposeSecret;
use paysig::http::{HttpClient, HttpError, Request, RetryPolicy};
use paysig::wire::ToWire;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use url::Url;

const PROVIDER: &str = "mifeng";

/// A slot given in less than this came at once: the call did not wait behind others, so the
/// token secured just before is still the store's (no second read of the store, which for a
/// shared store is a round trip).
const SLOT_AT_ONCE: std::time::Duration = std::time::Duration::from_millis(1);

/// One endpoint and whether the client may repeat it on a transport error or a 5xx.
///
/// Repeats are paysig's ([`HttpClient::send_each`]); every attempt takes its own rate-limit
/// slot in the hook (mifeng.md §使用规则 counts calls on the wire).
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    op: Operation,
    retried: bool,
}

impl Endpoint {
    fn name(self) -> &'static str {
        self.op.name()
    }
}

const ACCESS_TOKEN: Endpoint = Endpoint {
    op: Operation::AccessToken,
    // Never repeated: an attempt that timed out may still have minted a token, and a repeat
    // mints another that supersedes it; a refresh must also stay within the token store's
    // lock (one attempt: `RateLimit::max_wait` + `HttpConfig::timeout`, see
    // `token::longest_refresh`).
    retried: false,
};
const UNIFIED_ORDER: Endpoint = Endpoint {
    op: Operation::UnifiedOrder,
    retried: false,
};
const QUERY: Endpoint = Endpoint {
    op: Operation::Query,
    retried: true,
};
const BALANCE: Endpoint = Endpoint {
    op: Operation::Balance,
    retried: true,
};

/// The Mifeng client. Cheap to clone; clones share the token, the limiter and the connections.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    http: HttpClient,
    base: Url,
    /// Every endpoint's URL, joined once.
    endpoints: Vec<(Operation, Url)>,
    store: Arc<dyn TokenStore>,
    limiter: Arc<dyn RateLimiter>,
}

impl Client {
    /// Builds a client with its own HTTP sender.
    ///
    /// `query` and `balance` are repeated according to [`Config::http`]`.retry` (never on a
    /// 429), each attempt taking a rate-limit slot.
    pub fn new(config: Config) -> Result<Client, Error> {
        let http = HttpClient::new(paysig::http::HttpConfig {
            retry: mifeng_policy(&config.http.retry),
            ..config.http.clone()
        })
        .map_err(crate::error::http("client"))?;
        Self::with_http(config, http)
    }

    /// Builds a client over an existing (shared) HTTP sender.
    ///
    /// The sender's connection pool is shared, its retry policy is not: repeats follow
    /// [`Config::http`]`.retry` (never on a 429), each attempt through the rate limiter.
    pub fn with_http(config: Config, http: HttpClient) -> Result<Client, Error> {
        crate::validate::text("mch_id", &config.mch_id)?;
        if config.secret.expose_secret().is_empty() {
            return Err(Error::Validation {
                field: "secret",
                reason: "must not be empty".into(),
            });
        }
        let mut base = config.environment.base_url();
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::Config {
                reason: "base URL must be an http(s) URL".into(),
            });
        }
        if !base.path().ends_with('/') {
            // So that joining "v1/api/..." appends to the path instead of replacing its last
            // segment.
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        // The default store is process-wide (per base URL, then per mch_id), as the limiter
        // is: two clients of one merchant in one process must not supersede each other's token.
        let store = config
            .token_store
            .clone()
            .unwrap_or_else(|| MemoryTokenStore::global(&base) as Arc<dyn TokenStore>);
        let limiter = config
            .rate_limit
            .limiter
            .clone()
            .unwrap_or_else(|| LocalRateLimiter::global() as Arc<dyn RateLimiter>);
        #[cfg(feature = "metrics")]
        let limiter: Arc<dyn RateLimiter> =
            Arc::new(crate::ratelimit::Counted::new(limiter, &config.mch_id));
        let endpoints = [
            Operation::AccessToken,
            Operation::UnifiedOrder,
            Operation::Query,
            Operation::Balance,
        ]
        .into_iter()
        .map(|op| Ok((op, join(&base, op)?)))
        .collect::<Result<_, Error>>()?;
        // The pool stays shared; the repeats are the ones `config` asks for.
        let http = http.with_retry(mifeng_policy(&config.http.retry));
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                base,
                endpoints,
                store,
                limiter,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// 获取团队授权 access_token (mifeng.md §接口授权, `v1/api/pay/accesstoken`).
    ///
    /// Returns the stored token while it is fresh; otherwise the token store lets one caller
    /// fetch a new one and hands it to all. The other methods call this themselves.
    pub async fn access_token(&self) -> Result<StoredToken, Error> {
        self.token(None).await
    }

    /// 统一下单 (mifeng.md §统一下单, `POST /v1/api/pay/unifiedorder`).
    ///
    /// Sent once (never repeated on a transport error: the order may exist). On code 2
    /// (token invalid) the token is refreshed and the call repeated once: the order was not
    /// created. The answer must echo `mch_id` (the configured one), `out_order_no` and `money`, or
    /// [`Error::ResponseMismatch`] is returned. Show the payer `real_money` when present.
    pub async fn unified_order(
        &self,
        req: &UnifiedOrderRequest,
    ) -> Result<Reply<UnifiedOrderResponse>, Error> {
        req.validate()?;
        let reply: Reply<UnifiedOrderResponse> = self
            .call(UNIFIED_ORDER, |token| UnifiedOrderBody {
                token: token.to_owned(),
                channel_no: &req.channel_no,
                subject: req.subject.as_deref(),
                out_order_no: &req.out_order_no,
                money: req.money,
                client_ip: req.client_ip.to_string(),
                notify_url: req.notify_url.as_str(),
                return_url: req.return_url.as_ref().map(Url::as_str),
                param: req.param.as_deref(),
                timestamp: now_ms(),
            })
            .await?;
        let mismatch = |field, expected: String, got: String| Error::ResponseMismatch {
            operation: UNIFIED_ORDER.name(),
            field,
            expected,
            got,
            request_id: reply.request_id.clone(),
        };
        self.check_mch_id(UNIFIED_ORDER, &reply.data.mch_id, &reply.request_id)?;
        if reply.data.out_order_no != req.out_order_no {
            return Err(mismatch(
                "out_order_no",
                req.out_order_no.clone(),
                reply.data.out_order_no.clone(),
            ));
        }
        if reply.data.money != req.money {
            return Err(mismatch(
                "money",
                req.money.to_yuan_string(),
                reply.data.money.to_yuan_string(),
            ));
        }
        Ok(reply)
    }

    /// 订单查询 (mifeng.md §订单查询, `POST /v1/api/pay/query`) by Mifeng's `order_no`.
    ///
    /// Code 2 is a parameter error as documented, or "token invalid" if
    /// [`Config::query_code_2`] says so. The answer must name the queried order and this
    /// client's `mch_id` ([`Error::ResponseMismatch`] otherwise).
    pub async fn query(&self, order_no: &str) -> Result<Reply<QueryOrderResponse>, Error> {
        let reply = self.query_unmatched(order_no).await?;
        if reply.data.order_no != order_no {
            return Err(Error::ResponseMismatch {
                operation: QUERY.name(),
                field: "order_no",
                expected: order_no.to_owned(),
                got: reply.data.order_no.clone(),
                request_id: reply.request_id.clone(),
            });
        }
        Ok(reply)
    }

    /// `query` with the answer checked for this client's `mch_id` only: the caller matches
    /// the order (resolution asks by the merchant's number, see [`crate::resolve`]).
    pub(crate) async fn query_unmatched(
        &self,
        order_no: &str,
    ) -> Result<Reply<QueryOrderResponse>, Error> {
        crate::validate::text("order_no", order_no)?;
        let reply: Reply<QueryOrderResponse> = self
            .call(QUERY, |token| QueryBody {
                token: token.to_owned(),
                mch_id: MchId::new(&self.inner.config.mch_id),
                order_no,
                timestamp: now_ms(),
            })
            .await?;
        self.check_mch_id(QUERY, &reply.data.mch_id, &reply.request_id)?;
        Ok(reply)
    }

    /// 余额查询 (mifeng.md §余额查询, `POST /v1/api/pay/balance`).
    pub async fn balance(&self) -> Result<Reply<BalanceResponse>, Error> {
        self.call(BALANCE, |token| BalanceBody {
            token: token.to_owned(),
            mch_id: MchId::new(&self.inner.config.mch_id),
            timestamp: now_ms(),
        })
        .await
    }

    /// The answer must be about this client's merchant (`mch_id` echoed as configured).
    fn check_mch_id(
        &self,
        ep: Endpoint,
        got: &str,
        request_id: &Option<String>,
    ) -> Result<(), Error> {
        let expected = &self.inner.config.mch_id;
        if got == expected {
            return Ok(());
        }
        Err(Error::ResponseMismatch {
            operation: ep.name(),
            field: "mch_id",
            expected: expected.clone(),
            got: got.to_owned(),
            request_id: request_id.clone(),
        })
    }

    async fn token(&self, rejected: Option<&StoredToken>) -> Result<StoredToken, Error> {
        let skew = self.inner.config.token_refresh_skew;
        let want = match rejected {
            Some(t) => TokenWant::replacing(skew, t.token.clone()),
            None => TokenWant::fresh(skew),
        };
        self.inner
            .store
            .get_or_refresh(&self.inner.config.mch_id, &want, &Fetcher(self))
            .await
    }

    /// A token call: one repeat with a new token if the answer is "token invalid", never more.
    ///
    /// A usable token is secured first (refreshing if need be), then the call waits for its
    /// rate-limit slot, and only then reads the token it sends: the newest stored one, so a
    /// refresh that finished while it waited does not make it send a superseded token. A
    /// first attempt whose slot came at once (under [`SLOT_AT_ONCE`]) sends the token just
    /// secured without reading the store again: nothing waited, and a refresh racing that
    /// instant is caught by the "token invalid" repeat like any other.
    async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        ep: Endpoint,
        fields: impl Fn(&str) -> B,
    ) -> Result<Reply<T>, Error> {
        let secured = self.token(None).await.map_err(|e| not_sent(ep, e))?;
        let (first, sent) = self.send_with_token(ep, &fields, secured).await;
        match first {
            Err(Error::Api { code, .. }) if self.means_token_invalid(code) => {
                tracing::info!(
                    operation = ep.name(),
                    "token rejected; taking a newer token (refreshing only if none) and \
                     repeating once"
                );
                let fresh = self.token(Some(&sent)).await.map_err(|e| not_sent(ep, e))?;
                self.send_with_token(ep, &fields, fresh).await.0
            }
            other => other,
        }
    }

    /// Sends `ep` with the newest usable token read once the slot is held (`secured` if the
    /// store has none newer); returns the outcome and the token sent.
    async fn send_with_token<T: DeserializeOwned, B: Serialize>(
        &self,
        ep: Endpoint,
        fields: &impl Fn(&str) -> B,
        secured: StoredToken,
    ) -> (Result<Reply<T>, Error>, StoredToken) {
        // The token of the last attempt built; none built means none sent, and `secured`
        // stands (not copied in up front: a token clone per call).
        let sent = std::sync::Mutex::new(None);
        let (held, sent_ref) = (&secured, &sent);
        let outcome = self
            .exchange(ep, Lane::Call, move |at_once| async move {
                if at_once {
                    return self.request(ep, &fields(held.token.expose_secret()));
                }
                let newest = match self.inner.store.current(&self.inner.config.mch_id).await {
                    Ok(Some(t)) if t.expires_at_ms > now_ms() => t,
                    Ok(_) => held.clone(),
                    Err(e) => {
                        tracing::warn!(error = %e, "token store unreadable; sending the token held");
                        held.clone()
                    }
                };
                let req = self.request(ep, &fields(newest.token.expose_secret()));
                *sent_ref.lock().unwrap_or_else(|p| p.into_inner()) = Some(newest);
                req
            })
            .await;
        let sent = sent.into_inner().unwrap_or_else(|p| p.into_inner());
        (outcome, sent.unwrap_or(secured))
    }

    fn means_token_invalid(&self, code: ApiCode) -> bool {
        match code {
            ApiCode::UnifiedOrder(c) => c == UnifiedOrderCode::TokenInvalid,
            ApiCode::Balance(c) => c == BalanceCode::TokenInvalid,
            ApiCode::Query(c) => {
                c == QueryCode::ParamInvalid
                    && self.inner.config.query_code_2 == QueryCode2::TokenInvalid
            }
            ApiCode::AccessToken(_) => false,
        }
    }

    fn url(&self, ep: Endpoint) -> Result<Url, Error> {
        match self.inner.endpoints.iter().find(|(op, _)| *op == ep.op) {
            Some((_, url)) => Ok(url.clone()),
            None => join(&self.inner.base, ep.op),
        }
    }

    fn request(&self, ep: Endpoint, body: &impl Serialize) -> Result<Request, Error> {
        let url = self.url(ep)?;
        let req = if self.inner.config.body_encoding.is_json(ep.op) {
            let json = body.to_json().map_err(wire_error)?;
            Request::post_json(PROVIDER, ep.name(), url, json)
        } else {
            let params = body.to_params().map_err(wire_error)?;
            Request::post_form(PROVIDER, ep.name(), url, params.to_form())
        };
        // Marked idempotent (or not) by `exchange`, from the endpoint.
        Ok(req)
    }

    /// Sends `ep` on paysig's retry loop ([`HttpClient::send_each`]): each attempt first
    /// waits for a rate-limit slot in `lane`, then builds its request (anew for every attempt:
    /// a fresh `timestamp`, the token current at the slot). Endpoints marked `retried` are
    /// marked idempotent and so repeated on a transport error or a 5xx, as
    /// [`Config::http`]`.retry` says (never on a 429, see [`mifeng_policy`]); others are sent
    /// once.
    async fn exchange<T, F, Fut>(
        &self,
        ep: Endpoint,
        lane: Lane,
        prepare: F,
    ) -> Result<Reply<T>, Error>
    where
        T: DeserializeOwned,
        F: Fn(bool) -> Fut,
        Fut: Future<Output = Result<Request, Error>>,
    {
        let rl = &self.inner.config.rate_limit;
        let (prepare, limiter, mch_id) = (&prepare, &self.inner.limiter, &self.inner.config.mch_id);
        let outcome = self
            .inner
            .http
            .send_each(|attempt| async move {
                // A slot per attempt: mifeng.md §使用规则 counts calls on the wire.
                let asked = std::time::Instant::now();
                limiter
                    .acquire(mch_id, rl.pace(), rl.max_wait, lane)
                    .await
                    .map_err(Step::Unsent)?;
                let at_once = attempt == 1 && asked.elapsed() < SLOT_AT_ONCE;
                let req = prepare(at_once).await.map_err(Step::Unsent)?;
                Ok::<_, Step>(if ep.retried { req.idempotent() } else { req })
            })
            .await
            .and_then(|r| r.require_success().map_err(Step::Http));
        match outcome {
            Ok(resp) => decode_reply(ep.op, &resp.body),
            Err(Step::Unsent(e)) => Err(e),
            Err(Step::Http(e)) => Err(crate::error::http(ep.name())(e)),
        }
    }

    async fn fetch_token(&self) -> Result<StoredToken, Error> {
        let cfg = &self.inner.config;
        let mut url = self.url(ACCESS_TOKEN)?;
        let request_id = (cfg.token_request_id == TokenRequestId::Random).then(|| {
            let id = paysig::random::hex32();
            tracing::info!(request_id = %id, "requesting an access token");
            id
        });
        let params = AccessTokenForm {
            mch_id: &cfg.mch_id,
            secret: cfg.secret.expose_secret(),
            request_id,
        }
        .to_params()
        .map_err(wire_error)?;
        if cfg.token_method == TokenMethod::Get {
            url.set_query(Some(&params.to_form()));
        }
        // The lifetime counts from the moment the request leaves (after the slot), which is
        // also how a shared store orders two tokens: the later one is the valid one.
        let sent_at_ms = std::sync::atomic::AtomicU64::new(0);
        let (sent_at, url, params) = (&sent_at_ms, &url, &params);
        let req = move |_| async move {
            sent_at.store(now_ms(), std::sync::atomic::Ordering::SeqCst);
            Ok(match cfg.token_method {
                TokenMethod::Post => {
                    Request::post_form(PROVIDER, ACCESS_TOKEN.name(), url.clone(), params.to_form())
                }
                TokenMethod::Get => Request::get(PROVIDER, ACCESS_TOKEN.name(), url.clone()),
            })
        };
        // Ahead of queued calls: the token must be renewed before it expires.
        let reply: Reply<AccessTokenResponse> =
            self.exchange(ACCESS_TOKEN, Lane::Token, req).await?;
        let issued_at_ms = sent_at_ms.load(std::sync::atomic::Ordering::SeqCst);
        let lifetime_ms = reply.data.expires_in.saturating_mul(1000);
        tracing::info!(expires_in = reply.data.expires_in, "new access token");
        Ok(StoredToken {
            token: reply.data.token,
            issued_at_ms,
            expires_at_ms: issued_at_ms.saturating_add(lifetime_ms),
        })
    }
}

struct Fetcher<'a>(&'a Client);

#[async_trait]
impl TokenFetcher for Fetcher<'_> {
    async fn fetch(&self) -> Result<StoredToken, Error> {
        let fetched = self.0.fetch_token().await;
        crate::token::count_refresh(&self.0.inner.config.mch_id, &fetched);
        fetched
    }
}

fn join(base: &Url, op: Operation) -> Result<Url, Error> {
    base.join(op.path()).map_err(|e| Error::Config {
        reason: e.to_string(),
    })
}

/// The end of one call on paysig's loop: the sender's error, or ours from before sending (no
/// rate-limit slot, a request that could not be built), which ends the call unsent.
enum Step {
    Http(HttpError),
    Unsent(Error),
}

impl From<HttpError> for Step {
    fn from(e: HttpError) -> Self {
        Step::Http(e)
    }
}

/// The caller's policy without repeats on a 429: the next attempt's slot is the limiter's
/// business, and Mifeng asked us to slow down (every call, repeats included, counts against
/// the limit).
fn mifeng_policy(policy: &RetryPolicy) -> RetryPolicy {
    RetryPolicy {
        retry_on_429: false,
        ..policy.clone()
    }
}

/// A token failure before `ep` left. For a query it stays as it is (nothing moves either way);
/// for `unifiedorder` it becomes [`Error::NoToken`], so that its class says the order was not
/// sent, not the token call's own (a 5xx of `accesstoken` is a retryable refusal of a read).
fn not_sent(ep: Endpoint, e: Error) -> Error {
    match crate::error::operation_kind(ep.name()) {
        paysig::class::Operation::Query => e,
        paysig::class::Operation::Mutation => Error::NoToken {
            operation: ep.name(),
            source: Box::new(e),
        },
    }
}
