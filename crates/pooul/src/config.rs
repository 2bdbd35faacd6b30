//! Hosts, credentials and the switches for behaviours the document leaves open.
//!
//! Every payhub provider crate builds its client the same way: `Config::new(environment,
//! <the id the provider assigned>, <credentials>)` (a shared secret as
//! `impl Into<SecretString>`, an RSA key as a loaded key), then `Client::new(config)`.

use paysig::http::HttpConfig;
use paysig::limit::DEFAULT_NOTIFY_BODY_LIMIT;
use paysig::rsa::KeySizePolicy;
use paysig::{RsaPrivateKey, RsaPublicKey};
use std::time::Duration;
use url::Url;

/// Which Pooul host the client talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// The test host `https://api-dev.pooul.com/`.
    Test,
    /// The UAT host `https://api-uat.pooul.com/` (named in Pooul's developer docs, not in
    /// pooul.md).
    Uat,
    /// The production host `https://api.pooul.com/`.
    Production,
    /// Any other base URL (a local mock, a proxy). A path prefix is kept.
    Custom(Url),
}

impl Environment {
    /// The base URL, always ending in `/` so that `v2/...` joins below it.
    pub fn base_url(&self) -> Url {
        let mut url = match self {
            Environment::Test => Url::parse("https://api-dev.pooul.com/"),
            Environment::Uat => Url::parse("https://api-uat.pooul.com/"),
            Environment::Production => Url::parse("https://api.pooul.com/"),
            Environment::Custom(url) => Ok(url.clone()),
        }
        .unwrap_or_else(|_| unreachable!("the documented hosts are valid URLs"));
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        url.set_query(None);
        url
    }
}

/// The key-size policy of Pooul's platform (public) key: [`KeySizePolicy::Legacy1024`].
///
/// Pooul's developer docs publish a 1024-bit platform key and sign their sample answer with it
/// (`fixtures/pooul/devdocs/`), so a client that refused keys under 2048 bits could not verify
/// a single answer or notify. The key only verifies; [`crate::Client::new`] logs one warning
/// naming its size when it is under 2048 bits.
pub const PLATFORM_KEY_POLICY: KeySizePolicy = KeySizePolicy::Legacy1024;

/// Loads Pooul's platform public key (PEM `PUBLIC KEY`/`RSA PUBLIC KEY`, or bare base64 DER,
/// as `GET /cms/pooul_public_key` prints it) under [`PLATFORM_KEY_POLICY`]: 1024 to 4096 bits.
///
/// ```
/// let pem = "-----BEGIN PUBLIC KEY-----
/// MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+Vd3j0McNfR3VvT7mZp/7M6UL
/// FJSc3dh3/56JP8DZk+cDlXC2LR0z0OELJeyTitFeBjpPWzWH3OOFI/OL3nD5/oNZ
/// fK+wHd4Tzxj2SdWlyuqRhNv3xG2obUUYZ9urUvkCvxL1SclaXW7cq22V/TTNSgJq
/// 7CGdc+q/XLNqcmLt7QIDAQAB
/// -----END PUBLIC KEY-----";
/// let key = pooul::load_platform_key(pem).unwrap();
/// assert_eq!(key.modulus_bits(), 1024);
/// ```
pub fn load_platform_key(text: &str) -> Result<RsaPublicKey, crate::Error> {
    load_platform_key_with(text, PLATFORM_KEY_POLICY)
}

/// As [`load_platform_key`] under another policy ([`KeySizePolicy::Standard`] refuses a
/// platform key under 2048 bits).
pub fn load_platform_key_with(
    text: &str,
    policy: KeySizePolicy,
) -> Result<RsaPublicKey, crate::Error> {
    RsaPublicKey::from_pem_or_base64_with_policy(text, policy).map_err(|e| {
        crate::Error::Validation {
            field: "pooul_public_key",
            reason: e.to_string(),
        }
    })
}

/// Loads the merchant's private (signing) key: PEM PKCS#8/PKCS#1 or bare base64 DER, 2048 to
/// 4096 bits. No policy lowers that bound: a signing key under 2048 bits is refused.
pub fn load_merchant_key(text: &str) -> Result<RsaPrivateKey, crate::Error> {
    RsaPrivateKey::from_pem_or_base64(text).map_err(|e| crate::Error::Validation {
        field: "merchant_key",
        reason: e.to_string(),
    })
}

