//! Request headers that must not cross: a deny list with secure defaults, or an
//! allow list; and the swap of the caller's API key for the company's own.

use super::rules::HeaderRules;
use crate::engine::HeaderEdit;

/// Headers an allow list always keeps: the request line, the body's own headers
/// and the provider's API-key headers (removing those would break every call).
const ALWAYS_KEPT: &[&str] = &[
    "content-type",
    "content-length",
    "authorization",
    "api-key",
    "x-api-key",
    "anthropic-version",
    "anthropic-beta",
    "openai-organization",
    "openai-project",
    "host",
    "te",
    "x-request-id",
];

/// Edits that strip `headers` (lower-case names) as the rules say. Names with
/// `tag_prefix` are left to the tagger.
pub fn edits(
    rules: &HeaderRules,
    headers: &[(String, String)],
    tag_prefix: &str,
) -> Vec<HeaderEdit> {
    let mut out: Vec<HeaderEdit> = Vec::new();
    for (name, _) in headers {
        if name.starts_with(':') || name.starts_with(tag_prefix) {
            continue;
        }
        let denied = rules.deny.iter().any(|d| match d.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => d == name,
        });
        let not_allowed = rules.allow.as_ref().is_some_and(|allow| {
            !allow.iter().any(|a| a == name) && !ALWAYS_KEPT.contains(&name.as_str())
        });
        let edit = HeaderEdit::Remove(name.clone());
        if (denied || not_allowed) && !out.contains(&edit) {
            out.push(edit);
        }
    }
    if let Some(key) = &rules.provider_key {
        for h in ["authorization", "api-key", "x-api-key"] {
            if h != key.header && headers.iter().any(|(n, _)| n == h) {
                out.push(HeaderEdit::Remove(h.to_string()));
            }
        }
        let value = if key.header == "authorization" {
            format!("Bearer {}", key.value)
        } else {
            key.value.clone()
        };
        out.push(HeaderEdit::Set(key.header.clone(), value));
    }
    out
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
    use crate::redact::rules::RedactRules;

    fn h(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| (n.to_string(), "v".to_string()))
            .collect()
    }

    fn removed(edits: &[HeaderEdit]) -> Vec<&str> {
        edits
            .iter()
            .filter_map(|e| match e {
                HeaderEdit::Remove(n) => Some(n.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn secure_defaults_strip_cookies_and_client_addresses() {
        let rules = RedactRules::default().headers;
        let edits = edits(
            &rules,
            &h(&[
                ":path",
                "cookie",
                "x-forwarded-for",
                "authorization",
                "x-customs-tenant",
                "user-agent",
            ]),
            "x-customs-",
        );
        assert_eq!(removed(&edits), vec!["cookie", "x-forwarded-for"]);
    }

    #[test]
    fn deny_prefixes_allow_lists_and_key_swap() {
        let rules: RedactRules = serde_json::from_str(
            r#"{"headers":{"deny":["x-internal-*"],"allow":["user-agent","x-internal-trace"],
                "provider_key":{"header":"authorization","value":"sk-company"}}}"#,
        )
        .unwrap();
        let edits = edits(
            &rules.headers,
            &h(&[
                "x-internal-trace",
                "user-agent",
                "x-other",
                "authorization",
                "x-api-key",
                "content-type",
            ]),
            "x-customs-",
        );
        assert_eq!(
            removed(&edits),
            vec!["x-internal-trace", "x-other", "x-api-key"]
        );
        assert!(edits.contains(&HeaderEdit::Set(
            "authorization".into(),
            "Bearer sk-company".into()
        )));
    }
}
