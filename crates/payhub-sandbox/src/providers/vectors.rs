//! The signing vectors of `fixtures/signing/` (computed outside paysig: Python `hashlib`,
//! `openssl`), read by the tests that pin the sandbox's own protocol checks to them.

use std::path::{Path, PathBuf};

/// One case: `fixtures/signing/<provider>/<case>/`.
pub(crate) struct Vector {
    dir: PathBuf,
    /// The pairs as a form body (the JSON payload for a JWT case).
    pub params: String,
    /// The secret, or the path of a key file relative to the case.
    pub key: String,
    /// The exact string signed.
    pub canonical: String,
    /// The expected signature.
    pub signature: String,
}

fn read(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.trim_end_matches(['\n', '\r']).to_owned()
}

impl Vector {
    /// Reads the case `provider/case`.
    pub fn load(case: &str) -> Vector {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/signing")
            .join(case);
        Vector {
            params: read(&dir.join("params")),
            key: read(&dir.join("key")),
            canonical: read(&dir.join("canonical")),
            signature: read(&dir.join("signature")),
            dir,
        }
    }

    /// The private key the `key` file points at.
    pub fn private_key(&self) -> paysig::RsaPrivateKey {
        paysig::RsaPrivateKey::from_pem_or_base64(&read(&self.dir.join(&self.key)))
            .expect("the fixture key loads")
    }

    /// A named pair of the (form) params.
    pub fn param(&self, name: &str) -> String {
        url::form_urlencoded::parse(self.params.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no `{name}` in {}", self.dir.display()))
    }
}

/// `text` with one ASCII letter or digit changed, once for every such position (the case and
/// kind of the character kept, so the change is never a mere re-encoding).
pub(crate) fn one_byte_changes(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        let changed = match b {
            b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => b + 1,
            b'9' => b'0',
            b'z' => b'a',
            b'Z' => b'A',
            _ => continue,
        };
        let mut v = bytes.to_vec();
        v[i] = changed;
        out.push(String::from_utf8(v).expect("an ASCII byte replaced by another"));
    }
    out
}
