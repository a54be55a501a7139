//! One HTTP stream: holds the headers, buffers the body to its end, asks the core
//! for a verdict and applies it.

use super::host;
use crate::engine::{
    Ctx, Engine, Exchange, Forward, HeadStep, HeaderEdit, LocalReply, RequestHead, Verdict,
};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, BufferType, LogLevel, MapType};
use std::rc::Rc;

pub struct Stream {
    engine: Option<Rc<Engine>>,
    head: RequestHead,
    exchange: Option<Exchange>,
    /// A local reply was sent: ignore anything more of the request.
    answered: bool,
}

impl Stream {
    pub fn new(engine: Option<Rc<Engine>>) -> Stream {
        Stream {
            engine,
            head: RequestHead::default(),
            exchange: None,
            answered: false,
        }
    }

    fn ctx() -> Ctx {
        Ctx {
            now_ms: host::now_ms(),
            random: host::random_u64(),
        }
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

    /// Applies a forward verdict to the held request. Any failed edit fails closed:
    /// a request whose redaction or tags could not be applied must not leave.
    fn forward(&mut self, forward: &Forward, body_size: Option<usize>) -> Action {
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
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let Some(engine) = self.engine.clone() else {
            return self.fail_closed("no policy is loaded");
        };
        let headers = host::headers(MapType::HttpRequestHeaders);
        let pseudo = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        self.head = RequestHead::new(&pseudo(":method"), &pseudo(":path"), headers.clone());
        match engine.on_request_head(&self.head, !end_of_stream, Self::ctx()) {
            HeadStep::Respond(reply) => self.respond(&reply),
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

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
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
        let verdict = engine.on_request_body(&self.head, &mut exchange, &body, Self::ctx());
        self.exchange = Some(exchange);
        match verdict {
            Verdict::Respond(reply) => self.respond(&reply),
            Verdict::Forward(forward) => self.forward(&forward, Some(body_size)),
        }
    }
}
