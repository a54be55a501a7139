//! The normalised text detectors run on, with a map back to the original.
//!
//! People slip values past detectors with full-width digits (`１３８`), zero-width
//! characters inside a number, and look-alike spaces or dashes. Folding those once
//! per string lets every detector stay a simple ASCII byte scanner; the offset map
//! turns each finding back into the span of the original string it came from,
//! including the zero-width characters and full-width forms inside it.
//!
//! Chinese numerals (`一三八〇〇一三八〇〇〇`) are digits to a model too, but `一`
//! alone is the commonest character of Chinese prose: they fold only where two
//! or more make a number (in a row, or in groups joined by spaces, dashes,
//! dots or parentheses), found by a search of their own (`super::numerals`),
//! and not where they touch ASCII digits (`13800138000三四点`: a number, then
//! a word).

use std::borrow::Cow;

use super::numerals::{chinese_numeral, next_numeral_pair, numerals_in_row, JOINTS};
use crate::chunks::{self, ByteSet, Lanes};

/// What becomes of one character of the original.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fold {
    Keep,
    Drop,
    Ascii(u8),
}

/// The zero of each run of ten Unicode decimal digits (category `Nd`) but
/// ASCII's and the full-width forms' (folded on their own below): Arabic-Indic,
/// Devanagari, Thai, Myanmar, the mathematical digits and the rest. A model
/// reads `١٣٨` or `𝟏𝟑𝟖` as 138, so the detectors must too.
const DIGIT_ZEROS: &[u32] = &[
    0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6,
    0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50,
    0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0x104A0,
    0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0,
    0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x11F50, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E950, 0x1FBF0,
];

/// The value of a decimal digit of another script than ASCII's ([`DIGIT_ZEROS`]):
/// `Some(3)` for `٣`, `३` or `𝟑`; `None` for ASCII and full-width digits.
pub fn decimal_digit(c: char) -> Option<u8> {
    let code = u32::from(c);
    // Chinese and Japanese punctuation, quotes and full-width forms, the
    // characters the fold search stops at most often, lie outside every run:
    // they skip the search of the table.
    if !DIGIT_SPANS.iter().any(|span| span.contains(&code)) {
        return None;
    }
    let run = DIGIT_ZEROS.partition_point(|&zero| zero <= code);
    let zero = *DIGIT_ZEROS.get(run.checked_sub(1)?)?;
    u8::try_from(code - zero).ok().filter(|d| *d < 10)
}

/// The stretches of code points that hold every run of [`DIGIT_ZEROS`] (a test
/// holds them to the table).
const DIGIT_SPANS: [std::ops::RangeInclusive<u32>; 3] =
    [0x660..=0x1C59, 0xA620..=0xABF9, 0x104A0..=0x1FBF9];

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
        // Other scripts' digits (none lies in the ranges above).
        _ => decimal_digit(c).map_or(Fold::Keep, |d| Fold::Ascii(b'0' + d)),
    }
}

/// Whether `c` may stand inside a value a detector reads, apart from the
/// spaces between a number's groups: an ASCII character but a space or a
/// control, a character that folds to one or is dropped (full-width forms,
/// other scripts' digits, zero-width characters), a Chinese numeral, or a
/// letter of an alphabet (an address's `ü`). Chinese, Japanese and Korean
/// characters and punctuation, spaces and controls end a value. A streamed
/// answer's scan holds back the text after the last character that does not
/// (`crate::redact::stream_scan`).
pub fn may_stand_in_value(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_graphic();
    }
    match fold(c) {
        Fold::Drop => true,
        Fold::Ascii(b) => b != b' ',
        Fold::Keep => {
            super::numerals::chinese_numeral(c).is_some() || (c.is_alphanumeric() && !is_cjk(c))
        }
    }
}

/// Chinese, Japanese and Korean characters (a word of their own to the
/// detectors; never inside an e-mail address or a number).
fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{1100}'..='\u{11FF}'
            | '\u{2E80}'..='\u{9FFF}'
            | '\u{A960}'..='\u{A97F}'
            | '\u{AC00}'..='\u{D7FF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF65}'..='\u{FFDC}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

