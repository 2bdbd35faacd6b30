//! The client: one typed method per endpoint of beecloud.md, host choice and failover.

use crate::clock::{beijing_today, unix_millis};
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
use paysig::http::{HttpClient, HttpError, Request, Response, Url};
use paysig::md5::{HexCase, md5_hex_parts};
use paysig::wire::ToWire;
use paysig::{ExposeSecret, Reply, Verified};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

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
    use std::io::Write;
    // The decimal timestamp on the stack (an i64 has at most 20 characters).
    let mut digits = [0u8; 24];
    let mut cursor = std::io::Cursor::new(&mut digits[..]);
    // Cannot fail: the buffer holds any i64.
    let _ = write!(cursor, "{timestamp_ms}");
    let len = cursor.position() as usize;
    md5_hex_parts(
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
        let timestamp = unix_millis(self.inner.config.clock.now());
        Auth {
            app_id: &self.inner.config.app_id,
            timestamp,
            app_sign: app_sign(
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
        let para = BillsPara {
            auth: self.auth(),
            channel: &query.channel,
            bill_no: query.bill_no.as_deref(),
            window: (&query.window).into(),
        };
        self.get("bills", "/1/rest/bills", &para)
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
        let para = RefundsPara {
            auth: self.auth(),
            channel: &query.channel,
            bill_no: query.bill_no.as_deref(),
            refund_no: query.refund_no.as_deref(),
            window: (&query.window).into(),
        };
        self.get("refunds", "/1/rest/refunds", &para)
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
        let para = RefundStatusPara {
            auth: self.auth(),
            channel: RefundChannel::Wx,
            refund_no,
        };
        self.get("refund_status", "/1/rest/refund/status", &para)
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

    /// GET with `para=<JSON>`; fails over on transport errors and 5xx.
    async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        para: &impl Serialize,
    ) -> Result<T, Error> {
        let para = para
            .to_json()
            // serde_json writes UTF-8: taken as it is, not copied.
            .map(|json| {
                String::from_utf8(json)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            })
            .map_err(|e| Error::Decode {
                operation,
                reason: format!("request could not be serialised: {e}"),
            })?;
        let mut failures = Vec::new();
        for i in sanitized(
            self.inner.config.host_picker.as_ref(),
            self.inner.hosts.len(),
        ) {
            let mut url = self.endpoint(i, path);
            url.query_pairs_mut().append_pair("para", &para);
            match self
                .inner
                .http
                .send(Request::get(PROVIDER, operation, url).idempotent())
                .await
            {
                Ok(resp) if resp.status >= 500 => failures.push(status_error(resp)),
                Ok(resp) => return decode_one(operation, resp),
                Err(e) => failures.push(e),
            }
            tracing::warn!(operation, host = %self.inner.hosts[i], "BeeCloud host failed, trying the next");
        }
        Err(Error::AllHostsFailed {
            operation,
            failures,
        })
    }

    /// POST of a JSON body; fails over only while no host could be connected to.
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
        let mut failures = Vec::new();
        for i in sanitized(
            self.inner.config.host_picker.as_ref(),
            self.inner.hosts.len(),
        ) {
            let req = Request::post_json(PROVIDER, operation, self.endpoint(i, path), body.clone());
            let host = req.host();
            match self.inner.http.send(req).await {
                Ok(resp) if resp.status >= 500 => {
                    return Err(Error::MaybeSent {
                        operation,
                        host,
                        source: status_error(resp),
                    });
                }
                Ok(resp) => return decode(operation, resp, parse),
                Err(e) if e.never_sent() => {
                    tracing::warn!(operation, %host, "BeeCloud host unreachable, trying the next");
                    failures.push(e);
                }
                Err(source) => {
                    return Err(Error::MaybeSent {
                        operation,
                        host,
                        source,
                    });
                }
            }
        }
        Err(Error::AllHostsFailed {
            operation,
            failures,
        })
    }
}

fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url.set_query(None);
    url.set_fragment(None);
    url
}

fn status_error(resp: Response) -> HttpError {
    match resp.require_success() {
        Err(e) => e,
        Ok(r) => HttpError::Status {
            host: r.host,
            status: r.status,
            snippet: String::new(),
        },
    }
}

/// Reads an answer: HTTP status, then `result_code`, then the operation's fields.
fn decode<T>(
    operation: &'static str,
    resp: Response,
    parse: impl FnOnce(&[u8]) -> Result<T, serde_json::Error>,
) -> Result<T, Error> {
    let resp = resp
        .require_success()
        .map_err(crate::error::http(operation))?;
    let decode_error = |e: serde_json::Error| Error::Decode {
        operation,
        reason: e.to_string(),
    };
    // The status alone first (nothing allocated on success); the whole envelope only for a
    // refusal, to report its message.
    let status: Status = serde_json::from_slice(&resp.body).map_err(decode_error)?;
    if status.result_code != ResultCode::Ok {
        let envelope: Envelope = serde_json::from_slice(&resp.body).map_err(decode_error)?;
        return Err(Error::Api {
            operation,
            code: envelope.result_code,
            msg: envelope.result_msg.unwrap_or_default(),
            err_detail: envelope.err_detail,
        });
    }
    parse(&resp.body).map_err(|e| Error::Decode {
        operation,
        reason: e.to_string(),
    })
}

