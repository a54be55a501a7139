//! The texts the benchmarks and the cost tests send: prose samples of the
//! estimator corpus, a handful of findings, and helpers that repeat a unit to
//! a size.

pub const ENGLISH: &str = include_str!("../../../corpus/estimator/en.txt");
pub const CHINESE: &str = include_str!("../../../corpus/estimator/zh.txt");
pub const MIXED: &str = include_str!("../../../corpus/estimator/mixed.txt");

/// A handful of findings, spread through the prose of the request bodies.
pub const FINDINGS: &[&str] = &[
    "alice@example.com",
    "13812345678",
    "4111 1111 1111 1111",
    "10.20.30.40",
    "AKIAIOSFODNN7EXAMPLE",
];

/// A kibibyte, the unit of the benchmarks' sizes.
pub const KIB: usize = 1024;

/// The prose of a sample file without its `%%` separators.
pub fn prose(file: &str) -> String {
    file.lines()
        .filter(|l| l.trim() != "%%")
        .collect::<Vec<_>>()
        .join("\n")
}

/// The findings, then a Chinese phone number and e-mail address: a unit
/// that is nearly all findings.
pub fn dense_findings() -> String {
    format!(
        "{} 客户电话13912345678，邮箱wang.wei@example.cn。 ",
        FINDINGS.join(" and ")
    )
}

/// `unit` repeated to exactly `size` bytes or just under (on a character boundary).
pub fn sized(unit: &str, size: usize) -> String {
    let mut s = unit.repeat(size / unit.len().max(1) + 1);
    let mut cut = size.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s
}

/// Prose of about `size` bytes with the findings spread through it.
pub fn prose_with_findings(unit: &str, size: usize) -> String {
    let findings: usize = FINDINGS.iter().map(|f| f.len() + 2).sum();
    let text = sized(unit, size.saturating_sub(findings));
    let pieces = FINDINGS.len() + 1;
    let mut out = String::with_capacity(size);
    let mut at = 0;
    for (i, f) in FINDINGS.iter().enumerate() {
        let mut next = text.len() * (i + 1) / pieces;
        while !text.is_char_boundary(next) {
            next += 1;
        }
        out.push_str(&text[at..next]);
        out.push_str(&format!(" {f} "));
        at = next;
    }
    out.push_str(&text[at..]);
    out
}
