//! Helpers for tests that drive customs' own `.wasm`: a plugin with a policy and
//! several workers, requests in each API's shape, answers as JSON or SSE, the
//! tags a request crossed with, and the budgets read back from shared data.
//! Test files include it with `#[path = "common/filter.rs"] mod filter;`.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use customs_filter::limits::{Budgets, LimitState, RateLimitState, Store, StoreError};
use customs_filter::policy::Policy;
use customs_host::{wasm_path, Host, InstalledPlugin, Plugin, Response, Status, Stream, Worker};
use serde_json::{json, Value};

/// One Envoy process running customs with `policy`, and its workers.
pub struct Edge {
    pub host: Host,
    pub plugin: InstalledPlugin,
    pub workers: Vec<Worker>,
    pub policy: Policy,
}

impl Edge {
    /// customs with `policy` on `workers` workers of a fresh host.
    pub fn new(policy: &Value, workers: usize) -> Edge {
        Edge::in_host(Host::new(), policy, workers)
    }

    pub fn in_host(host: Host, policy: &Value, workers: usize) -> Edge {
        Edge::with_plugin(host, policy, workers, |plugin| plugin)
    }

    /// As [`Edge::in_host`], with the plugin's settings (log level, ...) changed
    /// by `configure`.
    pub fn with_plugin(
        host: Host,
        policy: &Value,
        workers: usize,
        configure: impl FnOnce(Plugin) -> Plugin,
    ) -> Edge {
        host.echo_logs(false);
        let plugin = host.plugin(configure(
            Plugin::from_file(wasm_path()).unwrap().config(policy),
        ));
        let workers = (0..workers.max(1))
            .map(|_| plugin.start_vm().expect("the policy loads"))
            .collect();
        let policy = Policy::from_bytes(policy.to_string().as_bytes()).unwrap();
        Edge {
            host,
            plugin,
            workers,
            policy,
        }
    }

    pub fn worker(&self, i: usize) -> &Worker {
        &self.workers[i % self.workers.len()]
    }

    /// Sends `req` through worker `i`, the body in one chunk.
    pub fn send(&self, i: usize, req: &Req) -> Stream {
        send(self.worker(i), req, 1)
    }

    /// The virtual wall clock in milliseconds, as the filter reads it.
    pub fn now_ms(&self) -> u64 {
        self.host.now_nanos() / 1_000_000
    }

    /// The tightest token and request limits of `tenant` (and `model`) with what
    /// remains of them now, read from shared data with customs' own code.
    pub fn budget(&self, tenant: &str, model: Option<&str>) -> RateLimitState {
        let limits = self.policy.limits.for_tenant(tenant);
        Budgets::new(&HostStore(&self.host)).snapshot(&limits.budgets, tenant, model, self.now_ms())
    }

    /// Tokens left in the tightest token budget of `tenant`.
    pub fn tokens_left(&self, tenant: &str) -> u64 {
        let state: Option<LimitState> = self.budget(tenant, None).tokens;
        state.expect("the tenant has a token budget").remaining
    }

    /// Every line the filter logged, in order.
    pub fn log_lines(&self) -> Vec<String> {
        self.host.logs().into_iter().map(|l| l.message).collect()
    }

    /// The audit lines (JSON objects) logged so far.
    pub fn audit(&self) -> Vec<Value> {
        self.log_lines()
            .iter()
            .filter(|l| l.contains("\"customs_audit\""))
            .map(|l| serde_json::from_str(l).expect("an audit line is JSON"))
            .collect()
    }

    /// A counter's value, 0 when it was never defined. customs hands its
    /// counters to the host on its tick, so this first moves the virtual clock
    /// on by one tick period (when a tick is set), as Envoy's timer would.
    pub fn counter(&self, name: &str) -> i64 {
        if let Some(period) = self.workers.first().and_then(Worker::tick_period) {
            self.host.advance_clock(period);
        }
        self.host.metric(name).map_or(0, |m| m.value())
    }
}

/// The host's shared data (default vm_id) as customs' budget store.
pub struct HostStore<'a>(pub &'a Host);

impl Store for HostStore<'_> {
    fn get(&self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
        Ok(self.0.shared_data(key))
    }

    fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
        match self.0.set_shared_data(key, value, cas) {
            Status::Ok => Ok(()),
            Status::CasMismatch => Err(StoreError::CasMismatch),
            _ => Err(StoreError::Unavailable),
        }
    }
}

/// A request a client sends.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    /// A JSON POST to `path`.
    pub fn post(path: &str, body: &Value) -> Req {
        Req::raw(path, body.to_string().into_bytes())
    }

    /// A POST to `path` with `body` as it is, declared as JSON.
    pub fn raw(path: &str, body: Vec<u8>) -> Req {
        let mut req = Req {
            method: "POST".into(),
            path: path.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        };
        if path.ends_with("/v1/messages") {
            req = req
                .header("x-api-key", "sk-ant-test-0000")
                .header("anthropic-version", "2023-06-01");
        }
        req
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An OpenAI chat request with one user message.
pub fn chat(content: &str) -> Req {
    Req::post(
        "/v1/chat/completions",
        &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]}),
    )
}

