//! Randomised requests and answers through the .wasm under a fuel limit: the
//! filter never traps and never runs out of fuel, whatever it is sent.
//!
//! A deterministic generator builds a few hundred cases: valid bodies of every
//! API shape holding random findings (plain, escaped, full-width, split by
//! zero-width characters), random bytes, nesting around the depth limit, huge
//! strings around the size limit, broken UTF-8, mutated bodies, odd headers;
//! each cut into random chunks. Requests that cross get an answer: JSON, or a
//! stream of events cut at random points, echoing the placeholders customs put
//! in, sometimes an error, garbage or a client that goes away.
//!
//! Each callback gets fuel in proportion to the size of what it may handle
//! (`FUEL_BASE + FUEL_PER_BYTE` per byte), far above what linear work needs, so
//! running out means a path that is not linear. `CUSTOMS_FUZZ_SEED` and
//! `CUSTOMS_FUZZ_CASES` change the seed (default 2026) and the number of cases.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;

use customs_host::{wasm_path, workspace_dir, Host, Plugin, Response, Stream, Worker};
use serde_json::{json, Value};

/// Fuel for a callback's fixed work (start-up, headers, a small body).
const FUEL_BASE: u64 = 50_000_000;
/// Fuel per byte of body. The heaviest linear input measured (a body of
/// unique e-mail addresses, every one pseudonymised, echoed and scanned in the
/// answer) needs about 1,800 per byte.
const FUEL_PER_BYTE: u64 = 5_000;
/// Workers are grouped by the largest request or answer they are given.
const SIZE_CLASSES: [usize; 4] = [16 << 10, 256 << 10, 2 << 20, 8 << 20];

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// Values the detectors look for, and look-alikes they must leave alone.
const VALUES: &[&str] = &[
    "ann.lee@example.com",
    "ops+tag@sub.example.co.uk",
    "13812345678",
    "138 1234 5678",
    "+86 138-1234-5678",
    "+44 20 7946 0958",
    "+1 (415) 555-0132",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "6212345678901232",
    "378282246310005",
    "44030519851120041X",
    "911101087109451447",
    "078-05-1120",
    "SSN 219099999",
    "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32",
    "10.0.0.1",
    "192.168.100.254",
    "2001:db8::1",
    "fe80::1ff:fe23:4567:890a",
    "::ffff:10.0.0.1",
    "sk-proj-A1b2C3d4E5f6G7h8I9j0A1b2C3d4E5f6G7h8I9j0",
    "sk-ant-api03-x1Y2z3x1Y2z3x1Y2z3x1Y2z3x1Y2z3x1Y2z3",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
    "Project Nightjar",
    "夜鹰计划",
    "ACCT-12345678",
    "order 20240115123456",
    "v1.2.3.4.5",
    "1732600000123",
    "123e4567-e89b-12d3-a456-426614174000",
    "[EMAIL_1]",
    "[PHONE_",
];

const WORDS: &[&str] = &[
    "the",
    "customer",
    "asked",
    "about",
    "invoice",
    "please",
    "call",
    "mail",
    "card",
    "key",
    "server",
    "客户",
    "电话",
    "身份证",
    "邮箱",
    "号码",
    "😀",
    "naïve",
    "Ωmega",
    "\t",
    "\n",
    "\"quoted\"",
    "back\\slash",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "1",
    "12",
    "123-45",
    "@",
    "+",
    "::",
    "-",
    "_",
];

/// Full-width forms of ASCII letters and digits, and zero-width characters
/// between characters, as people use them to slip values past filters.
fn disguise(rng: &mut Rng, value: &str) -> String {
    match rng.below(5) {
        0 => value
            .chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
                c => c,
            })
            .collect(),
        1 => {
            let zw = *rng.pick(&['\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}', '\u{2060}']);
            value
                .chars()
                .enumerate()
                .flat_map(|(i, c)| (i > 0 && i % 3 == 0).then_some(zw).into_iter().chain([c]))
                .collect()
        }
        _ => value.to_string(),
    }
}

/// Text of about `len` bytes: words with findings and look-alikes among them.
fn text(rng: &mut Rng, len: usize) -> String {
    let mut out = String::with_capacity(len + 64);
    while out.len() < len {
        if rng.chance(15) {
            let value = *rng.pick(VALUES);
            out.push_str(&disguise(rng, value));
        } else {
            out.push_str(rng.pick::<&str>(WORDS));
        }
        out.push(if rng.chance(90) { ' ' } else { '\u{3000}' });
    }
    out
}

