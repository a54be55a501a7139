//! Searches over sixteen bytes at a time: the loops that pass over every byte
//! of a request (where a detector may start, what a JSON string must escape,
//! which characters the normaliser folds, which rare bytes a text holds, runs
//! of lower-case words).
//!
//! A search is written once, as a test on [`Lanes`]: sixteen bytes compared
//! at once. In the `.wasm` (built with SIMD128, see `.cargo/config.toml`)
//! `Lanes` is a `v128` and each comparison one vector instruction; elsewhere,
//! in native tests and in a `.wasm` built without SIMD, it is two `u64` words
//! with the same operations ([`crate::swar`]), so the tests run the same search
//! code. (`host-tests/tests/wasm_matches_native.rs` holds the `.wasm` to the
//! native engine's results.)

/// Bytes in a chunk.
pub(crate) const WIDTH: usize = 16;

use lanes::Tally;
pub(crate) use lanes::{Lanes, Mask};

/// A set of bytes tested with two sixteen-entry tables, one looked up by a
/// byte's high nibble and one by its low nibble: each distinct high nibble of
/// the set has a bit, set in its entry of the first table and in the entries
/// of the second for the low nibbles it goes with, so a byte is in the set
/// exactly when its two entries share a bit. At most eight distinct high
/// nibbles; a set of scattered bytes (UTF-8 lead bytes) costs two lookups
/// instead of a comparison each.
#[derive(Clone, Copy)]
pub(crate) struct ByteSet {
    by_high: [u8; 16],
    by_low: [u8; 16],
}

impl ByteSet {
    // Built in constants only, so an index out of range would fail the build,
    // not trap; nibbles index sixteen entries anyway.
    #[allow(clippy::indexing_slicing)]
    pub(crate) const fn new(bytes: &[u8]) -> ByteSet {
        let mut set = ByteSet {
            by_high: [0; 16],
            by_low: [0; 16],
        };
        let mut bits_used = 0u32;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let (high, low) = ((b >> 4) as usize, (b & 15) as usize);
            if set.by_high[high] == 0 {
                assert!(bits_used < 8, "more than eight distinct high nibbles");
                set.by_high[high] = 1 << bits_used;
                bits_used += 1;
            }
            set.by_low[low] |= set.by_high[high];
            i += 1;
        }
        set
    }

    /// Whether `b` is in the set (the byte-at-a-time form of [`Lanes::among`]).
    pub(crate) fn has(&self, b: u8) -> bool {
        let high = self.by_high.get(usize::from(b >> 4)).copied().unwrap_or(0);
        let low = self.by_low.get(usize::from(b & 15)).copied().unwrap_or(0);
        high & low != 0
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32 as w;

    /// Sixteen bytes.
    #[derive(Clone, Copy)]
    pub(crate) struct Lanes(w::v128);

    /// Sixteen results of comparing them, each lane all ones or all zeros.
    #[derive(Clone, Copy)]
    pub(crate) struct Mask(w::v128);

    impl Lanes {
        #[inline(always)]
        pub(crate) fn load(chunk: &[u8; 16]) -> Lanes {
            let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = *chunk;
            Lanes(w::u8x16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p))
        }

        /// The bytes equal to `b`.
        #[inline(always)]
        pub(crate) fn eq(self, b: u8) -> Mask {
            Mask(w::i8x16_eq(self.0, w::u8x16_splat(b)))
        }

        /// The bytes in `lo..=hi` (`lo` at most `hi`).
        #[inline(always)]
        pub(crate) fn within(self, lo: u8, hi: u8) -> Mask {
            let offset = w::i8x16_sub(self.0, w::u8x16_splat(lo));
            Mask(w::u8x16_le(offset, w::u8x16_splat(hi.wrapping_sub(lo))))
        }

        /// The bytes in `set`: two table lookups (`i8x16.swizzle`).
        #[inline(always)]
        pub(crate) fn among(self, set: &super::ByteSet) -> Mask {
            let table = |t: &[u8; 16]| Lanes::load(t).0;
            let high = w::u8x16_shr(self.0, 4);
            let low = w::v128_and(self.0, w::u8x16_splat(15));
            let hits = w::v128_and(
                w::i8x16_swizzle(table(&set.by_high), high),
                w::i8x16_swizzle(table(&set.by_low), low),
            );
            Mask(w::v128_not(w::i8x16_eq(hits, w::u8x16_splat(0))))
        }
    }

    /// Per-lane counts of masks added, each at most 255.
    #[derive(Clone, Copy)]
    pub(crate) struct Tally(w::v128);

    impl Tally {
        #[inline(always)]
        pub(crate) fn new() -> Tally {
            Tally(w::u8x16_splat(0))
        }

        /// Counts the lanes `m` marks (a marked lane is all ones, -1).
        #[inline(always)]
        pub(crate) fn add(&mut self, m: Mask) {
            self.0 = w::i8x16_sub(self.0, m.0);
        }

        /// The sum over the lanes.
        #[inline(always)]
        pub(crate) fn total(self) -> u32 {
            let pairs = w::u16x8_extadd_pairwise_u8x16(self.0);
            let quads = w::u32x4_extadd_pairwise_u16x8(pairs);
            w::u32x4_extract_lane::<0>(quads)
                + w::u32x4_extract_lane::<1>(quads)
                + w::u32x4_extract_lane::<2>(quads)
                + w::u32x4_extract_lane::<3>(quads)
        }
    }

    impl Mask {
        #[inline(always)]
        pub(crate) fn or(self, other: Mask) -> Mask {
            Mask(w::v128_or(self.0, other.0))
        }

        #[inline(always)]
        pub(crate) fn not(self) -> Mask {
            Mask(w::v128_not(self.0))
        }

        /// A bit per byte that matched, the first byte lowest.
        #[inline(always)]
        pub(crate) fn bits(self) -> u16 {
            w::i8x16_bitmask(self.0)
        }
    }
}

