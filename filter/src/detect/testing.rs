//! Helpers for the detector tests: valid values computed from their definitions
//! (not remembered), and assertions over what the default scanner finds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::{Scanner, ScannerConfig};

/// What the default scanner finds: (category name, original text of the span).
pub(crate) fn find(text: &str) -> Vec<(String, String)> {
    find_with(&ScannerConfig::default(), text)
}

pub(crate) fn find_with(cfg: &ScannerConfig, text: &str) -> Vec<(String, String)> {
    let scanner = Scanner::new(cfg).unwrap();
    let mut out = Vec::new();
    scanner.scan(text, &mut out);
    for pair in out.windows(2) {
        assert!(pair[0].end <= pair[1].start, "overlap in {text:?}: {out:?}");
    }
    out.iter()
        .map(|f| {
            (
                f.category.name().to_string(),
                text[f.start..f.end].to_string(),
            )
        })
        .collect()
}

/// Asserts the text holds exactly one finding, of that category and span.
#[track_caller]
pub(crate) fn expect_only(text: &str, category: &str, span: &str) {
    let found = find(text);
    assert_eq!(
        found,
        vec![(category.to_string(), span.to_string())],
        "in {text:?}"
    );
}

/// Asserts the text holds exactly these findings, in order: (category,
/// span).
#[track_caller]
pub(crate) fn expect_all(text: &str, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(category, span)| (category.to_string(), span.to_string()))
        .collect();
    assert_eq!(find(text), expected, "in {text:?}");
}

/// Asserts none of the texts holds any finding.
#[track_caller]
pub(crate) fn expect_none(texts: &[&str]) {
    for text in texts {
        let found = find(text);
        assert!(found.is_empty(), "in {text:?}: {found:?}");
    }
}

/// A card number with that prefix and length, completed with its Luhn digit
/// (the body is a fixed pattern of digits).
pub(crate) fn card(prefix: &str, len: usize) -> String {
    let mut digits: Vec<u32> = prefix.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let mut k = 0;
    while digits.len() < len - 1 {
        digits.push([3, 1, 4, 1, 5, 9, 2, 6, 5][k % 9]);
        k += 1;
    }
    // Double every second digit counting from the check digit's left neighbour.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                (d * 2) / 10 + (d * 2) % 10
            } else {
                d
            }
        })
        .sum();
    digits.push((10 - sum % 10) % 10);
    digits
        .iter()
        .map(|d| char::from_digit(*d, 10).unwrap())
        .collect()
}

/// A resident ID from region, birth date and sequence, with its MOD 11-2 check
/// character.
pub(crate) fn resident_id(region: &str, birth: &str, seq: &str) -> String {
    let first17 = format!("{region}{birth}{seq}");
    assert_eq!(first17.len(), 17);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .chars()
        .zip(weights)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = "10X98765432".as_bytes()[(sum % 11) as usize] as char;
    format!("{first17}{check}")
}

/// A credit code from its first 17 characters, with its MOD 31 check character.
pub(crate) fn credit_code(first17: &str) -> String {
    let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let weights = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = first17
        .chars()
        .zip(weights)
        .map(|(c, w)| alphabet.find(c).unwrap() * w)
        .sum();
    let check = alphabet.as_bytes()[(31 - sum % 31) % 31] as char;
    format!("{first17}{check}")
}

/// An all-digit credit code that passes every rule: an organisation code with its
/// own GB 11714 check, and a main check that comes out a digit.
pub(crate) fn credit_code_digits() -> String {
    for serial in 0..1000u32 {
        let body = format!("{:08}", 10_000_000 + serial * 7919);
        let weights = [3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = body
            .chars()
            .zip(weights)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        let org_check = match 11 - sum % 11 {
            10 | 11 => continue,
            c => c,
        };
        let code = credit_code(&format!("91110108{body}{org_check}"));
        if code.as_bytes()[17].is_ascii_digit() {
            return code;
        }
    }
    panic!("no all-digit credit code found");
}

/// An IBAN from country and BBAN, with its MOD 97 check digits.
pub(crate) fn iban(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut rest = 0u32;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap();
        rest = if v < 10 {
            (rest * 10 + v) % 97
        } else {
            (rest * 100 + v) % 97
        };
    }
    format!("{country}{:02}{bban}", 98 - rest)
}
