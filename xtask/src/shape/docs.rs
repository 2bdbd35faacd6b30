//! The front page of a provider crate (the `//!` docs of `lib.rs`): one template filled once
//! per provider, so that a reader finds the same thing under the same heading in every crate.

use super::rules::Difference;
use super::source::CrateSrc;

/// The `##` sections of every provider crate's front page, in this order. Provider-only
/// topics go under the last one as `###` subsections.
pub const SECTIONS: &[&str] = &[
    "Covers",
    "Quick start",
    "Notify",
    "Errors",
    "Resolving an unknown outcome",
    "Features",
    "Provider specifics",
];

/// The item under which a difference in the headings is reported and allowed.
fn item(what: &str) -> String {
    format!("doc {what}")
}

/// The crate's `//!` text, one line per `//!` line (the one space after `//!` dropped).
fn front_page(krate: &CrateSrc) -> Option<String> {
    let root = krate.files.iter().find(|f| f.rel == "lib.rs")?;
    let mut lines = Vec::new();
    for attr in &root.ast.attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            let text = s.value();
            lines.push(text.strip_prefix(' ').unwrap_or(&text).to_string());
        }
    }
    Some(lines.join("\n"))
}

/// The Markdown headings outside code blocks, as `(level, text)`.
pub fn headings(page: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let level = line.chars().take_while(|c| *c == '#').count();
        if level > 0 && line[level..].starts_with(' ') {
            out.push((level, line[level..].trim().to_string()));
        }
    }
    out
}

/// The title (`# NAME: <provider> for payhub`) and the `##` sections of [`SECTIONS`], each
/// once and in its order.
pub fn check_front_page(krate: &CrateSrc) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |what: &str, message: String| {
        out.push(Difference {
            krate: krate.name.clone(),
            item: item(what),
            message,
        })
    };
    let page = front_page(krate).unwrap_or_default();
    let heads = headings(&page);
    let title_ok = heads.first().is_some_and(|(level, text)| {
        *level == 1
            && text
                .strip_prefix(&format!("{}: ", krate.name))
                .is_some_and(|rest| rest.ends_with(" for payhub") && rest.len() > 11)
    });
    if !title_ok {
        push(
            "title",
            format!(
                "the front page must open with `# {}: <provider> for payhub`",
                krate.name
            ),
        );
    }
    let found: Vec<&str> = heads
        .iter()
        .filter(|(level, _)| *level == 2)
        .map(|(_, text)| text.as_str())
        .collect();
    for want in SECTIONS {
        if !found.contains(want) {
            push(
                &format!("## {want}"),
                "missing from the front page (the `//!` docs of lib.rs)".to_string(),
            );
        }
    }
    for got in &found {
        if !SECTIONS.contains(got) {
            push(
                &format!("## {got}"),
                "a section not in the template: make it a `###` under `## Provider specifics`"
                    .to_string(),
            );
        }
    }
    let known: Vec<&str> = found
        .iter()
        .copied()
        .filter(|s| SECTIONS.contains(s))
        .collect();
    let want: Vec<&str> = SECTIONS
        .iter()
        .copied()
        .filter(|s| known.contains(s))
        .collect();
    if known != want {
        push(
            "order",
            format!(
                "sections in the order {}, want {}",
                known.join(" / "),
                want.join(" / ")
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(sections: &[&str]) -> String {
        let mut text = String::from("//! # acme: Acme for payhub\n//!\n//! What it is.\n");
        for s in sections {
            text.push_str(&format!("//!\n//! ## {s}\n//! Text.\n"));
        }
        text + "\npub fn f() {}\n"
    }

    fn items(lib: &str) -> Vec<String> {
        let krate = CrateSrc::from_sources("acme", &[("lib.rs", lib)]).unwrap();
        check_front_page(&krate)
            .into_iter()
            .map(|d| d.item)
            .collect()
    }

    #[test]
    fn the_template_sections_in_order_pass() {
        assert_eq!(items(&page(SECTIONS)), Vec::<String>::new());
    }

    #[test]
    fn a_missing_section_is_named() {
        let mut s = SECTIONS.to_vec();
        s.retain(|x| *x != "Errors");
        assert_eq!(items(&page(&s)), ["doc ## Errors"]);
    }

    #[test]
    fn a_reordered_section_fails() {
        let mut s = SECTIONS.to_vec();
        s.swap(2, 3);
        assert_eq!(items(&page(&s)), ["doc order"]);
    }

    #[test]
    fn an_extra_section_and_a_wrong_title_are_named() {
        let mut s = SECTIONS.to_vec();
        s.insert(1, "Keys");
        let lib = page(&s).replace("for payhub", "SDK");
        assert_eq!(items(&lib), ["doc title", "doc ## Keys"]);
    }

    #[test]
    fn headings_in_code_blocks_and_subsections_do_not_count() {
        let lib = page(SECTIONS).replace(
            "//! ## Notify\n",
            "//! ## Notify\n//! ```\n//! ## Errors\n//! ```\n//! ### Keys\n",
        );
        assert_eq!(items(&lib), Vec::<String>::new());
        assert_eq!(
            headings("```\n# a\n```\n#no\n### b"),
            [(3, "b".to_string())]
        );
    }

    #[test]
    fn a_crate_without_docs_fails_every_heading() {
        let found = items("pub fn f() {}\n");
        assert_eq!(found.len(), 1 + SECTIONS.len(), "{found:?}");
    }
}
