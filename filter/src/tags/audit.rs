//! The audit line: one structured JSON record per request, written through the
//! proxy's log (at info) and set as filter state `customs.audit` for Envoy's
//! access log, which writes it whatever Envoy's log level. It holds
//! categories, counts, hashes and numbers, never a detected value.

use crate::json::ObjectWriter;
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
    /// The record as one line of JSON, written field by field (once per
    /// request: building a tree first cost more than the rest of the line).
    pub fn to_line(&self) -> String {
        let mut line = String::with_capacity(320);
        let mut record = ObjectWriter::new(&mut line);
        record
            .number("customs_audit", 1)
            .number("time_ms", self.time_ms)
            .string("request_id", &self.request_id)
            .string("tenant", &self.tenant)
            .string("route", self.shape)
            .optional_string("model", self.model.as_deref())
            .string("decision", self.decision)
            .optional_string("shadow_decision", self.shadow_decision)
            .optional_string("reason", self.reason)
            .number("status", u64::from(self.status))
            .string("policy", &self.policy)
            .numbers(
                "categories",
                self.categories
                    .iter()
                    .map(|(k, v)| (k.as_str(), u64::from(*v))),
            );
        record.key_object("tokens", |tokens| {
            tokens
                .number("estimated", self.tokens_estimated)
                .number("reserved", self.tokens_reserved)
                .optional_number("used", self.tokens_used);
        });
        record
            .strings("signals", self.signals.iter().copied())
            .number("latency_us", self.latency_us);
        record.finish();
        line
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

    #[test]
    fn line_says_what_a_json_library_would_say() {
        let awkward = "quote \" back \\ tab \t nul \u{0} bell \u{7} del \u{7f} 中文 \u{2028}";
        let mut full = AuditRecord {
            time_ms: u64::MAX,
            request_id: awkward.into(),
            tenant: "t\"1".into(),
            shape: "messages",
            model: Some("gpt-4o".into()),
            decision: "blocked",
            shadow_decision: Some("limited"),
            policy: "p@3".into(),
            reason: Some("customs_blocked_category"),
            status: 403,
            tokens_estimated: 12,
            tokens_reserved: 0,
            tokens_used: Some(7),
            signals: vec!["many_choices", "large_output"],
            latency_us: 1234,
            ..Default::default()
        };
        full.categories.insert("email".into(), 2);
        full.categories.insert(awkward.into(), u32::MAX);
        for r in [AuditRecord::default(), full] {
            let line = r.to_line();
            assert!(
                line.starts_with(r#"{"customs_audit":1,"time_ms":"#),
                "{line}"
            );
            let expected = serde_json::json!({
                "customs_audit": 1,
                "time_ms": r.time_ms,
                "request_id": r.request_id,
                "tenant": r.tenant,
                "route": r.shape,
                "model": r.model,
                "decision": r.decision,
                "shadow_decision": r.shadow_decision,
                "reason": r.reason,
                "status": r.status,
                "policy": r.policy,
                "categories": r.categories,
                "tokens": {
                    "estimated": r.tokens_estimated,
                    "reserved": r.tokens_reserved,
                    "used": r.tokens_used,
                },
                "signals": r.signals,
                "latency_us": r.latency_us,
            });
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(v, expected, "{line}");
        }
    }
}
