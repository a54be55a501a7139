//! The policy's sections that the request path itself needs.

use super::{check_name, PolicyError};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;
const DEFAULT_MAX_JSON_DEPTH: u32 = 64;
/// serde_json's own recursion limit; deeper policies could never take effect.
const MAX_JSON_DEPTH: u32 = 120;

/// What customs accepts as a request body.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestRules {
    /// Larger bodies are refused with 413 before anything goes upstream.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
    /// Deeper JSON is refused with 400.
    #[serde(default = "default_max_json_depth")]
    pub max_json_depth: u32,
    /// Requests to routes customs does not recognise.
    #[serde(default)]
    pub unknown_routes: UnknownRoutes,
    /// Path prefixes declared non-sensitive: bodies that are not JSON (file
    /// uploads, say) pass through uninspected on these routes only.
    #[serde(default)]
    pub passthrough_paths: Vec<String>,
}

impl Default for RequestRules {
    fn default() -> Self {
        RequestRules {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_json_depth: DEFAULT_MAX_JSON_DEPTH,
            unknown_routes: UnknownRoutes::default(),
            passthrough_paths: Vec::new(),
        }
    }
}

fn default_max_body_bytes() -> u64 {
    DEFAULT_MAX_BODY_BYTES
}

fn default_max_json_depth() -> u32 {
    DEFAULT_MAX_JSON_DEPTH
}

impl RequestRules {
    pub(crate) fn validate(&self) -> Result<(), PolicyError> {
        if self.max_body_bytes == 0 {
            return Err(PolicyError::new("max_body_bytes", "must be greater than 0"));
        }
        if !(1..=MAX_JSON_DEPTH).contains(&self.max_json_depth) {
            return Err(PolicyError::new(
                "max_json_depth",
                format!("{} is outside 1..={MAX_JSON_DEPTH}", self.max_json_depth),
            ));
        }
        for (i, p) in self.passthrough_paths.iter().enumerate() {
            if !p.starts_with('/') {
                return Err(PolicyError::new(
                    format!("passthrough_paths[{i}]"),
                    format!("`{p}` must start with `/`"),
                ));
            }
        }
        Ok(())
    }

    /// True when `path` lies under a route declared non-sensitive.
    pub fn is_passthrough(&self, path: &str) -> bool {
        self.passthrough_paths
            .iter()
            .any(|p| path.starts_with(p.as_str()))
    }
}

/// What to do with requests to routes customs does not recognise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnknownRoutes {
    /// Inspect every JSON string leaf of the body.
    #[default]
    Inspect,
    /// Refuse with 403.
    Refuse,
}

/// How a request's tenant is found: a configured header, else a keyed hash of the
/// caller's API key, else the default tenant.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantRules {
    /// A request header naming the tenant, set by a trusted layer in front of
    /// customs (an auth proxy). Absent: tenants are not read from headers.
    #[serde(default)]
    pub header: Option<String>,
    /// The HMAC key for hashing callers' API keys into tenant ids. Absent: API
    /// keys do not select tenants.
    #[serde(default)]
    pub api_key_hmac_secret: Option<String>,
    /// Keyed API-key hashes (as `customs tenant-of` prints them) mapped to tenant
    /// names. A hashed key not listed here is its own tenant, `key-<hash>`.
    #[serde(default)]
    pub api_keys: BTreeMap<String, String>,
    /// The tenant of requests that name none.
    #[serde(default = "default_tenant")]
    pub default: String,
}

impl Default for TenantRules {
    fn default() -> Self {
        TenantRules {
            header: None,
            api_key_hmac_secret: None,
            api_keys: BTreeMap::new(),
            default: default_tenant(),
        }
    }
}

fn default_tenant() -> String {
    "default".to_string()
}

