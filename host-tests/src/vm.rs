//! One instantiated module: the store data host functions see, memory
//! access, and calling the module's exports.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use wasmtime::{
    Caller, ExternType, Func, FuncType, Instance, Linker, Memory, Store, TypedFunc, Val, ValType,
};

use crate::abi::{LogLevel, Status};
use crate::headers::HeaderMap;
use crate::host::{Host, LogEntry, LogSource};
use crate::plugin::{engine, LoadError, Plugin};
use crate::records::Callout;
use crate::stream::HttpStream;
use crate::worker::WorkerCore;

/// Where the root context is in its start-up, which decides the buffers it sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Starting,
    Running,
}

/// Something a module asked for during a callback that Envoy runs after the
/// callback returns ("after VM call actions").
#[derive(Clone, Debug)]
pub(crate) enum Deferred {
    Continue {
        ctx: u32,
        response: bool,
    },
    Reset {
        ctx: u32,
    },
    LocalReply {
        ctx: u32,
        status: u16,
        details: String,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
    },
}

/// The answer to a call-out while `on_http_call_response` runs.
pub(crate) struct CallResponse {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) trailers: Option<HeaderMap>,
}

/// Everything host functions read and write, kept in the wasmtime store.
pub(crate) struct VmState {
    pub(crate) host: Host,
    pub(crate) plugin: Arc<Plugin>,
    pub(crate) worker: usize,
    pub(crate) worker_ref: Weak<Mutex<WorkerCore>>,
    pub(crate) root_id: u32,
    pub(crate) next_context_id: u32,
    pub(crate) phase: Phase,
    /// The context whose callback is running, and the one the module made
    /// effective with `proxy_set_effective_context`.
    pub(crate) current: u32,
    pub(crate) effective: Option<u32>,
    pub(crate) streams: HashMap<u32, HttpStream>,
    pub(crate) deferred: Vec<Deferred>,
    pub(crate) callouts: BTreeMap<u32, Callout>,
    pub(crate) next_callout_token: u32,
    pub(crate) call_response: Option<CallResponse>,
    pub(crate) status: (u32, String),
    pub(crate) tick_period_ms: u32,
    /// Elapsed-clock time of the next tick.
    pub(crate) next_tick: Option<u64>,
    pub(crate) metric_ids: HashMap<u32, String>,
    pub(crate) next_metric_id: [u32; 3],
    /// Lines logged during the running callback (to name a panic).
    pub(crate) callback_logs: Vec<(LogLevel, String)>,
    /// Partial lines written to stdout and stderr.
    pub(crate) partial_lines: [Vec<u8>; 2],
    pub(crate) memory: Option<Memory>,
    pub(crate) alloc: Option<TypedFunc<i32, i32>>,
}

impl VmState {
    /// The context host functions act on.
    pub(crate) fn context(&self) -> u32 {
        self.effective.unwrap_or(self.current)
    }

    pub(crate) fn stream(&self) -> Option<&HttpStream> {
        self.streams.get(&self.context())
    }

    pub(crate) fn stream_mut(&mut self) -> Option<&mut HttpStream> {
        let ctx = self.context();
        self.streams.get_mut(&ctx)
    }

    pub(crate) fn log(&mut self, level: LogLevel, source: LogSource, message: String) {
        self.callback_logs.push((level, message.clone()));
        let entry = LogEntry {
            level,
            message,
            worker: self.worker,
            context_id: self.context(),
            source,
        };
        self.host.state().log(entry);
    }

    /// Logs what is left of partial stdout/stderr lines.
    pub(crate) fn flush_output(&mut self) {
        for fd in 0..2 {
            let rest = std::mem::take(&mut self.partial_lines[fd]);
            if !rest.is_empty() {
                let (level, source) = output_level(fd);
                self.log(level, source, String::from_utf8_lossy(&rest).into_owned());
            }
        }
    }
}

/// stdout (index 0) is logged at info, stderr (index 1) at error, as Envoy does.
pub(crate) fn output_level(index: usize) -> (LogLevel, LogSource) {
    if index == 0 {
        (LogLevel::Info, LogSource::Stdout)
    } else {
        (LogLevel::Error, LogSource::Stderr)
    }
}

/// Why a host function did not complete: a status for the module, or a trap.
pub(crate) enum Fault {
    Status(Status),
    Trap(wasmtime::Error),
}

