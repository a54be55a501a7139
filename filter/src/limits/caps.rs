//! Per-request caps: which models, how many choices, how long a prompt, how many
//! output tokens.
//!
//! The engine fills [`RequestFacts`] from the parsed request (or calls
//! [`RequestFacts::from_json`]), and [`check_caps`] answers with the edits to make
//! (clamp or insert the output limit) or a refusal naming the limit and the value
//! allowed. The output limit matters beyond the cap itself: a budget reservation is
//! the prompt plus the most the answer can cost, so an answer without a limit
//! cannot be reserved for exactly.

use serde::Deserialize;

use crate::api::Shape;
use crate::json::Json;
use crate::policy::PolicyError;

/// Per-request caps. Unset settings are not enforced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CapsConfig {
    /// The most output tokens a request may ask for (per choice).
    pub max_output_tokens: Option<u64>,
    /// A request asking for more: clamp it to the cap (default) or refuse it.
    pub on_excess: Option<OnExcess>,
    /// Insert the cap into requests that set no output limit (default true, so
    /// that the cap and the budgets hold for them too).
    pub insert_when_missing: Option<bool>,
    /// The most choices (`n`, `best_of`) a request may ask for.
    pub max_n: Option<u64>,
    /// The most prompt tokens (estimated) a request may carry.
    pub max_prompt_tokens: Option<u64>,
    /// When set, the only models a request may name.
    pub allowed_models: Option<Vec<String>>,
}

/// What to do with a request asking for more output than `max_output_tokens`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnExcess {
    /// Lower the request's output limit to the cap.
    #[default]
    Clamp,
    /// Refuse the request with 400.
    Refuse,
}

impl CapsConfig {
    pub fn on_excess(&self) -> OnExcess {
        self.on_excess.unwrap_or_default()
    }

    pub fn insert_when_missing(&self) -> bool {
        self.insert_when_missing.unwrap_or(true)
    }

    pub fn merged(&self, over: &CapsConfig) -> CapsConfig {
        CapsConfig {
            max_output_tokens: over.max_output_tokens.or(self.max_output_tokens),
            on_excess: over.on_excess.or(self.on_excess),
            insert_when_missing: over.insert_when_missing.or(self.insert_when_missing),
            max_n: over.max_n.or(self.max_n),
            max_prompt_tokens: over.max_prompt_tokens.or(self.max_prompt_tokens),
            allowed_models: over
                .allowed_models
                .clone()
                .or_else(|| self.allowed_models.clone()),
        }
    }

    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.max_output_tokens == Some(0) {
            return Err(PolicyError::new(
                "max_output_tokens",
                "must be greater than 0",
            ));
        }
        if self.max_prompt_tokens == Some(0) {
            return Err(PolicyError::new(
                "max_prompt_tokens",
                "must be greater than 0",
            ));
        }
        if self.max_n == Some(0) {
            return Err(PolicyError::new("max_n", "must be at least 1"));
        }
        if let Some(models) = &self.allowed_models {
            if let Some(i) = models.iter().position(|m| m.is_empty()) {
                return Err(PolicyError::new(
                    "allowed_models",
                    format!("entry {i} is empty"),
                ));
            }
        }
        Ok(())
    }
}

/// The output-limit fields an API reads.
fn output_fields(shape: Shape) -> &'static [OutputField] {
    match shape {
        Shape::ChatCompletions => &[OutputField::MaxTokens, OutputField::MaxCompletionTokens],
        Shape::Completions | Shape::AnthropicMessages => &[OutputField::MaxTokens],
        Shape::Responses => &[OutputField::MaxOutputTokens],
        Shape::Embeddings | Shape::Unknown => &[],
    }
}

/// The field to insert when a request sets none: chat uses the current
/// `max_completion_tokens` (the only one reasoning models accept).
fn insert_field(shape: Shape) -> Option<OutputField> {
    match shape {
        Shape::ChatCompletions => Some(OutputField::MaxCompletionTokens),
        Shape::Completions | Shape::AnthropicMessages => Some(OutputField::MaxTokens),
        Shape::Responses => Some(OutputField::MaxOutputTokens),
        Shape::Embeddings | Shape::Unknown => None,
    }
}

