//! Values in a table's column, named by the column's header.
//!
//! A prompt often carries a table to summarise: a Markdown table, CSV or TSV
//! whose header names each column (`| Name | Passport No. | DOB |`,
//! `name,passport,dob`). A passport number or a date of birth in such a row
//! has its name rows above it, far out of reach of the words read back before
//! a value (`lead`). Here the header's cell over a value's cell is read as a
//! JSON key is ([`Named::key`]), and the cell's value judged as that key's
//! value would be ([`Named::value_span`]).
//!
//! A table is a run of lines with the same number of delimiters (`|`, `,` or
//! a tab; commas inside double quotes do not count), its first line the
//! header, every cell of the header short. Prose with commas seldom keeps the
//! same count from line to line with short pieces in its first line; where it
//! does, a value is still only taken when the piece above it names a document,
//! a date of birth or a credential, and the value has that key's shape.
//!
//! Each cell is judged once, at its first digit, and cheapest test first: a
//! text with no line break is passed whole; a cell's bounds are found in one
//! pass of sixteen bytes at a time over the 64 bytes on either side; a cell
//! that cannot be a value (a piece of prose between two commas, a short
//! number; a credential is taken only as one word of eight or more ASCII
//! characters) is passed before its line is read; a line whose delimiters
//! do not match the line above's (prose, a header) is passed whole before
//! its table is looked for. What is known of the lines and of the table is
//! kept and carried forward as the scan moves on, so that each byte is read
//! a small constant number of times however many values a table holds. On
//! the benchmark's mixed English and Chinese prose with line breaks, tables
//! cost about 0.15 ns a byte inside the `.wasm` (a cell's bounds, about 25 ns
//! a digit that no other detector took).

use super::accounts;
use super::birth_dates;
use super::documents::{self, Document};
use super::named::Named;
use super::named_values::JudgedTo;
use super::phones;
use crate::chunks;

/// The delimiters between cells.
const DELIMITERS: [u8; 3] = [b'|', b',', b'\t'];
/// The longest line read as a table's row, and the longest cell.
const MAX_LINE: usize = 4096;
const MAX_CELL: usize = 64;
// A cell's bounds are found as bits of a `u64`.
const _: () = assert!(MAX_CELL <= 64);
/// The longest cell of a header: column names are a few words.
const MAX_HEADER_CELL: usize = 40;
/// How many of a header's cells are kept.
const MAX_COLUMNS: usize = 64;

/// What is known of the text's tables while one scan goes through it.
#[derive(Default)]
pub(crate) struct Tables {
    /// Cells are judged once: a digit before this offset is in a cell
    /// already judged.
    judged: JudgedTo,
    /// The line of the cell asked last, when it may be a table's row.
    row: Option<(usize, usize)>,
    /// The line whose delimiters were counted last (start and end), and its
    /// counts.
    counted: Option<(usize, usize, [usize; 3])>,
    /// The line of the cell judged last.
    line: Option<Line>,
    /// The table found last for each delimiter.
    tables: [Option<Table>; 3],
}

/// A line of the text, and its delimiters counted up to a point.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    delimiter: u8,
    /// The line's delimiters before `counted_to`, and whether a quote is
    /// open there.
    counted_to: usize,
    before: usize,
    quoted: bool,
    /// All of the line's delimiters.
    delimiters: usize,
}

struct Table {
    /// The delimiters on each of its lines.
    delimiters: usize,
    /// The header's line, and its cells (trimmed) once asked for; no cells
    /// when one is too long for a column's name.
    header: (usize, usize),
    cells: Option<Vec<(usize, usize)>>,
    /// The end of the last line known to be one of its rows.
    rows_end: usize,
}

