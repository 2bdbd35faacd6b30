//! Reading a received request form back into its typed request: what a sandbox or a
//! recorded-traffic test needs. The same rules as sending apply (lengths, either/or), and a
//! form that names none of an either/or set is refused with the set's first field.
//! `app_id`, `charset` and `sign` are not part of the typed requests and are ignored here;
//! check the sign with [`crate::request_signer`].

use super::request::*;
use crate::error::Error;
use paysig::{Money, Params};

fn opt(p: &Params, field: &'static str) -> Option<String> {
    p.get(field).map(str::to_owned)
}

fn req(p: &Params, field: &'static str) -> Result<String, Error> {
    opt(p, field).ok_or(Error::Validation {
        field,
        reason: "missing".into(),
    })
}

fn missing_one_of(field: &'static str, set: &str) -> Error {
    Error::Validation {
        field,
        reason: format!("one of {set} is required"),
    }
}

fn terminal(p: &Params) -> Result<Terminal, Error> {
    match (opt(p, "msn"), opt(p, "merchantNo")) {
        (Some(msn), Some(merchant_no)) => Ok(Terminal::Both { msn, merchant_no }),
        (Some(msn), None) => Ok(Terminal::Msn(msn)),
        (None, Some(m)) => Ok(Terminal::MerchantNo(m)),
        (None, None) => Err(missing_one_of("msn", "msn, merchantNo")),
    }
}

/// Exactly one of `fields` must be present.
fn exactly_one(p: &Params, fields: [&'static str; 3]) -> Result<(&'static str, String), Error> {
    let present: Vec<_> = fields
        .iter()
        .filter_map(|f| opt(p, f).map(|v| (*f, v)))
        .collect();
    match present.len() {
        1 => Ok(present.into_iter().next().unwrap_or_default()),
        0 => Err(missing_one_of(fields[0], &fields.join(", "))),
        _ => Err(Error::Validation {
            field: present[1].0,
            reason: format!("only one of {} may be given", fields.join(", ")),
        }),
    }
}

fn fen(p: &Params, field: &'static str) -> Result<Money, Error> {
    Money::parse_fen(&req(p, field)?).map_err(|e| Error::Validation {
        field,
        reason: e.to_string(),
    })
}

impl SwipeQueryRequest {
    /// Reads a received `swipeQuery` form (sunmi.txt §3.3.1).
    pub fn from_params(p: &Params) -> Result<Self, Error> {
        let trade = match (opt(p, "orderId"), opt(p, "platformId")) {
            (Some(order_id), Some(platform_id)) => SwipeTradeRef::Both {
                order_id,
                platform_id,
            },
            (Some(o), None) => SwipeTradeRef::OrderId(o),
            (None, Some(id)) => SwipeTradeRef::PlatformId(id),
            (None, None) => return Err(missing_one_of("orderId", "orderId, platformId")),
        };
        let r = SwipeQueryRequest {
            msn: req(p, "msn")?,
            trade_date: opt(p, "tradeDate")
                .map(|d| TradeDate::parse(&d))
                .transpose()?,
            trade,
        };
        r.to_wire("")?;
        Ok(r)
    }
}

impl PayBindRequest {
    /// Reads a received `payBind` form (sunmi.txt §4.3.1, §5.3.1).
    pub fn from_params(p: &Params) -> Result<Self, Error> {
        let config = match req(p, "configType")?.as_str() {
            "1" => BindConfig::PayUrl {
                pay_url: req(p, "payUrl")?,
                attention_app_id: opt(p, "attentionAppId"),
            },
            "2" => BindConfig::MiniAppId(req(p, "miniAppId")?),
            "3" => BindConfig::AttentionAppId(req(p, "attentionAppId")?),
            "4" => BindConfig::ReceiptAppId(req(p, "receiptAppId")?),
            "5" => BindConfig::Query,
            other => {
                return Err(Error::Validation {
                    field: "configType",
                    reason: format!("{other:?} is not one of 1-5"),
                });
            }
        };
        let r = PayBindRequest {
            merchant_no: req(p, "merchantNo")?,
            config,
        };
        r.to_wire("")?;
        Ok(r)
    }
}

impl JsApiPayRequest {
    /// Reads a received `jsApiPay` form (sunmi.txt §4.3.2); `totalAmount` in yuan.
    /// The §4.3.2 sample omits the required `miniAppId`; it is reported as missing.
    pub fn from_params(p: &Params) -> Result<Self, Error> {
        let total_amount =
            Money::parse_yuan(&req(p, "totalAmount")?).map_err(|e| Error::Validation {
                field: "totalAmount",
                reason: e.to_string(),
            })?;
        let r = JsApiPayRequest {
            merchant_no: req(p, "merchantNo")?,
            total_amount,
            mini_app_id: req(p, "miniAppId")?,
            open_id: req(p, "openId")?,
            order_id: req(p, "orderId")?,
            wallet_type: match req(p, "walletType")?.as_str() {
                "TX01" => WalletType::Tx01,
                other => WalletType::Other(other.to_owned()),
            },
            notify_url: opt(p, "notifyUrl"),
        };
        r.to_wire("")?;
        Ok(r)
    }
}

impl MiniPayRequest {
    /// Reads a received `miniPay` form (sunmi.txt §5.3.2); `totalAmount` in fen.
    /// `notifyUrl` is checked against 255 characters here (the sender's limit is a config).
    pub fn from_params(p: &Params) -> Result<Self, Error> {
        let r = MiniPayRequest {
            merchant_no: req(p, "merchantNo")?,
            total_amount: fen(p, "totalAmount")?,
            mini_app_id: req(p, "miniAppId")?,
            open_id: req(p, "openId")?,
            order_id: req(p, "orderId")?,
            app_version: opt(p, "appVersion"),
            notify_url: opt(p, "notifyUrl"),
        };
        r.to_wire("", 255)?;
        Ok(r)
    }
}

impl QueryRequest {
    /// Reads a received `query` form (sunmi.txt §4.3.3).
    pub fn from_params(p: &Params) -> Result<Self, Error> {
        let order = match exactly_one(p, ["misId", "orderId", "platformId"])? {
            ("misId", v) => OrderRef::MisId(v),
            ("orderId", v) => OrderRef::OrderId(v),
            (_, v) => OrderRef::PlatformId(v),
        };
        let r = QueryRequest {
            terminal: terminal(p)?,
            order,
        };
        r.to_wire("")?;
        Ok(r)
    }
}

impl RefundRequest {
    /// Reads a received `refund` form (sunmi.txt §4.3.4).
    pub fn from_params(p: &Params) -> Result<Self, Error> {
        let original = match exactly_one(p, ["oriMisId", "oriPlatformId", "oriOrderId"])? {
            ("oriMisId", v) => OriginalOrder::MisId(v),
            ("oriPlatformId", v) => OriginalOrder::PlatformId(v),
            (_, v) => OriginalOrder::OrderId(v),
        };
        let r = RefundRequest {
            terminal: terminal(p)?,
            original,
            order_id: req(p, "orderId")?,
            business_id: req(p, "businessId")?,
            amount: fen(p, "amount")?,
        };
        r.to_wire("")?;
        Ok(r)
    }
}
