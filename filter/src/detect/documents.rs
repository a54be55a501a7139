//! Passport and travel-permit numbers, known by the name written before them.
//!
//! A passport number has no checksum anyone can compute from the number alone
//! and no shape shared across countries: `E12345678` (China), `EA1234567`,
//! `C01X00T47` (Germany), `123456789` (United States, United Kingdom). Alone
//! it is any code; after its name (`passport no. E12345678`, `护照号码：
//! E12345678`, `港澳通行证 C12345678`, `Reisepass C01X00T47`) it is the key to
//! a person's identity. So the scanner asks here at the first digit of a word,
//! and a number counts only when one of [`NAMES`] or [`CJK_NAMES`], then perhaps a few filler
//! words and marks (`number`, `no.`, `#`, `:`, `is`, `号码`, `为`), stands right
//! before it.

use super::bytes::{at, before, is, ALNUM, ALPHA, DIGIT};

/// Names of the documents in ASCII (any case): passports in English, German,
/// French, Spanish, Italian and Dutch.
const NAMES: &[&[u8]] = &[
    b"passport",
    b"passports",
    b"passnummer",
    b"reisepass",
    b"reisepassnummer",
    b"passeport",
    b"pasaporte",
    b"passaporto",
    b"paspoort",
];

/// Names of the documents in Chinese, Japanese and Korean: passports, the
/// mainland's permits for Hong Kong, Macau and Taiwan, the home-return and
/// Taiwan compatriot permits, travel documents.
const CJK_NAMES: &[&str] = &[
    "护照",
    "護照",
    "通行证",
    "通行證",
    "回乡证",
    "回鄉證",
    "台胞证",
    "台胞證",
    "旅行证",
    "旅券",
    "パスポート",
    "여권",
];

/// Words that may stand between a name and its number (any case).
const FILLER_WORDS: &[&[u8]] = &[
    b"no", b"nr", b"num", b"number", b"id", b"is", b"was", b"of", b"my",
];

/// Marks and Chinese, Japanese and Korean words that may stand between a name
/// and its number: `号码`, `番号`, `번호`, `为`, `是`.
/// Longer marks come first, so that `番号` is not read as `号`.
const FILLER_MARKS: &[&str] = &[
    "号码", "號碼", "编号", "編號", "番号", "번호", "号", "號", "为", "為", "是", "的", "는", "은",
];

/// How far before the number its name may end: a few fillers and marks.
const MAX_LEAD: usize = 32;
/// The longest word read back: the longest name.
const MAX_WORD: usize = 16;
/// A number: six to twelve letters and digits, five or more of them digits and
/// at most three letters.
const MIN_LEN: usize = 6;
const MAX_LEN: usize = 12;
const MIN_DIGITS: usize = 5;
const MAX_LETTERS: usize = 3;

/// The passport or permit number whose word holds the digit at `digit`, the
/// first digit of its word, when the document's name stands before it.
pub(crate) fn document_number(t: &[u8], digit: usize) -> Option<(usize, usize)> {
    let mut start = digit;
    while is(t, start.wrapping_sub(1), ALPHA) {
        if digit - start == MAX_LETTERS {
            return None;
        }
        start -= 1;
    }
    if is(t, start.wrapping_sub(1), DIGIT) {
        return None;
    }
    // The shape first, reading no more than a number's length (a long run of
    // digits is the number parser's to read), then the name: most words with
    // a digit are too short, and most of the rest have no name before them.
    let mut end = digit;
    while end - start <= MAX_LEN && is(t, end, ALNUM) {
        end += 1;
    }
    let fits = is_number(t.get(start..end)?)
        // `passport no. 123456.78`, `E1234567-2`: part of something longer.
        && !(matches!(at(t, end), b'.' | b'-' | b'/') && is(t, end + 1, ALNUM));
    (fits && named_before(t, start)).then_some((start, end))
}

/// Whether `word` is shaped like a document's number: six to twelve ASCII
/// letters and digits, five or more of them digits, at most three letters.
pub(crate) fn is_number(word: &[u8]) -> bool {
    let digits = word.iter().filter(|b| b.is_ascii_digit()).count();
    (MIN_LEN..=MAX_LEN).contains(&word.len())
        && digits >= MIN_DIGITS
        && word.len() - digits <= MAX_LETTERS
        && word.iter().all(u8::is_ascii_alphanumeric)
}

/// Whether a JSON key may name a document's number: it holds a document's
/// name (`passport`, `passportNumber`, `passport_no`, `护照号码`,
/// `港澳通行证号`). A key that says more (`passport_expiry`,
/// `passport_country`) passes too; its value (`2030-05-12`, `CN`), not shaped
/// like a number ([`is_number`]), then stays.
pub(crate) fn is_document_key(key: &str) -> bool {
    let key = key.as_bytes();
    let has = |name: &[u8]| {
        key.windows(name.len())
            .any(|w| w.eq_ignore_ascii_case(name))
    };
    // Every key of a JSON body comes here: an ASCII key without `pas`, the
    // start of every ASCII name, is refused after one look.
    if key.is_ascii() {
        return has(b"pas") && NAMES.iter().any(|name| has(name));
    }
    NAMES.iter().any(|name| has(name)) || CJK_NAMES.iter().any(|name| has(name.as_bytes()))
}

