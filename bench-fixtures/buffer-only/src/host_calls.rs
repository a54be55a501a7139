//! `--features host-calls`: the host calls customs makes for a forwarded
//! request with the default policy, without any of its work. Measured against
//! the plain fixture, the difference is what the calls themselves cost in the
//! host. Results are ignored: this is a benchmark fixture.

use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, LogLevel, MapType, MetricType};
use std::cell::Cell;
use std::hint::black_box;

thread_local! {
    /// Metric ids, defined once per VM as customs does.
    static METRICS: Cell<Option<[u32; 4]>> = const { Cell::new(None) };
}

fn metric_ids() -> Option<[u32; 4]> {
    if let Some(ids) = METRICS.get() {
        return Some(ids);
    }
    let counter = |name: &str| hostcalls::define_metric(MetricType::Counter, name).ok();
    let ids = [
        counter("customs.requests.forwarded.chat")?,
        counter("customs.tokens_in.default")?,
        counter("customs.tokens_out.default")?,
        hostcalls::define_metric(MetricType::Histogram, "customs.filter_time_us").ok()?,
    ];
    METRICS.set(Some(ids));
    Some(ids)
}

/// At the end of the request body: clock, headers, body, six tags, five
/// filter-state values.
pub fn request(body_size: usize) {
    let _ = black_box(hostcalls::get_current_time());
    let _ = black_box(hostcalls::get_map(MapType::HttpRequestHeaders));
    let _ = black_box(hostcalls::get_buffer(BufferType::HttpRequestBody, 0, body_size));
    for tag in ["class", "policy", "redactions", "request-id", "tenant", "tokens"] {
        let name = format!("x-customs-{tag}");
        let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, &name, Some("value-0123"));
    }
    for name in ["tenant", "request_id", "decision", "tokens_reserved", "decision"] {
        let name = format!("customs.{name}");
        let _ = hostcalls::set_property(vec![name.as_str()], Some(b"value-0123"));
    }
    let _ = black_box(hostcalls::get_current_time());
}

/// At the end of the stream: clock, an audit-sized log line, three counters
/// and a histogram.
pub fn log() {
    let _ = black_box(hostcalls::get_current_time());
    let line = format!("{{\"customs_audit\":1,\"request_id\":\"{:032x}\"}}", 7u128);
    let _ = hostcalls::log(LogLevel::Info, &line);
    if let Some([requests, tokens_in, tokens_out, time]) = metric_ids() {
        for id in [requests, tokens_in, tokens_out] {
            let _ = hostcalls::increment_metric(id, 1);
        }
        let _ = hostcalls::record_metric(time, 42);
    }
}
