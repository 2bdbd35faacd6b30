//! Import circles between a crate's modules.
//!
//! Every path a module's code names (`use` trees and paths in code, test code left out) is
//! resolved to the module it lands in, through the `use` re-exports on the way (so
//! `crate::Faults` counts as a use of `faults`, and `crate::model::Code` of `model::codes`
//! when `model` re-exports it from there). Each module (a file, or an inline `mod`) is a
//! node: `providers::sunmi` naming `crate::shared::X` is the edge
//! `providers::sunmi → shared`. A module naming its ancestor or descendant is no edge (a
//! parent and its children are one unit). A strongly connected group of two or more modules
//! is a circle.

use std::collections::{BTreeMap, BTreeSet};

use syn::visit::Visit;

use super::source::{CrateSrc, is_test_only};

type Module = Vec<String>;

/// One import circle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Circle {
    /// The modules, sorted (`["notify", "providers::sunmi", "shared"]`).
    pub modules: Vec<String>,
    /// One example per edge of the circle: ``shared -> providers (names `crate::providers`)``.
    pub evidence: Vec<String>,
}

/// The circles of the crate.
pub fn circles(krate: &CrateSrc) -> Vec<Circle> {
    let aliases = aliases(krate);
    let mut refs: Vec<(Module, Module, String)> = Vec::new();
    for file in &krate.files {
        let mut v = Refs {
            krate,
            stack: file.module.clone(),
            found: Vec::new(),
        };
        for item in &file.ast.items {
            v.visit_item(item);
        }
        refs.extend(v.found);
    }
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    let mut examples: BTreeMap<(String, String), String> = BTreeMap::new();
    for (from, to, written) in refs {
        let to = resolve(krate, &aliases, to);
        if from.starts_with(&to) || to.starts_with(&from) {
            continue;
        }
        let edge = (show(&from), show(&to));
        examples
            .entry(edge.clone())
            .or_insert_with(|| format!("names `{written}`"));
        edges.insert(edge);
    }
    strongly_connected(&edges)
        .into_iter()
        .map(|group| {
            let evidence = edges
                .iter()
                .filter(|(a, b)| group.contains(a) && group.contains(b))
                .map(|e| format!("{} -> {} ({})", e.0, e.1, examples[e]))
                .collect();
            Circle {
                modules: group,
                evidence,
            }
        })
        .collect()
}

fn show(module: &[String]) -> String {
    if module.is_empty() {
        "the crate root".to_string()
    } else {
        module.join("::")
    }
}

/// Every `use` of every module: `(module, name) → the path it names` (absolute, unresolved).
fn aliases(krate: &CrateSrc) -> BTreeMap<(Module, String), Module> {
    let mut out = BTreeMap::new();
    for file in &krate.files {
        let mut v = Refs {
            krate,
            stack: file.module.clone(),
            found: Vec::new(),
        };
        collect_aliases(&mut v, &file.ast.items, &mut out);
    }
    out
}

fn collect_aliases(
    v: &mut Refs<'_>,
    items: &[syn::Item],
    out: &mut BTreeMap<(Module, String), Module>,
) {
    for item in items {
        match item {
            syn::Item::Use(u) if !is_test_only(&u.attrs) => {
                let mut leaves = Vec::new();
                use_leaves(&u.tree, Vec::new(), &mut leaves);
                for (path, name) in leaves {
                    if let (Some(abs), Some(name)) = (v.absolute(&path), name) {
                        out.insert((v.stack.clone(), name), abs);
                    }
                }
            }
            syn::Item::Mod(m) if !is_test_only(&m.attrs) => {
                if let Some((_, inner)) = &m.content {
                    v.stack.push(m.ident.to_string());
                    collect_aliases(v, inner, out);
                    v.stack.pop();
                }
            }
            _ => {}
        }
    }
}

/// Follows re-exports until the path stops at a module (at most 16 hops: a `use` loop ends).
fn resolve(
    krate: &CrateSrc,
    aliases: &BTreeMap<(Module, String), Module>,
    mut path: Module,
) -> Module {
    for _ in 0..16 {
        let mut depth = 0;
        while depth < path.len() && krate.has_module(&path[..=depth]) {
            depth += 1;
        }
        let module = path[..depth].to_vec();
        match path.get(depth) {
            Some(name) => match aliases.get(&(module.clone(), name.clone())) {
                Some(target) if target != &path[..=depth] => {
                    let mut next = target.clone();
                    next.extend_from_slice(&path[depth + 1..]);
                    path = next;
                }
                _ => return module,
            },
            None => return module,
        }
    }
    path
}

