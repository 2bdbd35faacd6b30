//! `result_code` / `result_msg` (beecloud.md §2 公共返回参数取值列表, §3 退款特有).

use serde::Deserialize;

paysig::code_enum! {
    /// BeeCloud's `result_code`, with the documented `result_msg` and meaning.
    ///
    /// Codes 0-7 and 14 are common to every call (§2); 8-13 are specific to refunds (§3).
    /// A code BeeCloud adds later is kept in [`ResultCode::Unknown`].
    int ResultCode {
        /// 0 `OK`: 调用成功, the call succeeded.
        Ok = 0,
        /// 1 `APP_INVALID`: 根据app_id找不到对应的APP或者app_sign不正确, no app for this app_id, or
        /// the app_sign is wrong.
        AppInvalid = 1,
        /// 2 `PAY_FACTOR_NOT_SET`: 支付要素在后台没有设置, the payment settings of the channel are
        /// not set up in the BeeCloud console.
        PayFactorNotSet = 2,
        /// 3 `CHANNEL_INVALID`: channel参数不合法, the channel is not valid.
        ChannelInvalid = 3,
        /// 4 `MISS_PARAM`: 缺少必填参数, a required parameter is missing.
        MissParam = 4,
        /// 5 `PARAM_INVALID`: 参数不合法, a parameter is not valid.
        ParamInvalid = 5,
        /// 6 `CERT_FILE_ERROR`: 证书错误, certificate error.
        CertFileError = 6,
        /// 7 `CHANNEL_ERROR`: 渠道内部错误, internal error of the payment channel.
        ChannelError = 7,
        /// 8 `NO_SUCH_BILL`: 没有该订单, no such bill (refunds).
        NoSuchBill = 8,
        /// 9 `BILL_UNSUCCESS`: 该订单没有支付成功, the bill was not paid (refunds).
        BillUnsuccess = 9,
        /// 10 `REFUND_EXCEED_TIME`: 已超过可退款时间, the refund period is over.
        RefundExceedTime = 10,
        /// 11 `ALREADY_REFUNDING`: 该订单已有正在处理中的退款, a refund of this bill is already in
        /// progress.
        AlreadyRefunding = 11,
        /// 12 `REFUND_AMOUNT_TOO_LARGE`: 提交的退款金额超出可退额度, the refund exceeds the refundable
        /// amount.
        RefundAmountTooLarge = 12,
        /// 13 `NO_SUCH_REFUND`: 没有该退款记录, no such refund.
        NoSuchRefund = 13,
        /// 14 `RUN_TIME_ERROR`: 实时未知错误，请与技术联系帮助查看, unknown runtime error; contact
        /// BeeCloud support.
        RunTimeError = 14,
    }
}

impl ResultCode {
    /// The documented `result_msg` (empty for [`ResultCode::Unknown`]).
    pub fn result_msg(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::AppInvalid => "APP_INVALID",
            Self::PayFactorNotSet => "PAY_FACTOR_NOT_SET",
            Self::ChannelInvalid => "CHANNEL_INVALID",
            Self::MissParam => "MISS_PARAM",
            Self::ParamInvalid => "PARAM_INVALID",
            Self::CertFileError => "CERT_FILE_ERROR",
            Self::ChannelError => "CHANNEL_ERROR",
            Self::NoSuchBill => "NO_SUCH_BILL",
            Self::BillUnsuccess => "BILL_UNSUCCESS",
            Self::RefundExceedTime => "REFUND_EXCEED_TIME",
            Self::AlreadyRefunding => "ALREADY_REFUNDING",
            Self::RefundAmountTooLarge => "REFUND_AMOUNT_TOO_LARGE",
            Self::NoSuchRefund => "NO_SUCH_REFUND",
            Self::RunTimeError => "RUN_TIME_ERROR",
            Self::Unknown(_) => "",
        }
    }

    /// The documented meaning, in English.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Ok => "the call succeeded",
            Self::AppInvalid => "no app for this app_id, or the app_sign is wrong",
            Self::PayFactorNotSet => "the channel's payment settings are not set up",
            Self::ChannelInvalid => "the channel is not valid",
            Self::MissParam => "a required parameter is missing",
            Self::ParamInvalid => "a parameter is not valid",
            Self::CertFileError => "certificate error",
            Self::ChannelError => "internal error of the payment channel",
            Self::NoSuchBill => "no such bill",
            Self::BillUnsuccess => "the bill was not paid",
            Self::RefundExceedTime => "the refund period is over",
            Self::AlreadyRefunding => "a refund of this bill is already in progress",
            Self::RefundAmountTooLarge => "the refund exceeds the refundable amount",
            Self::NoSuchRefund => "no such refund",
            Self::RunTimeError => "unknown runtime error; contact BeeCloud support",
            Self::Unknown(_) => "a code the document does not list",
        }
    }

    /// True for 0.
    pub fn is_ok(self) -> bool {
        self == Self::Ok
    }
}

/// `transactionType` / `transaction_type`. Any other value is refused
/// ([`crate::notify::grammar::transaction_type`]): the
/// signed string must have one reading, so the set is closed (no `Unknown`)..
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionType {
    /// `PAY`: 支付的结果确认, a payment result.
    Pay,
    /// `REFUND`: 退款的结果确认, a refund result.
    Refund,
    /// `TRANSFER`: a transfer (打款) result (BeeCloud's SDKs; not in beecloud.md).
    Transfer,
}

impl TransactionType {
    /// Every value the grammar accepts.
    pub const ALL: [TransactionType; 3] = [Self::Pay, Self::Refund, Self::Transfer];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pay => "PAY",
            Self::Refund => "REFUND",
            Self::Transfer => "TRANSFER",
        }
    }
}

/// The fields every answer carries (§2 公共返回参数).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Envelope {
    /// `result_code`.
    pub result_code: ResultCode,
    /// `result_msg`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub result_msg: Option<String>,
    /// `err_detail`.
    #[serde(default, deserialize_with = "paysig::lenient::opt_string")]
    pub err_detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_round_trips() {
        for c in 0..=14 {
            let code = ResultCode::from(c);
            assert_ne!(code, ResultCode::Unknown(c));
            assert_eq!(code.code(), c);
            assert!(!code.result_msg().is_empty());
        }
        assert_eq!(ResultCode::from(15), ResultCode::Unknown(15));
        assert_eq!(ResultCode::from(12).result_msg(), "REFUND_AMOUNT_TOO_LARGE");
    }

    #[test]
    fn reads_number_or_string() {
        let e: Envelope =
            serde_json::from_str(r#"{"result_code":"8","result_msg":"NO_SUCH_BILL"}"#).unwrap();
        assert_eq!(e.result_code, ResultCode::NoSuchBill);
        let e: Envelope = serde_json::from_str(r#"{"result_code":0}"#).unwrap();
        assert!(e.result_code.is_ok());
    }
}
