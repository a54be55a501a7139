//! Traps and the failure policies, fuel, load errors, and Envoy's own
//! limits and stream endings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use customs_host::{
    FailClosed, FailOpen, FailReload, FailurePolicy, Host, LoadError, Plugin, Response,
};

const PANIC_MESSAGE: &str = "panicked at src/glue/http.rs:10:5:\nboom";

/// Headers pause; a body of exactly 4 bytes panics (after logging the panic
/// at critical level, as the SDK does); other bodies continue.
fn panics_on_four_bytes() -> String {
    format!(
        r#"
  (data (i32.const 0x9200) "panicked at src/glue/http.rs:10:5:\nboom")
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (if (i32.eq (local.get $size) (i32.const 4))
      (then
        (drop (call $proxy_log (i32.const 5) (i32.const 0x9200) (i32.const {})))
        unreachable))
    (i32.const 0))
"#,
        PANIC_MESSAGE.len()
    )
}

fn worker_with(policy: FailurePolicy) -> customs_host::Worker {
    let plugin = Plugin::from_wat(&wat(&panics_on_four_bytes()))
        .unwrap()
        .failure_policy(policy);
    Host::new().plugin(plugin).start_vm().unwrap()
}

fn send(worker: &customs_host::Worker, body: &[u8]) -> customs_host::Stream {
    let mut s = worker.stream();
    s.request_headers(
        &[(":method", "POST"), (":path", "/v1/chat/completions")],
        false,
    );
    s.request_body(body, true);
    s
}

#[test]
fn fail_closed_answers_503_and_the_vm_stays_dead() {
    let worker = worker_with(FailClosed);
    let s = send(&worker, b"boom");
    let trap = s.trap().unwrap();
    assert_eq!(trap.callback, "proxy_on_request_body");
    assert_eq!(trap.message, PANIC_MESSAGE);
    assert!(trap.detail.contains("unreachable"), "{}", trap.detail);
    assert!(s.upstream().is_none());
    let client = s.client();
    assert_eq!(client.status, Some(503));
    let local = client.local_reply.unwrap();
    assert_eq!(
        (local.details.as_str(), local.by_filter),
        ("wasm_fail_stream", false)
    );
    assert!(worker.is_failed());
    // A later, harmless stream still gets a 503, without any callback.
    let mut later = worker.stream();
    let step = later.request_headers(&[(":method", "GET"), (":path", "/")], true);
    assert!(step.calls.is_empty());
    assert_eq!(later.client().status, Some(503));
    assert_eq!(worker.traps().len(), 1);
}

#[test]
fn fail_open_lets_traffic_through_unfiltered() {
    let worker = worker_with(FailOpen);
    let s = send(&worker, b"boom");
    assert!(s.trap().is_some());
    let up = s.upstream().unwrap();
    assert_eq!((up.body.as_slice(), up.complete), (&b"boom"[..], true));
    let mut later = worker.stream();
    let step = later.request_headers(&[(":method", "GET"), (":path", "/")], true);
    assert!(step.calls.is_empty(), "the filter is bypassed");
    assert!(later.upstream().unwrap().complete);
    later.respond(&Response::new(204));
    assert_eq!(later.client().status, Some(204));
}

#[test]
fn fail_reload_answers_503_then_starts_a_fresh_vm() {
    let worker = worker_with(FailReload);
    let first_root = worker.root_context_id();
    let s = send(&worker, b"boom");
    assert_eq!(s.client().status, Some(503));
    assert!(worker.is_failed());
    let s = send(&worker, b"fine!");
    assert!(!worker.is_failed());
    assert_ne!(worker.root_context_id(), first_root, "a new root context");
    assert_eq!(s.upstream().unwrap().body, b"fine!");
    assert_eq!(worker.traps().len(), 1);
}

#[test]
fn a_trap_mid_response_resets_a_stream_whose_client_has_headers() {
    let extra = panicking(
        "proxy_on_response_body",
        "i32 i32 i32",
        "(result i32)",
        0x9300,
        "late panic",
    );
    let worker = Host::new()
        .plugin(Plugin::from_wat(&wat(&extra)).unwrap())
        .start_vm()
        .unwrap();
    let mut s = worker.stream();
    s.request_headers(&[(":method", "GET"), (":path", "/")], true);
    s.respond_chunks(&Response::new(200), &[b"data: 1\n\n"]);
    let client = s.client();
    assert_eq!(client.status, Some(200));
    assert!(client.reset);
    assert_eq!(s.trap().unwrap().message, "late panic");
}

