//! Finding and replacing a set of literal strings, built once per request: the
//! values a request's redaction replaced (to sweep their recurrences) and the
//! placeholders its answer may echo (to restore them).
//!
//! Such a set is small and short-lived, so building is what costs. A handful
//! of literals is searched one `memchr::memmem` finder each, which costs little
//! to build and skips ahead on a rare byte of the literal (`str::find` compares
//! its way through the text, several times slower inside the `.wasm`); more go
//! through an Aho-Corasick NFA, whose build cost then pays off. Both give
//! the leftmost-longest, non-overlapping matches of every literal.
//!
//! Before any search, one quick look at the text says which of a few rare
//! kinds of byte it holds (digits, `@`, `[`): a literal holding one of them
//! cannot occur in a text without it. The values a request sweeps for (phone
//! and card numbers, e-mail addresses) and the placeholders an answer may echo
//! all hold one, and most texts of a request hold none once redacted, so most
//! texts are passed over without a search.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use memchr::memmem::Finder;

use crate::chunks;

/// Up to this many literals are searched one by one: each costs a pass over
/// the text, so the cost stays linear in the text with a small factor.
const FEW: usize = 8;

/// A set of literal strings to find in texts.
#[derive(Debug, Clone)]
pub(crate) struct Literals {
    search: Search,
    /// For each literal, the rare kinds of byte it holds (see [`Kinds`]).
    needs: Vec<Kinds>,
}

#[derive(Debug, Clone)]
enum Search {
    /// A finder for each literal (`None` for an empty one, which never matches).
    Few(Vec<Option<Finder<'static>>>),
    Many(AhoCorasick),
}

/// One match: byte span in the text and the index of the literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Match {
    pub start: usize,
    pub end: usize,
    pub literal: usize,
}

impl Literals {
    /// The set of `literals`, in order (a match names its literal by index).
    /// Empty literals never match. `None` when there is nothing to find.
    pub(crate) fn new<S: AsRef<str>>(literals: &[S]) -> Option<Literals> {
        if literals.iter().all(|l| l.as_ref().is_empty()) {
            return None;
        }
        let search = if literals.len() <= FEW {
            Search::Few(
                literals
                    .iter()
                    .map(|l| {
                        let l = l.as_ref();
                        (!l.is_empty()).then(|| Finder::new(l).into_owned())
                    })
                    .collect(),
            )
        } else {
            // An empty pattern would match everywhere: give it one that cannot
            // occur in a `str`, so indexes stay those of `literals`.
            let patterns: Vec<&[u8]> = literals
                .iter()
                .map(|l| match l.as_ref() {
                    "" => &[0xFF][..],
                    l => l.as_bytes(),
                })
                .collect();
            let automaton = AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::NoncontiguousNFA))
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns)
                .ok()?;
            Search::Many(automaton)
        };
        let needs = literals.iter().map(|l| Kinds::of(l.as_ref())).collect();
        Some(Literals { search, needs })
    }

    /// Every leftmost-longest, non-overlapping match in `text`, in order.
    pub(crate) fn find_all(&self, text: &str) -> Vec<Match> {
        let has = Kinds::of(text);
        let possible = |literal: usize| self.needs.get(literal).is_some_and(|n| has.covers(*n));
        if !(0..self.needs.len()).any(possible) {
            return Vec::new();
        }
        match &self.search {
            Search::Many(automaton) => automaton
                .find_iter(text)
                .map(|m| Match {
                    start: m.start(),
                    end: m.end(),
                    literal: m.pattern().as_usize(),
                })
                .collect(),
            Search::Few(finders) => find_few(finders, text, possible),
        }
    }

    /// `text` with every match replaced by `replacements[literal]`; `None`
    /// when nothing matched. A missing replacement leaves the match as it is.
    pub(crate) fn replace_all<S: AsRef<str>>(
        &self,
        text: &str,
        replacements: &[S],
    ) -> Option<(String, Vec<Match>)> {
        self.replace_all_where(text, replacements, |_| true)
    }

    /// [`Literals::replace_all`], replacing only the matches `keep` takes
    /// (the others stay as they are, and are not returned).
    pub(crate) fn replace_all_where<S: AsRef<str>>(
        &self,
        text: &str,
        replacements: &[S],
        keep: impl Fn(&Match) -> bool,
    ) -> Option<(String, Vec<Match>)> {
        let mut matches = self.find_all(text);
        matches.retain(|m| keep(m));
        if matches.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut done = 0;
        for m in &matches {
            out.push_str(text.get(done..m.start).unwrap_or_default());
            match replacements.get(m.literal) {
                Some(r) => out.push_str(r.as_ref()),
                None => out.push_str(text.get(m.start..m.end).unwrap_or_default()),
            }
            done = m.end;
        }
        out.push_str(text.get(done..).unwrap_or_default());
        Some((out, matches))
    }
}

