//! `gen-corpus [--seed N] [DIR]`: writes customs' labelled detection corpus, by
//! default into `corpus/labelled/` of the workspace. Another seed draws other
//! values and look-alikes of the same kinds, for a fresh measurement; the
//! committed corpus uses the default one.
//!
//! Each line of a `.jsonl` file is one whole request:
//! `{"id", "shape", "path", "placement", "lang", "evasion", "body", "labels"}`,
//! where `body` is the exact request body (a string, so that JSON escapes
//! survive) and `labels` lists `{"category", "value"}`: the values that must
//! not cross in any form. Look-alike lines have no labels and name their
//! `lookalike` kind.
//!
//! - `positives.jsonl`: every built-in category x every evasion x every API
//!   shape and slot, in English and Chinese sentences, one value per line.
//! - `negatives.jsonl`: look-alikes (order and tracking numbers, timestamps,
//!   UUIDs, hashes, versions, prices, dates, numbers failing their checksum,
//!   ...) under the same evasions and shapes.
//! - `mixed.jsonl`: several values of different categories and evasions in one
//!   message, with a look-alike beside them.
//!
//! The output is deterministic: the same program writes the same bytes.

mod carriers;
mod checks;
mod evasions;
mod lookalikes;
mod rng;
mod shapes;
mod values;

use std::io::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use evasions::{Level, EVASIONS};
use rng::Rng;
use values::{Value, CATEGORIES};

#[derive(Serialize)]
struct Line {
    id: String,
    shape: &'static str,
    path: &'static str,
    placement: &'static str,
    lang: &'static str,
    evasion: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lookalike: Option<&'static str>,
    body: String,
    labels: Vec<Label>,
}

#[derive(Serialize)]
struct Label {
    category: &'static str,
    value: String,
}

/// Categories whose values people write in digit groups.
const GROUPED: &[&str] = &[
    "phone",
    "cn_resident_id",
    "us_ssn",
    "payment_card",
    "iban",
    "bank_account",
];

/// Categories whose values are mostly digits, which people may write in
/// another script's digits or in Chinese numerals.
const NUMERIC: &[&str] = &[
    "phone",
    "cn_resident_id",
    "us_ssn",
    "payment_card",
    "ipv4",
    "bank_account",
];

/// How many look-alike lines per kind and evasion.
const PER_LOOKALIKE: usize = 5;
/// How many lines hold several values.
const MIXED_LINES: usize = 100;

/// Whether lines under `evasion` are Chinese sentences.
fn chinese(evasion: &str) -> bool {
    evasion == "cjk_adjacent" || evasion == "chinese_numerals"
}

/// A value written under `evasion`: the text that goes into the sentence.
fn written(value: &Value, evasion: &str, rng: &mut Rng) -> String {
    let grouped = |rng: &mut Rng, num| match &value.separated {
        Some(s) if rng.chance(num, 3) => s.clone(),
        _ => value.plain.clone(),
    };
    let text = match evasion {
        "separators" => value
            .separated
            .clone()
            .unwrap_or_else(|| value.plain.clone()),
        "full_width" => {
            let base = grouped(rng, 2);
            evasions::full_width(&base, rng)
        }
        "zero_width" => {
            let base = grouped(rng, 1);
            evasions::zero_width(&base, rng)
        }
        "script_digits" => {
            let base = grouped(rng, 1);
            evasions::script_digits(&base, rng)
        }
        "chinese_numerals" => {
            let base = grouped(rng, 1);
            evasions::chinese_numerals(&base, rng)
        }
        "json_escape" | "cjk_adjacent" => grouped(rng, 1),
        _ => value.plain.clone(),
    };
    match (value.context, value.column) {
        // One value with a column's name in four is a row of a small table,
        // Markdown or CSV (Markdown for a value with a comma, full-width ones
        // included: they fold to commas), its name in the
        // header above; or a row of an SQL `INSERT` under its column list; or
        // an XML element named for it (an ASCII name, run together); or a
        // cell of an HTML table under its header cell.
        (_, Some(column)) if rng.chance(1, 4) => match rng.below(5) {
            4 => format!(
                "\n<table><tr><th>Name</th><th>{column}</th></tr><tr><td>Chen Jie</td><td>{text}</td></tr></table>\n"
            ),
            0 => format!(
                "\n\nINSERT INTO customers (name, \"{column}\") VALUES ('Chen Jie', '{text}');\n\n"
            ),
            1 if column.is_ascii() => {
                let tag: String = column.chars().filter(char::is_ascii_alphanumeric).collect();
                format!("\n<customer><name>Chen Jie</name><{tag}>{text}</{tag}></customer>\n")
            }
            _ if text.contains([',', '，']) || rng.chance(1, 2) => {
                format!("\n\n| Name | {column} |\n|---|---|\n| Chen Jie | {text} |\n\n")
            }
            _ => format!("\n\nname,{column}\nChen Jie,{text}\n\n"),
        },
        (Some(context), _) => format!("{context} {text}"),
        (None, _) => text,
    }
}

