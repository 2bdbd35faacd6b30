//! SHA256withRSA (RSASSA-PKCS1-v1_5 with SHA-256) signing and verification.
//!
//! Keys load from PEM (`PUBLIC KEY` = SPKI, `RSA PUBLIC KEY` = PKCS#1, `PRIVATE KEY` = PKCS#8,
//! `RSA PRIVATE KEY` = PKCS#1) or from bare base64 DER, the way Sunmi prints its public key.
//!
//! Both backends accept moduli of 2048 to 4096 bits and refuse any other size when the key is
//! loaded (public and private alike), with [`SignError::BadKey`] naming the size: a short key
//! never reaches a verification, where it would only show as a mismatch.
//!
//! A public key may be loaded under [`KeySizePolicy::Legacy1024`] instead, which also accepts
//! 1024 to 2047 bits. It exists for providers that publish a 1024-bit platform key (Pooul's
//! developer docs do) and is opt-in per key: it only ever verifies, and private (signing) keys
//! stay at 2048 bits or more whatever the policy.
//!
//! Two backends do the arithmetic, chosen by cargo feature and, when both are built, per key:
//! - `aws-lc` (default): aws-lc-rs, which reqwest's rustls already builds; constant-time and
//!   much faster to verify than the pure-Rust crate, and not affected by RUSTSEC-2023-0071.
//! - `rsa-backend`: the pure-Rust `rsa` crate, for targets where aws-lc cannot be built.
//!   Its private-key operations are subject to RUSTSEC-2023-0071 (a timing side channel);
//!   use it for verification, or where that risk is accepted.
//!
//! ```
//! # #[cfg(feature = "aws-lc")] {
//! use paysig::{RsaPrivateKey, RsaPublicKey};
//! let key = RsaPrivateKey::generate_2048().unwrap();
//! let public = key.public_key();
//! let sig = key.sign_sha256_base64(b"amount=1&state=3").unwrap();
//! assert!(public.verify_sha256((), b"amount=1&state=3", &sig).is_ok());
//! assert!(public.verify_sha256((), b"amount=2&state=3", &sig).is_err());
//! # }
//! ```

#[cfg(feature = "aws-lc")]
mod aws;
#[cfg(feature = "rsa-backend")]
mod rustcrypto;

#[cfg(not(any(feature = "aws-lc", feature = "rsa-backend")))]
compile_error!("paysig needs an RSA backend: enable feature `aws-lc` (default) or `rsa-backend`");

use crate::SignError;
use crate::verified::Verified;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;
use std::sync::Arc;

/// Smallest RSA modulus accepted by [`KeySizePolicy::Standard`], in bits.
const MIN_KEY_BITS: usize = 2048;
/// Smallest RSA modulus accepted by [`KeySizePolicy::Legacy1024`], in bits.
const LEGACY_MIN_KEY_BITS: usize = 1024;
/// Largest RSA modulus accepted, in bits (the `rsa` crate's own limit for public keys).
const MAX_KEY_BITS: usize = 4096;

/// Which RSA modulus sizes a public key may have to be loaded.
///
/// ```
/// # #[cfg(feature = "aws-lc")] {
/// use paysig::rsa::{KeySizePolicy, RsaPublicKey};
/// // Pooul's platform key as its developer docs publish it: 1024 bits.
/// let pem = "-----BEGIN PUBLIC KEY-----
/// MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+Vd3j0McNfR3VvT7mZp/7M6UL
/// FJSc3dh3/56JP8DZk+cDlXC2LR0z0OELJeyTitFeBjpPWzWH3OOFI/OL3nD5/oNZ
/// fK+wHd4Tzxj2SdWlyuqRhNv3xG2obUUYZ9urUvkCvxL1SclaXW7cq22V/TTNSgJq
/// 7CGdc+q/XLNqcmLt7QIDAQAB
/// -----END PUBLIC KEY-----";
/// assert!(RsaPublicKey::from_pem_or_base64(pem).is_err());
/// let key = RsaPublicKey::from_pem_or_base64_with_policy(pem, KeySizePolicy::Legacy1024).unwrap();
/// assert_eq!(key.modulus_bits(), 1024);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KeySizePolicy {
    /// 2048 to 4096 bits: the default of every loader.
    #[default]
    Standard,
    /// 1024 to 4096 bits, for VERIFYING with a provider's legacy platform key only.
    ///
    /// A 1024-bit RSA key is below every current recommendation (NIST retired it in 2013);
    /// pick this policy only for a key the provider gives you and you cannot replace, never
    /// for a key you generate. Private keys ignore it: they are always 2048 bits or more.
    Legacy1024,
}

