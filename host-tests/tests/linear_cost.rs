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

use customs_host::bench::hostile::{self, bodies};
use customs_host::bench::send_chat;
use customs_host::bench::texts::sized;
use customs_host::bench::texts::KIB;
use customs_host::{wasm_path, Host, Plugin, Response, Worker};
use serde_json::json;

const SMALL: usize = 32 * KIB;
const LARGE: usize = 1024 * KIB;
/// The most the fuel per byte may grow from [`SMALL`] to [`LARGE`].
const MAX_GROWTH: f64 = 2.0;

fn worker() -> Worker {
    let host = Host::new();
    host.echo_logs(false);
    let policy = hostile::policy();
    host.plugin(Plugin::from_file(wasm_path()).unwrap().config(policy))
        .start_vm()
        .unwrap()
}

/// The fuel one chat request of `body` burns, sent in 16 KiB chunks as Envoy
/// delivers them; None when it did not cross.
fn fuel_of(worker: &Worker, body: &[u8]) -> Option<u64> {
    let before = worker.fuel_burnt();
    send_chat(worker, body).then(|| worker.fuel_burnt() - before)
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

/// An answer's chunks, of about `size` bytes, echoing `placeholder`.
type Answer = fn(placeholder: &str, size: usize) -> Vec<Vec<u8>>;

/// A JSON chat completion whose text echoes the placeholder and holds a new
/// phone number every 40 bytes.
fn json_answer(placeholder: &str, size: usize) -> Vec<Vec<u8>> {
    let text = sized(&format!("mail {placeholder}, or 13912345678. "), size);
    let answer = json!({"id": "x", "object": "chat.completion", "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}});
    vec![answer.to_string().into_bytes()]
}

/// One streamed chat event whose delta is `content`.
fn event(content: &str) -> String {
    let data = json!({"id": "x", "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": content}}]});
    format!("data: {data}\n\n")
}

/// A stream of about `size` bytes: `events` repeated, then `[DONE]`, cut into
/// 16 KiB chunks as the network delivers them.
fn stream_of(events: &str, size: usize) -> Vec<Vec<u8>> {
    let stream = format!("{}data: [DONE]\n\n", sized(events, size));
    stream
        .into_bytes()
        .chunks(16 * KIB)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Events that each echo the placeholder and hold a new phone number.
fn echoing_stream(placeholder: &str, size: usize) -> Vec<Vec<u8>> {
    stream_of(
        &event(&format!("mail {placeholder} or 13912345678. ")),
        size,
    )
}

/// Tiny events of one letter each (one run of letters, which the answer's
/// scan holds back up to its bound), after two that split the placeholder
/// and one space.
fn tiny_events(placeholder: &str, size: usize) -> Vec<Vec<u8>> {
    let (head, tail) = placeholder.split_at(placeholder.len() / 2);
    let split = format!("{}{}{}", event(head), event(tail), event(" "));
    let mut chunks = stream_of(&event("a"), size);
    chunks.insert(0, split.into_bytes());
    chunks
}

/// Answers, with every value pseudonymised in the request and the answers
/// scanned: the same per-byte bound for a JSON answer and a stream that echo
/// the placeholder and hold a new value every few bytes, and a stream of
/// tiny events.
#[test]
fn fuel_per_byte_stays_flat_on_answers_that_restore_and_scan() {
    let host = Host::new();
    host.echo_logs(false);
    let policy = json!({"redact": {"actions": {"*": "pseudonymize"}, "scan_responses": true}});
    let worker = host
        .plugin(Plugin::from_file(wasm_path()).unwrap().config(policy))
        .start_vm()
        .unwrap();
    let request = json!({"model": "gpt-4o", "stream": true, "messages": [
        {"role": "user", "content": "write to alice@example.com or call 13812345678"}
    ]})
    .to_string();
    // The fuel per byte of one answer made by `make` (the request before it
    // not counted); the e-mail address must come back to the client.
    let fuel_per_byte = |make: Answer, size: usize| {
        let mut stream = worker.stream();
        let headers = [
            (":method", "POST"),
            (":path", "/v1/chat/completions"),
            ("content-type", "application/json"),
        ];
        stream.send_request(&headers, request.as_bytes(), 1);
        let sent = stream.upstream().expect("the request crossed").body;
        let sent = String::from_utf8_lossy(&sent);
        let placeholder = sent
            .find("[EMAIL")
            .and_then(|at| sent.get(at..))
            .and_then(|rest| rest.get(..=rest.find(']')?))
            .expect("a placeholder crossed");
        let chunks = make(placeholder, size);
        let bytes: usize = chunks.iter().map(Vec::len).sum();
        let slices: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let content_type = if chunks.len() > 1 {
            "text/event-stream"
        } else {
            "application/json"
        };
        let before = worker.fuel_burnt();
        stream.respond_chunks(
            &Response::new(200).header("content-type", content_type),
            &slices,
        );
        let client = stream.client();
        assert_eq!(client.status(), 200);
        let body = String::from_utf8_lossy(&client.body);
        assert!(
            body.contains("alice@example.com"),
            "{placeholder} was not put back"
        );
        assert!(
            !body.contains("13912345678"),
            "the answer's phone number was not redacted"
        );
        stream.finish();
        (worker.fuel_burnt() - before) as f64 / bytes as f64
    };
    let answers: [(&str, Answer); 3] = [
        ("a JSON answer", json_answer),
        ("a stream, the placeholder in every event", echoing_stream),
        ("a stream of tiny events", tiny_events),
    ];
    let mut report = Vec::new();
    for (name, make) in answers {
        let (small, large) = (fuel_per_byte(make, SMALL), fuel_per_byte(make, LARGE));
        let growth = large / small;
        report.push(format!(
            "{name}: {small:.0} → {large:.0} fuel a byte ({growth:.2})"
        ));
        assert!(growth <= MAX_GROWTH, "{}", report.join("\n"));
    }
    eprintln!("{}", report.join("\n"));
    assert!(!worker.is_failed(), "{:?}", worker.traps());
}
