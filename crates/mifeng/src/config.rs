//! Where and how the client talks to Mifeng.
//!
//! Every payhub provider crate builds its client the same way: `Config::new(environment,
//! <the id the provider assigned>, <credentials>)` (a shared secret as
//! `impl Into<SecretString>`, an RSA key as a loaded key), then `Client::new(config)`.

use crate::ratelimit::RateLimiter;
// The store trait lives here, not in `token`, whose refresh timing is derived from `Config`.
pub(crate) mod token_store;

use paysig::SecretString;
use paysig::http::HttpConfig;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use token_store::TokenStore;
use url::Url;

/// The Mifeng host.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `https://open.mifengpay.com` (mifeng.md §接口授权).
    Production,
    /// Any other base URL: a sandbox (the document names no sandbox host), a proxy, a test
    /// server. Paths are appended to it (`{base}/v1/api/pay/...`).
    Custom(Url),
}

impl Environment {
    /// The base URL.
    pub fn base_url(&self) -> Url {
        match self {
            // A literal that always parses; kept out of a `const` only because Url has no const
            // constructor.
            Environment::Production => Url::parse("https://open.mifengpay.com/")
                .unwrap_or_else(|_| unreachable!("valid literal")),
            Environment::Custom(u) => u.clone(),
        }
    }
}

/// How the POST bodies of `unifiedorder`, `query` and `balance` are encoded.
///
/// **Inferred from the platform's own material, not from mifeng.md**: mifeng.md says "POST"
/// without a content type. An API export of the same platform (unfinished, endpoints marked
/// 开发中) sends `unifiedorder` and `balance` as JSON bodies and `query` as form data; that is
/// the default, [`BodyEncoding::PlatformExport`]. Switch to [`BodyEncoding::Form`] or
/// [`BodyEncoding::Json`] if Mifeng refuses it. `accesstoken` is not covered (see
/// [`TokenMethod`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BodyEncoding {
    /// As the platform's API export: `unifiedorder` and `balance` as `application/json`
    /// (`timestamp` and `mch_id` as JSON integers, their documented type), `query` as
    /// `application/x-www-form-urlencoded`.
    #[default]
    PlatformExport,
    /// Every endpoint as `application/x-www-form-urlencoded`.
    Form,
    /// Every endpoint as `application/json`, `timestamp` and `mch_id` as JSON integers.
    Json,
}

impl BodyEncoding {
    /// Whether `op`'s body is JSON under this choice (otherwise a form).
    pub fn is_json(self, op: crate::Operation) -> bool {
        match self {
            BodyEncoding::Form => false,
            BodyEncoding::Json => true,
            BodyEncoding::PlatformExport => {
                matches!(
                    op,
                    crate::Operation::UnifiedOrder | crate::Operation::Balance
                )
            }
        }
    }
}

/// Whether `accesstoken` carries a `request_id`.
///
/// **Inferred from the platform's own material, not from mifeng.md**: the platform's API export
/// lists an optional `request_id` for `accesstoken`; mifeng.md documents only `mch_id` and
/// `secret`. It is off by default, so the documented request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenRequestId {
    /// No `request_id` (the documented request).
    #[default]
    Omitted,
    /// A new random `request_id` of 32 lowercase hex digits (the shape of the answers'
    /// `request_id`) on every `accesstoken` call, logged so that a call can be traced.
    Random,
}

/// How the token is requested (the document allows GET and POST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenMethod {
    /// POST of a form (whatever [`BodyEncoding`] says): the secret travels in the body, not
    /// in a URL that proxies may log.
    #[default]
    Post,
    /// GET with `mch_id` and `secret` in the query, as in the document's example.
    ///
    /// # ⚠ Warning: the merchant secret goes into the URL
    ///
    /// The secret then appears in every access log, proxy log, load-balancer log and
    /// monitoring tool that records URLs along the way (yours, Mifeng's and anything in
    /// between). Anyone who reads such a log can fetch tokens, and thus create and query
    /// orders, as this merchant. Use it only if Mifeng refuses [`TokenMethod::Post`], and
    /// then rotate the secret if a log may have leaked.
    Get,
}

/// What code 2 from `query` means.
///
/// The document says 参数校验不通过 (parameter check failed) for `query`, while for
/// `unifiedorder` and `balance` code 2 is token校验不通过 (token invalid). Since the token is
/// one of the parameters, the platform may well answer 2 to a superseded token on `query` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum QueryCode2 {
    /// As documented: a parameter error, returned at once.
    #[default]
    ParamInvalid,
    /// Treat it as "token invalid": refresh the token once and repeat the query once.
    /// Safe (a query changes nothing) but each refresh supersedes the previous token.
    TokenInvalid,
}

/// How [`crate::Client::handle_notify`] decides that a notify is genuine.
///
/// The notify signature scheme is **inferred** (mifeng.md lists 异步通知 but the section is
/// missing; the scheme comes from a document of the same platform template). A query over
/// the authenticated API is the confirmed way to learn an order's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NotifyTrust {
    /// Check the inferred signature, then query the order and trust the queried state and
    /// amount (both must agree with the notify).
    #[default]
    SignatureAndQuery,
    /// Query the order only; the notify is a mere "something happened to order X".
    QueryOnly,
    /// Check the inferred signature only.
    SignatureOnly,
}