impl KeySizePolicy {
    /// The smallest modulus accepted, in bits.
    pub fn min_bits(self) -> usize {
        match self {
            KeySizePolicy::Standard => MIN_KEY_BITS,
            KeySizePolicy::Legacy1024 => LEGACY_MIN_KEY_BITS,
        }
    }

    /// The largest modulus accepted, in bits.
    pub fn max_bits(self) -> usize {
        MAX_KEY_BITS
    }

    /// Whether a modulus of `bits` is accepted.
    pub fn allows(self, bits: usize) -> bool {
        (self.min_bits()..=self.max_bits()).contains(&bits)
    }
}

/// The one size rule both backends apply at load.
fn check_key_bits(bits: usize, policy: KeySizePolicy) -> Result<(), SignError> {
    if policy.allows(bits) {
        Ok(())
    } else {
        Err(size_error(bits, policy))
    }
}

fn size_error(bits: usize, policy: KeySizePolicy) -> SignError {
    SignError::BadKey {
        reason: format!(
            "RSA key of {bits} bits; {} to {} accepted",
            policy.min_bits(),
            policy.max_bits()
        ),
    }
}

/// When a backend's own parser refuses a key, tells whether the reason is its size (some
/// parsers refuse sizes themselves: aws-lc private keys under 2048 bits, `rsa` crate public
/// keys over 4096), so that both backends report the same error for the same key.
fn refused_for_size(der: &[u8], policy: KeySizePolicy) -> Option<SignError> {
    let bits = der::modulus_bits(der)?;
    check_key_bits(bits, policy).err()
}

/// Just enough DER to find the modulus of an RSA key in SPKI, PKCS#1 `RSAPublicKey`, PKCS#8
/// or PKCS#1 `RSAPrivateKey` form. Used only to word an error; the backends do the parsing.
mod der {
    const INTEGER: u8 = 0x02;
    const BIT_STRING: u8 = 0x03;
    const OCTET_STRING: u8 = 0x04;
    const SEQUENCE: u8 = 0x30;

    /// One element: (tag, contents, rest).
    fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    /// The elements of a SEQUENCE (all of `input`), or `None` if `input` is not one.
    fn sequence(input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
        let (tag, mut body, rest) = element(input)?;
        if tag != SEQUENCE || !rest.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        while !body.is_empty() {
            let (tag, contents, rest) = element(body)?;
            out.push((tag, contents));
            body = rest;
        }
        Some(out)
    }

    fn integer_bits(contents: &[u8]) -> Option<usize> {
        let first = contents.iter().position(|&b| b != 0)?;
        let top = contents[first];
        Some((contents.len() - first - 1) * 8 + (8 - top.leading_zeros() as usize))
    }

    pub(super) fn modulus_bits(der: &[u8]) -> Option<usize> {
        nested_modulus_bits(der, 0)
    }

    /// At most two wrappers exist (SPKI or PKCS#8 around PKCS#1): deeper nesting is not a key,
    /// and the bound keeps a crafted input from exhausting the stack.
    fn nested_modulus_bits(der: &[u8], depth: u8) -> Option<usize> {
        if depth > 2 {
            return None;
        }
        let items = sequence(der)?;
        match items.as_slice() {
            // PKCS#1 RSAPublicKey: n, e
            [(INTEGER, n), (INTEGER, _)] => integer_bits(n),
            // SPKI: algorithm, BIT STRING (no unused bits) holding an RSAPublicKey
            [(SEQUENCE, _), (BIT_STRING, bits)] => match bits.split_first()? {
                (0, inner) => nested_modulus_bits(inner, depth + 1),
                _ => None,
            },
            // PKCS#8: version, algorithm, OCTET STRING holding an RSAPrivateKey, [attributes]
            [(INTEGER, _), (SEQUENCE, _), (OCTET_STRING, inner), ..] => {
                nested_modulus_bits(inner, depth + 1)
            }
            // PKCS#1 RSAPrivateKey: version, n, e, d, p, q, dp, dq, qinv, [other primes]
            [(INTEGER, _), (INTEGER, n), (INTEGER, _), (INTEGER, _), ..] => integer_bits(n),
            _ => None,
        }
    }
}

