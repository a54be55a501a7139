//! Phone numbers written as their own country writes them, known by the name
//! written before them.
//!
//! A number with its `+` country code is one anywhere (`numbers`), as is a
//! PRC mobile by its shape and a North American number written in its own
//! (`north_american`). Another national number has neither: `020 7946
//! 0958`, `010-62345678`, `030 12345678` are as much an order's, an
//! invoice's or a ticket's number as a person's line. After `phone`,
//! `Tel.`, `mobile`, `fax`, `call me at`, `电话`, `手机号`, `電話番号` or
//! `전화번호` (perhaps then a few filler words and marks: `number`, `is`,
//! `号码`, `是`) it is the person's. So the scanner asks here at the first
//! digit of a word, and the number counts only when such a name stands
//! right before it; a JSON key, a table's column or an XML element named so
//! (`"phone"`, `mobileNo`, `联系电话`, `<Telephone>`) names its value alike.
//!
//! The shape: seven to fifteen digits, in groups joined by one space, dash or
//! dot, the first perhaps in brackets (`(415) 555-2671`, `(010)6234 5678`).
//! Not a date (`2024-03-12`), an IPv4 address's dotted four, or a decimal
//! (`1234567.89`); not part of something longer (`555-2671-3`, `5552671A`).

use super::birth_dates;
use super::bytes::{at, before, is, ALNUM, DIGIT};
use super::lead::{key_ends_with_name, one_of, word_before, Lead};

/// Names of a phone in ASCII (any case): English, German, French, Spanish,
/// Italian and the Nordic abbreviations. (`call me at` is read from its `me`,
/// [`REACH_ME`].)
const NAMES: &[&[u8]] = &[
    b"phone",
    b"phones",
    b"telephone",
    b"tel",
    b"tele",
    b"ph",
    b"mobile",
    b"mob",
    b"cellphone",
    b"landline",
    b"fax",
    b"whatsapp",
    b"contact",
    b"telefon",
    b"telefonnummer",
    b"handynummer",
    b"mobilnummer",
    b"telefono",
    b"tlf",
    b"tfn",
];

/// Names in Chinese, Japanese and Korean: `电话` (and `联系电话`), `手机`,
/// `座机`, `传真`, `联系方式`, `電話`, `携帯`, `전화`, `휴대폰`, `연락처`.
/// Asked before the filler marks, since `番号` and `번호` end some.
const CJK_NAMES: &[&str] = &[
    "电话",
    "電話",
    "手机",
    "手機",
    "座机",
    "座機",
    "传真",
    "傳真",
    "联系方式",
    "聯繫方式",
    "聯絡方式",
    "携帯",
    "電話番号",
    "携帯番号",
    "전화",
    "전화번호",
    "휴대폰",
    "핸드폰",
    "연락처",
];

/// Words that may stand between a name and its number (any case): `phone
/// number is`, `mobile no.`, `call me at`.
const FILLER_WORDS: &[&[u8]] = &[
    b"no", b"nr", b"num", b"number", b"is", b"was", b"of", b"my", b"at", b"on", b"her", b"his",
    b"our",
];

/// Verbs that, before `me`, name the number after it: `call me at`, `text
/// me on`, `reach me at`. A number after `call` alone is as often a
/// business's (`Call 0800 ... for support`).
const REACH_ME: &[&[u8]] = &[
    b"call",
    b"text",
    b"reach",
    b"ring",
    b"phone",
    b"contact",
    b"message",
    b"whatsapp",
];

/// Marks that may stand between a name and its number: `号码`, `号`, `是`,
/// `为`, `は`, `는`.
const FILLER_MARKS: &[&str] = &[
    "号码", "號碼", "号", "號", "为", "為", "是", "的", "は", "는", "은",
];

/// How far before the number its name may end.
const MAX_LEAD: usize = 32;
/// A phone number's fewest and most digits: a US local number has seven,
/// an international one at most fifteen (E.164).
const MIN_DIGITS: usize = 7;
const MAX_DIGITS: usize = 15;
/// No number has more groups than this (`0 20 7946 0958` has four).
const MAX_GROUPS: usize = 6;

/// The phone number whose first digit is at `digit` (the first of its word),
/// when a phone's name stands before it: its span, from the bracket before
/// an area code in brackets.
pub(crate) fn named_phone(t: &[u8], digit: usize) -> Option<(usize, usize)> {
    // `+44 20 ...` is the international number's, read from its `+`.
    if is(t, digit.wrapping_sub(1), ALNUM) || before(t, digit) == b'+' {
        return None;
    }
    let start = if before(t, digit) == b'(' {
        digit - 1
    } else {
        digit
    };
    // `2024-555-0101`, `12.345.678`: no phone joined to digits before it.
    if matches!(before(t, start), b'-' | b'.' | b'/') && is(t, start.wrapping_sub(2), DIGIT) {
        return None;
    }
    let end = number_end(t, start)?;
    named_before(t, start).then_some((start, end))
}