/// Reads an answer as [`decode`] does, in one pass over the body on success: the envelope's
/// members are taken aside while the rest is read into `T`. Anything unusual (a refusal, a
/// missing or repeated `result_code`, a body `T` cannot be read from) is read again by
/// [`decode`], so that its error is the same.
fn decode_one<T: DeserializeOwned>(operation: &'static str, resp: Response) -> Result<T, Error> {
    if (200..300).contains(&resp.status)
        && let Ok(Tapped {
            value,
            result_code: Some(ResultCode::Ok),
            repeated: false,
        }) = serde_json::from_slice::<Tapped<T>>(&resp.body)
    {
        return Ok(value);
    }
    decode(operation, resp, |b| serde_json::from_slice(b))
}

/// `T` read from an answer object whose envelope members ([`Envelope`]'s) are set aside.
struct Tapped<T> {
    value: T,
    result_code: Option<ResultCode>,
    /// An envelope member came twice (the answer then has no one reading).
    repeated: bool,
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Tapped<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = Tapped<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an answer object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Tapped<T>, A::Error> {
                let mut tap = Tap {
                    map,
                    result_code: None,
                    seen: [false; 3],
                    repeated: false,
                };
                let value = T::deserialize(serde::de::value::MapAccessDeserializer::new(&mut tap))?;
                Ok(Tapped {
                    value,
                    result_code: tap.result_code,
                    repeated: tap.repeated,
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// The members of [`Envelope`], in the order of `Tap::seen`.
const ENVELOPE_MEMBERS: [&str; 3] = ["result_code", "result_msg", "err_detail"];

/// A map that hands every member to `T` but the envelope's, which it reads itself (the
/// texts only skipped: they matter only on a refusal, which is read again).
struct Tap<A> {
    map: A,
    result_code: Option<ResultCode>,
    seen: [bool; 3],
    repeated: bool,
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for &mut Tap<A> {
    type Error = A::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        use serde::de::IntoDeserializer;
        while let Some(Name(name)) = self.map.next_key::<Name<'de>>()? {
            let Some(i) = ENVELOPE_MEMBERS.iter().position(|m| *m == name) else {
                return match name {
                    std::borrow::Cow::Borrowed(n) => seed
                        .deserialize(serde::de::value::BorrowedStrDeserializer::new(n))
                        .map(Some),
                    std::borrow::Cow::Owned(n) => seed.deserialize(n.into_deserializer()).map(Some),
                };
            };
            self.repeated |= std::mem::replace(&mut self.seen[i], true);
            if i == 0 {
                self.result_code = Some(self.map.next_value()?);
            } else {
                self.map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(None)
    }

    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// A member name, borrowed from the body when it holds no escape.
struct Name<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Name<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// `result_code` of [`Envelope`], read without its texts.
#[derive(serde::Deserialize)]
struct Status {
    result_code: ResultCode,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BillsPage;

    fn answer(status: u16, body: &str) -> Response {
        Response {
            host: "127.0.0.1:1".into(),
            status,
            retry_after: None,
            content_type: None,
            body: body.as_bytes().to_vec().into(),
        }
    }

    const BILL: &str = r#"{"bill_no":"b1","total_fee":1,"channel":"WX","title":"t","spay_result":true,"created_time":1}"#;

    #[test]
    fn one_pass_reads_the_page_wherever_the_envelope_members_are() {
        for body in [
            format!(
                r#"{{"result_code":0,"result_msg":"OK","err_detail":"","count":1,"bills":[{BILL}]}}"#
            ),
            format!(
                r#"{{"count":1,"bills":[{BILL}],"err_detail":"","result_msg":"OK","result_code":0}}"#
            ),
            format!(r#"{{"count":1,"\u0072esult_code":0,"bills":[{BILL}]}}"#),
        ] {
            let page: BillsPage = decode_one("bills", answer(200, &body)).unwrap();
            let two_pass: BillsPage =
                decode("bills", answer(200, &body), |b| serde_json::from_slice(b)).unwrap();
            assert_eq!(page, two_pass, "{body}");
            assert_eq!(page.count, Some(1));
            assert_eq!(page.bills[0].bill_no, "b1");
        }
    }

    #[test]
    fn one_pass_errors_are_the_two_pass_ones() {
        let cases = [
            // A refusal, its message reported (the page fields absent or present).
            (
                200,
                r#"{"result_code":7,"result_msg":"NO_SUCH_BILL","err_detail":"none here"}"#,
            ),
            (
                200,
                r#"{"bills":[],"result_code":7,"result_msg":"NO_SUCH_BILL"}"#,
            ),
            // No result_code, a repeated one, no bills, a malformed bill, not JSON.
            (200, r#"{"bills":[]}"#),
            (200, r#"{"result_code":0,"bills":[],"result_code":7}"#),
            (200, r#"{"result_code":0,"result_msg":"OK"}"#),
            (200, r#"{"result_code":0,"bills":[{"bill_no":"b1"}]}"#),
            (200, "<html>"),
            (502, r#"{"result_code":0,"bills":[]}"#),
        ];
        for (status, body) in cases {
            let one = decode_one::<BillsPage>("bills", answer(status, body)).unwrap_err();
            let two =
                decode::<BillsPage>("bills", answer(status, body), |b| serde_json::from_slice(b))
                    .unwrap_err();
            assert_eq!(one.to_string(), two.to_string(), "{body}");
        }
        let e = decode_one::<BillsPage>(
            "bills",
            answer(
                200,
                r#"{"result_code":7,"result_msg":"NO_SUCH_BILL","err_detail":"none here"}"#,
            ),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Api { ref msg, .. } if msg == "NO_SUCH_BILL"),
            "{e}"
        );
        let e = decode_one::<BillsPage>(
            "bills",
            answer(200, r#"{"result_code":0,"bills":[],"result_code":7}"#),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
    }
}
