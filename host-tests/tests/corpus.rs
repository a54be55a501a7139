//! The labelled detection corpus: it is what its generator writes, the filter
//! meets the detection targets on it, and the check that measures them finds
//! every value when nothing is redacted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::Command;

use customs_host::workspace_dir;
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    workspace_dir().join("corpus/labelled")
}

/// A fresh directory of this test's own.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("customs-corpus-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `customs corpus --format json ARGS...`: exit code and report.
fn corpus_report(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_customs"))
        .arg("corpus")
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

#[test]
fn committed_corpus_is_what_the_generator_writes() {
    let dir = temp_dir("generated");
    let status = Command::new(env!("CARGO_BIN_EXE_gen-corpus"))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["mixed.jsonl", "negatives.jsonl", "positives.jsonl"]);
    let mut total = 0;
    for name in &names {
        let fresh = std::fs::read(dir.join(name)).unwrap();
        let committed = std::fs::read(corpus_dir().join(name)).unwrap_or_default();
        total += committed.len();
        assert!(
            fresh == committed,
            "corpus/labelled/{name} is stale: run `cargo run -p customs-host --bin gen-corpus`"
        );
    }
    // A guard against a generator change that multiplies the lines by mistake:
    // each evasion adds about a tenth.
    assert!(total < 3 << 20, "the corpus grew to {total} bytes");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_filter_meets_the_detection_targets() {
    let (code, report) = corpus_report(&[corpus_dir().to_str().unwrap()]);
    let missed = &report["missed"];
    assert_eq!(code, 0, "targets missed: {missed:#}");
    assert_eq!(missed, &Value::Array(Vec::new()));
    assert!(report["errors"].as_array().unwrap().is_empty());
    let categories = report["categories"].as_object().unwrap();
    assert_eq!(
        categories.len(),
        customs_filter::detect::BUILTIN_CATEGORIES.len(),
        "every built-in category is labelled"
    );
    for (name, t) in categories {
        assert!(t["labelled"].as_u64().unwrap() >= 100, "{name}: {t}");
        assert_eq!(t["leaked"], 0, "{name}: {t}");
        assert_eq!(t["partly_leaked"], 0, "{name}: {t}");
        assert_eq!(t["recall"], 1.0, "{name}: {t}");
        assert!(
            t["false_positive_rate"].as_f64().unwrap() <= 0.005,
            "{name}: {t}"
        );
    }
    assert!(report["lookalike_lines"].as_u64().unwrap() >= 500);
    assert!(report["false_positive_line_rate"].as_f64().unwrap() <= 0.005);
    // Every evasion and shape is there, and meets the target on its own.
    for (by, keys) in [
        (
            "by_evasion",
            &[
                "plain",
                "json_escape",
                "full_width",
                "zero_width",
                "separators",
                "cjk_adjacent",
                "mixed",
            ][..],
        ),
        (
            "by_shape",
            &[
                "openai_chat",
                "azure_chat",
                "openai_responses",
                "anthropic_messages",
                "openai_completions",
                "openai_embeddings",
            ][..],
        ),
        ("by_language", &["en", "zh"][..]),
    ] {
        for key in keys {
            let slice = &report[by][key];
            assert!(slice["labelled"].as_u64().unwrap() > 0, "{by} {key}");
            assert_eq!(slice["leaked"], 0, "{by} {key}");
        }
    }
}

/// With every action set to `report`, the body crosses as it came: the check
/// must then find every labelled value, whatever its evasion, or the targets
/// above would mean nothing.
#[test]
fn the_check_finds_every_value_that_crosses() {
    let dir = temp_dir("policy");
    let policy = dir.join("report-only.json");
    std::fs::write(&policy, r#"{"redact": {"actions": {"*": "report"}}}"#).unwrap();
    let (code, report) = corpus_report(&[
        "--policy",
        policy.to_str().unwrap(),
        corpus_dir().to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "every value crossing must miss the targets");
    for (name, t) in report["categories"].as_object().unwrap() {
        assert_eq!(t["leaked"], t["labelled"], "{name}: {t}");
        assert_eq!(t["typed"], t["labelled"], "{name} reported as itself: {t}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
