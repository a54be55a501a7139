//! Metrics through proxy-wasm (Envoy shows them under `wasmcustom.` in `/stats`
//! and `/stats/prometheus`). Names are built from bounded sets only: decisions,
//! shapes, categories the policy knows, reasons, and tenants the policy names
//! (others fold into `other`), so a client cannot grow the metric set.

use super::host;
use proxy_wasm::hostcalls;
use proxy_wasm::types::{LogLevel, MetricType};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Metric ids defined so far in this VM, by name (an ordered map: a lookup
/// compares a few short names, cheaper than hashing one inside the `.wasm`).
#[derive(Default)]
pub struct Metrics {
    ids: RefCell<BTreeMap<String, u32>>,
}

impl Metrics {
    fn id(&self, kind: MetricType, name: &str) -> Option<u32> {
        if let Some(id) = self.ids.borrow().get(name) {
            return Some(*id);
        }
        match hostcalls::define_metric(kind, name) {
            Ok(id) => {
                self.ids.borrow_mut().insert(name.to_string(), id);
                Some(id)
            }
            Err(status) => {
                host::log(
                    LogLevel::Warn,
                    &format!("customs: defining metric `{name}` failed: {status:?}"),
                );
                None
            }
        }
    }

    pub fn count(&self, name: &str, by: u64) {
        if by == 0 {
            return;
        }
        if let Some(id) = self.id(MetricType::Counter, name) {
            let _ = hostcalls::increment_metric(id, i64::try_from(by).unwrap_or(i64::MAX));
        }
    }

    pub fn record(&self, name: &str, value: u64) {
        if let Some(id) = self.id(MetricType::Histogram, name) {
            let _ = hostcalls::record_metric(id, value);
        }
    }
}
