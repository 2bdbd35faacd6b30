//! Where this crate departs from the tables of beecloud.md, and the documented meaning of each
//! `result_code`. `tests/tables.rs` holds the client and the models to every table of
//! `fixtures/beecloud/tables/` (extracted by `cargo xtask fixtures`); each departure it
//! tolerates is listed here.

use crate::model::ResultCode;

/// One documented field the crate deliberately does not follow to the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocException {
    /// The provider (`beecloud`).
    pub provider: &'static str,
    /// The table's name in `fixtures/beecloud/tables/` (the API path after `/1/rest/`, `/`
    /// written `_`).
    pub endpoint: &'static str,
    /// What is departed from: `request`, `response` or `length`.
    pub check: &'static str,
    /// The documented field name.
    pub field: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// Every departure from beecloud.md's tables.
pub const DOC_EXCEPTIONS: &[DocException] = &[DocException {
    provider: "beecloud",
    endpoint: "bill",
    check: "length",
    field: "title",
    reason: "documented \"UTF8编码格式,32个字节内，最长支持16个汉字\": 16 Chinese characters are 48 \
             UTF-8 bytes, so the two limits disagree. Enforced at 32 UTF-8 bytes by default \
             (10 Chinese characters); Config::with_title_rule(TitleRule::DoubleWidth) counts a \
             non-ASCII character as 2, so 16 fit",
}];

impl ResultCode {
    /// The meaning beecloud.md gives the code (§2 公共返回参数取值列表, §3 退款特有); `None`
    /// for a code it does not list.
    ///
    /// ```
    /// use beecloud::ResultCode;
    /// assert_eq!(ResultCode::from(12).doc_meaning(), Some("提交的退款金额超出可退额度"));
    /// assert_eq!(ResultCode::from(99).doc_meaning(), None);
    /// ```
    pub fn doc_meaning(self) -> Option<&'static str> {
        Some(match self {
            ResultCode::Ok => "调用成功",
            ResultCode::AppInvalid => "根据app_id找不到对应的APP或者app_sign不正确",
            ResultCode::PayFactorNotSet => "支付要素在后台没有设置",
            ResultCode::ChannelInvalid => "channel参数不合法",
            ResultCode::MissParam => "缺少必填参数",
            ResultCode::ParamInvalid => "参数不合法",
            ResultCode::CertFileError => "证书错误",
            ResultCode::ChannelError => "渠道内部错误",
            ResultCode::NoSuchBill => "没有该订单",
            ResultCode::BillUnsuccess => "该订单没有支付成功",
            ResultCode::RefundExceedTime => "已超过可退款时间",
            ResultCode::AlreadyRefunding => "该订单已有正在处理中的退款",
            ResultCode::RefundAmountTooLarge => "提交的退款金额超出可退额度",
            ResultCode::NoSuchRefund => "没有该退款记录",
            ResultCode::RunTimeError => "实时未知错误，请与技术联系帮助查看",
            ResultCode::Unknown(_) => return None,
        })
    }
}
