//! `customs bench-detect`: how fast detection runs, natively (`Scanner::scan`
//! on texts of 1 KiB to 1 MiB) and inside the `.wasm` under the harness (whole
//! chat requests of 2, 32 and 256 KiB), printed as Markdown tables. A
//! measurement, not a test: run it on a release build
//! (`cargo run --release -p customs-host --bin customs -- bench-detect`).
//!
//! Cost must stay linear in the size of the text whatever it holds, so besides
//! prose the texts include the worst cases for the scanner: nothing but
//! digits, digit groups, `@` signs, and text dense with findings.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use customs_filter::detect::{Scanner, ScannerConfig, BUILTIN_CATEGORIES};
use customs_filter::engine::{Ctx, Engine, HeadStep, RequestHead};
use customs_filter::limits::store::MemoryStore;
use customs_host::bench::send_chat;
use customs_host::bench::texts::{
    dense_findings, prose, prose_with_findings, sized, CHINESE, ENGLISH, KIB, MIXED,
};
use customs_host::{Host, Worker};
use serde_json::json;

use super::{plugin, Args};

/// The texts timed natively: name and a unit repeated to size.
fn native_texts() -> Vec<(&'static str, String)> {
    vec![
        ("English prose", prose(ENGLISH)),
        ("Chinese prose", prose(CHINESE)),
        ("mixed prose", prose(MIXED)),
        ("all digits", "8264019375".to_string()),
        ("digit groups", "4821 9035 7716 2248 0593 ".to_string()),
        ("all `@`", "@".to_string()),
        ("dense findings", dense_findings()),
    ]
}

/// Runs `f` until `budget` has passed (at least 3 times); the mean time per run.
pub(super) fn time(budget: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    let mut runs = 0u32;
    while runs < 3 || start.elapsed() < budget {
        f();
        runs += 1;
    }
    start.elapsed() / runs
}

/// [`time`] in five slices of `budget`, the fastest slice's time per run:
/// a slice slowed by something else on the machine (another process, the
/// kernel handing the harness fresh pages) does not count.
fn best_time(budget: Duration, mut f: impl FnMut()) -> Duration {
    (0..5)
        .map(|_| time(budget / 5, &mut f))
        .min()
        .unwrap_or_default()
}

fn mb_per_s(bytes: usize, per_run: Duration) -> f64 {
    bytes as f64 / per_run.as_secs_f64() / 1e6
}

fn machine() -> String {
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, load average {load}")
}

pub fn main(args: &[String]) -> anyhow::Result<ExitCode> {
    let args = Args::parse(
        args,
        &[
            ("--wasm", "a file"),
            ("--budget-ms", "milliseconds per measurement"),
            ("--only", "native, engine, wasm or hostile"),
            ("--sizes", "request body sizes in KiB, comma separated"),
            (
                "--rows",
                "only the .wasm rows whose name holds this text (for a profiler)",
            ),
        ],
    )?;
    args.no_positional()?;
    let budget = match args.one("--budget-ms")? {
        None => Duration::from_millis(300),
        Some(ms) => Duration::from_millis(
            ms.parse()
                .with_context(|| format!("--budget-ms {ms:?} is not a number"))?,
        ),
    };
    if cfg!(debug_assertions) {
        eprintln!("customs: a debug build; measure with --release for figures worth quoting");
    }
    println!("# Detection benchmark\n");
    println!("machine at start: {}\n", machine());
    let only = args.one("--only")?;
    if let Some(section) = only.filter(|s| !["native", "engine", "wasm", "hostile"].contains(s)) {
        bail!("--only {section:?}: expected native, engine, wasm or hostile");
    }
    let sizes: Vec<usize> = match args.one("--sizes")? {
        None => BODY_SIZES.to_vec(),
        Some(list) => list
            .split(',')
            .map(|k| match k.trim().parse::<usize>() {
                Ok(k) if k > 0 => Ok(k * KIB),
                _ => Err(anyhow::anyhow!(
                    "--sizes {list:?}: {k:?} is not a size in KiB"
                )),
            })
            .collect::<anyhow::Result<_>>()?,
    };
    let run = |section: &str| only.is_none_or(|o| o == section);
    if run("native") {
        native(budget)?;
    }
    if run("engine") {
        native_engine(budget, &sizes)?;
    }
    if run("wasm") {
        in_wasm(budget, &sizes, args.one("--wasm")?, args.one("--rows")?)?;
    }
    if run("hostile") {
        super::bench_hostile::run(budget, args.one("--wasm")?)?;
    }
    println!("\nmachine at end: {}", machine());
    Ok(ExitCode::SUCCESS)
}

