//! One HTTP stream: holds the headers, buffers the body to its end, asks the core
//! for a verdict and applies it.

use super::host;
use super::metrics::Metrics;
use super::store::SharedData;
use crate::engine::{
    AnswerMode, AnswerStream, Ctx, Engine, Exchange, Forward, HeadStep, HeaderEdit, LocalReply,
    RequestHead, Verdict,
};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, BufferType, LogLevel, MapType};
use std::cell::Cell;
use std::rc::Rc;

pub struct Stream {
    engine: Option<Rc<Engine>>,
    metrics: Rc<Metrics>,
    /// Whether the host writes info lines (see `Root`).
    audit_to_log: Rc<Cell<bool>>,
    head: RequestHead,
    exchange: Option<Exchange>,
    /// A local reply was sent: ignore anything more of the request.
    answered: bool,
    answer_mode: AnswerMode,
    answer_stream: AnswerStream,
    /// Time spent inside customs' callbacks for this stream.
    spent_ns: u64,
    /// When the running callback started: its clock, read once per callback.
    now_ns: u64,
    /// The decision last written to filter state, so that the log callback
    /// writes it again only when it changed.
    decision_in_state: Option<&'static str>,
}

impl Stream {
    pub fn new(
        engine: Option<Rc<Engine>>,
        metrics: Rc<Metrics>,
        audit_to_log: Rc<Cell<bool>>,
    ) -> Stream {
        Stream {
            engine,
            metrics,
            audit_to_log,
            head: RequestHead::default(),
            exchange: None,
            answered: false,
            answer_mode: AnswerMode::PassThrough,
            answer_stream: AnswerStream::default(),
            spent_ns: 0,
            now_ns: 0,
            decision_in_state: None,
        }
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            now_ms: self.now_ms(),
            random: host::random_u64(self.now_ns),
        }
    }

    fn now_ms(&self) -> u64 {
        self.now_ns / 1_000_000
    }

    /// Runs one body callback, reading the clock once before and once after
    /// it: the time customs spends on a request is spent here.
    fn timed(&mut self, callback: impl FnOnce(&mut Stream) -> Action) -> Action {
        self.now_ns = host::now_ns();
        let action = callback(self);
        self.spent_ns += host::now_ns().saturating_sub(self.now_ns);
        action
    }

    /// Runs one headers callback, reading the clock once, for "now": they do
    /// little work, so the time spent in them is not measured.
    fn stamped(&mut self, callback: impl FnOnce(&mut Stream) -> Action) -> Action {
        self.now_ns = host::now_ns();
        callback(self)
    }

    /// Sends a local reply; if the host refuses even that, resets the stream, so
    /// that nothing is forwarded either way.
    fn respond(&mut self, reply: &LocalReply) -> Action {
        self.answered = true;
        if !host::send_reply(reply.status, &reply.headers, &reply.body) {
            host::reset_request();
        }
        Action::Pause
    }

    /// A failure inside customs' own handling: fail closed.
    fn fail_closed(&mut self, what: &str) -> Action {
        host::log(
            LogLevel::Error,
            &format!("customs: {what}; refusing the request"),
        );
        let body = br#"{"error":{"message":"customs could not inspect this request","type":"server_error","param":null,"code":"customs_internal_error"}}"#;
        let reply = LocalReply {
            status: 503,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_vec(),
        };
        self.respond(&reply)
    }

    fn edit_headers(map: MapType, edits: &[HeaderEdit]) -> bool {
        edits.iter().all(|edit| match edit {
            HeaderEdit::Set(name, value) => host::set_header(map, name, Some(value)),
            HeaderEdit::Remove(name) => host::set_header(map, name, None),
        })
    }

    /// Applies a forward verdict to the held request. Any failed edit fails closed:
    /// a request whose redaction or tags could not be applied must not leave.
    fn forward(&mut self, forward: &Forward, body_size: Option<usize>) -> Action {
        if let Some(ex) = &self.exchange {
            host::set_state("customs.tenant", &ex.tenant);
            host::set_state("customs.request_id", &ex.request_id);
            host::set_state("customs.decision", ex.decision);
            let mut reserved = itoa::Buffer::new();
            host::set_state(
                "customs.tokens_reserved",
                reserved.format(ex.tokens_reserved),
            );
            self.decision_in_state = Some(ex.decision);
        }
        if let (Some(new_body), Some(size)) = (&forward.body, body_size) {
            if !host::set_body(BufferType::HttpRequestBody, size, new_body) {
                return self.fail_closed("replacing the body failed");
            }
        }
        for edit in &forward.headers {
            let ok = match edit {
                HeaderEdit::Set(name, value) => {
                    host::set_header(MapType::HttpRequestHeaders, name, Some(value))
                }
                HeaderEdit::Remove(name) => {
                    host::set_header(MapType::HttpRequestHeaders, name, None)
                }
            };
            if !ok {
                return self.fail_closed("editing the request headers failed");
            }
        }
        Action::Continue
    }
}

impl Context for Stream {}

impl HttpContext for Stream {
    fn on_http_request_headers(&mut self, num_headers: usize, end_of_stream: bool) -> Action {
        self.stamped(|s| s.request_headers(num_headers, end_of_stream))
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        self.timed(|s| s.request_body(body_size, end_of_stream))
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.answered {
            return Action::Continue;
        }
        self.stamped(Stream::answer_headers)
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if self.answered || matches!(self.answer_mode, AnswerMode::PassThrough) {
            return Action::Continue;
        }
        self.timed(|s| s.answer_body(body_size, end_of_stream))
    }

