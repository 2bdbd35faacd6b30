//! For every endpoint: the exact request (method, path, content type, every field, an
//! independently computed MD5 sign), then the parsed answer.

mod common;

use common::{APP_ID, assert_signed_form, client_for, single_form};
use paysig::Money;
use sunmi::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server_answering(p: &str, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    server
}

/// A fixture answer rewritten to be about `order_id` and `amount_fen`: the document's sample
/// answers belong to another order than its sample requests.
fn answer_for(name: &str, order_id: &str, amount_fen: u64) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&fixture(name)).unwrap();
    v["data"]["orderId"] = order_id.into();
    v["data"]["amount"] = amount_fen.to_string().into();
    v.to_string()
}

fn fixture(name: &str) -> String {
    let p = format!(
        "{}/../../fixtures/sunmi/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(p).unwrap()
}

#[tokio::test]
async fn swipe_query() {
    let server = server_answering("/v1/trade/swipeQuery", &fixture("swipequery_response")).await;
    let trade = client_for(&server)
        .swipe_query(&SwipeQueryRequest {
            msn: "V206D88200036".into(),
            trade_date: Some(TradeDate::parse("20190520").unwrap()),
            trade: SwipeTradeRef::Both {
                order_id: "201906300600003".into(),
                platform_id: "331916913".into(),
            },
        })
        .await
        .unwrap();
    let form = single_form(&server, "/v1/trade/swipeQuery").await;
    assert_signed_form(
        &form,
        &[
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("msn", "V206D88200036"),
            ("tradeDate", "20190520"),
            ("orderId", "201906300600003"),
            ("platformId", "331916913"),
        ],
        "app_id=sm5b9b4daef3463&charset=utf8&msn=V206D88200036&orderId=201906300600003&platformId=331916913&tradeDate=20190520",
    );
    assert_eq!(trade.trans_currency, "CNY");
    assert_eq!(trade.amount, Money::from_fen(19900));
    assert_eq!(trade.card_gov, Some(CardGov::BankCard));
    assert_eq!(trade.card_type, Some(CardType::SemiCredit));
    assert_eq!(trade.order_type, OrderType::Payment);
    assert_eq!(trade.ori_trade_ref.as_deref(), Some(""));
    assert_eq!(trade.pay_time, 1561892597);
    assert_eq!(trade.result_code, SwipeResultCode::Success);
    assert_eq!(trade.state, TradeState::Success);
    assert_eq!(trade.terminal_no, "10040784");
    assert_eq!(trade.short_card.as_deref(), Some("4402"));
}

#[tokio::test]
async fn swipe_query_by_platform_id_only_without_date() {
    let server = server_answering("/v1/trade/swipeQuery", &fixture("swipequery_response")).await;
    client_for(&server)
        .swipe_query(&SwipeQueryRequest {
            msn: "V206D88200036".into(),
            trade_date: None,
            trade: SwipeTradeRef::PlatformId("331916913".into()),
        })
        .await
        .unwrap();
    let form = single_form(&server, "/v1/trade/swipeQuery").await;
    assert_signed_form(
        &form,
        &[
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("msn", "V206D88200036"),
            ("platformId", "331916913"),
        ],
        "app_id=sm5b9b4daef3463&charset=utf8&msn=V206D88200036&platformId=331916913",
    );
}

#[tokio::test]
async fn pay_bind_pay_url() {
    let server = server_answering("/v1/trade/payBind", &fixture("paybind_jsapi_response")).await;
    let outcome = client_for(&server)
        .pay_bind(&PayBindRequest {
            merchant_no: "820291573790006".into(),
            config: BindConfig::PayUrl {
                pay_url: "http://xxxx.com/xxx/".into(),
                attention_app_id: Some("wxhsdfk34".into()),
            },
        })
        .await
        .unwrap();
    let form = single_form(&server, "/v1/trade/payBind").await;
    assert_signed_form(
        &form,
        &[
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("merchantNo", "820291573790006"),
            ("configType", "1"),
            ("payUrl", "http://xxxx.com/xxx/"),
            ("attentionAppId", "wxhsdfk34"),
        ],
        "app_id=sm5b9b4daef3463&attentionAppId=wxhsdfk34&charset=utf8&configType=1&merchantNo=820291573790006&payUrl=http://xxxx.com/xxx/",
    );
    assert_eq!(*outcome, PayBindOutcome::Success);
}

/// A bind config, the fields it adds, and the canonical string written by hand.
type BindCase = (BindConfig, Vec<(&'static str, &'static str)>, &'static str);

#[tokio::test]
async fn pay_bind_each_config_type_sends_its_field() {
    let cases: Vec<BindCase> = vec![
        (
            BindConfig::MiniAppId("wxhsdfks24324534".into()),
            vec![("configType", "2"), ("miniAppId", "wxhsdfks24324534")],
            "app_id=sm5b9b4daef3463&charset=utf8&configType=2&merchantNo=820291573790006&miniAppId=wxhsdfks24324534",
        ),
        (
            BindConfig::AttentionAppId("wx2e5f6590644de622".into()),
            vec![
                ("configType", "3"),
                ("attentionAppId", "wx2e5f6590644de622"),
            ],
            "app_id=sm5b9b4daef3463&attentionAppId=wx2e5f6590644de622&charset=utf8&configType=3&merchantNo=820291573790006",
        ),
        (
            BindConfig::ReceiptAppId("wxreceipt".into()),
            vec![("configType", "4"), ("receiptAppId", "wxreceipt")],
            "app_id=sm5b9b4daef3463&charset=utf8&configType=4&merchantNo=820291573790006&receiptAppId=wxreceipt",
        ),
        (
            BindConfig::Query,
            vec![("configType", "5")],
            "app_id=sm5b9b4daef3463&charset=utf8&configType=5&merchantNo=820291573790006",
        ),
    ];
    for (config, fields, canonical) in cases {
        let server = server_answering("/v1/trade/payBind", &fixture("paybind_mini_response")).await;
        client_for(&server)
            .pay_bind(&PayBindRequest {
                merchant_no: "820291573790006".into(),
                config,
            })
            .await
            .unwrap();
        let form = single_form(&server, "/v1/trade/payBind").await;
        let mut expected = vec![
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("merchantNo", "820291573790006"),
        ];
        expected.extend(fields);
        assert_signed_form(&form, &expected, canonical);
    }
}

#[tokio::test]
async fn pay_bind_business_error_is_typed() {
    let server = server_answering("/v1/trade/payBind", &fixture("paybind_mini_error")).await;
    let err = client_for(&server)
        .pay_bind(&PayBindRequest {
            merchant_no: "820291573790006".into(),
            config: BindConfig::MiniAppId("wxhsdfks24324534".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::Api {
            code: BusinessCode::Q03ParameterError,
            msg: "subappid已配置，请勿重复配置".into()
        }
    );
}

#[tokio::test]
async fn js_api_pay_sends_yuan() {
    let server = server_answering(
        "/v1/trade/jsApiPay",
        &answer_for("jsapipay_response", "SFD42343242364723482", 100050),
    )
    .await;
    let order = client_for(&server)
        .js_api_pay(&JsApiPayRequest {
            merchant_no: "8202915737".into(),
            total_amount: Money::from_fen(100050),
            mini_app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
            order_id: "SFD42343242364723482".into(),
            wallet_type: WalletType::default(),
            notify_url: Some("https://shop.example/sunmi/notify?a=1&b=2".into()),
        })
        .await
        .unwrap();
    let form = single_form(&server, "/v1/trade/jsApiPay").await;
    assert_signed_form(
        &form,
        &[
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("merchantNo", "8202915737"),
            ("totalAmount", "1000.50"),
            ("miniAppId", "wx2e5f6590644de622"),
            ("openId", "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s"),
            ("orderId", "SFD42343242364723482"),
            ("walletType", "TX01"),
            ("notifyUrl", "https://shop.example/sunmi/notify?a=1&b=2"),
        ],
        "app_id=sm5b9b4daef3463&charset=utf8&merchantNo=8202915737&miniAppId=wx2e5f6590644de622&notifyUrl=https://shop.example/sunmi/notify?a=1&b=2&openId=oG-NZ5LHRuFlGF7bKEbXtjxkHS3s&orderId=SFD42343242364723482&totalAmount=1000.50&walletType=TX01",
    );
    assert_eq!(order.amount, Money::from_fen(100050));
    assert_eq!(order.buyer_pay_amount, Money::from_fen(200));
    assert_eq!(order.pay_time, "20180921104914");
    assert_eq!(order.platform, Platform::WxPay);
    assert_eq!(order.cloud_pay_info.app_id, "wx154f9a63aef2864f");
    assert_eq!(
        order.cloud_pay_info.package_str,
        "prepay_id=wx11102037411915c588dec8290435820050"
    );
    assert_eq!(order.cloud_pay_info.sign_type, "RSA");
    assert_eq!(order.cloud_pay_info.time_stamp, "1539224437");
    assert_eq!(order.result_code, BusinessCode::T00Success);
    assert_eq!(order.state, TradeState::Created);
    assert!(order.is_paying());
}

#[tokio::test]
async fn mini_pay_sends_fen() {
    let server = server_answering(
        "/v1/trade/miniPay",
        &answer_for("minipay_response", "SFD42343242364723482", 1),
    )
    .await;
    let order = client_for(&server)
        .mini_pay(&MiniPayRequest {
            merchant_no: "8202915737".into(),
            total_amount: Money::from_fen(1),
            mini_app_id: "wx2e5f6590644de622".into(),
            open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
            order_id: "SFD42343242364723482".into(),
            app_version: Some("1.2.3".into()),
            notify_url: Some("https://s.example/n".into()),
        })
        .await
        .unwrap();
    let form = single_form(&server, "/v1/trade/miniPay").await;
    assert_signed_form(
        &form,
        &[
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("merchantNo", "8202915737"),
            ("totalAmount", "1"),
            ("miniAppId", "wx2e5f6590644de622"),
            ("openId", "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s"),
            ("orderId", "SFD42343242364723482"),
            ("appVersion", "1.2.3"),
            ("notifyUrl", "https://s.example/n"),
        ],
        // Byte order: `V` (0x56) sorts before `_` (0x5F).
        "appVersion=1.2.3&app_id=sm5b9b4daef3463&charset=utf8&merchantNo=8202915737&miniAppId=wx2e5f6590644de622&notifyUrl=https://s.example/n&openId=oG-NZ5LHRuFlGF7bKEbXtjxkHS3s&orderId=SFD42343242364723482&totalAmount=1",
    );
    // cloudPayInfo arrives here as a JSON-encoded string.
    assert_eq!(order.cloud_pay_info.app_id, "wx67c24b79715d258a");
    assert_eq!(
        order.cloud_pay_info.nonce_str,
        "8113fbe78db64e0c9d3df1cb262dc08f"
    );
    assert_eq!(order.amount, Money::from_fen(1));
    assert_eq!(order.pay_time, "1565147632");
    assert_eq!(order.result_msg.as_deref(), Some("用户支付中"));
    assert!(order.is_paying());
}

#[tokio::test]
async fn query_by_merchant_and_order_id() {
    let server = server_answering("/v1/trade/query", &fixture("query_response")).await;
    let r = client_for(&server)
        .query(&QueryRequest {
            terminal: Terminal::MerchantNo("836234846239482342".into()),
            order: OrderRef::OrderId("40000734324823473432".into()),
        })
        .await
        .unwrap();
    let form = single_form(&server, "/v1/trade/query").await;
    assert_signed_form(
        &form,
        &[
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("merchantNo", "836234846239482342"),
            ("orderId", "40000734324823473432"),
        ],
        "app_id=sm5b9b4daef3463&charset=utf8&merchantNo=836234846239482342&orderId=40000734324823473432",
    );
    assert_eq!(r.amount, Money::from_fen(2));
    assert_eq!(r.buyer_pay_amount, Money::from_fen(2));
    // "refunded":"2" arrives as a string although documented Int.
    assert_eq!(r.refunded, Money::from_fen(2));
    assert_eq!(r.mis_id, "wqwqqqwwwwww78");
    assert_eq!(r.platform, Platform::Alipay);
    assert_eq!(r.result_code, Some(BusinessCode::T00Success));
    assert_eq!(r.state, TradeState::Success);
    assert_eq!(r.pay_time, 1561454238);
}

#[tokio::test]
async fn query_by_both_terminal_ids_and_mis_id() {
    let server = server_answering("/v1/trade/query", &fixture("query_response")).await;
    client_for(&server)
        .query(&QueryRequest {
            terminal: Terminal::Both {
                msn: "V206D88200036".into(),
                merchant_no: "8362348462".into(),
            },
            order: OrderRef::MisId("wqwqqqwwwwww78".into()),
        })
        .await
        .unwrap();
    let form = single_form(&server, "/v1/trade/query").await;
    assert_signed_form(
        &form,
        &[
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("msn", "V206D88200036"),
            ("merchantNo", "8362348462"),
            ("misId", "wqwqqqwwwwww78"),
        ],
        "app_id=sm5b9b4daef3463&charset=utf8&merchantNo=8362348462&misId=wqwqqqwwwwww78&msn=V206D88200036",
    );
}

#[tokio::test]
async fn refund_sends_the_documented_string() {
    let server = server_answering("/v1/trade/refund", &fixture("refund_response")).await;
    let r = client_for(&server)
        .refund(&RefundRequest {
            terminal: Terminal::Msn("V206D88200036".into()),
            original: OriginalOrder::OrderId("148983452364238".into()),
            order_id: "sda1212".into(),
            business_id: "453975342343".into(),
            amount: Money::from_fen(1),
        })
        .await
        .unwrap();
    let form = single_form(&server, "/v1/trade/refund").await;
    // The stringA example of sunmi.txt §2.1.2, byte for byte.
    assert_signed_form(
        &form,
        &[
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("msn", "V206D88200036"),
            ("amount", "1"),
            ("oriOrderId", "148983452364238"),
            ("orderId", "sda1212"),
            ("businessId", "453975342343"),
        ],
        "amount=1&app_id=sm5b9b4daef3463&businessId=453975342343&charset=utf8&msn=V206D88200036&orderId=sda1212&oriOrderId=148983452364238",
    );
    assert_eq!(r.amount, Money::from_fen(1));
    assert_eq!(r.order_type, OrderType::Refund);
    assert_eq!(r.ori_mis_id, "wqwqqqwwwwwwweqwhhh");
    assert_eq!(r.platform_id, "SDPPDS434916053");
    assert_eq!(r.state, TradeState::Success);
    assert_eq!(r.pay_time, 1561460091);
}

#[tokio::test]
async fn refund_by_mis_id_and_platform_id() {
    for (original, field, value) in [
        (OriginalOrder::MisId("MIS1".into()), "oriMisId", "MIS1"),
        (
            OriginalOrder::PlatformId("PF1".into()),
            "oriPlatformId",
            "PF1",
        ),
    ] {
        let server = server_answering("/v1/trade/refund", &fixture("refund_response")).await;
        client_for(&server)
            .refund(&RefundRequest {
                terminal: Terminal::MerchantNo("34789374374".into()),
                original,
                order_id: "R1".into(),
                business_id: "B1".into(),
                amount: Money::from_fen(250),
            })
            .await
            .unwrap();
        let form = single_form(&server, "/v1/trade/refund").await;
        let canonical = format!(
            "amount=250&app_id=sm5b9b4daef3463&businessId=B1&charset=utf8&merchantNo=34789374374&orderId=R1&{field}={value}"
        );
        assert_signed_form(
            &form,
            &[
                ("app_id", APP_ID),
                ("charset", "utf8"),
                ("merchantNo", "34789374374"),
                ("amount", "250"),
                (field, value),
                ("orderId", "R1"),
                ("businessId", "B1"),
            ],
            &canonical,
        );
    }
}

#[tokio::test]
async fn an_order_answer_for_another_order_or_amount_is_refused() {
    let req = JsApiPayRequest {
        merchant_no: "8202915737".into(),
        total_amount: Money::from_fen(100050),
        mini_app_id: "wx2e5f6590644de622".into(),
        open_id: "oG-NZ5LHRuFlGF7bKEbXtjxkHS3s".into(),
        order_id: "SFD42343242364723482".into(),
        wallet_type: WalletType::default(),
        notify_url: None,
    };
    // The document's own sample answer is about order 18092110499722771691.
    let server = server_answering("/v1/trade/jsApiPay", &fixture("jsapipay_response")).await;
    let err = client_for(&server).js_api_pay(&req).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseMismatch {
                field: "orderId",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
    let server = server_answering(
        "/v1/trade/jsApiPay",
        &answer_for("jsapipay_response", "SFD42343242364723482", 1),
    )
    .await;
    let err = client_for(&server).js_api_pay(&req).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseMismatch { field: "amount", ref got, .. } if got == "1"),
        "{err:?}"
    );
}

/// The §4.3.3 sample answer with `data` fields replaced.
fn query_answer_with(fields: &[(&str, &str)]) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("query_response")).unwrap();
    for (k, val) in fields {
        v["data"][*k] = (*val).into();
    }
    v.to_string()
}

#[tokio::test]
async fn query_by_mis_id_accepts_the_documented_answer_with_an_empty_order_id() {
    // §4.3.3's own sample answers with `"orderId": ""`; asked by misId, the match is misId.
    let server = server_answering("/v1/trade/query", &fixture("query_response")).await;
    let r = client_for(&server)
        .query(&QueryRequest {
            terminal: Terminal::MerchantNo("8362348462".into()),
            order: OrderRef::MisId("wqwqqqwwwwww78".into()),
        })
        .await
        .unwrap();
    let form = single_form(&server, "/v1/trade/query").await;
    assert_signed_form(
        &form,
        &[
            ("app_id", APP_ID),
            ("charset", "utf8"),
            ("merchantNo", "8362348462"),
            ("misId", "wqwqqqwwwwww78"),
        ],
        "app_id=sm5b9b4daef3463&charset=utf8&merchantNo=8362348462&misId=wqwqqqwwwwww78",
    );
    assert_eq!(r.mis_id, "wqwqqqwwwwww78");
    assert_eq!(r.order_id.as_deref(), Some(""));
    assert_eq!(r.amount, Money::from_fen(2));
}

#[tokio::test]
async fn a_query_answer_about_another_order_is_a_response_mismatch() {
    // Asked by misId, answered about another misId.
    let server = server_answering("/v1/trade/query", &fixture("query_response")).await;
    let err = client_for(&server)
        .query(&QueryRequest {
            terminal: Terminal::MerchantNo("8362348462".into()),
            order: OrderRef::MisId("MIS-ASKED".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::ResponseMismatch {
            operation: "query",
            field: "misId",
            expected: "MIS-ASKED".into(),
            got: "wqwqqqwwwwww78".into(),
        }
    );
    // A query moves no money: the answer is unusable, not an unknown outcome.
    assert_eq!(err.class(), paysig::class::ErrorClass::InvalidAnswer);
    assert!(!err.outcome_unknown());
    let form = single_form(&server, "/v1/trade/query").await;
    assert_eq!(form.get("misId"), Some("MIS-ASKED"));
    assert_eq!(form.get("orderId"), None);

    // Asked by orderId, answered about another orderId.
    let server = server_answering(
        "/v1/trade/query",
        &query_answer_with(&[("orderId", "O-OTHER")]),
    )
    .await;
    let err = client_for(&server)
        .query(&QueryRequest {
            terminal: Terminal::MerchantNo("8362348462".into()),
            order: OrderRef::OrderId("O-ASKED".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::ResponseMismatch {
            operation: "query",
            field: "orderId",
            expected: "O-ASKED".into(),
            got: "O-OTHER".into(),
        }
    );
    assert_eq!(
        single_form(&server, "/v1/trade/query").await.get("orderId"),
        Some("O-ASKED")
    );

    // Asked by platformId, answered about another platformId.
    let server = server_answering("/v1/trade/query", &fixture("query_response")).await;
    let err = client_for(&server)
        .query(&QueryRequest {
            terminal: Terminal::MerchantNo("8362348462".into()),
            order: OrderRef::PlatformId("P-ASKED".into()),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ResponseMismatch { field: "platformId", got, .. } if got == "SDPPDS434890114"),
        "{err:?}"
    );
}
