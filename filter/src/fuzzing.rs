//! Fuzz targets: the bodies of the `cargo fuzz` targets in `filter/fuzz`, kept
//! here so that the ordinary `cargo test` replays every seed corpus through the
//! very same code (`filter/tests/fuzz_corpus_replay.rs`).
//!
//! Each target takes arbitrary bytes and panics only when an invariant breaks:
//! - `json_redact`: parsing never panics; what parses re-serialises to itself;
//!   for every API shape the redacted body re-parses as strict JSON and no value
//!   the scanner detected in it is detected again after redaction;
//! - `detectors`: every detector alone and all together (plus customer
//!   dictionaries and patterns) give sorted, non-overlapping findings on
//!   character boundaries, a detector alone reports only its own category, and
//!   nothing detected survives redaction of the text;
//! - `sse`: splitting a stream gives the same events however it is chunked, and
//!   the events' raw bytes add up to the input; the usage readers never panic;
//! - `usage`: reading usage from any JSON answer or stream event never panics
//!   and never charges cached tokens it was told not to;
//! - `policy`: parsing a policy never panics, and a policy the engine accepts
//!   carries a request and its answer through every step without panicking;
//! - `stream_scan`: a text streamed in events cut anywhere, answers scanned:
//!   every event goes out as JSON, a text with nothing found comes out as it
//!   went in, and (for texts within the scan's context) no value the whole
//!   text's scan finds crosses.
//!
//! Test code only: not compiled into the `.wasm`, where a panic is a trap.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::api::sse::{SseEvent, SseSplitter};
use crate::api::usage::{is_usage_only_chunk, usage_from_json, StreamUsage};
use crate::api::{Provider, Shape};
use crate::detect::{Category, Finding, Named, Scanner, ScannerConfig, BUILTIN_CATEGORIES};
use crate::engine::{AnswerMode, AnswerStream, Ctx, Engine, HeadStep, RequestHead, Verdict};
use crate::json::{self, Json};
use crate::limits::MemoryStore;
use crate::policy::Policy;
use crate::redact::apply::{Redactor, RequestRedaction};
use crate::redact::walk::{self, Slot};
use crate::redact::RedactRules;

/// A fuzz target: arbitrary bytes in, a panic only when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `cargo fuzz` target and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("json_redact", json_redact),
    ("detectors", detectors),
    ("sse", sse),
    ("usage", usage),
    ("policy", policy),
    ("stream_scan", stream_scan),
];

/// The default policy's nesting limit.
const DEPTH: usize = 64;

const SHAPES: [Shape; 6] = [
    Shape::ChatCompletions,
    Shape::Completions,
    Shape::Responses,
    Shape::Embeddings,
    Shape::AnthropicMessages,
    Shape::Unknown,
];

fn default_scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(&ScannerConfig::default()).unwrap())
}

/// One scanner per built-in category, with every other category switched off.
fn single_scanners() -> &'static [(Category, Scanner)] {
    static SCANNERS: OnceLock<Vec<(Category, Scanner)>> = OnceLock::new();
    SCANNERS.get_or_init(|| {
        BUILTIN_CATEGORIES
            .iter()
            .map(|only| {
                let disabled = BUILTIN_CATEGORIES
                    .iter()
                    .filter(|c| *c != only)
                    .map(|c| c.name().to_string())
                    .collect();
                let cfg = ScannerConfig {
                    disabled,
                    ..ScannerConfig::default()
                };
                (only.clone(), Scanner::new(&cfg).unwrap())
            })
            .collect()
    })
}

/// The built-in detectors plus customer dictionaries (Latin whole words, CJK,
/// anywhere-in-word) and patterns.
fn custom_scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| {
        let cfg: ScannerConfig = serde_json::from_str(
            r#"{"dictionaries": [
                   {"category": "project", "terms": ["Falcon", "ACME Corp", "猎鹰计划", "ｆｕｌｌ"]},
                   {"category": "fragment", "terms": ["x-7", "ab"], "whole_words": false}],
                "patterns": [
                   {"category": "ticket", "regex": "TCK-[0-9]{4,8}"},
                   {"category": "badge", "regex": "(?i)emp[0-9]+(-[a-z]+)*"}]}"#,
        )
        .unwrap();
        Scanner::new(&cfg).unwrap()
    })
}

