//! `customs estimate`: how far customs' token estimate is from the exact
//! `o200k_base` count on sample texts, per file and overall.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use customs_filter::limits::estimate::{accuracy_report, Report};
use customs_filter::limits::TokenizerFamily;

use super::{read, Args};

/// The sample corpus, relative to the repository root.
const CORPUS: &str = "corpus/estimator";

pub fn main(args: &[String]) -> anyhow::Result<ExitCode> {
    let args = Args::parse(args, &[("--family", "openai or anthropic")])?;
    let family = match args.one("--family")? {
        None | Some("openai") => TokenizerFamily::OpenAi,
        Some("anthropic") => TokenizerFamily::Anthropic,
        Some(other) => bail!("unknown --family {other:?}: expected openai or anthropic"),
    };
    let files = sample_files(&args.positional)?;
    let bpe = tiktoken_rs::o200k_base().context("loading the o200k_base vocabulary")?;
    let mut all: Vec<(String, u32)> = Vec::new();
    let mut rows = Vec::new();
    for (name, path) in files {
        let text = read(&path)?;
        let counted: Vec<(String, u32)> = samples(&text)
            .map(|s| {
                let exact = u32::try_from(bpe.encode_ordinary(s).len()).unwrap_or(u32::MAX);
                (s.to_string(), exact)
            })
            .collect();
        rows.push((name, report(&counted, family)));
        all.extend(counted);
    }
    let family_name = match family {
        TokenizerFamily::OpenAi => "openai",
        TokenizerFamily::Anthropic => "anthropic",
    };
    println!("the {family_name} estimate against exact o200k_base counts");
    if family == TokenizerFamily::Anthropic {
        println!("(Anthropic publishes no tokenizer: the error shows the margin, not accuracy)");
    }
    println!(
        "{:<24} {:>7} {:>10} {:>7} {:>7} {:>7}",
        "file", "samples", "mean |err|", "worst", "bias", "total"
    );
    rows.push(("overall".to_string(), report(&all, family)));
    for (name, r) in rows {
        println!(
            "{name:<24} {:>7} {:>9.1}% {:>6.1}% {:>+6.1}% {:>+6.1}%",
            r.samples, r.mean_abs_err_pct, r.worst_pct, r.bias_pct, r.total_err_pct
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The samples of a corpus file: separated by lines holding only `%%`, split
/// as the filter's own accuracy test splits them.
fn samples(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n%%\n").filter(|s| !s.trim().is_empty())
}

/// (name to print, path) of every file to read: the files given, the `.txt`
/// files of the directories given, else those of the corpus.
fn sample_files(given: &[String]) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let given: Vec<PathBuf> = if given.is_empty() {
        let here = Path::new(CORPUS);
        vec![if here.is_dir() {
            here.to_path_buf()
        } else {
            customs_host::workspace_dir().join(CORPUS)
        }]
    } else {
        given.iter().map(PathBuf::from).collect()
    };
    let mut files = Vec::new();
    for path in given {
        if !path.is_dir() {
            files.push((path.display().to_string(), path));
            continue;
        }
        let mut in_dir: Vec<PathBuf> = std::fs::read_dir(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "txt"))
            .collect();
        if in_dir.is_empty() {
            bail!("no .txt files in {}", path.display());
        }
        in_dir.sort();
        files.extend(in_dir.into_iter().map(|p| {
            let name = p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            (name, p)
        }));
    }
    Ok(files)
}

fn report(counted: &[(String, u32)], family: TokenizerFamily) -> Report {
    let pairs: Vec<(&str, u32)> = counted.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    accuracy_report(&pairs, family)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn samples_split_on_percent_lines_only() {
        let text = "one\n%%\ntwo %% not a separator\n%%\n\n%%\nthree\n";
        let got: Vec<&str> = samples(text).collect();
        assert_eq!(got, ["one", "two %% not a separator", "three\n"]);
    }
}