impl Tables {
    /// The value in the table cell that holds the digit at `digit`, when the
    /// column's header names what the value is and the value has that
    /// shape: its span and its name.
    pub(crate) fn named_cell(&mut self, t: &[u8], digit: usize) -> Option<(usize, usize, Named)> {
        // A table is two lines or more: a text with no line break is
        // passed at its first digit.
        if !self.judged.open(t, digit, b'\n') {
            return None;
        }
        let (left, right, delimiter) = match cell_around(t, digit) {
            Ok(cell) => cell,
            // The digits up to the next delimiter or line break see the same
            // bounds (or none) and are in no cell either.
            Err(next_bound) => {
                self.judged.to = next_bound;
                return None;
            }
        };
        self.judged.to = right;
        let (start, end) = trim(t, left, right);
        // What a column may name: a document's number, a date, a phone or
        // account number, or a credential of eight or more ASCII letters, digits and marks with
        // no space. A piece of prose between two commas (Chinese prose's
        // `，` folds to one), or a short number, is none of these.
        let value = t.get(start..end).unwrap_or_default();
        let plausible = if value.is_ascii() {
            let password_like = value.len() >= 8
                && value.iter().all(u8::is_ascii_graphic)
                && value.iter().any(u8::is_ascii_alphabetic);
            password_like
                || documents::is_value(value, Document::IdentityCard)
                || birth_dates::is_date(value)
                || phones::is_value(value)
                || accounts::is_value(value)
        } else {
            // Beyond ASCII only `1990年3月12日` is a value.
            value.windows(3).any(|w| w == "年".as_bytes()) && birth_dates::is_date(value)
        };
        if start >= end || !plausible {
            return None;
        }
        let row = self.row_of(t, left)?;
        let line = self.line_of(t, left, delimiter, row);
        let column = line.before;
        let table = self.table_for(t, &line)?;
        if table.header.0 == line.start {
            return None;
        }
        // The header's cells, split once a row below it asks.
        let header = table.header;
        let cells = table
            .cells
            .get_or_insert_with(|| cells(t, header, delimiter));
        let &(name_start, name_end) = cells.get(column)?;
        let name = std::str::from_utf8(t.get(name_start..name_end)?).ok()?;
        let named = Named::key(name)?;
        let (s, e) = named.value_span(t.get(start..end)?)?;
        Some((start + s, start + e, named))
    }

    /// The line holding `at` when it may be a table's row: for some
    /// delimiter it has as many as the line above it, and one or more. When
    /// not, the cells up to the line's end are judged (none is in a table).
    fn row_of(&mut self, t: &[u8], at: usize) -> Option<(usize, usize)> {
        if let Some(row) = self.row.filter(|&(start, end)| start <= at && at <= end) {
            return Some(row);
        }
        let Some((start, end)) = line_start(t, at).and_then(|s| Some((s, line_end(t, s)?))) else {
            // Too long a line for a row: passed at the next line break.
            let rest = t.get(at..).unwrap_or_default();
            self.judged.to = at + memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            return None;
        };
        // The line above is often the one counted last, the line of the
        // last digit before this line's.
        let above = match self.counted {
            Some((_, above_end, counts)) if above_end + 1 == start => Some(counts),
            _ => start
                .checked_sub(1)
                .and_then(|above_end| line_start(t, above_end).map(|s| (s, above_end)))
                .map(|line| self.delimiters(t, line)),
        };
        let here = self.delimiters(t, (start, end));
        let row = above.is_some_and(|above| {
            here.iter()
                .zip(above)
                .any(|(&n, above)| n > 0 && n == above)
        });
        if !row {
            self.judged.to = end;
            return None;
        }
        self.row = Some((start, end));
        self.row
    }

    /// How many of each delimiter the line `start..end` holds; the line
    /// counted last is kept, as it is often the next one's line above.
    fn delimiters(&mut self, t: &[u8], (start, end): (usize, usize)) -> [usize; 3] {
        if let Some((_, _, counts)) = self.counted.filter(|(at, _, _)| *at == start) {
            return counts;
        }
        let counts = count_all(t, start, end);
        self.counted = Some((start, end, counts));
        counts
    }

    /// The row line `start..end`, its delimiters counted up to `at`.
    fn line_of(
        &mut self,
        t: &[u8],
        at: usize,
        delimiter: u8,
        (start, end): (usize, usize),
    ) -> Line {
        let known = self
            .line
            .filter(|l| l.delimiter == delimiter && l.start == start && l.counted_to <= at);
        let mut line = known.unwrap_or_else(|| {
            let slot = DELIMITERS.iter().position(|d| *d == delimiter).unwrap_or(0);
            Line {
                start,
                end,
                delimiter,
                counted_to: start,
                before: 0,
                quoted: false,
                delimiters: self
                    .delimiters(t, (start, end))
                    .get(slot)
                    .copied()
                    .unwrap_or(0),
            }
        });
        let (more, quoted) = count(t, line.counted_to, at, delimiter, line.quoted);
        (line.before, line.counted_to, line.quoted) = (line.before + more, at, quoted);
        self.line = Some(line);
        line
    }

