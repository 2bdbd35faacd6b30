//! 支付结果通知 (pay notify) and 退款结果通知 (refund notify).
//!
//! The HTTP body Pooul posts is a compact RS256 JWT signed with Pooul's private key. It is
//! verified over the exact bytes received, with `alg` pinned to RS256 (`none`, `HS256` and the
//! rest are refused before any signature arithmetic), and only then parsed. The refund notify
//! is documented as "方式与支付结果通知一样"; its payload shape comes from Pooul's developer
//! docs, where `refunds` is one object: a list is accepted too.
//!
//! A body longer than the reader's limit ([`DEFAULT_NOTIFY_BODY_LIMIT`] unless configured) is
//! refused before anything is parsed; a token without a signature is
//! [`NotifyError::MissingSignature`]; a payload with a duplicate member is refused after the
//! signature ([`NotifyError::DuplicateField`]), so that what was signed has one reading, and
//! one lacking a required field is [`NotifyError::MissingField`].
//!
//! The same notify may arrive several times (15/15/30/180/1800/1800/1800/1800/3600 s):
//! process it idempotently, check the amount with [`PayNotify::check_amount`] (a refund:
//! [`RefundNotify::check_refunded`]), then answer [`ACK`].

use crate::error::NotifyError;
use crate::model::codes::{PayTypeCode, TradeState};
use crate::model::refund::{RefundItem, one_or_many};
use crate::unique::NotUnique;
use paysig::jwt::JwtError;
use paysig::limit::{BodyTooLarge, DEFAULT_NOTIFY_BODY_LIMIT, check_body_len};
use paysig::{Money, RsaPublicKey, Verified};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The acknowledgement body ("需要响应字符串"success"（大小写皆可）").
pub const ACK: &str = "success";

/// A verified pay notify payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PayNotify {
    /// `code`: 0 for a normal notify.
    #[serde(deserialize_with = "paysig::lenient::number")]
    pub code: i64,
    /// `msg`, when present.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub msg: Option<String>,
    /// `data`.
    pub data: PayNotifyData,
    /// `nonce_str`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub nonce_str: Option<String>,
}

/// `data` of a pay notify.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PayNotifyData {
    /// `trade_id`: Pooul's order number.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub trade_id: String,
    /// `attach`, as sent with the pay.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub attach: Option<String>,
    /// `mch_trade_id`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub mch_trade_id: String,
    /// `merchant_id`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub merchant_id: String,
    /// `pay_type`.
    pub pay_type: PayTypeCode,
    /// `total_fee` in fen.
    #[serde(with = "paysig::money::wire::fen_int")]
    pub total_fee: Money,
    /// `trade_state`.
    pub trade_state: TradeState,
    /// `trade_info`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub trade_info: Option<String>,
}

impl PayNotify {
    /// True when the notify reports a paid order (`code` 0 and `trade_state` 0).
    pub fn is_paid(&self) -> bool {
        self.code == 0 && self.data.trade_state == TradeState::Success
    }

    /// Checks the notified `total_fee` against the order's amount ("校验返回的订单金额是否与
    /// 商户侧的订单金额一致").
    pub fn check_amount(&self, expected: Money) -> Result<(), NotifyError> {
        if self.data.total_fee != expected {
            return Err(NotifyError::AmountMismatch {
                expected,
                got: self.data.total_fee,
            });
        }
        Ok(())
    }
}

/// A verified refund notify payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RefundNotify {
    /// `code`.
    #[serde(deserialize_with = "paysig::lenient::number")]
    pub code: i64,
    /// `msg`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub msg: Option<String>,
    /// `data`.
    pub data: RefundNotifyData,
}

/// `data` of a refund notify.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RefundNotifyData {
    /// `trade_id`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub trade_id: String,
    /// `mch_trade_id`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub mch_trade_id: String,
    /// `merchant_id`.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub merchant_id: String,
    /// `pay_type`.
    #[serde(default)]
    pub pay_type: Option<PayTypeCode>,
    /// `refunds`: one object in the developer docs, a list in refund query; both read.
    #[serde(deserialize_with = "one_or_many")]
    pub refunds: Vec<RefundItem>,
}

