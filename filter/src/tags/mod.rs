//! Tags: the headers that tell the far side a request passed customs, under which
//! policy and with what found; the attestation that signs them; the audit line.

pub mod attest;
pub mod audit;
pub mod metrics;

use crate::engine::{Exchange, HeaderEdit, RequestHead};
use crate::json;
use crate::policy::{Policy, CLASSES};

/// Header edits for a forwarded request: first every header the client set with
/// the tag prefix is removed (a client must not forge customs' tags), then
/// customs sets its own. `body` is the body exactly as forwarded (the
/// attestation signs its hash).
pub fn request_tags(
    policy: &Policy,
    head: &RequestHead,
    exchange: &Exchange,
    body: &[u8],
    now_ms: u64,
) -> Vec<HeaderEdit> {
    let prefix = policy.tags.prefix.as_str();
    let mut edits: Vec<HeaderEdit> = Vec::new();
    for (name, _) in &head.headers {
        let spoofed = name
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix));
        let edit = HeaderEdit::Remove(name.to_ascii_lowercase());
        if spoofed && !edits.contains(&edit) {
            edits.push(edit);
        }
    }
    let mut tags = common(policy, exchange);
    tags.push((tag(prefix, "class"), exchange.class.to_string()));
    tags.push((tag(prefix, "redactions"), counts(exchange)));
    if exchange.tokens_estimated > 0 || exchange.tokens_reserved > 0 {
        tags.push((
            tag(prefix, "tokens"),
            pairs([
                ("estimated", exchange.tokens_estimated),
                ("reserved", exchange.tokens_reserved),
            ]),
        ));
    }
    if !exchange.signals.is_empty() {
        tags.push((tag(prefix, "signals"), exchange.signals.join(",")));
    }
    if let Some(would) = exchange.shadow_decision {
        tags.push((tag(prefix, "shadow"), would.to_string()));
    }
    tags.retain(|(name, _)| {
        let short = name.get(prefix.len()..).unwrap_or_default();
        !policy.tags.omit.iter().any(|o| o == short)
    });
    if let Some(key) = &policy.tags.attestation {
        let claims = attest::Claims {
            key_id: key.key_id.clone(),
            timestamp_ms: now_ms,
            policy: policy_name(policy),
            tenant: exchange.tenant.clone(),
            request_id: exchange.request_id.clone(),
            body_sha256: attest::body_digest(body),
        };
        tags.push((
            tag(prefix, "attestation"),
            attest::sign(&claims, key.secret.as_bytes()),
        ));
    }
    edits.extend(tags.into_iter().map(|(k, v)| HeaderEdit::Set(k, v)));
    edits
}

/// Tags on answers customs gives itself, so a client can quote the request id.
pub fn reply_tags(policy: &Policy, exchange: &Exchange) -> Vec<(String, String)> {
    common(policy, exchange)
}

/// `id@version`, as tags, attestations and audit lines name the policy.
pub fn policy_name(policy: &Policy) -> String {
    [policy.policy_id.as_str(), "@", &policy.version].concat()
}

/// The more sensitive of two classes.
pub fn higher_class(a: &'static str, b: &str) -> &'static str {
    let rank = |c: &str| CLASSES.iter().position(|k| *k == c).unwrap_or(0);
    if rank(b) > rank(a) {
        CLASSES.get(rank(b)).copied().unwrap_or(a)
    } else {
        a
    }
}

fn common(policy: &Policy, exchange: &Exchange) -> Vec<(String, String)> {
    let prefix = &policy.tags.prefix;
    vec![
        (tag(prefix, "tenant"), exchange.tenant.clone()),
        (tag(prefix, "request-id"), exchange.request_id.clone()),
        (tag(prefix, "policy"), policy_name(policy)),
    ]
}

/// `email=2,phone=1`, or `none`.
fn counts(exchange: &Exchange) -> String {
    if exchange.categories.is_empty() {
        return "none".to_string();
    }
    pairs(
        exchange
            .categories
            .iter()
            .map(|(category, n)| (category.as_str(), u64::from(*n))),
    )
}

/// A tag's header name.
fn tag(prefix: &str, name: &str) -> String {
    [prefix, name].concat()
}

/// `name=number` for each pair, comma-separated: `estimated=12,reserved=0`.
/// Tags are built on every request: plain pushes, as the formatting machinery
/// costs several times more inside the `.wasm`.
fn pairs<'a>(items: impl IntoIterator<Item = (&'a str, u64)>) -> String {
    let mut out = String::with_capacity(64);
    for (i, (name, n)) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push('=');
        json::push_decimal(&mut out, n);
    }
    out
}
