//! Every metric payhub records, in one place: its name, type, labels and meaning.
//!
//! Label values are bounded and never secret: a provider name, an account name from your
//! configuration, an operation, an [`ErrorClass`](crate::ErrorClass) label, a notify refusal
//! code, a Mifeng `mch_id` (a merchant number you configured, not a secret). Never an order
//! number, an amount, a URL or a token.
//!
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | [`CALLS`] `payhub_calls_total` | counter | `provider`, `account`, `operation`, `class` | calls through a [`Gateway`](crate::Gateway), by how they ended: `class` is `ok` or the error's [`ErrorClass::label`](crate::ErrorClass::label) |
//! | [`CALL_DURATION`] `payhub_call_duration_seconds` | histogram | `provider`, `account`, `operation`, `class` | the same calls' latency, in seconds |
//! | [`NOTIFIES`] `payhub_notifies_total` | counter | `provider`, `account`, `outcome`, `reason` | notifies handled by [`Hub::handle_notification`](crate::Hub::handle_notification): `outcome` is `verified` (new, handed to you), `duplicate` (already processed, acknowledged again) or `refused`; `reason` is the refusal code (the axum router's answer, e.g. `verification_failed`, `order_mismatch`) or `none` |
//! | [`MIFENG_TOKEN_REFRESHES`] `payhub_mifeng_token_refreshes_total` | counter | `mch_id`, `class` | Mifeng `accesstoken` calls made (a token reused from the store is not one), `ok` or the error's class |
//! | [`MIFENG_RATE_LIMIT_WAITS`] `payhub_mifeng_rate_limit_waits_total` | counter | `mch_id`, `lane`, `result` | slots asked of Mifeng's rate limiter (20 calls/s per merchant): `lane` is `call` or `token`, `result` is `ok` (the call went), `rate_limited` (its slot was past `max_wait`: refused) or `error` (a shared limiter's store failed) |
//! | [`MIFENG_RATE_LIMIT_WAIT`] `payhub_mifeng_rate_limit_wait_seconds` | histogram | `mch_id`, `lane` | how long a call waited for its slot |
//! | [`LEDGER_SWEEPS`] `payhub_ledger_sweeps_total` | counter | `provider`, `account` | sweeper passes over one provider's due payments (`payhub-ledger`'s `Sweeper::run_once`, once per provider) |
//! | [`LEDGER_SWEPT`] `payhub_ledger_swept_total` | counter | `provider`, `account`, `result` | what those passes did, payment by payment (the fields of its `SweepReport`): `result` is `claimed`, `queried`, `closed`, `delivered`, `duplicate`, `moved`, `still_pending` or `error` |
//! | [`LEDGER_RECONCILIATIONS`] `payhub_ledger_reconciliations_total` | counter | `provider`, `account`, `result` | reconciliation runs: `result` is `clean`, `differences`, `errors` (some records could not be compared) or `failed` (no report) |
//! | [`LEDGER_RECONCILE_DIFFERENCES`] `payhub_ledger_reconcile_differences_total` | counter | `provider`, `account`, `kind` | differences found, by [`Difference::kind`](https://docs.rs/payhub-ledger) |
//! | [`SANDBOX_NOTIFICATIONS`] `payhub_sandbox_notifications` | gauge | `provider`, `state` | `payhub sandbox` only: the notifications it made, by `state` `acknowledged`, `pending` (retries to come) or `gave_up` (schedule exhausted) |
//! | [`SANDBOX_NOTIFY_ATTEMPTS`] `payhub_sandbox_notify_attempts_total` | counter | `provider` | `payhub sandbox` only: its delivery attempts so far (dropped ones included) |
//!
//! Operations (`operation`): `create_payment`, `query_payment`, `refund`, `query_refund`,
//! `close_payment`, `resolve_payment`, `resolve_refund`. A resolution that ends definite
//! (paid, not paid, not found) counts as `ok`; one still unknown at its deadline counts with
//! the class of its last error (`outcome_unknown` when there was none).

