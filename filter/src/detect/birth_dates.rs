//! Dates of birth, known by the name written before them.
//!
//! A date alone is a meeting, an invoice or a release; after `date of birth`,
//! `DOB`, `born`, `出生日期` or `生年月日` it is one of the three facts (with a
//! name and a postcode) that single out most people. So the scanner asks here
//! at the first digit of a word shaped like a date, and the date counts only
//! when one of [`NAMES`] or [`CJK_NAMES`], perhaps then a few filler words and
//! marks (`is`, `on`, `:`, `是`, `于`), stands right before it.
//!
//! The shapes: `1990-03-12`, `1990/3/12`, `1990.03.12`, `19900312`,
//! `12/03/1990` and `03/12/1990` (either order, when the numbers allow it;
//! `12/03/90` too),
//! `1990年3月12日`, `12 March 1990`, `March 12, 1990`; years 1900 to 2099,
//! months and days in range.

use super::bytes::{at, before, is, ALNUM, ALPHA, DIGIT};
use super::lead::{has_word_of, one_of, word_before, Lead};
use super::numerals::chinese_numeral;

/// Names of a date of birth in ASCII (any case). `birth` covers `date of
/// birth` and `birth date` (with `date` after it, [`FILLER_WORDS`]); `D.O.B.`
/// is told apart from its letters.
const NAMES: &[&[u8]] = &[
    b"dob",
    b"birth",
    b"birthday",
    b"birthdate",
    b"born",
    b"geburtsdatum",
    b"nacimiento",
    b"naissance",
];

/// Names in Chinese, Japanese and Korean: `出生日期`, `出生年月日`, `出生`
/// (`出生于`), `生日`, `生年月日`, `誕生日`, `생년월일`.
const CJK_NAMES: &[&str] = &[
    "出生日期",
    "出生年月日",
    "出生年月",
    "出生",
    "生日",
    "生年月日",
    "誕生日",
    "诞生日",
    "생년월일",
];

/// Words that may stand between a name and its date (any case): `born on`,
/// `date of birth is`, `birth date`.
const FILLER_WORDS: &[&[u8]] = &[
    b"is", b"was", b"on", b"in", b"of", b"date", b"my", b"her", b"his",
];

/// Marks that may stand between a name and its date: `是`, `为`, `于`
/// (`出生于`), `は`, `는`.
const FILLER_MARKS: &[&str] = &["是", "为", "為", "于", "於", "在", "は", "는", "은", "的"];

/// How far before the date its name may end.
const MAX_LEAD: usize = 32;

const MONTHS: &[&[u8]] = &[
    b"january",
    b"february",
    b"march",
    b"april",
    b"may",
    b"june",
    b"july",
    b"august",
    b"september",
    b"october",
    b"november",
    b"december",
];

/// The date of birth whose first digit is at `digit` (the first of its
/// word), when its name stands before it: its span. `March 12, 1990` starts
/// at its month.
pub(crate) fn birth_date(t: &[u8], digit: usize) -> Option<(usize, usize)> {
    if is(t, digit.wrapping_sub(1), ALNUM) {
        return None;
    }
    let (start, end) = date_at(t, digit)?;
    named_before(t, start).then_some((start, end))
}

/// Whether the whole of `value` is a date (under a JSON key that names a
/// date of birth).
pub(crate) fn is_date(value: &[u8]) -> bool {
    let Some(first) = value.iter().position(u8::is_ascii_digit) else {
        return false;
    };
    date_at(value, first).is_some_and(|(start, end)| start == 0 && end == value.len())
}

/// The date whose first digit is at `digit`: its span, from its month's name
/// for `March 12, 1990`.
fn date_at(t: &[u8], digit: usize) -> Option<(usize, usize)> {
    let (a, a_len) = number(t, digit)?;
    let after_a = digit + a_len;
    let (start, end) = match a_len {
        8 => valid(a / 10_000, a / 100 % 100, a % 100).then_some((digit, after_a)),
        4 => year_first(t, a, after_a).map(|end| (digit, end)),
        1 | 2 => day_or_month_first(t, digit, a, after_a),
        _ => None,
    }?;
    // `1990-03-12T10:00`, `1990-03-12-7`: part of something longer.
    let longer =
        is(t, end, ALNUM) || (matches!(at(t, end), b'-' | b'/' | b'.') && is(t, end + 1, DIGIT));
    (!longer).then_some((start, end))
}