    /// The table `line` is a row of (or the header of), found from the one
    /// known for its delimiter when the rows between reach it, else by reading
    /// back from it line by line.
    fn table_for(&mut self, t: &[u8], line: &Line) -> Option<&mut Table> {
        let slot = DELIMITERS.iter().position(|d| *d == line.delimiter)?;
        let entry = self.tables.get_mut(slot)?;
        let reaches = entry.as_mut().is_some_and(|table| {
            table.delimiters == line.delimiters
                && table.header.0 <= line.start
                && (line.end <= table.rows_end || extend(t, table, line))
        });
        if !reaches {
            *entry = Some(table_above(t, line));
        }
        entry.as_mut()
    }
}

/// Whether the lines from the end of `table`'s known rows up to `line` are
/// rows of it; if so they are known from now on.
fn extend(t: &[u8], table: &mut Table, line: &Line) -> bool {
    let mut start = table.rows_end + 1;
    while start < line.start {
        let Some(end) = line_end(t, start) else {
            return false;
        };
        // A line between that is no row ends the table: the caller reads
        // back from `line`, to this line at the most.
        if count(t, start, end, line.delimiter, false).0 != table.delimiters {
            return false;
        }
        start = end + 1;
    }
    table.rows_end = line.end;
    true
}

/// The table whose last known row is `line`: the lines right above it with
/// as many delimiters, the first of them its header.
fn table_above(t: &[u8], line: &Line) -> Table {
    let mut header = (line.start, line.end);
    while let Some(end) = header.0.checked_sub(1) {
        let Some(start) = line_start(t, end) else {
            break;
        };
        if end - start > MAX_LINE
            || count(t, start, end, line.delimiter, false).0 != line.delimiters
        {
            break;
        }
        header = (start, end);
    }
    Table {
        delimiters: line.delimiters,
        header,
        cells: None,
        rows_end: line.end,
    }
}

/// The trimmed cells of the header line `start..end`; none when one is
/// longer than a column's name or there are too many.
fn cells(t: &[u8], (start, end): (usize, usize), delimiter: u8) -> Vec<(usize, usize)> {
    let line = t.get(start..end).unwrap_or_default();
    let mut cells = Vec::new();
    let mut left = 0;
    let mut quoted = false;
    let quote = if delimiter == b',' { b'"' } else { delimiter };
    let bounds = memchr::memchr2_iter(delimiter, quote, line).chain([line.len()]);
    for at in bounds {
        if line.get(at) == Some(&b'"') && delimiter == b',' {
            quoted = !quoted;
            continue;
        }
        if quoted && at < line.len() {
            continue;
        }
        let (s, e) = trim(t, start + left, start + at);
        if e - s > MAX_HEADER_CELL || cells.len() == MAX_COLUMNS {
            return Vec::new();
        }
        cells.push((s, e));
        left = at + 1;
    }
    cells
}

/// The cell around `digit` and its delimiter: from after the delimiter or
/// line break before it to the one after it, each within [`MAX_CELL`] bytes;
/// else where the next delimiter or line break after it is (or the reach's
/// end).
/// Pipes and tabs are asked first, so that a Markdown cell may hold a comma
/// (`| March 12, 1990 |`).
fn cell_around(t: &[u8], digit: usize) -> Result<(usize, usize, u8), usize> {
    let floor = digit.saturating_sub(MAX_CELL);
    let ceiling = (digit + MAX_CELL).min(t.len());
    let before = Bounds::of(t.get(floor..digit).unwrap_or_default());
    let after = Bounds::of(t.get(digit..ceiling).unwrap_or_default());
    let mut next_bound = ceiling;
    for (slot, delimiter) in DELIMITERS.into_iter().enumerate() {
        let (left, right) = (before.with(slot), after.with(slot));
        // The last bound before the digit, the first after it.
        let left = (left != 0).then(|| floor + 64 - left.leading_zeros() as usize);
        let right = (right != 0).then(|| digit + right.trailing_zeros() as usize);
        next_bound = next_bound.min(right.unwrap_or(ceiling));
        let (left, right) = match (left, right) {
            (Some(l), Some(r)) => (l, r),
            (None, Some(r)) if floor == 0 => (0, r),
            (Some(l), None) if ceiling == t.len() => (l, ceiling),
            (None, None) if floor == 0 && ceiling == t.len() => (0, ceiling),
            _ => continue,
        };
        let delimited = left.checked_sub(1).and_then(|i| t.get(i)) == Some(&delimiter)
            || t.get(right) == Some(&delimiter);
        if delimited {
            return Ok((left, right, delimiter));
        }
    }
    Err(next_bound)
}

