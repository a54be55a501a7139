//! What the benchmarks send. [`texts`]: the prose and findings the detection
//! benchmark (`customs bench-detect`) fills its requests with. [`hostile`]:
//! the bodies built to make the filter work hardest, which `customs
//! bench-detect --only hostile` times and the `linear_cost` test weighs in
//! fuel. And here, the exchange the Envoy load benchmark (`envoy/bench/`)
//! sends, its request head and the far side's fixed answer, for the examples
//! that profile the same exchange outside Envoy (`profile_exchange`,
//! `count_allocations`).

pub mod hostile;
pub mod texts;

use crate::{split, Worker};
use texts::KIB;

/// The far side's fixed answer (`envoy/bench/far.yaml`).
pub const ANSWER: &str = r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Noted. I will follow up by e-mail."},"finish_reason":"stop"}],"usage":{"prompt_tokens":512,"completion_tokens":9,"total_tokens":521,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#;

/// The request head wrk sends (`envoy/bench/post.lua`) as Envoy hands it to
/// the filter, for a body of `content_length` bytes.
pub fn request_headers(content_length: &str) -> [(&'static str, &str); 9] {
    [
        (":authority", "127.0.0.1:10000"),
        (":path", "/v1/chat/completions"),
        (":method", "POST"),
        (":scheme", "http"),
        ("content-length", content_length),
        ("content-type", "application/json"),
        ("authorization", "Bearer sk-bench-client-key"),
        ("x-forwarded-proto", "http"),
        ("x-request-id", "5f1c3c47-8d0e-4a39-9f59-6c4a8f0d2b11"),
    ]
}

/// Sends one chat completion request through `worker` in 16 KiB chunks, as Envoy delivers
/// them, and ends the stream; whether it crossed.
pub fn send_chat(worker: &Worker, body: &[u8]) -> bool {
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
    crossed
}
