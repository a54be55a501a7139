//! Request bodies built to make the filter work hardest: for a scanner
//! (nothing but digits, digit groups, `@` signs, names before every number),
//! for the table readers, for the JSON walker (nesting at the depth limit, a
//! thousand tiny messages). `customs bench-detect --only hostile` times them
//! from 1 KiB to 1 MiB; the `linear_cost` test weighs them in fuel, which
//! counts the same on every run, and holds the cost per byte flat.

use serde_json::{json, Value};

use super::texts::{dense_findings, prose, prose_with_findings, sized, ENGLISH};

/// JSON depth of each nested value: the default limit (64) minus the two
/// levels of the document and the array holding them.
const NESTED_DEPTH: usize = 62;

/// A chat request whose JSON is about `size` bytes.
pub type Body = fn(usize) -> Value;

/// The policy the bodies are sent under: the defaults, with room for the
/// 1 MiB bodies (the default limit is 1 MiB of body exactly).
pub fn policy() -> Value {
    json!({"request": {"max_body_bytes": 4 * 1024 * 1024}})
}

/// Every hostile body, with the name its benchmark row and test report go by.
pub fn bodies() -> Vec<(&'static str, Body)> {
    vec![
        ("English prose, 5 findings", |n| {
            chat(&prose_with_findings(&prose(ENGLISH), n))
        }),
        ("nothing but digits", |n| chat(&sized("8264019375", n))),
        ("nothing but `@`", |n| chat(&sized("@", n))),
        ("one word of `x`, no spaces", |n| chat(&sized("x", n))),
        // Groups of digits, each the start of a number that runs on: a card,
        // a document's groups, a phone's, an account's.
        ("digit groups joined by spaces", |n| {
            chat(&sized("4821 9035 7716 2248 0593 ", n))
        }),
        ("digit groups joined by dashes, dots and brackets", |n| {
            chat(&sized("12-34-56.78.90 (415) 555-26 1.2.3.4.5.6 (1)(2) ", n))
        }),
        ("short numbers joined by spaces", |n| {
            chat(&sized("1 23 4 56 ", n))
        }),
        ("numbers joined by commas, colons and slashes", |n| {
            chat(&sized("1,234,567 12:34:56:78:9a 12/03/12/03/1990 ", n))
        }),
        // North American numbers, each taken, and their look-alikes.
        ("North American numbers and look-alikes", |n| {
            chat(&sized(
                "415-555-2671 (212) 736-5000 1-800-555-2671 400-612-3456 123-456-7890 415 555 2671 ",
                n,
            ))
        }),
        ("`+` before every number", |n| {
            chat(&sized("+1 +86 +44 20 +", n))
        }),
        ("letters and digits in groups", |n| {
            chat(&sized("AB12 CD34 EF56 E 1234 5678 A1 B2 ", n))
        }),
        ("one word of hex digits", |n| {
            chat(&sized("0123456789abcdef", n))
        }),
        ("one word of letters and digits", |n| {
            chat(&sized("AKIAeyJsk_0x9Zq7", n))
        }),
        ("dashes and underscores between words", |n| {
            chat(&sized("sk-a_b-c_d-ghp_x-xoxb-1-", n))
        }),
        ("Chinese numerals, apart and joined", |n| {
            chat(&sized("一二三四五六七八九〇 幺 三 八-零.九（二）号 ", n))
        }),
        ("full-width digits and zero-width spaces", |n| {
            chat(&sized("１３８\u{200b}１２３４ 1\u{200b}3\u{200b}8 ", n))
        }),
        ("dates, one after another", |n| {
            chat(&sized("1990年3月12日1990-03-12 12.03.1990/", n))
        }),
        // Each `=` names a password whose value ends in a call, so each is
        // read up to its bound and refused; each `://` reads an authority.
        ("credential names and URLs, none taken", |n| {
            chat(&sized(
                "db_pass=a_pass=getenv(x) token=token=token=token= s://a:b/",
                n,
            ))
        }),
        // Each `>` reads its tag back to the `<`, each `value` its setting's
        // name, each `-u` its user, each `@` a connect string's user, each
        // `-p` its command; every value is refused.
        ("tags, settings and flags, none taken", |n| {
            chat(&sized(
                "<a href=\"x\">y</a> x->y=>z <entry key=\"password\">x</entry> name: token\nvalue: debug curl -u a:a sqlplus a/$B@c mysql -p$C ",
                n,
            ))
        }),
        // Each word with a digit reads back to a password's name, past a
        // linking word and the words before it; every value is refused.
        ("sentences about passwords, none taken", |n| {
            chat(&sized(
                "the password for the service account is now ${PW_1}, pw: %s1 and the password is 12 characters; 密码已改为 ****1 ",
                n,
            ))
        }),
        // Each number reads back to a document's name past fillers and marks;
        // each AWS key ID looks for its secret; key IDs joined by `/` share
        // one long run; none of it is taken but the pairs.
        ("document names, IDs and AWS pairs", |n| {
            chat(&sized(
                "passport photo no. 123456 护照有效期号码为 2030051 A123456(4) AKIAIOSFODNN7EXAMPLE/AKIAIOSFODNN7EXAMPLE/x 密钥是AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ",
                n,
            ))
        }),
        // Each date and number reads back to a name of a birth date or an
        // identity card, past fillers; Korea's shape reads its seven digits;
        // `March 12` reads its month back. One date in the text is taken.
        ("dates, birth and card names, one taken", |n| {
            chat(&sized(
                "ID card photo 123456 birthday party on 2024-05-01 RRN 900101-12345678 DOB 1990-13-12 born 1990-03-12-7 the meeting on 12/03/2024, March 12, 2024 出生于1990年3月12日 ",
                n,
            ))
        }),
        // Every row's cells are read under the header's names, the header
        // found once; two of its four columns are taken in each row.
        ("a table, passports and dates of birth in every row", |n| {
            chat(&format!(
                "| name | passport | dob | joined |\n|---|---|---|---|\n{}",
                sized("| Li Wei | E12345678 | 1990-03-12 | 2021-01-01 |\n", n)
            ))
        }),
        // A CSV whose every row holds a phone and an account number, each
        // taken under its column's name.
        ("a CSV, phones and accounts in every row", |n| {
            chat(&format!(
                "name,phone,account_number\n{}",
                sized("Li Wei,020 7946 0958,12345678\n", n)
            ))
        }),
        // Lines with delimiters but no header: each line judged once.
        ("lines of cells, no header", |n| {
            chat(&sized("1|2|3\n1,2,3\n1\t2\t3\n|12|34|\n", n))
        }),
        // Keys named for values, every value under them taken.
        ("keys named for phones and accounts", |n| {
            let one = json!({"contact_phone": "020 7946 0958", "account_number": "12345678"});
            let count = (n / one.to_string().len().max(1)).max(1);
            json!({
                "model": "gpt-4o",
                "messages": [{"role": "user", "content": "see metadata"}],
                "metadata": vec![one; count],
            })
        }),
        // Cells with no line end in reach: the line is passed once.
        ("cells of one line, no line end", |n| {
            chat(&format!(
                "passport,dob\n{}",
                sized("E1234567,1990-03-12,", n)
            ))
        }),
        // An SQL `INSERT` whose every row holds a passport and a date of
        // birth: the column list read once, each row once.
        (
            "an INSERT, passports and dates of birth in every row",
            |n| {
                chat(&format!(
                    "INSERT INTO users (name, passport, dob) VALUES\n{}('Li', 'E1', '1990-03-12');",
                    sized("('Li Wei', 'E12345678', '1990-03-12'),\n", n)
                ))
            },
        ),
        // An HTML table whose every row holds a passport and a date of
        // birth: each tag read once, the header's names kept.
        (
            "an HTML table, passports and dates of birth in every row",
            |n| {
                chat(&format!(
                    "<table><tr><th>Name</th><th>Passport</th><th>DOB</th></tr>\n{}</table>",
                    sized(
                        "<tr><td>Li Wei</td><td>E12345678</td><td>1990-03-12</td></tr>\n",
                        n
                    )
                ))
            },
        ),
        // Tags around every number, in no table: each cell's tags looked at
        // once, each tag read once.
        ("numbers in tags, no table", |n| {
            chat(&sized("<b>12</b> <td>E1234567</td><i>1990-03-12</i> ", n))
        }),
        // `values` everywhere, none starting a statement: each read once.
        ("`values` in prose, no statement", |n| {
            chat(&sized("the values (1, 2) and VALUES 3 of Values 4; ", n))
        }),
        // A phone's or an account's name before every number, each taken;
        // and before numbers too short or too long, none taken.
        (
            "phones and accounts after their names, every one taken",
            |n| {
                chat(&sized(
                "Tel. 020 7946 0958, call me at (415) 555-2671, account no. 12345678, 银行账号：1100 1234 5678. ",
                n,
            ))
            },
        ),
        (
            "phone and account names before other numbers, none taken",
            |n| {
                chat(&sized(
                "phone 555-26 account 12345 tel 1.5 mobile 2024-03-12 acct 1234567890123456789012 ",
                n,
            ))
            },
        ),
        ("findings only (about 10,000 per 256 KiB)", |n| {
            chat(&sized(&dense_findings(), n))
        }),
        ("a thousand tiny messages per 40 KiB", |n| {
            let messages: Vec<Value> = (0..(n / 40).max(1))
                .map(|i| json!({"role": "user", "content": format!("hi {i}")}))
                .collect();
            json!({"model": "gpt-4o", "messages": messages})
        }),
        ("values nested at the depth limit", |n| {
            let one = nested("a note 13812345678", NESTED_DEPTH);
            let count = (n / one.to_string().len().max(1)).max(1);
            json!({
                "model": "gpt-4o",
                "messages": [{"role": "user", "content": "see metadata"}],
                "metadata": vec![one; count],
            })
        }),
    ]
}

pub fn chat(text: &str) -> Value {
    json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are a support assistant."},
            {"role": "user", "content": text}
        ]
    })
}

/// `leaf` wrapped in objects to `depth` levels.
fn nested(leaf: &str, depth: usize) -> Value {
    (1..depth).fold(json!(leaf), |inner, _| json!({ "a": inner }))
}
