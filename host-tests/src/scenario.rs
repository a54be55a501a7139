//! The shared scenario list: one set of request/answer/expectation cases that runs
//! both in the wasmtime harness and through a real Envoy.
//!
//! Scenario files live in `scenarios/*.json` at the workspace root:
//!
//! ```json
//! { "policies": { "teams": { "tenants": { "header": "x-team" } } },
//!   "scenarios": [ {
//!       "name": "a team header names the tenant",
//!       "policy": "teams",
//!       "request": { "method": "POST", "path": "/v1/chat/completions",
//!                    "headers": [["content-type", "application/json"]],
//!                    "body": { "model": "gpt-4o", "messages": [] } },
//!       "upstream": { "status": 200, "body": { "id": "x" } },
//!       "expect": { "status": 200, "crossed": true,
//!                   "upstream_headers": { "x-customs-tenant": "teams" } } } ] }
//! ```
//!
//! A request has at most one of `body` (JSON, sent compactly), `body_text`,
//! `body_base64` or `body_chat_of_bytes` (a valid chat request padded to exactly
//! that many bytes). An answer has `body` (JSON) or `sse` (events, sent as
//! they are); without `upstream`, [`default_answer`] is used. In `expect`, only
//! `status` and `crossed` are required; header names compare case-insensitively,
//! and an expected value of `"*"` (in headers or JSON pointers) means "present,
//! any value".

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::Deserialize;
use serde_json::{json, Value};

/// One `scenarios/*.json` file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Named policies (the filter's plugin configuration) the scenarios refer to.
    #[serde(default)]
    pub policies: BTreeMap<String, Value>,
    pub scenarios: Vec<Scenario>,
}

/// One case: a request, what the provider would answer, and what must happen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// A key of the file's `policies`; `None` means no plugin configuration at
    /// all, so the filter runs on its secure defaults.
    #[serde(default)]
    pub policy: Option<String>,
    pub request: RequestSpec,
    /// The provider's answer; `None` means [`default_answer`] for the request.
    #[serde(default)]
    pub upstream: Option<AnswerSpec>,
    pub expect: Expect,
}

impl Scenario {
    /// The policy JSON this scenario runs under, `None` for no configuration.
    pub fn policy_json<'a>(&self, file: &'a ScenarioFile) -> Option<&'a Value> {
        self.policy
            .as_ref()
            .and_then(|name| file.policies.get(name))
    }
}

/// The request a client sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawRequest")]
pub struct RequestSpec {
    pub method: String,
    /// Path and query, e.g. `/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21`.
    pub path: String,
    /// In order; Content-Length and Host are left to the client that sends it.
    pub headers: Vec<(String, String)>,
    pub body: RequestBody,
}

/// The body of a [`RequestSpec`], as the scenario file wrote it.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestBody {
    Empty,
    /// Sent serialised compactly.
    Json(Value),
    /// Sent as is.
    Text(String),
    /// Decoded from `body_base64`.
    Bytes(Vec<u8>),
    /// A valid chat completion request padded to exactly this many bytes.
    ChatOfBytes(usize),
}

impl RequestSpec {
    /// The exact bytes to send.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            RequestBody::Empty => Vec::new(),
            RequestBody::Json(value) => value.to_string().into_bytes(),
            RequestBody::Text(text) => text.clone().into_bytes(),
            RequestBody::Bytes(bytes) => bytes.clone(),
            // Sizes were checked when the file was loaded.
            RequestBody::ChatOfBytes(size) => chat_of_bytes(*size).unwrap_or_default(),
        }
    }

    /// The body as JSON, when it is JSON (for shaping a default answer).
    fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body_bytes()).ok()
    }
}

/// What the provider answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawAnswer")]
pub struct AnswerSpec {
    pub status: u16,
    /// Always holds a content-type: the file's, or one matching the body.
    pub headers: Vec<(String, String)>,
    pub body: AnswerBody,
}

/// The body of an [`AnswerSpec`].
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerBody {
    /// Sent serialised compactly.
    Json(Value),
    /// Server-sent events, each sent as it is (one write per event).
    Sse(Vec<String>),
}

