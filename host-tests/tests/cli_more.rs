//! The `customs` subcommands that need no filter module: verify, schema,
//! estimate and tenant-of.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use customs_filter::tags::attest::{body_digest, sign, Claims};
use serde_json::{json, Value};

/// Runs `customs` with `args`, `env` set and `stdin` fed; nothing inherited
/// from the caller's environment that the commands read.
fn customs_with(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_customs"));
    command
        .args(args)
        .env_remove("CUSTOMS_ATTESTATION_KEYS")
        .env_remove("CUSTOMS_API_KEY_HMAC_SECRET")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn customs(args: &[&str]) -> (i32, String, String) {
    customs_with(args, &[], "")
}

/// A file in this test's own temporary directory.
fn file(name: &str, text: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("customs-cli-more-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

const BODY: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi [EMAIL_1]"}]}"#;

fn attestation(kid: &str, secret: &str, body: &str) -> String {
    let claims = Claims {
        key_id: kid.into(),
        timestamp_ms: 1_764_000_000_000,
        policy: "bank@7".into(),
        tenant: "payments".into(),
        request_id: "r-1".into(),
        body_sha256: body_digest(body.as_bytes()),
    };
    sign(&claims, secret.as_bytes())
}

const OK: &str = "ok: tenant=payments request_id=r-1 policy=bank@7 ts=1764000000000\n";
const OLD_SECRET: &str = "an-old-secret-of-at-least-32-chars!";
const NEW_SECRET: &str = "the-new-secret-of-at-least-32-chars";

#[test]
fn verify_accepts_the_attested_body_and_names_every_failure() {
    let header = attestation("k2", NEW_SECRET, BODY);
    let old = attestation("k1", OLD_SECRET, BODY);
    let forged = header.replace("tenant=payments", "tenant=risk");
    let unknown = attestation("k9", NEW_SECRET, BODY);
    let body_file = file("body.json", BODY.as_bytes());
    let k1 = format!("k1={OLD_SECRET}");
    let k2 = format!("k2={NEW_SECRET}");
    let keys = ["--key", &k1, "--key", &k2];
    let cases: &[(&str, &[&str], i32, &str)] = &[
        (
            "body as text",
            &["--header", &header, "--body-text", BODY],
            0,
            OK,
        ),
        (
            "body from a file",
            &["--header", &header, "--body", s(&body_file)],
            0,
            OK,
        ),
        (
            "a rotated key",
            &["--header", &old, "--body-text", BODY],
            0,
            OK,
        ),
        (
            "another body",
            &["--header", &header, "--body-text", "{}"],
            1,
            "the body is not the one that was attested\n",
        ),
        (
            "a forged claim",
            &["--header", &forged, "--body-text", BODY],
            1,
            "the signature does not match\n",
        ),
        (
            "a key not held",
            &["--header", &unknown, "--body-text", BODY],
            1,
            "no key with id `k9`\n",
        ),
        (
            "not an attestation",
            &["--header", "v2;whatever", "--body-text", BODY],
            1,
            "malformed attestation: expected version `v1`\n",
        ),
    ];
    for (what, args, want_code, want_out) in cases {
        let mut all = vec!["verify"];
        all.extend(keys);
        all.extend(*args);
        let (code, out, err) = customs(&all);
        assert_eq!(
            (code, out.as_str()),
            (*want_code, *want_out),
            "{what}: {err}"
        );
    }
}

#[test]
fn verify_takes_keys_from_the_environment() {
    let header = attestation("k2", NEW_SECRET, BODY);
    let keys = format!("k1={OLD_SECRET}, k2={NEW_SECRET}");
    let (code, out, err) = customs_with(
        &["verify", "--header", &header, "--body-text", BODY],
        &[("CUSTOMS_ATTESTATION_KEYS", &keys)],
        "",
    );
    assert_eq!((code, out.as_str()), (0, OK), "{err}");
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn verify_reads_a_request_the_mock_provider_recorded() {
    let header = attestation("k2", NEW_SECRET, BODY);
    let key = format!("k2={NEW_SECRET}");
    let recorded = |headers: Value, body: &str| {
        json!({"method": "POST", "path": "/v1/chat/completions", "headers": headers,
               "body_base64": base64(body.as_bytes()), "time": 1.0})
        .to_string()
    };
    let cases: &[(&str, String, &[&str], i32, &str)] = &[
        (
            "headers as pairs, as the mock records them",
            recorded(
                json!([["Host", "provider"], ["X-Customs-Attestation", header]]),
                BODY,
            ),
            &[],
            0,
            OK,
        ),
        (
            "headers as an object",
            recorded(json!({"x-customs-attestation": header}), BODY),
            &[],
            0,
            OK,
        ),
        (
            "another tag prefix",
            recorded(json!({"x-acme-attestation": header}), BODY),
            &["--tag-prefix", "x-acme-"],
            0,
            OK,
        ),
        (
            "the body changed after customs",
            recorded(json!({"x-customs-attestation": header}), "{}"),
            &[],
            1,
            "the body is not the one that was attested\n",
        ),
    ];
    for (n, (what, record, extra, want_code, want_out)) in cases.iter().enumerate() {
        let path = file(&format!("record-{n}.json"), record.as_bytes());
        let mut args = vec!["verify", "--key", &key, "--request-record", s(&path)];
        args.extend(*extra);
        let (code, out, err) = customs(&args);
        assert_eq!(
            (code, out.as_str()),
            (*want_code, *want_out),
            "{what}: {err}"
        );
    }
    let unsigned = file(
        "unsigned.json",
        recorded(json!({"host": "provider"}), BODY).as_bytes(),
    );
    let (code, _, err) = customs(&["verify", "--key", &key, "--request-record", s(&unsigned)]);
    assert_eq!(code, 2);
    assert!(err.contains("no x-customs-attestation header"), "{err}");
}

#[test]
fn verify_usage_errors_never_echo_a_secret() {
    let header = attestation("k2", NEW_SECRET, BODY);
    let record = file("record.json", b"{}");
    let cases: &[(&[&str], &str)] = &[
        (&["--header", &header, "--body-text", BODY], "no keys"),
        (
            &[
                "--key",
                NEW_SECRET,
                "--header",
                &header,
                "--body-text",
                BODY,
            ],
            "KID=SECRET",
        ),
        (
            &["--key", "k2=", "--header", &header, "--body-text", BODY],
            "KID=SECRET",
        ),
        (&["--key", "k2=x", "--body-text", BODY], "missing --header"),
        (&["--key", "k2=x", "--header", &header], "missing --body"),
        (
            &[
                "--key",
                "k2=x",
                "--header",
                &header,
                "--body",
                "a",
                "--body-text",
                "b",
            ],
            "not both",
        ),
        (
            &[
                "--key",
                "k2=x",
                "--header",
                &header,
                "--request-record",
                s(&record),
            ],
            "drop --header",
        ),
        (
            &[
                "--key",
                "k2=x",
                "--header",
                &header,
                "--body-text",
                BODY,
                "extra",
            ],
            "unexpected",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["verify"];
        all.extend(*args);
        let (code, out, err) = customs(&all);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.starts_with("customs: ") && err.contains(want),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains(NEW_SECRET),
            "{args:?}: the secret leaked: {err}"
        );
    }
    let (code, _, err) = customs_with(
        &["verify", "--header", &header, "--body-text", BODY],
        &[("CUSTOMS_ATTESTATION_KEYS", NEW_SECRET)],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("CUSTOMS_ATTESTATION_KEYS entry 1"), "{err}");
    assert!(!err.contains(NEW_SECRET), "the secret leaked: {err}");
}

/// The committed schema is what `customs schema` prints: regenerate it with
/// `CUSTOMS_REGENERATE=1 cargo test -p customs-host --test cli_more`.
#[test]
fn schema_is_generated_and_the_committed_copy_is_current() {
    let (code, out, err) = customs(&["schema"]);
    assert_eq!(code, 0, "{err}");
    let schema: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["title"], "Policy");
    assert!(schema["$schema"]
        .as_str()
        .unwrap()
        .contains("json-schema.org"));
    for section in [
        "policy_id",
        "tenants",
        "tags",
        "detect",
        "redact",
        "egress",
        "shadow",
    ] {
        assert!(
            schema["properties"].get(section).is_some(),
            "no {section} in {}",
            schema["properties"]
        );
    }
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown fields are refused"
    );

    let committed = concat!(env!("CARGO_MANIFEST_DIR"), "/../policy.schema.json");
    if std::env::var_os("CUSTOMS_REGENERATE").is_some() {
        std::fs::write(committed, &out).unwrap();
    }
    let on_disk = std::fs::read_to_string(committed).unwrap_or_default();
    assert!(
        on_disk == out,
        "policy.schema.json is out of date: run this test with CUSTOMS_REGENERATE=1"
    );
}

fn report_rows(out: &str) -> Vec<(String, usize)> {
    out.lines()
        .skip_while(|l| !l.starts_with("file "))
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (cells[0].to_string(), cells[1].parse().unwrap())
        })
        .collect()
}