fn redactor<'a>(scanner: &'a Scanner, rules: &'a RedactRules) -> Redactor<'a> {
    Redactor {
        scanner,
        rules,
        tenant: "fuzz",
        max_depth: DEPTH,
        answer_side: false,
        restored: None,
    }
}

/// Checks that findings lie within `text`, on character boundaries, sorted and
/// without overlaps.
fn check_spans(text: &str, findings: &[Finding]) {
    let mut end = 0;
    for f in findings {
        assert!(f.start < f.end, "empty finding {f:?} in {text:?}");
        assert!(
            f.start >= end,
            "overlapping findings {findings:?} in {text:?}"
        );
        assert!(
            f.end <= text.len(),
            "finding {f:?} past the end of {text:?}"
        );
        assert!(
            text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
            "finding {f:?} off a character boundary in {text:?}"
        );
        end = f.end;
    }
}

/// The values the scanner finds in `text` (as the value of the credential
/// `named` names, if any), after checking their spans.
fn detect(scanner: &Scanner, text: &str, named: Option<Named>, values: &mut Vec<String>) {
    let mut found = Vec::new();
    match named {
        Some(named) => scanner.scan_named(named, text, &mut found),
        None => scanner.scan(text, &mut found),
    }
    record(text, &found, values);
}

/// Checks the spans of `found` in `text` and adds their values.
fn record(text: &str, found: &[Finding], values: &mut Vec<String>) {
    check_spans(text, found);
    values.extend(found.iter().map(|f| text[f.start..f.end].to_string()));
}

/// The values found in one text slot, reading tool-call arguments as the
/// redactor does: JSON inside the string when it parses, else plain text.
fn detect_slot(scanner: &Scanner, slot: Slot<'_>, values: &mut Vec<String>) {
    match slot {
        Slot::Text(text) => detect(scanner, text, None, values),
        Slot::Credential(text, named) => detect(scanner, text, Some(named), values),
        Slot::EmbeddedJson(text) => match json::parse_str(text, DEPTH) {
            Ok(mut inner) => {
                let mut slots = Vec::new();
                walk::border_leaves(&mut inner, &mut slots);
                for slot in slots {
                    detect_slot(scanner, slot, values);
                }
            }
            Err(_) => detect(scanner, text, None, values),
        },
        Slot::Number(n, named) => {
            if let Some(text) = walk::number_text(n) {
                detect(scanner, &text, named, values);
            }
        }
    }
}

/// Every value the scanner finds in the texts of `body` for `shape`.
fn detected_in_body(scanner: &Scanner, shape: Shape, body: &Json) -> Vec<String> {
    let mut copy = body.clone();
    let mut values = Vec::new();
    for slot in walk::border_slots(shape, &mut copy) {
        detect_slot(scanner, slot, &mut values);
    }
    values
}

/// Fails when a value found before redaction is found again after it.
fn assert_none_survive(before: &[String], after: &[String], context: &str) {
    let before: HashSet<&String> = before.iter().collect();
    if let Some(survivor) = after.iter().find(|v| before.contains(v)) {
        panic!("{context}: detected value {survivor:?} survived redaction");
    }
}

/// The JSON walker and redactor on an arbitrary body.
pub fn json_redact(data: &[u8]) {
    let Ok(body) = json::parse(data, DEPTH) else {
        return;
    };
    let bytes = body.to_bytes();
    let again = json::parse(&bytes, DEPTH)
        .unwrap_or_else(|e| panic!("re-serialised body does not parse: {e}"));
    assert_eq!(again, body, "re-serialising changed the body");

    let scanner = default_scanner();
    let rules = RedactRules::default();
    for shape in SHAPES {
        let before = detected_in_body(scanner, shape, &body);
        let mut redacted = body.clone();
        let mut state = RequestRedaction::default();
        redactor(scanner, &rules).redact_body(shape, &mut redacted, &mut state);
        // Every detection is counted; recurrences of a detected value that no
        // detector fires on are replaced and counted too.
        assert!(
            state.total() as usize >= before.len(),
            "{shape:?}: fewer findings counted than detected"
        );
        assert_eq!(
            state.changed,
            !before.is_empty(),
            "{shape:?}: with every finding redacted, the body changes exactly when something was found"
        );
        let out = redacted.to_bytes();
        let reparsed = json::parse(&out, DEPTH)
            .unwrap_or_else(|e| panic!("{shape:?}: redacted body does not parse: {e}"));
        let after = detected_in_body(scanner, shape, &reparsed);
        assert_none_survive(&before, &after, shape.name());
    }
}