/// Which refund of a refund notify is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundKey<'a> {
    /// By the merchant's refund number (`mch_refund_id`, as sent with the refund).
    Merchant(&'a str),
    /// By Pooul's refund number (`refund_id`), for a refund sent without `mch_refund_id`.
    Pooul(&'a str),
}

impl RefundNotify {
    /// The one refund of the notify that `key` names. A notify may carry every refund of the
    /// order; none matching is [`NotifyError::RefundNotFound`], two matching is
    /// [`NotifyError::Malformed`].
    pub fn refund(&self, key: RefundKey<'_>) -> Result<&RefundItem, NotifyError> {
        let mut matching = self.data.refunds.iter().filter(|r| match key {
            RefundKey::Merchant(id) => r.mch_refund_id.as_deref() == Some(id),
            RefundKey::Pooul(id) => r.refund_id == id,
        });
        let found = matching.next().ok_or_else(|| NotifyError::RefundNotFound {
            id: match key {
                RefundKey::Merchant(id) | RefundKey::Pooul(id) => id.to_owned(),
            },
        })?;
        if matching.next().is_some() {
            return Err(NotifyError::Malformed {
                reason: format!("more than one refund matches {key:?}"),
            });
        }
        Ok(found)
    }

    /// Checks the `refund_fee` of the refund `key` names (see [`RefundNotify::refund`])
    /// against the amount the merchant asked to refund. Only that refund is compared: the
    /// other refunds a notify may list are not summed in.
    pub fn check_refunded(&self, key: RefundKey<'_>, expected: Money) -> Result<(), NotifyError> {
        let got = self.refund(key)?.refund_fee;
        if got != expected {
            return Err(NotifyError::AmountMismatch { expected, got });
        }
        Ok(())
    }
}

/// A verified notify: a pay notify or a refund notify, told apart by the payload (a refund
/// notify's `data` carries `refunds`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Notification {
    /// 支付结果通知.
    Pay(PayNotify),
    /// 退款结果通知.
    Refund(RefundNotify),
}

impl Notification {
    /// The notify's `merchant_id`.
    pub fn merchant_id(&self) -> &str {
        match self {
            Notification::Pay(n) => &n.data.merchant_id,
            Notification::Refund(n) => &n.data.merchant_id,
        }
    }

    /// Checks the notified amount: a pay notify's `total_fee` against the order's amount
    /// ([`PayNotify::check_amount`]); a refund notify's `refund_fee` against the refund's
    /// amount when it carries exactly one refund. A refund notify listing several refunds is
    /// refused ([`NotifyError::Malformed`]): name the refund with
    /// [`RefundNotify::check_refunded`].
    pub fn check_amount(&self, expected: Money) -> Result<(), NotifyError> {
        match self {
            Notification::Pay(n) => n.check_amount(expected),
            Notification::Refund(n) => match n.data.refunds.as_slice() {
                [only] if only.refund_fee == expected => Ok(()),
                [only] => Err(NotifyError::AmountMismatch {
                    expected,
                    got: only.refund_fee,
                }),
                more => Err(NotifyError::Malformed {
                    reason: format!(
                        "the refund notify lists {} refunds: name one with RefundNotify::check_refunded",
                        more.len()
                    ),
                }),
            },
        }
    }
}

impl<'de> Deserialize<'de> for Notification {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_json::Value::deserialize(d)?;
        let is_refund = value
            .get("data")
            .and_then(|data| data.get("refunds"))
            .is_some();
        if is_refund {
            serde_json::from_value(value)
                .map(Notification::Refund)
                .map_err(D::Error::custom)
        } else {
            serde_json::from_value(value)
                .map(Notification::Pay)
                .map_err(D::Error::custom)
        }
    }
}

/// Verifies a notify body, pay or refund, with Pooul's public key and parses it; a body over
/// [`DEFAULT_NOTIFY_BODY_LIMIT`] is refused first. Checks no merchant: use
/// [`crate::Client::verify_notify`] where a client is at hand.
pub fn verify_notify(
    body: &[u8],
    pooul_public_key: &RsaPublicKey,
) -> Result<Verified<Notification>, NotifyError> {
    verify(body, pooul_public_key, DEFAULT_NOTIFY_BODY_LIMIT)
}

