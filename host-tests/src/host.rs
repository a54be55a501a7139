//! The simulated Envoy process: what all workers share (shared data, queues,
//! metrics, logs, the virtual clock) and the plugins installed in it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use crate::abi::{LogLevel, MetricKind, Status};
use crate::plugin::{InstalledPlugin, Plugin};
use crate::worker::WorkerCore;

/// 2025-01-01T00:00:00Z: where the virtual wall clock starts.
const DEFAULT_EPOCH_NANOS: u64 = 1_735_689_600_000_000_000;

/// One simulated Envoy process. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Host {
    pub(crate) inner: Arc<HostInner>,
}

pub(crate) struct HostInner {
    pub(crate) state: Mutex<HostState>,
    /// Every worker started in this host, for ticks and queue notifications.
    pub(crate) workers: Mutex<Vec<Weak<Mutex<WorkerCore>>>>,
}

/// A line a module logged (through `proxy_log`, or WASI stdout/stderr).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub level: LogLevel,
    pub message: String,
    /// Which worker logged it (0, 1, ... in start order).
    pub worker: usize,
    /// The context that was running (the root context for start-up and ticks).
    pub context_id: u32,
    pub source: LogSource,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogSource {
    /// `proxy_log`.
    Proxy,
    /// WASI `fd_write` to stdout (Envoy logs it at info).
    Stdout,
    /// WASI `fd_write` to stderr (Envoy logs it at error).
    Stderr,
}

/// A metric's value as the stats store holds it, summed over all workers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricValue {
    Counter(u64),
    Gauge(i64),
    /// Every recorded sample, in order.
    Histogram(Vec<u64>),
}

impl MetricValue {
    /// The counter or gauge value; the sample count of a histogram.
    pub fn value(&self) -> i64 {
        match self {
            MetricValue::Counter(v) => *v as i64,
            MetricValue::Gauge(v) => *v,
            MetricValue::Histogram(samples) => samples.len() as i64,
        }
    }
}

pub(crate) struct SharedQueue {
    pub(crate) vm_id: String,
    pub(crate) name: String,
    pub(crate) items: VecDeque<Vec<u8>>,
    /// Who hears `proxy_on_queue_ready`: the last registrant (worker, root context).
    pub(crate) owner: Option<(Weak<Mutex<WorkerCore>>, u32)>,
}

pub(crate) struct HostState {
    pub(crate) epoch_nanos: u64,
    pub(crate) elapsed_nanos: u64,
    /// vm_id -> key -> (value, cas).
    pub(crate) shared_data: HashMap<String, HashMap<String, (Vec<u8>, u32)>>,
    next_cas: u32,
    pub(crate) queues: BTreeMap<u32, SharedQueue>,
    next_queue_token: u32,
    pub(crate) pending_queue_ready: VecDeque<(Weak<Mutex<WorkerCore>>, u32, u32)>,
    pub(crate) metrics: BTreeMap<String, (MetricKind, MetricValue)>,
    pub(crate) logs: Vec<LogEntry>,
    pub(crate) echo_logs: bool,
    /// Properties a test set, by path parts joined with NUL.
    pub(crate) properties: BTreeMap<String, Vec<u8>>,
    rng: u64,
    next_worker: usize,
    /// Add what Envoy's connection manager adds before filters run
    /// (`:scheme`, `:authority`, `x-forwarded-proto`, `x-request-id`).
    pub(crate) connection_manager_headers: bool,
    /// How many times modules called each proxy-wasm host function.
    pub(crate) host_calls: BTreeMap<&'static str, u64>,
}

impl Default for Host {
    fn default() -> Host {
        Host::new()
    }
}

impl Host {
    pub fn new() -> Host {
        Host::with_seed(0x5eed_c0de)
    }

