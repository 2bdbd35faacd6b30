//! Reconciliation (对账): the ledger against the provider over a window, each difference
//! named. BeeCloud lists its bills and refunds ([`BeeCloudBills`], paging over the window);
//! the other providers are asked about each of the ledger's orders in the window.

use crate::error::LedgerError;
use crate::hub::LedgerHub;
use crate::state::RefundState;
use async_trait::async_trait;
use payhub::{BoxError, PaymentStatus, Provider, RefundQuery};
use paysig::Money;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use time::OffsetDateTime;

/// The period compared: payments created in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Start (included).
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    /// End (excluded).
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
}

impl Window {
    fn ms(t: OffsetDateTime) -> i64 {
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }
}

/// A payment as the provider lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderBill {
    /// The merchant's order number.
    pub order_no: String,
    /// The amount.
    pub amount: Money,
    /// Paid.
    pub paid: bool,
}

/// A refund as the provider lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    /// The merchant's order number of the payment.
    pub order_no: String,
    /// The merchant's refund number.
    pub refund_no: String,
    /// The amount.
    pub amount: Money,
    /// False when the provider reports it finished and failed (it does not count).
    pub counts: bool,
}

/// A provider that lists its bills and refunds over a window.
#[async_trait]
pub trait BillSource: Send + Sync {
    /// The bills created in the window.
    async fn bills(&self, window: Window) -> Result<Vec<ProviderBill>, BoxError>;
    /// The refunds created in the window.
    async fn refunds(&self, window: Window) -> Result<Vec<ProviderRefund>, BoxError>;
}

/// BeeCloud's `GET /1/rest/bills` and `/1/rest/refunds`, paged over the window, for each of
/// the umbrella channels (`WX`, `ALI`, `UN`).
#[derive(Debug, Clone)]
pub struct BeeCloudBills {
    client: beecloud::Client,
    channels: Vec<beecloud::Channel>,
}

impl BeeCloudBills {
    /// Lists through `client`, over WeChat, Alipay and UnionPay.
    pub fn new(client: beecloud::Client) -> Self {
        BeeCloudBills {
            client,
            channels: vec![
                beecloud::Channel::Wx,
                beecloud::Channel::Ali,
                beecloud::Channel::Un,
            ],
        }
    }
}

#[async_trait]
impl BillSource for BeeCloudBills {
    async fn bills(&self, window: Window) -> Result<Vec<ProviderBill>, BoxError> {
        let mut out = Vec::new();
        for channel in &self.channels {
            let mut skip = 0u32;
            loop {
                let q = beecloud::BillsQuery::new(channel.clone())
                    .start_time(window.from)
                    .end_time(window.to)
                    .skip(skip)
                    .limit(PAGE);
                let page = self.client.bills(&q).await?.data.bills;
                let n = page.len();
                out.extend(page.into_iter().map(|b| ProviderBill {
                    order_no: b.bill_no,
                    amount: b.total_fee,
                    paid: b.spay_result,
                }));
                if n < PAGE as usize {
                    break;
                }
                if skip >= MAX_SKIP {
                    return Err(too_many());
                }
                skip += PAGE;
            }
        }
        Ok(out)
    }

    async fn refunds(&self, window: Window) -> Result<Vec<ProviderRefund>, BoxError> {
        let mut out = Vec::new();
        for channel in &self.channels {
            let mut skip = 0u32;
            loop {
                let q = beecloud::RefundsQuery::new(channel.clone())
                    .start_time(window.from)
                    .end_time(window.to)
                    .skip(skip)
                    .limit(PAGE);
                let page = self.client.refunds(&q).await?.data.refunds;
                let n = page.len();
                out.extend(page.into_iter().map(|r| ProviderRefund {
                    order_no: r.bill_no,
                    refund_no: r.refund_no,
                    amount: r.refund_fee,
                    counts: !r.finish || r.result,
                }));
                if n < PAGE as usize {
                    break;
                }
                if skip >= MAX_SKIP {
                    return Err(too_many());
                }
                skip += PAGE;
            }
        }
        Ok(out)
    }
}

fn too_many() -> BoxError {
    "more than a million BeeCloud records in the window: reconcile shorter windows".into()
}

