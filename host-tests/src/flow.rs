//! How data moves through a stream, as Envoy's filter manager moves it past
//! the wasm filter: callbacks, pause and resume, buffering and its limit,
//! local replies, resets, and the failure policy after a trap.
//!
//! One deliberate ordering: after a callback, local replies and resets the
//! module asked for are applied first (they end the stream, so Envoy never
//! forwards what the callback returned), then the callback's own result,
//! then `proxy_continue_stream` requests.

use crate::abi::Action;
use crate::headers::HeaderMap;
use crate::plugin::FailurePolicy;
use crate::records::{LocalReply, Upstream};
use crate::stream::{Direction, HttpStream, Source};
use crate::worker::{Trap, WorkerCore};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Request,
    Response,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Headers,
    Body,
    Trailers,
}

/// A response made up locally, by the filter or by Envoy.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) details: String,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) by_filter: bool,
}

/// Whether the filter takes part in a stream.
enum Filter {
    Active,
    /// Not in the chain (fail-open, or after Envoy's own failure reply).
    Bypassed,
    /// The VM is dead and the policy closes streams.
    Failed,
}

fn callback(side: Side, kind: Kind) -> &'static str {
    match (side, kind) {
        (Side::Request, Kind::Headers) => "proxy_on_request_headers",
        (Side::Request, Kind::Body) => "proxy_on_request_body",
        (Side::Request, Kind::Trailers) => "proxy_on_request_trailers",
        (Side::Response, Kind::Headers) => "proxy_on_response_headers",
        (Side::Response, Kind::Body) => "proxy_on_response_body",
        (Side::Response, Kind::Trailers) => "proxy_on_response_trailers",
    }
}

impl HttpStream {
    fn dir(&mut self, side: Side) -> &mut Direction {
        match side {
            Side::Request => &mut self.req,
            Side::Response => &mut self.resp,
        }
    }

    /// The stream no longer moves in this direction.
    fn ended(&self, side: Side) -> bool {
        match side {
            Side::Request => self.local_reply_sent || self.client.reset || self.finished,
            Side::Response => self.client_done() || self.finished,
        }
    }
}

impl WorkerCore {
    pub(crate) fn stream(&mut self, ctx: u32) -> Option<&mut HttpStream> {
        self.vm.state_mut().streams.get_mut(&ctx)
    }

    fn dir(&mut self, ctx: u32, side: Side) -> Option<&mut Direction> {
        self.stream(ctx).map(|s| s.dir(side))
    }

    pub(crate) fn new_stream(&mut self) -> u32 {
        let st = self.vm.state_mut();
        let ctx = st.next_context_id;
        st.next_context_id += 1;
        st.streams.insert(ctx, HttpStream::new(ctx));
        ctx
    }

    fn filter(&mut self, ctx: u32) -> Filter {
        let (failed, generation, policy) = (self.failed, self.generation, self.policy());
        let bound = self.stream_generation.get(&ctx).copied();
        let Some(s) = self.stream(ctx) else {
            return Filter::Bypassed;
        };
        if s.bypass || !s.created || s.failure_reply_sent {
            return Filter::Bypassed;
        }
        if failed || bound != Some(generation) {
            return if policy == FailurePolicy::FailOpen {
                Filter::Bypassed
            } else {
                Filter::Failed
            };
        }
        Filter::Active
    }

    // ---- the request direction -------------------------------------------

