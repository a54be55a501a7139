//! The answer's path back to the client: pseudonyms restored (in JSON and in SSE
//! streams, event by event), answers optionally scanned, usage read.

use super::signals::OutputVolume;
use super::{Engine, Exchange, HeaderEdit};
use crate::api::ratelimit;
use crate::api::sse::{SseEvent, SseSplitter};
use crate::api::usage::{is_usage_only_chunk, usage_from_json, StreamUsage};
use crate::json::{self, Json};
use crate::limits::{Budgets, Store};
use crate::redact::apply::RequestRedaction;
use crate::redact::restore::{Restorer, StreamRestorer};
use crate::redact::stream_scan::StreamScan;
use crate::redact::walk;
use std::collections::BTreeMap;

/// How the answer body is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerMode {
    /// Nothing to do: chunks go straight through.
    PassThrough,
    /// Buffer the JSON answer, then call `on_answer_body` once.
    Buffer,
    /// An SSE stream: call `on_answer_chunk` for each chunk; events go out as
    /// they complete.
    Stream,
}

/// What the answer's headers decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerPlan {
    pub mode: AnswerMode,
    pub headers: Vec<HeaderEdit>,
}

/// Per-answer streaming state.
#[derive(Debug, Default)]
pub struct AnswerStream {
    splitter: SseSplitter,
    channels: BTreeMap<String, Channel>,
    usage: Option<StreamUsage>,
    /// The answer's scan state, kept from event to event so that a value
    /// gets one placeholder and placeholders one numbering over the stream.
    found: Option<RequestRedaction>,
}

/// The most values a streamed answer's scan remembers; past it, it forgets
/// them and numbers on (its memory stays bounded however long the stream).
const MAX_REMEMBERED: usize = 1024;

/// One streamed text channel (a choice, a content block, an output item).
#[derive(Debug, Default)]
struct Channel {
    restorer: StreamRestorer,
    /// Text held back until what follows it shows whether it is a value.
    scan: StreamScan,
    /// The last delta event of this channel, to carry held-back text at a flush.
    template: Option<(Option<String>, Json)>,
}

