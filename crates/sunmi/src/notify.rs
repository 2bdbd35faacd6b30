//! The payment and refund notify (sunmi.txt §2.2, §4.3.5, §6): signed with SHA256withRSA by
//! Sunmi, verified with the Sunmi public key.
//!
//! # Transports
//! §4.3.5 and §6.1 say the notify is a form POST (`x-www-form-urlencoded`), the default here.
//! The document's own samples (§4.3.5, §6.2) are JSON objects with numbers, and the §6.2
//! sample verifies when its members are signed as written. So a JSON body is accepted too:
//! told by a `Content-Type` of `application/json` (or `…+json`), or, without one of the two
//! known types, by a first non-whitespace byte `{` ([`NotifyFormat`]). A JSON member is signed
//! as the text received ([`paysig::rawjson::params_as_received`]): a number as its exact
//! digits (`1.10` stays `1.10`), a string unescaped, `null` as empty, an object or array as
//! its JSON text byte for byte (no documented field is nested; this is an inference, and a
//! sender that signed another rendering fails closed as a mismatch).
//!
//! # The signed string and its one reading
//! The signed string is every received pair but `sign`, sorted by name bytes, `k=v` joined
//! by `&`, empty values kept (`businessId=`). It is not escaped: `origBusinessId=B&origMisId=OM`
//! is what Sunmi signs for two fields, and also what a forger gets from the one field
//! `origBusinessId` = `B&origMisId=OM`. A notify is therefore accepted only if the signed
//! bytes read back into exactly the fields received. The grammar, enforced by
//! [`paysig::CanonicalRules::build_unambiguous`] in [`verify_notify_with`] for both
//! transports, before the signature is checked:
//!
//! - a signed name (every name but `sign`) must be non-empty and hold neither `&` nor `=`;
//! - a signed value must not hold `&` (`=` is fine: a pair splits at its first `=`).
//!
//! Anything else is [`NotifyError::Ambiguous`] naming the field, whatever the signature says.
//! A genuine Sunmi value holding `&` is refused too: its signature could not tell it apart
//! from a forgery.
//!
//! # Order of checks
//! body size ([`NotifyError::BodyTooLarge`], before any parsing) → body
//! ([`NotifyError::Malformed`] / [`NotifyError::DuplicateField`]) →
//! `sign` present ([`NotifyError::MissingSignature`]) → one reading
//! ([`NotifyError::Ambiguous`]) → signature ([`NotifyError::BadSignatureEncoding`] /
//! [`NotifyError::SignatureMismatch`]) → fields ([`NotifyError::MissingField`] /
//! [`NotifyError::MalformedNumber`]).
//!
//! ```
//! use paysig::RsaPublicKey;
//! use sunmi::notify::{verify_notify_with, NotifyError, NotifyOptions};
//!
//! let key = RsaPublicKey::from_pem_or_base64(sunmi::TEST_PUBLIC_KEY).unwrap();
//! // The attacker's notify: `origMisId=OM` moved into the value of `origBusinessId`.
//! let forged = b"origBusinessId=B%26origMisId%3DOM&sign=AAAA";
//! let err = verify_notify_with(None, forged, &key, &NotifyOptions::default()).unwrap_err();
//! assert_eq!(err, NotifyError::Ambiguous { field: "origBusinessId".into() });
//! assert!(err.to_string().contains("origBusinessId"));
//! ```

pub use crate::error::NotifyError;
use crate::model::{OrderType, Platform, TradeState};
use paysig::limit::{DEFAULT_NOTIFY_BODY_LIMIT, check_body_len};
use paysig::rawjson::{AsReceivedError, NestedValues, params_as_received};
use paysig::{CanonicalRules, FormError, Money, Params, RsaPublicKey, SignError, Verified};

/// The body to answer a notify that was verified and processed: exactly `success`
/// (sunmi.txt §6.3; anything else makes Sunmi retry at 1s/15s/30s/3m/10m/10m/1h/2h/6h/15h).
pub const ACK: &str = "success";

/// The Sunmi public key of the test environment (sunmi.txt §6.4), base64 DER (SPKI).
/// Production keys are sent by Sunmi by e-mail per integrator.
pub const TEST_PUBLIC_KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA9KIGIdV5W1oDXGf/HgUPjBvxYzPZpTiywWuCZZsu/kR3bJXhTfRFZHJfT7xQRdPkqV4ZeviZfopGqyr5PJvHwgy4bA2DFmqo9cZ36SetfY1eyBw398wHmSl7yoDEt/j+eraFXonKq2nrHQwt0/AQE7fNh+6KAg7Io9D49MCw0v4yF/FkhOAque/550tpek0Vdg5pX828OCXVW+wxwSEJMWJYQm8c5NJEhj1R5lThQtSSXrZ+C8zEUNuUvYODy5YYA6X1LFmu4bm9SEBl6ioqW1rWwgoxx3RXR94lkax1T1mJx8KFYGbZg3W5s05lEPHR3/mcJnFgEMqmtImVZ4OIvwIDAQAB";

