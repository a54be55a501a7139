#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::*;
use crate::detect::{Scanner, ScannerConfig};
use crate::redact::rules::RedactRules;

fn rules(doc: &str) -> RedactRules {
    serde_json::from_str(doc).unwrap()
}

fn scanner() -> Scanner {
    Scanner::new(&ScannerConfig::default()).unwrap()
}

/// The request side's redactor for tenant `t`.
fn redactor<'a>(scanner: &'a Scanner, rules: &'a RedactRules) -> Redactor<'a> {
    Redactor {
        scanner,
        rules,
        tenant: "t",
        max_depth: 64,
        answer_side: false,
        restored: None,
    }
}

fn redact(rules: &RedactRules, text: &str) -> (Option<String>, RequestRedaction) {
    let scanner = scanner();
    let r = redactor(&scanner, rules);
    let mut state = RequestRedaction::default();
    let out = r.redact_text(text, &mut state, &mut Vec::new());
    (out, state)
}

const TEXT: &str = "mail ann@example.com or ann@example.com, bob@example.org";

#[test]
fn each_action_does_what_it_says() {
    let secret = r#","hash_secret":"0123456789abcdef0123""#;
    let cases: &[(&str, Option<&str>)] = &[
        (r#"{}"#, Some("mail [EMAIL_1] or [EMAIL_1], [EMAIL_2]")),
        (
            r#"{"actions":{"email":"pseudonymize"}}"#,
            Some("mail [EMAIL_1] or [EMAIL_1], [EMAIL_2]"),
        ),
        (
            r#"{"actions":{"email":"mask"}}"#,
            Some("mail ***********.com or ***********.com, ***********.org"),
        ),
        (r#"{"actions":{"email":"report"}}"#, None),
        (r#"{"actions":{"*":"block"}}"#, None),
    ];
    for (doc, want) in cases {
        let (out, state) = redact(&rules(doc), TEXT);
        assert_eq!(out.as_deref(), *want, "{doc}");
        assert_eq!(state.counts.get("email"), Some(&3), "{doc}");
    }
    let (out, _) = redact(
        &rules(&format!(r#"{{"actions":{{"email":"hash"}}{secret}}}"#)),
        TEXT,
    );
    let out = out.unwrap();
    assert!(!out.contains("example"), "{out}");
    let hashes: Vec<&str> = out
        .split_whitespace()
        .filter(|w| w.starts_with("[EMAIL_"))
        .collect();
    assert_eq!(hashes.len(), 3);
    assert_eq!(
        hashes[0].trim_end_matches(','),
        hashes[1].trim_end_matches(','),
        "same value, same hash"
    );
    assert_ne!(hashes[1].trim_end_matches(','), hashes[2], "{out}");
}

#[test]
fn block_and_pseudonyms_are_recorded() {
    let (_, state) = redact(&rules(r#"{"actions":{"email":"block"}}"#), TEXT);
    assert_eq!(state.blocked.as_deref(), Some("email"));
    let (_, state) = redact(&rules(r#"{"actions":{"email":"pseudonymize"}}"#), TEXT);
    assert_eq!(
        state.pseudonyms,
        vec![
            ("[EMAIL_1]".to_string(), "ann@example.com".to_string()),
            ("[EMAIL_2]".to_string(), "bob@example.org".to_string())
        ]
    );
}

#[test]
fn tenant_overrides_apply() {
    let r = rules(r#"{"actions":{"email":"redact"},"tenant_actions":{"t":{"email":"report"}}}"#);
    assert_eq!(r.action("t", "email"), Action::Report);
    assert_eq!(r.action("other", "email"), Action::Redact);
    assert_eq!(r.action("other", "phone"), Action::Redact);
}

#[test]
fn tool_call_arguments_are_redacted_inside_and_re_encoded() {
    let scanner = scanner();
    let rules = RedactRules::default();
    let r = redactor(&scanner, &rules);
    let doc = r#"{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"send","arguments":"{\"to\":\"ann@example.com\",\"n\":1}"}}]}]}"#;
    let mut body = crate::json::parse(doc.as_bytes(), 64).unwrap();
    let mut state = RequestRedaction::default();
    r.redact_body(crate::api::Shape::ChatCompletions, &mut body, &mut state);
    let out = body.to_string_compact();
    assert!(out.contains(r#"\"to\":\"[EMAIL_1]\",\"n\":1"#), "{out}");
    assert!(!out.contains("ann@"), "{out}");
}

#[test]
fn mask_never_shows_most_of_a_short_value() {
    assert_eq!(mask("4111111111111111", 4), "************1111");
    assert_eq!(mask("a@b.c", 4), "*****");
}

#[test]
fn placeholders_count_per_category_and_repeat_per_value() {
    let mut state = RequestRedaction::default();
    let mut give = |category: &str, value: &str| {
        placeholder(&mut state, category, value, None, false).to_string()
    };
    let given: Vec<String> = [
        ("email", "a@example.com"),
        ("phone_cn", "13812345678"),
        ("email", "b@example.com"),
        ("email", "a@example.com"),
        ("phone_cn", "13912345678"),
    ]
    .iter()
    .map(|(c, v)| give(c, v))
    .collect();
    assert_eq!(
        given,
        [
            "[EMAIL_1]",
            "[PHONE_CN_1]",
            "[EMAIL_2]",
            "[EMAIL_1]",
            "[PHONE_CN_2]"
        ]
    );
}

/// The chat request's message texts after the border walk and its sweep.
fn swept(messages: &[&str]) -> Vec<String> {
    let scanner = scanner();
    let rules = RedactRules::default();
    let r = redactor(&scanner, &rules);
    let messages: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| serde_json::json!({"role": "user", "content": m}))
        .collect();
    let doc = serde_json::json!({ "messages": messages }).to_string();
    let mut body = crate::json::parse(doc.as_bytes(), 64).unwrap();
    let mut state = RequestRedaction::default();
    r.redact_body(crate::api::Shape::ChatCompletions, &mut body, &mut state);
    let out: serde_json::Value = serde_json::from_str(&body.to_string_compact()).unwrap();
    out["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_sweep_takes_a_value_where_it_recurs_and_a_short_one_only_as_a_word() {
    let card = "4111111111111111";
    let texts = [
        // A bare SSN after one with its keyword; a card's number inside a
        // longer run of digits too (its digits never cross).
        "SSN 078-05-1120, again 078-05-1120".to_string(),
        format!("card {card}; ref 9{card}"),
        // A card's code and an account's number recur as words; inside a
        // price or a longer number they are someone else's.
        "CVV 847. Total $1,847.00, code 847 again, order 18475".to_string(),
        "account no. 12345678; transaction 9912345678001; 12345678 again".to_string(),
    ];
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let out = swept(&texts);
    assert_eq!(out[0], "SSN [US_SSN_1], again [US_SSN_1]");
    assert_eq!(out[1], "card [PAYMENT_CARD_1]; ref 9[PAYMENT_CARD_1]");
    assert_eq!(
        out[2],
        "CVV [CREDENTIAL_1]. Total $1,847.00, code [CREDENTIAL_1] again, order 18475"
    );
    assert_eq!(
        out[3],
        "account no. [BANK_ACCOUNT_1]; transaction 9912345678001; [BANK_ACCOUNT_1] again"
    );
}

#[test]
fn a_short_value_run_into_a_long_one_is_swept_once_that_is_gone() {
    // `A800000014` (an identity number, short) is found on its own in the
    // first text; in the second it runs into an AWS key found in the first
    // (long, swept wherever it stands). Once the key's placeholder stands
    // beside it the number stands on its own, and goes too.
    let texts = [
        "AKIAIOSFODNN7EXAMPLE:9 A800000014 NRIC",
        "AWS key A800000014AKIAIOSFODNN7EXAMPLE secret",
    ];
    let out = swept(&texts);
    assert_eq!(out[1], "AWS key [NATIONAL_ID_1][AWS_ACCESS_KEY_1] secret");
}

#[test]
fn only_a_number_runs_on_past_a_dash_into_a_longer_one() {
    // `::571` (an IPv6 address) is found on its own in the first text; in the
    // second it follows an IPv4 address and goes on with `-05`. A number
    // would run on there into a longer one (`1,847.00`); an address does not,
    // and is swept, as a detector reading the text after redaction would
    // take it.
    let texts = ["address ::571 down", "see 10.0.0.1::571-05-1 now"];
    let out = swept(&texts);
    assert_eq!(out[0], "address [IPV6_1] down");
    assert_eq!(out[1], "see [IPV4_1][IPV6_1]-05-1 now");
}
