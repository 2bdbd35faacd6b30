//! The credentials and keys an SDK client needs to talk to the sandbox, and the key
//! directory that keeps the sandbox's RSA keys across runs.

use crate::SandboxKeys;
use paysig::{ExposeSecret, RsaPrivateKey, RsaPublicKey, SecretString, SignError};
use std::path::{Path, PathBuf};

/// Sunmi: the app credentials for the MD5 request sign (sunmi.txt §2.1) and the sandbox's
/// platform public key that verifies its SHA256withRSA notifies (§2.2, §6).
#[derive(Debug, Clone)]
pub struct SunmiCredentials {
    /// `app_id`.
    pub app_id: String,
    /// `app_key` (the MD5 sign secret).
    pub app_key: SecretString,
    /// The merchant's `merchantNo`.
    pub merchant_no: String,
    /// The device SN (`msn`) bound to the merchant.
    pub msn: String,
    /// Verifies the sandbox's notifies (plays the role of the §6.4 public key).
    pub platform_public_key: RsaPublicKey,
}

/// Pooul: the merchant id, the merchant's private key (the sandbox generated the pair and
/// registered the public half, as a merchant uploads it) and the platform public key that
/// verifies the sandbox's JWT answers and notifies.
#[derive(Debug, Clone)]
pub struct PooulCredentials {
    /// `merchant_id` (16 digits).
    pub merchant_id: String,
    /// Signs the merchant's request JWTs.
    pub merchant_private_key: RsaPrivateKey,
    /// Verifies the sandbox's JWT answers and notifies.
    pub platform_public_key: RsaPublicKey,
}

/// BeeCloud: `app_id` and the three secrets (`app_key` for `app_sign`, `app_secret` for the V1
/// webhook sign, `master_secret` for the later webhook signature).
#[derive(Debug, Clone)]
pub struct BeeCloudCredentials {
    /// `app_id`.
    pub app_id: String,
    /// `app_key`.
    pub app_key: SecretString,
    /// `app_secret`.
    pub app_secret: SecretString,
    /// `master_secret`.
    pub master_secret: SecretString,
}

/// Mifeng: `mch_id` and the API `secret` (token requests and the notify MD5 key).
#[derive(Debug, Clone)]
pub struct MifengCredentials {
    /// `mch_id`.
    pub mch_id: String,
    /// `secret`.
    pub secret: SecretString,
}

/// One of the sandbox's three RSA key pairs, as kept in a key directory: the private key
/// (PKCS#8 PEM, readable by its owner only on Unix) and its public half beside it (SPKI PEM),
/// so that a verifier (`payhub verify-notify --public-key`) can use the file as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyRole {
    /// Signs Sunmi notifies ([`SandboxKeys::sunmi_platform`]).
    SunmiPlatform,
    /// Signs Pooul answers and notifies ([`SandboxKeys::pooul_platform`]).
    PooulPlatform,
    /// The Pooul merchant's request key ([`SandboxKeys::pooul_merchant`]).
    PooulMerchant,
}

impl KeyRole {
    /// Every role, in the order of [`SandboxKeys`]' fields.
    pub const ALL: [KeyRole; 3] = [
        KeyRole::SunmiPlatform,
        KeyRole::PooulPlatform,
        KeyRole::PooulMerchant,
    ];

    /// The private key's file name in a key directory, e.g. `sunmi_platform.pem`.
    pub fn private_file(self) -> &'static str {
        match self {
            KeyRole::SunmiPlatform => "sunmi_platform.pem",
            KeyRole::PooulPlatform => "pooul_platform.pem",
            KeyRole::PooulMerchant => "pooul_merchant.pem",
        }
    }

    /// The public key's file name, beside the private one, e.g. `sunmi_platform.pub.pem`.
    pub fn public_file(self) -> &'static str {
        match self {
            KeyRole::SunmiPlatform => "sunmi_platform.pub.pem",
            KeyRole::PooulPlatform => "pooul_platform.pub.pem",
            KeyRole::PooulMerchant => "pooul_merchant.pub.pem",
        }
    }

    fn key(self, keys: &SandboxKeys) -> &RsaPrivateKey {
        match self {
            KeyRole::SunmiPlatform => &keys.sunmi_platform,
            KeyRole::PooulPlatform => &keys.pooul_platform,
            KeyRole::PooulMerchant => &keys.pooul_merchant,
        }
    }
}

/// Why a key directory could not be read or written. Messages name files, never key
/// material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyDirError {
    /// The directory holds none of the sandbox's key files.
    #[error("no sandbox keys in {}", dir.display())]
    NoKeys {
        /// The directory looked in.
        dir: PathBuf,
    },
    /// The directory holds some of the key files but not this one: refused rather than
    /// replaced, since a verifier may already be configured with the others.
    #[error("{} does not exist (the key directory is incomplete)", path.display())]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file does not hold a usable RSA private key.
    #[error("{}: {source}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why the key was refused.
        source: SignError,
    },
    /// A file or the directory could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Fresh keys could not be generated.
    #[error("cannot generate sandbox keys: {0}")]
    Generate(SignError),
}

