//! Valid sensitive values of every built-in category, with check digits
//! computed, in the forms people write them.

use crate::checks;
use crate::rng::{Rng, BASE62, BASE64, BASE64URL, DIGITS, HEX, UPPER};

/// Every built-in category, in the filter's order.
pub const CATEGORIES: &[&str] = &[
    "email",
    "phone",
    "cn_resident_id",
    "cn_credit_code",
    "us_ssn",
    "passport",
    "national_id",
    "date_of_birth",
    "payment_card",
    "iban",
    "bank_account",
    "ipv4",
    "ipv6",
    "openai_key",
    "anthropic_key",
    "aws_access_key",
    "github_token",
    "slack_token",
    "google_api_key",
    "stripe_key",
    "private_key",
    "jwt",
    "credential",
];

/// One value to hide in a request.
pub struct Value {
    /// As usually written: `13812345678`, `4111111111111111`.
    pub plain: String,
    /// Written with spaces, dashes or dots between digit groups, for the kinds
    /// people write so (`138 1234 5678`, `4111-1111-1111-1111`).
    pub separated: Option<String>,
    /// Words that must stand right before the value for it to mean anything
    /// (a bare nine-digit SSN).
    pub context: Option<&'static str>,
    /// What must not cross, in any form: the identifying part of the value.
    pub label: String,
    /// A table column's name for the value (`Passport No.`, `DOB`): a value
    /// with one is sometimes written in a table's row under that header,
    /// its name rows above it rather than right before it.
    pub column: Option<&'static str>,
}

impl Value {
    fn new(plain: String, label: String) -> Value {
        Value {
            plain,
            separated: None,
            context: None,
            label,
            column: None,
        }
    }

    fn separated(mut self, separated: String) -> Value {
        self.separated = Some(separated);
        self
    }
}

/// A fresh valid value of `category`.
pub fn make(category: &str, rng: &mut Rng) -> Value {
    match category {
        "email" => email(rng),
        "phone" => phone(rng),
        "cn_resident_id" => resident_id(rng),
        "cn_credit_code" => credit_code(rng),
        "us_ssn" => ssn(rng),
        "passport" => passport(rng),
        "national_id" => national_id(rng),
        "date_of_birth" => birth_date(rng),
        "payment_card" => card(rng),
        "iban" => iban(rng),
        "bank_account" => bank_account(rng),
        "ipv4" => ipv4(rng),
        "ipv6" => ipv6(rng),
        "openai_key" => token(openai_key(rng)),
        "anthropic_key" => token(anthropic_key(rng)),
        "aws_access_key" => aws_pair(rng),
        "github_token" => token(github_token(rng)),
        "slack_token" => token(slack_token(rng)),
        "google_api_key" => token(format!("AIza{}", rng.string(BASE64URL, 35))),
        "stripe_key" => token(stripe_key(rng)),
        "private_key" => private_key(rng),
        "jwt" => token(jwt(rng)),
        "credential" => credential(rng),
        other => panic!("no generator for category {other:?}"),
    }
}

fn token(t: String) -> Value {
    Value::new(t.clone(), t)
}

const GIVEN: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "dana",
    "erik",
    "fatima",
    "li.na",
    "wang.wei",
    "zhangsan",
    "chen_jie",
    "liu.yang",
    "maria",
    "j.smith",
    "o.brien",
    "kim",
    "priya",
    "yuki.tanaka",
    "ops",
    "finance",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "mail.example.co.uk",
    "corp-mail.io",
    "example.cn",
    "163.com",
    "qq.com",
    "outlook.com",
    "fintech-example.com.cn",
    "xn--fiqs8s.example",
];

fn email(rng: &mut Rng) -> Value {
    let local = match rng.below(5) {
        0 => format!("{}{}", rng.pick(GIVEN), rng.range(1, 99)),
        1 => format!(
            "{}+{}",
            rng.pick(GIVEN),
            rng.pick(&["billing", "cs", "2024", "news"])
        ),
        2 => format!("1{}{}", rng.range(3, 9), rng.digits(9)),
        _ => rng.pick(GIVEN).to_string(),
    };
    let address = format!("{local}@{}", rng.pick(DOMAINS));
    let label = address.to_lowercase();
    Value::new(address, label)
}

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "145", "147", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181",
    "182", "185", "186", "187", "188", "189", "191", "195", "198", "199",
];

