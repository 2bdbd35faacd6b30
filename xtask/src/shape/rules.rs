//! What every provider crate must look like (issue 20), and what every crate must respect.

use quote::ToTokens;

use super::graph;
use super::source::{CrateSrc, is_test_only, normalise, signature, type_name};

/// No file under any crate's `src/` may be longer.
pub const MAX_LINES: usize = 600;

/// The root modules of a provider crate and whether each is `pub`.
pub const MODULES: &[(&str, bool)] = &[
    ("client", false),
    ("config", false),
    ("error", false),
    ("validate", false),
    ("model", true),
    ("notify", true),
    ("resolve", true),
    ("doc_tables", true),
];

/// Names every provider crate re-exports at its root.
pub const ROOT_EXPORTS: &[&str] = &[
    "Client",
    "Config",
    "Environment",
    "Error",
    "NotifyError",
    "Notification",
];

/// `Client` methods and their signatures (paths cut to their last segment, see
/// [`normalise`]); `None` checks only that the method exists and is `pub`.
const CLIENT_METHODS: &[(&str, Option<&str>)] = &[
    (
        "new",
        Some("fn new(config: Config) -> Result<Client, Error> {}"),
    ),
    ("config", Some("fn config(&self) -> &Config {}")),
    (
        "verify_notify",
        Some(
            "fn verify_notify(&self, headers: &http::HeaderMap, body: &[u8]) \
             -> Result<Verified<Notification>, NotifyError> {}",
        ),
    ),
    (
        "resolve_payment",
        Some(
            "async fn resolve_payment(&self, order_no: &str, policy: &ResolvePolicy) \
             -> Resolution<T> {}",
        ),
    ),
    (
        "resolve_refund",
        Some(
            "async fn resolve_refund(&self, order_no: &str, refund_no: &str, \
             policy: &ResolvePolicy) -> RefundResolution<T> {}",
        ),
    ),
];

const CHECK_AMOUNT: &str = "fn check_amount(&self, expected: Money) -> Result<(), NotifyError> {}";

/// `Error` variants of the shared meanings.
pub const ERROR_VARIANTS: &[&str] = &[
    "Validation",
    "Config",
    "Http",
    "Decode",
    "Api",
    "ResponseMismatch",
    "Sign",
];

/// `NotifyError` variants of the shared meanings.
pub const NOTIFY_ERROR_VARIANTS: &[&str] = &[
    "BodyTooLarge",
    "Malformed",
    "MissingField",
    "DuplicateField",
    "MissingSignature",
    "SignatureMismatch",
    "Ambiguous",
    "AmountMismatch",
];

/// One way a crate differs from the shape.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// The package name.
    pub krate: String,
    /// The item, as the allow-list names it (`mod token`, `Client::verify_notify`).
    pub item: String,
    /// What differs.
    pub message: String,
}

struct Diffs<'a> {
    krate: &'a str,
    out: Vec<Difference>,
}

impl Diffs<'_> {
    fn push(&mut self, item: impl Into<String>, message: impl Into<String>) {
        self.out.push(Difference {
            krate: self.krate.to_string(),
            item: item.into(),
            message: message.into(),
        });
    }
}

/// The rule for every crate: no file over [`MAX_LINES`].
pub fn check_lengths(krate: &CrateSrc) -> Vec<Difference> {
    let mut d = Diffs {
        krate: &krate.name,
        out: Vec::new(),
    };
    for f in &krate.files {
        if f.lines > MAX_LINES {
            d.push(
                format!("file src/{}", f.rel),
                format!("{} lines, over the {MAX_LINES}-line limit", f.lines),
            );
        }
    }
    d.out
}

/// No import circle between the crate's modules (provider crates, and crates that opt in).
pub fn check_circles(krate: &CrateSrc) -> Vec<Difference> {
    let mut d = Diffs {
        krate: &krate.name,
        out: Vec::new(),
    };
    for circle in graph::circles(krate) {
        d.push(
            format!("circle {}", circle.modules.join(" <-> ")),
            format!(
                "these modules import each other: {}",
                circle.evidence.join("; ")
            ),
        );
    }
    d.out
}

