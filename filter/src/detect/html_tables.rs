//! Values in an HTML table's cells, named by its first row.
//!
//! A prompt may carry an HTML report or e-mail to summarise:
//! `<table><tr><th>Name</th><th>Passport</th></tr><tr><td>Li Wei</td>
//! <td>E12345678</td></tr></table>`. As in a Markdown table (`columns`), the
//! cell at the same place in the table's first row names the value: it is
//! read as a JSON key is ([`Named::key`]), and the value judged as that key's
//! value would be ([`Named::value_span`]).
//!
//! The text's tags are read once, forward, as far as the digits that ask
//! reach (a text with no `<` is passed at its first digit): each `<table`
//! starts a table whose first `<tr>` is its header, each `<tr` a row, each
//! `<td` or `<th` the next cell of its row. A cell's value is its whole text
//! between its start and end tags, at most 64 bytes and within 256 of them
//! (a cell padded with more spaces than that is passed). A table inside
//! another's cell ends the
//! reading of the outer one: its later rows are named by nothing.

use super::lead::{tag_before, Tag};
use super::named::Named;
use super::named_values::JudgedTo;

/// The longest cell text read as a value, and as a column's name.
const MAX_CELL: usize = 64;
/// How far from a digit its cell's tags are looked for: the value and the
/// spaces and line breaks around it.
const MAX_REACH: usize = 256;
const MAX_HEADER_CELL: usize = 40;
/// How many of a header's cells are kept.
const MAX_COLUMNS: usize = 64;
/// The longest tag read over to a header cell's text.
const MAX_TAG: usize = 256;

/// What the tags read so far say, while one scan goes through the text.
#[derive(Default)]
pub(crate) struct HtmlTables {
    /// Cells are judged once: a digit before this offset is in a cell
    /// already judged, or in none.
    judged: JudgedTo,
    /// The tags before this offset have been read.
    read_to: usize,
    /// The table being read: its header's names, once its first row is
    /// read, and whether that row is still being read.
    header: Header,
    /// The cells of the row being read so far.
    cells: usize,
}

#[derive(Default)]
enum Header {
    /// Outside a table.
    #[default]
    None,
    /// In a table before its first row.
    Awaiting,
    /// In the table's first row: the names of its cells so far.
    Reading(Vec<Option<Named>>),
    /// In a later row.
    Read(Vec<Option<Named>>),
}

impl HtmlTables {
    /// The value in the table cell that holds the digit at `digit`, when the
    /// table's first row names what the value is at the cell's place: its
    /// span and its name.
    pub(crate) fn named_cell(&mut self, t: &[u8], digit: usize) -> Option<(usize, usize, Named)> {
        if !self.judged.open(t, digit, b'<') {
            return None;
        }
        // The tags around the digit: `<td ...>` before, `</td` after, each
        // within reach (pretty-printed HTML indents a cell's text), with no
        // other tag between.
        let floor = digit.saturating_sub(MAX_REACH);
        let ceiling = (digit + MAX_REACH).min(t.len());
        let after = t.get(digit..ceiling)?;
        let Some(end) = memchr::memchr2(b'<', b'>', after).map(|e| digit + e) else {
            // No tag in reach after it: the text it is in is longer than a
            // cell, up to there.
            self.judged.to = ceiling;
            return None;
        };
        self.judged.to = end;
        let before = t.get(floor..digit)?;
        let gt = floor + memchr::memrchr2(b'<', b'>', before)?;
        let cell_tag =
            |name: &str| name.eq_ignore_ascii_case("td") || name.eq_ignore_ascii_case("th");
        let opens = t.get(gt) == Some(&b'>')
            && matches!(tag_before(t, gt), Some(Tag::Start(name)) if cell_tag(name));
        let closes = t.get(end..end + 4).is_some_and(|close| {
            close.eq_ignore_ascii_case(b"</td") || close.eq_ignore_ascii_case(b"</th")
        });
        if !opens || !closes {
            return None;
        }
        let (start, value_end) = trim(t, gt + 1, end);
        if value_end - start > MAX_CELL {
            return None;
        }
        // The tags up to the cell's own are read: its place in its row.
        self.read(t, gt);
        let Header::Read(names) = &self.header else {
            return None;
        };
        let &named = names.get(self.cells.checked_sub(1)?)?.as_ref()?;
        let (s, e) = named.value_span(t.get(start..value_end)?)?;
        Some((start + s, start + e, named))
    }

    /// Reads the tags that start before `to`, from where reading stopped.
    fn read(&mut self, t: &[u8], to: usize) {
        while let Some(lt) = t
            .get(self.read_to..to)
            .and_then(|rest| memchr::memchr(b'<', rest))
            .map(|at| self.read_to + at)
        {
            self.read_to = lt + 1;
            let (closing, name) = tag_name(t, lt + 1);
            let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
            if is(b"table") {
                self.header = if closing {
                    Header::None
                } else {
                    Header::Awaiting
                };
            } else if is(b"tr") && !closing {
                self.cells = 0;
                self.header = match std::mem::take(&mut self.header) {
                    Header::Awaiting => Header::Reading(Vec::new()),
                    Header::Reading(names) | Header::Read(names) => Header::Read(names),
                    Header::None => Header::None,
                };
            } else if (is(b"td") || is(b"th")) && !closing {
                self.cells += 1;
                if let Header::Reading(names) = &mut self.header {
                    if names.len() < MAX_COLUMNS {
                        names.push(header_name(t, lt));
                    }
                }
            }
        }
        self.read_to = self.read_to.max(to);
    }
}

