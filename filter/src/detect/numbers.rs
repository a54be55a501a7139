//! Numbers: PRC mobiles, resident IDs and all-digit credit codes, US SSNs, payment
//! cards and IPv4 addresses, all read from one parse of a run of digit groups; and
//! international phone numbers, which start at their `+`.
//!
//! A run starts at a digit that no ASCII letter or digit precedes (CJK text may:
//! `手机号13812345678谢谢`). It is a list of digit groups joined by one space, dash
//! or dot each (`4111 1111-1111.1111`); a group may end in the `X` check character
//! of a resident ID. Candidates are the run's first 1..=n groups, longest first, and
//! each kind accepts only its own group shapes. A candidate never touches more
//! digits: a dash or dot joining it to further digits, on either side, rules it out
//! (`1.2.3.4.5`, `123-45-6789-0`, `2024-13812345678`); a space does not, so
//! `138 1234 5678 139 8765 4321` holds two phones.

use super::bytes::{at, before, is, is_digit, run_end, ALNUM, DIGIT};
use super::category::{Category, Enabled};
use super::checks;
use super::north_american::plan_code;

/// No candidate has more groups than this (`0086 138 1234 5678` has 4).
const MAX_GROUPS: usize = 8;
/// Nor more digits than this (a 19-digit card).
const MAX_DIGITS: usize = 19;

#[derive(Clone, Copy, Default)]
struct Group {
    start: usize,
    end: usize,
    /// Whether the group ends in an `X` check character (counted in `end`).
    x: bool,
    /// The separator before the group; 0 for the first.
    sep: u8,
}

impl Group {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

struct Run {
    groups: [Group; MAX_GROUPS],
    n: usize,
    /// The separator joining the last parsed group to digits beyond the run
    /// (a group too long, glued to letters, or past the limits); 0 if none.
    after: u8,
}

fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.')
}

/// A dash or dot ties digits into one longer number; a space does not.
fn joins(sep: u8) -> bool {
    sep == b'-' || sep == b'.'
}

fn parse_run(t: &[u8], start: usize) -> Run {
    let mut run = Run {
        groups: [Group::default(); MAX_GROUPS],
        n: 0,
        after: 0,
    };
    let mut pos = start;
    let mut sep = 0;
    let mut digits = 0;
    loop {
        // Count at most one digit past the limit: a longer group is no use.
        let mut end = pos;
        while is_digit(at(t, end)) && end - pos <= MAX_DIGITS {
            end += 1;
        }
        let mut x = false;
        if (at(t, end) | 0x20) == b'x' && !is(t, end + 1, ALNUM) {
            end += 1;
            x = true;
        }
        let group = Group {
            start: pos,
            end,
            x,
            sep,
        };
        digits += group.len();
        let Some(slot) = run.groups.get_mut(run.n) else {
            run.after = sep;
            return run;
        };
        if is(t, end, ALNUM) || digits > MAX_DIGITS {
            run.after = sep;
            return run;
        }
        *slot = group;
        run.n += 1;
        let next = at(t, end);
        if x || !is_separator(next) || !is_digit(at(t, end + 1)) {
            return run;
        }
        sep = next;
        pos = end + 1;
    }
}

/// The digits of the groups, concatenated (at most [`MAX_DIGITS`]).
fn concat(t: &[u8], groups: &[Group]) -> ([u8; MAX_DIGITS], usize) {
    let mut buf = [0u8; MAX_DIGITS];
    let mut len = 0;
    for g in groups {
        for &b in t.get(g.start..g.end).unwrap_or_default() {
            if let Some(slot) = buf.get_mut(len) {
                *slot = b;
                len += 1;
            }
        }
    }
    (buf, len)
}

fn shape(groups: &[Group], lens: &[usize]) -> bool {
    groups.len() == lens.len() && groups.iter().zip(lens).all(|(g, &l)| g.len() == l)
}