#[test]
fn running_out_of_fuel_is_a_trap() {
    let extra = r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (loop $forever (br $forever))
        (i32.const 0))
    "#;
    let plugin = Plugin::from_wat(&wat(extra))
        .unwrap()
        .fuel_per_callback(100_000);
    let worker = Host::new().plugin(plugin).start_vm().unwrap();
    let mut s = worker.stream();
    let step = s.request_headers(&[(":method", "GET"), (":path", "/")], true);
    let trap = step.trap().unwrap();
    assert!(trap.out_of_fuel);
    assert_eq!(trap.message, "out of fuel");
    assert_eq!(s.client().status, Some(503));
}

#[test]
fn a_missing_import_is_a_load_error_naming_it() {
    let cases = [
        ("env", "proxy_make_coffee"),
        ("wasi_snapshot_preview1", "fd_readdir"),
        ("wasi_snapshot_preview1", "poll_oneoff"),
    ];
    for (module, name) in cases {
        let text = format!(
            r#"(module (import "{module}" "{name}" (func (param i32) (result i32)))
                 (memory (export "memory") 1)
                 (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 8))
                 (func (export "proxy_abi_version_0_2_1")))"#
        );
        let err = Host::new()
            .plugin(Plugin::from_wat(&text).unwrap())
            .start_vm()
            .err()
            .unwrap();
        assert!(
            matches!(&err, LoadError::MissingImport { module: m, name: n } if m == module && n == name),
            "{err}"
        );
        assert!(
            err.to_string().contains(&format!("{module}.{name}")),
            "{err}"
        );
    }
}

#[test]
fn modules_without_the_abi_version_or_allocator_are_refused() {
    let no_abi = r#"(module (memory (export "memory") 1)
        (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 8)))"#;
    let err = Host::new()
        .plugin(Plugin::from_wat(no_abi).unwrap())
        .start_vm()
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::MissingAbiVersion), "{err}");
    let no_alloc =
        r#"(module (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1")))"#;
    let err = Host::new()
        .plugin(Plugin::from_wat(no_alloc).unwrap())
        .start_vm()
        .err()
        .unwrap();
    assert!(
        matches!(err, LoadError::MissingExport(ref name) if name == "proxy_on_memory_allocate"),
        "{err}"
    );
    assert!(matches!(
        Plugin::from_wat("(module"),
        Err(LoadError::Compile(_))
    ));
}

#[test]
fn a_refused_configuration_carries_the_filters_error_line() {
    let extra = r#"
      (data (i32.const 0x9400) "policy: tenants.header must be a string")
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $proxy_log (i32.const 2) (i32.const 0x9400) (i32.const 7)))
        (drop (call $proxy_log (i32.const 4) (i32.const 0x9400) (i32.const 39)))
        (i32.const 0))
    "#;
    let err = Host::new()
        .plugin(Plugin::from_wat(&wat(extra)).unwrap())
        .start_vm()
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::ConfigurationRejected { .. }));
    assert_eq!(
        err.filter_message(),
        Some("policy: tenants.header must be a string")
    );
    let panics = panicking(
        "proxy_on_vm_start",
        "i32 i32",
        "(result i32)",
        0x9500,
        "bad vm",
    );
    let err = Host::new()
        .plugin(Plugin::from_wat(&wat(&panics)).unwrap())
        .start_vm()
        .err()
        .unwrap();
    match err {
        LoadError::Trap(trap) => assert_eq!(
            (trap.callback.as_str(), trap.message.as_str()),
            ("proxy_on_vm_start", "bad vm")
        ),
        other => panic!("{other}"),
    }
}

#[test]
fn envoy_answers_413_when_a_buffered_body_passes_its_limit() {
    let pause_request = r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 1))
    "#;
    let plugin = Plugin::from_wat(&wat(pause_request))
        .unwrap()
        .buffer_limit(10);
    let worker = Host::new().plugin(plugin).start_vm().unwrap();
    let mut s = worker.stream();
    s.request_headers(&[(":method", "POST"), (":path", "/")], false);
    s.request_body(b"0123456789", false);
    assert!(s.client().status.is_none(), "exactly at the limit is fine");
    let step = s.request_body(b"x", true);
    assert!(
        !step.callbacks().contains(&"proxy_on_request_body"),
        "the filter does not see the chunk"
    );
    let client = s.client();
    assert_eq!(client.status, Some(413));
    assert_eq!(client.body, b"Payload Too Large");
    assert!(!client.local_reply.unwrap().by_filter);
    assert!(s.upstream().is_none());
}

