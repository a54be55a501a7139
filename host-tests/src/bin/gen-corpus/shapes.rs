//! Request bodies of every API shape customs reads, with the text placed in
//! each kind of slot that shape has.

use serde_json::{json, Value as Json};

use crate::carriers::{SYSTEM_EN, SYSTEM_ZH};
use crate::rng::Rng;

/// (shape, path, placements).
pub const SHAPES: &[(&str, &str, &[&str])] = &[
    ("openai_chat", "/v1/chat/completions", CHAT),
    (
        "azure_chat",
        "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
        // The same body as OpenAI's: two slots are enough to show the route.
        &["content", "tool_args"],
    ),
    (
        "openai_responses",
        "/v1/responses",
        &["input", "instructions", "parts", "tool_args", "tool_result"],
    ),
    (
        "anthropic_messages",
        "/v1/messages",
        &["content", "system", "parts", "tool_args", "tool_result"],
    ),
    (
        "openai_completions",
        "/v1/completions",
        &["prompt", "prompt_list"],
    ),
    (
        "openai_embeddings",
        "/v1/embeddings",
        &["input", "input_list"],
    ),
];

const CHAT: &[&str] = &["content", "system", "parts", "tool_args", "tool_result"];

/// Every (shape, path, placement), in a stable order.
pub fn placements() -> Vec<(&'static str, &'static str, &'static str)> {
    SHAPES
        .iter()
        .flat_map(|(shape, path, places)| places.iter().map(move |p| (*shape, *path, *p)))
        .collect()
}

/// `v` as compact JSON with object keys in sorted order, whatever order the
/// map keeps them in (serde_json's `preserve_order` feature, if some crate
/// turned it on, would otherwise change the committed files).
pub fn canonical(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let fields: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::Value::from(k.as_str()), canonical(v)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        leaf => leaf.to_string(),
    }
}

/// Where a value sits in the body.
pub struct Slot<'a> {
    /// The sentence holding the value.
    pub text: &'a str,
    /// The value alone (as written) and what it is called, for tool calls that
    /// pass it as its own argument.
    pub alone: (&'a str, &'a str),
}

/// Whether the value ends up inside a JSON document nested in a string
/// (OpenAI tool-call arguments), so appears encoded twice in the body.
pub fn nested_in_string(shape: &str, placement: &str) -> bool {
    placement == "tool_args" && shape != "anthropic_messages"
}

/// The body for `shape` with `slot` at `placement`.
pub fn body(shape: &str, placement: &str, lang: &str, slot: &Slot, rng: &mut Rng) -> Json {
    let system = if lang == "zh" { SYSTEM_ZH } else { SYSTEM_EN };
    let text = slot.text;
    // Tool arguments hold the whole sentence, or the value as its own field.
    let args = if rng.chance(1, 2) {
        json!({"note": text, "limit": 5})
    } else {
        json!({"field": slot.alone.1, "value": slot.alone.0})
    };
    let follow_up = if lang == "zh" {
        "请按上面的说明处理。"
    } else {
        "Please follow the notes above."
    };
    match (shape, placement) {
        ("openai_chat" | "azure_chat", _) => {
            let model = if shape == "azure_chat" {
                None
            } else {
                Some("gpt-4o")
            };
            let messages = match placement {
                "content" => json!([
                    {"role": "system", "content": system},
                    {"role": "user", "content": text}
                ]),
                "system" => json!([
                    {"role": "system", "content": text},
                    {"role": "user", "content": follow_up}
                ]),
                "parts" => json!([{"role": "user", "content": [
                    {"type": "text", "text": text},
                    {"type": "image_url", "image_url": {"url": "https://example.com/receipt.png", "detail": "low"}}
                ]}]),
                "tool_args" => json!([
                    {"role": "user", "content": follow_up},
                    {"role": "assistant", "content": null, "tool_calls": [{
                        "id": "call_8f2a", "type": "function",
                        "function": {"name": "lookup_customer", "arguments": canonical(&args)}
                    }]},
                    {"role": "tool", "tool_call_id": "call_8f2a", "content": "{\"found\":false}"}
                ]),
                _ => json!([
                    {"role": "user", "content": follow_up},
                    {"role": "assistant", "content": null, "tool_calls": [{
                        "id": "call_8f2a", "type": "function",
                        "function": {"name": "read_ticket", "arguments": "{\"id\":4821}"}
                    }]},
                    {"role": "tool", "tool_call_id": "call_8f2a", "content": text}
                ]),
            };
            let mut body = json!({"messages": messages});
            if let Some(model) = model {
                body["model"] = json!(model);
            }
            body
        }
        ("openai_responses", _) => {
            let mut body = json!({"model": "gpt-4.1-mini"});
            match placement {
                "input" => body["input"] = json!(text),
                "instructions" => {
                    body["instructions"] = json!(text);
                    body["input"] = json!(follow_up);
                }
                "parts" => {
                    body["input"] = json!([{"role": "user", "content": [
                        {"type": "input_text", "text": text}
                    ]}])
                }
                "tool_args" => {
                    body["input"] = json!([
                        {"role": "user", "content": follow_up},
                        {"type": "function_call", "call_id": "call_51c", "name": "lookup_customer",
                         "arguments": canonical(&args)},
                        {"type": "function_call_output", "call_id": "call_51c", "output": "{\"found\":false}"}
                    ])
                }
                _ => {
                    body["input"] = json!([
                        {"role": "user", "content": follow_up},
                        {"type": "function_call", "call_id": "call_51c", "name": "read_ticket",
                         "arguments": "{\"id\":4821}"},
                        {"type": "function_call_output", "call_id": "call_51c", "output": text}
                    ])
                }
            }
            body
        }
        ("anthropic_messages", _) => {
            let mut body =
                json!({"model": "claude-sonnet-4-5", "max_tokens": 1024, "system": system});
            body["messages"] = match placement {
                "content" => json!([{"role": "user", "content": text}]),
                "system" => {
                    body["system"] = if rng.chance(1, 2) {
                        json!(text)
                    } else {
                        json!([{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}])
                    };
                    json!([{"role": "user", "content": follow_up}])
                }
                "parts" => json!([{"role": "user", "content": [
                    {"type": "text", "text": text},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"}}
                ]}]),
                "tool_args" => json!([
                    {"role": "user", "content": follow_up},
                    {"role": "assistant", "content": [
                        {"type": "tool_use", "id": "toolu_01A", "name": "lookup_customer", "input": args}
                    ]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "not found"}
                    ]}
                ]),
                _ => {
                    let result = if rng.chance(1, 2) {
                        json!(text)
                    } else {
                        json!([{"type": "text", "text": text}])
                    };
                    json!([
                        {"role": "user", "content": follow_up},
                        {"role": "assistant", "content": [
                            {"type": "tool_use", "id": "toolu_01A", "name": "read_ticket", "input": {"id": 4821}}
                        ]},
                        {"role": "user", "content": [
                            {"type": "tool_result", "tool_use_id": "toolu_01A", "content": result}
                        ]}
                    ])
                }
            };
            body
        }
        ("openai_completions", "prompt") => {
            json!({"model": "gpt-3.5-turbo-instruct", "prompt": text, "max_tokens": 200})
        }
        ("openai_completions", _) => {
            json!({"model": "gpt-3.5-turbo-instruct", "prompt": [follow_up, text], "max_tokens": 200})
        }
        ("openai_embeddings", "input") => json!({"model": "text-embedding-3-small", "input": text}),
        _ => json!({"model": "text-embedding-3-small", "input": [system, text]}),
    }
}
