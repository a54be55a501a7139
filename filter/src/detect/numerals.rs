//! Chinese numerals written digit by digit (`一三八〇〇一三八〇〇〇`), which a
//! model reads as a number. `一` alone is the commonest character of Chinese
//! prose, so the normaliser folds numerals only where two or more make a number;
//! this module finds such places sixteen bytes at a time and reads them.

use crate::chunks::{self, ByteSet, Lanes};

/// Chinese numerals a model reads as digits when they are written one after
/// another: the everyday ones, `幺` (one, as a phone number is read out) and
/// the financial forms, simplified and traditional. Each is three bytes of UTF-8.
const NUMERALS: [(char, u8); 24] = [
    ('〇', 0),
    ('零', 0),
    ('一', 1),
    ('幺', 1),
    ('壹', 1),
    ('二', 2),
    ('贰', 2),
    ('貳', 2),
    ('三', 3),
    ('叁', 3),
    ('參', 3),
    ('四', 4),
    ('肆', 4),
    ('五', 5),
    ('伍', 5),
    ('六', 6),
    ('陆', 6),
    ('陸', 6),
    ('七', 7),
    ('柒', 7),
    ('八', 8),
    ('捌', 8),
    ('九', 9),
    ('玖', 9),
];

/// The digit a Chinese numeral stands for: `Some(8)` for `八` or `捌`.
pub fn chinese_numeral(c: char) -> Option<u8> {
    NUMERALS.iter().find(|(n, _)| *n == c).map(|(_, d)| *d)
}

/// Byte `k` (0, 1 or 2) of each numeral's UTF-8 encoding.
// Built in constants only: an index out of range would fail the build.
#[allow(clippy::indexing_slicing)]
const fn numeral_bytes(k: u32) -> [u8; NUMERALS.len()] {
    let mut out = [0; NUMERALS.len()];
    let mut i = 0;
    while i < NUMERALS.len() {
        let code = NUMERALS[i].0 as u32;
        let bits = (code >> (6 * (2 - k))) & 0x3F;
        out[i] = if k == 0 {
            0xE0 | (bits & 0x0F)
        } else {
            0x80 | bits
        } as u8;
        i += 1;
    }
    out
}

const NUMERAL_LEADS: ByteSet = ByteSet::new(&numeral_bytes(0));
const NUMERAL_MIDS: ByteSet = ByteSet::new(&numeral_bytes(1));
const NUMERAL_LASTS: ByteSet = ByteSet::new(&numeral_bytes(2));

/// The range [`NUMERAL_LEADS`] fills (a test holds the two equal): one range
/// test tells a chunk where no numeral starts.
const LEAD_RANGE: (u8, u8) = (0xE3, 0xE9);

/// Four masks over the sixteen bytes of a chunk, a bit per byte: whether it
/// may be a numeral's first, second or third byte, or a joint.
#[derive(Clone, Copy, Default)]
struct Shapes {
    lead: u32,
    mid: u32,
    last: u32,
    joint: u32,
}

#[inline(always)]
fn shapes(x: Lanes) -> Shapes {
    Shapes {
        lead: u32::from(x.among(&NUMERAL_LEADS).bits()),
        mid: u32::from(x.among(&NUMERAL_MIDS).bits()),
        last: u32::from(x.among(&NUMERAL_LASTS).bits()),
        joint: u32::from(x.among(&JOINTS).bits()),
    }
}

/// The lanes of a chunk (`now`, the next chunk's lanes in `next`) where two
/// characters shaped like numerals start, one right after the other or with
/// one or two joining characters between (`九.一二`, `壹 (柒`): each byte of
/// each in the set of that byte's place. Few pairs of Chinese characters pass
/// (the test keeps them out); each found is decoded.
#[inline(always)]
fn numeral_pairs(now: Shapes, next: Shapes) -> u32 {
    let both = |a: u32, b: u32| a | b << 16;
    let (lead, mid, last, joint) = (
        both(now.lead, next.lead),
        both(now.mid, next.mid),
        both(now.last, next.last),
        both(now.joint, next.joint),
    );
    let one = lead & (mid >> 1) & (last >> 2);
    let after = (one >> 3) | (joint >> 3 & one >> 4) | (joint >> 3 & joint >> 4 & one >> 5);
    one & after & 0xFFFF
}

/// The ASCII characters that join a number's groups.
pub(super) const JOINTS: ByteSet = ByteSet::new(b" -.()");

