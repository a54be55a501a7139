//! The `customs` command, run as a policy author would, on the SDK probe
//! filter (so it does not depend on the state of customs' own build).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn customs(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_customs"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A file in this test's own temporary directory.
fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("customs-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn run_prints_what_crossed_and_what_the_client_got() {
    let wasm = common::sdk_probe();
    let request = file(
        "request.json",
        r#"{"method": "POST", "path": "/v1/chat/completions", "headers": {"content-type": "application/json"},
            "body": {"model": "m", "messages": []}}"#,
    );
    let response = file(
        "response.json",
        r#"{"status": 200, "sse": ["data: a\n\n", "data: [DONE]\n\n"]}"#,
    );
    let (code, out, err) = customs(&[
        "run",
        "--wasm",
        s(&wasm),
        s(&request),
        "--response",
        s(&response),
    ]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["crossed"]["method"], "POST");
    assert_eq!(
        report["crossed"]["body"],
        serde_json::json!({"MODEL": "M", "MESSAGES": []}),
        "JSON bodies as JSON"
    );
    assert_eq!(report["crossed"]["headers"]["x-probe-size"], "27");
    assert_eq!(report["client"]["status"], 200);
    assert_eq!(report["client"]["chunks"], 2);
    assert!(report.get("local_response").is_none());
}

#[test]
fn run_shows_a_local_response_instead_of_a_crossing() {
    let wasm = common::sdk_probe();
    let request = file(
        "deny.json",
        r#"{"path": "/v1/chat/completions", "headers": [["x-probe-action", "deny"]], "body": "x"}"#,
    );
    let (code, out, err) = customs(&["run", "--wasm", s(&wasm), s(&request)]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert!(report.get("crossed").is_none());
    assert_eq!(report["local_response"]["by"], "filter");
    assert_eq!(report["client"]["status"], 403);
    assert_eq!(
        report["client"]["body"], r#"{"DENIED":TRUE}"#,
        "a body that is not JSON as text"
    );
}

#[test]
fn check_accepts_or_prints_the_filters_error() {
    let wasm = common::sdk_probe();
    let good = file("good.json", "{}");
    assert_eq!(customs(&["check", "--wasm", s(&wasm), s(&good)]).1, "ok\n");
    let bad = file("bad.json", "reject");
    let (code, out, _) = customs(&["check", "--wasm", s(&wasm), s(&bad)]);
    assert_eq!((code, out.as_str()), (1, "probe: configuration refused\n"));
}

#[test]
fn usage_errors_are_reported() {
    let (code, out, _) = customs(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("customs run"));
    for args in [
        &["frobnicate"][..],
        &["run"],
        &["run", "--policy"],
        &["check", "--what"],
    ] {
        let (code, _, err) = customs(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.starts_with("customs: "), "{args:?}: {err}");
    }
}
