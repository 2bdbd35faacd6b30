//! `cargo xtask shape`: every provider crate has the one shape of issue 20.
//!
//! The sources are read with `syn` (stable Rust, no rustdoc JSON), so the check takes
//! about a second. For each provider crate (a crate under `crates/` that depends on paysig
//! and is not listed as `[[not_provider]]`) it asserts:
//! - the root modules and their visibility ([`rules::MODULES`]);
//! - the root re-exports ([`rules::ROOT_EXPORTS`]);
//! - `Client::{new, config, verify_notify, resolve_payment, resolve_refund}` and their
//!   signatures, `Reply<T>` from every other async call, notify entry points named
//!   `verify_notify*`; `Config::new(Environment, impl Into<String>, ..)`; a `Notification`
//!   with `check_amount(&self, Money) -> Result<(), NotifyError>`;
//! - the `Error` and `NotifyError` variants of the shared meanings;
//! - code enums declared with `paysig::code_enum!` (no own macro, no hand-written enum with
//!   an `Unknown(raw)` arm);
//! - the front page (`//!` of `lib.rs`): the title `# NAME: <provider> for payhub` and the
//!   `##` sections of [`docs::SECTIONS`], each once and in that order.
//!
//! For every provider crate, and the crates that opt in (the sandbox): no import circle
//! between its modules. For every crate of the workspace (and xtask): no `src` file over
//! [`rules::MAX_LINES`] lines.
//!
//! A deliberate difference is listed, with its reason, in `xtask/shape-allow.toml`
//! ([`allow`]); an entry that no longer matches anything fails the check too.

pub mod allow;
pub mod docs;
mod graph;
pub mod rules;
pub mod source;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use allow::AllowList;
use rules::Difference;
use source::CrateSrc;

/// The allow-list, relative to the workspace root.
pub const ALLOW_FILE: &str = "xtask/shape-allow.toml";

/// The outcome for one crate.
#[derive(Debug, Default)]
pub struct Report {
    /// Differences no allow-list entry covers.
    pub failing: Vec<Difference>,
    /// Differences the allow-list covers, with the reason.
    pub allowed: Vec<(Difference, String)>,
    /// Allow-list entries for this crate that matched nothing.
    pub stale: Vec<allow::Allow>,
}

impl Report {
    /// Whether the crate passes.
    pub fn passed(&self) -> bool {
        self.failing.is_empty() && self.stale.is_empty()
    }
}

/// Which rules a crate gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// Only the file-length rule.
    Lengths,
    /// File lengths and import circles.
    Circles,
    /// Everything: a provider crate.
    Provider,
}

/// Checks one crate's sources against the rules and sorts the differences by the allow-list.
pub fn check_crate(krate: &CrateSrc, rules: Rules, allow: &AllowList) -> Report {
    let mut diffs = rules::check_lengths(krate);
    if rules != Rules::Lengths {
        diffs.extend(rules::check_circles(krate));
    }
    if rules == Rules::Provider {
        diffs.extend(rules::check_provider(krate));
        diffs.extend(docs::check_front_page(krate));
    }
    diffs.sort();
    let mut report = Report::default();
    for d in diffs {
        match allow.find(&d.krate, &d.item) {
            Some(a) => report.allowed.push((d, a.reason.clone())),
            None => report.failing.push(d),
        }
    }
    for a in allow.allow.iter().filter(|a| a.krate == krate.name) {
        if !report.allowed.iter().any(|(d, _)| d.item == a.item) {
            report.stale.push(a.clone());
        }
    }
    report
}

/// A crate directory of the workspace: its package name and whether it depends on paysig.
fn package(dir: &Path) -> Result<(String, bool), String> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .ok_or_else(|| format!("{}: no package.name", path.display()))?
        .to_string();
    let paysig = doc
        .get("dependencies")
        .and_then(|d| d.as_table())
        .is_some_and(|d| d.contains_key("paysig"));
    Ok((name, paysig))
}

/// The crate directories checked: `crates/*` and `xtask`, sorted.
fn crate_dirs(root: &Path) -> Result<Vec<PathBuf>, String> {
    let crates = root.join("crates");
    let entries = std::fs::read_dir(&crates).map_err(|e| format!("{}: {e}", crates.display()))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.push(root.join("xtask"));
    dirs.sort();
    Ok(dirs)
}

/// Checks one crate directory: a provider crate when it depends on paysig and the
/// allow-list does not say otherwise.
pub fn check_dir(dir: &Path, allow: &AllowList) -> Result<Report, String> {
    let (name, paysig) = package(dir)?;
    let krate = CrateSrc::load(&name, dir)?;
    let rules = if paysig && !allow.is_not_provider(&name) {
        Rules::Provider
    } else if allow.checks_circles(&name) {
        Rules::Circles
    } else {
        Rules::Lengths
    };
    Ok(check_crate(&krate, rules, allow))
}

/// Runs the check on the workspace at `root`, prints what differs per crate and item, and
/// answers whether everything passed.
pub fn run(root: &Path) -> Result<bool, String> {
    let allow = AllowList::load(&root.join(ALLOW_FILE))?;
    let mut ok = true;
    let mut names = Vec::new();
    for dir in crate_dirs(root)? {
        let (name, _) = package(&dir)?;
        names.push(name.clone());
        let report = check_dir(&dir, &allow)?;
        print_report(&name, &report);
        ok &= report.passed();
    }
    for a in &allow.allow {
        if !names.contains(&a.krate) {
            println!(
                "shape: {ALLOW_FILE}: [[allow]] names no crate of the workspace: {}",
                a.krate
            );
            ok = false;
        }
    }
    println!(
        "shape: {}",
        if ok {
            "all crates pass"
        } else {
            "FAILED (the lines marked FAIL and STALE)"
        }
    );
    Ok(ok)
}

fn print_report(name: &str, r: &Report) {
    let state = if r.passed() { "ok" } else { "differs" };
    println!(
        "shape: {name}: {state} ({} failing, {} allowed, {} stale)",
        r.failing.len(),
        r.allowed.len(),
        r.stale.len()
    );
    for d in &r.failing {
        println!("  FAIL  {name}: {}: {}", d.item, d.message);
    }
    for a in &r.stale {
        println!(
            "  STALE {name}: {}: allowed in {ALLOW_FILE} but no longer differs; remove the entry",
            a.item
        );
    }
}
