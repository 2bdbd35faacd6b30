//! Ledger figures, as a bench binary (`harness = false`):
//!
//! ```text
//! PAYHUB_POSTGRES_URL=postgres://... cargo bench -p payhub-ledger --features postgres --bench ledger
//! ```
//! - ledger writes per second on SQLite (a file) and PostgreSQL (when PAYHUB_POSTGRES_URL is
//!   set): record a payment; apply a notify transition; each by one writer and by 8;
//! - a sweep of PAYHUB_BENCH_SWEEP (default 10,000) pending payments whose notifies the
//!   sandbox dropped: wall time and queries sent, with the sweeper's own rate cap lifted (the
//!   providers' limits are the real bound: see the crate README).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Db, POOUL, request};
use futures::StreamExt;
use payhub_ledger::{Ledger, Observed, RecordOnly, Source, SweepConfig, Sweeper};
use payhub_sandbox::ProviderKind;
use paysig::Money;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn writes(label: &str, ledger: &Ledger, n: usize, writers: usize) {
    let prefix = format!("W{writers}{}", paysig::nonce()[..6].to_uppercase());
    let per = n / writers;
    let t = Instant::now();
    futures::stream::iter(0..writers)
        .for_each_concurrent(writers, |w| {
            let (ledger, prefix) = (ledger.clone(), prefix.clone());
            async move {
                for i in 0..per {
                    let o = format!("{prefix}-{w}-{i}");
                    ledger
                        .record_creating(POOUL, &request(&o, 100, "http://127.0.0.1:9/n"), None)
                        .await
                        .expect("record");
                }
            }
        })
        .await;
    let record = t.elapsed();
    let t = Instant::now();
    futures::stream::iter(0..writers)
        .for_each_concurrent(writers, |w| {
            let (ledger, prefix) = (ledger.clone(), prefix.clone());
            async move {
                for i in 0..per {
                    let o = format!("{prefix}-{w}-{i}");
                    ledger
                        .apply_evidence(
                            POOUL,
                            &o,
                            Observed::Paid,
                            Some(Money::from_fen(100)),
                            Source::Notify,
                            json!({"bench": true}),
                        )
                        .await
                        .expect("transition");
                }
            }
        })
        .await;
    let transition = t.elapsed();
    let total = (per * writers) as f64;
    println!(
        "{label:<9} {writers} writer(s): record a payment {:>7.0}/s, apply a notify transition {:>7.0}/s ({} each)",
        total / record.as_secs_f64(),
        total / transition.as_secs_f64(),
        per * writers
    );
}

async fn sweep(label: &str, db: Db, n: usize) {
    let (ledger, _) = common::ledger(db).await;
    let sandbox = common::sandbox(true).await;
    let lh = ledger.clone().with_hub(common::hub(&sandbox));
    let prefix = format!("SW{}", paysig::nonce()[..6].to_uppercase());
    let t = Instant::now();
    futures::stream::iter(0..n)
        .for_each_concurrent(16, |i| {
            let (lh, prefix, sandbox) = (lh.clone(), prefix.clone(), &sandbox);
            async move {
                let o = format!("{prefix}{i:06}");
                lh.create_payment(POOUL, &request(&o, 100, "http://127.0.0.1:9/n"), None)
                    .await
                    .expect("create");
                sandbox.pay(ProviderKind::Pooul, &o).expect("pay");
            }
        })
        .await;
    let setup = t.elapsed();
    let config = SweepConfig::default()
        .immediate()
        .queries_per_second(1_000_000)
        .concurrency(32);
    let t = Instant::now();
    let report = Sweeper::new(lh, Arc::new(RecordOnly), config)
        .run_once()
        .await;
    let wall = t.elapsed();
    assert!(
        report.errors.is_empty(),
        "{:?}",
        &report.errors[..report.errors.len().min(3)]
    );
    assert_eq!(report.delivered, n as u64);
    println!(
        "{label:<9} sweep of {n} pending payments (notifies dropped): {:.1} s wall, {} queries sent, {} settled, {:.0} payments/s (setup: {n} creates + pays in {:.1} s)",
        wall.as_secs_f64(),
        report.queries,
        report.delivered,
        n as f64 / wall.as_secs_f64(),
        setup.as_secs_f64()
    );
    sandbox.shutdown().await;
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: then run small.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = if quick {
        50
    } else {
        env_usize("PAYHUB_BENCH_WRITES", 2000)
    };
    let sweep_n = if quick {
        20
    } else {
        env_usize("PAYHUB_BENCH_SWEEP", 10_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut dbs = vec![("sqlite", Db::Sqlite)];
        if std::env::var("PAYHUB_POSTGRES_URL").is_ok() {
            dbs.push(("postgres", Db::Postgres));
        }
        for (label, db) in &dbs {
            let (ledger, _) = common::ledger(*db).await;
            writes(label, &ledger, n, 1).await;
            writes(label, &ledger, n, 8).await;
        }
        for (label, db) in &dbs {
            sweep(label, *db, sweep_n).await;
        }
    });
}
