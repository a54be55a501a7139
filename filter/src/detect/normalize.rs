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
        '\u{200B}'..='\u{200D}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}'
        | '\u{00AD}'
        | '\u{180E}' => Fold::Drop,
        // Ideographic, no-break and typographic spaces.
        '\u{3000}' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => {
            Fold::Ascii(b' ')
        }
        // Hyphens, dashes and minus signs.
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => Fold::Ascii(b'-'),
        _ => Fold::Keep,
    }
}

/// Lead bytes of the UTF-8 encodings of every character [`fold`] changes; text
/// without them is left as it is, found with a byte scan rather than decoding.
fn may_fold(lead: u8) -> bool {
    MAY_FOLD.get(usize::from(lead)).copied().unwrap_or(false)
}

/// Where the next character that may fold starts, from `from` (a character
/// boundary) on. Steps a whole character at a time, so Chinese text, three
/// bytes a character, takes a third of the lookups a byte-by-byte search does.
fn next_may_fold(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        if may_fold(b) {
            return Some(i);
        }
        i += match b {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xFF => 4,
            // A continuation byte is never where a character starts: keep
            // stepping byte by byte (it does not happen in a `str`).
            _ => 1,
        };
    }
    None
}

/// [`may_fold`] as a table: one lookup a byte in the search loop.
static MAY_FOLD: [bool; 256] = {
    let mut t = [false; 256];
    t[0xC2] = true;
    t[0xE1] = true;
    t[0xE2] = true;
    t[0xE3] = true;
    t[0xEF] = true;
    t
};

/// A stretch of the normalised text and where it came from: copied verbatim, or
/// one ASCII byte folded from a character of `folded_len` bytes.
#[derive(Debug, Clone, Copy)]
struct Piece {
    normalized: usize,
    original: usize,
    /// 0 for a verbatim stretch.
    folded_len: usize,
}

pub(crate) struct Normalized<'a> {
    text: Cow<'a, str>,
    /// The pieces of the normalised text, in order; empty when the text needed
    /// no change. Dropped characters have no piece: the gap between two pieces'
    /// original offsets covers them.
    pieces: Vec<Piece>,
}

impl<'a> Normalized<'a> {
    pub(crate) fn new(original: &'a str) -> Normalized<'a> {
        if original.is_ascii() {
            return Normalized {
                text: Cow::Borrowed(original),
                pieces: Vec::new(),
            };
        }
        let mut text = String::new();
        let mut pieces = Vec::new();
        // Original offset up to which the text has been copied or folded.
        let mut done = 0;
        let bytes = original.as_bytes();
        let mut i = 0;
        while let Some(found) = next_may_fold(bytes, i) {
            i = found;
            let Some(c) = original.get(i..).and_then(|rest| rest.chars().next()) else {
                break;
            };
            let len = c.len_utf8();
            let folded = fold(c);
            if folded != Fold::Keep {
                if pieces.is_empty() {
                    text.reserve(original.len());
                }
                if done < i {
                    pieces.push(Piece {
                        normalized: text.len(),
                        original: done,
                        folded_len: 0,
                    });
                    text.push_str(original.get(done..i).unwrap_or_default());
                }
                if let Fold::Ascii(b) = folded {
                    pieces.push(Piece {
                        normalized: text.len(),
                        original: i,
                        folded_len: len,
                    });
                    text.push(char::from(b));
                }
                done = i + len;
            }
            i += len;
        }
        if pieces.is_empty() && done == 0 {
            return Normalized {
                text: Cow::Borrowed(original),
                pieces,
            };
        }
        if done < original.len() {
            pieces.push(Piece {
                normalized: text.len(),
                original: done,
                folded_len: 0,
            });
            text.push_str(original.get(done..).unwrap_or_default());
        }
        Normalized {
            text: Cow::Owned(text),
            pieces,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The piece holding byte `n` of the normalised text.
    fn piece(&self, n: usize) -> Option<&Piece> {
        let after = self.pieces.partition_point(|p| p.normalized <= n);
        after.checked_sub(1).and_then(|i| self.pieces.get(i))
    }

    /// The span of `original` that the non-empty span `start..end` of the
    /// normalised text came from.
    pub(crate) fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        if self.pieces.is_empty() && matches!(self.text, Cow::Borrowed(_)) {
            return (start, end);
        }
        let first = self.piece(start).map_or(start, |p| {
            p.original
                + if p.folded_len > 0 {
                    0
                } else {
                    start - p.normalized
                }
        });
        let last = end.saturating_sub(1);
        let end = self.piece(last).map_or(end, |p| {
            if p.folded_len > 0 {
                p.original + p.folded_len
            } else {
                p.original + (last - p.normalized) + 1
            }
        });
        (first, end)
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
    fn stepping_by_character_finds_what_a_byte_search_finds() {
        let text = "ab 中文，１３８\u{200B}é ñ 😀 ｘ\u{00A0}。Ω—x";
        for from in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let bytewise = text.as_bytes()[from..]
                .iter()
                .position(|&b| may_fold(b))
                .map(|p| p + from);
            assert_eq!(
                next_may_fold(text.as_bytes(), from),
                bytewise,
                "from {from}"
            );
        }
    }

    #[test]
    fn unchanged_text_has_no_map() {
        for input in ["ascii only", "中文和 ascii。"] {
            let n = Normalized::new(input);
            assert!(n.pieces.is_empty());
            assert!(matches!(n.text, Cow::Borrowed(_)));
            assert_eq!(n.original_span(1, 3), (1, 3));
        }
    }

    #[test]
    fn only_dropped_characters() {
        let original = "\u{200B}\u{200B}";
        let n = Normalized::new(original);
        assert_eq!(n.as_str(), "");
        let original = "a\u{200B}b";
        let n = Normalized::new(original);
        assert_eq!(n.as_str(), "ab");
        assert_eq!(n.original_span(0, 2), (0, original.len()));
    }

    #[test]
    fn spans_map_back() {
        let original = "卡４1\u{200B}２中";
        let n = Normalized::new(original);
        assert_eq!(n.as_str(), "卡412中");
        // "412" is bytes 3..6 of the normalised text.
        let (s, e) = n.original_span(3, 6);
        assert_eq!(&original[s..e], "４1\u{200B}２");
        // A span ending in a kept multi-byte character covers all of it.
        let (s, e) = n.original_span(0, 6);
        assert_eq!(&original[s..e], "卡４1\u{200B}２");
        let (s, e) = n.original_span(6, 9);
        assert_eq!(&original[s..e], "中");
    }
}
