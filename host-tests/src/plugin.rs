//! A plugin: a compiled module with its configuration and Envoy's options,
//! and the errors of loading one.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use wasmtime::{Config, Engine, Module};

use crate::abi::LogLevel;
use crate::handles::Worker;
use crate::host::{Host, LogEntry};
use crate::worker::Trap;

/// What Envoy does with a VM after a trap (`failure_policy` in PluginConfig).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FailurePolicy {
    /// Envoy's default: the stream gets a local 503, the VM stays dead and
    /// every later stream on it gets a 503 too.
    #[default]
    FailClosed,
    /// The filter is bypassed: traffic flows as if it were not there.
    FailOpen,
    /// The failing stream gets a 503; the next stream starts a fresh VM.
    FailReload,
}

/// Name, root_id and vm_id of the plugin by default, as `envoy/edge.yaml`
/// deploys customs.
pub const DEFAULT_NAME: &str = "customs";

/// Envoy's buffer limit by default: `per_connection_buffer_limit_bytes` of
/// `envoy/edge.yaml` (Envoy's own default is 1 MiB).
pub const DEFAULT_BUFFER_LIMIT: usize = 4 * 1024 * 1024;

/// A module plus everything Envoy's `PluginConfig` says about it. The
/// defaults follow `envoy/edge.yaml`: name, root_id and vm_id `customs`,
/// FAIL_CLOSED, `allow_on_headers_stop_iteration: true`, a 4 MiB buffer limit.
#[derive(Clone)]
pub struct Plugin {
    pub(crate) module: Module,
    pub(crate) source: String,
    pub(crate) name: String,
    pub(crate) root_id: String,
    pub(crate) vm_id: String,
    pub(crate) configuration: Vec<u8>,
    pub(crate) vm_configuration: Vec<u8>,
    pub(crate) failure_policy: FailurePolicy,
    pub(crate) fuel_per_callback: Option<u64>,
    pub(crate) allow_on_headers_stop_iteration: bool,
    pub(crate) buffer_limit: usize,
    pub(crate) clusters: Option<BTreeSet<String>>,
    pub(crate) log_level: LogLevel,
}

/// Things a plugin configuration can be given as.
pub trait IntoConfig {
    fn into_config(self) -> Vec<u8>;
}

impl IntoConfig for &serde_json::Value {
    fn into_config(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}
impl IntoConfig for serde_json::Value {
    fn into_config(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}
impl IntoConfig for &str {
    fn into_config(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl IntoConfig for String {
    fn into_config(self) -> Vec<u8> {
        self.into_bytes()
    }
}
impl IntoConfig for &[u8] {
    fn into_config(self) -> Vec<u8> {
        self.to_vec()
    }
}
impl IntoConfig for Vec<u8> {
    fn into_config(self) -> Vec<u8> {
        self
    }
}

impl Plugin {
    /// Loads a `.wasm` file, compiling it once per process (per path and
    /// modification time).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Plugin, LoadError> {
        let path = path.as_ref();
        let module = cached_module(path)?;
        Ok(Plugin::new(module, path.display().to_string()))
    }

    /// A module from WebAssembly text or binary bytes (compiled each time).
    pub fn from_bytes(bytes: impl AsRef<[u8]>) -> Result<Plugin, LoadError> {
        let module = Module::new(engine(), bytes.as_ref())
            .map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        Ok(Plugin::new(module, "<bytes>".to_string()))
    }

    /// A module from WebAssembly text.
    pub fn from_wat(text: &str) -> Result<Plugin, LoadError> {
        Plugin::from_bytes(text.as_bytes())
    }

    fn new(module: Module, source: String) -> Plugin {
        Plugin {
            module,
            source,
            name: DEFAULT_NAME.to_string(),
            root_id: DEFAULT_NAME.to_string(),
            vm_id: DEFAULT_NAME.to_string(),
            configuration: Vec::new(),
            vm_configuration: Vec::new(),
            failure_policy: FailurePolicy::FailClosed,
            fuel_per_callback: None,
            allow_on_headers_stop_iteration: true,
            buffer_limit: DEFAULT_BUFFER_LIMIT,
            clusters: None,
            log_level: LogLevel::Info,
        }
    }

    /// Where the module came from (a path, or `<bytes>`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The plugin configuration `on_configure` reads.
    pub fn config(mut self, config: impl IntoConfig) -> Plugin {
        self.configuration = config.into_config();
        self
    }

    /// The VM configuration `on_vm_start` reads.
    pub fn vm_config(mut self, config: impl IntoConfig) -> Plugin {
        self.vm_configuration = config.into_config();
        self
    }

    pub fn failure_policy(mut self, policy: FailurePolicy) -> Plugin {
        self.failure_policy = policy;
        self
    }

    /// The plugin name (`plugin_name` property).
    pub fn name(mut self, name: &str) -> Plugin {
        self.name = name.to_string();
        self
    }

    pub fn root_id(mut self, root_id: &str) -> Plugin {
        self.root_id = root_id.to_string();
        self
    }

    /// Plugins with the same vm_id share shared data and queues.
    pub fn vm_id(mut self, vm_id: &str) -> Plugin {
        self.vm_id = vm_id.to_string();
        self
    }

    /// Traps any single callback that runs longer than `fuel` units.
    pub fn fuel_per_callback(mut self, fuel: u64) -> Plugin {
        self.fuel_per_callback = Some(fuel);
        self
    }

    /// Envoy's `allow_on_headers_stop_iteration` (true here by default, as
    /// customs is deployed). When false, a header callback that stops holds
    /// the body back from the filter until the stream is resumed.
    pub fn allow_on_headers_stop_iteration(mut self, allow: bool) -> Plugin {
        self.allow_on_headers_stop_iteration = allow;
        self
    }

    /// The buffer limit past which Envoy answers 413 (request) or 500
    /// (response) itself.
    pub fn buffer_limit(mut self, bytes: usize) -> Plugin {
        self.buffer_limit = bytes;
        self
    }

    /// Restricts `proxy_http_call` to these clusters (unknown ones get
    /// BadArgument, as in Envoy). By default every cluster exists.
    pub fn clusters(mut self, clusters: &[&str]) -> Plugin {
        self.clusters = Some(clusters.iter().map(|c| c.to_string()).collect());
        self
    }

    /// What `proxy_get_log_level` answers (Envoy's default: info).
    pub fn log_level(mut self, level: LogLevel) -> Plugin {
        self.log_level = level;
        self
    }
}

/// A plugin installed in a host; start workers (VM instances) from it.
#[derive(Clone)]
pub struct InstalledPlugin {
    host: Host,
    plugin: Arc<Plugin>,
}

impl InstalledPlugin {
    pub(crate) fn new(host: Host, plugin: Plugin) -> InstalledPlugin {
        InstalledPlugin {
            host,
            plugin: Arc::new(plugin),
        }
    }