impl AnswerSpec {
    /// The exact bytes of the whole answer body.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            AnswerBody::Json(value) => value.to_string().into_bytes(),
            AnswerBody::Sse(events) => events.concat().into_bytes(),
        }
    }

    pub fn is_sse(&self) -> bool {
        matches!(self.body, AnswerBody::Sse(_))
    }

    /// The events of an SSE answer; empty for a JSON answer.
    pub fn sse_events(&self) -> &[String] {
        match &self.body {
            AnswerBody::Sse(events) => events,
            AnswerBody::Json(_) => &[],
        }
    }
}

/// What must be true after the scenario ran. Everything but `status` and
/// `crossed` is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The status the client got.
    pub status: u16,
    /// Whether anything reached the provider.
    pub crossed: bool,
    /// The path and query the provider got.
    #[serde(default)]
    pub upstream_path: Option<String>,
    #[serde(default)]
    pub upstream_headers: BTreeMap<String, String>,
    #[serde(default)]
    pub upstream_headers_absent: Vec<String>,
    #[serde(default)]
    pub upstream_body_contains: Vec<String>,
    #[serde(default)]
    pub upstream_body_lacks: Vec<String>,
    /// JSON pointer into the body the provider got -> expected value.
    #[serde(default)]
    pub upstream_json: BTreeMap<String, Value>,
    #[serde(default)]
    pub client_headers: BTreeMap<String, String>,
    #[serde(default)]
    pub client_body_contains: Vec<String>,
    #[serde(default)]
    pub client_body_lacks: Vec<String>,
    /// JSON pointer into the body the client got -> expected value.
    #[serde(default)]
    pub client_json: BTreeMap<String, Value>,
}

/// The request as it reached the provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossed {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What happened when a scenario ran, as seen by the client and the provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: u16,
    pub client_headers: Vec<(String, String)>,
    pub client_body: Vec<u8>,
    /// `None` when nothing reached the provider.
    pub crossed: Option<Crossed>,
}

/// `<workspace>/scenarios`.
pub fn scenarios_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).join("scenarios")
}

/// Every `*.json` file of `dir`, sorted by file name, parsed and checked:
/// policy names resolve and scenario names are unique across files.
pub fn load_all(dir: &Path) -> anyhow::Result<Vec<ScenarioFile>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    let mut names = BTreeSet::new();
    let mut files = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let file: ScenarioFile =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        for s in &file.scenarios {
            if let Some(policy) = &s.policy {
                if !file.policies.contains_key(policy) {
                    bail!(
                        "{}: scenario {:?} names unknown policy {policy:?}",
                        path.display(),
                        s.name
                    );
                }
            }
            if !names.insert(s.name.clone()) {
                bail!(
                    "{}: scenario name {:?} is used twice",
                    path.display(),
                    s.name
                );
            }
        }
        files.push(file);
    }
    Ok(files)
}

/// The provider's answer when a scenario names none: an OpenAI chat completion
/// with usage, or an Anthropic message for `/v1/messages`; as SSE when the
/// request asks for `"stream": true`.
pub fn default_answer(req: &RequestSpec) -> AnswerSpec {
    let stream = req.body_json().and_then(|b| b.get("stream").cloned()) == Some(Value::Bool(true));
    let anthropic = req.path.split('?').next() == Some("/v1/messages");
    let (body, content_type) = match (anthropic, stream) {
        (false, false) => (AnswerBody::Json(openai_chat()), "application/json"),
        (false, true) => (AnswerBody::Sse(openai_chat_sse()), "text/event-stream"),
        (true, false) => (AnswerBody::Json(anthropic_message()), "application/json"),
        (true, true) => (AnswerBody::Sse(anthropic_sse()), "text/event-stream"),
    };
    AnswerSpec {
        status: 200,
        headers: vec![("content-type".into(), content_type.into())],
        body,
    }
}

/// The text every default answer carries.
const ANSWER_TEXT: &str = "Hello from the provider.";

fn openai_chat() -> Value {
    json!({
        "id": "chatcmpl-default", "object": "chat.completion", "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [{
            "index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": ANSWER_TEXT}
        }],
        "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}
    })
}

