//! Where this crate departs from the tables of mifeng.md, and the documented meaning of each
//! code. `tests/tables.rs` holds the models to every table of `fixtures/mifeng/tables/`
//! (extracted by `cargo xtask fixtures`); each departure it tolerates is listed here.

use crate::model::{BalanceCode, QueryCode, UnifiedOrderCode};

/// One documented field the crate deliberately does not follow to the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocException {
    /// The provider (`mifeng`).
    pub provider: &'static str,
    /// The table's name in `fixtures/mifeng/tables/` (the API path's last part).
    pub endpoint: &'static str,
    /// What is departed from: `request`, `response`, `length` or `required`.
    pub check: &'static str,
    /// The documented field name.
    pub field: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// Every departure from mifeng.md's tables.
pub const DOC_EXCEPTIONS: &[DocException] = &[];

impl UnifiedOrderCode {
    /// The meaning mifeng.md (统一下单 错误码) gives the code; `None` for one it does not list.
    pub fn doc_meaning(self) -> Option<&'static str> {
        use UnifiedOrderCode::*;
        Some(match self {
            NotFound => "找不到数据",
            TokenInvalid => "token校验不通过",
            AccountAbnormal => "账号状态异常",
            DatabaseInsertFailed9 | DatabaseInsertFailed10 => "插入数据库失败",
            MoneyInvalid => "money 参数有误",
            ChannelNoInvalid => "channel_no 参数有误",
            OutOrderNoInvalid => "out_order_no 参数有误",
            NoSuitableBankCard => "找不到合适的银行卡，没有配置或者限额已超过",
            ChannelNotEnabled => "未开通对应通道的频道信息",
            Unknown(_) => return None,
        })
    }
}

impl QueryCode {
    /// The meaning mifeng.md (订单查询 错误码) gives the code; `None` for one it does not list.
    pub fn doc_meaning(self) -> Option<&'static str> {
        Some(match self {
            QueryCode::NotFound => "找不到数据",
            QueryCode::ParamInvalid => "参数校验不通过",
            QueryCode::Unknown(_) => return None,
        })
    }
}

impl BalanceCode {
    /// The meaning mifeng.md (余额查询 错误码) gives the code; `None` for one it does not list.
    pub fn doc_meaning(self) -> Option<&'static str> {
        Some(match self {
            BalanceCode::NotFound => "找不到数据",
            BalanceCode::TokenInvalid => "token校验不通过",
            BalanceCode::ParamInvalid => "参数校验不通过",
            BalanceCode::Unknown(_) => return None,
        })
    }
}
