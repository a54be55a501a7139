//! The `limits` section of the policy.
//!
//! Every setting is optional so that sections merge: the policy holds defaults and
//! per-tenant overrides of the same shape, and [`LimitsConfig::merged`] lays an
//! override over the defaults field by field. Accessors give each setting's default
//! where it is unset.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::caps::CapsConfig;
use crate::policy::PolicyError;

/// Token budgets and per-request caps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Tokens and requests per minute, hour and day.
    #[serde(default)]
    pub budgets: BudgetsConfig,
    /// Limits on each request: models, choices, prompt and output length.
    #[serde(default)]
    pub caps: CapsConfig,
    /// What to do when the budget store fails: refuse (default) or let through.
    pub on_store_error: Option<OnStoreError>,
    /// Add `stream_options.include_usage` to OpenAI streaming requests so the
    /// answer reports its usage (default true; turn off for backends that reject
    /// the field).
    pub inject_include_usage: Option<bool>,
    /// Charge input tokens read from the provider's prompt cache (default true).
    /// Reasoning tokens are always charged: providers count them in the output.
    pub count_cached_input: Option<bool>,
    /// Per-tenant overrides, laid over the settings above for that tenant.
    #[serde(default)]
    pub tenants: BTreeMap<String, LimitsConfig>,
}

/// What to do when the budget store fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnStoreError {
    /// Refuse the request (fail closed).
    #[default]
    Closed,
    /// Let the request through uncounted (fail open).
    Open,
}

/// How a budget's window moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// The current window plus the previous one weighted by how much of it still
    /// lies within one window length of now.
    #[default]
    Sliding,
    /// Counters that reset at each window boundary.
    Fixed,
}

/// A tenant's budgets. The limits at this level hold for all of the tenant's
/// traffic; `models` adds separate budgets for named models (only named models get
/// a budget of their own, so clients cannot grow the key set by inventing names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetsConfig {
    /// Sliding (default) or fixed windows.
    pub window: Option<WindowKind>,
    /// Tokens (prompt and output) per minute for all of the tenant's traffic.
    pub tokens_per_minute: Option<u64>,
    /// Tokens per hour for all of the tenant's traffic.
    pub tokens_per_hour: Option<u64>,
    /// Tokens per day (UTC) for all of the tenant's traffic.
    pub tokens_per_day: Option<u64>,
    /// Requests per minute for all of the tenant's traffic.
    pub requests_per_minute: Option<u64>,
    /// Separate budgets for named models, on top of the tenant's.
    #[serde(default)]
    pub models: BTreeMap<String, Rates>,
}

/// Limits of one budget; unset means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Rates {
    /// Tokens (prompt and output) per minute.
    pub tokens_per_minute: Option<u64>,
    /// Tokens per hour.
    pub tokens_per_hour: Option<u64>,
    /// Tokens per day (UTC).
    pub tokens_per_day: Option<u64>,
    /// Requests per minute.
    pub requests_per_minute: Option<u64>,
}

impl Rates {
    pub fn is_unlimited(&self) -> bool {
        *self == Rates::default()
    }

    fn merged(&self, over: &Rates) -> Rates {
        Rates {
            tokens_per_minute: over.tokens_per_minute.or(self.tokens_per_minute),
            tokens_per_hour: over.tokens_per_hour.or(self.tokens_per_hour),
            tokens_per_day: over.tokens_per_day.or(self.tokens_per_day),
            requests_per_minute: over.requests_per_minute.or(self.requests_per_minute),
        }
    }

    fn validate(&self) -> Result<(), PolicyError> {
        let fields = [
            ("tokens_per_minute", self.tokens_per_minute),
            ("tokens_per_hour", self.tokens_per_hour),
            ("tokens_per_day", self.tokens_per_day),
            ("requests_per_minute", self.requests_per_minute),
        ];
        for (name, value) in fields {
            if value == Some(0) {
                return Err(PolicyError::new(name, "must be greater than 0"));
            }
        }
        Ok(())
    }

