//! The client: one typed method per endpoint of mifeng.md, with the token and the rate limit
//! handled underneath.

use crate::Error;
use crate::config::{BodyEncoding, Config, QueryCode2, TokenMethod};
use crate::model::{
    AccessTokenResponse, ApiCode, BalanceCode, BalanceResponse, Operation, QueryCode,
    QueryOrderResponse, Reply, UnifiedOrderCode, UnifiedOrderRequest, UnifiedOrderResponse,
    decode_reply,
};
use crate::ratelimit::{LocalRateLimiter, RateLimiter};
use crate::token::{MemoryTokenStore, StoredToken, TokenFetcher, TokenStore, TokenWant, now_ms};
use async_trait::async_trait;
use paysig::http::{HttpClient, Request};
use paysig::{ExposeSecret, Params};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use url::Url;

const PROVIDER: &str = "mifeng";

/// One endpoint and whether the sender may repeat it.
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    op: Operation,
    idempotent: bool,
}

impl Endpoint {
    fn name(self) -> &'static str {
        self.op.name()
    }
}

const ACCESS_TOKEN: Endpoint = Endpoint {
    op: Operation::AccessToken,
    // Repeating it only issues a newer token, which is the one kept.
    idempotent: true,
};
const UNIFIED_ORDER: Endpoint = Endpoint {
    op: Operation::UnifiedOrder,
    idempotent: false,
};
const QUERY: Endpoint = Endpoint {
    op: Operation::Query,
    idempotent: true,
};
const BALANCE: Endpoint = Endpoint {
    op: Operation::Balance,
    idempotent: true,
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
    store: Arc<dyn TokenStore>,
    limiter: Arc<dyn RateLimiter>,
}

impl Client {
    /// Builds a client with its own HTTP sender.
    pub fn new(config: Config) -> Result<Client, Error> {
        let http = HttpClient::new(config.http.clone())?;
        Self::with_http(config, http)
    }