/// OpenAI chunks, then the usage chunk that `include_usage` asks for, then `[DONE]`.
fn openai_chat_sse() -> Vec<String> {
    let chunk = |choices: Value, usage: Option<Value>| {
        let mut data = json!({
            "id": "chatcmpl-default", "object": "chat.completion.chunk",
            "created": 1_700_000_000, "model": "gpt-4o-mini", "choices": choices
        });
        if let Some(usage) = usage {
            data["usage"] = usage;
        }
        format!("data: {data}\n\n")
    };
    let delta = |delta: Value, finish: Value| json!([{"index": 0, "delta": delta, "finish_reason": finish}]);
    vec![
        chunk(
            delta(json!({"role": "assistant", "content": ""}), Value::Null),
            None,
        ),
        chunk(delta(json!({"content": ANSWER_TEXT}), Value::Null), None),
        chunk(delta(json!({}), json!("stop")), None),
        chunk(
            json!([]),
            Some(json!({"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18})),
        ),
        "data: [DONE]\n\n".to_string(),
    ]
}

fn anthropic_message() -> Value {
    json!({
        "id": "msg_default", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": ANSWER_TEXT}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 6}
    })
}

/// Anthropic's event sequence: the input usage in `message_start`, the output
/// usage in `message_delta`.
fn anthropic_sse() -> Vec<String> {
    let event = |data: Value| {
        let name = data["type"].as_str().unwrap_or_default().to_string();
        format!("event: {name}\ndata: {data}\n\n")
    };
    let start = json!({
        "id": "msg_default", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 1}
    });
    vec![
        event(json!({"type": "message_start", "message": start})),
        event(json!({"type": "content_block_start", "index": 0,
                     "content_block": {"type": "text", "text": ""}})),
        event(json!({"type": "content_block_delta", "index": 0,
                     "delta": {"type": "text_delta", "text": ANSWER_TEXT}})),
        event(json!({"type": "content_block_stop", "index": 0})),
        event(json!({"type": "message_delta",
                     "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                     "usage": {"output_tokens": 6}})),
        event(json!({"type": "message_stop"})),
    ]
}

/// Compares an outcome with a scenario's expectations; the error lists every
/// mismatch, one per line.
pub fn check(s: &Scenario, o: &Outcome) -> Result<(), String> {
    let e = &s.expect;
    let mut bad = Vec::new();
    if o.status != e.status {
        bad.push(format!(
            "status: want {}, got {} (client body: {})",
            e.status,
            o.status,
            snippet(&o.client_body)
        ));
    }
    check_headers(
        "client header",
        &e.client_headers,
        &[],
        &o.client_headers,
        &mut bad,
    );
    check_body(
        "client body",
        &e.client_body_contains,
        &e.client_body_lacks,
        &e.client_json,
        &o.client_body,
        &mut bad,
    );
    match (&o.crossed, e.crossed) {
        (None, true) => {
            bad.push("crossed: want the request to reach the provider, nothing did".into())
        }
        (Some(c), false) => bad.push(format!(
            "crossed: want nothing to reach the provider, got {} {}",
            c.method, c.path
        )),
        (Some(c), true) => {
            if let Some(path) = e.upstream_path.as_ref().filter(|p| **p != c.path) {
                bad.push(format!("upstream path: want {path}, got {}", c.path));
            }
            check_headers(
                "upstream header",
                &e.upstream_headers,
                &e.upstream_headers_absent,
                &c.headers,
                &mut bad,
            );
            check_body(
                "upstream body",
                &e.upstream_body_contains,
                &e.upstream_body_lacks,
                &e.upstream_json,
                &c.body,
                &mut bad,
            );
        }
        (None, false) => {}
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("\n"))
    }
}

/// Decodes standard base64 (with or without padding); the mock provider
/// records bodies this way.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (at, c) in text.trim_end_matches('=').bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("invalid base64 character {:?} at {at}", c as char)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

fn check_headers(
    what: &str,
    want: &BTreeMap<String, String>,
    absent: &[String],
    got: &[(String, String)],
    bad: &mut Vec<String>,
) {
    for (name, value) in want {
        let values: Vec<&str> = header_values(got, name).collect();
        let ok = if value == "*" {
            !values.is_empty()
        } else {
            values.contains(&value.as_str())
        };
        if !ok {
            bad.push(format!("{what} {name}: want {value:?}, got {values:?}"));
        }
    }
    for name in absent {
        let values: Vec<&str> = header_values(got, name).collect();
        if !values.is_empty() {
            bad.push(format!("{what} {name}: want absent, got {values:?}"));
        }
    }
}

fn header_values<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn check_body(
    what: &str,
    contains: &[String],
    lacks: &[String],
    pointers: &BTreeMap<String, Value>,
    body: &[u8],
    bad: &mut Vec<String>,
) {
    let text = String::from_utf8_lossy(body);
    for needle in contains {
        if !text.contains(needle.as_str()) {
            bad.push(format!(
                "{what}: want it to contain {needle:?}, got {}",
                snippet(body)
            ));
        }
    }
    for needle in lacks {
        if text.contains(needle.as_str()) {
            bad.push(format!("{what}: want it to lack {needle:?}, it has it"));
        }
    }
    if pointers.is_empty() {
        return;
    }
    let json: Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(err) => {
            bad.push(format!("{what}: want JSON, got {} ({err})", snippet(body)));
            return;
        }
    };
    for (pointer, want) in pointers {
        match json.pointer(pointer) {
            Some(_) if want == "*" => {}
            Some(got) if got == want => {}
            Some(got) => bad.push(format!("{what} {pointer}: want {want}, got {got}")),
            None => bad.push(format!("{what} {pointer}: want {want}, missing")),
        }
    }
}

/// The start of a body, for messages.
fn snippet(body: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(body);
    if text.chars().count() <= MAX {
        return format!("{text:?}");
    }
    let start: String = text.chars().take(MAX).collect();
    format!("{start:?}... ({} bytes)", body.len())
}

/// A valid chat completion request of exactly `size` bytes: one user message
/// whose content is plain filler text.
fn chat_of_bytes(size: usize) -> Result<Vec<u8>, String> {
    const FILLER: &str = "The quick brown fox jumps over the lazy dog. ";
    let empty =
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": ""}]}).to_string();
    let pad = size.checked_sub(empty.len()).ok_or_else(|| {
        format!(
            "body_chat_of_bytes {size} is below the smallest chat request ({} bytes)",
            empty.len()
        )
    })?;
    let content: String = FILLER.chars().cycle().take(pad).collect();
    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]})
        .to_string();
    Ok(body.into_bytes())
}