/// `1990-03-12`, `1990/3/12`, `1990.03.12`, `1990年3月12日`: the end.
fn year_first(t: &[u8], year: u32, from: usize) -> Option<usize> {
    if let Some((month, at_day)) = middle(t, from) {
        let (day, d_len) = number(t, at_day).filter(|&(_, n)| n <= 2)?;
        return valid(year, month, day).then_some(at_day + d_len);
    }
    let rest = t.get(from..)?;
    let rest = rest.strip_prefix("年".as_bytes())?;
    let from = from + "年".len();
    let (month, m_len) = month_or_day(rest)?;
    let rest = rest.get(m_len..)?.strip_prefix("月".as_bytes())?;
    let at_day = from + m_len + "月".len();
    let (day, d_len) = month_or_day(rest)?;
    let rest = rest.get(d_len..)?;
    let mark = ["日", "号", "號"]
        .iter()
        .find(|m| rest.starts_with(m.as_bytes()))?;
    valid(year, month, day).then_some(at_day + d_len + mark.len())
}

/// `12/03/1990`, `03/12/1990`, `12 March 1990`, or the `12` of `March 12,
/// 1990`: the span.
fn day_or_month_first(t: &[u8], digit: usize, a: u32, from: usize) -> Option<(usize, usize)> {
    if let Some((b, at_year)) = middle(t, from) {
        // `12/03/90`: a form's two-digit year, taken as the 1900s or 2000s
        // alike (only the month and day are checked).
        let (year, y_len) = number(t, at_year).filter(|&(_, n)| n == 4 || n == 2)?;
        let year = if y_len == 2 { 1900 + year } else { year };
        let fits = valid(year, b, a) || valid(year, a, b);
        return fits.then_some((digit, at_year + y_len));
    }
    // `12 March 1990`.
    if at(t, from) == b' ' {
        if let Some((month_end, month)) = month_word(t, from + 1) {
            if at(t, month_end) == b' ' {
                let (year, y_len) = number(t, month_end + 1).filter(|&(_, n)| n == 4)?;
                return valid(year, month, a).then_some((digit, month_end + 1 + y_len));
            }
        }
    }
    // `March 12, 1990`: the month's name before the day.
    let (month_start, month) = month_before(t, digit)?;
    let gap = match (at(t, from), at(t, from + 1)) {
        (b',', b' ') => 2,
        (b' ', _) => 1,
        _ => return None,
    };
    let (year, y_len) = number(t, from + gap).filter(|&(_, n)| n == 4)?;
    valid(year, month, a).then_some((month_start, from + gap + y_len))
}

/// A month or a day at the start of `t`, after `年` or `月`: one or two
/// digits, or written in Chinese numerals (`三`, `十二`, `二十三`, `三十一`;
/// the year before them, digit by digit, the normaliser has made digits
/// already). Its value and length.
fn month_or_day(t: &[u8]) -> Option<(u32, usize)> {
    if let Some(digits) = number(t, 0).filter(|&(_, n)| n <= 2) {
        return Some(digits);
    }
    let numeral = |at: usize| {
        let c = std::str::from_utf8(t.get(at..at + 3)?)
            .ok()?
            .chars()
            .next()?;
        match c {
            '十' => Some(10),
            '〇' | '零' => None,
            _ => chinese_numeral(c).map(u32::from),
        }
    };
    // `X`, `十`, `十Y`, `X十`, `X十Y`, each numeral three bytes.
    let first = numeral(0)?;
    let (tens, at) = match (first, numeral(3)) {
        (10, _) => (1, 3),
        (2 | 3, Some(10)) => (first, 6),
        _ => return Some((first, 3)),
    };
    match numeral(at).filter(|&d| d < 10) {
        Some(units) => Some((tens * 10 + units, at + 3)),
        None => Some((tens * 10, at)),
    }
}

