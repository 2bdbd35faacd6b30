//! What the payer does next, read from a successful pay answer.

use super::{Expect, provider_err};
use crate::error::Error;
use crate::payment::{PaymentAction, WechatAppParams, WechatJsapiParams};
use pooul::{PayData, PayInfo};

/// A successful answer without the field the pay type promises.
fn missing(field: &str) -> Error {
    provider_err(pooul::Error::Decode {
        operation: "pay",
        reason: format!("the answer carries no usable `{field}`"),
    })
}

fn jsapi_params(p: pooul::JsapiPayInfo) -> WechatJsapiParams {
    WechatJsapiParams {
        app_id: p.app_id,
        time_stamp: p.time_stamp,
        nonce_str: p.nonce_str,
        package: p.package,
        sign_type: p.sign_type,
        pay_sign: p.pay_sign,
    }
}

pub(super) fn action(expect: &Expect, data: PayData) -> Result<PaymentAction, Error> {
    Ok(match expect {
        Expect::Qr => PaymentAction::QrCode {
            content: data.code_url.ok_or_else(|| missing("code_url"))?,
        },
        Expect::Redirect => PaymentAction::Redirect {
            url: data.mweb_url.ok_or_else(|| missing("mweb_url"))?,
        },
        Expect::Jsapi => match data.pay_info {
            Some(PayInfo::Jsapi(p)) => PaymentAction::WechatJsapi(jsapi_params(p)),
            Some(PayInfo::App(_) | PayInfo::Alipay(_)) | None => {
                return Err(missing("pay_info (JSAPI)"));
            }
        },
        Expect::Mini => match data.pay_info {
            Some(PayInfo::Jsapi(p)) => PaymentAction::WechatMini(jsapi_params(p)),
            Some(PayInfo::App(_) | PayInfo::Alipay(_)) | None => {
                return Err(missing("pay_info (mini-program)"));
            }
        },
        Expect::App => match data.pay_info {
            Some(PayInfo::App(p)) => PaymentAction::WechatApp(WechatAppParams {
                app_id: p.appid,
                partner_id: p.partnerid,
                prepay_id: p.prepayid,
                package: p.package,
                nonce_str: p.noncestr,
                timestamp: p.timestamp,
                sign: p.sign,
            }),
            Some(PayInfo::Jsapi(_) | PayInfo::Alipay(_)) | None => {
                return Err(missing("pay_info (APP)"));
            }
        },
        // Micro-pay answers go through `PooulGateway::micro_pay`, never here.
        Expect::Micro => return Err(missing("trade_state")),
    })
}
