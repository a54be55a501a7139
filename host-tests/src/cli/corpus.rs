//! `customs corpus [DIR]`: runs every request of the labelled detection corpus
//! (`corpus/labelled/*.jsonl`, see its README) through the filter's `.wasm`
//! under the default policy (or `--policy`), and reports per category the recall (labelled
//! values that did not cross in any form) and the false-positive rate
//! (findings on look-alike lines, read from the `x-customs-redactions` tag).
//! Exits with status 1 when a target is missed: 100% recall for every
//! built-in category, and at most 0.5% false positives per category and over
//! all look-alike lines.

use customs_filter::detect::{chinese_numeral, decimal_digit};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use customs_host::{workspace_dir, Host, Worker};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{plugin, read, Args};

/// The most false positives per look-alike line allowed, per category and overall.
pub const MAX_FALSE_POSITIVE_RATE: f64 = 0.005;

/// One request of the corpus.
#[derive(Deserialize)]
struct Line {
    id: String,
    shape: String,
    path: String,
    #[serde(default)]
    placement: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    evasion: String,
    #[serde(default)]
    lookalike: Option<String>,
    body: String,
    labels: Vec<Label>,
}

#[derive(Deserialize)]
struct Label {
    category: String,
    value: String,
}

/// Where a line came from, for the report: `negatives.jsonl:45`.
struct Sourced {
    at: String,
    line: Line,
}

/// What happened to one request.
struct Outcome {
    /// The body that reached the provider, if the request crossed.
    crossed: Option<Vec<u8>>,
    /// Findings per category, from the redactions tag.
    counts: BTreeMap<String, u32>,
    /// Why the request did not cross, if it did not.
    error: Option<String>,
}

#[derive(Default, Serialize)]
pub struct Tally {
    labelled: u32,
    leaked: u32,
    /// Labelled values of 16 letters and digits or more whose last half
    /// crossed although the whole did not.
    partly_leaked: u32,
    /// Labelled values reported under their own category.
    typed: u32,
    /// Findings of this category on lines that label no value of it.
    extra_on_positives: u32,
    /// Findings of this category on look-alike lines.
    false_positives: u32,
    recall: f64,
    false_positive_rate: f64,
}

#[derive(Default, Serialize)]
pub struct Slice {
    labelled: u32,
    leaked: u32,
    lookalike_lines: u32,
    flagged_lines: u32,
}

#[derive(Default, Serialize)]
pub struct Report {
    requests: usize,
    lookalike_lines: u32,
    flagged_lookalike_lines: u32,
    false_positive_line_rate: f64,
    categories: BTreeMap<String, Tally>,
    by_evasion: BTreeMap<String, Slice>,
    by_shape: BTreeMap<String, Slice>,
    by_placement: BTreeMap<String, Slice>,
    by_language: BTreeMap<String, Slice>,
    /// Labelled values that crossed: `file:line id category evasion shape/placement`.
    leaks: Vec<String>,
    /// Look-alike lines with findings: `file:line id kind evasion -> counts`.
    false_positives: Vec<String>,
    /// Requests that did not go through as they should.
    errors: Vec<String>,
    /// Targets missed, in words; empty when all are met.
    missed: Vec<String>,
}

pub fn main(args: &[String]) -> anyhow::Result<ExitCode> {
    let args = Args::parse(
        args,
        &[
            ("--wasm", "a file"),
            ("--policy", "a file"),
            ("--format", "table or json"),
        ],
    )?;
    let dir = match args.positional.as_slice() {
        [] => workspace_dir().join("corpus/labelled"),
        [dir] => PathBuf::from(dir),
        _ => bail!("expected at most one corpus directory"),
    };
    let json = match args.one("--format")? {
        None | Some("table") => false,
        Some("json") => true,
        Some(other) => bail!("unknown --format {other:?}: expected table or json"),
    };
    let lines = load(&dir)?;
    let host = Host::new();
    host.echo_logs(false);
    let policy = args.one("--policy")?;
    let installed = host.plugin(plugin(args.one("--wasm")?, policy)?);
    let mut worker = installed.start_vm().context("starting the filter")?;
    let mut report = Report::default();
    for sourced in &lines {
        if worker.is_failed() {
            worker = installed.start_vm().context("restarting the filter")?;
        }
        let outcome = send(&worker, &sourced.line);
        tally(&mut report, sourced, &outcome);
    }
    report.requests = lines.len();
    finish(&mut report);
    let text = if json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        table(&report, &dir, policy.unwrap_or("the default policy"))
    };
    // A closed pipe (`customs corpus | head`) is not worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(if report.missed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Every line of every `.jsonl` file in `dir`, files in name order.
