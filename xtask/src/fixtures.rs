//! `cargo xtask fixtures [--check]`: JSON fixtures from the upstream docs.
//!
//! Every JSON sample of `docs/upstream/*` is extracted ([`extract`]),
//! described ([`naming`]) and normalised ([`normalise`]), then written to
//! `fixtures/<provider>/<name>.json` with `fixtures/<provider>/index.json`
//! listing every sample found, valid or not. Every parameter and code table
//! is written to `fixtures/<provider>/tables/<endpoint>.<role>.json`, with
//! `tables/index.json` listing every table found ([`tables`]). `--check`
//! regenerates in memory and compares with the files on disk, printing a
//! unified diff of each difference. Only the four provider directories are
//! ever read or written; `fixtures/signing/` belongs to someone else.

mod doc;
mod extract;
mod json;
mod naming;
mod normalise;
mod tables;

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
    tables: tables::Counts,
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
        let (table_files, counts) = tables::generate(p.name, p.source, &doc, &ex);
        files.extend(table_files);
        outputs.push(ProviderOutput {
            provider: p.name,
            source: p.source,
            samples,
            skipped: ex.skipped,
            tables: counts,
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

/// `.json` files currently in the provider directories and their `tables/`
/// (relative paths).
fn existing_files(root: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for p in PROVIDERS {
        for sub in [p.name.to_string(), format!("{}/tables", p.name)] {
            let dir = root.join("fixtures").join(&sub);
            if !dir.is_dir() {
                continue;
            }
            let entries =
                fs::read_dir(&dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
            for entry in entries {
                let entry = entry.map_err(|e| format!("listing {}: {e}", dir.display()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".json") && entry.path().is_file() {
                    out.push(format!("fixtures/{sub}/{name}"));
                }
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
        let t = &o.tables;
        println!(
            "{}: {} tables ({} skipped): {} request rows, {} response rows, {} code rows, {} unread rows",
            o.provider, t.tables, t.skipped, t.request, t.response, t.codes, t.unread
        );
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
    write_counted(root).map(|_| ())
}

/// [`write()`], returning how many files it wrote or removed.
fn write_counted(root: &Path) -> Result<usize, String> {
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
            written += 1;
        }
    }
    println!(
        "fixtures: {} files generated, {} updated",
        g.files.len(),
        written
    );
    Ok(written)
}

/// Compares the committed fixtures with a fresh generation; prints every
/// difference as a unified diff. Returns whether everything is up to date.
pub fn check(root: &Path) -> Result<bool, String> {
    let (ok, report) = check_report(root)?;
    print!("{report}");
    Ok(ok)
}

/// [`check`]'s verdict and the text it prints.
fn check_report(root: &Path) -> Result<(bool, String), String> {
    let g = generate(root)?;
    let mut problems = Vec::new();
    let mut diffs = String::new();
    for (rel, content) in &g.files {
        match fs::read_to_string(root.join(rel)) {
            Ok(on_disk) if on_disk == *content => {}
            Ok(on_disk) => {
                problems.push(format!("differs: {rel}"));
                diffs.push_str(&unified_diff(rel, &on_disk, content));
            }
            Err(_) => {
                problems.push(format!("missing: {rel}"));
                diffs.push_str(&unified_diff(rel, "", content));
            }
        }
    }
    for rel in existing_files(root)? {
        if !g.files.contains_key(&rel) {
            problems.push(format!("stale:   {rel}"));
            let on_disk = fs::read_to_string(root.join(&rel)).unwrap_or_default();
            diffs.push_str(&unified_diff(&rel, &on_disk, ""));
        }
    }
    let mut out = String::new();
    for p in &problems {
        out.push_str(&format!("fixtures --check: {p}\n"));
    }
    out.push_str(&diffs);
    if problems.is_empty() {
        out.push_str(&format!(
            "fixtures --check: {} files up to date\n",
            g.files.len()
        ));
    } else {
        out.push_str("fixtures --check: run `cargo xtask fixtures` to regenerate\n");
    }
    Ok((problems.is_empty(), out))
}

/// `git diff`-style unified diff (3 lines of context) from the file on disk
/// (`a/`) to the generated one (`b/`).
fn unified_diff(rel: &str, on_disk: &str, generated: &str) -> String {
    similar::TextDiff::from_lines(on_disk, generated)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{rel}"), &format!("b/{rel}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    /// A scratch workspace holding copies of the documents and of the
    /// committed provider fixtures (removed on drop).
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!(
                "payhub-xtask-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = fs::remove_dir_all(&dir);
            copy_dir(&root().join("docs/upstream"), &dir.join("docs/upstream"));
            for p in PROVIDERS {
                copy_dir(
                    &root().join("fixtures").join(p.name),
                    &dir.join("fixtures").join(p.name),
                );
            }
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Inserts a `storeId` row into the request table of Sunmi's miniPay,
    /// after its `appVersion` row.
    fn add_minipay_row(root: &Path) {
        let path = root.join("docs/upstream/sunmi.txt");
        let text = fs::read_to_string(&path).unwrap();
        let anchor = "\tappVersion\n\tString(80)\n\tO\n\t小程序版本号\n\n";
        assert_eq!(text.matches(anchor).count(), 1, "anchor row in sunmi.txt");
        let row = "\tstoreId\n\tString(32)\n\tO\n\t门店编号\n\n";
        fs::write(&path, text.replace(anchor, &format!("{anchor}{row}"))).unwrap();
    }

    #[test]
    fn committed_fixtures_are_up_to_date() {
        let (ok, report) = check_report(root()).unwrap();
        assert!(ok, "{report}");
        assert!(report.contains("files up to date"));
    }

    #[test]
    fn second_run_changes_nothing() {
        let scratch = Scratch::new("idempotent");
        // Start from nothing: the first run writes every file...
        fs::remove_dir_all(scratch.0.join("fixtures")).unwrap();
        let first = write_counted(&scratch.0).unwrap();
        assert!(first > 0);
        let snapshot = |dir: &Path| {
            let mut files = BTreeMap::new();
            for rel in existing_files(dir).unwrap() {
                files.insert(rel.clone(), fs::read(dir.join(&rel)).unwrap());
            }
            files
        };
        let before = snapshot(&scratch.0);
        assert!(before.keys().any(|f| f.contains("/tables/")));
        // ...the second writes none and leaves every byte as it was.
        assert_eq!(write_counted(&scratch.0).unwrap(), 0);
        assert_eq!(snapshot(&scratch.0), before);
        assert!(check_report(&scratch.0).unwrap().0);
    }

    #[test]
    fn check_prints_a_unified_diff_of_each_difference() {
        let scratch = Scratch::new("diff");
        let rel = "fixtures/mifeng/tables/balance.request.json";
        let path = scratch.0.join(rel);
        let edited = fs::read_to_string(&path)
            .unwrap()
            .replace("\"name\": \"mch_id\"", "\"name\": \"merchant\"");
        fs::write(&path, edited).unwrap();
        let stale = "fixtures/pooul/tables/gone.request.json";
        fs::write(scratch.0.join(stale), "{}\n").unwrap();
        fs::remove_file(scratch.0.join("fixtures/beecloud/tables/bill.codes.json")).unwrap();

        let (ok, report) = check_report(&scratch.0).unwrap();
        println!("{report}");
        assert!(!ok);
        assert!(report.contains(&format!("differs: {rel}")), "{report}");
        assert!(
            report.contains(&format!("--- a/{rel}\n+++ b/{rel}\n@@ ")),
            "{report}"
        );
        assert!(
            report.contains("\n-      \"name\": \"merchant\",\n"),
            "{report}"
        );
        assert!(
            report.contains("\n+      \"name\": \"mch_id\",\n"),
            "{report}"
        );
        // Context lines around the change.
        assert!(
            report.contains("\n       \"location\": \"body\",\n"),
            "{report}"
        );
        assert!(report.contains(&format!("stale:   {stale}")), "{report}");
        assert!(report.contains("\n-{}\n"), "{report}");
        assert!(report.contains("missing: fixtures/beecloud/tables/bill.codes.json"));
        assert!(
            report.contains("+      \"message\": \"APP_INVALID\",\n"),
            "{report}"
        );
    }

    /// One added request row in a copy of sunmi.txt: `--check` fails with a
    /// diff naming the field, and the sunmi crate's table tests, pointed at
    /// the regenerated tables, fail naming provider, endpoint and field.
    #[test]
    fn an_added_document_row_fails_check_and_the_model_tests() {
        let scratch = Scratch::new("mutation");
        add_minipay_row(&scratch.0);

        let (ok, report) = check_report(&scratch.0).unwrap();
        assert!(!ok);
        let rel = "fixtures/sunmi/tables/minipay.request.json";
        assert!(
            report.contains(&format!("--- a/{rel}\n+++ b/{rel}")),
            "{report}"
        );
        assert!(
            report.contains("+      \"name\": \"storeId\",\n"),
            "{report}"
        );
        assert!(
            report.contains("+      \"type\": \"String(32)\",\n"),
            "{report}"
        );

        write_counted(&scratch.0).unwrap();
        let tables = scratch.0.join("fixtures/sunmi/tables");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(root())
            .args(["test", "-q", "-p", "sunmi", "--test", "tables"])
            .env("PAYHUB_TABLES_DIR", &tables)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "sunmi table tests passed:\n{text}");
        assert!(
            text.contains("sunmi /v1/trade/miniPay request field `storeId`"),
            "{text}"
        );

        // The unmodified tables pass the same tests.
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root())
            .args(["test", "-q", "-p", "sunmi", "--test", "tables"])
            .env("PAYHUB_TABLES_DIR", root().join("fixtures/sunmi/tables"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
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
