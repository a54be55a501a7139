//! `--features host-calls`: the host calls customs makes for a forwarded
//! request with the default policy, without any of its work. Measured against
//! the plain fixture, the difference is what the calls themselves cost in the
//! host. Results are ignored: this is a benchmark fixture.

use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, MapType, MetricType};
use std::cell::Cell;
use std::hint::black_box;

thread_local! {
    /// The histogram's id, defined once per VM as customs does.
    static HISTOGRAM: Cell<Option<u32>> = const { Cell::new(None) };
}

fn histogram() -> Option<u32> {
    if let Some(id) = HISTOGRAM.get() {
        return Some(id);
    }
    let id = hostcalls::define_metric(MetricType::Histogram, "customs.filter_time_us").ok()?;
    HISTOGRAM.set(Some(id));
    Some(id)
}

/// At the request headers: the clock and the headers.
pub fn request_headers() {
    let _ = black_box(hostcalls::get_current_time());
    let _ = black_box(hostcalls::get_map(MapType::HttpRequestHeaders));
}

/// At the end of the request body: clock, the body read and written back,
/// four filter-state values, six tags and Content-Length set, clock.
pub fn request(body_size: usize) {
    let _ = black_box(hostcalls::get_current_time());
    if let Ok(Some(body)) = hostcalls::get_buffer(BufferType::HttpRequestBody, 0, body_size) {
        let _ = hostcalls::set_buffer(BufferType::HttpRequestBody, 0, body_size, &body);
    }
    for name in ["tenant", "request_id", "decision", "tokens_reserved"] {
        let name = format!("customs.{name}");
        let _ = hostcalls::set_property(vec![name.as_str()], Some(b"value-0123"));
    }
    for tag in [
        "class",
        "policy",
        "redactions",
        "request-id",
        "tenant",
        "tokens",
    ] {
        let name = format!("x-customs-{tag}");
        let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, &name, Some("value-0123"));
    }
    let length = body_size.to_string();
    let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, "content-length", Some(&length));
    let _ = black_box(hostcalls::get_current_time());
}

/// At the answer's headers: the clock, the headers, one tag.
pub fn answer_headers() {
    let _ = black_box(hostcalls::get_current_time());
    let _ = black_box(hostcalls::get_map(MapType::HttpResponseHeaders));
    let _ = hostcalls::set_map_value(
        MapType::HttpResponseHeaders,
        "x-customs-request-id",
        Some("value-0123"),
    );
}

/// At the end of the stream: the clock, the audit line as filter state, the
/// filter-time histogram. (Counters reach the host once a second, and the
/// audit line goes to the wasm log only when Envoy writes info lines: the
/// benchmark runs at warning.)
pub fn log() {
    let _ = black_box(hostcalls::get_current_time());
    let line = format!("{{\"customs_audit\":1,\"request_id\":\"{:032x}\"}}", 7u128);
    let _ = hostcalls::set_property(vec!["customs.audit"], Some(line.as_bytes()));
    if let Some(id) = histogram() {
        let _ = hostcalls::record_metric(id, 42);
    }
}
