//! The payment and refund notify (sunmi.txt §2.2, §4.3.5, §6): a form POST signed with
//! SHA256withRSA by Sunmi, verified with the Sunmi public key.
//!
//! The signed string is every received pair but `sign`, sorted by key bytes, `k=v` joined by
//! `&`, empty values kept (`businessId=`). Verification runs over the pairs exactly as
//! received, so a field this crate does not model is still covered by the signature.

use crate::error::NotifyError;
use crate::model::{OrderType, Platform, TradeState};
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

/// Verifies a notify from the raw form body and returns it typed.
///
/// Errors, in the order checked: [`NotifyError::BadForm`] / [`NotifyError::DuplicateField`]
/// (body), [`NotifyError::MissingSignature`], [`NotifyError::BadSignatureEncoding`],
/// [`NotifyError::SignatureMismatch`], then (only for a genuine notify)
/// [`NotifyError::MissingField`] / [`NotifyError::MalformedNumber`].
pub fn verify_notify(
    body: &[u8],
    sunmi_public_key: &RsaPublicKey,
) -> Result<Verified<Notification>, NotifyError> {
    let params = Params::parse_form(body).map_err(|e| match e {
        FormError::DuplicateKey { key } => NotifyError::DuplicateField { field: key },
        FormError::NotUtf8 => NotifyError::BadForm,
    })?;
    verify_notify_params(params, sunmi_public_key)
}

/// Verifies a notify whose form the web framework already decoded into pairs. The pairs must
/// be the received ones, in full, with duplicates refused; prefer [`verify_notify`].
pub fn verify_notify_params(
    params: Params,
    sunmi_public_key: &RsaPublicKey,
) -> Result<Verified<Notification>, NotifyError> {
    let sign = match params.get("sign") {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => return Err(NotifyError::MissingSignature),
    };
    let message = canonical_rules()
        .build(&params)
        .map_err(NotifyError::Verification)?;
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
