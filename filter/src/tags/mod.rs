//! Tags: the headers that tell the far side a request passed customs, and under
//! which policy.

use crate::engine::{Exchange, HeaderEdit, RequestHead};
use crate::policy::Policy;

/// Header edits for a forwarded request: first every header the client set with
/// the tag prefix is removed (a client must not forge customs' tags), then
/// customs sets its own.
pub fn request_tags(policy: &Policy, head: &RequestHead, exchange: &Exchange) -> Vec<HeaderEdit> {
    let prefix = policy.tags.prefix.as_str();
    let mut edits: Vec<HeaderEdit> = Vec::new();
    for (name, _) in &head.headers {
        let spoofed = name.len() >= prefix.len()
            && name
                .get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix));
        let edit = HeaderEdit::Remove(name.to_ascii_lowercase());
        if spoofed && !edits.contains(&edit) {
            edits.push(edit);
        }
    }
    for (name, value) in common(policy, exchange) {
        edits.push(HeaderEdit::Set(name, value));
    }
    edits
}

/// Tags on answers customs gives itself, so a client can quote the request id.
pub fn reply_tags(policy: &Policy, exchange: &Exchange) -> Vec<(String, String)> {
    common(policy, exchange)
}

fn common(policy: &Policy, exchange: &Exchange) -> Vec<(String, String)> {
    let prefix = &policy.tags.prefix;
    vec![
        (format!("{prefix}tenant"), exchange.tenant.clone()),
        (format!("{prefix}request-id"), exchange.request_id.clone()),
        (
            format!("{prefix}policy"),
            format!("{}@{}", policy.policy_id, policy.version),
        ),
    ]
}