impl TenantRules {
    pub(crate) fn validate(&self) -> Result<(), PolicyError> {
        if let Some(h) = &self.header {
            check_header_name("header", h)?;
        }
        if let Some(s) = &self.api_key_hmac_secret {
            if s.len() < 16 {
                return Err(PolicyError::new(
                    "api_key_hmac_secret",
                    "must be at least 16 characters",
                ));
            }
        }
        for (hash, tenant) in &self.api_keys {
            check_name(&format!("api_keys.{hash}"), tenant)?;
        }
        check_name("default", &self.default)
    }
}

/// Which tags forwarded requests carry.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TagRules {
    /// The prefix of every customs header. Headers with this prefix that the
    /// client set are removed before customs sets its own.
    #[serde(default = "default_tag_prefix")]
    pub prefix: String,
    /// The key that signs the attestation header. Absent: no attestation.
    #[serde(default)]
    pub attestation: Option<AttestationKey>,
    /// Category name to data class, overriding each category's default class
    /// (`public` < `internal` < `confidential` < `restricted` < `secret`).
    #[serde(default)]
    pub classes: BTreeMap<String, String>,
    /// Tags not to set, by name after the prefix: `policy`, `class`,
    /// `redactions`, `tokens`, `signals`, `shadow`. The tenant and request id are
    /// always set.
    #[serde(default)]
    pub omit: Vec<String>,
}

/// The tags `tags.omit` may name.
pub const OPTIONAL_TAGS: &[&str] = &[
    "policy",
    "class",
    "redactions",
    "tokens",
    "signals",
    "shadow",
];

impl Default for TagRules {
    fn default() -> Self {
        TagRules {
            prefix: default_tag_prefix(),
            attestation: None,
            classes: BTreeMap::new(),
            omit: Vec::new(),
        }
    }
}

/// The data classes, least sensitive first.
pub const CLASSES: &[&str] = &["public", "internal", "confidential", "restricted", "secret"];

/// An attestation signing key with its id, so that keys can rotate.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AttestationKey {
    pub key_id: String,
    /// At least 32 characters.
    pub secret: String,
}

/// Shadow mode: everything is evaluated, tagged, counted and logged; nothing is
/// enforced. Bodies that cannot be inspected at all are still refused.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ShadowRules {
    /// Shadow mode for every tenant.
    #[serde(default)]
    pub enabled: bool,
    /// Shadow mode for these tenants only.
    #[serde(default)]
    pub tenants: Vec<String>,
}

fn default_tag_prefix() -> String {
    "x-customs-".to_string()
}

impl TagRules {
    pub(crate) fn validate(&self) -> Result<(), PolicyError> {
        check_header_name("prefix", &self.prefix)?;
        if let Some(key) = &self.attestation {
            check_name("attestation.key_id", &key.key_id)?;
            if key.secret.len() < 32 {
                return Err(PolicyError::new(
                    "attestation.secret",
                    "must be at least 32 characters",
                ));
            }
        }
        for (i, tag) in self.omit.iter().enumerate() {
            if !OPTIONAL_TAGS.contains(&tag.as_str()) {
                return Err(PolicyError::new(
                    format!("omit[{i}]"),
                    format!("`{tag}` is not one of {}", OPTIONAL_TAGS.join(", ")),
                ));
            }
        }
        for (category, class) in &self.classes {
            if !CLASSES.contains(&class.as_str()) {
                return Err(PolicyError::new(
                    format!("classes.{category}"),
                    format!("`{class}` is not one of {}", CLASSES.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// The class of `category`, given the detector's default.
    pub fn class_of<'a>(&'a self, category: &str, default: &'a str) -> &'a str {
        self.classes.get(category).map_or(default, String::as_str)
    }
}

/// What happens when a dependency (shared state) fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// Refuse the request.
    #[default]
    Closed,
    /// Let it through, and count it.
    Open,
}

pub(crate) fn check_header_name(field: &str, name: &str) -> Result<(), PolicyError> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(PolicyError::new(
            field,
            format!("`{name}` is not a lower-case header name"),
        ))
    }
}
