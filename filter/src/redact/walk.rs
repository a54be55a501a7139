//! Finding every text in a body: what goes to a model, and what crosses the border.
//!
//! Each known shape names the subtrees that carry text (chat `messages`, Responses
//! `input` and `instructions`, Anthropic `system` and `messages`, …). Inside them
//! every string leaf is text, except values under structural keys (`type`, `role`,
//! ids, image data). A string under `arguments` is JSON inside a string (a tool
//! call): it is offered as embedded JSON, so the redactor can parse it, redact
//! inside and re-encode it. Numbers are offered too: a phone or card number sent
//! as a JSON number (`{"phone": 13812345678}` in tool-call arguments) is as
//! sensitive as the same digits in a string.
//!
//! The model reads those texts ([`text_slots`], what the token estimate counts),
//! but the provider receives the whole body: tool definitions, `user`,
//! `metadata`, JSON schemas, stop sequences, and every object's keys. Redaction
//! walks all of it ([`border_slots`]), leaving out only the top-level keys and
//! numbers (parameter names, sampling parameters, limits, seeds: protocol, not
//! data). Inside the
//! texts it also takes what crosses as data under structural keys: links the
//! provider fetches (an image's or a document's URL, never inline `data:`
//! bytes) and a tool-use block's `input`, which is arguments a model wrote.

use crate::api::Shape;
use crate::detect::Named;
use crate::json::Json;

/// One place holding text.
#[derive(Debug)]
pub enum Slot<'a> {
    Text(&'a mut String),
    /// A string holding JSON (tool-call arguments); plain text if it does not parse.
    EmbeddedJson(&'a mut String),
    /// A number (always a `Json::Number`): scanned as its digits; a finding
    /// turns it into a string holding the redacted text. With the name of
    /// the credential its key names (`"password": 12345678`, border walk
    /// only), a credential as a whole.
    Number(&'a mut Json, Option<Named>),
    /// The string value of a key that names a credential (`"password"`,
    /// `"client_secret"`): text, and a credential as a whole (border walk only).
    Credential(&'a mut String, Named),
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
    "data",
    "file_data",
];

/// Structural keys whose value may be a link the provider fetches: an image's
/// or a document's URL crosses as data (its query may name a person); inline
/// bytes (`data:` URLs, base64 `data`) do not go to the detectors.
const LINK_KEYS: &[&str] = &["url", "image_url", "source"];

fn is_inline_data(url: &str) -> bool {
    url.get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("data:"))
}

/// How far a walk reaches.
#[derive(Debug, Clone, Copy)]
struct Reach {
    /// Skip the values of structural keys.
    skip_structural: bool,
    /// Offer each object key as a text (the border walk).
    keys: bool,
}

/// All of a value: what crosses beside the texts, and JSON inside a text.
const EVERYTHING: Reach = Reach {
    skip_structural: false,
    keys: true,
};

/// The texts of a known shape as they cross: their keys too, their structure not.
const IN_TEXTS: Reach = Reach {
    skip_structural: true,
    keys: true,
};

/// Every text slot of `body` for `shape`: what the model reads. For
/// `Shape::Unknown` every string leaf of the document is a slot (the policy's
/// `inspect` choice).
pub fn text_slots(shape: Shape, body: &mut Json) -> Vec<Slot<'_>> {
    let mut out = Vec::with_capacity(32);
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

/// Every slot of `body` that crosses the border for `shape`: the texts of
/// [`text_slots`] and their object keys, and every string, number and key
/// elsewhere in the body (tool definitions, JSON schemas, `user`, `metadata`,
/// the model's name) but top-level numbers. Structural values are
/// skipped inside the texts only: elsewhere a key named `id` or `status` is a
/// schema's property or a customer's metadata, not the API's structure.
/// The top-level keys of a known shape are the API's parameter names, which
/// customs itself reads after redaction (`stream`, `stream_options`): not
/// offered.
pub fn border_slots(shape: Shape, body: &mut Json) -> Vec<Slot<'_>> {
    // A chat request has a dozen or two: room for them without regrowing.
    let mut out = Vec::with_capacity(32);
    if shape == Shape::Unknown || !matches!(body, Json::Object(_)) {
        collect(body, EVERYTHING, &mut out);
        return out;
    }
    let fields = text_fields(shape);
    if let Json::Object(entries) = body {
        for (key, value) in entries.iter_mut() {
            if fields.contains(&key.as_str()) {
                collect(value, IN_TEXTS, &mut out);
            } else if !matches!(value, Json::Number(_)) {
                collect(value, EVERYTHING, &mut out);
            }
        }
    }
    out
}

/// Every string and number leaf of `value` and every object key in it: all of
/// a JSON value that crosses (tool-call arguments inside a text).
pub fn border_leaves<'a>(value: &'a mut Json, out: &mut Vec<Slot<'a>>) {
    collect(value, EVERYTHING, out);
}

