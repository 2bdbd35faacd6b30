//! Every documented rule is checked before anything is sent.

mod common;

use beecloud::clock::FixedClock;
use beecloud::model::MAX_FEE_FEN;
use beecloud::{
    BillChannel, BillRequest, BillsQuery, Channel, Client, Error, RefundChannel, RefundRequest,
    RefundsQuery, TitleRule,
};
use common::*;
use paysig::Money;
use serde_json::json;
use time::macros::datetime;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A server that must receive nothing (checked when it drops).
async fn untouchable() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result_code": 0})))
        .expect(0)
        .mount(&s)
        .await;
    s
}

fn field_of(err: Error) -> &'static str {
    match err {
        Error::Validation { field, .. } => field,
        other => panic!("not a validation error: {other:?}"),
    }
}

fn bill(channel: BillChannel) -> BillRequest {
    BillRequest::new(
        channel,
        Money::from_fen(1),
        "201506101035040000001",
        "白开水",
    )
}

#[tokio::test]
async fn bill_rules() {
    let server = untouchable().await;
    let c = client(&[server.uri()]);
    let cases: Vec<(BillRequest, &str)> = vec![
        (
            BillRequest {
                total_fee: Money::ZERO,
                ..bill(BillChannel::WxApp)
            },
            "total_fee",
        ),
        (
            BillRequest {
                total_fee: Money::from_fen(MAX_FEE_FEN + 1),
                ..bill(BillChannel::WxApp)
            },
            "total_fee",
        ),
        (
            BillRequest {
                bill_no: "1".repeat(33),
                ..bill(BillChannel::WxApp)
            },
            "bill_no",
        ),
        (
            BillRequest {
                bill_no: "2015-06-10".into(),
                ..bill(BillChannel::WxApp)
            },
            "bill_no",
        ),
        (
            BillRequest {
                bill_no: String::new(),
                ..bill(BillChannel::WxApp)
            },
            "bill_no",
        ),
        (
            BillRequest {
                title: " ".into(),
                ..bill(BillChannel::WxApp)
            },
            "title",
        ),
        (
            BillRequest {
                title: "a".repeat(33),
                ..bill(BillChannel::WxApp)
            },
            "title",
        ),
        (
            // 11 Chinese characters are 33 bytes of UTF-8.
            BillRequest {
                title: "白".repeat(11),
                ..bill(BillChannel::WxApp)
            },
            "title",
        ),
        (bill(BillChannel::WxJsapi { openid: "".into() }), "openid"),
        (
            bill(BillChannel::AliWeb {
                return_url: "".into(),
                show_url: None,
            }),
            "return_url",
        ),
        (
            bill(BillChannel::AliWeb {
                return_url: "https://shop.example/back".into(),
                show_url: Some("beecloud.cn".into()),
            }),
            "show_url",
        ),
        (
            bill(BillChannel::AliQrcode {
                return_url: " ".into(),
                qr_pay_mode: None,
            }),
            "return_url",
        ),
        (
            bill(BillChannel::UnWeb {
                return_url: "".into(),
            }),
            "return_url",
        ),
    ];
    for (req, field) in cases {
        assert_eq!(field_of(c.bill(&req).await.unwrap_err()), field, "{req:?}");
    }
    // The boundaries themselves pass validation.
    let edge = BillRequest {
        total_fee: Money::from_fen(MAX_FEE_FEN),
        bill_no: "a".repeat(32),
        title: "a".repeat(32),
        ..bill(BillChannel::WxApp)
    };
    assert!(edge.validate(TitleRule::Utf8Bytes).is_ok());
}

#[test]
fn title_rule_decides_how_chinese_counts() {
    let sixteen = BillRequest {
        title: "白".repeat(16),
        ..bill(BillChannel::WxNative)
    };
    assert_eq!(
        field_of(sixteen.validate(TitleRule::Utf8Bytes).unwrap_err()),
        "title"
    );
    assert!(sixteen.validate(TitleRule::DoubleWidth).is_ok());
    let seventeen = BillRequest {
        title: "白".repeat(17),
        ..bill(BillChannel::WxNative)
    };
    assert!(seventeen.validate(TitleRule::DoubleWidth).is_err());
}

#[tokio::test]
async fn the_configured_title_rule_is_applied() {
    let server = untouchable().await;
    let c = Client::new(config(&[server.uri()]).with_title_rule(TitleRule::Utf8Bytes)).unwrap();
    let sixteen = BillRequest {
        title: "白".repeat(16),
        ..bill(BillChannel::WxNative)
    };
    assert_eq!(field_of(c.bill(&sixteen).await.unwrap_err()), "title");
}

/// A refund of 50 fen from a bill of 50 fen.
fn refund(refund_no: &str) -> RefundRequest {
    RefundRequest::new(
        RefundChannel::Wx,
        refund_no,
        "b1",
        Money::from_fen(50),
        Money::from_fen(50),
    )
}

