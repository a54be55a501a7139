//! Redaction through the real `.wasm`, where the harness can do what Envoy
//! tests cannot: every split point of a streamed answer and of a request body,
//! every built-in category checked against every place a value could leak, and
//! the metrics read back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/filter.rs"]
mod filter;

use customs_filter::detect::{Scanner, ScannerConfig};
use customs_host::Stream;
use filter::*;
use serde_json::{json, Value};

const EMAIL: &str = "ann.lee@example.com";
const PHONE: &str = "13812345678";

fn pseudonyms() -> Value {
    json!({"redact": {"actions": {"email": "pseudonymize", "phone": "pseudonymize"}}})
}

/// A request whose email and phone become `[EMAIL_1]` and `[PHONE_1]`.
fn pseudonymised_request(path: &str) -> Req {
    let content = format!("Mail {EMAIL} or call {PHONE}.");
    if path == "/v1/messages" {
        Req::post(
            path,
            &json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": true,
                    "messages": [{"role": "user", "content": content}]}),
        )
    } else {
        Req::post(
            path,
            &json!({"model": "gpt-4o-mini", "stream": true,
                    "messages": [{"role": "user", "content": content}]}),
        )
    }
}

/// Sends the pseudonymised request and answers with `chunks`; returns what the
/// client read.
fn stream_answer(edge: &Edge, path: &str, chunks: &[&[u8]]) -> Stream {
    let mut s = edge.send(0, &pseudonymised_request(path));
    let up = s.upstream().expect("the request crossed");
    assert!(
        !up.body_text().contains(EMAIL) && !up.body_text().contains(PHONE),
        "a pseudonymised value crossed: {}",
        up.body_text()
    );
    answer_sse(&mut s, chunks);
    assert!(s.client().complete, "the answer did not complete");
    s
}

/// Cuts `text` at every pair of character boundaries into three pieces.
fn three_way_splits(text: &str) -> Vec<[&str; 3]> {
    let cuts: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    let mut out = Vec::new();
    for (n, &a) in cuts.iter().enumerate() {
        for &b in &cuts[n..] {
            out.push([&text[..a], &text[a..b], &text[b..]]);
        }
    }
    out
}