/// Without SIMD: two `u64` words of eight bytes each (see [`crate::swar`]).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    use crate::swar::{self, HIGH};

    /// Sixteen bytes, as two little-endian words.
    #[derive(Clone, Copy)]
    pub(crate) struct Lanes([u64; 2]);

    /// Sixteen results of comparing them: the high bit of each byte.
    #[derive(Clone, Copy)]
    pub(crate) struct Mask([u64; 2]);

    /// The bytes of `x` in `lo..=hi`, for any bounds: `swar::in_range` takes
    /// ASCII bounds, so the upper half is tested with its high bit flipped.
    #[inline(always)]
    fn within(x: u64, lo: u8, hi: u8) -> u64 {
        let flipped = x ^ HIGH;
        match (lo, hi) {
            _ if lo > hi => 0,
            (_, 0..=0x7F) => swar::in_range(x, lo, hi + 1),
            (0x80.., _) => swar::in_range(flipped, lo - 0x80, hi - 0x80 + 1),
            _ => swar::in_range(x, lo, 0x80) | swar::in_range(flipped, 0, hi - 0x80 + 1),
        }
    }

    /// The high bits of the bytes of `m`, gathered into one byte.
    #[inline(always)]
    fn gather(m: u64) -> u16 {
        // Each byte's bit lands in the top byte at its own position; no two
        // products overlap there.
        ((m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u16
    }

    impl Lanes {
        #[inline(always)]
        pub(crate) fn load(chunk: &[u8; 16]) -> Lanes {
            let all = u128::from_le_bytes(*chunk);
            Lanes([all as u64, (all >> 64) as u64])
        }

        #[inline(always)]
        pub(crate) fn eq(self, b: u8) -> Mask {
            Mask(self.0.map(|x| swar::equal(x, b)))
        }

        #[inline(always)]
        pub(crate) fn within(self, lo: u8, hi: u8) -> Mask {
            Mask(self.0.map(|x| within(x, lo, hi)))
        }

        /// The bytes in `set`, one at a time (no table lookup in a word).
        #[inline(always)]
        pub(crate) fn among(self, set: &super::ByteSet) -> Mask {
            Mask(self.0.map(|x| {
                x.to_le_bytes()
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| set.has(**b))
                    .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i))
            }))
        }
    }

    /// Counts of masks added.
    #[derive(Clone, Copy)]
    pub(crate) struct Tally(u32);

    impl Tally {
        #[inline(always)]
        pub(crate) fn new() -> Tally {
            Tally(0)
        }

        #[inline(always)]
        pub(crate) fn add(&mut self, m: Mask) {
            self.0 += m.bits().count_ones();
        }

        #[inline(always)]
        pub(crate) fn total(self) -> u32 {
            self.0
        }
    }

    impl Mask {
        #[inline(always)]
        pub(crate) fn or(self, other: Mask) -> Mask {
            let [a, b] = self.0;
            let [c, d] = other.0;
            Mask([a | c, b | d])
        }

        #[inline(always)]
        pub(crate) fn not(self) -> Mask {
            Mask(self.0.map(|m| !m & HIGH))
        }

        #[inline(always)]
        pub(crate) fn bits(self) -> u16 {
            let [low, high] = self.0;
            gather(low) | gather(high) << 8
        }
    }
}