/// Every detector alone, all together and with customer categories, on
/// arbitrary text.
pub fn detectors(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let mut all = Vec::new();
    detect(default_scanner(), text, None, &mut all);

    for (only, scanner) in single_scanners() {
        let mut found = Vec::new();
        scanner.scan(text, &mut found);
        check_spans(text, &found);
        if let Some(other) = found.iter().find(|f| f.category != *only) {
            panic!(
                "a scanner with only {} on reported {} in {text:?}",
                only.name(),
                other.category.name()
            );
        }
    }

    let mut custom = Vec::new();
    detect(custom_scanner(), text, None, &mut custom);

    for (scanner, before) in [(default_scanner(), &all), (custom_scanner(), &custom)] {
        let rules = RedactRules::default();
        let mut state = RequestRedaction::default();
        // As a body of one string, so the redactor's sweep of recurring values runs.
        let mut doc = Json::String(text.to_string());
        redactor(scanner, &rules).redact_body(Shape::Unknown, &mut doc, &mut state);
        let redacted = doc.as_str().unwrap_or_default().to_string();
        assert_eq!(redacted != text, !before.is_empty());
        let mut after = Vec::new();
        detect(scanner, &redacted, None, &mut after);
        assert_none_survive(before, &after, "text");
    }
}

/// Feeds `input` cut at `cuts` (ascending) and returns every event, the last
/// one from `finish` included.
fn split_at(input: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
    let mut splitter = SseSplitter::new();
    let mut events = Vec::new();
    let mut start = 0;
    let mut fed = 0;
    for &cut in cuts.iter().chain([input.len()].iter()) {
        events.extend(splitter.push(&input[start..cut]));
        fed += cut - start;
        let handed: usize = events.iter().map(|e| e.raw.len()).sum();
        assert!(
            handed + splitter.pending_bytes() == fed,
            "bytes lost or invented: {handed} handed out + {} pending != {fed} fed",
            splitter.pending_bytes()
        );
        start = cut;
    }
    events.extend(splitter.finish());
    events
}

/// A small deterministic generator (SplitMix64) for cut points.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The SSE splitter on an arbitrary stream: chunk invariance, no byte lost.
pub fn sse(data: &[u8]) {
    let whole = split_at(data, &[]);
    let raw: Vec<u8> = whole.iter().flat_map(|e| e.raw.iter().copied()).collect();
    assert_eq!(raw, data, "the events' raw bytes are not the input");
    for event in whole.iter().rev().skip(1) {
        assert!(
            matches!(event.raw.last(), Some(b'\n' | b'\r')),
            "an event other than the last does not end a line: {:?}",
            event.raw
        );
    }

    let every: Vec<usize> = (1..data.len()).collect();
    assert_eq!(split_at(data, &every), whole, "byte by byte");
    // Every single cut for short streams; a spread of them for longer ones.
    let step = (data.len() / 64).max(1);
    for cut in (0..=data.len()).step_by(step) {
        assert_eq!(split_at(data, &[cut]), whole, "cut at {cut}");
    }
    let mut seed = data.len() as u64 ^ data.iter().fold(0u64, |h, &b| h.rotate_left(5) ^ b as u64);
    for _ in 0..8 {
        let mut cuts: Vec<usize> = (0..(splitmix(&mut seed) % 16))
            .map(|_| (splitmix(&mut seed) % (data.len() as u64 + 1)) as usize)
            .collect();
        cuts.sort_unstable();
        assert_eq!(split_at(data, &cuts), whole, "cuts at {cuts:?}");
    }

    for provider in [Provider::OpenAi, Provider::Anthropic] {
        let mut reader = StreamUsage::new(provider);
        for event in &whole {
            reader.observe(event);
            is_usage_only_chunk(event);
        }
        check_stream_usage(&reader, 1000);
    }
}

