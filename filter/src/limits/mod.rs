//! Token accounting: estimating prompts, per-request caps, and budgets that hold
//! under concurrency.
//!
//! - [`estimate`]: prompt token estimates without a tokenizer vocabulary.
//! - [`caps`]: per-request limits (models, choices, prompt and output length).
//! - [`budget`]: tokens and requests per minute, hour and day, reserved before a
//!   request goes upstream and settled with the usage of the answer.
//! - [`store`]: the compare-and-swap store budgets live in.
//! - [`config`]: the `limits` policy section.
//!
//! Nothing here knows proxy-wasm: the engine and the glue call in with plain
//! values and a [`store::Store`].

use crate::api::Shape;

pub mod budget;
pub mod caps;
mod cjk_pairs;
pub mod config;
pub mod estimate;
mod languages;
mod record;
pub mod store;

pub use budget::{Budgets, LimitKind, LimitState, Limited, RateLimitState, Refusal, Reservation};
pub use caps::{check_caps, CapRefusal, CapsConfig, CapsOutcome, RequestFacts};
pub use config::{BudgetsConfig, LimitsConfig, OnStoreError, Rates, WindowKind};
pub use estimate::{estimate_request_overhead, estimate_tokens, TokenCounter, TokenizerFamily};
pub use record::Period;
pub use store::{MemoryStore, Store, StoreError};

/// Whether customs should set `stream_options.include_usage` on this request: an
/// OpenAI stream that would otherwise report no usage. When it does, the glue
/// strips the extra usage chunk from the answer (see `api::usage`), since the
/// client did not ask for it.
pub fn should_inject_include_usage(cfg: &LimitsConfig, facts: &RequestFacts) -> bool {
    cfg.inject_include_usage()
        && facts.stream
        && !facts.include_usage
        && matches!(facts.shape, Shape::ChatCompletions | Shape::Completions)
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

    #[test]
    fn include_usage_is_injected_only_where_missing_and_wanted() {
        let facts = |shape, stream, include_usage| RequestFacts {
            shape,
            model: None,
            max_output: Vec::new(),
            n: 1,
            stream,
            include_usage,
            prompt_tokens: 0,
        };
        let on = LimitsConfig::default();
        let off = LimitsConfig {
            inject_include_usage: Some(false),
            ..LimitsConfig::default()
        };
        let cases = [
            (&on, facts(Shape::ChatCompletions, true, false), true),
            (&on, facts(Shape::Completions, true, false), true),
            (&on, facts(Shape::ChatCompletions, true, true), false),
            (&on, facts(Shape::ChatCompletions, false, false), false),
            (&on, facts(Shape::Responses, true, false), false),
            (&on, facts(Shape::AnthropicMessages, true, false), false),
            (&off, facts(Shape::ChatCompletions, true, false), false),
        ];
        for (i, (cfg, facts, want)) in cases.into_iter().enumerate() {
            assert_eq!(should_inject_include_usage(cfg, &facts), want, "case {i}");
        }
    }
}
