//! Credentials and tokens never reach Debug output or errors.

mod common;

use mifeng::{Client, Config, Environment};
use wiremock::MockServer;

#[tokio::test]
async fn debug_of_config_client_token_and_errors_hides_secrets() {
    let server = MockServer::start().await;
    let fake = common::Fake::new(7200);
    fake.mount(&server).await;
    let c = common::client(&server);
    let token = c.access_token().await.unwrap();
    for text in [
        format!("{:?}", c.config()),
        format!("{c:?}"),
        format!("{token:?}"),
    ] {
        assert!(!text.contains(common::SECRET), "{text}");
        assert!(!text.contains("TOKEN-1"), "{text}");
    }
    // An error after a call carrying the token shows neither.
    fake.revoke();
    wiremock::Mock::given(wiremock::matchers::path("/v1/api/pay/balance"))
        .respond_with(wiremock::ResponseTemplate::new(500).set_body_string("down"))
        .with_priority(1)
        .mount(&server)
        .await;
    let err = c.balance().await.unwrap_err();
    for text in [format!("{err:?}"), err.to_string()] {
        assert!(
            !text.contains(common::SECRET) && !text.contains("TOKEN-"),
            "{text}"
        );
    }
}

#[test]
fn an_empty_secret_or_mch_id_is_refused() {
    let base = Environment::Custom("http://127.0.0.1:9/".parse().unwrap());
    assert!(Client::new(Config::new(base.clone(), "1", "")).is_err());
    assert!(Client::new(Config::new(base, "", "s")).is_err());
}
