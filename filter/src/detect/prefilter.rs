//! A literal prefilter for customer regular expressions.
//!
//! regex-lite runs in time linear in the text but slowly, a few tens of MB/s:
//! on a 256 KiB body one pattern cost more than every built-in detector
//! together. Most customer patterns start with a fixed code (`EMP-[0-9]{6}`,
//! `PRJ-[A-Z]{3}`), and every match then starts with that literal. The scan
//! finds the literal with a substring search and runs the regex only on a
//! short window there, long enough for any match of the pattern.
//!
//! The analysis is deliberately simple and conservative: no prefilter for a
//! pattern with flags, alternation or unbounded repetition, where the first
//! property (every match starts with the prefix) or the second (a match is at
//! most `window` bytes) would need a real regex parser to establish.

use memchr::memmem::Finder;
use regex_lite::Regex;

/// Windows larger than this are not worth it: the regex then runs on most of
/// the text anyway.
const MAX_WINDOW: usize = 4096;

#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    /// Every match starts with this literal. A `memmem` finder rather than
    /// `str::find`: in the `.wasm` std's two-way search compares its way
    /// through the text, while the finder skips to the literal's rarest byte
    /// with SIMD (4 % of a 256 KiB request with one such pattern).
    prefix: Finder<'static>,
    /// No match is longer than this many bytes.
    longest: usize,
}

impl Prefilter {
    /// The prefilter for the regex `source`, if the simple analysis finds one.
    pub(crate) fn for_pattern(source: &str) -> Option<Prefilter> {
        if source.starts_with("(?") || source.contains(['|', '*', '+']) {
            return None;
        }
        let prefix = literal_prefix(source)?;
        let repeats = repeat_product(source)?;
        // Each atom of the source matches at most one character (4 bytes), and
        // repeats multiply at most by the product of every count.
        let longest = source.len().checked_mul(4)?.checked_mul(repeats)?;
        (longest <= MAX_WINDOW).then(|| Prefilter {
            prefix: Finder::new(prefix.as_bytes()).into_owned(),
            longest,
        })
    }

    /// The leftmost-first, non-overlapping matches of `regex` (the pattern
    /// this prefilter was made for) in `text`: the same as `find_iter`.
    pub(crate) fn find_iter(&self, regex: &Regex, text: &str, mut found: impl FnMut(usize, usize)) {
        let mut from = 0;
        while let Some(at) = text
            .get(from..)
            .and_then(|rest| self.prefix.find(rest.as_bytes()))
        {
            let start = from + at;
            // One character past the longest match, so that an assertion at
            // the end of a match (`\b`, `$`) sees the text that follows.
            let mut end = start.saturating_add(self.longest + 4).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let window = text.get(start..end).unwrap_or_default();
            match regex.find(window) {
                Some(m) if m.start() == 0 && m.end() > 0 => {
                    found(start, start + m.end());
                    from = start + m.end();
                }
                // No match starts here; the next can start at the next
                // character at the earliest.
                _ => from = start + window.chars().next().map_or(1, char::len_utf8),
            }
        }
    }
}

/// The literal characters the pattern starts with, without a last one that a
/// quantifier applies to.
fn literal_prefix(source: &str) -> Option<String> {
    let mut prefix = String::new();
    let mut chars = source.chars().peekable();
    while let Some(&c) = chars.peek() {
        if "\\.^$|?*+()[]{}".contains(c) {
            break;
        }
        prefix.push(c);
        chars.next();
    }
    if matches!(chars.peek(), Some('?' | '{')) {
        prefix.pop();
    }
    (!prefix.is_empty()).then_some(prefix)
}

/// The product of every `{n}` and `{n,m}` count (the larger bound), at least
/// 1 each; `None` for an open `{n,}` or anything that does not read as a count
/// (`\p{Greek}`), so the caller gives up.
fn repeat_product(source: &str) -> Option<usize> {
    let mut product: usize = 1;
    let mut rest = source;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..)?;
        let close = after.find('}')?;
        let inside = after.get(..close)?;
        let count = match inside.split_once(',') {
            None => inside.trim().parse::<usize>().ok()?,
            Some((_, "")) => return None,
            Some((_, most)) => most.trim().parse::<usize>().ok()?,
        };
        product = product.checked_mul(count.max(1))?;
        rest = after.get(close + 1..)?;
    }
    Some(product)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn which_patterns_get_a_prefilter() {
        let cases: &[(&str, Option<&str>)] = &[
            ("EMP-[0-9]{6}", Some("EMP-")),
            (r"EMP-\d{6}", Some("EMP-")),
            ("ACCT {2}[0-9]{8}", Some("ACCT")),
            ("ABC?D", Some("AB")),
            ("PRJ-[A-Z]{2,4}", Some("PRJ-")),
            ("(?i)ticket#[0-9]{3}", None),
            ("EMP-[0-9]+", None),
            ("EMP-[0-9]*", None),
            ("EMP|ACCT", None),
            ("[0-9]{6}-X", None),
            (r"\bEMP-[0-9]{6}", None),
            ("EMP-[0-9]{6,}", None),
            (r"EMP-\p{Greek}{3}", None),
            ("EMP-[0-9]{5000}", None),
        ];
        for (source, prefix) in cases {
            let got = Prefilter::for_pattern(source);
            let needle = got.as_ref().map(|p| p.prefix.needle());
            assert_eq!(needle, prefix.map(str::as_bytes), "{source}");
        }
    }

    /// Same matches as the regex alone, on texts built to put the prefix
    /// everywhere: overlapping, at the end, glued to other text.
    #[test]
    fn finds_what_the_regex_finds() {
        let sources = [
            "EMP-[0-9]{6}",
            r"EMP-\d{2,4}\b",
            "AA-A{0,3}x?",
            r"ID:[0-9a-f]{4}$",
            "中-[0-9]{2}",
        ];
        let pieces = [
            "EMP-", "123456", "1", "AA-", "A", "x", " ", "ID:", "beef", "中-", "12", "é", "\n",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for source in sources {
            let regex = Regex::new(source).unwrap();
            let prefilter = Prefilter::for_pattern(source).unwrap();
            for _ in 0..2000 {
                let text: String = (0..next(30)).map(|_| pieces[next(pieces.len())]).collect();
                let want: Vec<(usize, usize)> = regex
                    .find_iter(&text)
                    .map(|m| (m.start(), m.end()))
                    .collect();
                let mut got = Vec::new();
                prefilter.find_iter(&regex, &text, |s, e| got.push((s, e)));
                assert_eq!(got, want, "{source} in {text:?}");
            }
        }
    }
}