fn check_stream_usage(reader: &StreamUsage, prompt_estimate: u64) {
    let charged = reader.charge(prompt_estimate, true);
    let uncached = reader.charge(prompt_estimate, false);
    assert!(
        uncached <= charged,
        "cached tokens charged when they should not be"
    );
    if let Some(usage) = reader.reported() {
        assert_eq!(charged, usage.charged_tokens(true));
    }
    reader.streamed_output_estimate();
}

/// The usage readers on an arbitrary JSON answer or stream event.
pub fn usage(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let event = SseEvent {
        event: String::new(),
        data: text,
        has_data: true,
        raw: data.to_vec(),
    };
    is_usage_only_chunk(&event);
    for provider in [Provider::OpenAi, Provider::Anthropic] {
        if let Some(u) = usage_from_json(data, provider) {
            assert!(u.charged_tokens(false) <= u.charged_tokens(true));
            if provider == Provider::Anthropic {
                assert!(u.input >= u.cached_input && u.input >= u.cache_creation);
            }
        }
        let mut reader = StreamUsage::new(provider);
        reader.observe(&event);
        check_stream_usage(&reader, 0);
        reader.observe(&event);
        check_stream_usage(&reader, u64::MAX);
    }
}

/// A chat request with a finding of several kinds, and its answers.
const CHAT: &[u8] = br#"{"model":"gpt-4o","stream":false,"max_tokens":50,"user":"u1","messages":[{"role":"user","content":"mail ann@example.com, call 13812345678, card 4111 1111 1111 1111"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"ip\":\"10.0.0.1\"}"}}]}]}"#;
const ANSWER: &[u8] = br#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"[EMAIL_1] and [PHONE_1]"}}],"usage":{"prompt_tokens":30,"completion_tokens":9,"total_tokens":39}}"#;
const STREAM: &[u8] = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"[EMA\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"IL_1] ok\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n";

/// The policy parser on an arbitrary document; an accepted policy then carries
/// a request and its answer through the engine.
pub fn policy(data: &[u8]) {
    let parsed = Policy::from_bytes(data);
    let engine = Engine::from_config(data);
    match (&parsed, &engine) {
        (Err(_), Ok(_)) => panic!("the engine accepted a policy the parser refused"),
        (_, Err(e)) => {
            assert!(!e.to_string().is_empty(), "an empty policy error");
            return;
        }
        (Ok(_), Ok(_)) => {}
    }
    let Ok(engine) = engine else { return };
    for (path, stream) in [("/v1/chat/completions", false), ("/v1/messages", true)] {
        exchange(&engine, path, stream);
    }
}