/// Whether the tag whose name starts at `at` is an end tag, and its name (up
/// to eight letters; longer names are no table's).
fn tag_name(t: &[u8], at: usize) -> (bool, &[u8]) {
    let closing = t.get(at) == Some(&b'/');
    let from = at + usize::from(closing);
    let rest = t.get(from..(from + 9).min(t.len())).unwrap_or_default();
    let len = rest
        .iter()
        .position(|b| !b.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    (closing, rest.get(..len).unwrap_or_default())
}

/// What the header cell whose tag starts at `lt` names: its text up to the
/// next tag, or, when that is empty, the text inside the tag that follows
/// (`<th><b>Passport</b></th>`).
fn header_name(t: &[u8], lt: usize) -> Option<Named> {
    // A tag's end within reach: each header cell reads a bounded stretch.
    let tag_end = |from: usize| {
        let reach = t.get(from..(from + MAX_TAG).min(t.len()))?;
        memchr::memchr(b'>', reach).map(|i| from + i)
    };
    let mut from = tag_end(lt + 1)?;
    for _ in 0..2 {
        let reach = t.get(from + 1..(from + 1 + MAX_REACH).min(t.len()))?;
        let end = from + 1 + memchr::memchr(b'<', reach)?;
        let (start, text_end) = trim(t, from + 1, end);
        if text_end - start > MAX_HEADER_CELL {
            return None;
        }
        if start < text_end {
            return Named::key(std::str::from_utf8(t.get(start..text_end)?).ok()?);
        }
        // Empty: read on past the next tag.
        from = tag_end(end)?;
    }
    None
}

/// `left..right` without the ASCII spaces around it.
fn trim(t: &[u8], left: usize, right: usize) -> (usize, usize) {
    let part = t.get(left..right).unwrap_or_default();
    let start = left + (part.len() - part.trim_ascii_start().len());
    (start, start + part.trim_ascii().len())
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
    fn values_under_a_header_cell_that_names_them() {
        let cases: [(&str, &[(&str, &str)]); 5] = [
            (
                "<table><tr><th>Name</th><th>Passport</th><th>DOB</th></tr>\n<tr><td>Li Wei</td><td>E12345678</td><td>1990-03-12</td></tr></table>",
                &[("passport", "E12345678"), ("date_of_birth", "1990-03-12")],
            ),
            (
                "<TABLE border=1>\n<thead><tr><th><b>Name</b></th><th><b>ID Card</b></th></tr></thead>\n<tbody>\n<tr><td>Li</td><td> A1234563 </td></tr>\n<tr><td>Wang</td><td>123456789</td></tr>\n</tbody></TABLE>",
                &[("national_id", "A1234563"), ("national_id", "123456789")],
            ),
            (
                "<table><tr><td>姓名</td><td>出生日期</td></tr><tr><td>李伟</td><td>1990年3月12日</td></tr></table>",
                &[("date_of_birth", "1990年3月12日")],
            ),
            (
                "<table><tr><th>user</th><th>password</th></tr><tr><td>alice</td><td>Summer2024!x</td></tr></table>",
                &[("credential", "Summer2024!x")],
            ),
            // Pretty-printed: a cell's text indented deep.
            (
                &format!(
                    "<table>\n{0}<tr>\n{0}  <th>\n{0}    Passport\n{0}  </th>\n{0}</tr>\n{0}<tr>\n{0}  <td>\n{0}    E12345678\n{0}  </td>\n{0}</tr>\n</table>",
                    " ".repeat(40)
                ),
                &[("passport", "E12345678")],
            ),
        ];
        for (text, expected) in cases {
            expect_all(text, expected);
        }
    }

    #[test]
    fn leaves_what_no_header_cell_names() {
        expect_none(&[
            // Columns named for something else; the header row's own cells.
            "<table><tr><th>Order</th><th>Shipped</th></tr><tr><td>E12345678</td><td>1990-03-12</td></tr></table>",
            "<table><tr><th>E12345678</th><th>passport</th></tr></table>",
            // A cell holding more than the value; a cell outside any table.
            "<table><tr><th>Passport</th></tr><tr><td>see E12345678</td></tr></table>",
            "<td>E12345678</td>",
            // After the table's end, the header no longer names anything.
            "<table><tr><th>Passport</th></tr></table><table><tr><td>E12345678</td></tr></table>",
            "<table><tr><th>Passport</th></tr></table><p>E12345678</p>",
        ]);
    }

    #[test]
    fn tables_stay_linear() {
        // Each tag read once however many rows and digits.
        let rows =
            "<tr><td>Li Wei</td><td>E12345678</td><td>1990-03-12</td></tr>\n".repeat(1 << 14);
        let text =
            format!("<table><tr><th>Name</th><th>Passport</th><th>DOB</th></tr>\n{rows}</table>");
        let started = std::time::Instant::now();
        assert_eq!(find(&text).len(), 2 << 14);
        let tags = "<b>1</b><i>2</i>".repeat(1 << 16);
        assert!(find(&tags).is_empty());
        // Header cells whose tags never end: each reads a bounded stretch.
        let open_tags = "<table><tr><th".repeat(1 << 16);
        assert!(find(&format!("{open_tags}<tr><td>E12345678</td>")).is_empty());
        assert!(started.elapsed().as_secs() < 20);
    }
}
