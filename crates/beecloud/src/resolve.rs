//! Resolving an unknown outcome by the merchant's number (`bill_no`, `refund_no`) with
//! §4 订单查询 (`GET /1/rest/bills`) and §5 退款查询 (`GET /1/rest/refunds`) under a
//! [`ResolvePolicy`].
//!
//! Both queries require a `channel`; one round asks each channel group `WX`, `ALI`, `UN` in
//! turn (a group covers its sub-channels: "WX" is "every WeChat Pay channel"), filtered by the
//! merchant's number:
//!
//! | answer | payment | refund |
//! |---|---|---|
//! | the bill listed with `spay_result` true | paid | |
//! | the bill listed with `spay_result` false | ask again (it may still be paid) | |
//! | the refund listed, `finish` and `result` | | refunded |
//! | the refund listed, `finish`, not `result` | | not refunded |
//! | the refund listed, not `finish` | | ask again |
//! | in every group: a success answer not listing it, or 8 `NO_SUCH_BILL` / 13 `NO_SUCH_REFUND` | not found | not found |
//! | 5xx, timeout, an unreadable answer (after the crate's fail-over) | ask again | ask again |
//! | any other refusal (`result_code` ≠ 0) | stop: still unknown | stop: still unknown |
//!
//! §4 has no "closed" state: a bill that is never paid stays "ask again" and ends still
//! unknown at the deadline, carrying the bill last seen.
//!
//! Timing: beecloud.md names none; [`DEFAULT_POLICY`] queries after 2 s, then at most every
//! 2, 4, 8 s (full jitter), for a minute.
//!
//! **After "not found"**: beecloud.md and docs/provider-notes.md do not say whether a bill
//! may be re-sent under the same `bill_no`. The safe answer is taken: **create again under a
//! new `bill_no`** (BeeCloud has no close; a bill it never listed cannot be paid). A refund
//! found "not found" was never made; send it again under a **new** `refund_no` for the same
//! reason.

use crate::client::Client;
use crate::error::Error;
use crate::model::{BillRecord, BillsQuery, Channel, RefundRecord, RefundsQuery, ResultCode};
use paysig::http::Jitter;
pub use paysig::resolve::{RefundResolution, Resolution, ResolvePolicy};
use paysig::resolve::{Seen, resolve};
use std::time::Duration;

/// beecloud.md names no timing: a first query after 2 s, waits of at most 2, 4, 8 s, for 60 s.
pub const DEFAULT_POLICY: ResolvePolicy = ResolvePolicy {
    first_delay: Duration::from_secs(2),
    interval: Duration::from_secs(2),
    max_interval: Duration::from_secs(8),
    deadline: Duration::from_secs(60),
    jitter: Jitter::Full,
    max_rounds: None,
};

/// The channel groups one round asks, in order.
pub const CHANNEL_GROUPS: [Channel; 3] = [Channel::Wx, Channel::Ali, Channel::Un];

/// Whether an error is `result_code` 8 `NO_SUCH_BILL` (没有该订单) or 13 `NO_SUCH_REFUND`
/// (没有该退款记录): the group asked does not hold it.
pub fn is_not_found(e: &Error) -> bool {
    matches!(
        e,
        Error::Api {
            code: ResultCode::NoSuchBill | ResultCode::NoSuchRefund,
            ..
        }
    )
}

fn bill_seen(bill: BillRecord) -> Seen<BillRecord> {
    if bill.spay_result {
        Seen::Paid(bill)
    } else {
        Seen::Pending(bill)
    }
}

fn refund_seen(r: RefundRecord) -> Seen<RefundRecord> {
    match (r.finish, r.result) {
        (true, true) => Seen::Paid(r),
        (true, false) => Seen::NotPaid(r),
        (false, _) => Seen::Pending(r),
    }
}

impl Client {
    /// Resolves a payment by `bill_no` (see the [module docs](self) for the mapping and what
    /// "not found" allows).
    ///
    /// ```no_run
    /// # async fn demo(client: beecloud::Client) {
    /// use beecloud::resolve::{DEFAULT_POLICY, Resolution};
    /// match client.resolve_payment("201506101035040000001", &DEFAULT_POLICY).await {
    ///     Resolution::Paid(bill) => println!("paid {}", bill.total_fee),
    ///     Resolution::NotFound => println!("never created: bill again under a new bill_no"),
    ///     other => println!("{}", other.label()),
    /// }
    /// # }
    /// ```
    pub async fn resolve_payment(
        &self,
        order_no: &str,
        policy: &ResolvePolicy,
    ) -> Resolution<BillRecord> {
        resolve(policy, || async move { self.find_bill(order_no).await }).await
    }

    /// Resolves a refund by `bill_no` and `refund_no` with §5 退款查询.
    pub async fn resolve_refund(
        &self,
        order_no: &str,
        refund_no: &str,
        policy: &ResolvePolicy,
    ) -> RefundResolution<RefundRecord> {
        resolve(policy, || async move {
            self.find_refund(order_no, refund_no).await
        })
        .await
        .into()
    }

    async fn find_bill(&self, bill_no: &str) -> Result<Seen<BillRecord>, Error> {
        for channel in CHANNEL_GROUPS {
            let q = BillsQuery::new(channel).bill_no(bill_no.to_owned());
            let page = match self.bills(&q).await {
                Ok(page) => page,
                Err(e) if is_not_found(&e) => continue,
                Err(e) => return Err(e),
            };
            // Several copies of one number: a paid one decides.
            let mut listed: Vec<BillRecord> = page
                .data
                .bills
                .into_iter()
                .filter(|b| b.bill_no == bill_no)
                .collect();
            listed.sort_by_key(|b| !b.spay_result);
            if let Some(bill) = listed.into_iter().next() {
                return Ok(bill_seen(bill));
            }
        }
        Ok(Seen::NotFound)
    }

    async fn find_refund(
        &self,
        bill_no: &str,
        refund_no: &str,
    ) -> Result<Seen<RefundRecord>, Error> {
        for channel in CHANNEL_GROUPS {
            let q = RefundsQuery::new(channel)
                .bill_no(bill_no.to_owned())
                .refund_no(refund_no.to_owned());
            let page = match self.refunds(&q).await {
                Ok(page) => page,
                Err(e) if is_not_found(&e) => continue,
                Err(e) => return Err(e),
            };
            if let Some(r) = page
                .data
                .refunds
                .into_iter()
                .find(|r| r.refund_no == refund_no && r.bill_no == bill_no)
            {
                return Ok(refund_seen(r));
            }
        }
        Ok(Seen::NotFound)
    }
}
