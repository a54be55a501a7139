//! Bulk-extraction signals: traces that distillation by harvesting model output
//! leaves. Requests for `logprobs`, many choices, very large output caps, and a
//! tenant's output volume per hour. Each raised signal is a metric and an audit
//! field; the policy turns it into a tag, a throttle (the request is charged to the
//! budget several times over) or a block.

use crate::json::Json;
use crate::limits::{Store, StoreError};
use crate::policy::PolicyError;
use serde::Deserialize;

/// What a raised signal does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignalAction {
    /// Tag, count and log it.
    #[default]
    Tag,
    /// Charge the request `throttle_factor` times against the budgets.
    Throttle,
    /// Refuse the request with 403.
    Block,
}

/// A signal raised above a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub above: u64,
    #[serde(default)]
    pub action: SignalAction,
}

/// The `signals` section. Every signal is watched by default, with action `tag`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignalRules {
    /// Requests asking for `logprobs` or `top_logprobs`.
    #[serde(default)]
    pub logprobs: SignalAction,
    /// `n` (choices per request) above a threshold (default 1).
    #[serde(default = "default_many_choices")]
    pub many_choices: Threshold,
    /// A requested output cap above a threshold (default 16384 tokens).
    #[serde(default = "default_large_output")]
    pub large_output_cap: Threshold,
    /// A tenant's output tokens in the current hour above a threshold. Off unless set.
    #[serde(default)]
    pub output_tokens_per_hour: Option<Threshold>,
    /// How many times over a throttled request is charged (default 4).
    #[serde(default = "default_throttle_factor")]
    pub throttle_factor: u64,
}

fn default_many_choices() -> Threshold {
    Threshold {
        above: 1,
        action: SignalAction::Tag,
    }
}

fn default_large_output() -> Threshold {
    Threshold {
        above: 16_384,
        action: SignalAction::Tag,
    }
}

fn default_throttle_factor() -> u64 {
    4
}

impl Default for SignalRules {
    fn default() -> Self {
        SignalRules {
            logprobs: SignalAction::Tag,
            many_choices: default_many_choices(),
            large_output_cap: default_large_output(),
            output_tokens_per_hour: None,
            throttle_factor: default_throttle_factor(),
        }
    }
}

/// The signals a request raised and what they add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Raised {
    pub names: Vec<&'static str>,
    /// The strongest action among them.
    pub action: SignalAction,
}

impl SignalRules {
    pub fn validate(&self) -> Result<(), PolicyError> {
        if !(2..=100).contains(&self.throttle_factor) {
            return Err(PolicyError::new(
                "throttle_factor",
                format!("{} is outside 2..=100", self.throttle_factor),
            ));
        }
        Ok(())
    }

    /// The signals of one request. `n` and `max_output` come from the caps facts;
    /// `hour_output` is the tenant's output tokens this hour, when watched.
    pub fn evaluate(
        &self,
        body: &Json,
        n: u64,
        max_output: Option<u64>,
        hour_output: Option<u64>,
    ) -> Raised {
        let mut raised = Raised::default();
        let mut raise = |name: &'static str, action: SignalAction| {
            raised.names.push(name);
            raised.action = strongest(raised.action, action);
        };
        let logprobs = body
            .get("logprobs")
            .is_some_and(|v| !matches!(v, Json::Null | Json::Bool(false)))
            || body
                .get("top_logprobs")
                .is_some_and(|v| !matches!(v, Json::Null));
        if logprobs {
            raise("logprobs", self.logprobs);
        }
        if n > self.many_choices.above {
            raise("many_choices", self.many_choices.action);
        }
        if max_output.is_some_and(|m| m > self.large_output_cap.above) {
            raise("large_output_cap", self.large_output_cap.action);
        }
        if let (Some(rule), Some(used)) = (self.output_tokens_per_hour, hour_output) {
            if used > rule.above {
                raise("output_volume", rule.action);
            }
        }
        raised
    }
}

