//! Every documented code and state, with its documented meaning.
//!
//! Each enum keeps an `Unknown(raw)` variant: Mifeng may add codes, and an unknown one must
//! reach the caller as it came, never be folded into a known one.

use std::fmt;

paysig::code_enum! {
    /// Error codes of 统一下单 (mifeng.md §统一下单 错误码).
    int UnifiedOrderCode {
        /// 1 找不到数据: no data found.
        NotFound = 1,
        /// 2 token校验不通过: the token failed validation (expired or superseded).
        TokenInvalid = 2,
        /// 4 账号状态异常: the merchant account is in an abnormal state.
        AccountAbnormal = 4,
        /// 9 插入数据库失败: inserting into the database failed.
        DatabaseInsertFailed9 = 9,
        /// 10 插入数据库失败: inserting into the database failed (the document gives 9 and 10
        /// the same meaning).
        DatabaseInsertFailed10 = 10,
        /// -1 money 参数有误: the `money` parameter is wrong.
        MoneyInvalid = -1,
        /// -2 channel_no 参数有误: the `channel_no` parameter is wrong.
        ChannelNoInvalid = -2,
        /// -3 out_order_no 参数有误: the `out_order_no` parameter is wrong (e.g. reused).
        OutOrderNoInvalid = -3,
        /// -4 找不到合适的银行卡，没有配置或者限额已超过: no suitable bank card (none configured,
        /// or its limit is exceeded).
        NoSuitableBankCard = -4,
        /// -5 未开通对应通道的频道信息: the channel for this `channel_no` is not enabled.
        ChannelNotEnabled = -5,
    }
}

paysig::code_enum! {
    /// Error codes of 订单查询 (mifeng.md §订单查询 错误码).
    int QueryCode {
        /// 1 找不到数据: no such order.
        NotFound = 1,
        /// 2 参数校验不通过: a parameter failed validation. (For the other endpoints 2 means
        /// "token invalid"; see [`crate::QueryCode2`].)
        ParamInvalid = 2,
    }
}

paysig::code_enum! {
    /// Error codes of 余额查询 (mifeng.md §余额查询 错误码).
    int BalanceCode {
        /// 1 找不到数据: no data found.
        NotFound = 1,
        /// 2 token校验不通过: the token failed validation.
        TokenInvalid = 2,
        /// 3 参数校验不通过: a parameter failed validation.
        ParamInvalid = 3,
    }
}

paysig::code_enum! {
    /// 订单查询 `state` (mifeng.md §订单查询 响应参数).
    int OrderState {
        /// 0 未出码: no payment code issued yet.
        NoCode = 0,
        /// 1 交易失败: the payment failed.
        Failed = 1,
        /// 2 待支付: awaiting payment.
        AwaitingPayment = 2,
        /// 3 交易成功: paid.
        Success = 3,
    }
}

paysig::code_enum! {
    /// 订单查询 `notify_succ` (mifeng.md §订单查询 响应参数).
    int NotifyDelivery {
        /// 0 通知失败: the notify was not delivered.
        Failed = 0,
        /// 1 通知成功: the notify was delivered.
        Delivered = 1,
    }
}

paysig::code_enum! {
    /// Notify `state`. **Inferred**: taken from a document of the same platform template
    /// (docs/provider-notes.md), not confirmed for Mifeng; note that it is numbered differently
    /// from [`OrderState`].
    int NotifyState {
        /// 1 未出码: no payment code issued yet.
        NoCode = 1,
        /// 2 待支付: awaiting payment.
        AwaitingPayment = 2,
        /// 3 交易成功: paid.
        Success = 3,
        /// 4 交易失败: the payment failed.
        Failed = 4,
    }
}

/// A business error code, typed by the endpoint that returned it (the same number means
/// different things on different endpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiCode {
    /// From `accesstoken`, which documents no error codes.
    AccessToken(i64),
    /// From `unifiedorder`.
    UnifiedOrder(UnifiedOrderCode),
    /// From `query`.
    Query(QueryCode),
    /// From `balance`.
    Balance(BalanceCode),
}

impl ApiCode {
    /// The raw code.
    pub fn code(self) -> i64 {
        match self {
            ApiCode::AccessToken(c) => c,
            ApiCode::UnifiedOrder(c) => c.code(),
            ApiCode::Query(c) => c.code(),
            ApiCode::Balance(c) => c.code(),
        }
    }
}

impl fmt::Display for ApiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// The documented endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `v1/api/pay/accesstoken` (§接口授权).
    AccessToken,
    /// `/v1/api/pay/unifiedorder` (§统一下单).
    UnifiedOrder,
    /// `/v1/api/pay/query` (§订单查询).
    Query,
    /// `/v1/api/pay/balance` (§余额查询).
    Balance,
}

impl Operation {
    /// The name used in errors and tracing spans.
    pub fn name(self) -> &'static str {
        match self {
            Operation::AccessToken => "accesstoken",
            Operation::UnifiedOrder => "unifiedorder",
            Operation::Query => "query",
            Operation::Balance => "balance",
        }
    }

    /// The path below the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Operation::AccessToken => "v1/api/pay/accesstoken",
            Operation::UnifiedOrder => "v1/api/pay/unifiedorder",
            Operation::Query => "v1/api/pay/query",
            Operation::Balance => "v1/api/pay/balance",
        }
    }

    /// The meaning of a non-zero `code` from this endpoint.
    pub fn api_code(self, code: i64) -> ApiCode {
        match self {
            Operation::AccessToken => ApiCode::AccessToken(code),
            Operation::UnifiedOrder => ApiCode::UnifiedOrder(code.into()),
            Operation::Query => ApiCode::Query(code.into()),
            Operation::Balance => ApiCode::Balance(code.into()),
        }
    }
}
