//! Values in an SQL `INSERT`, named by its column list.
//!
//! A prompt that asks for help with a query often carries one with real rows:
//! `INSERT INTO users (name, passport, dob) VALUES ('Li Wei', 'E12345678',
//! '1990-03-12');`. The value's name is the column at its place in the list,
//! far from the value itself. Here each column's name is read as a JSON key
//! is ([`Named::key`]), and the value at that place in every row judged as
//! that key's value would be ([`Named::value_span`]).
//!
//! A statement is found from its `VALUES` keyword, searched for once through
//! the text (its `va`, any case, sixteen bytes at a time), and only when a
//! digit that no other detector took asks. Its column list is read back from
//! the keyword and its rows forward, once: quoted strings (with `''` inside)
//! and brackets are stepped over, so a comma in a value does not move the
//! columns. The named values found are kept, and the scan's later digits
//! taken from them in order: each byte is read a constant number of times.
//! A statement with no column list (`INSERT INTO users VALUES (...)`) names
//! nothing, like a CSV file with no header.

use crate::chunks::{self, Lanes};

use super::named::Named;

/// The longest column list read back from `VALUES`, and the most columns.
const MAX_COLUMN_LIST: usize = 2048;
const MAX_COLUMNS: usize = 64;
/// How far before a column list `INTO` may stand (a table's qualified name).
const MAX_TABLE_NAME: usize = 128;

/// What is known of the text's `INSERT` statements while one scan goes
/// through it.
#[derive(Default)]
pub(crate) struct Inserts {
    /// The search for `VALUES`, made when a digit first asks.
    keywords: Keywords,
    /// Where the statement read last ends (or the keyword that started
    /// none), and the named values in it, in order; `taken` of them are
    /// behind the scan.
    statement_end: usize,
    values: Vec<NamedValue>,
    taken: usize,
}

impl Inserts {
    /// The named value in an `INSERT`'s rows that holds the digit at `digit`:
    /// its span and its name.
    pub(crate) fn named_value(&mut self, t: &[u8], digit: usize) -> Option<(usize, usize, Named)> {
        while digit >= self.statement_end {
            let keyword = self.keywords.next(t, self.statement_end)?;
            // Rows follow their keyword: a digit before it is in none.
            if digit < keyword {
                return None;
            }
            let (end, values) = statement(t, keyword, self.statement_end);
            (self.statement_end, self.values, self.taken) = (end, values, 0);
        }
        while let Some(&(start, end, named)) = self.values.get(self.taken) {
            if end <= digit {
                self.taken += 1;
                continue;
            }
            return (start <= digit).then_some((start, end, named));
        }
        None
    }
}

/// A value's span and its column's name.
type NamedValue = (usize, usize, Named);

const KEYWORD: &[u8] = b"values";

/// The search for the `VALUES` keyword (any case, a word of its own): the
/// next `va` (any case) found sixteen bytes at a time, then the word read.
/// The keyword found last is kept, so that the search moves forward through
/// the text once.
#[derive(Default)]
struct Keywords {
    /// The next keyword at or after some offset, once searched for.
    next: Option<Option<usize>>,
}

impl Keywords {
    /// Where the next keyword starts at or after `from`.
    fn next(&mut self, t: &[u8], mut from: usize) -> Option<usize> {
        if let Some(known) = self.next.filter(|n| n.is_none_or(|at| at >= from)) {
            return known;
        }
        let found = loop {
            // A `v` before an `a`, or a `v` in a chunk's last lane (its next
            // byte is in the next chunk): read as a word below.
            let hit = |x: Lanes| {
                let v = x.eq(b'v').or(x.eq(b'V')).bits();
                let a = x.eq(b'a').or(x.eq(b'A')).bits();
                v & (a >> 1 | 0x8000)
            };
            let Some(start) = chunks::find_bits(t, from, hit) else {
                break None;
            };
            let whole = |i: Option<usize>| {
                i.and_then(|i| t.get(i))
                    .is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'_')
            };
            let word = t.get(start..start + KEYWORD.len());
            if word.is_some_and(|w| w.eq_ignore_ascii_case(KEYWORD))
                && whole(start.checked_sub(1))
                && whole(Some(start + KEYWORD.len()))
            {
                break Some(start);
            }
            from = start + 1;
        };
        self.next = Some(found);
        found
    }
}

