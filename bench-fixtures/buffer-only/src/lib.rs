//! The benchmark's baseline: a proxy-wasm filter that does what any body
//! inspecting filter must do and nothing more. It holds the request headers and
//! pauses on every body chunk until the end of the stream, so Envoy buffers the
//! whole body, then lets the request continue unchanged. Measured against it,
//! customs' cost is its own work, not the price of being a buffering wasm filter.

#[cfg(feature = "call-cost")]
mod call_cost;
#[cfg(feature = "host-calls")]
mod host_calls;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(BufferOnlyRoot) });
}}

struct BufferOnlyRoot;

impl Context for BufferOnlyRoot {}

impl RootContext for BufferOnlyRoot {
    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(BufferOnly))
    }
}

struct BufferOnly;

impl Context for BufferOnly {}

impl HttpContext for BufferOnly {
    // Like customs: nothing goes upstream before the whole body is here (this
    // needs `allow_on_headers_stop_iteration: true` in the filter config).
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        #[cfg(feature = "host-calls")]
        host_calls::request_headers();
        if end_of_stream {
            Action::Continue
        } else {
            Action::Pause
        }
    }

    fn on_http_request_body(&mut self, _body_size: usize, end_of_stream: bool) -> Action {
        if end_of_stream {
            #[cfg(feature = "host-calls")]
            host_calls::request(_body_size);
            #[cfg(feature = "call-cost")]
            call_cost::request(_body_size);
            Action::Continue
        } else {
            Action::Pause
        }
    }

    #[cfg(feature = "host-calls")]
    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        host_calls::answer_headers();
        Action::Continue
    }

    #[cfg(feature = "host-calls")]
    fn on_log(&mut self) {
        host_calls::log();
    }
}
