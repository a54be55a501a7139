//! Passport, travel-permit and identity-card numbers, known by the name
//! written before them.
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
//!
//! Identity numbers whose shape alone is any code are read the same way, as
//! national IDs: a Hong Kong card's number written without its brackets
//! (`HKID A1234563`), a British National Insurance number (`NINO AB123456C`),
//! Japan's My Number (`マイナンバー 123456789018`), Korea's resident
//! registration number (`주민등록번호 900101-1234567`, the one shape with a
//! dash), Macau's (`澳門身份證 1234567(8)`, a bracketed check character kept
//! with its number).

use super::bytes::{at, before, is, ALNUM, ALPHA, DIGIT, UPPER};
use super::category::Category;
use super::checks;
use super::lead::{
    ends_with_one_of, has_phrase_of, has_word_of, name_before, one_of, word_before, Read,
};

/// What a name before a number says the number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Document {
    /// A passport or travel permit.
    Passport,
    /// An identity card or a national identity number.
    IdentityCard,
}

impl Document {
    pub(crate) fn category(self) -> Category {
        match self {
            Document::Passport => Category::Passport,
            Document::IdentityCard => Category::NationalId,
        }
    }
}

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

/// Names of identity cards and numbers in ASCII (any case), one word each:
/// Hong Kong's card (`HKID`, `HKIC`), Singapore's (`NRIC`), the British
/// National Insurance number (`NINO`), Korea's resident registration number
/// (`RRN`), Macau's resident card (`BIR`).
const ID_NAMES: &[&[u8]] = &[
    b"hkid",
    b"hkic",
    b"nric",
    b"nino",
    b"rrn",
    b"bir",
    b"idcard",
    b"mynumber",
];

/// Names of identity cards of two words (any case), the first and the second:
/// `identity card`, `ID card`, `national insurance (number)`, `resident
/// registration (number)`. Read back from the second in prose; in a key or
/// a column's name run together or joined (`idCard`, `ID Card No.`).
const ID_PHRASES: &[(&[u8], &[u8])] = &[
    (b"identity", b"card"),
    (b"id", b"card"),
    (b"national", b"insurance"),
    (b"resident", b"registration"),
];

/// Names of identity cards in Chinese, Japanese and Korean: the resident and
/// identity cards of the mainland, Hong Kong, Macau and Taiwan (`身份证`,
/// `身份證`, `身分證`), Japan's My Number (`マイナンバー`, `個人番号`), Korea's
/// resident and foreigner registration numbers. Asked before the filler
/// marks, since some end in one (`番号`, `번호`).
const CJK_ID_NAMES: &[&str] = &[
    "身份证",
    "身份證",
    "身分證",
    "身分证",
    "マイナンバー",
    "個人番号",
    "个人番号",
    "주민등록번호",
    "주민번호",
    "외국인등록번호",
];

/// Words that may stand between a name and its number (any case).
const FILLER_WORDS: &[&[u8]] = &[
    b"no", b"nr", b"num", b"number", b"id", b"is", b"was", b"of", b"my",
];

/// Marks and Chinese, Japanese and Korean words that may stand between a name
/// and its number: `号码`, `番号`, `번호`, `为`, `是`, `は`.
/// Longer marks come first, so that `番号` is not read as `号`.
const FILLER_MARKS: &[&str] = &[
    "号码", "號碼", "编号", "編號", "番号", "번호", "号", "號", "为", "為", "是", "的", "は", "는",
    "은",
];

/// How far before the number its name may end: a few fillers and marks.
const MAX_LEAD: usize = 32;
/// A number: six to twelve letters and digits, five or more of them digits and
/// at most three letters.
const MIN_LEN: usize = 6;
const MAX_LEN: usize = 12;
const MIN_DIGITS: usize = 5;
const MAX_LETTERS: usize = 3;

