//! Counts the heap allocations of one exchange through the engine natively,
//! phase by phase: a request's allocations are a large part of its fixed cost
//! inside the `.wasm`.
//!
//!     cargo run --release -p customs-filter --example count_allocations -- BODY.json [POLICY.json]
//!
//! For the places they come from, run it under `valgrind --tool=dhat`.

use customs_filter::engine::{AnswerStream, Ctx, Engine, HeadStep, RequestHead};
use customs_filter::limits::store::MemoryStore;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting allocations and reallocations.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The far side's fixed answer in the Envoy benchmark (envoy/bench/far.yaml).
const ANSWER: &[u8] = br#"{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Noted. I will follow up by e-mail."},"finish_reason":"stop"}],"usage":{"prompt_tokens":512,"completion_tokens":9,"total_tokens":521,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#;

/// Allocations since the last call.
fn since_last() -> usize {
    ALLOCATIONS.swap(0, Relaxed)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(body) = args.next().and_then(|p| std::fs::read(p).ok()) else {
        eprintln!("usage: count_allocations BODY.json [POLICY.json]");
        std::process::exit(2);
    };
    let policy = args
        .next()
        .and_then(|p| std::fs::read(p).ok())
        .unwrap_or_default();
    let engine = match Engine::from_config(&policy) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("policy: {e}");
            std::process::exit(1);
        }
    };
    let store = MemoryStore::new();
    let length = body.len().to_string();
    let request_headers = [
        (":authority", "127.0.0.1:10000"),
        (":path", "/v1/chat/completions"),
        (":method", "POST"),
        (":scheme", "http"),
        ("content-length", length.as_str()),
        ("content-type", "application/json"),
        ("authorization", "Bearer sk-bench-client-key"),
        ("x-request-id", "5f1c3c47-8d0e-4a39-9f59-6c4a8f0d2b11"),
    ];
    let answer_headers: Vec<(String, String)> =
        [(":status", "200"), ("content-type", "application/json")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    // The second exchange is the one reported: the first fills lazily built state.
    for round in 0..2 {
        let headers = request_headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let head = RequestHead::new("POST", "/v1/chat/completions", headers);
        since_last();
        let ctx = Ctx {
            now_ms: 1,
            random: 7,
        };
        let HeadStep::AwaitBody(mut exchange) = engine.on_request_head(&head, true, ctx) else {
            eprintln!("the request was answered at its head");
            std::process::exit(1);
        };
        let mut phases = vec![("request head", since_last())];
        let verdict = engine.on_request_body(&head, &mut exchange, &body, ctx, &store);
        phases.push(("request body", since_last()));
        drop(verdict);
        let plan = engine.on_answer_head(&mut exchange, 200, &answer_headers, &store, 2);
        phases.push(("answer head", since_last()));
        drop(plan);
        let edited = engine.on_answer_body(&mut exchange, ANSWER);
        phases.push(("answer body", since_last()));
        drop(edited);
        let out = engine.finish(&mut exchange, &AnswerStream::default(), &store, 3);
        let line = engine.audit_record(&exchange, 3).to_line();
        let counters = engine.counters(&exchange, out);
        phases.push(("log", since_last()));
        drop((line, counters, exchange));
        if round == 1 {
            for (phase, n) in &phases {
                println!("{phase:>13}: {n:4} allocations");
            }
            println!(
                "{:>13}: {:4}",
                "exchange",
                phases.iter().map(|(_, n)| n).sum::<usize>()
            );
        }
    }
}
