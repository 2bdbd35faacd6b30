//! `cargo xtask new-provider NAME`: a new provider crate in the shape of the other four.
//!
//! Every file of `xtask/template/provider/` is copied to `crates/NAME/` (`*.tmpl` loses its
//! suffix) with three placeholders filled: `{{name}}` (the package name), `{{crate}}` (its
//! Rust identifier) and `{{Title}}` (the provider's name in prose). The result passes
//! `cargo xtask shape` as it stands, compiles without warnings and its front-page examples
//! run (`compile_tests` builds it in a workspace of its own); the provider's document then
//! replaces the template's wire details.

use std::path::{Path, PathBuf};

/// The template, relative to the workspace root.
pub const TEMPLATE_DIR: &str = "xtask/template/provider";

/// A package name: lower-case ASCII letters and digits, `-` between words, a letter first,
/// and no name a workspace crate or a std crate uses.
pub fn check_name(name: &str) -> Result<(), String> {
    let shaped = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !shaped {
        return Err(format!(
            "`{name}` is no provider crate name: lower-case letters and digits, `-` between words"
        ));
    }
    if matches!(
        name,
        "std" | "core" | "alloc" | "test" | "proc-macro" | "self" | "crate"
    ) || name.starts_with("payhub")
        || name == "paysig"
    {
        return Err(format!("`{name}` is taken"));
    }
    Ok(())
}

/// `acme-pay` → `Acme Pay`.
fn title(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The template text with the placeholders filled.
pub fn fill(text: &str, name: &str) -> String {
    text.replace("{{name}}", name)
        .replace("{{crate}}", &name.replace('-', "_"))
        .replace("{{Title}}", &title(name))
}

/// Writes the filled template into `dest`, which must not exist; answers the files written.
pub fn render(template: &Path, dest: &Path, name: &str) -> Result<Vec<PathBuf>, String> {
    check_name(name)?;
    if dest.exists() {
        return Err(format!("{} exists already", dest.display()));
    }
    let mut files = Vec::new();
    collect(template, template, &mut files)?;
    if files.is_empty() {
        return Err(format!("{}: no template files", template.display()));
    }
    let mut written = Vec::new();
    for rel in files {
        let text = std::fs::read_to_string(template.join(&rel))
            .map_err(|e| format!("{}: {e}", template.join(&rel).display()))?;
        let out_rel = rel.strip_suffix(".tmpl").unwrap_or(&rel);
        let out = dest.join(out_rel);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&out, fill(&text, name)).map_err(|e| format!("{}: {e}", out.display()))?;
        written.push(out);
    }
    Ok(written)
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(base, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Scaffolds `crates/NAME` in the workspace at `root` and says what to do next.
pub fn new_provider(root: &Path, name: &str) -> Result<(), String> {
    let dest = root.join("crates").join(name);
    let written = render(&root.join(TEMPLATE_DIR), &dest, name)?;
    println!(
        "new-provider: wrote {} files into {}",
        written.len(),
        dest.display()
    );
    println!(
        "next:\n  \
         1. put the provider's document at docs/upstream/{name}.md;\n  \
         2. add `{name} = {{ path = \"crates/{name}\", version = \"0.1.0\" }}` to \
         [workspace.dependencies] in Cargo.toml;\n  \
         3. fill in the hosts (config.rs), the signing (client.rs), the codes (model/) and \
         the notify fields (notify.rs) from the document;\n  \
         4. cargo test -p {name} && cargo xtask shape"
    );
    Ok(())
}

#[cfg(test)]
mod compile_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{self, allow::AllowList};

    #[test]
    fn names_are_checked() {
        for good in ["acme", "acme-pay", "pay2go"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in [
            "", "Acme", "2pay", "acme_pay", "acme-", "a--b", "acme pay", "paysig", "payhub-x",
            "../x",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(title("acme-pay"), "Acme Pay");
    }

    #[test]
    fn the_scaffold_is_filled_and_passes_the_shape_check() {
        let root = crate::workspace_root();
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("acme-pay");
        let written = render(&root.join(TEMPLATE_DIR), &dest, "acme-pay").unwrap();
        for want in [
            "Cargo.toml",
            "src/lib.rs",
            "src/client.rs",
            "src/config.rs",
            "src/error.rs",
            "src/model/mod.rs",
            "src/notify.rs",
            "src/resolve.rs",
            "src/validate.rs",
            "src/doc_tables.rs",
            "tests/notify.rs",
        ] {
            assert!(written.contains(&dest.join(want)), "{want} not written");
        }
        for file in &written {
            let text = std::fs::read_to_string(file).unwrap();
            for placeholder in ["{{name}}", "{{crate}}", "{{Title}}"] {
                assert!(
                    !text.contains(placeholder),
                    "{}: {placeholder}",
                    file.display()
                );
            }
        }
        let manifest = std::fs::read_to_string(dest.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"acme-pay\""));
        let lib = std::fs::read_to_string(dest.join("src/lib.rs")).unwrap();
        assert!(lib.contains("use acme_pay::{Client, Config, Environment};"));

        let allow = AllowList::load(&root.join(shape::ALLOW_FILE)).unwrap();
        let report = shape::check_dir(&dest, &allow).unwrap();
        assert!(report.failing.is_empty(), "{:#?}", report.failing);
        assert!(report.allowed.is_empty(), "{:#?}", report.allowed);
        assert!(report.passed());

        // the check is not vacuous on the scaffold: break one entry point, it fails
        let notify = dest.join("src/notify.rs");
        let text = std::fs::read_to_string(&notify).unwrap();
        std::fs::write(
            &notify,
            text.replace("pub fn check_amount", "pub fn ensure_amount"),
        )
        .unwrap();
        let report = shape::check_dir(&dest, &allow).unwrap();
        let items: Vec<&str> = report.failing.iter().map(|d| d.item.as_str()).collect();
        assert_eq!(
            items,
            ["Notification::check_amount", "Notification::ensure_amount"]
        );
    }

    #[test]
    fn an_existing_directory_is_never_overwritten() {
        let root = crate::workspace_root();
        let tmp = tempfile::tempdir().unwrap();
        let err = render(&root.join(TEMPLATE_DIR), tmp.path(), "acme").unwrap_err();
        assert!(err.contains("exists already"), "{err}");
    }
}