/// Which library does the RSA arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// aws-lc-rs (feature `aws-lc`, default).
    #[cfg(feature = "aws-lc")]
    AwsLc,
    /// The pure-Rust `rsa` crate (feature `rsa-backend`).
    #[cfg(feature = "rsa-backend")]
    RustCrypto,
}

impl Default for Backend {
    #[allow(unreachable_code)]
    fn default() -> Self {
        #[cfg(feature = "aws-lc")]
        return Backend::AwsLc;
        #[cfg(feature = "rsa-backend")]
        return Backend::RustCrypto;
    }
}

impl Backend {
    /// Every backend built into this binary.
    pub fn all() -> Vec<Backend> {
        vec![
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc,
            #[cfg(feature = "rsa-backend")]
            Backend::RustCrypto,
        ]
    }
}

#[derive(Clone)]
enum PublicInner {
    #[cfg(feature = "aws-lc")]
    AwsLc(Arc<aws::Public>),
    #[cfg(feature = "rsa-backend")]
    RustCrypto(Arc<rustcrypto::Public>),
}

#[derive(Clone)]
enum PrivateInner {
    #[cfg(feature = "aws-lc")]
    AwsLc(Arc<aws::Private>),
    #[cfg(feature = "rsa-backend")]
    RustCrypto(Arc<rustcrypto::Private>),
}

/// An RSA public key that verifies SHA256withRSA signatures. Cheap to clone.
#[derive(Clone)]
pub struct RsaPublicKey {
    spki: Arc<Vec<u8>>,
    bits: usize,
    policy: KeySizePolicy,
    inner: PublicInner,
}

/// An RSA private key that makes SHA256withRSA signatures. Cheap to clone; never prints.
#[derive(Clone)]
pub struct RsaPrivateKey {
    pkcs8: Arc<secrecy::SecretBox<Vec<u8>>>,
    inner: PrivateInner,
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RsaPublicKey({} bits, {} bytes SPKI, {:?})",
            self.bits,
            self.spki.len(),
            self.backend()
        )
    }
}

impl fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPrivateKey([REDACTED], {:?})", self.backend())
    }
}

fn decode_b64_der(text: &str) -> Result<Vec<u8>, SignError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(compact).map_err(|_| SignError::BadKey {
        reason: "not PEM and not base64 DER".into(),
    })
}

impl RsaPublicKey {
    /// Loads PEM (SPKI or PKCS#1) or bare base64 DER (SPKI or PKCS#1) with the default backend
    /// and [`KeySizePolicy::Standard`].
    pub fn from_pem_or_base64(text: &str) -> Result<Self, SignError> {
        Self::from_pem_or_base64_using(text, Backend::default(), KeySizePolicy::Standard)
    }

    /// As [`RsaPublicKey::from_pem_or_base64`], with a chosen backend.
    pub fn from_pem_or_base64_with(text: &str, backend: Backend) -> Result<Self, SignError> {
        Self::from_pem_or_base64_using(text, backend, KeySizePolicy::Standard)
    }

    /// As [`RsaPublicKey::from_pem_or_base64`], with a chosen key-size policy (see
    /// [`KeySizePolicy::Legacy1024`] for a provider's 1024-bit platform key).
    pub fn from_pem_or_base64_with_policy(
        text: &str,
        policy: KeySizePolicy,
    ) -> Result<Self, SignError> {
        Self::from_pem_or_base64_using(text, Backend::default(), policy)
    }

    /// As [`RsaPublicKey::from_pem_or_base64`], with a chosen backend and key-size policy.
    pub fn from_pem_or_base64_using(
        text: &str,
        backend: Backend,
        policy: KeySizePolicy,
    ) -> Result<Self, SignError> {
        let der = if text.contains("-----BEGIN") {
            let p = pem::parse(text.trim()).map_err(|e| SignError::BadKey {
                reason: format!("PEM: {e}"),
            })?;
            match p.tag() {
                "PUBLIC KEY" | "RSA PUBLIC KEY" => p.into_contents(),
                other => {
                    return Err(SignError::BadKey {
                        reason: format!("PEM label {other:?} is not a public key"),
                    });
                }
            }
        } else {
            decode_b64_der(text)?
        };
        Self::from_der_using(&der, backend, policy)
    }