/// Leftmost-longest matches of a few literals: the next occurrence of each is
/// kept and searched again only once a match has passed it, so each literal's
/// search moves forward through the text once.
/// Literals for which `possible` is false are not searched.
fn find_few(
    finders: &[Option<Finder<'static>>],
    text: &str,
    possible: impl Fn(usize) -> bool,
) -> Vec<Match> {
    let find_from = |finder: &Option<Finder<'static>>, from: usize| -> Option<usize> {
        let finder = finder.as_ref()?;
        let rest = text.as_bytes().get(from..)?;
        finder.find(rest).map(|at| at + from)
    };
    let mut next: Vec<Option<usize>> = finders
        .iter()
        .enumerate()
        .map(|(literal, f)| possible(literal).then(|| find_from(f, 0)).flatten())
        .collect();
    let mut out = Vec::new();
    loop {
        let mut best: Option<Match> = None;
        for (literal, (start, finder)) in next.iter().zip(finders).enumerate() {
            let (Some(start), Some(finder)) = (*start, finder) else {
                continue;
            };
            let end = start + finder.needle().len();
            let better = best.is_none_or(|b| start < b.start || (start == b.start && end > b.end));
            if better {
                best = Some(Match {
                    start,
                    end,
                    literal,
                });
            }
        }
        let Some(m) = best else { return out };
        out.push(m);
        for (at, finder) in next.iter_mut().zip(finders) {
            if at.is_some_and(|s| s < m.end) {
                *at = find_from(finder, m.end);
            }
        }
    }
}

/// Which rare kinds of byte a text holds, as bits: ASCII digits, `@`, `[`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kinds(u8);

impl Kinds {
    const DIGIT: u8 = 1;
    const AT: u8 = 2;
    const BRACKET: u8 = 4;

    /// The kinds `text` holds, tested sixteen bytes at a time: this look
    /// costs a fraction of one search.
    fn of(text: &str) -> Kinds {
        let mut kinds = 0;
        chunks::each(text.as_bytes(), |x, bytes| {
            if x.within(b'0', b'9').bits() & bytes != 0 {
                kinds |= Kinds::DIGIT;
            }
            if x.eq(b'@').bits() & bytes != 0 {
                kinds |= Kinds::AT;
            }
            if x.eq(b'[').bits() & bytes != 0 {
                kinds |= Kinds::BRACKET;
            }
        });
        Kinds(kinds)
    }

