//! The client: one typed method per endpoint of beecloud.md, host choice and failover.

use crate::clock::beijing_today;
use crate::config::Config;
use crate::error::Error;
use crate::error::{NotifyError, Unconfirmed};
use crate::hosts::sanitized;
use crate::model::{
    Auth, BillBody, BillChannel, BillRecord, BillRequest, BillResponse, BillsPage, BillsPara,
    BillsQuery, Envelope, Paged, QrPayMode, RefundBody, RefundChannel, RefundRecord, RefundRequest,
    RefundResponse, RefundStatus, RefundStatusPara, RefundsPage, RefundsPara, RefundsQuery,
    ResultCode, Window,
};
use crate::notify::{ConfirmedPayment, Notification, TransactionType, Webhook};
use paysig::http::{Failover, FailoverError, HttpClient, Request, Response, Url};
use paysig::md5::{HexCase, HexDigest, md5_hex_digest_parts};
use paysig::wire::ToWire;
use paysig::{ExposeSecret, Reply, Verified};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::sync::Arc;

mod answer;

use answer::{decode, decode_one};

const PROVIDER: &str = "beecloud";

/// `app_sign = md5(app_id + timestamp + app_key)`, lowercase hex (the `app_sign` row of every
/// section of beecloud.md). BeeCloud compares it case-insensitively.
///
/// ```
/// use paysig::md5::{md5_hex, HexCase};
/// let sign = beecloud::app_sign("app", 1435890533866, &paysig::SecretString::from("key"));
/// assert_eq!(sign, md5_hex(b"app1435890533866key", HexCase::Lower));
/// ```
pub fn app_sign(app_id: &str, timestamp_ms: i64, app_key: &paysig::SecretString) -> String {
    app_sign_digest(app_id, timestamp_ms, app_key).to_string()
}

/// [`app_sign`] on the stack, as each call writes it into its body.
pub(crate) fn app_sign_digest(
    app_id: &str,
    timestamp_ms: i64,
    app_key: &paysig::SecretString,
) -> HexDigest {
    use std::io::Write;
    // The decimal timestamp on the stack (an i64 has at most 20 characters).
    let mut digits = [0u8; 24];
    let mut cursor = std::io::Cursor::new(&mut digits[..]);
    // Cannot fail: the buffer holds any i64.
    let _ = write!(cursor, "{timestamp_ms}");
    let len = cursor.position() as usize;
    md5_hex_digest_parts(
        &[
            app_id.as_bytes(),
            &digits[..len],
            app_key.expose_secret().as_bytes(),
        ],
        HexCase::Lower,
    )
}

/// The BeeCloud client. Cheap to clone.
///
/// Each call goes to one host picked by [`Config::host_picker`] (random by default, as §1
/// allows) and fails over to the next:
/// - queries (GET) on any transport error or 5xx answer;
/// - bills and refunds (POST) only when the connection could not be made, i.e. the request
///   provably never left: a bill sent twice could charge twice. Any later failure comes back
///   as [`Error::MaybeSent`].
///
/// When every host failed, [`Error::AllHostsFailed`] lists what each answered.
///
/// Cheap to clone: one `Arc` around what it holds, the same shape as every payhub provider
/// crate's client.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    http: HttpClient,
    hosts: Vec<Url>,
    /// Every endpoint of every host, built once: (host index, path, URL).
    endpoints: Vec<(usize, &'static str, Url)>,
}

/// The paths the client calls, joined to every host at construction.
const PATHS: &[&str] = &[
    "/1/rest/bill",
    "/1/rest/refund",
    "/1/rest/bills",
    "/1/rest/refunds",
    "/1/rest/refund/status",
];

impl Client {
    /// A client with its own HTTP sender built from [`Config::http`].
    pub fn new(config: Config) -> Result<Self, Error> {
        let http = HttpClient::new(config.http.clone()).map_err(crate::error::http("client"))?;
        Self::with_http(config, http)
    }