fn load(dir: &Path) -> anyhow::Result<Vec<Sourced>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no .jsonl files in {}", dir.display());
    }
    let mut out = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        for (i, text) in read(&file)?.lines().enumerate() {
            if text.trim().is_empty() {
                continue;
            }
            let line: Line = serde_json::from_str(text)
                .with_context(|| format!("{name}:{} is not a corpus line", i + 1))?;
            out.push(Sourced {
                at: format!("{name}:{}", i + 1),
                line,
            });
        }
    }
    Ok(out)
}

/// Sends one request, as a client would, and ends the stream.
fn send(worker: &Worker, line: &Line) -> Outcome {
    let body = line.body.as_bytes();
    let length = body.len().to_string();
    let mut headers = vec![
        (":method", "POST"),
        (":path", line.path.as_str()),
        ("content-type", "application/json"),
        ("content-length", length.as_str()),
    ];
    if line.shape.starts_with("anthropic") {
        headers.push(("anthropic-version", "2023-06-01"));
    }
    let mut stream = worker.stream();
    stream.send_request(&headers, body, 2);
    let up = stream.upstream().filter(|u| u.complete);
    let trap = stream.trap();
    let outcome = match (up, trap) {
        (_, Some(trap)) => Outcome {
            crossed: None,
            counts: BTreeMap::new(),
            error: Some(format!("trap: {trap}")),
        },
        (Some(up), None) => Outcome {
            counts: up
                .header("x-customs-redactions")
                .map(parse_counts)
                .unwrap_or_default(),
            crossed: Some(up.body),
            error: None,
        },
        (None, None) => Outcome {
            crossed: None,
            counts: BTreeMap::new(),
            error: Some(format!(
                "not forwarded: status {}",
                stream.client().status()
            )),
        },
    };
    stream.finish();
    outcome
}

/// `email=2,phone=1` (or `none`) as counts.
fn parse_counts(tag: &str) -> BTreeMap<String, u32> {
    tag.split(',')
        .filter_map(|pair| pair.split_once('='))
        .filter_map(|(k, v)| Some((k.trim().to_string(), v.trim().parse().ok()?)))
        .collect()
}

