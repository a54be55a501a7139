//! The customer's own detectors: dictionaries of terms (one Aho-Corasick
//! automaton over all of them) and regular expressions (regex-lite, whose
//! matching time is linear in the text). Both run on the normalised text, so
//! full-width and zero-width tricks do not hide a term either.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind, StartKind};
use regex_lite::{Regex, RegexBuilder};

use super::bytes::{at, before, class, ALNUM};
use super::category::Category;
use super::config::{CustomPattern, Dictionary};
use super::normalize::Normalized;
use super::prefilter::Prefilter;
use crate::policy::PolicyError;

/// Compiled size limit of one customer regex: generous for real patterns,
/// bounded against a policy that would exhaust memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const REGEX_NEST_LIMIT: u32 = 64;

/// A dictionary term as matched: normalised like the text, trimmed.
pub(crate) fn normalized_term(term: &str) -> String {
    Normalized::new(term).as_str().trim().to_string()
}

#[derive(Debug, Clone)]
struct Term {
    category: Category,
    whole_words: bool,
}

/// All dictionaries of a policy, matched in one pass.
#[derive(Debug, Clone)]
pub(crate) struct Dictionaries {
    automaton: AhoCorasick,
    /// Per automaton pattern, in the same order.
    terms: Vec<Term>,
}

impl Dictionaries {
    /// `None` when the policy has no dictionaries. Expects a validated config.
    pub(crate) fn new(dictionaries: &[Dictionary]) -> Result<Option<Dictionaries>, PolicyError> {
        let mut patterns = Vec::new();
        let mut terms = Vec::new();
        for d in dictionaries {
            let category = Category::custom(&d.category);
            for term in &d.terms {
                patterns.push(normalized_term(term));
                terms.push(Term {
                    category: category.clone(),
                    whole_words: d.whole_words,
                });
            }
        }
        if patterns.is_empty() {
            return Ok(None);
        }
        let automaton = AhoCorasick::builder()
            // Built once per policy and run over every text: a DFA scans several
            // times faster than the NFA the crate picks for many terms, for
            // some memory (about 1.5 MB for 1,000 terms).
            .kind(Some(AhoCorasickKind::DFA))
            .start_kind(StartKind::Unanchored)
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| {
                PolicyError::new(
                    "dictionaries",
                    format!("cannot build the term matcher: {e}"),
                )
            })?;
        Ok(Some(Dictionaries { automaton, terms }))
    }

    /// Leftmost-longest matches, without overlaps. With whole words on, a match
    /// that an ASCII letter or digit touches on a side where the term itself
    /// ends in one is not a word and is dropped (CJK terms match anywhere).
    pub(crate) fn scan(&self, text: &str, out: &mut Vec<(usize, usize, Category)>) {
        let t = text.as_bytes();
        for m in self.automaton.find_iter(text) {
            let Some(term) = self.terms.get(m.pattern().as_usize()) else {
                continue;
            };
            let (start, end) = (m.start(), m.end());
            if term.whole_words {
                let alnum = |b: u8| class(b) & ALNUM != 0;
                let glued_left = alnum(at(t, start)) && alnum(before(t, start));
                let glued_right = alnum(before(t, end)) && alnum(at(t, end));
                if glued_left || glued_right {
                    continue;
                }
            }
            out.push((start, end, term.category.clone()));
        }
    }
}

/// One customer regular expression under its category.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    category: Category,
    regex: Regex,
    prefilter: Option<Prefilter>,
}

impl Pattern {
    /// Compiles the pattern; the error message is what the policy reports.
    pub(crate) fn new(p: &CustomPattern) -> Result<Pattern, String> {
        let regex = RegexBuilder::new(&p.regex)
            .size_limit(REGEX_SIZE_LIMIT)
            .nest_limit(REGEX_NEST_LIMIT)
            .build()
            .map_err(|e| format!("invalid regex: {e}"))?;
        if regex.is_match("") {
            return Err("regex matches the empty string".to_string());
        }
        Ok(Pattern {
            category: Category::custom(&p.category),
            prefilter: Prefilter::for_pattern(&p.regex),
            regex,
        })
    }

    pub(crate) fn scan(&self, text: &str, out: &mut Vec<(usize, usize, Category)>) {
        if let Some(prefilter) = &self.prefilter {
            prefilter.find_iter(&self.regex, text, |start, end| {
                out.push((start, end, self.category.clone()));
            });
            return;
        }
        for m in self.regex.find_iter(text) {
            if m.start() < m.end() {
                out.push((m.start(), m.end(), self.category.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use crate::detect::testing::find_with;
    use crate::detect::{CustomPattern, Dictionary, ScannerConfig};

    fn dictionary(category: &str, terms: &[&str], whole_words: bool) -> Dictionary {
        Dictionary {
            category: category.to_string(),
            terms: terms.iter().map(|t| t.to_string()).collect(),
            whole_words,
        }
    }

    #[test]
    fn dictionaries() {
        let cfg = ScannerConfig {
            dictionaries: vec![
                dictionary(
                    "codenames",
                    &["Project Falcon", "bluebird", "天鹰计划"],
                    true,
                ),
                dictionary("parts", &["x-17"], false),
            ],
            ..ScannerConfig::default()
        };
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "status of project falcon?",
                &[("codenames", "project falcon")],
            ),
            ("PROJECT FALCON", &[("codenames", "PROJECT FALCON")]),
            ("关于天鹰计划的进展", &[("codenames", "天鹰计划")]),
            (
                "bluebird, Bluebird.",
                &[("codenames", "bluebird"), ("codenames", "Bluebird")],
            ),
            (
                "ｂｌｕｅ\u{200B}ｂｉｒｄ",
                &[("codenames", "ｂｌｕｅ\u{200B}ｂｉｒｄ")],
            ),
            ("bluebirds and subluebird", &[]),
            ("项目bluebird进展", &[("codenames", "bluebird")]),
            ("partx-17b", &[("parts", "x-17")]),
        ];
        for (text, want) in cases {
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(c, s)| (c.to_string(), s.to_string()))
                .collect();
            assert_eq!(find_with(&cfg, text), want, "in {text:?}");
        }
    }

    #[test]
    fn patterns() {
        let cfg = ScannerConfig {
            patterns: vec![
                CustomPattern {
                    category: "employee_id".into(),
                    regex: r"EMP-\d{6}".into(),
                },
                CustomPattern {
                    category: "ticket".into(),
                    regex: r"(?i)ticket#[0-9]+".into(),
                },
            ],
            ..ScannerConfig::default()
        };
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("by EMP-123456 today", &[("employee_id", "EMP-123456")]),
            (
                "工号ＥＭＰ－１２３４５６。",
                &[("employee_id", "ＥＭＰ－１２３４５６")],
            ),
            (
                "TICKET#42 and ticket#7",
                &[("ticket", "TICKET#42"), ("ticket", "ticket#7")],
            ),
            ("EMP-12345", &[]),
        ];
        for (text, want) in cases {
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(c, s)| (c.to_string(), s.to_string()))
                .collect();
            assert_eq!(find_with(&cfg, text), want, "in {text:?}");
        }
    }
}
