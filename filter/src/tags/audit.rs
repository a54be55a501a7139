//! The audit line: one structured JSON record per request, written through the
//! proxy's log and mirrored into filter state for Envoy's access log. It holds
//! categories, counts, hashes and numbers, never a detected value.

use crate::json::Json;
use std::collections::BTreeMap;

/// Everything the audit line says about one exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditRecord {
    pub time_ms: u64,
    pub request_id: String,
    pub tenant: String,
    pub shape: &'static str,
    pub model: Option<String>,
    /// forwarded, redacted, blocked, limited, refused.
    pub decision: &'static str,
    /// In shadow mode, what would have happened had the policy been enforced.
    pub shadow_decision: Option<&'static str>,
    pub policy: String,
    /// Findings per category.
    pub categories: BTreeMap<String, u32>,
    /// The refusal code, if customs answered itself.
    pub reason: Option<&'static str>,
    pub status: u16,
    pub tokens_estimated: u64,
    pub tokens_reserved: u64,
    pub tokens_used: Option<u64>,
    /// Bulk-extraction signals raised.
    pub signals: Vec<&'static str>,
    /// customs' own time on the request, in its body callbacks (the headers
    /// callbacks do little and are not timed, to spare two clock reads).
    pub latency_us: u64,
}

impl AuditRecord {
    /// The record as one line of JSON.
    pub fn to_line(&self) -> String {
        let num = |n: u64| Json::Number(n.into());
        let text = |s: &str| Json::String(s.to_string());
        let opt = |s: Option<&str>| s.map_or(Json::Null, text);
        let categories = Json::Object(
            self.categories
                .iter()
                .map(|(k, v)| (k.clone(), num(u64::from(*v))))
                .collect(),
        );
        Json::Object(vec![
            ("customs_audit".into(), num(1)),
            ("time_ms".into(), num(self.time_ms)),
            ("request_id".into(), text(&self.request_id)),
            ("tenant".into(), text(&self.tenant)),
            ("route".into(), text(self.shape)),
            ("model".into(), opt(self.model.as_deref())),
            ("decision".into(), text(self.decision)),
            ("shadow_decision".into(), opt(self.shadow_decision)),
            ("reason".into(), opt(self.reason)),
            ("status".into(), num(u64::from(self.status))),
            ("policy".into(), text(&self.policy)),
            ("categories".into(), categories),
            (
                "tokens".into(),
                Json::Object(vec![
                    ("estimated".into(), num(self.tokens_estimated)),
                    ("reserved".into(), num(self.tokens_reserved)),
                    ("used".into(), self.tokens_used.map_or(Json::Null, num)),
                ]),
            ),
            (
                "signals".into(),
                Json::Array(self.signals.iter().map(|s| text(s)).collect()),
            ),
            ("latency_us".into(), num(self.latency_us)),
        ])
        .to_string_compact()
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::expect_used,
        clippy::panic
    )]
    use super::*;

    #[test]
    fn line_is_one_json_object() {
        let mut r = AuditRecord {
            request_id: "r1".into(),
            tenant: "t".into(),
            shape: "chat_completions",
            decision: "redacted",
            status: 200,
            ..Default::default()
        };
        r.categories.insert("email".into(), 2);
        let line = r.to_line();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["categories"]["email"], 2);
        assert_eq!(v["decision"], "redacted");
        assert_eq!(v["tokens"]["used"], serde_json::Value::Null);
    }
}
