//! `cargo xtask fixtures [--check]`: JSON fixtures from the upstream docs.
//!
//! Every JSON sample of `docs/upstream/*` is extracted ([`extract`]),
//! described ([`naming`]) and normalised ([`normalise`]), then written to
//! `fixtures/<provider>/<name>.json` with `fixtures/<provider>/index.json`
//! listing every sample found, valid or not. `--check` regenerates in memory
//! and compares with the files on disk. Only the four provider directories
//! are ever read or written; `fixtures/signing/` belongs to someone else.

mod doc;
mod extract;
mod json;
mod naming;
mod normalise;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use doc::{Document, Format};
use extract::Block;
use json::Json;
use naming::Meta;
use normalise::Normalised;

/// One provider document.
struct Provider {
    name: &'static str,
    source: &'static str,
    format: Format,
}

const PROVIDERS: &[Provider] = &[
    Provider {
        name: "mifeng",
        source: "docs/upstream/mifeng.md",
        format: Format::Markdown,
    },
    Provider {
        name: "pooul",
        source: "docs/upstream/pooul.md",
        format: Format::Markdown,
    },
    Provider {
        name: "sunmi",
        source: "docs/upstream/sunmi.txt",
        format: Format::Text,
    },
    Provider {
        name: "beecloud",
        source: "docs/upstream/beecloud.md",
        format: Format::Markdown,
    },
];

struct Sample {
    meta: Meta,
    block: Block,
    normalised: Normalised,
}

struct ProviderOutput {
    provider: &'static str,
    source: &'static str,
    samples: Vec<Sample>,
    skipped: Vec<Block>,
}

/// The generated tree: relative path (with `/`) → content.
struct Generated {
    files: BTreeMap<String, String>,
    outputs: Vec<ProviderOutput>,
}

fn generate(root: &Path) -> Result<Generated, String> {
    let mut files = BTreeMap::new();
    let mut outputs = Vec::new();
    for p in PROVIDERS {
        let path = root.join(p.source);
        let text =
            fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let doc = Document::parse(&text, p.format);
        let ex = extract::extract(&doc);
        let metas = naming::describe(&doc, &ex);
        let samples: Vec<Sample> = ex
            .samples
            .iter()
            .cloned()
            .zip(metas)
            .map(|(block, meta)| {
                let normalised = normalise::normalise(&block.text, block.line);
                Sample {
                    meta,
                    block,
                    normalised,
                }
            })
            .collect();
        let mut index = Vec::new();
        for s in &samples {
            let file = match &s.normalised.value {
                Ok(value) => {
                    let rel = format!("fixtures/{}/{}.json", p.name, s.meta.name);
                    let content = value.to_pretty();
                    serde_json::from_str::<serde_json::Value>(&content)
                        .map_err(|e| format!("internal error: {rel} is not JSON: {e}"))?;
                    files.insert(rel.clone(), content);
                    Some(rel)
                }
                Err(_) => None,
            };
            index.push(index_entry(p.source, s, file));
        }
        files.insert(
            format!("fixtures/{}/index.json", p.name),
            Json::Array(index).to_pretty(),
        );
        outputs.push(ProviderOutput {
            provider: p.name,
            source: p.source,
            samples,
            skipped: ex.skipped,
        });
    }
    Ok(Generated { files, outputs })
}

fn index_entry(source: &str, s: &Sample, file: Option<String>) -> Json {
    let notes = s.normalised.notes.iter().map(Json::str).collect();
    let (status, reason) = match &s.normalised.value {
        Ok(_) => ("ok", None),
        Err(e) => ("invalid", Some(e.clone())),
    };
    Json::Object(vec![
        ("name".into(), Json::str(&s.meta.name)),
        ("file".into(), Json::opt_str(file)),
        ("source".into(), Json::str(source)),
        ("line".into(), Json::uint(s.block.line)),
        ("section".into(), Json::str(&s.meta.section)),
        ("endpoint".into(), Json::opt_str(s.meta.endpoint.clone())),
        ("role".into(), Json::str(s.meta.role.as_str())),
        ("normalisations".into(), Json::Array(notes)),
        ("status".into(), Json::str(status)),
        ("reason".into(), Json::opt_str(reason)),
    ])
}

