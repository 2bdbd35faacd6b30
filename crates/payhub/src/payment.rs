//! What a merchant asks for and what comes back, in one vocabulary for all providers.

use crate::provider::Provider;
use crate::status::PaymentStatus;
use paysig::Money;
use serde::Serialize;

/// How the payer pays. A provider that cannot serve a method answers
/// [`crate::Error::UnsupportedMethod`] naming it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayMethod {
    /// WeChat Pay native QR code (扫码).
    WechatNative,
    /// WeChat Pay inside an official account page (公众号 JSAPI).
    WechatJsapi {
        /// The official account app id.
        app_id: String,
        /// The payer's openid under that app id.
        open_id: String,
    },
    /// WeChat Pay inside a mini-program.
    WechatMini {
        /// The mini-program app id.
        app_id: String,
        /// The payer's openid under that app id.
        open_id: String,
    },
    /// WeChat Pay in a native app.
    WechatApp {
        /// The mobile app id registered with WeChat.
        app_id: String,
    },
    /// WeChat Pay H5 (mobile browser outside WeChat).
    WechatH5,
    /// Alipay QR code.
    AlipayQr,
    /// Alipay web checkout (redirect).
    AlipayWeb {
        /// Where Alipay sends the payer back.
        return_url: String,
    },
    /// Alipay in a native app.
    AlipayApp,
    /// UnionPay in a native app.
    UnionPayApp,
    /// UnionPay web checkout.
    UnionPayWeb {
        /// Where UnionPay sends the payer back.
        return_url: String,
    },
    /// Micro-pay: the merchant scans the payer's code (付款码).
    MicroPay {
        /// The code scanned from the payer's phone.
        auth_code: String,
    },
    /// The provider's hosted cashier page (Mifeng `pay_url`).
    HostedCashier {
        /// The provider's channel code, where it asks for one (Mifeng `channel_no`).
        channel: String,
        /// Where the cashier sends the payer back.
        return_url: Option<String>,
    },
}

impl PayMethod {
    /// A stable name for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            PayMethod::WechatNative => "wechat_native",
            PayMethod::WechatJsapi { .. } => "wechat_jsapi",
            PayMethod::WechatMini { .. } => "wechat_mini",
            PayMethod::WechatApp { .. } => "wechat_app",
            PayMethod::WechatH5 => "wechat_h5",
            PayMethod::AlipayQr => "alipay_qr",
            PayMethod::AlipayWeb { .. } => "alipay_web",
            PayMethod::AlipayApp => "alipay_app",
            PayMethod::UnionPayApp => "unionpay_app",
            PayMethod::UnionPayWeb { .. } => "unionpay_web",
            PayMethod::MicroPay { .. } => "micro_pay",
            PayMethod::HostedCashier { .. } => "hosted_cashier",
        }
    }
}

/// A payment to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRequest {
    /// The merchant's order number (unique per merchant; providers de-duplicate on it).
    pub order_no: String,
    /// The amount; each adapter converts it to its provider's wire unit through paysig.
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub amount: Money,
    /// What is bought, shown to the payer.
    pub subject: String,
    /// The payer's IP, where the provider asks for it.
    pub client_ip: Option<String>,
    /// Where the provider posts the payment notify.
    pub notify_url: String,
    /// How the payer pays.
    pub method: PayMethod,
    /// Merchant data echoed back by providers that support it.
    pub attach: Option<String>,
}

impl PaymentRequest {
    /// A request with the required fields; `client_ip` and `attach` are unset.
    pub fn new(
        order_no: impl Into<String>,
        amount: Money,
        subject: impl Into<String>,
        notify_url: impl Into<String>,
        method: PayMethod,
    ) -> Self {
        PaymentRequest {
            order_no: order_no.into(),
            amount,
            subject: subject.into(),
            client_ip: None,
            notify_url: notify_url.into(),
            method,
            attach: None,
        }
    }

    /// Sets the payer's IP.
    pub fn client_ip(mut self, ip: impl Into<String>) -> Self {
        self.client_ip = Some(ip.into());
        self
    }

    /// Sets merchant data to be echoed back.
    pub fn attach(mut self, attach: impl Into<String>) -> Self {
        self.attach = Some(attach.into());
        self
    }
}

/// Parameters a WeChat client SDK needs to start a JSAPI or mini-program payment
/// (`wx.requestPayment` / `WeixinJSBridge`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WechatJsapiParams {
    /// `appId`.
    pub app_id: String,
    /// `timeStamp`.
    pub time_stamp: String,
    /// `nonceStr`.
    pub nonce_str: String,
    /// `package` (`prepay_id=...`).
    pub package: String,
    /// `signType`.
    pub sign_type: String,
    /// `paySign`.
    pub pay_sign: String,
}

