//! Metric names and the increments one exchange makes. The names come from
//! bounded sets only, so that no client can grow Envoy's metric set.

use super::concat;
use crate::engine::Exchange;
use std::collections::BTreeSet;

/// The tenant label of a metric: a tenant the policy names, else `other`.
pub fn tenant_label<'a>(known: &BTreeSet<String>, tenant: &'a str) -> &'a str {
    if known.contains(tenant) {
        tenant
    } else {
        "other"
    }
}

/// Counter increments for a finished exchange: (name, amount).
pub fn exchange_counters(
    known_tenants: &BTreeSet<String>,
    exchange: &Exchange,
    tokens_out: u64,
) -> Vec<(String, u64)> {
    let tenant = tenant_label(known_tenants, &exchange.tenant);
    let mut out = vec![
        (
            concat(&[
                "customs.requests.",
                exchange.decision,
                ".",
                exchange.route.shape.name(),
            ]),
            1,
        ),
        (
            concat(&["customs.tokens_in.", tenant]),
            exchange.tokens_estimated,
        ),
        (concat(&["customs.tokens_out.", tenant]), tokens_out),
    ];
    if let Some(reason) = exchange.reason {
        out.push((concat(&["customs.rejections.", reason]), 1));
    }
    if let Some(would) = exchange.shadow_decision {
        out.push((concat(&["customs.shadow.", would]), 1));
    }
    for (category, n) in &exchange.categories {
        out.push((concat(&["customs.findings.", category]), u64::from(*n)));
    }
    for (category, n) in &exchange.answer_categories {
        out.push((
            concat(&["customs.answer_findings.", category]),
            u64::from(*n),
        ));
    }
    for signal in &exchange.signals {
        out.push((concat(&["customs.signals.", signal]), 1));
    }
    out
}
