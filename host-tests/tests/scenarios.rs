//! Every scenario of `scenarios/*.json` through the harness, with the
//! release `.wasm` (built if stale). One test that names every failing
//! scenario; `CUSTOMS_SCENARIO=text` runs only those whose name contains it.
//!
//! As in the Envoy run, scenarios with the same policy share one host (one
//! Envoy), in file order, so state such as budgets carries from one to the next.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use customs_host::scenario::{self, check};
use customs_host::{run_scenario_in, wasm_path, Host, LogLevel};
use std::collections::HashMap;

#[test]
fn every_scenario_passes_in_the_harness() {
    let wasm = wasm_path();
    let files = scenario::load_all(&scenario::scenarios_dir()).expect("loading the scenario files");
    let only = std::env::var("CUSTOMS_SCENARIO").unwrap_or_default();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut hosts: HashMap<String, Host> = HashMap::new();
    for file in &files {
        for s in file.scenarios.iter().filter(|s| s.name.contains(&only)) {
            ran += 1;
            let key = s
                .policy_json(file)
                .map_or_else(|| "(none)".to_string(), |p| p.to_string());
            let host = hosts.entry(key).or_insert_with(|| {
                let host = Host::new();
                host.echo_logs(false);
                host
            });
            let problem = match run_scenario_in(host, &wasm, file, s) {
                Ok(outcome) => check(s, &outcome).err(),
                Err(e) => Some(format!("{e:#}")),
            };
            if let Some(problem) = problem {
                let logs = host.log_messages(LogLevel::Warn);
                let mut text = format!("{}:\n  {}", s.name, problem.replace('\n', "\n  "));
                if !logs.is_empty() {
                    text += &format!("\n  filter log (warn and up):\n    {}", logs.join("\n    "));
                }
                failures.push(text);
            }
        }
    }
    assert!(ran > 0, "no scenario matched {only:?}");
    assert!(
        failures.is_empty(),
        "{} of {ran} scenarios failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