/// Parameters the WeChat APP SDK needs (`PayReq`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WechatAppParams {
    /// `appid`.
    pub app_id: String,
    /// `partnerid`.
    pub partner_id: String,
    /// `prepayid`.
    pub prepay_id: String,
    /// `package`.
    pub package: String,
    /// `noncestr`.
    pub nonce_str: String,
    /// `timestamp`.
    pub timestamp: String,
    /// `sign`.
    pub sign: String,
}

/// What the merchant shows or does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentAction {
    /// Render this content as a QR code.
    QrCode {
        /// The QR content (a URL).
        content: String,
    },
    /// Send the payer to this URL.
    Redirect {
        /// The URL.
        url: String,
    },
    /// Render this HTML (an auto-submitting form).
    HtmlForm {
        /// The HTML.
        html: String,
    },
    /// Start WeChat JSAPI payment with these parameters.
    WechatJsapi(WechatJsapiParams),
    /// Start a WeChat mini-program payment with these parameters.
    WechatMini(WechatJsapiParams),
    /// Start WeChat APP payment with these parameters.
    WechatApp(WechatAppParams),
    /// Hand this order string to the Alipay APP SDK.
    AlipayApp {
        /// The signed order string.
        order_string: String,
    },
    /// Hand this transaction number to the UnionPay APP SDK.
    UnionPayApp {
        /// The `tn`.
        tn: String,
    },
    /// Nothing to show: the provider already answered with a state (micro-pay).
    Final {
        /// The state.
        status: PaymentStatus,
    },
}

/// A payment the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedPayment {
    /// Who.
    pub provider: Provider,
    /// The merchant's order number.
    pub order_no: String,
    /// The provider's number for it, when it gives one.
    pub provider_trade_no: Option<String>,
    /// What to do next.
    pub action: PaymentAction,
    /// What the payer is asked to pay, when the provider reports a figure of its own
    /// (Mifeng's `real_money`, which Mifeng may set apart from the order's `money`). `None`
    /// when the provider reports none: the payer is asked for the order's amount.
    #[serde(with = "paysig::money::wire::opt_yuan_str")]
    pub payer_amount: Option<Money>,
}

/// Which payment to look at: the merchant's number, the provider's, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentQuery {
    /// The merchant's order number.
    pub order_no: String,
    /// The provider's number (some providers query by it only: Mifeng).
    pub provider_trade_no: Option<String>,
}

impl PaymentQuery {
    /// By the merchant's order number.
    pub fn by_order_no(order_no: impl Into<String>) -> Self {
        PaymentQuery {
            order_no: order_no.into(),
            provider_trade_no: None,
        }
    }

    /// Adds the provider's number.
    pub fn with_provider_trade_no(mut self, no: impl Into<String>) -> Self {
        self.provider_trade_no = Some(no.into());
        self
    }
}

/// A payment as the provider sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// Who.
    pub provider: Provider,
    /// The merchant's order number.
    pub order_no: String,
    /// The provider's number.
    pub provider_trade_no: Option<String>,
    /// The unified status.
    pub status: PaymentStatus,
    /// The amount, when the provider reports it.
    #[serde(with = "paysig::money::wire::opt_yuan_str")]
    pub amount: Option<Money>,
}

/// A refund to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundRequest {
    /// The merchant's order number of the payment.
    pub order_no: String,
    /// The provider's number of the payment, where the provider needs it.
    pub provider_trade_no: Option<String>,
    /// The merchant's refund number (unique).
    pub refund_no: String,
    /// How much to refund.
    #[serde(with = "paysig::money::wire::yuan_str")]
    pub amount: Money,
    /// The payment's total, where the provider checks the refund against it.
    #[serde(with = "paysig::money::wire::opt_yuan_str")]
    pub total: Option<Money>,
    /// Why, shown to the payer where supported.
    pub reason: Option<String>,
    /// Where the provider posts the refund notify, where supported.
    pub notify_url: Option<String>,
}

/// Which refund to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundQuery {
    /// The merchant's order number of the payment.
    pub order_no: String,
    /// The merchant's refund number.
    pub refund_no: String,
}

/// A refund as the provider sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refund {
    /// Who.
    pub provider: Provider,
    /// The merchant's refund number.
    pub refund_no: String,
    /// The provider's refund number.
    pub provider_refund_no: Option<String>,
    /// The amount, when reported.
    #[serde(with = "paysig::money::wire::opt_yuan_str")]
    pub amount: Option<Money>,
    /// `Refunding` while accepted but not finished; `Refunded` when done; `Failed`.
    pub status: PaymentStatus,
    /// A URL the merchant must open to finish the refund (BeeCloud Alipay refunds).
    pub action_url: Option<String>,
}