/// Everything found in a crate's non-test code.
#[derive(Default)]
struct Inventory {
    /// `(type, function)` for every function of an inherent `impl` block.
    methods: Vec<(String, syn::ImplItemFn)>,
    enums: Vec<(Vec<String>, syn::ItemEnum)>,
    types: Vec<String>,
    structs: Vec<syn::ItemStruct>,
    macro_defs: Vec<(Vec<String>, syn::ItemMacro)>,
    macro_calls: Vec<(Vec<String>, syn::ItemMacro)>,
}

fn inventory(krate: &CrateSrc) -> Inventory {
    let mut inv = Inventory::default();
    for f in &krate.files {
        walk(&f.ast.items, &mut f.module.clone(), &mut inv);
    }
    inv
}

fn walk(items: &[syn::Item], module: &mut Vec<String>, inv: &mut Inventory) {
    for item in items {
        match item {
            syn::Item::Mod(m) if !is_test_only(&m.attrs) => {
                if let Some((_, inner)) = &m.content {
                    module.push(m.ident.to_string());
                    walk(inner, module, inv);
                    module.pop();
                }
            }
            syn::Item::Impl(i) if i.trait_.is_none() && !is_test_only(&i.attrs) => {
                if let Some(ty) = type_name(&i.self_ty) {
                    for it in &i.items {
                        if let syn::ImplItem::Fn(f) = it {
                            inv.methods.push((ty.clone(), f.clone()));
                        }
                    }
                }
            }
            syn::Item::Enum(e) => {
                inv.types.push(e.ident.to_string());
                inv.enums.push((module.clone(), e.clone()));
            }
            syn::Item::Struct(s) => {
                inv.types.push(s.ident.to_string());
                inv.structs.push(s.clone());
            }
            syn::Item::Type(t) => inv.types.push(t.ident.to_string()),
            syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                inv.macro_defs.push((module.clone(), m.clone()));
            }
            syn::Item::Macro(m) => inv.macro_calls.push((module.clone(), m.clone())),
            _ => {}
        }
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn expected_sig(src: &str, self_ty: &str) -> String {
    let f: syn::ItemFn = syn::parse_str(src).expect("the shape's own signatures parse");
    signature(&f.sig, self_ty)
}

/// Result-typed generics in the expected signatures (`Resolution<T>`) match any argument.
fn same_sig(expected: &str, found: &str) -> bool {
    let pattern: Vec<&str> = expected.split("<T>").collect();
    if pattern.len() == 1 {
        return expected == found;
    }
    let mut rest = found;
    for (i, piece) in pattern.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(piece) else {
                return false;
            };
            rest = r;
            continue;
        }
        // skip one balanced `<...>`
        if !rest.starts_with('<') {
            return false;
        }
        let mut depth = 0;
        let mut end = None;
        for (k, c) in rest.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(k + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { return false };
        rest = &rest[end..];
        let Some(r) = rest.strip_prefix(piece) else {
            return false;
        };
        rest = r;
    }
    rest.is_empty()
}

/// The provider rules: modules, root re-exports, entry points, error variants, code enums.
pub fn check_provider(krate: &CrateSrc) -> Vec<Difference> {
    let mut d = Diffs {
        krate: &krate.name,
        out: Vec::new(),
    };
    let Some(root) = krate.files.iter().find(|f| f.rel == "lib.rs") else {
        d.push("src/lib.rs", "no lib.rs: not a library crate");
        return d.out;
    };
    check_modules(&mut d, root);
    check_exports(&mut d, root);
    let inv = inventory(krate);
    check_client(&mut d, &inv);
    check_config_new(&mut d, &inv);
    check_notification(&mut d, &inv);
    check_variants(&mut d, &inv, "Error", ERROR_VARIANTS);
    check_variants(&mut d, &inv, "NotifyError", NOTIFY_ERROR_VARIANTS);
    check_http_variant(&mut d, &inv);
    check_code_enums(&mut d, &inv);
    d.out
}

