//! Header maps, buffers and properties, one host function at a time, with
//! Envoy's answers (statuses, what is reachable when).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use customs_host::headers::decode_header_pairs;
use customs_host::{Host, Plugin};

const REQUEST_HEADERS: i32 = 0;
const RESPONSE_HEADERS: i32 = 2;
const REQUEST_BODY: i32 = 0;

fn held_request() -> (Host, customs_host::Worker, customs_host::Stream) {
    let (host, worker) = start(PAUSE_ALL);
    let mut s = worker.stream();
    s.request_headers(
        &[
            (":method", "POST"),
            (":path", "/v1/chat?x=1"),
            ("a", "1"),
            ("A", "2"),
        ],
        false,
    );
    (host, worker, s)
}

#[test]
fn header_map_values_are_read_added_replaced_and_removed() {
    let (_host, _worker, mut s) = held_request();
    let mut p = Probe::stream(&mut s);
    let get = |p: &mut Probe, name: &str| {
        let status = p.call(
            "proxy_get_header_map_value",
            &[Arg::I(REQUEST_HEADERS), Arg::B(name.as_bytes()), Arg::Out],
        );
        (status, p.out_text())
    };
    // The first value of a repeated header; names are case-insensitive.
    assert_eq!(get(&mut p, "A"), (OK, Some("1".into())));
    assert_eq!(get(&mut p, "missing").0, NOT_FOUND);
    assert_eq!(
        p.call(
            "proxy_add_header_map_value",
            &[Arg::I(0), Arg::B(b"B"), Arg::B(b"x")]
        ),
        OK
    );
    assert_eq!(
        p.call(
            "proxy_replace_header_map_value",
            &[Arg::I(0), Arg::B(b"a"), Arg::B(b"9")]
        ),
        OK
    );
    assert_eq!(
        p.call(
            "proxy_remove_header_map_value",
            &[Arg::I(0), Arg::B(b"x-forwarded-proto")]
        ),
        OK
    );
    assert_eq!(get(&mut p, "b"), (OK, Some("x".into())));
    assert_eq!(
        p.call("proxy_get_header_map_pairs", &[Arg::I(0), Arg::Out]),
        OK
    );
    let pairs = decode_header_pairs(&p.out().unwrap()).unwrap();
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            ":method",
            ":path",
            ":scheme",
            ":authority",
            "x-request-id",
            "b",
            "a"
        ]
    );
    assert_eq!(
        p.call("proxy_get_header_map_size", &[Arg::I(0), Arg::Ret]),
        OK
    );
    let size: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
    assert_eq!(p.ret() as usize, size);
    // An empty value comes back as a null pointer with size 0.
    p.call(
        "proxy_add_header_map_value",
        &[Arg::I(0), Arg::B(b"empty"), Arg::B(b"")],
    );
    assert_eq!(get(&mut p, "empty"), (OK, None));
    // Edits are what crosses once the stream continues.
    assert_eq!(p.call("proxy_continue_stream", &[Arg::I(0)]), OK);
    drop(p);
    let up = s.upstream().unwrap();
    assert_eq!(up.header("a"), Some("9"));
    assert_eq!(up.header("b"), Some("x"));
    assert_eq!(up.header("x-forwarded-proto"), None);
}

#[test]
fn set_header_map_pairs_replaces_the_whole_map() {
    let (_host, _worker, mut s) = held_request();
    let mut p = Probe::stream(&mut s);
    let new = pairs(&[(":method", "GET"), (":path", "/new"), ("X-One", "1")]);
    assert_eq!(
        p.call("proxy_set_header_map_pairs", &[Arg::I(0), Arg::B(&new)]),
        OK
    );
    assert_eq!(
        p.call(
            "proxy_set_header_map_pairs",
            &[Arg::I(0), Arg::B(&[9, 0, 0, 0])]
        ),
        BAD_ARGUMENT
    );
    p.call("proxy_continue_stream", &[Arg::I(0)]);
    drop(p);
    let up = s.upstream().unwrap();
    assert_eq!(
        up.headers.to_pairs(),
        vec![
            (":method".into(), "GET".into()),
            (":path".into(), "/new".into()),
            ("x-one".into(), "1".into())
        ]
    );
}

