//! The checker on small inline crates: a crate in the shape passes, and each rule fails, naming
//! the item, when its item is broken.

use super::allow::AllowList;
use super::rules::{Difference, MAX_LINES};
use super::source::CrateSrc;
use super::{Rules, check_crate};

const LIB: &str = "
//! # demo: Demo for payhub
//! ## Covers
//! ## Quick start
//! ## Notify
//! ## Errors
//! ## Resolving an unknown outcome
//! ## Features
//! ## Provider specifics
mod client;
mod config;
mod error;
mod validate;
pub mod doc_tables;
pub mod model;
pub mod notify;
pub mod resolve;
pub use client::Client;
pub use config::{Config, Environment};
pub use error::{Error, NotifyError};
pub use notify::Notification;
";

const CLIENT: &str = "
use crate::{Config, Error, Notification, NotifyError};
use paysig::{Reply, Verified};
pub struct Client { inner: Arc<Inner> }
struct Inner { config: Config }
impl Client {
    pub fn new(config: Config) -> Result<Self, Error> { Ok(Client { inner: Arc::new(Inner { config }) }) }
    pub fn config(&self) -> &Config { &self.inner.config }
    pub fn verify_notify(&self, headers: &paysig::http::HeaderMap, body: &[u8])
        -> Result<Verified<Notification>, NotifyError> { crate::notify::verify(headers, body) }
    pub fn verify_notify_refund(&self, body: &[u8]) -> Result<Verified<Notification>, NotifyError> {
        crate::notify::verify(&Default::default(), body)
    }
    pub async fn query(&self, no: &str) -> Result<Reply<crate::model::Order>, Error> { todo() }
}
";

const CONFIG: &str = "
pub enum Environment { Test }
pub struct Config {}
impl Config {
    pub fn new(environment: Environment, app_id: impl Into<String>,
               app_key: impl Into<paysig::SecretString>) -> Self { Config {} }
}
";