fn tally(report: &mut Report, sourced: &Sourced, outcome: &Outcome) {
    let line = &sourced.line;
    if let Some(error) = &outcome.error {
        report
            .errors
            .push(format!("{} {}: {error}", sourced.at, line.id));
    }
    let texts: Vec<Folded> = outcome
        .crossed
        .as_deref()
        .map(crossed_texts)
        .unwrap_or_default()
        .iter()
        .map(|t| Folded::new(t))
        .collect();
    let slices = [
        ("evasion", line.evasion.as_str()),
        ("shape", line.shape.as_str()),
        ("placement", line.placement.as_str()),
        ("language", line.lang.as_str()),
    ];
    let slice = |report: &mut Report, f: &dyn Fn(&mut Slice)| {
        for (by, key) in slices {
            let map = match by {
                "evasion" => &mut report.by_evasion,
                "shape" => &mut report.by_shape,
                "placement" => &mut report.by_placement,
                _ => &mut report.by_language,
            };
            f(map.entry(key.to_string()).or_default());
        }
    };
    if line.labels.is_empty() {
        report.lookalike_lines += 1;
        let flagged = !outcome.counts.is_empty();
        report.flagged_lookalike_lines += u32::from(flagged);
        slice(report, &|s| {
            s.lookalike_lines += 1;
            s.flagged_lines += u32::from(flagged);
        });
        for (category, n) in &outcome.counts {
            report
                .categories
                .entry(category.clone())
                .or_default()
                .false_positives += n;
        }
        if flagged {
            report.false_positives.push(format!(
                "{} {} {} {} -> {}",
                sourced.at,
                line.id,
                line.lookalike.as_deref().unwrap_or("?"),
                line.evasion,
                counts_text(&outcome.counts)
            ));
        }
        if outcome.counts.is_empty() && outcome.crossed.as_deref() != Some(line.body.as_bytes()) {
            report.errors.push(format!(
                "{} {}: changed although nothing was found",
                sourced.at, line.id
            ));
        }
        return;
    }
    for label in &line.labels {
        let leaked = leaks(&label.value, &texts);
        // An address's domain is shared by many: only whole addresses count.
        let partly = !leaked && label.category != "email" && partly_leaks(&label.value, &texts);
        let tally = report.categories.entry(label.category.clone()).or_default();
        tally.labelled += 1;
        tally.leaked += u32::from(leaked);
        tally.partly_leaked += u32::from(partly);
        tally.typed += u32::from(outcome.counts.contains_key(&label.category));
        slice(report, &|s| {
            s.labelled += 1;
            s.leaked += u32::from(leaked);
        });
        if leaked || partly {
            report.leaks.push(format!(
                "{} {} {} {} {}/{}{}",
                sourced.at,
                line.id,
                label.category,
                line.evasion,
                line.shape,
                line.placement,
                if partly { " (its last half)" } else { "" }
            ));
        }
    }
    for (category, n) in &outcome.counts {
        if !line.labels.iter().any(|l| &l.category == category) {
            report
                .categories
                .entry(category.clone())
                .or_default()
                .extra_on_positives += n;
        }
    }
}

