//! Every documented code and state of sunmi.txt, each with an `Unknown` fallback that keeps the
//! raw value (Sunmi may add codes; a new one must never be mistaken for a known one).

paysig::code_enum! {
    /// `code`, the system result (sunmi.txt §7.1). `10000` only means the request reached
    /// Sunmi (§8 "其他问题" 1): the business result is in `data`.
    string SystemCode {
        /// 10000 成功: the request arrived (not: the business call succeeded).
        Success = "10000",
        /// 20000 不可用服务: service unavailable.
        ServiceUnavailable = "20000",
        /// 20001 授权不足: insufficient authorisation (the app_id lacks this API).
        InsufficientAuthorization = "20001",
        /// 40001 缺少必需参数: a required parameter is missing.
        MissingParameter = "40001",
        /// 40002 非法参数: an illegal parameter.
        InvalidParameter = "40002",
    }
}

paysig::code_enum! {
    /// `sub_code` / `resultCode`, the business codes (sunmi.txt §7.2).
    string BusinessCode {
        /// D01 处理中: processing.
        D01Processing = "D01",
        /// D04 交易结束: trade finished.
        D04TradeFinished = "D04",
        /// D05 订单已支付: order already paid.
        D05AlreadyPaid = "D05",
        /// D06 订单已撤销: order cancelled.
        D06Cancelled = "D06",
        /// D07 用户支付中: the user is paying (query again later).
        D07UserPaying = "D07",
        /// D08 订单未支付: order not paid.
        D08NotPaid = "D08",
        /// D09 订单支付失败: payment failed.
        D09PaymentFailed = "D09",
        /// D10 订单异常: order abnormal.
        D10OrderAbnormal = "D10",
        /// E01 商户不存在: merchant does not exist.
        E01MerchantNotFound = "E01",
        /// E02 无效金额: invalid amount.
        E02InvalidAmount = "E02",
        /// E05 验签失败: signature check failed.
        E05SignatureFailed = "E05",
        /// E15 订单号不能为空: the order number must not be empty.
        E15OrderIdEmpty = "E15",
        /// E16 付款码已过期: payment code expired.
        E16PaymentCodeExpired = "E16",
        /// E17 付款码无效: payment code invalid.
        E17PaymentCodeInvalid = "E17",
        /// E19 订单不存在: order does not exist.
        E19OrderNotFound = "E19",
        /// E20 不支持的交易【作废】: unsupported trade (withdrawn code).
        E20UnsupportedTrade = "E20",
        /// E22 退款金额有误: wrong refund amount (also: nothing left to refund).
        E22WrongRefundAmount = "E22",
        /// E23 交易设备未获取支付宝授权: the device has no Alipay authorisation.
        E23DeviceNotAlipayAuthorized = "E23",
        /// E24 未获取支付宝授权: no Alipay authorisation.
        E24NotAlipayAuthorized = "E24",
        /// E25 商户不合法: merchant not valid.
        E25InvalidMerchant = "E25",
        /// E27 缺少必要参数【作废】: missing parameter (withdrawn code).
        E27MissingParameter = "E27",
        /// E28 非退款订单【作废】: not a refund order (withdrawn code).
        E28NotRefundOrder = "E28",
        /// F01 交易超时: trade timed out.
        F01Timeout = "F01",
        /// F02 系统异常: system error.
        F02SystemError = "F02",
        /// F04 请求支付宝退款接口失败: the Alipay refund call failed.
        F04AlipayRefundFailed = "F04",
        /// Q03 参数异常: parameter error (e.g. "subappid已配置，请勿重复配置").
        Q03ParameterError = "Q03",
        /// R01 软件商（软件包、设备）不合法: software vendor (package, device) not valid.
        R01InvalidVendor = "R01",
        /// R02 非法IP【作废】: illegal IP (withdrawn code).
        R02IllegalIp = "R02",
        /// R03 请求太频繁: too many requests.
        R03TooFrequent = "R03",
        /// S03 系统异常: system error.
        S03SystemError = "S03",
        /// S04 设备商户未开通支付渠道: the device's merchant has no payment channel enabled.
        S04ChannelNotEnabled = "S04",
        /// T00 成功: success.
        T00Success = "T00",
        /// T01 无效交易: invalid trade.
        T01InvalidTrade = "T01",
        /// T02 余额不足: insufficient balance.
        T02InsufficientBalance = "T02",
        /// T03 交易金额超限、参数错误: amount over limit, or parameter error.
        T03AmountOverLimit = "T03",
        /// T04 商户余额不足: merchant balance insufficient.
        T04MerchantBalanceInsufficient = "T04",
        /// T05 密码错误: wrong password.
        T05WrongPassword = "T05",
        /// T06 重复交易: duplicate trade.
        T06DuplicateTrade = "T06",
        /// T07 交易失败: trade failed.
        T07TradeFailed = "T07",
        /// T09 有作弊嫌疑: suspected cheating.
        T09SuspectedCheating = "T09",
        /// T11 舞弊嫌疑: suspected fraud.
        T11SuspectedFraud = "T11",
        /// T13 当日交易不支持部分退款: same-day trades cannot be partly refunded.
        T13NoSameDayPartialRefund = "T13",
    }
}

