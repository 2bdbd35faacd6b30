//! 申请退款 Refund and 退款查询 Refund query.

use super::codes::RefundStatus;
use super::trade::TradeData;
use super::validate;
use super::wire::{RefundBody, RefundQueryBody};
use crate::Error;
use paysig::Money;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use url::Url;

/// A 申请退款 request. `nonce_str` is added by the client (one in a deserialised body is
/// ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RefundWire")]
pub struct RefundRequest {
    /// `mch_trade_id`: the paid order.
    pub mch_trade_id: String,
    /// `mch_refund_id`: the merchant's refund number. Not in pooul.md; Pooul's newer docs
    /// require it. Set by [`RefundRequest::new`]: a refund resubmitted with the same number
    /// cannot refund twice ("一笔退款失败后重新提交，要采用原来的退款单号"). `None` only through
    /// [`RefundRequest::without_refund_id`], which is unsafe to retry.
    pub mch_refund_id: Option<String>,
    /// `refund_fee` in fen, at least 1 fen.
    pub refund_fee: Money,
    /// `refund_desc`: the reason.
    pub refund_desc: String,
    /// `notify_url`: http(s), without query parameters ("不允许带参数").
    pub notify_url: Option<Url>,
}

impl RefundRequest {
    /// A refund of `refund_fee` of the paid order `mch_trade_id`, under the merchant refund
    /// number `mch_refund_id`. Keep that number with the refund and send the SAME one when
    /// resubmitting it after a failure or a lost answer: that is what stops Pooul from
    /// refunding twice.
    pub fn new(
        mch_trade_id: impl Into<String>,
        mch_refund_id: impl Into<String>,
        refund_fee: Money,
        refund_desc: impl Into<String>,
    ) -> Self {
        RefundRequest {
            mch_trade_id: mch_trade_id.into(),
            mch_refund_id: Some(mch_refund_id.into()),
            refund_fee,
            refund_desc: refund_desc.into(),
            notify_url: None,
        }
    }

    /// A refund WITHOUT `mch_refund_id`, the request exactly as pooul.md documents it.
    ///
    /// Unsafe to retry: Pooul cannot tell a resubmission of this request from a new refund,
    /// so sending it again after a failure or a timeout may refund the payer twice. Use it
    /// only for a merchant account that refuses `mch_refund_id`, and check
    /// [`crate::Client::refund_query`] before ever sending it again.
    pub fn without_refund_id(
        mch_trade_id: impl Into<String>,
        refund_fee: Money,
        refund_desc: impl Into<String>,
    ) -> Self {
        RefundRequest {
            mch_trade_id: mch_trade_id.into(),
            mch_refund_id: None,
            refund_fee,
            refund_desc: refund_desc.into(),
            notify_url: None,
        }
    }

    /// Replaces `mch_refund_id`.
    pub fn mch_refund_id(mut self, id: impl Into<String>) -> Self {
        self.mch_refund_id = Some(id.into());
        self
    }

    /// Sets `notify_url`.
    pub fn notify_url(mut self, url: Url) -> Self {
        self.notify_url = Some(url);
        self
    }

    /// The validated JSON body as it is signed, without `nonce_str` (which the client adds
    /// per request). Fails with [`Error::Validation`] naming the field.
    pub fn wire_body(&self) -> Result<Map<String, Value>, Error> {
        super::wire::json_object(&self.to_wire()?)
    }

    /// [`Self::wire_body`] as the compact JSON the client signs (no map built).
    pub(crate) fn wire_json(&self) -> Result<Vec<u8>, Error> {
        super::wire::json_bytes(&self.to_wire()?)
    }