/// The signed string of a notify: every pair but `sign`, sorted, empty values kept.
pub fn canonical_rules() -> CanonicalRules {
    CanonicalRules::sorted().exclude(["sign"]).keep_empty()
}

/// The original trade of a refund notify (sunmi.txt §4.3.5: "以下字段只有此订单为退款订单时才会有").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOrigin {
    /// `origMisId`: the original trade's cashier order number.
    pub orig_mis_id: Option<String>,
    /// `origOrderId`: the original trade's merchant order number.
    pub orig_order_id: Option<String>,
    /// `origPlatformId`: the original trade's channel order number.
    pub orig_platform_id: Option<String>,
    /// `origBusinessId`: the original trade's SaaS business number.
    pub orig_business_id: Option<String>,
}

/// A verified payment or refund notify (sunmi.txt §4.3.5 / §6.1). Only obtainable as
/// `Verified<Notification>` from [`verify_notify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// `amount`: the trade amount (fen).
    pub amount: Money,
    /// `businessId`: the SaaS business number (often empty).
    pub business_id: String,
    /// `buyerPayAmount`: what the user paid (fen).
    pub buyer_pay_amount: Money,
    /// `misId`: Sunmi cashier order number.
    pub mis_id: String,
    /// `msn`: the device SN.
    pub msn: String,
    /// `orderId`: the merchant order number.
    pub order_id: String,
    /// `orderType`.
    pub order_type: OrderType,
    /// `payTime`: unix timestamp (seconds).
    pub pay_time: i64,
    /// `platform`.
    pub platform: Platform,
    /// `buyerLogonId`: the payer (openId / userId). Documented as required but absent from
    /// the §6.2 sample, so optional here (inference).
    pub buyer_logon_id: Option<String>,
    /// `platformId`: the channel order number.
    pub platform_id: String,
    /// `refunded`: total refunded so far (fen).
    pub refunded: Money,
    /// `resultCode` (e.g. `T00`); kept raw because the notify codes are channel codes.
    pub result_code: crate::model::BusinessCode,
    /// `resultMsg`.
    pub result_msg: String,
    /// `state`.
    pub state: TradeState,
    /// The original trade, present when any `orig*` field is (refund notifies).
    pub refund_origin: Option<RefundOrigin>,
}

impl Notification {
    /// True for a refund notify (`orderType` 1 or any `orig*` field present).
    pub fn is_refund(&self) -> bool {
        self.order_type == OrderType::Refund || self.refund_origin.is_some()
    }

    /// Checks the notified `amount` against the amount the merchant expects for this order.
    /// Call it before marking an order paid.
    pub fn check_amount(&self, expected: Money) -> Result<(), NotifyError> {
        if self.amount == expected {
            Ok(())
        } else {
            Err(NotifyError::AmountMismatch {
                expected,
                got: self.amount,
            })
        }
    }
}

/// How a notify body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyFormat {
    /// `application/x-www-form-urlencoded` (sunmi.txt §4.3.5, §6.1: the documented default).
    Form,
    /// A JSON object (the shape of the samples in §4.3.5 and §6.2).
    Json,
}

impl NotifyFormat {
    /// The format of a body: by `Content-Type` when it names form or JSON (parameters such as
    /// `; charset=utf-8` ignored, case-insensitive), otherwise by the first non-whitespace
    /// byte (`{` is JSON, anything else a form).
    ///
    /// ```
    /// use sunmi::notify::NotifyFormat;
    /// assert_eq!(NotifyFormat::detect(Some("application/json; charset=utf-8"), b"a=1"), NotifyFormat::Json);
    /// assert_eq!(NotifyFormat::detect(Some("application/x-www-form-urlencoded"), b"{}"), NotifyFormat::Form);
    /// assert_eq!(NotifyFormat::detect(None, b" \n{\"a\":1}"), NotifyFormat::Json);
    /// assert_eq!(NotifyFormat::detect(Some("text/plain"), b"a=1"), NotifyFormat::Form);
    /// ```
    pub fn detect(content_type: Option<&str>, body: &[u8]) -> NotifyFormat {
        let media = content_type
            .and_then(|ct| ct.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase());
        match media.as_deref() {
            Some("application/json") => NotifyFormat::Json,
            Some(m) if m.ends_with("+json") => NotifyFormat::Json,
            Some("application/x-www-form-urlencoded") => NotifyFormat::Form,
            _ => match body.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') => NotifyFormat::Json,
                _ => NotifyFormat::Form,
            },
        }
    }
}

