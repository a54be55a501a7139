//! The state of one HTTP stream as Envoy's wasm filter context keeps it:
//! which maps and buffers the module can reach at each moment, what it holds
//! back, and what has crossed in each direction.

use std::collections::BTreeMap;

use crate::abi::MapType;
use crate::headers::HeaderMap;
use crate::records::{Client, Upstream};
use crate::worker::Trap;

/// One direction of a stream (request: client to upstream; response:
/// upstream to client).
#[derive(Clone, Debug, Default)]
pub(crate) struct Direction {
    /// The live header map the module edits.
    pub(crate) headers: HeaderMap,
    pub(crate) headers_received: bool,
    /// Envoy still holds a pointer to the headers (it drops it once the
    /// headers callback returns Continue, or on `proxy_continue_stream`).
    pub(crate) headers_visible: bool,
    pub(crate) headers_sent: bool,
    /// Headers stopped without `allow_on_headers_stop_iteration`: Envoy
    /// buffers the body without showing it to the filter.
    pub(crate) stop_all: bool,
    /// Body bytes the filter holds (what it buffered, plus the chunk in flight).
    pub(crate) body: Vec<u8>,
    pub(crate) buffering: bool,
    pub(crate) in_body_callback: bool,
    /// Body Envoy held back from the filter while headers were stopped-all.
    pub(crate) undelivered: Vec<u8>,
    pub(crate) end_received: bool,
    pub(crate) end_sent: bool,
    pub(crate) trailers: Option<HeaderMap>,
    pub(crate) trailers_visible: bool,
}

impl Direction {
    pub(crate) fn body_visible(&self) -> bool {
        self.in_body_callback || self.buffering
    }

    /// The trailers map, created on demand in the last body callback (Envoy's
    /// `addDecodedTrailers`), so a filter can add trailers there.
    fn trailers_mut(&mut self) -> Option<&mut HeaderMap> {
        if self.trailers.is_none() && self.in_body_callback && self.end_received {
            self.trailers = Some(HeaderMap::new());
            self.trailers_visible = true;
        }
        if self.trailers_visible {
            self.trailers.as_mut()
        } else {
            None
        }
    }
}

/// Where the response the client is getting comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Upstream,
    /// A local reply travelling through the filter's response callbacks.
    LocalReply,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct HttpStream {
    pub(crate) ctx: u32,
    /// `proxy_on_context_create` ran for it.
    pub(crate) created: bool,
    /// The filter is out of the chain (fail-open after a trap).
    pub(crate) bypass: bool,
    pub(crate) req: Direction,
    pub(crate) resp: Direction,
    pub(crate) upstream: Option<Upstream>,
    pub(crate) client: Client,
    pub(crate) source: Option<Source>,
    /// Envoy's `failure_local_reply_sent_`: the filter sees nothing more.
    pub(crate) failure_reply_sent: bool,
    /// A local reply ended the stream's request side.
    pub(crate) local_reply_sent: bool,
    pub(crate) access_log_phase: bool,
    /// on_log / on_done / on_delete ran (or were skipped on a dead VM).
    pub(crate) finished: bool,
    pub(crate) trap: Option<Trap>,
    /// Properties the test set for this stream, by NUL-joined path.
    pub(crate) properties: BTreeMap<String, Vec<u8>>,
    /// What the module stored with `proxy_set_property`, by NUL-joined path.
    pub(crate) filter_state: BTreeMap<String, Vec<u8>>,
}

impl HttpStream {
    pub(crate) fn new(ctx: u32) -> HttpStream {
        HttpStream {
            ctx,
            ..HttpStream::default()
        }
    }

    /// Maps as Envoy's `getConstMap` sees them (reads).
    pub(crate) fn map(&self, kind: MapType) -> Option<&HeaderMap> {
        match kind {
            MapType::RequestHeaders if self.access_log_phase => Some(&self.req.headers),
            MapType::RequestHeaders => self.req.headers_visible.then_some(&self.req.headers),
            MapType::RequestTrailers if self.access_log_phase => None,
            MapType::RequestTrailers => self
                .req
                .trailers
                .as_ref()
                .filter(|_| self.req.trailers_visible),
            MapType::ResponseHeaders if self.access_log_phase => {
                self.resp.headers_received.then_some(&self.resp.headers)
            }
            MapType::ResponseHeaders => self.resp.headers_visible.then_some(&self.resp.headers),
            MapType::ResponseTrailers if self.access_log_phase => self.resp.trailers.as_ref(),
            MapType::ResponseTrailers => self
                .resp
                .trailers
                .as_ref()
                .filter(|_| self.resp.trailers_visible),
            _ => None,
        }
    }

    /// Maps as Envoy's `getMap` sees them (writes).
    pub(crate) fn map_mut(&mut self, kind: MapType) -> Option<&mut HeaderMap> {
        match kind {
            MapType::RequestHeaders => self.req.headers_visible.then_some(&mut self.req.headers),
            MapType::RequestTrailers => self.req.trailers_mut(),
            MapType::ResponseHeaders => self.resp.headers_visible.then_some(&mut self.resp.headers),
            MapType::ResponseTrailers => self.resp.trailers_mut(),
            _ => None,
        }
    }

    /// Whether the request has ended for the client (answered or cut off).
    pub(crate) fn client_done(&self) -> bool {
        self.client.complete || self.client.reset
    }
}
