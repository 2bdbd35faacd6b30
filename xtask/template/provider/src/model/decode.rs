//! Reading the JSON answers; a missing or mistyped field is [`Error::Decode`].

use paysig::Money;
use paysig::rawjson::RawObject;

use super::{Order, Refund, RefundState, ResultCode, TradeState};
use crate::Error;

fn decode(reason: impl Into<String>) -> Error {
    Error::Decode {
        reason: reason.into(),
    }
}

/// The answer's object, once its `result_code` says success.
fn accepted(body: &[u8]) -> Result<RawObject, Error> {
    let obj = RawObject::parse(body).map_err(|e| decode(e.to_string()))?;
    let code = ResultCode::from(text(&obj, "result_code")?.as_str());
    if code == ResultCode::Success {
        Ok(obj)
    } else {
        let message = text(&obj, "message").unwrap_or_default();
        Err(Error::Api { code, message })
    }
}

fn text(obj: &RawObject, name: &str) -> Result<String, Error> {
    obj.get(name)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| decode(format!("no text `{name}`")))
}

fn fen(obj: &RawObject, name: &str) -> Result<Money, Error> {
    obj.get(name)
        .and_then(|v| v.as_u64())
        .map(Money::from_fen)
        .ok_or_else(|| decode(format!("no whole number of fen in `{name}`")))
}

/// A query's answer.
pub(crate) fn order(body: &[u8]) -> Result<Order, Error> {
    let obj = accepted(body)?;
    Ok(Order {
        order_no: text(&obj, "order_no")?,
        amount: fen(&obj, "amount")?,
        state: TradeState::from(text(&obj, "trade_state")?.as_str()),
    })
}

/// A refund's answer.
pub(crate) fn refund(body: &[u8]) -> Result<Refund, Error> {
    let obj = accepted(body)?;
    Ok(Refund {
        order_no: text(&obj, "order_no")?,
        refund_no: text(&obj, "refund_no")?,
        amount: fen(&obj, "refund_amount")?,
        state: RefundState::from(text(&obj, "refund_state")?.as_str()),
    })
}
