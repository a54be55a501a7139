//! Size boundaries through the .wasm: a body one byte under the policy's
//! `max_body_bytes`, exactly at it and one byte over, with and without a
//! declared `content-length` and cut into chunks of several sizes. At or under
//! the limit the body crosses byte for byte; over it customs answers 413 in the
//! provider's error JSON and nothing crosses. Envoy's own buffer limit, as the
//! shipped configs set it, leaves that answer to customs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use customs_host::scenario::RequestSpec;
use customs_host::{wasm_path, workspace_dir, Host, Plugin, Response, Stream, Worker};
use serde_json::{json, Value};

/// customs' default `request.max_body_bytes`.
const DEFAULT_LIMIT: usize = 1 << 20;

/// A valid chat request (no sensitive data in it) of exactly `size` bytes.
fn chat_of_bytes(path: &str, size: usize) -> Vec<u8> {
    let spec: RequestSpec = serde_json::from_value(json!({
        "method": "POST", "path": path, "body_chat_of_bytes": size
    }))
    .unwrap();
    let body = spec.body_bytes();
    assert_eq!(body.len(), size);
    body
}

fn worker(policy: Option<&Value>, buffer_limit: Option<usize>) -> Worker {
    let mut plugin = Plugin::from_file(wasm_path()).unwrap();
    if let Some(policy) = policy {
        plugin = plugin.config(policy);
    }
    if let Some(limit) = buffer_limit {
        plugin = plugin.buffer_limit(limit);
    }
    let host = Host::new();
    host.echo_logs(false);
    host.plugin(plugin).start_vm().unwrap()
}

/// Sends `body` in chunks of `chunk` bytes, declaring its length or not.
fn send(worker: &Worker, path: &str, body: &[u8], chunk: usize, declare: bool) -> Stream {
    let length = body.len().to_string();
    let mut headers = vec![
        (":method", "POST"),
        (":path", path),
        ("content-type", "application/json"),
    ];
    if declare {
        headers.push(("content-length", &length));
    }
    let mut s = worker.stream();
    s.request_headers(&headers, false);
    let chunks: Vec<&[u8]> = body.chunks(chunk).collect();
    for (i, piece) in chunks.iter().enumerate() {
        s.request_body(piece, i + 1 == chunks.len());
        if s.client().status.is_some() {
            break;
        }
    }
    s
}

/// What must happen to a body of one size.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Crosses,
    Refused,
}

fn check(s: &mut Stream, body: &[u8], want: Want, anthropic: bool, what: &str) {
    assert!(s.trap().is_none(), "{what}: trapped: {:?}", s.trap());
    match want {
        Want::Crosses => {
            let up = s
                .upstream()
                .unwrap_or_else(|| panic!("{what}: nothing crossed"));
            assert!(up.complete, "{what}: the request did not complete upstream");
            assert_eq!(up.body.len(), body.len(), "{what}: body size changed");
            assert!(up.body == body, "{what}: the body changed");
            assert!(up.content_length_mismatch().is_none(), "{what}");
            s.respond(&Response::json(200, &json!({"id": "ok"})));
            assert_eq!(s.client().status(), 200, "{what}");
        }
        Want::Refused => {
            assert!(s.upstream().is_none(), "{what}: something crossed");
            let client = s.client();
            assert_eq!(client.status(), 413, "{what}: {}", client.body_text());
            let local = client.local_reply.as_ref().unwrap();
            assert!(
                local.by_filter,
                "{what}: Envoy answered ({}), not customs",
                local.details
            );
            let error = client.json().unwrap_or_else(|| {
                panic!("{what}: the refusal is not JSON: {}", client.body_text())
            });
            let code = if anthropic {
                assert_eq!(error["type"], "error", "{what}: {error}");
                &error["error"]["type"]
            } else {
                &error["error"]["code"]
            };
            let want_code = if anthropic {
                "request_too_large"
            } else {
                "customs_body_too_large"
            };
            assert_eq!(code, want_code, "{what}: {error}");
        }
    }
}

