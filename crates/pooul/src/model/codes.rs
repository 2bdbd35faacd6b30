//! Documented codes: trade states, refund states, pay types, app types.
//!
//! Integer codes read leniently (`6` or `"6"`) and keep an unknown value raw.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `trade_state` (table in Pooul's developer docs; pooul.md links to it without printing it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TradeState {
    /// 0 支付成功: paid.
    Success,
    /// 1 转入退款: a refund was started on the paid order.
    Refund,
    /// 2 未支付: not paid.
    NotPaid,
    /// 3 已关闭: closed.
    Closed,
    /// 4 已完结: finished (paid and settled).
    Finished,
    /// 5 已撤销: reversed.
    Reversed,
    /// 6 支付中: paying (e.g. the user is entering the password, USERPAYING).
    Paying,
    /// 7: partially paid.
    PartiallyPaid,
    /// 8: over-paid.
    OverPaid,
    /// A code the table does not have.
    Unknown(i64),
}

impl TradeState {
    /// The state for a wire code.
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => TradeState::Success,
            1 => TradeState::Refund,
            2 => TradeState::NotPaid,
            3 => TradeState::Closed,
            4 => TradeState::Finished,
            5 => TradeState::Reversed,
            6 => TradeState::Paying,
            7 => TradeState::PartiallyPaid,
            8 => TradeState::OverPaid,
            other => TradeState::Unknown(other),
        }
    }

    /// The wire code.
    pub fn code(self) -> i64 {
        match self {
            TradeState::Success => 0,
            TradeState::Refund => 1,
            TradeState::NotPaid => 2,
            TradeState::Closed => 3,
            TradeState::Finished => 4,
            TradeState::Reversed => 5,
            TradeState::Paying => 6,
            TradeState::PartiallyPaid => 7,
            TradeState::OverPaid => 8,
            TradeState::Unknown(raw) => raw,
        }
    }
}

/// `refund_status` (`refund_state` in pooul.md's refund-query sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundStatus {
    /// 0: refund succeeded.
    Success,
    /// 1: refund processing (退款有一定延时).
    Processing,
    /// 2: refund closed.
    Closed,
    /// 3: refund abnormal; needs a look by hand.
    Abnormal,
    /// A code the table does not have.
    Unknown(i64),
}

impl RefundStatus {
    /// The status for a wire code.
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => RefundStatus::Success,
            1 => RefundStatus::Processing,
            2 => RefundStatus::Closed,
            3 => RefundStatus::Abnormal,
            other => RefundStatus::Unknown(other),
        }
    }

    /// The wire code.
    pub fn code(self) -> i64 {
        match self {
            RefundStatus::Success => 0,
            RefundStatus::Processing => 1,
            RefundStatus::Closed => 2,
            RefundStatus::Abnormal => 3,
            RefundStatus::Unknown(raw) => raw,
        }
    }
}

macro_rules! int_code_serde {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.code())
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                paysig::lenient::number::<D, i64>(d).map(<$ty>::from_code)
            }
        }
    };
}
int_code_serde!(TradeState);
int_code_serde!(RefundStatus);

/// `pay_type` as it comes back in responses and notifies ("支付类型编码").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PayTypeCode {
    /// `common.micro`: 统一反扫支付, the merchant scans the customer's code.
    CommonMicro,
    /// `wechat.scan`: 微信扫码支付.
    WechatScan,
    /// `wechat.jsapi`: 微信公众号支付.
    WechatJsapi,
    /// `wechat.jsminipg`: 微信小程序支付.
    WechatMiniProgram,
    /// `wechat.app`: 微信APP支付.
    WechatApp,
    /// `wechat.wap`: 微信H5支付.
    WechatWap,
    /// `alipay.scan`: 支付宝扫码支付.
    AlipayScan,
    /// `wechat.jsurl`: 微信公众号支付（跳转） (developer docs, not pooul.md).
    WechatJsurl,
    /// `alipay.jsapi`: 支付宝服务窗支付 (developer docs, not pooul.md).
    AlipayJsapi,
    /// A pay type the documents do not have.
    Unknown(String),
}

impl PayTypeCode {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            PayTypeCode::CommonMicro => "common.micro",
            PayTypeCode::WechatScan => "wechat.scan",
            PayTypeCode::WechatJsapi => "wechat.jsapi",
            PayTypeCode::WechatMiniProgram => "wechat.jsminipg",
            PayTypeCode::WechatApp => "wechat.app",
            PayTypeCode::WechatWap => "wechat.wap",
            PayTypeCode::AlipayScan => "alipay.scan",
            PayTypeCode::WechatJsurl => "wechat.jsurl",
            PayTypeCode::AlipayJsapi => "alipay.jsapi",
            PayTypeCode::Unknown(raw) => raw,
        }
    }

    /// The code for a wire string.
    pub fn parse(raw: &str) -> Self {
        match raw {
            "common.micro" => PayTypeCode::CommonMicro,
            "wechat.scan" => PayTypeCode::WechatScan,
            "wechat.jsapi" => PayTypeCode::WechatJsapi,
            "wechat.jsminipg" => PayTypeCode::WechatMiniProgram,
            "wechat.app" => PayTypeCode::WechatApp,
            "wechat.wap" => PayTypeCode::WechatWap,
            "alipay.scan" => PayTypeCode::AlipayScan,
            "wechat.jsurl" => PayTypeCode::WechatJsurl,
            "alipay.jsapi" => PayTypeCode::AlipayJsapi,
            other => PayTypeCode::Unknown(other.to_owned()),
        }
    }
}

impl Serialize for PayTypeCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PayTypeCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        paysig::lenient::string(d).map(|s| PayTypeCode::parse(&s))
    }
}

/// `mch_app_type` of `wechat.wap`: the kind of app starting the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MchAppType {
    /// `IOS`: an iOS app (`mch_app_id` is its bundle_id).
    #[serde(rename = "IOS")]
    Ios,
    /// `AND`: an Android app (`mch_app_id` is its package_name).
    #[serde(rename = "AND")]
    Android,
    /// `WAP`: a mobile web site (`mch_app_id` is its home page URL).
    #[serde(rename = "WAP")]
    Wap,
}

impl MchAppType {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            MchAppType::Ios => "IOS",
            MchAppType::Android => "AND",
            MchAppType::Wap => "WAP",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_keep_unknown_values() {
        for code in 0..=9 {
            assert_eq!(TradeState::from_code(code).code(), code);
        }
        for code in 0..=4 {
            assert_eq!(RefundStatus::from_code(code).code(), code);
        }
        let s: TradeState = serde_json::from_str("\"6\"").unwrap();
        assert_eq!(s, TradeState::Paying);
        let s: TradeState = serde_json::from_str("42").unwrap();
        assert_eq!(s, TradeState::Unknown(42));
        let p: PayTypeCode = serde_json::from_str("\"unionpay.scan\"").unwrap();
        assert_eq!(p, PayTypeCode::Unknown("unionpay.scan".into()));
        assert_eq!(p.as_str(), "unionpay.scan");
        for code in ["wechat.jsurl", "alipay.jsapi"] {
            let p = PayTypeCode::parse(code);
            assert!(!matches!(p, PayTypeCode::Unknown(_)), "{code}");
            assert_eq!(p.as_str(), code);
        }
    }
}
