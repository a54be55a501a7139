//! The handles tests hold: a `Worker` (one VM instance) and the `Stream`s
//! they drive through it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use wasmtime::Val;

use crate::headers::HeaderMap;
use crate::host::{lock, Host};
use crate::plugin::{LoadError, Plugin};
use crate::records::{Callout, CalloutReply, Client, Response, Upstream};
use crate::worker::{Step, Trap, WorkerCore};

/// One VM instance of a plugin, as one Envoy worker thread runs it.
#[derive(Clone)]
pub struct Worker {
    core: Arc<Mutex<WorkerCore>>,
    host: Host,
}

impl Worker {
    pub(crate) fn start(host: &Host, plugin: &Arc<Plugin>) -> Result<Worker, LoadError> {
        let core = WorkerCore::start(host, plugin)?;
        host.deliver_queue_notifications();
        Ok(Worker {
            core,
            host: host.clone(),
        })
    }

    fn core(&self) -> MutexGuard<'_, WorkerCore> {
        lock(&self.core)
    }

    /// Runs `f` on the core (its step starts empty), then delivers the
    /// queue notifications it caused, once the core is unlocked.
    fn with<R>(&self, f: impl FnOnce(&mut WorkerCore) -> R) -> R {
        let result = {
            let mut core = self.core();
            core.calls.clear();
            f(&mut core)
        };
        self.host.deliver_queue_notifications();
        result
    }

    /// A new HTTP stream on this worker (its context is created when the
    /// request headers arrive, as in Envoy).
    pub fn stream(&self) -> Stream {
        let ctx = self.core().new_stream();
        Stream {
            worker: self.clone(),
            ctx,
        }
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    /// 0 for the first worker started in the host, then 1, 2, ...
    pub fn index(&self) -> usize {
        self.core().index
    }

    pub fn root_context_id(&self) -> u32 {
        self.core().root_id()
    }

    /// A trap killed the current VM (FailReload replaces it on the next stream).
    pub fn is_failed(&self) -> bool {
        self.core().failed
    }

    /// The fuel (wasm instructions, as wasmtime counts them) this worker's
    /// callbacks have burnt since it started: a count of work that is the
    /// same on every run and every machine, for tests of how cost grows.
    pub fn fuel_burnt(&self) -> u64 {
        self.core().fuel_burnt
    }

    /// Every trap on this worker, oldest first.
    pub fn traps(&self) -> Vec<Trap> {
        self.core().traps.clone()
    }

    /// Call-outs waiting for an answer, oldest first.
    pub fn callouts(&self) -> Vec<Callout> {
        self.core().vm.state().callouts.values().cloned().collect()
    }

    /// Answers a call-out: `proxy_on_http_call_response` runs on the root
    /// context, and whatever the module does next follows.
    pub fn answer_callout(&self, token: u32, reply: CalloutReply) -> Step {
        self.with(|core| {
            core.answer_callout(token, reply);
            core.finish_done_streams();
            core.take_step()
        })
    }

    /// The tick period the module set (None: no ticks).
    pub fn tick_period(&self) -> Option<Duration> {
        let period = self.core().vm.state().tick_period_ms;
        (period > 0).then(|| Duration::from_millis(u64::from(period)))
    }

    /// Calls any export of the module as the root context (for tests of
    /// single host functions), then runs what it deferred.
    pub fn call(&self, export: &str, args: &[Val]) -> Result<Vec<Val>, Trap> {
        self.with(|core| {
            let root = core.root_id();
            let result = core.call_export(export, root, args);
            core.finish_done_streams();
            result
        })
    }

    /// Bytes of the module's memory, if in bounds.
    pub fn read_memory(&self, ptr: u32, len: usize) -> Option<Vec<u8>> {
        let core = self.core();
        let memory = core.vm.state().memory?;
        let start = ptr as usize;
        memory
            .data(&core.vm.store)
            .get(start..start.checked_add(len)?)
            .map(<[u8]>::to_vec)
    }

    /// Writes into the module's memory; false if out of bounds.
    pub fn write_memory(&self, ptr: u32, bytes: &[u8]) -> bool {
        let mut core = self.core();
        let Some(memory) = core.vm.state().memory else {
            return false;
        };
        memory
            .write(&mut core.vm.store, ptr as usize, bytes)
            .is_ok()
    }
}

