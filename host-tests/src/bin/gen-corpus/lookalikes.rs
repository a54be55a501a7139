//! Look-alikes: strings shaped like sensitive data that are not, and that no
//! detector may report. Numbers that fail a checksum fail it on purpose.

use crate::checks;
use crate::rng::{Rng, BASE62, BASE64, HEX};
use crate::values::Value;

/// Each kind of look-alike: name, what a sentence calls it (English, Chinese).
pub const KINDS: &[(&str, &str, &str)] = &[
    ("order_number", "order number", "订单号"),
    ("tracking_number", "tracking number", "快递单号"),
    ("unix_timestamp", "timestamp", "时间戳"),
    ("iso_timestamp", "timestamp", "时间"),
    ("uuid", "request id", "请求ID"),
    ("commit_hash", "commit", "提交"),
    ("version", "version", "版本号"),
    ("price", "total", "金额"),
    ("date", "date", "日期"),
    ("luhn_failing_card", "card-like reference", "参考号"),
    (
        "invalid_resident_id",
        "ID number (fails its check)",
        "证件号（校验失败）",
    ),
    (
        "invalid_credit_code",
        "registration code (fails its check)",
        "登记代码（校验失败）",
    ),
    (
        "invalid_iban",
        "account reference (fails mod 97)",
        "账户参考（校验失败）",
    ),
    ("invalid_ssn", "test SSN", "测试SSN"),
    ("landline_or_short_number", "hotline", "热线"),
    ("non_mobile_11_digits", "member number", "会员号"),
    ("dotted_numbers", "section", "编号"),
    ("colon_groups", "reading", "读数"),
    ("at_sign", "handle", "账号"),
    ("key_like_words", "identifier", "标识"),
    ("pem_public", "certificate", "证书"),
    ("isbn", "ISBN", "ISBN"),
    ("coordinates", "location", "坐标"),
    ("long_digit_run", "sequence", "序列"),
    ("hex_and_base64", "checksum", "校验和"),
    ("plus_and_signs", "note", "备注"),
    ("credential_reference", "database login", "数据库登录信息"),
    ("passport_reference", "passport renewal fee", "护照加急费"),
    (
        "invalid_national_id",
        "member code (fails its check)",
        "会员编码（校验失败）",
    ),
    ("birth_reference", "event", "活动"),
    ("table_columns", "table", "表格"),
    ("phone_shaped", "ticket", "工单号"),
];

fn neg(plain: String) -> Value {
    Value {
        label: String::new(),
        plain,
        separated: None,
        context: None,
        column: None,
    }
}

fn neg_sep(plain: String, separated: String) -> Value {
    Value {
        separated: Some(separated),
        ..neg(plain)
    }
}

/// Digits of length `len` starting with `prefix` that are no identifier.
fn digits_not_identifier(rng: &mut Rng, prefix: &str, len: usize) -> String {
    loop {
        let d = format!("{prefix}{}", rng.digits(len - prefix.len()));
        if !checks::digits_are_valid_identifier(&d) {
            return d;
        }
    }
}

/// `number` with its last digit changed so that its check fails.
fn break_last(number: &str, still_valid: impl Fn(&str) -> bool) -> String {
    let (body, last) = number.split_at(number.len() - 1);
    let last = last.as_bytes()[0];
    (1..10)
        .map(|k| {
            format!(
                "{body}{}",
                char::from(b'0' + (last.wrapping_sub(b'0') + k) % 10)
            )
        })
        .find(|n| !still_valid(n))
        .unwrap_or_else(|| format!("{body}0"))
}

fn group(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut at = 0;
    for size in sizes {
        if at >= s.len() {
            break;
        }
        out.push(&s[at..(at + size).min(s.len())]);
        at += size;
    }
    if at < s.len() {
        out.push(&s[at..]);
    }
    out.join(sep)
}

