//! Token usage reported by answers: JSON bodies and event streams.
//!
//! Providers count differently; [`Usage`] puts them on one footing:
//! - `input` is every prompt token, cached or not. OpenAI's `prompt_tokens` (or
//!   `input_tokens`) already includes its cached tokens; Anthropic's
//!   `input_tokens` does not, so its `cache_read_input_tokens` and
//!   `cache_creation_input_tokens` are added in.
//! - `cached_input` (tokens read from the prompt cache) and `cache_creation`
//!   (tokens written to it, Anthropic only) are parts of `input`.
//! - `output` is every generated token; `reasoning` is part of it (OpenAI's
//!   `completion_tokens` includes reasoning tokens, as Anthropic's
//!   `output_tokens` includes thinking).
//!
//! What a budget is charged: `input + output`, less `cached_input` when the
//! policy's `count_cached_input` is false (cache writes are always charged).
//!
//! A stream that never reports usage (an older backend, a client that went away)
//! is charged from what was seen: the prompt estimate, or the input the stream
//! reported, plus the streamed output text counted with the estimator.

use serde::Deserialize;

use super::sse::SseEvent;
use super::Provider;
use crate::limits::estimate::{TokenCounter, TokenizerFamily};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cached_input: u64,
    pub reasoning: u64,
    pub cache_creation: u64,
}

impl Usage {
    /// The tokens a budget is charged for this usage.
    pub fn charged_tokens(&self, count_cached_input: bool) -> u64 {
        let input = if count_cached_input {
            self.input
        } else {
            self.input.saturating_sub(self.cached_input)
        };
        input.saturating_add(self.output)
    }
}

/// The usage of a JSON answer (chat, completions, Responses, embeddings,
/// Anthropic messages), or `None` if it reports none.
pub fn usage_from_json(body: &[u8], provider: Provider) -> Option<Usage> {
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    envelope.usage?.normalise(provider)
}

#[derive(Deserialize)]
struct Envelope {
    usage: Option<RawUsage>,
}

/// Every usage field of every format; absent and null fields are `None`.
#[derive(Debug, Default, Deserialize)]
struct RawUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    prompt_tokens_details: Option<Details>,
    completion_tokens_details: Option<Details>,
    input_tokens_details: Option<Details>,
    output_tokens_details: Option<Details>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct Details {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
}

fn detail(details: &Option<Details>, pick: fn(&Details) -> Option<u64>) -> Option<u64> {
    details.as_ref().and_then(pick)
}

impl RawUsage {
    fn normalise(&self, provider: Provider) -> Option<Usage> {
        match provider {
            Provider::OpenAi => {
                let input = self.prompt_tokens.or(self.input_tokens);
                let output = self.completion_tokens.or(self.output_tokens);
                if input.is_none() && output.is_none() {
                    return None;
                }
                let cached = detail(&self.prompt_tokens_details, |d| d.cached_tokens)
                    .or(detail(&self.input_tokens_details, |d| d.cached_tokens));
                let reasoning = detail(&self.completion_tokens_details, |d| d.reasoning_tokens)
                    .or(detail(&self.output_tokens_details, |d| d.reasoning_tokens));
                Some(Usage {
                    input: input.unwrap_or(0),
                    output: output.unwrap_or(0),
                    cached_input: cached.unwrap_or(0),
                    reasoning: reasoning.unwrap_or(0),
                    cache_creation: 0,
                })
            }
            Provider::Anthropic => {
                if self.input_tokens.is_none() && self.output_tokens.is_none() {
                    return None;
                }
                let read = self.cache_read_input_tokens.unwrap_or(0);
                let created = self.cache_creation_input_tokens.unwrap_or(0);
                Some(Usage {
                    input: self
                        .input_tokens
                        .unwrap_or(0)
                        .saturating_add(read)
                        .saturating_add(created),
                    output: self.output_tokens.unwrap_or(0),
                    cached_input: read,
                    reasoning: 0,
                    cache_creation: created,
                })
            }
        }
    }
}

/// The parts of a stream event that carry usage or output text. One shape for
/// every format: OpenAI chat and completions chunks, Responses events and
/// Anthropic events.
#[derive(Deserialize)]
struct Chunk {
    #[serde(rename = "type")]
    kind: Option<String>,
    choices: Option<Vec<Choice>>,
    usage: Option<RawUsage>,
    /// Anthropic `message_start`.
    message: Option<WithUsage>,
    /// Responses `response.completed` and friends.
    response: Option<WithUsage>,
    /// Responses text deltas are strings, Anthropic's are objects.
    delta: Option<Delta>,
}

