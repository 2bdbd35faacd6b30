//! [`Verified<T>`]: a value that passed a signature check.

use std::ops::Deref;

/// A value whose signature was checked and held.
///
/// Outside this crate there is no constructor: the only roots are the verification functions
/// of paysig ([`crate::Md5Signer::verify`], [`crate::md5::verify_hex`],
/// [`crate::RsaPublicKey::verify_sha256`], [`crate::jwt::decode_rs256`]). Provider crates derive
/// their typed notifications from one with [`Verified::map`] / [`Verified::try_map`], so a
/// notification type that only exists as `Verified<_>` cannot be obtained without a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<T>(T);

impl<T> Verified<T> {
    pub(crate) fn new(value: T) -> Self {
        Verified(value)
    }

    /// The verified value.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// Transforms the verified value (e.g. raw pairs into a typed notification).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Verified<U> {
        Verified(f(self.0))
    }

    /// Transforms the verified value with a step that may fail (e.g. parsing).
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Verified<U>, E> {
        f(self.0).map(Verified)
    }
}

impl<T> Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::Serialize> serde::Serialize for Verified<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