    /// The checked body sent for this request (see [`super::wire`]).
    pub(crate) fn to_wire(&self) -> Result<RefundBody<'_>, Error> {
        validate::non_empty("mch_trade_id", &self.mch_trade_id)?;
        if let Some(id) = &self.mch_refund_id {
            validate::non_empty("mch_refund_id", id)?;
        }
        if self.refund_fee.fen() == 0 {
            return Err(Error::Validation {
                field: "refund_fee",
                reason: "must be at least 1 fen".into(),
            });
        }
        validate::non_empty("refund_desc", &self.refund_desc)?;
        if let Some(url) = &self.notify_url {
            validate::notify_url("notify_url", url)?;
        }
        Ok(RefundBody {
            mch_trade_id: &self.mch_trade_id,
            mch_refund_id: self.mch_refund_id.as_deref(),
            refund_fee: self.refund_fee,
            refund_desc: &self.refund_desc,
            notify_url: self.notify_url.as_ref().map(Url::as_str),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundWire {
    #[serde(default, rename = "nonce_str")]
    _nonce_str: Option<Value>,
    #[serde(deserialize_with = "paysig::lenient::string")]
    mch_trade_id: String,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    mch_refund_id: Option<String>,
    #[serde(with = "paysig::money::wire::fen_int")]
    refund_fee: Money,
    #[serde(deserialize_with = "paysig::lenient::string")]
    refund_desc: String,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    notify_url: Option<String>,
}

impl TryFrom<RefundWire> for RefundRequest {
    type Error = String;

    fn try_from(w: RefundWire) -> Result<Self, String> {
        let notify_url = w
            .notify_url
            .map(|u| Url::parse(&u).map_err(|e| format!("notify_url: {e}")))
            .transpose()?;
        Ok(RefundRequest {
            mch_trade_id: w.mch_trade_id,
            mch_refund_id: w.mch_refund_id,
            refund_fee: w.refund_fee,
            refund_desc: w.refund_desc,
            notify_url,
        })
    }
}

/// A 退款查询 request (a `nonce_str` in a deserialised body is ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "RefundQueryWire")]
pub struct RefundQueryRequest {
    /// `mch_trade_id`: required by pooul.md.
    pub mch_trade_id: String,
    /// `mch_refund_id`: narrows the answer to one refund (Pooul's newer docs).
    pub mch_refund_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundQueryWire {
    #[serde(default, rename = "nonce_str")]
    _nonce_str: Option<Value>,
    #[serde(deserialize_with = "paysig::lenient::string")]
    mch_trade_id: String,
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    mch_refund_id: Option<String>,
}

impl From<RefundQueryWire> for RefundQueryRequest {
    fn from(w: RefundQueryWire) -> Self {
        RefundQueryRequest {
            mch_trade_id: w.mch_trade_id,
            mch_refund_id: w.mch_refund_id,
        }
    }
}

impl RefundQueryRequest {
    /// All refunds of an order.
    pub fn new(mch_trade_id: impl Into<String>) -> Self {
        RefundQueryRequest {
            mch_trade_id: mch_trade_id.into(),
            mch_refund_id: None,
        }
    }

    /// Only the refund with this merchant refund number.
    pub fn mch_refund_id(mut self, id: impl Into<String>) -> Self {
        self.mch_refund_id = Some(id.into());
        self
    }

    /// The validated JSON body, without `nonce_str`.
    pub fn wire_body(&self) -> Result<Map<String, Value>, Error> {
        super::wire::json_object(&self.to_wire()?)
    }

    /// [`Self::wire_body`] as the compact JSON the client signs (no map built).
    pub(crate) fn wire_json(&self) -> Result<Vec<u8>, Error> {
        super::wire::json_bytes(&self.to_wire()?)
    }

    /// The checked body sent for this request (see [`super::wire`]).
    pub(crate) fn to_wire(&self) -> Result<RefundQueryBody<'_>, Error> {
        validate::non_empty("mch_trade_id", &self.mch_trade_id)?;
        if let Some(id) = &self.mch_refund_id {
            validate::non_empty("mch_refund_id", id)?;
        }
        Ok(RefundQueryBody {
            mch_trade_id: &self.mch_trade_id,
            mch_refund_id: self.mch_refund_id.as_deref(),
        })
    }
}

/// One refund of an order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundItem {
    /// `refund_id`: Pooul's refund number.
    #[serde(deserialize_with = "paysig::lenient::string")]
    pub refund_id: String,
    /// `mch_refund_id`: the merchant's refund number, when one was given.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub mch_refund_id: Option<String>,
    /// `refund_fee` in fen.
    #[serde(with = "paysig::money::wire::fen_int")]
    pub refund_fee: Money,
    /// `refund_desc`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub refund_desc: Option<String>,
    /// `refund_status`; read from `refund_state` too, the name in pooul.md's sample.
    #[serde(alias = "refund_state")]
    pub refund_status: RefundStatus,
}

/// `data` of a 退款查询 answer: the order and its refunds ("会返回多条退款记录").
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RefundQueryData {
    /// `refunds`: one entry per refund.
    #[serde(default, deserialize_with = "one_or_many")]
    pub refunds: Vec<RefundItem>,
    /// The order's fields (`trade_state` 1 = 转入退款, amounts, ...).
    #[serde(flatten)]
    pub trade: TradeData,
}

/// `refunds` as a list, or as one object (the refund notify in Pooul's developer docs). A
/// list or object that is not refunds is refused with the reason of its own reading (e.g.
/// "missing field `refund_fee`"), not the untagged enum's "did not match any variant".
pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RefundItem>, D::Error> {
    use serde::de::Error as _;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<RefundItem>),
        One(RefundItem),
    }
    let Some(value) = Option::<Value>::deserialize(d)? else {
        return Ok(Vec::new());
    };
    match OneOrMany::deserialize(&value) {
        Ok(OneOrMany::Many(v)) => Ok(v),
        Ok(OneOrMany::One(r)) => Ok(vec![r]),
        Err(untagged) => Err(D::Error::custom(
            match &value {
                Value::Array(_) => Vec::<RefundItem>::deserialize(&value).err(),
                Value::Object(_) => RefundItem::deserialize(&value).err(),
                _ => None,
            }
            .unwrap_or(untagged),
        )),
    }
}