/// The passport, permit or identity number whose word holds the digit at
/// `digit`, the first digit of its word, when the document's name stands
/// before it: the number's span and what its name says it is.
pub(crate) fn document_number(t: &[u8], digit: usize) -> Option<(usize, usize, Document)> {
    if let Some((start, end)) = grouped(t, digit) {
        return named_before(t, start).map(|document| (start, end, document));
    }
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
    if !is_number(t.get(start..end)?) {
        return None;
    }
    let next = at(t, end);
    // `passport no. 123456.78`, `E1234567-2`: part of something longer,
    // unless it is Korea's resident registration number, `900101-1234567`.
    let longer = matches!(next, b'.' | b'-' | b'/') && is(t, end + 1, ALNUM);
    let korean = longer && korean_at(t, start) && !is(t, end + 8, ALPHA);
    if longer && !korean {
        return None;
    }
    let document = named_before(t, start)?;
    let end = match document {
        Document::Passport if korean => return None,
        Document::Passport => end,
        Document::IdentityCard if korean => end + 8,
        // `510107 20011231 0668`: the first group of a longer number (the
        // mainland's resident ID), the number parser's to read whole.
        Document::IdentityCard if next == b' ' && is(t, end + 1, DIGIT) => return None,
        // `1234567(8)`, `A123456(A)`: a check character in brackets.
        Document::IdentityCard if check_in_brackets(t, end) => end + 3,
        Document::IdentityCard => end,
    };
    Some((start, end, document))
}

/// Whether Korea's resident registration number starts at `start`: six
/// digits, a dash, seven digits (`900101-1234567`).
fn korean_at(t: &[u8], start: usize) -> bool {
    digits_at(t, start, 6) && at(t, start + 6) == b'-' && digits_at(t, start + 7, 7)
}

/// Whether a check character in brackets follows a number ending at `end`:
/// `(8)`, `(A)`.
fn check_in_brackets(t: &[u8], end: usize) -> bool {
    matches!(t.get(end..end + 3), Some(&[b'(', check, b')']) if check.is_ascii_alphanumeric())
}

/// A number printed in groups, whose first group of digits starts at
/// `digit`: `AB 12 34 56 C` (a National Insurance number), `1234 5678 9012`
/// (a My Number), `E 1234 5678`. One or two capitals, then two or more groups
/// of two to four digits, then perhaps one capital, each one space apart: as
/// a whole six to twelve characters, five or more of them digits. A group of
/// more digits, or more groups than that, is some longer number's (a
/// resident ID's, a card's) and not read here.
fn grouped(t: &[u8], digit: usize) -> Option<(usize, usize)> {
    let group = |at: usize| {
        let mut end = at;
        while is(t, end, DIGIT) && end - at <= 4 {
            end += 1;
        }
        (2..=4).contains(&(end - at)).then_some(end)
    };
    let mut end = group(digit)?;
    if !(at(t, end) == b' ' && is(t, end + 1, DIGIT)) {
        return None;
    }
    let mut chars = end - digit;
    // Groups past the longest number are some longer run's, which this is
    // not: stop there, so that a text of digit groups costs each group a
    // few bytes and not the rest of the text.
    while at(t, end) == b' ' && chars <= MAX_LEN {
        let Some(next) = group(end + 1) else { break };
        chars += next - end - 1;
        end = next;
    }
    if is(t, end, DIGIT) {
        return None;
    }
    let mut start = digit;
    if let Some(w) = (before(t, digit) == b' ')
        .then(|| word_before(t, digit - 1))
        .flatten()
    {
        let letters = t.get(w..digit - 1).unwrap_or_default();
        if letters.len() <= 2
            && letters.iter().all(u8::is_ascii_uppercase)
            && !is(t, w.wrapping_sub(1), DIGIT)
        {
            chars += letters.len();
            start = w;
        }
    }
    if at(t, end) == b' ' && is(t, end + 1, UPPER) && !is(t, end + 2, ALNUM) {
        chars += 1;
        end += 2;
    }
    let digits = (start..end).filter(|&i| is(t, i, DIGIT)).count();
    let fits = (MIN_LEN..=MAX_LEN).contains(&chars) && digits >= MIN_DIGITS && !is(t, end, ALNUM);
    fits.then_some((start, end))
}