/// Scans the run starting at the digit `start`. Returns the end of the finding
/// pushed, if any.
pub(crate) fn scan_run(
    t: &[u8],
    start: usize,
    on: Enabled,
    out: &mut Vec<(usize, usize, Category)>,
) -> Option<usize> {
    let lead = before(t, start);
    if joins(lead) && is_digit(before(t, start - 1)) {
        return None;
    }
    // Cheap exit for lists of small numbers (`1 2 3`, `12 34`): a first group of
    // one or two digits only starts an IPv4 address or a `86` country code.
    let first = run_end(t, start, DIGIT) - start;
    if first <= 2 && at(t, start + first) != b'.' && t.get(start..start + first) != Some(b"86") {
        return None;
    }
    // And a lone number shorter than any candidate (`2024`, `$210`) is no run.
    let continues = is_separator(at(t, start + first)) && is_digit(at(t, start + first + 1));
    if first < 9 && !continues && (at(t, start + first) | 0x20) != b'x' {
        return None;
    }
    let run = parse_run(t, start);
    for m in (1..=run.n).rev() {
        let after = run
            .groups
            .get(m)
            .filter(|_| m < run.n)
            .map_or(run.after, |g| g.sep);
        if joins(after) {
            continue;
        }
        let Some(groups) = run.groups.get(..m) else {
            continue;
        };
        let len: usize = groups.iter().map(Group::len).sum();
        // The shortest candidates: a 9-digit SSN, a 4-group IPv4 address.
        if len < 9 && m != 4 {
            continue;
        }
        let (buf, len) = concat(t, groups);
        let digits = buf.get(..len).unwrap_or_default();
        let end = groups.last().map_or(start, |g| g.end);
        if let Some((from, category)) = classify(t, start, groups, digits, on) {
            out.push((from, end, category));
            return Some(end);
        }
    }
    None
}

fn classify(
    t: &[u8],
    start: usize,
    groups: &[Group],
    digits: &[u8],
    on: Enabled,
) -> Option<(usize, Category)> {
    // Only a resident ID or a credit code may end in X, and only in its last group.
    let x_at_end = groups.last().is_some_and(|g| g.x);
    if groups.iter().rev().skip(1).any(|g| g.x) {
        return None;
    }
    if on.has(&Category::CnResidentId)
        && (shape(groups, &[18]) || shape(groups, &[6, 8, 4]))
        && checks::resident_id(digits)
    {
        return Some((start, Category::CnResidentId));
    }
    if on.has(&Category::CnCreditCode) && shape(groups, &[18]) && checks::credit_code(digits) {
        return Some((start, Category::CnCreditCode));
    }
    if x_at_end {
        return None;
    }
    if on.has(&Category::PaymentCard)
        && (groups.len() == 1 || groups.iter().all(|g| g.len() >= 3))
        && checks::payment_card(digits)
    {
        return Some((start, Category::PaymentCard));
    }
    if on.has(&Category::Phone) {
        if let Some(from) = prc_mobile(t, start, groups, digits) {
            return Some((from, Category::Phone));
        }
    }
    if on.has(&Category::UsSsn) && ssn(t, start, groups, digits) {
        return Some((start, Category::UsSsn));
    }
    if on.has(&Category::Ipv4)
        && groups.len() == 4
        && groups.iter().skip(1).all(|g| g.sep == b'.')
        && groups
            .iter()
            .all(|g| checks::ipv4_octet(t.get(g.start..g.end).unwrap_or_default()))
    {
        return Some((start, Category::Ipv4));
    }
    None
}

/// A PRC mobile: `1[3-9]` and 9 digits, written whole or in two or three groups
/// of at least three digits (3-4-4, 3-8, and 7-4 once a zero-width character is
/// gone), optionally after a `+86`, `86` or `0086` group, or with `+86` / `0086`
/// run into it. Returns where the finding starts (at the `+` when there is one).
fn prc_mobile(t: &[u8], start: usize, groups: &[Group], digits: &[u8]) -> Option<usize> {
    let plus = before(t, start) == b'+';
    let from = if plus { start - 1 } else { start };
    // Only the groupings people write: other splits of eleven digits are
    // more often the tail of a longer grouped number (`6218 7557 1676 4057 668`).
    let mobile = |groups: &[Group], digits: &[u8]| {
        [&[11][..], &[3, 4, 4], &[3, 8], &[7, 4]]
            .iter()
            .any(|lens| shape(groups, lens))
            && digits.len() == 11
            && matches!(digits, [b'1', b'3'..=b'9', ..])
    };
    if mobile(groups, digits) {
        return Some(from);
    }
    // A country code in its own group.
    if let (Some(first), Some(rest)) = (groups.first(), groups.get(1..)) {
        let code = t.get(first.start..first.end).unwrap_or_default();
        if (code == b"86" || (code == b"0086" && !plus)) && mobile(rest, digits.get(code.len()..)?)
        {
            return Some(from);
        }
    }
    // A country code run into the number: +8613812345678, 008613812345678.
    let whole = |len| groups.len() == 1 && digits.len() == len;
    let rest = if plus && whole(13) && digits.starts_with(b"86") {
        digits.get(2..)
    } else if !plus && whole(15) && digits.starts_with(b"0086") {
        digits.get(4..)
    } else {
        None
    }?;
    matches!(rest, [b'1', b'3'..=b'9', ..]).then_some(from)
}