/// An Anthropic messages request with one user message.
pub fn claude(content: &str) -> Req {
    Req::post(
        "/v1/messages",
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 64,
                "messages": [{"role": "user", "content": content}]}),
    )
}

/// Sends `req` through `worker`, its body cut into `parts` chunks.
pub fn send(worker: &Worker, req: &Req, parts: usize) -> Stream {
    let mut stream = worker.stream();
    let mut headers = vec![
        (":method".to_string(), req.method.clone()),
        (":path".to_string(), req.path.clone()),
    ];
    headers.extend(req.headers.iter().cloned());
    if !req.body.is_empty() {
        headers.push(("content-length".into(), req.body.len().to_string()));
    }
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    stream.send_request(&pairs, &req.body, parts);
    stream
}

/// The provider answers with JSON.
pub fn answer_json(stream: &mut Stream, status: u16, body: &Value) {
    stream.respond(&Response::json(status, body));
}

/// The provider answers with server-sent events, one write per chunk.
pub fn answer_sse(stream: &mut Stream, chunks: &[&[u8]]) {
    let response = Response::new(200).header("content-type", "text/event-stream");
    stream.respond_chunks(&response, chunks);
}

/// An OpenAI chat completion with `content` and usage.
pub fn chat_answer(content: &str, prompt_tokens: u64, completion_tokens: u64) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}
    })
}

/// `data: <json>\n\n`.
pub fn sse_data(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// `event: <type>\ndata: <json>\n\n`, as Anthropic streams.
pub fn sse_event(data: &Value) -> String {
    format!(
        "event: {}\ndata: {data}\n\n",
        data["type"].as_str().unwrap_or_default()
    )
}

/// An OpenAI chat stream: a role chunk, one chunk per piece of text, a finish
/// chunk, the usage chunk when `usage` is given, and `[DONE]`.
pub fn openai_stream(pieces: &[&str], usage: Option<(u64, u64)>) -> Vec<String> {
    let chunk = |delta: Value, finish: Value| {
        sse_data(
            &json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
                         "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
        )
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for piece in pieces {
        events.push(chunk(json!({"content": piece}), Value::Null));
    }
    events.push(chunk(json!({}), json!("stop")));
    if let Some((prompt, completion)) = usage {
        events.push(sse_data(&json!({
            "id": "c1", "object": "chat.completion.chunk", "model": "gpt-4o-mini", "choices": [],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion}
        })));
    }
    events.push("data: [DONE]\n\n".to_string());
    events
}

/// An Anthropic stream: message_start (input usage), one content_block_delta per
/// piece of text, message_delta (output usage) and message_stop.
pub fn anthropic_stream(pieces: &[&str], input: u64, output: u64) -> Vec<String> {
    let mut events = vec![
        sse_event(&json!({"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [],
            "usage": {"input_tokens": input, "output_tokens": 1}}})),
        sse_event(&json!({"type": "content_block_start", "index": 0,
                          "content_block": {"type": "text", "text": ""}})),
    ];
    for piece in pieces {
        events.push(sse_event(
            &json!({"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": piece}}),
        ));
    }
    events.push(sse_event(
        &json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push(sse_event(&json!({"type": "message_delta",
                                  "delta": {"stop_reason": "end_turn"},
                                  "usage": {"output_tokens": output}})));
    events.push(sse_event(&json!({"type": "message_stop"})));
    events
}

/// The JSON data of every event of an SSE body (events that are not JSON, like
/// `[DONE]`, are left out).
pub fn sse_json(body: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(body);
    text.split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            serde_json::from_str(&data.join("\n")).ok()
        })
        .collect()
}

/// The text a client reads from a streamed answer: OpenAI chat deltas and
/// Anthropic text deltas, concatenated.
pub fn streamed_text(body: &[u8]) -> String {
    let mut out = String::new();
    for event in sse_json(body) {
        if let Some(text) = event["choices"][0]["delta"]["content"].as_str() {
            out.push_str(text);
        }
        if event["type"] == "content_block_delta" {
            out.push_str(event["delta"]["text"].as_str().unwrap_or_default());
        }
    }
    out
}

/// `(estimated, reserved)` from the `x-customs-tokens` tag of what crossed.
pub fn tokens_tag(stream: &Stream) -> (u64, u64) {
    let up = stream.upstream().expect("the request crossed");
    let tag = up
        .header("x-customs-tokens")
        .expect("an x-customs-tokens tag")
        .to_string();
    let mut values = tag.split(',').map(|part| {
        part.split_once('=')
            .and_then(|(_, v)| v.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("malformed x-customs-tokens {tag:?}"))
    });
    (values.next().unwrap(), values.next().unwrap())
}