/// The leaves of a `use` tree: the full path and the name it binds (`None` for a glob).
fn use_leaves(
    tree: &syn::UseTree,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            let mut next = prefix;
            next.push(p.ident.to_string());
            use_leaves(&p.tree, next, out);
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            let mut path = prefix;
            if name == "self" {
                let last = path.last().cloned();
                out.push((path, last));
            } else {
                path.push(name.clone());
                out.push((path, Some(name)));
            }
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix;
            path.push(r.ident.to_string());
            out.push((path, Some(r.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix, None)),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix.clone(), out);
            }
        }
    }
}

/// Collects `(module naming, path named)` for one file, inline modules included.
struct Refs<'a> {
    krate: &'a CrateSrc,
    stack: Module,
    found: Vec<(Module, Module, String)>,
}

impl Refs<'_> {
    /// The absolute path of `path` as written in the current module, if it starts inside the
    /// crate (`crate::`, `self::`, `super::` or a child module's name).
    fn absolute(&self, path: &[String]) -> Option<Module> {
        let first = path.first()?;
        let mut base = self.stack.clone();
        let rest = match first.as_str() {
            "crate" => {
                base.clear();
                &path[1..]
            }
            "self" => &path[1..],
            "super" => {
                let mut rest = path;
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop();
                    rest = &rest[1..];
                }
                rest
            }
            _ => {
                let mut child = base.clone();
                child.push(first.clone());
                if !self.krate.has_module(&child) {
                    return None;
                }
                path
            }
        };
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn record(&mut self, path: &[String]) {
        if let Some(abs) = self.absolute(path) {
            self.found.push((self.stack.clone(), abs, path.join("::")));
        }
    }
}

impl<'ast> Visit<'ast> for Refs<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            _ => &[],
        };
        if is_test_only(attrs) {
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if let Some((_, items)) = &m.content {
            self.stack.push(m.ident.to_string());
            for item in items {
                self.visit_item(item);
            }
            self.stack.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&u.tree, Vec::new(), &mut leaves);
        for (path, _) in leaves {
            self.record(&path);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if segs.len() > 1 && p.leading_colon.is_none() {
            self.record(&segs);
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // Paths inside macro calls (`format!`, `matches!`) are tokens to syn; a crate path in
        // them is read as a path where it parses as one.
        let mut tokens = Vec::new();
        flatten(m.tokens.clone(), &mut tokens);
        let mut i = 0;
        while i < tokens.len() {
            if matches!(tokens[i].as_str(), "crate" | "super" | "self") {
                let mut path = vec![tokens[i].clone()];
                let mut j = i + 1;
                // `::` arrives as two `:` puncts.
                while tokens.get(j).map(String::as_str) == Some(":")
                    && tokens.get(j + 1).map(String::as_str) == Some(":")
                {
                    match tokens.get(j + 2) {
                        Some(next) if next.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                            path.push(next.clone());
                            j += 3;
                        }
                        _ => break,
                    }
                }
                if path.len() > 1 {
                    self.record(&path);
                }
                i = j;
            } else {
                i += 1;
            }
        }
        syn::visit::visit_macro(self, m);
    }
}

/// The tokens of a stream, groups opened, as text.
fn flatten(stream: proc_macro2::TokenStream, out: &mut Vec<String>) {
    for tt in stream {
        match tt {
            proc_macro2::TokenTree::Group(g) => flatten(g.stream(), out),
            other => out.push(other.to_string()),
        }
    }
}

/// Tarjan's algorithm over a small edge set; groups of two or more, each sorted, in order.
fn strongly_connected(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let nodes: Vec<&String> = nodes.into_iter().collect();
    let index_of = |n: &String| nodes.iter().position(|m| *m == n).unwrap_or(0);
    let adj: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            edges
                .iter()
                .filter(|(a, _)| a == *n)
                .map(|(_, b)| index_of(b))
                .collect()
        })
        .collect();
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        groups: Vec<Vec<usize>>,
    }
    fn visit(v: usize, adj: &[Vec<usize>], s: &mut State) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &adj[v] {
            match s.index[w] {
                None => {
                    visit(w, adj, s);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                group.push(w);
                if w == v {
                    break;
                }
            }
            s.groups.push(group);
        }
    }
    let n = nodes.len();
    let mut s = State {
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        groups: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(v, &adj, &mut s);
        }
    }
    let mut out: Vec<Vec<String>> = s
        .groups
        .into_iter()
        .filter(|g| g.len() > 1)
        .map(|g| {
            let mut names: Vec<String> = g.into_iter().map(|i| nodes[i].clone()).collect();
            names.sort();
            names
        })
        .collect();
    out.sort();
    out
}