    /// Builds a client over an existing (shared) HTTP sender.
    pub fn with_http(config: Config, http: HttpClient) -> Result<Client, Error> {
        crate::model::check_text("mch_id", &config.mch_id)?;
        if config.secret.expose_secret().is_empty() {
            return Err(Error::Validation {
                field: "secret",
                reason: "must not be empty".into(),
            });
        }
        let mut base = config.environment.base_url();
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::Validation {
                field: "environment",
                reason: "base URL must be an http(s) URL".into(),
            });
        }
        if !base.path().ends_with('/') {
            // So that joining "v1/api/..." appends to the path instead of replacing its last
            // segment.
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let store = config
            .token_store
            .clone()
            .unwrap_or_else(|| Arc::new(MemoryTokenStore::new()));
        let limiter = config
            .rate_limit
            .limiter
            .clone()
            .unwrap_or_else(|| LocalRateLimiter::global() as Arc<dyn RateLimiter>);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                base,
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
    /// created. The answer must echo `out_order_no` and `money`, or
    /// [`Error::ResponseMismatch`] is returned. Show the payer `real_money` when present.
    pub async fn unified_order(
        &self,
        req: &UnifiedOrderRequest,
    ) -> Result<Reply<UnifiedOrderResponse>, Error> {
        req.validate()?;
        let reply: Reply<UnifiedOrderResponse> = self
            .call(UNIFIED_ORDER, |token| {
                let mut f = vec![
                    ("token", Value::from(token)),
                    ("channel_no", Value::from(req.channel_no.as_str())),
                ];
                if let Some(s) = &req.subject {
                    f.push(("subject", Value::from(s.as_str())));
                }
                f.push(("out_order_no", Value::from(req.out_order_no.as_str())));
                f.push(("money", Value::from(req.money.to_yuan_string())));
                f.push(("client_ip", Value::from(req.client_ip.to_string())));
                f.push(("notify_url", Value::from(req.notify_url.as_str())));
                if let Some(u) = &req.return_url {
                    f.push(("return_url", Value::from(u.as_str())));
                }
                if let Some(p) = &req.param {
                    f.push(("param", Value::from(p.as_str())));
                }
                f.push(("timestamp", Value::from(now_ms())));
                f
            })
            .await?;
        let mismatch = |field, expected: String, got: String| Error::ResponseMismatch {
            operation: UNIFIED_ORDER.name(),
            field,
            expected,
            got,
            request_id: reply.request_id.clone(),
        };
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
    /// [`Config::query_code_2`] says so. The answer must name the queried order.
    pub async fn query(&self, order_no: &str) -> Result<Reply<QueryOrderResponse>, Error> {
        crate::model::check_text("order_no", order_no)?;
        let reply: Reply<QueryOrderResponse> = self
            .call(QUERY, |token| {
                vec![
                    ("token", Value::from(token)),
                    ("mch_id", self.mch_id_value()),
                    ("order_no", Value::from(order_no)),
                    ("timestamp", Value::from(now_ms())),
                ]
            })
            .await?;
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

    /// 余额查询 (mifeng.md §余额查询, `POST /v1/api/pay/balance`).
    pub async fn balance(&self) -> Result<Reply<BalanceResponse>, Error> {
        self.call(BALANCE, |token| {
            vec![
                ("token", Value::from(token)),
                ("mch_id", self.mch_id_value()),
                ("timestamp", Value::from(now_ms())),
            ]
        })
        .await
    }

    /// `mch_id` is documented as int: a JSON integer when it is one.
    fn mch_id_value(&self) -> Value {
        let id = &self.inner.config.mch_id;
        match id.parse::<u64>() {
            Ok(n) if n.to_string() == *id => Value::from(n),
            _ => Value::from(id.as_str()),
        }
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
    async fn call<T: DeserializeOwned>(
        &self,
        ep: Endpoint,
        fields: impl Fn(&str) -> Vec<(&'static str, Value)>,
    ) -> Result<Reply<T>, Error> {
        let token = self.token(None).await?;
        let first = self.send(ep, fields(token.token.expose_secret())).await;
        match first {
            Err(Error::Api { code, .. }) if self.means_token_invalid(code) => {
                tracing::info!(
                    operation = ep.name(),
                    "token rejected; refreshing once and repeating once"
                );
                let fresh = self.token(Some(&token)).await?;
                self.send(ep, fields(fresh.token.expose_secret())).await
            }
            other => other,
        }
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
        self.inner
            .base
            .join(ep.op.path())
            .map_err(|e| Error::Validation {
                field: "environment",
                reason: e.to_string(),
            })
    }

    fn request(&self, ep: Endpoint, fields: Vec<(&'static str, Value)>) -> Result<Request, Error> {
        let url = self.url(ep)?;
        let req = match self.inner.config.body_encoding {
            BodyEncoding::Form => {
                let params: Params = fields.into_iter().map(|(k, v)| (k, text_of(v))).collect();
                Request::post_form(PROVIDER, ep.name(), url, params.to_form())
            }
            BodyEncoding::Json => {
                let map: serde_json::Map<String, Value> =
                    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                let body = serde_json::to_vec(&map).map_err(|e| Error::Validation {
                    field: "body",
                    reason: e.to_string(),
                })?;
                Request::post_json(PROVIDER, ep.name(), url, body)
            }
        };
        Ok(if ep.idempotent { req.idempotent() } else { req })
    }

    /// Waits for a rate-limit slot, sends, and reads the envelope.
    async fn send<T: DeserializeOwned>(
        &self,
        ep: Endpoint,
        fields: Vec<(&'static str, Value)>,
    ) -> Result<Reply<T>, Error> {
        let req = self.request(ep, fields)?;
        self.exchange(ep, req).await
    }

    async fn exchange<T: DeserializeOwned>(
        &self,
        ep: Endpoint,
        req: Request,
    ) -> Result<Reply<T>, Error> {
        let rl = &self.inner.config.rate_limit;
        self.inner
            .limiter
            .acquire(&self.inner.config.mch_id, rl.per_second, rl.max_wait)
            .await?;
        let resp = self.inner.http.send(req).await?.require_success()?;
        decode_reply(ep.op, &resp.body)
    }

    async fn fetch_token(&self) -> Result<StoredToken, Error> {
        let cfg = &self.inner.config;
        let mut url = self.url(ACCESS_TOKEN)?;
        let params = Params::new()
            .with("mch_id", cfg.mch_id.as_str())
            .with("secret", cfg.secret.expose_secret());
        let req = match cfg.token_method {
            TokenMethod::Post => {
                Request::post_form(PROVIDER, ACCESS_TOKEN.name(), url, params.to_form())
            }
            TokenMethod::Get => {
                url.set_query(Some(&params.to_form()));
                Request::get(PROVIDER, ACCESS_TOKEN.name(), url)
            }
        }
        .idempotent();
        let issued_at_ms = now_ms();
        let reply: Reply<AccessTokenResponse> = self.exchange(ACCESS_TOKEN, req).await?;
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
        self.0.fetch_token().await
    }
}

fn text_of(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}