/// `AAA-GG-SSSS` with dashes or spaces; a bare 9-digit number only right after
/// words that name it ("SSN", "social security"), since nine digits alone are
/// more often something else.
fn ssn(t: &[u8], start: usize, groups: &[Group], digits: &[u8]) -> bool {
    let written = match groups {
        [_, g2, g3] => shape(groups, &[3, 2, 4]) && g2.sep == g3.sep && g2.sep != b'.',
        [_] => digits.len() == 9 && named_before(t, start),
        _ => false,
    };
    let (Some(area), Some(group), Some(serial)) =
        (digits.get(..3), digits.get(3..5), digits.get(5..))
    else {
        return false;
    };
    written && checks::ssn(area, group, serial)
}

/// Whether "ssn" or "social security" appears shortly before `start`.
fn named_before(t: &[u8], start: usize) -> bool {
    const WINDOW: usize = 32;
    let window = t
        .get(start.saturating_sub(WINDOW)..start)
        .unwrap_or_default();
    [&b"ssn"[..], b"social security"].iter().any(|name| {
        window
            .windows(name.len())
            .any(|w| w.eq_ignore_ascii_case(name))
    })
}

/// An international number written with its `+` country code: `+44 20 7946 0958`,
/// `+1 (415) 555-0132`, `+14155550132`. 8 to 15 digits in groups joined by one
/// space, dash or dot, one group possibly in parentheses. `plus` is at the `+`.
pub(crate) fn international_phone(t: &[u8], plus: usize) -> Option<usize> {
    const MAX: usize = 15;
    if is(t, plus.wrapping_sub(1), ALNUM) || !is(t, plus + 1, DIGIT) || at(t, plus + 1) == b'0' {
        return None;
    }
    let mut pos = plus + 1;
    let mut digits = 0;
    let mut end = pos;
    let mut parenthesised = false;
    loop {
        // One group: digits, or digits in parentheses.
        let (group_end, group_digits) = if at(t, pos) == b'(' {
            parenthesised = true;
            let close = run_end(t, pos + 1, DIGIT);
            (close + 1, close - pos - 1)
        } else {
            let e = run_end(t, pos, DIGIT);
            (e, e - pos)
        };
        // A group that would make the number too long belongs to what follows
        // (`+44 20 7946 0958 4111...`); a first group that long is no phone.
        if digits + group_digits > MAX {
            if digits == 0 {
                return None;
            }
            break;
        }
        digits += group_digits;
        end = group_end;
        let next = if is_separator(at(t, end)) {
            end + 1
        } else {
            end
        };
        let paren_next = !parenthesised
            && at(t, next) == b'('
            && is(t, next + 1, DIGIT)
            && at(t, run_end(t, next + 1, DIGIT)) == b')';
        if !is_digit(at(t, next)) && !paren_next {
            break;
        }
        pos = next;
    }
    (digits >= 8 && !is(t, end, ALNUM) && (at(t, plus + 1) != b'1' || north_american(t, plus, end)))
        .then_some(end)
}

