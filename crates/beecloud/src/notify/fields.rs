//! How a webhook's fields are read: the wire names of each scheme, the signed fields by
//! their grammar, V2's signed string, and the readers of one member.

use super::*;

/// The four fields V2 signs, each read by its grammar.
pub(super) struct SignedFields {
    pub(super) transaction_id: String,
    pub(super) transaction_type: TransactionType,
    pub(super) channel_type: Channel,
    pub(super) fee_text: String,
    pub(super) transaction_fee: Money,
}

impl SignedFields {
    pub(super) fn read(raw: &RawObject, names: &Names) -> Result<Self, NotifyError> {
        let ty = text(
            required(raw, names.transaction_type)?,
            names.transaction_type,
        )?;
        let transaction_type =
            grammar::transaction_type(&ty).map_err(|r| invalid(names.transaction_type, r))?;
        let transaction_id = text(required(raw, names.transaction_id)?, names.transaction_id)?;
        grammar::transaction_id(&transaction_id, transaction_type)
            .map_err(|r| invalid(names.transaction_id, r))?;
        let ch = text(required(raw, names.channel_type)?, names.channel_type)?;
        let channel_type = grammar::channel(&ch).map_err(|r| invalid(names.channel_type, r))?;
        let fee_text = digits(required(raw, names.transaction_fee)?, names.transaction_fee)?;
        let transaction_fee =
            grammar::fee(&fee_text).map_err(|r| invalid(names.transaction_fee, r))?;
        Ok(SignedFields {
            transaction_id,
            transaction_type,
            channel_type,
            fee_text,
            transaction_fee,
        })
    }

    fn reading(&self) -> grammar::Reading<'_> {
        grammar::Reading {
            transaction_id: &self.transaction_id,
            transaction_type: self.transaction_type,
            channel_type: self.channel_type.as_str(),
            transaction_fee: &self.fee_text,
        }
    }
}

/// V2's signed middle string, once each field passed its grammar and the string has exactly
/// one reading, the fields received.
pub(super) fn v2_middle(raw: &RawObject, names: &Names) -> Result<String, NotifyError> {
    let fields = SignedFields::read(raw, names)?;
    let received = fields.reading();
    let middle = format!(
        "{}{}{}{}",
        received.transaction_id,
        received.transaction_type.as_str(),
        received.channel_type,
        received.transaction_fee
    );
    let readings = grammar::v2_readings(&middle);
    if readings.as_slice() == [received] {
        return Ok(middle);
    }
    // The received fields are one reading, so any other names the first field that moves.
    let field = readings
        .iter()
        .find_map(|r| received.first_difference(r))
        .unwrap_or("transaction_id");
    Err(NotifyError::Ambiguous {
        field,
        readings: readings.len(),
    })
}

/// A channel's group: `WX_APP` → `WX`.
pub(super) fn group(channel: &str) -> &str {
    channel.split('_').next().unwrap_or(channel)
}

pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> NotifyError {
    NotifyError::InvalidField {
        field,
        reason: reason.into(),
    }
}

/// The field names of one scheme.
pub(super) struct Names {
    pub(super) version: SchemeVersion,
    pub(super) sign: &'static str,
    pub(super) app_id: &'static str,
    pub(super) timestamp: &'static str,
    pub(super) channel_type: &'static str,
    pub(super) sub_channel_type: Option<&'static str>,
    pub(super) transaction_type: &'static str,
    pub(super) transaction_id: &'static str,
    pub(super) channel_transaction_id: Option<&'static str>,
    pub(super) transaction_fee: &'static str,
    pub(super) trade_success: &'static str,
    pub(super) message_detail: &'static str,
    pub(super) optional: &'static str,
}

pub(super) const V1_NAMES: Names = Names {
    version: SchemeVersion::V1,
    sign: "sign",
    app_id: "appId",
    timestamp: "timestamp",
    channel_type: "channelType",
    // The 2015 guide lists neither.
    sub_channel_type: None,
    transaction_type: "transactionType",
    transaction_id: "transactionId",
    channel_transaction_id: None,
    transaction_fee: "transactionFee",
    trade_success: "tradeSuccess",
    message_detail: "messageDetail",
    optional: "optional",
};

pub(super) const V1_SNAKE_NAMES: Names = Names {
    version: SchemeVersion::V1Snake,
    sign: "sign",
    ..V2_NAMES
};

pub(super) const V2_NAMES: Names = Names {
    version: SchemeVersion::V2,
    sign: "signature",
    app_id: "app_id",
    timestamp: "timestamp",
    channel_type: "channel_type",
    sub_channel_type: Some("sub_channel_type"),
    transaction_type: "transaction_type",
    transaction_id: "transaction_id",
    channel_transaction_id: Some("channel_transaction_id"),
    transaction_fee: "transaction_fee",
    trade_success: "trade_success",
    message_detail: "message_detail",
    optional: "optional",
};

pub(super) fn signature(raw: &RawObject, field: &str) -> Result<String, NotifyError> {
    match raw.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | None => Err(NotifyError::MissingSignature {
            field: field.to_owned(),
        }),
        Some(_) => Err(NotifyError::BadSignatureEncoding),
    }
}

/// A string field; a JSON integer is accepted and written in decimal (the senders are loose
/// with types). Its grammar is checked by the caller.
pub(super) fn text(v: &Value, field: &'static str) -> Result<String, NotifyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        _ => Err(invalid(field, "is not a string")),
    }
}

/// An integer field as the text the signer hashed: a JSON integer's decimal digits, or a
/// string as received (its grammar, checked by the caller, refuses signs, leading zeros,
/// fractions and white space). A JSON fraction or exponent (`1.0`, `1e3`) or a negative number
/// is refused: its digits are not the ones signed.
pub(super) fn digits(v: &Value, field: &'static str) -> Result<String, NotifyError> {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(u) => Ok(u.to_string()),
            None => Err(invalid(
                field,
                format!("{n} is not a positive integer (no sign, fraction or exponent)"),
            )),
        },
        Value::String(s) => Ok(s.clone()),
        _ => Err(invalid(field, "is not an integer")),
    }
}

/// A required member of the raw body (`null` counts as absent).
pub(super) fn required<'a>(
    raw: &'a RawObject,
    name: &'static str,
) -> Result<&'a Value, NotifyError> {
    raw.get(name)
        .ok_or(NotifyError::MissingField { field: name })
}