fn counts_text(counts: &BTreeMap<String, u32>) -> String {
    counts
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Rates, and the targets missed.
fn finish(report: &mut Report) {
    let negatives = f64::from(report.lookalike_lines.max(1));
    for (name, t) in &mut report.categories {
        t.recall = if t.labelled == 0 {
            1.0
        } else {
            f64::from(t.labelled - t.leaked) / f64::from(t.labelled)
        };
        t.false_positive_rate = f64::from(t.false_positives) / negatives;
        if t.leaked > 0 {
            report.missed.push(format!(
                "{name}: recall {:.2}% ({} of {} crossed), target 100%",
                t.recall * 100.0,
                t.leaked,
                t.labelled
            ));
        }
        if t.partly_leaked > 0 {
            report.missed.push(format!(
                "{name}: the last half of {} values crossed, target none",
                t.partly_leaked
            ));
        }
        if t.false_positive_rate > MAX_FALSE_POSITIVE_RATE {
            report.missed.push(format!(
                "{name}: {:.2}% false positives, target at most {:.1}%",
                t.false_positive_rate * 100.0,
                MAX_FALSE_POSITIVE_RATE * 100.0
            ));
        }
    }
    for category in customs_filter::detect::BUILTIN_CATEGORIES {
        let labelled = report
            .categories
            .get(category.name())
            .map_or(0, |t| t.labelled);
        if labelled == 0 {
            report
                .missed
                .push(format!("{category}: no labelled value in the corpus"));
        }
    }
    report.false_positive_line_rate = f64::from(report.flagged_lookalike_lines) / negatives;
    if report.false_positive_line_rate > MAX_FALSE_POSITIVE_RATE {
        report.missed.push(format!(
            "{:.2}% of look-alike lines had a finding, target at most {:.1}%",
            report.false_positive_line_rate * 100.0,
            MAX_FALSE_POSITIVE_RATE * 100.0
        ));
    }
    if report.lookalike_lines == 0 {
        report
            .missed
            .push("no look-alike lines in the corpus".to_string());
    }
    if !report.errors.is_empty() {
        report.missed.push(format!(
            "{} requests did not go through as they should",
            report.errors.len()
        ));
    }
}

/// The texts a crossed body carries: the raw body and every string in it,
/// strings holding JSON opened in turn, each with `\uXXXX` escapes decoded.
fn crossed_texts(body: &[u8]) -> Vec<String> {
    let raw = String::from_utf8_lossy(body).into_owned();
    let mut out = vec![decode_escapes(&raw)];
    if let Ok(doc) = serde_json::from_slice::<Value>(body) {
        strings(&doc, 0, &mut out);
    }
    out
}

fn strings(v: &Value, depth: usize, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            out.push(decode_escapes(s));
            let t = s.trim_start();
            if depth < 8 && (t.starts_with('{') || t.starts_with('[')) {
                if let Ok(inner) = serde_json::from_str::<Value>(s) {
                    strings(&inner, depth + 1, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| strings(i, depth, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, depth, out)),
        _ => {}
    }
}

/// `\u0034` (behind any number of backslashes) as the character it stands for.
fn decode_escapes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' {
            let mut j = i;
            while j < chars.len() && chars[j] == '\\' {
                j += 1;
            }
            let hex: String = chars.iter().skip(j + 1).take(4).collect();
            if chars.get(j) == Some(&'u') && hex.len() == 4 {
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                    i = j + 5;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Folds what people use to hide a value: full-width forms, other scripts'
/// digits and Chinese numerals, each alone too (with the filter's own tables:
/// the run through Envoy checks them with Python's Unicode data instead),
/// invisible characters, odd spaces and dashes; then lower case.
fn fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if let Some(d) = decimal_digit(c).or_else(|| chinese_numeral(c)) {
                return Some(char::from(b'0' + d));
            }
            match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21),
                '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
                | '\u{00AD}'
                | '\u{180E}' => None,
                '\u{3000}' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => {
                    Some(' ')
                }
                '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => Some('-'),
                _ => Some(c),
            }
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Letters and digits only: how a number reads whatever separates its groups.
fn alnum(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// A crossed text in the forms values are looked for in.
struct Folded {
    folded: String,
    compact: String,
}

impl Folded {
    fn new(text: &str) -> Folded {
        let folded = fold(text);
        let compact = alnum(&folded);
        Folded { folded, compact }
    }
}

/// Whether `value` crossed in any form: as written, folded, or (for values of
/// eight letters and digits or more) with everything but letters and digits
/// removed on both sides.
fn leaks(value: &str, texts: &[Folded]) -> bool {
    let folded = fold(value);
    let compact = alnum(&folded);
    texts
        .iter()
        .any(|t| t.folded.contains(&folded) || (compact.len() >= 8 && t.compact.contains(&compact)))
}

/// Whether the last half of a value of 16 letters and digits or more crossed:
/// a finding that covers only part of a value. (The first half is often shared
/// by other values: a region code, a card's issuer, a key's prefix.)
fn partly_leaks(value: &str, texts: &[Folded]) -> bool {
    let compact = alnum(&fold(value));
    let len = compact.len();
    if len < 16 {
        return false;
    }
    let tail = &compact[len - len / 2..];
    texts.iter().any(|t| t.compact.contains(tail))
}

fn percent(part: u32, whole: u32) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.2}%", f64::from(part) * 100.0 / f64::from(whole))
    }
}