/// Serialises `body`, applying the JSON-escape evasion to `value` if asked.
fn serialise(
    body: &serde_json::Value,
    value: &str,
    evasion: &str,
    nested: bool,
    rng: &mut Rng,
) -> String {
    let mut text = shapes::canonical(body);
    if evasion == "json_escape" {
        // In tool-call arguments, half of the time for the nested document,
        // half for the outer string.
        let level = match (nested, rng.chance(1, 2)) {
            (false, _) => Level::Body,
            (true, true) => Level::NestedInner,
            (true, false) => Level::NestedOuter,
        };
        let escaped = evasions::json_escape(&mut text, value, level, rng);
        assert!(escaped, "value not found in its body");
    }
    text
}

struct Generator {
    rng: Rng,
    places: Vec<(&'static str, &'static str, &'static str)>,
}

impl Generator {
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        id: String,
        place: (&'static str, &'static str, &'static str),
        lang: &'static str,
        evasion: &'static str,
        noun: &'static str,
        text_value: &str,
        lookalike: Option<&'static str>,
        labels: Vec<Label>,
    ) -> Line {
        let rng = &mut self.rng;
        let (shape, path, placement) = place;
        let glued = evasion == "cjk_adjacent";
        let text = carriers::sentence(lang, glued, noun, text_value, rng);
        let slot = shapes::Slot {
            text: &text,
            alone: (text_value, noun),
        };
        let body = shapes::body(shape, placement, lang, &slot, rng);
        let nested = shapes::nested_in_string(shape, placement);
        let body = serialise(&body, text_value, evasion, nested, rng);
        Line {
            id,
            shape,
            path,
            placement,
            lang,
            evasion,
            lookalike,
            body,
            labels,
        }
    }

    fn positives(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        for (ci, &category) in CATEGORIES.iter().enumerate() {
            for (ei, &evasion) in EVASIONS.iter().enumerate() {
                if evasion == "separators" && !GROUPED.contains(&category) {
                    continue;
                }
                let numeric = ["script_digits", "chinese_numerals"].contains(&evasion);
                if numeric && !NUMERIC.contains(&category) {
                    continue;
                }
                for pi in 0..self.places.len() {
                    let lang = if chinese(evasion) || (ci + ei + pi) % 2 == 1 {
                        "zh"
                    } else {
                        "en"
                    };
                    let value = values::make(category, &mut self.rng);
                    let text = written(&value, evasion, &mut self.rng);
                    let labels = vec![Label {
                        category,
                        value: value.label.clone(),
                    }];
                    let id = format!("p{:05}", out.len() + 1);
                    let noun = carriers::noun(category, lang);
                    let place = self.places[pi];
                    out.push(self.line(id, place, lang, evasion, noun, &text, None, labels));
                }
            }
        }
        out
    }

    fn negatives(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        let n = self.places.len();
        for (ki, &(kind, en, zh)) in lookalikes::KINDS.iter().enumerate() {
            for (ei, &evasion) in EVASIONS.iter().enumerate() {
                for j in 0..PER_LOOKALIKE {
                    let lang = if chinese(evasion) || (ki + ei + j) % 2 == 1 {
                        "zh"
                    } else {
                        "en"
                    };
                    let value = self.lookalike(kind, evasion);
                    let Some(value) = value else { continue };
                    let text = written(&value, evasion, &mut self.rng);
                    let id = format!("n{:05}", out.len() + 1);
                    let noun = if lang == "zh" { zh } else { en };
                    let place = self.places[(ki * 7 + ei * 5 + j * 4) % n];
                    out.push(self.line(
                        id,
                        place,
                        lang,
                        evasion,
                        noun,
                        &text,
                        Some(kind),
                        Vec::new(),
                    ));
                }
            }
        }
        out
    }