/// What to do with a response that is plain JSON instead of a signed JWT.
///
/// Pooul's developer docs say a failure "may" come back as unsigned `{code, msg}`. Whatever
/// the choice here, an unsigned body that claims success (`code` 0) is never believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PlainJsonFailures {
    /// Report an unsigned `{code, msg}` with a non-zero code as [`crate::Error::Api`]
    /// (with `signed: false`).
    #[default]
    Accept,
    /// Refuse every unsigned body with [`crate::Error::Unsigned`].
    Reject,
}

/// Whether a response's `mch_trade_id` / `merchant_id` must be the ones asked about.
///
/// The document does not say that Pooul echoes them, but every sample does. Checking them
/// stops a signed answer about another order (replayed, or mixed up by a proxy) from being
/// taken for this one. This is an inference: switch it off if Pooul ever answers otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EchoCheck {
    /// A differing echoed value, or one that is neither a string nor a number, is
    /// [`crate::Error::ResponseMismatch`]; an absent (or `null`) one is accepted.
    #[default]
    Enforce,
    /// Do not compare.
    Ignore,
}

/// The earliest moment a reverse may be sent after a micro-pay request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReverseDelay {
    /// 15 s, the document's minimum ("建议支付后至少15s后再调用撤销订单接口").
    #[default]
    DocumentMinimum,
    /// A caller-chosen delay, shorter or longer than the document's.
    Override(Duration),
}

impl ReverseDelay {
    /// The document's minimum delay before a reverse.
    pub const DOCUMENT_MINIMUM: Duration = Duration::from_secs(15);

    /// The delay in force.
    pub fn duration(self) -> Duration {
        match self {
            ReverseDelay::DocumentMinimum => Self::DOCUMENT_MINIMUM,
            ReverseDelay::Override(d) => d,
        }
    }
}

/// What [`crate::Client::micro_pay`] does when the pay call ends without a trustworthy
/// answer (timeout, truncated body, 5xx, garbage, bad signature, or a refusal that
/// [`MicroPayApiErrors`] counts as a system error).
///
/// The document only says to query after a "系统错误"; reading every such failure as one is
/// an inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnknownPayOutcome {
    /// Query after `system_error_wait`, then poll and reverse like a paying trade.
    #[default]
    QueryThenReverse,
    /// Return the error at once; the caller settles the order (query or reverse) itself.
    ReturnError,
}

/// Which refusals (`code` ≠ 0, [`crate::Error::Api`]) of a micro-pay leave its outcome unknown.
///
/// pooul.md's reminder 1: when the pay answers "系统错误", wait 5 s, query, and reverse if
/// the state stays unclear. The document lists no error codes, so a system error is
/// recognised by its words ([`crate::Error::is_system_error`]): an inference. Either way
/// [`UnknownPayOutcome::ReturnError`] still returns the error instead of querying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MicroPayApiErrors {
    /// A system error ("系统错误" / "SYSTEMERROR" in `msg` or `trade_info`) is queried, then
    /// reversed if still unclear; any other refusal (invalid auth code, insufficient
    /// balance, ...) is returned as the error it is.
    #[default]
    QuerySystemErrors,
    /// Every refusal is queried, then reversed if still unclear. Costs the query/reverse
    /// round (at least the reverse delay) on plain refusals, and a reverse of an order Pooul
    /// never created may itself fail ([`crate::Error::ReverseFailed`]); use it when Pooul's
    /// messages cannot be relied on to name a system error.
    QueryAll,
}

/// Timings of [`crate::Client::micro_pay`] (reminders 1 and 2 of `common.micro`).
///
/// All times are measured from the moment the pay request is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicroPayTimings {
    /// Time between queries while the trade is paying (document: "建议10秒").
    pub poll_interval: Duration,
    /// No query is sent after this (document: "超时(建议30秒)").
    pub poll_deadline: Duration,
    /// Wait before the first query when the pay call ended without a usable answer
    /// (document: "系统错误" → "等待5秒后调用【查询订单API】").
    pub system_error_wait: Duration,
    /// Earliest reverse.
    pub reverse_delay: ReverseDelay,
    /// Reverse calls before giving up (document: "当撤销无返回或错误时，请再次调用").
    pub reverse_attempts: u32,
    /// Wait between two reverse calls.
    pub reverse_retry_interval: Duration,
}