const ERROR: &str = "
pub enum Error {
    Validation(String), Config(String),
    Http { operation: &'static str, source: paysig::http::HttpError },
    Decode(String), Api { code: crate::model::Code }, ResponseMismatch, Sign(paysig::SignError),
}
pub enum NotifyError {
    BodyTooLarge, Malformed, MissingField, DuplicateField, MissingSignature,
    SignatureMismatch, Ambiguous, AmountMismatch,
}
";

const MODEL: &str = "
paysig::code_enum! { string Code { Ok = \"OK\", } }
pub struct Order {}
";

const NOTIFY: &str = "
use crate::error::NotifyError;
use paysig::Money;
pub struct Notification {}
impl Notification {
    pub fn check_amount(&self, expected: Money) -> Result<(), NotifyError> { Ok(()) }
}
pub(crate) fn verify(h: &paysig::http::HeaderMap, b: &[u8]) -> Result<paysig::Verified<Notification>, NotifyError> { todo() }
";

const RESOLVE: &str = "
use crate::Client;
use paysig::resolve::{Resolution, RefundResolution, ResolvePolicy};
impl Client {
    pub async fn resolve_payment(&self, order_no: &str, policy: &ResolvePolicy)
        -> Resolution<crate::model::Order> { todo() }
    pub async fn resolve_refund(&self, order_no: &str, refund_no: &str, policy: &ResolvePolicy)
        -> RefundResolution<crate::model::Order> { todo() }
}
";

const VALIDATE: &str = "
use crate::Error;
pub(crate) fn non_blank(s: &str) -> Result<(), Error> { Ok(()) }
";

fn sources() -> Vec<(&'static str, String)> {
    vec![
        ("lib.rs", LIB.to_string()),
        ("client.rs", CLIENT.to_string()),
        ("config.rs", CONFIG.to_string()),
        ("error.rs", ERROR.to_string()),
        ("model/mod.rs", MODEL.to_string()),
        ("notify.rs", NOTIFY.to_string()),
        ("resolve.rs", RESOLVE.to_string()),
        ("validate.rs", VALIDATE.to_string()),
        ("doc_tables.rs", "pub struct DocException;".to_string()),
    ]
}

/// Checks the sources as provider crate `demo` and answers the failing items.
fn check_with(srcs: &[(&str, String)], allow: &AllowList) -> Vec<Difference> {
    let borrowed: Vec<(&str, &str)> = srcs.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let krate = CrateSrc::from_sources("demo", &borrowed).expect("test sources parse");
    check_crate(&krate, Rules::Provider, allow).failing
}

fn failing_items(srcs: &[(&str, String)]) -> Vec<String> {
    check_with(srcs, &AllowList::default())
        .into_iter()
        .map(|d| d.item)
        .collect()
}

/// The sources with `from` replaced by `to` in file `file` (which must contain it).
fn edit(file: &str, from: &str, to: &str) -> Vec<(&'static str, String)> {
    let mut srcs = sources();
    let text = &mut srcs
        .iter_mut()
        .find(|(p, _)| *p == file)
        .expect("file exists")
        .1;
    assert!(text.contains(from), "{file} has no `{from}`");
    *text = text.replace(from, to);
    srcs
}

#[test]
fn a_front_page_section_out_of_order_is_named_and_may_be_allowed() {
    let srcs = edit("lib.rs", "//! ## Features\n", "");
    let srcs: Vec<_> = srcs
        .into_iter()
        .map(|(p, t)| match p {
            "lib.rs" => (
                p,
                t.replace("//! ## Covers", "//! ## Features\n//! ## Covers"),
            ),
            _ => (p, t),
        })
        .collect();
    let failing = check_with(&srcs, &AllowList::default());
    assert_eq!(
        failing.iter().map(|d| d.item.as_str()).collect::<Vec<_>>(),
        ["doc order"]
    );
    assert!(
        failing[0].message.contains("Features / Covers"),
        "{failing:?}"
    );
    let allow = AllowList::parse(
        "[[allow]]\ncrate = \"demo\"\nitem = \"doc order\"\nreason = \"a test\"\n",
    )
    .unwrap();
    assert!(check_with(&srcs, &allow).is_empty());
}

#[test]
fn a_crate_in_the_shape_passes() {
    let failing = check_with(&sources(), &AllowList::default());
    assert!(failing.is_empty(), "{failing:#?}");
}

#[test]
fn a_missing_method_is_named() {
    let srcs = edit(
        "client.rs",
        "pub fn config(&self) -> &Config { &self.inner.config }",
        "",
    );
    assert_eq!(failing_items(&srcs), ["Client::config"]);
}

#[test]
fn a_client_that_is_not_one_arc_is_named() {
    let srcs = edit(
        "client.rs",
        "pub struct Client { inner: Arc<Inner> }",
        "pub struct Client { config: Arc<Config>, http: HttpClient }",
    );
    assert_eq!(failing_items(&srcs), ["Client fields"]);
}

#[test]
fn a_changed_signature_is_named_with_both_forms() {
    let srcs = edit(
        "client.rs",
        "pub fn verify_notify(&self, headers: &paysig::http::HeaderMap, body: &[u8])",
        "pub fn verify_notify(&self, body: &[u8])",
    );
    let failing = check_with(&srcs, &AllowList::default());
    assert_eq!(failing.len(), 1, "{failing:#?}");
    assert_eq!(failing[0].item, "Client::verify_notify");
    assert!(
        failing[0].message.contains(
            "want `fn(&self, &HeaderMap, &[u8]) -> Result<Verified<Notification>, NotifyError>`"
        ),
        "{}",
        failing[0].message
    );
}

#[test]
fn a_private_entry_point_is_named() {
    let srcs = edit(
        "resolve.rs",
        "pub async fn resolve_refund",
        "async fn resolve_refund",
    );
    assert_eq!(failing_items(&srcs), ["Client::resolve_refund"]);
}

#[test]
fn a_renamed_variant_is_named() {
    let srcs = edit("error.rs", "ResponseMismatch,", "Mismatch,");
    assert_eq!(failing_items(&srcs), ["Error::ResponseMismatch"]);
    let srcs = edit("error.rs", "SignatureMismatch,", "BadSignature,");
    assert_eq!(failing_items(&srcs), ["NotifyError::SignatureMismatch"]);
}

#[test]
fn http_variant_needs_operation_and_source() {
    let srcs = edit("error.rs", "operation: &'static str, ", "");
    assert_eq!(failing_items(&srcs), ["Error::Http"]);
}

#[test]
fn the_amount_check_name_is_checked() {
    let srcs = edit("notify.rs", "pub fn check_amount", "pub fn ensure_amount");
    assert_eq!(
        failing_items(&srcs),
        ["Notification::check_amount", "Notification::ensure_amount"]
    );
}

#[test]
fn module_visibility_and_extras_are_named() {
    let srcs = edit("lib.rs", "mod config;", "pub mod config;\nmod extra;");
    assert_eq!(failing_items(&srcs), ["mod config", "mod extra"]);
    let srcs = edit("lib.rs", "mod validate;", "");
    assert_eq!(failing_items(&srcs), ["mod validate"]);
}

#[test]
fn root_reexports_are_checked() {
    let srcs = edit("lib.rs", "pub use notify::Notification;", "");
    assert_eq!(failing_items(&srcs), ["reexport Notification"]);
}

#[test]
fn a_second_notify_name_and_a_bare_reply_are_named() {
    let srcs = edit(
        "client.rs",
        "pub fn verify_notify_refund",
        "pub fn verify_refund_notify",
    );
    assert_eq!(failing_items(&srcs), ["Client::verify_refund_notify"]);
    let srcs = edit(
        "client.rs",
        "Result<Reply<crate::model::Order>, Error>",
        "Result<crate::model::Order, Error>",
    );
    assert_eq!(failing_items(&srcs), ["Client::query reply"]);
}

#[test]
fn code_enums_come_from_paysig() {
    let own =
        "macro_rules! code { ($n:ident) => { pub enum $n { Unknown(String) } } }\ncode!(Code);";
    let srcs = edit(
        "model/mod.rs",
        "paysig::code_enum! { string Code { Ok = \"OK\", } }",
        own,
    );
    assert_eq!(failing_items(&srcs), ["code_enum!", "macro code"]);
    let srcs = edit(
        "model/mod.rs",
        "paysig::code_enum! { string Code { Ok = \"OK\", } }",
        "paysig::code_enum! { int State { Paid = 0, } }\npub enum Code { Ok, Unknown(String) }",
    );
    assert_eq!(failing_items(&srcs), ["code enum Code"]);
}

#[test]
fn a_circle_is_named_with_its_edges() {
    // error → model (Code) is fine; model → error closes a circle.
    let srcs = edit(
        "model/mod.rs",
        "pub struct Order {}",
        "pub struct Order { e: Option<crate::Error> }",
    );
    let failing = check_with(&srcs, &AllowList::default());
    assert_eq!(failing.len(), 1, "{failing:#?}");
    assert_eq!(failing[0].item, "circle error <-> model");
    assert!(
        failing[0]
            .message
            .contains("model -> error (names `crate::Error`)"),
        "{}",
        failing[0].message
    );
    assert!(
        failing[0]
            .message
            .contains("error -> model (names `crate::model::Code`)")
    );
}

#[test]
fn a_circle_through_a_use_and_a_submodule_is_found() {
    let mut srcs = sources();
    srcs[0].1.push_str("mod shared;\npub use shared::Shared;\n");
    srcs.push((
        "shared.rs",
        "use crate::resolve::helper;\npub struct Shared;".into(),
    ));
    let resolve = "\nmod inner { pub(crate) fn helper2() -> crate::Shared { crate::Shared } }\npub(crate) use inner::helper2 as helper;\n";
    srcs[6].1.push_str(resolve);
    let items: Vec<String> = failing_items(&srcs)
        .into_iter()
        .filter(|i| !i.starts_with("mod "))
        .collect();
    assert_eq!(items, ["circle resolve::inner <-> shared"]);
}

#[test]
fn a_parent_and_its_child_are_no_circle() {
    let mut srcs = sources();
    srcs[4]
        .1
        .push_str("mod part;\npub use part::Part;\nfn f() -> part::Part { part::Part }\n");
    srcs.push((
        "model/part.rs",
        "pub struct Part; fn g() -> super::Order { todo() }".into(),
    ));
    assert!(failing_items(&srcs).is_empty());
}

#[test]
fn test_code_is_left_out() {
    let srcs = edit(
        "model/mod.rs",
        "pub struct Order {}",
        "pub struct Order {}\n#[cfg(test)]\nmod tests { use crate::Error; enum X { Unknown(String) } }",
    );
    assert!(failing_items(&srcs).is_empty());
}

#[test]
fn a_long_file_is_named_with_its_length() {
    let mut srcs = sources();
    let long = "// line\n".repeat(MAX_LINES + 1);
    srcs.push(("model/long.rs", long));
    srcs[4].1.push_str("mod long;\n");
    let failing = check_with(&srcs, &AllowList::default());
    assert_eq!(failing.len(), 1, "{failing:#?}");
    assert_eq!(failing[0].item, "file src/model/long.rs");
    assert!(
        failing[0]
            .message
            .starts_with(&format!("{} lines", MAX_LINES + 1))
    );
    let ok = "// line\n".repeat(MAX_LINES);
    srcs.last_mut().unwrap().1 = ok;
    assert!(check_with(&srcs, &AllowList::default()).is_empty());
}

#[test]
fn the_allow_list_covers_by_crate_and_item_and_reports_stale_entries() {
    let srcs = edit("lib.rs", "mod validate;", "");
    let allow = AllowList::parse(
        r#"
[[allow]]
crate = "demo"
item = "mod validate"
reason = "demo has nothing to validate"

[[allow]]
crate = "other"
item = "mod validate"
reason = "another crate's entry does not cover demo"
"#,
    )
    .unwrap();
    let borrowed: Vec<(&str, &str)> = srcs.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let krate = CrateSrc::from_sources("demo", &borrowed).unwrap();
    let report = check_crate(&krate, Rules::Provider, &allow);
    assert!(report.failing.is_empty(), "{:#?}", report.failing);
    assert_eq!(report.allowed.len(), 1);
    assert!(report.passed());

    // once the module is back, the entry is stale and the crate fails
    let borrowed: Vec<(&str, String)> = sources();
    let borrowed: Vec<(&str, &str)> = borrowed.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let krate = CrateSrc::from_sources("demo", &borrowed).unwrap();
    let report = check_crate(&krate, Rules::Provider, &allow);
    assert_eq!(report.stale.len(), 1);
    assert!(!report.passed());
}

#[test]
fn an_entry_without_a_reason_is_refused() {
    let err = AllowList::parse("[[allow]]\ncrate = \"demo\"\nitem = \"mod x\"\nreason = \" \"\n")
        .unwrap_err();
    assert!(err.contains("no reason"), "{err}");
    assert!(AllowList::parse("[[allow]]\ncrate = \"demo\"\nitem = \"mod x\"\n").is_err());
}

#[test]
fn the_workspace_allow_list_parses() {
    let path = crate::workspace_root().join(super::ALLOW_FILE);
    let list = AllowList::load(&path).unwrap();
    assert!(list.is_not_provider("payhub"));
}
