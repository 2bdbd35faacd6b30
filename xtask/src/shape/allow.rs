//! `xtask/shape-allow.toml`: the one list of deliberate differences, each with its reason.
//!
//! ```toml
//! [[not_provider]]              # a crate under crates/ that depends on paysig but is no
//! crate = "payhub"              # provider crate: only the workspace-wide rules apply
//! reason = "the facade"
//! circles = true                # optional: still check its import circles
//!
//! [[allow]]                     # one difference the check reports, by crate and item
//! crate = "mifeng"
//! item = "mod token"
//! reason = "mifeng's API needs an access token before every call"
//! ```
//!
//! An entry that matches nothing is itself reported, so the list cannot outlive the code.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

/// The parsed allow-list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowList {
    /// Crates that depend on paysig but are not provider crates.
    #[serde(default)]
    pub not_provider: Vec<NotProvider>,
    /// Deliberate differences.
    #[serde(default)]
    pub allow: Vec<Allow>,
}

/// A crate the provider rules do not apply to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotProvider {
    /// The package name.
    #[serde(rename = "crate")]
    pub krate: String,
    /// Why.
    pub reason: String,
    /// Whether the import-circle rule still applies (it always does to provider crates).
    #[serde(default)]
    pub circles: bool,
}

/// One deliberate difference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// The package name.
    #[serde(rename = "crate")]
    pub krate: String,
    /// The item exactly as the check names it (`mod token`, `Error::ResponseMismatch`).
    pub item: String,
    /// Why the difference is right.
    pub reason: String,
}

impl AllowList {
    /// Reads and parses the file; every entry must give a non-empty reason.
    pub fn load(path: &Path) -> Result<AllowList, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        AllowList::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the TOML text.
    pub fn parse(text: &str) -> Result<AllowList, String> {
        let list: AllowList = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = BTreeSet::new();
        for a in &list.allow {
            if a.reason.trim().is_empty() {
                return Err(format!("[[allow]] {} `{}` has no reason", a.krate, a.item));
            }
            if !seen.insert((a.krate.as_str(), a.item.as_str())) {
                return Err(format!(
                    "[[allow]] {} `{}` is listed twice",
                    a.krate, a.item
                ));
            }
        }
        for n in &list.not_provider {
            if n.reason.trim().is_empty() {
                return Err(format!("[[not_provider]] {} has no reason", n.krate));
            }
        }
        Ok(list)
    }

    /// Whether the import-circle rule applies to `krate`, a non-provider crate.
    pub fn checks_circles(&self, krate: &str) -> bool {
        self.not_provider
            .iter()
            .any(|n| n.krate == krate && n.circles)
    }

    /// Whether `krate` is listed as no provider crate.
    pub fn is_not_provider(&self, krate: &str) -> bool {
        self.not_provider.iter().any(|n| n.krate == krate)
    }

    /// The entry allowing `item` in `krate`, if any.
    pub fn find(&self, krate: &str, item: &str) -> Option<&Allow> {
        self.allow
            .iter()
            .find(|a| a.krate == krate && a.item == item)
    }
}