/// The report as tables.
fn table(r: &Report, dir: &Path, policy: &str) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    macro_rules! put {
        ($($arg:tt)*) => {
            let _ = writeln!(out, $($arg)*);
        };
    }
    put!(
        "customs detection corpus: {} requests from {}",
        r.requests,
        dir.display()
    );
    put!("under {policy}; recall = labelled values that did not cross in any form\n");
    put!(
        "| {:<16} | {:>8} | {:>6} | {:>4} | {:>8} | {:>7} | {:>5} | {:>3} | {:>7} |",
        "category",
        "labelled",
        "leaked",
        "half",
        "recall",
        "typed",
        "extra",
        "fp",
        "fp rate"
    );
    put!(
        "|{:-<18}|{:->10}|{:->8}|{:->6}|{:->10}|{:->9}|{:->7}|{:->5}|{:->9}|",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        ""
    );
    let order: Vec<String> = customs_filter::detect::BUILTIN_CATEGORIES
        .iter()
        .map(|c| c.name().to_string())
        .chain(r.categories.keys().cloned())
        .fold(Vec::new(), |mut seen, c| {
            if !seen.contains(&c) {
                seen.push(c);
            }
            seen
        });
    for name in order {
        let Some(t) = r.categories.get(&name) else {
            continue;
        };
        put!(
            "| {:<16} | {:>8} | {:>6} | {:>4} | {:>8} | {:>7} | {:>5} | {:>3} | {:>7} |",
            name,
            t.labelled,
            t.leaked,
            t.partly_leaked,
            percent(t.labelled - t.leaked, t.labelled),
            percent(t.typed, t.labelled),
            t.extra_on_positives,
            t.false_positives,
            percent(t.false_positives, r.lookalike_lines),
        );
    }
    put!(
        "\nlook-alike lines: {}, with any finding: {} ({})",
        r.lookalike_lines,
        r.flagged_lookalike_lines,
        percent(r.flagged_lookalike_lines, r.lookalike_lines)
    );
    for (title, map) in [
        ("evasion", &r.by_evasion),
        ("shape", &r.by_shape),
        ("placement", &r.by_placement),
        ("language", &r.by_language),
    ] {
        put!(
            "\n| {title:<18} | {:>8} | {:>6} | {:>8} | {:>10} | {:>7} |",
            "labelled",
            "leaked",
            "recall",
            "look-alike",
            "flagged"
        );
        put!(
            "|{:-<20}|{:->10}|{:->8}|{:->10}|{:->12}|{:->9}|",
            "",
            "",
            "",
            "",
            "",
            ""
        );
        for (key, s) in map {
            put!(
                "| {key:<18} | {:>8} | {:>6} | {:>8} | {:>10} | {:>7} |",
                s.labelled,
                s.leaked,
                percent(s.labelled - s.leaked, s.labelled),
                s.lookalike_lines,
                s.flagged_lines
            );
        }
    }
    for (title, list) in [
        ("values that crossed", &r.leaks),
        ("look-alikes reported", &r.false_positives),
        ("requests that went wrong", &r.errors),
    ] {
        if list.is_empty() {
            continue;
        }
        put!("\n{title} ({}):", list.len());
        for item in list.iter().take(40) {
            put!("  {item}");
        }
        if list.len() > 40 {
            put!("  ... and {} more", list.len() - 40);
        }
    }
    if r.missed.is_empty() {
        put!("\ntargets met: 100% recall in every category, false positives at most 0.5%");
    } else {
        put!("\ntargets missed:");
        for m in &r.missed {
            put!("  {m}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_that_count_as_crossed() {
        let texts = crossed_texts(
            br#"{"a":"card \\u0034111 1111-1111.1111 x","b":"{\"q\":\"\uff11\u200b3812345678\"}"}"#,
        );
        let texts: Vec<Folded> = texts.iter().map(|t| Folded::new(t)).collect();
        assert!(leaks("4111111111111111", &texts));
        assert!(leaks("13812345678", &texts));
        assert!(!leaks("4111111111111112", &texts));
        let spaced = [Folded::new("10 0 0 1")];
        assert!(!leaks("10.0.0.1", &spaced));
        let tail = [Folded::new("card [PAYMENT_CARD_1] 11111111")];
        assert!(partly_leaks("4111111111111111", &tail));
        assert!(!partly_leaks("4111111111111111", &spaced));
    }

    #[test]
    fn counts_from_the_tag() {
        let counts = parse_counts("email=2,phone=1");
        assert_eq!(counts.get("email"), Some(&2));
        assert!(parse_counts("none").is_empty());
    }
}
