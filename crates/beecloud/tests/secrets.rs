//! Credentials never reach Debug, Display or errors.

mod common;

use beecloud::{BillChannel, BillRequest, Error, WebhookConfig};
use common::*;
use paysig::Money;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn no_secret_is_ever_printed() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"result_code": 1, "result_msg": "APP_INVALID", "err_detail": "bad sign"}),
        ))
        .mount(&server)
        .await;
    let config = config(&[server.uri()]).with_webhook(WebhookConfig::v2(MASTER_SECRET));
    let client = beecloud::Client::new(config.clone()).unwrap();
    let v1 = beecloud::Webhook::new(APP_ID, WebhookConfig::v1(APP_SECRET));
    let err: Error = client
        .bill(&BillRequest::new(
            BillChannel::WxApp,
            Money::from_fen(1),
            "b1",
            "t",
        ))
        .await
        .unwrap_err();
    let printed = [
        format!("{config:?}"),
        format!("{client:?}"),
        format!("{:?}", client.config().webhook),
        format!("{v1:?}"),
        format!("{err:?}"),
        err.to_string(),
    ];
    for text in &printed {
        for secret in [APP_KEY, APP_SECRET, MASTER_SECRET] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
    assert!(
        printed[0].contains(APP_ID),
        "the Debug output is still useful"
    );
}