#[test]
fn pseudonyms_come_back_however_the_model_splits_its_text() {
    let edge = Edge::new(&pseudonyms(), 1);
    let answer = "Mail [EMAIL_1], ring [PHONE_1]! Not [EMAIL_2] or [PHONE";
    let want = format!("Mail {EMAIL}, ring {PHONE}! Not [EMAIL_2] or [PHONE");
    for path in ["/v1/chat/completions", "/v1/messages"] {
        for pieces in three_way_splits(answer) {
            let events = if path == "/v1/messages" {
                anthropic_stream(&pieces, 20, 12)
            } else {
                openai_stream(&pieces, Some((20, 12)))
            };
            let chunks: Vec<&[u8]> = events.iter().map(|e| e.as_bytes()).collect();
            let s = stream_answer(&edge, path, &chunks);
            let body = s.client().body;
            assert_eq!(
                streamed_text(&body),
                want,
                "{path}, pieces {pieces:?}: client got\n{}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}

#[test]
fn pseudonyms_come_back_at_every_byte_split_of_the_stream() {
    let edge = Edge::new(&pseudonyms(), 1);
    let pieces = ["Mail [EMA", "IL_1], ring [PHONE_1", "]! Bye [", "PHONE_1]"];
    let want = format!("Mail {EMAIL}, ring {PHONE}! Bye {PHONE}");
    for path in ["/v1/chat/completions", "/v1/messages"] {
        let body: String = if path == "/v1/messages" {
            anthropic_stream(&pieces, 20, 12).concat()
        } else {
            openai_stream(&pieces, Some((20, 12))).concat()
        };
        let bytes = body.as_bytes();
        let mut splits: Vec<Vec<&[u8]>> = (1..bytes.len())
            .map(|k| vec![&bytes[..k], &bytes[k..]])
            .collect();
        splits.push(bytes.chunks(1).collect());
        splits.push(bytes.chunks(7).collect());
        for chunks in splits {
            let s = stream_answer(&edge, path, &chunks);
            let client = s.client().body;
            let text = String::from_utf8_lossy(&client);
            assert_eq!(
                streamed_text(&client),
                want,
                "{path}, first chunk {} bytes: client got\n{text}",
                chunks[0].len()
            );
            // Every event the client got is whole: JSON, or the end marker.
            for event in text.split("\n\n").filter(|e| !e.is_empty()) {
                let data = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap_or_else(|| panic!("{path}: an event without data: {event:?}"));
                assert!(
                    data == "[DONE]" || serde_json::from_str::<Value>(data).is_ok(),
                    "{path}: a broken event reached the client: {event:?}"
                );
            }
            if path == "/v1/chat/completions" {
                // customs asked for the usage chunk; the client did not.
                assert!(!text.contains("\"usage\""), "{text}");
                assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
            } else {
                assert!(text.contains("\"output_tokens\":12"), "{text}");
                assert!(text.ends_with("{\"type\":\"message_stop\"}\n\n"), "{text}");
            }
        }
    }
}

#[test]
fn pseudonyms_come_back_in_every_answer_shape() {
    let edge = Edge::new(&pseudonyms(), 1);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/v1/chat/completions",
            chat_answer("Wrote [EMAIL_1]; [PHONE_1] next.", 10, 5),
            "/choices/0/message/content",
        ),
        (
            "/v1/messages",
            json!({"type": "message", "role": "assistant",
                   "content": [{"type": "text", "text": "Wrote [EMAIL_1]; [PHONE_1] next."}],
                   "usage": {"input_tokens": 10, "output_tokens": 5}}),
            "/content/0/text",
        ),
        (
            "/v1/chat/completions",
            json!({"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant",
                   "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f",
                   "arguments": "Wrote [EMAIL_1]; [PHONE_1] next."}}]}}],
                   "usage": {"prompt_tokens": 10, "completion_tokens": 5}}),
            "/choices/0/message/tool_calls/0/function/arguments",
        ),
    ];
    for (path, answer, pointer) in cases {
        let mut req = pseudonymised_request(path);
        let mut body: Value = serde_json::from_slice(&req.body).unwrap();
        body["stream"] = json!(false);
        req.body = body.to_string().into_bytes();
        let mut s = edge.send(0, &req);
        answer_json(&mut s, 200, &answer);
        let got = s.client().json().unwrap();
        assert_eq!(
            got.pointer(pointer).and_then(Value::as_str),
            Some(format!("Wrote {EMAIL}; {PHONE} next.").as_str()),
            "{path} {pointer}: {got}"
        );
        assert!(s.client().content_length_mismatch().is_none());
    }
}

/// Sends `req` with its body cut at `cuts`, returning what crossed.
fn send_cut(edge: &Edge, req: &Req, cuts: &[usize]) -> (Vec<(String, String)>, Vec<u8>) {
    let mut s = edge.worker(0).stream();
    let mut headers = vec![
        (":method".to_string(), req.method.clone()),
        (":path".to_string(), req.path.clone()),
        ("x-request-id".to_string(), "fixed-request-id".to_string()),
        ("content-length".to_string(), req.body.len().to_string()),
    ];
    headers.extend(req.headers.iter().cloned());
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    s.request_headers(&pairs, false);
    let mut at = 0;
    for &cut in cuts {
        s.request_body(&req.body[at..cut], false);
        at = cut;
    }
    s.request_body(&req.body[at..], true);
    let up = s.upstream().expect("the request crossed");
    assert!(up.complete, "the request did not complete");
    assert!(up.content_length_mismatch().is_none());
    (up.headers.to_pairs(), up.body)
}