/// Whether `t` holds exactly `n` digits from `from` on, and no more.
fn digits_at(t: &[u8], from: usize, n: usize) -> bool {
    (from..from + n).all(|i| is(t, i, DIGIT)) && !is(t, from + n, DIGIT)
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

/// Whether the whole of `value` (under a JSON key or a table's column that
/// names `document`) is that document's number: [`is_number`]'s shape, or
/// one printed in groups (`E 1234 5678`, `AB 12 34 56 C`); for an identity
/// card also Korea's `900101-1234567`, a bracketed check (`1234567(8)`) and
/// a mainland resident ID's 15 or 18 characters whose check fails.
pub(crate) fn is_value(value: &[u8], document: Document) -> bool {
    let in_groups = || {
        value
            .iter()
            .position(u8::is_ascii_digit)
            .and_then(|digit| grouped(value, digit))
            == Some((0, value.len()))
    };
    if is_number(value) || in_groups() {
        return true;
    }
    if document == Document::Passport {
        return false;
    }
    let korean = value.len() == 14 && korean_at(value, 0);
    let bracketed = value.len().checked_sub(3).is_some_and(|number| {
        is_number(value.get(..number).unwrap_or_default()) && check_in_brackets(value, number)
    });
    // A mainland resident ID's shape whose check fails: under the card's name
    // a mistyped number is still the person's. (One whose check holds is the
    // number parser's, and keeps its own category.)
    let resident = match value.split_last() {
        Some((last, head)) if matches!(value.len(), 15 | 18) => {
            head.iter().all(u8::is_ascii_digit)
                && (last.is_ascii_digit() || *last == b'X' || *last == b'x')
                && !checks::resident_id(value)
        }
        _ => false,
    };
    korean || bracketed || resident
}

/// What a JSON key names, when it may name a document's number: it holds a
/// passport's name (`passport`, `passportNumber`, `passport_no`, `护照号码`,
/// `港澳通行证号`) or an identity card's (`hkid`, `nino`, `id_card_no`,
/// `身份证号`). A key that says more (`passport_expiry`, `passport_country`)
/// passes too; its value (`2030-05-12`, `CN`), not shaped like a number
/// ([`is_number`]), then stays.
pub(crate) fn document_key(key: &str) -> Option<Document> {
    let bytes = key.as_bytes();
    let has = |name: &[u8]| {
        bytes
            .windows(name.len())
            .any(|w| w.eq_ignore_ascii_case(name))
    };
    // Every key of a JSON body comes here: an ASCII key is asked for `pas`,
    // the start of every ASCII passport name, before the names themselves.
    let ascii = key.is_ascii();
    let passport = if ascii {
        has(b"pas") && NAMES.iter().any(|name| has(name))
    } else {
        NAMES.iter().any(|name| has(name)) || CJK_NAMES.iter().any(|name| has(name.as_bytes()))
    };
    if passport {
        return Some(Document::Passport);
    }
    let card = has_word_of(bytes, ID_NAMES)
        || has_phrase_of(bytes, ID_PHRASES)
        || (!ascii && CJK_ID_NAMES.iter().any(|name| has(name.as_bytes())));
    card.then_some(Document::IdentityCard)
}

/// The document whose name ends before `start`, perhaps followed by filler
/// words, marks, separators and a person's name, within [`MAX_LEAD`] bytes.
fn named_before(t: &[u8], start: usize) -> Option<Document> {
    let ascii = |word_start: usize, end: usize| {
        let word = t.get(word_start..end).unwrap_or_default();
        if one_of(word, NAMES) {
            Read::Name(Document::Passport)
        } else if one_of(word, ID_NAMES) || second_of_phrase(t, word_start, word) {
            Read::Name(Document::IdentityCard)
        } else if one_of(word, FILLER_WORDS) {
            Read::Filler(word.len())
        } else {
            Read::Other
        }
    };
    let cjk = |head: &[u8]| {
        if ends_with_one_of(head, CJK_ID_NAMES) {
            return Read::Name(Document::IdentityCard);
        }
        match FILLER_MARKS.iter().find(|m| head.ends_with(m.as_bytes())) {
            Some(mark) => Read::Filler(mark.len()),
            None if ends_with_one_of(head, CJK_NAMES) => Read::Name(Document::Passport),
            None => Read::Other,
        }
    };
    name_before(t, start, MAX_LEAD, ascii, cjk, document_key)
}

/// Whether `word`, at `word_start`, ends one of [`ID_PHRASES`]: its first
/// word one separator before it (`ID card`, `id_card`).
fn second_of_phrase(t: &[u8], word_start: usize, word: &[u8]) -> bool {
    let gap = word_start.wrapping_sub(1);
    if !matches!(at(t, gap), b' ' | b'_' | b'-') {
        return false;
    }
    let Some(first) = word_before(t, gap).and_then(|s| t.get(s..gap)) else {
        return false;
    };
    ID_PHRASES
        .iter()
        .any(|(a, b)| word.eq_ignore_ascii_case(b) && first.eq_ignore_ascii_case(a))
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use super::{document_key, is_number, is_value, Document};
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
            ("passport no. E 1234 5678", "E 1234 5678"),
            ("passport of Li Wei: E12345678", "E12345678"),
            (
                "the passport number for ZHANG San is G12345678",
                "G12345678",
            ),
            ("ＰＡＳＳＰＯＲＴ Ｅ１２３４５６７８", "Ｅ１２３４５６７８"),
            // In XML and HTML: the element or its attribute names it.
            ("<passport>E12345678</passport>", "E12345678"),
            ("<field name=\"passport\">G12345678</field>", "G12345678"),
            (
                "<ns:PassportNumber>G12345678</ns:PassportNumber>",
                "G12345678",
            ),
            ("<passport number=\"E12345678\"/>", "E12345678"),
            ("<b>Passport</b>: E12345678", "E12345678"),
            ("<td class=\"passport\">E12345678</td>", "E12345678"),
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
            assert_eq!(document_key(key), Some(Document::Passport), "{key}");
        }
        for key in [
            "ID Card",
            "ID Card No.",
            "identity card number",
            "National-Insurance",
        ] {
            assert_eq!(document_key(key), Some(Document::IdentityCard), "{key}");
        }
        for key in [
            "pass",
            "password",
            "card id",
            "Valid card",
            "bypass",
            "document",
            "id_number",
            "证件",
            "birth_date",
            "enriched",
            "currNumber",
            "card_pin",
            "tool_call_id",
        ] {
            assert_eq!(document_key(key), None, "{key}");
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
    fn values_a_key_or_column_names_as_a_document_number() {
        use Document::{IdentityCard, Passport};
        let cases = [
            ("E12345678", Passport, true),
            ("E 1234 5678", Passport, true),
            ("AB 12 34 56 C", IdentityCard, true),
            ("1234 5678 9012", IdentityCard, true),
            ("900101-1234567", IdentityCard, true),
            ("1234567(8)", IdentityCard, true),
            ("A123456(A)", IdentityCard, true),
            ("110101199003071235", IdentityCard, true),
            // Its check holds: the number parser's (`cn_resident_id`).
            ("110105199003071239", IdentityCard, false),
            ("11010119900307123X", IdentityCard, true),
            ("110101900307123", IdentityCard, true),
            ("110101199003071235", Passport, false),
            ("1101011990030712", IdentityCard, false),
            ("1101011990030712X5", IdentityCard, false),
            // Shapes only an identity card has, under a passport's name.
            ("900101-1234567", Passport, false),
            ("1234567(8)", Passport, false),
            // Not the whole value, or no number's shape.
            ("900101-123456", IdentityCard, false),
            ("900101-12345678", IdentityCard, false),
            ("1234567(89)", IdentityCard, false),
            ("(8)", IdentityCard, false),
            ("E 1234 5678 x", Passport, false),
            ("1234 5678 9012 3456 7890", IdentityCard, false),
            ("2030-05-12", IdentityCard, false),
            ("", IdentityCard, false),
        ];
        for (value, document, want) in cases {
            assert_eq!(
                is_value(value.as_bytes(), document),
                want,
                "{value} {document:?}"
            );
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
            // Elements and cells that name something else.
            "<order>E12345678</order>",
            "<td>E12345678</td>",
            "<p>Order</p> E12345678",
            "<a href=\"/passport\">x</a>E12345678",
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
            // Other words, not a person's name after `of`, between.
            "passport of the applicant E12345678",
            "passport of Li Wei and order E12345678",
            "passport of A B C D 12345678",
        ]);
    }

    #[test]
    fn identity_numbers_after_their_name() {
        let cases = [
            // Hong Kong without its brackets, and with them after a name.
            ("HKID A1234563", "A1234563"),
            ("香港身份證號碼 A1234563", "A1234563"),
            ("ID card no. A123456(3)", "A123456(3)"),
            // The British National Insurance number.
            ("NINO: AB123456C", "AB123456C"),
            ("my National Insurance number is QQ123456C.", "QQ123456C"),
            // Japan's My Number.
            ("マイナンバー 123456789018", "123456789018"),
            ("個人番号：123456789018", "123456789018"),
            // Korea's resident registration number, dash and all.
            ("주민등록번호 900101-1234567", "900101-1234567"),
            ("RRN: 850315-2345678", "850315-2345678"),
            (
                "resident registration number 850315-2345678",
                "850315-2345678",
            ),
            // Macau, with its check digit in brackets.
            ("澳門身份證 1234567(8)", "1234567(8)"),
            ("BIR no. 1234567(8)", "1234567(8)"),
            // A card named in two words, in any case.
            ("Identity Card Number: K9876543", "K9876543"),
            // An XML element named as a JSON key would be.
            ("<IdCardNo>A1234563</IdCardNo>", "A1234563"),
            (
                "<national_insurance>AB123456C</national_insurance>",
                "AB123456C",
            ),
            ("{\"id_card\": \"123456789\"}", "123456789"),
            ("身份证号码为12345678", "12345678"),
            // Printed in groups, as the cards print them.
            ("NINO: QQ 12 34 56 C", "QQ 12 34 56 C"),
            ("National Insurance number AB 12 34 56.", "AB 12 34 56"),
            ("マイナンバー 1234 5678 9012", "1234 5678 9012"),
        ];
        for (text, span) in cases {
            expect_only(text, "national_id", span);
        }
    }

    #[test]
    fn leaves_what_is_no_identity_number() {
        expect_none(&[
            // The name inside another word, or another word between.
            "the birthday card 12345678",
            "ID card photo 123456",
            "card 12345678",
            "insurance number 12345678",
            "registration number 12345678",
            // Korea's shape without a name, or too long a part.
            "900101-1234567",
            "RRN 900101-12345678",
            "RRN 9001011-1234567",
            // Too short or too long.
            "HKID 12345",
            "NINO AB12345678901",
            // Groups with no name, or too many digits for a document.
            "QQ 12 34 56 C",
            "マイナンバー 1234 5678 9012 3456 7890",
        ]);
        // The mainland's 18-character ID after its name stays the resident ID
        // the number parser checks.
        for text in [
            "身份证号码 11010519491231002X",
            "身份证 110105 19491231 002X",
        ] {
            let span = text.split_once(' ').map(|(_, id)| id).unwrap();
            expect_only(text, "cn_resident_id", span);
        }
    }

    #[test]
    fn keys_that_name_an_identity_number() {
        for key in [
            "hkid",
            "HKID_no",
            "userNric",
            "nino",
            "id_card",
            "idCardNumber",
            "national_insurance_number",
            "身份证号",
            "マイナンバー",
            "주민등록번호",
        ] {
            assert_eq!(document_key(key), Some(Document::IdentityCard), "{key}");
        }
    }
}
