//! Runs whole exchanges (request headers and body, the answer, the log
//! callback) through a `.wasm` under the harness, as the Envoy load benchmark
//! sends them, and prints the time per exchange: a loop for a profiler.
//!
//!     cargo run --release -p customs-host --example profile_exchange -- \
//!         WASM BODY.json [POLICY.json] [SECONDS]
//!
//! With `CUSTOMS_WASM_PERFMAP=1`, `perf record` names the `.wasm`'s functions.

use std::time::{Duration, Instant};

use customs_host::bench::{request_headers, ANSWER};
use customs_host::{Host, Plugin, Response};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [wasm, body, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: profile_exchange WASM BODY.json [POLICY.json] [SECONDS]");
    };
    let body = std::fs::read(body)?;
    let mut plugin = Plugin::from_file(wasm)?;
    if let Some(policy) = rest.first().filter(|p| !p.is_empty() && *p != "-") {
        plugin = plugin.config(std::fs::read(policy)?);
    }
    let seconds: f64 = rest.get(1).map_or(Ok(5.0), |s| s.parse())?;
    let host = Host::new();
    host.echo_logs(false);
    let worker = host.plugin(plugin).start_vm()?;
    let length = body.len().to_string();
    let headers = request_headers(&length);
    let answer = Response::new(200)
        .header("content-type", "application/json")
        .body(ANSWER);
    let exchange = || {
        let mut stream = worker.stream();
        stream.request_headers(&headers, false);
        stream.request_body(&body, true);
        let crossed = stream.upstream().is_some_and(|u| u.complete);
        stream.respond(&answer);
        stream.finish();
        crossed
    };
    anyhow::ensure!(exchange(), "the request did not cross");
    // CUSTOMS_EVICT_MB=N writes N MiB between exchanges (untimed), as Envoy's
    // own work between two requests would: the time then includes what the
    // filter's code and data cost when they are no longer in the caches.
    let evict_mb: usize = std::env::var("CUSTOMS_EVICT_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut scratch = vec![0u8; evict_mb << 20];
    let (start, mut runs, mut timed) = (Instant::now(), 0u32, Duration::ZERO);
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        for (i, byte) in scratch.iter_mut().enumerate().step_by(64) {
            *byte = byte.wrapping_add(i as u8);
        }
        std::hint::black_box(&scratch);
        let one = Instant::now();
        exchange();
        timed += one.elapsed();
        runs += 1;
    }
    let per = timed / runs.max(1);
    println!("{runs} exchanges, {per:?} each");
    Ok(())
}
