//! The unified payment status every provider state maps to.

/// How much of a payment was refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundExtent {
    /// Part of the amount.
    Partial,
    /// All of it.
    Full,
    /// The provider does not say which.
    Unknown,
}

/// Where a payment (or a refund) stands.
///
/// Each provider's states map here through one `From` impl per provider whose `match` names
/// every provider variant, so a new provider state is a compile error, not a silent default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Created, waiting for the payer.
    Pending,
    /// The payer is paying (e.g. entering a password on a micro-pay).
    Paying,
    /// Paid.
    Succeeded,
    /// Failed; no money moved.
    Failed,
    /// Closed before payment.
    Closed,
    /// Reversed (撤销) after an attempt.
    Reversed,
    /// A refund was accepted but is not finished.
    Refunding,
    /// Refunded.
    Refunded(RefundExtent),
}

impl PaymentStatus {
    /// True when the state will not change by itself any more (a refund may still follow).
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            PaymentStatus::Pending | PaymentStatus::Paying | PaymentStatus::Refunding
        )
    }

    /// A short lowercase label (`succeeded`, `refunded(partial)`), for logs and the CLI.
    pub fn label(self) -> String {
        match self {
            PaymentStatus::Refunded(e) => format!(
                "refunded({})",
                match e {
                    RefundExtent::Partial => "partial",
                    RefundExtent::Full => "full",
                    RefundExtent::Unknown => "unknown extent",
                }
            ),
            other => format!("{other:?}").to_lowercase(),
        }
    }
}

impl std::fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}