    /// Loads DER, SPKI or PKCS#1 `RSAPublicKey`, under [`KeySizePolicy::Standard`].
    pub fn from_der_with(der: &[u8], backend: Backend) -> Result<Self, SignError> {
        Self::from_der_using(der, backend, KeySizePolicy::Standard)
    }

    /// Loads DER, SPKI or PKCS#1 `RSAPublicKey`, with a chosen backend and key-size policy.
    pub fn from_der_using(
        der: &[u8],
        backend: Backend,
        policy: KeySizePolicy,
    ) -> Result<Self, SignError> {
        let (inner, spki, bits) = match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                let k = aws::Public::from_der(der, policy)?;
                let (spki, bits) = (k.spki(), k.bits());
                (PublicInner::AwsLc(Arc::new(k)), spki, bits)
            }
            #[cfg(feature = "rsa-backend")]
            Backend::RustCrypto => {
                let k = rustcrypto::Public::from_der(der, policy)?;
                let (spki, bits) = (k.spki(), k.bits());
                (PublicInner::RustCrypto(Arc::new(k)), spki, bits)
            }
        };
        Ok(RsaPublicKey {
            spki: Arc::new(spki),
            bits,
            policy,
            inner,
        })
    }

    /// The modulus size in bits (to warn about a legacy key; it is not secret).
    pub fn modulus_bits(&self) -> usize {
        self.bits
    }

    /// The key-size policy the key was loaded under.
    pub fn key_size_policy(&self) -> KeySizePolicy {
        self.policy
    }

    /// The same key on another backend, under the same key-size policy.
    pub fn with_backend(&self, backend: Backend) -> Result<Self, SignError> {
        Self::from_der_using(&self.spki, backend, self.policy)
    }

    /// The backend this key uses.
    pub fn backend(&self) -> Backend {
        match &self.inner {
            #[cfg(feature = "aws-lc")]
            PublicInner::AwsLc(_) => Backend::AwsLc,
            #[cfg(feature = "rsa-backend")]
            PublicInner::RustCrypto(_) => Backend::RustCrypto,
        }
    }

    /// The key as SPKI DER.
    pub fn to_spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The key as a `PUBLIC KEY` PEM.
    pub fn to_pem(&self) -> String {
        pem::encode(&pem::Pem::new("PUBLIC KEY", self.spki.to_vec()))
    }

    /// Checks a raw signature over `message`.
    pub fn verify_sha256_raw(&self, message: &[u8], signature: &[u8]) -> Result<(), SignError> {
        let ok = match &self.inner {
            #[cfg(feature = "aws-lc")]
            PublicInner::AwsLc(k) => k.verify(message, signature),
            #[cfg(feature = "rsa-backend")]
            PublicInner::RustCrypto(k) => k.verify(message, signature),
        };
        if ok { Ok(()) } else { Err(SignError::Mismatch) }
    }

    /// Checks a base64 signature over `message`; on success returns `value` as verified.
    pub fn verify_sha256<T>(
        &self,
        value: T,
        message: &[u8],
        signature_b64: &str,
    ) -> Result<Verified<T>, SignError> {
        if signature_b64.is_empty() {
            return Err(SignError::MissingSignature {
                field: "sign".into(),
            });
        }
        let sig = STANDARD
            .decode(signature_b64)
            .map_err(|_| SignError::BadEncoding { encoding: "base64" })?;
        self.verify_sha256_raw(message, &sig)?;
        Ok(Verified::new(value))
    }
}

impl RsaPrivateKey {
    /// Loads PEM (PKCS#8 or PKCS#1) or bare base64 DER (PKCS#8 or PKCS#1), default backend.
    pub fn from_pem_or_base64(text: &str) -> Result<Self, SignError> {
        Self::from_pem_or_base64_with(text, Backend::default())
    }

    /// As [`RsaPrivateKey::from_pem_or_base64`], with a chosen backend.
    pub fn from_pem_or_base64_with(text: &str, backend: Backend) -> Result<Self, SignError> {
        let der = if text.contains("-----BEGIN") {
            let p = pem::parse(text.trim()).map_err(|e| SignError::BadKey {
                reason: format!("PEM: {e}"),
            })?;
            match p.tag() {
                "PRIVATE KEY" | "RSA PRIVATE KEY" => p.into_contents(),
                other => {
                    return Err(SignError::BadKey {
                        reason: format!("PEM label {other:?} is not a private key"),
                    });
                }
            }
        } else {
            decode_b64_der(text)?
        };
        Self::from_der_with(&der, backend)
    }