#[test]
fn maps_are_reachable_only_when_envoy_holds_them() {
    let (_host, _worker, mut s) = held_request();
    let mut p = Probe::stream(&mut s);
    // No response yet: reading one value is BadArgument (the SDK panics on
    // it), reading all pairs is an empty map.
    assert_eq!(
        p.call(
            "proxy_get_header_map_value",
            &[Arg::I(RESPONSE_HEADERS), Arg::B(b"x"), Arg::Out]
        ),
        BAD_ARGUMENT
    );
    assert_eq!(
        p.call(
            "proxy_get_header_map_pairs",
            &[Arg::I(RESPONSE_HEADERS), Arg::Out]
        ),
        OK
    );
    assert_eq!(p.out(), None);
    assert_eq!(
        p.call(
            "proxy_add_header_map_value",
            &[Arg::I(RESPONSE_HEADERS), Arg::B(b"x"), Arg::B(b"y")]
        ),
        BAD_ARGUMENT
    );
    assert_eq!(
        p.call(
            "proxy_get_header_map_value",
            &[Arg::I(9), Arg::B(b"x"), Arg::Out]
        ),
        BAD_ARGUMENT
    );
    // Once continued, Envoy drops its pointer to the request headers at once.
    p.call("proxy_continue_stream", &[Arg::I(0)]);
    assert_eq!(
        p.call(
            "proxy_get_header_map_value",
            &[Arg::I(REQUEST_HEADERS), Arg::B(b"a"), Arg::Out]
        ),
        BAD_ARGUMENT
    );
    // The root context has no stream at all.
    let worker = s.worker().clone();
    let mut root = Probe::root(&worker);
    assert_eq!(
        root.call(
            "proxy_get_header_map_value",
            &[Arg::I(0), Arg::B(b"a"), Arg::Out]
        ),
        BAD_ARGUMENT
    );
}

#[test]
fn request_headers_continued_by_the_callback_are_out_of_reach() {
    let (_host, worker) = start("");
    let mut s = worker.stream();
    s.request_headers(&[(":method", "GET"), (":path", "/")], true);
    assert!(s.upstream().unwrap().complete);
    let mut p = Probe::stream(&mut s);
    assert_eq!(
        p.call(
            "proxy_get_header_map_value",
            &[Arg::I(0), Arg::B(b":path"), Arg::Out]
        ),
        BAD_ARGUMENT
    );
}

/// on_request_body records its arguments at 0x200 (body_size) and 0x204
/// (end_of_stream) and pauses.
const RECORD_BODY: &str = r#"
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (i32.store (i32.const 0x200) (local.get $size))
    (i32.store (i32.const 0x204) (local.get $eos))
    (i32.const 1))
"#;

#[test]
fn paused_body_chunks_accumulate_and_body_size_is_the_running_total() {
    let (_host, worker) = start(RECORD_BODY);
    let mut s = worker.stream();
    s.request_headers(&[(":method", "POST"), (":path", "/")], false);
    s.request_body(b"hello ", false);
    s.request_body(b"world", false);
    let mut p = Probe::stream(&mut s);
    assert_eq!(p.u32_at(0x200), 11);
    assert_eq!(p.u32_at(0x204), 0);
    let get = |p: &mut Probe, start: i32, max: i32| {
        let status = p.call(
            "proxy_get_buffer_bytes",
            &[Arg::I(REQUEST_BODY), Arg::I(start), Arg::I(max), Arg::Out],
        );
        (status, p.out_text())
    };
    assert_eq!(get(&mut p, 0, 1000), (OK, Some("hello world".into())));
    assert_eq!(get(&mut p, 6, 3), (OK, Some("wor".into())));
    assert_eq!(get(&mut p, 50, 3), (OK, None));
    assert_eq!(
        p.call(
            "proxy_get_buffer_status",
            &[Arg::I(REQUEST_BODY), Arg::I(0x300), Arg::I(0x304)]
        ),
        OK
    );
    assert_eq!(p.u32_at(0x300), 11);
    assert!(
        s.upstream().is_none(),
        "headers are held while the body buffers"
    );
}

