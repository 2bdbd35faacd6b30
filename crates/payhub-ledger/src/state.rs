//! The payment and refund state machines: which transitions are allowed, and what a piece of
//! evidence (a notify, a query) does to a recorded state.

use payhub::PaymentStatus;
use paysig::Money;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Where a payment stands in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentState {
    /// Recorded; the create is being sent.
    Creating,
    /// The provider accepted the create; waiting for the payer.
    Pending,
    /// The create may or may not have reached the provider: resolve by query.
    Unknown,
    /// Paid.
    Paid,
    /// Paid, and part of it refunded.
    PartiallyRefunded,
    /// Paid and refunded in full.
    Refunded,
    /// The provider refused the create, or the payment failed. No money moved.
    Failed,
    /// Closed unpaid at the provider.
    Closed,
    /// Expired unpaid, recorded locally after a final query (providers without close).
    Expired,
    /// Two pieces of evidence disagree; a person decides. Both pieces are kept.
    NeedsReview,
}

impl PaymentState {
    /// All states.
    pub const ALL: [PaymentState; 10] = [
        PaymentState::Creating,
        PaymentState::Pending,
        PaymentState::Unknown,
        PaymentState::Paid,
        PaymentState::PartiallyRefunded,
        PaymentState::Refunded,
        PaymentState::Failed,
        PaymentState::Closed,
        PaymentState::Expired,
        PaymentState::NeedsReview,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Creating => "creating",
            PaymentState::Pending => "pending",
            PaymentState::Unknown => "unknown",
            PaymentState::Paid => "paid",
            PaymentState::PartiallyRefunded => "partially_refunded",
            PaymentState::Refunded => "refunded",
            PaymentState::Failed => "failed",
            PaymentState::Closed => "closed",
            PaymentState::Expired => "expired",
            PaymentState::NeedsReview => "needs_review",
        }
    }

    /// True when the money's fate is settled: only refunds (after `paid`) or a manual
    /// decision (after `needs_review`) move it on.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            PaymentState::Creating | PaymentState::Pending | PaymentState::Unknown
        )
    }

    /// True when money was received (whether or not some went back).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            PaymentState::Paid | PaymentState::PartiallyRefunded | PaymentState::Refunded
        )
    }
}

impl fmt::Display for PaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name the ledger does not know (a database written by something else).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ledger state {0:?}")]
pub struct UnknownState(pub String);

impl FromStr for PaymentState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PaymentState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// Where a refund stands in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefundState {
    /// Recorded (and its amount reserved); the refund is being sent.
    Creating,
    /// Accepted by the provider, not finished.
    Pending,
    /// May or may not have reached the provider: resolve by query.
    Unknown,
    /// Refunded.
    Refunded,
    /// Refused or failed; its amount is free again.
    Failed,
}

impl RefundState {
    /// All states.
    pub const ALL: [RefundState; 5] = [
        RefundState::Creating,
        RefundState::Pending,
        RefundState::Unknown,
        RefundState::Refunded,
        RefundState::Failed,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::Creating => "creating",
            RefundState::Pending => "pending",
            RefundState::Unknown => "unknown",
            RefundState::Refunded => "refunded",
            RefundState::Failed => "failed",
        }
    }

    /// Allowed refund transitions; `refunded` and `failed` never change.
    pub fn can_become(self, to: RefundState) -> bool {
        use RefundState::*;
        matches!(
            (self, to),
            (Creating, Pending | Unknown | Refunded | Failed)
                | (Pending | Unknown, Pending | Refunded | Failed)
        )
    }
}

impl fmt::Display for RefundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RefundState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RefundState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// Who moved a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// The ledger's own create or refund call.
    Create,
    /// A verified notify.
    Notify,
    /// A query made outside the sweeper.
    Query,
    /// The sweeper.
    Sweep,
    /// A person.
    Manual,
}

impl Source {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Create => "create",
            Source::Notify => "notify",
            Source::Query => "query",
            Source::Sweep => "sweep",
            Source::Manual => "manual",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The explicit table of allowed payment transitions. Every write of a payment's state
/// checks it; anything else is refused with [`crate::LedgerError::Transition`].
pub fn payment_can_become(from: PaymentState, to: PaymentState) -> bool {
    use PaymentState::*;
    if to == NeedsReview {
        // Conflicting evidence may stop any state, and a person may look again.
        return true;
    }
    match from {
        Creating => matches!(to, Pending | Unknown | Paid | Failed | Closed),
        Pending => matches!(to, Unknown | Paid | Failed | Closed | Expired),
        Unknown => matches!(to, Pending | Paid | Failed | Closed | Expired),
        Paid => matches!(to, PartiallyRefunded | Refunded),
        PartiallyRefunded => matches!(to, PartiallyRefunded | Refunded),
        Refunded | Failed | Closed | Expired => false,
        // Only a person leaves review (through `Ledger::resolve_review`).
        NeedsReview => to != Creating,
    }
}

/// What a notify or a query says about a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Observed {
    /// Not paid yet (pending, paying).
    Unpaid,
    /// Paid.
    Paid,
    /// Paid, then (partly) refunded.
    Refunded,
    /// Failed.
    Failed,
    /// Closed or reversed.
    Closed,
    /// The provider has no such order.
    NotFound,
}