#[test]
fn the_upstream_gets_the_same_bytes_however_the_body_is_split() {
    let policy = json!({
        "redact": {"actions": {"phone": "mask"}, "remove_fields": ["user"]},
        "tags": {"attestation": {"key_id": "k1", "secret": "chunk-invariance-secret-0123456789abcdef"}},
        "limits": {"caps": {"max_output_tokens": 64}, "budgets": {"tokens_per_day": 100000000}}
    });
    let edge = Edge::new(&policy, 1);
    let req = Req::raw(
        "/v1/chat/completions",
        "{\"model\":\"gpt-4o-mini\",\"user\":\"u-1\",\"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 ann@example.com 138 1234 5678 \u{4f60}\u{597d}\"},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"to\\\":\\\"bo@example.org\\\"}\"}}]}]}"
            .as_bytes()
            .to_vec(),
    );
    let (want_headers, want_body) = send_cut(&edge, &req, &[]);
    let crossed = String::from_utf8_lossy(&want_body);
    assert!(
        !crossed.contains("ann@example.com") && !crossed.contains("bo@example.org"),
        "{crossed}"
    );
    assert!(crossed.contains("*********5678"), "{crossed}");
    let n = req.body.len();
    // Every single split point (a multi-byte character cut in two included),
    // one byte at a time, and every pair of split points on a coarser grid.
    let mut cut_sets: Vec<Vec<usize>> = (1..n).map(|k| vec![k]).collect();
    cut_sets.push((1..n).collect());
    for a in (1..n).step_by(9) {
        for b in (a + 1..n).step_by(13) {
            cut_sets.push(vec![a, b]);
        }
    }
    // An empty last chunk ending the stream, as HTTP/2 can send.
    cut_sets.push(vec![n]);
    for cuts in &cut_sets {
        let (headers, body) = send_cut(&edge, &req, cuts);
        assert_eq!(
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&want_body),
            "cut at {cuts:?}"
        );
        assert_eq!(headers, want_headers, "cut at {cuts:?}");
    }
}

/// A deterministic string of base62 characters.
fn base62(len: usize, seed: usize) -> String {
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..len)
        .map(|i| alphabet[(i * 7 + seed * 13 + i * i) % 62] as char)
        .collect()
}

/// A card number with that prefix and length, completed with its Luhn digit.
fn luhn_card(prefix: &str, len: usize) -> String {
    let mut digits: Vec<u32> = prefix.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let filler = [2, 7, 1, 8, 2, 8, 1, 8, 2];
    let mut k = 0;
    while digits.len() < len - 1 {
        digits.push(filler[k % filler.len()]);
        k += 1;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                (d * 2) / 10 + (d * 2) % 10
            } else {
                d
            }
        })
        .sum();
    digits.push((10 - sum % 10) % 10);
    digits.iter().map(|d| d.to_string()).collect()
}

/// A resident ID with its MOD 11-2 check character.
fn resident_id(first17: &str) -> String {
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .chars()
        .zip(weights)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = "10X98765432".as_bytes()[(sum % 11) as usize] as char;
    format!("{first17}{check}")
}

/// A unified social credit code with its MOD 31 check character.
fn credit_code(first17: &str) -> String {
    let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let weights = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = first17
        .chars()
        .zip(weights)
        .map(|(c, w)| alphabet.find(c).unwrap() * w)
        .sum();
    let check = alphabet.as_bytes()[(31 - sum % 31) % 31] as char;
    format!("{first17}{check}")
}

/// An IBAN with its MOD 97 check digits.
fn iban(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut rest = 0u32;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap();
        rest = if v < 10 {
            (rest * 10 + v) % 97
        } else {
            (rest * 100 + v) % 97
        };
    }
    format!("{country}{:02}{bban}", 98 - rest)
}