#[test]
fn set_buffer_bytes_replaces_from_the_start_or_appends() {
    let (_host, worker) = start(RECORD_BODY);
    let mut s = worker.stream();
    s.request_headers(&[(":method", "POST"), (":path", "/")], false);
    s.request_body(b"hello world", false);
    let mut p = Probe::stream(&mut s);
    let set = |p: &mut Probe, start: i32, size: i32, data: &[u8]| {
        p.call(
            "proxy_set_buffer_bytes",
            &[
                Arg::I(REQUEST_BODY),
                Arg::I(start),
                Arg::I(size),
                Arg::B(data),
            ],
        )
    };
    assert_eq!(set(&mut p, 0, 5, b"HOWDY"), OK);
    assert_eq!(set(&mut p, 11, 0, b"!"), OK);
    assert_eq!(
        set(&mut p, 3, 1, b"x"),
        BAD_ARGUMENT,
        "only a start of 0 or at the end is allowed"
    );
    p.call(
        "proxy_get_buffer_bytes",
        &[Arg::I(REQUEST_BODY), Arg::I(0), Arg::I(100), Arg::Out],
    );
    assert_eq!(p.out_text().as_deref(), Some("HOWDY world!"));
    assert_eq!(
        set(&mut p, 0, -1, b"{}"),
        OK,
        "a size past the end drains everything"
    );
    assert_eq!(
        p.call(
            "proxy_set_buffer_bytes",
            &[Arg::I(6), Arg::I(0), Arg::I(0), Arg::B(b"x")]
        ),
        BAD_ARGUMENT
    );
    p.call("proxy_continue_stream", &[Arg::I(0)]);
    drop(p);
    let up = s.upstream().unwrap();
    assert_eq!(up.body, b"{}");
    assert!(!up.complete);
    s.request_body(b"tail", true);
    assert_eq!(Probe::stream(&mut s).u32_at(0x204), 1);
    Probe::stream(&mut s).call("proxy_continue_stream", &[Arg::I(0)]);
    let up = s.upstream().unwrap();
    assert_eq!(up.chunks, vec![b"{}".to_vec(), b"tail".to_vec()]);
    assert!(up.complete);
}

