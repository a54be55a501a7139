//! Loops whole chat requests through the engine natively, for a profiler:
//! `cargo run --release --example profile_engine -- 262144 2000 [POLICY [TEXT]]`, under
//! `perf record` or `valgrind --tool=callgrind`.

use customs_filter::engine::{Ctx, Engine, HeadStep, RequestHead};
use customs_filter::limits::store::MemoryStore;
use std::hint::black_box;

const ENGLISH: &str = include_str!("../../corpus/estimator/en.txt");

fn main() {
    let mut args = std::env::args().skip(1);
    let size: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2048);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let policy = args
        .next()
        .map(|p| std::fs::read(p).unwrap_or_default())
        .unwrap_or_default();
    let text_file = args
        .next()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default());
    let prose: String = text_file
        .as_deref()
        .unwrap_or(ENGLISH)
        .lines()
        .filter(|l| l.trim() != "%%")
        .collect::<Vec<_>>()
        .join("\n");
    let mut text = prose.repeat(size / prose.len() + 1);
    let mut cut = size.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(" alice@example.com 13812345678 4111 1111 1111 1111 10.20.30.40 ");
    let body = serde_json::json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are a support assistant."},
            {"role": "user", "content": text}
        ]
    })
    .to_string()
    .into_bytes();
    let engine = match Engine::from_config(&policy) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("policy: {e}");
            return;
        }
    };
    let head = RequestHead::new(
        "POST",
        "/v1/chat/completions",
        vec![
            ("content-type".into(), "application/json".into()),
            ("content-length".into(), body.len().to_string()),
        ],
    );
    let store = MemoryStore::new();
    let start = std::time::Instant::now();
    for i in 0..runs {
        let ctx = Ctx {
            now_ms: 1,
            random: i as u64,
        };
        if let HeadStep::AwaitBody(mut exchange) = engine.on_request_head(&head, true, ctx) {
            black_box(engine.on_request_body(&head, &mut exchange, &body, ctx, &store));
        }
    }
    let per = start.elapsed() / runs as u32;
    eprintln!(
        "{} bytes: {:?} per request, {:.0} MB/s",
        body.len(),
        per,
        body.len() as f64 / per.as_secs_f64() / 1e6
    );
}