impl Default for MicroPayTimings {
    fn default() -> Self {
        MicroPayTimings {
            poll_interval: Duration::from_secs(10),
            poll_deadline: Duration::from_secs(30),
            system_error_wait: Duration::from_secs(5),
            reverse_delay: ReverseDelay::DocumentMinimum,
            reverse_attempts: 3,
            reverse_retry_interval: Duration::from_secs(5),
        }
    }
}

/// Everything a [`crate::Client`] needs. Printing it never shows the private key.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which host.
    pub environment: Environment,
    /// The merchant number Pooul assigned: 16 digits, checked by [`crate::Client::new`].
    pub merchant_id: String,
    /// The merchant's RSA private key: signs every request JWT.
    pub merchant_key: RsaPrivateKey,
    /// Pooul's RSA public key: verifies every response and notify JWT. Load it with
    /// [`load_platform_key`] (1024 bits accepted: see [`PLATFORM_KEY_POLICY`]).
    pub pooul_public_key: RsaPublicKey,
    /// Further Pooul public keys, tried in order after [`Config::pooul_public_key`], while
    /// Pooul rotates its key: an answer or a notify signed with the next key must still be
    /// read, or every create during the switch would end with its outcome unknown. Empty by
    /// default; remove the old key once the rotation is over.
    pub rotation_public_keys: Vec<RsaPublicKey>,
    /// The largest notify body read, in bytes ([`DEFAULT_NOTIFY_BODY_LIMIT`] by default); a
    /// longer one is refused before parsing ([`crate::NotifyError::BodyTooLarge`]).
    pub notify_body_limit: usize,
    /// Timeouts and retry of the HTTP sender (queries only are repeated).
    pub http: HttpConfig,
    /// Micro-pay flow timings.
    pub micropay: MicroPayTimings,
    /// Unsigned failure bodies.
    pub plain_json_failures: PlainJsonFailures,
    /// Comparing echoed identifiers.
    pub echo_check: EchoCheck,
    /// Micro-pay after a pay call without a trustworthy answer.
    pub micropay_unknown_outcome: UnknownPayOutcome,
    /// Micro-pay refusals that leave the outcome unknown.
    pub micropay_api_errors: MicroPayApiErrors,
}

impl Config {
    /// A configuration with the default timings and switches. Pooul's credentials are RSA
    /// keys, so they are loaded first ([`load_merchant_key`], [`load_platform_key`]).
    ///
    /// ```no_run
    /// use pooul::{Config, Environment, load_merchant_key, load_platform_key};
    /// let merchant_key = load_merchant_key(&std::env::var("POOUL_MERCHANT_KEY").unwrap())?;
    /// let pooul_key = load_platform_key(&std::env::var("POOUL_PUBLIC_KEY").unwrap())?;
    /// let config = Config::new(Environment::Test, "5399355381712172", merchant_key, pooul_key);
    /// # Ok::<(), pooul::Error>(())
    /// ```
    pub fn new(
        environment: Environment,
        merchant_id: impl Into<String>,
        merchant_key: RsaPrivateKey,
        pooul_public_key: RsaPublicKey,
    ) -> Self {
        Config {
            environment,
            merchant_id: merchant_id.into(),
            merchant_key,
            pooul_public_key,
            rotation_public_keys: Vec::new(),
            notify_body_limit: DEFAULT_NOTIFY_BODY_LIMIT,
            http: HttpConfig::default(),
            micropay: MicroPayTimings::default(),
            plain_json_failures: PlainJsonFailures::default(),
            echo_check: EchoCheck::default(),
            micropay_unknown_outcome: UnknownPayOutcome::default(),
            micropay_api_errors: MicroPayApiErrors::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_end_in_a_slash() {
        assert_eq!(
            Environment::Test.base_url().as_str(),
            "https://api-dev.pooul.com/"
        );
        assert_eq!(
            Environment::Uat.base_url().as_str(),
            "https://api-uat.pooul.com/"
        );
        assert_eq!(
            Environment::Production.base_url().as_str(),
            "https://api.pooul.com/"
        );
        let custom = Url::parse("http://127.0.0.1:9/prefix").unwrap();
        assert_eq!(
            Environment::Custom(custom)
                .base_url()
                .join("v2/pay")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/prefix/v2/pay"
        );
    }
}