fn phone(rng: &mut Rng) -> Value {
    match rng.below(5) {
        0 => return international_phone(rng),
        1 => return national_phone(rng),
        2 => return north_american_phone(rng),
        _ => {}
    }
    let number = format!("{}{}", rng.pick(MOBILE_PREFIXES), rng.digits(8));
    let (a, b, c) = (&number[..3], &number[3..7], &number[7..]);
    let plain = match rng.below(5) {
        0 => format!("+86{number}"),
        1 => format!("+86 {number}"),
        2 => format!("0086{number}"),
        _ => number.clone(),
    };
    let separated = match rng.below(7) {
        0 => format!("{a} {b} {c}"),
        1 => format!("{a}-{b}-{c}"),
        2 => format!("{a}.{b}.{c}"),
        3 => format!("+86 {a} {b} {c}"),
        4 => format!("+86-{a}-{b}-{c}"),
        5 => format!("{a} {b}{c}"),
        _ => format!("(+86) {a}-{b}-{c}"),
    };
    Value::new(plain, number.clone()).separated(separated)
}

/// A number as its own country writes it, with no country code (as much an
/// order's number by its shape), after a phone's name or in a column named
/// for one: `(415) 555-2671`, `020 7946 0958`, `010-62345678`.
fn national_phone(rng: &mut Rng) -> Value {
    let n = |rng: &mut Rng, k| rng.digits(k);
    let groups: Vec<String> = match rng.below(6) {
        0 => vec![
            format!("{}{}", rng.range(2, 9), n(rng, 2)),
            format!("{}{}", rng.range(2, 9), n(rng, 2)),
            n(rng, 4),
        ],
        1 => vec!["020".into(), format!("7{}", n(rng, 3)), n(rng, 4)],
        2 => vec!["07700".into(), format!("9{}", n(rng, 5))],
        3 => vec![
            rng.pick(&["010", "021", "0755", "0571"]).to_string(),
            format!("{}{}", rng.range(2, 8), n(rng, 7)),
        ],
        4 => vec!["030".into(), format!("{}{}", rng.range(2, 9), n(rng, 7))],
        _ => vec!["03".into(), n(rng, 4), n(rng, 4)],
    };
    let digits = groups.concat();
    let separated = match (groups.len(), rng.below(3)) {
        (3, 0) if groups[0].len() == 3 && !groups[0].starts_with('0') => {
            format!("({}) {}-{}", groups[0], groups[1], groups[2])
        }
        (_, 1) => groups.join("-"),
        _ => groups.join(" "),
    };
    let mut v = Value::new(digits.clone(), digits).separated(separated);
    v.context = Some(*rng.pick(&[
        "phone:",
        "Tel.",
        "mobile no.",
        "call me at",
        "phone number",
        "Telefon",
        "联系电话：",
        "电话",
        "座机号码",
        "電話番号",
    ]));
    v.column = Some(*rng.pick(&["Phone", "phone_number", "Tel.", "联系电话"]));
    v
}

/// A North American number in its own shape, with no name before it (a
/// customer note's `John Smith, 415-555-2671, called`): an area code and an
/// exchange starting 2 to 9, neither toll-free nor a service code nor the
/// 555 exchange's fiction range.
fn north_american_phone(rng: &mut Rng) -> Value {
    let area = loop {
        let area = format!("{}{}", rng.range(2, 9), rng.digits(2));
        let toll_free = ["800", "833", "844", "855", "866", "877", "888"].contains(&area.as_str());
        if !area.ends_with("11") && !toll_free {
            break area;
        }
    };
    let exchange = format!("{}{}", rng.range(2, 9), rng.digits(2));
    let line = format!("{}{}", rng.range(2, 9), rng.digits(3));
    let plain = format!("{area}-{exchange}-{line}");
    let separated = match rng.below(3) {
        0 => format!("({area}) {exchange}-{line}"),
        1 => format!("{area}.{exchange}.{line}"),
        _ => format!("1-{area}-{exchange}-{line}"),
    };
    Value::new(plain, format!("{area}{exchange}{line}")).separated(separated)
}

/// A foreign number with its country code, as each country groups it.
fn international_phone(rng: &mut Rng) -> Value {
    let n = |rng: &mut Rng, k| rng.digits(k);
    let (code, groups): (&str, Vec<String>) = match rng.below(7) {
        0 => (
            "44",
            vec!["20".into(), format!("7{}", n(rng, 3)), n(rng, 4)],
        ),
        1 => {
            let area = format!("{}{}", rng.range(2, 9), n(rng, 2));
            let exchange = format!("{}{}", rng.range(2, 9), n(rng, 2));
            ("1", vec![area, exchange, n(rng, 4)])
        }
        2 => (
            "49",
            vec!["30".into(), format!("{}{}", rng.range(2, 9), n(rng, 6))],
        ),
        3 => {
            let mut g = vec![rng.range(1, 5).to_string()];
            g.extend((0..4).map(|_| n(rng, 2)));
            ("33", g)
        }
        4 => ("81", vec!["3".into(), n(rng, 4), n(rng, 4)]),
        5 => (
            "65",
            vec![format!("{}{}", rng.range(6, 9), n(rng, 3)), n(rng, 4)],
        ),
        _ => (
            "852",
            vec![format!("{}{}", rng.range(5, 9), n(rng, 3)), n(rng, 4)],
        ),
    };
    let national = groups.concat();
    let plain = format!("+{code}{national}");
    let separated = if code == "1" && rng.chance(1, 2) {
        format!("+1 ({}) {}-{}", groups[0], groups[1], groups[2])
    } else {
        let sep = if code == "81" || rng.chance(1, 4) {
            "-"
        } else {
            " "
        };
        format!("+{code} {}", groups.join(sep))
    };
    Value::new(plain, national).separated(separated)
}