/// `.json` files currently in the provider directories (relative paths).
fn existing_files(root: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for p in PROVIDERS {
        let dir = root.join("fixtures").join(p.name);
        if !dir.is_dir() {
            continue;
        }
        let entries = fs::read_dir(&dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("listing {}: {e}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && entry.path().is_file() {
                out.push(format!("fixtures/{}/{name}", p.name));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn print_summary(g: &Generated) {
    for o in &g.outputs {
        let invalid = o
            .samples
            .iter()
            .filter(|s| s.normalised.value.is_err())
            .count();
        let fixed = o
            .samples
            .iter()
            .filter(|s| s.normalised.value.is_ok() && !s.normalised.notes.is_empty())
            .count();
        println!(
            "{}: {} samples in {} ({} ok, {} normalised, {} invalid)",
            o.provider,
            o.samples.len(),
            o.source,
            o.samples.len() - invalid,
            fixed,
            invalid
        );
        for s in &o.samples {
            if let Err(reason) = &s.normalised.value {
                println!(
                    "  invalid {} (line {}): {reason}",
                    s.meta.name, s.block.line
                );
            }
        }
        for b in &o.skipped {
            let first = b.text.lines().next().unwrap_or("").trim();
            println!(
                "  skipped non-JSON code block at line {} ({}): {}",
                b.line,
                if b.info.is_empty() {
                    "no language"
                } else {
                    &b.info
                },
                first.chars().take(60).collect::<String>()
            );
        }
    }
}

/// Regenerates the fixtures on disk (removing stale provider `.json` files).
pub fn write(root: &Path) -> Result<(), String> {
    let g = generate(root)?;
    print_summary(&g);
    let mut written = 0;
    for (rel, content) in &g.files {
        let path = root.join(rel);
        if fs::read_to_string(&path).ok().as_deref() == Some(content.as_str()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        fs::write(&path, content).map_err(|e| format!("writing {}: {e}", path.display()))?;
        written += 1;
    }
    for rel in existing_files(root)? {
        if !g.files.contains_key(&rel) {
            let path = root.join(&rel);
            fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
            println!("removed stale {rel}");
        }
    }
    println!(
        "fixtures: {} files generated, {} updated",
        g.files.len(),
        written
    );
    Ok(())
}

/// Compares the committed fixtures with a fresh generation; prints every
/// difference. Returns whether everything is up to date.
pub fn check(root: &Path) -> Result<bool, String> {
    let g = generate(root)?;
    let mut problems = Vec::new();
    for (rel, content) in &g.files {
        match fs::read_to_string(root.join(rel)) {
            Ok(on_disk) if on_disk == *content => {}
            Ok(_) => problems.push(format!("differs: {rel}")),
            Err(_) => problems.push(format!("missing: {rel}")),
        }
    }
    for rel in existing_files(root)? {
        if !g.files.contains_key(&rel) {
            problems.push(format!("stale:   {rel}"));
        }
    }
    for p in &problems {
        println!("fixtures --check: {p}");
    }
    if problems.is_empty() {
        println!("fixtures --check: {} files up to date", g.files.len());
    } else {
        println!("fixtures --check: run `cargo xtask fixtures` to regenerate");
    }
    Ok(problems.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    #[test]
    fn generation_is_deterministic_and_valid() {
        let a = generate(root()).unwrap();
        let b = generate(root()).unwrap();
        assert_eq!(a.files, b.files);
        for (rel, content) in &a.files {
            assert!(content.ends_with('\n'), "{rel}");
            serde_json::from_str::<serde_json::Value>(content).unwrap();
            assert!(!rel.starts_with("fixtures/signing/"));
        }
        for o in &a.outputs {
            let mut names: Vec<_> = o.samples.iter().map(|s| &s.meta.name).collect();
            let n = names.len();
            names.sort();
            names.dedup();
            assert_eq!(n, names.len(), "unique names in {}", o.provider);
        }
    }
}