/// Where the line breaks and each of [`DELIMITERS`] are in at most
/// [`MAX_CELL`] bytes: a bit per byte, the first lowest. Found sixteen bytes
/// at a time, in one pass for all of them.
struct Bounds {
    breaks: u64,
    delimiters: [u64; 3],
}

impl Bounds {
    fn of(bytes: &[u8]) -> Bounds {
        let mut bounds = Bounds {
            breaks: 0,
            delimiters: [0; 3],
        };
        let [pipe, comma, tab] = DELIMITERS;
        for (i, at) in (0..bytes.len().min(MAX_CELL))
            .step_by(chunks::WIDTH)
            .enumerate()
        {
            // Padding past the end is zero, neither a break nor a delimiter.
            let x = chunks::load_padded(bytes, at);
            let shift = 16 * i;
            let bits = |m: chunks::Mask| u64::from(m.bits()) << shift;
            bounds.breaks |= bits(x.eq(b'\n').or(x.eq(b'\r')));
            bounds.delimiters[0] |= bits(x.eq(pipe));
            bounds.delimiters[1] |= bits(x.eq(comma));
            bounds.delimiters[2] |= bits(x.eq(tab));
        }
        bounds
    }

    /// The bytes that bound a cell of the delimiter in `slot`.
    fn with(&self, slot: usize) -> u64 {
        self.breaks | self.delimiters.get(slot).copied().unwrap_or(0)
    }
}

/// `left..right` without the spaces, quotes and carriage return around it.
fn trim(t: &[u8], mut left: usize, mut right: usize) -> (usize, usize) {
    let edge = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t' | b'\r' | b'"' | b'\''));
    while left < right && edge(t.get(left)) {
        left += 1;
    }
    while right > left && edge(t.get(right - 1)) {
        right -= 1;
    }
    (left, right)
}

/// The start of the line holding `at`, when it is within [`MAX_LINE`] bytes.
fn line_start(t: &[u8], at: usize) -> Option<usize> {
    let floor = at.saturating_sub(MAX_LINE);
    match memchr::memrchr(b'\n', t.get(floor..at)?) {
        Some(p) => Some(floor + p + 1),
        None => (floor == 0).then_some(0),
    }
}

/// The end of the line starting at `start` (its `\n`, or the text's end),
/// when it is within [`MAX_LINE`] bytes; a `\r` before the `\n` is left in
/// the line and trimmed from its last cell.
fn line_end(t: &[u8], start: usize) -> Option<usize> {
    let ceiling = (start + MAX_LINE).min(t.len());
    match memchr::memchr(b'\n', t.get(start..ceiling)?) {
        Some(p) => Some(start + p),
        None => (ceiling == t.len()).then_some(ceiling),
    }
}

/// How many of each of [`DELIMITERS`] `start..end` holds (commas outside
/// double quotes), in one pass of sixteen bytes at a time unless a quote is
/// in play.
fn count_all(t: &[u8], start: usize, end: usize) -> [usize; 3] {
    let part = t.get(start..end).unwrap_or_default();
    let [pipe, comma, tab] = DELIMITERS;
    let [pipes, mut commas, tabs, quotes] = chunks::count(part, [pipe, comma, tab, b'"']);
    if commas > 0 && quotes > 0 {
        commas = count(t, start, end, comma, false).0;
    }
    [pipes, commas, tabs]
}

