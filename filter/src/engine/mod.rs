//! The core of customs: one call with the request's head, one with its whole body,
//! each returning a verdict. It knows nothing of proxy-wasm; the glue feeds it what
//! the host gave and applies what it returns.

mod answer;
mod egress;
mod request;
mod signals;
mod tenant;

pub use answer::{AnswerMode, AnswerPlan, AnswerStream};
pub use egress::{EgressConfig, EgressRules};
pub use signals::{OutputVolume, SignalAction, SignalRules, Threshold};

pub use tenant::key_hash;

use crate::api::{recognize, ErrorReply, Route, Shape};
use crate::detect::Scanner;
use crate::limits::{LimitsConfig, Reservation};
use crate::policy::{Policy, PolicyError, UnknownRoutes};
use crate::redact::apply::RequestRedaction;
use crate::redact::fields::FieldPath;
use crate::redact::restore::Restorer;
use crate::tags;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The request line and headers, as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    pub method: String,
    pub path: String,
    /// Lower-case names, in order, repeated names kept.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    pub fn new(method: &str, path: &str, headers: Vec<(String, String)>) -> RequestHead {
        RequestHead {
            method: method.to_string(),
            path: path.to_string(),
            headers,
        }
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the host gives each call: the time and a fresh random number (the core
/// stays deterministic, so tests can drive it).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ctx {
    pub now_ms: u64,
    pub random: u64,
}

/// One header change on the request that goes upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    Set(String, String),
    Remove(String),
}

/// An answer customs gives the client itself; nothing goes upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What to send upstream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forward {
    /// The new body, or `None` to send the body byte for byte as it came.
    pub body: Option<Vec<u8>>,
    pub headers: Vec<HeaderEdit>,
}

/// The outcome of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Forward(Forward),
    Respond(LocalReply),
}

/// What the head alone decides.
#[derive(Debug)]
pub enum HeadStep {
    /// Refuse now.
    Respond(Exchange, LocalReply),
    /// Hold the headers and buffer the body; call `on_request_body` at its end.
    AwaitBody(Exchange),
    /// There is no body: forward with these edits.
    Forward(Exchange, Forward),
}

/// What customs knows of one request/answer exchange, kept by the glue from the
/// head to the end of the answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub route: Route,
    pub tenant: String,
    pub request_id: String,
    /// A non-JSON body on a route declared non-sensitive: forwarded uninspected.
    pub passthrough: bool,
    /// What customs decided, for the audit line: forwarded, redacted, blocked,
    /// limited, refused.
    pub decision: &'static str,
    /// The refusal code when customs answered itself.
    pub reason: Option<&'static str>,
    /// In shadow mode, what would have happened.
    pub shadow_decision: Option<&'static str>,
    /// The model the request names (or the Azure deployment), when it is a plain name.
    pub model: Option<String>,
    /// The client asked for a streamed answer.
    pub stream: bool,
    /// Findings per category.
    pub categories: BTreeMap<String, u32>,
    /// The highest data class found.
    pub class: &'static str,
    /// Puts pseudonyms back into the answer; `None` when there are none.
    /// Shared, not copied, by each event of a streamed answer.
    pub restorer: Option<Rc<Restorer>>,
    pub tokens_estimated: u64,
    pub tokens_reserved: u64,
    /// Bulk-extraction signals raised.
    pub signals: Vec<&'static str>,
    /// The answer's status (0 until it arrives).
    pub status: u16,
    /// Estimated prompt tokens.
    pub prompt_tokens: u64,
    /// Tokens held against the budgets until the answer settles them.
    pub reservation: Option<Reservation>,
    /// How many times over the request is charged (a throttle signal).
    pub charge_factor: u64,
    /// customs asked for usage in the stream: strip that chunk from the answer.
    pub strip_usage_chunk: bool,
    /// Usage read from a JSON answer: (tokens to charge, output tokens).
    pub answer_usage: Option<(u64, u64)>,
    /// What the exchange was finally charged.
    pub tokens_used: Option<u64>,
    /// Findings per category in the answer, when answers are scanned.
    pub answer_categories: BTreeMap<String, u32>,
}

/// The policy, compiled for the request path.
#[derive(Debug)]
pub struct Engine {
    policy: Policy,
    scanner: Scanner,
    remove_fields: Vec<FieldPath>,
    /// Tenants the policy names; metrics fold every other tenant into `other`.
    known_tenants: BTreeSet<String>,
    /// Effective limits per tenant with overrides, and for every other tenant.
    tenant_limits: BTreeMap<String, LimitsConfig>,
    default_limits: LimitsConfig,
}