/// As [`verify_notify`], with a body limit of `limit` bytes.
pub fn verify_notify_with_limit(
    body: &[u8],
    pooul_public_key: &RsaPublicKey,
    limit: usize,
) -> Result<Verified<Notification>, NotifyError> {
    verify(body, pooul_public_key, limit)
}

/// Verifies a pay notify body with Pooul's public key and parses it; a body over
/// [`DEFAULT_NOTIFY_BODY_LIMIT`] is refused first.
pub fn verify_notify_pay(
    body: &[u8],
    pooul_public_key: &RsaPublicKey,
) -> Result<Verified<PayNotify>, NotifyError> {
    verify(body, pooul_public_key, DEFAULT_NOTIFY_BODY_LIMIT)
}

/// As [`verify_notify_pay`], with a body limit of `limit` bytes.
pub fn verify_notify_pay_with_limit(
    body: &[u8],
    pooul_public_key: &RsaPublicKey,
    limit: usize,
) -> Result<Verified<PayNotify>, NotifyError> {
    verify(body, pooul_public_key, limit)
}

/// Verifies a refund notify body with Pooul's public key and parses it; a body over
/// [`DEFAULT_NOTIFY_BODY_LIMIT`] is refused first.
pub fn verify_notify_refund(
    body: &[u8],
    pooul_public_key: &RsaPublicKey,
) -> Result<Verified<RefundNotify>, NotifyError> {
    verify(body, pooul_public_key, DEFAULT_NOTIFY_BODY_LIMIT)
}

/// As [`verify_notify_refund`], with a body limit of `limit` bytes.
pub fn verify_notify_refund_with_limit(
    body: &[u8],
    pooul_public_key: &RsaPublicKey,
    limit: usize,
) -> Result<Verified<RefundNotify>, NotifyError> {
    verify(body, pooul_public_key, limit)
}

fn verify<T: DeserializeOwned>(
    body: &[u8],
    key: &RsaPublicKey,
    limit: usize,
) -> Result<Verified<T>, NotifyError> {
    check_body_len(body, limit)
        .map_err(|BodyTooLarge { len, limit }| NotifyError::BodyTooLarge { len, limit })?;
    let token = std::str::from_utf8(body).map_err(|_| NotifyError::Malformed {
        reason: "the body is not UTF-8".into(),
    })?;
    let raw = paysig::jwt::verify_rs256(token, key).map_err(|e| jwt_refusal(token, e))?;
    // The payload was signed, but `{"code":0,"code":1}` would still have two readings (serde
    // keeps the last): refuse repeated members, at any depth, before the typed parse.
    raw.try_map(|bytes| {
        crate::unique::check_unique_members(&bytes).map_err(|e| match e {
            NotUnique::Duplicate(field) => NotifyError::DuplicateField { field },
            NotUnique::Invalid(reason) => NotifyError::Malformed { reason },
        })?;
        serde_json::from_slice(&bytes).map_err(|e| typed_parse_refusal(&e))
    })
}

/// A token refused by [`paysig::jwt::verify_rs256`]: one without a signature (two segments,
/// or an empty third one under an RS256 header, whose `alg` was checked first) is
/// [`NotifyError::MissingSignature`]; every other refusal keeps its reason.
fn jwt_refusal(token: &str, e: JwtError) -> NotifyError {
    let unsigned = match e {
        JwtError::Segments { found } => found == 2,
        JwtError::Signature => token.trim().rsplit('.').next() == Some(""),
        _ => false,
    };
    if unsigned {
        NotifyError::MissingSignature
    } else {
        NotifyError::from(e)
    }
}

/// A verified payload serde could not read as the notify: an absent required field is
/// [`NotifyError::MissingField`] (serde's own "missing field `name`"), anything else
/// [`NotifyError::Malformed`].
fn typed_parse_refusal(e: &serde_json::Error) -> NotifyError {
    let reason = e.to_string();
    let missing = reason
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field.to_owned());
    match missing {
        Some(field) if e.is_data() => NotifyError::MissingField { field },
        _ => NotifyError::Malformed { reason },
    }
}