/// A look-alike of `kind`.
pub fn make(kind: &str, rng: &mut Rng) -> Value {
    let year = rng.range(2019, 2026);
    let month = rng.range(1, 12);
    let day = rng.range(1, checks::days_in(year, month));
    let (hh, mm, ss) = (rng.range(0, 23), rng.range(0, 59), rng.range(0, 59));
    match kind {
        "order_number" => match rng.below(4) {
            0 => neg(format!("{year}{month:02}{day:02}{hh:02}{mm:02}{ss:02}")),
            1 => neg(format!("ORD-{year}-{:06}", rng.range(1, 999_999))),
            2 => neg(digits_not_identifier(rng, &format!("{year}"), 20)),
            _ => neg(format!("#{}", rng.range(10_000, 9_999_999))),
        },
        "tracking_number" => match rng.below(4) {
            0 => {
                let ups = format!(
                    "1Z{}{}",
                    rng.string(b"0123456789ABCDEFGHJKLMNPRSTVWXYZ", 8),
                    rng.digits(8)
                );
                neg(ups)
            }
            1 => {
                let usps = format!("9400{}", rng.digits(18));
                neg_sep(usps.clone(), group(&usps, &[4, 4, 4, 4, 4], " "))
            }
            2 => {
                let fedex = digits_not_identifier(rng, "7", 12);
                neg_sep(fedex.clone(), group(&fedex, &[4, 4, 4], " "))
            }
            _ => neg(format!("SF{}", rng.digits(12))),
        },
        "unix_timestamp" => {
            let seconds = 1_600_000_000 + u64::from(rng.range(0, 200_000_000));
            match rng.below(3) {
                0 => neg(seconds.to_string()),
                1 => neg(format!("{seconds}{:03}", rng.range(0, 999))),
                _ => neg(format!("{seconds}.{:06}", rng.range(0, 999_999))),
            }
        }
        "iso_timestamp" => match rng.below(3) {
            0 => neg(format!(
                "{year}-{month:02}-{day:02}T{hh:02}:{mm:02}:{ss:02}Z"
            )),
            1 => neg(format!(
                "{year}-{month:02}-{day:02} {hh:02}:{mm:02}:{ss:02}.{:03}+08:00",
                rng.range(0, 999)
            )),
            _ => neg(format!("{hh:02}:{mm:02}:{ss:02}")),
        },
        "uuid" => {
            let h = |rng: &mut Rng, n| rng.string(HEX, n);
            let u = format!(
                "{}-{}-4{}-{}{}-{}",
                h(rng, 8),
                h(rng, 4),
                h(rng, 3),
                rng.pick(&["8", "9", "a", "b"]),
                h(rng, 3),
                h(rng, 12)
            );
            neg(if rng.chance(1, 4) {
                u.to_uppercase()
            } else {
                u
            })
        }
        "commit_hash" => match rng.below(3) {
            0 => neg(rng.string(HEX, 40)),
            1 => neg(rng.string(HEX, 7)),
            _ => neg(format!("sha256:{}", rng.string(HEX, 64))),
        },
        "version" => match rng.below(5) {
            0 => neg(format!(
                "{}.{}.{}",
                rng.range(0, 20),
                rng.range(0, 40),
                rng.range(0, 99)
            )),
            1 => neg(format!(
                "v{}.{}.{}.{}",
                rng.range(1, 9),
                rng.range(0, 9),
                rng.range(0, 9),
                rng.range(0, 99)
            )),
            2 => neg(format!(
                "{}.{}.{}.{}.{}",
                rng.range(1, 9),
                rng.range(0, 9),
                rng.range(0, 9),
                rng.range(0, 9),
                rng.range(0, 9)
            )),
            3 => neg(format!(
                "10.0.{}.{}",
                rng.range(10_000, 26_000),
                rng.range(1, 5000)
            )),
            _ => neg(format!(
                "{}.{}.{}-rc.{}",
                rng.range(1, 9),
                rng.range(0, 30),
                rng.range(0, 9),
                rng.range(1, 5)
            )),
        },
        "price" => {
            let whole = rng.range(1_000, 9_999_999);
            let cents = rng.range(0, 99);
            let commas = |n: u32| {
                let s = n.to_string();
                let mut out = String::new();
                for (i, c) in s.chars().enumerate() {
                    if i > 0 && (s.len() - i).is_multiple_of(3) {
                        out.push(',');
                    }
                    out.push(c);
                }
                out
            };
            match rng.below(4) {
                0 => neg(format!("${}.{cents:02}", commas(whole))),
                1 => neg(format!("¥{}.{cents:02}", commas(whole))),
                2 => neg_sep(
                    format!("{whole},{cents:02} €"),
                    format!("{},{cents:02} €", commas(whole).replace(',', " ")),
                ),
                _ => neg(format!("USD {whole}.{cents:02}")),
            }
        }
        "date" => match rng.below(5) {
            0 => neg(format!("{year}-{month:02}-{day:02}")),
            1 => neg(format!("{day:02}.{month:02}.{year}")),
            2 => neg(format!("{year}/{month:02}/{day:02}")),
            3 => neg(format!("{year}年{month}月{day}日")),
            _ => neg(format!("{month:02}/{day:02}/{year}")),
        },
        "luhn_failing_card" => {
            let (prefix, len) = *rng.pick(&[
                ("4", 16),
                ("5", 16),
                ("37", 15),
                ("62", 19),
                ("6011", 16),
                ("35", 16),
            ]);
            let body = format!("{prefix}{}", rng.digits(len - 1 - prefix.len()));
            let valid = format!("{body}{}", checks::luhn_digit(&body));
            let number = break_last(&valid, checks::luhn_valid);
            let sizes: &[usize] = if len == 15 { &[4, 6, 5] } else { &[4, 4, 4, 4] };
            let sep = *rng.pick(&[" ", "-"]);
            neg_sep(number.clone(), group(&number, sizes, sep))
        }
        "invalid_resident_id" => {
            let region = rng.pick(&["110105", "310104", "440305", "510107"]);
            let first17 = format!(
                "{region}{}{month:02}{day:02}{:03}",
                rng.range(1950, 2005),
                rng.range(1, 999)
            );
            let id = if rng.chance(1, 4) {
                // An impossible date: the 30th of February, with a right check.
                let bad = format!("{region}199002301{:02}", rng.range(0, 99));
                format!("{bad}{}", checks::resident_id_check(&bad))
            } else {
                let wrong = b"0123456789X"
                    .iter()
                    .map(|&c| char::from(c))
                    .find(|&c| {
                        c != checks::resident_id_check(&first17)
                            && c != checks::credit_code_check(&first17)
                    })
                    .unwrap_or('0');
                format!("{first17}{wrong}")
            };
            neg_sep(id.clone(), group(&id, &[6, 8, 4], " "))
        }
        "invalid_credit_code" => {
            let first17 = format!(
                "91{}MA{}",
                rng.pick(&["310115", "440300", "110108"]),
                rng.string(b"0123456789ABCDEFGHJKLMNPQRTUWXY", 7)
            );
            let right = checks::credit_code_check(&first17);
            let wrong = checks::CREDIT_ALPHABET
                .iter()
                .map(|&c| char::from(c))
                .find(|&c| c != right && c.is_ascii_digit())
                .unwrap_or('0');
            neg(format!("{first17}{wrong}"))
        }
        "invalid_iban" => {
            let (country, len) = *rng.pick(&[("DE", 18), ("FR", 23), ("ES", 20), ("BE", 12)]);
            let valid = checks::iban(country, &rng.digits(len));
            let broken = break_last(&valid, checks::iban_valid);
            let spaced = group(&broken, &[4; 8], " ");
            neg_sep(broken, spaced)
        }
        "invalid_ssn" => {
            let (area, group_no, serial) = match rng.below(5) {
                0 => (
                    "000".to_string(),
                    format!("{:02}", rng.range(1, 99)),
                    format!("{:04}", rng.range(1, 9999)),
                ),
                1 => (
                    "666".to_string(),
                    format!("{:02}", rng.range(1, 99)),
                    format!("{:04}", rng.range(1, 9999)),
                ),
                2 => (
                    rng.range(900, 999).to_string(),
                    format!("{:02}", rng.range(1, 99)),
                    format!("{:04}", rng.range(1, 9999)),
                ),
                3 => (
                    format!("{:03}", rng.range(1, 665)),
                    "00".to_string(),
                    format!("{:04}", rng.range(1, 9999)),
                ),
                _ => (
                    format!("{:03}", rng.range(1, 665)),
                    format!("{:02}", rng.range(1, 99)),
                    "0000".to_string(),
                ),
            };
            neg_sep(
                format!("{area}-{group_no}-{serial}"),
                format!("{area} {group_no} {serial}"),
            )
        }
        "landline_or_short_number" => match rng.below(5) {
            0 => neg_sep(
                format!("010{}", rng.digits(8)),
                format!("010-{}", rng.digits(8)),
            ),
            1 => neg_sep(
                format!("021{}", rng.digits(8)),
                format!("021 {} {}", rng.digits(4), rng.digits(4)),
            ),
            2 => neg(format!("(0755) {} {}", rng.digits(4), rng.digits(4))),
            3 => neg(format!(
                "{}-555-01{:02}",
                rng.range(201, 989),
                rng.range(0, 99)
            )),
            _ => neg(format!("400-{}-{}", rng.digits(3), rng.digits(4))),
        },
        "non_mobile_11_digits" => {
            let prefix = rng.pick(&["10", "11", "12"]);
            let n = digits_not_identifier(rng, prefix, 11);
            neg_sep(n.clone(), group(&n, &[3, 4, 4], " "))
        }
        "dotted_numbers" => match rng.below(4) {
            0 => neg(format!(
                "1.3.6.1.4.1.{}.{}",
                rng.range(1000, 60000),
                rng.range(1, 9)
            )),
            1 => neg(format!(
                "{}.{}.{}.{}",
                rng.range(256, 999),
                rng.range(0, 255),
                rng.range(0, 255),
                rng.range(0, 255)
            )),
            2 => neg(format!(
                "§{}.{}.{}",
                rng.range(1, 20),
                rng.range(1, 20),
                rng.range(1, 20)
            )),
            _ => neg(format!(
                "{}.{:03}.{:03}",
                rng.range(1, 999),
                rng.range(0, 999),
                rng.range(0, 999)
            )),
        },
        "colon_groups" => match rng.below(5) {
            0 => neg((0..6)
                .map(|_| rng.string(b"0123456789ABCDEF", 2))
                .collect::<Vec<_>>()
                .join(":")),
            1 => neg(format!("{hh:02}:{mm:02}:{ss:02}")),
            2 => neg("std::collections::HashMap".to_string()),
            3 => neg(format!("a[{}::{}]", rng.range(1, 9), rng.range(1, 9))),
            _ => neg(format!("{}:{}", rng.range(1, 32), rng.range(1, 32))),
        },
        "at_sign" => match rng.below(5) {
            0 => neg(format!(
                "@{}",
                rng.pick(&["customs_bot", "ops-team", "dana_lee"])
            )),
            1 => neg(format!(
                "{}@localhost",
                rng.pick(&["root", "admin", "postgres"])
            )),
            2 => neg(format!(
                "npm i @scope/pkg@{}.{}.{}",
                rng.range(1, 9),
                rng.range(0, 9),
                rng.range(0, 9)
            )),
            3 => neg("name at example dot com".to_string()),
            _ => neg(format!("git@{}", rng.pick(&["github", "gitlab"]))),
        },
        "key_like_words" => match rng.below(7) {
            0 => neg("sk-learn".to_string()),
            1 => neg(format!("task-{}", rng.string(BASE62, 24).to_lowercase())),
            2 => neg(format!("pk_live_{}", rng.string(BASE62, 24))),
            3 => neg(format!("sk_live_{}", rng.string(BASE62, 8))),
            4 => neg(format!(
                "AKIA{}",
                rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 12)
            )),
            5 => neg(format!("ghp_{}", rng.string(BASE62, 10))),
            _ => neg(format!(
                "xoxb-{}",
                rng.pick(&["notatoken", "placeholder", "your-token-here"])
            )),
        },
        // Where a credential would stand, a reference to one kept elsewhere,
        // a mask, or none at all.
        "credential_reference" => match rng.below(18) {
            0 => neg("password: ${DB_PASSWORD}".to_string()),
            1 => neg(format!("DB_PASSWORD=$DB_PASSWORD_{}", rng.digits(1))),
            2 => neg(r#"password = os.environ["DB_PASSWORD"]"#.to_string()),
            3 => neg(format!(
                "postgres://db.internal:{}/orders?sslmode=require",
                rng.range(5400, 5499)
            )),
            4 => neg(r#"{"user": "app", "password": "<your password>"}"#.to_string()),
            5 => neg("password: ********".to_string()),
            6 => neg(format!("max_tokens={}", rng.range(16, 4096))),
            7 => neg("if password == confirm_password:".to_string()),
            8 => neg(
                "- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      name: db-secret\n      key: password"
                    .to_string(),
            ),
            9 => neg("<password>${DB_PASSWORD}</password>".to_string()),
            10 => neg(format!(
                "Server=db{};Uid=app;Pwd=%DB_PWD%;",
                rng.range(1, 9)
            )),
            11 => neg(r#"curl -u "$API_USER:$API_PASS" https://api.example.com"#.to_string()),
            12 => neg(format!(
                "the password must be {} characters long and was last changed on 2024-0{}-1{}",
                rng.range(8, 16),
                rng.range(1, 9),
                rng.range(0, 9)
            )),
            13 => neg(format!(
                "密码长度至少{}位，上次修改于{}天前，重置链接是https://example.com/r/{}",
                rng.range(8, 16),
                rng.range(2, 90),
                rng.digits(6)
            )),
            14 => neg(format!(
                "%ops ALL=(root) NOPASSWD: /usr/bin/systemctl restart app{}; GIT_ASKPASS=echo",
                rng.range(1, 9)
            )),
            15 => neg(format!(
                "please send the new password to ops{} and the token to svc_ci; gpio_pin: {}",
                rng.digits(4),
                rng.range(2, 40)
            )),
            16 => neg(format!(
                r#"{{"led_pin": {}, "spin": {}, "pincode_hint": "none"}}"#,
                rng.range(2, 40),
                rng.range(1000, 9999)
            )),
            _ if rng.below(2) == 0 => {
                neg("sqlplus / as sysdba, then sqlplus $DB_USER/$DB_PASS@orcl".to_string())
            }
            _ => neg(format!(
                "mysql -h db{} -u app -p orders (it asks for the password); mkdir -p backup",
                rng.range(1, 9)
            )),
        },
        // Shaped like a passport number, but no document's name stands right
        // before it: the noun says "fee", or other words come between.
        // Dates near a word about birth that does not name the date as one.
        "birth_reference" => {
            let date = format!("{}-{:02}-{:02}", rng.range(2020, 2030), rng.range(1, 12), rng.range(1, 28));
            match rng.below(3) {
                0 => neg(format!("birthday party on {date}")),
                1 => neg(format!("births registered on {date}")),
                _ => neg(format!("生日会定在{date}")),
            }
        }
        // Numbers shaped like passports and dates in a table, an SQL
        // `INSERT`, XML elements or an HTML table that name them as something else, or a
        // header that names a passport over a cell holding more than a number.
        "table_columns" => {
            let number = format!("E{}", rng.digits(8));
            let date = format!("{}-{:02}-{:02}", rng.range(1930, 2010), rng.range(1, 12), rng.range(1, 28));
            match rng.below(6) {
                5 => neg(format!(
                    "<table><tr><th>Order</th><th>Shipped</th></tr><tr><td>{number}</td><td>{date}</td></tr></table>"
                )),
                0 => neg(format!("\n| order | shipped |\n|---|---|\n| {number} | {date} |\n")),
                1 => neg(format!("\nbatch,made on\n{number},{date}\n")),
                2 => neg(format!("\nINSERT INTO orders (ref, shipped) VALUES ('{number}', '{date}');\n")),
                3 => neg(format!("<order><OrderNo>{number}</OrderNo><Shipped>{date}</Shipped></order>")),
                _ => neg(format!("\n| 护照 | 备注 |\n|---|---|\n| 见附件 {number} | 已核对 |\n")),
            }
        }
        // Numbers shaped as a country writes its phone numbers, named as
        // something else, or a business's line after `call` alone.
        "phone_shaped" => {
            let number = format!("020 7{} {}", rng.digits(3), rng.digits(4));
            let date = format!("{year}-{month:02}-{day:02}");
            match rng.below(6) {
                0 => neg(format!("Call 0800 {} {} for support", rng.digits(3), rng.digits(4))),
                // A toll-free line is a business's, in its North American shape.
                1 => neg(format!(
                    "Call ({}) {}-{} for support",
                    rng.pick(&["800", "833", "844", "855", "866", "877", "888"]),
                    rng.range(200, 999),
                    rng.digits(4)
                )),
                2 => neg(format!("\n| Ticket | Opened |\n|---|---|\n| {number} | {date} |\n")),
                3 => neg(format!("\nINSERT INTO tickets (ref, opened) VALUES ('{number}', '{date}');\n")),
                4 => neg(format!("phone model {}", rng.digits(7))),
                _ => neg(format!("<Ticket><Ref>{number}</Ref><Opened>{date}</Opened></Ticket>")),
            }
        }
        "passport_reference" => match rng.below(4) {
            0 => neg(format!("E{}", rng.digits(8))),
            1 => neg(format!("booking CA{}", rng.digits(7))),
            2 => neg(format!("passport photo, order {}", rng.digits(9))),
            _ => neg(format!("护照有效期至{}年", rng.range(2026, 2036))),
        },
        // A national identity number with its check character changed, or a
        // Hong Kong one without its brackets (any product code).
        "invalid_national_id" => {
            let id = crate::values::national_id(rng).plain;
            match id.find('(') {
                Some(_) if rng.chance(1, 2) => neg(id.replace(['(', ')'], "")),
                Some(open) => {
                    let check = id.as_bytes()[open + 1];
                    let other = if check == b'A' { '0' } else { (b'0' + (check - b'0' + 1) % 10) as char };
                    neg(format!("{}({other})", &id[..open]))
                }
                None => {
                    let (body, last) = id.split_at(id.len() - 1);
                    let last = last.as_bytes()[0];
                    let other = if last.is_ascii_digit() {
                        (b'0' + (last - b'0' + 1) % 10) as char
                    } else {
                        (b'A' + (last - b'A' + 1) % 26) as char
                    };
                    neg(format!("{body}{other}"))
                }
            }
        }
        "pem_public" => {
            let kind = rng.pick(&["CERTIFICATE", "PUBLIC KEY", "CERTIFICATE REQUEST"]);
            neg(format!(
                "-----BEGIN {kind}-----\n{}\n{}==\n-----END {kind}-----",
                rng.string(BASE64, 64),
                rng.string(BASE64, 20)
            ))
        }
        "isbn" => {
            let body = format!("978{}", rng.digits(9));
            let sum: u32 = body
                .bytes()
                .enumerate()
                .map(|(i, c)| u32::from(c - b'0') * if i % 2 == 0 { 1 } else { 3 })
                .sum();
            let isbn = format!("{body}{}", (10 - sum % 10) % 10);
            neg_sep(
                isbn.clone(),
                format!(
                    "{}-{}-{}-{}-{}",
                    &isbn[..3],
                    &isbn[3..4],
                    &isbn[4..6],
                    &isbn[6..12],
                    &isbn[12..]
                ),
            )
        }
        "coordinates" => neg(format!(
            "{}.{:04}, {}.{:04}",
            rng.range(18, 53),
            rng.range(0, 9999),
            rng.range(73, 135),
            rng.range(0, 9999)
        )),
        "long_digit_run" => match rng.below(3) {
            0 => neg(digits_not_identifier(rng, "3", 21)),
            1 => neg(format!("3.{}", rng.digits(15))),
            _ => neg((1..=rng.range(12, 24))
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")),
        },
        "hex_and_base64" => match rng.below(3) {
            0 => neg(format!("#{}", rng.string(HEX, 6))),
            1 => neg(format!("iVBORw0KGgo{}", rng.string(BASE64, 40))),
            _ => neg(format!("md5 {}", rng.string(HEX, 32))),
        },
        "plus_and_signs" => match rng.below(5) {
            0 => neg(format!("UTC+{:02}:00", rng.range(1, 12))),
            1 => neg(format!("{}e+{}", rng.range(1, 9), rng.range(10, 30))),
            2 => neg(format!("i+{}", rng.range(1, 9))),
            3 => neg(format!("+{}", rng.range(1_000, 9_999_999))),
            _ => neg(format!("+{}%", rng.range(1, 99))),
        },
        other => panic!("no look-alike of kind {other:?}"),
    }
}