/// Whether a document's name ends before `start`, perhaps followed by filler
/// words, marks and separators, within [`MAX_LEAD`] bytes. Most numbers have
/// a digit, a mark or a plain word before them and are refused at once.
fn named_before(t: &[u8], start: usize) -> bool {
    let floor = start.saturating_sub(MAX_LEAD);
    let mut end = start;
    while end > floor {
        let b = before(t, end);
        if is_separator(b) {
            end -= 1;
        } else if !b.is_ascii() {
            let head = t.get(..end).unwrap_or_default();
            match FILLER_MARKS.iter().find(|m| head.ends_with(m.as_bytes())) {
                Some(mark) => end -= mark.len(),
                None => return CJK_NAMES.iter().any(|n| head.ends_with(n.as_bytes())),
            }
        } else if b.is_ascii_alphabetic() {
            let mut word_start = end - 1;
            while is(t, word_start.wrapping_sub(1), ALPHA) && end - word_start < MAX_WORD {
                word_start -= 1;
            }
            let word = t.get(word_start..end).unwrap_or_default();
            if is(t, word_start.wrapping_sub(1), ALPHA) {
                return false;
            }
            if one_of(word, NAMES) {
                return true;
            }
            if !one_of(word, FILLER_WORDS) {
                return false;
            }
            end = word_start;
        } else {
            return false;
        }
    }
    false
}

/// Separators between a name and its number: spaces, `:`, `#`, `.`, `_`
/// (`passport_no`), quotes and brackets (`"passport": "E1..."`).
fn is_separator(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b':'
            | b'#'
            | b'.'
            | b'_'
            | b'-'
            | b'='
            | b'"'
            | b'\''
            | b'('
            | b')'
            | b','
    )
}

fn one_of(word: &[u8], list: &[&[u8]]) -> bool {
    list.iter().any(|w| word.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use super::{is_document_key, is_number};
    use crate::detect::testing::{expect_none, expect_only};

    #[test]
    fn numbers_after_their_name() {
        let cases = [
            ("passport E12345678", "E12345678"),
            ("Passport No. 123456789", "123456789"),
            ("my passport number is C01X00T47.", "C01X00T47"),
            ("passport #: EA1234567,", "EA1234567"),
            ("{\"passport_no\": \"G12345678\"}", "G12345678"),
            ("PASSPORT_NUMBER=K98765432", "K98765432"),
            ("护照号码：E12345678", "E12345678"),
            ("他的护照号是E12345678，请核对", "E12345678"),
            ("护照 E12345678", "E12345678"),
            ("港澳通行证号码为C12345678。", "C12345678"),
            ("回乡证 H1234567890", "H1234567890"),
            ("台胞证号码 12345678", "12345678"),
            ("Reisepass C01X00T47", "C01X00T47"),
            ("numéro de passeport: 12AB34567", "12AB34567"),
            ("旅券番号 TK1234567", "TK1234567"),
            ("여권번호 M12345678", "M12345678"),
            ("ＰＡＳＳＰＯＲＴ Ｅ１２３４５６７８", "Ｅ１２３４５６７８"),
        ];
        for (text, span) in cases {
            expect_only(text, "passport", span);
        }
    }

    #[test]
    fn keys_that_name_a_document_number() {
        for key in [
            "passport",
            "passport_no",
            "passportNumber",
            "PASSPORT-ID",
            "护照号码",
            "港澳通行证号",
        ] {
            assert!(is_document_key(key), "{key}");
        }
        for key in [
            "pass",
            "password",
            "bypass",
            "document",
            "id_number",
            "证件",
        ] {
            assert!(!is_document_key(key), "{key}");
        }
        for value in ["E12345678", "123456789", "C01X00T47", "EA1234567"] {
            assert!(is_number(value.as_bytes()), "{value}");
        }
        for value in [
            "E1234",
            "2030-05-12",
            "ABCD12345",
            "E12345678 ",
            "CN",
            "1234567890123",
        ] {
            assert!(!is_number(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn leaves_what_is_no_document_number() {
        expect_none(&[
            // No name, or another word between.
            "order E12345678",
            "E12345678",
            "passport photo 123456",
            "passport renewal takes 6-8 weeks",
            "护照有效期2030年",
            "passport fee 120000",
            // Too short, too long, too few digits, too many letters.
            "passport 2024",
            "passport no. 1234567890123",
            "passport ABCD1234",
            "passport EAB1234X5",
            // Part of something longer.
            "passport 123456.78",
            "passport E1234567-2",
            // The name inside another word.
            "nopassport 123456789",
        ]);
    }
}