    /// Starts one VM as an Envoy worker does: `_initialize`, then
    /// `on_context_create`, `on_vm_start` and `on_configure` on the root context.
    pub fn start_vm(&self) -> Result<Worker, LoadError> {
        Worker::start(&self.host, &self.plugin)
    }

    pub fn host(&self) -> &Host {
        &self.host
    }
}

/// Why a module could not be loaded or started.
#[derive(Clone, Debug)]
pub enum LoadError {
    /// The file could not be read.
    Read(String),
    /// The bytes are not a valid module.
    Compile(String),
    /// The module imports something Envoy does not provide.
    MissingImport {
        module: String,
        name: String,
    },
    /// The module lacks an export the ABI requires.
    MissingExport(String),
    /// No `proxy_abi_version_0_2_x` export.
    MissingAbiVersion,
    Instantiate(String),
    /// A start-up callback trapped.
    Trap(Trap),
    /// `on_vm_start` returned false.
    VmStartRejected {
        logs: Vec<LogEntry>,
    },
    /// `on_configure` returned false: Envoy refuses the configuration.
    ConfigurationRejected {
        logs: Vec<LogEntry>,
    },
}

impl LoadError {
    /// The last line the module logged at warn or above while starting, if
    /// any (the reason a policy was refused).
    pub fn filter_message(&self) -> Option<&str> {
        match self {
            LoadError::VmStartRejected { logs } | LoadError::ConfigurationRejected { logs } => logs
                .iter()
                .rev()
                .find(|l| l.level >= LogLevel::Warn)
                .map(|l| l.message.as_str()),
            LoadError::Trap(trap) => Some(trap.message.as_str()),
            _ => None,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read(e) => write!(f, "cannot read module: {e}"),
            LoadError::Compile(e) => write!(f, "invalid module: {e}"),
            LoadError::MissingImport { module, name } => {
                write!(f, "missing import: the module imports {module}.{name}, which the host does not provide")
            }
            LoadError::MissingExport(name) => write!(f, "missing export: {name}"),
            LoadError::MissingAbiVersion => write!(f, "missing export: no proxy_abi_version_0_2_x"),
            LoadError::Instantiate(e) => write!(f, "cannot instantiate module: {e}"),
            LoadError::Trap(trap) => write!(f, "{trap}"),
            LoadError::VmStartRejected { .. } => {
                write!(
                    f,
                    "on_vm_start returned false: {}",
                    self.filter_message().unwrap_or("(nothing logged)")
                )
            }
            LoadError::ConfigurationRejected { .. } => {
                write!(
                    f,
                    "configuration rejected: {}",
                    self.filter_message().unwrap_or("(nothing logged)")
                )
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// One engine per process: fuel metering on, so any callback can be limited.
pub(crate) fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.consume_fuel(true);
        // For profiling the filter with `perf record`: wasmtime writes a perf map
        // naming the JIT-compiled functions (build the `.wasm` unstripped).
        if std::env::var_os("CUSTOMS_WASM_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        Engine::new(&config).unwrap_or_else(|e| panic!("wasmtime engine: {e}"))
    })
}

type ModuleKey = (PathBuf, Option<SystemTime>, u64);

/// Compiling with Cranelift is the slow part: do it once per file version.
fn cached_module(path: &Path) -> Result<Module, LoadError> {
    static CACHE: OnceLock<Mutex<HashMap<ModuleKey, Module>>> = OnceLock::new();
    let meta =
        std::fs::metadata(path).map_err(|e| LoadError::Read(format!("{}: {e}", path.display())))?;
    let key = (path.to_path_buf(), meta.modified().ok(), meta.len());
    // Held while compiling, so parallel tests wait for one compilation.
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(module) = cache.get(&key) {
        return Ok(module.clone());
    }
    let bytes =
        std::fs::read(path).map_err(|e| LoadError::Read(format!("{}: {e}", path.display())))?;
    let module = Module::new(engine(), &bytes).map_err(|e| LoadError::Compile(format!("{e:#}")))?;
    cache.retain(|(p, _, _), _| p != path);
    cache.insert(key, module.clone());
    Ok(module)
}
