//! A worker: one VM instance of a plugin, as one Envoy worker thread runs
//! it. Starting, calling callbacks, traps and failure policy, call-outs,
//! ticks and queue notifications.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, Weak};

use crate::abi::{Action, LogLevel};
use crate::headers::HeaderMap;
use crate::host::Host;
use crate::plugin::{FailurePolicy, LoadError, Plugin};
use crate::records::CalloutReply;
use crate::vm::{CallResponse, Deferred, Phase, Vm, VmState};

/// A callback that trapped: a panic (the SDK logs the message at critical
/// level before the `unreachable`), running out of fuel, or any other trap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// The export that trapped, e.g. `proxy_on_request_body`.
    pub callback: String,
    pub context_id: u32,
    /// The panic message if the module logged one, else the trap itself.
    pub message: String,
    /// wasmtime's account of the trap, with the wasm backtrace.
    pub detail: String,
    pub out_of_fuel: bool,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (context {}) trapped: {}",
            self.callback, self.context_id, self.message
        )
    }
}

/// One callback the host made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub callback: String,
    pub context_id: u32,
    /// What it returned (None: the module does not export it, or it trapped).
    pub returned: Option<i32>,
    pub trap: Option<Trap>,
}

/// The callbacks one test action caused, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub calls: Vec<Call>,
}

impl Step {
    /// The first trap, if a callback trapped.
    pub fn trap(&self) -> Option<&Trap> {
        self.calls.iter().find_map(|c| c.trap.as_ref())
    }

    /// What the last header, body or trailer callback asked for.
    pub fn action(&self) -> Option<Action> {
        self.calls
            .iter()
            .rev()
            .find(|c| {
                c.callback.starts_with("proxy_on_request_")
                    || c.callback.starts_with("proxy_on_response_")
            })
            .and_then(|c| c.returned)
            .map(Action::from_code)
    }

    /// The names of the callbacks made, in order.
    pub fn callbacks(&self) -> Vec<&str> {
        self.calls.iter().map(|c| c.callback.as_str()).collect()
    }
}

pub(crate) struct WorkerCore {
    pub(crate) host: Host,
    pub(crate) plugin: Arc<Plugin>,
    pub(crate) index: usize,
    pub(crate) vm: Vm,
    /// A trap killed this VM.
    pub(crate) failed: bool,
    /// Bumped when FailReload starts a fresh VM.
    pub(crate) generation: u32,
    pub(crate) traps: Vec<Trap>,
    /// Calls made since the last `take_step`.
    pub(crate) calls: Vec<Call>,
    /// Which VM generation created each stream's context.
    pub(crate) stream_generation: HashMap<u32, u32>,
    /// Fuel (wasm instructions, as wasmtime counts them) the callbacks have
    /// burnt: a measure of work that, unlike time, is the same on every run.
    pub(crate) fuel_burnt: u64,
}

fn new_state(
    host: &Host,
    plugin: &Arc<Plugin>,
    index: usize,
    worker_ref: Weak<Mutex<WorkerCore>>,
    root_id: u32,
) -> VmState {
    VmState {
        host: host.clone(),
        plugin: plugin.clone(),
        worker: index,
        worker_ref,
        root_id,
        next_context_id: root_id + 1,
        phase: Phase::Starting,
        current: root_id,
        effective: None,
        streams: HashMap::new(),
        deferred: Vec::new(),
        callouts: BTreeMap::new(),
        next_callout_token: 1,
        call_response: None,
        status: (0, String::new()),
        tick_period_ms: 0,
        next_tick: None,
        metric_ids: HashMap::new(),
        next_metric_id: [0, 1, 2],
        callback_logs: Vec::new(),
        partial_lines: [Vec::new(), Vec::new()],
        memory: None,
        alloc: None,
    }
}