#[tokio::test]
async fn refund_rules() {
    let server = untouchable().await;
    let c = client(&[server.uri()]); // today is 2015-06-10 in Beijing
    let cases: Vec<(RefundRequest, &str)> = vec![
        (refund("20150609001"), "refund_no"), // yesterday
        (refund("20150611001"), "refund_no"), // tomorrow
        (refund("2015061001"), "refund_no"),  // serial of 2
        (refund(&format!("20150610{}", "1".repeat(25))), "refund_no"),
        (refund("20150610000"), "refund_no"),
        (refund("20150610ab-1"), "refund_no"),
        (refund("001"), "refund_no"),
        (
            RefundRequest {
                refund_fee: Money::ZERO,
                ..refund("20150610001")
            },
            "refund_fee",
        ),
        (
            RefundRequest {
                bill_total_fee: Money::from_fen(49),
                ..refund("20150610001")
            },
            "refund_fee",
        ),
        (
            RefundRequest {
                bill_no: "".into(),
                ..refund("20150610001")
            },
            "bill_no",
        ),
    ];
    for (req, field) in cases {
        assert_eq!(
            field_of(c.refund(&req).await.unwrap_err()),
            field,
            "{req:?}"
        );
    }
    let today = time::macros::date!(2015 - 06 - 10);
    for ok in [
        "20150610001",
        "20150610abc",
        "201506100000", // "0000" is not "000"
    ] {
        assert!(refund(ok).validate(today).is_ok(), "{ok}");
    }
    assert!(
        refund(&format!("20150610{}", "9".repeat(24)))
            .validate(today)
            .is_ok()
    );
}

#[tokio::test]
async fn an_over_refund_is_refused_before_sending_without_opting_in() {
    // The bill's total is a required argument: the check cannot be forgotten.
    let server = untouchable().await;
    let c = client(&[server.uri()]);
    let over = RefundRequest::new(
        RefundChannel::Wx,
        "20150610001",
        "b1",
        Money::from_fen(51),
        Money::from_fen(50),
    );
    match c.refund(&over).await.unwrap_err() {
        Error::Validation { field, reason } => {
            assert_eq!(field, "refund_fee");
            assert!(reason.contains("51") && reason.contains("50"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn refund_date_is_the_beijing_date() {
    let server = untouchable().await;
    // 17:00 UTC on the 10th is 01:00 on the 11th in Beijing.
    let c = Client::new(
        config(&[server.uri()]).with_clock(FixedClock(datetime!(2015-06-10 17:00 UTC))),
    )
    .unwrap();
    let err = c.refund(&refund("20150610001")).await.unwrap_err();
    assert!(err.to_string().contains("20150611"), "{err}");
    assert!(
        refund("20150611001")
            .validate(beecloud::clock::beijing_today(
                datetime!(2015-06-10 17:00 UTC)
            ))
            .is_ok()
    );
}

#[tokio::test]
async fn query_rules() {
    let server = untouchable().await;
    let c = client(&[server.uri()]);
    for limit in [0, 51] {
        let e = c
            .bills(&BillsQuery::new(Channel::Wx).limit(limit))
            .await
            .unwrap_err();
        assert_eq!(field_of(e), "limit");
        let e = c
            .refunds(&RefundsQuery::new(Channel::Wx).limit(limit))
            .await
            .unwrap_err();
        assert_eq!(field_of(e), "limit");
        let e = c
            .all_bills(&BillsQuery::new(Channel::Wx).limit(limit))
            .await
            .unwrap_err();
        assert_eq!(field_of(e), "limit");
    }
    let backwards = BillsQuery::new(Channel::Wx)
        .start_time(datetime!(2015-06-10 00:00 UTC))
        .end_time(datetime!(2015-06-09 00:00 UTC));
    assert_eq!(field_of(c.bills(&backwards).await.unwrap_err()), "end_time");
    let e = c
        .bills(&BillsQuery::new(Channel::Wx).start_time(datetime!(1969-12-31 00:00 UTC)))
        .await
        .unwrap_err();
    assert_eq!(field_of(e), "start_time");
    let e = c
        .refunds(&RefundsQuery::new(Channel::Unknown(String::new())))
        .await
        .unwrap_err();
    assert_eq!(field_of(e), "channel");
    assert_eq!(
        field_of(c.refund_status(" ").await.unwrap_err()),
        "refund_no"
    );
}

#[test]
fn client_refuses_an_unusable_config() {
    assert!(matches!(
        Client::new(config(&[]).with_host_picker(beecloud::hosts::InOrder)),
        Err(Error::Config { .. })
    ));
    let mut cfg = config(&["http://127.0.0.1:1".into()]);
    cfg.app_id = String::new();
    assert!(matches!(
        Client::new(cfg),
        Err(Error::Validation {
            field: "app_id",
            ..
        })
    ));
}