    /// Loads DER, PKCS#8 or PKCS#1 `RSAPrivateKey`.
    pub fn from_der_with(der: &[u8], backend: Backend) -> Result<Self, SignError> {
        let (inner, pkcs8) = match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                let k = aws::Private::from_der(der)?;
                let pkcs8 = k.pkcs8()?;
                (PrivateInner::AwsLc(Arc::new(k)), pkcs8)
            }
            #[cfg(feature = "rsa-backend")]
            Backend::RustCrypto => {
                let k = rustcrypto::Private::from_der(der)?;
                let pkcs8 = k.pkcs8()?;
                (PrivateInner::RustCrypto(Arc::new(k)), pkcs8)
            }
        };
        Ok(RsaPrivateKey {
            pkcs8: Arc::new(secrecy::SecretBox::new(Box::new(pkcs8))),
            inner,
        })
    }

    /// A fresh 2048-bit key (tests, the sandbox, examples).
    pub fn generate_2048() -> Result<Self, SignError> {
        #[cfg(feature = "aws-lc")]
        let pkcs8 = aws::generate_2048_pkcs8()?;
        #[cfg(all(not(feature = "aws-lc"), feature = "rsa-backend"))]
        let pkcs8 = rustcrypto::generate_2048_pkcs8()?;
        Self::from_der_with(&pkcs8, Backend::default())
    }

    /// The same key on another backend.
    pub fn with_backend(&self, backend: Backend) -> Result<Self, SignError> {
        use secrecy::ExposeSecret;
        Self::from_der_with(self.pkcs8.expose_secret(), backend)
    }

    /// The backend this key uses.
    pub fn backend(&self) -> Backend {
        match &self.inner {
            #[cfg(feature = "aws-lc")]
            PrivateInner::AwsLc(_) => Backend::AwsLc,
            #[cfg(feature = "rsa-backend")]
            PrivateInner::RustCrypto(_) => Backend::RustCrypto,
        }
    }

    /// The matching public key, on the same backend.
    pub fn public_key(&self) -> RsaPublicKey {
        let spki = match &self.inner {
            #[cfg(feature = "aws-lc")]
            PrivateInner::AwsLc(k) => k.public_spki(),
            #[cfg(feature = "rsa-backend")]
            PrivateInner::RustCrypto(k) => k.public_spki(),
        };
        let (inner, bits) = match &self.inner {
            #[cfg(feature = "aws-lc")]
            PrivateInner::AwsLc(k) => {
                let p = k.public();
                let bits = p.bits();
                (PublicInner::AwsLc(Arc::new(p)), bits)
            }
            #[cfg(feature = "rsa-backend")]
            PrivateInner::RustCrypto(k) => {
                let p = k.public();
                let bits = p.bits();
                (PublicInner::RustCrypto(Arc::new(p)), bits)
            }
        };
        RsaPublicKey {
            spki: Arc::new(spki),
            bits,
            policy: KeySizePolicy::Standard,
            inner,
        }
    }

    /// The key as a PKCS#8 `PRIVATE KEY` PEM (to hand to a test peer or the sandbox).
    pub fn to_pkcs8_pem(&self) -> secrecy::SecretString {
        use secrecy::ExposeSecret;
        pem::encode(&pem::Pem::new(
            "PRIVATE KEY",
            self.pkcs8.expose_secret().clone(),
        ))
        .into()
    }

    /// Signs `message`, returning the raw signature.
    pub fn sign_sha256_raw(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.inner {
            #[cfg(feature = "aws-lc")]
            PrivateInner::AwsLc(k) => k.sign(message),
            #[cfg(feature = "rsa-backend")]
            PrivateInner::RustCrypto(k) => k.sign(message),
        }
    }

    /// Signs `message`, returning standard base64.
    pub fn sign_sha256_base64(&self, message: &[u8]) -> Result<String, SignError> {
        Ok(STANDARD.encode(self.sign_sha256_raw(message)?))
    }
}