/// One request and its answer through `engine`; checks only that whatever is
/// forwarded is JSON.
fn exchange(engine: &Engine, path: &str, stream: bool) {
    let store = MemoryStore::new();
    let headers: Vec<(String, String)> = [
        (":method", "POST"),
        (":path", path),
        ("content-type", "application/json"),
        ("x-team", "alpha"),
        ("authorization", "Bearer sk-test"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let head = RequestHead::new("POST", path, headers);
    let ctx = Ctx {
        now_ms: 1_700_000_000_000,
        random: 7,
    };
    let mut exchange = match engine.on_request_head(&head, true, ctx) {
        HeadStep::AwaitBody(exchange) => exchange,
        HeadStep::Respond(..) | HeadStep::Forward(..) => return,
    };
    match engine.on_request_body(&head, &mut exchange, CHAT, ctx, &store) {
        Verdict::Respond(_) => return,
        Verdict::Forward(forward) => {
            if let Some(body) = forward.body {
                assert!(json::parse(&body, usize::MAX).is_ok(), "forwarded non-JSON");
            }
        }
    }
    let content_type = if stream {
        "text/event-stream"
    } else {
        "application/json"
    };
    let answer_headers = vec![("content-type".to_string(), content_type.to_string())];
    let plan = engine.on_answer_head(&mut exchange, 200, &answer_headers, &store, ctx.now_ms);
    let mut answer = AnswerStream::default();
    match plan.mode {
        AnswerMode::PassThrough => {}
        AnswerMode::Buffer => {
            engine.on_answer_body(&mut exchange, ANSWER);
        }
        AnswerMode::Stream => {
            let (first, rest) = STREAM.split_at(STREAM.len() / 3);
            engine.on_answer_chunk(&mut exchange, &mut answer, first, false);
            engine.on_answer_chunk(&mut exchange, &mut answer, rest, true);
        }
    }
    let output = engine.finish(&mut exchange, &answer, &store, ctx.now_ms + 1);
    engine.audit_record(&exchange, ctx.now_ms + 2).to_line();
    engine.counters(&exchange, output);
}

/// A text streamed in events cut where the input says, through an engine
/// that scans answers.
pub fn stream_scan(data: &[u8]) {
    let Some((&cuts, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let text = text.get(..text.len().min(2048)).unwrap_or(&text);
    let boundaries: Vec<usize> = (1..text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    let mut seed = data
        .iter()
        .fold(0u64, |h, &b| h.rotate_left(7) ^ u64::from(b));
    let mut at: Vec<usize> = (0..cuts % 12)
        .filter_map(|_| {
            boundaries.get((splitmix(&mut seed) % boundaries.len().max(1) as u64) as usize)
        })
        .copied()
        .collect();
    at.sort_unstable();
    at.dedup();
    let mut pieces = Vec::new();
    let mut from = 0;
    for cut in at.into_iter().chain([text.len()]) {
        pieces.push(&text[from..cut]);
        from = cut;
    }
    let streamed = scanned_stream(&pieces);
    let whole = scanned_stream(&[text]);
    let mut found = Vec::new();
    default_scanner().scan(text, &mut found);
    if found.is_empty() {
        assert_eq!(streamed, text, "a text with nothing found changed");
    }
    // Within the scan's context (96 bytes), every cut sees all the text
    // before it: no value the whole text's scan finds may cross in pieces.
    if text.len() <= 96 {
        for f in &found {
            let value = &text[f.start..f.end];
            if value.len() >= 6 && !whole.contains(value) {
                assert!(
                    !streamed.contains(value),
                    "{value:?} crossed in {pieces:?}: {streamed:?}"
                );
            }
        }
    }
}

/// The text a client reads from `pieces` streamed as chat deltas through
/// `engine`, and the answer's findings per category; panics on an event that
/// is not JSON. (Also the engine's test of the same.)
pub(crate) fn streamed_through(
    engine: &Engine,
    pieces: &[&str],
) -> (String, std::collections::BTreeMap<String, u32>) {
    let head = RequestHead::new(
        "POST",
        "/v1/chat/completions",
        vec![("content-type".to_string(), "application/json".to_string())],
    );
    let ctx = Ctx::default();
    let store = MemoryStore::new();
    let HeadStep::AwaitBody(mut exchange) = engine.on_request_head(&head, true, ctx) else {
        panic!("the request's head was judged alone");
    };
    let body = br#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let Verdict::Forward(_) = engine.on_request_body(&head, &mut exchange, body, ctx, &store)
    else {
        panic!("the request was refused");
    };
    let sse = [("content-type".to_string(), "text/event-stream".to_string())];
    engine.on_answer_head(&mut exchange, 200, &sse, &store, 0);
    let mut events = String::new();
    for piece in pieces {
        let delta = serde_json::json!({"choices": [{"index": 0, "delta": {"content": piece}}]});
        events.push_str(&format!("data: {delta}\n\n"));
    }
    events.push_str("data: [DONE]\n\n");
    let mut answer = AnswerStream::default();
    let out = engine.on_answer_chunk(&mut exchange, &mut answer, events.as_bytes(), true);
    let mut text = String::new();
    for data in String::from_utf8(out)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
    {
        if data == "[DONE]" {
            continue;
        }
        let event: serde_json::Value = serde_json::from_str(data).expect("an event is not JSON");
        text.push_str(
            event["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap_or_default(),
        );
    }
    (text, exchange.answer_categories)
}

/// [`streamed_through`] an engine that scans answers, the text only.
fn scanned_stream(pieces: &[&str]) -> String {
    thread_local! {
        static ENGINE: Engine = Engine::from_config(br#"{"redact": {"scan_responses": true}}"#).unwrap();
    }
    ENGINE.with(|engine| streamed_through(engine, pieces).0)
}
