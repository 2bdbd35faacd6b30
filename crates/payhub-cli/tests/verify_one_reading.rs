//! `payhub verify-notify` as an attacker meets it (issue 11): for each scheme that joins fields
//! before hashing, an original notify is accepted and the same signed bytes re-split across a
//! field boundary are refused; Pooul's own 1024-bit key and published answer verify.

use paysig::md5::{HexCase, md5_hex};
use paysig::{CanonicalRules, Params, RsaPrivateKey};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn payhub(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_payhub"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the payhub binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn accepted(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "refused: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verified"], true);
    v
}

fn refused(out: &Output, why: &str) {
    assert_eq!(out.status.code(), Some(1), "accepted a forgery ({why})");
    assert!(out.stdout.is_empty(), "{why}");
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("payhub-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn form(params: &Params) -> Vec<u8> {
    params.to_form().into_bytes()
}

#[test]
fn sunmi_a_field_moved_into_the_previous_value_is_refused_as_ambiguous() {
    let key = RsaPrivateKey::generate_2048().unwrap();
    let public = temp_file("sunmi.pub.pem", &key.public_key().to_pem());
    let base = [
        ("amount", "100"),
        ("businessId", ""),
        ("buyerPayAmount", "100"),
        ("misId", "MIS1"),
        ("msn", "D804P89V00033"),
        ("orderId", "R1"),
        ("orderType", "1"),
        ("payTime", "1563271502"),
        ("platform", "alipay"),
        ("platformId", "P1"),
        ("refunded", "100"),
        ("resultCode", "T00"),
        ("resultMsg", "Success"),
        ("state", "3"),
    ];
    let original: Params = base
        .iter()
        .copied()
        .chain([("origBusinessId", "B"), ("origMisId", "OM")])
        .collect();
    // The attacker's notify: `&origMisId=OM` carried inside origBusinessId's value.
    let shifted: Params = base
        .iter()
        .copied()
        .chain([("origBusinessId", "B&origMisId=OM")])
        .collect();
    let rules = CanonicalRules::sorted().exclude(["sign"]);
    let message = rules.build(&original).unwrap();
    assert_eq!(message, rules.build(&shifted).unwrap(), "same signed bytes");
    let sign = key.sign_sha256_base64(message.as_bytes()).unwrap();
    let args = [
        "verify-notify",
        "sunmi",
        "--public-key",
        public.to_str().unwrap(),
    ];
    let v = accepted(&payhub(&args, &form(&original.clone().with("sign", &sign))));
    assert_eq!(v["notification"]["origMisId"], "OM");
    let out = payhub(&args, &form(&shifted.with("sign", &sign)));
    refused(&out, "sunmi re-split");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("origBusinessId"),
        "names the field: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn beecloud_v2_characters_moved_across_a_boundary_are_refused() {
    const APP: &str = "c5d1cba1-5e3f-4ba0-941d-9b0a371fe719";
    const SECRET: &str = "bee-master-secret";
    let sign = |id: &str, ty: &str, ch: &str, fee: &str| {
        md5_hex(
            format!("{APP}{id}{ty}{ch}{fee}{SECRET}").as_bytes(),
            HexCase::Lower,
        )
    };
    let body = |id: &str, ty: &str, ch: &str, fee: Value, signature: &str| {
        serde_json::to_vec(&json!({
            "signature": signature, "timestamp": 1_700_000_000_000u64,
            "channel_type": ch, "transaction_type": ty, "transaction_id": id,
            "transaction_fee": fee, "trade_success": true, "message_detail": {}
        }))
        .unwrap()
    };
    let secret = temp_file("bee.secret", SECRET);
    let key = format!("@{}", secret.to_str().unwrap());
    let args = ["verify-notify", "beecloud", "--app-id", APP, "--key", &key];
    let genuine = sign("201506101035040000001", "PAY", "WX", "10");
    let v = accepted(&payhub(
        &args,
        &body("201506101035040000001", "PAY", "WX", json!(10), &genuine),
    ));
    assert_eq!(v["notification"]["signed"]["transaction_fee"], 10);
    // Each of these signs exactly the same string as the genuine notify.
    let forgeries = [
        ("201506101035040000001", "PAY", "WX1", json!(0)),
        ("201506101035040000001", "PAY", "WX1", json!("0")),
        ("201506101035040000001P", "AY", "WX", json!(10)),
        ("20150610103504000000", "1PAY", "WX", json!(10)),
        ("201506101035040000001", "PAYW", "X", json!(10)),
        ("201506101035040000001", "PAY", "", json!("WX10")),
    ];
    for (id, ty, ch, fee) in forgeries {
        let fee_text = match &fee {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert_eq!(sign(id, ty, ch, &fee_text), genuine, "{id} {ty} {ch} {fee}");
        refused(
            &payhub(&args, &body(id, ty, ch, fee.clone(), &genuine)),
            &format!("beecloud {id} {ty} {ch} {fee}"),
        );
    }
}

#[test]
fn mifeng_a_field_moved_into_the_previous_value_is_refused() {
    const SECRET: &str = "mifeng-secret";
    let fields = [
        ("mch_id", "1000123"),
        ("money", "12.30"),
        ("notify_time", "2022-07-25 20:41:01"),
        ("order_no", "MF1"),
        ("out_order_no", "A1"),
        ("param", "x"),
        ("state", "3"),
    ];
    let params: Params = fields.iter().copied().collect();
    let sign = mifeng::notify::sign(&params, &paysig::SecretString::from(SECRET)).unwrap();
    let to_body = |pairs: &[(&str, &str)]| {
        let mut obj: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        obj.insert("sign".into(), sign.clone().into());
        serde_json::to_vec(&Value::Object(obj)).unwrap()
    };
    let secret = temp_file("mifeng.secret", SECRET);
    let args = ["verify-notify", "mifeng", "--key", secret.to_str().unwrap()];
    accepted(&payhub(&args, &to_body(&fields)));
    // `param` and `state` folded into out_order_no, with `state` moved after: the fixed-order
    // string `…&out_order_no=A1&param=x&state=3` reads the same.
    let shifted = [
        ("mch_id", "1000123"),
        ("money", "12.30"),
        ("notify_time", "2022-07-25 20:41:01"),
        ("order_no", "MF1"),
        ("out_order_no", "A1&param=x"),
        ("param", ""),
        ("state", "3"),
    ];
    refused(&payhub(&args, &to_body(&shifted)), "mifeng re-split");
}

#[test]
fn pooul_s_published_1024_bit_key_verifies_its_published_answer_and_a_notify() {
    let devdocs = fixtures().join("pooul/devdocs");
    let answer = std::fs::read(devdocs.join("sample_response.jwt")).unwrap();
    let key = devdocs.join("platform_public_1024.pem");
    let args = [
        "verify-notify",
        "pooul",
        "--public-key",
        key.to_str().unwrap(),
    ];
    let v = accepted(&payhub(&args, &answer));
    assert_eq!(v["notification"]["kind"], "signed_answer");
    assert_eq!(v["notification"]["key_bits"], 1024);
    // Extra members the tables do not list are part of what was signed, and kept.
    assert!(
        v["notification"]["payload"].get("debug").is_some()
            || v["notification"]["payload"].get("time_elapsed").is_some()
    );

    let legacy = fixtures().join("pooul/legacy1024");
    let notify = std::fs::read(legacy.join("pay_notify.jwt")).unwrap();
    let key = legacy.join("test_platform_public_1024.pem");
    let args = [
        "verify-notify",
        "pooul",
        "--public-key",
        key.to_str().unwrap(),
    ];
    let v = accepted(&payhub(&args, &notify));
    assert_eq!(v["notification"]["kind"], "pay_notify");
    // One character of the signature changed: refused.
    let mut tampered = String::from_utf8(notify).unwrap().trim().to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    refused(
        &payhub(&args, tampered.as_bytes()),
        "pooul tampered signature",
    );
}