/// The lanes of the (at most sixteen) `bytes`, zero past their end.
#[inline(always)]
fn load_tail(bytes: &[u8]) -> Lanes {
    let mut padded = [0u8; WIDTH];
    for (p, &b) in padded.iter_mut().zip(bytes) {
        *p = b;
    }
    Lanes::load(&padded)
}

/// The mask of the first `n` lanes (n at most 16).
fn first_lanes(n: usize) -> u16 {
    u16::try_from((1u32 << n.min(WIDTH)) - 1).unwrap_or(u16::MAX)
}

/// The sixteen bytes of `bytes` from `at`; `None` past the end.
#[inline(always)]
pub(crate) fn load(bytes: &[u8], at: usize) -> Option<Lanes> {
    let chunk = bytes.get(at..at.checked_add(WIDTH)?)?;
    <&[u8; WIDTH]>::try_from(chunk).ok().map(Lanes::load)
}

/// The sixteen bytes of `bytes` from `at`, zero past the end.
#[inline(always)]
pub(crate) fn load_padded(bytes: &[u8], at: usize) -> Lanes {
    match load(bytes, at) {
        Some(lanes) => lanes,
        None => load_tail(bytes.get(at..).unwrap_or_default()),
    }
}

/// Where the first byte of `bytes` at or after `from` that `hit` marks is.
#[inline(always)]
pub(crate) fn find(bytes: &[u8], from: usize, hit: impl Fn(Lanes) -> Mask) -> Option<usize> {
    find_bits(bytes, from, |x| hit(x).bits())
}

/// [`find`] for a search whose mask is worked out on its bits (a bit per
/// lane, lane 0 lowest): one that looks at a lane's neighbours.
#[inline(always)]
pub(crate) fn find_bits(bytes: &[u8], from: usize, hit: impl Fn(Lanes) -> u16) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(WIDTH);
    let mut offset = from;
    for chunk in &mut chunks {
        let Ok(chunk) = <&[u8; WIDTH]>::try_from(chunk) else {
            break;
        };
        let mask = hit(Lanes::load(chunk));
        if mask != 0 {
            return Some(offset + mask.trailing_zeros() as usize);
        }
        offset += WIDTH;
    }
    let tail = chunks.remainder();
    let mask = hit(load_tail(tail)) & first_lanes(tail.len());
    (mask != 0).then(|| offset + mask.trailing_zeros() as usize)
}

/// Calls `f` with every chunk of `bytes` in order and the mask of its lanes
/// that hold bytes of `bytes` (all but a short last chunk's padding).
#[inline(always)]
pub(crate) fn each(bytes: &[u8], mut f: impl FnMut(Lanes, u16)) {
    let mut chunks = bytes.chunks_exact(WIDTH);
    for chunk in &mut chunks {
        if let Ok(chunk) = <&[u8; WIDTH]>::try_from(chunk) {
            f(Lanes::load(chunk), u16::MAX);
        }
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        f(load_tail(tail), first_lanes(tail.len()));
    }
}