/// The request as written in a file, before its body variants are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    #[serde(default = "post")]
    method: String,
    path: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    body: Option<Value>,
    body_text: Option<String>,
    body_base64: Option<String>,
    body_chat_of_bytes: Option<usize>,
}

fn post() -> String {
    "POST".into()
}

impl TryFrom<RawRequest> for RequestSpec {
    type Error = String;

    fn try_from(raw: RawRequest) -> Result<Self, String> {
        let mut bodies = Vec::new();
        if let Some(value) = raw.body {
            bodies.push(RequestBody::Json(value));
        }
        if let Some(text) = raw.body_text {
            bodies.push(RequestBody::Text(text));
        }
        if let Some(b64) = raw.body_base64 {
            bodies.push(RequestBody::Bytes(
                decode_base64(&b64).map_err(|e| format!("body_base64: {e}"))?,
            ));
        }
        if let Some(size) = raw.body_chat_of_bytes {
            chat_of_bytes(size)?;
            bodies.push(RequestBody::ChatOfBytes(size));
        }
        if bodies.len() > 1 {
            return Err(format!(
                "request {} {} has {} bodies; give at most one of body, body_text, body_base64, body_chat_of_bytes",
                raw.method,
                raw.path,
                bodies.len()
            ));
        }
        if !raw.path.starts_with('/') {
            return Err(format!(
                "request path {:?} does not start with '/'",
                raw.path
            ));
        }
        Ok(RequestSpec {
            method: raw.method,
            path: raw.path,
            headers: raw.headers,
            body: bodies.pop().unwrap_or(RequestBody::Empty),
        })
    }
}

/// The answer as written in a file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswer {
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    headers: Vec<(String, String)>,
    body: Option<Value>,
    sse: Option<Vec<String>>,
}

fn ok() -> u16 {
    200
}

impl TryFrom<RawAnswer> for AnswerSpec {
    type Error = String;