/// Lead bytes of the UTF-8 encodings of every character [`fold`] changes but
/// the ideographic space; text without them is left as it is, found with a
/// byte scan rather than decoding. (A lead byte is never a continuation byte,
/// so a byte scan finds only the start of a character.)
const FOLD_LEADS: ByteSet = ByteSet::new(&[
    0xC2, // U+0080-00BF: no-break space, soft hyphen
    0xD9, 0xDB, 0xDF, // Arabic-Indic, Persian and NKo digits
    0xE0, 0xE1, 0xE2, // U+0800-2FFF: digits, spaces, dashes, invisibles
    0xEA, // U+A000-AFFF: digits
    0xEF, // U+F000-FFFF: full-width forms, BOM
    0xF0, // U+10000-3FFFF: digits
]);

/// The ideographic space, U+3000, the one character of U+3000-3FFF that
/// folds. That block also holds `。`, `、` and the corner brackets, which
/// Chinese prose has every few words: its lead byte alone would stop the
/// search at each.
const IDEOGRAPHIC_SPACE: [u8; 3] = [0xE3, 0x80, 0x80];
const _: () = assert!(IDEOGRAPHIC_SPACE[1] == IDEOGRAPHIC_SPACE[2]);

/// The lanes of `x` where a character that may fold starts: a lead byte of
/// [`FOLD_LEADS`], or `0xE3` followed by `0x80 0x80` (or by the chunk's end,
/// where the next bytes are not in sight: [`fold`] then decides).
#[inline(always)]
fn may_fold(x: Lanes) -> u16 {
    // Both bytes after the lead are 0x80: one comparison serves the two.
    let [lead, continuation, _] = IDEOGRAPHIC_SPACE;
    let continuation = x.eq(continuation).bits();
    let space = x.eq(lead).bits() & (continuation >> 1 & continuation >> 2 | 0xC000);
    x.among(&FOLD_LEADS).bits() | space
}

/// Where the next character that may fold starts, from `from` on, sixteen
/// bytes at a time.
fn next_may_fold(bytes: &[u8], from: usize) -> Option<usize> {
    chunks::find_bits(bytes, from, may_fold)
}

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

/// A further group of a number at byte `at` of `text`: one or two joining
/// characters (space, dash, dot, parenthesis, or ones that fold to them),
/// then numerals. Where the numerals start, and how many there are.
fn next_group(text: &str, at: usize) -> Option<(usize, usize)> {
    let mut start = at;
    for _ in 0..2 {
        let c = text.get(start..)?.chars().next()?;
        let joins = match fold(c) {
            Fold::Ascii(b) => JOINTS.has(b),
            Fold::Keep => c.is_ascii() && JOINTS.has(c as u8),
            Fold::Drop => false,
        };
        if !joins {
            return None;
        }
        start += c.len_utf8();
        let (run, _) = numerals_in_row(text, start);
        if run > 0 {
            return Some((start, run));
        }
    }
    None
}

/// The normalised text being built.
struct Out<'a> {
    original: &'a str,
    text: String,
    pieces: Vec<Piece>,
    /// Original offset up to which the text has been copied or folded.
    done: usize,
}

impl<'a> Out<'a> {
    /// Adds the character of `len` bytes at `at`, folded, after the stretch
    /// since `done` copied verbatim.
    fn fold(&mut self, at: usize, len: usize, folded: Fold) {
        if self.pieces.is_empty() {
            self.text.reserve(self.original.len());
        }
        if self.done < at {
            self.pieces.push(Piece {
                normalized: self.text.len(),
                original: self.done,
                folded_len: 0,
            });
            let verbatim = self.original.get(self.done..at).unwrap_or_default();
            self.text.push_str(verbatim);
        }
        if let Fold::Ascii(b) = folded {
            self.pieces.push(Piece {
                normalized: self.text.len(),
                original: at,
                folded_len: len,
            });
            self.text.push(char::from(b));
        }
        self.done = at + len;
    }

