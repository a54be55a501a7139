//! Identifiers written as words of letters and digits: IBANs and credit codes
//! that hold a letter. (All-digit credit codes come through the number parser.)

use super::bytes::{at, is, ALNUM, ALPHA, DIGIT};
use super::checks;

/// The end of the IBAN that starts at the word `start`, written whole or in
/// groups of four separated by single spaces (`DE89 3704 0044 0532 0130 00`).
/// Only countries in the registry table count, at their exact length.
pub(crate) fn iban(t: &[u8], start: usize) -> Option<usize> {
    let shape = is(t, start, ALPHA)
        && is(t, start + 1, ALPHA)
        && is(t, start + 2, DIGIT)
        && is(t, start + 3, DIGIT);
    if !shape {
        return None;
    }
    let country = [
        at(t, start).to_ascii_uppercase(),
        at(t, start + 1).to_ascii_uppercase(),
    ];
    let len = checks::iban_length(country)?;
    let spaced = at(t, start + 4) == b' ';
    let mut chars = [0u8; 34];
    let mut pos = start;
    for (i, slot) in chars.iter_mut().take(len).enumerate() {
        if spaced && i > 0 && i % 4 == 0 {
            if at(t, pos) != b' ' {
                return None;
            }
            pos += 1;
        }
        if !is(t, pos, ALNUM) {
            return None;
        }
        *slot = at(t, pos);
        pos += 1;
    }
    if is(t, pos, ALNUM) {
        return None;
    }
    checks::iban(chars.get(..len)?).then_some(pos)
}

/// Whether the word `start..end` is a credit code with at least one letter.
pub(crate) fn credit_code(t: &[u8], start: usize, end: usize) -> bool {
    end - start == 18 && t.get(start..end).is_some_and(checks::credit_code)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use crate::detect::testing::{credit_code, expect_none, expect_only, iban};

    fn spaced(s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn ibans() {
        let de = iban("DE", "370400440532013000");
        let gb = iban("GB", "WEST12345698765432");
        let no = iban("NO", "86011117947");
        assert_eq!(gb, "GB82WEST12345698765432");
        let cases = [
            (de.clone(), de.clone()),
            (format!("IBAN: {}.", spaced(&de)), spaced(&de)),
            (format!("账号{gb}谢谢"), gb.clone()),
            (gb.to_lowercase(), gb.to_lowercase()),
            (no.clone(), no.clone()),
            (
                spaced(&gb).replace(' ', "\u{3000}"),
                spaced(&gb).replace(' ', "\u{3000}"),
            ),
            (
                format!("{}\u{200B}{}", &de[..6], &de[6..]),
                format!("{}\u{200B}{}", &de[..6], &de[6..]),
            ),
        ];
        for (text, span) in &cases {
            expect_only(text, "iban", span);
        }
        let mut wrong = de.clone().into_bytes();
        wrong[21] = if wrong[21] == b'0' { b'1' } else { b'0' };
        let wrong = String::from_utf8(wrong).unwrap();
        expect_none(&[
            &wrong,
            &format!("{de}0"),
            &format!("X{de}"),
            &de[..21],
            &iban("ZZ", "370400440532013000"),
            "AB12 CDEF",
            "DE89 37040044 0532013000",
        ]);
    }

    #[test]
    fn credit_codes_with_letters() {
        let code = credit_code("91350100M000100Y4");
        let cases = [
            (code.clone(), code.clone()),
            (format!("代码：{code}，"), code.clone()),
            (
                "91330100799655058B".to_string(),
                "91330100799655058B".to_string(),
            ),
            (
                "９１３３０１００７９９６５５０５８Ｂ".to_string(),
                "９１３３０１００７９９６５５０５８Ｂ".to_string(),
            ),
        ];
        for (text, span) in &cases {
            expect_only(text, "cn_credit_code", span);
        }
        let lower = code.to_lowercase();
        expect_none(&[&lower, &format!("{code}A"), &format!("9{}", &code[..17])]);
    }
}
