//! North American phone numbers in the shape only they have, named or not.
//!
//! Most national numbers are known by the name before them (`phones`): `020
//! 7946 0958` is as much an order's number as a line. A number written the
//! North American way is not: `(415) 555-2671`, `415-555-2671`,
//! `415.555.2671`, `1-415-555-2671`, its area code and exchange each three
//! digits starting 2 to 9 (the numbering plan's rule), then four. Customer
//! notes carry them bare (`Customer John Smith, 415-555-2671, complained`),
//! so they are taken wherever they stand.
//!
//! Left alone: the numbers that are no one's line: toll-free area codes
//! (`1-800-...`, a business's), `N11` service codes and the `N00` codes of
//! no place (China's `400` hotlines are written alike), the exchange 555's
//! `0100`-`0199` kept for fiction (`Call 415-555-0132 for support`); shapes
//! that are not the plan's (`123-456-7890`, a first digit 0 or 1; `415 555
//! 2671`, spaces only, as any grouped number is written); and any part of
//! something longer (`2024-415-555-2671`, `415-555-2671-9`, `415-555-2671x`).

use super::bytes::{at, before, is, ALNUM, DIGIT};

/// Toll-free area codes: a business's line, never a person's.
const TOLL_FREE: [&[u8; 3]; 7] = [b"800", b"833", b"844", b"855", b"866", b"877", b"888"];

/// The North American number that the digit at `digit` (the first of its
/// word) starts, its trunk `1` or its area code's, perhaps after the area
/// code's bracket: its span, from the bracket.
pub(crate) fn north_american(t: &[u8], digit: usize) -> Option<(usize, usize)> {
    let mut i = digit;
    // A trunk prefix: `1-415-...`, `1 (415) ...`.
    if at(t, i) == b'1'
        && matches!(at(t, i + 1), b'-' | b' ' | b'.')
        && (is(t, i + 2, DIGIT) || at(t, i + 2) == b'(')
    {
        i += 2;
    }
    let mut start = digit;
    let bracketed = if at(t, i) == b'(' {
        i += 1;
        true
    } else if i == digit && before(t, digit) == b'(' {
        start = digit - 1;
        true
    } else {
        false
    };
    let area = plan_group(t, i)?;
    i += 3;
    // After `(415)` a space or nothing, and either joint between the
    // exchange and the line; else the joint after the area code, the same
    // after the exchange.
    let joint = if bracketed {
        if at(t, i) != b')' {
            return None;
        }
        i += 1;
        if at(t, i) == b' ' {
            i += 1;
        }
        None
    } else {
        let joint = at(t, i);
        if !matches!(joint, b'-' | b'.') {
            return None;
        }
        i += 1;
        Some(joint)
    };
    let exchange = plan_group(t, i)?;
    i += 3;
    let second = at(t, i);
    if !matches!(second, b'-' | b'.') || joint.is_some_and(|j| j != second) {
        return None;
    }
    i += 1;
    let line = t
        .get(i..i + 4)
        .filter(|l| l.iter().all(u8::is_ascii_digit))?;
    let end = i + 4;
    let longer_after = is(t, end, ALNUM) || (joins(at(t, end)) && is(t, end + 1, DIGIT));
    let longer_before = is(t, start.wrapping_sub(1), ALNUM)
        || before(t, start) == b'+'
        || (joins(before(t, start)) && is(t, start.wrapping_sub(2), DIGIT));
    // `N11` service codes; `N00`, codes of no place (and China's `400`
    // hotlines, written the same way: `400-612-3456`).
    let service = matches!(area.get(1..), Some(b"11" | b"00"));
    let toll_free = TOLL_FREE.iter().any(|code| code[..] == *area);
    let fiction = exchange == b"555" && line.starts_with(b"01");
    (!(longer_after || longer_before || service || toll_free || fiction)).then_some((start, end))
}

/// The three digits at `i` of an area code or an exchange, and no fourth.
fn plan_group(t: &[u8], i: usize) -> Option<&[u8]> {
    let group = t.get(i..i + 3)?;
    (plan_code(group) && !is(t, i + 3, DIGIT)).then_some(group)
}

/// Whether `group` is an area code's or an exchange's shape in the plan:
/// three digits, the first 2 to 9.
pub(crate) fn plan_code(group: &[u8]) -> bool {
    matches!(group, [b'2'..=b'9', b'0'..=b'9', b'0'..=b'9'])
}

/// A mark that ties digits on either side into one longer number.
fn joins(b: u8) -> bool {
    matches!(b, b'-' | b'.' | b'/')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::north_american;

    /// The number the scanner would take at the first digit of `text`'s
    /// first word with a digit.
    fn found(text: &str) -> Option<&str> {
        let t = text.as_bytes();
        let digit = (0..t.len())
            .find(|&i| t[i].is_ascii_digit() && (i == 0 || !t[i - 1].is_ascii_alphanumeric()))?;
        north_american(t, digit).map(|(s, e)| &text[s..e])
    }

    #[test]
    fn numbers_in_the_plan_s_shape_are_taken_bare() {
        let cases = [
            (
                "Customer John Smith, 415-555-2671, complained",
                "415-555-2671",
            ),
            ("reach him at (415) 555-2671.", "(415) 555-2671"),
            ("(415)555-2671", "(415)555-2671"),
            ("(415) 555.2671", "(415) 555.2671"),
            ("or 415.555.2671 after six", "415.555.2671"),
            ("dial 1-415-555-2671", "1-415-555-2671"),
            ("dial 1 (415) 555-2671", "1 (415) 555-2671"),
            ("1.212.736.5000", "1.212.736.5000"),
            ("Call 415-555-2671 now", "415-555-2671"),
            ("客户电话415-555-2671。", "415-555-2671"),
            ("\"212-736-5000\"", "212-736-5000"),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), Some(want), "{text}");
        }
    }

    #[test]
    fn other_shapes_and_no_one_s_lines_are_left() {
        let cases = [
            // Not the plan's shape.
            "123-456-7890",
            "415-155-2671",
            "015-555-2671",
            "415 555 2671",
            "415-555.2671",
            "415-5555-2671",
            "4155-555-2671",
            "415-555-267",
            "(415 555-2671",
            "(415) 555 2671",
            // Part of something longer.
            "2024-415-555-2671",
            "415-555-2671-9",
            "415-555-2671.5",
            "415-555-2671x",
            "A415-555-2671",
            "+1-415-555-2671",
            // No one's line: toll-free, service codes, fiction.
            "Call 1-800-555-2671 for support",
            "(888) 412-3456",
            "411-555-2671",
            "热线 400-612-3456",
            "(900) 555-2671",
            "Call 415-555-0132 for US support",
        ];
        for text in cases {
            assert_eq!(found(text), None, "{text}");
        }
    }
}
