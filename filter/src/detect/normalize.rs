//! The normalised text detectors run on, with a map back to the original.
//!
//! People slip values past detectors with full-width digits (`１３８`), zero-width
//! characters inside a number, and look-alike spaces or dashes. Folding those once
//! per string lets every detector stay a simple ASCII byte scanner; the offset map
//! turns each finding back into the span of the original string it came from,
//! including the zero-width characters and full-width forms inside it.

use std::borrow::Cow;

/// What becomes of one character of the original.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fold {
    Keep,
    Drop,
    Ascii(u8),
}

fn fold(c: char) -> Fold {
    match c {
        // Full-width ASCII forms: digits, letters, `＠`, `．`, `－` and the rest.
        '\u{FF01}'..='\u{FF5E}' => {
            let ascii = u32::from(c) - 0xFF01 + 0x21;
            u8::try_from(ascii).map_or(Fold::Keep, Fold::Ascii)
        }
        // Zero-width and invisible characters, soft hyphen.
        '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}' => {
            Fold::Drop
        }
        // Ideographic, no-break and typographic spaces.
        '\u{3000}' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => {
            Fold::Ascii(b' ')
        }
        // Hyphens, dashes and minus signs.
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => Fold::Ascii(b'-'),
        _ => Fold::Keep,
    }
}

pub(crate) struct Normalized<'a> {
    text: Cow<'a, str>,
    /// For each byte of the normalised text, the offset in the original of the
    /// character it came from. Empty when the text needed no change.
    origin: Vec<usize>,
}

impl<'a> Normalized<'a> {
    pub(crate) fn new(original: &'a str) -> Normalized<'a> {
        let unchanged = Normalized {
            text: Cow::Borrowed(original),
            origin: Vec::new(),
        };
        if original.is_ascii() {
            return unchanged;
        }
        let Some((first, _)) = original.char_indices().find(|&(_, c)| fold(c) != Fold::Keep) else {
            return unchanged;
        };
        let (kept, rest) = original.split_at(first);
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        text.push_str(kept);
        origin.extend(0..first);
        for (offset, c) in rest.char_indices() {
            let from = first + offset;
            match fold(c) {
                Fold::Drop => {}
                Fold::Ascii(b) => {
                    text.push(char::from(b));
                    origin.push(from);
                }
                Fold::Keep => {
                    text.push(c);
                    origin.extend(std::iter::repeat_n(from, c.len_utf8()));
                }
            }
        }
        Normalized {
            text: Cow::Owned(text),
            origin,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The span of `original` that the non-empty span `start..end` of the
    /// normalised text came from.
    pub(crate) fn original_span(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        if self.origin.is_empty() {
            return (start, end);
        }
        let first = self.origin.get(start).copied().unwrap_or(original.len());
        let last = end
            .checked_sub(1)
            .and_then(|i| self.origin.get(i))
            .copied()
            .unwrap_or(first);
        let last_len = original
            .get(last..)
            .and_then(|s| s.chars().next())
            .map_or(0, char::len_utf8);
        (first, last + last_len)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn folds() {
        let cases = [
            ("plain ascii", "plain ascii"),
            ("中文不变", "中文不变"),
            ("１３８　１２３４", "138 1234"),
            ("ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "alice@example.com"),
            ("41\u{200B}11\u{200D}\u{FEFF}11\u{00AD}11", "41111111"),
            ("138\u{2014}1234\u{2212}5678", "138-1234-5678"),
            ("a\u{00A0}b\u{202F}c", "a b c"),
            ("号码１３８x", "号码138x"),
        ];
        for (input, want) in cases {
            assert_eq!(Normalized::new(input).as_str(), want, "{input:?}");
        }
    }

    #[test]
    fn unchanged_text_has_no_map() {
        for input in ["ascii only", "中文和 ascii"] {
            let n = Normalized::new(input);
            assert!(n.origin.is_empty());
            assert_eq!(n.original_span(input, 1, 3), (1, 3));
        }
    }

    #[test]
    fn spans_map_back() {
        let original = "卡４1\u{200B}２中";
        let n = Normalized::new(original);
        assert_eq!(n.as_str(), "卡412中");
        // "412" is bytes 3..6 of the normalised text.
        let (s, e) = n.original_span(original, 3, 6);
        assert_eq!(&original[s..e], "４1\u{200B}２");
        // A span ending in a kept multi-byte character covers all of it.
        let (s, e) = n.original_span(original, 0, 6);
        assert_eq!(&original[s..e], "卡４1\u{200B}２");
        let (s, e) = n.original_span(original, 6, 9);
        assert_eq!(&original[s..e], "中");
    }
}
