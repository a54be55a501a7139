//! The load benchmark's "host calls only" column (`envoy/bench/`) is the
//! buffer-only fixture built with `--features host-calls`: it makes the host
//! calls customs makes for a forwarded request and does none of its work, so
//! that the benchmark can tell what the calls cost in Envoy from what customs'
//! own code costs. That split is only as good as the copy: these tests hold
//! the fixture's calls to customs' own, call by call, for the benchmark's
//! exchange under the default policy.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use customs_host::bench::{request_headers, ANSWER};
use customs_host::{wasm_path, workspace_dir, Host, LogLevel, Plugin, Response};

/// A chat request with findings, like the benchmark's bodies, so that customs
/// replaces the body and tags the request.
const BODY: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a careful assistant."},{"role":"user","content":"Write to ann.lee@example.com or call +86 138 0013 8000 about card 4111 1111 1111 1111; the server is 10.20.30.40."}]}"#;

/// The fixture built with its `host-calls` feature, in its own target directory.
fn fixture_wasm() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let fixture = workspace_dir().join("bench-fixtures/buffer-only");
            let target = fixture.join("target/host-calls");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--release", "--target", "wasm32-wasip1"])
                .args(["--features", "host-calls"])
                .current_dir(&fixture)
                .env_remove("CARGO_TARGET_DIR")
                .env("CARGO_TARGET_DIR", &target)
                .status()
                .expect("running cargo");
            assert!(status.success(), "building the host-calls fixture failed");
            target.join("wasm32-wasip1/release/buffer_only.wasm")
        })
        .clone()
}

/// The host calls of the second of two benchmark exchanges (the first warms
/// up: metrics defined once per VM are not a request's), the body in one
/// chunk as Envoy hands a 2 KB body over, and the host's log at warning as
/// in the benchmark (customs then skips the audit line's log call).
fn calls_of_one_exchange(wasm: &PathBuf, root_id: &str) -> BTreeMap<String, u64> {
    let host = Host::new();
    host.echo_logs(false);
    let worker = host
        .plugin(
            Plugin::from_file(wasm)
                .expect("module")
                .root_id(root_id)
                .log_level(LogLevel::Warn),
        )
        .start_vm()
        .expect("the VM starts");
    let length = BODY.len().to_string();
    let headers = request_headers(&length);
    let answer = Response::new(200)
        .header("content-type", "application/json")
        .body(ANSWER);
    for round in 0..2 {
        host.clear_host_calls();
        let mut stream = worker.stream();
        stream.request_headers(&headers, false);
        stream.request_body(BODY.as_bytes(), true);
        assert!(stream.crossed(), "round {round}: the request did not cross");
        stream.respond(&answer);
        stream.finish();
    }
    host.host_calls()
}

#[test]
fn the_fixture_makes_the_host_calls_customs_makes() {
    let customs = calls_of_one_exchange(&wasm_path(), "customs");
    let fixture = calls_of_one_exchange(&fixture_wasm(), "buffer_only");
    assert!(
        customs.get("proxy_set_buffer_bytes") == Some(&1),
        "customs replaced the body once: {customs:?}"
    );
    assert_eq!(
        fixture, customs,
        "bench-fixtures/buffer-only/src/host_calls.rs no longer copies customs' host calls \
         (left: the fixture's, right: customs'); change the fixture with customs"
    );
}
