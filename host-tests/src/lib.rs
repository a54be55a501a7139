//! # customs-host
//!
//! A wasmtime host that runs customs' `.wasm` the way Envoy does, so tests can
//! tell stories about requests crossing the border:
//!
//! ```no_run
//! use customs_host::{wasm_path, FailurePolicy, Host, Plugin, Response};
//!
//! let host = Host::new();
//! let plugin = host.plugin(
//!     Plugin::from_file(wasm_path()).unwrap().config(r#"{"tenants": {"header": "x-team"}}"#),
//! );
//! let worker = plugin.start_vm().unwrap();
//! let mut s = worker.stream();
//! s.request_headers(&[(":method", "POST"), (":path", "/v1/chat/completions")], false);
//! s.request_body_chunks(br#"{"model": "gpt-4o", "messages": []}"#, 3);
//! if let Some(up) = s.upstream() {
//!     println!("{} {} crossed", up.method(), up.path());
//!     s.respond(&Response::json(200, &serde_json::json!({"id": "x"})));
//! }
//! println!("client got {}", s.client().status());
//! # let _ = FailurePolicy::FailClosed;
//! ```
//!
//! The pieces mirror Envoy: a [`Host`] is one process (shared data with CAS,
//! shared queues, metrics, logs, a virtual clock); a [`Plugin`] is a module
//! with its configuration and failure policy; a [`Worker`] is one VM instance
//! (one Envoy worker thread); a [`Stream`] is one HTTP stream a test drives
//! step by step. What reached the provider is an [`Upstream`]; what the client
//! got is a [`Client`].
//!
//! Host functions follow Envoy's implementation (its `context.cc` and
//! proxy-wasm-cpp-host), including its quirks: request headers stop being
//! reachable once continued, `set_buffer_bytes` only replaces from 0 or
//! appends, the call-out response arrives on the root context, a value
//! stored with `proxy_set_property` is readable back by its first path part
//! only. Not simulated: gRPC call-outs (`proxy_grpc_*` answer as for an
//! unknown cluster), foreign functions (NotFound), network (TCP) filters.

pub mod abi;
pub mod bench;
mod flow;
mod handles;
pub mod headers;
mod host;
mod imports;
mod locate;
mod plugin;
mod properties;
mod records;
mod run;
pub mod scenario;
mod stream;
mod vm;
mod worker;

pub use abi::{Action, LogLevel, Status};
pub use handles::{split, Stream, Worker};
pub use headers::HeaderMap;
pub use host::{Host, LogEntry, LogSource, MetricValue};
pub use locate::{try_wasm_path, wasm_path, workspace_dir};
pub use plugin::{
    FailurePolicy, FailurePolicy::FailClosed, FailurePolicy::FailOpen, FailurePolicy::FailReload,
    InstalledPlugin, IntoConfig, LoadError, Plugin, DEFAULT_BUFFER_LIMIT, DEFAULT_NAME,
};
pub use records::{Callout, CalloutReply, Client, LocalReply, Response, Upstream};
pub use run::{answer_with, outcome, run_scenario, run_scenario_in};
pub use wasmtime::Val;
pub use worker::{Call, Step, Trap};
