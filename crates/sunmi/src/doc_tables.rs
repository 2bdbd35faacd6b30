//! Where this crate departs from the tables of sunmi.txt, and the documented meaning of each
//! code. `tests/tables.rs` holds the models to every table of `fixtures/sunmi/tables/`
//! (extracted by `cargo xtask fixtures`); each departure it tolerates is listed here.

use crate::model::{BusinessCode, CardGov, CardType, SystemCode};

/// One documented field the crate deliberately does not follow to the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocException {
    /// The provider (`sunmi`).
    pub provider: &'static str,
    /// The table's name in `fixtures/sunmi/tables/` (the API path's last part, `notify` for
    /// the notification).
    pub endpoint: &'static str,
    /// What is departed from: `request`, `response`, `length` or `required`.
    pub check: &'static str,
    /// The documented field name.
    pub field: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// Every departure from sunmi.txt's tables.
pub const DOC_EXCEPTIONS: &[DocException] = &[
    DocException {
        provider: "sunmi",
        endpoint: "minipay",
        check: "length",
        field: "notifyUrl",
        reason: "documented String(32) (jsApiPay's is String(255)): judged a copy error. Enforced \
                 at 32 by default; Config::mini_pay_notify_url_max raises it",
    },
    DocException {
        provider: "sunmi",
        endpoint: "notify",
        check: "required",
        field: "buyerLogonId",
        reason: "documented M but absent from every sample: read as optional",
    },
    DocException {
        provider: "sunmi",
        endpoint: "notify_jsapi",
        check: "required",
        field: "buyerLogonId",
        reason: "documented M but absent from every sample: read as optional",
    },
    DocException {
        provider: "sunmi",
        endpoint: "notify",
        check: "length",
        field: "buyerLogonId",
        reason: "documented String(6), yet it carries an openId or Alipay userId (longer): \
                 not enforced on what Sunmi sends",
    },
    DocException {
        provider: "sunmi",
        endpoint: "notify_jsapi",
        check: "length",
        field: "buyerLogonId",
        reason: "documented String(6), yet it carries an openId or Alipay userId (longer): \
                 not enforced on what Sunmi sends",
    },
];

impl SystemCode {
    /// The meaning sunmi.txt §7.1 gives the code; `None` for a code it does not list.
    pub fn doc_meaning(&self) -> Option<&'static str> {
        Some(match self {
            SystemCode::Success => "成功",
            SystemCode::ServiceUnavailable => "不可用服务",
            SystemCode::InsufficientAuthorization => "授权不足",
            SystemCode::MissingParameter => "缺少必需参数",
            SystemCode::InvalidParameter => "非法参数",
            SystemCode::Unknown(_) => return None,
        })
    }
}

impl BusinessCode {
    /// The meaning sunmi.txt §7.2 gives the code; `None` for a code it does not list.
    pub fn doc_meaning(&self) -> Option<&'static str> {
        use BusinessCode::*;
        Some(match self {
            D01Processing => "处理中",
            D04TradeFinished => "交易结束",
            D05AlreadyPaid => "订单已支付",
            D06Cancelled => "订单已撤销",
            D07UserPaying => "用户支付中",
            D08NotPaid => "订单未支付",
            D09PaymentFailed => "订单支付失败",
            D10OrderAbnormal => "订单异常",
            E01MerchantNotFound => "商户不存在",
            E02InvalidAmount => "无效金额",
            E05SignatureFailed => "验签失败",
            E15OrderIdEmpty => "订单号不能为空",
            E16PaymentCodeExpired => "付款码已过期",
            E17PaymentCodeInvalid => "付款码无效",
            E19OrderNotFound => "订单不存在",
            E20UnsupportedTrade => "不支持的交易【作废】",
            E22WrongRefundAmount => "退款金额有误",
            E23DeviceNotAlipayAuthorized => "交易设备未获取支付宝授权",
            E24NotAlipayAuthorized => "未获取支付宝授权",
            E25InvalidMerchant => "商户不合法",
            E27MissingParameter => "缺少必要参数【作废】",
            E28NotRefundOrder => "非退款订单【作废】",
            F01Timeout => "交易超时",
            F02SystemError => "系统异常",
            F04AlipayRefundFailed => "请求支付宝退款接口失败",
            Q03ParameterError => "参数异常",
            R01InvalidVendor => "软件商（软件包、设备）不合法",
            R02IllegalIp => "非法IP【作废】",
            R03TooFrequent => "请求太频繁",
            S03SystemError => "系统异常",
            S04ChannelNotEnabled => "设备商户未开通支付渠道",
            T00Success => "成功",
            T01InvalidTrade => "无效交易",
            T02InsufficientBalance => "余额不足",
            T03AmountOverLimit => "交易金额超限、参数错误",
            T04MerchantBalanceInsufficient => "商户余额不足",
            T05WrongPassword => "密码错误",
            T06DuplicateTrade => "重复交易",
            T07TradeFailed => "交易失败",
            T09SuspectedCheating => "有作弊嫌疑",
            T11SuspectedFraud => "舞弊嫌疑",
            T13NoSameDayPartialRefund => "当日交易不支持部分退款",
            Unknown(_) => return None,
        })
    }
}

impl CardType {
    /// The meaning sunmi.txt §3.4 gives the card type; `None` for one it does not list.
    pub fn doc_meaning(&self) -> Option<&'static str> {
        Some(match self {
            CardType::Credit => "贷记卡",
            CardType::Debit => "借记卡",
            CardType::SemiCredit => "准贷记卡",
            CardType::QrCode => "扫码：微信，支付宝，盛付通",
            CardType::Unknown(_) => return None,
        })
    }
}

impl CardGov {
    /// The meaning sunmi.txt §3.5 gives the card organisation; `None` for one it does not list.
    pub fn doc_meaning(&self) -> Option<&'static str> {
        Some(match self {
            CardGov::WeChat => "微信",
            CardGov::Alipay => "支付宝",
            CardGov::Shengfutong => "盛付通",
            CardGov::BankCard => "银行卡",
            CardGov::UnionPayQr => "银联扫码支付",
            CardGov::UnionPayStaticQr => "银联静态扫码支付",
            CardGov::UnionPayDynamicQr => "银联动态扫码支付",
            CardGov::Unknown(_) => return None,
        })
    }
}