impl WorkerCore {
    /// Instantiates and starts a VM; the worker is registered with the host.
    pub(crate) fn start(
        host: &Host,
        plugin: &Arc<Plugin>,
    ) -> Result<Arc<Mutex<WorkerCore>>, LoadError> {
        let index = host.state().take_worker_index();
        let vm = Vm::instantiate(new_state(host, plugin, index, Weak::new(), 1))?;
        let core = Arc::new(Mutex::new(WorkerCore {
            host: host.clone(),
            plugin: plugin.clone(),
            index,
            vm,
            failed: false,
            generation: 0,
            traps: Vec::new(),
            calls: Vec::new(),
            stream_generation: HashMap::new(),
            fuel_burnt: 0,
        }));
        {
            let mut guard = crate::host::lock(&core);
            guard.vm.state_mut().worker_ref = Arc::downgrade(&core);
            guard.start_root()?;
        }
        host.register_worker(&core);
        Ok(core)
    }

    /// FailReload: a fresh instance replaces the dead one; streams already
    /// in flight stay bound to the dead one.
    pub(crate) fn reload(&mut self) -> Result<(), LoadError> {
        let old = self.vm.state();
        let root_id = old.next_context_id;
        let worker_ref = old.worker_ref.clone();
        let mut state = new_state(&self.host, &self.plugin, self.index, worker_ref, root_id);
        state.streams = std::mem::take(&mut self.vm.state_mut().streams);
        self.vm = Vm::instantiate(state)?;
        self.failed = false;
        self.generation += 1;
        self.start_root()
    }

    /// `_initialize` (and `main`) or `_start`, then the root context's
    /// `on_context_create`, `on_vm_start` and `on_configure`.
    fn start_root(&mut self) -> Result<(), LoadError> {
        let root = self.vm.state().root_id;
        let logs_before = self.host.state().logs.len();
        let rejected_logs = |core: &WorkerCore| core.host.state().logs[logs_before..].to_vec();
        let trap = |t: Trap| LoadError::Trap(t);
        if self.vm.has("_initialize") {
            self.invoke("_initialize", root, &[]).map_err(trap)?;
            self.invoke("main", root, &[0, 0]).map_err(trap)?;
        } else {
            self.invoke("_start", root, &[]).map_err(trap)?;
        }
        self.invoke("proxy_on_context_create", root, &[root as i32, 0])
            .map_err(trap)?;
        let vm_config = self.plugin.vm_configuration.len() as i32;
        if self
            .invoke("proxy_on_vm_start", root, &[root as i32, vm_config])
            .map_err(trap)?
            == Some(0)
        {
            self.failed = true;
            return Err(LoadError::VmStartRejected {
                logs: rejected_logs(self),
            });
        }
        let config = self.plugin.configuration.len() as i32;
        if self
            .invoke("proxy_on_configure", root, &[root as i32, config])
            .map_err(trap)?
            == Some(0)
        {
            self.failed = true;
            return Err(LoadError::ConfigurationRejected {
                logs: rejected_logs(self),
            });
        }
        self.vm.state_mut().phase = Phase::Running;
        self.vm.state_mut().deferred.clear();
        Ok(())
    }

    pub(crate) fn root_id(&self) -> u32 {
        self.vm.state().root_id
    }

    /// Calls a module export for context `ctx`, with the plugin's fuel. A
    /// trap kills the VM and is recorded.
    pub(crate) fn invoke(
        &mut self,
        name: &str,
        ctx: u32,
        args: &[i32],
    ) -> Result<Option<i32>, Trap> {
        if !self.vm.has(name) {
            return Ok(None);
        }
        let fuel = self.plugin.fuel_per_callback.unwrap_or(u64::MAX);
        let st = self.vm.state_mut();
        st.current = ctx;
        st.effective = None;
        st.callback_logs.clear();
        let result = match self.vm.store.set_fuel(fuel) {
            Ok(()) => self.vm.call(name, args),
            Err(e) => Err(e),
        };
        self.count_fuel(fuel);
        let st = self.vm.state_mut();
        st.flush_output();
        st.effective = None;
        match result {
            Ok(returned) => {
                self.calls.push(Call {
                    callback: name.to_string(),
                    context_id: ctx,
                    returned,
                    trap: None,
                });
                Ok(returned)
            }
            Err(error) => {
                let trap = self.make_trap(name, ctx, &error);
                self.failed = true;
                self.traps.push(trap.clone());
                let message = format!("wasm trap in {name}: {}", trap.message);
                self.vm
                    .state_mut()
                    .log(LogLevel::Critical, crate::host::LogSource::Proxy, message);
                self.calls.push(Call {
                    callback: name.to_string(),
                    context_id: ctx,
                    returned: None,
                    trap: Some(trap.clone()),
                });
                Err(trap)
            }
        }
    }