impl Engine {
    /// The answer's status and headers arrived.
    pub fn on_answer_head(
        &self,
        exchange: &mut Exchange,
        status: u16,
        headers: &[(String, String)],
        store: &dyn Store,
        now_ms: u64,
    ) -> AnswerPlan {
        exchange.status = status;
        // Usage is read when something needs it: a reservation to settle, the
        // usage chunk customs asked for, or the tenant's hourly output volume.
        let accounting = exchange.reservation.is_some()
            || exchange.strip_usage_chunk
            || self.policy.signals.output_tokens_per_hour.is_some();
        let content_type = headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.to_ascii_lowercase())
            .unwrap_or_default();
        let edits_body =
            exchange.restorer.is_some() || self.policy.redact.scan_responses || accounting;
        let mode = if !edits_body {
            AnswerMode::PassThrough
        } else if content_type.starts_with("text/event-stream") {
            AnswerMode::Stream
        } else if content_type.contains("json") {
            AnswerMode::Buffer
        } else {
            AnswerMode::PassThrough
        };
        let mut edits = vec![HeaderEdit::Set(
            format!("{}request-id", self.policy.tags.prefix),
            exchange.request_id.clone(),
        )];
        if mode != AnswerMode::PassThrough {
            // The body may change length.
            edits.push(HeaderEdit::Remove("content-length".to_string()));
        }
        let limits = self.limits(&exchange.tenant);
        if !limits.budgets.tenant_rates().is_unlimited() || !limits.budgets.models.is_empty() {
            let model = exchange
                .model
                .as_deref()
                .or(exchange.route.azure_deployment.as_deref());
            let state =
                Budgets::new(store).snapshot(&limits.budgets, &exchange.tenant, model, now_ms);
            for (k, v) in ratelimit::headers(exchange.route.provider, &state, now_ms) {
                edits.push(HeaderEdit::Set(k, v));
            }
        }
        AnswerPlan {
            mode,
            headers: edits,
        }
    }

    /// The whole JSON answer: the body to send instead, or `None` to send it as
    /// it came.
    pub fn on_answer_body(&self, exchange: &mut Exchange, body: &[u8]) -> Option<Vec<u8>> {
        if let Some(usage) = usage_from_json(body, exchange.route.provider) {
            let cached = self.limits(&exchange.tenant).count_cached_input();
            exchange.answer_usage = Some((usage.charged_tokens(cached), usage.output));
        }
        if exchange.restorer.is_none() && !self.policy.redact.scan_responses {
            return None;
        }
        let mut doc = json::parse(body, self.max_depth()).ok()?;
        let mut found = self
            .policy
            .redact
            .scan_responses
            .then(|| RequestRedaction::numbered_after(&exchange.categories));
        let changed = self.restore_and_scan(exchange, &mut doc, found.as_mut());
        changed.then(|| doc.to_bytes_like(body))
    }

    /// One chunk of an SSE answer: the bytes to send on now.
    pub fn on_answer_chunk(
        &self,
        exchange: &mut Exchange,
        stream: &mut AnswerStream,
        chunk: &[u8],
        end_of_stream: bool,
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len());
        let provider = exchange.route.provider;
        stream
            .usage
            .get_or_insert_with(|| StreamUsage::new(provider));
        let mut events = stream.splitter.push(chunk);
        if end_of_stream {
            events.extend(stream.splitter.finish());
        }
        for event in events {
            self.on_event(exchange, stream, event, &mut out);
        }
        if end_of_stream {
            self.flush(exchange, stream, &mut out);
        }
        out
    }

    fn on_event(
        &self,
        exchange: &mut Exchange,
        stream: &mut AnswerStream,
        event: SseEvent,
        out: &mut Vec<u8>,
    ) {
        if let Some(usage) = stream.usage.as_mut() {
            usage.observe(&event);
        }
        if exchange.strip_usage_chunk && is_usage_only_chunk(&event) {
            // customs asked for this chunk; the client did not.
            return;
        }
        if exchange.restorer.is_none() && !self.policy.redact.scan_responses {
            out.extend_from_slice(&event.raw);
            return;
        }
        let Ok(mut doc) = json::parse(event.data.as_bytes(), self.max_depth()) else {
            // `[DONE]`, comments, anything not JSON: the stream's end markers pass
            // after any held text.
            self.flush(exchange, stream, out);
            out.extend_from_slice(&event.raw);
            return;
        };
        let table = exchange.restorer.clone();
        let mut changed = false;
        let mut template = doc.clone();
        let slots = delta_slots(&mut doc);
        if slots.is_empty() {
            self.flush(exchange, stream, out);
            let found = self.answer_scan(&mut stream.found, exchange);
            changed |= self.restore_and_scan(exchange, &mut doc, found);
        } else {
            let mut redactor = self.redactor(&exchange.tenant, true);
            redactor.restored = table.as_deref();
            let mut found = self.answer_scan(&mut stream.found, exchange);
            let mut findings = Vec::new();
            for (channel, text) in slots {
                let ch = stream.channels.entry(channel).or_default();
                let mut sent = match &table {
                    Some(t) => ch.restorer.push(t, text),
                    None => text.clone(),
                };
                if let Some(found) = found.as_deref_mut() {
                    sent = ch.scan.push(&sent, |t, from| {
                        redactor.redact_tail(t, from, found, &mut findings)
                    });
                }
                if sent != *text {
                    *text = sent;
                    changed = true;
                }
            }
            if let Some(found) = found {
                settle_counts(exchange, found);
            }
            let channels: Vec<String> = delta_slots(&mut template)
                .into_iter()
                .map(|(c, _)| c)
                .collect();
            for channel in channels {
                if let Some(ch) = stream.channels.get_mut(&channel) {
                    ch.template = Some((event_name(&event), template.clone()));
                }
            }
        }
        if changed {
            write_event(out, event_name(&event).as_deref(), &doc);
        } else {
            out.extend_from_slice(&event.raw);
        }
    }

    /// The exchange is over (answered, failed, or the client went away): settle
    /// the reservation with what the exchange really cost, and count the output
    /// toward the tenant's hourly volume. Returns the output tokens.
    pub fn finish(
        &self,
        exchange: &mut Exchange,
        stream: &AnswerStream,
        store: &dyn Store,
        now_ms: u64,
    ) -> u64 {
        let limits = self.limits(&exchange.tenant);
        let cached = limits.count_cached_input();
        let prompt = exchange.prompt_tokens;
        let (used, output) = if exchange.reason.is_some() {
            (0, 0)
        } else if exchange.status == 0 {
            // Sent, but no answer reached the client: the provider still read
            // the prompt.
            (prompt, 0)
        } else if exchange.status >= 400 {
            (0, 0)
        } else if let Some(usage) = exchange.answer_usage {
            usage
        } else if let Some(s) = &stream.usage {
            let used = s.charge(prompt, cached);
            let output = s
                .reported()
                .map_or(s.streamed_output_estimate(), |u| u.output);
            (used, output)
        } else {
            let reserved = exchange.reservation.as_ref().map_or(prompt, |r| r.tokens());
            (reserved, reserved.saturating_sub(prompt))
        };
        exchange.tokens_used = Some(used);
        if let Some(reservation) = exchange.reservation.as_mut() {
            let charge = used.saturating_mul(exchange.charge_factor);
            if Budgets::new(store)
                .settle(reservation, charge, now_ms)
                .is_err()
            {
                exchange.signals.push("settle_failed");
            }
        }
        if self.policy.signals.output_tokens_per_hour.is_some() && output > 0 {
            let _ = OutputVolume::add(store, &exchange.tenant, output, now_ms);
        }
        output
    }

    /// Sends every channel's held-back text in an event shaped like that
    /// channel's last delta.
    fn flush(&self, exchange: &mut Exchange, stream: &mut AnswerStream, out: &mut Vec<u8>) {
        let mut redactor = self.redactor(&exchange.tenant, true);
        redactor.restored = exchange.restorer.as_deref();
        let mut findings = Vec::new();
        for (channel, ch) in stream.channels.iter_mut() {
            let mut held = ch.restorer.finish();
            // Only a scanned stream holds text in its scan.
            let found = self.answer_scan(&mut stream.found, exchange);
            if let (true, Some(found)) = (ch.scan.is_holding(), found) {
                let mut redact =
                    |t: &str, from: usize| redactor.redact_tail(t, from, found, &mut findings);
                // The restorer's held text is a placeholder's start, no value.
                let mut scanned = ch.scan.finish(&mut redact);
                scanned.push_str(&held);
                held = scanned;
            }
            if held.is_empty() {
                continue;
            }
            let Some((name, mut doc)) = ch.template.clone() else {
                continue;
            };
            for (c, text) in delta_slots(&mut doc) {
                *text = if c == *channel {
                    held.clone()
                } else {
                    String::new()
                };
            }
            write_event(out, name.as_deref(), &doc);
        }
        if let Some(found) = stream.found.as_mut() {
            settle_counts(exchange, found);
        }
    }

    /// Restores pseudonyms in every string of a complete answer (or non-delta
    /// event) and, if the policy says so, scans it.
    /// `found` is the answer's scan state; `None` when answers are not
    /// scanned.
    fn restore_and_scan(
        &self,
        exchange: &mut Exchange,
        doc: &mut Json,
        found: Option<&mut RequestRedaction>,
    ) -> bool {
        let mut changed = false;
        if let Some(table) = exchange.restorer.clone() {
            changed |= restore_leaves(&table, doc);
        }
        if let Some(found) = found {
            changed |= self.scan_answer(exchange, doc, found);
        }
        changed
    }

    /// A stream's scan state (made at its first use, numbered on after the
    /// request's findings); `None` when answers are not scanned.
    fn answer_scan<'s>(
        &self,
        found: &'s mut Option<RequestRedaction>,
        exchange: &Exchange,
    ) -> Option<&'s mut RequestRedaction> {
        self.policy.redact.scan_responses.then(|| {
            found.get_or_insert_with(|| RequestRedaction::numbered_after(&exchange.categories))
        })
    }

    /// Scans an answer after its pseudonyms were put back: the values they
    /// put back are the client's own and stay; anything else found is the
    /// provider's and is redacted.
    fn scan_answer(
        &self,
        exchange: &mut Exchange,
        doc: &mut Json,
        found: &mut RequestRedaction,
    ) -> bool {
        let mut redactor = self.redactor(&exchange.tenant, true);
        redactor.restored = exchange.restorer.as_deref();
        found.changed = false;
        redactor.redact_leaves(doc, found);
        settle_counts(exchange, found);
        found.changed
    }
}