    /// Reads the numerals from `at` (where the pair search stopped): folds
    /// them if they make a number, passes over them if they touch ASCII
    /// digits; returns where they end, or `None` for a character that only
    /// looked like a numeral, or a lone numeral, to be read as any other.
    fn number(&mut self, at: usize) -> Option<usize> {
        let (run, end) = numerals_in_row(self.original, at);
        let bytes = self.original.as_bytes();
        // Numerals touching ASCII digits are words after a number
        // (`13800138000三四点打给我`): read as digits, they would make the
        // number longer and hide it. No part of the run is a number of its own.
        let touches_digits = at
            .checked_sub(1)
            .and_then(|b| bytes.get(b))
            .is_some_and(u8::is_ascii_digit)
            || bytes.get(end).is_some_and(u8::is_ascii_digit);
        if run > 0 && touches_digits {
            return Some(end);
        }
        if run < 2 && (run == 0 || next_group(self.original, end).is_none()) {
            return None;
        }
        let mut i = self.numerals(at, run);
        // The number's further groups, one numeral or more each
        // (`一九二.一六八.一.二三`, `+壹 (柒叁叁) 捌肆玖`).
        while let Some((start, run)) = next_group(self.original, i) {
            self.fold_joint(i, start);
            i = self.numerals(start, run);
        }
        Some(i)
    }

    /// Folds the characters joining two groups of a number, `at..end`.
    fn fold_joint(&mut self, mut at: usize, end: usize) {
        let joint = self.original.get(at..end).unwrap_or_default();
        for c in joint.chars() {
            let folded = fold(c);
            if folded != Fold::Keep {
                self.fold(at, c.len_utf8(), folded);
            }
            at += c.len_utf8();
        }
    }

    /// The normalised text: the original itself when nothing folded.
    fn finish(mut self) -> Normalized<'a> {
        if self.pieces.is_empty() && self.done == 0 {
            return Normalized {
                text: Cow::Borrowed(self.original),
                pieces: self.pieces,
            };
        }
        if self.done < self.original.len() {
            self.pieces.push(Piece {
                normalized: self.text.len(),
                original: self.done,
                folded_len: 0,
            });
            let rest = self.original.get(self.done..).unwrap_or_default();
            self.text.push_str(rest);
        }
        Normalized {
            text: Cow::Owned(self.text),
            pieces: self.pieces,
        }
    }

    /// Folds the `run` numerals from `at` to digits; returns where they end.
    fn numerals(&mut self, mut at: usize, run: usize) -> usize {
        let digits = self.original.get(at..).unwrap_or_default().chars();
        for c in digits.take(run) {
            let digit = chinese_numeral(c).unwrap_or(0);
            self.fold(at, c.len_utf8(), Fold::Ascii(b'0' + digit));
            at += c.len_utf8();
        }
        at
    }
}

impl<'a> Normalized<'a> {
    pub(crate) fn new(original: &'a str) -> Normalized<'a> {
        if original.is_ascii() {
            return Normalized {
                text: Cow::Borrowed(original),
                pieces: Vec::new(),
            };
        }
        let mut out = Out {
            original,
            text: String::new(),
            pieces: Vec::new(),
            done: 0,
        };
        let bytes = original.as_bytes();
        let mut i = 0;
        // Where each search stopped last, searched again only once passed, so
        // that each passes over the text once.
        let mut fold_at = next_may_fold(bytes, 0);
        let mut pair = next_numeral_pair(bytes, 0);
        loop {
            if fold_at.is_some_and(|p| p < i) {
                fold_at = next_may_fold(bytes, i);
            }
            if pair.is_some_and(|p| p < i) {
                pair = next_numeral_pair(bytes, i);
            }
            let Some(found) = fold_at.into_iter().chain(pair).min() else {
                break;
            };
            i = found;
            if pair == Some(i) {
                if let Some(end) = out.number(i) {
                    i = end;
                    continue;
                }
            }
            let Some(c) = original.get(i..).and_then(|rest| rest.chars().next()) else {
                break;
            };
            let folded = fold(c);
            if folded != Fold::Keep {
                out.fold(i, c.len_utf8(), folded);
            }
            i += c.len_utf8();
        }
        out.finish()
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
            ("١٣٨ ۰۰۱ १३८ ๑๓๘ 𝟏𝟑𝟖 𝟘𝟡", "138 001 138 138 138 09"),
            // Letters and other numbers are not decimal digits.
            ("Ⅻ ½ ² ① ٣a", "Ⅻ ½ ² ① 3a"),
            // Chinese numerals in a row are digits; one alone is a word.
            ("一三八〇〇一三八〇〇〇", "13800138000"),
            ("电话：幺三八 〇〇一三-捌〇〇〇。", "电话:138 0013-8000。"),
            ("138〇〇138零零零", "138〇〇138零零零"),
            ("13800138000三四点", "13800138000三四点"),
            ("一二13800138000", "一二13800138000"),
            // `中` passes the numeral search's byte test; next to a digit it
            // must not stop the fold of what follows.
            ("5中１３８ 5中一二 一二", "5中138 5中12 12"),
            ("壹贰叁肆伍陆柒捌玖 貳參陸", "123456789 236"),
            ("一个人、第三次、十一月", "一个人、第三次、十一月"),
            ("13800138000一个", "13800138000一个"),
            ("二〇二四年", "2024年"),
            ("〇", "〇"),
            // Further groups of a number may be one numeral long.
            (
                "一九二.一六八.一.二三 和 一〇．〇－八 三",
                "192.168.1.23 和 10.0-8 3",
            ),
            ("八.八.八.八 九-一二", "8.8.8.8 9-12"),
            ("一，二", "一,二"),
            ("+壹 (柒叁叁) 捌肆玖-壹陆伍叁", "+1 (733) 849-1653"),
            // Full-width joints carry a number on, but start none.
            ("一二（三）", "12(3)"),
            ("一（二）", "一(二)"),
            ("一二. 三 四五.. 六", "12. 3 45.. 六"),
        ];
        for (input, want) in cases {
            assert_eq!(Normalized::new(input).as_str(), want, "{input:?}");
        }
    }

