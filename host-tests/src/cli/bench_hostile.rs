//! `customs bench-detect --only hostile`: whether the cost of a request through
//! the `.wasm` grows linearly with its size whatever the body holds, from 1 KiB
//! to 1 MiB, including the bodies built to make a scanner or a parser work
//! hardest. A measurement, not a test.
//!
//! Each row shows the time per request at each size and the cost per KiB. A
//! request has a fixed part (callbacks, headers, tags, the audit record) that
//! dominates at 1 KiB, so the flatness that matters is the last column: the
//! cost per KiB at 1 MiB against that at 32 KiB. Anything superlinear (a
//! quadratic scan, a re-parse per finding) shows there as a ratio well above 1.

use std::hint::black_box;
use std::time::Duration;

use anyhow::{bail, Context as _};
use customs_host::Host;
use serde_json::{json, Value};

use super::bench_detect::{
    dense_findings, format_duration, prose, send, sized, time, ENGLISH, KIB,
};
use super::plugin;

/// The sizes timed: 1 KiB, 32 KiB and 1 MiB.
const SIZES: [usize; 3] = [KIB, 32 * KIB, 1024 * KIB];

/// JSON depth of each nested value: the default limit (64) minus the two
/// levels of the document and the array holding them.
const NESTED_DEPTH: usize = 62;

/// A chat request whose JSON is about `size` bytes.
type Body = fn(usize) -> Value;

fn bodies() -> Vec<(&'static str, Body)> {
    vec![
        ("English prose, 5 findings", |n| {
            chat(&super::bench_detect::prose_with_findings(
                &prose(ENGLISH),
                n,
            ))
        }),
        ("nothing but digits", |n| chat(&sized("8264019375", n))),
        ("nothing but `@`", |n| chat(&sized("@", n))),
        ("one word of `x`, no spaces", |n| chat(&sized("x", n))),
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

fn chat(text: &str) -> Value {
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

pub fn run(budget: Duration, wasm: Option<&str>) -> anyhow::Result<()> {
    let host = Host::new();
    host.echo_logs(false);
    // Room for the 1 MiB bodies (the default limit is 1 MiB of body exactly).
    let policy = json!({"request": {"max_body_bytes": 4 * 1024 * 1024}});
    let worker = host
        .plugin(plugin(wasm, None)?.config(policy))
        .start_vm()
        .context("starting the filter")?;
    println!("\n## Cost per byte on hostile bodies, through the `.wasm` (wasmtime)\n");
    println!("Time per request (µs per KiB of body in brackets). Default detectors,");
    println!("body limit raised to 4 MiB. Last column: µs per KiB at 1 MiB over µs per");
    println!("KiB at 32 KiB; 1.0 is linear, the issue allows up to 2.\n");
    println!("| body | 1 KiB | 32 KiB | 1 MiB | 1 MiB / 32 KiB per byte |");
    println!("|---|---:|---:|---:|---:|");
    for (name, make) in bodies() {
        let mut per_kib = Vec::new();
        let mut cells = Vec::new();
        for size in SIZES {
            let body = make(size.saturating_sub(60)).to_string().into_bytes();
            if !send(&worker, &body) {
                bail!("the {name} request of {} bytes did not cross", body.len());
            }
            let per_run = time(budget, || {
                black_box(send(&worker, &body));
            });
            let us_per_kib = per_run.as_secs_f64() * 1e6 / (body.len() as f64 / KIB as f64);
            per_kib.push(us_per_kib);
            cells.push(format!("{} ({us_per_kib:.1})", format_duration(per_run)));
        }
        let growth = match per_kib.as_slice() {
            [_, mid, big] if *mid > 0.0 => format!("{:.2}", big / mid),
            _ => "–".to_string(),
        };
        println!("| {name} | {} | {growth} |", cells.join(" | "));
    }
    Ok(())
}