/// BeeCloud's largest page (beecloud.md: `limit` 1 to 50).
const PAGE: u32 = 50;
/// A server that ignored `skip` would page forever: stop after a million records.
const MAX_SKIP: u32 = 1_000_000;

/// One difference between the ledger and the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Difference {
    /// The provider has it paid; the ledger does not.
    PaidAtProviderNotInLedger {
        /// The merchant's order number.
        order_no: String,
        /// The ledger's state.
        ledger_state: String,
        /// What the provider says was paid.
        #[serde(with = "paysig::money::wire::yuan_str")]
        provider_amount: Money,
    },
    /// The ledger has it paid; the provider does not (or does not list it).
    PaidInLedgerNotAtProvider {
        /// The merchant's order number.
        order_no: String,
        /// The ledger's state.
        ledger_state: String,
        /// What the provider says.
        provider_state: String,
    },
    /// Both have it paid, for different amounts.
    AmountMismatch {
        /// The merchant's order number.
        order_no: String,
        /// The ledger's amount.
        #[serde(with = "paysig::money::wire::yuan_str")]
        ledger_amount: Money,
        /// The provider's amount.
        #[serde(with = "paysig::money::wire::yuan_str")]
        provider_amount: Money,
    },
    /// The refunds add up to different totals.
    RefundTotalMismatch {
        /// The merchant's order number.
        order_no: String,
        /// The ledger's refunds (sent or done, not failed).
        #[serde(with = "paysig::money::wire::yuan_str")]
        ledger_refunded: Money,
        /// The provider's refunds (not failed).
        #[serde(with = "paysig::money::wire::yuan_str")]
        provider_refunded: Money,
    },
    /// The provider lists an order the ledger never recorded.
    UnknownToLedger {
        /// The merchant's order number.
        order_no: String,
        /// Its amount at the provider.
        #[serde(with = "paysig::money::wire::yuan_str")]
        provider_amount: Money,
        /// Paid at the provider.
        paid: bool,
    },
}

impl Difference {
    /// The kind, as in the JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Difference::PaidAtProviderNotInLedger { .. } => "paid_at_provider_not_in_ledger",
            Difference::PaidInLedgerNotAtProvider { .. } => "paid_in_ledger_not_at_provider",
            Difference::AmountMismatch { .. } => "amount_mismatch",
            Difference::RefundTotalMismatch { .. } => "refund_total_mismatch",
            Difference::UnknownToLedger { .. } => "unknown_to_ledger",
        }
    }

    /// The order it is about.
    pub fn order_no(&self) -> &str {
        match self {
            Difference::PaidAtProviderNotInLedger { order_no, .. }
            | Difference::PaidInLedgerNotAtProvider { order_no, .. }
            | Difference::AmountMismatch { order_no, .. }
            | Difference::RefundTotalMismatch { order_no, .. }
            | Difference::UnknownToLedger { order_no, .. } => order_no,
        }
    }

    fn detail(&self) -> String {
        match self {
            Difference::PaidAtProviderNotInLedger {
                ledger_state,
                provider_amount,
                ..
            } => format!("ledger {ledger_state}, provider paid {provider_amount}"),
            Difference::PaidInLedgerNotAtProvider {
                ledger_state,
                provider_state,
                ..
            } => format!("ledger {ledger_state}, provider {provider_state}"),
            Difference::AmountMismatch {
                ledger_amount,
                provider_amount,
                ..
            } => format!("ledger {ledger_amount}, provider {provider_amount}"),
            Difference::RefundTotalMismatch {
                ledger_refunded,
                provider_refunded,
                ..
            } => format!("ledger refunded {ledger_refunded}, provider {provider_refunded}"),
            Difference::UnknownToLedger {
                provider_amount,
                paid,
                ..
            } => format!(
                "provider {} {provider_amount}, not in the ledger",
                if *paid { "paid" } else { "unpaid" }
            ),
        }
    }
}

/// What [`LedgerHub::reconcile`] found. `Display` is a readable table; `Serialize` the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Reconciliation {
    /// Who.
    pub provider: Provider,
    /// The merchant account.
    pub account: String,
    /// The period.
    pub window: Window,
    /// The ledger's payments compared.
    pub ledger_orders: usize,
    /// The provider's bills listed (BeeCloud), or queries made (others).
    pub provider_records: usize,
    /// Each difference, ordered by order number.
    pub differences: Vec<Difference>,
    /// Orders that could not be compared (a query failed), one line each.
    pub errors: Vec<String>,
}