const REGIONS: &[&str] = &[
    "110101", "110105", "110108", "120101", "130102", "140105", "210102", "220102", "310101",
    "310104", "310115", "320102", "320106", "330106", "340104", "350102", "360102", "370102",
    "410105", "420106", "430104", "440104", "440305", "440306", "450103", "460105", "500103",
    "510104", "510107", "520102", "530102", "610113", "620102", "650102",
];

fn resident_id(rng: &mut Rng) -> Value {
    let year = rng.range(1950, 2005);
    let month = rng.range(1, 12);
    let day = rng.range(1, checks::days_in(year, month));
    let first17 = format!(
        "{}{year}{month:02}{day:02}{:03}",
        rng.pick(REGIONS),
        rng.range(1, 999)
    );
    let check = checks::resident_id_check(&first17);
    let id = format!("{first17}{check}");
    let plain = if check == 'X' && rng.chance(1, 3) {
        id.to_lowercase()
    } else {
        id.clone()
    };
    let sep = if rng.chance(1, 3) { "-" } else { " " };
    let separated = format!("{}{sep}{}{sep}{}", &plain[..6], &plain[6..14], &plain[14..]);
    Value::new(plain, id).separated(separated)
}

fn credit_code(rng: &mut Rng) -> Value {
    let kind = rng.pick(&["91", "91", "91", "92", "93", "12", "52"]);
    let org_body = if rng.chance(1, 2) {
        rng.digits(8)
    } else {
        let letters: Vec<u8> = checks::CREDIT_ALPHABET[10..].to_vec();
        format!("MA{}", rng.string(&[DIGITS, &letters].concat(), 6))
    };
    let org_check = checks::organisation_code_check(&org_body);
    let first17 = format!("{kind}{}{org_body}{org_check}", rng.pick(REGIONS));
    let code = format!("{first17}{}", checks::credit_code_check(&first17));
    Value::new(code.clone(), code)
}

fn ssn(rng: &mut Rng) -> Value {
    let area = loop {
        let a = rng.range(1, 899);
        if a != 666 {
            break a;
        }
    };
    let (group, serial) = (rng.range(1, 99), rng.range(1, 9999));
    let digits = format!("{area:03}{group:02}{serial:04}");
    let dashed = format!("{area:03}-{group:02}-{serial:04}");
    let spaced = format!("{area:03} {group:02} {serial:04}");
    if rng.chance(1, 4) {
        // Nine bare digits mean an SSN only when named as one.
        let mut v = Value::new(digits.clone(), digits).separated(spaced);
        v.context = Some("SSN");
        return v;
    }
    Value::new(dashed, digits).separated(spaced)
}

/// A passport or permit number of one of the common shapes, after the
/// document's name (alone it means nothing).
fn passport(rng: &mut Rng) -> Value {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    let number = match rng.below(8) {
        // China: E and eight digits, or E, a letter and seven; the Hong Kong
        // and Macau permit, C likewise; the home-return permit.
        0 => format!("{}{}", rng.pick(&["E", "G", "C", "H"]), rng.digits(8)),
        1 => format!(
            "{}{}{}",
            rng.pick(&["E", "C"]),
            rng.string(LETTERS, 1),
            rng.digits(7)
        ),
        2 => format!("H{}", rng.digits(10)),
        // United States, United Kingdom: nine digits.
        3 => format!("{}{}", rng.range(1, 9), rng.digits(8)),
        // Germany: C and eight of digits and letters, here two letters.
        4 => {
            format!(
                "C{}{}{}{}",
                rng.digits(2),
                rng.string(b"CFGHJKLMNPRTVWXYZ", 1),
                rng.digits(3),
                rng.string(b"CFGHJKLMNPRTVWXYZ", 1)
            ) + &rng.digits(1)
        }
        // Japan, India, France.
        5 => format!("{}{}", rng.string(LETTERS, 2), rng.digits(7)),
        6 => format!("{}{}", rng.string(LETTERS, 1), rng.digits(7)),
        _ => format!(
            "{}{}{}",
            rng.digits(2),
            rng.string(LETTERS, 2),
            rng.digits(5)
        ),
    };
    let mut v = Value::new(number.clone(), number);
    v.context = Some(*rng.pick(&[
        "passport",
        "Passport No.",
        "passport number",
        "护照号码",
        "护照",
        "港澳通行证",
        "回乡证号码",
    ]));
    v.column = Some(*rng.pick(&["Passport No.", "passport_number", "护照号码", "护照"]));
    v
}

