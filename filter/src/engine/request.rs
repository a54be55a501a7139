//! The request body's path through customs: parse once, check, redact, tag.

use super::{too_large, Ctx, Engine, Exchange, Forward, RequestHead, Verdict};
use crate::api::ErrorReply;
use crate::json::{self, Json};
use crate::redact::apply::{Redactor, RequestRedaction};
use crate::redact::restore::Restorer;
use crate::{redact, tags};

impl Engine {
    /// The whole body arrived: the verdict on it.
    pub fn on_request_body(
        &self,
        head: &RequestHead,
        exchange: &mut Exchange,
        body: &[u8],
        ctx: Ctx,
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
        let redactor = Redactor {
            scanner: &self.scanner,
            rules: &self.policy.redact,
            tenant: &exchange.tenant,
            max_depth: self.max_depth(),
            answer_side: false,
        };
        redactor.redact_body(exchange.route.shape, &mut doc, &mut found);
        changed |= found.changed;
        exchange.class = self.class_of(&found);
        exchange.categories = std::mem::take(&mut found.counts);
        if let (None, Some(category)) = (&refusal, &found.blocked) {
            let reply = ErrorReply::new(
                403,
                "customs_blocked_category",
                format!("the request holds data of category `{category}`, which the policy does not let leave"),
            );
            refusal = Some(("blocked", reply));
        }

        if let Some((decision, reply)) = refusal {
            if !shadow {
                return Verdict::Respond(self.refuse(exchange, decision, reply));
            }
            exchange.shadow_decision = Some(decision);
        }
        if shadow {
            // Nothing is enforced: the body goes as it came, tagged with what
            // would have happened.
            if exchange.shadow_decision.is_none() && found.changed {
                exchange.shadow_decision = Some("redacted");
            }
            return Verdict::Forward(self.forward(head, exchange, None, body, ctx));
        }
        if found.changed {
            exchange.decision = "redacted";
        }
        if !found.pseudonyms.is_empty() {
            exchange.restorer = Some(Restorer::new(&found.pseudonyms));
        }
        let new_body = changed.then(|| doc.to_bytes());
        Verdict::Forward(self.forward(head, exchange, new_body, body, ctx))
    }

    /// Header edits and the body to forward.
    fn forward(
        &self,
        head: &RequestHead,
        exchange: &Exchange,
        new_body: Option<Vec<u8>>,
        original: &[u8],
        ctx: Ctx,
    ) -> Forward {
        let rules = &self.policy;
        let mut headers =
            redact::headers::edits(&rules.redact.headers, &head.headers, &rules.tags.prefix);
        let sent = new_body.as_deref().unwrap_or(original);
        headers.extend(tags::request_tags(rules, head, exchange, sent, ctx.now_ms));
        if let Some(b) = &new_body {
            headers.push(super::HeaderEdit::Set(
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

    pub(super) fn max_depth(&self) -> usize {
        usize::try_from(self.policy.request.max_json_depth).unwrap_or(usize::MAX)
    }

    fn class_of(&self, found: &RequestRedaction) -> &'static str {
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