/// `payhub_calls_total`: counter of gateway calls, labels `provider`, `account`,
/// `operation`, `class`.
pub const CALLS: &str = "payhub_calls_total";
/// `payhub_call_duration_seconds`: histogram of gateway call latency, same labels as
/// [`CALLS`].
pub const CALL_DURATION: &str = "payhub_call_duration_seconds";
/// `payhub_notifies_total`: counter of notifies handled, labels `provider`, `account`,
/// `outcome`, `reason`.
pub const NOTIFIES: &str = "payhub_notifies_total";
/// `payhub_mifeng_token_refreshes_total`: counter, labels `mch_id`, `class` (recorded by the
/// `mifeng` crate with its `metrics` feature, which payhub's `mifeng` feature turns on).
pub const MIFENG_TOKEN_REFRESHES: &str = "payhub_mifeng_token_refreshes_total";
/// `payhub_mifeng_rate_limit_waits_total`: counter, labels `mch_id`, `lane`, `result`.
pub const MIFENG_RATE_LIMIT_WAITS: &str = "payhub_mifeng_rate_limit_waits_total";
/// `payhub_mifeng_rate_limit_wait_seconds`: histogram, labels `mch_id`, `lane`.
pub const MIFENG_RATE_LIMIT_WAIT: &str = "payhub_mifeng_rate_limit_wait_seconds";
/// `payhub_ledger_sweeps_total`: counter, labels `provider`, `account` (recorded by
/// `payhub-ledger`).
pub const LEDGER_SWEEPS: &str = "payhub_ledger_sweeps_total";
/// `payhub_ledger_swept_total`: counter, labels `provider`, `account`, `result`.
pub const LEDGER_SWEPT: &str = "payhub_ledger_swept_total";
/// `payhub_ledger_reconciliations_total`: counter, labels `provider`, `account`, `result`.
pub const LEDGER_RECONCILIATIONS: &str = "payhub_ledger_reconciliations_total";
/// `payhub_ledger_reconcile_differences_total`: counter, labels `provider`, `account`,
/// `kind`.
pub const LEDGER_RECONCILE_DIFFERENCES: &str = "payhub_ledger_reconcile_differences_total";
/// `payhub_sandbox_notifications`: gauge, labels `provider`, `state` (the `payhub sandbox`
/// command's `/metrics`).
pub const SANDBOX_NOTIFICATIONS: &str = "payhub_sandbox_notifications";
/// `payhub_sandbox_notify_attempts_total`: counter, label `provider` (the `payhub sandbox`
/// command's `/metrics`).
pub const SANDBOX_NOTIFY_ATTEMPTS: &str = "payhub_sandbox_notify_attempts_total";

/// The label values of [`NOTIFIES`]'s `outcome`.
pub mod outcome {
    /// A new notify, verified and claimed: handed to the merchant.
    pub const VERIFIED: &str = "verified";
    /// A notify already processed: acknowledged again, not handed over.
    pub const DUPLICATE: &str = "duplicate";
    /// Not acknowledged; `reason` names why.
    pub const REFUSED: &str = "refused";
    /// The `reason` of a notify that was not refused.
    pub const NO_REASON: &str = "none";
}

/// The `class` label of a call that succeeded.
pub const OK: &str = "ok";

/// Registers each metric's type, unit and description with the installed recorder (so the
/// Prometheus text carries `# HELP` lines). `observe::prometheus` (feature `prometheus`) calls it; call it yourself
/// after installing another recorder.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(
        CALLS,
        "Provider calls through a payhub gateway, by outcome class"
    );
    describe_histogram!(
        CALL_DURATION,
        Unit::Seconds,
        "Latency of provider calls through a payhub gateway"
    );
    describe_counter!(
        NOTIFIES,
        "Notifies handled: verified, duplicate, or refused with a reason"
    );
    describe_counter!(MIFENG_TOKEN_REFRESHES, "Mifeng access-token calls made");
    describe_counter!(
        MIFENG_RATE_LIMIT_WAITS,
        "Slots asked of the Mifeng rate limiter (20 calls/s per merchant)"
    );
    describe_histogram!(
        MIFENG_RATE_LIMIT_WAIT,
        Unit::Seconds,
        "Time a Mifeng call waited for its rate-limit slot"
    );
    describe_counter!(LEDGER_SWEEPS, "Ledger sweeper passes, per provider");
    describe_counter!(LEDGER_SWEPT, "What the ledger sweeper did, per payment");
    describe_counter!(LEDGER_RECONCILIATIONS, "Ledger reconciliation runs");
    describe_counter!(
        LEDGER_RECONCILE_DIFFERENCES,
        "Differences found by ledger reconciliation, by kind"
    );
    metrics::describe_gauge!(
        SANDBOX_NOTIFICATIONS,
        "payhub sandbox: notifications made, by delivery state"
    );
    describe_counter!(
        SANDBOX_NOTIFY_ATTEMPTS,
        "payhub sandbox: notify delivery attempts so far"
    );
}

#[cfg(all(test, feature = "mifeng"))]
mod tests {
    #[test]
    fn mifeng_records_under_the_names_listed_here() {
        assert_eq!(
            super::MIFENG_TOKEN_REFRESHES,
            mifeng::token::METRIC_REFRESHES
        );
        assert_eq!(
            super::MIFENG_RATE_LIMIT_WAITS,
            mifeng::ratelimit::METRIC_WAITS
        );
        assert_eq!(
            super::MIFENG_RATE_LIMIT_WAIT,
            mifeng::ratelimit::METRIC_WAIT_SECONDS
        );
    }
}