/// A Hong Kong identity card (as printed, the check in brackets), a Taiwan
/// ID or a Singapore NRIC or FIN, with its check character; or, after its
/// name, one whose shape alone says nothing.
pub fn national_id(rng: &mut Rng) -> Value {
    if rng.chance(1, 4) {
        return named_identity(rng);
    }
    let id = match rng.below(3) {
        0 => {
            let letters = *rng.pick(&[1, 1, 2]);
            let head = rng.string(UPPER, letters);
            let digits = rng.digits(6);
            let check = checks::hkid_check(&head, &digits);
            format!("{head}{digits}({check})")
        }
        1 => {
            let first9 = format!(
                "{}{}{}",
                rng.string(UPPER, 1),
                rng.pick(&["1", "2", "1", "2", "8", "9"]),
                rng.digits(7)
            );
            let check = checks::taiwan_id_check(&first9);
            format!("{first9}{check}")
        }
        _ => {
            let series = *rng.pick(&['S', 'T', 'F', 'G']);
            let digits = rng.digits(7);
            let check = checks::nric_check(series, &digits);
            format!("{series}{digits}{check}")
        }
    };
    Value::new(id.clone(), id)
}

/// An identity number read only after its name: Hong Kong's without its
/// brackets, the British National Insurance number, Japan's My Number,
/// Korea's resident registration number, Macau's with its bracketed check.
fn named_identity(rng: &mut Rng) -> Value {
    let (id, names, columns): (String, &[&'static str], &[&'static str]) = match rng.below(5) {
        0 => {
            let head = rng.string(UPPER, 1);
            let digits = rng.digits(6);
            let check = checks::hkid_check(&head, &digits);
            (
                format!("{head}{digits}{check}"),
                &["HKID", "香港身份證號碼", "ID card no."],
                &["HKID", "香港身份證號碼"],
            )
        }
        1 => (
            format!(
                "{}{}{}",
                rng.string(b"ABCEGHJKLMNOPRSTWXYZ", 2),
                rng.digits(6),
                rng.string(b"ABCD", 1)
            ),
            &[
                "National Insurance number",
                "NINO:",
                "national insurance no.",
            ],
            &["NINO", "national_insurance_number"],
        ),
        2 => (
            format!("{}{}", rng.range(1, 9), rng.digits(11)),
            &["マイナンバー", "個人番号：", "My Number (マイナンバー)"],
            &["マイナンバー", "個人番号"],
        ),
        3 => (
            format!(
                "{:02}{:02}{:02}-{}{}",
                rng.range(0, 99),
                rng.range(1, 12),
                rng.range(1, 28),
                rng.range(1, 4),
                rng.digits(6)
            ),
            &["주민등록번호", "RRN", "resident registration number"],
            &["RRN", "주민등록번호"],
        ),
        _ => (
            format!(
                "{}{}({})",
                rng.pick(&["1", "5", "7"]),
                rng.digits(6),
                rng.digits(1)
            ),
            &["澳門身份證", "澳门居民身份证号码", "BIR no."],
            &["澳門身份證", "BIR"],
        ),
    };
    // National Insurance numbers and My Numbers one time in two in the groups
    // the cards print: `AB 12 34 56 C`, `1234 5678 9012`.
    let grouped = match id.len() {
        9 if id.as_bytes()[0].is_ascii_alphabetic() && rng.chance(1, 2) => Some(format!(
            "{} {} {} {} {}",
            &id[..2],
            &id[2..4],
            &id[4..6],
            &id[6..8],
            &id[8..]
        )),
        12 if rng.chance(1, 2) => Some(format!("{} {} {}", &id[..4], &id[4..8], &id[8..])),
        _ => None,
    };
    let mut v = Value::new(grouped.unwrap_or_else(|| id.clone()), id);
    v.context = Some(*rng.pick(names));
    v.column = Some(*rng.pick(columns));
    v
}

