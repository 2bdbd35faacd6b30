//! MD5 signatures over canonical strings, compared in constant time.

use crate::SignError;
use crate::canonical::CanonicalRules;
use crate::params::Params;
use crate::secret::{ExposeSecret, SecretString};
use crate::verified::Verified;
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// Letter case of a hex digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexCase {
    /// `0-9a-f`.
    Lower,
    /// `0-9A-F`.
    Upper,
}

/// How the secret is joined to the canonical string before hashing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySuffix {
    /// The secret is appended directly, no separator (Sunmi: `...&orderId=1<app_key>`).
    Append,
    /// `&<name>=<secret>` is appended (`...&key=<secret>`).
    Param(String),
}

impl KeySuffix {
    /// `&key=<secret>`, the most common form.
    pub fn key_param() -> Self {
        KeySuffix::Param("key".into())
    }
}

/// Whether verification accepts either letter case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseCheck {
    /// Only the signer's case is accepted.
    Exact,
    /// Upper or lower case is accepted (where a provider says so).
    Insensitive,
}

/// MD5 hex digest of `data`.
///
/// ```
/// use paysig::md5::{md5_hex, HexCase};
/// assert_eq!(md5_hex(b"", HexCase::Lower), "d41d8cd98f00b204e9800998ecf8427e");
/// ```
pub fn md5_hex(data: &[u8], case: HexCase) -> String {
    hex_string(&hex(Md5::new_with_prefix(data), case))
}

/// MD5 hex digest of `parts` one after the other, as if concatenated (no concatenation
/// built: for schemes that hash `id + timestamp + secret`).
///
/// ```
/// use paysig::md5::{md5_hex, md5_hex_parts, HexCase};
/// assert_eq!(md5_hex_parts(&[b"app", b"123", b"key"], HexCase::Lower), md5_hex(b"app123key", HexCase::Lower));
/// ```
pub fn md5_hex_parts(parts: &[&[u8]], case: HexCase) -> String {
    md5_hex_digest_parts(parts, case).as_str().to_owned()
}

/// MD5 of `parts` as [`md5_hex_parts`], the 32 digits kept on the stack: for a signature
/// that is written straight into a body (BeeCloud's `app_sign`), no `String` per call.
///
/// ```
/// use paysig::md5::{md5_hex_parts, md5_hex_digest_parts, HexCase};
/// let d = md5_hex_digest_parts(&[b"app", b"123", b"key"], HexCase::Lower);
/// assert_eq!(d.as_str(), md5_hex_parts(&[b"app", b"123", b"key"], HexCase::Lower));
/// assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{}\"", d.as_str()));
/// ```
pub fn md5_hex_digest_parts(parts: &[&[u8]], case: HexCase) -> HexDigest {
    let mut hash = Md5::new();
    for p in parts {
        hash.update(p);
    }
    crate::ascii::AsciiText(hex(hash, case))
}

/// 32 hex digits of an MD5 digest, on the stack.
pub type HexDigest = crate::ascii::AsciiText<32>;

/// The 32 hex digits of the hash's digest, on the stack.
fn hex(hash: Md5, case: HexCase) -> [u8; 32] {
    let table = match case {
        HexCase::Lower => b"0123456789abcdef",
        HexCase::Upper => b"0123456789ABCDEF",
    };
    let mut out = [0u8; 32];
    for (i, b) in hash.finalize().into_iter().enumerate() {
        out[2 * i] = table[(b >> 4) as usize];
        out[2 * i + 1] = table[(b & 0xf) as usize];
    }
    out
}

/// MD5 fed through a stack buffer. A canonical string arrives in pieces of a few bytes (`k`,
/// `=`, `v`, `&`); copying such a piece costs less than an `Md5::update` call, so the hash
/// sees a few large updates instead of four per pair.
struct Feed {
    hash: Md5,
    buf: [u8; FEED_LEN],
    len: usize,
}

/// Four MD5 blocks: a 12-pair request is hashed in two updates.
const FEED_LEN: usize = 256;

impl Feed {
    fn new() -> Self {
        Feed {
            hash: Md5::new(),
            buf: [0; FEED_LEN],
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, piece: &[u8]) {
        // Half the pieces are one separator byte: stored directly, not through a memcpy call.
        if let [byte] = piece
            && self.len < FEED_LEN
        {
            self.buf[self.len] = *byte;
            self.len += 1;
            return;
        }
        if piece.len() > FEED_LEN - self.len {
            self.hash.update(&self.buf[..self.len]);
            self.len = 0;
            if piece.len() >= FEED_LEN {
                self.hash.update(piece);
                return;
            }
        }
        self.buf[self.len..self.len + piece.len()].copy_from_slice(piece);
        self.len += piece.len();
    }

    fn finish(mut self) -> Md5 {
        self.hash.update(&self.buf[..self.len]);
        self.hash
    }
}

fn hex_string(digits: &[u8; 32]) -> String {
    // Hex digits are ASCII: one copy into the one allocation, no per-char push.
    String::from_utf8(digits.to_vec()).expect("hex digits are ASCII")
}

/// Compares two byte strings in constant time (for equal lengths).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Checks the form of a received hex signature.
fn check_hex_form(signature: &str) -> Result<(), SignError> {
    if signature.is_empty() {
        return Err(SignError::MissingSignature {
            field: "sign".into(),
        });
    }
    if signature.len() != 32 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SignError::BadEncoding { encoding: "hex" });
    }
    Ok(())
}