/// `Scanner::scan` with the default detectors, MB/s per text and size.
fn native(budget: Duration) -> anyhow::Result<()> {
    let scanner = Scanner::new(&ScannerConfig::default())
        .map_err(|e| anyhow::anyhow!("building the scanner: {e}"))?;
    let sizes = [KIB, 16 * KIB, 256 * KIB, 1024 * KIB];
    println!("## Native `Scanner::scan`, MB/s (findings per MiB in brackets)\n");
    println!("| text | 1 KiB | 16 KiB | 256 KiB | 1 MiB |");
    println!("|---|---:|---:|---:|---:|");
    let mut findings = Vec::new();
    for (name, unit) in native_texts() {
        let mut cells = Vec::new();
        let mut per_mib = 0;
        for &size in &sizes {
            let text = sized(&unit, size);
            let per_run = time(budget, || {
                findings.clear();
                scanner.scan(black_box(&text), &mut findings);
                black_box(&findings);
            });
            per_mib = findings.len() * (1024 * KIB) / text.len().max(1);
            cells.push(format!("{:.0}", mb_per_s(text.len(), per_run)));
        }
        println!("| {name} ({per_mib}) | {} |", cells.join(" | "));
    }
    Ok(())
}

/// The request bodies timed whole: name, and the text of a body of about
/// that many bytes.
type Bodies = [(&'static str, fn(usize) -> String); 4];

const BODIES: Bodies = [
    ("English, 5 findings", |n| {
        prose_with_findings(&prose(ENGLISH), n)
    }),
    ("Chinese, 5 findings", |n| {
        prose_with_findings(&prose(CHINESE), n)
    }),
    ("all digits", |n| sized("8264019375", n)),
    ("dense findings", |n| sized(&dense_findings(), n)),
];

/// The sizes of the request bodies timed whole.
const BODY_SIZES: [usize; 3] = [2 * KIB, 32 * KIB, 256 * KIB];

/// A chat body of about `size` bytes whose user message is made by `make`.
fn body_of_size(make: fn(usize) -> String, size: usize) -> Vec<u8> {
    chat_body(&make(size.saturating_sub(150)))
}

/// Whole requests through customs' engine natively (head, then body: parse,
/// detect, redact, tag), without proxy-wasm, wasm or the harness.
fn native_engine(budget: Duration, sizes: &[usize]) -> anyhow::Result<()> {
    let engine =
        Engine::from_config(b"").map_err(|e| anyhow::anyhow!("the default policy: {e}"))?;
    let ctx = Ctx {
        now_ms: 1,
        random: 7,
    };
    let store = MemoryStore::new();
    println!("\n## Whole chat requests through the engine, natively (default policy)\n");
    println!("| body |{}", header_cells(sizes));
    println!("|---|{}", "---:|".repeat(sizes.len()));
    for (name, make) in BODIES {
        let mut cells = Vec::new();
        for &size in sizes {
            let body = body_of_size(make, size);
            let head = RequestHead::new(
                "POST",
                "/v1/chat/completions",
                vec![
                    ("content-type".into(), "application/json".into()),
                    ("content-length".into(), body.len().to_string()),
                ],
            );
            let per_run = time(budget, || {
                if let HeadStep::AwaitBody(mut exchange) = engine.on_request_head(&head, true, ctx)
                {
                    black_box(engine.on_request_body(&head, &mut exchange, &body, ctx, &store));
                }
            });
            cells.push(format!(
                "{} ({:.0})",
                format_duration(per_run),
                mb_per_s(body.len(), per_run)
            ));
        }
        println!("| {name} | {} |", cells.join(" | "));
    }
    Ok(())
}

/// A chat request whose user message is `text`.
fn chat_body(text: &str) -> Vec<u8> {
    json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are a support assistant."},
            {"role": "user", "content": text}
        ]
    })
    .to_string()
    .into_bytes()
}

