//! The harness against a filter built with the proxy-wasm Rust SDK
//! (`fixtures/sdk-probe`): the SDK's own calling patterns, panics and
//! call-outs, end to end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use common::sdk_probe;
use customs_host::{CalloutReply, FailClosed, Host, LoadError, Plugin, Response, Worker};

fn worker(host: &Host, config: &str) -> Worker {
    host.plugin(
        Plugin::from_file(sdk_probe())
            .unwrap()
            .config(config)
            .failure_policy(FailClosed),
    )
    .start_vm()
    .unwrap()
}

fn request(worker: &Worker, action: &str, body: &[u8]) -> customs_host::Stream {
    let mut s = worker.stream();
    let length = body.len().to_string();
    s.request_headers(
        &[
            (":method", "POST"),
            (":path", "/v1/chat/completions"),
            ("x-probe-action", action),
            ("content-length", &length),
        ],
        false,
    );
    s.request_body_chunks(body, 3);
    s
}

#[test]
fn a_buffered_body_is_rewritten_and_streamed_chunks_stay_apart() {
    let worker = worker(&Host::new(), "");
    let mut s = request(&worker, "", b"{\"content\": \"hello\"}");
    let up = s.upstream().expect("the request crossed");
    assert_eq!(up.body, b"{\"CONTENT\": \"HELLO\"}");
    assert_eq!(up.chunks.len(), 1, "held to the end, then sent once");
    assert_eq!(up.header("content-length"), None);
    assert_eq!(up.header("x-probe-size"), Some("20"));
    assert!(up.complete);
    let events: [&[u8]; 3] = [b"data: a\n\n", b"data: b\n\n", b"data: [done]\n\n"];
    s.respond_chunks(
        &Response::new(200).header("content-type", "text/event-stream"),
        &events,
    );
    let client = s.client();
    assert_eq!(
        client.chunks,
        vec![
            b"DATA: A\n\n".to_vec(),
            b"DATA: B\n\n".to_vec(),
            b"DATA: [DONE]\n\n".to_vec()
        ]
    );
    assert!(s.is_finished());
    assert_eq!(
        s.filter_state("probe.status"),
        Some(b"200".to_vec()),
        "set in on_log"
    );
}

#[test]
fn a_local_response_from_the_sdk() {
    let worker = worker(&Host::new(), "");
    let s = request(&worker, "deny", b"{}");
    assert!(s.upstream().is_none());
    let client = s.client();
    assert_eq!(client.status, Some(403));
    assert_eq!(client.header("content-type"), Some("application/json"));
    // As in Envoy, the local reply passes through the filter's own response
    // callbacks, which uppercase every body here.
    assert_eq!(client.body, b"{\"DENIED\":TRUE}");
}

#[test]
fn an_sdk_panic_is_reported_with_its_message_and_fails_closed() {
    let worker = worker(&Host::new(), "");
    let s = request(&worker, "panic", b"{}");
    let trap = s.trap().unwrap();
    assert_eq!(trap.callback, "proxy_on_request_body");
    assert!(
        trap.message.contains("probe panics on purpose"),
        "{}",
        trap.message
    );
    assert!(trap.message.contains("src/lib.rs"), "{}", trap.message);
    assert_eq!(s.client().status, Some(503));
    assert!(s.upstream().is_none());
}

#[test]
fn a_call_out_answered_200_lets_the_request_go_on() {
    let worker = worker(&Host::new(), "");
    let mut s = request(&worker, "callout", b"ok");
    assert!(s.upstream().is_none(), "held while the call-out is out");
    let callouts = s.callouts();
    assert_eq!(callouts.len(), 1);
    assert_eq!(
        (callouts[0].cluster.as_str(), callouts[0].timeout),
        ("auth", Some(Duration::from_secs(1)))
    );
    s.answer_callout(
        callouts[0].token,
        CalloutReply::Respond(Response::new(200).body("alice")),
    );
    let up = s.upstream().unwrap();
    assert_eq!(up.header("x-auth"), Some("alice"));
    assert_eq!(up.body, b"OK");
}

#[test]
fn a_call_out_refused_or_timed_out_answers_401() {
    let host = Host::new();
    let worker = worker(&host, "");
    let mut s = request(&worker, "callout", b"ok");
    let token = s.callouts()[0].token;
    s.answer_callout(token, CalloutReply::Respond(Response::new(500)));
    assert_eq!(s.client().status, Some(401));
    assert!(s.upstream().is_none());

    let s = request(&worker, "callout", b"ok");
    host.advance_clock(Duration::from_secs(1));
    assert_eq!(s.client().status, Some(401), "Envoy's 504 on timeout");
    assert!(s.is_finished());
}

#[test]
fn reading_a_failed_call_outs_headers_panics_in_the_sdk() {
    // Envoy has no response map after a connection failure, answers
    // BadArgument, and the SDK panics: the harness shows it as in Envoy.
    let worker = worker(&Host::new(), "");
    let mut s = request(&worker, "callout", b"ok");
    let token = s.callouts()[0].token;
    let step = s.answer_callout(token, CalloutReply::Fail);
    let trap = step.trap().unwrap();
    assert_eq!(trap.callback, "proxy_on_http_call_response");
    assert!(
        trap.message.contains("unexpected status: 2"),
        "{}",
        trap.message
    );
    assert_eq!(s.client().status, Some(503));
}

#[test]
fn a_refused_configuration_is_a_load_error_with_the_logged_reason() {
    let plugin = Plugin::from_file(sdk_probe()).unwrap().config("reject");
    let err = Host::new().plugin(plugin).start_vm().err().unwrap();
    assert!(
        matches!(err, LoadError::ConfigurationRejected { .. }),
        "{err}"
    );
    assert_eq!(err.filter_message(), Some("probe: configuration refused"));
}

#[test]
fn ticks_on_two_workers_count_in_shared_data() {
    let host = Host::new();
    let (_a, _b) = (worker(&host, "tick"), worker(&host, "tick"));
    host.advance_clock(Duration::from_millis(100));
    let (value, _) = host.shared_data("ticks").unwrap();
    assert_eq!(value, b"20");
}
