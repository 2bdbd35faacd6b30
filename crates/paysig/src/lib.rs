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

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
pub mod rawjson;
mod reply;
pub mod rsa;
pub mod secret;
mod verified;

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
pub use nonce::nonce;
pub use params::{FormError, Params};
pub use reply::Reply;
pub use rsa::{KeySizePolicy, RsaPrivateKey, RsaPublicKey};
pub use secret::{ExposeSecret, SecretString};
pub use verified::Verified;

#[doc(hidden)]
pub use serde as __serde;