/// Settings of notify verification that are not per request.
///
/// ```
/// use sunmi::notify::NotifyOptions;
/// let options = NotifyOptions::default().with_body_limit(16 * 1024);
/// assert_eq!(options.body_limit, 16 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotifyOptions {
    /// The longest body read, in bytes; a longer one is refused before parsing
    /// ([`NotifyError::BodyTooLarge`]). Default [`DEFAULT_NOTIFY_BODY_LIMIT`] (64 KiB; a
    /// Sunmi refund notify is under 2 KiB).
    pub body_limit: usize,
}

impl Default for NotifyOptions {
    fn default() -> Self {
        NotifyOptions {
            body_limit: DEFAULT_NOTIFY_BODY_LIMIT,
        }
    }
}

impl NotifyOptions {
    /// Sets [`NotifyOptions::body_limit`].
    pub fn with_body_limit(mut self, body_limit: usize) -> Self {
        self.body_limit = body_limit;
        self
    }
}

/// Verifies a notify from the raw body (a form, or a JSON object when its first
/// non-whitespace byte is `{`) with the default [`NotifyOptions`], and returns it typed.
/// When the request's `Content-Type` is at hand, prefer [`verify_notify_with`].
///
/// Errors: see [`verify_notify_with`].
pub fn verify_notify(
    body: &[u8],
    sunmi_public_key: &RsaPublicKey,
) -> Result<Verified<Notification>, NotifyError> {
    verify_notify_with(None, body, sunmi_public_key, &NotifyOptions::default())
}

/// Verifies a notify from the raw body and the request's `Content-Type` (format chosen by
/// [`NotifyFormat::detect`]), and returns it typed.
///
/// Errors, in the order checked: [`NotifyError::BodyTooLarge`]; [`NotifyError::Malformed`] /
/// [`NotifyError::DuplicateField`] (body);
/// [`NotifyError::MissingSignature`]; [`NotifyError::Ambiguous`] (the signed string has
/// another reading, see the [module docs](self)); [`NotifyError::BadSignatureEncoding`] /
/// [`NotifyError::SignatureMismatch`]; then, only for a genuine notify,
/// [`NotifyError::MissingField`] / [`NotifyError::MalformedNumber`].
///
/// ```
/// use paysig::RsaPublicKey;
/// use sunmi::notify::{verify_notify_with, NotifyOptions};
///
/// // The §6.2 sample as the document prints it, verified with the §6.4 test key.
/// let body = br#"{"amount":1,"businessId":"","buyerPayAmount":1,"misId":"test_5F5EC7A54CDCC58BADC425","msn":"D804P89V00033","orderId":"15632714718760","orderType":0,"payTime":1563271502,"platform":"alipay","platformId":"2019071622001419071050445382","refunded":"0","resultCode":"T00","resultMsg":"Success","sign":"GW6jDdLQ1z+CFtLoKjmxtMiHeKjm2ZgMTq19gQisV/PpOPIBeDXhWEu5WSzxZwiJHVzCQrPhyZX6kdwQ9xGTyxbsKTZj31zUxtWqqcmol7DpkGJRuG9wzqnNCZ7kmUrk8/XLs1TRxIusCQuojEZOdsE/EWqy/OlX4TrD0WqCeW9Kkk1IB5izAamv9BcEEPgYFLo0hBujo85GEjjzJrFs9ds59TYe0ElOZ6zdputanCJZuM6/SqQ4a1Xoy/MJFKhA6K0zc8ZPFiW0bBMhVFSwSwRY3IEsP0YWva7QcT9AjVW2FFILghJ5vrjonAmhmKCIwtHMA8zwM9j6qgMEF0kCGg==","state":3}"#;
/// let key = RsaPublicKey::from_pem_or_base64(sunmi::TEST_PUBLIC_KEY).unwrap();
/// let n = verify_notify_with(Some("application/json"), body, &key, &NotifyOptions::default()).unwrap();
/// assert_eq!(n.order_id, "15632714718760");
/// assert_eq!(n.amount, paysig::Money::from_fen(1));
/// ```
pub fn verify_notify_with(
    content_type: Option<&str>,
    body: &[u8],
    sunmi_public_key: &RsaPublicKey,
    options: &NotifyOptions,
) -> Result<Verified<Notification>, NotifyError> {
    check_body_len(body, options.body_limit).map_err(|e| NotifyError::BodyTooLarge {
        len: e.len,
        limit: e.limit,
    })?;
    let params = match NotifyFormat::detect(content_type, body) {
        NotifyFormat::Form => Params::parse_form(body).map_err(|e| match e {
            FormError::DuplicateKey { key } => NotifyError::DuplicateField { field: key },
            FormError::NotUtf8 => NotifyError::Malformed {
                reason: "the form is not UTF-8 after decoding".into(),
            },
        })?,
        NotifyFormat::Json => {
            params_as_received(body, NestedValues::RawText).map_err(|e| match e {
                AsReceivedError::DuplicateKey { name } => {
                    NotifyError::DuplicateField { field: name }
                }
                other => NotifyError::Malformed {
                    reason: other.to_string(),
                },
            })?
        }
    };
    verify_notify_params(params, sunmi_public_key)
}