/// One HTTP stream through a worker. Each driving method returns the
/// callbacks it caused; the stream finishes by itself (on_log, on_done,
/// on_delete) once the client has the whole answer.
pub struct Stream {
    worker: Worker,
    ctx: u32,
}

fn header_map(headers: &[(&str, &str)]) -> HeaderMap {
    HeaderMap::from_pairs(headers)
}

impl Stream {
    fn drive(&mut self, f: impl FnOnce(&mut WorkerCore, u32)) -> Step {
        let ctx = self.ctx;
        self.worker.with(|core| {
            f(core, ctx);
            core.finish_if_done(ctx);
            core.take_step()
        })
    }

    fn read<R>(&self, f: impl FnOnce(&crate::stream::HttpStream) -> R) -> Option<R> {
        let core = self.worker.core();
        core.vm.state().streams.get(&self.ctx).map(f)
    }

    pub fn context_id(&self) -> u32 {
        self.ctx
    }

    pub fn worker(&self) -> &Worker {
        &self.worker
    }

    /// The client sends request headers. Unless turned off in the host, the
    /// connection manager's additions are made first (`:scheme`,
    /// `:authority`, `x-forwarded-proto`, `x-request-id`).
    pub fn request_headers(&mut self, headers: &[(&str, &str)], end_of_stream: bool) -> Step {
        let mut map = header_map(headers);
        {
            let mut state = self.worker.host.state();
            if state.connection_manager_headers {
                for (name, value) in [
                    (":scheme", "http"),
                    (":authority", "localhost"),
                    ("x-forwarded-proto", "http"),
                ] {
                    if !map.contains(name) {
                        map.add(name, value);
                    }
                }
                if !map.contains("x-request-id") {
                    let id = state.request_id();
                    map.add("x-request-id", &id);
                }
            }
        }
        self.drive(|core, ctx| core.request_headers(ctx, map, end_of_stream))
    }

    pub fn request_body(&mut self, chunk: &[u8], end_of_stream: bool) -> Step {
        self.drive(|core, ctx| core.request_body(ctx, chunk, end_of_stream))
    }

    /// Sends `body` cut into `parts` nearly equal chunks, the last one ending
    /// the stream.
    pub fn request_body_chunks(&mut self, body: &[u8], parts: usize) -> Step {
        let mut step = Step::default();
        for (i, chunk) in split(body, parts).iter().enumerate() {
            let last = i + 1 == parts.max(1);
            step.calls.extend(self.request_body(chunk, last).calls);
        }
        step
    }

    pub fn request_trailers(&mut self, trailers: &[(&str, &str)]) -> Step {
        let map = header_map(trailers);
        self.drive(|core, ctx| core.request_trailers(ctx, map))
    }

    /// Headers, then the body in `parts` chunks (headers alone end the
    /// stream when the body is empty).
    pub fn send_request(&mut self, headers: &[(&str, &str)], body: &[u8], parts: usize) -> Step {
        let mut step = self.request_headers(headers, body.is_empty());
        if !body.is_empty() {
            step.calls
                .extend(self.request_body_chunks(body, parts).calls);
        }
        step
    }

    /// The upstream's response headers (ignored unless the request crossed).
    pub fn response_headers(&mut self, headers: &[(&str, &str)], end_of_stream: bool) -> Step {
        let map = header_map(headers);
        self.drive(|core, ctx| core.response_headers(ctx, map, end_of_stream))
    }

    pub fn response_body(&mut self, chunk: &[u8], end_of_stream: bool) -> Step {
        self.drive(|core, ctx| core.response_body(ctx, chunk, end_of_stream))
    }

    pub fn response_trailers(&mut self, trailers: &[(&str, &str)]) -> Step {
        let map = header_map(trailers);
        self.drive(|core, ctx| core.response_trailers(ctx, map))
    }

    /// The upstream answers with `response` (body in one chunk).
    pub fn respond(&mut self, response: &Response) -> Step {
        let chunks: Vec<&[u8]> = if response.body.is_empty() {
            Vec::new()
        } else {
            vec![&response.body]
        };
        self.respond_chunks(response, &chunks)
    }

