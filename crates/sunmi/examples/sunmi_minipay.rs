//! Mini-program payment end to end against a local mock of Sunmi on 127.0.0.1:
//! order (`miniPay`) → payment notify → `query` → `refund`.
//!
//! Run with `cargo run -p sunmi --example sunmi_minipay`. It needs no network: the mock plays
//! Sunmi, and the notify is signed with a key generated here and configured as the Sunmi
//! public key (in the test environment you would use `sunmi::TEST_PUBLIC_KEY`).

use paysig::{CanonicalRules, Money, Params, RsaPrivateKey, SecretString};
use sunmi::{
    Client, Config, Environment, MiniPayRequest, OrderRef, OriginalOrder, QueryRequest,
    RefundRequest, Terminal, TradeState,
};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const MERCHANT: &str = "8202915737";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sunmi_key = RsaPrivateKey::generate_2048()?;
    let mock = mock_sunmi().await;

    let config = Config::new(
        Environment::Custom(mock.uri().parse()?),
        "sm5b9b4daef3463",
        SecretString::from("dd3ac24736589ae17d333e362859bf4c"),
        sunmi_key.public_key(),
    );
    let client = Client::new(config)?;

    // 1. Order: 1 fen, sent as totalAmount=1 (miniPay counts in fen).
    let price = Money::from_fen(1);
    let order = client
        .mini_pay(&MiniPayRequest {
            merchant_no: MERCHANT.into(),
            total_amount: price,
            mini_app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
            order_id: "SHOP-0001".into(),
            app_version: None,
            notify_url: None,
        })
        .await?;
    println!(
        "order {} created, hand to wx.requestPayment: {}",
        order.mis_id, order.cloud_pay_info.package_str
    );

    // 2. Notify: Sunmi POSTs a signed form; verify it over the raw body, check the amount,
    //    then answer exactly `success`.
    let body = sunmi_signs_a_notify(&sunmi_key, &order.mis_id)?;
    let notify = client.verify_notify(&paysig::http::HeaderMap::new(), body.as_bytes())?;
    notify.check_amount(price)?;
    println!(
        "notify verified: order {} state {:?}, answering {:?}",
        notify.order_id,
        notify.state,
        sunmi::ACK
    );

    // 3. Query: the authoritative state (also what to do after "用户支付中").
    let paid = client
        .query(&QueryRequest {
            terminal: Terminal::MerchantNo(MERCHANT.into()),
            order: OrderRef::MisId(order.mis_id.clone()),
        })
        .await?;
    assert_eq!(paid.state, TradeState::Success);
    println!(
        "query: state {:?}, paid {} yuan",
        paid.state, paid.buyer_pay_amount
    );

    // 4. Refund in full (amount in fen); only state 3 means the money went back.
    let refund = client
        .refund(&RefundRequest {
            terminal: Terminal::MerchantNo(MERCHANT.into()),
            original: OriginalOrder::MisId(order.mis_id.clone()),
            order_id: "SHOP-0001-R1".into(),
            business_id: "SHOP-0001".into(),
            amount: paid.amount,
        })
        .await?;
    println!("refund {}: state {:?}", refund.mis_id, refund.state);
    Ok(())
}

/// What Sunmi does: sign every field but `sign`, sorted, empty values kept, SHA256withRSA.
fn sunmi_signs_a_notify(key: &RsaPrivateKey, mis_id: &str) -> Result<String, paysig::SignError> {
    let mut pairs = Params::new()
        .with("amount", "1")
        .with("businessId", "")
        .with("buyerPayAmount", "1")
        .with("misId", mis_id)
        .with("msn", "D804P89V00033")
        .with("orderId", "SHOP-0001")
        .with("orderType", "0")
        .with("payTime", "1563271502")
        .with("platform", "wxpay")
        .with("platformId", "4200000001")
        .with("refunded", "0")
        .with("resultCode", "T00")
        .with("resultMsg", "Success")
        .with("state", "3");
    let message = CanonicalRules::sorted().exclude(["sign"]).build(&pairs)?;
    pairs.push("sign", key.sign_sha256_base64(message.as_bytes())?);
    Ok(pairs.to_form())
}

async fn mock_sunmi() -> MockServer {
    let server = MockServer::start().await;
    let answers = [
        (
            "/v1/trade/miniPay",
            r#"{"code":"10000","msg":"","data":{"merchantNo":"8202915737","orderId":"SHOP-0001","misId":"MIS-1","platformId":"4200000001","amount":1,"payTime":1565147632,"platform":"wxpay","buyerPayAmount":1,"resultCode":"T00","resultMsg":"用户支付中","state":1,"cloudPayInfo":"{\"appId\":\"wx2e5f6590644de622\",\"nonceStr\":\"n\",\"packageStr\":\"prepay_id=wx1\",\"paySign\":\"s\",\"signType\":\"RSA\",\"timeStamp\":\"1537498155\"}"}}"#,
        ),
        (
            "/v1/trade/query",
            r#"{"code":"10000","msg":"成功","data":{"amount":1,"businessId":"","buyerPayAmount":1,"misId":"MIS-1","merchantNo":"8202915737","orderType":0,"orderId":"SHOP-0001","payTime":1565147640,"platform":"wxpay","platformId":"4200000001","refunded":"0","resultCode":"T00","resultMsg":"Success","state":3}}"#,
        ),
        (
            "/v1/trade/refund",
            r#"{"code":"10000","msg":"成功","data":{"amount":1,"businessId":"SHOP-0001","misId":"MIS-R1","merchantNo":"8202915737","orderId":"SHOP-0001-R1","orderType":1,"oriMisId":"MIS-1","oriOrderId":"SHOP-0001","payTime":1565147700,"platform":"wxpay","platformId":"4200000001","resultCode":"00","resultMsg":"成功","state":3}}"#,
        ),
    ];
    for (p, body) in answers {
        Mock::given(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
    }
    server
}