    /// Envoy creates the filter's context when headers arrive; a dead VM is
    /// reloaded (FailReload), bypassed (FailOpen) or fails the stream.
    pub(crate) fn request_headers(&mut self, ctx: u32, headers: HeaderMap, end_of_stream: bool) {
        let Some(s) = self.stream(ctx) else { return };
        if s.req.headers_received || s.finished {
            return;
        }
        s.req.headers = headers;
        s.req.headers_received = true;
        s.req.end_received = end_of_stream;
        if self.failed && self.policy() == FailurePolicy::FailReload {
            if let Err(e) = self.reload() {
                let message = format!("reloading the VM failed: {e}");
                self.vm.state_mut().log(
                    crate::abi::LogLevel::Critical,
                    crate::host::LogSource::Proxy,
                    message,
                );
            }
        }
        if self.failed {
            if self.policy() == FailurePolicy::FailOpen {
                if let Some(s) = self.stream(ctx) {
                    s.bypass = true;
                }
                self.release(ctx, Side::Request);
            } else {
                self.fail_stream(ctx, Side::Request);
            }
            return;
        }
        let (generation, root) = (self.generation, self.root_id());
        self.stream_generation.insert(ctx, generation);
        if let Some(s) = self.stream(ctx) {
            s.created = true;
        }
        if let Err(trap) = self.invoke("proxy_on_context_create", ctx, &[ctx as i32, root as i32]) {
            self.stream_trapped(ctx, trap);
            return;
        }
        self.headers(ctx, Side::Request, None, end_of_stream);
    }

    pub(crate) fn request_body(&mut self, ctx: u32, chunk: &[u8], end_of_stream: bool) {
        self.body(ctx, Side::Request, chunk, end_of_stream);
    }

    pub(crate) fn request_trailers(&mut self, ctx: u32, trailers: HeaderMap) {
        self.trailers(ctx, Side::Request, trailers);
    }

    // ---- the response direction ------------------------------------------

    /// The upstream's answer; ignored unless the request crossed and the
    /// client is still waiting.
    pub(crate) fn response_headers(&mut self, ctx: u32, headers: HeaderMap, end_of_stream: bool) {
        let Some(s) = self.stream(ctx) else { return };
        if s.upstream.is_none()
            || s.source.is_some()
            || s.ended(Side::Response)
            || s.local_reply_sent
        {
            return;
        }
        s.source = Some(Source::Upstream);
        self.headers(ctx, Side::Response, Some(headers), end_of_stream);
    }

    pub(crate) fn response_body(&mut self, ctx: u32, chunk: &[u8], end_of_stream: bool) {
        if self
            .stream(ctx)
            .is_some_and(|s| s.source == Some(Source::Upstream))
        {
            self.body(ctx, Side::Response, chunk, end_of_stream);
        }
    }

    pub(crate) fn response_trailers(&mut self, ctx: u32, trailers: HeaderMap) {
        if self
            .stream(ctx)
            .is_some_and(|s| s.source == Some(Source::Upstream))
        {
            self.trailers(ctx, Side::Response, trailers);
        }
    }

    // ---- both directions -------------------------------------------------

    /// Headers reach the filter (request headers are already stored).
    fn headers(&mut self, ctx: u32, side: Side, headers: Option<HeaderMap>, end_of_stream: bool) {
        let Some(dir) = self.dir(ctx, side) else {
            return;
        };
        if let Some(headers) = headers {
            if dir.headers_received {
                return;
            }
            dir.headers = headers;
            dir.headers_received = true;
            dir.end_received = end_of_stream;
        }
        match self.filter(ctx) {
            Filter::Bypassed => return self.release(ctx, side),
            Filter::Failed => return self.fail_stream(ctx, side),
            Filter::Active => {}
        }
        let Some(dir) = self.dir(ctx, side) else {
            return;
        };
        dir.headers_visible = true;
        let count = dir.headers.len() as i32;
        let result = self.invoke(
            callback(side, Kind::Headers),
            ctx,
            &[ctx as i32, count, end_of_stream as i32],
        );
        self.after_callback(ctx, side, Kind::Headers, result);
    }