#[derive(Deserialize)]
struct WithUsage {
    usage: Option<RawUsage>,
}

#[derive(Deserialize)]
struct Choice {
    delta: Option<ChatDelta>,
    /// Legacy completions.
    text: Option<String>,
}

#[derive(Deserialize)]
struct ChatDelta {
    content: Option<String>,
    refusal: Option<String>,
    reasoning_content: Option<String>,
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    arguments: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Delta {
    Text(String),
    Block(BlockDelta),
}

#[derive(Deserialize)]
struct BlockDelta {
    text: Option<String>,
    partial_json: Option<String>,
    thinking: Option<String>,
}

/// Whether `event` is the extra chunk `stream_options.include_usage` adds to an
/// OpenAI stream: empty `choices` and a `usage`. The glue drops it when customs
/// asked for usage on the client's behalf.
pub fn is_usage_only_chunk(event: &SseEvent) -> bool {
    if !event.has_data || !event.data.contains("\"usage\"") {
        return false;
    }
    match serde_json::from_str::<Chunk>(&event.data) {
        Ok(chunk) => chunk.usage.is_some() && chunk.choices.as_ref().is_some_and(|c| c.is_empty()),
        Err(_) => false,
    }
}

/// Usage gathered from a stream, event by event.
#[derive(Debug, Clone)]
pub struct StreamUsage {
    provider: Provider,
    /// The latest usage the stream reported, if any.
    reported: Option<Usage>,
    /// Whether the report is final (OpenAI usage chunk, Responses completion,
    /// Anthropic `message_delta`), not just Anthropic's opening input count.
    complete: bool,
    streamed: TokenCounter,
}

impl StreamUsage {
    pub fn new(provider: Provider) -> StreamUsage {
        let family = match provider {
            Provider::OpenAi => TokenizerFamily::OpenAi,
            Provider::Anthropic => TokenizerFamily::Anthropic,
        };
        StreamUsage {
            provider,
            reported: None,
            complete: false,
            streamed: TokenCounter::new(family),
        }
    }

    /// Read one event. Events that are not JSON (`[DONE]`, pings) are ignored.
    pub fn observe(&mut self, event: &SseEvent) {
        if !event.has_data {
            return;
        }
        let Ok(chunk) = serde_json::from_str::<Chunk>(&event.data) else {
            return;
        };
        self.count_text(&chunk);
        match self.provider {
            Provider::OpenAi => {
                let usage = chunk.usage.or(chunk.response.and_then(|r| r.usage));
                if let Some(usage) = usage.and_then(|u| u.normalise(Provider::OpenAi)) {
                    self.reported = Some(usage);
                    self.complete = true;
                }
            }
            Provider::Anthropic => {
                if let Some(usage) = chunk
                    .message
                    .and_then(|m| m.usage)
                    .and_then(|u| u.normalise(Provider::Anthropic))
                {
                    // message_start: the input, and a first output count.
                    self.reported = Some(usage);
                }
                if let Some(delta) = chunk.usage {
                    // message_delta: cumulative counts; fields it omits keep the
                    // values message_start gave.
                    let mut usage = self.reported.unwrap_or_default();
                    if let Some(output) = delta.output_tokens {
                        usage.output = output;
                    }
                    if delta.input_tokens.is_some()
                        || delta.cache_read_input_tokens.is_some()
                        || delta.cache_creation_input_tokens.is_some()
                    {
                        if let Some(full) = delta.normalise(Provider::Anthropic) {
                            usage.input = full.input;
                            usage.cached_input = full.cached_input;
                            usage.cache_creation = full.cache_creation;
                        }
                    }
                    self.reported = Some(usage);
                    self.complete = true;
                }
            }
        }
    }

    fn count_text(&mut self, chunk: &Chunk) {
        for choice in chunk.choices.iter().flatten() {
            if let Some(text) = &choice.text {
                self.streamed.push(text);
            }
            let Some(delta) = &choice.delta else { continue };
            for text in [&delta.content, &delta.refusal, &delta.reasoning_content]
                .into_iter()
                .flatten()
            {
                self.streamed.push(text);
            }
            for call in delta.tool_calls.iter().flatten() {
                if let Some(arguments) = call.function.as_ref().and_then(|f| f.arguments.as_ref()) {
                    self.streamed.push(arguments);
                }
            }
        }
        match &chunk.delta {
            // Responses: `response.output_text.delta`, function-call arguments,
            // reasoning summaries; audio deltas are base64, not text.
            Some(Delta::Text(text)) => {
                let audio = chunk.kind.as_deref().is_some_and(|k| k.contains("audio"));
                if !audio {
                    self.streamed.push(text);
                }
            }
            Some(Delta::Block(block)) => {
                for text in [&block.text, &block.partial_json, &block.thinking]
                    .into_iter()
                    .flatten()
                {
                    self.streamed.push(text);
                }
            }
            None => {}
        }
    }