    /// Whether a text with these kinds can hold a literal that needs `need`.
    fn covers(self, need: Kinds) -> bool {
        need.0 & !self.0 == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The reference: Aho-Corasick's leftmost-longest over the same literals.
    fn reference(literals: &[&str], text: &str) -> Vec<Match> {
        let patterns: Vec<&str> = literals.to_vec();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .unwrap();
        automaton
            .find_iter(text)
            .map(|m| Match {
                start: m.start(),
                end: m.end(),
                literal: m.pattern().as_usize(),
            })
            .collect()
    }

    #[test]
    fn few_literals_match_like_aho_corasick() {
        let cases: &[(&[&str], &str)] = &[
            (&["aa", "ab"], "aaab"),
            (&["xa", "aa"], "xaaa"),
            (&["ab", "bc"], "abc"),
            (&["a", "ab", "abc"], "abcabxa"),
            (
                &["alice@example.com", "13812345678"],
                "to alice@example.com or 13812345678, alice@example.com",
            ),
            (&["111", "11"], "11111"),
            (&["中文", "文本"], "中文本中文"),
            (&["zz"], "no match here"),
        ];
        for (literals, text) in cases {
            let few = Literals::new(literals).unwrap();
            assert!(matches!(few.search, Search::Few(_)));
            assert_eq!(
                few.find_all(text),
                reference(literals, text),
                "{literals:?} in {text:?}"
            );
        }
    }

    #[test]
    fn random_sets_match_like_aho_corasick() {
        // A small alphabet makes overlaps and shared prefixes common.
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3000 {
            let count = 1 + next(12) as usize;
            let literals: Vec<String> = (0..count)
                .map(|_| {
                    (0..1 + next(4))
                        .map(|_| ['a', 'b', 'c'][next(3) as usize])
                        .collect()
                })
                .collect();
            let text: String = (0..next(40))
                .map(|_| ['a', 'b', 'c', ' '][next(4) as usize])
                .collect();
            let refs: Vec<&str> = literals.iter().map(String::as_str).collect();
            let set = Literals::new(&refs).unwrap();
            assert_eq!(
                set.find_all(&text),
                reference(&refs, &text),
                "{refs:?} in {text:?}"
            );
        }
    }

    /// A xorshift generator: the same cases on every run.
    fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        }
    }

    #[test]
    fn kinds_are_what_a_byte_loop_finds() {
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let alphabet = [
            'a', '/', '0', '9', ':', '@', '[', 'Z', '\u{7f}', 'é', '中', ' ',
        ];
        for _ in 0..20_000 {
            let text: String = (0..next(40))
                .map(|_| alphabet[next(alphabet.len() as u64) as usize])
                .collect();
            let by_byte = text.bytes().fold(0, |k, b| {
                k | match b {
                    b'0'..=b'9' => Kinds::DIGIT,
                    b'@' => Kinds::AT,
                    b'[' => Kinds::BRACKET,
                    _ => 0,
                }
            });
            assert_eq!(Kinds::of(&text), Kinds(by_byte), "{text:?}");
        }
    }

    #[test]
    fn literals_with_rare_bytes_match_like_aho_corasick() {
        // Texts without a literal's digit, `@` or `[` skip its search: the
        // matches must stay those of a search over every literal.
        let mut next = xorshift(0x6A09_E667_F3BC_C909);
        let alphabet = ['a', '1', '@', '[', ' '];
        let pick = |next: &mut dyn FnMut(u64) -> u64, most: u64| -> String {
            (0..next(most))
                .map(|_| alphabet[next(alphabet.len() as u64) as usize])
                .collect()
        };
        for _ in 0..5000 {
            let count = 1 + next(12) as usize;
            let literals: Vec<String> = (0..count).map(|_| pick(&mut next, 4)).collect();
            let text = pick(&mut next, 40);
            let refs: Vec<&str> = literals.iter().map(String::as_str).collect();
            let Some(set) = Literals::new(&refs) else {
                continue;
            };
            let nonempty: Vec<&str> = refs
                .iter()
                .map(|l| if l.is_empty() { "\u{0}" } else { l })
                .collect();
            assert_eq!(
                set.find_all(&text),
                reference(&nonempty, &text),
                "{refs:?} in {text:?}"
            );
        }
    }

    #[test]
    fn replaces_every_match_and_reports_them() {
        let set = Literals::new(&["bob", "alice"]).unwrap();
        let (out, matches) = set
            .replace_all("alice and bob and alice", &["[B]", "[A]"])
            .unwrap();
        assert_eq!(out, "[A] and [B] and [A]");
        assert_eq!(matches.len(), 3);
        assert!(set.replace_all("nobody", &["[B]", "[A]"]).is_none());
    }

    #[test]
    fn empty_literals_never_match() {
        assert!(Literals::new::<&str>(&[]).is_none());
        assert!(Literals::new(&[""]).is_none());
        let few = Literals::new(&["", "x"]).unwrap();
        assert_eq!(few.find_all("axb").len(), 1);
        let many: Vec<String> = (0..20)
            .map(|i| {
                if i == 0 {
                    String::new()
                } else {
                    format!("v{i}")
                }
            })
            .collect();
        let set = Literals::new(&many).unwrap();
        assert_eq!(
            set.find_all("v1 v19"),
            vec![
                Match {
                    start: 0,
                    end: 2,
                    literal: 1
                },
                Match {
                    start: 3,
                    end: 6,
                    literal: 19
                }
            ]
        );
    }
}