/// Every string and number leaf of `value`, skipping structural keys when
/// `skip_structural`.
pub fn leaves<'a>(value: &'a mut Json, skip_structural: bool, out: &mut Vec<Slot<'a>>) {
    let reach = Reach {
        skip_structural,
        keys: false,
    };
    collect(value, reach, out);
}

fn collect<'a>(value: &'a mut Json, reach: Reach, out: &mut Vec<Slot<'a>>) {
    if matches!(value, Json::Number(_)) {
        out.push(Slot::Number(value, None));
        return;
    }
    match value {
        Json::String(s) => out.push(Slot::Text(s)),
        Json::Array(items) => {
            for item in items.iter_mut() {
                collect(item, reach, out);
            }
        }
        Json::Object(entries) => {
            let setting = if reach.keys {
                named_setting(entries)
            } else {
                None
            };
            for (key, value) in entries.iter_mut() {
                let name = key.as_str();
                let structural = STRUCTURAL_KEYS.contains(&name);
                let embedded = name == "arguments" && matches!(value, Json::String(_));
                // A tool-use block's `input` (Anthropic) is the arguments a
                // model wrote, any JSON: none of it is the API's structure.
                let tool_input = name == "input" && matches!(value, Json::Object(_));
                // In the border walk, a link key's object (`image_url`,
                // `source`) is followed, and its URL string (`url`,
                // `image_url`) taken unless the bytes are inline.
                let link = reach.keys && LINK_KEYS.contains(&name);
                let (follow_object, take_url) = (name != "url", name != "source");
                // Whether a string under this key is a credential as a whole
                // (`"password": "..."`), in the border walk.
                let string = matches!(value, Json::String(_));
                let number = matches!(value, Json::Number(_));
                let named = if reach.keys && (string || number) {
                    Named::key(name).or(setting.filter(|_| name.eq_ignore_ascii_case("value")))
                } else {
                    None
                };
                if reach.keys && !structural {
                    out.push(Slot::Text(key));
                }
                if reach.skip_structural && tool_input {
                    let payload = Reach {
                        skip_structural: false,
                        ..reach
                    };
                    collect(value, payload, out);
                    continue;
                }
                if reach.skip_structural && link {
                    if matches!(value, Json::Object(_)) && follow_object {
                        collect(value, reach, out);
                    } else if let Json::String(url) = value {
                        if take_url && !is_inline_data(url) {
                            out.push(Slot::Text(url));
                        }
                    }
                    continue;
                }
                if reach.skip_structural && structural {
                    continue;
                }
                if number && named.is_some() {
                    out.push(Slot::Number(value, named));
                    continue;
                }
                let whole = string && (embedded || named.is_some());
                if !whole {
                    collect(value, reach, out);
                } else if let Json::String(s) = value {
                    out.push(match named {
                        Some(named) if !embedded => Slot::Credential(s, named),
                        _ => Slot::EmbeddedJson(s),
                    });
                }
            }
        }
        Json::Null | Json::Bool(_) | Json::Number(_) => {}
    }
}