fn check_modules(d: &mut Diffs<'_>, root: &super::source::SourceFile) {
    let mut found: Vec<(String, bool)> = Vec::new();
    for item in &root.ast.items {
        if let syn::Item::Mod(m) = item
            && !is_test_only(&m.attrs)
        {
            found.push((m.ident.to_string(), is_pub(&m.vis)));
        }
    }
    for (name, public) in MODULES {
        let want = if *public { "pub mod" } else { "private mod" };
        match found.iter().find(|(n, _)| n == name) {
            None => d.push(
                format!("mod {name}"),
                format!("missing (want {want} {name})"),
            ),
            Some((_, p)) if p != public => {
                let got = if *p { "pub mod" } else { "private mod" };
                d.push(format!("mod {name}"), format!("is {got}, want {want}"))
            }
            Some(_) => {}
        }
    }
    for (name, public) in &found {
        if !MODULES.iter().any(|(n, _)| n == name) {
            let vis = if *public { "pub mod" } else { "private mod" };
            d.push(
                format!("mod {name}"),
                format!("extra module ({vis}) not in the shape"),
            );
        }
    }
}

fn check_exports(d: &mut Diffs<'_>, root: &super::source::SourceFile) {
    let mut names = Vec::new();
    for item in &root.ast.items {
        if let syn::Item::Use(u) = item
            && is_pub(&u.vis)
        {
            export_names(&u.tree, &mut names);
        }
    }
    for want in ROOT_EXPORTS {
        if !names.iter().any(|n| n == want) {
            d.push(
                format!("reexport {want}"),
                "not re-exported at the crate root",
            );
        }
    }
}

fn export_names(tree: &syn::UseTree, out: &mut Vec<String>) {
    match tree {
        syn::UseTree::Path(p) => export_names(&p.tree, out),
        syn::UseTree::Name(n) => out.push(n.ident.to_string()),
        syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
        syn::UseTree::Glob(_) => {}
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| export_names(t, out)),
    }
}

fn find_method<'a>(inv: &'a Inventory, ty: &str, name: &str) -> Option<&'a syn::ImplItemFn> {
    inv.methods
        .iter()
        .find(|(t, f)| t == ty && f.sig.ident == name)
        .map(|(_, f)| f)
}

fn check_method(d: &mut Diffs<'_>, inv: &Inventory, ty: &str, name: &str, want: Option<&str>) {
    let item = format!("{ty}::{name}");
    let Some(f) = find_method(inv, ty, name) else {
        d.push(item, "missing");
        return;
    };
    if !is_pub(&f.vis) {
        d.push(item, "not pub");
        return;
    }
    if let Some(src) = want {
        let want = expected_sig(src, ty);
        let got = signature(&f.sig, ty);
        if !same_sig(&want, &got) {
            d.push(item, format!("signature `{got}`, want `{want}`"));
        }
    }
}

/// A client is one `Arc` around what it holds (`pub struct Client { inner: Arc<Inner> }`): the
/// same cost to clone and the same way to reach its parts in every crate.
fn check_client_struct(d: &mut Diffs<'_>, inv: &Inventory) {
    let Some(client) = inv.structs.iter().find(|s| s.ident == "Client") else {
        d.push("Client", "no struct named `Client`");
        return;
    };
    let fields: Vec<String> = client
        .fields
        .iter()
        .map(|f| {
            let name = f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
            let ty = f.ty.to_token_stream().to_string().replace(' ', "");
            format!("{name}: {ty}")
        })
        .collect();
    if fields != ["inner: Arc<Inner>"] {
        d.push(
            "Client fields",
            format!("holds `{}`, want `inner: Arc<Inner>`", fields.join(", ")),
        );
    }
}

fn check_client(d: &mut Diffs<'_>, inv: &Inventory) {
    check_client_struct(d, inv);
    for (name, want) in CLIENT_METHODS {
        check_method(d, inv, "Client", name, *want);
    }
    for (ty, f) in &inv.methods {
        let name = f.sig.ident.to_string();
        if !is_pub(&f.vis) {
            continue;
        }
        if ty == "Client"
            && name.contains("verify")
            && name.contains("notify")
            && !name.starts_with("verify_notify")
        {
            d.push(
                format!("Client::{name}"),
                "a notify entry point outside the `verify_notify*` names",
            );
        }
        if name == "ensure_amount" {
            d.push(
                format!("{ty}::ensure_amount"),
                "the amount check is named `check_amount` in the shape",
            );
        }
        // Every call of the client answers `Reply<T>` (the resolve_* loops answer a
        // Resolution, whose steps hold the replies).
        if ty == "Client" && f.sig.asyncness.is_some() && !name.starts_with("resolve_") {
            let out = signature(&f.sig, ty);
            if !out.contains("-> Result<Reply<") {
                d.push(
                    format!("Client::{name} reply"),
                    format!("answers `{}`, want `Result<Reply<T>, Error>`", out_of(&out)),
                );
            }
        }
    }
}

