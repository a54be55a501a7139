//! Eight bytes at a time in a `u64` ("SIMD within a register"): the form
//! [`crate::chunks`]' lanes take where there are no vector instructions
//! (native builds, and a `.wasm` built without SIMD). Each mask has the high
//! bit of a byte set exactly when that byte matches; no carry or borrow
//! crosses from one byte into the next.

const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
pub(crate) const HIGH: u64 = ONES * 0x80;
const LOW7: u64 = ONES * 0x7F;

/// The bytes of `x` in `from..to`, both at most 0x80 (ASCII ranges).
pub(crate) fn in_range(x: u64, from: u8, to: u8) -> u64 {
    // Added to a byte below 0x80, these set its high bit exactly when the
    // byte is at least `from`, and at least `to`; no sum carries.
    let at_least_from = ONES * u64::from(0x80 - from.min(0x80));
    let at_least_to = ONES * u64::from(0x80 - to.min(0x80));
    let low = x & !HIGH;
    (low + at_least_from) & !(low + at_least_to) & !x & HIGH
}

/// The bytes of `x` equal to `b`.
pub(crate) fn equal(x: u64, b: u8) -> u64 {
    let v = x ^ (ONES * u64::from(b));
    !(((v & LOW7) + LOW7) | v) & HIGH
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The mask a byte loop computes.
    fn by_byte(x: u64, matches: impl Fn(u8) -> bool) -> u64 {
        x.to_le_bytes()
            .iter()
            .enumerate()
            .filter(|(_, &b)| matches(b))
            .fold(0, |mask, (i, _)| mask | 0x80 << (8 * i))
    }

    #[test]
    fn masks_are_what_a_byte_loop_finds() {
        // Words made of edge bytes, so that borrows and carries would show.
        let edges = [
            0x00, 0x01, 0x1F, 0x20, 0x2F, 0x30, 0x39, 0x3A, 0x40, 0x5B, 0x60, 0x61, 0x7A, 0x7B,
            0x7F, 0x80, 0x81, 0xBF, 0xE4, 0xFF,
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let bytes: [u8; 8] =
                std::array::from_fn(|i| edges[((seed >> (8 * i)) % edges.len() as u64) as usize]);
            let x = u64::from_le_bytes(bytes);
            for (from, to) in [(0, 0x20), (b'0', b':'), (b'a', b'{'), (0, 0x80)] {
                assert_eq!(
                    in_range(x, from, to),
                    by_byte(x, |b| (from..to).contains(&b)),
                    "{bytes:x?} in {from:#x}..{to:#x}"
                );
            }
            for b in [b' ', b'"', b'\\', b'@', b'[', 0] {
                assert_eq!(equal(x, b), by_byte(x, |c| c == b), "{bytes:x?} = {b:#x}");
            }
        }
    }
}