impl Engine {
    /// Parses, validates and compiles a policy document (empty = secure defaults).
    pub fn from_config(config: &[u8]) -> Result<Engine, PolicyError> {
        let policy = Policy::from_bytes(config)?;
        let scanner = Scanner::new(&policy.detect).map_err(|e| e.within("detect"))?;
        let remove_fields = policy
            .redact
            .remove_fields
            .iter()
            .enumerate()
            .map(|(i, p)| {
                FieldPath::parse(p)
                    .map_err(|m| PolicyError::new(format!("redact.remove_fields[{i}]"), m))
            })
            .collect::<Result<_, _>>()?;
        let known_tenants = known_tenants(&policy);
        let tenant_limits = policy
            .limits
            .tenants
            .keys()
            .map(|t| (t.clone(), policy.limits.for_tenant(t)))
            .collect();
        let default_limits = policy.limits.for_tenant("");
        Ok(Engine {
            policy,
            scanner,
            remove_fields,
            known_tenants,
            tenant_limits,
            default_limits,
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The limits that apply to `tenant`.
    pub fn limits(&self, tenant: &str) -> &LimitsConfig {
        self.tenant_limits
            .get(tenant)
            .unwrap_or(&self.default_limits)
    }

    /// The body size over which a request is refused.
    pub fn max_body_bytes(&self) -> u64 {
        self.policy.request.max_body_bytes
    }

    /// Headers arrived. `has_body` is false when the headers ended the stream.
    pub fn on_request_head(&self, head: &RequestHead, has_body: bool, ctx: Ctx) -> HeadStep {
        let route = recognize(&head.method, &head.path);
        let mut exchange = Exchange {
            tenant: tenant::resolve(&self.policy.tenants, head, |name| {
                self.scanner.finds_anything(name)
            }),
            request_id: request_id(head, ctx, &self.scanner),
            passthrough: false,
            decision: "forwarded",
            reason: None,
            shadow_decision: None,
            model: None,
            stream: false,
            categories: BTreeMap::new(),
            class: "public",
            restorer: None,
            tokens_estimated: 0,
            tokens_reserved: 0,
            signals: Vec::new(),
            status: 0,
            answer_categories: BTreeMap::new(),
            prompt_tokens: 0,
            reservation: None,
            charge_factor: 1,
            strip_usage_chunk: false,
            answer_usage: None,
            tokens_used: None,
            route,
        };
        if let Some(reply) = self.refuse_by_head(head, has_body, &mut exchange) {
            let reply = self.refuse(&mut exchange, "refused", reply);
            return HeadStep::Respond(exchange, reply);
        }
        if let Some(reply) = self
            .policy
            .egress
            .for_tenant(&exchange.tenant)
            .check_path(&head.path)
        {
            if self.policy.is_shadow(&exchange.tenant) {
                exchange.shadow_decision = Some("blocked");
            } else {
                let reply = self.refuse(&mut exchange, "blocked", reply);
                return HeadStep::Respond(exchange, reply);
            }
        }
        if has_body && !exchange.passthrough {
            return HeadStep::AwaitBody(exchange);
        }
        // No body to wait for: the head's own findings decide.
        let mut found = RequestRedaction::default();
        let redactor = self.redactor(&exchange.tenant, false);
        let edits = self.redact_head(&redactor, head, &mut found);
        exchange.class = self.class_of(&found);
        exchange.categories = std::mem::take(&mut found.counts);
        let shadow = self.policy.is_shadow(&exchange.tenant);
        let mut headers = edits.removals;
        if shadow {
            let would = match found.blocked {
                Some(_) => Some("blocked"),
                None => found.changed.then_some("redacted"),
            };
            if let Some(would) = would {
                exchange.shadow_decision.get_or_insert(would);
            }
        } else if let Some(category) = &found.blocked {
            let reply = self.refuse(&mut exchange, "blocked", request::blocked_reply(category));
            return HeadStep::Respond(exchange, reply);
        } else {
            if found.changed {
                exchange.decision = "redacted";
            }
            headers.extend(edits.replacements);
        }
        headers.extend(tags::request_tags(
            &self.policy,
            head,
            &exchange,
            b"",
            ctx.now_ms,
        ));
        HeadStep::Forward(
            exchange,
            Forward {
                body: None,
                headers,
            },
        )
    }

    /// The running body size passed the limit before the end of the stream.
    pub fn body_too_large(&self, exchange: &mut Exchange) -> LocalReply {
        self.refuse(exchange, "refused", too_large(self.max_body_bytes()))
    }

    /// Records a refusal on the exchange and builds the local reply.
    fn refuse(
        &self,
        exchange: &mut Exchange,
        decision: &'static str,
        error: ErrorReply,
    ) -> LocalReply {
        exchange.decision = decision;
        exchange.reason = Some(error.code);
        exchange.status = error.status;
        self.reply(exchange, error)
    }

    fn refuse_by_head(
        &self,
        head: &RequestHead,
        has_body: bool,
        exchange: &mut Exchange,
    ) -> Option<ErrorReply> {
        let rules = &self.policy.request;
        if exchange.route.shape == Shape::Unknown && rules.unknown_routes == UnknownRoutes::Refuse {
            return Some(ErrorReply::new(
                403,
                "customs_route_refused",
                "this API route is not allowed by the egress policy (request.unknown_routes)",
            ));
        }
        if !has_body {
            return None;
        }
        if let Some(encoding) = head.header("content-encoding") {
            if !encoding.trim().eq_ignore_ascii_case("identity") {
                return Some(ErrorReply::new(
                    415,
                    "customs_unsupported_encoding",
                    "compressed request bodies cannot be inspected; send them uncompressed",
                ));
            }
        }
        if !is_json(head.header("content-type")) {
            if rules.is_passthrough(&head.path) {
                exchange.passthrough = true;
                return None;
            }
            return Some(ErrorReply::new(
                415,
                "customs_unsupported_content_type",
                "request bodies must be application/json in UTF-8",
            ));
        }
        let declared = head
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        match declared {
            Some(len) if len > rules.max_body_bytes => Some(too_large(rules.max_body_bytes)),
            _ => None,
        }
    }

    fn reply(&self, exchange: &Exchange, error: ErrorReply) -> LocalReply {
        let provider = exchange.route.provider;
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        headers.extend(error.headers.iter().cloned());
        headers.extend(tags::reply_tags(&self.policy, exchange));
        LocalReply {
            status: error.status,
            headers,
            body: error.body(provider),
        }
    }
}

/// Every tenant the policy names anywhere.
fn known_tenants(policy: &Policy) -> BTreeSet<String> {
    let mut known = BTreeSet::new();
    known.insert(policy.tenants.default.clone());
    known.extend(policy.tenants.api_keys.values().cloned());
    known.extend(policy.redact.tenant_actions.keys().cloned());
    known.extend(policy.egress.tenants.keys().cloned());
    known.extend(policy.limits.tenants.keys().cloned());
    known.extend(policy.shadow.tenants.iter().cloned());
    known
}

fn too_large(limit: u64) -> ErrorReply {
    ErrorReply::new(
        413,
        "customs_body_too_large",
        format!("the request body is larger than the policy's limit of {limit} bytes"),
    )
}

/// `application/json`, or any `+json` type, with parameters; a `charset`, if
/// any, must be UTF-8: customs reads the body as UTF-8, and a provider told
/// otherwise would read other text than customs inspected.
fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let mut parts = ct.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let utf8 = parts.all(|param| {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        let value = value.trim().trim_matches('"');
        !name.trim().eq_ignore_ascii_case("charset")
            || value.eq_ignore_ascii_case("utf-8")
            || value.eq_ignore_ascii_case("utf8")
    });
    let json = essence.eq_ignore_ascii_case("application/json")
        || essence
            .get(essence.len().saturating_sub(5)..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case("+json"));
    json && utf8
}

/// The request id: the client's or Envoy's `x-request-id` when it is a plain token,
/// else a fresh one.
fn request_id(head: &RequestHead, ctx: Ctx, scanner: &Scanner) -> String {
    if let Some(id) = head.header("x-request-id") {
        let id = id.trim();
        let plain = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        // The id goes into tags, logs and answers: never one that holds data.
        if plain && !scanner.finds_anything(id) {
            return id.to_string();
        }
    }
    let a = ctx.random;
    let b = ctx.now_ms ^ a.rotate_left(17);
    format!("{a:016x}{b:016x}")
}

#[cfg(test)]
mod tests;

impl Engine {
    /// Counter increments for a finished exchange.
    pub fn counters(&self, exchange: &Exchange, tokens_out: u64) -> Vec<(String, u64)> {
        tags::metrics::exchange_counters(&self.known_tenants, exchange, tokens_out)
    }

    /// The audit record of a finished exchange.
    pub fn audit_record(&self, exchange: &Exchange, now_ms: u64) -> tags::audit::AuditRecord {
        let mut categories = exchange.categories.clone();
        for (k, v) in &exchange.answer_categories {
            *categories.entry(format!("answer.{k}")).or_default() += v;
        }
        tags::audit::AuditRecord {
            time_ms: now_ms,
            request_id: exchange.request_id.clone(),
            tenant: exchange.tenant.clone(),
            shape: exchange.route.shape.name(),
            model: exchange.model.clone(),
            decision: exchange.decision,
            shadow_decision: exchange.shadow_decision,
            policy: tags::policy_name(&self.policy),
            categories,
            reason: exchange.reason,
            status: exchange.status,
            tokens_estimated: exchange.tokens_estimated,
            tokens_reserved: exchange.tokens_reserved,
            tokens_used: exchange.tokens_used,
            signals: exchange.signals.clone(),
            latency_us: 0,
        }
    }
}
