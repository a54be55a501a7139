//! Metrics through proxy-wasm (Envoy shows them under `wasmcustom.` in `/stats`
//! and `/stats/prometheus`). Names are built from bounded sets only: decisions,
//! shapes, categories the policy knows, reasons, and tenants the policy names
//! (others fold into `other`), so a client cannot grow the metric set.
//!
//! Counters are summed in the VM and handed to the host once a second, on the
//! root context's tick (and when the VM stops): a request moves eight or so
//! counters, and each host call costs more in Envoy than the addition. Metrics
//! lag by up to a second; the filter-time histogram is recorded per request.

use super::host;
use proxy_wasm::hostcalls;
use proxy_wasm::types::{LogLevel, MetricType};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Duration;

/// How often counters are handed to the host.
pub const FLUSH_PERIOD: Duration = Duration::from_secs(1);

/// Metric ids defined so far in this VM, by name (an ordered map: a lookup
/// compares a few short names, cheaper than hashing one inside the `.wasm`),
/// and the counter increments not yet handed to the host, by id.
#[derive(Default)]
pub struct Metrics {
    ids: RefCell<BTreeMap<String, u32>>,
    pending: RefCell<BTreeMap<u32, u64>>,
    /// Whether a tick flushes `pending`; until one is set up, counters go to
    /// the host at once.
    batched: Cell<bool>,
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

    /// Adds `by` to a counter; the host sees it at the next [`Metrics::flush`].
    pub fn count(&self, name: &str, by: u64) {
        if by == 0 {
            return;
        }
        let Some(id) = self.id(MetricType::Counter, name) else {
            return;
        };
        if !self.batched.get() {
            return increment(id, by);
        }
        let mut pending = self.pending.borrow_mut();
        let sum = pending.entry(id).or_insert(0);
        *sum = sum.saturating_add(by);
    }

    /// From now on counters wait for [`Metrics::flush`]: call it once the host
    /// ticks every [`FLUSH_PERIOD`].
    pub fn batch(&self) {
        self.batched.set(true);
    }

    /// Hands the summed counters to the host, one call per counter that moved.
    pub fn flush(&self) {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        for (id, by) in pending {
            increment(id, by);
        }
    }

    pub fn record(&self, name: &str, value: u64) {
        if let Some(id) = self.id(MetricType::Histogram, name) {
            let _ = hostcalls::record_metric(id, value);
        }
    }
}

fn increment(id: u32, by: u64) {
    // A lost increment loses a count, never data: carry on.
    let _ = hostcalls::increment_metric(id, i64::try_from(by).unwrap_or(i64::MAX));
}
