//! Pure-Rust backend (the `rsa` crate).

use super::KeySizePolicy;
use crate::SignError;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;

fn bad(what: &str) -> SignError {
    SignError::BadKey {
        reason: format!("not an RSA {what} (PKCS#8/SPKI or PKCS#1 DER expected)"),
    }
}

/// Exact modulus size in bits.
fn modulus_bits(k: &impl PublicKeyParts) -> usize {
    k.n().bits()
}

pub(super) struct Public(rsa::RsaPublicKey, VerifyingKey<Sha256>);

impl Public {
    pub(super) fn from_der(der: &[u8], policy: KeySizePolicy) -> Result<Self, SignError> {
        // The crate itself refuses public keys over 4096 bits; report that as a size error.
        // It has no lower bound of its own, so the policy's is the only one.
        let k = rsa::RsaPublicKey::from_public_key_der(der)
            .or_else(|_| rsa::RsaPublicKey::from_pkcs1_der(der))
            .map_err(|_| {
                super::refused_for_size(der, policy).unwrap_or_else(|| bad("public key"))
            })?;
        super::check_key_bits(modulus_bits(&k), policy)?;
        Ok(Public::new(k))
    }

    pub(super) fn bits(&self) -> usize {
        modulus_bits(&self.0)
    }

    fn new(k: rsa::RsaPublicKey) -> Self {
        Public(k.clone(), VerifyingKey::new(k))
    }

    pub(super) fn spki(&self) -> Vec<u8> {
        self.0
            .to_public_key_der()
            .expect("an RSA public key always encodes")
            .as_bytes()
            .to_vec()
    }

    pub(super) fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match Signature::try_from(sig) {
            Ok(s) => self.1.verify(message, &s).is_ok(),
            Err(_) => false,
        }
    }
}

pub(super) struct Private(rsa::RsaPrivateKey, SigningKey<Sha256>);

impl Private {
    pub(super) fn from_der(der: &[u8]) -> Result<Self, SignError> {
        let k = rsa::RsaPrivateKey::from_pkcs8_der(der)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_der(der))
            .map_err(|_| {
                super::refused_for_size(der, KeySizePolicy::Standard)
                    .unwrap_or_else(|| bad("private key"))
            })?;
        // Signing keys are never legacy-sized, whatever policy public keys use.
        super::check_key_bits(modulus_bits(&k), KeySizePolicy::Standard)?;
        Ok(Private(k.clone(), SigningKey::new(k)))
    }

    pub(super) fn pkcs8(&self) -> Result<Vec<u8>, SignError> {
        self.0
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|_| bad("private key"))
    }

    pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.1
            .try_sign(message)
            .map(|s| s.to_vec())
            .map_err(|e| SignError::Signing {
                reason: e.to_string(),
            })
    }

    pub(super) fn public_spki(&self) -> Vec<u8> {
        self.public().spki()
    }

    pub(super) fn public(&self) -> Public {
        Public::new(self.0.to_public_key())
    }
}

#[cfg(not(feature = "aws-lc"))]
pub(super) fn generate_2048_pkcs8() -> Result<Vec<u8>, SignError> {
    let k = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| {
        SignError::Signing {
            reason: e.to_string(),
        }
    })?;
    Private(k.clone(), SigningKey::new(k)).pkcs8()
}
