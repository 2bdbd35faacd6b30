//! Resolving an unknown outcome by the merchant's number with 订单查询 (mifeng.md §订单查询,
//! `POST /v1/api/pay/query`) under a [`ResolvePolicy`].
//!
//! | answer | resolution |
//! |---|---|
//! | `state` 3 交易成功 | paid |
//! | `state` 1 交易失败 | not paid |
//! | `state` 0 未出码, 2 待支付, before `expired_timestamp` | ask again |
//! | `state` 0 or 2 after `expired_timestamp` | not paid (the order can no longer be paid) |
//! | 错误码 1 找不到数据 | not found |
//! | 5xx, timeout, rate limited, an unreadable answer | ask again |
//! | any other refusal (2 参数校验不通过, a token refused twice) | stop: still unknown |
//!
//! **Which number.** The query table names its parameter `order_no` "订单号" without saying
//! whose; its sample is Mifeng's number, and a merchant resolving an unknown create has only
//! its own (`out_order_no`). Inference: the merchant's number is sent as `order_no`, and the
//! answer must name it as `out_order_no` (or as `order_no`, if it is Mifeng's); any other
//! order is [`Error::ResponseMismatch`]. If your account answers 1 找不到数据 for merchant
//! numbers, resolve with Mifeng's number instead (from the create's answer or the notify).
//!
//! Timing: mifeng.md names none; [`DEFAULT_POLICY`] queries after 2 s, then at most every
//! 2, 4, 8 s (full jitter) for a minute, far under the 20 requests a second the platform allows.
//!
//! **After "not found"**: mifeng.md and docs/provider-notes.md do not say whether the same
//! `out_order_no` may be sent again. The safe answer is taken: **create again under a new
//! `out_order_no`** (Mifeng has no close; an order it never held cannot be paid).
//!
//! Mifeng has no refund: [`Client::resolve_refund`] answers still unknown with
//! [`ErrorClass::Unsupported`] at once, so that the signature is the same in every payhub
//! provider crate.

use crate::client::Client;
use crate::error::Error;
use crate::model::{ApiCode, OrderState, QueryCode, QueryOrderResponse, Reply};
use paysig::class::ErrorClass;
use paysig::http::Jitter;
pub use paysig::resolve::{RefundResolution, Resolution, ResolvePolicy};
use paysig::resolve::{Seen, resolve};
use std::time::Duration;

/// mifeng.md names no timing: a first query after 2 s, waits of at most 2, 4, 8 s, for 60 s.
pub const DEFAULT_POLICY: ResolvePolicy = ResolvePolicy {
    first_delay: Duration::from_secs(2),
    interval: Duration::from_secs(2),
    max_interval: Duration::from_secs(8),
    deadline: Duration::from_secs(60),
    jitter: Jitter::Full,
    max_rounds: None,
};

/// Whether an error is 订单查询's 1 找不到数据.
pub fn is_not_found(e: &Error) -> bool {
    matches!(
        e,
        Error::Api {
            code: ApiCode::Query(QueryCode::NotFound),
            ..
        }
    )
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn judge(
    r: Result<Reply<QueryOrderResponse>, Error>,
    asked: &str,
) -> Result<Seen<Reply<QueryOrderResponse>>, Error> {
    let r = match r {
        Ok(r) => r,
        Err(e) if is_not_found(&e) => return Ok(Seen::NotFound),
        Err(e) => return Err(e),
    };
    if r.data.out_order_no != asked && r.data.order_no != asked {
        return Err(Error::ResponseMismatch {
            operation: "query",
            field: "out_order_no",
            expected: asked.to_owned(),
            got: r.data.out_order_no.clone(),
            request_id: r.request_id.clone(),
        });
    }
    let expired = r.data.expired_timestamp.is_some_and(|t| t <= now_ms());
    Ok(match r.data.state {
        OrderState::Success => Seen::Paid(r),
        OrderState::Failed => Seen::NotPaid(r),
        OrderState::NoCode | OrderState::AwaitingPayment if expired => Seen::NotPaid(r),
        OrderState::NoCode | OrderState::AwaitingPayment | OrderState::Unknown(_) => {
            Seen::Pending(r)
        }
    })
}

impl Client {
    /// Resolves a payment by the merchant's number (see the [module docs](self) for the
    /// mapping, the number sent and what "not found" allows).
    ///
    /// ```no_run
    /// # async fn demo(client: mifeng::Client) {
    /// use mifeng::resolve::{DEFAULT_POLICY, Resolution};
    /// match client.resolve_payment("20150320010101001", &DEFAULT_POLICY).await {
    ///     Resolution::Paid(r) => println!("paid {}", r.data.money),
    ///     Resolution::NotFound => println!("never created: create under a new number"),
    ///     other => println!("{}", other.label()),
    /// }
    /// # }
    /// ```
    pub async fn resolve_payment(
        &self,
        order_no: &str,
        policy: &ResolvePolicy,
    ) -> Resolution<Reply<QueryOrderResponse>> {
        resolve(policy, || async move {
            judge(self.query_unmatched(order_no).await, order_no)
        })
        .await
    }

    /// Mifeng has no refund (mifeng.md lists none): still unknown with
    /// [`ErrorClass::Unsupported`], nothing sent.
    pub async fn resolve_refund(
        &self,
        _order_no: &str,
        _refund_no: &str,
        _policy: &ResolvePolicy,
    ) -> RefundResolution<Reply<QueryOrderResponse>> {
        RefundResolution::StillUnknown {
            last_seen: None,
            last_error: Some(ErrorClass::Unsupported),
        }
    }
}