    fn body(&mut self, ctx: u32, side: Side, chunk: &[u8], end_of_stream: bool) {
        let limit = self.plugin.buffer_limit;
        let Some(s) = self.stream(ctx) else { return };
        let ended = s.ended(side);
        let dir = s.dir(side);
        if ended || !dir.headers_received || dir.end_received {
            return;
        }
        match self.filter(ctx) {
            Filter::Active => {}
            Filter::Bypassed => {
                if let Some(dir) = self.dir(ctx, side) {
                    dir.body.extend_from_slice(chunk);
                    dir.end_received = end_of_stream;
                }
                return self.release(ctx, side);
            }
            Filter::Failed => {
                if let Some(dir) = self.dir(ctx, side) {
                    dir.end_received = end_of_stream;
                }
                return self.fail_stream(ctx, side);
            }
        }
        let Some(dir) = self.dir(ctx, side) else {
            return;
        };
        dir.end_received = end_of_stream;
        if dir.stop_all {
            dir.undelivered.extend_from_slice(chunk);
            return;
        }
        dir.body.extend_from_slice(chunk);
        if dir.buffering && dir.body.len() > limit {
            return self.too_large(ctx, side);
        }
        dir.in_body_callback = true;
        let size = dir.body.len() as i32;
        let result = self.invoke(
            callback(side, Kind::Body),
            ctx,
            &[ctx as i32, size, end_of_stream as i32],
        );
        if let Some(dir) = self.dir(ctx, side) {
            dir.in_body_callback = false;
        }
        self.after_callback(ctx, side, Kind::Body, result);
    }

    fn trailers(&mut self, ctx: u32, side: Side, trailers: HeaderMap) {
        let Some(s) = self.stream(ctx) else { return };
        let ended = s.ended(side);
        let dir = s.dir(side);
        if ended || !dir.headers_received || dir.end_received {
            return;
        }
        let count = trailers.len() as i32;
        dir.trailers = Some(trailers);
        dir.trailers_visible = true;
        dir.end_received = true;
        match self.filter(ctx) {
            Filter::Bypassed => return self.release(ctx, side),
            Filter::Failed => return self.fail_stream(ctx, side),
            Filter::Active => {}
        }
        if self.dir(ctx, side).is_some_and(|d| d.stop_all) {
            return;
        }
        let result = self.invoke(callback(side, Kind::Trailers), ctx, &[ctx as i32, count]);
        self.after_callback(ctx, side, Kind::Trailers, result);
    }

    fn after_callback(
        &mut self,
        ctx: u32,
        side: Side,
        kind: Kind,
        result: Result<Option<i32>, Trap>,
    ) {
        let deferred = self.take_deferred();
        let action = match result {
            Ok(returned) => returned.map_or(Action::Continue, Action::from_code),
            Err(trap) => return self.stream_trapped(ctx, trap),
        };
        self.run_endings(&deferred);
        if self.stream(ctx).is_none_or(|s| s.ended(side)) {
            return;
        }
        let allow_stop = self.plugin.allow_on_headers_stop_iteration;
        let limit = self.plugin.buffer_limit;
        let Some(dir) = self.dir(ctx, side) else {
            return;
        };
        match (kind, action) {
            (Kind::Headers, Action::Continue) => {
                dir.headers_visible = false;
                self.release(ctx, side);
            }
            // StopAllIterationAndBuffer / AndWatermark hold the body back
            // whatever Envoy's option says.
            (Kind::Headers, Action::Other(3 | 4)) => dir.stop_all = true,
            (Kind::Headers, _) => dir.stop_all = !allow_stop,
            (Kind::Body, Action::Continue) => self.release(ctx, side),
            (Kind::Body, _) => {
                dir.buffering = true;
                if dir.body.len() > limit {
                    return self.too_large(ctx, side);
                }
            }
            (Kind::Trailers, Action::Continue) => {
                dir.trailers_visible = false;
                self.release(ctx, side);
            }
            (Kind::Trailers, _) => {}
        }
        self.run_continues(&deferred);
    }

    /// `proxy_continue_stream`: what the filter held goes on. After a
    /// stopped-all header callback, the body Envoy held is shown to the
    /// filter first.
    pub(crate) fn resume(&mut self, ctx: u32, response: bool) {
        let side = if response {
            Side::Response
        } else {
            Side::Request
        };
        let Some(s) = self.stream(ctx) else { return };
        if s.ended(side) || !s.dir(side).headers_received {
            return;
        }
        let dir = s.dir(side);
        if !dir.stop_all {
            return self.release(ctx, side);
        }
        dir.stop_all = false;
        let pending = std::mem::take(&mut dir.undelivered);
        let trailers = if dir.trailers_visible {
            dir.trailers.take()
        } else {
            None
        };
        let end = dir.end_received && trailers.is_none();
        dir.end_received = false;
        self.send_headers(ctx, side);
        if !pending.is_empty() || end {
            self.body(ctx, side, &pending, end);
        }
        if let Some(trailers) = trailers {
            self.trailers(ctx, side, trailers);
        }
    }