/// The run of at most eight digits at `i` (a longer run is no date): its
/// value and length.
fn number(t: &[u8], i: usize) -> Option<(u32, usize)> {
    let mut value = 0u32;
    let mut n = 0;
    while is(t, i + n, DIGIT) {
        if n == 8 {
            return None;
        }
        value = value * 10 + u32::from(at(t, i + n) - b'0');
        n += 1;
    }
    (n > 0).then_some((value, n))
}

/// `-03-`, `/3/`, `.12.`: after the first number of a date at `from`, a
/// separator, one or two digits and the same separator again: that middle
/// number and where the last one starts.
fn middle(t: &[u8], from: usize) -> Option<(u32, usize)> {
    let sep = at(t, from);
    if !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    let (value, len) = number(t, from + 1).filter(|&(_, n)| n <= 2)?;
    let last = from + 1 + len + 1;
    (at(t, last - 1) == sep).then_some((value, last))
}

/// The end of the month's name (full, or its first three letters) at `i`,
/// and the month.
fn month_word(t: &[u8], i: usize) -> Option<(usize, u32)> {
    let mut end = i;
    while is(t, end, ALPHA) && end - i < 9 {
        end += 1;
    }
    month_of(t.get(i..end)?).map(|month| (end, month))
}

/// The month (1 to 12) that `word` names, in full or by its first three
/// letters (any case).
fn month_of(word: &[u8]) -> Option<u32> {
    if word.len() < 3 {
        return None;
    }
    let index = MONTHS.iter().position(|m| {
        m.len() >= word.len()
            && m.get(..word.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(word))
            && (word.len() == 3 || word.len() == m.len())
    })?;
    u32::try_from(index + 1).ok()
}

/// The month's name, then a space, right before `digit`: its start and month.
fn month_before(t: &[u8], digit: usize) -> Option<(usize, u32)> {
    if before(t, digit) != b' ' {
        return None;
    }
    let start = word_before(t, digit - 1)?;
    Some((start, month_of(t.get(start..digit - 1)?)?))
}

fn valid(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return false,
    };
    (1900..=2099).contains(&year) && (1..=days).contains(&day)
}

/// Whether a name of a date of birth ends before `start`, perhaps followed
/// by filler words, marks, separators and a person's name, within
/// [`MAX_LEAD`] bytes.
fn named_before(t: &[u8], start: usize) -> bool {
    const LEAD: Lead = Lead {
        fillers: FILLER_WORDS,
        cjk_names: CJK_NAMES,
        marks: FILLER_MARKS,
        max_lead: MAX_LEAD,
    };
    let is_name = |word_start: usize, word: &[u8]| {
        // `D.O.B.`, read back from its `B`.
        let dotted = word.eq_ignore_ascii_case(b"b")
            && word_start
                .checked_sub(4)
                .and_then(|s| t.get(s..word_start))
                .is_some_and(|d| d.eq_ignore_ascii_case(b"d.o."));
        dotted || one_of(word, NAMES)
    };
    LEAD.named_before(t, start, is_name, is_birth_date_key)
}

