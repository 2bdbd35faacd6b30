//! Create an order, check the balance, and handle the payment notify, against a local mock of
//! Mifeng on 127.0.0.1 (runs offline: `cargo run -p mifeng --example mifeng_order`).

use mifeng::{Client, Config, Environment, UnifiedOrderRequest};
use paysig::{Money, Params, SecretString};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mifeng = mock_mifeng().await;

    // Point the client at the mock; in production use `Environment::Production`.
    let config = Config::new(
        Environment::Custom(mifeng.uri().parse()?),
        "1000123",
        "4ZWQBPN5SFP7MW6EQHXSCGLMAZVJZT4I",
    );
    let client = Client::new(config)?;

    // 统一下单: the token is fetched on first use and shared by all calls.
    let order = UnifiedOrderRequest::new(
        "1",
        "20150320010101001",
        Money::parse_yuan("1000")?,
        "203.0.113.7".parse()?,
        "https://shop.example/mifeng/notify".parse()?,
    )
    .subject("Order 20150320010101001");
    let created = client.unified_order(&order).await?;
    println!(
        "order {} created: pay {} at {}",
        created.order_no, created.money, created.pay_url
    );

    let balance = client.balance().await?;
    println!("balance: {}", balance.balance);

    // Mifeng later POSTs a notify. By default it is checked by (inferred) signature and by
    // querying the order; fulfil only if the amount is the one you charged, then answer ACK.
    let body = sample_notify(&client.config().secret)?;
    let outcome = client.handle_notify(&body).await?;
    outcome.check_amount(order.money)?;
    println!(
        "notify: order {} paid={} -> answer {:?}",
        outcome.out_order_no,
        outcome.paid,
        mifeng::ACK
    );
    Ok(())
}

/// The notify Mifeng would send for the order (signed as the inferred scheme says).
fn sample_notify(secret: &SecretString) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let fields = Params::new()
        .with("mch_id", "1000123")
        .with("money", "1000.00")
        .with("notify_time", "2022-07-25 20:41:01")
        .with("order_no", "202204157885214563228")
        .with("out_order_no", "20150320010101001")
        .with("param", "")
        .with("state", "3");
    let sign = mifeng::notify::sign(&fields, secret)?;
    let mut body = serde_json::Map::new();
    for (k, v) in fields.iter() {
        body.insert(k.to_owned(), v.into());
    }
    body.insert("sign".into(), sign.into());
    Ok(serde_json::to_vec(&body)?)
}

/// A mock Mifeng answering like the document's samples.
async fn mock_mifeng() -> MockServer {
    let server = MockServer::start().await;
    let answer = |data: serde_json::Value| {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "ok", "data": data, "request_id": "ddec96d2165e4f3e8a642057db116983"
        }))
    };
    let routes = [
        (
            "accesstoken",
            serde_json::json!({"token": "ACCESS_TOKEN", "expires_in": 7200}),
        ),
        (
            "unifiedorder",
            serde_json::json!({
                "mch_id": "1000123", "order_no": "202204157885214563228",
                "out_order_no": "20150320010101001", "money": "1000.00",
                "pay_url": "https://www.demo.com/#/?order_no=202204157885214563228",
                "expired_time": "2022-07-25 20:41:01", "expired_timestamp": 1658752861000u64
            }),
        ),
        (
            "query",
            serde_json::json!({
                "mch_id": "1000123", "order_no": "202204157885214563228",
                "out_order_no": "20150320010101001", "state": 3, "money": "1000.00", "notify_succ": "0"
            }),
        ),
        ("balance", serde_json::json!({"balance": "10000.00"})),
    ];
    for (endpoint, data) in routes {
        Mock::given(path(format!("/v1/api/pay/{endpoint}")))
            .respond_with(answer(data))
            .mount(&server)
            .await;
    }
    server
}
