//! Egress rules: which models and API routes each tenant may reach.

use crate::api::{ErrorReply, Route};
use crate::policy::PolicyError;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The `egress` section: rules for every tenant, and under `tenants` per-tenant
/// rules that replace them for that tenant.
pub type EgressConfig = EgressRules;

/// One set of rules. Model patterns match exactly, or by prefix with a trailing
/// `*` (`gpt-4o*`).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EgressRules {
    /// If set, only these models.
    #[serde(default)]
    pub allow_models: Option<Vec<String>>,
    /// Never these models.
    #[serde(default)]
    pub deny_models: Vec<String>,
    /// Path prefixes refused (fine-tuning, files, batches: `/v1/files`).
    #[serde(default)]
    pub deny_paths: Vec<String>,
    /// Per-tenant rules, replacing the rules above for that tenant.
    #[serde(default)]
    pub tenants: BTreeMap<String, EgressRules>,
}

impl EgressRules {
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.validate_rules()?;
        for (tenant, rules) in &self.tenants {
            let field = format!("tenants.{tenant}");
            if !rules.tenants.is_empty() {
                return Err(PolicyError::new(
                    format!("{field}.tenants"),
                    "tenant rules cannot nest",
                ));
            }
            rules.validate_rules().map_err(|e| e.within(&field))?;
        }
        Ok(())
    }

    pub fn for_tenant(&self, tenant: &str) -> &EgressRules {
        self.tenants.get(tenant).unwrap_or(self)
    }

    fn validate_rules(&self) -> Result<(), PolicyError> {
        let check = |field: &str, pats: &[String]| {
            for (i, p) in pats.iter().enumerate() {
                if p.trim_end_matches('*').is_empty()
                    || p.get(..p.len().saturating_sub(1))
                        .is_some_and(|h| h.contains('*'))
                {
                    return Err(PolicyError::new(
                        format!("{field}[{i}]"),
                        format!("`{p}` must be a name, optionally ending in `*`"),
                    ));
                }
            }
            Ok(())
        };
        check(
            "allow_models",
            self.allow_models.as_deref().unwrap_or_default(),
        )?;
        check("deny_models", &self.deny_models)?;
        for (i, p) in self.deny_paths.iter().enumerate() {
            if !p.starts_with('/') {
                return Err(PolicyError::new(
                    format!("deny_paths[{i}]"),
                    format!("`{p}` must start with `/`"),
                ));
            }
        }
        Ok(())
    }

    /// A refusal when the route's path is denied.
    pub fn check_path(&self, path: &str) -> Option<ErrorReply> {
        let path = path.split('?').next().unwrap_or_default();
        let (i, rule) = self
            .deny_paths
            .iter()
            .enumerate()
            .find(|(_, p)| path.starts_with(p.as_str()))?;
        Some(ErrorReply::new(
            403,
            "customs_route_denied",
            format!(
                "this API route is denied by the egress policy (egress.deny_paths[{i}] = `{rule}`)"
            ),
        ))
    }

    /// A refusal when `model` is not allowed. `None` model passes unless an allow
    /// list exists (then a request must name an allowed model).
    pub fn check_model(&self, route: &Route, model: Option<&str>) -> Option<ErrorReply> {
        let model = model.or(route.azure_deployment.as_deref());
        if let Some(m) = model {
            if let Some((i, rule)) = self
                .deny_models
                .iter()
                .enumerate()
                .find(|(_, p)| matches(p, m))
            {
                return Some(ErrorReply::new(
                    403,
                    "customs_model_denied",
                    format!("model `{m}` is denied by the egress policy (egress.deny_models[{i}] = `{rule}`)"),
                ));
            }
        }
        let allow = self.allow_models.as_ref()?;
        match model {
            Some(m) if allow.iter().any(|p| matches(p, m)) => None,
            Some(m) => Some(ErrorReply::new(
                403,
                "customs_model_denied",
                format!("model `{m}` is not in the egress policy's allow_models"),
            )),
            None => Some(ErrorReply::new(
                403,
                "customs_model_denied",
                "the request names no model, and the egress policy allows only listed models",
            )),
        }
    }
}

fn matches(pattern: &str, model: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => model.starts_with(prefix),
        None => pattern == model,
    }
}