/// Whether the number `+1...` at `plus..end` is North American, as every
/// number of country code 1 is: ten digits after the 1, its area code and
/// exchange in the plan's shape (`north_american`). A `+` before other
/// digits is often no phone's: a sign (`offset: +1065353216`), or a space in
/// a URL's query.
fn north_american(t: &[u8], plus: usize, end: usize) -> bool {
    let mut digits = [0u8; 11];
    let mut n = 0;
    for &b in t.get(plus + 1..end).unwrap_or_default() {
        if b.is_ascii_digit() {
            match digits.get_mut(n) {
                Some(slot) => *slot = b,
                None => return false,
            }
            n += 1;
        }
    }
    n == 11
        && plan_code(digits.get(1..4).unwrap_or_default())
        && plan_code(digits.get(4..7).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use crate::detect::testing::{
        card, credit_code_digits, expect_none, expect_only, find, resident_id,
    };

    #[test]
    fn prc_mobiles() {
        let cases = [
            ("13812345678", "13812345678"),
            ("我的手机号13812345678谢谢", "13812345678"),
            ("call 138 1234 5678 now", "138 1234 5678"),
            ("call 138-1234-5678.", "138-1234-5678"),
            ("call 138 12345678", "138 12345678"),
            ("+86 138 1234 5678", "+86 138 1234 5678"),
            ("+86-13812345678", "+86-13812345678"),
            ("86-138-1234-5678", "86-138-1234-5678"),
            ("0086 13812345678", "0086 13812345678"),
            ("+8613812345678", "+8613812345678"),
            ("008613812345678", "008613812345678"),
            ("电话：１３８１２３４５６７８", "１３８１２３４５６７８"),
            (
                "号码138\u{200B}1234\u{200B}5678。",
                "138\u{200B}1234\u{200B}5678",
            ),
            ("(+86) 19912345678", "19912345678"),
            ("tel:15012345678,", "15012345678"),
        ];
        for (text, span) in cases {
            expect_only(text, "phone", span);
        }
        let two = find("138 1234 5678 139 8765 4321");
        assert_eq!(two.len(), 2, "{two:?}");
    }

    #[test]
    fn international_phones() {
        let cases = [
            ("ring +44 20 7946 0958 today", "+44 20 7946 0958"),
            ("+1 (415) 555-0132", "+1 (415) 555-0132"),
            ("+1(415)555-0132", "+1(415)555-0132"),
            ("+14155550132", "+14155550132"),
            ("+49 30 901820", "+49 30 901820"),
            ("联系+33 1 42 68 53 00谢谢", "+33 1 42 68 53 00"),
        ];
        for (text, span) in cases {
            expect_only(text, "phone", span);
        }
        // A number right after it is not swallowed.
        let visa = card("4", 16);
        let found = find(&format!("+44 20 7946 0958 {visa}"));
        assert_eq!(
            found,
            [
                ("phone".to_string(), "+44 20 7946 0958".to_string()),
                ("payment_card".to_string(), visa)
            ]
        );
        let cases = [("+1 415 555 0132", "+1 415 555 0132")];
        for (text, span) in cases {
            expect_only(text, "phone", span);
        }
    }

    #[test]
    fn phone_lookalikes() {
        expect_none(&[
            "813812345678",
            "1381234567",
            "12812345678",
            "x13812345678",
            "13812345678x",
            "order 2024-13812345678",
            "v1.13812345678",
            "1732600000",
            "1732600000000",
            "+1234567",
            "UTC+08:00",
            "a+12345678",
            "+0 123 456 789",
            // Country code 1 takes ten digits, area code and exchange from 2.
            "offset: +1065353216",
            "value=+1065353216",
            "+1 415 555 01",
            "+1 (155) 555-0132",
            "+1 415 155 0132",
            "138-1234-5678-9",
            "8613812345678",
            // Tails of longer grouped numbers.
            "6218 7557 1676 4057 668",
            "3797 138393 32188",
            "FR76 0211 4465 0030 1792 1281 850",
        ]);
    }

    #[test]
    fn resident_ids() {
        let id = resident_id("110105", "19900307", "123");
        let x = resident_id("110105", "19491231", "002");
        assert!(x.ends_with('X'));
        let spaced = format!("{} {} {}", &id[..6], &id[6..14], &id[14..]);
        let full_width: String = id
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap_or(c))
            .collect();
        let cases = [
            (id.clone(), id.clone()),
            (format!("身份证号{id}。"), id.clone()),
            (x.clone(), x.clone()),
            (x.to_lowercase(), x.to_lowercase()),
            (format!("ID: {spaced}"), spaced.clone()),
            (full_width.clone(), full_width.clone()),
            (
                format!("号{}\u{200B}{}号", &id[..9], &id[9..]),
                format!("{}\u{200B}{}", &id[..9], &id[9..]),
            ),
        ];
        for (text, span) in &cases {
            expect_only(text, "cn_resident_id", span);
        }
        // Wrong check character, impossible date, unknown province, inside a longer run.
        let mut wrong = id.clone().into_bytes();
        wrong[17] = if wrong[17] == b'0' { b'1' } else { b'0' };
        let wrong = String::from_utf8(wrong).unwrap();
        let bad_date = "110105199002301231".to_string();
        expect_none(&[
            &wrong,
            &bad_date,
            &format!("9{}", &id[1..]),
            &format!("1{id}"),
            &format!("{id}1"),
        ]);
    }

    #[test]
    fn numeric_credit_codes() {
        let code = credit_code_digits();
        expect_only(
            &format!("统一社会信用代码{code}。"),
            "cn_credit_code",
            &code,
        );
        let hidden = format!("{}\u{200B}{}", &code[..9], &code[9..]);
        expect_only(&format!("代码：{hidden}"), "cn_credit_code", &hidden);
        // An all-digit code that is also a valid resident ID reads as the ID.
        let id = resident_id("110105", "19491231", "003");
        if !id.ends_with('X') {
            expect_only(&id, "cn_resident_id", &id);
        }
    }

    #[test]
    fn cards() {
        let visa = card("4", 16);
        let grouped = format!(
            "{} {} {} {}",
            &visa[..4],
            &visa[4..8],
            &visa[8..12],
            &visa[12..]
        );
        let mixed = format!(
            "{} {}-{}.{}",
            &visa[..4],
            &visa[4..8],
            &visa[8..12],
            &visa[12..]
        );
        let amex = card("37", 15);
        let amex_grouped = format!("{}-{}-{}", &amex[..4], &amex[4..10], &amex[10..]);
        let cases = vec![
            (visa.clone(), visa.clone()),
            (format!("卡号{visa}谢谢"), visa.clone()),
            (format!("card: {grouped}."), grouped.clone()),
            (mixed.clone(), mixed.clone()),
            (amex_grouped.clone(), amex_grouped.clone()),
            (card("4", 13), card("4", 13)),
            (card("4", 19), card("4", 19)),
            (card("53", 16), card("53", 16)),
            (card("2720", 16), card("2720", 16)),
            (card("62", 16), card("62", 16)),
            (card("62", 19), card("62", 19)),
            (card("3528", 17), card("3528", 17)),
            (card("6011", 16), card("6011", 16)),
            (card("65", 18), card("65", 18)),
            (
                "４１１１　１１１１　１１１１　１１１１".to_string(),
                "４１１１　１１１１　１１１１　１１１１".to_string(),
            ),
            (
                "4111\u{200B}1111\u{200C}1111\u{FEFF}1111".to_string(),
                "4111\u{200B}1111\u{200C}1111\u{FEFF}1111".to_string(),
            ),
            (format!("{grouped} 2024"), grouped.clone()),
        ];
        for (text, span) in &cases {
            expect_only(text, "payment_card", span);
        }
        let mut bad = visa.clone().into_bytes();
        bad[15] = b'0' + (bad[15] - b'0' + 1) % 10;
        let bad = String::from_utf8(bad).unwrap();
        expect_none(&[
            &bad,
            &card("4", 15),
            &card("37", 16),
            &card("99", 16),
            &format!("x{visa}"),
            &format!("{visa}9"),
            &format!("{visa}.5"),
            "41 11 11 11 11 11 11 11",
        ]);
    }

    #[test]
    fn ssns() {
        let cases = [
            ("SSN 123-45-6789", "123-45-6789"),
            ("123 45 6789", "123 45 6789"),
            ("my ssn: 123456789", "123456789"),
            ("Social Security number 123456789", "123456789"),
            ("社保号123-45-6789。", "123-45-6789"),
            ("ＳＳＮ １２３－４５－６７８９", "１２３－４５－６７８９"),
            ("SSN 123-4\u{200B}5-6789", "123-4\u{200B}5-6789"),
        ];
        for (text, span) in cases {
            expect_only(text, "us_ssn", span);
        }
        expect_none(&[
            "123456789",
            "000-45-6789",
            "666-45-6789",
            "900-45-6789",
            "123-00-6789",
            "123-45-0000",
            "123-45 6789",
            "123.45.6789",
            "123-45-6789-0",
            "415-555-0132",
        ]);
    }

    #[test]
    fn ipv4s() {
        let cases = [
            ("host 192.168.1.1 up", "192.168.1.1"),
            ("10.0.0.1.", "10.0.0.1"),
            ("服务器10.0.0.1上", "10.0.0.1"),
            ("http://172.16.0.5:8080/", "172.16.0.5"),
            ("１９２．１６８．１．１", "１９２．１６８．１．１"),
            ("db:10.1.2.3", "10.1.2.3"),
        ];
        for (text, span) in cases {
            expect_only(text, "ipv4", span);
        }
        expect_none(&[
            "1.2.3.4.5",
            "version 1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "v1.2.3.4",
            "3.14",
        ]);
    }

    #[test]
    fn number_lookalikes() {
        expect_none(&[
            "order 20240115123456",
            "tracking 1Z999AA10123456784",
            "ts 1732600000 and 1732600000123",
            "uuid 550e8400-e29b-41d4-a716-446655440000",
            "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
            "version 12.4.1",
            "price $1,234.56 or 1 234 567,89",
            "date 2024-01-15 and 15.01.2024 and 2024/01/15",
            "time 12:30:45",
            "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
        ]);
    }
}
