//! The four providers.

use std::fmt;
use std::str::FromStr;

/// A payment provider payhub speaks to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Mifeng Pay (蜜蜂支付).
    Mifeng,
    /// Pooul (普尔瀚达).
    Pooul,
    /// Sunmi (商米).
    Sunmi,
    /// BeeCloud.
    BeeCloud,
}

impl Provider {
    /// All four, in a fixed order.
    pub const ALL: [Provider; 4] = [
        Provider::Mifeng,
        Provider::Pooul,
        Provider::Sunmi,
        Provider::BeeCloud,
    ];

    /// The lowercase name used in config files, URLs and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Mifeng => "mifeng",
            Provider::Pooul => "pooul",
            Provider::Sunmi => "sunmi",
            Provider::BeeCloud => "beecloud",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown provider name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?} (expected mifeng, pooul, sunmi or beecloud)")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mifeng" => Ok(Provider::Mifeng),
            "pooul" => Ok(Provider::Pooul),
            "sunmi" => Ok(Provider::Sunmi),
            "beecloud" => Ok(Provider::BeeCloud),
            _ => Err(UnknownProvider(s.to_owned())),
        }
    }
}