#[test]
fn configuration_buffers() {
    // on_configure copies the plugin configuration out and accepts it.
    let extra = r#"
      (func (export "proxy_on_configure") (param $ctx i32) (param $size i32) (result i32)
        (i32.store (i32.const 0x208) (local.get $size))
        (drop (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $size) (i32.const 0x300) (i32.const 0x304)))
        (i32.const 1))
    "#;
    let host = Host::new();
    let plugin = Plugin::from_wat(&wat(extra))
        .unwrap()
        .config(r#"{"a":1}"#)
        .vm_config("vm");
    let worker = host.plugin(plugin).start_vm().unwrap();
    let mut p = Probe::root(&worker);
    assert_eq!(p.u32_at(0x208), 7);
    let ptr = p.u32_at(0x300);
    assert_eq!(worker.read_memory(ptr, 7).unwrap(), br#"{"a":1}"#);
    // The plugin configuration is gone after start-up; the VM's stays.
    assert_eq!(
        p.call(
            "proxy_get_buffer_bytes",
            &[Arg::I(7), Arg::I(0), Arg::I(100), Arg::Out]
        ),
        NOT_FOUND
    );
    assert_eq!(
        p.call(
            "proxy_get_buffer_bytes",
            &[Arg::I(6), Arg::I(0), Arg::I(100), Arg::Out]
        ),
        OK
    );
    assert_eq!(p.out_text().as_deref(), Some("vm"));
    assert_eq!(
        p.call(
            "proxy_get_buffer_bytes",
            &[Arg::I(4), Arg::I(0), Arg::I(100), Arg::Out]
        ),
        NOT_FOUND
    );
}

fn property(p: &mut Probe, path: &[&str]) -> (u32, Option<Vec<u8>>) {
    let status = p.call(
        "proxy_get_property",
        &[Arg::B(path.join("\0").as_bytes()), Arg::Out],
    );
    (status, p.out())
}

#[test]
fn properties_envoy_answers() {
    let (host, worker, mut s) = held_request();
    let mut root = Probe::root(&worker);
    assert_eq!(
        property(&mut root, &["plugin_name"]),
        (OK, Some(b"customs".to_vec()))
    );
    assert_eq!(
        property(&mut root, &["plugin_root_id"]),
        (OK, Some(b"customs".to_vec()))
    );
    assert_eq!(
        property(&mut root, &["plugin_vm_id"]),
        (OK, Some(b"customs".to_vec()))
    );
    assert_eq!(
        property(&mut root, &["request", "path"]).0,
        NOT_FOUND,
        "the root context has no request"
    );
    host.set_property(&["node", "metadata", "team"], b"blue");
    s.set_property(&["connection", "mtls"], &[1]);
    let mut p = Probe::stream(&mut s);
    let cases: &[(&[&str], &[u8])] = &[
        (&["request", "path"], b"/v1/chat?x=1"),
        (&["request", "url_path"], b"/v1/chat"),
        (&["request", "method"], b"POST"),
        (&["request", "headers", "a"], b"1"),
        (&["source", "address"], b"127.0.0.1:40000"),
        (&["source", "port"], &40000i64.to_le_bytes()),
        (&["connection", "mtls"], &[1]),
        (&["node", "metadata", "team"], b"blue"),
    ];
    for (path, want) in cases {
        assert_eq!(
            property(&mut p, path),
            (OK, Some(want.to_vec())),
            "{path:?}"
        );
    }
    let (status, map) = property(&mut p, &["request", "headers"]);
    assert_eq!(status, OK);
    let map = decode_header_pairs(&map.unwrap()).unwrap();
    assert!(map.contains(&("a".into(), "1".into())));
    let (_, id) = property(&mut p, &["request", "id"]);
    assert_eq!(id.unwrap().len(), 36, "Envoy's x-request-id is a UUID");
    assert_eq!(property(&mut p, &["no", "such"]).0, NOT_FOUND);
}

#[test]
fn set_property_stores_filter_state_for_the_stream() {
    let (_host, worker, mut s) = held_request();
    assert_eq!(
        Probe::root(&worker).call("proxy_set_property", &[Arg::B(b"x"), Arg::B(b"y")]),
        NOT_FOUND
    );
    let mut p = Probe::stream(&mut s);
    assert_eq!(
        p.call(
            "proxy_set_property",
            &[Arg::B(b"customs.tenant"), Arg::B(b"payments")]
        ),
        OK
    );
    assert_eq!(
        property(&mut p, &["customs.tenant"]),
        (OK, Some(b"payments".to_vec()))
    );
    // Envoy looks filter state up by the first part only: a multi-part path
    // is stored but cannot be read back.
    assert_eq!(
        p.call(
            "proxy_set_property",
            &[Arg::B(b"customs\0decision"), Arg::B(b"forward")]
        ),
        OK
    );
    assert_eq!(property(&mut p, &["customs", "decision"]).0, NOT_FOUND);
    drop(p);
    assert_eq!(s.filter_state("customs.tenant"), Some(b"payments".to_vec()));
    assert_eq!(
        s.filter_state("customs\0decision"),
        Some(b"forward".to_vec())
    );
}

#[test]
fn trailers_are_held_and_can_be_added_in_the_last_body_callback() {
    // on_request_body adds a trailer when it sees the end of the stream.
    let extra = r#"
      (data (i32.const 0x9600) "x-checksumabc")
      (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
        (if (local.get $eos)
          (then (drop (call $proxy_add_header_map_value (i32.const 1)
            (i32.const 0x9600) (i32.const 10) (i32.const 0x960a) (i32.const 3)))))
        (i32.const 0))
      (func (export "proxy_on_response_trailers") (param i32 i32) (result i32) (i32.const 1))
    "#;
    let (_host, worker) = start(extra);
    let mut s = worker.stream();
    s.request_headers(&[(":method", "POST"), (":path", "/")], false);
    s.request_body(b"x", true);
    let up = s.upstream().unwrap();
    assert_eq!(up.trailers.unwrap().get("x-checksum"), Some("abc"));
    s.response_headers(&[(":status", "200")], false);
    s.response_body(b"body", false);
    s.response_trailers(&[("grpc-status", "0")]);
    assert!(!s.client().complete, "the trailers callback paused");
    let mut p = Probe::stream(&mut s);
    let status = p.call(
        "proxy_get_header_map_value",
        &[Arg::I(3), Arg::B(b"grpc-status"), Arg::Out],
    );
    assert_eq!((status, p.out_text().as_deref()), (OK, Some("0")));
    p.call("proxy_continue_stream", &[Arg::I(1)]);
    drop(p);
    let client = s.client();
    assert!(client.complete);
    assert_eq!(client.trailers.unwrap().get("grpc-status"), Some("0"));
}

#[test]
fn workers_and_streams_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<customs_host::Host>();
    send_sync::<customs_host::Worker>();
    send::<customs_host::Stream>();
}
