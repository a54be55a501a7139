//! Check digits, computed from the published definitions of each identifier,
//! so that every positive in the corpus is valid and every "invalid" look-alike
//! is invalid on purpose.

fn digit(c: u8) -> u32 {
    u32::from(c - b'0')
}

/// The Luhn check digit that completes `body`.
pub fn luhn_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = digit(c);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

pub fn luhn_valid(number: &str) -> bool {
    let (body, check) = number.split_at(number.len() - 1);
    check.starts_with(luhn_digit(body))
}

/// Whether `digits` has a card brand's prefix and length and passes Luhn
/// (Visa, Mastercard, Amex, UnionPay, JCB, Discover).
pub fn card_valid(digits: &str) -> bool {
    let n = |k: usize| digits.get(..k).and_then(|p| p.parse::<u32>().ok());
    let len = digits.len();
    let brand = match (n(1), n(2), n(4)) {
        (Some(4), _, _) => matches!(len, 13 | 16 | 19),
        (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => len == 16,
        (_, Some(34 | 37), _) => len == 15,
        (_, Some(62 | 65), _) | (_, _, Some(3528..=3589 | 6011)) => (16..=19).contains(&len),
        _ => false,
    };
    brand && digits.bytes().all(|b| b.is_ascii_digit()) && luhn_valid(digits)
}

/// The ISO 7064 MOD 11-2 check character of a resident ID's first 17 digits.
pub fn resident_id_check(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| digit(c) * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

pub const CREDIT_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The GB 32100 MOD 31 check character of a credit code's first 17 characters.
pub fn credit_code_check(first17: &str) -> char {
    const WEIGHTS: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| CREDIT_ALPHABET.iter().position(|&a| a == c).unwrap_or(0) * w)
        .sum();
    CREDIT_ALPHABET[(31 - sum % 31) % 31] as char
}

/// The GB 11714 check character of an organisation code's first 8 characters.
pub fn organisation_code_check(first8: &str) -> char {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let value = |c: u8| match c {
        b'0'..=b'9' => digit(c),
        _ => u32::from(c - b'A') + 10,
    };
    let sum: u32 = first8.bytes().zip(WEIGHTS).map(|(c, w)| value(c) * w).sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        c => char::from(b'0' + c as u8),
    }
}

/// ISO 7064 MOD 97-10 over an IBAN rearranged (BBAN, country, check digits).
fn iban_remainder(country: &str, check: &str, bban: &str) -> u32 {
    let mut rest = 0u32;
    for c in bban.bytes().chain(country.bytes()).chain(check.bytes()) {
        rest = match c {
            b'0'..=b'9' => (rest * 10 + digit(c)) % 97,
            _ => (rest * 100 + u32::from(c.to_ascii_uppercase() - b'A') + 10) % 97,
        };
    }
    rest
}

/// The IBAN of that country and BBAN, with its check digits.
pub fn iban(country: &str, bban: &str) -> String {
    let check = 98 - iban_remainder(country, "00", bban);
    format!("{country}{check:02}{bban}")
}

pub fn iban_valid(iban: &str) -> bool {
    iban.len() > 4 && iban_remainder(&iban[..2], &iban[2..4], &iban[4..]) == 1
}

pub fn days_in(year: u32, month: u32) -> u32 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

/// Whether an all-digit string would be a real identifier of some kind: a PRC
/// mobile, a valid card, a valid resident ID or credit code. Look-alikes must
/// not be.
pub fn digits_are_valid_identifier(digits: &str) -> bool {
    let b = digits.as_bytes();
    let mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    let eighteen = b.len() == 18 && {
        let first17 = &digits[..17];
        let last = digits[17..].chars().next().unwrap_or(' ');
        resident_id_check(first17) == last || credit_code_check(first17) == last
    };
    mobile || card_valid(digits) || eighteen
}

/// The check character of a Hong Kong identity card: `head` is one or two
/// capital letters, `digits` six digits.
pub fn hkid_check(head: &str, digits: &str) -> char {
    let value = |c: char| c as u32 - 'A' as u32 + 10;
    let letters: Vec<char> = head.chars().collect();
    let mut sum = match letters.as_slice() {
        [l] => 36 * 9 + value(*l) * 8,
        [a, b] => value(*a) * 9 + value(*b) * 8,
        _ => panic!("an HKID starts with one or two letters"),
    };
    for (d, w) in digits.chars().zip((2..=7).rev()) {
        sum += d.to_digit(10).unwrap() * w;
    }
    match (11 - sum % 11) % 11 {
        10 => 'A',
        c => char::from_digit(c, 10).unwrap(),
    }
}

/// The check digit of a Taiwan ID: `first9` is the letter and eight digits.
pub fn taiwan_id_check(first9: &str) -> char {
    const CODES: [u32; 26] = [
        10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32,
        30, 31, 33,
    ];
    let mut chars = first9.chars();
    let code = CODES[(chars.next().unwrap() as u8 - b'A') as usize];
    let mut sum = code / 10 + code % 10 * 9;
    for (d, w) in chars.zip((1..=8).rev()) {
        sum += d.to_digit(10).unwrap() * w;
    }
    char::from_digit((10 - sum % 10) % 10, 10).unwrap()
}

/// The check letter of a Singapore NRIC or FIN: `series` is `S`, `T`, `F`
/// or `G`, `digits` seven digits.
pub fn nric_check(series: char, digits: &str) -> char {
    let letters = match series {
        'S' | 'T' => "JZIHGFEDCBA",
        _ => "XWUTRQPNMLK",
    };
    let offset = if matches!(series, 'T' | 'G') { 4 } else { 0 };
    let sum: u32 = digits
        .chars()
        .zip([2, 7, 6, 5, 4, 3, 2])
        .map(|(d, w)| d.to_digit(10).unwrap() * w)
        .sum::<u32>()
        + offset;
    letters.chars().nth((sum % 11) as usize).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_examples() {
        assert!(luhn_valid("4111111111111111"));
        assert!(card_valid("378282246310005"));
        assert_eq!(resident_id_check("11010519491231002"), 'X');
        assert_eq!(iban("GB", "WEST12345698765432"), "GB82WEST12345698765432");
        assert!(iban_valid("DE89370400440532013000"));
        assert_eq!(credit_code_check("91350100M000100Y4"), '3');
        // The standard's example code 91350100M000100Y43 holds the organisation
        // code M000100Y-4.
        assert_eq!(organisation_code_check("M000100Y"), '4');
    }
}
