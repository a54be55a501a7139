//! `customs bench-detect --only hostile`: whether the cost of a request through
//! the `.wasm` grows linearly with its size whatever the body holds, from 1 KiB
//! to 1 MiB, including the bodies built to make a scanner or a parser work
//! hardest. A measurement, not a test.
//!
//! Each row shows the time per request at each size and the cost per KiB. A
//! request has a fixed part (callbacks, headers, tags, the audit record) that
//! dominates at 1 KiB, so the flatness that matters is the last column: the
//! cost per KiB at 1 MiB against that at 32 KiB. Anything superlinear (a
//! quadratic scan, a re-parse per finding) shows there as a ratio well above 1.

use std::hint::black_box;
use std::time::Duration;

use anyhow::{bail, Context as _};
use customs_host::bench::hostile::{self, bodies};
use customs_host::bench::send_chat;
use customs_host::bench::texts::KIB;
use customs_host::Host;

use super::bench_detect::{format_duration, time};
use super::plugin;

/// The sizes timed: 1 KiB, 32 KiB and 1 MiB.
const SIZES: [usize; 3] = [KIB, 32 * KIB, 1024 * KIB];

pub fn run(budget: Duration, wasm: Option<&str>) -> anyhow::Result<()> {
    let host = Host::new();
    host.echo_logs(false);
    let policy = hostile::policy();
    let worker = host
        .plugin(plugin(wasm, None)?.config(policy))
        .start_vm()
        .context("starting the filter")?;
    println!("\n## Cost per byte on hostile bodies, through the `.wasm` (wasmtime)\n");
    println!("Time per request (µs per KiB of body in brackets). Default detectors,");
    println!("body limit raised to 4 MiB. Last column: µs per KiB at 1 MiB over µs per");
    println!("KiB at 32 KiB; 1.0 is linear, the issue allows up to 2.\n");
    println!("| body | 1 KiB | 32 KiB | 1 MiB | 1 MiB / 32 KiB per byte |");
    println!("|---|---:|---:|---:|---:|");
    for (name, make) in bodies() {
        let mut per_kib = Vec::new();
        let mut cells = Vec::new();
        for size in SIZES {
            let body = make(size.saturating_sub(60)).to_string().into_bytes();
            if !send_chat(&worker, &body) {
                bail!("the {name} request of {} bytes did not cross", body.len());
            }
            let per_run = time(budget, || {
                black_box(send_chat(&worker, &body));
            });
            let us_per_kib = per_run.as_secs_f64() * 1e6 / (body.len() as f64 / KIB as f64);
            per_kib.push(us_per_kib);
            cells.push(format!("{} ({us_per_kib:.1})", format_duration(per_run)));
        }
        let growth = match per_kib.as_slice() {
            [_, mid, big] if *mid > 0.0 => format!("{:.2}", big / mid),
            _ => "–".to_string(),
        };
        println!("| {name} | {} | {growth} |", cells.join(" | "));
    }
    Ok(())
}