/// Text fast to make in bulk: a block of generated text repeated.
fn bulk_text(rng: &mut Rng, len: usize) -> String {
    let block = text(rng, 4096);
    let mut out = String::with_capacity(len);
    for c in block.chars().cycle() {
        if out.len() + c.len_utf8() > len {
            break;
        }
        out.push(c);
    }
    out
}

const PATHS: &[&str] = &[
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/responses",
    "/v1/embeddings",
    "/v1/messages",
    "/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21",
    "/v1/unknown/route",
    "/v1/files",
];

const MODELS: &[&str] = &[
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "claude-sonnet-4",
    "o3",
    "text-embedding-3-small",
];

/// A valid body for the shape of `path`, texts from `make`.
fn valid_body(rng: &mut Rng, path: &str, make: &mut dyn FnMut(&mut Rng) -> String) -> Value {
    let model = *rng.pick(MODELS);
    let mut body = if path.starts_with("/v1/messages") {
        json!({"model": model, "max_tokens": rng.range(1, 8000),
               "system": [{"type": "text", "text": make(rng), "cache_control": {"type": "ephemeral"}}],
               "messages": [
                   {"role": "user", "content": make(rng)},
                   {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "lookup",
                                                       "input": {"q": make(rng), "n": [1, {"deep": make(rng)}]}}]},
                   {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                                 "content": [{"type": "text", "text": make(rng)}]}]}]})
    } else if path.starts_with("/v1/completions") {
        json!({"model": model, "prompt": [make(rng), make(rng)], "suffix": make(rng)})
    } else if path.starts_with("/v1/responses") {
        json!({"model": model, "instructions": make(rng), "input": [
                   {"role": "user", "content": [{"type": "input_text", "text": make(rng)}]},
                   {"type": "function_call", "call_id": "x", "name": "g",
                    "arguments": json!({"a": make(rng)}).to_string()},
                   {"type": "function_call_output", "call_id": "x", "output": make(rng)}]})
    } else if path.starts_with("/v1/embeddings") {
        json!({"model": model, "input": [make(rng), make(rng)]})
    } else if path.starts_with("/v1/chat") || path.starts_with("/openai/") {
        json!({"model": model, "user": "u-1", "messages": [
                   {"role": "system", "content": make(rng)},
                   {"role": "user", "content": [{"type": "text", "text": make(rng)},
                                                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
                   {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                       "function": {"name": "f", "arguments": json!({"x": make(rng), "y": [make(rng)]}).to_string()}}]},
                   {"role": "tool", "tool_call_id": "c1", "content": make(rng)}]})
    } else {
        json!({"anything": {"nested": [make(rng), 1, true, null], "text": make(rng)}})
    };
    let obj = body.as_object_mut().unwrap();
    if rng.chance(30) {
        obj.insert("stream".into(), json!(true));
        if rng.chance(50) {
            obj.insert(
                "stream_options".into(),
                json!({"include_usage": rng.chance(50)}),
            );
        }
    }
    if rng.chance(20) {
        obj.insert("n".into(), json!(rng.range(1, 4)));
    }
    if rng.chance(20) {
        obj.insert("max_tokens".into(), json!(rng.range(1, 100_000)));
    }
    if rng.chance(10) {
        obj.insert("logprobs".into(), json!(true));
    }
    body
}

/// Random edits of a few bytes.
fn mutate(rng: &mut Rng, mut body: Vec<u8>) -> Vec<u8> {
    for _ in 0..rng.range(1, 8) {
        if body.is_empty() {
            body.push(b'{');
        }
        let at = rng.below(body.len());
        match rng.below(5) {
            0 => body[at] ^= 1 << rng.below(8),
            1 => body.insert(at, *rng.pick(b"{}[]\":,\\u0@+-1 \xff")),
            2 => {
                body.remove(at);
            }
            3 => {
                let end = (at + rng.range(1, 64)).min(body.len());
                let copy = body[at..end].to_vec();
                let to = rng.below(body.len());
                body.splice(to..to, copy);
            }
            _ => body.truncate(at),
        }
    }
    body
}