#[test]
fn envoy_answers_500_when_a_buffered_response_passes_its_limit() {
    let extra = r#"
      (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 1))
    "#;
    let plugin = Plugin::from_wat(&wat(extra)).unwrap().buffer_limit(4);
    let worker = Host::new().plugin(plugin).start_vm().unwrap();
    let mut s = worker.stream();
    s.request_headers(&[(":method", "GET"), (":path", "/")], true);
    s.response_headers(&[(":status", "200")], false);
    assert_eq!(s.client().status, Some(200), "headers went on");
    s.response_body(b"12345", false);
    assert!(
        s.client().reset,
        "too late for a 500: the client has headers"
    );
}

#[test]
fn without_allow_on_headers_stop_iteration_the_body_waits_for_a_resume() {
    let extra = r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
        (i32.store (i32.const 0x200) (local.get $size))
        (i32.const 0))
    "#;
    let plugin = Plugin::from_wat(&wat(extra))
        .unwrap()
        .allow_on_headers_stop_iteration(false);
    let worker = Host::new().plugin(plugin).start_vm().unwrap();
    let mut s = worker.stream();
    s.request_headers(&[(":method", "POST"), (":path", "/")], false);
    let step = s.request_body(b"abc", false);
    assert!(
        step.calls.is_empty(),
        "Envoy holds the body back from the filter"
    );
    s.request_body(b"def", true);
    let mut p = Probe::stream(&mut s);
    p.call("proxy_continue_stream", &[Arg::I(0)]);
    assert_eq!(
        p.u32_at(0x200),
        6,
        "on resume the filter sees the whole held body"
    );
    drop(p);
    let up = s.upstream().unwrap();
    assert_eq!((up.body.as_slice(), up.complete), (&b"abcdef"[..], true));
}

#[test]
fn response_chunks_reach_the_client_as_the_filter_continues_them() {
    // Holds every other chunk: the held one goes out with the next.
    let extra = r#"
      (func (export "proxy_on_response_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
        (i32.store (i32.const 0x290) (i32.xor (i32.load (i32.const 0x290)) (i32.const 1)))
        (if (result i32) (i32.or (local.get $eos) (i32.eqz (i32.load (i32.const 0x290))))
          (then (i32.const 0)) (else (i32.const 1))))
    "#;
    let worker = Host::new()
        .plugin(Plugin::from_wat(&wat(extra)).unwrap())
        .start_vm()
        .unwrap();
    let mut s = worker.stream();
    s.request_headers(&[(":method", "GET"), (":path", "/")], true);
    let events: [&[u8]; 5] = [
        b"data: 1\n\n",
        b"data: 2\n\n",
        b"data: 3\n\n",
        b"data: 4\n\n",
        b"data: [DONE]\n\n",
    ];
    s.respond_chunks(
        &Response::new(200).header("content-type", "text/event-stream"),
        &events,
    );
    let client = s.client();
    assert_eq!(
        client.chunks,
        vec![
            b"data: 1\n\ndata: 2\n\n".to_vec(),
            b"data: 3\n\ndata: 4\n\n".to_vec(),
            b"data: [DONE]\n\n".to_vec()
        ]
    );
    assert!(client.complete);
    assert!(s.is_finished());
}

#[test]
fn a_client_disconnect_cuts_the_upstream_and_ends_the_stream() {
    let extra = r#"
      (func (export "proxy_on_log") (param i32) (i32.store (i32.const 0x2a0) (i32.const 1)))
      (func (export "proxy_on_done") (param i32) (result i32) (i32.store (i32.const 0x2a4) (i32.const 1)) (i32.const 1))
      (func (export "proxy_on_delete") (param i32) (i32.store (i32.const 0x2a8) (i32.const 1)))
    "#;
    let worker = Host::new()
        .plugin(Plugin::from_wat(&wat(extra)).unwrap())
        .start_vm()
        .unwrap();
    let mut s = worker.stream();
    s.request_headers(&[(":method", "POST"), (":path", "/")], false);
    s.request_body(b"partial", false);
    let step = s.disconnect();
    assert_eq!(
        step.callbacks(),
        ["proxy_on_log", "proxy_on_done", "proxy_on_delete"]
    );
    assert!(s.upstream().unwrap().reset);
    assert!(s.client().reset);
    let p = Probe::root(&worker);
    assert_eq!(
        (p.u32_at(0x2a0), p.u32_at(0x2a4), p.u32_at(0x2a8)),
        (1, 1, 1)
    );
    assert!(s.finish().calls.is_empty(), "finishing twice does nothing");
}
