//! The cost of a request through the `.wasm` grows linearly with its body,
//! whatever the body holds: weighed in fuel (wasm instructions, as wasmtime
//! counts them), which is the same on every run and every machine, so this
//! is a test of behaviour and not of speed (`customs bench-detect --only
//! hostile` times the same bodies).
//!
//! Each of the hostile bodies (`customs_host::bench::hostile`: nothing but
//! digits, digit groups, `@` signs, names before every number, tables, nesting
//! at the depth limit, ...) is sent at 32 KiB and at 1 MiB; the fuel per byte
//! at 1 MiB may be at most twice that at 32 KiB (the bound). A path
//! that reads on to the end of the text from each of its parts costs 32 times
//! as much per byte at 1 MiB.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use customs_host::bench::hostile::bodies;
use customs_host::bench::texts::KIB;
use customs_host::{split, wasm_path, Host, Plugin, Worker};
use serde_json::json;

const SMALL: usize = 32 * KIB;
const LARGE: usize = 1024 * KIB;
/// The most the fuel per byte may grow from [`SMALL`] to [`LARGE`].
const MAX_GROWTH: f64 = 2.0;

fn worker() -> Worker {
    let host = Host::new();
    host.echo_logs(false);
    // Room for the 1 MiB bodies (the default limit is 1 MiB of body exactly).
    let policy = json!({"request": {"max_body_bytes": 4 * 1024 * 1024}});
    host.plugin(Plugin::from_file(wasm_path()).unwrap().config(policy))
        .start_vm()
        .unwrap()
}

/// The fuel one request of `body` burns, sent in 16 KiB chunks as Envoy
/// delivers them; None when it did not cross.
fn fuel_of(worker: &Worker, body: &[u8]) -> Option<u64> {
    let before = worker.fuel_burnt();
    let length = body.len().to_string();
    let headers = [
        (":method", "POST"),
        (":path", "/v1/chat/completions"),
        ("content-type", "application/json"),
        ("content-length", length.as_str()),
    ];
    let mut stream = worker.stream();
    let parts = body.len().div_ceil(16 * KIB).max(1);
    stream.request_headers(&headers, false);
    for (i, chunk) in split(body, parts).iter().enumerate() {
        stream.request_body(chunk, i + 1 == parts);
    }
    let crossed = stream.crossed();
    stream.finish();
    crossed.then(|| worker.fuel_burnt() - before)
}

#[test]
fn fuel_per_byte_stays_flat_from_32_kib_to_1_mib_on_every_hostile_body() {
    let worker = worker();
    let mut report = Vec::new();
    let mut too_steep = Vec::new();
    for (name, make) in bodies() {
        let per_byte = |size: usize| {
            // `make` builds a body of about its argument; the JSON around
            // the text adds a few bytes.
            let body = make(size.saturating_sub(60)).to_string().into_bytes();
            let fuel = fuel_of(&worker, &body).unwrap_or_else(|| {
                panic!("the {name} request of {} bytes did not cross", body.len())
            });
            fuel as f64 / body.len() as f64
        };
        let (small, large) = (per_byte(SMALL), per_byte(LARGE));
        assert!(small > 0.0, "{name}: no fuel counted");
        let growth = large / small;
        report.push(format!(
            "{name}: {small:.0} → {large:.0} fuel a byte ({growth:.2})"
        ));
        if growth > MAX_GROWTH {
            too_steep.push(name);
        }
    }
    // Seen with `--nocapture`.
    eprintln!("{}", report.join("\n"));
    assert!(
        too_steep.is_empty(),
        "cost per byte grows more than {MAX_GROWTH}x from 32 KiB to 1 MiB on {too_steep:?}:\n{}",
        report.join("\n")
    );
    assert!(!worker.is_failed(), "{:?}", worker.traps());
}

#[test]
fn fuel_counts_the_work_a_body_asks_for() {
    // The measure itself: a body of twice the prose burns well over half
    // as much fuel again.
    let worker = worker();
    let chat = |text: &str| {
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]})
            .to_string()
            .into_bytes()
    };
    let one = fuel_of(&worker, &chat(&"hello world ".repeat(1000))).unwrap();
    let two = fuel_of(&worker, &chat(&"hello world ".repeat(2000))).unwrap();
    assert!(two > one + one / 2, "{one} then {two}");
}