    /// A client on a shared HTTP sender (its retry policy then applies per host to queries).
    pub fn with_http(config: Config, http: HttpClient) -> Result<Self, Error> {
        crate::validate::non_blank("app_id", &config.app_id)?;
        if config.app_key.expose_secret().is_empty() {
            return Err(Error::Config {
                reason: "app_key is empty".into(),
            });
        }
        let hosts = config.environment.base_urls()?;
        let endpoints = hosts
            .iter()
            .enumerate()
            .flat_map(|(i, base)| PATHS.iter().map(move |p| (i, *p, endpoint(base, p))))
            .collect();
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                hosts,
                endpoints,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Verifies a webhook with [`Config::webhook`] on the configured clock (see
    /// [`Webhook::verify_notify`]). A client without a webhook configuration refuses with
    /// [`NotifyError::NotConfigured`]. The headers are not read (every scheme signs body
    /// fields); they are taken so that the entry point is the same in every payhub provider
    /// crate.
    pub fn verify_notify(
        &self,
        headers: &paysig::http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, NotifyError> {
        self.verify_notify_at(headers, body, self.inner.config.clock.now())
    }

    /// As [`Client::verify_notify`], as if received at `now` (replays, tests).
    pub fn verify_notify_at(
        &self,
        _headers: &paysig::http::HeaderMap,
        body: &[u8],
        now: time::OffsetDateTime,
    ) -> Result<Verified<Notification>, NotifyError> {
        let cfg = self
            .inner
            .config
            .webhook
            .clone()
            .ok_or(NotifyError::NotConfigured)?;
        Webhook::new(self.inner.config.app_id.clone(), cfg).verify_notify_at(body, now)
    }

    fn auth(&self) -> Auth<'_> {
        let timestamp = self.inner.config.clock.now_unix_millis();
        Auth {
            app_id: &self.inner.config.app_id,
            timestamp,
            app_sign: app_sign_digest(
                &self.inner.config.app_id,
                timestamp,
                &self.inner.config.app_key,
            ),
        }
    }

    /// Creates a bill (beecloud.md §2 支付, `POST /1/rest/bill`) and returns what the channel
    /// needs next (a QR code, SDK parameters, a form).
    ///
    /// Never resent to another host once it may have reached one: on [`Error::MaybeSent`],
    /// query the bill with [`Client::bills`] before creating it again.
    pub async fn bill(&self, req: &BillRequest) -> Result<Reply<BillResponse>, Error> {
        req.validate(self.inner.config.title_rule)?;
        let (return_url, openid, show_url, qr_pay_mode) = match &req.channel {
            BillChannel::WxJsapi { openid } => (None, Some(openid.as_str()), None, None),
            BillChannel::AliWeb {
                return_url,
                show_url,
            } => (Some(return_url.as_str()), None, show_url.as_deref(), None),
            BillChannel::AliQrcode {
                return_url,
                qr_pay_mode,
            } => (
                Some(return_url.as_str()),
                None,
                None,
                qr_pay_mode.map(QrPayMode::as_str),
            ),
            BillChannel::UnWeb { return_url } => (Some(return_url.as_str()), None, None, None),
            BillChannel::WxApp
            | BillChannel::WxNative
            | BillChannel::AliApp
            | BillChannel::UnApp => (None, None, None, None),
        };
        let body = BillBody {
            auth: self.auth(),
            channel: req.channel.as_str(),
            total_fee: req.total_fee,
            bill_no: &req.bill_no,
            title: &req.title,
            optional: req.optional.as_ref(),
            return_url,
            openid,
            show_url,
            qr_pay_mode,
        };
        self.post("bill", "/1/rest/bill", &body, |b| {
            BillResponse::from_json(&req.channel, b)
        })
        .await
        .map(Reply::new)
    }

    /// Refunds a paid bill (beecloud.md §3 退款, `POST /1/rest/refund`).
    ///
    /// `refund_no` is checked against today's Beijing date from [`Config::clock`]. For
    /// [`RefundChannel::Ali`], the answer's `url` must be opened to confirm the refund.
    /// Never resent to another host once it may have reached one: on [`Error::MaybeSent`],
    /// query it with [`Client::refunds`].
    pub async fn refund(&self, req: &RefundRequest) -> Result<Reply<RefundResponse>, Error> {
        req.validate(beijing_today(self.inner.config.clock.now()))?;
        let body = RefundBody {
            auth: self.auth(),
            channel: req.channel,
            refund_no: &req.refund_no,
            bill_no: &req.bill_no,
            refund_fee: req.refund_fee,
            optional: req.optional.as_ref(),
        };
        self.post("refund", "/1/rest/refund", &body, |b| {
            serde_json::from_slice(b)
        })
        .await
        .map(Reply::new)
    }

    /// One page of bills (beecloud.md §4 订单查询, `GET /1/rest/bills?para=`).
    pub async fn bills(&self, query: &BillsQuery) -> Result<Reply<BillsPage>, Error> {
        query.validate()?;
        // Written out now: the typed `para` is not kept across the call.
        let para = para_json(
            "bills",
            &BillsPara {
                auth: self.auth(),
                channel: &query.channel,
                bill_no: query.bill_no.as_deref(),
                window: (&query.window).into(),
            },
        )?;
        self.get("bills", "/1/rest/bills", para)
            .await
            .map(Reply::new)
    }

    /// Every bill matching the query, walking the pages from the query's `skip` with its
    /// `limit` (50 if unset).
    pub async fn all_bills(&self, query: &BillsQuery) -> Result<Vec<BillRecord>, Error> {
        walk(query.clone(), "bills", async |q: &BillsQuery| {
            Ok(self.bills(q).await?.data.bills)
        })
        .await
    }

    /// Confirms a payment webhook by querying its bill (beecloud.md §4 订单查询, `bill_no` =
    /// the webhook's `transaction_id`, in its `channel_type`): the bill must be listed, paid
    /// (`spay_result = true`) and its `total_fee` must equal the webhook's fee. Anything else is
    /// [`Error::Unconfirmed`] with the typed [`Unconfirmed`] reason; a failed query is its own
    /// error. Either way, do not fulfil the order (answer an error so BeeCloud resends).
    ///
    /// **Required before fulfilling under V1**, whose signature covers only the timestamp
    /// (the id, fee and success flag of a V1 webhook can be forged by anyone who captured
    /// one). **Recommended under V2**, whose signature does not cover `trade_success`, so a
    /// captured unsuccessful webhook can be flipped to "paid". See [`crate::notify`].
    ///
    /// The confirmation rests on the bill, not on the webhook's `trade_success`: a webhook
    /// saying `false` for a bill BeeCloud reports paid is confirmed.
    pub async fn confirm_payment(
        &self,
        event: &Verified<Notification>,
    ) -> Result<Reply<ConfirmedPayment>, Error> {
        let bill_no = &event.transaction_id;
        let unconfirmed = |reason| Error::Unconfirmed {
            bill_no: bill_no.clone(),
            reason,
        };
        if event.transaction_type != TransactionType::Pay {
            return Err(unconfirmed(Unconfirmed::NotAPayment(
                event.transaction_type,
            )));
        }
        let query = BillsQuery::new(event.channel_type.clone()).bill_no(bill_no.clone());
        let listed: Vec<BillRecord> = self
            .bills(&query)
            .await?
            .data
            .bills
            .into_iter()
            .filter(|b| b.bill_no == *bill_no)
            .collect();
        if listed.is_empty() {
            return Err(unconfirmed(Unconfirmed::NoBill {
                channel: event.channel_type.as_str().to_owned(),
            }));
        }
        let paid: Vec<BillRecord> = listed.into_iter().filter(|b| b.spay_result).collect();
        let Some(first_paid) = paid.first() else {
            return Err(unconfirmed(Unconfirmed::NotPaid));
        };
        let billed = first_paid.total_fee;
        // One bill per number; should BeeCloud list several paid copies, one must match.
        match paid
            .into_iter()
            .find(|b| b.total_fee == event.transaction_fee)
        {
            Some(bill) => Ok(Reply::new(ConfirmedPayment::new(bill))),
            None => Err(unconfirmed(Unconfirmed::FeeMismatch {
                notified: event.transaction_fee,
                billed,
            })),
        }
    }

    /// One page of refunds (beecloud.md §5 退款查询, `GET /1/rest/refunds?para=`).
    pub async fn refunds(&self, query: &RefundsQuery) -> Result<Reply<RefundsPage>, Error> {
        query.validate()?;
        // Written out now: the typed `para` is not kept across the call.
        let para = para_json(
            "refunds",
            &RefundsPara {
                auth: self.auth(),
                channel: &query.channel,
                bill_no: query.bill_no.as_deref(),
                refund_no: query.refund_no.as_deref(),
                window: (&query.window).into(),
            },
        )?;
        self.get("refunds", "/1/rest/refunds", para)
            .await
            .map(Reply::new)
    }

    /// Every refund matching the query, walking the pages like [`Client::all_bills`].
    pub async fn all_refunds(&self, query: &RefundsQuery) -> Result<Vec<RefundRecord>, Error> {
        walk(query.clone(), "refunds", async |q: &RefundsQuery| {
            Ok(self.refunds(q).await?.data.refunds)
        })
        .await
    }

    /// Asks BeeCloud to update and return a WeChat refund's status (beecloud.md §6 退款状态更新,
    /// `GET /1/rest/refund/status?para=`). The document supports only the WX channel, so the
    /// channel is not a parameter: `WX` is always sent.
    pub async fn refund_status(&self, refund_no: &str) -> Result<Reply<RefundStatus>, Error> {
        crate::validate::non_blank("refund_no", refund_no)?;
        // Written out now: the typed `para` is not kept across the call.
        let para = para_json(
            "refund_status",
            &RefundStatusPara {
                auth: self.auth(),
                channel: RefundChannel::Wx,
                refund_no,
            },
        )?;
        self.get("refund_status", "/1/rest/refund/status", para)
            .await
            .map(Reply::new)
    }

    /// The URL of `path` on host `host` (built at construction for [`PATHS`]).
    fn endpoint(&self, host: usize, path: &str) -> Url {
        match self
            .inner
            .endpoints
            .iter()
            .find(|(h, p, _)| *h == host && *p == path)
        {
            Some((_, _, url)) => url.clone(),
            None => endpoint(&self.inner.hosts[host], path),
        }
    }

    /// GET with `para=<JSON>`; fails over on transport errors and 5xx
    /// ([`Failover::AnyFailure`]), each host first given the retry policy's attempts.
    async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        para: String,
    ) -> Result<T, Error> {
        let resp = self
            .send_failover(Failover::AnyFailure, |i| {
                let mut url = self.endpoint(i, path);
                url.query_pairs_mut().append_pair("para", &para);
                Request::get(PROVIDER, operation, url).idempotent()
            })
            .await
            .map_err(failover_error(operation))?;
        decode_one(operation, resp)
    }

    /// POST of a JSON body, sent once per host; fails over only while no host could be
    /// connected to ([`Failover::NeverSent`]).
    async fn post<T>(
        &self,
        operation: &'static str,
        path: &str,
        body: &impl Serialize,
        parse: impl FnOnce(&[u8]) -> Result<T, serde_json::Error>,
    ) -> Result<T, Error> {
        let body = body.to_json().map_err(|e| Error::Decode {
            operation,
            reason: format!("request could not be serialised: {e}"),
        })?;
        let resp = self
            .send_failover(Failover::NeverSent, |i| {
                Request::post_json(PROVIDER, operation, self.endpoint(i, path), body.clone())
            })
            .await
            .map_err(failover_error(operation))?;
        decode(operation, resp, parse)
    }

    /// One call over the hosts in [`Config::host_picker`]'s order (repaired by
    /// [`sanitized`]), the next tried at once when `rule` allows.
    async fn send_failover(
        &self,
        rule: Failover,
        mut build: impl FnMut(usize) -> Request,
    ) -> Result<Response, FailoverError<Infallible>> {
        let order = sanitized(
            self.inner.config.host_picker.as_ref(),
            self.inner.hosts.len(),
        );
        self.inner
            .http
            .send_failover(order, rule, |i| Ok(build(i)))
            .await
    }
}

/// `para` as the JSON text sent in the query string.
fn para_json(operation: &'static str, para: &impl Serialize) -> Result<String, Error> {
    para.to_json()
        // serde_json writes UTF-8: taken as it is, not copied.
        .map(|json| {
            String::from_utf8(json)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        })
        .map_err(|e| Error::Decode {
            operation,
            reason: format!("request could not be serialised: {e}"),
        })
}

/// The client's error for a call whose hosts all failed, or that stopped where it may have
/// been sent.
fn failover_error(operation: &'static str) -> impl FnOnce(FailoverError<Infallible>) -> Error {
    move |e| match e {
        FailoverError::MaybeSent { host, source, .. } => Error::MaybeSent {
            operation,
            host,
            source,
        },
        FailoverError::AllFailed { failures } => Error::AllHostsFailed {
            operation,
            failures,
        },
        FailoverError::Prepare { error, .. } => match error {},
        // A kind paysig may add later: report every host's failure.
        other => Error::AllHostsFailed {
            operation,
            failures: other.failures().cloned().collect(),
        },
    }
}

fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// Walks pages until one comes back short.
async fn walk<Q: Paged, R: PartialEq>(
    mut query: Q,
    operation: &'static str,
    mut fetch: impl AsyncFnMut(&Q) -> Result<Vec<R>, Error>,
) -> Result<Vec<R>, Error> {
    let window: &mut Window = query.window_mut();
    let limit = window.limit.unwrap_or(crate::model::MAX_LIMIT);
    window.limit = Some(limit);
    let mut skip = window.skip.unwrap_or(0);
    let mut all: Vec<R> = Vec::new();
    let mut last_len = 0;
    loop {
        query.window_mut().skip = Some(skip);
        let page = fetch(&query).await?;
        let n = page.len();
        // A server that ignores `skip` would repeat the same page forever.
        if n > 0 && n == last_len && all.len() >= n && all[all.len() - n..] == page[..] {
            return Err(Error::Decode {
                operation,
                reason: format!("the page at skip={skip} repeats the previous one"),
            });
        }
        all.extend(page);
        if n < limit as usize || n == 0 {
            return Ok(all);
        }
        last_len = n;
        skip = skip.saturating_add(n as u32);
    }
}
