//! One adapter per provider crate, each behind its cargo feature. Each adapter:
//! - wraps the provider crate's `Client` in a `<Provider>Gateway` implementing [`crate::Gateway`];
//! - maps its provider's states to [`crate::PaymentStatus`] through one `From` impl per state
//!   enum, whose `match` names every state (no `_ =>`);
//! - converts amounts only through paysig's `Money` (never by hand);
//! - is built from its `[<provider>]` section of the hub's TOML with `from_config` (the
//!   sections live in [`crate::config`]), secrets from environment variables named in the
//!   section.

#[cfg(feature = "beecloud")]
#[cfg_attr(docsrs, doc(cfg(feature = "beecloud")))]
pub mod beecloud;
#[cfg(feature = "mifeng")]
#[cfg_attr(docsrs, doc(cfg(feature = "mifeng")))]
pub mod mifeng;
#[cfg(feature = "pooul")]
#[cfg_attr(docsrs, doc(cfg(feature = "pooul")))]
pub mod pooul;
#[cfg(feature = "sunmi")]
#[cfg_attr(docsrs, doc(cfg(feature = "sunmi")))]
pub mod sunmi;

/// Looks a secret up by environment variable name (injectable for tests).
pub use crate::config::EnvLookup;