    /// Passes on everything held in one direction: headers, the held body
    /// as one chunk, trailers and the end of the stream.
    fn release(&mut self, ctx: u32, side: Side) {
        let Some(dir) = self.dir(ctx, side) else {
            return;
        };
        if !dir.headers_received {
            return;
        }
        dir.stop_all = false;
        dir.buffering = false;
        let mut body = std::mem::take(&mut dir.body);
        body.append(&mut dir.undelivered);
        let end = dir.end_received && !dir.end_sent;
        let trailers = if end { dir.trailers.clone() } else { None };
        if end {
            dir.end_sent = true;
        }
        self.send_headers(ctx, side);
        let Some(s) = self.stream(ctx) else { return };
        match side {
            Side::Request => {
                let Some(up) = s.upstream.as_mut() else {
                    return;
                };
                if !body.is_empty() {
                    up.body.extend_from_slice(&body);
                    up.chunks.push(body);
                }
                if end {
                    up.trailers = trailers;
                    up.complete = true;
                }
            }
            Side::Response => {
                if !body.is_empty() {
                    s.client.body.extend_from_slice(&body);
                    s.client.chunks.push(body);
                }
                if end {
                    s.client.trailers = trailers;
                    s.client.complete = true;
                }
            }
        }
    }

    fn send_headers(&mut self, ctx: u32, side: Side) {
        let Some(s) = self.stream(ctx) else { return };
        let dir = s.dir(side);
        if dir.headers_sent || !dir.headers_received {
            return;
        }
        dir.headers_sent = true;
        let headers = dir.headers.clone();
        match side {
            Side::Request => {
                s.upstream = Some(Upstream {
                    headers,
                    ..Upstream::default()
                })
            }
            Side::Response => {
                s.client.status = headers.get(":status").and_then(|v| v.parse().ok());
                s.client.headers = headers;
            }
        }
    }

    // ---- endings ---------------------------------------------------------

    /// Envoy's 413 (request) or 500 (response) when a buffered body passes
    /// the buffer limit.
    fn too_large(&mut self, ctx: u32, side: Side) {
        let (status, details, text) = match side {
            Side::Request => (413, "request_payload_too_large", "Payload Too Large"),
            Side::Response => (500, "response_payload_too_large", "Internal Server Error"),
        };
        let reply = Reply {
            status,
            details: details.into(),
            body: text.as_bytes().to_vec(),
            headers: Vec::new(),
            by_filter: false,
        };
        self.local_reply(ctx, reply);
    }

    /// Envoy's `failStream`: a 503 the filter never sees.
    fn fail_stream(&mut self, ctx: u32, _side: Side) {
        let Some(s) = self.stream(ctx) else { return };
        if s.failure_reply_sent {
            return;
        }
        s.failure_reply_sent = true;
        let reply = Reply {
            status: 503,
            details: "wasm_fail_stream".into(),
            body: Vec::new(),
            headers: Vec::new(),
            by_filter: false,
        };
        self.local_reply(ctx, reply);
    }

    /// A callback for this stream trapped: apply the failure policy.
    pub(crate) fn stream_trapped(&mut self, ctx: u32, trap: Trap) {
        let policy = self.policy();
        let Some(s) = self.stream(ctx) else { return };
        s.trap.get_or_insert(trap);
        let side = if s.source.is_some() {
            Side::Response
        } else {
            Side::Request
        };
        if policy == FailurePolicy::FailOpen {
            s.bypass = true;
            self.release(ctx, side);
        } else {
            self.fail_stream(ctx, side);
        }
    }

