#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::*;

fn engine(policy: &str) -> Engine {
    Engine::from_config(policy.as_bytes()).unwrap()
}

fn head(path: &str, headers: &[(&str, &str)]) -> RequestHead {
    RequestHead::new(
        "POST",
        path,
        headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// The body a chat completion request forwards, as text.
fn forwarded_chat(engine: &Engine, body: &serde_json::Value) -> String {
    let head = head("/v1/chat/completions", &[JSON]);
    let Verdict::Forward(forward) = run(engine, &head, body.to_string().as_bytes()) else {
        panic!("refused");
    };
    String::from_utf8(forward.body.unwrap()).unwrap()
}

/// Runs a whole request through the engine.
fn run(engine: &Engine, head: &RequestHead, body: &[u8]) -> Verdict {
    let ctx = Ctx {
        now_ms: 1,
        random: 7,
    };
    match engine.on_request_head(head, !body.is_empty(), ctx) {
        HeadStep::Respond(_, r) => Verdict::Respond(r),
        HeadStep::Forward(_, f) => Verdict::Forward(f),
        HeadStep::AwaitBody(mut ex) => {
            engine.on_request_body(head, &mut ex, body, ctx, &crate::limits::MemoryStore::new())
        }
    }
}

fn status(v: &Verdict) -> u16 {
    match v {
        Verdict::Respond(r) => r.status,
        Verdict::Forward(_) => 200,
    }
}

#[test]
#[allow(clippy::type_complexity)]
fn bad_input_is_refused_in_the_providers_envelope() {
    let e = engine("");
    let chat = "/v1/chat/completions";
    let ok = br#"{"model":"m","messages":[]}"#;
    let cases: &[(&str, &[(&str, &str)], &[u8], u16, &str)] = &[
        (chat, &[JSON], ok, 200, ""),
        (chat, &[JSON], b"{\"model\":", 400, "customs_malformed_json"),
        (chat, &[JSON], b"[1,2]", 400, "customs_malformed_json"),
        (
            chat,
            &[JSON, ("content-encoding", "gzip")],
            ok,
            415,
            "customs_unsupported_encoding",
        ),
        (chat, &[JSON, ("content-encoding", "identity")], ok, 200, ""),
        (
            chat,
            &[("content-type", "text/plain")],
            ok,
            415,
            "customs_unsupported_content_type",
        ),
        (chat, &[], ok, 415, "customs_unsupported_content_type"),
        (
            chat,
            &[("content-type", "application/json; charset=utf-8")],
            ok,
            200,
            "",
        ),
        (
            chat,
            &[("content-type", "application/json;charset=\"UTF-8\"")],
            ok,
            200,
            "",
        ),
        (
            chat,
            &[("content-type", "application/json; charset=utf-16")],
            ok,
            415,
            "customs_unsupported_content_type",
        ),
        (
            chat,
            &[("content-type", "application/json; charset=iso-8859-1")],
            ok,
            415,
            "customs_unsupported_content_type",
        ),
        (
            chat,
            &[JSON, ("content-length", "2000000")],
            ok,
            413,
            "customs_body_too_large",
        ),
        (
            "/v1/messages",
            &[JSON],
            b"nope",
            400,
            "customs_malformed_json",
        ),
    ];
    for (path, headers, body, want, code) in cases {
        let v = run(&e, &head(path, headers), body);
        assert_eq!(status(&v), *want, "{path} {headers:?}");
        if let Verdict::Respond(r) = v {
            let j: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            if path.ends_with("/messages") {
                assert_eq!(j["type"], "error");
                assert_eq!(j["error"]["type"], "invalid_request_error");
            } else {
                assert_eq!(j["error"]["code"], *code);
            }
        }
    }
}

#[test]
fn oversized_body_without_content_length_is_refused_at_the_end() {
    let e = engine(r#"{"request":{"max_body_bytes":10}}"#);
    let v = run(
        &e,
        &head("/v1/chat/completions", &[JSON]),
        br#"{"model":"abcdefgh"}"#,
    );
    assert_eq!(status(&v), 413);
}

#[test]
fn forwarded_requests_carry_tags_and_drop_spoofed_ones() {
    let e = engine(r#"{"tenants":{"header":"x-team"}}"#);
    let h = head(
        "/v1/chat/completions",
        &[
            JSON,
            ("x-team", "payments"),
            ("x-customs-tenant", "forged"),
            ("x-request-id", "abc-1"),
        ],
    );
    let Verdict::Forward(f) = run(&e, &h, br#"{"model":"m"}"#) else {
        panic!()
    };
    assert_eq!(f.body, None, "an untouched body goes out byte for byte");
    assert!(f
        .headers
        .contains(&HeaderEdit::Remove("x-customs-tenant".into())));
    let sets: Vec<_> = f
        .headers
        .iter()
        .filter_map(|e| match e {
            HeaderEdit::Set(k, v) => Some((k.as_str(), v.as_str())),
            _ => None,
        })
        .collect();
    assert!(sets.contains(&("x-customs-tenant", "payments")), "{sets:?}");
    assert!(
        sets.contains(&("x-customs-request-id", "abc-1")),
        "{sets:?}"
    );
    let remove_at = f
        .headers
        .iter()
        .position(|e| matches!(e, HeaderEdit::Remove(_)))
        .unwrap();
    let set_at = f
        .headers
        .iter()
        .position(|e| matches!(e, HeaderEdit::Set(k, _) if k == "x-customs-tenant"))
        .unwrap();
    assert!(
        remove_at < set_at,
        "spoofed tags are removed before customs sets its own"
    );
}

#[test]
fn unknown_routes_follow_the_policy() {
    let inspect = engine("");
    let refuse = engine(r#"{"request":{"unknown_routes":"refuse"}}"#);
    let h = head("/v1/fine_tuning/jobs", &[JSON]);
    assert_eq!(status(&run(&inspect, &h, b"{}")), 200);
    assert_eq!(status(&run(&refuse, &h, b"{}")), 403);
}

#[test]
fn passthrough_paths_forward_non_json_uninspected() {
    let e = engine(r#"{"request":{"passthrough_paths":["/v1/files"]}}"#);
    let h = head(
        "/v1/files",
        &[("content-type", "multipart/form-data; boundary=x")],
    );
    assert_eq!(status(&run(&e, &h, b"--x--")), 200);
    let h = head(
        "/v1/chat/completions",
        &[("content-type", "multipart/form-data")],
    );
    assert_eq!(status(&run(&e, &h, b"--x--")), 415);
}

#[test]
fn generated_request_ids_are_fresh() {
    let e = engine("");
    let h = head("/v1/chat/completions", &[JSON]);
    let id = |random| match e.on_request_head(&h, true, Ctx { now_ms: 5, random }) {
        HeadStep::AwaitBody(ex) => ex.request_id,
        _ => panic!(),
    };
    assert_ne!(id(1), id(2));
    assert_eq!(id(1).len(), 32);
}

#[test]
fn omitted_tags_are_not_set_but_tenant_and_request_id_always_are() {
    let e = engine(r#"{"tags":{"omit":["class","redactions","policy"]}}"#);
    let Verdict::Forward(f) = run(
        &e,
        &head("/v1/chat/completions", &[JSON]),
        br#"{"model":"m"}"#,
    ) else {
        panic!()
    };
    let set: Vec<&str> = f
        .headers
        .iter()
        .filter_map(|e| match e {
            HeaderEdit::Set(k, _) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        set.contains(&"x-customs-tenant") && set.contains(&"x-customs-request-id"),
        "{set:?}"
    );
    for gone in [
        "x-customs-class",
        "x-customs-redactions",
        "x-customs-policy",
    ] {
        assert!(!set.contains(&gone), "{set:?}");
    }
    let err = Engine::from_config(br#"{"tags":{"omit":["tenant"]}}"#).unwrap_err();
    assert_eq!(err.field(), "tags.omit[0]");
}

#[test]
fn tags_say_what_was_found_and_estimated_exactly() {
    let e = engine(r#"{"policy_id":"bank","version":"7"}"#);
    let body = br#"{"model":"m","messages":[{"role":"user","content":"mail a@example.com, b@example.com or 13812345678"}]}"#;
    let Verdict::Forward(forward) = run(&e, &head("/v1/chat/completions", &[JSON]), body) else {
        panic!("not forwarded");
    };
    let tag = |name: &str| {
        forward.headers.iter().find_map(|h| match h {
            HeaderEdit::Set(k, v) if k == name => Some(v.as_str()),
            _ => None,
        })
    };
    assert_eq!(tag("x-customs-redactions"), Some("email=2,phone=1"));
    assert_eq!(tag("x-customs-policy"), Some("bank@7"));
    assert_eq!(tag("x-customs-tenant"), Some("default"));
    let tokens = tag("x-customs-tokens").unwrap();
    let estimated: u64 = tokens
        .strip_prefix("estimated=")
        .and_then(|t| t.strip_suffix(",reserved=0"))
        .unwrap()
        .parse()
        .unwrap();
    assert!((10..40).contains(&estimated), "{tokens}");
}

#[test]
fn a_request_without_a_body_is_judged_on_its_head() {
    let blocks = r#"{"redact":{"actions":{"email":"block"}}}"#;
    let shadow = r#"{"shadow":{"enabled":true},"redact":{"actions":{"email":"block"}}}"#;
    let get = |path: &str, headers: &[(&str, &str)]| RequestHead {
        method: "GET".to_string(),
        ..head(path, headers)
    };
    let set = |v: &Verdict, name: &str| match v {
        Verdict::Forward(f) => f.headers.iter().find_map(|e| match e {
            HeaderEdit::Set(n, value) if n == name => Some(value.clone()),
            _ => None,
        }),
        Verdict::Respond(_) => None,
    };

    let plain = run(&engine(""), &get("/v1/models?limit=2", &[]), b"");
    assert_eq!(set(&plain, ":path"), None);
    assert_eq!(set(&plain, "x-customs-redactions").as_deref(), Some("none"));

    let found = run(
        &engine(""),
        &get(
            "/v1/models?owner=13812345678",
            &[("x-who", "ann@example.com")],
        ),
        b"",
    );
    assert_eq!(
        set(&found, ":path").as_deref(),
        Some("/v1/models?owner=%5BPHONE_1%5D")
    );
    assert_eq!(set(&found, "x-who").as_deref(), Some("[EMAIL_1]"));
    assert_eq!(
        set(&found, "x-customs-redactions").as_deref(),
        Some("email=1,phone=1")
    );

    let head_with_email = get("/v1/models", &[("x-who", "ann@example.com")]);
    let blocked = run(&engine(blocks), &head_with_email, b"");
    assert_eq!(status(&blocked), 403);
    let Verdict::Respond(reply) = &blocked else {
        unreachable!()
    };
    let text = String::from_utf8_lossy(&reply.body);
    assert!(
        text.contains("customs_blocked_category") && !text.contains("ann@"),
        "{text}"
    );

    // Shadow mode enforces nothing: the header crosses as it came, tagged.
    let shadowed = run(&engine(shadow), &head_with_email, b"");
    assert_eq!(set(&shadowed, "x-who"), None);
    assert_eq!(
        set(&shadowed, "x-customs-shadow").as_deref(),
        Some("blocked")
    );
}

#[test]
fn a_model_name_or_request_id_holding_data_reaches_neither_provider_nor_logs() {
    let e = engine("");
    let h = head(
        "/v1/chat/completions",
        &[JSON, ("x-request-id", "13812345678")],
    );
    let ctx = Ctx {
        now_ms: 1,
        random: 7,
    };
    let HeadStep::AwaitBody(mut ex) = e.on_request_head(&h, true, ctx) else {
        panic!()
    };
    let body = br#"{"model":"ann@example.com","messages":[]}"#;
    let store = crate::limits::MemoryStore::new();
    let Verdict::Forward(f) = e.on_request_body(&h, &mut ex, body, ctx, &store) else {
        panic!()
    };
    let sent = String::from_utf8(f.body.unwrap()).unwrap();
    assert!(sent.contains(r#""model":"[EMAIL_1]""#), "{sent}");
    assert!(f
        .headers
        .contains(&HeaderEdit::Set("x-request-id".into(), "[PHONE_1]".into())));
    assert_ne!(ex.request_id, "13812345678");
    assert_eq!(ex.model, None);
    let line = e.audit_record(&ex, 2).to_line();
    assert!(
        !line.contains("ann@") && !line.contains("13812345678"),
        "{line}"
    );
}

#[test]
fn a_credential_under_its_own_json_key_does_not_cross() {
    let e = engine("");
    let key = format!("sk-proj-{}", "A1b2C3d4E5".repeat(6));
    // Tool-call arguments (JSON in a string) and a tool-use block's input.
    let args = serde_json::json!({
        "user": "ops", "password": "letmein", "api_key": key,
        "db": {"passwd": "${DB_PW}", "token_count": 12, "next_token": "page_two"},
        "headers": {"Authorization": "Basic YWRtaW46aHVudGVyMg=="}
    });
    let body = serde_json::json!({
        "model": "m",
        "messages": [
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function",
              "function": {"name": "connect", "arguments": args.to_string()}}]},
            {"role": "user", "content": "ok"}
        ],
        "metadata": {"client_secret": "Zm9vYmFyYmF6cXV4MTIz"}
    });
    let sent = forwarded_chat(&e, &body);
    for gone in [
        "letmein",
        &key,
        "YWRtaW46aHVudGVyMg==",
        "Zm9vYmFyYmF6cXV4MTIz",
    ] {
        assert!(!sent.contains(gone), "{gone} crossed: {sent}");
    }
    // References and numbers stay; the key's own category names a known shape.
    for kept in [
        "${DB_PW}",
        "token_count",
        "page_two",
        "\\\"ops\\\"",
        "Basic [CREDENTIAL_",
        "[OPENAI_KEY_1]",
    ] {
        assert!(sent.contains(kept), "{kept} missing: {sent}");
    }
}

#[test]
fn a_setting_named_for_a_credential_does_not_cross() {
    let e = engine("");
    // A container's environment in tool-call arguments (JSON in a string),
    // and a manifest pasted into a message.
    let args = serde_json::json!({
        "env": [
            {"name": "DB_PASSWORD", "value": "letmein"},
            {"name": "LOG_LEVEL", "value": "debug"},
            {"Name": "STRIPE_API_KEY", "Value": "rk9Xa7Qm2Lp4"}
        ]
    });
    let manifest = "env:\n  - name: SMTP_PASS\n    value: hunter-two\n  - name: REGION\n    value: cn-north-1\n<password>opensesame</password>";
    let body = serde_json::json!({
        "model": "m",
        "messages": [
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function",
              "function": {"name": "deploy", "arguments": args.to_string()}}]},
            {"role": "user", "content": manifest}
        ]
    });
    let sent = forwarded_chat(&e, &body);
    for gone in ["letmein", "rk9Xa7Qm2Lp4", "hunter-two", "opensesame"] {
        assert!(!sent.contains(gone), "{gone} crossed: {sent}");
    }
    for kept in [
        "DB_PASSWORD",
        "debug",
        "cn-north-1",
        "<password>[CREDENTIAL_",
    ] {
        assert!(sent.contains(kept), "{kept} missing: {sent}");
    }
}

#[test]
fn a_number_under_a_credential_s_name_does_not_cross() {
    let e = engine("");
    // A numeric password or PIN as JSON writes it: under a key naming a
    // credential, or as the value of a setting named for one.
    let args = serde_json::json!({
        "db": {"user": "etl", "password": 20240615},
        "env": [{"name": "VAULT_PASSWORD", "value": 8675309}, {"name": "PORT", "value": 5432}],
        "token": 12,
        "retries": 3,
        "card": {"pin": 4829, "atm_pin": "730418"},
        "gpio": {"pin": 13}
    });
    let body = serde_json::json!({
        "model": "m",
        "messages": [
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function",
              "function": {"name": "connect", "arguments": args.to_string()}}]},
            {"role": "user", "content": "connect"}
        ],
        "metadata": {"service_password": 4815162342u64}
    });
    let sent = forwarded_chat(&e, &body);
    for gone in ["20240615", "8675309", "4815162342", "4829", "730418"] {
        assert!(!sent.contains(gone), "{gone} crossed: {sent}");
    }
    // A short number under a token's name is a count, not a secret; other
    // numbers keep their type.
    for kept in [
        r#"\"token\":12"#,
        r#"\"value\":5432"#,
        r#"\"retries\":3"#,
        r#"\"pin\":13"#,
    ] {
        assert!(sent.contains(kept), "{kept} missing: {sent}");
    }
    assert!(
        sent.contains(r#""service_password":"[CREDENTIAL_"#),
        "{sent}"
    );
}

#[test]
fn an_identity_number_under_its_key_does_not_cross() {
    let e = engine("");
    let args = serde_json::json!({
        "applicant": {"hkid": "A1234563", "nino": "QQ123456C", "birth_date": "19900101",
                      "id_card_no": "K9876543", "マイナンバー": "123456789018",
                      "rrn": "900101-1234567", "bir": "1234567(8)", "nino_printed": "AB 12 34 56 C",
                      "身份证号码": "110101199003071235"},
        "order": "AB123456C"
    });
    let body = serde_json::json!({
        "model": "m",
        "messages": [
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function",
              "function": {"name": "apply", "arguments": args.to_string()}}]},
            {"role": "user", "content": "go"}
        ]
    });
    let sent = forwarded_chat(&e, &body);
    for gone in [
        "A1234563",
        "QQ123456C",
        "K9876543",
        "123456789018",
        "19900101",
        "900101-1234567",
        "1234567(8)",
        "AB 12 34 56 C",
        "110101199003071235",
    ] {
        assert!(!sent.contains(gone), "{gone} crossed: {sent}");
    }
    // A code under an unrelated key stays; a key that holds a card's name
    // only inside a word (`bir` in `birth_date`) is no card's: its date is a
    // date of birth.
    assert!(sent.contains("AB123456C"), "AB123456C missing: {sent}");
    assert!(sent.contains(r#"\"hkid\":\"[NATIONAL_ID_"#), "{sent}");
    assert!(
        sent.contains(r#"\"birth_date\":\"[DATE_OF_BIRTH_"#),
        "{sent}"
    );
}

#[test]
fn a_document_number_under_its_key_does_not_cross() {
    let e = engine("");
    // In a tool call's arguments, the number stands alone in its string:
    // only the key says what it is.
    let args = serde_json::json!({
        "traveller": {"passport_no": "E73920518", "passportNumber": 912345678,
                      "passport_country": "CN", "passport_expiry": "2030-05-12"},
        "permit": {"港澳通行证号码": "C12345678"},
        "booking": "E55501234"
    });
    let body = serde_json::json!({
        "model": "m",
        "messages": [
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function",
              "function": {"name": "book", "arguments": args.to_string()}}]},
            {"role": "user", "content": "book it"}
        ],
        "metadata": {"passport": "G48151623"}
    });
    let sent = forwarded_chat(&e, &body);
    for gone in ["E73920518", "912345678", "C12345678", "G48151623"] {
        assert!(!sent.contains(gone), "{gone} crossed: {sent}");
    }
    for kept in ["E55501234", r#"\"passport_country\":\"CN\""#, "2030-05-12"] {
        assert!(sent.contains(kept), "{kept} missing: {sent}");
    }
    assert!(sent.contains(r#""passport":"[PASSPORT_"#), "{sent}");
}

#[test]
fn a_scanned_stream_reads_the_same_however_its_text_is_split_into_events() {
    let e = engine(r#"{"redact": {"scan_responses": true}}"#);
    let text = "Mail zed.lane@example.com, call +86 138 0013 8000; password: Hunter2!x then 你的手机13912345678好";
    let streamed = |pieces: &[&str]| crate::fuzzing::streamed_through(&e, pieces);
    let (want, counts) = streamed(&[text]);
    for gone in ["zed.lane", "0013", "Hunter2", "13912345678"] {
        assert!(!want.contains(gone), "{gone} crossed: {want}");
    }
    let boundaries: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    for (n, &a) in boundaries.iter().enumerate() {
        for &b in boundaries.iter().skip(n) {
            let got = streamed(&[&text[..a], &text[a..b], &text[b..]]);
            assert_eq!(got, (want.clone(), counts.clone()), "split at {a},{b}");
        }
    }
}
