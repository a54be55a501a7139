//! The `redact` section of the policy: what happens to each category of finding,
//! which JSON fields and headers are removed.

use crate::policy::{check_header_name, PolicyError};
use serde::Deserialize;
use std::collections::BTreeMap;

/// What happens to a finding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A typed placeholder, `[EMAIL_1]`; the same value gets the same one.
    #[default]
    Redact,
    /// Stars, keeping the last `mask_keep` characters: `************1234`.
    Mask,
    /// A keyed HMAC of the value, truncated: `[EMAIL_3f9a1c0d2b7e]`.
    Hash,
    /// A placeholder that customs puts back into the answer to the client.
    Pseudonymize,
    /// Refuse the request with 403, naming the category.
    Block,
    /// Change nothing; record it in tags, metrics and the audit line.
    Report,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Redact => "redact",
            Action::Mask => "mask",
            Action::Hash => "hash",
            Action::Pseudonymize => "pseudonymize",
            Action::Block => "block",
            Action::Report => "report",
        }
    }
}

/// The `redact` section.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RedactRules {
    /// Category name (or `*` for every category) to action. Unlisted: `redact`.
    #[serde(default)]
    pub actions: BTreeMap<String, Action>,
    /// Per-tenant overrides of `actions`.
    #[serde(default)]
    pub tenant_actions: BTreeMap<String, BTreeMap<String, Action>>,
    /// How many trailing characters `mask` keeps.
    #[serde(default = "default_mask_keep")]
    pub mask_keep: usize,
    /// The HMAC key of the `hash` action (at least 16 characters); required when
    /// any category uses it.
    #[serde(default)]
    pub hash_secret: Option<String>,
    /// JSON fields removed before forwarding: `user`, `metadata`,
    /// `messages[*].name`.
    #[serde(default)]
    pub remove_fields: Vec<String>,
    /// Request headers removed before forwarding.
    #[serde(default)]
    pub headers: HeaderRules,
    /// Scan the model's answers too (JSON and streams) and apply the same actions
    /// (`block` and `pseudonymize` act as `redact` there).
    #[serde(default)]
    pub scan_responses: bool,
}

impl Default for RedactRules {
    fn default() -> Self {
        RedactRules {
            actions: BTreeMap::new(),
            tenant_actions: BTreeMap::new(),
            mask_keep: default_mask_keep(),
            hash_secret: None,
            remove_fields: Vec::new(),
            headers: HeaderRules::default(),
            scan_responses: false,
        }
    }
}

fn default_mask_keep() -> usize {
    4
}

/// Request headers removed before forwarding.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HeaderRules {
    /// Removed headers; a trailing `*` matches a prefix (`x-internal-*`).
    #[serde(default = "default_denied_headers")]
    pub deny: Vec<String>,
    /// If set, only these headers (plus the request line, content headers, the
    /// caller's API key and customs' own tags) go upstream.
    #[serde(default)]
    pub allow: Option<Vec<String>>,
    /// Swap the caller's API key for the company's own provider key.
    #[serde(default)]
    pub provider_key: Option<ProviderKey>,
}

impl Default for HeaderRules {
    fn default() -> Self {
        HeaderRules {
            deny: default_denied_headers(),
            allow: None,
            provider_key: None,
        }
    }
}

fn default_denied_headers() -> Vec<String> {
    [
        "cookie",
        "x-forwarded-for",
        "x-real-ip",
        "forwarded",
        "true-client-ip",
        "x-client-ip",
        "x-forwarded-client-cert",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The company's provider key, set on every forwarded request in place of the
/// caller's.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ProviderKey {
    /// `authorization` (sent as `Bearer <value>`), `api-key` or `x-api-key`.
    pub header: String,
    pub value: String,
}

impl RedactRules {
    /// Validates against the set of category names the detectors know.
    pub fn validate(&self, known_category: &dyn Fn(&str) -> bool) -> Result<(), PolicyError> {
        let check_actions = |field: &str, actions: &BTreeMap<String, Action>| {
            for (category, action) in actions {
                if category != "*" && !known_category(category) {
                    return Err(PolicyError::new(
                        format!("{field}.{category}"),
                        format!("unknown category `{category}`"),
                    ));
                }
                if *action == Action::Hash && self.hash_secret.is_none() {
                    return Err(PolicyError::new(
                        format!("{field}.{category}"),
                        "the `hash` action needs `redact.hash_secret`",
                    ));
                }
            }
            Ok(())
        };
        check_actions("actions", &self.actions)?;
        for (tenant, actions) in &self.tenant_actions {
            check_actions(&format!("tenant_actions.{tenant}"), actions)?;
        }
        if let Some(secret) = &self.hash_secret {
            if secret.len() < 16 {
                return Err(PolicyError::new(
                    "hash_secret",
                    "must be at least 16 characters",
                ));
            }
        }
        if self.mask_keep > 8 {
            return Err(PolicyError::new(
                "mask_keep",
                format!("{} keeps too much of a value; at most 8", self.mask_keep),
            ));
        }
        for (i, path) in self.remove_fields.iter().enumerate() {
            super::fields::FieldPath::parse(path)
                .map_err(|m| PolicyError::new(format!("remove_fields[{i}]"), m))?;
        }
        for (i, name) in self.headers.deny.iter().enumerate() {
            check_header_name(&format!("headers.deny[{i}]"), name.trim_end_matches('*'))?;
        }
        for (i, name) in self.headers.allow.iter().flatten().enumerate() {
            check_header_name(&format!("headers.allow[{i}]"), name)?;
        }
        if let Some(key) = &self.headers.provider_key {
            if !["authorization", "api-key", "x-api-key"].contains(&key.header.as_str()) {
                return Err(PolicyError::new(
                    "headers.provider_key.header",
                    format!(
                        "`{}` is not authorization, api-key or x-api-key",
                        key.header
                    ),
                ));
            }
            if key.value.is_empty() || key.value.bytes().any(|b| b.is_ascii_control()) {
                return Err(PolicyError::new(
                    "headers.provider_key.value",
                    "must be a non-empty header value",
                ));
            }
        }
        Ok(())
    }

    /// The action for `category` for `tenant`.
    pub fn action(&self, tenant: &str, category: &str) -> Action {
        let pick = |actions: &BTreeMap<String, Action>| {
            actions.get(category).or_else(|| actions.get("*")).copied()
        };
        self.tenant_actions
            .get(tenant)
            .and_then(pick)
            .or_else(|| pick(&self.actions))
            .unwrap_or_default()
    }
}