#[test]
fn bodies_at_the_limit_cross_and_one_byte_more_is_refused_by_customs() {
    let small = json!({"request": {"max_body_bytes": 4096}});
    // (policy, its limit, route, chunk sizes)
    let cases: [(Option<&Value>, usize, &str, &[usize]); 3] = [
        (
            None,
            DEFAULT_LIMIT,
            "/v1/chat/completions",
            &[1 << 20, 65536, 1000],
        ),
        (Some(&small), 4096, "/v1/chat/completions", &[4096, 1000, 1]),
        (Some(&small), 4096, "/v1/messages", &[4097, 333]),
    ];
    for (policy, limit, path, chunks) in cases {
        let anthropic = path == "/v1/messages";
        let worker = worker(policy, None);
        for (size, want) in [
            (limit - 1, Want::Crosses),
            (limit, Want::Crosses),
            (limit + 1, Want::Refused),
        ] {
            let body = chat_of_bytes(path, size);
            for &chunk in chunks {
                for declare in [true, false] {
                    let what = format!(
                        "{path}, limit {limit}, body {size}, chunks of {chunk}, content-length {}",
                        if declare { "declared" } else { "absent" }
                    );
                    let mut s = send(&worker, path, &body, chunk, declare);
                    check(&mut s, &body, want, anthropic, &what);
                }
            }
        }
        assert!(worker.traps().is_empty());
    }
}

/// The smallest `per_connection_buffer_limit_bytes` a shipped config sets,
/// for every config that loads customs.
fn shipped_buffer_limits() -> Vec<(PathBuf, usize)> {
    let mut out = Vec::new();
    let mut dirs = vec![workspace_dir().join("envoy")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                // envoy/.run holds rendered copies, not shipped configs.
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            if !text.contains("envoy.filters.http.wasm") {
                continue;
            }
            let limit = text
                .lines()
                .filter_map(|l| {
                    l.trim()
                        .strip_prefix("per_connection_buffer_limit_bytes:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .min()
                .unwrap_or_else(|| {
                    panic!(
                        "{} loads customs but leaves Envoy's buffer limit at its 1 MiB default",
                        path.display()
                    )
                });
            out.push((path, limit));
        }
    }
    out.sort();
    assert!(out.len() >= 2, "expected edge.yaml and demo.yaml: {out:?}");
    out
}

#[test]
fn shipped_buffer_limits_leave_the_refusal_to_customs() {
    // One read past the policy's limit must still fit in Envoy's buffer, or
    // Envoy answers with its own plain-text 413 before customs sees the chunk.
    const READ: usize = 65536;
    let body = chat_of_bytes("/v1/chat/completions", DEFAULT_LIMIT + 1);
    for (path, limit) in shipped_buffer_limits() {
        assert!(
            limit >= DEFAULT_LIMIT + READ,
            "{}: per_connection_buffer_limit_bytes {limit} is below customs' default \
             max_body_bytes ({DEFAULT_LIMIT}) plus one read",
            path.display()
        );
        let worker = worker(None, Some(limit));
        for declare in [true, false] {
            let mut s = send(&worker, "/v1/chat/completions", &body, READ, declare);
            let what = format!("{} (buffer limit {limit})", path.display());
            check(&mut s, &body, Want::Refused, false, &what);
        }
    }
}

/// Why the setting matters: with a buffer limit below the policy's (Envoy
/// Gateway's 32 KiB default, say), Envoy answers large bodies itself, in plain
/// text no client SDK reads as the provider's error.
#[test]
fn a_buffer_limit_below_the_policy_lets_envoy_answer_instead() {
    let worker = worker(None, Some(32 * 1024));
    let body = chat_of_bytes("/v1/chat/completions", 40_000);
    let s = send(&worker, "/v1/chat/completions", &body, 16 * 1024, false);
    assert!(s.upstream().is_none());
    let client = s.client();
    assert_eq!(client.status(), 413);
    let local = client.local_reply.as_ref().unwrap();
    assert!(!local.by_filter, "Envoy, not customs, answers");
    assert!(client.json().is_none(), "{}", client.body_text());
}
