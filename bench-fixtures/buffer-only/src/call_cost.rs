//! `--features call-cost`, built with `CUSTOMS_FIXTURE_CALL=<kind>` in the
//! environment: at the end of each request body, one kind of host call made a
//! hundred times. Measured against the plain fixture, the difference in Envoy
//! CPU per request divided by a hundred is what one such call costs (V8's
//! crossing and Envoy's work). Kinds:
//!
//! - `clock`: `proxy_get_current_time_nanoseconds`;
//! - `counter`: `proxy_increment_metric` on one counter;
//! - `state`: `proxy_set_property` on one filter-state key (after the first,
//!   an update);
//! - `state-new`: `proxy_set_property` on a hundred new filter-state keys;
//! - `header-new`: `proxy_replace_header_map_value` adding twenty new request
//!   headers (a hundred make the far side refuse the request): divide by 20;
//! - `header-value`: `proxy_get_header_map_value` (`:path`), which returns data:
//!   the host calls back into the VM to allocate it;
//! - `header-map`: `proxy_get_header_map_pairs` (every request header);
//! - `body`: `proxy_get_buffer_bytes` (the whole request body).

use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, MapType, MetricType};
use std::hint::black_box;

const CALLS: usize = 100;

pub fn request(body_size: usize) {
    let kind = option_env!("CUSTOMS_FIXTURE_CALL").unwrap_or("");
    match kind {
        "clock" => repeat(|| {
            let _ = black_box(hostcalls::get_current_time());
        }),
        "counter" => {
            if let Ok(id) = hostcalls::define_metric(MetricType::Counter, "fixture.calls") {
                repeat(|| {
                    let _ = hostcalls::increment_metric(id, 1);
                });
            }
        }
        "state" => repeat(|| {
            let _ = hostcalls::set_property(vec!["fixture.state"], Some(b"value-0123"));
        }),
        "state-new" => numbered(CALLS, |n| {
            let _ = hostcalls::set_property(vec![n], Some(b"value-0123"));
        }),
        "header-new" => numbered(20, |n| {
            let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, n, Some("value-0123"));
        }),
        "header-value" => repeat(|| {
            let _ = black_box(hostcalls::get_map_value(
                MapType::HttpRequestHeaders,
                ":path",
            ));
        }),
        "header-map" => repeat(|| {
            let _ = black_box(hostcalls::get_map(MapType::HttpRequestHeaders));
        }),
        "body" => repeat(|| {
            let _ = black_box(hostcalls::get_buffer(
                BufferType::HttpRequestBody,
                0,
                body_size,
            ));
        }),
        _ => {}
    }
}

fn repeat(mut call: impl FnMut()) {
    for _ in 0..CALLS {
        call();
    }
}

/// The call once for each of `count` names, `x-fixture-0`, `x-fixture-1`, ...
fn numbered(count: usize, mut call: impl FnMut(&str)) {
    for i in 0..count {
        call(&format!("x-fixture-{i}"));
    }
}