    /// The smallest token limit, if any.
    fn smallest_token_limit(&self) -> Option<u64> {
        [
            self.tokens_per_minute,
            self.tokens_per_hour,
            self.tokens_per_day,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

impl BudgetsConfig {
    pub fn window(&self) -> WindowKind {
        self.window.unwrap_or_default()
    }

    /// The limits on all of the tenant's traffic.
    pub fn tenant_rates(&self) -> Rates {
        Rates {
            tokens_per_minute: self.tokens_per_minute,
            tokens_per_hour: self.tokens_per_hour,
            tokens_per_day: self.tokens_per_day,
            requests_per_minute: self.requests_per_minute,
        }
    }

    /// The limits of `model`'s own budget, if it has one.
    pub fn model_rates(&self, model: &str) -> Option<&Rates> {
        self.models.get(model)
    }

    pub fn merged(&self, over: &BudgetsConfig) -> BudgetsConfig {
        let tenant = self.tenant_rates().merged(&over.tenant_rates());
        let mut models = self.models.clone();
        for (name, rates) in &over.models {
            let merged = models.get(name).copied().unwrap_or_default().merged(rates);
            models.insert(name.clone(), merged);
        }
        BudgetsConfig {
            window: over.window.or(self.window),
            tokens_per_minute: tenant.tokens_per_minute,
            tokens_per_hour: tenant.tokens_per_hour,
            tokens_per_day: tenant.tokens_per_day,
            requests_per_minute: tenant.requests_per_minute,
            models,
        }
    }

    pub fn validate(&self) -> Result<(), PolicyError> {
        self.tenant_rates().validate()?;
        for (name, rates) in &self.models {
            if name.is_empty() {
                return Err(PolicyError::new("models", "model name must not be empty"));
            }
            rates
                .validate()
                .map_err(|e| e.within(name).within("models"))?;
        }
        Ok(())
    }
}

impl LimitsConfig {
    pub fn on_store_error(&self) -> OnStoreError {
        self.on_store_error.unwrap_or_default()
    }

    pub fn inject_include_usage(&self) -> bool {
        self.inject_include_usage.unwrap_or(true)
    }

    pub fn count_cached_input(&self) -> bool {
        self.count_cached_input.unwrap_or(true)
    }

    /// `over` laid over `self`: settings `over` sets win, the rest are kept.
    pub fn merged(&self, over: &LimitsConfig) -> LimitsConfig {
        LimitsConfig {
            budgets: self.budgets.merged(&over.budgets),
            caps: self.caps.merged(&over.caps),
            on_store_error: over.on_store_error.or(self.on_store_error),
            inject_include_usage: over.inject_include_usage.or(self.inject_include_usage),
            count_cached_input: over.count_cached_input.or(self.count_cached_input),
            tenants: BTreeMap::new(),
        }
    }

    /// The effective settings for `tenant`.
    pub fn for_tenant(&self, tenant: &str) -> LimitsConfig {
        match self.tenants.get(tenant) {
            Some(over) => self.merged(over),
            None => self.merged(&LimitsConfig::default()),
        }
    }

    /// Check the section; error fields are relative to it (`budgets.tokens_per_minute`).
    pub fn validate(&self) -> Result<(), PolicyError> {
        for (tenant, over) in &self.tenants {
            let field = format!("tenants.{tenant}");
            if !over.tenants.is_empty() {
                return Err(PolicyError::new(
                    format!("{field}.tenants"),
                    "tenant overrides cannot nest",
                ));
            }
            self.merged(over).validate().map_err(|e| e.within(&field))?;
        }
        self.budgets.validate().map_err(|e| e.within("budgets"))?;
        self.caps.validate().map_err(|e| e.within("caps"))?;
        // An output cap above the smallest token budget means every request that
        // reserves its full output is refused: almost certainly a typo.
        if let (Some(max_output), Some(limit)) = (
            self.caps.max_output_tokens,
            self.budgets.tenant_rates().smallest_token_limit(),
        ) {
            if max_output > limit {
                return Err(PolicyError::new(
                    "caps.max_output_tokens",
                    format!(
                        "{max_output} is more than the smallest token budget ({limit}): no request could fit"
                    ),
                ));
            }
        }
        Ok(())
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

    fn parse(json: &str) -> LimitsConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn defaults_are_secure() {
        let cfg = LimitsConfig::default();
        assert_eq!(cfg.on_store_error(), OnStoreError::Closed);
        assert!(cfg.inject_include_usage());
        assert!(cfg.count_cached_input());
        assert_eq!(cfg.budgets.window(), WindowKind::Sliding);
        assert!(cfg.budgets.tenant_rates().is_unlimited());
        cfg.validate().unwrap();
    }

    #[test]
    fn parses_a_full_section() {
        let cfg = parse(
            r#"{
                "budgets": {"window": "fixed", "tokens_per_minute": 1000, "requests_per_minute": 10,
                            "models": {"gpt-4o": {"tokens_per_day": 50000}}},
                "caps": {"max_output_tokens": 512, "on_excess": "refuse", "max_n": 1,
                         "allowed_models": ["gpt-4o"]},
                "on_store_error": "open",
                "inject_include_usage": false,
                "count_cached_input": false
            }"#,
        );
        assert_eq!(cfg.budgets.window(), WindowKind::Fixed);
        assert_eq!(cfg.budgets.tokens_per_minute, Some(1000));
        assert_eq!(
            cfg.budgets.model_rates("gpt-4o").unwrap().tokens_per_day,
            Some(50000)
        );
        assert_eq!(cfg.on_store_error(), OnStoreError::Open);
        assert!(!cfg.inject_include_usage());
        assert!(!cfg.count_cached_input());
        cfg.validate().unwrap();
    }

    #[test]
    fn rejects_unknown_fields() {
        for json in [
            r#"{"budget": {}}"#,
            r#"{"budgets": {"tokens_per_second": 1}}"#,
            r#"{"budgets": {"models": {"m": {"tokens": 1}}}}"#,
            r#"{"caps": {"max_tokens": 1}}"#,
        ] {
            assert!(
                serde_json::from_str::<LimitsConfig>(json).is_err(),
                "{json}"
            );
        }
    }

    #[test]
    fn validation_names_the_field() {
        let cases = [
            (
                r#"{"budgets": {"tokens_per_minute": 0}}"#,
                "budgets.tokens_per_minute",
                "must be greater than 0",
            ),
            (
                r#"{"budgets": {"requests_per_minute": 0}}"#,
                "budgets.requests_per_minute",
                "must be greater than 0",
            ),
            (
                r#"{"budgets": {"models": {"gpt-4o": {"tokens_per_day": 0}}}}"#,
                "budgets.models.gpt-4o.tokens_per_day",
                "must be greater than 0",
            ),
            (
                r#"{"budgets": {"models": {"": {}}}}"#,
                "budgets.models",
                "model name must not be empty",
            ),
            (
                r#"{"caps": {"max_output_tokens": 0}}"#,
                "caps.max_output_tokens",
                "must be greater than 0",
            ),
            (
                r#"{"caps": {"max_n": 0}}"#,
                "caps.max_n",
                "must be at least 1",
            ),
            (
                r#"{"caps": {"max_prompt_tokens": 0}}"#,
                "caps.max_prompt_tokens",
                "must be greater than 0",
            ),
            (
                r#"{"caps": {"allowed_models": ["a", ""]}}"#,
                "caps.allowed_models",
                "entry 1 is empty",
            ),
            (
                r#"{"budgets": {"tokens_per_minute": 100}, "caps": {"max_output_tokens": 500}}"#,
                "caps.max_output_tokens",
                "500 is more than the smallest token budget (100): no request could fit",
            ),
        ];
        for (json, field, message) in cases {
            let err = parse(json).validate().unwrap_err();
            assert_eq!((err.field(), err.message()), (field, message), "{json}");
        }
    }

    #[test]
    fn merge_lays_overrides_over_defaults() {
        let defaults = parse(
            r#"{"budgets": {"tokens_per_minute": 1000, "tokens_per_day": 100000,
                            "models": {"a": {"tokens_per_minute": 10}, "b": {"tokens_per_minute": 20}}},
                "caps": {"max_output_tokens": 256, "max_n": 1}, "on_store_error": "open"}"#,
        );
        let tenant = parse(
            r#"{"budgets": {"tokens_per_minute": 5000, "window": "fixed",
                            "models": {"a": {"tokens_per_hour": 7}, "c": {"requests_per_minute": 1}}},
                "caps": {"max_n": 2}, "count_cached_input": false}"#,
        );
        let merged = defaults.merged(&tenant);
        assert_eq!(merged.budgets.tokens_per_minute, Some(5000));
        assert_eq!(merged.budgets.tokens_per_day, Some(100000));
        assert_eq!(merged.budgets.window(), WindowKind::Fixed);
        let a = merged.budgets.model_rates("a").unwrap();
        assert_eq!(
            (a.tokens_per_minute, a.tokens_per_hour),
            (Some(10), Some(7))
        );
        assert_eq!(
            merged.budgets.model_rates("b").unwrap().tokens_per_minute,
            Some(20)
        );
        assert_eq!(
            merged.budgets.model_rates("c").unwrap().requests_per_minute,
            Some(1)
        );
        assert_eq!(merged.caps.max_output_tokens, Some(256));
        assert_eq!(merged.caps.max_n, Some(2));
        assert_eq!(merged.on_store_error(), OnStoreError::Open);
        assert!(!merged.count_cached_input());
        // Merging nothing changes nothing.
        assert_eq!(defaults.merged(&LimitsConfig::default()), defaults);
    }
}
