//! Check digits and structural rules of the identifiers the scanners find.
//! Every function takes ASCII bytes and never panics on odd input: it says no.

use super::bytes::is_digit;

fn digit(b: u8) -> Option<u32> {
    is_digit(b).then(|| u32::from(b - b'0'))
}

fn number(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |n, &b| n.checked_mul(10)?.checked_add(digit(b)?))
}

/// The Luhn check over a string of digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0;
    for (i, &b) in digits.iter().rev().enumerate() {
        let Some(d) = digit(b) else { return false };
        sum += if i % 2 == 1 {
            let x = d * 2;
            if x > 9 {
                x - 9
            } else {
                x
            }
        } else {
            d
        };
    }
    !digits.is_empty() && sum % 10 == 0
}

/// A payment card number: the brand's prefix and length, then Luhn.
pub(crate) fn payment_card(digits: &[u8]) -> bool {
    let len = digits.len();
    let prefix = |n: usize| digits.get(..n).and_then(number);
    let brand_length = match (prefix(1), prefix(2), prefix(4)) {
        // Visa
        (Some(4), _, _) => matches!(len, 13 | 16 | 19),
        // Mastercard, including the 2-series
        (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => len == 16,
        // American Express
        (_, Some(34 | 37), _) => len == 15,
        // UnionPay, JCB, Discover
        (_, Some(62), _) | (_, _, Some(3528..=3589)) | (_, _, Some(6011)) | (_, Some(65), _) => {
            (16..=19).contains(&len)
        }
        _ => false,
    };
    brand_length && luhn(digits)
}

/// Province codes that start a PRC resident ID (and a region code).
fn province(code: u32) -> bool {
    matches!(code, 11..=65 | 71 | 81..=83)
}

fn leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// A real calendar date between 1900 and 2099, written `YYYYMMDD`.
pub(crate) fn date(yyyymmdd: &[u8]) -> bool {
    let (Some(y), Some(m), Some(d)) = (
        yyyymmdd.get(..4).and_then(number),
        yyyymmdd.get(4..6).and_then(number),
        yyyymmdd.get(6..8).and_then(number),
    ) else {
        return false;
    };
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    yyyymmdd.len() == 8 && (1900..=2099).contains(&y) && (1..=days).contains(&d)
}

/// The MOD 11-2 check character of a PRC resident ID (GB 11643).
pub(crate) fn resident_id_check(first17: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (&b, w) in first17.iter().zip(WEIGHTS) {
        sum += digit(b)? * w;
    }
    b"10X98765432".get((sum % 11) as usize).copied()
}

/// An 18-character PRC resident ID: province, birth date, sequence, check
/// character (an `x` counts as `X`).
pub(crate) fn resident_id(id: &[u8]) -> bool {
    let (Some(first17), Some(&check)) = (id.get(..17), id.get(17)) else {
        return false;
    };
    id.len() == 18
        && id.get(..2).and_then(number).is_some_and(province)
        && id.get(6..14).is_some_and(date)
        && resident_id_check(first17) == Some(check.to_ascii_uppercase())
}

const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The MOD 31 check character of a PRC unified social credit code (GB 32100).
pub(crate) fn credit_code_check(first17: &[u8]) -> Option<u8> {
    const WEIGHTS: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (&b, w) in first17.iter().zip(WEIGHTS) {
        sum += CREDIT_ALPHABET.iter().position(|&a| a == b)? * w;
    }
    CREDIT_ALPHABET.get((31 - sum % 31) % 31).copied()
}

/// The check character of the organisation code (GB 11714) that a credit code
/// carries in its characters 9 to 17.
pub(crate) fn organisation_code_check(first8: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    if first8.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (&b, w) in first8.iter().zip(WEIGHTS) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        c => b'0' + c as u8,
    })
}

/// A PRC unified social credit code: 18 characters of its alphabet, a 6-digit
/// region code in characters 3 to 8, and the MOD 31 check character.
///
/// One 18-digit number in 31 passes that check by chance, and 18-digit numbers
/// are everywhere (order numbers, snowflake IDs), so an all-digit code must also
/// have a registration authority other than 0, a known province in its region
/// code, and a valid organisation-code check in characters 9 to 17 — and must not
/// be a valid resident ID (that reading wins). A code with a letter needs only the
/// main rules.
pub(crate) fn credit_code(code: &[u8]) -> bool {
    let (Some(first17), Some(&check)) = (code.get(..17), code.get(17)) else {
        return false;
    };
    let shape = code.len() == 18
        && code
            .get(2..8)
            .is_some_and(|r| r.iter().all(|&b| is_digit(b)))
        && credit_code_check(first17) == Some(check);
    if !shape {
        return false;
    }
    if code.iter().any(|b| b.is_ascii_uppercase()) {
        return true;
    }
    let region = code.get(2..4).and_then(number);
    code.first() != Some(&b'0')
        && region.is_some_and(|r| r == 10 || province(r))
        && code.get(8..16).and_then(organisation_code_check) == code.get(16).copied()
        && !resident_id(code)
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BI", 27),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DJ", 27),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FK", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"LY", 25),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MN", 20),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NI", 28),
    (b"NL", 18),
    (b"NO", 15),
    (b"OM", 23),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"RU", 33),
    (b"SA", 24),
    (b"SC", 31),
    (b"SD", 18),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"SO", 23),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
    (b"YE", 30),
];