    #[test]
    fn each_run_of_digits_is_ten_decimal_digits_in_order() {
        assert!(DIGIT_ZEROS.windows(2).all(|w| w[0] + 10 <= w[1]));
        for zero in DIGIT_ZEROS {
            for d in 0..10u8 {
                let c = char::from_u32(zero + u32::from(d)).unwrap();
                assert!(c.is_numeric() && !c.is_ascii(), "{c:?}");
                assert_eq!(decimal_digit(c), Some(d), "{c:?}");
            }
        }
        assert_eq!(decimal_digit('5'), None);
        assert_eq!(decimal_digit('a'), None);
        assert_eq!(decimal_digit('\u{66A}'), None);
        for zero in DIGIT_ZEROS {
            let (first, last) = (*zero, zero + 9);
            assert!(DIGIT_SPANS
                .iter()
                .any(|s| s.contains(&first) && s.contains(&last)));
        }
    }

    #[test]
    fn every_character_that_folds_starts_with_a_byte_the_search_stops_at() {
        let mut folding = 0;
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            if fold(c) != Fold::Keep {
                folding += 1;
                // At every lane of a chunk and across chunks' edges.
                for at in 0..2 * chunks::WIDTH {
                    let text = format!("{}{c}", "a".repeat(at));
                    assert_eq!(next_may_fold(text.as_bytes(), 0), Some(at), "{c:?} {at}");
                }
            }
        }
        assert!(folding > 100, "{folding}");
        let text = "ab 中文，１３８\u{200B}é ñ 😀 ｘ\u{00A0}。Ω—x";
        let stops: Vec<usize> = std::iter::successors(next_may_fold(text.as_bytes(), 0), |&i| {
            next_may_fold(text.as_bytes(), i + 1)
        })
        .collect();
        assert!(stops.iter().all(|&i| text.is_char_boundary(i)), "{stops:?}");
        // ，, １, ３, ８, the zero-width space, 😀 (F0: the mathematical digits
        // share its lead byte), ｘ, the no-break space and —; not 。, 中 and
        // 文 (E3, E4, E6: Chinese prose runs on) nor the two-byte é, ñ, Ω.
        assert_eq!(stops.len(), 9, "{stops:?}");
    }

    #[test]
    fn chinese_punctuation_does_not_stop_the_search() {
        // Each mark's lead byte is the ideographic space's; none is in the
        // last two lanes, where the bytes after it are not in sight.
        assert_eq!(next_may_fold("。、「」中文".as_bytes(), 0), None);
        assert_eq!(next_may_fold("。、「」中\u{3000}".as_bytes(), 0), Some(15));
        assert_eq!(
            Normalized::new("。、「」中\u{3000}文").as_str(),
            "。、「」中 文"
        );
    }

    #[test]
    fn characters_shaped_like_numerals_stay_linear() {
        // Each `中` passes the pair search's byte test and fails its decode; with
        // no other character to fold, a search restarted from every one of them
        // over the rest of the text would take minutes, not milliseconds.
        for unit in ["中", "一些", "中一"] {
            let text = unit.repeat(1 << 17);
            assert_eq!(Normalized::new(&text).as_str(), text);
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
