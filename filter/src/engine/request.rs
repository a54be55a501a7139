//! The request body's path through customs: parse once, check, redact, tag.

use super::signals::{OutputVolume, SignalAction};
use super::{too_large, Ctx, Engine, Exchange, Forward, HeaderEdit, RequestHead, Verdict};
use crate::api::{ratelimit, ErrorReply, Provider, Shape};
use crate::json::{self, Json};
use crate::limits::{
    check_caps, estimate_request_overhead, estimate_tokens, should_inject_include_usage, Budgets,
    CapRefusal, OnStoreError, Refusal, RequestFacts, Store, TokenizerFamily,
};
use crate::redact::apply::{Redactor, RequestRedaction};
use crate::redact::restore::Restorer;
use crate::redact::walk;
use crate::{redact, tags};
use std::rc::Rc;

impl Engine {
    /// The whole body arrived: the verdict on it. `store` holds the budgets
    /// shared by every worker.
    pub fn on_request_body(
        &self,
        head: &RequestHead,
        exchange: &mut Exchange,
        body: &[u8],
        ctx: Ctx,
        store: &dyn Store,
    ) -> Verdict {
        // What cannot be inspected is refused, in shadow mode too: customs cannot
        // even say what it would have done.
        let mut doc = match self.parse(body) {
            Ok(doc) => doc,
            Err(reply) => return Verdict::Respond(self.refuse(exchange, "refused", reply)),
        };
        exchange.model = doc.get("model").and_then(Json::as_str).and_then(plain_name);
        exchange.stream = doc.get("stream").and_then(Json::as_bool).unwrap_or(false);
        let shadow = self.policy.is_shadow(&exchange.tenant);

        let mut refusal: Option<(&'static str, ErrorReply)> = None;
        let egress = self.policy.egress.for_tenant(&exchange.tenant);
        if let Some(reply) = egress.check_model(&exchange.route, exchange.model.as_deref()) {
            refusal = Some(("blocked", reply));
        }

        let mut changed = false;
        for path in &self.remove_fields {
            changed |= path.remove_from(&mut doc) > 0;
        }

        let mut found = RequestRedaction::default();
        let redactor = self.redactor(&exchange.tenant, false);
        redactor.redact_body(exchange.route.shape, &mut doc, &mut found);
        changed |= found.changed;
        // Tags, logs and per-model budgets name the model as forwarded: a name
        // holding a finding is no plain name any more.
        exchange.model = doc.get("model").and_then(Json::as_str).and_then(plain_name);
        let head_edits = self.redact_head(&redactor, head, &mut found);
        exchange.class = self.class_of(&found);
        exchange.categories = std::mem::take(&mut found.counts);
        if let (None, Some(category)) = (&refusal, &found.blocked) {
            refusal = Some(("blocked", blocked_reply(category)));
        }

        // Token accounting runs on the texts as they will be forwarded.
        let limits = self.limits(&exchange.tenant);
        let family = match exchange.route.provider {
            Provider::OpenAi => TokenizerFamily::OpenAi,
            Provider::Anthropic => TokenizerFamily::Anthropic,
        };
        exchange.prompt_tokens = estimate_prompt(exchange.route.shape, &mut doc, family);
        exchange.tokens_estimated = exchange.prompt_tokens;
        let mut to_reserve = exchange.prompt_tokens;
        let mut max_output = None;
        let mut n = 1;
        match RequestFacts::from_json(exchange.route.shape, &doc, exchange.prompt_tokens)
            .and_then(|facts| check_caps(&limits.caps, &facts).map(|outcome| (facts, outcome)))
        {
            Err(cap) => {
                refusal.get_or_insert(("refused", cap_reply(cap)));
            }
            Ok((facts, outcome)) => {
                for edit in &outcome.edits {
                    doc.set(edit.field.name(), Json::from(edit.value));
                    changed = true;
                }
                if should_inject_include_usage(limits, &facts) {
                    set_include_usage(&mut doc);
                    exchange.strip_usage_chunk = true;
                    changed = true;
                }
                to_reserve = outcome.tokens_to_reserve(&facts);
                max_output = facts.max_output.iter().map(|(_, v)| *v).max();
                n = facts.n;
            }
        }

        let signals = &self.policy.signals;
        let hour_output = signals
            .output_tokens_per_hour
            .and_then(|_| OutputVolume::read(store, &exchange.tenant, ctx.now_ms).ok());
        let raised = signals.evaluate(&doc, n, max_output, hour_output);
        exchange.signals = raised.names.clone();
        match raised.action {
            SignalAction::Block => {
                let reply = ErrorReply::new(
                    403,
                    "customs_bulk_extraction",
                    format!(
                        "the request matches bulk-extraction signals ({}) that the policy blocks",
                        raised.names.join(", ")
                    ),
                );
                refusal.get_or_insert(("blocked", reply));
            }
            SignalAction::Throttle => exchange.charge_factor = signals.throttle_factor,
            SignalAction::Tag => {}
        }

        if let Some((decision, reply)) = refusal {
            if !shadow {
                return Verdict::Respond(self.refuse(exchange, decision, reply));
            }
            // A refusal the head already decided (a denied path) came first.
            exchange.shadow_decision.get_or_insert(decision);
        } else {
            let charge = to_reserve.saturating_mul(exchange.charge_factor);
            match self.reserve(exchange, store, charge, ctx.now_ms) {
                Ok(()) => {}
                Err(reply) if !shadow => {
                    return Verdict::Respond(self.refuse(exchange, "limited", reply));
                }
                Err(_) => {
                    exchange.shadow_decision.get_or_insert("limited");
                }
            }
        }
        if shadow {
            // Nothing is enforced: the body goes as it came, tagged with what
            // would have happened.
            if exchange.shadow_decision.is_none() && found.changed {
                exchange.shadow_decision = Some("redacted");
            }
            let removals = head_edits.removals;
            return Verdict::Forward(self.forward(head, exchange, None, body, ctx, removals));
        }
        if found.changed {
            exchange.decision = "redacted";
        }
        if !found.pseudonyms.is_empty() {
            exchange.restorer = Some(Rc::new(Restorer::new(&found.pseudonyms)));
        }
        let new_body = changed.then(|| doc.to_bytes_like(body));
        let mut edits = head_edits.removals;
        edits.extend(head_edits.replacements);
        Verdict::Forward(self.forward(head, exchange, new_body, body, ctx, edits))
    }

    /// The head's findings (header values, the query string), in the same
    /// redaction state as the body's, and the headers the rules remove.
    pub(super) fn redact_head(
        &self,
        redactor: &Redactor<'_>,
        head: &RequestHead,
        found: &mut RequestRedaction,
    ) -> HeadEdits {
        let prefix = &self.policy.tags.prefix;
        let removals = redact::headers::edits(&self.policy.redact.headers, &head.headers, prefix);
        let mut replacements =
            redact::head::header_edits(redactor, &head.headers, &removals, prefix, found);
        if let Some(path) = redact::head::redact_query(redactor, &head.path, found) {
            replacements.push(HeaderEdit::Set(":path".to_string(), path));
        }
        HeadEdits {
            removals,
            replacements,
        }
    }

    /// Header edits and the body to forward: `head_edits`, then the tags.
    fn forward(
        &self,
        head: &RequestHead,
        exchange: &Exchange,
        new_body: Option<Vec<u8>>,
        original: &[u8],
        ctx: Ctx,
        head_edits: Vec<HeaderEdit>,
    ) -> Forward {
        let rules = &self.policy;
        let mut headers = head_edits;
        let sent = new_body.as_deref().unwrap_or(original);
        headers.extend(tags::request_tags(rules, head, exchange, sent, ctx.now_ms));
        if let Some(b) = &new_body {
            headers.push(HeaderEdit::Set(
                "content-length".to_string(),
                b.len().to_string(),
            ));
        }
        Forward {
            body: new_body,
            headers,
        }
    }

    fn parse(&self, body: &[u8]) -> Result<Json, ErrorReply> {
        let rules = &self.policy.request;
        if u64::try_from(body.len()).unwrap_or(u64::MAX) > rules.max_body_bytes {
            return Err(too_large(rules.max_body_bytes));
        }
        match json::parse(body, self.max_depth()) {
            Err(e) => Err(ErrorReply::new(
                400,
                "customs_malformed_json",
                format!("the request body is not valid JSON: {}", e.message()),
            )),
            Ok(doc @ Json::Object(_)) => Ok(doc),
            Ok(_) => Err(ErrorReply::new(
                400,
                "customs_malformed_json",
                "the request body must be a JSON object",
            )),
        }
    }

    /// Holds `tokens` against the tenant's budgets, or says why not (429 with
    /// `retry-after` and rate-limit headers; 503 when the store fails closed).
    fn reserve(
        &self,
        exchange: &mut Exchange,
        store: &dyn Store,
        tokens: u64,
        now_ms: u64,
    ) -> Result<(), ErrorReply> {
        let limits = self.limits(&exchange.tenant);
        let budgets = Budgets::new(store);
        let model = exchange
            .model
            .as_deref()
            .or(exchange.route.azure_deployment.as_deref());
        match budgets.reserve(&limits.budgets, &exchange.tenant, model, tokens, now_ms) {
            // With no budget configured nothing is held: nothing to settle later.
            Ok(reservation) if reservation.is_settled() => Ok(()),
            Ok(reservation) => {
                exchange.tokens_reserved = reservation.tokens();
                exchange.reservation = Some(reservation);
                Ok(())
            }
            Err(Refusal::StoreUnavailable) if limits.on_store_error() == OnStoreError::Open => {
                exchange.signals.push("budget_store_unavailable");
                Ok(())
            }
            Err(refusal) => {
                let (status, code, retry) = match &refusal {
                    Refusal::OverLimit(l) => (
                        429,
                        "customs_budget_exceeded",
                        Some(l.retry_after_secs.max(1)),
                    ),
                    Refusal::TooLarge(_) => (413, "customs_request_exceeds_budget", None),
                    Refusal::StoreUnavailable => (503, "customs_budget_store_unavailable", Some(1)),
                };
                let mut reply = ErrorReply::new(status, code, refusal.message());
                if let Some(secs) = retry {
                    reply
                        .headers
                        .push(("retry-after".to_string(), secs.to_string()));
                }
                let state = budgets.snapshot(&limits.budgets, &exchange.tenant, model, now_ms);
                reply
                    .headers
                    .extend(ratelimit::headers(exchange.route.provider, &state, now_ms));
                Err(reply)
            }
        }
    }

    /// The policy's actions for `tenant`, on the request or on the answer.
    pub(super) fn redactor<'a>(&'a self, tenant: &'a str, answer_side: bool) -> Redactor<'a> {
        Redactor {
            scanner: &self.scanner,
            rules: &self.policy.redact,
            tenant,
            max_depth: self.max_depth(),
            answer_side,
            restored: None,
        }
    }

    pub(super) fn max_depth(&self) -> usize {
        usize::try_from(self.policy.request.max_json_depth).unwrap_or(usize::MAX)
    }

    pub(super) fn class_of(&self, found: &RequestRedaction) -> &'static str {
        found.counts.keys().fold("public", |class, category| {
            let default = crate::detect::Category::from_name(category)
                .map_or("confidential", |c| c.default_class());
            tags::higher_class(class, self.policy.tags.class_of(category, default))
        })
    }
}

