//! `proxy_get_property`: the attributes Envoy answers, properties a test set,
//! and filter state the module stored.
//!
//! Envoy encodes strings as bytes, integers as 8 little-endian bytes, booleans
//! as one byte and maps as header pairs.

use crate::imports::encode_map;
use crate::stream::HttpStream;
use crate::vm::VmState;

const SOURCE_ADDRESS: &str = "127.0.0.1:40000";
const DESTINATION_ADDRESS: &str = "127.0.0.1:10000";

fn int(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn text(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// Looks up a NUL-joined property path.
pub(crate) fn lookup(st: &VmState, path: &str) -> Option<Vec<u8>> {
    let stream = st.stream();
    if let Some(v) = stream.and_then(|s| s.properties.get(path)) {
        return Some(v.clone());
    }
    if let Some(v) = st.host.state().properties.get(path) {
        return Some(v.clone());
    }
    let parts: Vec<&str> = path.split('\0').collect();
    let (first, rest) = parts.split_first()?;
    match (*first, rest) {
        ("plugin_name", []) => Some(text(&st.plugin.name)),
        ("plugin_root_id", []) => Some(text(&st.plugin.root_id)),
        ("plugin_vm_id", []) => Some(text(&st.plugin.vm_id)),
        ("request", _) => request(stream?, rest),
        ("response", _) => response(stream?, rest),
        ("source", [field]) => address(stream?, field, SOURCE_ADDRESS),
        ("destination", [field]) => address(stream?, field, DESTINATION_ADDRESS),
        ("connection", [field]) => connection(stream?, field),
        // Envoy looks filter state up by the first part only; a value stored
        // under a multi-part path is bytes and cannot be indexed further.
        (name, []) => stream?.filter_state.get(name).cloned(),
        _ => None,
    }
}

fn request(s: &HttpStream, rest: &[&str]) -> Option<Vec<u8>> {
    // Envoy reads request attributes through its pointer to the request
    // headers, which it drops once they have been continued.
    if !s.req.headers_visible && !s.access_log_phase {
        return None;
    }
    let h = &s.req.headers;
    let path = h.get(":path").unwrap_or("");
    match rest {
        ["path"] => Some(text(path)),
        ["url_path"] => Some(text(path.split('?').next().unwrap_or(""))),
        ["query"] => Some(text(path.split_once('?').map(|(_, q)| q).unwrap_or(""))),
        ["host"] => h.get(":authority").map(text),
        ["scheme"] => h.get(":scheme").map(text),
        ["method"] => h.get(":method").map(text),
        ["id"] => h.get("x-request-id").map(text),
        ["referer"] => h.get("referer").map(text),
        ["useragent"] => h.get("user-agent").map(text),
        ["protocol"] => Some(text("HTTP/1.1")),
        ["headers"] => Some(encode_map(h)),
        ["headers", name] => h.get(name).map(text),
        _ => None,
    }
}

fn response(s: &HttpStream, rest: &[&str]) -> Option<Vec<u8>> {
    let code = s
        .client
        .status
        .or_else(|| s.resp.headers.get(":status").and_then(|v| v.parse().ok()));
    match rest {
        ["code"] => code.map(|c| int(i64::from(c))),
        ["code_details"] => match &s.client.local_reply {
            Some(reply) => Some(text(&reply.details)),
            None => code.map(|_| text("via_upstream")),
        },
        ["headers"] if s.resp.headers_received => Some(encode_map(&s.resp.headers)),
        ["headers", name] if s.resp.headers_received => s.resp.headers.get(name).map(text),
        ["trailers"] => s.resp.trailers.as_ref().map(encode_map),
        _ => None,
    }
}

fn address(_s: &HttpStream, field: &str, address: &str) -> Option<Vec<u8>> {
    match field {
        "address" => Some(text(address)),
        "port" => address.rsplit(':').next()?.parse().ok().map(int),
        _ => None,
    }
}

fn connection(s: &HttpStream, field: &str) -> Option<Vec<u8>> {
    match field {
        "mtls" => Some(vec![0]),
        "id" => Some(int(i64::from(s.ctx))),
        "requested_server_name" => Some(Vec::new()),
        _ => None,
    }
}