impl From<Status> for Fault {
    fn from(status: Status) -> Fault {
        Fault::Status(status)
    }
}

/// Turns a host function's outcome into what wasm gets back.
pub(crate) fn finish(result: Result<(), Fault>) -> wasmtime::Result<i32> {
    match result {
        Ok(()) => Ok(Status::Ok.code()),
        Err(Fault::Status(status)) => Ok(status.code()),
        Err(Fault::Trap(e)) => Err(e),
    }
}

pub(crate) type Ctx<'a> = Caller<'a, VmState>;

fn memory(c: &Ctx<'_>) -> Result<Memory, Fault> {
    c.data()
        .memory
        .ok_or(Fault::Status(Status::InvalidMemoryAccess))
}

/// Reads `len` bytes at `ptr` from the module's memory.
pub(crate) fn read(c: &Ctx<'_>, ptr: i32, len: i32) -> Result<Vec<u8>, Fault> {
    let mem = memory(c)?;
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    let end = start.checked_add(len).ok_or(Status::InvalidMemoryAccess)?;
    mem.data(c)
        .get(start..end)
        .map(<[u8]>::to_vec)
        .ok_or(Fault::Status(Status::InvalidMemoryAccess))
}

pub(crate) fn read_string(c: &Ctx<'_>, ptr: i32, len: i32) -> Result<String, Fault> {
    Ok(String::from_utf8_lossy(&read(c, ptr, len)?).into_owned())
}

pub(crate) fn write(c: &mut Ctx<'_>, ptr: i32, bytes: &[u8]) -> Result<(), Fault> {
    let mem = memory(c)?;
    mem.write(c, ptr as u32 as usize, bytes)
        .map_err(|_| Fault::Status(Status::InvalidMemoryAccess))
}

pub(crate) fn write_u32(c: &mut Ctx<'_>, ptr: i32, value: u32) -> Result<(), Fault> {
    write(c, ptr, &value.to_le_bytes())
}

pub(crate) fn write_u64(c: &mut Ctx<'_>, ptr: i32, value: u64) -> Result<(), Fault> {
    write(c, ptr, &value.to_le_bytes())
}

/// Hands bytes to the module: memory from its allocator, then the pointer and
/// size written where it asked. Empty data is a null pointer and size 0, as
/// Envoy's `copyToPointerSize` does.
pub(crate) fn copy_out(
    c: &mut Ctx<'_>,
    bytes: &[u8],
    ptr_ptr: i32,
    size_ptr: i32,
) -> Result<(), Fault> {
    let mut at = 0i32;
    if !bytes.is_empty() {
        let alloc = c.data().alloc.clone().ok_or(Status::InvalidMemoryAccess)?;
        at = alloc
            .call(&mut *c, bytes.len() as i32)
            .map_err(Fault::Trap)?;
        if at == 0 {
            return Err(Status::InvalidMemoryAccess.into());
        }
        write(c, at, bytes)?;
    }
    write_u32(c, ptr_ptr, at as u32)?;
    write_u32(c, size_ptr, bytes.len() as u32)
}

/// The compiled module's exports the host calls, by name.
pub(crate) struct Vm {
    pub(crate) store: Store<VmState>,
    instance: Instance,
    funcs: HashMap<&'static str, Func>,
}

/// Callbacks the host may call, with the types the ABI gives them.
const CALLBACKS: &[(&str, &[ValType], &[ValType])] = {
    use ValType::I32;
    &[
        ("_initialize", &[], &[]),
        ("_start", &[], &[]),
        ("main", &[I32, I32], &[I32]),
        ("proxy_on_context_create", &[I32, I32], &[]),
        ("proxy_on_vm_start", &[I32, I32], &[I32]),
        ("proxy_on_configure", &[I32, I32], &[I32]),
        ("proxy_on_tick", &[I32], &[]),
        ("proxy_on_queue_ready", &[I32, I32], &[]),
        ("proxy_on_request_headers", &[I32, I32, I32], &[I32]),
        ("proxy_on_request_body", &[I32, I32, I32], &[I32]),
        ("proxy_on_request_trailers", &[I32, I32], &[I32]),
        ("proxy_on_response_headers", &[I32, I32, I32], &[I32]),
        ("proxy_on_response_body", &[I32, I32, I32], &[I32]),
        ("proxy_on_response_trailers", &[I32, I32], &[I32]),
        (
            "proxy_on_http_call_response",
            &[I32, I32, I32, I32, I32],
            &[],
        ),
        ("proxy_on_done", &[I32], &[I32]),
        ("proxy_on_log", &[I32], &[]),
        ("proxy_on_delete", &[I32], &[]),
    ]
};