impl BusinessCode {
    /// Codes that say "not final yet, ask again" (D01 处理中, D07 用户支付中).
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            BusinessCode::D01Processing | BusinessCode::D07UserPaying
        )
    }
}

paysig::code_enum! {
    /// `resultCode` of the card query (sunmi.txt §3.3.1: "00 表示成功").
    string SwipeResultCode {
        /// 00: success.
        Success = "00",
    }
}

paysig::code_enum! {
    /// `state`, the order state (sunmi.txt §3.3.1, §4.3.2-§4.3.5).
    int TradeState {
        /// 1 交易创建，交易提交到支付通道，待付款: created, submitted to the channel, awaiting payment.
        Created = 1,
        /// 2 订单未付款: not paid.
        Unpaid = 2,
        /// 3 交易成功，包含：收款、退款等成功: succeeded (payment, refund, ...).
        Success = 3,
        /// 4 交易结束，不可退款，如撤单后原订单即为此状态: finished, not refundable (e.g. after cancellation).
        Closed = 4,
        /// 5 交易失败: failed.
        Failed = 5,
    }
}

impl TradeState {
    /// States the document describes as an outcome: 3 success, 4 closed, 5 failed.
    /// 1 and 2 may still change; whether 2 counts as final is a polling choice
    /// ([`crate::UnpaidPolicy`]).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TradeState::Success | TradeState::Closed | TradeState::Failed
        )
    }
}

paysig::code_enum! {
    /// `orderType` (sunmi.txt §3.3.1, §4.3.5). The query and refund tables (§4.3.3, §4.3.4)
    /// only list 0 收款 and 1 退款.
    int OrderType {
        /// 0 消费 / 收款: a payment.
        Payment = 0,
        /// 1 退款: a refund.
        Refund = 1,
        /// 2 撤单: a cancellation.
        Cancellation = 2,
        /// 3 预授权: a pre-authorisation.
        PreAuthorization = 3,
        /// 4 预授权完成: a pre-authorisation completion.
        PreAuthorizationCompletion = 4,
        /// 5 撤销 (盛付通: usually a back-office cancellation): a reversal.
        Reversal = 5,
        /// 6 订单查询: an order query.
        OrderQuery = 6,
    }
}

paysig::code_enum! {
    /// `cardType` (sunmi.txt §3.4).
    string CardType {
        /// CC 贷记卡: credit card.
        Credit = "CC",
        /// DC 借记卡: debit card.
        Debit = "DC",
        /// SCC 准贷记卡: semi-credit card.
        SemiCredit = "SCC",
        /// OA 扫码：微信，支付宝，盛付通: QR code (WeChat, Alipay, Shengfutong).
        QrCode = "OA",
    }
}

paysig::code_enum! {
    /// `cardGov`, the card organisation (sunmi.txt §3.5).
    string CardGov {
        /// WX 微信: WeChat.
        WeChat = "WX",
        /// ZFB01 支付宝: Alipay.
        Alipay = "ZFB01",
        /// SFT01 盛付通: Shengfutong.
        Shengfutong = "SFT01",
        /// CUP 银行卡: bank card.
        BankCard = "CUP",
        /// CUP01 银联扫码支付: UnionPay QR.
        UnionPayQr = "CUP01",
        /// CUP02 银联静态扫码支付: UnionPay static QR.
        UnionPayStaticQr = "CUP02",
        /// CUP03 银联动态扫码支付: UnionPay dynamic QR.
        UnionPayDynamicQr = "CUP03",
    }
}

paysig::code_enum! {
    /// `platform`, the payment platform (sunmi.txt §4.3.2-§4.3.5).
    string Platform {
        /// wxpay 微信支付: WeChat Pay.
        WxPay = "wxpay",
        /// alipay 支付宝支付: Alipay.
        Alipay = "alipay",
        /// unionpay 银联钱包支付: UnionPay wallet.
        UnionPay = "unionpay",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_keep_their_raw_value() {
        assert_eq!(
            BusinessCode::from("Z99"),
            BusinessCode::Unknown("Z99".into())
        );
        assert_eq!(BusinessCode::from("D07"), BusinessCode::D07UserPaying);
        assert_eq!(TradeState::from(9), TradeState::Unknown(9));
        let s: TradeState = serde_json::from_str("\"3\"").unwrap();
        assert_eq!(s, TradeState::Success);
        assert!(serde_json::from_str::<TradeState>("\"x\"").is_err());
        let c: SystemCode = serde_json::from_str("10000").unwrap();
        assert_eq!(c, SystemCode::Success);
    }
}