impl SandboxKeys {
    /// Loads the three private keys from `dir` (see [`KeyRole::private_file`]); writes
    /// nothing. [`KeyDirError::NoKeys`] when the directory holds none of them.
    pub fn load_dir(dir: &Path) -> Result<SandboxKeys, KeyDirError> {
        let paths = KeyRole::ALL.map(|r| dir.join(r.private_file()));
        if !paths.iter().any(|p| p.exists()) {
            return Err(KeyDirError::NoKeys {
                dir: dir.to_path_buf(),
            });
        }
        let load = |path: &PathBuf| -> Result<RsaPrivateKey, KeyDirError> {
            let pem = std::fs::read_to_string(path).map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => KeyDirError::Missing { path: path.clone() },
                _ => KeyDirError::Read {
                    path: path.clone(),
                    source,
                },
            })?;
            RsaPrivateKey::from_pem_or_base64(&pem).map_err(|source| KeyDirError::Invalid {
                path: path.clone(),
                source,
            })
        };
        let [sunmi, pooul, merchant] = &paths;
        Ok(SandboxKeys {
            sunmi_platform: load(sunmi)?,
            pooul_platform: load(pooul)?,
            pooul_merchant: load(merchant)?,
        })
    }

    /// Loads the keys of `dir`, or when it holds none, generates three and writes them there
    /// (creating the directory). Either way, every private key's public half is written
    /// beside it when missing. Returns the keys and whether they are new.
    pub fn load_or_create_dir(dir: &Path) -> Result<(SandboxKeys, bool), KeyDirError> {
        let (keys, created) = match SandboxKeys::load_dir(dir) {
            Ok(keys) => (keys, false),
            Err(KeyDirError::NoKeys { .. }) => {
                let keys = SandboxKeys::generate().map_err(KeyDirError::Generate)?;
                std::fs::create_dir_all(dir).map_err(|source| KeyDirError::Write {
                    path: dir.to_path_buf(),
                    source,
                })?;
                for role in KeyRole::ALL {
                    let pem = role.key(&keys).to_pkcs8_pem();
                    write_private(&dir.join(role.private_file()), pem.expose_secret())?;
                }
                (keys, true)
            }
            Err(e) => return Err(e),
        };
        keys.write_public_files(dir, false)?;
        Ok((keys, created))
    }

    /// Writes each key's public half (SPKI PEM) to `dir` under [`KeyRole::public_file`];
    /// an existing file is kept unless `replace`.
    pub fn write_public_files(&self, dir: &Path, replace: bool) -> Result<(), KeyDirError> {
        for role in KeyRole::ALL {
            let path = dir.join(role.public_file());
            if replace || !path.exists() {
                std::fs::write(&path, role.key(self).public_key().to_pem())
                    .map_err(|source| KeyDirError::Write { path, source })?;
            }
        }
        Ok(())
    }
}

/// Writes a new private key file, never over an existing one, owner-only on Unix.
fn write_private(path: &Path, pem: &str) -> Result<(), KeyDirError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(pem.as_bytes()))
        .map_err(|source| KeyDirError::Write {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("payhub-keydir-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn public_der(key: &RsaPrivateKey) -> Vec<u8> {
        key.public_key().to_spki_der().to_vec()
    }

    #[test]
    fn a_key_directory_is_created_once_then_read_back_with_its_public_halves() {
        let dir = temp_dir("roundtrip");
        assert!(matches!(
            SandboxKeys::load_dir(&dir),
            Err(KeyDirError::NoKeys { .. })
        ));
        let (made, created) = SandboxKeys::load_or_create_dir(&dir).unwrap();
        assert!(created);
        let (again, created) = SandboxKeys::load_or_create_dir(&dir).unwrap();
        assert!(!created, "existing keys are kept");
        let loaded = SandboxKeys::load_dir(&dir).unwrap();
        for role in KeyRole::ALL {
            assert_eq!(public_der(role.key(&made)), public_der(role.key(&again)));
            assert_eq!(public_der(role.key(&made)), public_der(role.key(&loaded)));
            let text = std::fs::read_to_string(dir.join(role.public_file())).unwrap();
            assert!(text.starts_with("-----BEGIN PUBLIC KEY-----"), "{role:?}");
            let public = RsaPublicKey::from_pem_or_base64(&text).unwrap();
            assert_eq!(
                public.to_spki_der(),
                public_der(role.key(&made)),
                "{role:?}"
            );
        }
        // An existing public file is kept unless asked otherwise.
        let sunmi_pub = dir.join(KeyRole::SunmiPlatform.public_file());
        std::fs::write(&sunmi_pub, "kept").unwrap();
        made.write_public_files(&dir, false).unwrap();
        assert_eq!(std::fs::read_to_string(&sunmi_pub).unwrap(), "kept");
        made.write_public_files(&dir, true).unwrap();
        assert_ne!(std::fs::read_to_string(&sunmi_pub).unwrap(), "kept");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_incomplete_or_broken_directory_is_refused_not_replaced() {
        let dir = temp_dir("broken");
        SandboxKeys::load_or_create_dir(&dir).unwrap();
        let merchant = dir.join(KeyRole::PooulMerchant.private_file());
        std::fs::remove_file(&merchant).unwrap();
        for result in [
            SandboxKeys::load_dir(&dir).map(|_| ()),
            SandboxKeys::load_or_create_dir(&dir).map(|_| ()),
        ] {
            match result {
                Err(KeyDirError::Missing { path }) => assert_eq!(path, merchant),
                other => panic!("{other:?}"),
            }
        }
        assert!(!merchant.exists(), "no key is made up for the missing one");

        // Key material never reaches the error.
        std::fs::write(
            &merchant,
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let err = SandboxKeys::load_dir(&dir).unwrap_err();
        assert!(matches!(err, KeyDirError::Invalid { .. }), "{err:?}");
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("pooul_merchant.pem"), "{shown}");
        assert!(!shown.contains("c2VjcmV0LWJ5dGVz"), "{shown}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