/// One valid value of every built-in category, with the text around it that a
/// person would write, checked against customs' own scanner so the test never
/// runs on values the detectors miss.
fn every_category() -> Vec<(&'static str, String, String)> {
    let pem = format!(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA{}\n{}==\n-----END RSA PRIVATE KEY-----",
        base62(48, 21),
        base62(40, 22)
    );
    let values: Vec<(&str, String, &str)> = vec![
        ("email", "leak.victim@example.org".into(), "write to {}"),
        ("phone", "13987654321".into(), "call {} now"),
        ("cn_resident_id", resident_id("32010619850214047"), "ID {}"),
        ("cn_credit_code", credit_code("91350100M000100Y4"), "code {}"),
        ("us_ssn", "287-65-4321".into(), "SSN {}"),
        ("passport", "E73920518".into(), "护照号码：{}"),
        ("national_id", "A123456(3)".into(), "HKID {}"),
        ("date_of_birth", "1985-02-14".into(), "DOB {}"),
        ("payment_card", luhn_card("4", 16), "card {}"),
        ("iban", iban("DE", "370400440532013000"), "IBAN {}"),
        ("bank_account", "000123456789".into(), "account no. {}"),
        ("ipv4", "198.51.100.77".into(), "host {} down"),
        ("ipv6", "2001:db8:85a3::8a2e:370:7334".into(), "host {} down"),
        ("openai_key", format!("sk-{}", base62(48, 1)), "key {}"),
        (
            "anthropic_key",
            format!("sk-ant-api03-{}-{}AA", base62(60, 5), base62(31, 6)),
            "key {}",
        ),
        ("aws_access_key", "AKIAZ7QX3M5N2P8R4T6V".into(), "aws {}"),
        ("github_token", format!("ghp_{}", base62(36, 7)), "token {}"),
        (
            "slack_token",
            "xoxb-204857193847-3049581726354-QwErTyUiOpAsDfGhJkLzXcVb".into(),
            "slack {}",
        ),
        ("google_api_key", format!("AIza{}", base62(35, 10)), "gkey {}"),
        ("stripe_key", format!("sk_live_{}", base62(24, 11)), "stripe {}"),
        ("private_key", pem, "pem:\n{}\n"),
        (
            "jwt",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI5ODc2NTQzMjEiLCJuYW1lIjoiTGVhayBWaWN0aW0ifQ.7Pq0Jb4cKz2xv1LrQyYdQm3Nn5Xw8eT6uA9sD0fGhIk".into(),
            "bearer {}",
        ),
        ("credential", "Pa55-w0rd!x".into(), "DB_PASSWORD={}"),
    ];
    assert_eq!(
        values.len(),
        customs_filter::detect::BUILTIN_CATEGORIES.len(),
        "a built-in category has no value in this test"
    );
    let scanner = Scanner::new(&ScannerConfig::default()).unwrap();
    values
        .into_iter()
        .map(|(category, value, frame)| {
            let text = frame.replace("{}", &value);
            let mut found = Vec::new();
            scanner.scan(&text, &mut found);
            let got: Vec<(&str, &str)> = found
                .iter()
                .map(|f| (f.category.name(), &text[f.start..f.end]))
                .collect();
            assert_eq!(got, vec![(category, value.as_str())], "in {text:?}");
            (category, value, text)
        })
        .collect()
}

/// Every form of `value` that would count as a leak: as written, and without
/// its separators.
fn leak_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string()];
    let bare: String = value
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\n'))
        .collect();
    if bare != value && bare.len() >= 8 {
        forms.push(bare);
    }
    forms
}

/// Asserts that no value shows in `what`.
#[track_caller]
fn assert_no_value(values: &[(&str, String, String)], place: &str, what: &str) {
    for (category, value, _) in values {
        for form in leak_forms(value) {
            assert!(
                !what.contains(&form),
                "a {category} value leaked into {place}: {what}"
            );
        }
    }
}