/// A date of birth in one of the common shapes, after its name (alone a
/// date means nothing).
fn birth_date(rng: &mut Rng) -> Value {
    const MONTHS: &[&str] = &[
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (year, month, day) = (rng.range(1930, 2010), rng.range(1, 12), rng.range(1, 28));
    let name = |m: u32| MONTHS[(m - 1) as usize];
    // A month or day in Chinese words: `三`, `十二`, `二十三`.
    let words = |n: u32| {
        const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
        let (tens, units) = ((n / 10) as usize, DIGITS[(n % 10) as usize]);
        match tens {
            0 => units.to_string(),
            1 => format!("十{units}"),
            _ => format!("{}十{units}", DIGITS[tens]),
        }
    };
    let date = match rng.below(10) {
        9 => format!("{year}年{}月{}日", words(month), words(day)),
        8 => format!("{day:02}/{month:02}/{:02}", year % 100),
        0 => format!("{year}-{month:02}-{day:02}"),
        1 => format!("{year}/{month}/{day}"),
        2 => format!("{day:02}/{month:02}/{year}"),
        3 => format!("{month:02}/{day:02}/{year}"),
        4 => format!("{day:02}.{month:02}.{year}"),
        5 => format!("{year}年{month}月{day}日"),
        6 => format!("{day} {} {year}", name(month)),
        _ => format!("{} {day}, {year}", name(month)),
    };
    let mut v = Value::new(date.clone(), date);
    v.context = Some(*rng.pick(&[
        "date of birth:",
        "DOB",
        "D.O.B.",
        "born on",
        "birthday",
        "出生日期：",
        "出生于",
        "生年月日",
    ]));
    v.column = Some(*rng.pick(&["DOB", "Date of Birth", "出生日期", "birthday"]));
    v
}

/// A card of one of the brands, completed with its Luhn digit.
fn card(rng: &mut Rng) -> Value {
    let (prefix, len) = match rng.below(12) {
        0..=3 => ("4".to_string(), *rng.pick(&[16, 16, 16, 13, 19])),
        4 | 5 => (rng.range(51, 55).to_string(), 16),
        6 => (rng.range(2221, 2720).to_string(), 16),
        7 => (rng.pick(&["34", "37"]).to_string(), 15),
        8 | 9 => (format!("62{}", rng.range(10, 99)), *rng.pick(&[16, 19])),
        10 => (rng.range(3528, 3589).to_string(), 16),
        _ => (rng.pick(&["6011", "65"]).to_string(), 16),
    };
    let body = format!("{prefix}{}", rng.digits(len - 1 - prefix.len()));
    let number = format!("{body}{}", checks::luhn_digit(&body));
    debug_assert!(checks::card_valid(&number));
    let sizes: &[usize] = match len {
        15 => &[4, 6, 5],
        13 => &[4, 3, 3, 3],
        19 if rng.chance(1, 3) => &[6, 13],
        19 => &[4, 4, 4, 4, 3],
        _ => &[4, 4, 4, 4],
    };
    let mut groups = Vec::new();
    let mut at = 0;
    for size in sizes {
        groups.push(&number[at..at + size]);
        at += size;
    }
    let separated = match rng.below(10) {
        0..=4 => groups.join(" "),
        5..=7 => groups.join("-"),
        8 => groups.join("."),
        _ => {
            // Mixed separators, one per gap.
            let mut out = groups[0].to_string();
            for (i, g) in groups[1..].iter().enumerate() {
                out.push([' ', '-', '.'][i % 3]);
                out.push_str(g);
            }
            out
        }
    };
    Value::new(number.clone(), number).separated(separated)
}

/// A domestic account number, after its name or in a column named for it: a
/// British one under its sort code, an American one, a German one, a
/// Chinese company's or person's (not a card's: the draw is made to fail
/// Luhn where it has a card's length).
fn bank_account(rng: &mut Rng) -> Value {
    let (digits, groups): (String, Vec<usize>) = match rng.below(5) {
        0 => (rng.digits(8), vec![8]),
        1 => (format!("000{}", rng.digits(9)), vec![12]),
        2 => (format!("0{}", rng.digits(9)), vec![10]),
        3 => (format!("1100{}", rng.digits(16)), vec![4, 4, 4, 4, 4]),
        _ => (
            format!("{}", rng.range(100_000_000, 999_999_999)) + &rng.digits(6),
            vec![5, 5, 5],
        ),
    };
    let digits = if checks::luhn_valid(&digits) && (13..=19).contains(&digits.len()) {
        // Another last digit: no card.
        let last = digits.as_bytes()[digits.len() - 1];
        format!(
            "{}{}",
            &digits[..digits.len() - 1],
            (b'0' + (last - b'0' + 1) % 10) as char
        )
    } else {
        digits
    };
    let mut at = 0;
    let parts: Vec<&str> = groups
        .iter()
        .map(|&n| {
            let part = &digits[at..at + n];
            at += n;
            part
        })
        .collect();
    let separated = parts.join(if rng.chance(1, 2) { " " } else { "-" });
    let mut v = Value::new(digits.clone(), digits).separated(separated);
    v.context = Some(*rng.pick(&[
        "account no.",
        "Account number:",
        "acct #",
        "bank account",
        "Kontonummer",
        "银行账号：",
        "收款账户",
        "对公账号为",
    ]));
    v.column = Some(*rng.pick(&["Account No.", "account_number", "银行账号", "账户"]));
    v
}

fn iban(rng: &mut Rng) -> Value {
    let d = |rng: &mut Rng, k| rng.digits(k);
    let alnum = |rng: &mut Rng, k| rng.string(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k);
    let (country, bban) = match rng.below(12) {
        0 | 1 => ("DE", d(rng, 18)),
        2 => ("GB", format!("{}{}", rng.string(UPPER, 4), d(rng, 14))),
        3 => (
            "FR",
            format!("{}{}{}", d(rng, 10), alnum(rng, 11), d(rng, 2)),
        ),
        4 => ("NL", format!("{}{}", rng.string(UPPER, 4), d(rng, 10))),
        5 => ("CH", format!("{}{}", d(rng, 5), alnum(rng, 12))),
        6 => ("ES", d(rng, 20)),
        7 => (
            "IT",
            format!("{}{}{}", rng.string(UPPER, 1), d(rng, 10), alnum(rng, 12)),
        ),
        8 => ("BE", d(rng, 12)),
        9 => ("NO", d(rng, 11)),
        10 => ("PL", d(rng, 24)),
        _ => ("AE", d(rng, 19)),
    };
    let iban = checks::iban(country, &bban);
    debug_assert!(checks::iban_valid(&iban));
    let spaced: Vec<String> = iban
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let plain = if rng.chance(1, 6) {
        iban.to_lowercase()
    } else {
        iban.clone()
    };
    Value::new(plain, iban).separated(spaced.join(" "))
}

fn ipv4(rng: &mut Rng) -> Value {
    let o = |rng: &mut Rng| rng.range(0, 255);
    let address = match rng.below(5) {
        0 => format!("10.{}.{}.{}", o(rng), o(rng), rng.range(1, 254)),
        1 => format!("192.168.{}.{}", o(rng), rng.range(1, 254)),
        2 => format!("172.{}.{}.{}", rng.range(16, 31), o(rng), rng.range(1, 254)),
        _ => format!(
            "{}.{}.{}.{}",
            rng.range(1, 223),
            o(rng),
            o(rng),
            rng.range(1, 254)
        ),
    };
    let plain = match rng.below(4) {
        0 => format!("{address}:{}", rng.pick(&["22", "443", "5432", "8080"])),
        _ => address.clone(),
    };
    Value::new(plain, address)
}

fn ipv6(rng: &mut Rng) -> Value {
    let kind = rng.below(6);
    let mut h = || format!("{:x}", rng.range(0x100, 0xffff));
    let address = match kind {
        0 => format!("2001:db8:{}:{}::{}", h(), h(), h()),
        1 => (0..8).map(|_| h()).collect::<Vec<_>>().join(":"),
        2 => format!("fe80::{}:{}:{}:{}", h(), h(), h(), h()),
        3 => format!("240e:{}:{}:{}::{}", h(), h(), h(), h()),
        4 => format!("2408:{}:{}::{}:{}", h(), h(), h(), h()),
        _ => {
            let v4 = format!(
                "{}.{}.{}.{}",
                rng.range(1, 223),
                rng.range(0, 255),
                rng.range(0, 255),
                rng.range(1, 254)
            );
            format!("::ffff:{v4}")
        }
    };
    let plain = if rng.chance(1, 5) {
        address.to_uppercase()
    } else {
        address.clone()
    };
    Value::new(plain, address)
}

fn openai_key(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!("sk-{}", rng.string(BASE62, 48)),
        1 => format!("sk-proj-{}", rng.string(BASE64URL, 156)),
        _ => format!("sk-svcacct-{}", rng.string(BASE64URL, 156)),
    }
}