#[test]
fn estimate_reports_per_file_and_overall() {
    let a = file(
        "a.txt",
        "Hello there, how are you?\n%%\n你好，今天天气怎么样？\n".as_bytes(),
    );
    let b = file("b.txt", b"fn main() { println!(\"hi\"); }\n");
    let (code, out, err) = customs(&["estimate", s(&a), s(&b)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("the openai estimate against exact o200k_base counts\n"),
        "{out}"
    );
    assert_eq!(
        report_rows(&out),
        [
            (s(&a).to_string(), 2),
            (s(&b).to_string(), 1),
            ("overall".to_string(), 3)
        ],
        "{out}"
    );

    let (code, out, err) = customs(&["estimate", "--family", "anthropic", s(&a)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Anthropic publishes no tokenizer"), "{out}");
    let overall = out.lines().last().unwrap();
    let bias = overall.split_whitespace().nth(4).unwrap();
    assert!(
        bias.starts_with('+'),
        "the Anthropic margin leans high: {out}"
    );
}

#[test]
fn estimate_reads_the_corpus_by_default() {
    let (code, out, err) = customs(&["estimate"]);
    assert_eq!(code, 0, "{err}");
    let rows = report_rows(&out);
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "code.txt",
            "de.txt",
            "en.txt",
            "es.txt",
            "fr.txt",
            "json.txt",
            "mixed.txt",
            "names.txt",
            "zh.txt",
            "overall"
        ],
        "{out}"
    );
    let files = rows.len() - 1;
    let per_file: usize = rows.iter().take(files).map(|(_, n)| n).sum();
    assert_eq!(rows[files].1, per_file);
    assert!(per_file >= files);
}

#[test]
fn estimate_usage_errors() {
    let empty = std::env::temp_dir().join(format!("customs-cli-more-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    for (args, want) in [
        (vec!["estimate", "--family", "llama"], "unknown --family"),
        (
            vec!["estimate", "no-such-file.txt"],
            "reading no-such-file.txt",
        ),
        (vec!["estimate", s(&empty)], "no .txt files"),
    ] {
        let (code, _, err) = customs(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn tenant_of_prints_the_keyed_hash_the_policy_lists() {
    // HMAC-SHA256(secret, key), the first 12 bytes in hex, computed elsewhere.
    let want = "c2d089eb0dadb451730fdc4c\n";
    let secret = "tenant-hashing-secret";
    // (arguments, environment, standard input)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (&["--secret", secret, "sk-live-0123456789"], &[], ""),
        (&["--secret", secret, "Bearer sk-live-0123456789"], &[], ""),
        (&["--secret", secret, "-"], &[], "sk-live-0123456789\n"),
        (
            &["sk-live-0123456789"],
            &[("CUSTOMS_API_KEY_HMAC_SECRET", secret)],
            "",
        ),
    ];
    for (args, env, stdin) in cases {
        let mut all = vec!["tenant-of"];
        all.extend(*args);
        let (code, out, err) = customs_with(&all, env, stdin);
        assert_eq!((code, out.as_str()), (0, want), "{args:?}: {err}");
    }
    assert_eq!(
        want.trim(),
        customs_filter::engine::key_hash(secret, "sk-live-0123456789")
    );
    for args in [
        &["tenant-of", "sk-live-0123456789"][..],
        &["tenant-of", "--secret", secret],
        &["tenant-of", "--secret", secret, "a", "b"],
        &["tenant-of", "--secret", secret, "  "],
    ] {
        let (code, _, err) = customs(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.starts_with("customs: "), "{args:?}: {err}");
    }
}

#[test]
fn help_lists_every_command() {
    let (code, out, _) = customs(&["--help"]);
    assert_eq!(code, 0);
    for command in ["run", "check", "verify", "schema", "estimate", "tenant-of"] {
        assert!(out.contains(&format!("customs {command}")), "{command}");
    }
    let (code, sub, _) = customs(&["verify", "--help"]);
    assert_eq!((code, sub), (0, out));
}