impl fmt::Display for Reconciliation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fmt_t = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| t.to_string())
        };
        writeln!(
            f,
            "reconcile {} account {} from {} to {}: {} ledger orders, {} provider records, {} differences",
            self.provider,
            self.account,
            fmt_t(self.window.from),
            fmt_t(self.window.to),
            self.ledger_orders,
            self.provider_records,
            self.differences.len()
        )?;
        if !self.differences.is_empty() {
            let w_kind = 30;
            let w_order = self
                .differences
                .iter()
                .map(|d| d.order_no().len())
                .max()
                .unwrap_or(5)
                .max(5);
            writeln!(f, "{:<w_kind$}  {:<w_order$}  DETAIL", "KIND", "ORDER")?;
            for d in &self.differences {
                writeln!(
                    f,
                    "{:<w_kind$}  {:<w_order$}  {}",
                    d.kind(),
                    d.order_no(),
                    d.detail()
                )?;
            }
        }
        for e in &self.errors {
            writeln!(f, "not compared: {e}")?;
        }
        Ok(())
    }
}

fn provider_paid(status: PaymentStatus) -> bool {
    matches!(
        status,
        PaymentStatus::Succeeded | PaymentStatus::Refunding | PaymentStatus::Refunded(_)
    )
}

impl LedgerHub {
    /// Lists bills and refunds of `provider` from `source` in [`LedgerHub::reconcile`]
    /// instead of querying order by order (BeeCloud: [`BeeCloudBills`]).
    pub fn with_bills(mut self, provider: Provider, source: Arc<dyn BillSource>) -> Self {
        self.bills.insert(provider, source);
        self
    }