fn linker() -> &'static Linker<VmState> {
    static LINKER: OnceLock<Linker<VmState>> = OnceLock::new();
    LINKER.get_or_init(|| {
        let mut linker = Linker::new(engine());
        crate::imports::define(&mut linker)
            .unwrap_or_else(|e| panic!("defining host functions: {e}"));
        linker
    })
}

impl Vm {
    /// Instantiates the plugin's module; runs nothing yet.
    pub(crate) fn instantiate(state: VmState) -> Result<Vm, LoadError> {
        let module = state.plugin.module.clone();
        let mut store = Store::new(engine(), state);
        let linker = linker();
        for import in module.imports() {
            if linker.get_by_import(&mut store, &import).is_none() {
                return Err(LoadError::MissingImport {
                    module: import.module().to_string(),
                    name: import.name().to_string(),
                });
            }
        }
        let has_abi = ["proxy_abi_version_0_2_1", "proxy_abi_version_0_2_0"]
            .iter()
            .any(|name| matches!(module.get_export(name), Some(ExternType::Func(_))));
        if !has_abi {
            return Err(LoadError::MissingAbiVersion);
        }
        store
            .set_fuel(u64::MAX)
            .map_err(|e| LoadError::Instantiate(e.to_string()))?;
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(|e| LoadError::Instantiate(format!("{e:#}")))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or(LoadError::MissingExport("memory".into()))?;
        let alloc = ["proxy_on_memory_allocate", "malloc"]
            .iter()
            .find_map(|name| instance.get_typed_func::<i32, i32>(&mut store, name).ok())
            .ok_or(LoadError::MissingExport("proxy_on_memory_allocate".into()))?;
        store.data_mut().memory = Some(memory);
        store.data_mut().alloc = Some(alloc);
        let mut funcs = HashMap::new();
        for (name, params, results) in CALLBACKS {
            if let Some(func) = instance.get_func(&mut store, name) {
                let want = FuncType::new(engine(), params.iter().cloned(), results.iter().cloned());
                if !FuncType::eq(&func.ty(&store), &want) {
                    return Err(LoadError::Instantiate(format!(
                        "export {name} has type {}",
                        func.ty(&store)
                    )));
                }
                funcs.insert(*name, func);
            }
        }
        Ok(Vm {
            store,
            instance,
            funcs,
        })
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    /// Calls an export by name. `Ok(None)` when the module does not export
    /// it; `Ok(Some(0))` for exports without a result.
    pub(crate) fn call(&mut self, name: &str, args: &[i32]) -> wasmtime::Result<Option<i32>> {
        let Some(func) = self.funcs.get(name).copied() else {
            return Ok(None);
        };
        let args: Vec<Val> = args.iter().map(|a| Val::I32(*a)).collect();
        let mut results = vec![Val::I32(0); func.ty(&self.store).results().len()];
        func.call(&mut self.store, &args, &mut results)?;
        Ok(Some(results.first().and_then(Val::i32).unwrap_or(0)))
    }

    /// Whether the module exports a function `name` (any, not just callbacks).
    pub(crate) fn exports_func(&mut self, name: &str) -> bool {
        self.instance.get_func(&mut self.store, name).is_some()
    }

    /// Calls any export with raw values (for tests of single host functions).
    pub(crate) fn call_raw(&mut self, name: &str, args: &[Val]) -> wasmtime::Result<Vec<Val>> {
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .ok_or_else(|| wasmtime::format_err!("the module exports no function {name}"))?;
        let mut results: Vec<Val> = func
            .ty(&self.store)
            .results()
            .map(|t| Val::default_for_ty(&t).unwrap_or(Val::I32(0)))
            .collect();
        func.call(&mut self.store, args, &mut results)?;
        Ok(results)
    }

    pub(crate) fn state(&self) -> &VmState {
        self.store.data()
    }

    pub(crate) fn state_mut(&mut self) -> &mut VmState {
        self.store.data_mut()
    }
}
