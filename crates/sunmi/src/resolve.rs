//! Resolving an unknown outcome by the merchant's number (`orderId`), with `query`
//! (sunmi.txt §4.3.3, §5.3.3) under a [`ResolvePolicy`].
//!
//! After a `jsApiPay`, `miniPay` or `refund` whose outcome is unknown
//! ([`crate::Error::outcome_unknown`]), [`Client::resolve_payment`] / [`Client::resolve_refund`]
//! query by the merchant's `orderId` until Sunmi gives a definite state:
//!
//! | query answer | resolution |
//! |---|---|
//! | `state` 3 交易成功 | paid / refunded |
//! | `state` 4 交易结束, 5 交易失败 | not paid / not refunded |
//! | `state` 1 交易创建, 2 订单未付款 | pending: ask again |
//! | `sub_code` E19 订单不存在 | not found |
//! | D01 处理中, D07 用户支付中, F02/S03 系统异常, R03 请求太频繁, 5xx, timeout | ask again |
//! | any other refusal (E05 验签失败, 20001 授权不足, ...) | stop: still unknown |
//!
//! Timing: sunmi.txt §4.3.2 / §5.3.2 ask for the first query "10秒（含）后" after 用户支付中;
//! [`DEFAULT_POLICY`] waits 10 s, then 5 s, 10 s, 20 s (full jitter) until 2 minutes.
//!
//! **After "not found"** the document does not say whether the same `orderId` may be sent
//! again, and its FAQ (§FAQ 5 "接口报【订单不存在】") lists causes other than "never created":
//! another environment, another `app_id`, another device's `msn`. The safe answer is taken:
//! **do not re-send the create with the same `orderId`; create the order again under a new
//! number** (the old one cannot be paid: Sunmi never holds it, or holds it under other
//! credentials you should check first).
//!
//! Sunmi's `query` needs the terminal (`merchantNo` or `msn`): give it once with
//! [`Client::with_terminal`]. Without one, a resolution stops at once as still unknown with
//! [`ErrorClass::InvalidRequest`].

use crate::client::Client;
use crate::error::Error;
use crate::model::{BusinessCode, OrderRef, OrderType, QueryRequest, QueryResult, TradeState};
use paysig::class::ErrorClass;
use paysig::http::Jitter;
pub use paysig::resolve::{RefundResolution, Resolution, ResolvePolicy};
use paysig::resolve::{Seen, resolve};
use std::time::Duration;

/// The document's timing: the first query 10 s after the call (sunmi.txt §4.3.2, §5.3.2
/// "建议在10秒（含）后开始查询"), then waits of at most 5, 10, 20 s, for 2 minutes.
pub const DEFAULT_POLICY: ResolvePolicy = ResolvePolicy {
    first_delay: Duration::from_secs(10),
    interval: Duration::from_secs(5),
    max_interval: Duration::from_secs(20),
    deadline: Duration::from_secs(120),
    jitter: Jitter::Full,
    max_rounds: None,
};

/// Whether an error means Sunmi holds no order under the number asked (E19 订单不存在).
pub fn is_not_found(e: &Error) -> bool {
    matches!(
        e,
        Error::Api {
            code: BusinessCode::E19OrderNotFound,
            ..
        }
    )
}

fn judge(
    r: Result<QueryResult, Error>,
    want: OrderType,
    asked: &str,
) -> Result<Seen<QueryResult>, Error> {
    let r = match r {
        Ok(r) => r,
        Err(e) if is_not_found(&e) => return Ok(Seen::NotFound),
        Err(e) => return Err(e),
    };
    if r.order_type != want {
        return Err(Error::ResponseMismatch {
            operation: "query",
            field: "orderType",
            expected: want.code().to_string(),
            got: r.order_type.code().to_string(),
        });
    }
    // An answer silent on orderId was matched by nothing: it must name the order asked.
    if r.order_id.as_deref() != Some(asked) {
        return Err(Error::ResponseMismatch {
            operation: "query",
            field: "orderId",
            expected: asked.to_owned(),
            got: r.order_id.clone().unwrap_or_default(),
        });
    }
    Ok(match r.state {
        TradeState::Success => Seen::Paid(r),
        TradeState::Closed | TradeState::Failed => Seen::NotPaid(r),
        TradeState::Created | TradeState::Unpaid | TradeState::Unknown(_) => Seen::Pending(r),
    })
}

impl Client {
    /// Resolves a payment by the merchant's `orderId` (see the [module docs](self) for the
    /// mapping, the timing and what "not found" allows).
    ///
    /// ```no_run
    /// # async fn demo(client: sunmi::Client) {
    /// use sunmi::Terminal;
    /// use sunmi::resolve::{DEFAULT_POLICY, Resolution};
    /// let client = client.with_terminal(Terminal::MerchantNo("820291573790006".into()));
    /// match client.resolve_payment("T1001", &DEFAULT_POLICY).await {
    ///     Resolution::Paid(r) => println!("paid {}", r.amount),
    ///     Resolution::NotFound => println!("never created: create again under a new orderId"),
    ///     other => println!("{}", other.label()),
    /// }
    /// # }
    /// ```
    pub async fn resolve_payment(
        &self,
        order_no: &str,
        policy: &ResolvePolicy,
    ) -> Resolution<QueryResult> {
        self.resolve_as(order_no, policy, OrderType::Payment).await
    }

    /// Resolves a refund by its `orderId` (the refund request's own number, `refund_no`):
    /// refunded when `state` is 3, not refunded on 4 or 5, not found on E19. `order_no` (the
    /// payment's number) is not needed by Sunmi's query; it is in the signature so that it is
    /// the same in every payhub provider crate.
    pub async fn resolve_refund(
        &self,
        _order_no: &str,
        refund_no: &str,
        policy: &ResolvePolicy,
    ) -> RefundResolution<QueryResult> {
        self.resolve_as(refund_no, policy, OrderType::Refund)
            .await
            .into()
    }

    async fn resolve_as(
        &self,
        order_no: &str,
        policy: &ResolvePolicy,
        want: OrderType,
    ) -> Resolution<QueryResult> {
        let Some(terminal) = self.terminal().cloned() else {
            return Resolution::StillUnknown {
                last_seen: None,
                last_error: Some(ErrorClass::InvalidRequest),
            };
        };
        let req = QueryRequest {
            terminal,
            order: OrderRef::OrderId(order_no.to_owned()),
        };
        resolve(policy, || {
            let req = &req;
            async move {
                judge(
                    self.query(req).await.map(paysig::Reply::into_inner),
                    want,
                    order_no,
                )
            }
        })
        .await
    }
}
