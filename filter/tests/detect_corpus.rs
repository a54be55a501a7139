//! The detector corpus: texts that must yield exactly one given finding, and
//! look-alikes that must yield none. The corpus lives beside the code so that
//! new misses and false alarms can be added as one line each.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use customs_filter::detect::{Finding, Scanner, ScannerConfig};

const FINDINGS: &str = include_str!("../../corpus/detect/findings.tsv");
const LOOKALIKES: &str = include_str!("../../corpus/detect/lookalikes.txt");

/// Replaces `\uXXXX` escapes with the characters they stand for.
fn unescape(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let hex = &rest[at + 2..at + 6];
        out.push(char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap());
        rest = &rest[at + 6..];
    }
    out.push_str(rest);
    out
}

fn lines(corpus: &str) -> impl Iterator<Item = String> + '_ {
    corpus
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(unescape)
}

fn scan(text: &str) -> Vec<Finding> {
    let scanner = Scanner::new(&ScannerConfig::default()).unwrap();
    let mut out = Vec::new();
    scanner.scan(text, &mut out);
    out
}

#[test]
fn each_text_yields_its_finding() {
    let mut count = 0;
    for line in lines(FINDINGS) {
        let mut fields = line.splitn(3, '\t');
        let (category, span, text) = (
            fields.next().unwrap(),
            fields.next().unwrap(),
            fields.next().unwrap(),
        );
        let findings = scan(text);
        let found: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.category.name(), &text[f.start..f.end]))
            .collect();
        assert_eq!(found, vec![(category, span)], "in {text:?}");
        count += 1;
    }
    assert!(count > 30);
}

#[test]
fn lookalikes_yield_nothing() {
    for text in lines(LOOKALIKES) {
        let found = scan(&text);
        let spans: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.category.name(), &text[f.start..f.end]))
            .collect();
        assert!(spans.is_empty(), "in {text:?}: {spans:?}");
    }
}

#[test]
fn the_whole_corpus_as_one_text() {
    // Joined, the texts keep their findings: nothing bleeds across lines.
    let texts: Vec<String> = lines(FINDINGS)
        .map(|l| l.splitn(3, '\t').nth(2).unwrap().to_string())
        .collect();
    let joined = texts.join("\n");
    assert_eq!(scan(&joined).len(), texts.len());
}
