//! Resolving an unknown outcome by the merchant's number (`mch_trade_id`, `mch_refund_id`)
//! with 查询订单 Query and 退款查询 Refund query (pooul.md) under a [`ResolvePolicy`].
//!
//! | answer | payment | refund |
//! |---|---|---|
//! | `trade_state` 0 success; 1 转入退款, 4 已完结, 7, 8 (money moved) | paid | |
//! | `trade_state` 3 closed, 5 reversed | not paid | |
//! | `trade_state` 2 unpaid, 6 paying | ask again | |
//! | `refund_status` 0 success | | refunded |
//! | `refund_status` 2 closed | | not refunded |
//! | `refund_status` 1 processing, 3 abnormal | | ask again |
//! | the order answered, no refund under `mch_refund_id` | | not found |
//! | a refusal whose `code` is in [`Client::with_not_found_codes`] | not found | not found |
//! | 系统错误, 5xx, timeout, an unverifiable answer to a query | ask again | ask again |
//! | any other refusal | stop: still unknown | stop: still unknown |
//!
//! pooul.md gives **no code** for "no such order": until you set the code your Pooul account
//! answers ([`Client::with_not_found_codes`]), a refusal never reads as "not found" and the
//! resolution ends still unknown (the safe reading).
//!
//! Timing: pooul.md reminder 1, "当返回结果为“系统错误”时，商户系统等待5秒后调用【查询订单API】"
//! then "间隔时间(建议10秒)": [`DEFAULT_POLICY`] waits 5 s, then up to 10 s between queries
//! (full jitter), for 30 s ("超时(建议30秒)").
//!
//! **After "not found"**: do not re-send the create under the same `mch_trade_id`. pooul.md
//! "关闭订单 Close" says "商户订单支付失败需要生成新单号重新发起支付，要对原订单号调用关单，避免重复支付":
//! close the old number ([`Client::close`]) and pay under a **new** number. A refund, by
//! contrast, is re-sent under the **same** `mch_refund_id` (the sandbox and Pooul's newer
//! docs: "一笔退款失败后重新提交，要采用原来的退款单号").

use crate::client::Client;
use crate::error::Error;
use crate::model::Reply;
use crate::model::codes::{RefundStatus, TradeState};
use crate::model::refund::{RefundItem, RefundLookup, RefundMatchError, RefundQueryRequest};
use crate::model::trade::TradeData;
use paysig::http::Jitter;
pub use paysig::resolve::{RefundResolution, Resolution, ResolvePolicy};
use paysig::resolve::{Seen, resolve};
use std::time::Duration;

/// The document's timing (reminder 1): first query 5 s after 系统错误, then at most every
/// 10 s, no query after 30 s.
pub const DEFAULT_POLICY: ResolvePolicy = ResolvePolicy {
    first_delay: Duration::from_secs(5),
    interval: Duration::from_secs(5),
    max_interval: Duration::from_secs(10),
    deadline: Duration::from_secs(30),
    jitter: Jitter::Full,
    max_rounds: None,
};

/// The earliest reverse after a pay (reminder 2, "建议至少15秒后再调用").
pub const REVERSE_NOT_BEFORE: Duration = Duration::from_secs(15);

fn trade_seen(r: Reply<TradeData>) -> Seen<Reply<TradeData>> {
    match r.data.trade_state {
        TradeState::Success
        | TradeState::Refund
        | TradeState::Finished
        | TradeState::PartiallyPaid
        | TradeState::OverPaid => Seen::Paid(r),
        TradeState::Closed | TradeState::Reversed => Seen::NotPaid(r),
        TradeState::NotPaid | TradeState::Paying | TradeState::Unknown(_) => Seen::Pending(r),
    }
}

fn refund_seen(item: RefundItem) -> Seen<RefundItem> {
    match item.refund_status {
        RefundStatus::Success => Seen::Paid(item),
        RefundStatus::Closed => Seen::NotPaid(item),
        RefundStatus::Processing | RefundStatus::Abnormal | RefundStatus::Unknown(_) => {
            Seen::Pending(item)
        }
    }
}

impl Client {
    /// Codes of a refusal that mean "no such order" for your account (pooul.md lists none;
    /// see the [module docs](crate::resolve)).
    pub fn with_not_found_codes(mut self, codes: impl IntoIterator<Item = i64>) -> Self {
        self.set_not_found_codes(codes.into_iter().collect());
        self
    }

    /// Whether an error is a refusal with one of [`Client::with_not_found_codes`].
    pub fn is_not_found(&self, e: &Error) -> bool {
        e.api_code()
            .is_some_and(|c| self.not_found_codes().contains(&c))
    }

    /// Resolves a payment by `mch_trade_id` (see the [module docs](crate::resolve)).
    ///
    /// ```no_run
    /// # async fn demo(client: pooul::Client) {
    /// use pooul::resolve::{DEFAULT_POLICY, Resolution};
    /// match client.resolve_payment("T1001", &DEFAULT_POLICY).await {
    ///     Resolution::Paid(r) => println!("paid: {:?}", r.data.trade_state),
    ///     Resolution::NotFound => println!("close it and pay under a new number"),
    ///     other => println!("{}", other.label()),
    /// }
    /// # }
    /// ```
    pub async fn resolve_payment(
        &self,
        order_no: &str,
        policy: &ResolvePolicy,
    ) -> Resolution<Reply<TradeData>> {
        resolve(policy, || async move {
            match self.query(order_no).await {
                Ok(r) => Ok(trade_seen(r)),
                Err(e) if self.is_not_found(&e) => Ok(Seen::NotFound),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Resolves a refund by `mch_trade_id` and `mch_refund_id`: the order's 退款查询 answer is
    /// searched for the refund by its number (see [`RefundQueryData::find_refund`]); an
    /// answer without it means the refund was never made.
    ///
    /// [`RefundQueryData::find_refund`]: crate::RefundQueryData::find_refund
    pub async fn resolve_refund(
        &self,
        order_no: &str,
        refund_no: &str,
        policy: &ResolvePolicy,
    ) -> RefundResolution<RefundItem> {
        let req = RefundQueryRequest::new(order_no.to_owned()).mch_refund_id(refund_no.to_owned());
        let lookup = RefundLookup {
            mch_refund_id: Some(refund_no.to_owned()),
            ..RefundLookup::default()
        };
        resolve(policy, || {
            let (req, lookup) = (&req, &lookup);
            async move {
                match self.refund_query(req).await {
                    Ok(r) => match r.data.find_refund(lookup) {
                        Ok(item) => Ok(refund_seen(item.clone())),
                        Err(RefundMatchError::NotFound { .. }) => Ok(Seen::NotFound),
                        Err(other) => Err(Error::Decode {
                            operation: "refund_query",
                            reason: other.to_string(),
                        }),
                    },
                    Err(e) if self.is_not_found(&e) => Ok(Seen::NotFound),
                    Err(e) => Err(e),
                }
            }
        })
        .await
        .into()
    }
}
