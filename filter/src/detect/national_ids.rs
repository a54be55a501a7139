//! National identity numbers of Hong Kong, Taiwan and Singapore: a letter or
//! two and digits, each closed by a check character computed from the rest,
//! so that a code of the same shape passes only one time in ten or eleven.
//! The mainland's resident ID, all digits, comes through the number parser.
//!
//! - Hong Kong identity card: one or two letters, six digits and the check
//!   digit (or `A`) in brackets, as the card prints it: `A123456(3)`. Written
//!   without brackets (`A1234563`) it is any product code, and is not read.
//! - Taiwan national ID and resident certificate: a letter, `1`, `2`, `8` or
//!   `9`, eight digits: `A123456789`.
//! - Singapore NRIC and FIN: `S`, `T`, `F` or `G`, seven digits, a check
//!   letter: `S1234567D`.

/// The end of the identity number that is the word from `start` to `end`
/// (letters, then digits from the first digit on), perhaps with a bracketed
/// check character after it.
pub(crate) fn national_id(t: &[u8], start: usize, end: usize) -> Option<usize> {
    let word = t.get(start..end)?;
    if hong_kong(word, t.get(end..end + 3).unwrap_or_default()) {
        return Some(end + 3);
    }
    (taiwan(word) || singapore(word)).then_some(end)
}

/// `A123456` followed by `(3)`.
fn hong_kong(word: &[u8], bracketed: &[u8]) -> bool {
    let [b'(', check, b')'] = *bracketed else {
        return false;
    };
    let letters = word.len().saturating_sub(6);
    let (head, digits) = word.split_at(letters);
    if !(1..=2).contains(&letters)
        || !head.iter().all(u8::is_ascii_uppercase)
        || !digits.iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    // A space stands for the missing first letter, valued 36; letters are
    // 10 to 35; weights run from 9 down to 2.
    let value = |b: u8| u32::from(b - b'A') + 10;
    let mut sum = if letters == 1 { 36 * 9 } else { 0 };
    let mut weight = 9 - (2 - letters as u32);
    for &b in head {
        sum += value(b) * weight;
        weight -= 1;
    }
    for &d in digits {
        sum += u32::from(d - b'0') * weight;
        weight -= 1;
    }
    let check = match check {
        b'0'..=b'9' => u32::from(check - b'0'),
        b'A' => 10,
        _ => return false,
    };
    (sum + check) % 11 == 0
}

/// `A123456789`: the letter stands for a two-digit number, its tens weighted
/// 1 and its units 9, then the digits 8 down to 1 and the check digit 1.
fn taiwan(word: &[u8]) -> bool {
    // A=10 ... Z=33, in the order the registry assigned them.
    const CODES: &[u8; 26] = &[
        10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32,
        30, 31, 33,
    ];
    let [letter, second, ref rest @ ..] = *word else {
        return false;
    };
    if word.len() != 10
        || !letter.is_ascii_uppercase()
        || !matches!(second, b'1' | b'2' | b'8' | b'9')
        || !rest.iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let Some(&code) = CODES.get(usize::from(letter - b'A')) else {
        return false;
    };
    let mut sum = u32::from(code / 10) + u32::from(code % 10) * 9;
    for (i, &d) in word.iter().skip(1).enumerate() {
        let weight = if i < 8 { 8 - i as u32 } else { 1 };
        sum += u32::from(d - b'0') * weight;
    }
    sum % 10 == 0
}

/// `S1234567D`: the digits weighted 2, 7, 6, 5, 4, 3, 2, four more for the
/// `T` and `G` series, the remainder by 11 naming the letter.
fn singapore(word: &[u8]) -> bool {
    const WEIGHTS: [u32; 7] = [2, 7, 6, 5, 4, 3, 2];
    let [series, ref digits @ .., check] = *word else {
        return false;
    };
    let letters: &[u8; 11] = match series {
        b'S' | b'T' => b"JZIHGFEDCBA",
        b'F' | b'G' => b"XWUTRQPNMLK",
        _ => return false,
    };
    if digits.len() != 7 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let offset = if matches!(series, b'T' | b'G') { 4 } else { 0 };
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d - b'0') * w)
        .sum::<u32>()
        + offset;
    letters.get((sum % 11) as usize) == Some(&check)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use crate::detect::testing::{expect_none, expect_only};

    #[test]
    fn identity_numbers() {
        let cases = [
            ("HKID A123456(3)", "A123456(3)"),
            ("香港身份证号码：A123456（3）。", "A123456（3）"),
            ("card AB100007(A) on file", "AB100007(A)"),
            ("身分證字號 A123456789", "A123456789"),
            ("居留證 A800000014", "A800000014"),
            ("NRIC S1234567D, thanks", "S1234567D"),
            ("A123456789", "A123456789"),
            ("FIN G1234567X", "G1234567X"),
            ("ＳＩＮＧＰＡＳＳ Ｓ１２３４５６７Ｄ", "Ｓ１２３４５６７Ｄ"),
        ];
        for (text, span) in cases {
            expect_only(text, "national_id", span);
        }
    }

    #[test]
    fn look_alikes() {
        expect_none(&[
            // A check that fails, by one.
            "A123456(4)",
            "A123456788",
            "S1234567E",
            // No brackets: any product code.
            "A1234563",
            // Lower case, a series that is none, a second digit that is none.
            "a123456789",
            "X1234567D",
            "A323456789",
            // Inside a longer word.
            "XA123456789",
            "S1234567DX",
        ]);
    }
}