    /// A host whose `random_get` and generated request ids follow `seed`.
    pub fn with_seed(seed: u64) -> Host {
        let state = HostState {
            epoch_nanos: DEFAULT_EPOCH_NANOS,
            elapsed_nanos: 0,
            shared_data: HashMap::new(),
            next_cas: 1,
            queues: BTreeMap::new(),
            next_queue_token: 1,
            pending_queue_ready: VecDeque::new(),
            metrics: BTreeMap::new(),
            logs: Vec::new(),
            echo_logs: true,
            properties: BTreeMap::new(),
            rng: seed,
            next_worker: 0,
            connection_manager_headers: true,
            host_calls: BTreeMap::new(),
        };
        Host {
            inner: Arc::new(HostInner {
                state: Mutex::new(state),
                workers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Installs a plugin (a module with its configuration) in this host.
    pub fn plugin(&self, plugin: Plugin) -> InstalledPlugin {
        InstalledPlugin::new(self.clone(), plugin)
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, HostState> {
        self.inner.state()
    }

    /// Copies module logs to stderr as they happen (on by default; a test's
    /// output shows them only when it fails).
    pub fn echo_logs(&self, on: bool) {
        self.state().echo_logs = on;
    }

    /// Turns off the headers Envoy's connection manager adds to requests.
    pub fn connection_manager_headers(&self, on: bool) {
        self.state().connection_manager_headers = on;
    }

    /// How many times the modules called each proxy-wasm host function
    /// (`proxy_log`, `proxy_get_buffer_bytes`, ...) since the host was made or
    /// the tally was last cleared. Calls into the module, such as
    /// `proxy_on_memory_allocate`, are not counted.
    pub fn host_calls(&self) -> BTreeMap<String, u64> {
        self.state()
            .host_calls
            .iter()
            .map(|(name, n)| (name.to_string(), *n))
            .collect()
    }

    /// Starts the tally of [`Host::host_calls`] again from nothing.
    pub fn clear_host_calls(&self) {
        self.state().host_calls.clear();
    }

    /// Every line logged so far, in order.
    pub fn logs(&self) -> Vec<LogEntry> {
        self.state().logs.clone()
    }

    /// Messages logged at `level` or above.
    pub fn log_messages(&self, level: LogLevel) -> Vec<String> {
        self.state()
            .logs
            .iter()
            .filter(|l| l.level >= level)
            .map(|l| l.message.clone())
            .collect()
    }

    /// Every metric the modules defined, by the name they gave it.
    pub fn metrics(&self) -> BTreeMap<String, MetricValue> {
        self.state()
            .metrics
            .iter()
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect()
    }

    pub fn metric(&self, name: &str) -> Option<MetricValue> {
        self.state().metrics.get(name).map(|(_, v)| v.clone())
    }

    /// A shared-data value and its CAS version, for the default vm_id.
    pub fn shared_data(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.shared_data_in(crate::plugin::DEFAULT_NAME, key)
    }

    pub fn shared_data_in(&self, vm_id: &str, key: &str) -> Option<(Vec<u8>, u32)> {
        self.state()
            .shared_data
            .get(vm_id)
            .and_then(|m| m.get(key))
            .cloned()
    }

    /// Writes shared data (default vm_id) as another worker would (cas 0:
    /// unconditional).
    pub fn set_shared_data(&self, key: &str, value: &[u8], cas: u32) -> Status {
        self.state()
            .set_shared_data(crate::plugin::DEFAULT_NAME, key, value, cas)
    }

    /// Items waiting in a shared queue, oldest first.
    pub fn queue_items(&self, vm_id: &str, name: &str) -> Vec<Vec<u8>> {
        let state = self.state();
        state
            .queues
            .values()
            .find(|q| q.vm_id == vm_id && q.name == name)
            .map(|q| q.items.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Sets a property every stream sees (`path` as the module passes it,
    /// e.g. `&["node", "metadata", "team"]`), unless the stream overrides it.
    pub fn set_property(&self, path: &[&str], value: &[u8]) {
        self.state()
            .properties
            .insert(path.join("\0"), value.to_vec());
    }

    /// Nanoseconds since the Unix epoch on the virtual wall clock.
    pub fn now_nanos(&self) -> u64 {
        self.state().now_nanos()
    }

    /// Moves the virtual clock forward, firing due ticks and call-out
    /// timeouts on every worker in time order.
    pub fn advance_clock(&self, by: Duration) {
        let target = self
            .state()
            .elapsed_nanos
            .saturating_add(by.as_nanos() as u64);
        loop {
            let mut earliest: Option<(u64, Arc<Mutex<WorkerCore>>)> = None;
            for worker in self.live_workers() {
                let due = lock(&worker).next_due();
                if let Some(due) = due {
                    if due <= target && earliest.as_ref().is_none_or(|(d, _)| due < *d) {
                        earliest = Some((due, worker));
                    }
                }
            }
            let Some((due, worker)) = earliest else { break };
            {
                let mut state = self.state();
                state.elapsed_nanos = state.elapsed_nanos.max(due);
            }
            lock(&worker).fire_due(due);
            self.deliver_queue_notifications();
        }
        self.state().elapsed_nanos = target;
    }

    pub(crate) fn register_worker(&self, worker: &Arc<Mutex<WorkerCore>>) {
        let mut workers = lock(&self.inner.workers);
        workers.retain(|w| w.strong_count() > 0);
        workers.push(Arc::downgrade(worker));
    }

    fn live_workers(&self) -> Vec<Arc<Mutex<WorkerCore>>> {
        let workers = lock(&self.inner.workers);
        workers.iter().filter_map(Weak::upgrade).collect()
    }

    /// Runs `proxy_on_queue_ready` for every enqueue since the last call, as
    /// Envoy posts them to the registering worker's event loop.
    pub(crate) fn deliver_queue_notifications(&self) {
        // A module that enqueues from on_queue_ready to itself would loop forever.
        for _ in 0..10_000 {
            let next = self.state().pending_queue_ready.pop_front();
            let Some((worker, root, token)) = next else {
                return;
            };
            if let Some(worker) = worker.upgrade() {
                lock(&worker).queue_ready(root, token);
            }
        }
    }
}

impl HostInner {
    pub(crate) fn state(&self) -> MutexGuard<'_, HostState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl HostState {
    pub(crate) fn now_nanos(&self) -> u64 {
        self.epoch_nanos.saturating_add(self.elapsed_nanos)
    }

    pub(crate) fn take_worker_index(&mut self) -> usize {
        self.next_worker += 1;
        self.next_worker - 1
    }

    /// Monotonic clock: time since the host started, plus one second so it is never zero.
    pub(crate) fn monotonic_nanos(&self) -> u64 {
        self.elapsed_nanos.saturating_add(1_000_000_000)
    }

    /// Envoy's nextCas(): one counter for the whole process, never 0.
    fn next_cas(&mut self) -> u32 {
        let cas = self.next_cas;
        self.next_cas = self.next_cas.wrapping_add(1).max(1);
        cas
    }

    pub(crate) fn set_shared_data(
        &mut self,
        vm_id: &str,
        key: &str,
        value: &[u8],
        cas: u32,
    ) -> Status {
        let cas_now = self
            .shared_data
            .get(vm_id)
            .and_then(|m| m.get(key))
            .map(|(_, c)| *c);
        if let Some(current) = cas_now {
            if cas != 0 && cas != current {
                return Status::CasMismatch;
            }
        }
        let version = self.next_cas();
        self.shared_data
            .entry(vm_id.to_string())
            .or_default()
            .insert(key.to_string(), (value.to_vec(), version));
        Status::Ok
    }

    pub(crate) fn register_queue(
        &mut self,
        vm_id: &str,
        name: &str,
        owner: (Weak<Mutex<WorkerCore>>, u32),
    ) -> u32 {
        let existing = self
            .queues
            .iter()
            .find(|(_, q)| q.vm_id == vm_id && q.name == name)
            .map(|(t, _)| *t);
        let token = existing.unwrap_or_else(|| {
            let token = self.next_queue_token;
            self.next_queue_token += 1;
            self.queues.insert(
                token,
                SharedQueue {
                    vm_id: vm_id.to_string(),
                    name: name.to_string(),
                    items: VecDeque::new(),
                    owner: None,
                },
            );
            token
        });
        if let Some(queue) = self.queues.get_mut(&token) {
            queue.owner = Some(owner);
        }
        token
    }

    pub(crate) fn enqueue(&mut self, token: u32, value: &[u8]) -> Status {
        let Some(queue) = self.queues.get_mut(&token) else {
            return Status::NotFound;
        };
        queue.items.push_back(value.to_vec());
        if let Some((worker, root)) = queue.owner.clone() {
            self.pending_queue_ready.push_back((worker, root, token));
        }
        Status::Ok
    }

    pub(crate) fn log(&mut self, entry: LogEntry) {
        if self.echo_logs {
            eprintln!(
                "[worker {} ctx {}] {}: {}",
                entry.worker,
                entry.context_id,
                entry.level.name(),
                entry.message
            );
        }
        self.logs.push(entry);
    }

    /// splitmix64: small, seedable, good enough for ids and WASI random_get.
    pub(crate) fn random_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn random_bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.random_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    /// A version-4 UUID from the seeded generator, as Envoy puts in `x-request-id`.
    pub(crate) fn request_id(&mut self) -> String {
        let mut b = self.random_bytes(16);
        if let (Some(b6), Some(b8)) = (b.get(6).copied(), b.get(8).copied()) {
            b[6] = (b6 & 0x0f) | 0x40;
            b[8] = (b8 & 0x3f) | 0x80;
        }
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }
}
