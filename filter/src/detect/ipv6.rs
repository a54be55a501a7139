//! IPv6 addresses: full, compressed with `::`, or ending in an IPv4 address.
//!
//! The scanner starts at a word of at most four hex digits followed by `:`, or at
//! a `::` that begins a word. It reads at most the 45 characters an address can
//! have, so the attempts from consecutive words of `1:1:1:...` stay linear.
//! Times (`12:30:45`) and MAC addresses have too few groups and no `::`. To keep
//! code out (`Add::add`, Python's `a[1::2]`), a compressed address needs a digit
//! and a group of three or more hex digits (or an IPv4 tail): `fe80::1` and
//! `2001:db8::1` pass, the loopback `::1` does not.

use super::bytes::{at, before, class, is, ALNUM, DIGIT, HEX};
use super::checks;

const MAX_LEN: usize = 45;

/// The end of the address that starts at `start`, if there is one.
pub(crate) fn ipv6(t: &[u8], start: usize) -> Option<usize> {
    if inside_address(t, start) || is(t, start.wrapping_sub(1), ALNUM) {
        return None;
    }
    let mut end = start;
    while is(t, end, HEX) || matches!(at(t, end), b':' | b'.') {
        if end - start >= MAX_LEN {
            return None;
        }
        end += 1;
    }
    if is(t, end, ALNUM) {
        return None;
    }
    while end > start && at(t, end - 1) == b'.' {
        end -= 1;
    }
    if at(t, end.wrapping_sub(1)) == b':' && at(t, end.wrapping_sub(2)) != b':' {
        end -= 1;
    }
    address(t.get(start..end)?).then_some(end)
}

/// Whether `start` continues an address begun earlier: it follows a `.`, or a
/// `:` that closes a group of hex digits or ends a `::`. A `:` after a word
/// (`ip:2001:db8::1`, `地址：2001:db8::1` once the full-width colon is folded)
/// does not make the address part of something longer.
fn inside_address(t: &[u8], start: usize) -> bool {
    match before(t, start) {
        b'.' => true,
        b':' => {
            let colon = start - 1;
            let word = (1..=5)
                .map(|k| colon.wrapping_sub(k))
                .find(|&s| !is(t, s, ALNUM))
                .map_or(0, |s| s.wrapping_add(1));
            let group = t.get(word..colon).is_some_and(|g| {
                (1..=4).contains(&g.len()) && g.iter().all(|&b| class(b) & HEX != 0)
            });
            group || before(t, colon) == b':'
        }
        _ => false,
    }
}

fn address(text: &[u8]) -> bool {
    let (head, tail) = match text.windows(2).position(|w| w == b"::") {
        Some(p) => (text.get(..p), text.get(p + 2..)),
        None => (Some(text), None),
    };
    let Some(head) = head else { return false };
    let compressed = tail.is_some();
    let tail = tail.unwrap_or_default();
    let mut groups = 0;
    let mut long_group = false;
    let mut digit = false;
    let mut v4 = false;
    let parts = [head, tail];
    let mut pieces = parts
        .iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| p.split(|&b| b == b':'))
        .peekable();
    while let Some(g) = pieces.next() {
        if g.contains(&b'.') {
            // An IPv4 tail, last and counting as two groups.
            if pieces.peek().is_some() || !checks::ipv4(g) {
                return false;
            }
            groups += 2;
            v4 = true;
        } else {
            if g.is_empty() || g.len() > 4 || !g.iter().all(|&b| class(b) & HEX != 0) {
                return false;
            }
            groups += 1;
            long_group |= g.len() >= 3;
            digit |= g.iter().any(|&b| class(b) & DIGIT != 0);
        }
    }
    // A head with an IPv4 tail leaves no room for the part after `::`.
    if compressed && v4 && !tail.contains(&b'.') {
        return false;
    }
    if compressed {
        groups <= 7 && (v4 || (digit && long_group))
    } else {
        groups == 8
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
    use crate::detect::testing::{expect_none, expect_only, find};

    #[test]
    fn addresses() {
        let cases = [
            (
                "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
                "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            ),
            ("host 2001:db8::1 up", "2001:db8::1"),
            ("fe80::1ff:fe23:4567:890a.", "fe80::1ff:fe23:4567:890a"),
            ("[2001:db8::8a2e:370:7334]:443", "2001:db8::8a2e:370:7334"),
            ("::ffff:192.168.1.1", "::ffff:192.168.1.1"),
            ("地址2001:db8::ff00:42:8329。", "2001:db8::ff00:42:8329"),
            ("2001:db8::", "2001:db8::"),
            ("ip: fe80::1", "fe80::1"),
            ("２００１：ｄｂ８：：１", "２００１：ｄｂ８：：１"),
            ("2001:db8:\u{200B}:1", "2001:db8:\u{200B}:1"),
            // After a label's colon, ASCII or full-width.
            ("ip:2001:db8::1", "2001:db8::1"),
            ("IPv6地址：2408:8207:6c27::2a47。", "2408:8207:6c27::2a47"),
        ];
        for (text, span) in cases {
            expect_only(text, "ipv6", span);
        }
    }

    #[test]
    fn not_addresses() {
        expect_none(&[
            "12:30:45",
            "at 12:30 today",
            "00:1A:2B:3C:4D:5E",
            "std::vector",
            "Add::add(a, b)",
            "a[1::2]",
            "a[::2]",
            "::1",
            "1:2:3:4:5:6:7:8:9",
            "2001:db8::1::2",
            "2001:db8::1g",
            "fe80:::1",
            "a:2001:db8::1:2:3:4:5:6:7",
        ]);
    }

    #[test]
    fn colons_stay_linear() {
        let text = "1:".repeat(1 << 19);
        assert!(find(&text).is_empty());
    }
}
