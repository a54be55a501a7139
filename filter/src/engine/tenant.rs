//! Finding the tenant of a request: a configured header, else a keyed hash of the
//! caller's API key, else the default tenant. The API key itself is never kept.

use super::RequestHead;
use crate::keyed;
use crate::policy::TenantRules;

/// How many bytes of the keyed hash name a key-derived tenant (96 bits).
const KEY_TENANT_HASH_BYTES: usize = 12;

/// The tenant of `head` under `rules`. A header's name that `holds_data`
/// (a detector finds something in it) is passed over like a malformed one: the
/// tenant goes into tags, logs and metrics.
pub fn resolve(
    rules: &TenantRules,
    head: &RequestHead,
    holds_data: impl Fn(&str) -> bool,
) -> String {
    if let Some(name) = rules.header.as_deref().and_then(|h| head.header(h)) {
        let name = name.trim();
        if is_tenant_name(name) && !holds_data(name) {
            return name.to_string();
        }
    }
    if let (Some(secret), Some(key)) = (&rules.api_key_hmac_secret, api_key(head)) {
        let hash = key_hash(secret, key);
        return match rules.api_keys.get(&hash) {
            Some(tenant) => tenant.clone(),
            None => format!("key-{hash}"),
        };
    }
    rules.default.clone()
}

/// The keyed hash of an API key under the policy's secret, as the policy's
/// `tenants.api_keys` map lists it.
pub fn key_hash(secret: &str, key: &str) -> String {
    let tag = keyed::hmac_sha256(secret.as_bytes(), key.as_bytes());
    keyed::hex(&tag, KEY_TENANT_HASH_BYTES)
}

/// The caller's API key, from whichever header its provider uses.
fn api_key(head: &RequestHead) -> Option<&str> {
    if let Some(auth) = head.header("authorization") {
        let auth = auth.trim();
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
            .unwrap_or(auth)
            .trim();
        if !token.is_empty() {
            return Some(token);
        }
    }
    head.header("api-key")
        .or_else(|| head.header("x-api-key"))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// A tenant name taken from a header must be a plain name, so that it cannot
/// inject anything into tags, metrics or logs.
fn is_tenant_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
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
    use crate::policy::Policy;

    /// A stand-in for the scanner: eleven digits are a phone number.
    fn phone(name: &str) -> bool {
        name.len() == 11 && name.bytes().all(|b| b.is_ascii_digit())
    }

    fn head(headers: &[(&str, &str)]) -> RequestHead {
        RequestHead::new(
            "POST",
            "/v1/chat/completions",
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn resolution_order() {
        let secret = "0123456789abcdef-secret";
        let mapped = key_hash(secret, "sk-mapped");
        let doc = format!(
            r#"{{"tenants":{{"header":"x-team","api_key_hmac_secret":"{secret}","api_keys":{{"{mapped}":"payments"}}}}}}"#
        );
        let policy = Policy::from_bytes(doc.as_bytes()).unwrap();
        let rules = &policy.tenants;
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("x-team", "risk")], "risk"),
            (
                &[("x-team", "risk"), ("authorization", "Bearer sk-mapped")],
                "risk",
            ),
            (
                &[
                    ("x-team", "bad name\n"),
                    ("authorization", "Bearer sk-mapped"),
                ],
                "payments",
            ),
            (&[("authorization", "Bearer sk-mapped")], "payments"),
            (&[("x-api-key", "sk-mapped")], "payments"),
            (&[("api-key", "sk-mapped")], "payments"),
            (
                &[
                    ("x-team", "13812345678"),
                    ("authorization", "Bearer sk-mapped"),
                ],
                "payments",
            ),
            (&[], "default"),
        ];
        for (headers, want) in cases {
            assert_eq!(resolve(rules, &head(headers), phone), *want, "{headers:?}");
        }
        let other = resolve(rules, &head(&[("authorization", "Bearer sk-other")]), phone);
        assert!(other.starts_with("key-"), "{other}");
        assert!(!other.contains("sk-other"));
        assert_eq!(other.len(), 4 + 2 * KEY_TENANT_HASH_BYTES);
    }

    #[test]
    fn without_a_secret_keys_do_not_select_tenants() {
        let policy = Policy::from_bytes(b"{}").unwrap();
        let t = resolve(
            &policy.tenants,
            &head(&[("authorization", "Bearer sk-x")]),
            phone,
        );
        assert_eq!(t, "default");
    }
}
