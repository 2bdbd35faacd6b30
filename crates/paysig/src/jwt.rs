//! Compact JWS with RS256 (Pooul's `/v2` transport): encode+sign and decode+verify.
//!
//! Only `RS256` is accepted. A token whose header says `none`, `HS256` (the classic
//! "public key as HMAC secret" confusion) or anything else is refused before any signature
//! arithmetic. The payload is parsed only after the signature holds.
//!
//! ```
//! # #[cfg(feature = "aws-lc")] {
//! use paysig::{jwt, RsaPrivateKey};
//! let key = RsaPrivateKey::generate_2048().unwrap();
//! let token = jwt::encode_rs256(&serde_json::json!({"total_fee": 1}), &key).unwrap();
//! let claims: paysig::Verified<serde_json::Value> = jwt::decode_rs256(&token, &key.public_key()).unwrap();
//! assert_eq!(claims["total_fee"], 1);
//! # }
//! ```

use crate::SignError;
use crate::rsa::{RsaPrivateKey, RsaPublicKey};
use crate::verified::Verified;
use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use serde::de::DeserializeOwned;

const HEADER: &str = r#"{"alg":"RS256","typ":"JWT"}"#;

/// base64url that accepts a token with or without `=` padding.
const LENIENT_URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Which part of a compact token an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The first part.
    Header,
    /// The second part.
    Payload,
    /// The third part.
    Signature,
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        })
    }
}

/// Why a token was refused. Each failure has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three dot-separated parts.
    #[error("JWT has {found} segments, expected 3")]
    Segments {
        /// How many parts there were.
        found: usize,
    },
    /// A part is not base64url.
    #[error("JWT {segment} is not valid base64url")]
    Base64 {
        /// Which part.
        segment: Segment,
    },
    /// The header or payload is not the JSON expected.
    #[error("JWT {segment} is not valid JSON: {reason}")]
    Json {
        /// Which part.
        segment: Segment,
        /// The parser's message.
        reason: String,
    },
    /// The header's `alg` is not RS256.
    #[error("JWT alg {found:?} refused, only RS256 is accepted")]
    Algorithm {
        /// The `alg` found (empty when absent).
        found: String,
    },
    /// The signature does not verify with the key.
    #[error("JWT signature does not verify")]
    Signature,
    /// Signing failed.
    #[error("JWT signing failed: {0}")]
    Sign(SignError),
}

/// Serialises `claims` to JSON and returns the compact RS256 token.
pub fn encode_rs256<T: Serialize + ?Sized>(
    claims: &T,
    key: &RsaPrivateKey,
) -> Result<String, JwtError> {
    let payload = serde_json::to_vec(claims).map_err(|e| JwtError::Json {
        segment: Segment::Payload,
        reason: e.to_string(),
    })?;
    encode_rs256_bytes(&payload, key)
}

/// Signs already-serialised JSON bytes as the payload (so the exact bytes are what is signed).
pub fn encode_rs256_bytes(payload_json: &[u8], key: &RsaPrivateKey) -> Result<String, JwtError> {
    let mut token = String::with_capacity(64 + payload_json.len() * 4 / 3 + 350);
    URL_SAFE_NO_PAD.encode_string(HEADER, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload_json, &mut token);
    let sig = key
        .sign_sha256_raw(token.as_bytes())
        .map_err(JwtError::Sign)?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut token);
    Ok(token)
}

/// Verifies the token and returns the raw payload bytes.
pub fn verify_rs256(token: &str, key: &RsaPublicKey) -> Result<Verified<Vec<u8>>, JwtError> {
    let token = token.trim();
    let mut segments = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(JwtError::Segments {
            found: token.split('.').count(),
        });
    };
    let parts = [h, p, s];
    // The header and the signature are short: decoded on the stack (a larger one, which no
    // RSA key up to 8192 bits makes, is decoded into a vector as before).
    let mut header_buf = [0u8; 192];
    let header = decode_segment(parts[0], Segment::Header, &mut header_buf)?;
    // The usual header is read without building a tree; any other is read as a `Value`, as
    // it always was, so that it is refused with the same error.
    #[derive(serde::Deserialize)]
    struct Header<'a> {
        #[serde(borrow)]
        alg: Option<&'a serde_json::value::RawValue>,
    }
    let rs256 = serde_json::from_slice::<Header<'_>>(&header)
        .ok()
        .and_then(|h| h.alg)
        .is_some_and(|alg| alg.get() == "\"RS256\"");
    if !rs256 {
        let header: serde_json::Value =
            serde_json::from_slice(&header).map_err(|e| JwtError::Json {
                segment: Segment::Header,
                reason: e.to_string(),
            })?;
        match header.get("alg").and_then(|a| a.as_str()) {
            Some("RS256") => {}
            other => {
                return Err(JwtError::Algorithm {
                    found: other.unwrap_or_default().to_owned(),
                });
            }
        }
    }
    let payload = LENIENT_URL.decode(parts[1]).map_err(|_| JwtError::Base64 {
        segment: Segment::Payload,
    })?;
    let mut sig_buf = [0u8; 1024];
    let sig = decode_segment(parts[2], Segment::Signature, &mut sig_buf)?;
    let signed_len = parts[0].len() + 1 + parts[1].len();
    key.verify_sha256_raw(&token.as_bytes()[..signed_len], &sig)
        .map_err(|_| JwtError::Signature)?;
    Ok(Verified::new(payload))
}

/// One segment decoded into `buf` when it fits, else into a vector; the same bytes and the
/// same error either way.
fn decode_segment<'b>(
    text: &str,
    segment: Segment,
    buf: &'b mut [u8],
) -> Result<std::borrow::Cow<'b, [u8]>, JwtError> {
    let error = JwtError::Base64 { segment };
    // Every 4 characters make at most 3 bytes; a partial group at most 2 more.
    if text.len() / 4 * 3 + 3 <= buf.len() {
        let n = LENIENT_URL.decode_slice(text, buf).map_err(|_| error)?;
        Ok(std::borrow::Cow::Borrowed(&buf[..n]))
    } else {
        LENIENT_URL
            .decode(text)
            .map(std::borrow::Cow::Owned)
            .map_err(|_| error)
    }
}

/// Verifies the token, then parses its payload as `T`.
pub fn decode_rs256<T: DeserializeOwned>(
    token: &str,
    key: &RsaPublicKey,
) -> Result<Verified<T>, JwtError> {
    verify_rs256(token, key)?.try_map(|bytes| {
        serde_json::from_slice(&bytes).map_err(|e| JwtError::Json {
            segment: Segment::Payload,
            reason: e.to_string(),
        })
    })
}

/// Reads the payload of a token WITHOUT verifying it, for diagnostics only (e.g. to show what
/// a rejected token claimed). The result is deliberately not [`Verified`].
pub fn peek_payload(token: &str) -> Result<serde_json::Value, JwtError> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    if parts.len() != 3 {
        return Err(JwtError::Segments { found: parts.len() });
    }
    let payload = LENIENT_URL.decode(parts[1]).map_err(|_| JwtError::Base64 {
        segment: Segment::Payload,
    })?;
    serde_json::from_slice(&payload).map_err(|e| JwtError::Json {
        segment: Segment::Payload,
        reason: e.to_string(),
    })
}