/// What the merchant knows about one refund, to find it among the `refunds` of a 退款查询
/// answer ([`RefundQueryData::find_refund`]).
///
/// pooul.md's answer lists each refund with only `refund_id`, `refund_fee` and `refund_state`:
/// no `mch_refund_id`. So the refund is found, in this order, by `mch_refund_id` where the
/// answer carries it, else by Pooul's `refund_id` where the merchant kept it (from the refund
/// notify), else as the one refund of `refund_fee`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundLookup {
    /// The merchant's refund number, as sent with the refund.
    pub mch_refund_id: Option<String>,
    /// Pooul's refund number, when known.
    pub refund_id: Option<String>,
    /// The amount the refund asked for, when known.
    pub refund_fee: Option<Money>,
}

/// Why no single refund of a 退款查询 answer could be taken for the one asked about. Never a
/// guess: an answer that could name two refunds names none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefundMatchError {
    /// No refund of the answer is the one asked about.
    #[error("no refund in the answer matches {lookup:?}")]
    NotFound {
        /// What was looked for.
        lookup: RefundLookup,
    },
    /// More than one refund fits (e.g. two refunds of the same amount, neither numbered).
    #[error("{count} refunds in the answer match by {by}; cannot tell which is {lookup:?}")]
    Ambiguous {
        /// `mch_refund_id`, `refund_id` or `refund_fee`.
        by: &'static str,
        /// How many fit.
        count: usize,
        /// What was looked for.
        lookup: RefundLookup,
    },
    /// The lookup names nothing to match by.
    #[error("a refund lookup needs mch_refund_id, refund_id or refund_fee")]
    NothingToMatch,
    /// The refund found by its number has another amount than the one asked for.
    #[error("refund {refund_id:?} is of {got}, expected {expected}")]
    AmountMismatch {
        /// Pooul's refund number.
        refund_id: String,
        /// The amount asked for.
        expected: Money,
        /// The amount in the answer.
        got: Money,
    },
}