fn out_of(sig: &str) -> &str {
    sig.split_once(" -> ").map(|(_, o)| o).unwrap_or("()")
}

fn check_config_new(d: &mut Diffs<'_>, inv: &Inventory) {
    let Some(f) = find_method(inv, "Config", "new") else {
        d.push("Config::new", "missing");
        return;
    };
    let sig = signature(&f.sig, "Config");
    let inputs: Vec<String> = f
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(normalise(t.ty.to_token_stream(), "Config")),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let shaped = is_pub(&f.vis)
        && inputs.len() >= 3
        && inputs[0] == "Environment"
        && inputs[1] == "impl Into<String>"
        && out_of(&sig) == "Config";
    if !shaped {
        d.push(
            "Config::new",
            format!(
                "signature `{sig}`, want `pub fn(Environment, impl Into<String>, <secret or key>, ..) -> Config`"
            ),
        );
    }
}

fn check_notification(d: &mut Diffs<'_>, inv: &Inventory) {
    if !inv.types.iter().any(|t| t == "Notification") {
        d.push("Notification", "no type named `Notification`");
        return;
    }
    check_method(d, inv, "Notification", "check_amount", Some(CHECK_AMOUNT));
}

fn find_enum<'a>(inv: &'a Inventory, name: &str) -> Option<&'a syn::ItemEnum> {
    inv.enums
        .iter()
        .map(|(_, e)| e)
        .find(|e| e.ident == name && is_pub(&e.vis))
}

fn check_variants(d: &mut Diffs<'_>, inv: &Inventory, name: &str, want: &[&str]) {
    let Some(e) = find_enum(inv, name) else {
        d.push(name, "no pub enum of this name");
        return;
    };
    for v in want {
        if !e.variants.iter().any(|x| x.ident == v) {
            d.push(format!("{name}::{v}"), "missing variant");
        }
    }
}

fn check_http_variant(d: &mut Diffs<'_>, inv: &Inventory) {
    let Some(e) = find_enum(inv, "Error") else {
        return;
    };
    let Some(v) = e.variants.iter().find(|v| v.ident == "Http") else {
        return;
    };
    let fields: Vec<String> = v
        .fields
        .iter()
        .filter_map(|f| f.ident.as_ref().map(|i| i.to_string()))
        .collect();
    for want in ["operation", "source"] {
        if !fields.iter().any(|f| f == want) {
            d.push(
                "Error::Http",
                format!("no field `{want}` (want `Http {{ operation, source }}`)"),
            );
        }
    }
}

fn check_code_enums(d: &mut Diffs<'_>, inv: &Inventory) {
    for (module, m) in &inv.macro_defs {
        let name = m.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
        if m.mac.tokens.to_string().contains("Unknown") {
            d.push(
                format!("macro {name}"),
                format!(
                    "own code-enum macro in {}: use paysig::code_enum!",
                    module_name(module)
                ),
            );
        }
    }
    for (module, e) in &inv.enums {
        let unknown = e.variants.iter().any(|v| {
            v.ident == "Unknown"
                && matches!(&v.fields, syn::Fields::Unnamed(f) if f.unnamed.len() == 1)
        });
        if unknown {
            d.push(
                format!("code enum {}", e.ident),
                format!(
                    "hand-written code enum in {}: use paysig::code_enum!",
                    module_name(module)
                ),
            );
        }
    }
    let via_paysig = inv.macro_calls.iter().any(|(_, m)| {
        let segs: Vec<String> = m
            .mac
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        segs.last().map(String::as_str) == Some("code_enum")
            && (segs.len() == 1 || segs.first().map(String::as_str) == Some("paysig"))
    });
    let own_code_enum = inv
        .macro_defs
        .iter()
        .any(|(_, m)| m.ident.as_ref().is_some_and(|i| i == "code_enum"));
    if !via_paysig || own_code_enum {
        d.push(
            "code_enum!",
            "no code enum declared with paysig::code_enum!",
        );
    }
}

fn module_name(module: &[String]) -> String {
    if module.is_empty() {
        "the crate root".to_string()
    } else {
        module.join("::")
    }
}