/// The rate limit of mifeng.md §使用规则: at most 20 calls per second per merchant, every
/// call counted, `accesstoken` included (see [`crate::ratelimit`]).
#[derive(Clone)]
pub struct RateLimit {
    /// Calls per second per mch_id (20, the documented ceiling).
    pub per_second: NonZeroU32,
    /// Safety margin: `per_second` calls are spread evenly over one second plus this, so
    /// calls are [`RateLimit::spacing`] apart. Default 40 ms: 52 ms apart, 19.2 calls/s; the
    /// server may see a call and the 20th after it with up to 40 ms more or less delay and
    /// still never count 21 in a second (see [`crate::ratelimit`]).
    pub margin: Duration,
    /// How long a call waits for a free slot before failing with
    /// [`crate::Error::RateLimited`].
    pub max_wait: Duration,
    /// The limiter. `None`: one limiter shared by every client of this process (keyed by
    /// mch_id). Give a [`crate::RedisRateLimiter`] (feature `redis`) to share the budget
    /// between processes.
    pub limiter: Option<Arc<dyn RateLimiter>>,
}

impl RateLimit {
    /// The time between two calls: `(1 s + margin) / per_second`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rl = mifeng::RateLimit::default();
    /// assert_eq!(rl.spacing(), Duration::from_millis(52));
    /// ```
    pub fn spacing(&self) -> Duration {
        self.pace().spacing()
    }

    /// What the limiter is asked for: `per_second` calls in `1 s + margin`.
    pub fn pace(&self) -> crate::ratelimit::Pace {
        crate::ratelimit::Pace {
            per_second: self.per_second,
            window: Duration::from_secs(1).saturating_add(self.margin),
        }
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            margin: Duration::from_millis(40),
            max_wait: Duration::from_secs(10),
            limiter: None,
        }
    }
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("per_second", &self.per_second)
            .field("margin", &self.margin)
            .field("max_wait", &self.max_wait)
            .field("limiter", &self.limiter)
            .finish()
    }
}

/// Everything the client needs. Credentials are [`SecretString`]s: `{:?}` never shows them.
#[derive(Debug, Clone)]
pub struct Config {
    /// The host.
    pub environment: Environment,
    /// 商户编号.
    pub mch_id: String,
    /// 接口密钥.
    pub secret: SecretString,
    /// Timeouts of the HTTP sender, and the repeats of `query` and `balance` (`retry`: the
    /// client repeats them itself, one rate-limit slot per attempt; `accesstoken` and
    /// `unifiedorder` are never repeated).
    pub http: HttpConfig,
    /// A token is refreshed this long before it expires (default 5 minutes), while it is still
    /// valid: callers keep using it until the new one is stored. Capped at half the token's
    /// lifetime so a short-lived token is not refreshed on every call. It must cover the
    /// longest refresh, [`crate::token::longest_refresh`]: the `accesstoken` call goes ahead
    /// of queued calls and waits at most one slot per process sharing the limiter
    /// ([`crate::ratelimit`]), plus the HTTP round trip.
    pub token_refresh_skew: Duration,
    /// Where tokens are kept. `None`: in this process's memory, shared by every client with the
    /// same base URL and mch_id ([`crate::MemoryTokenStore::global`]). Several processes of one merchant must share one store ([`crate::RedisTokenStore`]),
    /// as refreshing supersedes every earlier token.
    pub token_store: Option<Arc<dyn TokenStore>>,
    /// The rate limit.
    pub rate_limit: RateLimit,
    /// Body encoding of the POST endpoints (inferred; JSON for `unifiedorder` and `balance`,
    /// form for `query` by default).
    pub body_encoding: BodyEncoding,
    /// Whether `accesstoken` carries a `request_id` (inferred; none by default).
    pub token_request_id: TokenRequestId,
    /// GET or POST for `accesstoken`.
    pub token_method: TokenMethod,
    /// Meaning of code 2 from `query`.
    pub query_code_2: QueryCode2,
    /// How notifies are trusted.
    pub notify_trust: NotifyTrust,
    /// How a notify without `param` is signed (inferred; see [`crate::notify::AbsentParam`]).
    pub notify_absent_param: AbsentParam,
    /// The longest notify body read, in bytes; a longer one is refused before parsing with
    /// [`crate::NotifyError::BodyTooLarge`]. Default
    /// [`paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT`] (64 KiB).
    pub notify_body_limit: usize,
}

impl Config {
    /// A configuration with defaults for everything but the credentials.
    ///
    /// ```
    /// use mifeng::{Config, Environment};
    /// let config = Config::new(Environment::Production, "1000123", "s3cr3t-value");
    /// assert!(!format!("{config:?}").contains("s3cr3t-value"));
    /// ```
    pub fn new(
        environment: Environment,
        mch_id: impl Into<String>,
        secret: impl Into<SecretString>,
    ) -> Self {
        Config {
            environment,
            mch_id: mch_id.into(),
            secret: secret.into(),
            http: HttpConfig::default(),
            token_refresh_skew: Duration::from_secs(300),
            token_store: None,
            rate_limit: RateLimit::default(),
            body_encoding: BodyEncoding::default(),
            token_request_id: TokenRequestId::default(),
            token_method: TokenMethod::default(),
            query_code_2: QueryCode2::default(),
            notify_trust: NotifyTrust::default(),
            notify_absent_param: AbsentParam::default(),
            notify_body_limit: paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT,
        }
    }
}

/// How [`crate::notify::verify_notify_with`] signs a notify that has no `param` member at all.
///
/// **Inferred**: the template document signs `param=<value>` always and does not say what is
/// signed when the order had no `param` and the member is left out. (A `"param": null` or
/// `"param": ""` member is signed as empty under every choice.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AbsentParam {
    /// Sign `param=` (empty value) in its place, as a signer building the string from its
    /// own record of the order would.
    #[default]
    SignedAsEmpty,
    /// Leave `param=` out of the signed string (six fields), as a signer that signs only the
    /// members it sends would. [`crate::notify::Notification::param`] is then empty.
    NotSigned,
    /// Refuse the notify with [`crate::NotifyError::MissingField`].
    Refused,
}
