//! The credentials and keys an SDK client needs to talk to the sandbox.

use paysig::{RsaPrivateKey, RsaPublicKey, SecretString};

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