/// The statement whose `VALUES` keyword starts at `keyword`: how far it
/// was read (its rows' end, or where they break off), and the named values
/// in them. Nothing before `floor` (the end of what was read before) is read
/// again, and none of the text read is asked for another statement: each
/// byte is read once whatever is written.
fn statement(t: &[u8], keyword: usize, floor: usize) -> (usize, Vec<NamedValue>) {
    let mut values = Vec::new();
    let after_keyword = keyword + KEYWORD.len();
    let Some(columns) = column_names(t, keyword, floor) else {
        return (after_keyword, values);
    };
    let mut at = skip_space(t, after_keyword);
    let mut end = after_keyword;
    // Each row: `(`, values between commas, `)`; rows between commas.
    while t.get(at) == Some(&b'(') {
        let mut column = 0;
        at += 1;
        loop {
            let (value, next) = match value_at(t, at) {
                Ok(value) => value,
                // A row that breaks off ends the statement; the rows
                // before it stand.
                Err(stop) => return (stop.max(at), values),
            };
            if let Some(&Some(named)) = columns.get(column) {
                let (start, value_end) = value;
                if let Some((s, e)) = t.get(start..value_end).and_then(|v| named.value_span(v)) {
                    values.push((start + s, start + e, named));
                }
            }
            column += 1;
            at = next + 1;
            if t.get(next) != Some(&b',') {
                break;
            }
        }
        end = at;
        let after = skip_space(t, at);
        if t.get(after) != Some(&b',') {
            break;
        }
        at = skip_space(t, after + 1);
    }
    (end, values)
}

/// The names of the columns listed right before the keyword at `keyword`
/// (`INTO users (name, passport, dob) VALUES`), each read as a JSON key:
/// `None` for a column that names nothing sensitive. Read back no further
/// than `floor`.
fn column_names(t: &[u8], keyword: usize, floor: usize) -> Option<Vec<Option<Named>>> {
    let close = last_non_space(t, floor, keyword.checked_sub(1)?)?;
    if t.get(close) != Some(&b')') {
        return None;
    }
    let list_floor = close.saturating_sub(MAX_COLUMN_LIST).max(floor);
    let open = list_floor + memchr::memrchr(b'(', t.get(list_floor..close)?)?;
    // `INTO schema.table (`: the word `into` right before the table's name.
    let name_end = last_non_space(t, floor, open.checked_sub(1)?)? + 1;
    let name_floor = name_end.saturating_sub(MAX_TABLE_NAME).max(floor);
    let before_name =
        name_floor + memchr::memrchr3(b' ', b'\t', b'\n', t.get(name_floor..name_end)?)?;
    let into_end = last_non_space(t, floor, before_name)? + 1;
    let word_start = into_end.checked_sub(4)?;
    let into = t.get(word_start..into_end)?;
    let alone = word_start
        .checked_sub(1)
        .and_then(|i| t.get(i))
        .is_none_or(|b| !b.is_ascii_alphanumeric());
    if !into.eq_ignore_ascii_case(b"into") || !alone {
        return None;
    }
    let list = t.get(open + 1..close)?;
    let names: Vec<Option<Named>> = list
        .split(|&b| b == b',')
        .map(|name| {
            let quoting = |b: &u8| matches!(b, b'`' | b'"' | b'[' | b']');
            let name = name.trim_ascii();
            let name = match name.split_first() {
                Some((first, rest)) if quoting(first) => rest,
                _ => name,
            };
            let name = match name.split_last() {
                Some((last, head)) if quoting(last) => head,
                _ => name,
            };
            std::str::from_utf8(name).ok().and_then(Named::key)
        })
        .collect();
    (names.len() <= MAX_COLUMNS && names.iter().any(Option::is_some)).then_some(names)
}

/// The value of a row that starts at `at` (after its `(` or comma): its span
/// without spaces and quotes, and where the comma or `)` after it is. A
/// quoted string may hold commas, brackets and doubled quotes; a call
/// (`TO_DATE('1990-03-12', 'YYYY-MM-DD')`) keeps its brackets' commas. When
/// the row breaks off (an open quote or bracket, a quote with more after
/// it), how far it was read.
fn value_at(t: &[u8], at: usize) -> Result<((usize, usize), usize), usize> {
    let start = skip_space(t, at);
    let quote = t.get(start).copied().ok_or(t.len())?;
    let closing = |from: usize, quote: u8| {
        t.get(from..)
            .and_then(|rest| memchr::memchr(quote, rest))
            .map(|i| from + i)
            .ok_or(t.len())
    };
    if quote == b'\'' || quote == b'"' {
        let mut end = closing(start + 1, quote)?;
        // `''` inside a string is one quote.
        while t.get(end + 1) == Some(&quote) {
            end = closing(end + 2, quote)?;
        }
        let next = skip_space(t, end + 1);
        return match t.get(next) {
            Some(b',' | b')') => Ok(((start + 1, end), next)),
            _ => Err(next),
        };
    }
    let mut depth = 0usize;
    let mut end = start;
    loop {
        match t.get(end).copied().ok_or(t.len())? {
            b'(' => depth += 1,
            b')' if depth == 0 => break,
            b')' => depth -= 1,
            b',' if depth == 0 => break,
            q @ (b'\'' | b'"') => end = closing(end + 1, q)?,
            _ => {}
        }
        end += 1;
    }
    let trimmed = last_non_space(t, start, end.saturating_sub(1)).map_or(start, |l| l + 1);
    Ok(((start, trimmed.max(start)), end))
}