/// Compares the expected digits with a received signature of the right form, in constant time.
fn hex_matches(expected: &[u8; 32], signature: &str, case: CaseCheck) -> bool {
    let got: &[u8] = signature.as_bytes();
    match case {
        CaseCheck::Exact => ct_eq(expected, got),
        CaseCheck::Insensitive => {
            let mut a = *expected;
            let mut b = [0u8; 32];
            b.copy_from_slice(got);
            a.make_ascii_lowercase();
            b.make_ascii_lowercase();
            ct_eq(&a, &b)
        }
    }
}

/// Checks that `signature` is the MD5 of `message` and, if so, returns `value` as verified.
///
/// For schemes that hash a concatenation rather than a parameter string (BeeCloud's
/// `md5(app_id + timestamp + app_key)`): the caller builds `message`, including the secret.
pub fn verify_hex<T>(
    value: T,
    message: &[u8],
    signature: &str,
    case: CaseCheck,
    expected_case: HexCase,
) -> Result<Verified<T>, SignError> {
    check_hex_form(signature)?;
    let expected = hex(Md5::new_with_prefix(message), expected_case);
    if hex_matches(&expected, signature, case) {
        Ok(Verified::new(value))
    } else {
        Err(SignError::Mismatch)
    }
}

/// Each stage of an MD5 signature, for debugging "Invalid Sign" answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignStages {
    /// The canonical parameter string, without the secret.
    pub canonical: String,
    /// The string that was hashed, with the secret replaced by `***`.
    pub masked: String,
    /// The signature.
    pub signature: String,
}

/// An MD5 signing scheme: canonical rules, how the key is joined, and the output case.
///
/// ```
/// use paysig::{CanonicalRules, Md5Signer, Params, SecretString};
/// use paysig::md5::{HexCase, KeySuffix};
/// let signer = Md5Signer::new(CanonicalRules::sorted().exclude(["sign"]), KeySuffix::key_param(), HexCase::Upper);
/// let key = SecretString::from("k");
/// let p = Params::new().with("b", "2").with("a", "1");
/// let sig = signer.sign(&p, &key).unwrap();
/// assert_eq!(sig, paysig::md5::md5_hex(b"a=1&b=2&key=k", HexCase::Upper));
/// let p = p.with("sign", sig);
/// assert!(signer.verify_field(p, "sign", &key).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct Md5Signer {
    rules: CanonicalRules,
    suffix: KeySuffix,
    case: HexCase,
    check: CaseCheck,
}

impl Md5Signer {
    /// A signer; verification accepts only `case` until [`Md5Signer::case_insensitive`].
    pub fn new(rules: CanonicalRules, suffix: KeySuffix, case: HexCase) -> Self {
        Md5Signer {
            rules,
            suffix,
            case,
            check: CaseCheck::Exact,
        }
    }

    /// Accept either letter case when verifying.
    pub fn case_insensitive(mut self) -> Self {
        self.check = CaseCheck::Insensitive;
        self
    }

    fn joined(&self, canonical: &str, key: &str) -> String {
        match &self.suffix {
            KeySuffix::Append => format!("{canonical}{key}"),
            KeySuffix::Param(name) if canonical.is_empty() => format!("{name}={key}"),
            KeySuffix::Param(name) => format!("{canonical}&{name}={key}"),
        }
    }

    /// The digits of the signature: the canonical string is streamed into MD5 through a
    /// stack buffer (no string built, nothing allocated for up to 32 pairs).
    fn digest(&self, params: &Params, key: &SecretString) -> Result<[u8; 32], SignError> {
        let mut feed = Feed::new();
        let any = self
            .rules
            .write(params, |piece| feed.push(piece.as_bytes()))?;
        match &self.suffix {
            KeySuffix::Append => {}
            KeySuffix::Param(name) => {
                if any {
                    feed.push(b"&");
                }
                feed.push(name.as_bytes());
                feed.push(b"=");
            }
        }
        feed.push(key.expose_secret().as_bytes());
        Ok(hex(feed.finish(), self.case))
    }

    /// Signs the params.
    pub fn sign(&self, params: &Params, key: &SecretString) -> Result<String, SignError> {
        Ok(hex_string(&self.digest(params, key)?))
    }

    /// [`Md5Signer::sign`], the 32 digits kept on the stack: for a sign that is copied
    /// straight into the request.
    ///
    /// ```
    /// use paysig::{CanonicalRules, Md5Signer, Params, SecretString};
    /// use paysig::md5::{HexCase, KeySuffix};
    /// let signer = Md5Signer::new(CanonicalRules::sorted(), KeySuffix::key_param(), HexCase::Upper);
    /// let (p, key) = (Params::new().with("a", "1"), SecretString::from("k"));
    /// assert_eq!(signer.sign_digits(&p, &key).unwrap().as_str(), signer.sign(&p, &key).unwrap());
    /// ```
    pub fn sign_digits(&self, params: &Params, key: &SecretString) -> Result<HexDigest, SignError> {
        Ok(crate::ascii::AsciiText(self.digest(params, key)?))
    }