    /// A local reply. Before the upstream answered it goes through the
    /// filter's response callbacks like any response; after, it goes straight
    /// to the client; once the client has response headers, the stream resets.
    pub(crate) fn local_reply(&mut self, ctx: u32, reply: Reply) {
        let Some(s) = self.stream(ctx) else { return };
        if s.client_done() || s.finished {
            return;
        }
        if s.resp.headers_sent || s.source == Some(Source::LocalReply) {
            if !reply.by_filter || s.resp.headers_sent {
                self.reset(ctx, &reply.details);
            }
            return;
        }
        let mut headers = HeaderMap::new();
        headers.add(":status", &reply.status.to_string());
        for (k, v) in &reply.headers {
            headers.add(k, v);
        }
        if !reply.body.is_empty() {
            headers.set("content-length", &reply.body.len().to_string());
            if !headers.contains("content-type") {
                headers.add("content-type", "text/plain");
            }
        }
        s.local_reply_sent = true;
        s.client.local_reply = Some(LocalReply {
            status: reply.status,
            details: reply.details.clone(),
            by_filter: reply.by_filter,
        });
        if let Some(up) = s.upstream.as_mut() {
            up.reset = !up.complete;
        }
        s.req.body.clear();
        s.req.undelivered.clear();
        s.req.buffering = false;
        s.req.stop_all = false;
        let direct = s.resp.headers_received;
        s.source = Some(Source::LocalReply);
        s.resp = Direction::default();
        if direct {
            s.resp.headers = headers;
            s.resp.headers_received = true;
            s.resp.body = reply.body;
            s.resp.end_received = true;
            self.release(ctx, Side::Response);
        } else {
            self.headers(ctx, Side::Response, Some(headers), reply.body.is_empty());
            if !reply.body.is_empty() {
                self.body(ctx, Side::Response, &reply.body, true);
            }
        }
    }

    /// The stream is reset (`proxy_close_stream`, or a reply too late).
    pub(crate) fn reset(&mut self, ctx: u32, _details: &str) {
        let Some(s) = self.stream(ctx) else { return };
        if s.client_done() {
            return;
        }
        s.client.reset = true;
        if let Some(up) = s.upstream.as_mut() {
            up.reset = !up.complete;
        }
        s.req = Direction {
            headers: s.req.headers.clone(),
            ..Direction::default()
        };
    }

    /// The client went away: the upstream request is cut, the stream ends.
    pub(crate) fn disconnect(&mut self, ctx: u32) {
        let Some(s) = self.stream(ctx) else { return };
        if s.finished {
            return;
        }
        if !s.client.complete {
            s.client.reset = true;
        }
        if let Some(up) = s.upstream.as_mut() {
            up.reset = !up.complete || !s.client.complete;
        }
        self.finish(ctx);
    }

    /// The end of a stream: `on_log` (with the access-log view of the maps),
    /// then `on_done` and `on_delete`. Skipped when the filter is out of the
    /// chain or its VM is dead.
    pub(crate) fn finish(&mut self, ctx: u32) {
        let active = matches!(self.filter(ctx), Filter::Active);
        let Some(s) = self.stream(ctx) else { return };
        if s.finished {
            return;
        }
        s.finished = true;
        if !active {
            return;
        }
        s.access_log_phase = true;
        let logged = self.invoke("proxy_on_log", ctx, &[ctx as i32]);
        if let Some(s) = self.stream(ctx) {
            s.access_log_phase = false;
        }
        if logged.is_ok() && self.invoke("proxy_on_done", ctx, &[ctx as i32]).is_ok() {
            let _ = self.invoke("proxy_on_delete", ctx, &[ctx as i32]);
        }
        self.take_deferred();
    }

    /// Finishes every stream whose client has its answer (after events not
    /// tied to one stream: call-out answers, ticks, queue notifications).
    pub(crate) fn finish_done_streams(&mut self) {
        let ctxs: Vec<u32> = self.vm.state().streams.keys().copied().collect();
        for ctx in ctxs {
            self.finish_if_done(ctx);
        }
    }

    /// Finishes the stream once the client has its whole answer (or a reset).
    pub(crate) fn finish_if_done(&mut self, ctx: u32) {
        if self
            .stream(ctx)
            .is_some_and(|s| s.client_done() && !s.finished)
        {
            self.finish(ctx);
        }
    }
}