/// The fields that ask for several completions of one prompt.
fn choice_fields(shape: Shape) -> &'static [&'static str] {
    match shape {
        Shape::ChatCompletions => &["n"],
        Shape::Completions => &["n", "best_of"],
        _ => &[],
    }
}

/// A top-level request field limiting the output length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputField {
    /// OpenAI chat (older) and completions, Anthropic messages.
    MaxTokens,
    /// OpenAI chat.
    MaxCompletionTokens,
    /// OpenAI Responses.
    MaxOutputTokens,
}

impl OutputField {
    pub fn name(self) -> &'static str {
        match self {
            OutputField::MaxTokens => "max_tokens",
            OutputField::MaxCompletionTokens => "max_completion_tokens",
            OutputField::MaxOutputTokens => "max_output_tokens",
        }
    }
}

/// What caps need to know about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub shape: Shape,
    /// The model named by the request (for Azure, the deployment in the path).
    pub model: Option<String>,
    /// Every output-limit field the request sets, with its value.
    pub max_output: Vec<(OutputField, u64)>,
    /// Completions asked for (`n`, or `best_of` if larger); 1 when unset.
    pub n: u64,
    pub stream: bool,
    /// Whether the client itself set `stream_options.include_usage: true`.
    pub include_usage: bool,
    /// Estimated prompt tokens, framing included.
    pub prompt_tokens: u64,
}

impl RequestFacts {
    /// Read the facts from a parsed request body. Fields with values the provider
    /// would reject anyway (a negative `max_tokens`, a string `n`) are refused here,
    /// so that a malformed value can never slip past a cap.
    pub fn from_json(
        shape: Shape,
        body: &Json,
        prompt_tokens: u64,
    ) -> Result<RequestFacts, CapRefusal> {
        let mut max_output = Vec::new();
        for &field in output_fields(shape) {
            if let Some(value) = count_field(body, field.name())? {
                max_output.push((field, value));
            }
        }
        let mut n = 1;
        for &name in choice_fields(shape) {
            if let Some(value) = count_field(body, name)? {
                n = n.max(value);
            }
        }
        let stream = body.get("stream").and_then(Json::as_bool) == Some(true);
        let include_usage = body
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            .and_then(Json::as_bool)
            == Some(true);
        Ok(RequestFacts {
            shape,
            model: body.get("model").and_then(Json::as_str).map(str::to_string),
            max_output,
            n,
            stream,
            include_usage,
            prompt_tokens,
        })
    }
}

/// A non-negative integer field: absent or null is `None`.
fn count_field(body: &Json, name: &'static str) -> Result<Option<u64>, CapRefusal> {
    match body.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or_else(|| CapRefusal {
            status: 400,
            code: "invalid_request",
            field: Some(name),
            message: format!("`{name}` must be a non-negative integer"),
        }),
    }
}

/// A change to make to the request before it goes upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapEdit {
    /// Set this top-level field...
    pub field: OutputField,
    /// ...to this value.
    pub value: u64,
}

/// The request passes the caps, after these edits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapsOutcome {
    pub edits: Vec<CapEdit>,
    /// The most output tokens one choice can take once the edits are made, if
    /// bounded.
    pub max_output_per_choice: Option<u64>,
}

impl CapsOutcome {
    /// The tokens to reserve against the budgets: the prompt plus the most the
    /// answer can cost. With no output bound only the prompt can be reserved, and
    /// the answer is charged when it is settled.
    pub fn tokens_to_reserve(&self, facts: &RequestFacts) -> u64 {
        let output = self
            .max_output_per_choice
            .unwrap_or(0)
            .saturating_mul(facts.n.max(1));
        facts.prompt_tokens.saturating_add(output)
    }
}