fn anthropic_key(rng: &mut Rng) -> String {
    let kind = rng.pick(&["api03", "api03", "admin01"]);
    format!("sk-ant-{kind}-{}AA", rng.string(BASE64URL, 93))
}

fn aws_key(rng: &mut Rng) -> String {
    let prefix = rng.pick(&["AKIA", "AKIA", "ASIA"]);
    format!(
        "{prefix}{}",
        rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    )
}

/// An access key ID, or one in three times the ID and its secret access key
/// as people paste them (`ID:SECRET`, `ID SECRET`, `ID, secret SECRET`, or
/// the secret first, `SECRET, key ID ID`): then the secret is what must not
/// cross.
fn aws_pair(rng: &mut Rng) -> Value {
    let id = aws_key(rng);
    if !rng.chance(1, 3) {
        return token(id);
    }
    let secret = loop {
        let s = rng.string(BASE64, 40);
        let has = |hit: fn(&u8) -> bool| s.bytes().any(|b| hit(&b));
        if has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit) {
            break s;
        }
    };
    let glue = rng.pick(&[":", " ", " / ", ", secret ", "\nsecret access key: "]);
    // One pair in four the other way round: the secret, then its key ID.
    if rng.chance(1, 4) {
        let glue = rng.pick(&[" ", ", key ID ", "\naccess key ID: "]);
        return Value::new(format!("{secret}{glue}{id}"), secret);
    }
    Value::new(format!("{id}{glue}{secret}"), secret)
}

