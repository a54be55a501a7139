//! Byte classes for the hand-written scanners.
//!
//! Detection runs on the normalised text, where every character a detector cares
//! about is ASCII. The bytes of a non-ASCII character belong to no class, so CJK text
//! next to a number acts as a boundary, as punctuation would.

pub(crate) const DIGIT: u8 = 1;
pub(crate) const ALPHA: u8 = 1 << 1;
pub(crate) const ALNUM: u8 = DIGIT | ALPHA;
pub(crate) const HEX: u8 = 1 << 2;
/// base64url: letters, digits, `_` and `-` (the body of most tokens).
pub(crate) const TOKEN: u8 = 1 << 3;
/// The local part of an e-mail address, in the usual practical subset.
pub(crate) const LOCAL: u8 = 1 << 4;
/// A domain name: letters, digits, `.` and `-`.
pub(crate) const DOMAIN: u8 = 1 << 5;
pub(crate) const UPPER: u8 = 1 << 6;
/// Bytes other than digits that start a detector: `@`, `+` and `:`; `=`,
/// which with `:` follows a credential's name; `>`, which ends an XML start
/// tag (`<password>`); `-` and `_`, which follow the
/// first word of most secret prefixes (`sk-`, `ghp_`); `A` and `J`, which
/// begin `AKIA`, `ASIA`, `AIza` or end `eyJ`.
pub(crate) const TRIGGER: u8 = 1 << 7;
/// The bytes of [`TRIGGER`]: the class table and the scanner's sixteen-byte
/// search are both built from this list.
pub(crate) const TRIGGER_BYTES: [u8; 9] = [b'@', b'+', b':', b'=', b'>', b'-', b'_', b'A', b'J'];

static CLASSES: [u8; 256] = classes();

// Evaluated at compile time, where an out-of-range index is a build error.
#[allow(clippy::indexing_slicing)]
const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        if b.is_ascii_digit() {
            c |= DIGIT | HEX;
        }
        if b.is_ascii_alphabetic() {
            c |= ALPHA;
        }
        if b.is_ascii_uppercase() {
            c |= UPPER;
        }
        if matches!(b, b'a'..=b'f' | b'A'..=b'F') {
            c |= HEX;
        }
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            c |= TOKEN;
        }
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-') {
            c |= LOCAL;
        }
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
            c |= DOMAIN;
        }
        let mut k = 0;
        while k < TRIGGER_BYTES.len() {
            if b == TRIGGER_BYTES[k] {
                c |= TRIGGER;
            }
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

#[inline]
pub(crate) fn class(b: u8) -> u8 {
    CLASSES.get(usize::from(b)).copied().unwrap_or(0)
}

/// The byte at `i`, or 0 (which belongs to no class) outside the text; callers
/// look one or two bytes past either end without bounds arithmetic.
#[inline]
pub(crate) fn at(t: &[u8], i: usize) -> u8 {
    t.get(i).copied().unwrap_or(0)
}

/// The byte before `i`, or 0 at the start.
#[inline]
pub(crate) fn before(t: &[u8], i: usize) -> u8 {
    i.checked_sub(1).map_or(0, |p| at(t, p))
}

#[inline]
pub(crate) fn is(t: &[u8], i: usize, mask: u8) -> bool {
    class(at(t, i)) & mask != 0
}

#[inline]
pub(crate) fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// The end of the run of bytes in `mask` that starts at `i`.
#[inline]
pub(crate) fn run_end(t: &[u8], i: usize, mask: u8) -> usize {
    find(t, i, |c| c & mask == 0).unwrap_or(t.len().max(i))
}

/// The first position from `i` on whose byte class satisfies `hit`.
#[inline]
pub(crate) fn find(t: &[u8], i: usize, hit: impl Fn(u8) -> bool) -> Option<usize> {
    let rest = t.get(i..)?;
    rest.iter().position(|&b| hit(class(b))).map(|p| i + p)
}

pub(crate) fn starts_with(t: &[u8], i: usize, prefix: &[u8]) -> bool {
    i.checked_add(prefix.len())
        .and_then(|end| t.get(i..end))
        .is_some_and(|s| s == prefix)
}