/// The request breaks a cap: answer with this status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapRefusal {
    /// 400, 403 (model not allowed) or 413 (prompt too large).
    pub status: u16,
    pub code: &'static str,
    /// The request field at fault, if one is.
    pub field: Option<&'static str>,
    /// Names the limit and the value allowed; never echoes request content beyond
    /// the model name and numbers.
    pub message: String,
}

pub fn check_caps(cfg: &CapsConfig, facts: &RequestFacts) -> Result<CapsOutcome, CapRefusal> {
    if let Some(allowed) = &cfg.allowed_models {
        let model = facts.model.as_deref().unwrap_or("");
        if !allowed.iter().any(|m| m == model) {
            let named = if model.is_empty() {
                "a request without a model".to_string()
            } else {
                // The name comes from the client: keep the message short.
                let shown: String = model.chars().take(100).collect();
                format!("model `{shown}`")
            };
            return Err(CapRefusal {
                status: 403,
                code: "model_not_allowed",
                field: Some("model"),
                message: format!(
                    "{named} is not allowed; allowed models: {}",
                    allowed.join(", ")
                ),
            });
        }
    }
    if let Some(max_n) = cfg.max_n {
        if facts.n > max_n {
            return Err(CapRefusal {
                status: 400,
                code: "too_many_choices",
                field: Some("n"),
                message: format!("{} choices requested; at most {max_n} allowed", facts.n),
            });
        }
    }
    if let Some(max_prompt) = cfg.max_prompt_tokens {
        if facts.prompt_tokens > max_prompt {
            return Err(CapRefusal {
                status: 413,
                code: "prompt_too_large",
                field: None,
                message: format!(
                    "prompt of about {} tokens; at most {max_prompt} allowed",
                    facts.prompt_tokens
                ),
            });
        }
    }
    output_caps(cfg, facts)
}