impl Observed {
    /// The observation a provider status amounts to. A status added to `payhub` later reads
    /// as not paid: it moves nothing forward (and contradicts a paid record, which then goes
    /// to review), so nothing is delivered until a known status says so.
    pub fn from_status(status: PaymentStatus) -> Observed {
        match status {
            PaymentStatus::Pending | PaymentStatus::Paying => Observed::Unpaid,
            PaymentStatus::Succeeded => Observed::Paid,
            PaymentStatus::Refunding | PaymentStatus::Refunded(_) => Observed::Refunded,
            PaymentStatus::Failed => Observed::Failed,
            PaymentStatus::Closed | PaymentStatus::Reversed => Observed::Closed,
            _ => Observed::Unpaid,
        }
    }
}

/// What to do with a piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// It agrees with the record: nothing changes.
    Agrees,
    /// Move to this state.
    Move(PaymentState),
    /// It contradicts the record: `needs_review`, keeping both pieces.
    Conflict(String),
}

/// Decides what `observed` (with the provider's `amount`, when it gave one) does to a payment
/// recorded as `state` for `recorded` fen. A final state never regresses: evidence against it
/// is a conflict, never an overwrite.
pub fn decide(
    state: PaymentState,
    recorded: Money,
    observed: Observed,
    amount: Option<Money>,
) -> Decision {
    use PaymentState as S;
    let money_moved = matches!(observed, Observed::Paid | Observed::Refunded);
    if let Some(got) = amount
        && money_moved
        && got != recorded
        && observed == Observed::Paid
    {
        return if state == S::NeedsReview {
            Decision::Agrees
        } else {
            Decision::Conflict(format!(
                "the provider says {} was paid, the ledger recorded {}",
                got, recorded
            ))
        };
    }
    match (state, observed) {
        (S::NeedsReview, _) => Decision::Agrees,
        (S::Creating | S::Pending | S::Unknown, Observed::Paid | Observed::Refunded) => {
            Decision::Move(S::Paid)
        }
        (S::Creating | S::Unknown, Observed::Unpaid) => Decision::Move(S::Pending),
        (S::Pending, Observed::Unpaid) => Decision::Agrees,
        (S::Creating | S::Pending | S::Unknown, Observed::Failed) => Decision::Move(S::Failed),
        (S::Creating | S::Pending | S::Unknown, Observed::Closed) => Decision::Move(S::Closed),
        // Never created: nothing can be paid.
        (S::Creating | S::Unknown, Observed::NotFound) => Decision::Move(S::Failed),
        (S::Pending, Observed::NotFound) => Decision::Conflict(
            "the provider accepted the create, and now says it has no such order".into(),
        ),
        (S::Paid | S::PartiallyRefunded | S::Refunded, Observed::Paid | Observed::Refunded) => {
            Decision::Agrees
        }
        (S::Paid | S::PartiallyRefunded | S::Refunded, other) => Decision::Conflict(format!(
            "the ledger holds the payment as {state}, the provider now says {}",
            observed_label(other)
        )),
        (S::Failed | S::Closed | S::Expired, Observed::Paid | Observed::Refunded) => {
            Decision::Conflict(format!(
                "the ledger holds the payment as {state}, the provider says it was paid"
            ))
        }
        (S::Failed | S::Closed | S::Expired, _) => Decision::Agrees,
    }
}

fn observed_label(o: Observed) -> &'static str {
    match o {
        Observed::Unpaid => "unpaid",
        Observed::Paid => "paid",
        Observed::Refunded => "refunded",
        Observed::Failed => "failed",
        Observed::Closed => "closed",
        Observed::NotFound => "not found",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEN: Money = Money::from_fen(1234);

    #[test]
    fn final_states_never_regress() {
        for from in [
            PaymentState::Refunded,
            PaymentState::Failed,
            PaymentState::Closed,
            PaymentState::Expired,
        ] {
            for to in PaymentState::ALL {
                assert_eq!(
                    payment_can_become(from, to),
                    to == PaymentState::NeedsReview,
                    "{from} -> {to}"
                );
            }
        }
        for to in [
            PaymentState::Pending,
            PaymentState::Unknown,
            PaymentState::Failed,
        ] {
            assert!(!payment_can_become(PaymentState::Paid, to), "paid -> {to}");
        }
    }

    #[test]
    fn decisions() {
        use Observed::*;
        use PaymentState as S;
        assert_eq!(
            decide(S::Pending, FEN, Paid, Some(FEN)),
            Decision::Move(S::Paid)
        );
        assert_eq!(
            decide(S::Unknown, FEN, Unpaid, None),
            Decision::Move(S::Pending)
        );
        assert_eq!(
            decide(S::Unknown, FEN, NotFound, None),
            Decision::Move(S::Failed)
        );
        assert_eq!(decide(S::Paid, FEN, Paid, Some(FEN)), Decision::Agrees);
        assert!(matches!(
            decide(S::Paid, FEN, Unpaid, None),
            Decision::Conflict(_)
        ));
        assert!(matches!(
            decide(S::Pending, FEN, Paid, Some(Money::from_fen(1))),
            Decision::Conflict(_)
        ));
        assert!(matches!(
            decide(S::Closed, FEN, Paid, None),
            Decision::Conflict(_)
        ));
        assert_eq!(decide(S::NeedsReview, FEN, Paid, None), Decision::Agrees);
        // Every move the decision makes is in the table.
        for st in PaymentState::ALL {
            for o in [Unpaid, Paid, Refunded, Failed, Closed, NotFound] {
                if let Decision::Move(to) = decide(st, FEN, o, None) {
                    assert!(payment_can_become(st, to), "{st} -> {to}");
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in PaymentState::ALL {
            assert_eq!(s.as_str().parse::<PaymentState>().unwrap(), s);
        }
        for s in RefundState::ALL {
            assert_eq!(s.as_str().parse::<RefundState>().unwrap(), s);
        }
        assert!("paid ".parse::<PaymentState>().is_err());
    }
}