fn github_token(rng: &mut Rng) -> String {
    if rng.chance(1, 4) {
        return format!(
            "github_pat_{}_{}",
            rng.string(BASE62, 22),
            rng.string(BASE62, 59)
        );
    }
    let prefix = rng.pick(&["ghp", "ghp", "gho", "ghu", "ghs", "ghr"]);
    format!("{prefix}_{}", rng.string(BASE62, 36))
}

fn slack_token(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!(
            "xoxb-{}-{}-{}",
            rng.digits(12),
            rng.digits(13),
            rng.string(BASE62, 24)
        ),
        1 => format!(
            "xoxp-{}-{}-{}-{}",
            rng.digits(12),
            rng.digits(12),
            rng.digits(13),
            rng.string(HEX, 32)
        ),
        _ => format!(
            "xapp-1-A{}-{}-{}",
            rng.string(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10),
            rng.digits(13),
            rng.string(HEX, 64)
        ),
    }
}

fn stripe_key(rng: &mut Rng) -> String {
    let prefix = rng.pick(&["sk_live", "sk_live", "sk_test", "rk_live"]);
    let len = *rng.pick(&[24, 99]);
    format!("{prefix}_{}", rng.string(BASE62, len))
}

/// A PEM private-key block; the label is its first line of key material.
fn private_key(rng: &mut Rng) -> Value {
    let kind = rng.pick(&[
        "RSA PRIVATE KEY",
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
    ]);
    let mut lines: Vec<String> = (0..rng.range(3, 6))
        .map(|_| rng.string(BASE64, 64))
        .collect();
    lines.push(format!("{}==", rng.string(BASE64, 22)));
    // Pasted from a file (real newlines) or from JSON or an .env file (`\n`).
    let newline = if rng.chance(1, 3) { "\\n" } else { "\n" };
    let pem = format!(
        "-----BEGIN {kind}-----{newline}{}{newline}-----END {kind}-----",
        lines.join(newline)
    );
    Value::new(pem, lines[0].clone())
}