    /// The final usage the stream reported, if it got that far.
    pub fn reported(&self) -> Option<Usage> {
        if self.complete {
            self.reported
        } else {
            None
        }
    }

    /// Estimated tokens of the output text streamed so far.
    pub fn streamed_output_estimate(&self) -> u64 {
        u64::from(self.streamed.total())
    }

    /// The tokens to settle the budget with: the final reported usage when there
    /// is one; otherwise the input the stream reported (or `prompt_estimate`) plus
    /// the larger of the reported output and the streamed output estimate.
    pub fn charge(&self, prompt_estimate: u64, count_cached_input: bool) -> u64 {
        if let Some(usage) = self.reported() {
            return usage.charged_tokens(count_cached_input);
        }
        let streamed = self.streamed_output_estimate();
        let usage = match self.reported {
            Some(partial) => Usage {
                output: partial.output.max(streamed),
                ..partial
            },
            None => Usage {
                input: prompt_estimate,
                output: streamed,
                ..Usage::default()
            },
        };
        usage.charged_tokens(count_cached_input)
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
    use crate::api::sse::SseSplitter;

    #[test]
    fn json_bodies() {
        let cases: &[(&str, Provider, Option<Usage>)] = &[
            (
                r#"{"id":"c","choices":[],"usage":{"prompt_tokens":41,"completion_tokens":27,"total_tokens":68,
                   "prompt_tokens_details":{"cached_tokens":32,"audio_tokens":0},
                   "completion_tokens_details":{"reasoning_tokens":11}}}"#,
                Provider::OpenAi,
                Some(Usage {
                    input: 41,
                    output: 27,
                    cached_input: 32,
                    reasoning: 11,
                    cache_creation: 0,
                }),
            ),
            (
                r#"{"object":"response","usage":{"input_tokens":10,"output_tokens":5,"total_tokens":15,
                   "input_tokens_details":{"cached_tokens":4},"output_tokens_details":{"reasoning_tokens":2}}}"#,
                Provider::OpenAi,
                Some(Usage {
                    input: 10,
                    output: 5,
                    cached_input: 4,
                    reasoning: 2,
                    cache_creation: 0,
                }),
            ),
            (
                r#"{"object":"list","data":[{"embedding":[0.1]}],"usage":{"prompt_tokens":8,"total_tokens":8}}"#,
                Provider::OpenAi,
                Some(Usage {
                    input: 8,
                    ..Usage::default()
                }),
            ),
            (
                r#"{"type":"message","content":[],"usage":{"input_tokens":12,"output_tokens":30,
                   "cache_creation_input_tokens":100,"cache_read_input_tokens":200}}"#,
                Provider::Anthropic,
                Some(Usage {
                    input: 312,
                    output: 30,
                    cached_input: 200,
                    reasoning: 0,
                    cache_creation: 100,
                }),
            ),
            (
                r#"{"type":"message","usage":{"input_tokens":12,"output_tokens":30}}"#,
                Provider::Anthropic,
                Some(Usage {
                    input: 12,
                    output: 30,
                    ..Usage::default()
                }),
            ),
            (
                r#"{"error":{"message":"bad","type":"invalid_request_error"}}"#,
                Provider::OpenAi,
                None,
            ),
            (r#"{"usage":null}"#, Provider::OpenAi, None),
            (r#"{"usage":{}}"#, Provider::Anthropic, None),
            (r#"{"usage":{"prompt_tokens":-1}}"#, Provider::OpenAi, None),
            (r#"not json"#, Provider::OpenAi, None),
        ];
        for (body, provider, want) in cases {
            assert_eq!(usage_from_json(body.as_bytes(), *provider), *want, "{body}");
        }
    }

    #[test]
    fn charging_cached_tokens_is_a_switch() {
        let usage = Usage {
            input: 312,
            output: 30,
            cached_input: 200,
            reasoning: 0,
            cache_creation: 100,
        };
        assert_eq!(usage.charged_tokens(true), 342);
        assert_eq!(usage.charged_tokens(false), 142);
    }

    const OPENAI_CHAT: &str = concat!(
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"}}],\"usage\":null}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\", friend.\"},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
        "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13,",
        "\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n",
        "data: [DONE]\n\n",
    );

    const RESPONSES: &str = concat!(
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"usage\":null}}\n\n",
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hello there\"}\n\n",
        "event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"delta\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}\n\n",
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",",
        "\"usage\":{\"input_tokens\":20,\"output_tokens\":9,\"input_tokens_details\":{\"cached_tokens\":16},",
        "\"output_tokens_details\":{\"reasoning_tokens\":3}}}}\n\n",
    );

    const ANTHROPIC: &str = concat!(
        "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":",
        "{\"input_tokens\":25,\"output_tokens\":1,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":0}}}\r\n\r\n",
        "event: ping\r\ndata: {\"type\":\"ping\"}\r\n\r\n",
        "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there\"}}\r\n\r\n",
        "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\": 1}\"}}\r\n\r\n",
        "event: message_delta\r\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},",
        "\"usage\":{\"output_tokens\":15}}\r\n\r\n",
        "event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n",
    );

    /// Run a stream through the splitter and the usage reader, cut at `cut`.
    fn read(stream: &str, provider: Provider, cut: usize) -> (StreamUsage, usize) {
        let bytes = stream.as_bytes();
        let mut splitter = SseSplitter::new();
        let mut usage = StreamUsage::new(provider);
        let mut usage_only = 0;
        let mut events = splitter.push(&bytes[..cut]);
        events.extend(splitter.push(&bytes[cut..]));
        events.extend(splitter.finish());
        for event in &events {
            usage.observe(event);
            usage_only += usize::from(is_usage_only_chunk(event));
        }
        (usage, usage_only)
    }

    #[test]
    fn stream_formats_at_every_cut() {
        let cases = [
            (
                OPENAI_CHAT,
                Provider::OpenAi,
                Usage {
                    input: 9,
                    output: 4,
                    ..Usage::default()
                },
                1,
            ),
            (
                RESPONSES,
                Provider::OpenAi,
                Usage {
                    input: 20,
                    output: 9,
                    cached_input: 16,
                    reasoning: 3,
                    cache_creation: 0,
                },
                0,
            ),
            (
                ANTHROPIC,
                Provider::Anthropic,
                Usage {
                    input: 125,
                    output: 15,
                    cached_input: 100,
                    reasoning: 0,
                    cache_creation: 0,
                },
                0,
            ),
        ];
        for (stream, provider, want, usage_only) in cases {
            let streamed = read(stream, provider, 0).0.streamed_output_estimate();
            assert!(streamed >= 3, "streamed text counted: {streamed}");
            for cut in 0..=stream.len() {
                let (usage, seen_usage_only) = read(stream, provider, cut);
                assert_eq!(usage.reported(), Some(want), "cut {cut}");
                assert_eq!(usage.streamed_output_estimate(), streamed, "cut {cut}");
                assert_eq!(seen_usage_only, usage_only, "cut {cut}");
            }
        }
    }

    #[test]
    fn a_stream_without_usage_is_charged_from_estimates() {
        // Everything before the usage chunk: the client left, or the backend
        // does not report usage.
        let cut = OPENAI_CHAT
            .find("data: {\"id\":\"c\",\"choices\":[]")
            .unwrap();
        let (usage, _) = read(&OPENAI_CHAT[..cut], Provider::OpenAi, 0);
        assert_eq!(usage.reported(), None);
        let streamed = usage.streamed_output_estimate();
        assert_eq!(
            streamed,
            u64::from(crate::limits::estimate_tokens(
                "Hello there, friend.",
                TokenizerFamily::OpenAi
            ))
        );
        assert_eq!(usage.charge(50, true), 50 + streamed);
    }

    #[test]
    fn anthropic_cut_after_message_start_charges_reported_input() {
        let cut = ANTHROPIC.find("event: message_delta").unwrap();
        let (usage, _) = read(&ANTHROPIC[..cut], Provider::Anthropic, 0);
        assert_eq!(usage.reported(), None);
        let streamed = usage.streamed_output_estimate();
        assert!(streamed > 1);
        // Input from message_start (125, 100 of them cached), output estimated.
        assert_eq!(usage.charge(999, true), 125 + streamed);
        assert_eq!(usage.charge(999, false), 25 + streamed);
    }

    #[test]
    fn usage_only_chunk_detection() {
        let event = |data: &str| SseEvent {
            data: data.to_string(),
            has_data: true,
            ..SseEvent::default()
        };
        let cases = [
            (
                r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#,
                true,
            ),
            (
                r#"{"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1}}"#,
                false,
            ),
            (r#"{"choices":[],"usage":null}"#, false),
            (r#"{"choices":[{"delta":{}}]}"#, false),
            ("[DONE]", false),
        ];
        for (data, want) in cases {
            assert_eq!(is_usage_only_chunk(&event(data)), want, "{data}");
        }
    }
}
