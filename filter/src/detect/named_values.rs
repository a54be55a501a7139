//! Values made sensitive by their name or their place rather than their shape,
//! asked at each digit the scanner stops at: a credential stated in a
//! sentence, a document's number, a date of birth, a phone's or a bank
//! account's number after its name, and a value in a table's, an SQL
//! `INSERT`'s or an HTML table's column named for it.

use super::bytes::{at, is, DIGIT};
use super::category::{Category, Enabled};
use super::scanner::Candidate;
use super::{
    accounts, birth_dates, columns, credentials, documents, html_tables, inserts, north_american,
    phones,
};

/// How far a table reader has judged one text: a digit before `to` is in a
/// stretch judged already (a cell, a line, a text holding no table).
#[derive(Default)]
pub(crate) struct JudgedTo {
    pub(crate) to: usize,
    /// Whether the text was asked for the byte every table of the reader's
    /// kind holds.
    asked: bool,
}

impl JudgedTo {
    /// Whether the digit at `digit` is still to be judged: past what was
    /// judged, in a text that holds `needed` (a line break, a `<`). The text
    /// is asked once, at its first digit; one without it is judged whole
    /// there (most prompts' messages hold no table).
    pub(crate) fn open(&mut self, t: &[u8], digit: usize, needed: u8) -> bool {
        if digit < self.to {
            return false;
        }
        if !self.asked {
            self.asked = true;
            if memchr::memchr(needed, t).is_none() {
                self.to = t.len();
                return false;
            }
        }
        true
    }
}

/// What the detectors of values named by their place keep while one text is
/// scanned, and which of them are on.
pub(crate) struct NamedValues {
    on: Enabled,
    columns_on: bool,
    tables: columns::Tables,
    inserts: inserts::Inserts,
    html: html_tables::HtmlTables,
}

impl NamedValues {
    pub(crate) fn new(on: Enabled) -> NamedValues {
        let columns_on = [
            Category::Passport,
            Category::NationalId,
            Category::DateOfBirth,
            Category::Credential,
            Category::Phone,
            Category::BankAccount,
        ]
        .iter()
        .any(|c| on.has(c));
        NamedValues {
            on,
            columns_on,
            tables: columns::Tables::default(),
            inserts: inserts::Inserts::default(),
            html: html_tables::HtmlTables::default(),
        }
    }

    /// A value its name or place makes sensitive whose word holds the digit
    /// at `i`, tried in turn: `the password is Summer2024!`, `my API key is
    /// 3f9a...` (a credential stated in a sentence, found from its first
    /// digit); `passport no. E12345678`, `HKID A1234563` (a number after a
    /// document's name); `DOB: 1990-03-12`, `出生日期：1990年3月12日`; `Tel.
    /// 020 7946 0958`, `account no. 12345678`; `415-555-2671` (a North
    /// American number, named or not); `| Li Wei | E12345678 |
    /// 1990-03-12 |` (a value in a table, named by its column's header rows
    /// above, or in an SQL `INSERT`'s row, named by its column list, or in
    /// an HTML table's cell, named by its first row). Kept out of the
    /// scanner's loop (never inlined there), which runs for every byte that
    /// may start something while this runs only at digits.
    #[inline(never)]
    pub(crate) fn at_digit(
        &mut self,
        t: &[u8],
        i: usize,
        judged: &mut credentials::Judged,
    ) -> Option<Candidate> {
        let on = self.on;
        if on.has(&Category::Credential) {
            if let Some((start, end)) = credentials::stated_credential(t, i, judged) {
                return Some((start, end, Category::Credential));
            }
        }
        if on.has(&Category::Passport) || on.has(&Category::NationalId) {
            if let Some((start, end, document)) = documents::document_number(t, i) {
                if on.has(&document.category()) {
                    return Some((start, end, document.category()));
                }
            }
        }
        if on.has(&Category::DateOfBirth) {
            if let Some((start, end)) = birth_dates::birth_date(t, i) {
                return Some((start, end, Category::DateOfBirth));
            }
        }
        if long_or_grouped(t, i) {
            if on.has(&Category::Phone) {
                if let Some((start, end)) =
                    phones::named_phone(t, i).or_else(|| north_american::north_american(t, i))
                {
                    return Some((start, end, Category::Phone));
                }
            }
            if on.has(&Category::BankAccount) {
                if let Some((start, end)) = accounts::bank_account(t, i) {
                    return Some((start, end, Category::BankAccount));
                }
            }
        }
        if !self.columns_on {
            return None;
        }
        let (start, end, named) = self
            .tables
            .named_cell(t, i)
            .or_else(|| self.inserts.named_value(t, i))
            .or_else(|| self.html.named_cell(t, i))?;
        let category = named.category();
        on.has(&category).then_some((start, end, category))
    }
}

/// Whether the digits at `digit` may start a phone's or an account's number
/// (`phones`, `accounts`), told in a few bytes: six digits or more, or a
/// group followed by a space, dash, dot or bracket and another group (`555-26`,
/// `020 79`, `(415) 5`). Most numbers in prose (`120ms`, `2024年`, `15%`) are
/// not, and cost those detectors no call.
#[inline(always)]
fn long_or_grouped(t: &[u8], digit: usize) -> bool {
    let mut end = digit;
    while is(t, end, DIGIT) {
        end += 1;
        if end - digit == 6 {
            return true;
        }
    }
    // `(415) 555`, `(010)6234`: an area code's bracket closes the group.
    let next = if at(t, end) == b')' { end + 1 } else { end };
    // The next group two digits or more; with a dot, the first too (`0.82`,
    // `15.2%` are decimals).
    let two_digits = |i: usize| is(t, i, DIGIT) && is(t, i + 1, DIGIT);
    (next > end && is(t, next, DIGIT))
        || (matches!(at(t, next), b' ' | b'-') && two_digits(next + 1))
        || (at(t, next) == b'.' && end - digit >= 2 && two_digits(next + 1))
}
