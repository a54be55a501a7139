//! Host calls the glue makes, wrapped so that each failure is a value, logged once,
//! never a trap. The SDK's convenience methods unwrap host statuses; these don't.

use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, LogLevel, MapType};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::UNIX_EPOCH;

pub fn log(level: LogLevel, message: &str) {
    // Nothing sensible remains to do if logging itself fails.
    let _ = hostcalls::log(level, message);
}

/// Whether the host writes log lines at `level` (Envoy: its `wasm` logger's
/// level). When the host cannot say, assume it does: a line is never dropped
/// on a guess.
pub fn logs_at(level: LogLevel) -> bool {
    match hostcalls::get_log_level() {
        Ok(host_level) => host_level as u32 <= level as u32,
        Err(_) => true,
    }
}

/// Asks the host to call the root context's `on_tick` every `period`.
pub fn set_tick_period(period: std::time::Duration) -> bool {
    match hostcalls::set_tick_period(period) {
        Ok(()) => true,
        Err(status) => {
            log(
                LogLevel::Warn,
                &format!("customs: setting a tick period failed: {status:?}"),
            );
            false
        }
    }
}

/// Milliseconds since the epoch, 0 if the host cannot say.
pub fn now_ms() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Nanoseconds since the epoch, 0 if the host cannot say (for time spent in customs).
pub fn now_ns() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A random number from the host's entropy (WASI `random_get`, through std's
/// hash-seed source), mixed with `seed` (the clock), for request ids.
pub fn random_u64(seed: u64) -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(seed);
    h.finish()
}

pub fn headers(map: MapType) -> Vec<(String, String)> {
    match hostcalls::get_map(map) {
        Ok(pairs) => pairs
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        Err(status) => {
            log(
                LogLevel::Warn,
                &format!("customs: reading headers failed: {status:?}"),
            );
            Vec::new()
        }
    }
}

/// Sets (or with `None` removes) a header; false when the host refused.
pub fn set_header(map: MapType, name: &str, value: Option<&str>) -> bool {
    match hostcalls::set_map_value(map, name, value) {
        Ok(()) => true,
        Err(status) => {
            log(
                LogLevel::Warn,
                &format!("customs: editing header `{name}` failed: {status:?}"),
            );
            false
        }
    }
}

/// The whole buffered body, `None` when the host cannot give it.
pub fn body(buffer: BufferType, size: usize) -> Option<Vec<u8>> {
    match hostcalls::get_buffer(buffer, 0, size) {
        Ok(bytes) => Some(bytes.unwrap_or_default()),
        Err(status) => {
            log(
                LogLevel::Warn,
                &format!("customs: reading the body failed: {status:?}"),
            );
            None
        }
    }
}

/// Replaces `size` buffered bytes from the start with `value`.
pub fn set_body(buffer: BufferType, size: usize, value: &[u8]) -> bool {
    match hostcalls::set_buffer(buffer, 0, size, value) {
        Ok(()) => true,
        Err(status) => {
            log(
                LogLevel::Warn,
                &format!("customs: replacing the body failed: {status:?}"),
            );
            false
        }
    }
}

/// Sends a local response; false when the host refused (the caller then fails
/// closed some other way).
pub fn send_reply(status: u16, headers: &[(String, String)], body: &[u8]) -> bool {
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    match hostcalls::send_http_response(u32::from(status), pairs, Some(body)) {
        Ok(()) => true,
        Err(status) => {
            log(
                LogLevel::Error,
                &format!("customs: sending a local reply failed: {status:?}"),
            );
            false
        }
    }
}

/// Plugin configuration bytes, empty when there is none.
pub fn plugin_configuration() -> Result<Vec<u8>, String> {
    match hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX) {
        Ok(bytes) => Ok(bytes.unwrap_or_default()),
        Err(status) => Err(format!(
            "reading the plugin configuration failed: {status:?}"
        )),
    }
}

/// Resets the stream, the last resort when even a local reply failed.
pub fn reset_request() {
    if let Err(status) = hostcalls::reset_http_request() {
        log(
            LogLevel::Critical,
            &format!("customs: resetting the stream failed: {status:?}"),
        );
    }
}

/// Sets a filter-state value for Envoy's access log (Envoy stores it as
/// `wasm.<name>`: `%FILTER_STATE(wasm.customs.tenant:PLAIN)%`). Losing one only
/// loses a log field.
pub fn set_state(name: &str, value: &str) {
    if let Err(status) = hostcalls::set_property(vec![name], Some(value.as_bytes())) {
        log(
            LogLevel::Debug,
            &format!("customs: setting `{name}` failed: {status:?}"),
        );
    }
}