/// Adds the findings `found` counted since the last call to the exchange's
/// answer categories, and bounds what it remembers.
fn settle_counts(exchange: &mut Exchange, found: &mut RequestRedaction) {
    for (category, n) in std::mem::take(&mut found.counts) {
        *exchange.answer_categories.entry(category).or_default() += n;
    }
    if found.remembered() > MAX_REMEMBERED {
        found.forget_values();
    }
}

fn restore_leaves(table: &Restorer, doc: &mut Json) -> bool {
    let mut slots = Vec::new();
    walk::leaves(doc, false, &mut slots);
    let mut changed = false;
    for slot in slots {
        let (walk::Slot::Text(text) | walk::Slot::EmbeddedJson(text)) = slot else {
            continue;
        };
        if let Some(new) = table.restore(text) {
            *text = new;
            changed = true;
        }
    }
    changed
}

/// The streamed text pieces of a delta event, each with its channel:
/// OpenAI chat `choices[i].delta.content` and tool-call arguments, completions
/// `choices[i].text`, Responses `*.delta` events, Anthropic
/// `content_block_delta` text and partial JSON.
fn delta_slots(doc: &mut Json) -> Vec<(String, &mut String)> {
    let mut out = Vec::new();
    let kind = doc
        .get("type")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    if kind == "content_block_delta" {
        let index = doc.get("index").and_then(Json::as_u64).unwrap_or(0);
        if let Some(delta) = doc.get_mut("delta") {
            let key = if matches!(delta.get("text"), Some(Json::String(_))) {
                "text"
            } else {
                "partial_json"
            };
            if let Some(Json::String(s)) = delta.get_mut(key) {
                out.push((format!("b{index}"), s));
            }
        }
        return out;
    }
    if kind.starts_with("response.") && kind.ends_with(".delta") {
        let item = doc.get("output_index").and_then(Json::as_u64).unwrap_or(0);
        let part = doc.get("content_index").and_then(Json::as_u64).unwrap_or(0);
        if let Some(Json::String(s)) = doc.get_mut("delta") {
            out.push((format!("o{item}:{part}"), s));
        }
        return out;
    }
    if let Some(Json::Array(choices)) = doc.get_mut("choices") {
        for choice in choices.iter_mut() {
            let index = choice.get("index").and_then(Json::as_u64).unwrap_or(0);
            let finished = choice
                .get("finish_reason")
                .is_some_and(|f| *f != Json::Null);
            if finished {
                continue;
            }
            let Json::Object(fields) = choice else {
                continue;
            };
            for (key, value) in fields.iter_mut() {
                match (key.as_str(), value) {
                    ("text", Json::String(s)) => out.push((format!("c{index}"), s)),
                    ("delta", delta) => delta_texts(index, delta, &mut out),
                    _ => {}
                }
            }
        }
    }
    out
}

fn delta_texts<'a>(index: u64, delta: &'a mut Json, out: &mut Vec<(String, &'a mut String)>) {
    let Json::Object(fields) = delta else { return };
    for (key, value) in fields.iter_mut() {
        match (key.as_str(), value) {
            ("content", Json::String(s)) => out.push((format!("c{index}"), s)),
            ("tool_calls", Json::Array(calls)) => {
                for call in calls.iter_mut() {
                    let t = call.get("index").and_then(Json::as_u64).unwrap_or(0);
                    if let Some(Json::String(s)) = call
                        .get_mut("function")
                        .and_then(|f| f.get_mut("arguments"))
                    {
                        out.push((format!("c{index}t{t}"), s));
                    }
                }
            }
            _ => {}
        }
    }
}

fn write_event(out: &mut Vec<u8>, name: Option<&str>, doc: &Json) {
    if let Some(name) = name {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(&doc.to_bytes());
    out.extend_from_slice(b"\n\n");
}

fn event_name(event: &SseEvent) -> Option<String> {
    (!event.event.is_empty()).then(|| event.event.clone())
}