    fn on_log(&mut self) {
        let (Some(engine), Some(exchange)) = (self.engine.clone(), self.exchange.as_mut()) else {
            return;
        };
        let now_ms = host::now_ms();
        let output = engine.finish(exchange, &self.answer_stream, &SharedData, now_ms);
        let mut record = engine.audit_record(exchange, now_ms);
        record.latency_us = self.spent_ns / 1000;
        let line = record.to_line();
        if self.audit_to_log.get() {
            host::log(LogLevel::Info, &line);
        }
        // Also for Envoy's access log (`%FILTER_STATE(wasm.customs.audit:PLAIN)%`),
        // which writes whatever Envoy's own log level, buffered.
        host::set_state("customs.audit", &line);
        for (name, by) in engine.counters(exchange, output) {
            self.metrics.count(&name, by);
        }
        self.metrics
            .record("customs.filter_time_us", record.latency_us);
        if self.decision_in_state != Some(exchange.decision) {
            host::set_state("customs.decision", exchange.decision);
        }
    }
}

impl Stream {
    fn request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let Some(engine) = self.engine.clone() else {
            return self.fail_closed("no policy is loaded");
        };
        let headers = host::headers(MapType::HttpRequestHeaders);
        #[cfg(feature = "fault-switch")]
        fault_switch(&headers);
        let pseudo = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let (method, path) = (pseudo(":method"), pseudo(":path"));
        self.head = RequestHead::new(&method, &path, headers);
        match engine.on_request_head(&self.head, !end_of_stream, self.ctx()) {
            HeadStep::Respond(exchange, reply) => {
                self.exchange = Some(exchange);
                self.respond(&reply)
            }
            HeadStep::AwaitBody(exchange) => {
                self.exchange = Some(exchange);
                // Hold the headers until the body has been inspected: the host runs
                // with allow_on_headers_stop_iteration, so the body keeps buffering.
                Action::Pause
            }
            HeadStep::Forward(exchange, forward) => {
                self.exchange = Some(exchange);
                self.forward(&forward, None)
            }
        }
    }

    fn request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if self.answered {
            return Action::Pause;
        }
        let (Some(engine), Some(mut exchange)) = (self.engine.clone(), self.exchange.take()) else {
            return self.fail_closed("a body arrived without its headers");
        };
        if exchange.passthrough {
            self.exchange = Some(exchange);
            return Action::Continue;
        }
        if u64::try_from(body_size).unwrap_or(u64::MAX) > engine.max_body_bytes() {
            let reply = engine.body_too_large(&mut exchange);
            self.exchange = Some(exchange);
            return self.respond(&reply);
        }
        if !end_of_stream {
            self.exchange = Some(exchange);
            return Action::Pause;
        }
        let Some(body) = host::body(BufferType::HttpRequestBody, body_size) else {
            self.exchange = Some(exchange);
            return self.fail_closed("reading the body failed");
        };
        let verdict =
            engine.on_request_body(&self.head, &mut exchange, &body, self.ctx(), &SharedData);
        self.exchange = Some(exchange);
        match verdict {
            Verdict::Respond(reply) => self.respond(&reply),
            Verdict::Forward(forward) => self.forward(&forward, Some(body_size)),
        }
    }
}

impl Stream {
    fn answer_headers(&mut self) -> Action {
        let now_ms = self.now_ms();
        let (Some(engine), Some(exchange)) = (self.engine.clone(), self.exchange.as_mut()) else {
            return Action::Continue;
        };
        let headers = host::headers(MapType::HttpResponseHeaders);
        let status = headers
            .iter()
            .find(|(k, _)| k == ":status")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let plan = engine.on_answer_head(exchange, status, &headers, &SharedData, now_ms);
        self.answer_mode = plan.mode;
        // A failed edit of the answer's headers loses a tag, never data: carry on.
        Self::edit_headers(MapType::HttpResponseHeaders, &plan.headers);
        Action::Continue
    }

    fn answer_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        let (Some(engine), Some(exchange)) = (self.engine.clone(), self.exchange.as_mut()) else {
            return Action::Continue;
        };
        match self.answer_mode {
            AnswerMode::PassThrough => Action::Continue,
            AnswerMode::Buffer => {
                if !end_of_stream {
                    return Action::Pause;
                }
                let Some(body) = host::body(BufferType::HttpResponseBody, body_size) else {
                    return Action::Continue;
                };
                if let Some(new) = engine.on_answer_body(exchange, &body) {
                    host::set_body(BufferType::HttpResponseBody, body_size, &new);
                }
                Action::Continue
            }
            AnswerMode::Stream => {
                let Some(chunk) = host::body(BufferType::HttpResponseBody, body_size) else {
                    return Action::Continue;
                };
                let out = engine.on_answer_chunk(
                    exchange,
                    &mut self.answer_stream,
                    &chunk,
                    end_of_stream,
                );
                if out != chunk {
                    host::set_body(BufferType::HttpResponseBody, body_size, &out);
                }
                Action::Continue
            }
        }
    }
}

/// Test builds only (`--features fault-switch`, never in a release): a request
/// with `x-customs-test-trap: 1` panics, so tests can show a trap fails closed.
#[cfg(feature = "fault-switch")]
#[allow(clippy::panic)]
fn fault_switch(headers: &[(String, String)]) {
    if headers
        .iter()
        .any(|(k, v)| k == "x-customs-test-trap" && v == "1")
    {
        panic!("customs: trap requested by x-customs-test-trap");
    }
}