/// What a setting's `value` holds when its `name` or `key` names a
/// credential: `{"name": "DB_PASSWORD", "value": "..."}`, as Kubernetes and
/// ECS write a container's environment.
fn named_setting(entries: &[(String, Json)]) -> Option<Named> {
    let holds_name =
        |key: &str| key.eq_ignore_ascii_case("name") || key.eq_ignore_ascii_case("key");
    let (_, name) = entries.iter().find(|(key, _)| holds_name(key))?;
    match name {
        Json::String(name) => Named::key(name),
        _ => None,
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
        shown(text_slots(shape, &mut body))
    }

    fn crossing(shape: Shape, doc: &str) -> Vec<String> {
        let mut body = json::parse(doc.as_bytes(), 64).unwrap();
        shown(border_slots(shape, &mut body))
    }

    fn shown(slots: Vec<Slot<'_>>) -> Vec<String> {
        slots
            .into_iter()
            .map(|s| match s {
                Slot::Text(t) => t.clone(),
                Slot::EmbeddedJson(t) => format!("json:{t}"),
                Slot::Number(n, None) => format!("number:{}", number_text(n).unwrap()),
                Slot::Number(n, Some(_)) => format!("credential:{}", number_text(n).unwrap()),
                Slot::Credential(t, _) => format!("credential:{t}"),
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

    #[test]
    fn the_border_walk_reaches_every_string_that_crosses() {
        // Expected slots, separated by spaces.
        let cases: &[(Shape, &str, &str)] = &[
            (
                Shape::ChatCompletions,
                r#"{"model":"gpt-4o","user":"u1","seed":7,"metadata":{"k":"v","n":5},
                    "messages":[{"role":"user","content":"hi","name":"ann"}],
                    "tools":[{"type":"function","function":{"name":"f","description":"d",
                      "parameters":{"type":"object","properties":{"id":{"type":"string","enum":["pe"]}},"required":["id"]}}}],
                    "response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"enum":["e"]}}},
                    "stop":["x"]}"#,
                concat!(
                    "gpt-4o u1 k v n number:5 content hi name ann function function name f description d ",
                    "parameters object properties string enum pe required id json_schema json_schema ",
                    "name s schema enum e x"
                ),
            ),
            (
                Shape::ChatCompletions,
                r#"{"messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function",
                    "function":{"name":"f","arguments":"{\"a\":1}"}}]}]}"#,
                r#"tool_calls function name f arguments json:{"a":1}"#,
            ),
            (
                Shape::AnthropicMessages,
                r#"{"model":"claude","max_tokens":5,"metadata":{"user_id":"u"},
                    "system":"sys","messages":[{"role":"user","content":"hi"}],
                    "tools":[{"name":"t","description":"td","input_schema":{"type":"object"}}]}"#,
                "claude user_id u sys content hi name t description td input_schema object",
            ),
            (
                Shape::Unknown,
                r#"{"a":{"b":["x",1]},"type":"t"}"#,
                "a b x number:1 t",
            ),
            (
                Shape::ChatCompletions,
                r#"{"messages":[{"role":"user","content":[
                    {"type":"image_url","image_url":{"url":"https://i.example/a.png?u=1","detail":"high"}},
                    {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},
                    {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]}]}"#,
                "content https://i.example/a.png?u=1 input_audio",
            ),
            (
                Shape::AnthropicMessages,
                r#"{"messages":[{"role":"user","content":[
                    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},
                    {"type":"document","source":{"type":"url","url":"https://d.example/x.pdf"}}]},
                    {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"id":"7","status":"s"}}]}]}"#,
                "content https://d.example/x.pdf content name f input 7 s",
            ),
            (Shape::Unknown, r#"["x",{"k":2}]"#, "x k number:2"),
        ];
        for (shape, doc, want) in cases {
            let want: Vec<&str> = want.split(' ').collect();
            assert_eq!(crossing(*shape, doc), want, "{shape:?} {doc}");
        }
    }
}
