//! Helpers for the harness tests: WAT modules that re-export every host
//! function (so a test can call one with chosen arguments), and a probe that
//! writes inputs into module memory and reads what the host handed back.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use customs_host::{Host, InstalledPlugin, Plugin, Stream, Val, Worker};

/// Host functions with their wasm parameter types (all return i32).
const HOST_FUNCTIONS: &[(&str, &str)] = &[
    ("proxy_log", "i32 i32 i32"),
    ("proxy_get_log_level", "i32"),
    ("proxy_get_current_time_nanoseconds", "i32"),
    ("proxy_set_tick_period_milliseconds", "i32"),
    ("proxy_set_effective_context", "i32"),
    ("proxy_done", ""),
    ("proxy_get_status", "i32 i32 i32"),
    ("proxy_call_foreign_function", "i32 i32 i32 i32 i32 i32"),
    ("proxy_get_shared_data", "i32 i32 i32 i32 i32"),
    ("proxy_set_shared_data", "i32 i32 i32 i32 i32"),
    ("proxy_register_shared_queue", "i32 i32 i32"),
    ("proxy_resolve_shared_queue", "i32 i32 i32 i32 i32"),
    ("proxy_dequeue_shared_queue", "i32 i32 i32"),
    ("proxy_enqueue_shared_queue", "i32 i32 i32"),
    ("proxy_define_metric", "i32 i32 i32 i32"),
    ("proxy_increment_metric", "i32 i64"),
    ("proxy_record_metric", "i32 i64"),
    ("proxy_get_metric", "i32 i32"),
    ("proxy_get_property", "i32 i32 i32 i32"),
    ("proxy_set_property", "i32 i32 i32 i32"),
    ("proxy_get_header_map_pairs", "i32 i32 i32"),
    ("proxy_set_header_map_pairs", "i32 i32 i32"),
    ("proxy_get_header_map_value", "i32 i32 i32 i32 i32"),
    ("proxy_add_header_map_value", "i32 i32 i32 i32 i32"),
    ("proxy_replace_header_map_value", "i32 i32 i32 i32 i32"),
    ("proxy_remove_header_map_value", "i32 i32 i32"),
    ("proxy_get_header_map_size", "i32 i32"),
    ("proxy_get_buffer_bytes", "i32 i32 i32 i32 i32"),
    ("proxy_set_buffer_bytes", "i32 i32 i32 i32 i32"),
    ("proxy_get_buffer_status", "i32 i32 i32"),
    ("proxy_continue_stream", "i32"),
    ("proxy_close_stream", "i32"),
    (
        "proxy_send_local_response",
        "i32 i32 i32 i32 i32 i32 i32 i32",
    ),
    ("proxy_http_call", "i32 i32 i32 i32 i32 i32 i32 i32 i32 i32"),
    (
        "proxy_grpc_call",
        "i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32",
    ),
    ("proxy_grpc_cancel", "i32"),
];

/// WASI functions the test modules import (all return an errno).
const WASI_FUNCTIONS: &[(&str, &str)] = &[
    ("fd_write", "i32 i32 i32 i32"),
    ("clock_time_get", "i32 i64 i32"),
    ("random_get", "i32 i32"),
    ("environ_sizes_get", "i32 i32"),
    ("args_sizes_get", "i32 i32"),
];

/// A module that imports every host function above and exports each as
/// `call_<name>`, with memory, a bump allocator and the ABI version; `extra`
/// adds functions (callbacks) inside the module.
pub fn wat(extra: &str) -> String {
    let mut out = String::from("(module\n");
    for (name, params) in HOST_FUNCTIONS {
        out += &format!(
            "  (import \"env\" \"{name}\" (func ${name} (param {params}) (result i32)))\n"
        );
    }
    for (name, params) in WASI_FUNCTIONS {
        out += &format!("  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param {params}) (result i32)))\n");
    }
    out += "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n";
    out += r#"
  (memory (export "memory") 40)
  (global $bump (mut i32) (i32.const 0x100000))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $size)))
    (local.get $at))
  (func (export "proxy_abi_version_0_2_1"))
"#;
    for (name, params) in HOST_FUNCTIONS {
        let count = params.split_whitespace().count();
        let args: String = (0..count).map(|i| format!(" (local.get {i})")).collect();
        out += &format!("  (func (export \"call_{name}\") (param {params}) (result i32) (call ${name}{args}))\n");
    }
    for (name, params) in WASI_FUNCTIONS {
        let count = params.split_whitespace().count();
        let args: String = (0..count).map(|i| format!(" (local.get {i})")).collect();
        out += &format!("  (func (export \"call_{name}\") (param {params}) (result i32) (call ${name}{args}))\n");
    }
    out += "  (func (export \"call_proc_exit\") (param i32) (call $proc_exit (local.get 0)))\n";
    out += extra;
    out += "\n)\n";
    out
}

pub fn install(host: &Host, extra: &str) -> InstalledPlugin {
    host.plugin(Plugin::from_wat(&wat(extra)).unwrap())
}

pub fn start(extra: &str) -> (Host, Worker) {
    let host = Host::new();
    let worker = install(&host, extra).start_vm().unwrap();
    (host, worker)
}

/// Where the host writes a returned pointer and size, and single results.
pub const OUT_PTR: i32 = 0x100;
pub const OUT_SIZE: i32 = 0x104;
pub const RET: i32 = 0x108;
const INPUTS: u32 = 0x1000;

