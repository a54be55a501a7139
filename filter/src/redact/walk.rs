//! Finding every text in a body that goes to a model.
//!
//! Each known shape names the subtrees that carry text (chat `messages`, Responses
//! `input` and `instructions`, Anthropic `system` and `messages`, …). Inside them
//! every string leaf is text, except values under structural keys (`type`, `role`,
//! ids, image data). A string under `arguments` is JSON inside a string (a tool
//! call): it is offered as embedded JSON, so the redactor can parse it, redact
//! inside and re-encode it. Numbers are offered too: a phone or card number sent
//! as a JSON number (`{"phone": 13812345678}` in tool-call arguments) is as
//! sensitive as the same digits in a string.

use crate::api::Shape;
use crate::json::Json;

/// One place holding text.
#[derive(Debug)]
pub enum Slot<'a> {
    Text(&'a mut String),
    /// A string holding JSON (tool-call arguments); plain text if it does not parse.
    EmbeddedJson(&'a mut String),
    /// A number (always a `Json::Number`): scanned as its digits; a finding
    /// turns it into a string holding the redacted text.
    Number(&'a mut Json),
}

/// Top-level fields that carry text to the model, per shape.
fn text_fields(shape: Shape) -> &'static [&'static str] {
    match shape {
        Shape::ChatCompletions => &["messages", "prompt"],
        Shape::Completions => &["prompt", "suffix"],
        Shape::Responses => &["input", "instructions"],
        Shape::Embeddings => &["input"],
        Shape::AnthropicMessages => &["system", "messages"],
        Shape::Unknown => &[],
    }
}

/// Keys whose string values are structure, not text: roles, types, ids, image and
/// file data, cache hints.
const STRUCTURAL_KEYS: &[&str] = &[
    "type",
    "role",
    "id",
    "call_id",
    "tool_call_id",
    "tool_use_id",
    "image_url",
    "url",
    "source",
    "media_type",
    "detail",
    "cache_control",
    "file_id",
    "status",
    "format",
];

/// Every text slot of `body` for `shape`. For `Shape::Unknown` every string leaf
/// of the document is a slot (the policy's `inspect` choice).
pub fn text_slots(shape: Shape, body: &mut Json) -> Vec<Slot<'_>> {
    let mut out = Vec::new();
    if shape == Shape::Unknown {
        leaves(body, false, &mut out);
        return out;
    }
    let fields = text_fields(shape);
    if let Json::Object(entries) = body {
        for (key, value) in entries.iter_mut() {
            if fields.contains(&key.as_str()) {
                leaves(value, true, &mut out);
            }
        }
    }
    out
}

/// Every string and number leaf of `value`, skipping structural keys when
/// `skip_structural`.
pub fn leaves<'a>(value: &'a mut Json, skip_structural: bool, out: &mut Vec<Slot<'a>>) {
    if matches!(value, Json::Number(_)) {
        out.push(Slot::Number(value));
        return;
    }
    match value {
        Json::String(s) => out.push(Slot::Text(s)),
        Json::Array(items) => {
            for item in items.iter_mut() {
                leaves(item, skip_structural, out);
            }
        }
        Json::Object(entries) => {
            for (key, value) in entries.iter_mut() {
                if skip_structural && STRUCTURAL_KEYS.contains(&key.as_str()) {
                    continue;
                }
                let embedded = key == "arguments" && matches!(value, Json::String(_));
                if !embedded {
                    leaves(value, skip_structural, out);
                } else if let Json::String(s) = value {
                    out.push(Slot::EmbeddedJson(s));
                }
            }
        }
        Json::Null | Json::Bool(_) | Json::Number(_) => {}
    }
}

/// The text of a number slot's value (its digits as the client wrote them).
pub fn number_text(value: &Json) -> Option<String> {
    match value {
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::json;

    fn texts(shape: Shape, doc: &str) -> Vec<String> {
        let mut body = json::parse(doc.as_bytes(), 64).unwrap();
        text_slots(shape, &mut body)
            .into_iter()
            .map(|s| match s {
                Slot::Text(t) => t.clone(),
                Slot::EmbeddedJson(t) => format!("json:{t}"),
                Slot::Number(n) => format!("number:{}", number_text(n).unwrap()),
            })
            .collect()
    }

    #[test]
    fn finds_every_text_in_every_shape() {
        let cases: &[(Shape, &str, &[&str])] = &[
            (
                Shape::ChatCompletions,
                r#"{"model":"gpt-4o","user":"u1","messages":[
                    {"role":"system","content":"sys"},
                    {"role":"user","content":[{"type":"text","text":"part"},{"type":"image_url","image_url":{"url":"data:x"}}]},
                    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":\"arg\"}"}}]},
                    {"role":"tool","tool_call_id":"c1","content":"result"}]}"#,
                &["sys", "part", "f", "json:{\"a\":\"arg\"}", "result"],
            ),
            (
                Shape::Completions,
                r#"{"model":"m","prompt":["p1","p2"],"suffix":"s"}"#,
                &["p1", "p2", "s"],
            ),
            (
                Shape::Responses,
                r#"{"model":"m","instructions":"ins","input":[{"role":"user","content":[{"type":"input_text","text":"t"}]},
                   {"type":"function_call","call_id":"x","name":"g","arguments":"{}"},{"type":"function_call_output","call_id":"x","output":"out"}]}"#,
                &["ins", "t", "g", "json:{}", "out"],
            ),
            (Shape::Responses, r#"{"input":"plain"}"#, &["plain"]),
            (
                Shape::Embeddings,
                r#"{"model":"e","input":["a","b"]}"#,
                &["a", "b"],
            ),
            (
                Shape::AnthropicMessages,
                r#"{"model":"claude","max_tokens":5,"system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],
                   "messages":[{"role":"user","content":"hi"},
                   {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"lookup","input":{"q":"deep"}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"res"}]},
                     {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]}]}"#,
                &["sys", "hi", "lookup", "deep", "res"],
            ),
            (
                Shape::Unknown,
                r#"{"a":{"b":["x",1,"y"]},"type":"t"}"#,
                &["x", "number:1", "y", "t"],
            ),
        ];
        for (shape, doc, want) in cases {
            assert_eq!(texts(*shape, doc), *want, "{shape:?}");
        }
    }
}
