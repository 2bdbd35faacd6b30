//! Client construction warns once about a platform key under 2048 bits, naming its size and
//! never the key. In its own test binary: tracing caches callsite interest per process, so a
//! test running at the same moment without a subscriber could switch the callsite off.

mod common;

use common::*;
use pooul::Client;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs_of(f: impl FnOnce()) -> String {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
}

#[test]
fn a_legacy_platform_key_is_warned_about_once_by_size_only() {
    let pem = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/pooul/devdocs/platform_public_1024.pem"),
    )
    .unwrap();
    let key = pooul::load_platform_key(&pem).unwrap();
    let logs = logs_of(|| {
        let mut c = config("http://127.0.0.1:9");
        c.pooul_public_key = key.clone();
        Client::new(c).unwrap();
    });
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{logs}");
    assert!(warnings[0].contains("1024 bits"), "{logs}");
    assert!(warnings[0].contains("key_bits=1024"), "{logs}");
    // No key material: no line of the PEM body, no part of the SPKI in hex or base64.
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!logs.contains(&line[..20]), "key material in {logs}");
    }
    let hex: String = key.to_spki_der()[40..60]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!logs.to_lowercase().contains(&hex), "{logs}");

    // A 2048-bit platform key: no warning at all.
    let logs = logs_of(|| {
        Client::new(config("http://127.0.0.1:9")).unwrap();
    });
    assert!(!logs.contains("WARN"), "{logs}");
}
