//! Channels: the payment method of a bill (§2 附注), of a refund (§3), of a query (§4, §5).

use serde::{Serialize, Serializer};

/// How the buyer pays a bill (§2 `channel`), each variant carrying the fields only it takes,
/// so a WX_JSAPI bill without an `openid` or an ALI_WEB bill without a `return_url` cannot be
/// built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillChannel {
    /// `WX_APP`: 微信手机原生APP支付, WeChat Pay inside a native mobile app.
    WxApp,
    /// `WX_NATIVE`: 微信公众号二维码支付, WeChat Pay by QR code.
    WxNative,
    /// `WX_JSAPI`: 微信公众号支付, WeChat Pay inside an official account page.
    WxJsapi {
        /// `openid`: the buyer's id for the official account (必填, required).
        openid: String,
    },
    /// `ALI_APP`: 支付宝手机原生APP支付, Alipay inside a native mobile app.
    AliApp,
    /// `ALI_WEB`: 支付宝PC网页支付, Alipay on a PC web page.
    AliWeb {
        /// `return_url`: the merchant page the buyer is sent back to (必填, required).
        return_url: String,
        /// `show_url`: the product page, starting with `http://` (选填, optional).
        show_url: Option<String>,
    },
    /// `ALI_QRCODE`: 支付宝内嵌二维码支付, Alipay QR code embedded in the merchant page.
    AliQrcode {
        /// `return_url` (必填, required).
        return_url: String,
        /// `qr_pay_mode`: the QR code layout (选填, optional).
        qr_pay_mode: Option<QrPayMode>,
    },
    /// `UN_APP`: 银联手机原生APP支付, UnionPay inside a native mobile app.
    UnApp,
    /// `UN_WEB`: 银联PC网页支付, UnionPay on a PC web page.
    UnWeb {
        /// `return_url` (必填, required).
        return_url: String,
    },
}

impl BillChannel {
    /// The wire value of `channel`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::WxApp => "WX_APP",
            Self::WxNative => "WX_NATIVE",
            Self::WxJsapi { .. } => "WX_JSAPI",
            Self::AliApp => "ALI_APP",
            Self::AliWeb { .. } => "ALI_WEB",
            Self::AliQrcode { .. } => "ALI_QRCODE",
            Self::UnApp => "UN_APP",
            Self::UnWeb { .. } => "UN_WEB",
        }
    }

    /// The query channel of the same name.
    pub fn channel(&self) -> Channel {
        match self {
            Self::WxApp => Channel::WxApp,
            Self::WxNative => Channel::WxNative,
            Self::WxJsapi { .. } => Channel::WxJsapi,
            Self::AliApp => Channel::AliApp,
            Self::AliWeb { .. } => Channel::AliWeb,
            Self::AliQrcode { .. } => Channel::AliQrcode,
            Self::UnApp => Channel::UnApp,
            Self::UnWeb { .. } => Channel::UnWeb,
        }
    }
}

/// `qr_pay_mode` of ALI_QRCODE (§2 注： 二维码类型含义). Sent as a string, as documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrPayMode {
    /// `0`: 订单码-简约前置模式, iframe at least 600 px wide and 300 px high.
    SimpleFront,
    /// `1`: 订单码-前置模式, iframe at least 300 px wide and 600 px high.
    Front,
    /// `3`: 订单码-迷你前置模式, iframe at least 75 px by 75 px.
    MiniFront,
}

impl QrPayMode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SimpleFront => "0",
            Self::Front => "1",
            Self::MiniFront => "3",
        }
    }
}

/// The channel of a refund (§3 `channel`: WX ALI UN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundChannel {
    /// `WX`: WeChat Pay.
    Wx,
    /// `ALI`: Alipay. BeeCloud answers a `url` where the merchant confirms the refund.
    Ali,
    /// `UN`: UnionPay.
    Un,
}

impl RefundChannel {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wx => "WX",
            Self::Ali => "ALI",
            Self::Un => "UN",
        }
    }
}

impl Serialize for RefundChannel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

paysig::code_enum! {
    /// A channel as used by the queries (§4, §5) and answered in their records: the bill
    /// channels plus the provider groups `WX`, `ALI`, `UN`. A channel the document does not
    /// list (BeeCloud added many later) is kept in `Unknown`.
    string Channel {
        /// `WX`: every WeChat Pay channel.
        Wx = "WX",
        /// `WX_APP`: 微信手机原生APP支付.
        WxApp = "WX_APP",
        /// `WX_NATIVE`: 微信公众号二维码支付.
        WxNative = "WX_NATIVE",
        /// `WX_JSAPI`: 微信公众号支付.
        WxJsapi = "WX_JSAPI",
        /// `ALI`: every Alipay channel.
        Ali = "ALI",
        /// `ALI_APP`: 支付宝手机原生APP支付.
        AliApp = "ALI_APP",
        /// `ALI_WEB`: 支付宝PC网页支付.
        AliWeb = "ALI_WEB",
        /// `ALI_QRCODE`: 支付宝内嵌二维码支付.
        AliQrcode = "ALI_QRCODE",
        /// `UN`: every UnionPay channel.
        Un = "UN",
        /// `UN_APP`: 银联手机原生APP支付.
        UnApp = "UN_APP",
        /// `UN_WEB`: 银联PC网页支付.
        UnWeb = "UN_WEB",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_round_trip_and_keep_unknown_values() {
        for raw in [
            "WX",
            "WX_APP",
            "WX_NATIVE",
            "WX_JSAPI",
            "ALI",
            "ALI_APP",
            "ALI_WEB",
            "ALI_QRCODE",
            "UN",
            "UN_APP",
            "UN_WEB",
        ] {
            let c = Channel::from(raw);
            assert!(!matches!(c, Channel::Unknown(_)), "{raw}");
            assert_eq!(c.as_str(), raw);
        }
        assert_eq!(
            Channel::from("KUAIQIAN"),
            Channel::Unknown("KUAIQIAN".into())
        );
    }
}
