//! The host functions Envoy gives a proxy-wasm module: the proxy-wasm ABI
//! v0.2.1 (`env`) and Envoy's WASI subset.

use wasmtime::{Caller, Linker};

use crate::vm::{finish, VmState};

mod http;
mod state;
mod wasi;

pub(crate) use http::encode_map;

/// Registers a host function whose body returns `Result<(), Fault>`.
macro_rules! host_fn {
    ($linker:expr, $name:literal, $f:path, ($($arg:ident : $ty:ty),*)) => {
        $linker.func_wrap("env", $name, |mut c: Caller<'_, VmState>, $($arg: $ty),*| -> wasmtime::Result<i32> {
            *c.data().host.state().host_calls.entry($name).or_default() += 1;
            finish($f(&mut c, $($arg),*))
        })?;
    };
}

pub(crate) fn define(linker: &mut Linker<VmState>) -> wasmtime::Result<()> {
    // Logging, time, configuration.
    host_fn!(linker, "proxy_log", state::log, (level: i32, ptr: i32, len: i32));
    host_fn!(linker, "proxy_get_log_level", state::get_log_level, (ret: i32));
    host_fn!(linker, "proxy_get_current_time_nanoseconds", state::get_current_time, (ret: i32));
    host_fn!(linker, "proxy_set_tick_period_milliseconds", state::set_tick_period, (period: i32));
    host_fn!(linker, "proxy_set_effective_context", state::set_effective_context, (ctx: i32));
    host_fn!(linker, "proxy_done", state::done, ());
    host_fn!(linker, "proxy_get_status", state::get_status, (code: i32, ptr: i32, size: i32));
    host_fn!(linker, "proxy_call_foreign_function", state::call_foreign_function,
        (name: i32, name_len: i32, args: i32, args_len: i32, ret: i32, ret_len: i32));
    // Shared data and queues.
    host_fn!(linker, "proxy_get_shared_data", state::get_shared_data,
        (key: i32, key_len: i32, ret: i32, ret_len: i32, cas: i32));
    host_fn!(linker, "proxy_set_shared_data", state::set_shared_data,
        (key: i32, key_len: i32, value: i32, value_len: i32, cas: i32));
    host_fn!(linker, "proxy_register_shared_queue", state::register_queue, (name: i32, name_len: i32, ret: i32));
    host_fn!(linker, "proxy_resolve_shared_queue", state::resolve_queue,
        (vm_id: i32, vm_id_len: i32, name: i32, name_len: i32, ret: i32));
    host_fn!(linker, "proxy_dequeue_shared_queue", state::dequeue, (token: i32, ret: i32, ret_len: i32));
    host_fn!(linker, "proxy_enqueue_shared_queue", state::enqueue, (token: i32, value: i32, value_len: i32));
    // Metrics.
    host_fn!(linker, "proxy_define_metric", state::define_metric, (kind: i32, name: i32, name_len: i32, ret: i32));
    host_fn!(linker, "proxy_increment_metric", state::increment_metric, (id: i32, offset: i64));
    host_fn!(linker, "proxy_record_metric", state::record_metric, (id: i32, value: i64));
    host_fn!(linker, "proxy_get_metric", state::get_metric, (id: i32, ret: i32));
    // Properties.
    host_fn!(linker, "proxy_get_property", http::get_property, (path: i32, path_len: i32, ret: i32, ret_len: i32));
    host_fn!(linker, "proxy_set_property", http::set_property, (path: i32, path_len: i32, value: i32, value_len: i32));
    // Header maps.
    host_fn!(linker, "proxy_get_header_map_pairs", http::get_map_pairs, (kind: i32, ret: i32, ret_len: i32));
    host_fn!(linker, "proxy_set_header_map_pairs", http::set_map_pairs, (kind: i32, ptr: i32, len: i32));
    host_fn!(linker, "proxy_get_header_map_value", http::get_map_value,
        (kind: i32, key: i32, key_len: i32, ret: i32, ret_len: i32));
    host_fn!(linker, "proxy_add_header_map_value", http::add_map_value,
        (kind: i32, key: i32, key_len: i32, value: i32, value_len: i32));
    host_fn!(linker, "proxy_replace_header_map_value", http::replace_map_value,
        (kind: i32, key: i32, key_len: i32, value: i32, value_len: i32));
    host_fn!(linker, "proxy_remove_header_map_value", http::remove_map_value, (kind: i32, key: i32, key_len: i32));
    host_fn!(linker, "proxy_get_header_map_size", http::get_map_size, (kind: i32, ret: i32));
    // Buffers.
    host_fn!(linker, "proxy_get_buffer_bytes", http::get_buffer_bytes,
        (kind: i32, start: i32, max: i32, ret: i32, ret_len: i32));
    host_fn!(linker, "proxy_set_buffer_bytes", http::set_buffer_bytes,
        (kind: i32, start: i32, size: i32, data: i32, data_len: i32));
    host_fn!(linker, "proxy_get_buffer_status", http::get_buffer_status, (kind: i32, len_ptr: i32, flags_ptr: i32));
    // Stream control, local responses, call-outs.
    host_fn!(linker, "proxy_continue_stream", http::continue_stream, (kind: i32));
    host_fn!(linker, "proxy_close_stream", http::close_stream, (kind: i32));
    host_fn!(linker, "proxy_send_local_response", http::send_local_response,
        (status: i32, details: i32, details_len: i32, body: i32, body_len: i32, headers: i32, headers_len: i32,
         grpc_status: i32));
    host_fn!(linker, "proxy_http_call", http::http_call,
        (upstream: i32, upstream_len: i32, headers: i32, headers_len: i32, body: i32, body_len: i32,
         trailers: i32, trailers_len: i32, timeout: i32, ret: i32));
    host_fn!(linker, "proxy_grpc_call", http::grpc_call,
        (a: i32, b: i32, c1: i32, d: i32, e: i32, f: i32, g: i32, h: i32, i: i32, j: i32, k: i32, l: i32));
    host_fn!(linker, "proxy_grpc_stream", http::grpc_stream,
        (a: i32, b: i32, c1: i32, d: i32, e: i32, f: i32, g: i32, h: i32, i: i32));
    host_fn!(linker, "proxy_grpc_send", http::grpc_token_op4, (token: i32, msg: i32, msg_len: i32, end: i32));
    host_fn!(linker, "proxy_grpc_cancel", http::grpc_token_op, (token: i32));
    host_fn!(linker, "proxy_grpc_close", http::grpc_token_op, (token: i32));
    wasi::define(linker)
}