fn output_caps(cfg: &CapsConfig, facts: &RequestFacts) -> Result<CapsOutcome, CapRefusal> {
    let asked = facts.max_output.iter().map(|&(_, v)| v).max();
    let Some(cap) = cfg.max_output_tokens else {
        return Ok(CapsOutcome {
            edits: Vec::new(),
            max_output_per_choice: asked,
        });
    };
    if output_fields(facts.shape).is_empty() {
        return Ok(CapsOutcome::default());
    }
    let mut outcome = CapsOutcome {
        edits: Vec::new(),
        max_output_per_choice: asked.map(|v| v.min(cap)),
    };
    for &(field, value) in &facts.max_output {
        if value <= cap {
            continue;
        }
        match cfg.on_excess() {
            OnExcess::Clamp => outcome.edits.push(CapEdit { field, value: cap }),
            OnExcess::Refuse => {
                return Err(CapRefusal {
                    status: 400,
                    code: "max_output_too_large",
                    field: Some(field.name()),
                    message: format!(
                        "`{}` of {value} requested; at most {cap} allowed",
                        field.name()
                    ),
                })
            }
        }
    }
    if asked.is_none() && cfg.insert_when_missing() {
        if let Some(field) = insert_field(facts.shape) {
            outcome.edits.push(CapEdit { field, value: cap });
            outcome.max_output_per_choice = Some(cap);
        }
    }
    Ok(outcome)
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
    use serde_json::{json, Value};

    fn caps(json: Value) -> CapsConfig {
        serde_json::from_value(json).unwrap()
    }

    fn tree(body: &Value) -> Json {
        crate::json::parse(body.to_string().as_bytes(), 64).unwrap()
    }

    fn facts(shape: Shape, body: Value) -> RequestFacts {
        RequestFacts::from_json(shape, &tree(&body), 100).unwrap()
    }

    #[test]
    fn reads_facts_per_shape() {
        let f = facts(
            Shape::ChatCompletions,
            json!({"model": "gpt-4o", "max_tokens": 10, "max_completion_tokens": 20, "n": 3,
                   "stream": true, "stream_options": {"include_usage": true}}),
        );
        assert_eq!(f.model.as_deref(), Some("gpt-4o"));
        assert_eq!(
            f.max_output,
            vec![
                (OutputField::MaxTokens, 10),
                (OutputField::MaxCompletionTokens, 20)
            ]
        );
        assert_eq!((f.n, f.stream, f.include_usage), (3, true, true));

        let f = facts(
            Shape::Completions,
            json!({"n": 2, "best_of": 5, "max_tokens": null}),
        );
        assert_eq!((f.n, f.max_output.len(), f.stream), (5, 0, false));

        let f = facts(
            Shape::Responses,
            json!({"max_output_tokens": 7, "max_tokens": 99}),
        );
        assert_eq!(f.max_output, vec![(OutputField::MaxOutputTokens, 7)]);

        let f = facts(
            Shape::AnthropicMessages,
            json!({"max_tokens": 1024, "n": 4}),
        );
        assert_eq!(
            (f.max_output.clone(), f.n),
            (vec![(OutputField::MaxTokens, 1024)], 1)
        );
    }

    #[test]
    fn malformed_counts_are_refused() {
        for body in [
            json!({"max_tokens": -1}),
            json!({"max_tokens": 1.5}),
            json!({"max_tokens": "100"}),
            json!({"max_completion_tokens": 1e30}),
            json!({"n": "2"}),
        ] {
            let err = RequestFacts::from_json(Shape::ChatCompletions, &tree(&body), 0).unwrap_err();
            assert_eq!((err.status, err.code), (400, "invalid_request"), "{body}");
            assert!(err.message.contains("must be a non-negative integer"));
        }
    }

    /// The edits and output bound, or the refusal's status and code.
    type Want = Result<(Vec<(OutputField, u64)>, Option<u64>), (u16, &'static str)>;

    #[test]
    fn decisions() {
        struct Case {
            name: &'static str,
            cfg: Value,
            shape: Shape,
            body: Value,
            want: Want,
        }
        use OutputField::*;
        use Shape::*;
        let cases = [
            Case {
                name: "no caps",
                cfg: json!({}),
                shape: ChatCompletions,
                body: json!({"max_tokens": 5000}),
                want: Ok((vec![], Some(5000))),
            },
            Case {
                name: "no caps, no limit",
                cfg: json!({}),
                shape: ChatCompletions,
                body: json!({}),
                want: Ok((vec![], None)),
            },
            Case {
                name: "under cap",
                cfg: json!({"max_output_tokens": 100}),
                shape: ChatCompletions,
                body: json!({"max_tokens": 50}),
                want: Ok((vec![], Some(50))),
            },
            Case {
                name: "clamp",
                cfg: json!({"max_output_tokens": 100}),
                shape: ChatCompletions,
                body: json!({"max_completion_tokens": 500}),
                want: Ok((vec![(MaxCompletionTokens, 100)], Some(100))),
            },
            Case {
                name: "clamp both chat fields",
                cfg: json!({"max_output_tokens": 100}),
                shape: ChatCompletions,
                body: json!({"max_tokens": 500, "max_completion_tokens": 80}),
                want: Ok((vec![(MaxTokens, 100)], Some(100))),
            },
            Case {
                name: "insert chat",
                cfg: json!({"max_output_tokens": 100}),
                shape: ChatCompletions,
                body: json!({}),
                want: Ok((vec![(MaxCompletionTokens, 100)], Some(100))),
            },
            Case {
                name: "insert responses",
                cfg: json!({"max_output_tokens": 100}),
                shape: Responses,
                body: json!({}),
                want: Ok((vec![(MaxOutputTokens, 100)], Some(100))),
            },
            Case {
                name: "insert anthropic",
                cfg: json!({"max_output_tokens": 100}),
                shape: AnthropicMessages,
                body: json!({}),
                want: Ok((vec![(MaxTokens, 100)], Some(100))),
            },
            Case {
                name: "no insert",
                cfg: json!({"max_output_tokens": 100, "insert_when_missing": false}),
                shape: ChatCompletions,
                body: json!({}),
                want: Ok((vec![], None)),
            },
            Case {
                name: "embeddings have no output",
                cfg: json!({"max_output_tokens": 100}),
                shape: Embeddings,
                body: json!({}),
                want: Ok((vec![], None)),
            },
            Case {
                name: "refuse excess",
                cfg: json!({"max_output_tokens": 100, "on_excess": "refuse"}),
                shape: AnthropicMessages,
                body: json!({"max_tokens": 101}),
                want: Err((400, "max_output_too_large")),
            },
            Case {
                name: "too many choices",
                cfg: json!({"max_n": 2}),
                shape: ChatCompletions,
                body: json!({"n": 3}),
                want: Err((400, "too_many_choices")),
            },
            Case {
                name: "best_of counts as choices",
                cfg: json!({"max_n": 2}),
                shape: Completions,
                body: json!({"best_of": 3}),
                want: Err((400, "too_many_choices")),
            },
            Case {
                name: "model allowed",
                cfg: json!({"allowed_models": ["gpt-4o"]}),
                shape: ChatCompletions,
                body: json!({"model": "gpt-4o"}),
                want: Ok((vec![], None)),
            },
            Case {
                name: "model not allowed",
                cfg: json!({"allowed_models": ["gpt-4o"]}),
                shape: ChatCompletions,
                body: json!({"model": "gpt-4o-mini"}),
                want: Err((403, "model_not_allowed")),
            },
            Case {
                name: "missing model not allowed",
                cfg: json!({"allowed_models": ["gpt-4o"]}),
                shape: ChatCompletions,
                body: json!({}),
                want: Err((403, "model_not_allowed")),
            },
            Case {
                name: "prompt too large",
                cfg: json!({"max_prompt_tokens": 99}),
                shape: ChatCompletions,
                body: json!({}),
                want: Err((413, "prompt_too_large")),
            },
            Case {
                name: "prompt at the limit",
                cfg: json!({"max_prompt_tokens": 100}),
                shape: ChatCompletions,
                body: json!({}),
                want: Ok((vec![], None)),
            },
        ];
        for case in cases {
            let got = check_caps(&caps(case.cfg), &facts(case.shape, case.body))
                .map(|o| {
                    (
                        o.edits
                            .iter()
                            .map(|e| (e.field, e.value))
                            .collect::<Vec<_>>(),
                        o.max_output_per_choice,
                    )
                })
                .map_err(|r| (r.status, r.code));
            assert_eq!(got, case.want, "{}", case.name);
        }
    }

    #[test]
    fn refusal_messages_name_limit_and_allowed_value() {
        let f = facts(
            Shape::ChatCompletions,
            json!({"model": "x", "max_tokens": 900, "n": 4}),
        );
        let cases = [
            (
                json!({"max_output_tokens": 100, "on_excess": "refuse"}),
                "`max_tokens` of 900 requested; at most 100 allowed",
            ),
            (
                json!({"max_n": 1}),
                "4 choices requested; at most 1 allowed",
            ),
            (
                json!({"max_prompt_tokens": 10}),
                "prompt of about 100 tokens; at most 10 allowed",
            ),
            (
                json!({"allowed_models": ["a", "b"]}),
                "model `x` is not allowed; allowed models: a, b",
            ),
        ];
        for (cfg, message) in cases {
            assert_eq!(check_caps(&caps(cfg), &f).unwrap_err().message, message);
        }
    }

    #[test]
    fn reservation_covers_every_choice() {
        let f = facts(Shape::ChatCompletions, json!({"n": 3}));
        let outcome = check_caps(&caps(json!({"max_output_tokens": 50})), &f).unwrap();
        assert_eq!(outcome.tokens_to_reserve(&f), 100 + 3 * 50);
        let unbounded = check_caps(&CapsConfig::default(), &f).unwrap();
        assert_eq!(unbounded.tokens_to_reserve(&f), 100);
    }
}