/// The IBAN length of a country, by its upper-case code.
pub(crate) fn iban_length(country: [u8; 2]) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(c, _)| **c == country)
        .map(|&(_, len)| len)
}

/// The ISO 7064 MOD 97-10 check of an IBAN written without spaces, in either case.
pub(crate) fn iban(chars: &[u8]) -> bool {
    let (Some(head), Some(tail)) = (chars.get(..4), chars.get(4..)) else {
        return false;
    };
    let mut rest = 0u32;
    for &b in tail.iter().chain(head) {
        rest = match b {
            b'0'..=b'9' => (rest * 10 + u32::from(b - b'0')) % 97,
            b'A'..=b'Z' => (rest * 100 + u32::from(b - b'A') + 10) % 97,
            b'a'..=b'z' => (rest * 100 + u32::from(b - b'a') + 10) % 97,
            _ => return false,
        };
    }
    rest == 1
}

/// One dotted-quad octet: 0 to 255 without leading zeros.
pub(crate) fn ipv4_octet(octet: &[u8]) -> bool {
    match octet {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        _ => octet.len() <= 3 && number(octet).is_some_and(|n| n <= 255),
    }
}

/// A whole dotted-quad IPv4 address.
pub(crate) fn ipv4(text: &[u8]) -> bool {
    let mut octets = 0;
    for part in text.split(|&b| b == b'.') {
        if !ipv4_octet(part) {
            return false;
        }
        octets += 1;
    }
    octets == 4
}

/// A US social security number's parts: area not 000, 666 or 900-999, group not
/// 00, serial not 0000.
pub(crate) fn ssn(area: &[u8], group: &[u8], serial: &[u8]) -> bool {
    let (Some(a), Some(g), Some(s)) = (number(area), number(group), number(serial)) else {
        return false;
    };
    area.len() == 3
        && group.len() == 2
        && serial.len() == 4
        && a != 0
        && a != 666
        && a < 900
        && g != 0
        && s != 0
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use super::*;

    #[test]
    fn luhn_and_cards() {
        // Published test numbers of the card networks.
        let valid = [
            "4111111111111111",
            "4012888888881881",
            "4222222222222",
            "5555555555554444",
            "2223003122003222",
            "378282246310005",
            "6011111111111117",
            "3530111333300000",
            "6200000000000005",
        ];
        for n in valid {
            assert!(payment_card(n.as_bytes()), "{n}");
        }
        let invalid = [
            "4111111111111112", // Luhn
            "411111111111111",  // Visa of 15
            "1234567812345670", // no brand
            "5555555555554",    // Mastercard of 13
            "3782822463100050", // Amex of 16
            "79927398713",      // Luhn-valid, no brand
        ];
        for n in invalid {
            assert!(!payment_card(n.as_bytes()), "{n}");
        }
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b""));
    }

    #[test]
    fn resident_ids() {
        // The example of GB 11643 itself.
        assert!(resident_id(b"11010519491231002X"));
        assert!(resident_id(b"11010519491231002x"));
        assert!(!resident_id(b"110105194912310021"));
        // Leap day exists in 2000, not in 1900.
        let with_date = |d: &str| {
            let first17 = format!("110105{d}001");
            let check = resident_id_check(first17.as_bytes()).unwrap();
            format!("{first17}{}", check as char)
        };
        assert!(resident_id(with_date("20000229").as_bytes()));
        assert!(!resident_id(with_date("19000229").as_bytes()));
        assert!(!resident_id(with_date("19991301").as_bytes()));
        assert!(!resident_id(with_date("18991231").as_bytes()));
        assert!(!resident_id(b"99010519491231002X"));
    }

    #[test]
    fn credit_codes() {
        // Codes that companies publish on their sites and filings.
        assert!(credit_code(b"91330100799655058B"));
        assert!(credit_code(b"9144030071526726XG"));
        assert!(!credit_code(b"91330100799655058C"));
        assert_eq!(organisation_code_check(b"79965505"), Some(b'8'));
        assert_eq!(organisation_code_check(b"71526726"), Some(b'X'));
        // An all-digit number passing MOD 31 alone is not enough.
        let first17 = b"12345678901234567";
        let check = credit_code_check(first17).unwrap();
        let mut lookalike = first17.to_vec();
        lookalike.push(check);
        if check.is_ascii_digit() {
            assert!(!credit_code(&lookalike));
        }
    }

    #[test]
    fn ibans() {
        for iban_text in [
            "GB82WEST12345698765432",
            "DE89370400440532013000",
            "gb82west12345698765432",
        ] {
            assert!(iban(iban_text.as_bytes()), "{iban_text}");
        }
        assert!(!iban(b"GB82WEST12345698765433"));
        assert_eq!(iban_length(*b"DE"), Some(22));
        assert_eq!(iban_length(*b"ZZ"), None);
    }

    #[test]
    fn ipv4s() {
        for ok in ["0.0.0.0", "192.168.1.1", "255.255.255.255", "10.0.0.1"] {
            assert!(ipv4(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.1000",
        ] {
            assert!(!ipv4(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn ssns() {
        assert!(ssn(b"123", b"45", b"6789"));
        assert!(!ssn(b"000", b"45", b"6789"));
        assert!(!ssn(b"666", b"45", b"6789"));
        assert!(!ssn(b"900", b"45", b"6789"));
        assert!(!ssn(b"123", b"00", b"6789"));
        assert!(!ssn(b"123", b"45", b"0000"));
    }
}