    /// Calls any export for context `ctx` as a callback would be called,
    /// then runs what it deferred. A trap kills the VM like any other.
    pub(crate) fn call_export(
        &mut self,
        export: &str,
        ctx: u32,
        args: &[wasmtime::Val],
    ) -> Result<Vec<wasmtime::Val>, Trap> {
        if !self.vm.exports_func(export) {
            let message = format!("the module exports no function {export}");
            return Err(Trap {
                callback: export.to_string(),
                context_id: ctx,
                detail: message.clone(),
                message,
                out_of_fuel: false,
            });
        }
        let fuel = self.plugin.fuel_per_callback.unwrap_or(u64::MAX);
        let st = self.vm.state_mut();
        st.current = ctx;
        st.effective = None;
        st.callback_logs.clear();
        let result = match self.vm.store.set_fuel(fuel) {
            Ok(()) => self.vm.call_raw(export, args),
            Err(e) => Err(e),
        };
        self.count_fuel(fuel);
        self.vm.state_mut().flush_output();
        self.vm.state_mut().effective = None;
        match result {
            Ok(values) => {
                let deferred = self.take_deferred();
                self.run_deferred(deferred);
                Ok(values)
            }
            Err(error) => {
                let trap = self.make_trap(export, ctx, &error);
                self.failed = true;
                self.traps.push(trap.clone());
                Err(trap)
            }
        }
    }

    /// Adds what the callback just run burnt of the `given` fuel.
    fn count_fuel(&mut self, given: u64) {
        let left = self.vm.store.get_fuel().unwrap_or(given);
        self.fuel_burnt = self.fuel_burnt.saturating_add(given.saturating_sub(left));
    }