    /// The upstream answers with `response`'s status and headers, then the
    /// given chunks (its body field is not used), e.g. one SSE event each.
    pub fn respond_chunks(&mut self, response: &Response, chunks: &[&[u8]]) -> Step {
        let headers = response.header_map();
        let trailers =
            (!response.trailers.is_empty()).then(|| HeaderMap::from_pairs(&response.trailers));
        self.drive(|core, ctx| {
            core.response_headers(ctx, headers, chunks.is_empty() && trailers.is_none());
            for (i, chunk) in chunks.iter().enumerate() {
                core.response_body(ctx, chunk, i + 1 == chunks.len() && trailers.is_none());
            }
            if let Some(trailers) = trailers {
                core.response_trailers(ctx, trailers);
            }
        })
    }

    /// What crossed to the upstream, once the request headers did.
    pub fn upstream(&self) -> Option<Upstream> {
        self.read(|s| s.upstream.clone()).flatten()
    }

    /// Whether the whole request crossed to the upstream: what
    /// [`Stream::upstream`] tells, without copying the body (benchmarks time
    /// the filter, not the harness's copies).
    pub fn crossed(&self) -> bool {
        self.read(|s| s.upstream.as_ref().is_some_and(|u| u.complete))
            .unwrap_or(false)
    }

    /// What the client received so far.
    pub fn client(&self) -> Client {
        self.read(|s| s.client.clone()).unwrap_or_default()
    }

    /// The trap that hit this stream's callbacks, if any.
    pub fn trap(&self) -> Option<Trap> {
        self.read(|s| s.trap.clone()).flatten()
    }

    /// A value the module stored with `proxy_set_property`, by the path it
    /// passed (parts joined with NUL, so a one-part path is just its name).
    pub fn filter_state(&self, key: &str) -> Option<Vec<u8>> {
        self.read(|s| s.filter_state.get(key).cloned()).flatten()
    }

    pub fn filter_states(&self) -> BTreeMap<String, Vec<u8>> {
        self.read(|s| s.filter_state.clone()).unwrap_or_default()
    }

    /// Sets a property this stream sees, e.g. `&["source", "address"]` or
    /// `&["connection", "mtls"]` (one byte, 1 for true).
    pub fn set_property(&mut self, path: &[&str], value: &[u8]) {
        let mut core = self.worker.core();
        if let Some(s) = core.stream(self.ctx) {
            s.properties.insert(path.join("\0"), value.to_vec());
        }
    }

    /// Calls any export of the module in this stream's context, as if from a
    /// callback between stream events (e.g. a call-out response), then runs
    /// what it deferred (local replies, continues).
    pub fn call(&mut self, export: &str, args: &[Val]) -> Result<Vec<Val>, Trap> {
        let ctx = self.ctx;
        self.worker.with(|core| {
            let result = core.call_export(export, ctx, args);
            core.finish_if_done(ctx);
            result
        })
    }

    /// Call-outs this stream made that wait for an answer.
    pub fn callouts(&self) -> Vec<Callout> {
        self.worker
            .callouts()
            .into_iter()
            .filter(|c| c.context_id == self.ctx)
            .collect()
    }

    pub fn answer_callout(&mut self, token: u32, reply: CalloutReply) -> Step {
        let step = self.worker.answer_callout(token, reply);
        let more = self.drive(|_, _| {});
        Step {
            calls: step.calls.into_iter().chain(more.calls).collect(),
        }
    }

    /// The client goes away mid-stream.
    pub fn disconnect(&mut self) -> Step {
        self.drive(|core, ctx| core.disconnect(ctx))
    }

    /// Ends the stream now: on_log, on_done, on_delete (a no-op once done).
    pub fn finish(&mut self) -> Step {
        self.drive(|core, ctx| core.finish(ctx))
    }

    pub fn is_finished(&self) -> bool {
        self.read(|s| s.finished).unwrap_or(true)
    }
}

/// Cuts `body` into `parts` chunks of nearly equal size (at least one chunk).
pub fn split(body: &[u8], parts: usize) -> Vec<&[u8]> {
    let parts = parts.max(1);
    let size = body.len().div_ceil(parts).max(1);
    let mut chunks: Vec<&[u8]> = body.chunks(size).collect();
    while chunks.len() < parts {
        chunks.push(&[]);
    }
    chunks
}
