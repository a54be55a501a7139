//! What a test sends and what it observes: responses it gives, the request
//! that crossed to the upstream, what the client received, call-outs.

use std::time::Duration;

use crate::headers::HeaderMap;

/// An HTTP response a test gives, as the upstream's answer or a call-out's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trailers: Vec<(String, String)>,
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            ..Response::default()
        }
    }

    /// A JSON response with `content-type` and `content-length`.
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response::new(status)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    /// Sets the body, and `content-length` unless a header already gives it.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        if !self.headers.iter().any(|(k, _)| k == "content-length") {
            self.headers
                .push(("content-length".into(), self.body.len().to_string()));
        }
        self
    }

    pub fn trailer(mut self, name: &str, value: &str) -> Response {
        self.trailers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    /// `:status` first, then the headers.
    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.add(":status", &self.status.to_string());
        for (k, v) in &self.headers {
            map.add(k, v);
        }
        map
    }
}

/// A `content-length` that disagrees with the body that went with it:
/// (declared, actual). Envoy sends such a header as it is, so the receiver
/// waits for bytes that never come or reads the rest as a new message.
fn length_mismatch(headers: &HeaderMap, body: &[u8], complete: bool) -> Option<(String, usize)> {
    let declared = headers.get("content-length")?;
    let matches = declared
        .trim()
        .parse::<usize>()
        .is_ok_and(|n| n == body.len());
    (complete && !matches).then(|| (declared.to_string(), body.len()))
}

/// The request as the upstream (the model provider) received it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upstream {
    pub headers: HeaderMap,
    /// Every body byte that crossed, in order.
    pub body: Vec<u8>,
    /// The body as it crossed, one entry per write.
    pub chunks: Vec<Vec<u8>>,
    pub trailers: Option<HeaderMap>,
    /// The request ended normally.
    pub complete: bool,
    /// The request was cut off (a local reply, a reset or a disconnect).
    pub reset: bool,
}

impl Upstream {
    pub fn method(&self) -> &str {
        self.headers.get(":method").unwrap_or("")
    }

    pub fn path(&self) -> &str {
        self.headers.get(":path").unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// `content-length` disagreeing with the body that crossed (declared,
    /// actual), once the request is complete.
    pub fn content_length_mismatch(&self) -> Option<(String, usize)> {
        length_mismatch(&self.headers, &self.body, self.complete)
    }
}

/// A response Envoy or the filter made up instead of asking the upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalReply {
    pub status: u16,
    /// Envoy's response code details, e.g. `wasm_fail_stream`.
    pub details: String,
    /// Sent by the filter (`proxy_send_local_response`), not by Envoy itself.
    pub by_filter: bool,
}

/// What the client received.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    pub status: Option<u16>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The body as it reached the client, one entry per write, so a test can
    /// see that streamed events were not merged.
    pub chunks: Vec<Vec<u8>>,
    pub trailers: Option<HeaderMap>,
    pub complete: bool,
    /// The stream was reset (the client saw a broken response).
    pub reset: bool,
    pub local_reply: Option<LocalReply>,
}

impl Client {
    /// The status, or 0 when nothing reached the client.
    pub fn status(&self) -> u16 {
        self.status.unwrap_or(0)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// `content-length` disagreeing with the body the client got (declared,
    /// actual), once the response is complete.
    pub fn content_length_mismatch(&self) -> Option<(String, usize)> {
        length_mismatch(&self.headers, &self.body, self.complete)
    }
}

/// A `proxy_http_call` waiting for the test to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callout {
    pub token: u32,
    /// The context that made the call (a stream, or the root context).
    pub context_id: u32,
    pub cluster: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub trailers: HeaderMap,
    /// None: no timeout (the module passed 0).
    pub timeout: Option<Duration>,
    /// Elapsed-clock deadline.
    pub(crate) deadline: Option<u64>,
}

/// How a test answers a call-out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalloutReply {
    Respond(Response),
    /// The connection failed: `on_http_call_response` with no headers or
    /// body, and `proxy_get_status` giving BrokenConnection.
    Fail,
    /// The timeout fired: Envoy answers 504 "upstream request timeout".
    Timeout,
}