/// Verifies a notify whose body the web framework already decoded into pairs. The pairs must
/// be the received ones, in full, with duplicates refused, and each value the text received
/// (a JSON number's digits as written); prefer [`verify_notify_with`]. The body-size limit is
/// the caller's here.
pub fn verify_notify_params(
    params: Params,
    sunmi_public_key: &RsaPublicKey,
) -> Result<Verified<Notification>, NotifyError> {
    let sign = match params.get("sign") {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => return Err(NotifyError::MissingSignature),
    };
    // One reading before the signature: a valid signature over a string that also reads as
    // other fields proves nothing about the fields received.
    let message = canonical_rules()
        .build_unambiguous(&params)
        .map_err(|e| match e {
            SignError::Ambiguous { field } => NotifyError::Ambiguous { field },
            other => NotifyError::Verification(other),
        })?;
    let verified = sunmi_public_key
        .verify_sha256(params, message.as_bytes(), &sign)
        .map_err(|e| match e {
            SignError::MissingSignature { .. } => NotifyError::MissingSignature,
            SignError::BadEncoding { .. } => NotifyError::BadSignatureEncoding,
            SignError::Mismatch => NotifyError::SignatureMismatch,
            other => NotifyError::Verification(other),
        })?;
    verified.try_map(|p| parse_notification(&p))
}

fn required<'a>(p: &'a Params, field: &'static str) -> Result<&'a str, NotifyError> {
    p.get(field).ok_or(NotifyError::MissingField { field })
}

fn fen(p: &Params, field: &'static str) -> Result<Money, NotifyError> {
    Money::parse_fen(required(p, field)?).map_err(|_| NotifyError::MalformedNumber { field })
}

fn int(p: &Params, field: &'static str) -> Result<i64, NotifyError> {
    let raw = required(p, field)?;
    // `i64::from_str` accepts a leading `+`; a signed field must be plain digits.
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NotifyError::MalformedNumber { field });
    }
    raw.parse()
        .map_err(|_| NotifyError::MalformedNumber { field })
}

fn parse_notification(p: &Params) -> Result<Notification, NotifyError> {
    let opt = |k: &str| p.get(k).map(str::to_owned);
    let origin = RefundOrigin {
        orig_mis_id: opt("origMisId"),
        orig_order_id: opt("origOrderId"),
        orig_platform_id: opt("origPlatformId"),
        orig_business_id: opt("origBusinessId"),
    };
    let has_origin = origin.orig_mis_id.is_some()
        || origin.orig_order_id.is_some()
        || origin.orig_platform_id.is_some()
        || origin.orig_business_id.is_some();
    Ok(Notification {
        amount: fen(p, "amount")?,
        business_id: required(p, "businessId")?.to_owned(),
        buyer_pay_amount: fen(p, "buyerPayAmount")?,
        mis_id: required(p, "misId")?.to_owned(),
        msn: required(p, "msn")?.to_owned(),
        order_id: required(p, "orderId")?.to_owned(),
        order_type: OrderType::from(int(p, "orderType")?),
        pay_time: int(p, "payTime")?,
        platform: Platform::from(required(p, "platform")?),
        buyer_logon_id: opt("buyerLogonId"),
        platform_id: required(p, "platformId")?.to_owned(),
        refunded: fen(p, "refunded")?,
        result_code: crate::model::BusinessCode::from(required(p, "resultCode")?),
        result_msg: required(p, "resultMsg")?.to_owned(),
        state: TradeState::from(int(p, "state")?),
        refund_origin: has_origin.then_some(origin),
    })
}