/// Whether a JSON key names a date of birth: `dob`, `date_of_birth`,
/// `birthDate`, `birthday`, `出生日期`, `生日`. A key that says more
/// (`birth_place`, `place_of_birth`) passes too; its value, not a date,
/// then stays.
pub(crate) fn is_birth_date_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let has = |name: &[u8]| {
        bytes
            .windows(name.len())
            .any(|w| w.eq_ignore_ascii_case(name))
    };
    has(b"birth")
        || has_word_of(bytes, &[b"dob"])
        || (!key.is_ascii() && CJK_NAMES.iter().any(|n| has(n.as_bytes())))
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use super::{is_birth_date_key, is_date};
    use crate::detect::testing::{expect_none, expect_only};

    #[test]
    fn dates_after_their_name() {
        let cases = [
            ("DOB: 1990-03-12", "1990-03-12"),
            ("date of birth 12/03/1990.", "12/03/1990"),
            ("Date of Birth: 03/28/1985,", "03/28/1985"),
            ("born on 1985.7.4 in Ohio", "1985.7.4"),
            ("my birthday is 19900312", "19900312"),
            ("birth date: 1 March 1990", "1 March 1990"),
            ("DOB March 12, 1990", "March 12, 1990"),
            ("dob 12 Sep 1975", "12 Sep 1975"),
            ("Geburtsdatum: 12.03.1990", "12.03.1990"),
            ("出生日期：1990年3月12日", "1990年3月12日"),
            ("他出生于1990年3月12日，在上海", "1990年3月12日"),
            // The year digit by digit in numerals, month and day in words.
            ("出生日期：一九九〇年三月十二日", "一九九〇年三月十二日"),
            (
                "出生于一九八五年十二月三十一日。",
                "一九八五年十二月三十一日",
            ),
            ("生日：2001年十月一日", "2001年十月一日"),
            ("DOB 1979年二月二十号", "1979年二月二十号"),
            ("出生日期：壹玖玖零年3月5日", "壹玖玖零年3月5日"),
            ("生日是1990-03-12", "1990-03-12"),
            ("生年月日は1990/03/12です", "1990/03/12"),
            ("생년월일 1990.03.12", "1990.03.12"),
            ("{\"date_of_birth\": \"1990-03-12\"}", "1990-03-12"),
            ("ＤＯＢ：１９９０－０３－１２", "１９９０－０３－１２"),
            ("date of birth of Maria Lopez: 1990-03-12", "1990-03-12"),
            ("DOB: 12/03/90", "12/03/90"),
            ("D.O.B 3.7.05", "3.7.05"),
            ("<dob>1990-03-12</dob>", "1990-03-12"),
            ("<DateOfBirth>1990-03-12</DateOfBirth>", "1990-03-12"),
        ];
        for (text, span) in cases {
            expect_only(text, "date_of_birth", span);
        }
    }

    #[test]
    fn leaves_dates_with_no_birth_name() {
        expect_none(&[
            // Dates with no name, or another word between.
            "the meeting on 2024-03-12",
            "invoice date 12/03/2024",
            "birthday party on 2024-05-01 was fun",
            "released 1990-03-12",
            "会议于2024年3月12日举行",
            "<shipped>1990-03-12</shipped>",
            "<td>1990-03-12</td>",
            // Not dates: out of range, too long, part of something longer.
            "DOB: 1990-13-12",
            "DOB: 1990-02-30",
            "DOB: 1890-03-12",
            "DOB: 31/31/1990",
            "DOB 199003121",
            "DOB 1990-03-12T10:00",
            "born 1990-03-12-7",
            "DOB: 12 Marchy 1990",
            "DOB: 31/31/90",
            "DOB: 12/03/9",
            "DOB: 12/03/901",
            // Months and days in numerals out of range or malformed.
            "出生日期：1990年十三月一日",
            "出生日期：1990年二月三十日",
            "出生日期：1990年三月三十五日",
            "出生日期：1990年〇月一日",
            "出生日期：1990年三月十十日",
            "会议于二〇二四年三月十二日举行",
        ]);
    }

    #[test]
    fn keys_and_values() {
        for key in [
            "dob",
            "DOB",
            "date_of_birth",
            "birthDate",
            "birthday",
            "patient_dob",
            "出生日期",
            "生日",
        ] {
            assert!(is_birth_date_key(key), "{key}");
        }
        for key in ["doberman", "adobe", "date", "created_at", "日期", "dobby"] {
            assert!(!is_birth_date_key(key), "{key}");
        }
        for value in [
            "1990-03-12",
            "19900312",
            "12/03/1990",
            "March 12, 1990",
            "1990年3月12日",
        ] {
            assert!(is_date(value.as_bytes()), "{value}");
        }
        for value in ["Shanghai", "1990", "1990-03-12 ", "2030-02-30", "E12345678"] {
            assert!(!is_date(value.as_bytes()), "{value}");
        }
    }
}
