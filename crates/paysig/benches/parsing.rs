//! Parsing a hostile notify body: 2 MiB holding 100,000 keys, as a form and as a JSON object.
//! The duplicate-key checks are linear, so each parse stays far under 50 ms (the quadratic
//! check took 2.8 s for 40,000 keys); a notify reader refuses such a body before parsing at
//! all (`paysig::limit`), which the third bench shows.
//!
//! `cargo bench -p paysig --bench parsing`

use criterion::{Criterion, criterion_group, criterion_main};
use paysig::Params;
use paysig::limit::{DEFAULT_NOTIFY_BODY_LIMIT, check_body_len};
use paysig::rawjson::RawObject;
use std::hint::black_box;

const KEYS: usize = 100_000;
const SIZE: usize = 2 * 1024 * 1024;

/// `k000000=vvvv&k000001=vvvv…`, padded with one long value to exactly 2 MiB.
fn form_body() -> Vec<u8> {
    let mut s = String::with_capacity(SIZE);
    for i in 0..KEYS {
        if i > 0 {
            s.push('&');
        }
        s.push_str(&format!("k{i:06}=v"));
    }
    s.push_str("&pad=");
    while s.len() < SIZE {
        s.push('x');
    }
    s.into_bytes()
}

fn json_body() -> Vec<u8> {
    let mut s = String::with_capacity(SIZE);
    s.push('{');
    for i in 0..KEYS {
        s.push_str(&format!("\"k{i:06}\":1,"));
    }
    s.push_str("\"pad\":\"");
    while s.len() < SIZE - 2 {
        s.push('x');
    }
    s.push_str("\"}");
    s.into_bytes()
}

fn parsing(c: &mut Criterion) {
    let form = form_body();
    let json = json_body();
    assert_eq!(form.len(), SIZE);
    assert_eq!(json.len(), SIZE);
    assert_eq!(Params::parse_form(&form).unwrap().len(), KEYS + 1);
    assert_eq!(RawObject::parse(&json).unwrap().iter().count(), KEYS + 1);
    c.bench_function("parse_form 2 MiB, 100k keys", |b| {
        b.iter(|| Params::parse_form(black_box(&form)).unwrap())
    });
    c.bench_function("rawjson 2 MiB, 100k members", |b| {
        b.iter(|| RawObject::parse(black_box(&json)).unwrap())
    });
    c.bench_function("limit refuses 2 MiB before parsing", |b| {
        b.iter(|| check_body_len(black_box(&form), DEFAULT_NOTIFY_BODY_LIMIT).unwrap_err())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_millis(300));
    targets = parsing
}
criterion_main!(benches);
