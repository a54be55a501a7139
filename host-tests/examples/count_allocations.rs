//! Counts the heap allocations of one exchange through the engine natively,
//! phase by phase: a request's allocations are a large part of its fixed cost
//! inside the `.wasm`.
//!
//!     cargo run --release -p customs-host --example count_allocations -- BODY.json [POLICY.json]
//!
//! For the places they come from, run it under `valgrind --tool=dhat`.

use customs_filter::engine::{AnswerStream, Ctx, Engine, HeadStep, RequestHead};
use customs_filter::limits::store::MemoryStore;
use customs_host::bench::{request_headers, ANSWER};
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
    let sent = request_headers(&length);
    let answer_headers: Vec<(String, String)> =
        [(":status", "200"), ("content-type", "application/json")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    // The second exchange is the one reported: the first fills lazily built state.
    for round in 0..2 {
        let headers = sent
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
        let edited = engine.on_answer_body(&mut exchange, ANSWER.as_bytes());
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
