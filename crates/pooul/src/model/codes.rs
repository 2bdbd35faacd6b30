//! Documented codes: trade states, refund states, pay types, app types.
//!
//! Integer codes read leniently (`6` or `"6"`) and keep an unknown value raw.

use serde::{Deserialize, Serialize};

paysig::code_enum! {
    /// `trade_state` (table in Pooul's developer docs; pooul.md links to it without printing it).
    int TradeState {
        /// 0 支付成功: paid.
        Success = 0,
        /// 1 转入退款: a refund was started on the paid order.
        Refund = 1,
        /// 2 未支付: not paid.
        NotPaid = 2,
        /// 3 已关闭: closed.
        Closed = 3,
        /// 4 已完结: finished (paid and settled).
        Finished = 4,
        /// 5 已撤销: reversed.
        Reversed = 5,
        /// 6 支付中: paying (e.g. the user is entering the password, USERPAYING).
        Paying = 6,
        /// 7: partially paid.
        PartiallyPaid = 7,
        /// 8: over-paid.
        OverPaid = 8,
    }
}

paysig::code_enum! {
    /// `refund_status` (`refund_state` in pooul.md's refund-query sample).
    int RefundStatus {
        /// 0: refund succeeded.
        Success = 0,
        /// 1: refund processing (退款有一定延时).
        Processing = 1,
        /// 2: refund closed.
        Closed = 2,
        /// 3: refund abnormal; needs a look by hand.
        Abnormal = 3,
    }
}

paysig::code_enum! {
    /// `pay_type` as it comes back in responses and notifies ("支付类型编码").
    string PayTypeCode {
        /// `common.micro`: 统一反扫支付, the merchant scans the customer's code.
        CommonMicro = "common.micro",
        /// `wechat.scan`: 微信扫码支付.
        WechatScan = "wechat.scan",
        /// `wechat.jsapi`: 微信公众号支付.
        WechatJsapi = "wechat.jsapi",
        /// `wechat.jsminipg`: 微信小程序支付.
        WechatMiniProgram = "wechat.jsminipg",
        /// `wechat.app`: 微信APP支付.
        WechatApp = "wechat.app",
        /// `wechat.wap`: 微信H5支付.
        WechatWap = "wechat.wap",
        /// `alipay.scan`: 支付宝扫码支付.
        AlipayScan = "alipay.scan",
        /// `wechat.jsurl`: 微信公众号支付（跳转） (developer docs, not pooul.md).
        WechatJsurl = "wechat.jsurl",
        /// `alipay.jsapi`: 支付宝服务窗支付 (developer docs, not pooul.md).
        AlipayJsapi = "alipay.jsapi",
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
            assert_eq!(TradeState::from(code).code(), code);
        }
        for code in 0..=4 {
            assert_eq!(RefundStatus::from(code).code(), code);
        }
        let s: TradeState = serde_json::from_str("\"6\"").unwrap();
        assert_eq!(s, TradeState::Paying);
        let s: TradeState = serde_json::from_str("42").unwrap();
        assert_eq!(s, TradeState::Unknown(42));
        let p: PayTypeCode = serde_json::from_str("\"unionpay.scan\"").unwrap();
        assert_eq!(p, PayTypeCode::Unknown("unionpay.scan".into()));
        assert_eq!(p.as_str(), "unionpay.scan");
        for code in ["wechat.jsurl", "alipay.jsapi"] {
            let p = PayTypeCode::from(code);
            assert!(!matches!(p, PayTypeCode::Unknown(_)), "{code}");
            assert_eq!(p.as_str(), code);
        }
    }
}