/// A model name fit to appear in tags, logs and errors: short and plain. A
/// client could put anything in `model`; anything else is not repeated.
fn plain_name(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'@')
        });
    ok.then(|| name.to_string())
}

/// The prompt's estimated tokens: every text the model will see, plus framing.
fn estimate_prompt(shape: Shape, doc: &mut Json, family: TokenizerFamily) -> u64 {
    let mut total: u64 = 0;
    for slot in walk::text_slots(shape, doc) {
        let (walk::Slot::Text(text) | walk::Slot::EmbeddedJson(text)) = slot else {
            continue;
        };
        total = total.saturating_add(u64::from(estimate_tokens(text, family)));
    }
    let messages = doc
        .get("messages")
        .and_then(Json::as_array)
        .map_or(0, Vec::len);
    total.saturating_add(u64::from(estimate_request_overhead(messages)))
}

/// The refusal of a request holding data of a category the policy blocks.
pub(super) fn blocked_reply(category: &str) -> ErrorReply {
    ErrorReply::new(
        403,
        "customs_blocked_category",
        format!(
            "the request holds data of category `{category}`, which the policy does not let leave"
        ),
    )
}

/// What the head's redaction changes: headers the rules remove (and the key
/// swap), then values with findings replaced (`:path` for the query string).
pub(super) struct HeadEdits {
    pub removals: Vec<HeaderEdit>,
    pub replacements: Vec<HeaderEdit>,
}

/// Asks an OpenAI stream to report its usage in a last chunk.
fn set_include_usage(doc: &mut Json) {
    match doc.get_mut("stream_options") {
        Some(options @ Json::Object(_)) => options.set("include_usage", Json::Bool(true)),
        _ => doc.set(
            "stream_options",
            Json::Object(vec![("include_usage".to_string(), Json::Bool(true))]),
        ),
    }
}

fn cap_reply(cap: CapRefusal) -> ErrorReply {
    let code = match cap.status {
        413 => "customs_prompt_too_long",
        403 => "customs_model_not_allowed",
        _ => "customs_cap_exceeded",
    };
    ErrorReply::new(cap.status, code, cap.message)
}