/// base64url without padding (RFC 4648, section 5).
fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn jwt(rng: &mut Rng) -> String {
    let (header, sig_len) = if rng.chance(1, 2) {
        (r#"{"alg":"HS256","typ":"JWT"}"#.to_string(), 32)
    } else {
        (
            format!(
                r#"{{"alg":"RS256","kid":"{}","typ":"JWT"}}"#,
                rng.string(HEX, 16)
            ),
            256,
        )
    };
    let iat = 1_700_000_000 + rng.range(0, 50_000_000);
    let payload = format!(
        r#"{{"sub":"user_{}","name":"{}","iat":{iat},"exp":{}}}"#,
        rng.digits(6),
        rng.pick(GIVEN),
        iat + 3600
    );
    format!(
        "{}.{}.{}",
        b64url(header.as_bytes()),
        b64url(payload.as_bytes()),
        b64url(&rng.bytes(sig_len))
    )
}

/// A password or secret known only by where it stands: in a URL, after a
/// name in code, an `.env` file or JSON, in an `Authorization` header, in a
/// container's environment, an XML element, a connection string, a curl
/// command, an Oracle connect string, MySQL's `-p` flag or a sentence that
/// states it. The label is the password or secret alone.
fn credential(rng: &mut Rng) -> Value {
    // People's passwords: letters and digits with a symbol inside.
    let len = rng.range(8, 14) as usize;
    let symbol = rng.pick(&["!", "-", "_", ".", "~", "^", "+"]);
    let password = format!("{}{symbol}{}", rng.string(BASE62, len), rng.digits(2));
    let user = rng.pick(&["app", "svc_orders", "admin", "etl", "readonly"]);
    let host = rng.pick(&["db.internal", "10.8.0.12", "mq.example.cn", "cache-01"]);
    match rng.below(14) {
        // A card's security code by its name; the label holds the name too,
        // since three digits alone stand in many texts.
        12 => {
            let digits = if rng.chance(1, 4) { 4 } else { 3 };
            let code = rng.digits(digits);
            let name = rng.pick(&[
                "CVV ",
                "CVV: ",
                "cvv2 ",
                "CVC: ",
                "security code ",
                "安全码：",
            ]);
            let phrase = format!("{name}{code}");
            Value::new(format!("card expiring 09/29, {phrase}"), phrase)
        }
        0 | 1 => {
            let scheme = rng.pick(&["postgres", "mysql", "redis", "amqp", "mongodb+srv", "https"]);
            Value::new(
                format!("{scheme}://{user}:{password}@{host}/prod"),
                password,
            )
        }
        2 => {
            let name = rng.pick(&[
                "DB_PASSWORD",
                "MYSQL_ROOT_PASSWORD",
                "SMTP_PASS",
                "redis.password",
                "DBPASS",
            ]);
            Value::new(format!("{name}={password}"), password)
        }
        3 => Value::new(
            format!(r#"{{"user": "{user}", "password": "{password}"}}"#),
            password,
        ),
        4 => {
            let secret = rng.string(BASE64, 40);
            let name = rng.pick(&[
                "AWS_SECRET_ACCESS_KEY",
                "client_secret",
                "x-api-key",
                "AccountKey",
            ]);
            Value::new(format!("{name}={secret}"), secret)
        }
        5 => {
            let basic = b64url(format!("{user}:{password}").as_bytes());
            Value::new(format!("Authorization: Basic {basic}"), basic)
        }
        6 => Value::new(format!("password: {password}"), password),
        7 => {
            let name = rng.pick(&["DB_PASSWORD", "SMTP_PASS", "API_TOKEN", "REDIS_PASSWORD"]);
            let entry = if rng.below(2) == 0 {
                format!("- name: {name}\n  value: {password}")
            } else {
                format!(r#"{{"name": "{name}", "value": "{password}"}}"#)
            };
            Value::new(entry, password)
        }
        8 => {
            let element = rng.pick(&["password", "Password", "wsse:Password", "passphrase"]);
            Value::new(format!("<{element}>{password}</{element}>"), password)
        }
        9 => Value::new(
            format!("Server={host};Database=orders;Uid={user};Pwd={password};"),
            password,
        ),
        10 => Value::new(
            format!("curl -u {user}:{password} https://{host}/api/v1/export"),
            password,
        ),
        11 => {
            if rng.below(5) == 0 {
                let key = format!("{}{}", rng.string(BASE62, 14), rng.digits(2));
                return Value::new(format!("my API key for {host} is {key}"), key);
            }
            if rng.below(5) == 0 {
                let len = rng.range(4, 8) as usize;
                let pin = rng.digits(len);
                return Value::new(format!(r#"{{"user": "{user}", "card_pin": "{pin}"}}"#), pin);
            }
            let sentence = match rng.below(5) {
                0 => format!("the password for {user} on {host} is {password}"),
                1 => format!("I reset my password to {password} this morning"),
                2 => format!("machine {host} login {user} password {password}"),
                3 => format!("the password we gave {user} is {password}"),
                _ => format!("{host}的密码改为{password}"),
            };
            Value::new(sentence, password)
        }
        _ if rng.below(2) == 0 => {
            let lead = rng.pick(&["sqlplus ", "jdbc:oracle:thin:", "CONNECT ", "expdp "]);
            Value::new(
                format!("{lead}{user}/{password}@{host}:1521/ORCL"),
                password,
            )
        }
        _ => {
            let client = rng.pick(&["mysql", "mysqldump", "mariadb"]);
            Value::new(
                format!("{client} -h {host} -u {user} -p{password} orders"),
                password,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url() {
        assert_eq!(b64url(b"{\"alg\""), "eyJhbGci");
        assert_eq!(b64url(b"ab"), "YWI");
    }

    #[test]
    fn values_are_valid() {
        let mut rng = Rng::new(7);
        for _ in 0..200 {
            let card = make("payment_card", &mut rng);
            assert!(checks::card_valid(&card.label), "{}", card.label);
            let id = make("cn_resident_id", &mut rng).label;
            assert_eq!(
                checks::resident_id_check(&id[..17]),
                id.chars().last().unwrap()
            );
            assert!(checks::iban_valid(&make("iban", &mut rng).label));
        }
    }
}
