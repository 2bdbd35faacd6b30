//! The scaffold as a user gets it: written into a workspace of its own that reaches this
//! workspace's crates by path, shape-checked, and compiled against paysig.

use std::path::Path;
use std::process::Command;

use super::{TEMPLATE_DIR, render};
use crate::shape::{self, allow::AllowList};

/// This workspace's manifest reduced to what a crate scaffolded into `crates/NAME` reads:
/// `[workspace.package]`, `[workspace.dependencies]` (path dependencies made absolute, so they
/// are the very crates of this workspace) and the profiles (so the shared target dir's
/// compiled dependencies are reused).
fn workspace_manifest(root: &Path, member: &str) -> String {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut doc: toml::Table = toml::from_str(&text).unwrap();
    let ws = doc
        .get_mut("workspace")
        .and_then(|w| w.as_table_mut())
        .expect("[workspace]");
    ws.insert(
        "members".into(),
        toml::Value::Array(vec![toml::Value::String(member.into())]),
    );
    ws.remove("default-members");
    let deps = ws
        .get_mut("dependencies")
        .and_then(|d| d.as_table_mut())
        .expect("[workspace.dependencies]");
    for (_, dep) in deps.iter_mut() {
        if let Some(path) = dep.get_mut("path") {
            let abs = root.join(path.as_str().unwrap());
            *path = toml::Value::String(abs.to_string_lossy().into_owned());
        }
    }
    toml::to_string(&doc).unwrap()
}

/// Runs `cargo ARGS` in the scaffold's workspace, offline, in the shared target dir; answers
/// whether it succeeded and what cargo printed. `RUSTFLAGS` is left alone: another value would
/// rebuild every dependency in a target dir of its own flags.
fn cargo(workspace: &Path, target_dir: &Path, args: &[&str]) -> (bool, String) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target_dir)
        .args(args)
        .output()
        .expect("cargo runs");
    let printed =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), printed)
}

#[test]
fn a_scaffolded_provider_passes_the_shape_check_compiles_and_its_examples_run() {
    let root = crate::workspace_root();
    let tmp = tempfile::tempdir().unwrap();
    let name = "acme-pay";
    let dest = tmp.path().join("crates").join(name);
    render(&root.join(TEMPLATE_DIR), &dest, name).unwrap();
    std::fs::write(
        tmp.path().join("Cargo.toml"),
        workspace_manifest(&root, &format!("crates/{name}")),
    )
    .unwrap();
    // the same dependency versions as this workspace, read offline
    std::fs::copy(root.join("Cargo.lock"), tmp.path().join("Cargo.lock")).unwrap();

    let allow = AllowList::load(&root.join(shape::ALLOW_FILE)).unwrap();
    let report = shape::check_dir(&dest, &allow).unwrap();
    assert!(report.passed(), "shape: {:#?}", report.failing);

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(Into::into)
        .unwrap_or_else(|| root.join("target"));
    let check = ["check", "--offline", "--all-targets", "--quiet", "-p", name];
    let (built, printed) = cargo(tmp.path(), &target, &check);
    assert!(built, "the scaffold does not compile:\n{printed}");
    // `--quiet` leaves only the compiler's diagnostics: the scaffold has none, as the four
    // crates have none
    assert!(
        !printed.contains("warning"),
        "the scaffold compiles with warnings:\n{printed}"
    );
    // the examples of its front page (one per section) compile and run
    let doc = ["test", "--offline", "--doc", "--quiet", "-p", name];
    let (passed, printed) = cargo(tmp.path(), &target, &doc);
    assert!(passed, "the scaffold's doc tests fail:\n{printed}");
}
