//! Call-outs, local responses and stream control.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use common::*;
use customs_host::{CalloutReply, Host, Plugin, Response};

/// Records on_http_call_response's arguments at 0x230.., the call-out's
/// `:status` (status at 0x244, pointer and size at 0x248/0x24c), its body
/// (0x250/0x254) and proxy_get_status (code 0x258, message 0x25c/0x260).
const RECORD_CALL_RESPONSE: &str = r#"
  (data (i32.const 0x9000) ":status")
  (func (export "proxy_on_http_call_response") (param $ctx i32) (param $token i32) (param $h i32) (param $b i32) (param $t i32)
    (i32.store (i32.const 0x230) (local.get $ctx))
    (i32.store (i32.const 0x234) (local.get $token))
    (i32.store (i32.const 0x238) (local.get $h))
    (i32.store (i32.const 0x23c) (local.get $b))
    (i32.store (i32.const 0x240) (local.get $t))
    (i32.store (i32.const 0x244)
      (call $proxy_get_header_map_value (i32.const 6) (i32.const 0x9000) (i32.const 7) (i32.const 0x248) (i32.const 0x24c)))
    (drop (call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (local.get $b) (i32.const 0x250) (i32.const 0x254)))
    (drop (call $proxy_get_status (i32.const 0x258) (i32.const 0x25c) (i32.const 0x260))))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 1))
"#;

fn call_out(p: &mut Probe, headers: &[(&str, &str)], timeout_ms: i32) -> (u32, u32) {
    let headers = pairs(headers);
    let status = p.call(
        "proxy_http_call",
        &[
            Arg::B(b"auth"),
            Arg::B(&headers),
            Arg::B(b"ping"),
            Arg::B(&pairs(&[])),
            Arg::I(timeout_ms),
            Arg::Ret,
        ],
    );
    (status, p.ret())
}

const GOOD: &[(&str, &str)] = &[
    (":method", "POST"),
    (":path", "/check"),
    (":authority", "auth.internal"),
];

fn text_at(worker: &customs_host::Worker, ptr_at: u32, size_at: u32) -> String {
    let p = Probe::root(worker);
    let (ptr, size) = (p.u32_at(ptr_at as i32), p.u32_at(size_at as i32));
    String::from_utf8(worker.read_memory(ptr, size as usize).unwrap()).unwrap()
}

#[test]
fn a_call_out_is_answered_on_the_root_context() {
    let (_host, worker) = start(RECORD_CALL_RESPONSE);
    let mut s = worker.stream();
    s.request_headers(&[(":method", "POST"), (":path", "/")], false);
    let (status, token) = call_out(&mut Probe::stream(&mut s), GOOD, 500);
    assert_eq!(status, OK);
    let callouts = s.callouts();
    assert_eq!(callouts.len(), 1);
    assert_eq!(callouts[0].token, token);
    assert_eq!(callouts[0].cluster, "auth");
    assert_eq!(callouts[0].body, b"ping");
    assert_eq!(callouts[0].headers.get("content-length"), Some("4"));
    assert_eq!(callouts[0].timeout, Some(Duration::from_millis(500)));
    let step = s.answer_callout(
        token,
        CalloutReply::Respond(Response::new(201).header("x-auth", "ok").body("yes")),
    );
    assert_eq!(step.callbacks(), ["proxy_on_http_call_response"]);
    let p = Probe::root(&worker);
    assert_eq!(
        p.u32_at(0x230),
        worker.root_context_id(),
        "Envoy calls back on the root context"
    );
    assert_eq!(p.u32_at(0x234), token);
    assert_eq!(
        (p.u32_at(0x238), p.u32_at(0x23c), p.u32_at(0x240)),
        (3, 3, 0)
    );
    assert_eq!(p.u32_at(0x244), OK);
    assert_eq!(text_at(&worker, 0x248, 0x24c), "201");
    assert_eq!(text_at(&worker, 0x250, 0x254), "yes");
    assert!(worker.callouts().is_empty());
}