/// JSON nested `depth` levels (arrays and objects), a finding at the bottom.
fn nested(rng: &mut Rng, depth: usize) -> Vec<u8> {
    let mut open = String::new();
    let mut close = String::new();
    for _ in 0..depth {
        if rng.chance(50) {
            open.push('[');
            close.insert(0, ']');
        } else {
            open.push_str("{\"content\":");
            close.insert(0, '}');
        }
    }
    format!(r#"{{"model":"gpt-4o","messages":{open}"call 13812345678"{close}}}"#).into_bytes()
}

/// Bytes that are not valid UTF-8, put inside a string of a valid body.
fn broken_utf8(rng: &mut Rng, body: Vec<u8>) -> Vec<u8> {
    const BAD: &[&[u8]] = &[
        b"\xff",
        b"\x80",
        b"\xc3",
        b"\xe4\xb8",
        b"\xc0\x80",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
    ];
    let quotes: Vec<usize> = body
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'"')
        .map(|(i, _)| i + 1)
        .collect();
    let mut body = body;
    if quotes.is_empty() {
        return body;
    }
    for _ in 0..rng.range(1, 3) {
        let at = *rng.pick(&quotes);
        let bad = *rng.pick(BAD);
        body.splice(at..at, bad.iter().copied());
    }
    body
}

/// Cut `len` bytes into chunks: whole, at random points, byte by byte, or
/// with empty chunks among them.
fn cuts(rng: &mut Rng, len: usize) -> Vec<usize> {
    match rng.below(10) {
        0..=3 => Vec::new(),
        4 if len <= 2048 => (1..len).collect(),
        5 => {
            let mut c: Vec<usize> = (0..rng.range(1, 4)).map(|_| rng.below(len + 1)).collect();
            c.extend([0, len]);
            c.sort_unstable();
            c
        }
        _ => {
            let mut c: Vec<usize> = (0..rng.range(1, 20)).map(|_| rng.below(len + 1)).collect();
            c.sort_unstable();
            c
        }
    }
}

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

/// One generated request.
struct Case {
    kind: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    cuts: Vec<usize>,
}