    fn make_trap(&self, name: &str, ctx: u32, error: &wasmtime::Error) -> Trap {
        let out_of_fuel =
            error.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::OutOfFuel);
        let logs = &self.vm.state().callback_logs;
        let panic = logs
            .iter()
            .rev()
            .find(|(level, _)| *level == LogLevel::Critical)
            .map(|(_, m)| m.clone());
        let stderr: Vec<&str> = logs
            .iter()
            .filter(|(level, _)| *level == LogLevel::Error)
            .map(|(_, m)| m.as_str())
            .collect();
        let message = match (panic, stderr.is_empty(), out_of_fuel) {
            (_, _, true) => "out of fuel".to_string(),
            (Some(panic), _, _) => panic,
            (None, false, _) => stderr.join("\n"),
            (None, true, _) => error.root_cause().to_string(),
        };
        Trap {
            callback: name.to_string(),
            context_id: ctx,
            message,
            detail: format!("{error:?}"),
            out_of_fuel,
        }
    }

    pub(crate) fn take_step(&mut self) -> crate::worker::Step {
        Step {
            calls: std::mem::take(&mut self.calls),
        }
    }

    pub(crate) fn policy(&self) -> FailurePolicy {
        self.plugin.failure_policy
    }

    /// Runs actions a callback deferred: local replies and resets first (they
    /// end streams), then continues.
    pub(crate) fn run_deferred(&mut self, actions: Vec<Deferred>) {
        self.run_endings(&actions);
        self.run_continues(&actions);
    }

    pub(crate) fn take_deferred(&mut self) -> Vec<Deferred> {
        std::mem::take(&mut self.vm.state_mut().deferred)
    }

    pub(crate) fn run_endings(&mut self, actions: &[Deferred]) {
        for action in actions {
            match action {
                Deferred::LocalReply {
                    ctx,
                    status,
                    details,
                    body,
                    headers,
                } => {
                    let reply = crate::flow::Reply {
                        status: *status,
                        details: details.clone(),
                        body: body.clone(),
                        headers: headers.clone(),
                        by_filter: true,
                    };
                    self.local_reply(*ctx, reply);
                }
                Deferred::Reset { ctx } => self.reset(*ctx, "wasm_close_stream"),
                Deferred::Continue { .. } => {}
            }
        }
    }

    pub(crate) fn run_continues(&mut self, actions: &[Deferred]) {
        for action in actions {
            if let Deferred::Continue { ctx, response } = action {
                self.resume(*ctx, *response);
            }
        }
    }

    /// Delivers a call-out's answer on the root context, as Envoy does.
    pub(crate) fn answer_callout(&mut self, token: u32, reply: CalloutReply) {
        let Some(callout) = self.vm.state_mut().callouts.remove(&token) else {
            return;
        };
        if self.failed {
            return;
        }
        let (response, status) = match reply {
            CalloutReply::Respond(r) => {
                let trailers = (!r.trailers.is_empty()).then(|| HeaderMap::from_pairs(&r.trailers));
                (
                    Some(CallResponse {
                        headers: r.header_map(),
                        body: r.body,
                        trailers,
                    }),
                    (0, String::new()),
                )
            }
            CalloutReply::Timeout => {
                let body = b"upstream request timeout".to_vec();
                let headers = HeaderMap::from_pairs(&[
                    (":status", "504"),
                    ("content-length", &body.len().to_string()),
                    ("content-type", "text/plain"),
                ]);
                (
                    Some(CallResponse {
                        headers,
                        body,
                        trailers: None,
                    }),
                    (0, String::new()),
                )
            }
            CalloutReply::Fail => (
                None,
                (
                    crate::abi::Status::BrokenConnection as u32,
                    "reset".to_string(),
                ),
            ),
        };
        let counts = response.as_ref().map_or((0, 0, 0), |r| {
            (
                r.headers.len() as i32,
                r.body.len() as i32,
                r.trailers.as_ref().map_or(0, |t| t.len() as i32),
            )
        });
        let st = self.vm.state_mut();
        st.call_response = response;
        st.status = status;
        let root = st.root_id;
        let args = [root as i32, token as i32, counts.0, counts.1, counts.2];
        let result = self.invoke("proxy_on_http_call_response", root, &args);
        let st = self.vm.state_mut();
        st.call_response = None;
        st.status = (0, String::new());
        let deferred = self.take_deferred();
        match result {
            // Envoy would leave the calling stream waiting until its own
            // timeout; failing it at once gives tests a definite outcome.
            Err(trap) => self.stream_trapped(callout.context_id, trap),
            Ok(_) => self.run_deferred(deferred),
        }
    }

    /// The earliest tick or call-out deadline, on the elapsed clock.
    pub(crate) fn next_due(&self) -> Option<u64> {
        if self.failed {
            return None;
        }
        let st = self.vm.state();
        let deadlines = st.callouts.values().filter_map(|c| c.deadline);
        st.next_tick.into_iter().chain(deadlines).min()
    }

    /// Fires the tick and call-out timeouts due at `now`.
    pub(crate) fn fire_due(&mut self, now: u64) {
        let st = self.vm.state_mut();
        if let Some(tick) = st.next_tick.filter(|t| *t <= now) {
            st.next_tick = Some(tick.saturating_add(u64::from(st.tick_period_ms) * 1_000_000));
            let root = st.root_id;
            if self.invoke("proxy_on_tick", root, &[root as i32]).is_ok() {
                let deferred = self.take_deferred();
                self.run_deferred(deferred);
            }
        }
        let due: Vec<u32> = self
            .vm
            .state()
            .callouts
            .values()
            .filter(|c| c.deadline.is_some_and(|d| d <= now))
            .map(|c| c.token)
            .collect();
        for token in due {
            self.answer_callout(token, CalloutReply::Timeout);
        }
        self.finish_done_streams();
    }

    /// `proxy_on_queue_ready` on the root context that registered the queue.
    pub(crate) fn queue_ready(&mut self, root: u32, token: u32) {
        if self.failed || root != self.root_id() {
            return;
        }
        if self
            .invoke("proxy_on_queue_ready", root, &[root as i32, token as i32])
            .is_ok()
        {
            let deferred = self.take_deferred();
            self.run_deferred(deferred);
            self.finish_done_streams();
        }
    }
}