    /// Compares the ledger (this account) with `provider` over `window` and names each
    /// difference.
    pub async fn reconcile(
        &self,
        provider: Provider,
        window: Window,
    ) -> Result<Reconciliation, LedgerError> {
        let ledger = self.ledger();
        let payments = ledger
            .payments_created(provider, Window::ms(window.from), Window::ms(window.to))
            .await?;
        let mut report = Reconciliation {
            provider,
            account: ledger.account().to_owned(),
            window,
            ledger_orders: payments.len(),
            provider_records: 0,
            differences: Vec::new(),
            errors: Vec::new(),
        };
        // The ledger's refunds that count: sent or done, not failed.
        let mut ledger_refunds: BTreeMap<String, Vec<crate::ledger::RefundRecord>> =
            BTreeMap::new();
        for p in &payments {
            let refunds = ledger.refunds(provider, &p.order_no).await?;
            ledger_refunds.insert(
                p.order_no.clone(),
                refunds
                    .into_iter()
                    .filter(|r| r.state != RefundState::Failed)
                    .collect(),
            );
        }
        let ledger_refunded = |order: &str| -> Money {
            Money::from_fen(
                ledger_refunds
                    .get(order)
                    .map(|rs| {
                        // Saturating: an absurd total still differs, and is reported.
                        rs.iter()
                            .fold(0u64, |a, r| a.saturating_add(r.amount.fen()))
                    })
                    .unwrap_or(0),
            )
        };
        if let Some(source) = self.bills.get(&provider) {
            let bills = source.bills(window).await.map_err(LedgerError::Callback)?;
            let refunds = source
                .refunds(window)
                .await
                .map_err(LedgerError::Callback)?;
            report.provider_records = bills.len();
            let mut by_order: BTreeMap<&str, &ProviderBill> = BTreeMap::new();
            for b in &bills {
                let e = by_order.entry(&b.order_no).or_insert(b);
                if b.paid {
                    *e = b;
                }
            }
            let mut provider_refunded: BTreeMap<&str, u64> = BTreeMap::new();
            for r in refunds.iter().filter(|r| r.counts) {
                let total = provider_refunded.entry(&r.order_no).or_default();
                *total = total.saturating_add(r.amount.fen());
            }
            let known: BTreeMap<&str, &crate::ledger::PaymentRecord> =
                payments.iter().map(|p| (p.order_no.as_str(), p)).collect();
            for (order, bill) in &by_order {
                if !known.contains_key(order) {
                    report.differences.push(Difference::UnknownToLedger {
                        order_no: (*order).to_owned(),
                        provider_amount: bill.amount,
                        paid: bill.paid,
                    });
                }
            }
            for p in &payments {
                let bill = by_order.get(p.order_no.as_str());
                let paid_there = bill.is_some_and(|b| b.paid);
                compare(
                    &mut report.differences,
                    p,
                    paid_there,
                    bill.map(|b| b.amount),
                    match bill {
                        None => "not listed".to_owned(),
                        Some(b) if b.paid => "paid".to_owned(),
                        Some(_) => "unpaid".to_owned(),
                    },
                );
                let theirs = Money::from_fen(
                    provider_refunded
                        .get(p.order_no.as_str())
                        .copied()
                        .unwrap_or(0),
                );
                let ours = ledger_refunded(&p.order_no);
                if theirs != ours {
                    report.differences.push(Difference::RefundTotalMismatch {
                        order_no: p.order_no.clone(),
                        ledger_refunded: ours,
                        provider_refunded: theirs,
                    });
                }
            }
        } else {
            for p in &payments {
                if p.state == crate::state::PaymentState::Failed {
                    // Refused before or by the provider: nothing to compare.
                    continue;
                }
                report.provider_records += 1;
                let answer = self
                    .query(provider, &p.order_no, p.provider_trade_no.clone())
                    .await;
                let (paid_there, amount, label) = match answer {
                    Ok(q) => (provider_paid(q.status), q.amount, q.status.label()),
                    Err(payhub::Error::NotFound { .. }) => (false, None, "not found".to_owned()),
                    Err(e) => {
                        report.errors.push(format!("{}: {e}", p.order_no));
                        continue;
                    }
                };
                compare(&mut report.differences, p, paid_there, amount, label);
                let ours = ledger_refunds.get(&p.order_no).cloned().unwrap_or_default();
                if ours.is_empty() {
                    continue;
                }
                let mut theirs = 0u64;
                for r in &ours {
                    match self
                        .hub()
                        .query_refund(
                            provider,
                            &RefundQuery {
                                order_no: p.order_no.clone(),
                                refund_no: r.refund_no.clone(),
                            },
                        )
                        .await
                    {
                        Ok(q) if q.status != PaymentStatus::Failed => {
                            theirs = theirs.saturating_add(q.amount.unwrap_or(r.amount).fen());
                        }
                        Ok(_) | Err(payhub::Error::NotFound { .. }) => {}
                        Err(e) => report
                            .errors
                            .push(format!("{} refund {}: {e}", p.order_no, r.refund_no)),
                    }
                }
                let ours = ledger_refunded(&p.order_no);
                if Money::from_fen(theirs) != ours {
                    report.differences.push(Difference::RefundTotalMismatch {
                        order_no: p.order_no.clone(),
                        ledger_refunded: ours,
                        provider_refunded: Money::from_fen(theirs),
                    });
                }
            }
        }
        report
            .differences
            .sort_by(|a, b| (a.order_no(), a.kind()).cmp(&(b.order_no(), b.kind())));
        Ok(report)
    }
}

fn compare(
    out: &mut Vec<Difference>,
    p: &crate::ledger::PaymentRecord,
    paid_there: bool,
    amount_there: Option<Money>,
    provider_state: String,
) {
    let paid_here = p.state.is_paid();
    match (paid_here, paid_there) {
        (false, true) => out.push(Difference::PaidAtProviderNotInLedger {
            order_no: p.order_no.clone(),
            ledger_state: p.state.to_string(),
            provider_amount: amount_there.unwrap_or(p.amount),
        }),
        (true, false) => out.push(Difference::PaidInLedgerNotAtProvider {
            order_no: p.order_no.clone(),
            ledger_state: p.state.to_string(),
            provider_state,
        }),
        (true, true) => {
            if let Some(a) = amount_there
                && a != p.amount
            {
                out.push(Difference::AmountMismatch {
                    order_no: p.order_no.clone(),
                    ledger_amount: p.amount,
                    provider_amount: a,
                });
            }
        }
        (false, false) => {}
    }
}