fn request(rng: &mut Rng) -> Case {
    let path = rng.pick(PATHS).to_string();
    let mut small = |rng: &mut Rng| {
        let n = rng.range(0, 300);
        text(rng, n)
    };
    let (kind, body) = match rng.below(100) {
        0..=39 => (
            "valid",
            valid_body(rng, &path, &mut small).to_string().into_bytes(),
        ),
        40..=49 => {
            let n = rng.range(0, 2048);
            let mut bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            if rng.chance(50) {
                bytes.splice(0..0, br#"{"messages":[{"content":""#.iter().copied());
            }
            ("random bytes", bytes)
        }
        50..=59 => {
            let depth = rng.range(58, 70);
            ("deep nesting", nested(rng, depth))
        }
        60..=67 => {
            // Around the default 1 MiB limit, give or take the shape's other texts.
            let size = *rng.pick(&[65_536, 300_000, 900_000, 1_000_000, 1_048_576, 1_300_000]);
            let per_text = size / 3;
            let mut huge = |rng: &mut Rng| bulk_text(rng, per_text);
            (
                "huge strings",
                valid_body(rng, &path, &mut huge).to_string().into_bytes(),
            )
        }
        68..=77 => {
            let body = valid_body(rng, &path, &mut small).to_string().into_bytes();
            ("broken utf-8", broken_utf8(rng, body))
        }
        78..=89 => {
            let body = valid_body(rng, &path, &mut small).to_string().into_bytes();
            ("mutated", mutate(rng, body))
        }
        _ => {
            let tricks: &[&str] = &[
                r#"{"model":"gpt-4o","messages":[{"role":"user","content":"\ud800 13812345678"}]}"#,
                r#"{"model":"gpt-4o","model":"x","messages":[]}"#,
                r#"{"model":"gpt-4o","n":1e400,"messages":[]}"#,
                r#"{"model":"gpt-4o","max_tokens":18446744073709551616,"messages":[]}"#,
                r#"{"model":"gpt-4o","messages":[{"role":"user","content":"mail ann\u0040example.com \uff11\uff13\uff18\u200b12345678"}]}"#,
                r#"{"model":"gpt-4o","messages":[{"role":"assistant","tool_calls":[{"function":{"arguments":"{\"a\":\"{\\\"b\\\":\\\"13812345678\\\"}\"}"}}]}]}"#,
                r#"[]"#,
                r#""just a string""#,
                "",
            ];
            ("tricks", rng.pick(tricks).as_bytes().to_vec())
        }
    };
    let mut headers: Vec<(String, String)> = vec![
        (
            ":method".into(),
            if rng.chance(95) { "POST" } else { "GET" }.into(),
        ),
        (":path".into(), path.clone()),
    ];
    let content_type = *rng.pick(&[
        "application/json",
        "application/json",
        "application/json; charset=utf-8",
        "application/vnd.api+json",
        "text/plain",
    ]);
    if rng.chance(95) {
        headers.push(("content-type".into(), content_type.into()));
    }
    // Envoy's codec frames the body by a declared length, so it is always
    // true; or there is none (chunked).
    if rng.chance(50) {
        headers.push(("content-length".into(), body.len().to_string()));
    }
    if rng.chance(5) {
        headers.push(("content-encoding".into(), "gzip".into()));
    }
    let team = *rng.pick(&["alpha", "payments", "risk-lab", "", "x y"]);
    headers.push(("x-team".into(), team.into()));
    if rng.chance(30) {
        headers.push((
            "authorization".into(),
            "Bearer sk-test-1234567890abcdef".into(),
        ));
    }
    if rng.chance(10) {
        headers.push(("x-customs-tenant".into(), "spoofed".into()));
    }
    let cuts = cuts(rng, body.len());
    Case {
        kind,
        path,
        headers,
        body,
        cuts,
    }
}

/// The placeholders customs put into a forwarded body, `[EMAIL_1]` and the like.
fn placeholders(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(open) = rest.find('[') {
        rest = &rest[open..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .map(|i| i + 1);
        match end {
            Some(end) if rest[end..].starts_with(']') && end > 3 => {
                out.push(rest[..=end].to_string());
                rest = &rest[end + 1..];
            }
            _ => rest = &rest[1..],
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The model's answer text: placeholders echoed back, findings, plain words.
fn answer_text(rng: &mut Rng, echoed: &[String], len: usize) -> String {
    let mut out = text(rng, len);
    for p in echoed.iter().take(8) {
        let mut at = rng.below(out.len() + 1);
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        out.insert_str(at, &format!(" {p} "));
    }
    out
}

/// Splits `text` into pieces of random lengths on character boundaries
/// (longer pieces for long texts, so that their streams stay in proportion).
fn split_text(rng: &mut Rng, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let percent = if text.len() > 4096 { 1 } else { 15 };
    for c in text.chars() {
        current.push(c);
        if rng.chance(percent) {
            out.push(std::mem::take(&mut current));
        }
    }
    out.push(current);
    out
}

fn sse(event: Option<&str>, data: &str, crlf: bool) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    match event {
        Some(name) => format!("event: {name}{nl}data: {data}{nl}{nl}"),
        None => format!("data: {data}{nl}{nl}"),
    }
}

/// An event stream in the route's format.
fn stream_answer(rng: &mut Rng, path: &str, text: &str) -> Vec<u8> {
    let crlf = rng.chance(20);
    let pieces = split_text(rng, text);
    let mut out = String::new();
    if path.starts_with("/v1/messages") {
        let start = json!({"type": "message_start", "message": {"usage": {"input_tokens": 30, "output_tokens": 1}}});
        out += &sse(Some("message_start"), &start.to_string(), crlf);
        for piece in &pieces {
            let delta = json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}});
            out += &sse(Some("content_block_delta"), &delta.to_string(), crlf);
        }
        if rng.chance(80) {
            let end = json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": pieces.len()}});
            out += &sse(Some("message_delta"), &end.to_string(), crlf);
            out += &sse(Some("message_stop"), r#"{"type":"message_stop"}"#, crlf);
        }
    } else if path.starts_with("/v1/responses") {
        for piece in &pieces {
            let delta = json!({"type": "response.output_text.delta", "delta": piece});
            out += &sse(Some("response.output_text.delta"), &delta.to_string(), crlf);
        }
        let done = json!({"type": "response.completed", "response": {"usage": {"input_tokens": 30, "output_tokens": pieces.len()}}});
        out += &sse(Some("response.completed"), &done.to_string(), crlf);
    } else {
        if rng.chance(10) {
            out += ": keep-alive\n\n";
        }
        for piece in &pieces {
            let choice = if rng.chance(90) {
                json!({"index": 0, "delta": {"content": piece}})
            } else {
                json!({"index": 1, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}})
            };
            out += &sse(None, &json!({"choices": [choice]}).to_string(), crlf);
        }
        if rng.chance(70) {
            let usage = json!({"choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": pieces.len()}});
            out += &sse(None, &usage.to_string(), crlf);
        }
        if rng.chance(80) {
            out += &sse(None, "[DONE]", crlf);
        }
    }
    let mut bytes = out.into_bytes();
    if rng.chance(10) {
        bytes = mutate(rng, bytes);
    }
    if rng.chance(5) {
        bytes.truncate(rng.below(bytes.len() + 1));
    }
    bytes
}