/// Whether the whole of `value` (under a JSON key or a table's column that
/// names a phone) is a phone number: the shape above, or with its `+`.
pub(crate) fn is_value(value: &[u8]) -> bool {
    // A table's cells come here whatever they hold: most hold a letter,
    // refused where it stands.
    let phone_bytes = value
        .iter()
        .all(|&b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'+'));
    let from = usize::from(value.first() == Some(&b'+'));
    value.len() >= MIN_DIGITS && phone_bytes && number_end(value, from) == Some(value.len())
}

/// Whether a JSON key, a column's name or an element's names a phone: it
/// ends in a phone's name as a word of its own, perhaps then `number` or
/// `no` (`phone`, `contactPhone`, `phone_number`, `mobileNo`, `Tel.`, `联系
/// 电话`, `手机号`), not `hotel`, `microphone` or `phone_model`.
pub(crate) fn is_phone_key(key: &str) -> bool {
    key_ends_with_name(key, NAMES, CJK_NAMES, |_| false)
}

/// The end of the phone number that starts at `start` (a digit, or the `(`
/// before an area code), when the digits and groups there have its shape.
fn number_end(t: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    let bracketed = at(t, i) == b'(';
    if bracketed {
        i += 1;
    }
    let (mut digits, mut groups) = (0, 0);
    let mut dotted = true;
    let mut last_group;
    loop {
        let group_start = i;
        while is(t, i, DIGIT) {
            i += 1;
            if digits + (i - group_start) > MAX_DIGITS {
                return None;
            }
        }
        last_group = i - group_start;
        if last_group == 0 {
            return None;
        }
        digits += last_group;
        groups += 1;
        if groups > MAX_GROUPS {
            return None;
        }
        // `(415) 555-2671`, `(010)62345678`: the area code's bracket closes
        // after the first group.
        if bracketed && groups == 1 {
            if at(t, i) != b')' {
                return None;
            }
            i += 1;
            dotted = false;
            if is(t, i, DIGIT) {
                continue;
            }
            if at(t, i) == b' ' && is(t, i + 1, DIGIT) {
                i += 1;
                continue;
            }
            return None;
        }
        let sep = at(t, i);
        if matches!(sep, b' ' | b'-' | b'.') && is(t, i + 1, DIGIT) {
            dotted &= sep == b'.';
            i += 1;
            continue;
        }
        break;
    }
    // Part of something longer: `555-2671-`, `5552671A`, `555.2671.` with
    // digits on.
    let joined = matches!(at(t, i), b'-' | b'.' | b'/') && is(t, i + 1, ALNUM);
    if joined || is(t, i, ALNUM) || !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
        return None;
    }
    let value = t.get(start..i)?;
    // `1234567.89` (a decimal), `192.168.10.200` (an address): dots only.
    let decimal = dotted && groups == 2 && last_group <= 2;
    let address = dotted && groups == 4 && digits <= 12 && value.len() - digits == 3;
    if decimal || address || birth_dates::is_date(value) {
        return None;
    }
    Some(i)
}

/// Whether `word`, at `word_start`, is the `me` of `call me`, `text me`.
fn reach_me(t: &[u8], word_start: usize, word: &[u8]) -> bool {
    word.eq_ignore_ascii_case(b"me")
        && before(t, word_start) == b' '
        && word_before(t, word_start - 1)
            .and_then(|verb| t.get(verb..word_start - 1))
            .is_some_and(|verb| one_of(verb, REACH_ME))
}

