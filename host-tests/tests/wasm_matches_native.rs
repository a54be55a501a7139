//! The `.wasm` and the native library decide alike, byte for byte.
//!
//! The loops that pass over every byte (where a detector may start, what the
//! normaliser folds, what a JSON string escapes, runs of letters for the token
//! estimate, the sweep's look for rare bytes, UTF-8 validation) use vector
//! instructions in the `.wasm` and a portable form of the same code natively,
//! where the unit tests run. This test holds the two to one result: random
//! request bodies, built to put every kind of byte those loops look for at
//! every offset of a sixteen-byte chunk, go through the `.wasm` under the
//! harness and through the engine natively, and must come out the same: the
//! same bytes upstream, the same tags, or the same refusal.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use customs_filter::engine::{Ctx, Engine, HeadStep, HeaderEdit, RequestHead, Verdict};
use customs_filter::limits::store::MemoryStore;
use customs_host::{wasm_path, Host, Plugin, Worker};
use serde_json::json;

const CASES: usize = 1500;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// Pieces of text: prose, the bytes each search stops at (other scripts'
/// digits and letters sharing their lead bytes among them; Chinese numerals
/// and characters that share their bytes), and values the
/// detectors find (some disguised with full-width forms and zero-width
/// characters).
#[rustfmt::skip]
const PIECES: &[&str] = &[
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dogs", "extraordinarily",
    "Report", "ACME", "camelCase", "iPhone", " ", " ", " ", "  ", ". ", ", ", "; ", "!",
    "?", ":", "-", "_", "+", "@", "[", "]", "A", "J", "0", "7", "42", "2026", "\"", "\\",
    "\n", "\t", "\r", "\u{1}", "\u{1f}", "\u{7f}", "é", "ñ", "Ω", "中文", "数据", "客户",
    "，", "。", "、", "１３８", "ｘ", "\u{200B}", "\u{00A0}", "\u{3000}", "\u{2014}",
    "\u{FEFF}", "😀", "zhang.wei@example.com", "alice.smith+tag@mail.example.org",
    "13812345678", "+86 138 1234 5678", "４１１１１１１１１１１１１１１１",
    "4111 1111 1111 1111", "110101199003074578", "sk-proj-abcdefghijklmnopqrstuvwx",
    "AKIAIOSFODNN7EXAMPLE", "10.0.12.7", "2001:db8::1", "GB82WEST12345698765432",
    "١٣٨١٢٣٤٥٦٧٨", "۴۱۱۱", "१३८", "๑๓๘", "𝟏𝟑𝟖", "꘡", "߁", "ก", "ש", "한국어", "ß",
    "{\"a\":1}", "一", "八", "〇", "伍", "中", "些", "一三八〇〇一三八〇〇〇", "幺三九 一二三四",
];

fn text(rng: &mut Rng) -> String {
    let pieces = rng.below(300);
    (0..pieces).map(|_| *rng.pick(PIECES)).collect()
}

fn body(rng: &mut Rng) -> Vec<u8> {
    let messages: Vec<_> = (0..1 + rng.below(4))
        .map(|i| {
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            json!({"role": role, "content": text(rng)})
        })
        .collect();
    serde_json::to_vec(&json!({"model": "gpt-4o-mini", "messages": messages})).unwrap()
}

const PATH: &str = "/v1/chat/completions";

fn headers(length: usize) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        ("content-length".into(), length.to_string()),
        ("x-request-id".into(), "wasm-matches-native".into()),
    ]
}

/// What crossed: the body and the tags set, or the refusal.
#[derive(Debug, PartialEq)]
enum Outcome {
    Crossed(Vec<u8>, Vec<(String, String)>),
    Refused(u16, Vec<u8>),
}

/// Tags that name the request alone (its time, its signature) differ
/// between the two runs by design; every other tag must match.
fn comparable(name: &str) -> bool {
    name.starts_with("x-customs-") && !matches!(name, "x-customs-attestation")
}

fn native(engine: &Engine, body: &[u8]) -> Outcome {
    let ctx = Ctx {
        now_ms: 1_700_000_000_000,
        random: 7,
    };
    let store = MemoryStore::new();
    let head = RequestHead::new("POST", PATH, headers(body.len()));
    let HeadStep::AwaitBody(mut exchange) = engine.on_request_head(&head, true, ctx) else {
        panic!("the head alone decided");
    };
    match engine.on_request_body(&head, &mut exchange, body, ctx, &store) {
        Verdict::Forward(forward) => {
            let mut tags: Vec<(String, String)> = forward
                .headers
                .into_iter()
                .filter_map(|edit| match edit {
                    HeaderEdit::Set(name, value) if comparable(&name) => Some((name, value)),
                    _ => None,
                })
                .collect();
            tags.sort();
            Outcome::Crossed(forward.body.unwrap_or_else(|| body.to_vec()), tags)
        }
        Verdict::Respond(reply) => Outcome::Refused(reply.status, reply.body),
    }
}

fn through_wasm(worker: &Worker, body: &[u8]) -> Outcome {
    let mut s = worker.stream();
    let mut head: Vec<(String, String)> = vec![
        (":method".into(), "POST".into()),
        (":path".into(), PATH.into()),
    ];
    head.extend(headers(body.len()));
    let head: Vec<(&str, &str)> = head.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s.request_headers(&head, false);
    s.request_body(body, true);
    assert!(s.trap().is_none(), "trapped: {:?}", s.trap());
    let outcome = match s.upstream() {
        Some(up) => {
            let mut tags: Vec<(String, String)> = up
                .headers
                .iter()
                .filter(|(k, _)| comparable(k))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            tags.sort();
            Outcome::Crossed(up.body, tags)
        }
        None => {
            let client = s.client();
            Outcome::Refused(client.status(), client.body)
        }
    };
    s.finish();
    outcome
}

#[test]
fn random_requests_cross_the_same_from_the_wasm_and_natively() {
    let host = Host::new();
    host.echo_logs(false);
    let worker = host
        .plugin(Plugin::from_file(wasm_path()).unwrap())
        .start_vm()
        .unwrap();
    let engine = Engine::from_config(b"").unwrap();
    let mut rng = Rng(2026);
    let (mut changed, mut refused) = (0, 0);
    for case in 0..CASES {
        let body = body(&mut rng);
        let want = native(&engine, &body);
        let got = through_wasm(&worker, &body);
        assert_eq!(got, want, "case {case}: {}", String::from_utf8_lossy(&body));
        match &want {
            Outcome::Crossed(_, tags) if tags.is_empty() => panic!("case {case}: no tags"),
            Outcome::Crossed(crossed, _) if *crossed != body => changed += 1,
            Outcome::Crossed(..) => {}
            Outcome::Refused(..) => refused += 1,
        }
    }
    // The generator reaches the paths that matter: most bodies are redacted,
    // some cross untouched.
    assert!(changed > CASES / 2, "{changed} of {CASES} changed");
    assert!(
        changed + refused < CASES,
        "every body changed or was refused"
    );
}