impl RefundQueryData {
    /// The one refund `lookup` names (see [`RefundLookup`] for the order of the keys).
    ///
    /// Refunds that carry another `mch_refund_id` are never candidates. A refund found by a
    /// number whose `refund_fee` differs from `lookup.refund_fee` is
    /// [`RefundMatchError::AmountMismatch`].
    ///
    /// ```
    /// use paysig::Money;
    /// use pooul::{RefundLookup, RefundMatchError, RefundQueryData};
    /// let data: RefundQueryData = serde_json::from_value(serde_json::json!({
    ///     "trade_id": "5b34b9a9", "mch_trade_id": "o-1", "trade_state": 1,
    ///     "refunds": [
    ///         {"refund_id": "r-1", "refund_fee": 5, "refund_state": 0},
    ///         {"refund_id": "r-2", "refund_fee": 100, "refund_state": 0},
    ///     ]
    /// })).unwrap();
    /// let lookup = RefundLookup { refund_fee: Some(Money::from_fen(100)), ..Default::default() };
    /// assert_eq!(data.find_refund(&lookup).unwrap().refund_id, "r-2");
    /// let lookup = RefundLookup { refund_fee: Some(Money::from_fen(7)), ..Default::default() };
    /// assert!(matches!(data.find_refund(&lookup), Err(RefundMatchError::NotFound { .. })));
    /// ```
    pub fn find_refund(&self, lookup: &RefundLookup) -> Result<&RefundItem, RefundMatchError> {
        fn pick<'a>(
            by: &'static str,
            found: Vec<&'a RefundItem>,
            lookup: &RefundLookup,
        ) -> Result<Option<&'a RefundItem>, RefundMatchError> {
            match found.as_slice() {
                [] => Ok(None),
                [item] => Ok(Some(*item)),
                many => Err(RefundMatchError::Ambiguous {
                    by,
                    count: many.len(),
                    lookup: lookup.clone(),
                }),
            }
        }
        let mut candidates: Vec<&RefundItem> = self.refunds.iter().collect();
        if let Some(id) = &lookup.mch_refund_id {
            let numbered = candidates
                .iter()
                .copied()
                .filter(|r| r.mch_refund_id.as_deref() == Some(id.as_str()))
                .collect();
            if let Some(item) = pick("mch_refund_id", numbered, lookup)? {
                return self.same_amount(item, lookup);
            }
            // A refund numbered otherwise is another refund; one without a number may be it.
            candidates.retain(|r| r.mch_refund_id.is_none());
        }
        if let Some(id) = &lookup.refund_id {
            let found = candidates
                .iter()
                .copied()
                .filter(|r| r.refund_id == *id)
                .collect();
            // Pooul's number is exact: absent means absent, never "the one of that amount".
            return match pick("refund_id", found, lookup)? {
                Some(item) => self.same_amount(item, lookup),
                None => Err(RefundMatchError::NotFound {
                    lookup: lookup.clone(),
                }),
            };
        }
        let Some(fee) = lookup.refund_fee else {
            return if lookup.mch_refund_id.is_some() {
                Err(RefundMatchError::NotFound {
                    lookup: lookup.clone(),
                })
            } else {
                Err(RefundMatchError::NothingToMatch)
            };
        };
        let found = candidates
            .into_iter()
            .filter(|r| r.refund_fee == fee)
            .collect();
        pick("refund_fee", found, lookup)?.ok_or_else(|| RefundMatchError::NotFound {
            lookup: lookup.clone(),
        })
    }

    fn same_amount<'a>(
        &self,
        item: &'a RefundItem,
        lookup: &RefundLookup,
    ) -> Result<&'a RefundItem, RefundMatchError> {
        match lookup.refund_fee {
            Some(expected) if expected != item.refund_fee => {
                Err(RefundMatchError::AmountMismatch {
                    refund_id: item.refund_id.clone(),
                    expected,
                    got: item.refund_fee,
                })
            }
            _ => Ok(item),
        }
    }
}
