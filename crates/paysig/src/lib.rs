//! # paysig
//!
//! Signing, verification and exact money for the payhub provider crates (Mifeng Pay, Pooul,
//! Sunmi, BeeCloud). No I/O, except the shared HTTP sender behind the `http` feature.
//!
//! - [`ErrorClass`], [`Classify`]: the classes every error falls into (may the money have moved?).
//! - [`Money`]: exact fen amounts; [`money::wire`] serde adapters for each wire unit.
//! - [`lenient`]: readers that accept a number where a string is documented and the reverse.
//! - [`Params`], [`CanonicalRules`], [`Md5Signer`]: canonical parameter strings and MD5 signs.
//! - [`RsaPrivateKey`], [`RsaPublicKey`]: SHA256withRSA over two interchangeable backends.
//! - [`jwt`]: compact RS256 tokens.
//! - [`limit`]: the body-size limit every notify reader applies before parsing.
//! - [`Reply`]: what every provider call returns (data, message, request id).
//! - [`code_enum!`]: provider code enums with an `Unknown` arm that keeps the raw value.
//! - [`Verified`]: the only way to hold a value whose signature was checked.
//! - [`SecretString`]: credentials that never print.
//! - [`random`]: nonces, jitter and lock values from the operating system's random source.
//! - [`wire`]: [`wire::ToWire`], the one way a request struct becomes form pairs, JSON or
//!   JWT claims, signed last.
//! - `http` (feature): the one sender all providers use; see the module docs.
//! - `resolve` (feature `http`): the one polling policy, and the resolution of unknown
//!   outcomes by query.
//!
//! ```
//! use paysig::{CanonicalRules, Md5Signer, Params, SecretString};
//! use paysig::md5::{HexCase, KeySuffix};
//!
//! // Sunmi §2.1: sort all but `sign`, keep empty values, append the app_key, MD5, upper hex.
//! let sunmi = Md5Signer::new(CanonicalRules::sorted().exclude(["sign"]), KeySuffix::Append, HexCase::Upper);
//! let key = SecretString::from("dd3ac24736589ae17d333e362859bf4c");
//! let params = Params::new().with("msn", "V206D88200036").with("app_id", "sm5b9b4daef3463");
//! let sign = sunmi.sign(&params, &key).unwrap();
//! assert_eq!(sign.len(), 32);
//! ```
//!
//! # Build cost
//!
//! A provider crate's users compile paysig and its dependencies on top of what raw `reqwest`
//! already costs them, so each dependency here has to earn its place (the figures are in the
//! payhub README, section "Build cost").
//!
//! - Randomness comes from `getrandom` ([`random`]), one small crate, rather than `rand`,
//!   which adds five (`rand`, `rand_core`, `rand_chacha`, `ppv-lite86`, `zerocopy`) for the
//!   32 bytes of a nonce and the 8 of a jitter.
//! - `aws-lc-rs` is the one `reqwest`'s rustls already builds, without its `ring-io` and
//!   `ring-sig-verify` features (they would add `untrusted` 0.7 for nothing paysig calls).
//! - `resolve::poll` (feature `http`) stays on `backon`, weighed against a hand-written
//!   loop: `backon` costs two small crates (itself and `fastrand`; no build script, no proc
//!   macro, about a second of a clean build), and beecloud's host shuffle uses `fastrand` too,
//!   so a hand-written loop would save one crate. That is not worth owning the loop that
//!   decides when an unknown payment is given up: its sleep-and-stop mechanics stay in a
//!   small, well-kept crate that is tested outside this repository. (The HTTP sender's retry
//!   loop is paysig's own and uses neither.)

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod ascii;
pub mod canonical;
pub mod class;
mod code_enum;
mod error;
pub mod jwt;
pub mod lenient;
pub mod limit;
pub mod md5;
pub mod money;
mod nonce;
pub mod params;
pub mod random;
pub mod rawjson;
mod reply;
pub mod rsa;
pub mod secret;
mod verified;
pub mod wire;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod resolve;

pub use canonical::CanonicalRules;
pub use class::{Classify, ErrorClass};
pub use error::SignError;
pub use md5::Md5Signer;
pub use money::{Money, MoneyError};
pub use nonce::{nonce, nonce_text};
pub use params::{FormError, Params};
pub use reply::Reply;
pub use rsa::{KeySizePolicy, RsaPrivateKey, RsaPublicKey};
pub use secret::{ExposeSecret, SecretString};
pub use verified::Verified;

#[doc(hidden)]
pub use serde as __serde;
