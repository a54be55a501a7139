//! Chunk invariance through the .wasm: the upstream receives the same request
//! (headers and body bytes) however the client's body is cut, and the client
//! the same streamed answer however the provider's stream is cut. Every cut
//! point for bodies and streams up to 4 KB; a thousand random cuttings of
//! larger ones. (Restoring pseudonyms at every cut has its own tests.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use customs_host::{wasm_path, Host, Plugin, Response, Stream, Worker};
use serde_json::{json, Value};

/// Every cut point up to this size; random cuttings above it.
const EVERY_CUT_UP_TO: usize = 4096;
const RANDOM_CUTTINGS: usize = 1000;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// Up to 15 sorted cut points in `0..=len` (repeats give empty chunks).
fn random_cuts(rng: &mut Rng, len: usize) -> Vec<usize> {
    let count = 1 + rng.below(15);
    let mut cuts: Vec<usize> = (0..count).map(|_| rng.below(len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

/// `bytes` cut at `cuts` (sorted, within bounds).
fn pieces<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts {
        out.push(&bytes[start..cut]);
        start = cut;
    }
    out.push(&bytes[start..]);
    out
}

/// Every single cut for short inputs, else a thousand random cuttings.
fn cuttings(len: usize, seed: u64) -> Vec<Vec<usize>> {
    if len <= EVERY_CUT_UP_TO {
        return (0..=len).map(|cut| vec![cut]).collect();
    }
    let mut rng = Rng(seed);
    (0..RANDOM_CUTTINGS)
        .map(|_| random_cuts(&mut rng, len))
        .collect()
}

fn worker(policy: &Value) -> Worker {
    let host = Host::new();
    host.echo_logs(false);
    let plugin = Plugin::from_file(wasm_path()).unwrap().config(policy);
    host.plugin(plugin).start_vm().unwrap()
}

/// Request headers with a fixed request id, so that runs compare equal.
fn request_headers(path: &str) -> Vec<(&str, &str)> {
    vec![
        (":method", "POST"),
        (":path", path),
        ("content-type", "application/json"),
        ("x-request-id", "chunk-invariance"),
        ("x-team", "alpha"),
    ]
}

/// What one request came to: what crossed (headers and body) or the local
/// reply the client got.
#[derive(Debug, PartialEq)]
enum Result {
    Crossed(Vec<(String, String)>, Vec<u8>),
    Answered(u16, Vec<u8>),
}

fn send(worker: &Worker, path: &str, chunks: &[&[u8]]) -> Result {
    let mut s = worker.stream();
    s.request_headers(&request_headers(path), false);
    for (i, chunk) in chunks.iter().enumerate() {
        s.request_body(chunk, i + 1 == chunks.len());
    }
    assert!(s.trap().is_none(), "trapped: {:?}", s.trap());
    let result = match s.upstream() {
        Some(up) => {
            assert!(up.complete, "the request did not complete upstream");
            let headers = up
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Result::Crossed(headers, up.body)
        }
        None => {
            let client = s.client();
            Result::Answered(client.status(), client.body)
        }
    };
    s.finish();
    result
}

/// Asserts every cutting of `body` gives what the whole body gives.
fn assert_request_invariant(worker: &Worker, name: &str, path: &str, body: &[u8]) -> Result {
    let whole = send(worker, path, &[body]);
    for (n, cuts) in cuttings(body.len(), body.len() as u64).iter().enumerate() {
        let got = send(worker, path, &pieces(body, cuts));
        if got != whole {
            panic!(
                "{name}: cut at {cuts:?} (cutting {n}) changes what crosses:\nwhole: {}\ncut:   {}",
                summary(&whole),
                summary(&got)
            );
        }
    }
    whole
}

fn summary(r: &Result) -> String {
    match r {
        Result::Crossed(headers, body) => {
            format!("crossed {headers:?} {}", String::from_utf8_lossy(body))
        }
        Result::Answered(status, body) => {
            format!("answered {status} {}", String::from_utf8_lossy(body))
        }
    }
}

/// Findings of several kinds, written plainly, escaped, full-width, split by
/// zero-width characters.
const TEXT: &str = "Mail ann.lee@example.com or ann\\u0040example.org, call 138 1234 5678 or \
    １３９\\u200b１２３４５６７８, card 4111 1111 1111 1111, host 10.0.0.1, key AKIAIOSFODNN7EXAMPLE. \
    客户张三的身份证号码是44030519851120041X。";

fn chat(text: &str) -> Vec<u8> {
    format!(
        r#"{{"model":"gpt-4o","user":"u1","messages":[{{"role":"system","content":"Be brief."}},{{"role":"user","content":[{{"type":"text","text":"{text}"}}]}},{{"role":"assistant","content":null,"tool_calls":[{{"id":"c1","type":"function","function":{{"name":"lookup","arguments":"{{\"phone\":\"13812345678\",\"ip\":\"10.0.0.2\"}}"}}}}]}},{{"role":"tool","tool_call_id":"c1","content":"found ops@example.com"}}]}}"#
    )
    .into_bytes()
}

fn anthropic(text: &str) -> Vec<u8> {
    format!(
        r#"{{"model":"claude-sonnet-4","max_tokens":256,"system":"Staff: bob@example.org","messages":[{{"role":"user","content":"{text}"}},{{"role":"assistant","content":[{{"type":"tool_use","id":"t1","name":"find","input":{{"q":"13912345678"}}}}]}},{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t1","content":"ok"}}]}}]}}"#
    )
    .into_bytes()
}

/// A chat whose text repeats `TEXT` up to about `size` bytes.
fn big_chat(size: usize) -> Vec<u8> {
    let mut text = String::new();
    let mut n = 0;
    while text.len() + TEXT.len() < size {
        text.push_str(&format!("Paragraph {n}: {TEXT} "));
        n += 1;
    }
    chat(&text)
}

fn policies() -> Vec<(&'static str, Value)> {
    vec![
        ("defaults", json!({})),
        (
            "actions",
            json!({
                "tenants": {"header": "x-team"},
                "redact": {
                    "actions": {"email": "pseudonymize", "phone": "mask", "payment_card": "hash",
                                "ipv4": "report"},
                    "hash_secret": "a-hash-secret-of-some-length",
                    "remove_fields": ["user"]
                },
                "tags": {"attestation": {"key_id": "k1",
                                         "secret": "an-attestation-secret-32-characters-long"}}
            }),
        ),
    ]
}

#[test]
fn the_upstream_gets_the_same_request_at_every_cut() {
    let clean =
        br#"{"model":"gpt-4o","messages":[{"role":"user","content":"Nothing to see here."}]}"#;
    let bodies: Vec<(&str, &str, Vec<u8>)> = vec![
        ("clean chat", "/v1/chat/completions", clean.to_vec()),
        ("chat with findings", "/v1/chat/completions", chat(TEXT)),
        ("anthropic with findings", "/v1/messages", anthropic(TEXT)),
        ("chat of 4 KB", "/v1/chat/completions", big_chat(3600)),
        (
            "malformed",
            "/v1/chat/completions",
            b"{\"model\":\"gpt-4o\",".to_vec(),
        ),
    ];
    for (policy_name, policy) in policies() {
        let worker = worker(&policy);
        for (name, path, body) in &bodies {
            assert!(
                body.len() <= EVERY_CUT_UP_TO,
                "{name}: {} bytes",
                body.len()
            );
            let name = format!("{policy_name}: {name}");
            let whole = assert_request_invariant(&worker, &name, path, body);
            match &whole {
                Result::Crossed(_, crossed) => {
                    // Redaction changed the body, except where there was nothing to find.
                    assert_eq!(crossed == body, name.ends_with("clean chat"), "{name}");
                }
                Result::Answered(status, _) => {
                    assert!(name.ends_with("malformed"), "{name}: answered {status}");
                    assert_eq!(*status, 400, "{name}");
                }
            }
        }
        assert!(worker.traps().is_empty());
    }
}

#[test]
fn the_upstream_gets_the_same_large_request_under_random_cuts() {
    for (policy_name, policy) in policies() {
        let worker = worker(&policy);
        for size in [20_000, 120_000] {
            let body = big_chat(size);
            let name = format!("{policy_name}: chat of {} bytes", body.len());
            let whole = assert_request_invariant(&worker, &name, "/v1/chat/completions", &body);
            assert!(matches!(whole, Result::Crossed(..)), "{name}");
        }
        assert!(worker.traps().is_empty());
    }
}

/// An OpenAI chat stream: deltas holding findings (for response scanning),
/// CRLF and LF line ends, a comment, the usage chunk and `[DONE]`.
fn chat_stream(deltas: usize) -> Vec<u8> {
    let mut out = String::from(": keep-alive\n\n");
    let words = [
        "Sure, ",
        "write to ",
        "help@example.com ",
        "or call ",
        "+44 20 7946 0958",
        ". ",
        "Server ",
        "10.1.2.3 ",
        "is up.\n",
        "中文内容",
        "。 ",
    ];
    for i in 0..deltas {
        let delta =
            json!({"choices": [{"index": 0, "delta": {"content": words[i % words.len()]}}]});
        let end = if i % 3 == 0 { "\r\n\r\n" } else { "\n\n" };
        out += &format!("data: {delta}{end}");
    }
    let usage = json!({"choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": deltas}});
    out += &format!("data: {usage}\n\ndata: [DONE]\n\n");
    out.into_bytes()
}

/// What the client got for one streamed answer, its chunks joined.
fn stream_answer(worker: &Worker, request: &[u8], chunks: &[&[u8]]) -> (u16, Vec<u8>) {
    let mut s: Stream = worker.stream();
    s.request_headers(&request_headers("/v1/chat/completions"), false);
    s.request_body(request, true);
    assert!(
        s.upstream().is_some_and(|u| u.complete),
        "the request did not cross"
    );
    let response = Response::new(200).header("content-type", "text/event-stream");
    s.respond_chunks(&response, chunks);
    assert!(s.trap().is_none(), "trapped: {:?}", s.trap());
    let client = s.client();
    assert!(client.complete, "the answer did not complete");
    (client.status(), client.body)
}

#[test]
fn the_client_gets_the_same_stream_at_every_cut() {
    let request =
        br#"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let stream_policies = [
        (
            "response scanning",
            json!({"redact": {"scan_responses": true}}),
        ),
        (
            "usage accounting",
            json!({"limits": {"budgets": {"tokens_per_minute": 1_000_000_000_000u64},
                              "inject_include_usage": true}}),
        ),
    ];
    for (policy_name, policy) in stream_policies {
        let worker = worker(&policy);
        for (deltas, every_cut) in [(12, true), (400, false)] {
            let stream = chat_stream(deltas);
            assert_eq!(stream.len() <= EVERY_CUT_UP_TO, every_cut);
            let name = format!("{policy_name}: stream of {} bytes", stream.len());
            let whole = stream_answer(&worker, request, &[&stream]);
            assert_eq!(whole.0, 200, "{name}");
            for (n, cuts) in cuttings(stream.len(), stream.len() as u64)
                .iter()
                .enumerate()
            {
                let got = stream_answer(&worker, request, &pieces(&stream, cuts));
                if got != whole {
                    panic!(
                        "{name}: cut at {cuts:?} (cutting {n}) changes what the client gets:\nwhole: {}\ncut:   {}",
                        String::from_utf8_lossy(&whole.1),
                        String::from_utf8_lossy(&got.1)
                    );
                }
            }
            if policy_name == "response scanning" {
                let text = String::from_utf8_lossy(&whole.1);
                assert!(!text.contains("help@example.com"), "{name}: {text}");
            }
        }
        assert!(worker.traps().is_empty());
    }
}