/// One argument of a host function call.
pub enum Arg<'a> {
    I(i32),
    L(i64),
    /// Bytes written into memory: expands to (pointer, length).
    B(&'a [u8]),
    /// Expands to (OUT_PTR, OUT_SIZE).
    Out,
    /// Expands to RET.
    Ret,
}

/// Calls host functions in a context (the root context, or a stream's).
pub struct Probe<'s> {
    worker: Worker,
    stream: Option<&'s mut Stream>,
}

impl<'s> Probe<'s> {
    pub fn root(worker: &Worker) -> Probe<'static> {
        Probe {
            worker: worker.clone(),
            stream: None,
        }
    }

    pub fn stream(stream: &'s mut Stream) -> Probe<'s> {
        Probe {
            worker: stream.worker().clone(),
            stream: Some(stream),
        }
    }

    /// Calls `host_fn` and returns the status; panics on a trap.
    pub fn call(&mut self, host_fn: &str, args: &[Arg]) -> u32 {
        self.try_call(host_fn, args)
            .unwrap_or_else(|t| panic!("{host_fn} trapped: {t}"))
    }

    pub fn try_call(&mut self, host_fn: &str, args: &[Arg]) -> Result<u32, customs_host::Trap> {
        self.worker.write_memory(OUT_PTR as u32, &[0; 16]);
        let mut at = INPUTS;
        let mut vals = Vec::new();
        for arg in args {
            match arg {
                Arg::I(v) => vals.push(Val::I32(*v)),
                Arg::L(v) => vals.push(Val::I64(*v)),
                Arg::B(bytes) => {
                    assert!(self.worker.write_memory(at, bytes));
                    vals.push(Val::I32(at as i32));
                    vals.push(Val::I32(bytes.len() as i32));
                    at += bytes.len() as u32 + 8;
                }
                Arg::Out => {
                    vals.push(Val::I32(OUT_PTR));
                    vals.push(Val::I32(OUT_SIZE));
                }
                Arg::Ret => vals.push(Val::I32(RET)),
            }
        }
        let export = format!("call_{host_fn}");
        let result = match self.stream.as_deref_mut() {
            Some(stream) => stream.call(&export, &vals),
            None => self.worker.call(&export, &vals),
        }?;
        Ok(result[0].unwrap_i32() as u32)
    }

    /// The bytes the host handed back through OUT_PTR / OUT_SIZE (None:
    /// null pointer).
    pub fn out(&self) -> Option<Vec<u8>> {
        let ptr = self.u32_at(OUT_PTR);
        let size = self.u32_at(OUT_SIZE);
        (ptr != 0).then(|| self.worker.read_memory(ptr, size as usize).unwrap())
    }

    pub fn out_text(&self) -> Option<String> {
        self.out().map(|b| String::from_utf8(b).unwrap())
    }

    pub fn u32_at(&self, at: i32) -> u32 {
        u32::from_le_bytes(
            self.worker
                .read_memory(at as u32, 4)
                .unwrap()
                .try_into()
                .unwrap(),
        )
    }

    pub fn u64_at(&self, at: i32) -> u64 {
        u64::from_le_bytes(
            self.worker
                .read_memory(at as u32, 8)
                .unwrap()
                .try_into()
                .unwrap(),
        )
    }

    pub fn ret(&self) -> u32 {
        self.u32_at(RET)
    }
}

/// Encodes header pairs as the ABI does.
pub fn pairs(list: &[(&str, &str)]) -> Vec<u8> {
    customs_host::HeaderMap::from_pairs(list).encode()
}

/// Statuses by name, for readable asserts.
pub const OK: u32 = 0;
pub const NOT_FOUND: u32 = 1;
pub const BAD_ARGUMENT: u32 = 2;
pub const EMPTY: u32 = 7;
pub const CAS_MISMATCH: u32 = 8;
pub const BROKEN_CONNECTION: u32 = 11;
pub const UNIMPLEMENTED: u32 = 12;

/// An exported callback that logs `message` at critical level and then
/// traps, as the Rust SDK's panic hook does; `data_at` is a free address for
/// the message.
pub fn panicking(export: &str, params: &str, result: &str, data_at: u32, message: &str) -> String {
    format!(
        "(data (i32.const {data_at}) \"{message}\")\n\
         (func (export \"{export}\") (param {params}) {result}\n\
           (drop (call $proxy_log (i32.const 5) (i32.const {data_at}) (i32.const {len})))\n\
           unreachable)\n",
        len = message.len()
    )
}

/// Callbacks that stop: headers and body return Pause.
pub const PAUSE_ALL: &str = r#"
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 1))
"#;

pub fn headers(list: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    list.to_vec()
}

/// The SDK probe filter of `fixtures/sdk-probe`, built once per test process
/// into `<target>/fixtures`.
pub fn sdk_probe() -> std::path::PathBuf {
    use std::sync::OnceLock;
    static BUILT: OnceLock<std::path::PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = customs_host::workspace_dir();
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| root.join("target"))
                .join("fixtures");
            let manifest = root.join("host-tests/fixtures/sdk-probe/Cargo.toml");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = std::process::Command::new(cargo)
                .args([
                    "build",
                    "--release",
                    "--target",
                    "wasm32-wasip1",
                    "--manifest-path",
                ])
                .arg(&manifest)
                .arg("--target-dir")
                .arg(&target)
                .status()
                .expect("running cargo");
            assert!(status.success(), "building the SDK probe failed");
            target.join("wasm32-wasip1/release/sdk_probe.wasm")
        })
        .clone()
}