/// Where the next two numerals of a number start, from `from` on: two in a
/// row, or with one or two joints between (`九.一二`, `壹 (柒`). Sixteen bytes
/// at a time, each byte tested against the sets of its place in a numeral;
/// each chunk's tests are made once and kept for the chunk before it, which
/// needs the first seven bytes of the next to judge its last starts (a pair
/// with joints is up to eight bytes long); bytes past the end read as zero.
/// The few places that pass (about one in a hundred bytes of Chinese prose:
/// `购买`, `十二` have numerals' bytes) are decoded there, so that the search
/// stops only at real numerals and its caller is not sent to each look-alike.
pub(super) fn next_numeral_pair(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    // The shapes of the chunk at `at`, when the chunk before worked them out.
    let mut known: Option<Shapes> = None;
    while at < bytes.len() {
        let next = at + chunks::WIDTH;
        let now = match known {
            Some(shapes) => shapes,
            None => {
                let lanes = chunks::load_padded(bytes, at);
                // A chunk where no numeral can start (ASCII text, most of
                // all) is passed with one test.
                if lanes.within(LEAD_RANGE.0, LEAD_RANGE.1).bits() == 0 {
                    at = next;
                    continue;
                }
                shapes(lanes)
            }
        };
        let after = if next < bytes.len() {
            shapes(chunks::load_padded(bytes, next))
        } else {
            Shapes::default()
        };
        let mut mask = numeral_pairs(now, after);
        while mask != 0 {
            let found = at + mask.trailing_zeros() as usize;
            if found >= bytes.len() {
                return None;
            }
            if is_pair(bytes, found) {
                return Some(found);
            }
            mask &= mask - 1;
        }
        (at, known) = (next, Some(after));
    }
    None
}

/// Whether two numerals of a number start at `p`: a numeral, then another
/// right after it or after one or two joints.
fn is_pair(bytes: &[u8], p: usize) -> bool {
    let joint = |i: usize| bytes.get(i).is_some_and(|&b| JOINTS.has(b));
    numeral_at(bytes, p)
        && (numeral_at(bytes, p + 3)
            || joint(p + 3) && numeral_at(bytes, p + 4)
            || joint(p + 3) && joint(p + 4) && numeral_at(bytes, p + 5))
}

/// Whether a numeral (three bytes of UTF-8, as every one is) starts at `i`.
fn numeral_at(bytes: &[u8], i: usize) -> bool {
    bytes
        .get(i..i + 3)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.chars().next())
        .is_some_and(|c| chinese_numeral(c).is_some())
}

/// How many numerals stand in a row from byte `at` of `text`, and where they end.
pub(super) fn numerals_in_row(text: &str, at: usize) -> (usize, usize) {
    let rest = text.get(at..).unwrap_or_default();
    let run = rest.chars().take_while(|c| chinese_numeral(*c).is_some());
    run.fold((0, at), |(n, end), c| (n + 1, end + c.len_utf8()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn every_pair_of_numerals_is_found_wherever_it_stands() {
        for (a, _) in NUMERALS {
            for (b, _) in NUMERALS {
                for pad in 0..20 {
                    let text = format!("{}{a}{b}", "中".repeat(pad / 3) + &"x".repeat(pad % 3));
                    let at = text.len() - 6;
                    // `中` has a numeral's bytes, and is passed over.
                    assert_eq!(next_numeral_pair(text.as_bytes(), 0), Some(at), "{text}");
                }
            }
        }
    }

    #[test]
    fn every_numeral_starts_with_a_byte_in_the_quick_test_s_range() {
        // The search passes chunks without a byte in the range.
        let (low, high) = LEAD_RANGE;
        for b in 0..=255u8 {
            assert_eq!(NUMERAL_LEADS.has(b), (low..=high).contains(&b), "{b:#x}");
        }
    }

    #[test]
    fn the_search_stops_where_the_definition_does() {
        // Random texts of numerals, a look-alike, joints and ASCII, across
        // chunk edges, from every start.
        let pieces = [
            "一",
            "三",
            "〇",
            "捌",
            "中",
            " ",
            "(",
            "-",
            "a",
            "7",
            "sixteen  ascii  ",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..400 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            for k in 0..len {
                let pick = (seed >> (k % 50)) as usize ^ (k * 7);
                text.push_str(pieces[pick % pieces.len()]);
            }
            let bytes = text.as_bytes();
            for from in 0..=bytes.len() + 1 {
                // The chunked search stops where the place-by-place test holds.
                let expected = (from..bytes.len()).find(|&p| is_pair(bytes, p));
                assert_eq!(next_numeral_pair(bytes, from), expected, "{text:?} {from}");
            }
        }
    }

    #[test]
    fn chinese_prose_seldom_looks_like_numerals() {
        // Every pair of the commonest characters (and the numerals beside
        // them): the byte sets let a few look-alikes through, which their
        // decode stops; the search stops at real numerals only.
        let common = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领深近";
        let chars: Vec<char> = common.chars().collect();
        let mut passed = 0;
        for a in &chars {
            for b in &chars {
                let pair = format!("{a}{b}");
                let both = chinese_numeral(*a).is_some() && chinese_numeral(*b).is_some();
                assert_eq!(
                    next_numeral_pair(pair.as_bytes(), 0).is_some(),
                    both,
                    "{pair}"
                );
                passed += usize::from(both);
            }
        }
        let numerals = chars
            .iter()
            .filter(|c| chinese_numeral(**c).is_some())
            .count();
        assert_eq!(passed, numerals * numerals);
    }
}