/// How many bytes of `bytes` equal each of `targets` (none of them zero):
/// per-lane counters added to a chunk at a time, summed every 255 chunks,
/// before a lane's count could wrap.
pub(crate) fn count<const N: usize>(bytes: &[u8], targets: [u8; N]) -> [usize; N] {
    let mut totals = [0usize; N];
    let mut chunks = bytes.chunks_exact(WIDTH);
    loop {
        let mut tallies = [Tally::new(); N];
        let mut taken = 0;
        for chunk in chunks.by_ref().take(255) {
            if let Ok(chunk) = <&[u8; WIDTH]>::try_from(chunk) {
                let x = Lanes::load(chunk);
                for (tally, &b) in tallies.iter_mut().zip(&targets) {
                    tally.add(x.eq(b));
                }
            }
            taken += 1;
        }
        for (total, tally) in totals.iter_mut().zip(tallies) {
            *total += tally.total() as usize;
        }
        if taken < 255 {
            break;
        }
    }
    // The tail padded with zeros, which no target equals.
    let tail = load_tail(chunks.remainder());
    for (total, &b) in totals.iter_mut().zip(&targets) {
        *total += (tail.eq(b).bits() & first_lanes(chunks.remainder().len())).count_ones() as usize;
    }
    totals
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn find_is_what_a_byte_loop_finds() {
        let hit = |x: Lanes| x.eq(b'@').or(x.within(0xF0, 0xFF));
        let by_byte = |b: u8| b == b'@' || b >= 0xF0;
        // Every length up to three chunks, every start, a hit anywhere or none.
        for len in 0..3 * WIDTH + 3 {
            for at in (0..len).map(Some).chain([None]) {
                for mark in [b'@', 0xF7] {
                    let mut bytes = vec![b'a'; len];
                    if let Some(at) = at {
                        bytes[at] = mark;
                    }
                    for from in 0..=len + 1 {
                        let expected = bytes
                            .iter()
                            .enumerate()
                            .skip(from)
                            .find(|(_, &b)| by_byte(b))
                            .map(|(i, _)| i);
                        assert_eq!(find(&bytes, from, hit), expected, "{len} {at:?} {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn count_is_what_a_byte_loop_counts() {
        // Past 255 chunks, where the lanes' counters are summed and reset,
        // and every length of a short tail.
        for len in (0..3 * WIDTH + 3).chain([
            255 * WIDTH - 1,
            255 * WIDTH,
            255 * WIDTH + 17,
            600 * WIDTH + 5,
        ]) {
            let bytes: Vec<u8> = (0..len).map(|i| b",|\tab,c"[i % 7]).collect();
            let targets = [b',', b'|', b'\t', b'z'];
            let expected = targets.map(|t| bytes.iter().filter(|&&b| b == t).count());
            assert_eq!(count(&bytes, targets), expected, "{len}");
        }
    }

    #[test]
    fn each_sees_every_byte_once() {
        for len in 0..3 * WIDTH + 3 {
            let bytes: Vec<u8> = (0..len).map(|i| i as u8 + 1).collect();
            let mut seen = 0;
            each(&bytes, |x, valid| {
                seen += (x.within(1, 255).bits() & valid).count_ones() as usize;
                assert_eq!(x.within(1, 255).bits() & !valid, 0, "padding is zero");
            });
            assert_eq!(seen, len);
        }
    }

    #[test]
    fn byte_sets_hold_exactly_their_bytes() {
        let sets: [&[u8]; 4] = [
            &[
                0xC2, 0xD9, 0xDB, 0xDF, 0xE0, 0xE1, 0xE2, 0xE3, 0xEA, 0xEF, 0xF0,
            ],
            &[b'@', b'0', b'9', b'\\', 0x7F, 0x00],
            &[0x0F, 0x1F, 0x2F, 0x3F, 0x4F, 0x5F, 0x6F, 0x7F],
            &[],
        ];
        let all: Vec<u8> = (0..=255).collect();
        for bytes in sets {
            let set = ByteSet::new(bytes);
            for chunk in all.chunks_exact(WIDTH) {
                let x = Lanes::load(chunk.try_into().unwrap());
                let expected = chunk.iter().enumerate().fold(0u16, |m, (i, b)| {
                    assert_eq!(set.has(*b), bytes.contains(b), "{b:#x}");
                    m | u16::from(bytes.contains(b)) << i
                });
                assert_eq!(x.among(&set).bits(), expected, "{bytes:x?}");
            }
        }
    }

    #[test]
    fn lanes_compare_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        // ASCII ranges, high ranges, ranges across 0x80, single bytes.
        let ranges = [
            (0, 0x1F),
            (b'0', b'9'),
            (b'a', b'z'),
            (0x80, 0xFF),
            (0xE1, 0xE3),
            (0x61, 0x9F),
            (0, 0xFF),
            (7, 7),
            (0xFF, 0xFF),
        ];
        for (lo, hi) in ranges {
            for chunk in all.chunks_exact(WIDTH) {
                let x = Lanes::load(chunk.try_into().unwrap());
                let expected = chunk.iter().enumerate().fold(0u16, |m, (i, &b)| {
                    m | u16::from((lo..=hi).contains(&b)) << i
                });
                assert_eq!(x.within(lo, hi).bits(), expected, "{lo:#x}..={hi:#x}");
                assert_eq!(x.within(lo, hi).not().bits(), !expected);
                let eq = chunk
                    .iter()
                    .enumerate()
                    .fold(0u16, |m, (i, &b)| m | u16::from(b == lo) << i);
                assert_eq!(x.eq(lo).bits(), eq);
                assert_eq!(x.eq(lo).or(x.eq(hi)).bits(), eq | x.eq(hi).bits());
            }
        }
    }
}
