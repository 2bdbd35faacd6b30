//! Creates a WeChat QR-code bill against a local mock of BeeCloud, then looks it up.
//!
//! Runs offline: `cargo run -p beecloud --example beecloud_bill`.

use beecloud::{
    BillChannel, BillRequest, BillResponse, BillsQuery, Channel, Client, Config, Environment,
};
use paysig::Money;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Two local servers stand for two BeeCloud hosts; each call picks one at random.
    let (bj, sz) = (mock_host().await, mock_host().await);
    let hosts = vec![bj.uri().parse()?, sz.uri().parse()?];
    let client = Client::new(Config::new(
        Environment::Custom(hosts),
        "my-app-id",
        "my-app-key",
    ))?;

    let bill = BillRequest::new(
        BillChannel::WxNative,
        Money::parse_yuan("0.01")?,
        "201506101035040000001",
        "白开水",
    );
    match client.bill(&bill).await?.into_inner() {
        BillResponse::WxNative(qr) => println!("show the buyer a QR code of {}", qr.code_url),
        other => println!("unexpected answer {other:?}"),
    }

    let page = client
        .bills(&BillsQuery::new(Channel::Wx).bill_no("201506101035040000001"))
        .await?;
    for b in &page.bills {
        println!("{} {} paid: {}", b.bill_no, b.total_fee, b.spay_result);
    }
    Ok(())
}

async fn mock_host() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/1/rest/bill"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result_code": 0, "result_msg": "OK", "err_detail": "",
            "code_url": "weixin://wxpay/bizpayurl?pr=example"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/1/rest/bills"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result_code": 0, "result_msg": "OK", "count": 1,
            "bills": [{"bill_no": "201506101035040000001", "total_fee": 1, "channel": "WX_NATIVE",
                       "title": "白开水", "spay_result": true, "created_time": 1433903704000u64}]
        })))
        .mount(&server)
        .await;
    server
}