    fn try_from(raw: RawAnswer) -> Result<Self, String> {
        let (body, content_type) = match (raw.body, raw.sse) {
            (Some(value), None) => (AnswerBody::Json(value), "application/json"),
            (None, Some(events)) => (AnswerBody::Sse(events), "text/event-stream"),
            (None, None) => (AnswerBody::Json(json!({})), "application/json"),
            (Some(_), Some(_)) => {
                return Err("an upstream answer has both body and sse; give one".into())
            }
        };
        let mut headers = raw.headers;
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("content-type".into(), content_type.into()));
        }
        Ok(AnswerSpec {
            status: raw.status,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

    use super::*;

    fn scenario(expect: Value) -> Scenario {
        serde_json::from_value(json!({
            "name": "t", "request": {"path": "/v1/chat/completions"}, "expect": expect
        }))
        .unwrap()
    }

    fn outcome(status: u16, body: &str, crossed: Option<(&[(&str, &str)], &str)>) -> Outcome {
        Outcome {
            status,
            client_headers: vec![("Content-Type".into(), "application/json".into())],
            client_body: body.as_bytes().to_vec(),
            crossed: crossed.map(|(headers, body)| Crossed {
                method: "POST".into(),
                path: "/v1/chat/completions".into(),
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body: body.as_bytes().to_vec(),
            }),
        }
    }

    #[test]
    fn every_shipped_scenario_file_loads() {
        let files = load_all(&scenarios_dir()).unwrap();
        assert!(!files.is_empty());
        for file in &files {
            for s in &file.scenarios {
                assert_eq!(
                    s.policy.is_some(),
                    s.policy_json(file).is_some(),
                    "{}",
                    s.name
                );
            }
        }
    }

    #[test]
    fn check_passes_and_fails_as_expected() {
        let tagged: &[(&str, &str)] = &[
            ("X-Customs-Tenant", "payments"),
            ("x-customs-request-id", "abc"),
        ];
        let cases: Vec<(&str, Value, Outcome, Vec<&str>)> = vec![
            (
                "status only",
                json!({"status": 200, "crossed": false}),
                outcome(200, "", None),
                vec![],
            ),
            (
                "wrong status",
                json!({"status": 400, "crossed": false}),
                outcome(200, "x", None),
                vec!["status: want 400, got 200"],
            ),
            (
                "headers any case, star means present",
                json!({"status": 200, "crossed": true,
                       "upstream_headers": {"x-customs-tenant": "payments", "X-CUSTOMS-REQUEST-ID": "*"},
                       "upstream_headers_absent": ["cookie"]}),
                outcome(200, "", Some((tagged, "{}"))),
                vec![],
            ),
            (
                "wrong header, present cookie",
                json!({"status": 200, "crossed": true,
                       "upstream_headers": {"x-customs-tenant": "default"},
                       "upstream_headers_absent": ["x-customs-tenant"]}),
                outcome(200, "", Some((tagged, "{}"))),
                vec![
                    "upstream header x-customs-tenant: want \"default\"",
                    "want absent",
                ],
            ),
            (
                "crossed but should not",
                json!({"status": 400, "crossed": false}),
                outcome(400, "", Some((tagged, "{}"))),
                vec!["want nothing to reach the provider"],
            ),
            (
                "did not cross but should",
                json!({"status": 200, "crossed": true, "upstream_body_contains": ["x"]}),
                outcome(200, "", None),
                vec!["nothing did"],
            ),
            (
                "bodies and pointers",
                json!({"status": 400, "crossed": false,
                       "client_json": {"/error/type": "invalid_request_error", "/error/param": null, "/error/message": "*"},
                       "client_body_contains": ["customs_"], "client_body_lacks": ["secret"],
                       "client_headers": {"content-type": "application/json"}}),
                outcome(
                    400,
                    r#"{"error":{"type":"invalid_request_error","param":null,"message":"m","code":"customs_x"}}"#,
                    None,
                ),
                vec![],
            ),
            (
                "pointer mismatches",
                json!({"status": 400, "crossed": false,
                       "client_json": {"/error/type": "x", "/missing": 1}, "client_body_lacks": ["error"]}),
                outcome(400, r#"{"error":{"type":"y"}}"#, None),
                vec![
                    "/error/type: want \"x\", got \"y\"",
                    "/missing: want 1, missing",
                    "lack \"error\"",
                ],
            ),
            (
                "pointer into non-JSON",
                json!({"status": 200, "crossed": false, "client_json": {"/a": 1}}),
                outcome(200, "not json", None),
                vec!["client body: want JSON"],
            ),
        ];
        for (name, expect, o, wants) in cases {
            let got = check(&scenario(expect), &o);
            if wants.is_empty() {
                assert_eq!(got, Ok(()), "{name}");
            } else {
                let msg = got.expect_err(name);
                for want in wants {
                    assert!(msg.contains(want), "{name}: {msg:?} lacks {want:?}");
                }
            }
        }
    }

    #[test]
    fn request_bodies() {
        let req = |body: Value| -> Result<RequestSpec, String> {
            let mut r = json!({"path": "/v1/chat/completions"});
            r.as_object_mut()
                .unwrap()
                .extend(body.as_object().unwrap().clone());
            serde_json::from_value(r).map_err(|e| e.to_string())
        };
        assert_eq!(
            req(json!({"body": {"a": [1, 2]}})).unwrap().body_bytes(),
            br#"{"a":[1,2]}"#
        );
        assert_eq!(
            req(json!({"body_text": "{not json"})).unwrap().body_bytes(),
            b"{not json"
        );
        assert_eq!(
            req(json!({"body_base64": "aGk="})).unwrap().body_bytes(),
            b"hi"
        );
        assert_eq!(req(json!({})).unwrap().body_bytes(), b"");
        assert_eq!(req(json!({})).unwrap().method, "POST");
        for size in [80, 1000, 1_100_000] {
            let bytes = req(json!({ "body_chat_of_bytes": size }))
                .unwrap()
                .body_bytes();
            assert_eq!(bytes.len(), size);
            let chat: Value = serde_json::from_slice(&bytes).unwrap();
            assert!(chat["messages"][0]["content"].is_string());
        }
        assert!(req(json!({"body_chat_of_bytes": 10}))
            .unwrap_err()
            .contains("below the smallest"));
        assert!(req(json!({"body": {}, "body_text": ""}))
            .unwrap_err()
            .contains("2 bodies"));
        assert!(req(json!({"body_base64": "a*"}))
            .unwrap_err()
            .contains("invalid base64"));
        assert!(req(json!({"bogus": 1})).unwrap_err().contains("bogus"));
    }

    #[test]
    fn base64_round_trips_known_values() {
        let cases = [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg", "foob"),
            ("Zm9vYmFy", "foobar"),
        ];
        for (b64, plain) in cases {
            assert_eq!(decode_base64(b64).unwrap(), plain.as_bytes(), "{b64}");
        }
    }

    #[test]
    fn answers_get_a_content_type_and_default_answers_follow_the_request() {
        let sse: AnswerSpec = serde_json::from_value(json!({"sse": ["data: [DONE]\n\n"]})).unwrap();
        assert!(sse.is_sse());
        assert_eq!(sse.status, 200);
        assert_eq!(
            sse.headers,
            vec![("content-type".to_string(), "text/event-stream".to_string())]
        );
        assert_eq!(sse.body_bytes(), b"data: [DONE]\n\n");
        assert!(serde_json::from_value::<AnswerSpec>(json!({"sse": [], "body": {}})).is_err());

        let req = |path: &str, stream: bool| -> RequestSpec {
            serde_json::from_value(
                json!({"path": path, "body": {"stream": stream, "messages": []}}),
            )
            .unwrap()
        };
        let chat = default_answer(&req("/v1/chat/completions", false));
        let json: Value = serde_json::from_slice(&chat.body_bytes()).unwrap();
        assert!(json["usage"]["prompt_tokens"].is_u64());
        let claude = default_answer(&req("/v1/messages", false));
        let json: Value = serde_json::from_slice(&claude.body_bytes()).unwrap();
        assert_eq!(json["type"], "message");
        let streamed = default_answer(&req("/v1/chat/completions", true));
        assert!(streamed.sse_events().last().unwrap().contains("[DONE]"));
        let streamed = default_answer(&req("/v1/messages", true));
        assert!(streamed
            .sse_events()
            .last()
            .unwrap()
            .contains("message_stop"));
    }
}
