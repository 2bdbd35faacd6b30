//! The four simulated providers.

use std::fmt;
use std::str::FromStr;

/// A simulated provider. (The `payhub` facade has its own `Provider`; this one belongs to the
/// sandbox so that it does not depend on the SDK crates it checks.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Sunmi (sunmi.txt).
    Sunmi,
    /// Pooul (pooul.md).
    Pooul,
    /// BeeCloud (beecloud.md).
    BeeCloud,
    /// Mifeng Pay (mifeng.md).
    Mifeng,
}

impl ProviderKind {
    /// All four, in a fixed order.
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::Sunmi,
        ProviderKind::Pooul,
        ProviderKind::BeeCloud,
        ProviderKind::Mifeng,
    ];

    /// Lower-case name (`sunmi`, `pooul`, `beecloud`, `mifeng`).
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Sunmi => "sunmi",
            ProviderKind::Pooul => "pooul",
            ProviderKind::BeeCloud => "beecloud",
            ProviderKind::Mifeng => "mifeng",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error of [`ProviderKind::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider `{0}` (expected sunmi, pooul, beecloud or mifeng)")]
pub struct UnknownProvider(pub String);

impl FromStr for ProviderKind {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderKind::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownProvider(s.to_owned()))
    }
}
