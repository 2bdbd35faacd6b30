//! 接口授权: the access token answer.

use paysig::SecretString;
use serde::Deserialize;

/// `data` of `v1/api/pay/accesstoken` (mifeng.md §接口授权 返回说明).
#[derive(Debug, Clone, Deserialize)]
pub struct AccessTokenResponse {
    /// 授权码: the token. Only the newest token issued for a merchant is valid.
    #[serde(deserialize_with = "secret_string")]
    pub token: SecretString,
    /// 有效时间: lifetime in seconds (documented default 7200).
    #[serde(deserialize_with = "paysig::lenient::number")]
    pub expires_in: u64,
}

fn secret_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    paysig::lenient::string(d).map(SecretString::from)
}