#[test]
fn a_failed_call_out_has_no_response_and_a_broken_connection_status() {
    let (_host, worker) = start(RECORD_CALL_RESPONSE);
    let (_, token) = call_out(&mut Probe::root(&worker), GOOD, 0);
    worker.answer_callout(token, CalloutReply::Fail);
    let p = Probe::root(&worker);
    assert_eq!((p.u32_at(0x238), p.u32_at(0x23c)), (0, 0));
    assert_eq!(
        p.u32_at(0x244),
        BAD_ARGUMENT,
        "no response map: the SDK would panic reading a header"
    );
    assert_eq!(p.u32_at(0x258), BROKEN_CONNECTION);
    assert_eq!(text_at(&worker, 0x25c, 0x260), "reset");
}

#[test]
fn a_call_out_times_out_on_the_virtual_clock_with_envoys_504() {
    let (host, worker) = start(RECORD_CALL_RESPONSE);
    let (_, token) = call_out(&mut Probe::root(&worker), GOOD, 200);
    let (_, untimed) = call_out(&mut Probe::root(&worker), GOOD, 0);
    host.advance_clock(Duration::from_millis(199));
    assert_eq!(worker.callouts().len(), 2);
    host.advance_clock(Duration::from_millis(1));
    let p = Probe::root(&worker);
    assert_eq!(p.u32_at(0x234), token);
    assert_eq!(text_at(&worker, 0x248, 0x24c), "504");
    assert_eq!(text_at(&worker, 0x250, 0x254), "upstream request timeout");
    assert_eq!(
        worker
            .callouts()
            .iter()
            .map(|c| c.token)
            .collect::<Vec<_>>(),
        [untimed]
    );
    // A test may also time a call out by hand.
    worker.answer_callout(untimed, CalloutReply::Timeout);
    assert!(worker.callouts().is_empty());
}

#[test]
fn call_outs_envoy_refuses() {
    let host = Host::new();
    let worker = host
        .plugin(Plugin::from_wat(&wat("")).unwrap().clusters(&["auth"]))
        .start_vm()
        .unwrap();
    let mut p = Probe::root(&worker);
    assert_eq!(
        call_out(&mut p, &[(":method", "GET"), (":path", "/")], 0).0,
        BAD_ARGUMENT,
        "no :authority"
    );
    assert_eq!(
        call_out(&mut p, GOOD, -1).0,
        BAD_ARGUMENT,
        "negative timeout"
    );
    let unknown = p.call(
        "proxy_http_call",
        &[
            Arg::B(b"nowhere"),
            Arg::B(&pairs(GOOD)),
            Arg::B(b""),
            Arg::B(&pairs(&[])),
            Arg::I(0),
            Arg::Ret,
        ],
    );
    assert_eq!(unknown, BAD_ARGUMENT, "unknown cluster");
    assert_eq!(call_out(&mut p, GOOD, 0).0, OK);
    assert_eq!(
        p.call("proxy_grpc_cancel", &[Arg::I(1)]),
        NOT_FOUND,
        "no gRPC"
    );
    assert_eq!(
        p.call(
            "proxy_call_foreign_function",
            &[Arg::B(b"compress"), Arg::B(b""), Arg::Out]
        ),
        NOT_FOUND
    );
}

/// on_request_headers answers 403 itself and stops; on_response_headers
/// counts its calls at 0x280.
const DENY: &str = r#"
  (data (i32.const 0x9100) "denied")
  (data (i32.const 0x9110) "no")
  (data (i32.const 0x9120) "\01\00\00\00\05\00\00\00\06\00\00\00x-why\00policy\00")
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $proxy_send_local_response (i32.const 403) (i32.const 0x9100) (i32.const 6)
      (i32.const 0x9110) (i32.const 2) (i32.const 0x9120) (i32.const 25) (i32.const -1)))
    (i32.const 1))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (i32.store (i32.const 0x280) (i32.add (i32.load (i32.const 0x280)) (i32.const 1)))
    (i32.const 0))
"#;

