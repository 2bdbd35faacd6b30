//! A crate's `src/` as syntax trees, each file placed at its module path.

use std::path::Path;

use quote::ToTokens;

/// One parsed file of a crate's `src/`.
pub struct SourceFile {
    /// The path under `src/`, with `/` separators (`model/codes.rs`).
    pub rel: String,
    /// The module the file holds (`["model", "codes"]`; the crate root is empty).
    pub module: Vec<String>,
    /// Its number of lines.
    pub lines: usize,
    /// The syntax tree.
    pub ast: syn::File,
}

/// The sources of one crate.
pub struct CrateSrc {
    /// The package name (`sunmi`).
    pub name: String,
    /// Every `.rs` file under `src/` except other binaries (`bin/`, and `main.rs` beside a
    /// `lib.rs`).
    pub files: Vec<SourceFile>,
}

impl CrateSrc {
    /// Parses in-memory sources given as `(path under src/, text)`.
    pub fn from_sources(name: &str, sources: &[(&str, &str)]) -> Result<CrateSrc, String> {
        let mut files = Vec::new();
        for (rel, text) in sources {
            let ast = syn::parse_file(text)
                .map_err(|e| format!("{name}: src/{rel}: cannot parse: {e}"))?;
            files.push(SourceFile {
                rel: rel.to_string(),
                module: module_of(rel),
                lines: text.lines().count(),
                ast,
            });
        }
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(CrateSrc {
            name: name.to_string(),
            files,
        })
    }

    /// Reads and parses `dir/src/**/*.rs`.
    pub fn load(name: &str, dir: &Path) -> Result<CrateSrc, String> {
        let src = dir.join("src");
        let mut texts = Vec::new();
        collect(&src, &src, &mut texts)?;
        let borrowed: Vec<(&str, &str)> = texts
            .iter()
            .map(|(r, t)| (r.as_str(), t.as_str()))
            .collect();
        CrateSrc::from_sources(name, &borrowed)
    }

    /// Whether `module` is a module of the crate (a file, or an inline `mod` of one).
    pub fn has_module(&self, module: &[String]) -> bool {
        module.is_empty()
            || self.files.iter().any(|f| {
                f.module == module
                    || (module.starts_with(&f.module)
                        && has_inline(&f.ast.items, &module[f.module.len()..]))
            })
    }
}

fn has_inline(items: &[syn::Item], rest: &[String]) -> bool {
    let Some((first, tail)) = rest.split_first() else {
        return true;
    };
    items.iter().any(|item| match item {
        syn::Item::Mod(m) if m.ident == first => match &m.content {
            Some((_, inner)) => has_inline(inner, tail),
            None => false,
        },
        _ => false,
    })
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let rel = path
            .strip_prefix(base)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            if rel != "bin" {
                collect(base, &path, out)?;
            }
        } else if rel.ends_with(".rs") && !(rel == "main.rs" && base.join("lib.rs").is_file()) {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            out.push((rel, text));
        }
    }
    Ok(())
}

/// `lib.rs` (or `main.rs`) → `[]`, `model/mod.rs` → `["model"]`, `model/codes.rs` → `["model", "codes"]`.
pub fn module_of(rel: &str) -> Vec<String> {
    let stem = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    let root_file = parts.len() == 1 && matches!(parts[0].as_str(), "lib" | "main");
    if root_file || parts.last().map(String::as_str) == Some("mod") {
        parts.pop();
    }
    parts
}

/// Whether the attributes hold `#[cfg(test)]`: test code is not part of the shape.
pub fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && {
            let tokens = a.meta.to_token_stream().to_string();
            tokens.replace(' ', "") == "cfg(test)"
        }
    })
}

/// A type or signature as text with every path cut to its last segment and `Self` spelt out,
/// so that `paysig::http::HeaderMap` and `http::HeaderMap` read the same.
pub fn normalise(tokens: proc_macro2::TokenStream, self_ty: &str) -> String {
    let text = tokens.to_string();
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if *w == "::" || words.get(i + 1) == Some(&"::") {
            continue;
        }
        kept.push(if *w == "Self" { self_ty } else { w });
    }
    tidy(&kept.join(" "))
}

/// Drops the spaces `to_string` puts between tokens where Rust code has none.
fn tidy(s: &str) -> String {
    let mut out = s.to_string();
    for (from, to) in [
        (" ,", ","),
        ("& ", "&"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
        ("' ", "'"),
        ("& mut", "&mut"),
    ] {
        while out.contains(from) {
            out = out.replace(from, to);
        }
    }
    out.replace("->", " -> ").replace("  ", " ")
}

/// A function signature without its name, attributes or parameter names:
/// `async fn(&self, &str) -> Result<Reply<Order>, Error>`.
pub fn signature(sig: &syn::Signature, self_ty: &str) -> String {
    let inputs: Vec<String> = sig
        .inputs
        .iter()
        .map(|arg| match arg {
            syn::FnArg::Receiver(r) => {
                let mut s = String::new();
                if r.reference.is_some() {
                    s.push('&');
                }
                if r.mutability.is_some() {
                    s.push_str("mut ");
                }
                s.push_str("self");
                s
            }
            syn::FnArg::Typed(t) => normalise(t.ty.to_token_stream(), self_ty),
        })
        .collect();
    let output = match &sig.output {
        syn::ReturnType::Default => String::new(),
        syn::ReturnType::Type(_, ty) => format!(" -> {}", normalise(ty.to_token_stream(), self_ty)),
    };
    let asyncness = if sig.asyncness.is_some() {
        "async "
    } else {
        ""
    };
    format!("{asyncness}fn({}){output}", inputs.join(", "))
}

/// The last segment of a type's path (`Client` for `crate::Client`).
pub fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}