fn headers_text(headers: &customs_host::HeaderMap) -> String {
    headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

#[test]
fn no_detected_value_ever_reaches_logs_metrics_tags_or_the_audit_line() {
    let values = every_category();
    // The email again, hidden behind a JSON escape, as a client could send it.
    let escaped = "write to leak.victim\\u0040example.org";
    let messages: Vec<String> = values
        .iter()
        .map(|(_, _, text)| serde_json::to_string(text).unwrap())
        .chain([format!("\"{escaped}\"")])
        .map(|content| format!("{{\"role\":\"user\",\"content\":{content}}}"))
        .collect();
    let body = format!(
        "{{\"model\":\"gpt-4o-mini\",\"messages\":[{}]}}",
        messages.join(",")
    );
    let all_text: Vec<String> = values.iter().map(|(_, _, t)| t.clone()).collect();
    let answer = chat_answer(&all_text.join(" | "), 900, 300);
    // The stream's text reads as the JSON answer's: each value a word of its
    // own (a scan of the stream reads its events as one text).
    let pieces: Vec<String> = all_text.iter().map(|t| format!("{t} | ")).collect();
    let events = openai_stream(
        &pieces.iter().map(String::as_str).collect::<Vec<_>>(),
        Some((900, 300)),
    );

    let policies = [
        ("redact", json!({"redact": {"scan_responses": true}})),
        ("block", json!({"redact": {"actions": {"*": "block"}}})),
        ("report", json!({"redact": {"actions": {"*": "report"}}})),
        (
            "mask",
            json!({"redact": {"actions": {"*": "mask"}, "mask_keep": 0, "scan_responses": true}}),
        ),
        (
            "hash",
            json!({"redact": {"actions": {"*": "hash"}, "hash_secret": "never-leak-hash-secret-01", "scan_responses": true}}),
        ),
        (
            "pseudonymize",
            json!({"redact": {"actions": {"*": "pseudonymize"}}}),
        ),
        (
            "shadow",
            json!({"shadow": {"enabled": true}, "redact": {"scan_responses": true}}),
        ),
        (
            "tagged",
            json!({"tags": {"attestation": {"key_id": "k", "secret": "never-leak-attestation-secret-0123456789"}},
                   "limits": {"budgets": {"tokens_per_minute": 1000000}}}),
        ),
    ];
    for (name, policy) in policies {
        let edge = Edge::new(&policy, 2);
        for (i, streamed) in [(0, false), (1, true)] {
            let mut req = Req::raw("/v1/chat/completions", body.clone().into_bytes());
            if streamed {
                let mut doc: Value = serde_json::from_slice(&req.body).unwrap();
                doc["stream"] = json!(true);
                req.body = doc.to_string().into_bytes();
            }
            let mut s = edge.send(i, &req);
            if let Some(up) = s.upstream() {
                let tag = up.header("x-customs-redactions").unwrap_or_default();
                for (category, _, _) in &values {
                    assert!(
                        tag.contains(&format!("{category}=")),
                        "{name}: {category} was not found; redactions {tag:?}"
                    );
                }
                assert_no_value(
                    &values,
                    &format!("{name}: the upstream headers"),
                    &headers_text(&up.headers),
                );
                if !matches!(name, "report" | "shadow") {
                    assert_no_value(
                        &values,
                        &format!("{name}: the upstream body"),
                        &up.body_text(),
                    );
                }
                if streamed {
                    let chunks: Vec<&[u8]> = events.iter().map(|e| e.as_bytes()).collect();
                    answer_sse(&mut s, &chunks);
                } else {
                    answer_json(&mut s, 200, &answer);
                }
            } else {
                assert_eq!(name, "block", "only the block policy refuses");
            }
            let client = s.client();
            assert!(client.complete, "{name}: the client got no whole answer");
            assert_no_value(
                &values,
                &format!("{name}: the client's headers"),
                &headers_text(&client.headers),
            );
            if !matches!(name, "report" | "shadow" | "pseudonymize" | "tagged") {
                assert_no_value(
                    &values,
                    &format!("{name}: the client's body"),
                    &client.body_text(),
                );
            }
            for (key, value) in s.filter_states() {
                assert_no_value(
                    &values,
                    &format!("{name}: filter state {key}"),
                    &String::from_utf8_lossy(&value),
                );
            }
        }
        let logs = edge.log_lines();
        assert_no_value(&values, &format!("{name}: the log"), &logs.join("\n"));
        let audit = edge.audit();
        assert_eq!(
            audit.len(),
            2,
            "{name}: one audit line per exchange: {logs:?}"
        );
        for line in &audit {
            let categories = line["categories"].as_object().unwrap();
            for (category, _, _) in &values {
                assert!(
                    categories.contains_key(*category),
                    "{name}: the audit line lacks {category}: {line}"
                );
            }
        }
        let metrics: Vec<String> = edge.host.metrics().into_keys().collect();
        assert_no_value(
            &values,
            &format!("{name}: metric names"),
            &metrics.join("\n"),
        );
        for (category, _, _) in &values {
            assert!(
                metrics.contains(&format!("customs.findings.{category}")),
                "{name}: no findings counter for {category}: {metrics:?}"
            );
        }
    }
}

#[test]
fn metrics_count_decisions_shapes_findings_and_rejections() {
    // A budget makes customs read the answers' usage (without one, answers pass
    // through unread and no output is counted).
    let policy = json!({"redact": {"actions": {"us_ssn": "block"}},
                        "limits": {"budgets": {"tokens_per_day": 1000000}}});
    let edge = Edge::new(&policy, 2);
    let cases: Vec<(Req, u16)> = vec![
        (chat("nothing to see"), 200),
        (chat("mail a@example.com and b@example.com"), 200),
        (chat("call 13812345678"), 200),
        (claude("mail c@example.com"), 200),
        (chat("SSN 287-65-4321"), 403),
        (
            Req::raw("/v1/chat/completions", b"{\"model\":".to_vec()),
            400,
        ),
        (
            Req::post(
                "/v1/embeddings",
                &json!({"model": "e", "input": ["d@example.com"]}),
            ),
            200,
        ),
    ];
    for (i, (req, status)) in cases.iter().enumerate() {
        let mut s = edge.send(i, req);
        if s.upstream().is_some() {
            if req.path == "/v1/messages" {
                answer_json(
                    &mut s,
                    200,
                    &json!({"type": "message", "content": [{"type": "text", "text": "ok"}],
                            "usage": {"input_tokens": 9, "output_tokens": 2}}),
                );
            } else {
                answer_json(&mut s, 200, &chat_answer("ok", 9, 2));
            }
        }
        assert_eq!(s.client().status(), *status, "{}", req.text());
        assert!(s.is_finished());
    }
    let expected = [
        ("customs.requests.forwarded.chat_completions", 1),
        ("customs.requests.redacted.chat_completions", 2),
        ("customs.requests.redacted.anthropic_messages", 1),
        ("customs.requests.redacted.embeddings", 1),
        ("customs.requests.blocked.chat_completions", 1),
        ("customs.requests.refused.chat_completions", 1),
        ("customs.findings.email", 4),
        ("customs.findings.phone", 1),
        ("customs.findings.us_ssn", 1),
        ("customs.rejections.customs_blocked_category", 1),
        ("customs.rejections.customs_malformed_json", 1),
    ];
    for (name, want) in expected {
        assert_eq!(
            edge.counter(name),
            want,
            "{name}; metrics: {:?}",
            edge.host.metrics()
        );
    }
    assert!(edge.counter("customs.tokens_in.default") > 0);
    assert_eq!(edge.counter("customs.tokens_out.default"), 5 * 2);
    assert_eq!(edge.counter("customs.filter_time_us"), cases.len() as i64);
}