#[test]
fn a_local_response_reaches_the_client_through_the_filter_and_nothing_crosses() {
    let (_host, worker) = start(DENY);
    let mut s = worker.stream();
    let step = s.request_headers(&[(":method", "POST"), (":path", "/")], false);
    assert!(s.upstream().is_none());
    let client = s.client();
    assert_eq!(client.status, Some(403));
    assert_eq!(client.body, b"no");
    assert_eq!(client.header("x-why"), Some("policy"));
    assert_eq!(client.header("content-length"), Some("2"));
    assert_eq!(client.header("content-type"), Some("text/plain"));
    let local = client.local_reply.unwrap();
    assert_eq!(
        (local.status, local.details.as_str(), local.by_filter),
        (403, "denied", true)
    );
    // As in Envoy, the filter's own response callbacks see its local reply.
    assert_eq!(Probe::root(&worker).u32_at(0x280), 1);
    assert!(step.callbacks().contains(&"proxy_on_response_headers"));
    // The stream ended: on_log, on_done, on_delete ran; later body is ignored.
    assert!(s.is_finished());
    assert!(s.request_body(b"more", true).calls.is_empty());
}

#[test]
fn a_local_response_in_the_response_phase_replaces_the_upstream_answer() {
    let (_host, worker) = start(PAUSE_ALL);
    let mut s = worker.stream();
    s.request_headers(&[(":method", "GET"), (":path", "/")], true);
    Probe::stream(&mut s).call("proxy_continue_stream", &[Arg::I(0)]);
    assert!(s.upstream().unwrap().complete);
    s.respond(&Response::new(200).body("secret"));
    assert!(s.client().status.is_none(), "response headers are held");
    let mut p = Probe::stream(&mut s);
    p.call(
        "proxy_send_local_response",
        &[
            Arg::I(451),
            Arg::B(b""),
            Arg::B(b"withheld"),
            Arg::B(&pairs(&[])),
            Arg::I(-1),
        ],
    );
    drop(p);
    let client = s.client();
    assert_eq!(
        (client.status, client.body.as_slice()),
        (Some(451), &b"withheld"[..])
    );
}

#[test]
fn a_local_response_after_response_headers_left_resets_the_stream() {
    let (_host, worker) = start(PAUSE_ALL);
    let mut s = worker.stream();
    s.request_headers(&[(":method", "GET"), (":path", "/")], true);
    Probe::stream(&mut s).call("proxy_continue_stream", &[Arg::I(0)]);
    s.response_headers(&[(":status", "200")], false);
    Probe::stream(&mut s).call("proxy_continue_stream", &[Arg::I(1)]);
    assert_eq!(s.client().status, Some(200));
    Probe::stream(&mut s).call(
        "proxy_send_local_response",
        &[
            Arg::I(500),
            Arg::B(b""),
            Arg::B(b"late"),
            Arg::B(&pairs(&[])),
            Arg::I(-1),
        ],
    );
    let client = s.client();
    assert!(client.reset);
    assert_eq!(client.status, Some(200));
}

#[test]
fn close_stream_resets_both_sides() {
    let (_host, worker) = start(PAUSE_ALL);
    let mut s = worker.stream();
    s.request_headers(&[(":method", "POST"), (":path", "/")], false);
    let mut p = Probe::stream(&mut s);
    p.call("proxy_continue_stream", &[Arg::I(0)]);
    assert_eq!(p.call("proxy_continue_stream", &[Arg::I(3)]), UNIMPLEMENTED);
    assert_eq!(p.call("proxy_continue_stream", &[Arg::I(7)]), BAD_ARGUMENT);
    assert_eq!(p.call("proxy_close_stream", &[Arg::I(0)]), OK);
    drop(p);
    assert!(s.client().reset);
    assert!(s.upstream().unwrap().reset);
    assert!(s.is_finished());
}

#[test]
fn the_effective_context_must_exist() {
    let (_host, worker) = start(PAUSE_ALL);
    let mut p = Probe::root(&worker);
    assert_eq!(
        p.call(
            "proxy_set_effective_context",
            &[Arg::I(worker.root_context_id() as i32)]
        ),
        OK
    );
    assert_eq!(
        p.call("proxy_set_effective_context", &[Arg::I(77)]),
        BAD_ARGUMENT
    );
    let mut s = worker.stream();
    s.request_headers(&[(":method", "GET"), (":path", "/")], false);
    assert_eq!(
        p.call(
            "proxy_set_effective_context",
            &[Arg::I(s.context_id() as i32)]
        ),
        OK
    );
}
