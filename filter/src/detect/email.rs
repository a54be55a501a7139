//! E-mail addresses, found from their `@`.
//!
//! From each `@` the scanner reads the local part leftwards and the domain
//! rightwards, each within its RFC length limit (64 and 253), so no byte is read
//! more than a bounded number of times however many `@` the text holds.
//!
//! Letters of the Latin, Greek and Cyrillic scripts beyond ASCII belong to an
//! address (`müller@bücher.de`, an internationalised address, or `ann@exаmple.com`
//! with a Cyrillic `а`): stopping at them left `mü` of the first before the
//! placeholder and the second whole. Chinese characters do not: Chinese text
//! runs on into an address without a space (`联系我zhang@example.cn谢谢`).

use super::bytes::{at, class, is, ALPHA, DIGIT, DOMAIN, LOCAL};

const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;

/// The span of the address around the `@` at `sign`, if there is one.
pub(crate) fn email(t: &[u8], sign: usize) -> Option<(usize, usize)> {
    let mut start = sign;
    loop {
        let step = if start > 0 && is(t, start - 1, LOCAL) {
            1
        } else if start > 1 && is_letter(at(t, start - 2), at(t, start - 1)) {
            2
        } else {
            break;
        };
        if sign - start >= MAX_LOCAL {
            return None;
        }
        start -= step;
    }
    while start < sign && at(t, start) == b'.' {
        start += 1;
    }
    if start == sign {
        return None;
    }
    let first = sign + 1;
    let mut end = first;
    loop {
        let step = if is(t, end, DOMAIN) {
            1
        } else if is_letter(at(t, end), at(t, end + 1)) {
            2
        } else {
            break;
        };
        if end - first >= MAX_DOMAIN {
            return None;
        }
        end += step;
    }
    // A sentence may end right after the address.
    while end > first && matches!(at(t, end - 1), b'.' | b'-') {
        end -= 1;
    }
    domain(t.get(first..end)?).then_some((start, end))
}

/// Whether `lead`, `next` encode a letter of U+00C0..U+052F (Latin-1 letters,
/// Latin Extended, combining marks, Greek, Cyrillic) other than `×` and `÷`.
fn is_letter(lead: u8, next: u8) -> bool {
    (0xC3..=0xD4).contains(&lead)
        && (0x80..=0xBF).contains(&next)
        && !(lead == 0xC3 && (next == 0x97 || next == 0xB7))
}

/// Whether `b` may be part of a label: an ASCII letter or digit, or a byte of
/// a letter [`is_letter`] let into the domain.
fn label_byte(b: u8) -> bool {
    class(b) & (ALPHA | DIGIT) != 0 || b >= 0x80
}

/// At least two labels of 1 to 63 letters, digits or inner dashes; a top-level
/// label of two or more letters (and inner dashes), or an internationalised
/// one in its ASCII form (`xn--fiqs8s`). No top-level domain has a digit otherwise, so a
/// password with an `@` in it (`P@ss.w0rd`) is not read as an address.
fn domain(d: &[u8]) -> bool {
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in d.split(|&b| b == b'.') {
        let edge_dash = label.first() == Some(&b'-') || label.last() == Some(&b'-');
        if label.is_empty() || label.len() > 63 || edge_dash {
            return false;
        }
        labels += 1;
        last = label;
    }
    // Inner dashes stay: `user@example.orgM-NOSPAM` is still an address.
    let letters = last
        .iter()
        .all(|&b| class(b) & ALPHA != 0 || b >= 0x80 || b == b'-');
    let punycode = last.len() > 4
        && last
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"xn--"))
        && last.iter().all(|&b| label_byte(b) || b == b'-');
    let tld_ok = last.len() >= 2 && (letters || punycode);
    labels >= 2 && tld_ok
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use crate::detect::testing::{expect_none, expect_only, find};

    #[test]
    fn addresses() {
        let cases = [
            ("alice@example.com", "alice@example.com"),
            (
                "mail john.doe+tag@mail.example.co.uk.",
                "john.doe+tag@mail.example.co.uk",
            ),
            ("<bob_smith@corp-mail.io>", "bob_smith@corp-mail.io"),
            ("联系我zhang.san@example.cn谢谢", "zhang.san@example.cn"),
            (
                "ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
                "ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            ),
            (
                "ali\u{200B}ce@exam\u{200B}ple.com",
                "ali\u{200B}ce@exam\u{200B}ple.com",
            ),
            ("mailto:x@y.org", "x@y.org"),
            (
                "<NcampObell@SdrPchip.AorgM-NOSPAM>",
                "NcampObell@SdrPchip.AorgM-NOSPAM",
            ),
            ("13812345678@163.com", "13812345678@163.com"),
            ("user@xn--fiqs8s.xn--fiqz9s", "user@xn--fiqs8s.xn--fiqz9s"),
            // Other alphabets' letters, in the local part and the domain.
            ("an müller@example.de.", "müller@example.de"),
            ("ann@bücher.de", "ann@bücher.de"),
            ("a: ann@ex\u{430}mple.com", "ann@ex\u{430}mple.com"),
            ("b: \u{430}nn@example.com", "\u{430}nn@example.com"),
            ("иван@пример.рф,", "иван@пример.рф"),
            ("«zoë@exämple.fr»", "zoë@exämple.fr"),
            ("josé.garcía@correo.es×", "josé.garcía@correo.es"),
        ];
        for (text, span) in cases {
            expect_only(text, "email", span);
        }
    }

    #[test]
    fn not_addresses() {
        expect_none(&[
            "@",
            "a@",
            "@example.com",
            "user@localhost",
            "user@example",
            "user@example.c",
            "user@1.2",
            "user@-example.com",
            "follow @someone on social media",
            "git@github",
            "name @ example dot com",
            "a@b.c×d",
            "user@例子.中国",
            "P@ss.w0rd and Adm1n@corp.c0m",
            "wasi:http/types@0.2.0-rc-2023-10-25 x:y/z@0.1.0-pre",
        ]);
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(find(&long_local).is_empty());
    }

    #[test]
    fn hostile_input_stays_linear() {
        let ats = "@".repeat(1 << 20);
        assert!(find(&ats).is_empty());
        let chained = "a@".repeat(1 << 19);
        assert!(find(&chained).is_empty());
        let many = "a@b.co ".repeat(10_000);
        assert_eq!(find(&many).len(), 10_000);
    }
}
