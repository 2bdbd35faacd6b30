//! The hub's TOML read by serde: unknown keys and wrong types named with their line, values
//! never echoed, `Hub::from_path`, secrets from the environment.

use payhub::config::HubConfig;
use payhub::{Error, Hub, Provider};

fn config_error(text: &str) -> String {
    match Hub::from_toml_str_with_env(text, &|_| Some("from-the-env".into())) {
        Err(Error::Config(m)) => m,
        other => panic!("expected a Config error, got {other:?}"),
    }
}

const SUNMI: &str = "[sunmi]\nenvironment = \"test\"\napp_id = \"sm1\"\napp_key_env = \"SUNMI_APP_KEY\"\nmerchant_no = \"8202915737\"\n";

#[test]
fn an_unknown_key_is_named_with_its_section_and_line() {
    let m = config_error(&format!("{SUNMI}timeout_sec = 5\n"));
    assert!(m.contains("[sunmi]"), "{m}");
    assert!(m.contains("line 6"), "{m}");
    assert!(m.contains("unknown key \"timeout_sec\""), "{m}");
    // The expected keys are listed, so the typo is easy to fix.
    assert!(m.contains("timeout_secs"), "{m}");

    let m = config_error("[notify]\nbody_limit = 1\nconfirm = [\"sunmi\"]\n");
    assert!(
        m.contains("[notify] line 3: unknown key \"confirm\""),
        "{m}"
    );

    let m = config_error("[paypal]\nkey = 1\n");
    assert!(m.contains("line 1") && m.contains("\"paypal\""), "{m}");
}

#[test]
fn a_secret_written_into_the_file_is_never_echoed() {
    // An unknown key holding a secret, and a secret where the variable's name belongs.
    let m = config_error(&format!("{SUNMI}app_key = \"S3CRET-VALUE\"\n"));
    assert!(m.contains("app_key") && !m.contains("S3CRET"), "{m}");
    let m = config_error(&SUNMI.replace("\"SUNMI_APP_KEY\"", "\"S3CRET VALUE/+=\""));
    assert!(
        m.contains("app_key_env") && m.contains("NAME") && !m.contains("S3CRET"),
        "{m}"
    );
    // A wrong type names the key and hides a string value.
    let m = config_error(&format!("{SUNMI}timeout_secs = \"S3CRET\"\n"));
    assert!(m.contains("line 6: timeout_secs:"), "{m}");
    assert!(!m.contains("S3CRET"), "{m}");
}

#[test]
fn a_missing_required_key_is_named() {
    let m =
        config_error("[sunmi]\nenvironment = \"test\"\napp_id = \"sm1\"\nmerchant_no = \"1\"\n");
    assert!(m.contains("[sunmi]") && m.contains("app_key_env"), "{m}");
}

#[test]
fn secrets_come_from_the_environment_and_mch_id_may_be_an_integer() {
    let text = format!(
        "{SUNMI}\n[mifeng]\nbase_url = \"http://127.0.0.1:9\"\nmch_id = 1000123\nsecret_env = \"MF_SECRET\"\n\n[notify]\nconfirm_by_query = [\"sunmi\"]\nbody_limit = 4096\n"
    );
    let seen = std::sync::Mutex::new(Vec::new());
    let env = |name: &str| {
        seen.lock().unwrap().push(name.to_owned());
        Some(format!("value-of-{name}"))
    };
    let hub = Hub::from_toml_str_with_env(&text, &env).unwrap();
    assert_eq!(hub.providers(), [Provider::Mifeng, Provider::Sunmi]);
    assert_eq!(hub.notify_body_limit(), 4096);
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(seen, ["MF_SECRET", "SUNMI_APP_KEY"]);

    let parsed = HubConfig::from_toml_str(&text).unwrap();
    assert_eq!(parsed.mifeng.unwrap().mch_id.0, "1000123");
    assert_eq!(parsed.notify.confirm_by_query, [Provider::Sunmi]);
}

#[test]
fn from_path_reads_the_file_and_names_it_in_errors() {
    let dir = std::env::temp_dir().join(format!("payhub-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("payhub.toml");
    std::fs::write(&path, "[notify]\nbody_limit = 2048\n").unwrap();
    assert_eq!(Hub::from_path(&path).unwrap().notify_body_limit(), 2048);

    std::fs::write(&path, "[notify]\nbody_limt = 2048\n").unwrap();
    match Hub::from_path(&path) {
        Err(Error::Config(m)) => {
            assert!(m.contains("payhub.toml"), "{m}");
            assert!(m.contains("line 2") && m.contains("body_limt"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    match Hub::from_path(dir.join("absent.toml")) {
        Err(Error::Config(m)) => assert!(m.contains("absent.toml"), "{m}"),
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_file_is_a_hub_without_providers() {
    let hub = Hub::from_toml_str_with_env("", &|_| None).unwrap();
    assert!(hub.providers().is_empty());
}

#[test]
fn a_secret_written_inline_in_a_key_ring_never_shows_in_debug() {
    // The parsed config can be printed (a startup log) before building the hub refuses it.
    let text = "[mifeng]\nbase_url = \"http://127.0.0.1:9\"\nmch_id = \"1\"\nsecret_env = \"MF\"\nnotify_secrets = [{ label = \"k1\", value = \"S3CRET-INLINE\" }]\n";
    let parsed = HubConfig::from_toml_str(text).expect("parses; the hub refuses it later");
    let shown = format!("{parsed:?}");
    assert!(
        shown.contains("k1") && shown.contains("<redacted>"),
        "{shown}"
    );
    assert!(!shown.contains("S3CRET"), "{shown}");
}