/// The first byte at or after `at` that is no ASCII space.
fn skip_space(t: &[u8], at: usize) -> usize {
    let rest = t.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(rest.len())
}

/// The last byte in `floor..=at` that is no ASCII space.
fn last_non_space(t: &[u8], floor: usize, at: usize) -> Option<usize> {
    let part = t.get(floor..=at)?;
    part.iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map(|i| floor + i)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use crate::detect::testing::{expect_all, expect_none, find};

    #[test]
    fn values_under_a_column_that_names_them() {
        let cases: [(&str, &[(&str, &str)]); 7] = [
            // A row that breaks off: the rows before it stand.
            (
                "INSERT INTO u (passport) VALUES ('E12345678'), ('G87654321",
                &[("passport", "E12345678")],
            ),
            (
                "INSERT INTO users (name, passport, dob) VALUES ('Li Wei', 'E12345678', '1990-03-12');",
                &[("passport", "E12345678"), ("date_of_birth", "1990-03-12")],
            ),
            (
                "insert into app.customers (`id`, `full_name`, `id_card`, `date_of_birth`)\nvalues\n  (1, 'O''Brien, Pat', '123456789', '1985-07-04'),\n  (2, 'Wang Fang', 'A1234563', '1979-11-30');",
                &[
                    ("national_id", "123456789"),
                    ("date_of_birth", "1985-07-04"),
                    ("national_id", "A1234563"),
                    ("date_of_birth", "1979-11-30"),
                ],
            ),
            (
                "INSERT INTO t(\"user\", \"password\") VALUES ('alice', 'Summer2024!x');",
                &[("credential", "Summer2024!x")],
            ),
            (
                "INSERT INTO 客户 (姓名, 护照号码, 出生日期) VALUES ('李伟', 'E12345678', '1990年3月12日');",
                &[("passport", "E12345678"), ("date_of_birth", "1990年3月12日")],
            ),
            (
                "INSERT INTO p (dob, note) VALUES (TO_DATE('1990-03-12', 'YYYY-MM-DD'), 'x'), ('1985-07-04', 'y')",
                &[("date_of_birth", "1985-07-04")],
            ),
            (
                "Why does this fail?\nINSERT INTO users (name, passport) VALUES ('Li', 'E12345678')\nINSERT INTO orders (ref, shipped) VALUES ('E55554444', '2024-03-12')\nINSERT INTO users (name, passport) VALUES ('Chen', 'G87654321')",
                &[("passport", "E12345678"), ("passport", "G87654321")],
            ),
        ];
        for (text, expected) in cases {
            expect_all(text, expected);
        }
    }

    #[test]
    fn leaves_what_no_column_names() {
        expect_none(&[
            // No column list, or columns that name nothing sensitive.
            "INSERT INTO users VALUES ('Li Wei', 'E12345678', '1990-03-12');",
            "INSERT INTO orders (ref, shipped) VALUES ('E12345678', '1990-03-12');",
            // The value is more than a number, or in another column.
            "INSERT INTO users (passport, note) VALUES ('see E12345678', 'E12345678');",
            // Not a statement: no `INTO`, or prose.
            "the values (passport, dob) are E12345678 and 1990-03-12",
            "SELECT * FROM users WHERE (passport) IN (VALUES ('E12345678'))",
            // Broken rows: an open quote, a missing bracket.
            "INSERT INTO u (passport) VALUES ('E12345678",
            "INSERT INTO u (passport) VALUES 'E12345678'",
            "INSERT INTO u (passport) VALUES ('E12345678' x)",
        ]);
    }

    #[test]
    fn statements_stay_linear() {
        // Many rows, and many keywords that start no statement: each row and
        // each keyword read once.
        let row = "('Li Wei', 'E12345678', '1990-03-12'),\n";
        let text = format!(
            "INSERT INTO users (name, passport, dob) VALUES\n{}('Li Wei', 'E12345678', '1990-03-12');",
            row.repeat(20_000)
        );
        assert_eq!(find(&text).len(), 2 * 20_001);
        // Rows that break off read once: an open quote or bracket in each
        // statement does not send the next statement's read to the end.
        for broken in [
            "INSERT INTO t (passport) VALUES (\"",
            "INSERT INTO t (passport) VALUES (f(1 ",
        ] {
            let text = broken.repeat(30_000);
            let started = std::time::Instant::now();
            assert!(find(&text).is_empty());
            assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
        }
        let noise = "values (1, 2) values 3 VALUES Values ) values ".repeat(30_000);
        let started = std::time::Instant::now();
        assert!(find(&noise).is_empty());
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}