    /// A look-alike of `kind` fit for `evasion`: one written in groups for
    /// `separators`, if that kind has such a form.
    fn lookalike(&mut self, kind: &str, evasion: &str) -> Option<Value> {
        for _ in 0..20 {
            let v = lookalikes::make(kind, &mut self.rng);
            let digits = v.plain.bytes().filter(u8::is_ascii_digit).count();
            let fits = match evasion {
                "separators" => v.separated.is_some(),
                "script_digits" | "chinese_numerals" => digits * 2 >= v.plain.len(),
                _ => true,
            };
            if fits {
                return Some(v);
            }
        }
        None
    }

    /// Lines holding three values of different categories and evasions, and a
    /// look-alike.
    fn mixed(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        let evasions = ["plain", "full_width", "zero_width", "separators"];
        for i in 0..MIXED_LINES {
            let lang = if i % 2 == 0 { "en" } else { "zh" };
            let rng = &mut self.rng;
            let mut sentences = Vec::new();
            let mut labels = Vec::new();
            let mut chosen: Vec<&str> = Vec::new();
            while chosen.len() < 3 {
                let category = *rng.pick(CATEGORIES);
                if chosen.contains(&category) {
                    continue;
                }
                chosen.push(category);
                let value = values::make(category, rng);
                let evasion = *rng.pick(&evasions);
                let text = written(&value, evasion, rng);
                let noun = carriers::noun(category, lang);
                sentences.push(carriers::sentence(lang, false, noun, &text, rng));
                labels.push(Label {
                    category,
                    value: value.label,
                });
            }
            let (kind, en, zh) = *rng.pick(lookalikes::KINDS);
            let look = lookalikes::make(kind, rng);
            let noun = if lang == "zh" { zh } else { en };
            sentences.insert(
                rng.below(4),
                carriers::sentence(lang, false, noun, &look.plain, rng),
            );
            let joined = sentences.join(if lang == "zh" { "" } else { " " });
            let place = self.places[(i * 5) % self.places.len()];
            let (shape, path, placement) = place;
            let slot = shapes::Slot {
                text: &joined,
                alone: (&joined, "notes"),
            };
            let body =
                shapes::canonical(&shapes::body(shape, placement, lang, &slot, &mut self.rng));
            out.push(Line {
                id: format!("m{:05}", i + 1),
                shape,
                path,
                placement,
                lang,
                evasion: "mixed",
                lookalike: Some(kind),
                body,
                labels,
            });
        }
        out
    }
}

fn write(dir: &std::path::Path, name: &str, lines: &[Line]) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
    for line in lines {
        let json = serde_json::to_string(line).map_err(std::io::Error::other)?;
        writeln!(file, "{json}")?;
    }
    file.flush()
}

/// The seed of the committed corpus.
const SEED: u64 = 0x00C0_FFEE_2024;

fn main() -> std::process::ExitCode {
    let mut dir = None;
    let mut seed = SEED;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--seed" {
            match args.next().and_then(|s| s.parse().ok()) {
                Some(n) => seed = n,
                None => {
                    eprintln!("gen-corpus: --seed needs a number");
                    return std::process::ExitCode::from(2);
                }
            }
        } else if arg.starts_with('-') {
            eprintln!("usage: gen-corpus [--seed N] [DIR]");
            return std::process::ExitCode::from(2);
        } else {
            dir = Some(PathBuf::from(arg));
        }
    }
    let dir = dir.unwrap_or_else(|| customs_host::workspace_dir().join("corpus/labelled"));
    let mut generator = Generator {
        rng: Rng::new(seed),
        places: shapes::placements(),
    };
    let positives = generator.positives();
    let negatives = generator.negatives();
    let mixed = generator.mixed();
    let result = std::fs::create_dir_all(&dir)
        .and_then(|()| write(&dir, "positives.jsonl", &positives))
        .and_then(|()| write(&dir, "negatives.jsonl", &negatives))
        .and_then(|()| write(&dir, "mixed.jsonl", &mixed));
    match result {
        Ok(()) => {
            println!(
                "wrote {} positive, {} look-alike and {} mixed lines to {}",
                positives.len(),
                negatives.len(),
                mixed.len(),
                dir.display()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-corpus: writing {}: {e}", dir.display());
            std::process::ExitCode::FAILURE
        }
    }
}
