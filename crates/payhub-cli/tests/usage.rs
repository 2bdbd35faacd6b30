//! The `payhub` command line as a user meets it (issue 15, "CLI"): possible values, misuse,
//! completions, `call`'s fields, broken pipes, `--json`, the sandbox's files, `trigger`'s
//! keys and refusals, missing files, logging, `sign pooul` values and error lines.

use paysig::{ExposeSecret, RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

fn payhub_in(dir: Option<&Path>, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_payhub"));
    cmd.args(args)
        .env_remove("PAYHUB_LOG")
        .env_remove("PAYHUB_SANDBOX_KEYS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the payhub binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn payhub(args: &[&str]) -> Output {
    payhub_in(None, args, &[], b"")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "status {:?}\nstderr:\n{}",
        out.status,
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: not JSON:\n{}", text(&out.stdout)))
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("payhub-usage-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn help_lists_every_possible_value_the_fields_verbose_and_payhub_log() {
    let top = text(&payhub(&["--help"]).stdout);
    for needle in ["-v, --verbose", "PAYHUB_LOG", "--json", "completions"] {
        assert!(top.contains(needle), "{needle} missing from --help:\n{top}");
    }
    let call = text(&payhub(&["call", "--help"]).stdout);
    for needle in [
        "mifeng",
        "pooul",
        "sunmi",
        "beecloud",
        "create",
        "query",
        "refund",
        "query-refund",
        "close",
        "order_no*",
        "refund_no*",
        "provider_trade_no",
        "notify_url*",
        "wechat_jsapi",
        "app_id* open_id*",
        "hosted_cashier",
        "channel* return_url",
    ] {
        assert!(
            call.contains(needle),
            "{needle} missing from call --help:\n{call}"
        );
    }
    let trigger = text(&payhub(&["trigger", "--help"]).stdout);
    for needle in [
        "pay-success",
        "pay-failed",
        "refund-success",
        "beecloud",
        "PAYHUB_SANDBOX_KEYS",
    ] {
        assert!(
            trigger.contains(needle),
            "{needle} missing from trigger --help:\n{trigger}"
        );
    }
    let sign = text(&payhub(&["sign", "-h"]).stdout);
    assert!(
        sign.contains("[possible values: mifeng, pooul, sunmi, beecloud]"),
        "{sign}"
    );
}

#[test]
fn misuse_exits_2_and_names_the_problem() {
    for (args, says) in [
        (
            &["call", "alipay", "query", "--config", "x.toml"][..],
            "alipay",
        ),
        (&["call", "sunmi", "pay", "--config", "x.toml"][..], "'pay'"),
        (
            &["trigger", "sunmi", "paid", "--to", "http://127.0.0.1:9/"][..],
            "'paid'",
        ),
        (
            &[
                "trigger",
                "sunmi",
                "pay-failed",
                "--to",
                "http://127.0.0.1:9/",
            ][..],
            "only mifeng",
        ),
        (
            &["sign", "sunmi", "--key", "k", "--key-env", "K", "a=b"][..],
            "--key-env",
        ),
        (
            &[
                "verify-notify",
                "sunmi",
                "--public-key",
                "k.pem",
                "--test-key",
            ][..],
            "--test-key",
        ),
        (&["verify-notify", "beecloud", "--scheme", "v3"][..], "'v3'"),
        (&["sign", "sunmi", "--key", "k", "a:=1"][..], "only pooul"),
        (&["completions", "tcsh"][..], "'tcsh'"),
    ] {
        let out = payhub(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn completions_cover_subcommands_providers_operations_and_events() {
    let out = payhub(&["completions", "bash"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    for needle in [
        "verify-notify",
        "beecloud",
        "query-refund",
        "refund-success",
        "--write-config",
    ] {
        assert!(
            script.contains(needle),
            "{needle} missing from the bash script"
        );
    }
    let out = payhub(&["completions", "zsh"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    for needle in ["beecloud", "query-refund", "refund-success"] {
        assert!(
            script.contains(needle),
            "{needle} missing from the zsh script"
        );
    }
    // clap_complete's fish, elvish and PowerShell scripts complete subcommands and options
    // (not positional values).
    for shell in ["fish", "elvish", "powershell"] {
        let out = payhub(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(
            script.contains("verify-notify") && script.contains("write-config"),
            "{shell}"
        );
    }
}

#[test]
fn call_refuses_unknown_fields_by_name_and_reports_all_missing_at_once() {
    // The config does not exist: the fields are checked first, so it is never read.
    let missing_config = "/nonexistent/payhub.toml";
    let out = payhub(&[
        "call",
        "sunmi",
        "create",
        "--config",
        missing_config,
        "order_no=A1",
        "amout=0.01",
        "method=wechat_jsapi",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("unknown field amout"), "{err}");
    assert!(
        err.contains("missing fields for create with method=wechat_jsapi: amount=... subject=... notify_url=... app_id=... open_id=..."),
        "{err}"
    );
    assert!(!err.contains(missing_config), "{err}");

    // A method's fields belong to that method only.
    let out = payhub(&[
        "call",
        "sunmi",
        "create",
        "--config",
        missing_config,
        "order_no=A1",
        "amount=0.01",
        "subject=s",
        "notify_url=http://127.0.0.1:9/n",
        "method=wechat_native",
        "open_id=o",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown field open_id for create with method=wechat_native")
    );

    let out = payhub(&[
        "call",
        "sunmi",
        "create",
        "--config",
        missing_config,
        "order_no=A1",
        "amount=0.01",
        "subject=s",
        "notify_url=http://127.0.0.1:9/n",
        "method=paypal",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown method \"paypal\" (expected one of wechat_native,")
    );

    let out = payhub(&["call", "pooul", "query-refund", "--config", missing_config]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing fields for query-refund: order_no=... refund_no=...")
    );

    // Fields right, file missing: reported as a missing file, exit 1.
    let out = payhub(&[
        "call",
        "pooul",
        "query",
        "--config",
        missing_config,
        "order_no=A1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no such file /nonexistent/payhub.toml"));
}

/// Runs `args` with stdout a pipe whose reader is already closed, as `| head` leaves it.
fn into_closed_pipe(args: &[&str], stdin: &[u8]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(env!("CARGO_BIN_EXE_payhub"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly() {
    const NOTIFY_6_2: &str = "amount=1&businessId=&buyerPayAmount=1&misId=test_5F5EC7A54CDCC58BADC425&msn=D804P89V00033&orderId=15632714718760&orderType=0&payTime=1563271502&platform=alipay&platformId=2019071622001419071050445382&refunded=0&resultCode=T00&resultMsg=Success&sign=GW6jDdLQ1z%2BCFtLoKjmxtMiHeKjm2ZgMTq19gQisV%2FPpOPIBeDXhWEu5WSzxZwiJHVzCQrPhyZX6kdwQ9xGTyxbsKTZj31zUxtWqqcmol7DpkGJRuG9wzqnNCZ7kmUrk8%2FXLs1TRxIusCQuojEZOdsE%2FEWqy%2FOlX4TrD0WqCeW9Kkk1IB5izAamv9BcEEPgYFLo0hBujo85GEjjzJrFs9ds59TYe0ElOZ6zdputanCJZuM6%2FSqQ4a1Xoy%2FMJFKhA6K0zc8ZPFiW0bBMhVFSwSwRY3IEsP0YWva7QcT9AjVW2FFILghJ5vrjonAmhmKCIwtHMA8zwM9j6qgMEF0kCGg%3D%3D&state=3";
    for (args, stdin) in [
        (&["sign", "sunmi", "--key", "k", "a=b"][..], ""),
        (&["--json", "sign", "sunmi", "--key", "k", "a=b"][..], ""),
        (&["verify-notify", "sunmi", "--test-key"][..], NOTIFY_6_2),
        (&["completions", "bash"][..], ""),
        (&["call", "--help"][..], ""),
    ] {
        let out = into_closed_pipe(args, stdin.as_bytes());
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn errors_keep_their_lines_and_json_carries_them() {
    let dir = temp_dir("toml");
    let config = dir.join("payhub.toml");
    std::fs::write(&config, "[sunmi]\napp_id = sm1\n").unwrap();
    let config = config.to_str().unwrap();
    let out = payhub(&["call", "sunmi", "query", "--config", config, "order_no=A1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.len() >= 4, "the TOML error's own lines:\n{err}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains("line 2"),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim_start().starts_with("2 | app_id = sm1")),
        "{err}"
    );
    assert!(lines.iter().any(|l| l.trim_end().ends_with('^')), "{err}");

    let out = payhub(&[
        "--json",
        "call",
        "sunmi",
        "query",
        "--config",
        config,
        "order_no=A1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stderr).unwrap();
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("line 2") && message.contains("\n2 | app_id = sm1\n"),
        "{message}"
    );
    assert!(out.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_is_reported_as_missing() {
    let dir = temp_dir("missing");
    for args in [
        &[
            "verify-notify",
            "sunmi",
            "--public-key",
            "keys/sunmi_platform.pub.pem",
        ][..],
        &["verify-notify", "pooul", "--public-key", "pooul.pem"][..],
        &["verify-notify", "mifeng", "--key", "./mifeng.secret"][..],
        &["sign", "pooul", "--key", "merchant.pem", "a=b"][..],
        &["sign", "sunmi", "--key", "@app.key", "a=b"][..],
    ] {
        let out = payhub_in(Some(&dir), args, &[], b"{}");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        let file = args
            .iter()
            .find(|a| a.contains('.'))
            .unwrap()
            .trim_start_matches('@');
        assert!(
            err.contains(&format!("no such file {file}")),
            "{args:?}: {err}"
        );
        assert!(!err.contains("PEM"), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn json_is_offered_by_sign_and_verify_notify() {
    let out = payhub(&["--json", "sign", "sunmi", "--key", "k", "b=2", "a=1"]);
    let v = stdout_json(&out);
    assert_eq!(v["canonical"], "a=1&b=2");
    assert_eq!(v["hashed"], "a=1&b=2***");
    assert_eq!(v["signature"].as_str().unwrap().len(), 32);
    assert!(!text(&out.stdout).contains("&b=2k"), "the key never prints");

    let out = payhub(&[
        "sign",
        "beecloud",
        "--json",
        "--key",
        "k",
        "app_id=a",
        "timestamp=1",
    ]);
    assert_eq!(stdout_json(&out)["canonical"], "a1");
}

#[test]
fn sign_pooul_keeps_values_as_given_unless_told_json() {
    let dir = temp_dir("pooul-sign");
    let key = RsaPrivateKey::generate_2048().unwrap();
    let path = dir.join("merchant.pem");
    std::fs::write(&path, key.to_pkcs8_pem().expose_secret()).unwrap();
    let out = payhub(&[
        "--json",
        "sign",
        "pooul",
        "--key",
        path.to_str().unwrap(),
        "total_fee=1",
        "mch_trade_id=007",
        "flag=true",
        "count:=2",
        "paid:=true",
        "extra:={\"a\":[1]}",
    ]);
    let v = stdout_json(&out);
    let expected = json!({
        "total_fee": "1", "mch_trade_id": "007", "flag": "true",
        "count": 2, "paid": true, "extra": {"a": [1]},
    });
    let payload: Value = serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload, expected);
    // The token signs exactly that payload with the given key.
    let signed: paysig::Verified<Value> =
        paysig::jwt::decode_rs256(v["token"].as_str().unwrap(), &key.public_key()).unwrap();
    assert_eq!(signed.into_inner(), expected);
    assert!(!text(&out.stdout).contains("PRIVATE"));

    let out = payhub(&["sign", "pooul", "--key", path.to_str().unwrap(), "n:=01x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("n:= is not JSON"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `payhub sandbox` in `cwd` until it has printed its `--json` description, stops it,
/// and returns the description and its stderr.
fn run_sandbox(cwd: &Path, args: &[&str]) -> (Value, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_payhub"))
        .args(args)
        .current_dir(cwd)
        .env_remove("PAYHUB_LOG")
        .env_remove("PAYHUB_SANDBOX_KEYS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut json_text = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        json_text.push_str(&line);
        json_text.push('\n');
        if line == "}" {
            break;
        }
    }
    let description: Value = serde_json::from_str(&json_text)
        .unwrap_or_else(|e| panic!("{e}: the sandbox printed:\n{json_text}"));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    (description, text(&out.stderr))
}

/// A notify endpoint keeping each raw body and answering `status` with `answer`.
async fn receiver(status: u16, answer: &'static str) -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = seen.clone();
    let app = axum::Router::new().route(
        "/notify",
        axum::routing::post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body.to_vec());
                (http::StatusCode::from_u16(status).unwrap(), answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn blocking(
    dir: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Vec<u8>,
) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        payhub_in(Some(&dir), &args, &env, &stdin)
    })
    .await
    .unwrap()
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_files_serve_the_app_verify_notify_and_trigger() {
    let dir = temp_dir("sandbox");
    // A relative --keys-dir: what is printed must not depend on the directory it ran in.
    let (d, stderr) = run_sandbox(
        &dir,
        &[
            "-v",
            "--json",
            "sandbox",
            "--keys-dir",
            "keys",
            "--write-config",
            "payhub.toml",
        ],
    );
    let keys = dir.join("keys").canonicalize().unwrap();

    // Logging on a pipe: the -v line is there, without colour codes.
    assert!(
        stderr.contains("INFO") && stderr.contains("new sandbox keys"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "no ANSI escapes: {stderr:?}");

    // Absolute paths everywhere.
    assert_eq!(Path::new(d["keys_dir"].as_str().unwrap()), keys);
    let export = d["exports"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|l| l.starts_with("export POOUL_MERCHANT_KEY="))
        .unwrap();
    let merchant_file = keys.join("pooul_merchant.pem");
    assert_eq!(
        export,
        format!(
            "export POOUL_MERCHANT_KEY=\"$(cat '{}')\"",
            merchant_file.display()
        )
    );

    // The written payhub.toml builds a hub with the printed environment.
    let written = std::fs::read_to_string(dir.join("payhub.toml")).unwrap();
    assert!(written.contains(d["config"].as_str().unwrap()));
    assert_eq!(
        Path::new(d["config_file"].as_str().unwrap()),
        dir.join("payhub.toml").canonicalize().unwrap()
    );
    let env = d["env"].as_object().unwrap().clone();
    let hub = payhub::Hub::from_toml_str_with_env(&written, &|name| {
        env.get(name).and_then(Value::as_str).map(str::to_owned)
    })
    .unwrap();
    assert_eq!(hub.providers().len(), 4);

    // Each public half is beside its private key and matches it.
    for name in ["sunmi_platform", "pooul_platform", "pooul_merchant"] {
        let private = RsaPrivateKey::from_pem_or_base64(
            &std::fs::read_to_string(keys.join(format!("{name}.pem"))).unwrap(),
        )
        .unwrap();
        let public_path = keys.join(format!("{name}.pub.pem"));
        assert_eq!(
            Path::new(d["key_files"][name]["public"].as_str().unwrap()),
            public_path
        );
        let public =
            RsaPublicKey::from_pem_or_base64(&std::fs::read_to_string(&public_path).unwrap())
                .unwrap();
        assert_eq!(
            public.to_spki_der(),
            private.public_key().to_spki_der(),
            "{name}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&merchant_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "a private key is its owner's only");
    }

    // trigger finds the same keys from another directory through PAYHUB_SANDBOX_KEYS, and
    // the notify it sends verifies with the public key file.
    let elsewhere = temp_dir("sandbox-elsewhere");
    let (url, seen) = receiver(200, "success").await;
    let env = vec![("PAYHUB_SANDBOX_KEYS".to_owned(), keys.display().to_string())];
    let out = blocking(
        elsewhere.clone(),
        strings(&[
            "--json",
            "trigger",
            "sunmi",
            "pay-success",
            "--to",
            &url,
            "--order-no",
            "T-FILES",
            "--amount",
            "0.02",
        ]),
        env,
        vec![],
    )
    .await;
    let t = stdout_json(&out);
    assert_eq!(
        (
            t["acknowledged"].as_bool(),
            t["order_no"].as_str(),
            t["status"].as_u64()
        ),
        (Some(true), Some("T-FILES"), Some(200))
    );
    assert!(
        std::fs::read_dir(&elsewhere).unwrap().next().is_none(),
        "nothing created"
    );
    let body = seen.lock().unwrap()[0].clone();
    let public_file = keys.join("sunmi_platform.pub.pem").display().to_string();
    let out = blocking(
        dir.clone(),
        strings(&["verify-notify", "sunmi", "--public-key", &public_file]),
        vec![],
        body.clone(),
    )
    .await;
    let v = stdout_json(&out);
    assert_eq!(
        (
            v["verified"].as_bool(),
            v["notification"]["orderId"].as_str()
        ),
        (Some(true), Some("T-FILES"))
    );
    // The private key file is named as the mix-up it is.
    let private_file = keys.join("sunmi_platform.pem").display().to_string();
    let out = blocking(
        dir.clone(),
        strings(&["verify-notify", "sunmi", "--public-key", &private_file]),
        vec![],
        body,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("private key") && err.contains(".pub.pem"),
        "{err}"
    );

    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&elsewhere);
}

#[tokio::test(flavor = "multi_thread")]
async fn trigger_never_creates_keys() {
    let dir = temp_dir("trigger-nokeys");
    let (url, seen) = receiver(200, "success").await;
    let out = blocking(
        dir.clone(),
        strings(&["trigger", "pooul", "pay-success", "--to", &url]),
        vec![],
        vec![],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("no sandbox keys in") && err.contains("payhub sandbox --keys-dir"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "nothing created"
    );
    assert!(seen.lock().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn trigger_stops_at_the_first_permanent_4xx() {
    // Pooul: its first retry is 15 s later (250 ms at the trigger's time scale), long
    // enough to see that the first answer ended it.
    let dir = temp_dir("trigger-4xx");
    payhub_sandbox::SandboxKeys::load_or_create_dir(&dir.join("keys")).unwrap();
    let (url, seen) = receiver(403, "forbidden").await;
    // --wait is long: only the 403 can end this early, after one attempt (the sandbox retries
    // an unacknowledged notify on the provider's schedule, 60 times faster).
    let out = blocking(
        dir.clone(),
        strings(&[
            "trigger",
            "pooul",
            "pay-success",
            "--to",
            &url,
            "--keys-dir",
            "keys",
            "--wait",
            "120",
        ]),
        vec![],
        vec![],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("HTTP 403 \"forbidden\", which no retry changes; stopped after 1 attempt(s)"),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);

    // 429 asks to come back later: it is retried.
    let (url, seen) = receiver(429, "slow down").await;
    let out = blocking(
        dir.clone(),
        strings(&[
            "trigger",
            "pooul",
            "pay-success",
            "--to",
            &url,
            "--keys-dir",
            "keys",
            "--wait",
            "3",
        ]),
        vec![],
        vec![],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("timed out"),
        "{}",
        text(&out.stderr)
    );
    assert!(seen.lock().unwrap().len() > 1, "retried");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_steps_are_json_lines_under_json() {
    let out = payhub(&["--json", "demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Every line of stdout is one JSON object: the steps and the headings.
    let steps: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert!(
        steps.iter().any(|s| s["heading"] == "every step held"),
        "{steps:?}"
    );
    for p in ["sunmi", "pooul", "beecloud", "mifeng"] {
        assert!(
            steps
                .iter()
                .any(|s| s["provider"] == p && s["step"] == "notify" && s["ok"] == true),
            "{p}: {steps:?}"
        );
    }
}

#[test]
fn logging_follows_v_and_payhub_log_without_colour_on_a_pipe() {
    let dir = temp_dir("logging");
    let config = dir.join("payhub.toml");
    // Nothing listens on the discard port: the query is not sent, after some logging.
    std::fs::write(
        &config,
        format!(
            "[sunmi]\nbase_url = \"http://127.0.0.1:9\"\napp_id = \"sm5b9b4daef3463\"\n\
             app_key_env = \"PAYHUB_TEST_LOG_KEY\"\nmerchant_no = \"8202915737\"\n\
             sunmi_public_key = \"\"\"{}\"\"\"\n",
            sunmi::TEST_PUBLIC_KEY
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let run = |verbose: Option<&str>, payhub_log: Option<&str>| {
        let mut args = vec![];
        args.extend(verbose);
        args.extend(["call", "sunmi", "query", "--config", config, "order_no=A1"]);
        let mut env = vec![("PAYHUB_TEST_LOG_KEY", "k")];
        env.extend(payhub_log.map(|l| ("PAYHUB_LOG", l)));
        let out = payhub_in(None, &args, &env, b"");
        assert_eq!(
            out.status.code(),
            Some(4),
            "not_sent: {}",
            text(&out.stderr)
        );
        text(&out.stderr)
    };
    let has_level = |err: &str, level: &str| err.lines().any(|l| l.contains(&format!(" {level} ")));

    let quiet = run(None, None);
    assert!(
        !has_level(&quiet, "INFO") && !has_level(&quiet, "DEBUG"),
        "{quiet}"
    );
    let debug = run(Some("-vv"), None);
    assert!(
        has_level(&debug, "DEBUG") && !has_level(&debug, "TRACE"),
        "{debug}"
    );
    assert!(!debug.contains('\u{1b}'), "no ANSI escapes on a pipe");
    let trace = run(Some("-vvv"), None);
    assert!(has_level(&trace, "TRACE"));
    // PAYHUB_LOG wins over -v.
    let overridden = run(Some("-vvv"), Some("error"));
    assert!(
        !has_level(&overridden, "DEBUG") && !has_level(&overridden, "INFO"),
        "{overridden}"
    );
    let targeted = run(None, Some("paysig=info"));
    assert!(
        has_level(&targeted, "INFO") && !has_level(&targeted, "DEBUG"),
        "{targeted}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
