//! The root context: loads the policy and makes one HTTP context per stream.

use super::host;
use super::http::Stream;
use super::metrics::{Metrics, FLUSH_PERIOD};
use crate::engine::Engine;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{ContextType, LogLevel};
use std::cell::Cell;
use std::rc::Rc;

pub struct Root {
    engine: Option<Rc<Engine>>,
    metrics: Rc<Metrics>,
    /// Whether the host writes info lines, so that streams hand it the audit
    /// line only when it will be written (read at configure time and on every
    /// tick; Envoy's log level can change at run time).
    audit_to_log: Rc<Cell<bool>>,
}

impl Default for Root {
    fn default() -> Root {
        Root {
            engine: None,
            metrics: Rc::default(),
            audit_to_log: Rc::new(Cell::new(true)),
        }
    }
}

impl Context for Root {
    /// The VM is stopping: counters not yet handed over would be lost.
    fn on_done(&mut self) -> bool {
        self.metrics.flush();
        true
    }
}

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
                self.audit_to_log.set(host::logs_at(LogLevel::Info));
                if host::set_tick_period(FLUSH_PERIOD) {
                    self.metrics.batch();
                }
                true
            }
            Err(e) => {
                host::log(LogLevel::Critical, &format!("customs: {e}"));
                false
            }
        }
    }

    fn on_tick(&mut self) {
        self.metrics.flush();
        self.audit_to_log.set(host::logs_at(LogLevel::Info));
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream::new(
            self.engine.clone(),
            self.metrics.clone(),
            self.audit_to_log.clone(),
        )))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