/// Whether a phone's name ends before `start`, perhaps followed by filler
/// words, marks, separators and a person's name, within [`MAX_LEAD`] bytes.
fn named_before(t: &[u8], start: usize) -> bool {
    const LEAD: Lead = Lead {
        fillers: FILLER_WORDS,
        cjk_names: CJK_NAMES,
        marks: FILLER_MARKS,
        max_lead: MAX_LEAD,
    };
    // `phone`, a key's spelling in prose (`"mobileNo": "0..."`), `call me`.
    let is_name = |word_start: usize, word: &[u8]| {
        one_of(word, NAMES)
            || std::str::from_utf8(word).is_ok_and(is_phone_key)
            || reach_me(t, word_start, word)
    };
    LEAD.named_before(t, start, is_name, is_phone_key)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use super::{is_phone_key, is_value};
    use crate::detect::testing::{expect_none, expect_only};

    #[test]
    fn national_numbers_after_their_name() {
        let cases = [
            ("Call me at (415) 555-2671 tomorrow", "(415) 555-2671"),
            ("phone: 415-555-2671", "415-555-2671"),
            ("Phone number is 415.555.2671.", "415.555.2671"),
            ("Tel. 020 7946 0958", "020 7946 0958"),
            ("tel: +44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
            ("Mobile no. 07700 900123", "07700 900123"),
            ("text me on 0800 123 4567", "0800 123 4567"),
            ("fax (010)6234 5678", "(010)6234 5678"),
            ("Telefon 030 12345678", "030 12345678"),
            ("contact: 555-2671", "555-2671"),
            (
                "the phone number of Li Wei is 020 7946 0958",
                "020 7946 0958",
            ),
            ("电话 010-62345678", "010-62345678"),
            ("联系电话：0755-8888 8888", "0755-8888 8888"),
            ("座机号码是62345678。", "62345678"),
            ("傳真 (02) 2345-6789", "(02) 2345-6789"),
            ("電話番号 03-1234-5678", "03-1234-5678"),
            ("전화번호 02-312-3456", "02-312-3456"),
            ("<Telephone>020 7946 0958</Telephone>", "020 7946 0958"),
            ("<td class=\"phone\">020 7946 0958</td>", "020 7946 0958"),
            ("\"mobileNo\": \"07700 900123\"", "07700 900123"),
            (
                "ＴＥＬ：０２０ ７９４６ ０９５８",
                "０２０ ７９４６ ０９５８",
            ),
        ];
        for (text, span) in cases {
            expect_only(text, "phone", span);
        }
    }

    #[test]
    fn numbers_no_phone_names_stay() {
        expect_none(&[
            // No name, or another name, before them (a North American
            // number in its own shape is taken anywhere: `north_american`).
            "order 0755-8888-8888 shipped",
            "ticket (010) 6234 5678",
            "order 415 555 2671 shipped",
            "the phone model 1234567 is sold out",
            "hotel 020 7946 0958",
            "订单号 010-62345678",
            // A business's line: `call` alone names no person's number.
            "Call 415-555-0132 for US support",
            "call us on 0800 123 4567",
            "contact us on 0800 123 4567",
            // Too few or too many digits, or part of something longer.
            "phone: 555-267",
            "call 911",
            "phone: 1234567890123456",
            "tel 555-2671/33",
            "tel 5552671A",
            "tel 12-34-56-78-90-12-34",
            // A date, an address, a decimal, a version.
            "call on 2024-03-12 at noon",
            "phone 12.03.2024",
            "phone revenue 1234567.89",
            "mobile: 1234567.89",
            // An area code's bracket that never closes.
            "phone (415 555-2671",
        ]);
        // An address after a phone's name is the address it is.
        expect_only("tel 192.168.100.200", "ipv4", "192.168.100.200");
    }

    #[test]
    fn columns_named_for_a_phone() {
        let cases = [
            ("name,phone\nLi Wei,020 7946 0958\n", "020 7946 0958"),
            (
                "| Name | Mobile No. |\n|---|---|\n| Li Wei | (415) 555-2671 |",
                "(415) 555-2671",
            ),
            (
                "INSERT INTO contacts (name, tel) VALUES ('Li Wei', '010-62345678');",
                "010-62345678",
            ),
            (
                "<table><tr><th>Name</th><th>联系电话</th></tr><tr><td>Li</td><td>0755-8888 8888</td></tr></table>",
                "0755-8888 8888",
            ),
        ];
        for (text, span) in cases {
            expect_only(text, "phone", span);
        }
        // A column of order numbers keeps its numbers.
        expect_none(&["name,order\nLi Wei,020 7946 0958\n"]);
    }

    #[test]
    fn keys_that_name_a_phone() {
        for key in [
            "phone",
            "Phone",
            "telephone",
            "tel",
            "Tel.",
            "contactPhone",
            "contact_phone",
            "phone_number",
            "phoneNumber",
            "mobileNo",
            "MOBILE_NO",
            "fax",
            "home-phone",
            "电话",
            "联系电话",
            "手机号",
            "手机号码",
            "電話番号",
            "전화번호",
        ] {
            assert!(is_phone_key(key), "{key}");
        }
        for key in [
            "hotel",
            "mobile_app_version",
            "phone_model",
            "phoneCount",
            "telemetry",
            "total",
            "microphone",
            "smartphone",
            "tool_call",
            "function_call",
            "订单号",
            "",
        ] {
            assert!(!is_phone_key(key), "{key}");
        }
    }

    #[test]
    fn whole_values() {
        for value in [
            "020 7946 0958",
            "(415) 555-2671",
            "+44 20 7946 0958",
            "4155552671",
            "010-62345678",
        ] {
            assert!(is_value(value.as_bytes()), "{value}");
        }
        for value in [
            "",
            "555-267",
            "unknown",
            "2024-03-12",
            "+",
            "020 7946 0958 ext 12",
            "(415",
        ] {
            assert!(!is_value(value.as_bytes()), "{value}");
        }
    }
}