/// The delimiters in `from..to` outside double quotes (for commas), given
/// whether a quote is open at `from`; and whether one is open at `to`.
/// Sixteen bytes at a time: which lanes are inside quotes is the running
/// parity of the quotes before them, a prefix XOR of the quotes' bits.
fn count(t: &[u8], from: usize, to: usize, delimiter: u8, quoted: bool) -> (usize, bool) {
    let part = t.get(from..to).unwrap_or_default();
    let mut n = 0;
    let mut open = quoted;
    let quote = if delimiter == b',' { b'"' } else { 0 };
    chunks::each(part, |x, valid| {
        let quotes = if quote == 0 {
            0
        } else {
            x.eq(quote).bits() & valid
        };
        let mut inside = quotes;
        inside ^= inside << 1;
        inside ^= inside << 2;
        inside ^= inside << 4;
        inside ^= inside << 8;
        if open {
            inside = !inside;
        }
        n += (x.eq(delimiter).bits() & valid & !inside).count_ones();
        open ^= quotes.count_ones() % 2 == 1;
    });
    (n as usize, open)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use crate::detect::testing::{expect_none, expect_only, find};

    #[test]
    fn values_under_a_header_that_names_them() {
        let cases = [
            // Markdown, the separator row between header and rows.
            (
                "| Name | Passport No. | Note |\n|---|---|---|\n| Li Wei | E12345678 | ok |",
                "passport",
                "E12345678",
            ),
            (
                "| 姓名 | 护照号码 |\n| --- | --- |\n| 李伟 | E12345678 |",
                "passport",
                "E12345678",
            ),
            (
                "| 姓名 | 出生日期 |\n|:--|:--|\n| 李伟 | 1990-03-12 |",
                "date_of_birth",
                "1990-03-12",
            ),
            // CSV, quoted cells and a comma inside quotes.
            (
                "name,dob,city\nLi Wei,12/03/1990,Shanghai",
                "date_of_birth",
                "12/03/1990",
            ),
            (
                "name,passport\r\n\"Li, Wei\",\"E12345678\"\r\n",
                "passport",
                "E12345678",
            ),
            ("id,nino\n7,AB123456C\n", "national_id", "AB123456C"),
            (
                "id,RRN\n7,900101-1234567\n",
                "national_id",
                "900101-1234567",
            ),
            (
                "| 姓名 | 澳門身份證 |\n|---|---|\n| 李偉 | 1234567(8) |",
                "national_id",
                "1234567(8)",
            ),
            (
                "name;x,NINO\nLi,AB 12 34 56 C",
                "national_id",
                "AB 12 34 56 C",
            ),
            // A resident ID whose check fails is still the person's; one whose
            // check holds is found by its shape, as itself.
            (
                "| 姓名 | 身份证号 |\n|---|---|\n| 张三 | 110101199003071235 |",
                "national_id",
                "110101199003071235",
            ),
            (
                "| 姓名 | 身份证号 |\n|---|---|\n| 张三 | 110105199003071239 |",
                "cn_resident_id",
                "110105199003071239",
            ),
            // TSV.
            (
                "name\tDate of Birth\nLi Wei\t1990年3月12日",
                "date_of_birth",
                "1990年3月12日",
            ),
            // Under prose: the table starts after the blank line. A digit in
            // the prose just before it, in no cell, does not hide it.
            (
                "Please summarise the customers below.\n\nname,passport\nLi Wei,E12345678",
                "passport",
                "E12345678",
            ),
            (
                "Reply in under 100 words.\n\nname,passport\nLi Wei,E12345678",
                "passport",
                "E12345678",
            ),
            // A credential's column: the value judged as a JSON key's.
            (
                "user,password\nalice,Summer2024!x",
                "credential",
                "Summer2024!x",
            ),
        ];
        for (text, category, span) in cases {
            expect_only(text, category, span);
        }
    }

    #[test]
    fn every_row_of_a_long_table_is_read() {
        let mut text = String::from("| # | passport | dob |\n|---|---|---|\n");
        for row in 0..300 {
            text += &format!(
                "| {row} | E{:08} | 1990-03-{:02} |\n",
                10_000_000 + row,
                row % 28 + 1
            );
        }
        let found = find(&text);
        assert_eq!(found.iter().filter(|f| f.0 == "passport").count(), 300);
        assert_eq!(found.iter().filter(|f| f.0 == "date_of_birth").count(), 300);
        assert!(!found.iter().any(|f| f.1.len() < 9), "{found:?}");
    }

    #[test]
    fn delimiters_are_counted_outside_quotes_as_a_byte_loop_counts() {
        // Quotes and delimiters at every lane of three chunks, the count
        // started inside and outside a quote and cut at every length.
        let by_byte = |part: &[u8], delimiter: u8, mut quoted: bool| {
            let mut n = 0;
            for &b in part {
                if b == b'"' && delimiter == b',' {
                    quoted = !quoted;
                } else if b == delimiter && !quoted {
                    n += 1;
                }
            }
            (n, quoted)
        };
        let patterns: [&[u8]; 4] = [b"a,\"b,c\",d", b"\"\"|,\t,", b",,,,\"", b"x|y\t\"z,"];
        for pattern in patterns {
            let text: Vec<u8> = pattern.iter().copied().cycle().take(50).collect();
            for end in 0..=text.len() {
                for delimiter in [b',', b'|', b'\t'] {
                    for quoted in [false, true] {
                        assert_eq!(
                            super::count(&text, 0, end, delimiter, quoted),
                            by_byte(&text[..end], delimiter, quoted),
                            "{:?} {end} {delimiter} {quoted}",
                            String::from_utf8_lossy(&text)
                        );
                    }
                }
                let all = super::count_all(&text, 0, end);
                let each = [b'|', b',', b'\t'].map(|d| by_byte(&text[..end], d, false).0);
                assert_eq!(all, each, "{end}");
            }
        }
    }

    #[test]
    fn a_cell_is_bounded_as_searching_each_way_bounds_it() {
        // The reference: for each delimiter in turn, the nearest delimiter
        // or line break each way within the reach, searched byte by byte.
        fn reference(t: &[u8], digit: usize) -> Result<(usize, usize, u8), usize> {
            let floor = digit.saturating_sub(super::MAX_CELL);
            let ceiling = (digit + super::MAX_CELL).min(t.len());
            let mut next_bound = ceiling;
            for delimiter in super::DELIMITERS {
                let bound = |b: &u8| *b == delimiter || *b == b'\n' || *b == b'\r';
                let left = t[floor..digit]
                    .iter()
                    .rposition(bound)
                    .map(|l| floor + l + 1);
                let right = t[digit..ceiling].iter().position(bound).map(|r| digit + r);
                next_bound = next_bound.min(right.unwrap_or(ceiling));
                let (left, right) = match (left, right) {
                    (Some(l), Some(r)) => (l, r),
                    (None, Some(r)) if floor == 0 => (0, r),
                    (Some(l), None) if ceiling == t.len() => (l, ceiling),
                    (None, None) if floor == 0 && ceiling == t.len() => (0, ceiling),
                    _ => continue,
                };
                let delimited = left.checked_sub(1).map(|i| t[i]) == Some(delimiter)
                    || t.get(right) == Some(&delimiter);
                if delimited {
                    return Ok((left, right, delimiter));
                }
            }
            Err(next_bound)
        }
        // Bounds at every distance up to past the reach, each way, in texts
        // shorter and longer than the reach.
        let pieces: [&[u8]; 6] = [b"|", b",", b"\t", b"\n", b"\r\n", b" 7 "];
        for len in [1usize, 20, 63, 64, 65, 130, 200] {
            for (i, piece) in pieces.iter().enumerate() {
                for at in 0..len {
                    let mut text = vec![b'x'; len];
                    text.splice(at..at, piece.iter().copied());
                    // A second bound of another kind further on.
                    let other = pieces[(i + 1) % pieces.len()];
                    let far = (at * 7 + 13) % text.len();
                    text.splice(far..far, other.iter().copied());
                    for digit in (0..text.len()).step_by(3) {
                        assert_eq!(
                            super::cell_around(&text, digit),
                            reference(&text, digit),
                            "{:?} at {digit}",
                            String::from_utf8_lossy(&text)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn tables_stay_linear() {
        // Read back to its header from every row, or along its line from
        // every cell, each of these would take minutes, not milliseconds.
        let rows = format!("name,passport\n{}", "Li,E1234567\n".repeat(1 << 16));
        let one_line = format!("passport,dob\n{}", "E1234567,".repeat(1 << 16));
        let short_lines = "1,2\n1,2,3\n".repeat(1 << 16);
        let pipes = "| 1 | 2 |".repeat(1 << 15);
        for (text, taken) in [(rows, 1 << 16), (one_line, 0), (short_lines, 0), (pipes, 0)] {
            let started = std::time::Instant::now();
            let found = find(&text);
            assert!(started.elapsed().as_secs() < 20);
            assert_eq!(found.len(), taken);
        }
    }

    #[test]
    fn leaves_what_its_header_does_not_name() {
        expect_none(&[
            // Columns whose names say nothing of a document or a date of birth.
            "| order | shipped |\n|---|---|\n| E12345678 | 1990-03-12 |",
            "sku,date\nAB123456C,12/03/1990",
            // The header's own cell, and a row with another count of cells.
            "passport,dob\nE12345678,1990-03-12,extra",
            "passport,dob\nE12345678",
            // A header cell too long to be a column's name: prose.
            "Our notes on the passport renewal process for the team, which took long,1\nsee ticket,123456789,2",
            // The value is not the whole cell, or not of the key's shape.
            "passport,dob\nsee E12345678 above,1990-03-12 or later",
            "passport,dob\nnone,unknown",
        ]);
    }
}