/// A JSON answer in the route's format.
fn json_answer(rng: &mut Rng, path: &str, text: &str) -> Vec<u8> {
    let body = if path.starts_with("/v1/messages") {
        json!({"type": "message", "content": [{"type": "text", "text": text}],
               "usage": {"input_tokens": 30, "cache_read_input_tokens": 5, "output_tokens": 12}})
    } else if path.starts_with("/v1/responses") {
        json!({"output": [{"type": "message", "content": [{"type": "output_text", "text": text}]}],
               "usage": {"input_tokens": 30, "output_tokens": 12}})
    } else {
        json!({"id": "x", "choices": [{"index": 0, "message": {"role": "assistant", "content": text,
               "tool_calls": [{"function": {"name": "f", "arguments": json!({"t": text}).to_string()}}]}}],
               "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42}})
    };
    let mut bytes = body.to_string().into_bytes();
    if rng.chance(10) {
        bytes = mutate(rng, bytes);
    }
    bytes
}

/// How long the model's answer text is, chosen before the request is sent.
fn answer_len(rng: &mut Rng) -> usize {
    if rng.chance(5) {
        rng.range(50_000, 200_000)
    } else {
        rng.range(0, 600)
    }
}

/// The most bytes an answer of `answer_len` comes to: a JSON answer holds the
/// text twice (once escaped again, inside tool-call arguments), plus framing.
fn answer_bound(answer_len: usize) -> usize {
    answer_len * 4 + 64 * 1024
}

/// The provider answers a request that crossed (or the client goes away).
fn answer(rng: &mut Rng, s: &mut Stream, path: &str, forwarded: &[u8], len: usize) -> usize {
    let echoed = placeholders(forwarded);
    let text = if len > 4096 {
        bulk_text(rng, len)
    } else {
        answer_text(rng, &echoed, len)
    };
    let streamed = String::from_utf8_lossy(forwarded).contains("\"stream\":true") || rng.chance(10);
    let status = *rng.pick(&[200, 200, 200, 200, 200, 200, 400, 429, 500, 503]);
    let (content_type, body) = if streamed {
        ("text/event-stream", stream_answer(rng, path, &text))
    } else {
        ("application/json", json_answer(rng, path, &text))
    };
    let content_type = if rng.chance(5) {
        "text/plain"
    } else {
        content_type
    };
    let size = body.len();
    assert!(
        size <= answer_bound(len),
        "an answer of {size} bytes for {len} of text"
    );
    let mut response = Response::new(status).header("content-type", content_type);
    if !streamed && rng.chance(50) {
        response = response.header("content-length", &body.len().to_string());
    }
    let cuts = cuts(rng, body.len());
    let chunks = pieces(&body, &cuts);
    match rng.below(20) {
        0 => {
            s.disconnect();
        }
        1 => {
            s.response_headers(&[(":status", "200"), ("content-type", content_type)], false);
            let half = chunks.len() / 2;
            for chunk in &chunks[..half] {
                s.response_body(chunk, false);
            }
            s.disconnect();
        }
        _ => {
            s.respond_chunks(&response, &chunks);
        }
    }
    size
}

fn policies() -> Vec<(&'static str, Option<Value>)> {
    let bank: Value = serde_json::from_slice(
        &std::fs::read(workspace_dir().join("envoy/policies/bank.json")).unwrap(),
    )
    .unwrap();
    vec![
        ("defaults", None),
        (
            "pseudonyms",
            Some(json!({
                "tenants": {"header": "x-team"},
                "redact": {"actions": {"*": "pseudonymize", "ipv4": "mask", "jwt": "hash", "private_key": "block"},
                           "hash_secret": "a-hash-secret-of-some-length", "scan_responses": true},
                "limits": {"budgets": {"tokens_per_minute": 1_000_000_000u64, "requests_per_minute": 100_000},
                           "inject_include_usage": true, "caps": {"max_output_tokens": 2000}},
                "request": {"max_json_depth": 64}
            })),
        ),
        ("bank", Some(bank)),
    ]
}

/// Workers by (policy, size class), started on first use.
struct Workers {
    policies: Vec<(&'static str, Option<Value>)>,
    started: BTreeMap<(usize, usize), Worker>,
}

impl Workers {
    fn get(&mut self, policy: usize, size: usize) -> Worker {
        let class = SIZE_CLASSES
            .iter()
            .position(|&c| size <= c)
            .unwrap_or_else(|| panic!("a case of {size} bytes is over every size class"));
        let (_, config) = &self.policies[policy];
        self.started
            .entry((policy, class))
            .or_insert_with(|| {
                let fuel = FUEL_BASE + FUEL_PER_BYTE * SIZE_CLASSES[class] as u64;
                let mut plugin = Plugin::from_file(wasm_path())
                    .unwrap()
                    .fuel_per_callback(fuel);
                if let Some(config) = config {
                    plugin = plugin.config(config);
                }
                let host = Host::new();
                host.echo_logs(false);
                host.plugin(plugin).start_vm().unwrap()
            })
            .clone()
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
        })
        .unwrap_or(default)
}

#[test]
fn random_requests_and_answers_never_trap_nor_run_out_of_fuel() {
    let seed = env_number("CUSTOMS_FUZZ_SEED", 2026);
    let cases = env_number("CUSTOMS_FUZZ_CASES", 500);
    let mut rng = Rng(seed);
    let mut workers = Workers {
        policies: policies(),
        started: BTreeMap::new(),
    };
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for n in 0..cases {
        let case = request(&mut rng);
        let policy = rng.below(workers.policies.len());
        let answer_len = answer_len(&mut rng);
        let size = case.body.len().max(answer_bound(answer_len));
        let worker = workers.get(policy, size);
        let policy_name = workers.policies[policy].0;
        let context = |what: &str| {
            format!(
                "case {n} (seed {seed}, {}, policy {policy_name}, {} {} bytes, cut at {:?}): {what}\nbody starts: {:?}",
                case.kind,
                case.path,
                case.body.len(),
                &case.cuts[..case.cuts.len().min(20)],
                String::from_utf8_lossy(&case.body[..case.body.len().min(300)])
            )
        };

        let mut s = worker.stream();
        let headers: Vec<(&str, &str)> = case
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        s.request_headers(&headers, case.body.is_empty());
        if !case.body.is_empty() {
            let chunks = pieces(&case.body, &case.cuts);
            for (i, chunk) in chunks.iter().enumerate() {
                s.request_body(chunk, i + 1 == chunks.len());
            }
        }
        let crossed = s.upstream().filter(|u| u.complete);
        if let Some(up) = &crossed {
            assert!(
                up.content_length_mismatch().is_none(),
                "{}",
                context("content-length mismatch upstream")
            );
            if up.body != case.body {
                assert!(
                    serde_json::from_slice::<Value>(&up.body).is_ok(),
                    "{}",
                    context("customs rewrote the body into something that is not JSON")
                );
            }
            answer(&mut rng, &mut s, &case.path, &up.body, answer_len);
        }
        s.finish();

        if let Some(trap) = worker.traps().first() {
            panic!(
                "{}",
                context(&format!(
                    "the filter trapped{}: {trap}\n{}",
                    if trap.out_of_fuel {
                        " (out of fuel)"
                    } else {
                        ""
                    },
                    trap.detail
                ))
            );
        }
        let client = s.client();
        assert!(
            client.status.is_some() || client.reset,
            "{}",
            context("the client got nothing")
        );
        if let Some(local) = client.local_reply.as_ref().filter(|l| l.by_filter) {
            assert!(
                client.json().is_some(),
                "{}",
                context(&format!(
                    "customs answered {} in something that is not JSON",
                    local.status
                ))
            );
        }
        if client.complete {
            assert!(
                client.content_length_mismatch().is_none(),
                "{}",
                context("content-length mismatch to the client")
            );
        }
        let outcome = match (&crossed, client.local_reply.as_ref()) {
            (Some(_), _) => "crossed".to_string(),
            (None, Some(local)) if local.by_filter => format!("refused {}", local.status),
            (None, Some(local)) => format!("envoy {}", local.details),
            (None, None) => "other".to_string(),
        };
        *outcomes
            .entry(format!("{}: {outcome}", case.kind))
            .or_default() += 1;
    }
    eprintln!("{cases} cases: {outcomes:?}");
    let crossed: usize = outcomes
        .iter()
        .filter(|(k, _)| k.ends_with(": crossed"))
        .map(|(_, n)| n)
        .sum();
    let crossed = crossed as u64;
    assert!(
        crossed * 4 >= cases,
        "only {crossed} of {cases} requests crossed: the generator makes too few valid requests ({outcomes:?})"
    );
}
