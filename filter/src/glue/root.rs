//! The root context: loads the policy and makes one HTTP context per stream.

use super::host;
use super::http::Stream;
use super::metrics::Metrics;
use crate::engine::Engine;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{ContextType, LogLevel};
use std::rc::Rc;

#[derive(Default)]
pub struct Root {
    engine: Option<Rc<Engine>>,
    metrics: Rc<Metrics>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_vm_start(&mut self, _vm_configuration_size: usize) -> bool {
        true
    }

    /// Parses and validates the whole policy; on any error logs one line naming the
    /// field and returns false, so the host refuses the configuration.
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let config = match host::plugin_configuration() {
            Ok(c) => c,
            Err(e) => {
                host::log(LogLevel::Critical, &format!("customs: {e}"));
                return false;
            }
        };
        match Engine::from_config(&config) {
            Ok(engine) => {
                let p = engine.policy();
                host::log(
                    LogLevel::Info,
                    &format!("customs: policy {}@{} loaded", p.policy_id, p.version),
                );
                self.engine = Some(Rc::new(engine));
                true
            }
            Err(e) => {
                host::log(LogLevel::Critical, &format!("customs: {e}"));
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream::new(
            self.engine.clone(),
            self.metrics.clone(),
        )))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
