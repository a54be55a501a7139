//! Metric names and the increments one exchange makes. The names come from
//! bounded sets only, so that no client can grow Envoy's metric set.

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
            [
                "customs.requests.",
                exchange.decision,
                ".",
                exchange.route.shape.name(),
            ]
            .concat(),
            1,
        ),
        (
            ["customs.tokens_in.", tenant].concat(),
            exchange.tokens_estimated,
        ),
        (["customs.tokens_out.", tenant].concat(), tokens_out),
    ];
    if let Some(reason) = exchange.reason {
        out.push((["customs.rejections.", reason].concat(), 1));
    }
    if let Some(would) = exchange.shadow_decision {
        out.push((["customs.shadow.", would].concat(), 1));
    }
    for (category, n) in &exchange.categories {
        out.push((["customs.findings.", category].concat(), u64::from(*n)));
    }
    for (category, n) in &exchange.answer_categories {
        out.push((
            ["customs.answer_findings.", category].concat(),
            u64::from(*n),
        ));
    }
    for signal in &exchange.signals {
        out.push((["customs.signals.", signal].concat(), 1));
    }
    out
}
