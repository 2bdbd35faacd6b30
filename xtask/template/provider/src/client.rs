//! The client: signed calls to {{Title}}.

use std::sync::Arc;

use paysig::class::Operation;
use paysig::http::{HttpClient, Request, Response, Url};
use paysig::md5::{HexCase, KeySuffix};
use paysig::{CanonicalRules, Md5Signer, Money, Params, Reply};

use crate::model::{self, Order, Refund};
use crate::{Config, Error, validate};

const PROVIDER: &str = "{{name}}";

/// The signed string: the sorted non-empty fields, `sign` left out.
pub(crate) fn rules() -> CanonicalRules {
    CanonicalRules::sorted().exclude(["sign"]).drop_empty()
}

/// The signer of requests and notifies: MD5 over [`rules`] then `&key=<app key>`, upper-case
/// hex.
pub(crate) fn signer() -> Md5Signer {
    Md5Signer::new(rules(), KeySuffix::key_param(), HexCase::Upper)
}

/// A {{Title}} client. Cheap to clone (one `Arc` around what it holds); share one per
/// configuration.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    http: HttpClient,
}

impl Client {
    /// A client for `config`; fails on an unusable base URL or HTTP setting.
    pub fn new(config: Config) -> Result<Client, Error> {
        Url::parse(config.environment().base_url()).map_err(|e| Error::Config {
            reason: format!("base URL: {e}"),
        })?;
        let http = HttpClient::new(config.http.clone()).map_err(|e| Error::Config {
            reason: e.to_string(),
        })?;
        Ok(Client {
            inner: Arc::new(Inner { config, http }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The signed form request to `path`.
    fn signed(&self, operation: &'static str, path: &str, params: Params) -> Result<Request, Error> {
        let url = format!("{}{path}", self.inner.config.environment().base_url());
        let url = Url::parse(&url).map_err(|e| Error::Config {
            reason: format!("{url}: {e}"),
        })?;
        let params = params.with("app_id", self.inner.config.app_id());
        let sign = signer()
            .sign(&params, self.inner.config.app_key())
            .map_err(Error::Sign)?;
        let body = params.with("sign", sign).to_form();
        Ok(Request::post_form(PROVIDER, operation, url, body))
    }

    /// A 2xx answer; its body is read where it is used, without a copy.
    async fn send(&self, request: Request, operation: Operation) -> Result<Response, Error> {
        let http = |source| Error::Http { operation, source };
        let response = self.inner.http.send(request).await.map_err(http)?;
        response.require_success().map_err(http)
    }

    /// Queries an order by the merchant's number. Idempotent: retried by the policy of
    /// [`Config::http`].
    pub async fn query(&self, order_no: &str) -> Result<Reply<Order>, Error> {
        validate::order_no("order_no", order_no)?;
        let params = Params::new().with("order_no", order_no);
        let request = self.signed("query", "/query", params)?.idempotent();
        let order = model::order(&self.send(request, Operation::Query).await?.body)?;
        echo("order_no", order_no, &order.order_no)?;
        Ok(Reply::new(order))
    }

    /// Refunds `amount` of an order under the merchant's refund number. Never retried: a
    /// refund whose outcome is unknown is settled with [`Client::resolve_refund`].
    pub async fn refund(
        &self,
        order_no: &str,
        refund_no: &str,
        amount: Money,
    ) -> Result<Reply<Refund>, Error> {
        validate::order_no("order_no", order_no)?;
        validate::order_no("refund_no", refund_no)?;
        let params = Params::new()
            .with("order_no", order_no)
            .with("refund_no", refund_no)
            .with("refund_amount", amount.fen().to_string());
        let request = self.signed("refund", "/refund", params)?;
        let refund = model::refund(&self.send(request, Operation::Mutation).await?.body)?;
        echo("order_no", order_no, &refund.order_no)?;
        echo("refund_no", refund_no, &refund.refund_no)?;
        Ok(Reply::new(refund))
    }
}

/// The answer must be about what was asked.
fn echo(field: &'static str, sent: &str, received: &str) -> Result<(), Error> {
    if sent == received {
        Ok(())
    } else {
        Err(Error::ResponseMismatch {
            field,
            sent: sent.into(),
            received: received.into(),
        })
    }
}
