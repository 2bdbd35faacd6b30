//! The payment notify: a signed form POSTed to the merchant's URL.
//!
//! Read it with [`Client::verify_notify`](crate::Client::verify_notify), then compare its
//! amount with the order's ([`Notification::check_amount`]) before marking anything paid.

use paysig::http::HeaderMap;
use paysig::{FormError, Money, Params, SignError, Verified};

use crate::error::NotifyError;
use crate::model::TradeState;
use crate::{Client, client};

/// The answer that tells {{Title}} the notify was received, so that it stops sending it
/// (write the document's text here).
pub const ACK: &str = "success";

/// A verified payment notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The merchant's order number.
    pub order_no: String,
    /// The amount paid.
    pub amount: Money,
    /// The order's state.
    pub state: TradeState,
}

impl Notification {
    /// Refuses a notify whose amount differs from the order's.
    pub fn check_amount(&self, expected: Money) -> Result<(), NotifyError> {
        if self.amount == expected {
            Ok(())
        } else {
            Err(NotifyError::AmountMismatch {
                expected,
                received: self.amount,
            })
        }
    }
}

impl Client {
    /// Verifies a notify's signature and reads it. The body is refused unread over
    /// [`Config::notify_body_limit`](crate::Config::notify_body_limit).
    pub fn verify_notify(
        &self,
        _headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, NotifyError> {
        let limit = self.config().notify_body_limit;
        paysig::limit::check_body_len(body, limit).map_err(|e| NotifyError::BodyTooLarge {
            len: e.len,
            limit: e.limit,
        })?;
        let params = Params::parse_form(body).map_err(|e| match e {
            FormError::DuplicateKey { key } => NotifyError::DuplicateField { field: key },
            other => NotifyError::Malformed {
                reason: other.to_string(),
            },
        })?;
        // A signature counts only if the signed string has one reading: the fields received.
        client::rules()
            .build_unambiguous(&params)
            .map_err(sign_error)?;
        let verified = client::signer()
            .verify_field(params, "sign", self.config().app_key())
            .map_err(sign_error)?;
        verified.try_map(|p| read(&p))
    }
}

fn sign_error(e: SignError) -> NotifyError {
    match e {
        SignError::MissingSignature { .. } => NotifyError::MissingSignature,
        SignError::Ambiguous { field } => NotifyError::Ambiguous { field },
        SignError::Mismatch => NotifyError::SignatureMismatch,
        other => NotifyError::Malformed {
            reason: other.to_string(),
        },
    }
}

fn read(p: &Params) -> Result<Notification, NotifyError> {
    let field = |name: &'static str| match p.get(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(NotifyError::MissingField { field: name }),
    };
    let amount = field("amount")?;
    let fen = amount.parse::<u64>().map_err(|_| NotifyError::Malformed {
        reason: format!("`amount` {amount:?} is not a whole number of fen"),
    })?;
    Ok(Notification {
        order_no: field("order_no")?.to_owned(),
        amount: Money::from_fen(fen),
        state: TradeState::from(field("trade_state")?),
    })
}