    /// Signs and returns every stage, the secret masked.
    pub fn stages(&self, params: &Params, key: &SecretString) -> Result<SignStages, SignError> {
        let canonical = self.rules.build(params)?;
        let masked = self.joined(&canonical, "***");
        let signature = hex_string(&self.digest(params, key)?);
        Ok(SignStages {
            canonical,
            masked,
            signature,
        })
    }

    /// Verifies `signature` over `params`; on success the params come back verified.
    pub fn verify(
        &self,
        params: Params,
        signature: &str,
        key: &SecretString,
    ) -> Result<Verified<Params>, SignError> {
        let expected = self.digest(&params, key)?;
        check_hex_form(signature)?;
        if hex_matches(&expected, signature, self.check) {
            Ok(Verified::new(params))
        } else {
            Err(SignError::Mismatch)
        }
    }

    /// Verifies params that carry their own signature in `field` (which the rules must exclude).
    pub fn verify_field(
        &self,
        params: Params,
        field: &str,
        key: &SecretString,
    ) -> Result<Verified<Params>, SignError> {
        let sig = match params.get(field) {
            Some(s) if !s.is_empty() => s.to_owned(),
            _ => {
                return Err(SignError::MissingSignature {
                    field: field.into(),
                });
            }
        };
        self.verify(params, &sig, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Md5Signer {
        Md5Signer::new(
            CanonicalRules::sorted().exclude(["sign"]),
            KeySuffix::Append,
            HexCase::Upper,
        )
    }

    #[test]
    fn verify_reports_each_failure_distinctly() {
        let key = SecretString::from("k");
        let p = Params::new().with("a", "1");
        let sig = signer().sign(&p, &key).unwrap();
        assert!(signer().verify(p.clone(), &sig, &key).is_ok());
        assert_eq!(
            signer()
                .verify(p.clone(), &sig.to_lowercase(), &key)
                .unwrap_err(),
            SignError::Mismatch
        );
        assert!(
            signer()
                .case_insensitive()
                .verify(p.clone(), &sig.to_lowercase(), &key)
                .is_ok()
        );
        assert_eq!(
            signer().verify(p.clone(), "", &key).unwrap_err(),
            SignError::MissingSignature {
                field: "sign".into()
            }
        );
        assert_eq!(
            signer().verify(p.clone(), "zz", &key).unwrap_err(),
            SignError::BadEncoding { encoding: "hex" }
        );
        assert_eq!(
            signer().verify_field(p.clone(), "sign", &key).unwrap_err(),
            SignError::MissingSignature {
                field: "sign".into()
            }
        );
        let wrong = SecretString::from("j");
        assert_eq!(
            signer().verify(p, &sig, &wrong).unwrap_err(),
            SignError::Mismatch
        );
    }

    #[test]
    fn stages_mask_the_key() {
        let key = SecretString::from("topsecret");
        let st = signer()
            .stages(&Params::new().with("a", "1"), &key)
            .unwrap();
        assert_eq!(st.masked, "a=1***");
        assert!(!format!("{st:?}").contains("topsecret"));
        assert_eq!(st.signature, md5_hex(b"a=1topsecret", HexCase::Upper));
    }

    proptest::proptest! {
        /// The streamed digest (stack buffer, pieces crossing its edge, values longer than
        /// it) is the MD5 of the string the rules build, joined to the key, for every suffix,
        /// case and input order.
        #[test]
        fn streamed_digest_is_the_md5_of_the_built_string(
            pairs in proptest::collection::vec(("[a-zA-Z_]{1,12}", "[ -~]{0,300}"), 0..20),
            key in "[ -~]{0,80}",
            presorted in proptest::bool::ANY,
            param in proptest::bool::ANY,
            drop_empty in proptest::bool::ANY,
        ) {
            let mut pairs = pairs;
            if presorted {
                pairs.sort();
            }
            let params: Params = pairs.into_iter().collect();
            let mut rules = CanonicalRules::sorted().exclude(["sign"]);
            if drop_empty {
                rules = rules.drop_empty();
            }
            let suffix = if param { KeySuffix::key_param() } else { KeySuffix::Append };
            let canonical = rules.build(&params).unwrap();
            let joined = match (&suffix, canonical.is_empty()) {
                (KeySuffix::Append, _) => format!("{canonical}{key}"),
                (_, true) => format!("key={key}"),
                (_, false) => format!("{canonical}&key={key}"),
            };
            for case in [HexCase::Lower, HexCase::Upper] {
                let signer = Md5Signer::new(rules.clone(), suffix.clone(), case);
                let secret = SecretString::from(key.clone());
                proptest::prop_assert_eq!(
                    signer.sign(&params, &secret).unwrap(),
                    md5_hex(joined.as_bytes(), case)
                );
            }
        }
    }
}
