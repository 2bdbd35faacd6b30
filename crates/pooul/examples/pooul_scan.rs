//! A WeChat scan payment against a local stand-in for Pooul on 127.0.0.1, then the pay notify.
//!
//! `cargo run -p pooul --example pooul_scan` (offline).

use paysig::{Money, RsaPrivateKey};
use pooul::{Client, Config, Environment, PayRequest, PayType};
use serde_json::json;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::method};

/// Stands for Pooul: checks our JWT with the merchant's public key, answers with its own.
struct FakePooul {
    merchant: paysig::RsaPublicKey,
    pooul: RsaPrivateKey,
}

impl Respond for FakePooul {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let token = String::from_utf8_lossy(&req.body);
        let Ok(order) = paysig::jwt::decode_rs256::<serde_json::Value>(&token, &self.merchant)
        else {
            return ResponseTemplate::new(200)
                .set_body_string(r#"{"code":1,"msg":"bad signature"}"#);
        };
        let answer = json!({"code": 0, "msg": "success", "data": {
            "code_url": "weixin://wxpay/bizpayurl?pr=oB8TuWO",
            "prepay_id": "wx302121541410392cf43ee7773887304578",
            "trade_id": "5b3783f101c9117d132f2813",
            "mch_trade_id": order["mch_trade_id"],
            "merchant_id": "5399355381712172",
        }});
        let signed = paysig::jwt::encode_rs256(&answer, &self.pooul).unwrap_or_default();
        ResponseTemplate::new(200).set_body_string(signed)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // In production these come from your secret store and Pooul's merchant console.
    let merchant_key = RsaPrivateKey::generate_2048()?;
    let pooul_key = RsaPrivateKey::generate_2048()?;

    let pooul = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(FakePooul {
            merchant: merchant_key.public_key(),
            pooul: pooul_key.clone(),
        })
        .mount(&pooul)
        .await;

    let config = Config::new(
        Environment::Custom(pooul.uri().parse()?), // Environment::Test / Production for real
        "5399355381712172",
        merchant_key,
        pooul_key.public_key(),
    );
    let client = Client::new(config)?;

    let order = PayRequest::new(
        PayType::WechatScan,
        "alextest.scan.113",
        Money::parse_yuan("2.21")?,
        "Alex Test Scan",
    )
    .spbill_create_ip("127.0.0.1")
    .notify_url("https://shop.example/pooul/notify".parse()?);
    let reply = client.pay(&order).await?;
    println!(
        "trade {} -> show QR for {:?}",
        reply.data.trade_id, reply.data.code_url
    );

    // Later Pooul posts the notify: verify it, check the amount, then answer pooul::ACK.
    let notify_body = paysig::jwt::encode_rs256(
        &json!({"code": 0, "data": {"trade_id": reply.data.trade_id, "mch_trade_id": "alextest.scan.113",
            "merchant_id": "5399355381712172", "pay_type": "wechat.scan", "total_fee": 221, "trade_state": 0}}),
        &pooul_key,
    )?;
    let notify =
        client.verify_notify_pay(&paysig::http::HeaderMap::new(), notify_body.as_bytes())?;
    notify.check_amount(order.total_fee)?;
    println!("paid: {}, answer {:?}", notify.is_paid(), pooul::ACK);
    Ok(())
}
