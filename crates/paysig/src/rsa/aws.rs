//! aws-lc-rs backend.

use super::KeySizePolicy;
use crate::SignError;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKey};
use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, RsaKeyPair};

fn bad(what: &str) -> SignError {
    SignError::BadKey {
        reason: format!("not an RSA {what} (PKCS#8/SPKI or PKCS#1 DER expected)"),
    }
}

pub(super) struct Public {
    spki: Vec<u8>,
    bits: usize,
    /// Parsed once: `UnparsedPublicKey::verify` parses the DER into a fresh `EVP_PKEY` (and
    /// so rebuilds its Montgomery context) on every call, which cost a third of a verify.
    key: ParsedPublicKey,
}

/// The key, parsed for `bits`' algorithm (the DER is already known good when this runs).
fn parse_public(spki: &[u8], bits: usize) -> Result<ParsedPublicKey, SignError> {
    ParsedPublicKey::new(algorithm(bits), spki).map_err(|_| bad("public key"))
}

/// The verification algorithm for a modulus of `bits`: aws-lc's standard one refuses keys
/// under 2048 bits, so a smaller key (only loadable under `KeySizePolicy::Legacy1024`) gets
/// the legacy one, with the same PKCS#1 v1.5 + SHA-256 arithmetic.
fn algorithm(bits: usize) -> &'static signature::RsaParameters {
    if bits < super::MIN_KEY_BITS {
        &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
    } else {
        &signature::RSA_PKCS1_2048_8192_SHA256
    }
}

impl Public {
    /// SPKI or PKCS#1 `RSAPublicKey`; parsed now so a bad key fails at load, not at a notify.
    pub(super) fn from_der(der: &[u8], policy: KeySizePolicy) -> Result<Self, SignError> {
        let parsed = PublicKey::from_der(der).map_err(|_| {
            super::refused_for_size(der, policy).unwrap_or_else(|| bad("public key"))
        })?;
        // aws-lc loads a key of any size and only refuses it at verification (as a plain
        // mismatch); check the size here, exactly as the other backend does.
        let bits = modulus_bits(&parsed)?;
        super::check_key_bits(bits, policy)?;
        let spki: PublicKeyX509Der<'static> = parsed.as_der().map_err(|_| bad("public key"))?;
        let spki = spki.as_ref().to_vec();
        let key = parse_public(&spki, bits)?;
        Ok(Public { spki, bits, key })
    }

    pub(super) fn spki(&self) -> Vec<u8> {
        self.spki.clone()
    }

    pub(super) fn bits(&self) -> usize {
        self.bits
    }

    pub(super) fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        self.key.verify_sig(message, sig).is_ok()
    }
}

/// Exact modulus size in bits (`PublicKey::as_ref` is PKCS#1 `RSAPublicKey` DER).
fn modulus_bits(key: &PublicKey) -> Result<usize, SignError> {
    signature::RsaParameters::public_modulus_len(key.as_ref())
        .ok()
        .and_then(|bits| usize::try_from(bits).ok())
        .ok_or_else(|| bad("public key"))
}

pub(super) struct Private(RsaKeyPair);

impl Private {
    pub(super) fn from_der(der: &[u8]) -> Result<Self, SignError> {
        let k = RsaKeyPair::from_pkcs8(der)
            .or_else(|_| RsaKeyPair::from_der(der))
            .map_err(|_| {
                super::refused_for_size(der, KeySizePolicy::Standard)
                    .unwrap_or_else(|| bad("private key"))
            })?;
        // Signing keys are never legacy-sized, whatever policy public keys use.
        super::check_key_bits(modulus_bits(k.public_key())?, KeySizePolicy::Standard)?;
        Ok(Private(k))
    }

    pub(super) fn pkcs8(&self) -> Result<Vec<u8>, SignError> {
        let der: Pkcs8V1Der<'static> = self.0.as_der().map_err(|_| bad("private key"))?;
        Ok(der.as_ref().to_vec())
    }

    pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut sig = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| SignError::Signing {
                reason: "aws-lc refused to sign".into(),
            })?;
        Ok(sig)
    }

    pub(super) fn public_spki(&self) -> Vec<u8> {
        let der: PublicKeyX509Der<'static> = self
            .0
            .public_key()
            .as_der()
            .expect("an RSA public key always encodes");
        der.as_ref().to_vec()
    }

    pub(super) fn public(&self) -> Public {
        let spki = self.public_spki();
        let bits = self.0.public_modulus_len() * 8;
        let key = parse_public(&spki, bits).expect("aws-lc parses the public key it encoded");
        Public { spki, bits, key }
    }
}

pub(super) fn generate_2048_pkcs8() -> Result<Vec<u8>, SignError> {
    let kp = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| SignError::Signing {
        reason: "key generation failed".into(),
    })?;
    Private(kp).pkcs8()
}
