//! The policy: one JSON document, the plugin configuration.
//!
//! Parsing is strict (unknown fields are refused, so a misspelt field never
//! silently turns a protection off) and validation is complete before the filter
//! accepts the policy: on any error Envoy refuses the configuration, with a log
//! line naming the field. An empty or absent document means the secure defaults:
//! every built-in detector on, every finding redacted.

mod error;
mod sections;

pub use error::PolicyError;
pub(crate) use sections::check_header_name;
pub use sections::{
    AttestationKey, FailureMode, RequestRules, ShadowRules, TagRules, TenantRules, UnknownRoutes,
    CLASSES, DEFAULT_MAX_BODY_BYTES,
};

use crate::detect::{Category, ScannerConfig};
use crate::engine::{EgressConfig, SignalRules};
use crate::limits::LimitsConfig;
use crate::redact::RedactRules;
use serde::Deserialize;

/// The whole policy document.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Names this policy in tags, attestations and audit lines.
    #[serde(default = "default_policy_id")]
    pub policy_id: String,
    /// The policy's version, as its authors number it.
    #[serde(default = "default_version")]
    pub version: String,
    /// What customs accepts as a request body.
    #[serde(default)]
    pub request: RequestRules,
    /// How a request's tenant is found.
    #[serde(default)]
    pub tenants: TenantRules,
    /// Which tags forwarded requests carry.
    #[serde(default)]
    pub tags: TagRules,
    /// Which detectors run, and the customer's own dictionaries and patterns.
    #[serde(default)]
    pub detect: ScannerConfig,
    /// What happens to findings, fields and headers.
    #[serde(default)]
    pub redact: RedactRules,
    /// Which models and routes each tenant may reach.
    #[serde(default)]
    pub egress: EgressConfig,
    /// Per-request caps and token budgets.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Bulk-extraction signals and what they trigger.
    #[serde(default)]
    pub signals: SignalRules,
    /// Evaluate, tag, count and log everything, enforce nothing.
    #[serde(default)]
    pub shadow: ShadowRules,
}

fn default_policy_id() -> String {
    "customs-default".to_string()
}

fn default_version() -> String {
    "1".to_string()
}

impl Policy {
    /// Parses and validates a policy document. Empty input (or only whitespace)
    /// is the secure default policy.
    pub fn from_bytes(bytes: &[u8]) -> Result<Policy, PolicyError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Policy::from_bytes(b"{}");
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let policy: Policy = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." { String::new() } else { field };
            PolicyError::new(field, strip_position(&e.into_inner().to_string()))
        })?;
        de.end()
            .map_err(|e| PolicyError::new("", strip_position(&e.to_string())))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Whether `tenant` runs in shadow mode.
    pub fn is_shadow(&self, tenant: &str) -> bool {
        self.shadow.enabled || self.shadow.tenants.iter().any(|t| t == tenant)
    }

    /// Checks every rule that the types alone cannot.
    pub fn validate(&self) -> Result<(), PolicyError> {
        check_name("policy_id", &self.policy_id)?;
        check_name("version", &self.version)?;
        self.request.validate().map_err(|e| e.within("request"))?;
        self.tenants.validate().map_err(|e| e.within("tenants"))?;
        self.tags.validate().map_err(|e| e.within("tags"))?;
        self.detect.validate().map_err(|e| e.within("detect"))?;
        let customer: Vec<&str> = self
            .detect
            .dictionaries
            .iter()
            .map(|d| d.category.as_str())
            .chain(self.detect.patterns.iter().map(|p| p.category.as_str()))
            .collect();
        let known = |name: &str| Category::from_name(name).is_some() || customer.contains(&name);
        self.redact
            .validate(&known)
            .map_err(|e| e.within("redact"))?;
        self.egress.validate().map_err(|e| e.within("egress"))?;
        self.limits.validate().map_err(|e| e.within("limits"))?;
        self.signals.validate().map_err(|e| e.within("signals"))?;
        for (i, t) in self.shadow.tenants.iter().enumerate() {
            check_name(&format!("shadow.tenants[{i}]"), t)?;
        }
        Ok(())
    }
}

/// Names that end up in headers: short, printable, no separators that would let
/// them forge another header.
pub(crate) fn check_name(field: &str, value: &str) -> Result<(), PolicyError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(PolicyError::new(
            field,
            format!(
                "`{value}` must be 1 to 64 characters of letters, digits, `-`, `_`, `.` or `:`"
            ),
        ))
    }
}

/// serde_json appends ` at line 1 column 17`; the field path already says where.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message.get(..i).unwrap_or(message).to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn empty_means_secure_defaults() {
        for doc in ["", "  \n", "{}"] {
            let p = Policy::from_bytes(doc.as_bytes()).unwrap();
            assert_eq!(p.request.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
            assert_eq!(p.tenants.default, "default");
        }
    }

    #[test]
    fn errors_name_the_field() {
        let cases: &[(&str, &str, &str)] = &[
            (r#"{"nonsense": 1}"#, "nonsense", "unknown field `nonsense`"),
            (
                r#"{"tenants": {"heder": "x"}}"#,
                "tenants.heder",
                "unknown field `heder`",
            ),
            (
                r#"{"request": {"max_body_bytes": "big"}}"#,
                "request.max_body_bytes",
                "invalid type",
            ),
            (
                r#"{"request": {"max_body_bytes": 0}}"#,
                "request.max_body_bytes",
                "greater than 0",
            ),
            (
                r#"{"tenants": {"header": "x team"}}"#,
                "tenants.header",
                "header name",
            ),
            (
                r#"{"tenants": {"default": ""}}"#,
                "tenants.default",
                "1 to 64",
            ),
            (r#"{"policy_id": "a\nb"}"#, "policy_id", "1 to 64"),
            (
                r#"{"request": {"unknown_routes": "maybe"}}"#,
                "request.unknown_routes",
                "unknown variant",
            ),
            (r#""x""#, "", "invalid type"),
            (r#"{} {}"#, "", "trailing"),
        ];
        for (doc, field, needle) in cases {
            let err = Policy::from_bytes(doc.as_bytes()).unwrap_err();
            assert_eq!(err.field(), *field, "{doc}: {err}");
            assert!(err.message().contains(needle), "{doc}: {err}");
            assert!(err.to_string().starts_with("invalid policy"), "{err}");
        }
    }
}