fn strongest(a: SignalAction, b: SignalAction) -> SignalAction {
    let rank = |x: SignalAction| match x {
        SignalAction::Tag => 0,
        SignalAction::Throttle => 1,
        SignalAction::Block => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Output tokens per tenant per hour, in the shared store: `hour start (ms) |
/// tokens` as text under one key per tenant, rolled over in place.
pub struct OutputVolume;

const HOUR_MS: u64 = 3_600_000;
/// Creating a key with a version no live key can have makes first creation
/// fail on a race instead of overwriting (the store ignores cas on absent keys).
const CREATE: u32 = u32::MAX;

impl OutputVolume {
    fn key(tenant: &str) -> String {
        format!("customs:volume:{tenant}")
    }

    fn decode(bytes: &[u8], now_ms: u64) -> u64 {
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        let mut parts = text.split('|').map(|p| p.parse::<u64>().unwrap_or(0));
        let (start, tokens) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        if now_ms / HOUR_MS == start / HOUR_MS {
            tokens
        } else {
            0
        }
    }

    /// The tenant's output tokens this hour.
    pub fn read<S: Store + ?Sized>(
        store: &S,
        tenant: &str,
        now_ms: u64,
    ) -> Result<u64, StoreError> {
        Ok(match store.get(&Self::key(tenant))? {
            Some((bytes, _)) => Self::decode(&bytes, now_ms),
            None => 0,
        })
    }

    /// Adds `tokens` to the tenant's hour, with a bounded CAS loop.
    pub fn add<S: Store + ?Sized>(
        store: &S,
        tenant: &str,
        tokens: u64,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let key = Self::key(tenant);
        for _ in 0..16 {
            let (current, cas) = match store.get(&key)? {
                Some((bytes, cas)) => (Self::decode(&bytes, now_ms), cas),
                None => (0, CREATE),
            };
            let value = format!("{}|{}", now_ms, current.saturating_add(tokens));
            match store.set(&key, value.as_bytes(), cas) {
                Ok(()) => return Ok(()),
                Err(StoreError::CasMismatch) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::type_complexity
    )]
    use super::*;
    use crate::limits::MemoryStore;

    #[test]
    fn each_signal_and_threshold() {
        let rules: SignalRules = serde_json::from_str(
            r#"{"logprobs":"block","many_choices":{"above":2,"action":"throttle"},
                "output_tokens_per_hour":{"above":100}}"#,
        )
        .unwrap();
        let body = |s: &str| crate::json::parse(s.as_bytes(), 8).unwrap();
        let cases: &[(&str, u64, Option<u64>, Option<u64>, &[&str], SignalAction)] = &[
            (r#"{}"#, 1, None, Some(0), &[], SignalAction::Tag),
            (
                r#"{"logprobs":true}"#,
                1,
                None,
                None,
                &["logprobs"],
                SignalAction::Block,
            ),
            (
                r#"{"logprobs":false}"#,
                1,
                None,
                None,
                &[],
                SignalAction::Tag,
            ),
            (
                r#"{"top_logprobs":5}"#,
                1,
                None,
                None,
                &["logprobs"],
                SignalAction::Block,
            ),
            (r#"{}"#, 2, None, None, &[], SignalAction::Tag),
            (
                r#"{}"#,
                3,
                None,
                None,
                &["many_choices"],
                SignalAction::Throttle,
            ),
            (
                r#"{}"#,
                1,
                Some(20_000),
                None,
                &["large_output_cap"],
                SignalAction::Tag,
            ),
            (
                r#"{}"#,
                1,
                None,
                Some(101),
                &["output_volume"],
                SignalAction::Tag,
            ),
        ];
        for (doc, n, cap, hour, names, action) in cases {
            let r = rules.evaluate(&body(doc), *n, *cap, *hour);
            assert_eq!(r.names, *names, "{doc} n={n}");
            assert_eq!(r.action, *action, "{doc} n={n}");
        }
    }

    #[test]
    fn volume_accumulates_and_rolls_over() {
        let store = MemoryStore::new();
        OutputVolume::add(&store, "t", 40, 1_000).unwrap();
        OutputVolume::add(&store, "t", 2, 2_000).unwrap();
        assert_eq!(OutputVolume::read(&store, "t", 3_000).unwrap(), 42);
        assert_eq!(OutputVolume::read(&store, "t", HOUR_MS + 1).unwrap(), 0);
        assert_eq!(OutputVolume::read(&store, "other", 3_000).unwrap(), 0);
    }
}
