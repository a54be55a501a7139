//! Tags through the real `.wasm`: the attestation checked with customs' own
//! verifier against the body that crossed, spoofed tags, every bulk-extraction
//! signal and threshold, shadow mode, egress rules and the audit line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/filter.rs"]
mod filter;

use customs_filter::tags::attest::{self, VerifyError};
use customs_host::{Host, LogLevel};
use filter::*;
use serde_json::{json, Value};
use std::time::Duration;

const SECRET_1: &str = "attestation-secret-one-0123456789abcdef";
const SECRET_2: &str = "attestation-secret-two-0123456789abcdef";

fn attested(key_id: &str, secret: &str) -> Value {
    json!({"policy_id": "bank-edge", "version": "3",
           "tags": {"attestation": {"key_id": key_id, "secret": secret}}})
}

fn keys(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    list.iter()
        .map(|(kid, secret)| (kid.to_string(), secret.as_bytes().to_vec()))
        .collect()
}

#[test]
fn the_attestation_verifies_against_the_body_that_crossed_and_nothing_else() {
    let edge = Edge::new(&attested("k1", SECRET_1), 1);
    let req = chat("Mail ann@example.com about the renewal").header("x-request-id", "rid-42");
    let s = edge.send(0, &req);
    let up = s.upstream().unwrap();
    let headers = up.headers.get_all("x-customs-attestation");
    assert_eq!(headers.len(), 1, "{headers:?}");
    let header = headers[0];
    let crossed = up.body.clone();
    assert!(!up.body_text().contains("ann@example.com"));

    let claims = attest::verify(header, &crossed, &keys(&[("k1", SECRET_1)])).unwrap();
    assert_eq!(claims.key_id, "k1");
    assert_eq!(claims.tenant, "default");
    assert_eq!(claims.request_id, "rid-42");
    assert_eq!(claims.policy, "bank-edge@3");
    assert_eq!(claims.timestamp_ms, edge.now_ms());
    assert_eq!(
        Some(claims.request_id.as_str()),
        up.header("x-customs-request-id")
    );

    // The body the client sent is not the one attested.
    assert_eq!(
        attest::verify(header, &req.body, &keys(&[("k1", SECRET_1)])),
        Err(VerifyError::BodyMismatch)
    );
    // Any one byte changed breaks it.
    for at in [0, crossed.len() / 2, crossed.len() - 1] {
        let mut tampered = crossed.clone();
        tampered[at] ^= 0x01;
        assert_eq!(
            attest::verify(header, &tampered, &keys(&[("k1", SECRET_1)])),
            Err(VerifyError::BodyMismatch),
            "byte {at}"
        );
    }
    // A claim changed in transit breaks the signature.
    for (from, to) in [
        ("tenant=default", "tenant=payments"),
        ("rid=rid-42", "rid=rid-43"),
    ] {
        let forged = header.replace(from, to);
        assert_ne!(forged, header);
        assert_eq!(
            attest::verify(&forged, &crossed, &keys(&[("k1", SECRET_1)])),
            Err(VerifyError::BadSignature),
            "{from}"
        );
    }
    // The wrong secret under the right id.
    assert_eq!(
        attest::verify(header, &crossed, &keys(&[("k1", SECRET_2)])),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn a_rotated_key_leaves_old_attestations_verifiable_only_with_the_old_key() {
    let old = Edge::new(&attested("k1", SECRET_1), 1);
    let new = Edge::new(&attested("k2", SECRET_2), 1);
    let req = chat("nothing sensitive here");
    let signed = |edge: &Edge| {
        let up = edge.send(0, &req).upstream().unwrap();
        // Nothing was found: the body crossed as sent, and that is what is signed.
        assert_eq!(up.body, req.body);
        up.header("x-customs-attestation").unwrap().to_string()
    };
    let (h1, h2) = (signed(&old), signed(&new));
    let both = keys(&[("k1", SECRET_1), ("k2", SECRET_2)]);
    assert_eq!(attest::verify(&h1, &req.body, &both).unwrap().key_id, "k1");
    assert_eq!(attest::verify(&h2, &req.body, &both).unwrap().key_id, "k2");
    let only_new = keys(&[("k2", SECRET_2)]);
    assert_eq!(
        attest::verify(&h1, &req.body, &only_new),
        Err(VerifyError::UnknownKey("k1".into()))
    );
    assert!(attest::verify(&h2, &req.body, &only_new).is_ok());
    let swapped = keys(&[("k1", SECRET_2), ("k2", SECRET_1)]);
    assert_eq!(
        attest::verify(&h1, &req.body, &swapped),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn a_request_without_a_body_is_attested_over_the_empty_body() {
    let edge = Edge::new(&attested("k1", SECRET_1), 1);
    let req = Req {
        method: "GET".into(),
        path: "/v1/models".into(),
        headers: vec![("x-customs-attestation".into(), "v1;kid=k1;forged".into())],
        body: Vec::new(),
    };
    let up = edge.send(0, &req).upstream().unwrap();
    let headers = up.headers.get_all("x-customs-attestation");
    assert_eq!(headers.len(), 1);
    attest::verify(headers[0], b"", &keys(&[("k1", SECRET_1)])).unwrap();
}

#[test]
fn tags_a_client_sets_never_cross() {
    let cases: &[(&str, Value)] = &[
        ("x-customs-", json!({})),
        ("x-border-", json!({"tags": {"prefix": "x-border-"}})),
    ];
    for (prefix, policy) in cases {
        let edge = Edge::new(policy, 1);
        let spoofed = [
            "tenant",
            "request-id",
            "policy",
            "class",
            "redactions",
            "tokens",
            "signals",
            "shadow",
            "attestation",
            "made-up",
        ];
        for body in [true, false] {
            let mut req = if body {
                chat("Mail ann@example.com")
            } else {
                Req {
                    method: "GET".into(),
                    path: "/v1/models".into(),
                    headers: Vec::new(),
                    body: Vec::new(),
                }
            };
            for (i, name) in spoofed.iter().enumerate() {
                let name = format!("{prefix}{name}");
                // Some in upper case, some twice.
                let name = if i % 2 == 0 {
                    name.to_uppercase()
                } else {
                    name
                };
                req = req.header(&name, "spoofed").header(&name, "spoofed-again");
            }
            req = req.header("x-other-header", "kept");
            let up = edge.send(0, &req).upstream().unwrap();
            for (name, value) in up.headers.iter() {
                assert!(
                    !value.starts_with("spoofed"),
                    "{prefix} body={body}: {name}: {value} crossed"
                );
            }
            assert_eq!(up.header("x-other-header"), Some("kept"));
            assert_eq!(
                up.headers.get_all(&format!("{prefix}tenant")),
                vec!["default"]
            );
            assert_eq!(up.headers.get_all(&format!("{prefix}request-id")).len(), 1);
            if body {
                assert_eq!(up.header(&format!("{prefix}class")), Some("confidential"));
                assert_eq!(up.header(&format!("{prefix}redactions")), Some("email=1"));
            }
        }
    }
}

/// A chat request with extra top-level fields.
fn chat_with(fields: Value) -> Req {
    let mut body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]});
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    Req::post("/v1/chat/completions", &body)
}

#[test]
fn each_bulk_extraction_signal_fires_above_its_threshold_and_acts_as_told() {
    // (signals policy, extra request fields, status, signals tag)
    let cases: Vec<(Value, Value, u16, Option<&str>)> = vec![
        (json!({}), json!({}), 200, None),
        (json!({}), json!({"logprobs": true}), 200, Some("logprobs")),
        (json!({}), json!({"logprobs": false}), 200, None),
        (json!({}), json!({"logprobs": null}), 200, None),
        (json!({}), json!({"top_logprobs": 3}), 200, Some("logprobs")),
        (
            json!({"logprobs": "block"}),
            json!({"logprobs": true}),
            403,
            None,
        ),
        (
            json!({"logprobs": "throttle"}),
            json!({"logprobs": true}),
            200,
            Some("logprobs"),
        ),
        (json!({}), json!({"n": 1}), 200, None),
        (json!({}), json!({"n": 2}), 200, Some("many_choices")),
        (
            json!({"many_choices": {"above": 3}}),
            json!({"n": 3}),
            200,
            None,
        ),
        (
            json!({"many_choices": {"above": 3}}),
            json!({"n": 4}),
            200,
            Some("many_choices"),
        ),
        (
            json!({"many_choices": {"above": 3, "action": "block"}}),
            json!({"n": 4}),
            403,
            None,
        ),
        (json!({}), json!({"max_tokens": 16384}), 200, None),
        (
            json!({}),
            json!({"max_tokens": 16385}),
            200,
            Some("large_output_cap"),
        ),
        (
            json!({}),
            json!({"max_completion_tokens": 20000}),
            200,
            Some("large_output_cap"),
        ),
        (
            json!({"large_output_cap": {"above": 1000, "action": "block"}}),
            json!({"max_tokens": 1001}),
            403,
            None,
        ),
        (
            json!({}),
            json!({"logprobs": true, "n": 2, "max_tokens": 50000}),
            200,
            Some("logprobs,many_choices,large_output_cap"),
        ),
        (
            json!({"many_choices": {"above": 1, "action": "block"}}),
            json!({"logprobs": true, "n": 2}),
            403,
            None,
        ),
    ];
    for (signals, fields, status, tag) in cases {
        let edge = Edge::new(&json!({"signals": signals}), 1);
        let mut s = edge.send(0, &chat_with(fields.clone()));
        let what = format!("signals {signals}, request {fields}");
        match s.upstream() {
            Some(up) => {
                assert_eq!(status, 200, "{what}: crossed");
                assert_eq!(up.header("x-customs-signals"), tag, "{what}");
                answer_json(&mut s, 200, &chat_answer("ok", 3, 2));
            }
            None => {
                let client = s.client();
                assert_eq!(client.status(), status, "{what}: {}", client.body_text());
                let body = client.json().unwrap();
                assert_eq!(body["error"]["code"], "customs_bulk_extraction", "{what}");
            }
        }
        let audit = edge.audit();
        if let Some(names) = tag {
            let signals: Vec<&str> = audit[0]["signals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(signals.join(","), names, "{what}");
            for name in names.split(',') {
                assert_eq!(
                    edge.counter(&format!("customs.signals.{name}")),
                    1,
                    "{what}"
                );
            }
        }
    }
}

#[test]
fn a_tenants_output_volume_per_hour_raises_a_signal() {
    for budget in [true, false] {
        let mut policy = json!({
            "tenants": {"header": "x-team"},
            "signals": {"output_tokens_per_hour": {"above": 100, "action": "block"}}
        });
        if budget {
            policy["limits"] = json!({"budgets": {"tokens_per_day": 1000000}});
        }
        let edge = Edge::new(&policy, 2);
        let what = if budget {
            "with a budget"
        } else {
            "without a budget"
        };
        for (i, completion) in [60u64, 60].into_iter().enumerate() {
            let mut s = edge.send(i, &chat("Hi").header("x-team", "harvest"));
            assert!(s.upstream().is_some(), "{what}: request {i}");
            answer_json(&mut s, 200, &chat_answer("words", 5, completion));
        }
        // 120 output tokens this hour: over the threshold for this tenant only.
        let s = edge.send(0, &chat("Hi").header("x-team", "harvest"));
        assert_eq!(
            s.client().status(),
            403,
            "{what}: the tenant's hourly output passed 100 tokens unnoticed"
        );
        assert!(s.client().body_text().contains("output_volume"));
        let other = edge.send(1, &chat("Hi").header("x-team", "other"));
        assert!(other.upstream().is_some(), "{what}");
        // The hour passes.
        edge.host
            .advance_clock(std::time::Duration::from_secs(3600));
        let later = edge.send(0, &chat("Hi").header("x-team", "harvest"));
        assert!(later.upstream().is_some(), "{what}");
    }
}

#[test]
fn shadow_mode_forwards_every_body_as_sent_and_tags_what_would_have_happened() {
    let policy = json!({
        "shadow": {"enabled": true},
        "redact": {"actions": {"us_ssn": "block"}, "remove_fields": ["user"]},
        "egress": {"deny_models": ["o1*"], "deny_paths": ["/v1/files"]},
        "limits": {"caps": {"max_output_tokens": 10, "on_excess": "refuse", "allowed_models": ["gpt-4o-mini"]},
                   "budgets": {"tokens_per_minute": 100}},
        "signals": {"logprobs": "block"}
    });
    let edge = Edge::new(&policy, 1);
    let raw = |text: &str| Req::raw("/v1/chat/completions", text.as_bytes().to_vec());
    // (request, shadow tag, redactions tag)
    let cases: Vec<(Req, Option<&str>, &str)> = vec![
        (
            raw(
                r#"{"model":"gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"#,
            ),
            None,
            "none",
        ),
        (
            raw(
                r#"{"model":"gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"Mail ann@example.com"}]}"#,
            ),
            Some("redacted"),
            "email=1",
        ),
        // Field removal alone is no finding: enforced, the decision would stay
        // "forwarded" too.
        (
            raw(
                r#"{"model":"gpt-4o-mini","max_tokens":5,"user":"u-7","messages":[{"role":"user","content":"Hi"}]}"#,
            ),
            None,
            "none",
        ),
        (
            raw(
                r#"{"model":"gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"SSN 287-65-4321"}]}"#,
            ),
            Some("blocked"),
            "us_ssn=1",
        ),
        (
            raw(
                r#"{"model":"o1-mini","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"#,
            ),
            Some("blocked"),
            "none",
        ),
        (
            raw(r#"{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"#),
            Some("refused"),
            "none",
        ),
        (
            raw(
                r#"{"model":"gpt-4o-mini","max_tokens":500,"messages":[{"role":"user","content":"Hi"}]}"#,
            ),
            Some("refused"),
            "none",
        ),
        (
            raw(
                r#"{"model":"gpt-4o-mini","logprobs":true,"messages":[{"role":"user","content":"Hi"}]}"#,
            ),
            Some("blocked"),
            "none",
        ),
        (
            Req::post("/v1/files", &json!({"purpose": "batch"})),
            Some("blocked"),
            "none",
        ),
    ];
    for (req, shadow, redactions) in &cases {
        let mut s = edge.send(0, req);
        let up = s.upstream().unwrap_or_else(|| {
            panic!(
                "{}: refused in shadow mode: {}",
                req.text(),
                s.client().body_text()
            )
        });
        assert_eq!(up.body, req.body, "{}: the body changed", req.text());
        assert_eq!(up.header("x-customs-shadow"), *shadow, "{}", req.text());
        if req.path != "/v1/files" {
            assert_eq!(
                up.header("x-customs-redactions"),
                Some(*redactions),
                "{}",
                req.text()
            );
        }
        answer_json(&mut s, 200, &chat_answer("ok", 30, 10));
    }
    // Three exchanges of 40 tokens spent the budget of 100: the next request
    // would have been limited.
    let s = edge.send(0, &chat("Hi"));
    let up = s.upstream().unwrap();
    assert_eq!(up.header("x-customs-shadow"), Some("limited"));

    let audit = edge.audit();
    assert_eq!(audit.len(), cases.len());
    for (line, (_, shadow, _)) in audit.iter().zip(&cases) {
        assert_eq!(line["decision"], "forwarded", "{line}");
        assert_eq!(line["shadow_decision"].as_str(), *shadow, "{line}");
    }
    assert_eq!(edge.counter("customs.shadow.redacted"), 1);
    assert_eq!(edge.counter("customs.shadow.blocked"), 4);
    assert_eq!(edge.counter("customs.shadow.refused"), 2);
    assert_eq!(
        edge.counter("customs.requests.forwarded.chat_completions"),
        8
    );
}

#[test]
fn egress_rules_per_tenant_model_and_path() {
    let policy = json!({
        "tenants": {"header": "x-team"},
        "egress": {
            "allow_models": ["gpt-4o-mini", "claude-*"],
            "deny_models": ["claude-3-opus*"],
            "deny_paths": ["/v1/files", "/v1/batches"],
            "tenants": {"research": {"allow_models": ["o1*"], "deny_paths": []}}
        }
    });
    let edge = Edge::new(&policy, 1);
    let post = |path: &str, model: Option<&str>, team: &str| {
        let mut body = json!({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5});
        if let Some(m) = model {
            body["model"] = json!(m);
        }
        Req::post(path, &body).header("x-team", team)
    };
    let chat_path = "/v1/chat/completions";
    let azure = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21";
    // (request, allowed, refusal code)
    let cases: Vec<(Req, bool, &str)> = vec![
        (post(chat_path, Some("gpt-4o-mini"), "sales"), true, ""),
        (
            post(chat_path, Some("gpt-4o"), "sales"),
            false,
            "customs_model_denied",
        ),
        (
            post(chat_path, None, "sales"),
            false,
            "customs_model_denied",
        ),
        (
            post("/v1/messages", Some("claude-sonnet-4-5"), "sales"),
            true,
            "",
        ),
        (
            post("/v1/messages", Some("claude-3-opus-20240229"), "sales"),
            false,
            "customs_model_denied",
        ),
        (
            post(chat_path, Some("o1-mini"), "sales"),
            false,
            "customs_model_denied",
        ),
        (post(azure, None, "sales"), true, ""),
        (
            post("/v1/files", Some("gpt-4o-mini"), "sales"),
            false,
            "customs_route_denied",
        ),
        (
            post("/v1/batches?limit=1", Some("gpt-4o-mini"), "sales"),
            false,
            "customs_route_denied",
        ),
        (post(chat_path, Some("o1-mini"), "research"), true, ""),
        (
            post(chat_path, Some("gpt-4o-mini"), "research"),
            false,
            "customs_model_denied",
        ),
        (post("/v1/files", Some("o1-mini"), "research"), true, ""),
    ];
    for (req, allowed, code) in &cases {
        let s = edge.send(0, req);
        let what = format!(
            "{} {} {}",
            req.path,
            req.text(),
            req.headers.last().unwrap().1
        );
        assert_eq!(
            s.upstream().is_some(),
            *allowed,
            "{what}: {}",
            s.client().body_text()
        );
        if !allowed {
            let client = s.client();
            assert_eq!(client.status(), 403, "{what}");
            let body = client.json().unwrap();
            let got = body["error"]["code"].as_str().unwrap_or("(anthropic)");
            if req.path != "/v1/messages" {
                assert_eq!(got, *code, "{what}");
            } else {
                assert_eq!(body["error"]["type"], "permission_error", "{what}");
            }
        }
    }
    let refused = cases.iter().filter(|c| !c.1).count() as i64;
    assert_eq!(
        edge.counter("customs.rejections.customs_model_denied")
            + edge.counter("customs.rejections.customs_route_denied"),
        refused
    );
}

/// Envoy at `-l warning` drops info lines: customs then does not hand the
/// audit line to the log at all (it reads the host's level at start and on
/// every tick), and filter state still carries it for the access log.
#[test]
fn the_audit_line_skips_a_log_that_drops_info_lines() {
    for (level, logged) in [(LogLevel::Info, 1), (LogLevel::Warn, 0)] {
        let edge = Edge::with_plugin(Host::new(), &json!({}), 1, |p| p.log_level(level));
        let mut s = edge.send(0, &chat("Mail ann@example.com"));
        answer_json(&mut s, 200, &chat_answer("ok", 21, 4));
        assert_eq!(edge.audit().len(), logged, "{level:?}");
        let state = s.filter_state("customs.audit").expect("audit state");
        let state: Value = serde_json::from_slice(&state).expect("the state is JSON");
        assert_eq!(state["decision"], "redacted", "{level:?}");
        assert_eq!(state["categories"], json!({"email": 1}), "{level:?}");
    }
}

/// Counters are summed inside the VM and reach the host on its tick (Envoy's
/// timer, once a second), each as one sum; the histogram is per request.
#[test]
fn counters_reach_the_host_summed_on_the_tick() {
    let edge = Edge::new(&json!({}), 1);
    assert_eq!(edge.worker(0).tick_period(), Some(Duration::from_secs(1)));
    for _ in 0..3 {
        let mut s = edge.send(0, &chat("Mail ann@example.com or bo@example.com"));
        answer_json(&mut s, 200, &chat_answer("ok", 21, 4));
    }
    let on_host = |name: &str| edge.host.metric(name).map_or(0, |m| m.value());
    assert_eq!(on_host("customs.findings.email"), 0, "before the tick");
    assert_eq!(
        on_host("customs.filter_time_us"),
        3,
        "one record per request"
    );
    edge.host.advance_clock(Duration::from_secs(1));
    assert_eq!(on_host("customs.findings.email"), 6);
    assert_eq!(on_host("customs.requests.redacted.chat_completions"), 3);
    // Nothing is counted twice by later ticks.
    edge.host.advance_clock(Duration::from_secs(5));
    assert_eq!(on_host("customs.findings.email"), 6);
}

#[test]
fn the_audit_line_says_what_happened_and_matches_the_tags() {
    let policy = json!({"policy_id": "bank-edge", "version": "3", "tenants": {"header": "x-team"},
                        "redact": {"actions": {"us_ssn": "block"}},
                        "limits": {"budgets": {"tokens_per_minute": 10000}}});
    let edge = Edge::new(&policy, 1);
    let mut s = edge.send(
        0,
        &chat("Mail ann@example.com or bo@example.com, call 13812345678")
            .header("x-team", "payments"),
    );
    let up = s.upstream().unwrap();
    let (estimated, reserved) = tokens_tag(&s);
    answer_json(&mut s, 200, &chat_answer("ok", 21, 4));
    let blocked = edge.send(0, &chat("SSN 287-65-4321").header("x-team", "payments"));
    assert_eq!(blocked.client().status(), 403);

    let audit = edge.audit();
    assert_eq!(audit.len(), 2);
    // The same line is filter state, for Envoy's access log.
    for (stream, line) in [(&s, &audit[0]), (&blocked, &audit[1])] {
        let state = stream.filter_state("customs.audit").expect("audit state");
        let state: Value = serde_json::from_slice(&state).expect("the state is JSON");
        assert_eq!(&state, line);
    }
    let a = &audit[0];
    assert_eq!(a["request_id"].as_str(), up.header("x-customs-request-id"));
    assert_eq!(a["tenant"], "payments");
    assert_eq!(a["route"], "chat_completions");
    assert_eq!(a["model"], "gpt-4o-mini");
    assert_eq!(a["decision"], "redacted");
    assert_eq!(a["policy"], "bank-edge@3");
    assert_eq!(a["status"], 200);
    assert_eq!(a["reason"], Value::Null);
    assert_eq!(a["categories"], json!({"email": 2, "phone": 1}));
    assert_eq!(
        a["tokens"],
        json!({"estimated": estimated, "reserved": reserved, "used": 25})
    );
    assert_eq!(a["time_ms"], edge.now_ms());
    let b = &audit[1];
    assert_eq!(b["decision"], "blocked");
    assert_eq!(b["reason"], "customs_blocked_category");
    assert_eq!(b["status"], 403);
    assert_eq!(b["categories"], json!({"us_ssn": 1}));
    assert_eq!(b["tokens"]["used"], 0);
    assert_eq!(
        b["request_id"].as_str(),
        blocked.client().header("x-customs-request-id")
    );
}