/// Whole requests through the filter's `.wasm` under the harness, with the
/// default policy and, to show what detection itself costs, with every
/// detector switched off.
fn in_wasm(
    budget: Duration,
    sizes: &[usize],
    wasm: Option<&str>,
    rows_named: Option<&str>,
) -> anyhow::Result<()> {
    let host = Host::new();
    host.echo_logs(false);
    let start = |config: Option<serde_json::Value>| -> anyhow::Result<Worker> {
        let mut p = plugin(wasm, None)?;
        if let Some(config) = config {
            p = p.config(config);
        }
        host.plugin(p).start_vm().context("starting the filter")
    };
    let all: Vec<&str> = BUILTIN_CATEGORIES.iter().map(|c| c.name()).collect();
    let detecting = start(None)?;
    let blind = start(Some(json!({"detect": {"disabled": all}})))?;
    println!("\n## Whole chat requests through the `.wasm` (wasmtime)\n");
    println!("Time per request from the request headers to the end of the stream (the");
    println!("fastest of five slices of the time budget),");
    println!("including the harness's own copying; MB/s of request body in brackets.");
    println!("Default policy, except the rows with every detector switched off.\n");
    let (first, last) = (
        sizes.first().copied().unwrap_or_default() / KIB,
        sizes.last().copied().unwrap_or_default() / KIB,
    );
    println!(
        "| body |{} µs per KiB, {first} KiB → {last} KiB |",
        header_cells(sizes)
    );
    println!("|---|{}---:|", "---:|".repeat(sizes.len()));
    let [english, chinese, digits, dense] = BODIES;
    // The same mixed English and Chinese prose with nothing to find, with and
    // without detectors: the difference is detection alone (scanning and
    // normalising, no redaction and no re-serialised body).
    let mixed: fn(usize) -> String = |n| sized(&prose(MIXED), n);
    let rows = [
        ("Mixed English and Chinese, no findings", &detecting, mixed),
        ("Mixed, detectors off", &blind, mixed),
        (english.0, &detecting, english.1),
        ("English, detectors off", &blind, english.1),
        (chinese.0, &detecting, chinese.1),
        ("Chinese, detectors off", &blind, chinese.1),
        (digits.0, &detecting, digits.1),
        (dense.0, &detecting, dense.1),
    ];
    // Time per request at the largest size, for the detection share below.
    let mut largest = Vec::new();
    let wanted = |name: &str| rows_named.is_none_or(|part| name.contains(part));
    for (name, worker, make) in rows.into_iter().filter(|(name, _, _)| wanted(name)) {
        let mut cells = Vec::new();
        let mut per_kib = Vec::new();
        for &size in sizes {
            let body = body_of_size(make, size);
            if !send_chat(worker, &body) {
                bail!("the {name} request of {size} bytes did not cross");
            }
            let per_run = best_time(budget, || {
                black_box(send_chat(worker, &body));
            });
            per_kib.push(per_run.as_secs_f64() * 1e6 / (body.len() as f64 / KIB as f64));
            cells.push(format!(
                "{} ({:.0})",
                format_duration(per_run),
                mb_per_s(body.len(), per_run)
            ));
            if Some(&size) == sizes.last() {
                largest.push((name, body.len(), per_run));
            }
        }
        println!(
            "| {name} | {} | {:.1} → {:.1} |",
            cells.join(" | "),
            per_kib.first().copied().unwrap_or_default(),
            per_kib.last().copied().unwrap_or_default()
        );
    }
    println!();
    // The shares below pair each row with its detectors-off twin.
    let pairs = if rows_named.is_none() { 3 } else { 0 };
    for pair in largest.chunks(2).take(pairs) {
        if let [(name, len, on), (_, _, off)] = pair {
            let language = name.split(',').next().unwrap_or(name);
            let detection = on.saturating_sub(*off);
            // Below a twentieth of the request the difference is noise.
            if detection * 20 < *on {
                println!(
                    "- {language}, {last} KiB: {} with detection, {} without: the difference is within the noise",
                    format_duration(*on),
                    format_duration(*off)
                );
            } else {
                println!(
                    "- {language}, {last} KiB: detection takes {} of {}: {:.0} MB/s inside the `.wasm`",
                    format_duration(detection),
                    format_duration(*on),
                    mb_per_s(*len, detection)
                );
            }
        }
    }
    Ok(())
}

/// ` 2 KiB | 32 KiB |` for the table headers.
fn header_cells(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(|s| format!(" {} KiB |", s / KIB))
        .collect()
}

pub(super) fn format_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}
