//! Credentials known by where they stand rather than by their shape: the
//! password in a URL's user info (`postgres://app:S3cr3t@db/orders`) and the
//! value given to a credential's name (`DB_PASSWORD=...`, `"client_secret":
//! "..."`, `Authorization: Basic ...`, `密码：...`).
//!
//! Where the name is not right before its value (a Kubernetes `name:` and
//! `value:`, an XML element, `Uid=sa;Pwd=...`, `curl -u user:password`,
//! Oracle's `scott/tiger@orcl`, `mysql -pS3cret`), the forms in [`settings`]
//! and [`commands`] read it. A password stated in a sentence (`the password
//! is Summer2024!`, `密码是abc12345`) is read by [`prose`] from its digits.
//!
//! The scanner calls [`credential`] at each `:`, `=`, `>`, `@` and `-`, and
//! [`stated_credential`] at a word's first digit. A name counts by how
//! it ends, case and the separators `_`, `-` and `.` aside
//! (`AWS_SECRET_ACCESS_KEY`, `x-api-key`, `smtp.password`), so the many
//! spellings of one name need no list. Only the value is reported: the name,
//! the scheme, the user and the host stay, so the prompt still reads.
//!
//! What keeps prose and code from tripping it:
//! - a value a program looks up rather than holds: `${DB_PASSWORD}`,
//!   `%(pw)s`, `<your password>`, `os.environ["PW"]`, `getenv("PW")`,
//!   `settings.db.password`, a variable named for a credential
//!   (`password = user_password`, `api_key = API_KEY`, and `password` in
//!   `http://user:password@host`), a lower-case name after ` = ` (code's
//!   variable: a literal would be quoted there), `****`, `null`, `true`,
//!   `bool`;
//! - `==`, `!=`, `<=` and `>=` compare, they do not assign;
//! - where prose would write it (after `: ` in a sentence, `My password:
//!   forgotten`), an unquoted word of letters counts only with a digit, a
//!   symbol or a capital past its first letter, or twelve letters or more,
//!   and never with an `=` in it (`confirm_password: retries=3` names the
//!   next setting); a name at the start of a line (YAML, headers, `.env`), a
//!   quoted value or `=` takes any value of three characters or more;
//! - a PIN (`pin`, or after a separator: `card_pin`, `SIM_PIN`) is four to
//!   twelve digits, so a board's `pin: 13` and `spin=1000` stay; a card's
//!   security code (`CVV`, `cvc2`, `security_code`, `安全码`) three or four;
//! - a secret, key or token needs eight characters, a digit or both cases,
//!   no space and no `=` but base64's padding: `token: expired`,
//!   `{token:"storage.type.rust"}` stay;
//! - code: a path (`token::Paren`), a declaration's type (`pub password:
//!   String`, `token: u32`), a lower-case name or a number after ` = `
//!   (`password = split`: a literal would be quoted there), unless a
//!   password's name starts the line and its value ends it, as an INI or
//!   `.properties` file writes it (`password = letmein`).
//!
//! Every look is bounded: back over at most [`MAX_NAME`] bytes of name, forward
//! over at most [`MAX_QUOTED`] bytes to a closing quote or [`MAX_RUN`] bytes
//! of an unquoted value, read on only once the value is taken (the scanner then
//! resumes after it), so no byte is read more than a constant number of times
//! whatever the input.

use super::bytes::{at, before, class, is, ALNUM, DIGIT, UPPER};

mod commands;
mod prose;
mod settings;

pub(crate) use prose::{stated_credential, Judged};

/// How far back a name is read.
const MAX_NAME: usize = 64;
/// How far a quoted value's closing quote is looked for.
const MAX_QUOTED: usize = 512;
/// How much of an unquoted value is read to judge it; more only once taken.
const MAX_RUN: usize = 64;
/// How much of a URL's authority (`user:password@host:port`) is read.
const MAX_AUTHORITY: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Chosen by people: any word may be one.
    Password,
    /// Made by machines: long, with digits or symbols.
    Secret,
    /// An HTTP `Authorization` value: a scheme word, then the credentials.
    Authorization,
    /// A card's or an account's PIN: four to twelve digits (`card_pin:
    /// 4829`), so a board's `pin: 13` stays.
    Pin,
    /// A card's security code (CVV2, CVC2, CID), printed on the card and
    /// never to be stored or sent with its number: three or four digits
    /// (`CVV: 847`, `{"card_cvc": "0417"}`).
    CardCode,
}

impl Kind {
    /// Whether `value`, held whole under a name of this kind (a JSON key's
    /// string, an element's text), is such a credential by its length and
    /// shape alone: a password of three characters or more, a secret made by
    /// a machine, a PIN. An `Authorization` value is read by its scheme
    /// instead ([`authorization`]).
    fn holds(self, value: &[u8]) -> bool {
        match self {
            Kind::Password => value.len() >= 3,
            Kind::Secret => machine_made(value),
            Kind::Pin => is_pin(value),
            Kind::CardCode => is_card_code(value),
            Kind::Authorization => false,
        }
    }
}

/// Where in a name its ending must stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Anywhere: `dbpassword`, `client_secret`.
    Anywhere,
    /// After a separator, or in a name in capitals: `db_pass`, `DBPASS`,
    /// not `bypass` or the shell's `PWD`.
    AfterSeparator,
    /// The whole name, or after a separator: `pin`, `card_pin`, not `spin`.
    Word,
}

/// Names by how they end, in lower case without separators, and where the
/// ending must stand.
const NAMES: &[(&[u8], Kind, Ending)] = &[
    (b"password", Kind::Password, Ending::Anywhere),
    (b"passwd", Kind::Password, Ending::Anywhere),
    (b"passphrase", Kind::Password, Ending::Anywhere),
    (b"passcode", Kind::Password, Ending::Anywhere),
    (b"pass", Kind::Password, Ending::AfterSeparator),
    (b"pwd", Kind::Password, Ending::AfterSeparator),
    (b"secret", Kind::Secret, Ending::Anywhere),
    (b"apikey", Kind::Secret, Ending::Anywhere),
    (b"accesskey", Kind::Secret, Ending::Anywhere),
    (b"secretkey", Kind::Secret, Ending::Anywhere),
    (b"privatekey", Kind::Secret, Ending::Anywhere),
    (b"accountkey", Kind::Secret, Ending::Anywhere),
    (b"token", Kind::Secret, Ending::Anywhere),
    (b"authorization", Kind::Authorization, Ending::Anywhere),
    (b"pin", Kind::Pin, Ending::Word),
    (b"cvv", Kind::CardCode, Ending::Anywhere),
    (b"cvc", Kind::CardCode, Ending::Anywhere),
    (b"cvv2", Kind::CardCode, Ending::Anywhere),
    (b"cvc2", Kind::CardCode, Ending::Anywhere),
];

/// A card code's name of two words, as a key or a setting spells it
/// (`security_code`, `cardSecurityCode`), separators aside: asked apart from
/// [`NAMES`], since its `e` would bring every word ending in one to that
/// table.
const SECURITY_CODE: &[u8] = b"securitycode";

/// A PIN's shortest and longest: `PIN: 0000`, not `pin: 13` (a board's pin).
const MIN_PIN: usize = 4;
const MAX_PIN: usize = 12;

/// Whether `value` is a PIN: four to twelve digits.
fn is_pin(value: &[u8]) -> bool {
    (MIN_PIN..=MAX_PIN).contains(&value.len()) && value.iter().all(u8::is_ascii_digit)
}

/// A card's security code: three digits (four on an American Express card).
const MIN_CARD_CODE: usize = 3;
const MAX_CARD_CODE: usize = 4;

/// Whether `value` is a card's security code: three or four digits.
fn is_card_code(value: &[u8]) -> bool {
    (MIN_CARD_CODE..=MAX_CARD_CODE).contains(&value.len()) && value.iter().all(u8::is_ascii_digit)
}

/// Chinese names: password (two words), secret key, token, a card's
/// security code.
const CHINESE_NAMES: &[(&str, Kind)] = &[
    ("密码", Kind::Password),
    ("口令", Kind::Password),
    ("密钥", Kind::Secret),
    ("令牌", Kind::Secret),
    ("安全码", Kind::CardCode),
    ("安全碼", Kind::CardCode),
];

/// Values that name a type or say there is none, as schemas and examples do.
const NOT_VALUES: &[&[u8]] = &[
    b"null",
    b"none",
    b"nil",
    b"true",
    b"false",
    b"undefined",
    b"empty",
    b"required",
    b"optional",
    b"redacted",
    b"hidden",
    b"string",
    b"str",
    b"text",
    b"bool",
    b"boolean",
    b"int",
    b"integer",
    b"number",
    b"float",
    b"bytes",
    b"any",
    b"object",
    b"char",
    b"void",
    b"u8",
    b"u16",
    b"u32",
    b"u64",
    b"u128",
    b"usize",
    b"i8",
    b"i16",
    b"i32",
    b"i64",
    b"i128",
    b"isize",
    b"f32",
    b"f64",
    b"uint",
    b"int32",
    b"int64",
    b"uint32",
    b"uint64",
];

/// A JSON key that names a credential: its string value is then one
/// (`{"password": "..."}` in a tool call's arguments), with no `:` or `=` in
/// any text for the text detector to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CredentialKey(Kind);

impl CredentialKey {
    /// `Some` for a key such as `password`, `client_secret`, `x-api-key`.
    pub(crate) fn of(key: &str) -> Option<CredentialKey> {
        let key = key.as_bytes();
        let kind = kind_of_name(key)
            .or_else(|| chinese_name_ending(key).map(|(_, k)| k))
            .or_else(|| ends_with_security_code(key).then_some(Kind::CardCode))?;
        Some(CredentialKey(kind))
    }

    /// The span of the credential in `value`, the whole string held by a key
    /// of this name: any password of three characters or more, a secret of
    /// eight or more with a digit or both cases and no space (not a cursor
    /// such as `{"next_token": "page_two"}`), an `Authorization` value's
    /// credentials; never a reference, a mask or a type.
    pub(crate) fn value_span(self, value: &[u8]) -> Option<(usize, usize)> {
        if self.0 == Kind::Authorization {
            return authorization(value, 0);
        }
        (self.0.holds(value) && !looked_up(value, true)).then_some((0, value.len()))
    }
}

/// Whether `key` ends in [`SECURITY_CODE`], case and separators aside.
fn ends_with_security_code(key: &[u8]) -> bool {
    let mut letters = key.iter().rev().filter(|&&b| !is_separator(b) && b != b' ');
    SECURITY_CODE.iter().rev().all(|&want| {
        letters
            .next()
            .is_some_and(|b| b.to_ascii_lowercase() == want)
    })
}

/// The credential at the `:`, `=`, `>`, `@` or `-` at `op`: the span of its
/// value.
pub(crate) fn credential(t: &[u8], op: usize) -> Option<(usize, usize)> {
    match at(t, op) {
        b'>' => return settings::element(t, op),
        b'@' => return commands::connect_password(t, op),
        b'-' => return commands::password_flag(t, op),
        b':' if at(t, op + 1) == b'/' && at(t, op + 2) == b'/' => return url_password(t, op),
        _ => {}
    }
    let (kind, line) = match named(t, op)? {
        Name::Kind(kind, line) => (kind, line),
        Name::User(user) => return commands::user_password(t, op, user),
    };
    let mut v = op + 1;
    while matches!(at(t, v), b' ' | b'\t') && v - op <= 4 {
        v += 1;
    }
    let spaced = v > op + 1;
    if kind == Kind::Authorization {
        return authorization(t, v);
    }
    let (start, end, cut) = value(t, v)?;
    let quoted = cut == Cut::Quoted;
    let value = t.get(start..end)?;
    if looked_up(value, quoted) {
        return None;
    }
    // A PIN or a card's code is digits, so code's `pin = 1234` holds one
    // too.
    if kind == Kind::Pin {
        return is_pin(value).then_some((start, end));
    }
    if kind == Kind::CardCode {
        return is_card_code(value).then_some((start, end));
    }
    // `username, password = split`, `pw = index_info`: with spaces around
    // `=`, an unquoted lower-case name is code's variable; a literal would
    // be quoted there.
    let spaced_assignment = at(t, op) == b'=' && spaced && before(t, op) == b' ';
    let hex_literal = value
        .strip_prefix(b"0x")
        .is_some_and(|digits| digits.iter().all(u8::is_ascii_hexdigit));
    let variable = value.iter().all(|b| b.is_ascii_lowercase() || *b == b'_')
        || value.iter().all(u8::is_ascii_digit)
        || hex_literal;
    // `password = letmein` from a line's first column to its end, a
    // password named as such: an INI or `.properties` file's setting (code
    // there would read a variable, `password = pwd`, rarely so).
    let setting = kind == Kind::Password
        && line == Line::Flush
        && matches!(at(t, end), b'\n' | b'\r' | 0)
        && !value.contains(&b'_');
    if spaced_assignment && !quoted && variable && !setting {
        return None;
    }
    let taken = if kind == Kind::Password {
        // In a sentence, a plain word after `: ` is prose, not a
        // password, and an `=` there starts the next setting
        // (`confirm_password: retries=3`).
        let prose = at(t, op) == b':' && spaced && !quoted && line == Line::Inside;
        let plain_word = !marked(value) && value.len() < 12;
        // `password: SecretString,`: a field's type, ending its line.
        let field_type = at(t, op) == b':'
            && !quoted
            && type_name(value)
            && matches!(at(t, end), b',' | b';' | b'\n' | b'\r' | 0);
        value.len() >= 3 && !(prose && (plain_word || value.contains(&b'='))) && !field_type
    } else {
        // Made by machines (not `storage.type.rust` or `a.token+`), `=`
        // only as base64's padding. (`Authorization` was read above.)
        let padding = value.iter().rev().take_while(|&&b| b == b'=').count();
        let inner = value.get(..value.len() - padding).unwrap_or_default();
        machine_made(value) && !inner.contains(&b'=')
    };
    if !taken {
        return None;
    }
    let end = if cut == Cut::AtBound {
        without_full_stop(t, start, rest_of_run(t, end))
    } else {
        end
    };
    Some((start, end))
}

/// The password of `scheme://user:password@host`, at the scheme's colon.
fn url_password(t: &[u8], colon: usize) -> Option<(usize, usize)> {
    if !is(t, colon.wrapping_sub(1), ALNUM) {
        return None;
    }
    let from = colon + 3;
    let mut last_at = None;
    let mut i = from;
    while i < t.len() && i - from < MAX_AUTHORITY {
        match at(t, i) {
            b'@' => last_at = Some(i),
            b'/' | b'?' | b'#' | b'\\' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'[' | b']' => break,
            b if b.is_ascii_whitespace() || b >= 0x80 => break,
            _ => {}
        }
        i += 1;
    }
    let end = last_at?;
    let user_info = t.get(from..end)?;
    let colon = user_info.iter().position(|&b| b == b':')?;
    let start = from + colon + 1;
    let password = t.get(start..end)?;
    (!password.is_empty() && !looked_up(password, true)).then_some((start, end))
}

/// What the name before a `:` or `=` says of the value after it.
enum Name {
    /// A credential's kind, and where on its line the name stands.
    Kind(Kind, Line),
    /// The user of `curl -u user:password`, at this span.
    User((usize, usize)),
}

/// Where a name stands on its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// In the first column: a setting in a file of settings, or a header.
    Flush,
    /// After spaces, tabs or a list's `-` only: YAML, an indented setting.
    Indented,
    /// After other text: a sentence, or code.
    Inside,
}

/// The kind of the name that ends just before `op` (past a closing quote,
/// spaces, or the `:` of `:=`), and where on its line the name stands.
fn named(t: &[u8], op: usize) -> Option<Name> {
    if at(t, op) == b'='
        && (at(t, op + 1) == b'=' || matches!(before(t, op), b'=' | b'!' | b'<' | b'>'))
    {
        return None;
    }
    // `token::Paren`, `crate::token::take_while`: a path, not a setting.
    if at(t, op) == b':' && (at(t, op + 1) == b':' || before(t, op) == b':') {
        return None;
    }
    let mut end = op;
    if at(t, op) == b'=' && before(t, end) == b':' {
        end -= 1;
    }
    while matches!(before(t, end), b' ' | b'\t') && op - end < 4 {
        end -= 1;
    }
    if matches!(before(t, end), b'"' | b'\'') {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && end - start < MAX_NAME && is_name_byte(before(t, start)) {
        start -= 1;
    }
    let kind = if start < end {
        let name = t.get(start..end)?;
        match kind_of_name(name)
            .or_else(|| ends_with_security_code(name).then_some(Kind::CardCode))
            .or_else(|| settings::bare_in_pairs(t, start, name, op))
            .or_else(|| settings::paired(t, start, name))
        {
            Some(kind) => kind,
            None => return commands::user_flag(t, start, end, op).map(Name::User),
        }
    } else {
        let (len, kind) = chinese_name_ending(t.get(..end)?)?;
        start = end - len;
        kind
    };
    // `pub password: String`, `let token: &str`: a declaration's type.
    if at(t, op) == b':' && declared(t, start) {
        return None;
    }
    let line = if matches!(before(t, start), b'\n' | b'\r' | 0) {
        Line::Flush
    } else if starts_line(t, start) {
        Line::Indented
    } else {
        Line::Inside
    };
    Some(Name::Kind(kind, line))
}

/// Whether a declaration's keyword and one space stand before `start`.
fn declared(t: &[u8], start: usize) -> bool {
    const KEYWORDS: &[&[u8]] = &[
        b"pub",
        b"let",
        b"mut",
        b"const",
        b"static",
        b"var",
        b"val",
        b"private",
        b"public",
        b"protected",
        b"readonly",
        b"final",
    ];
    let Some(space) = start.checked_sub(1).filter(|&i| at(t, i) == b' ') else {
        return false;
    };
    let word_start = (0..space)
        .rev()
        .take_while(|&i| at(t, i).is_ascii_alphabetic())
        .last()
        .unwrap_or(space);
    let word = t.get(word_start..space).unwrap_or_default();
    KEYWORDS.contains(&word)
}

/// The Chinese name `text` ends with: its length in bytes and its kind.
fn chinese_name_ending(text: &[u8]) -> Option<(usize, Kind)> {
    CHINESE_NAMES
        .iter()
        .find(|(name, _)| text.ends_with(name.as_bytes()))
        .map(|(name, kind)| (name.len(), *kind))
}

fn is_name_byte(b: u8) -> bool {
    class(b) & ALNUM != 0 || matches!(b, b'_' | b'-' | b'.')
}

fn is_separator(b: u8) -> bool {
    matches!(b, b'_' | b'-' | b'.')
}

/// Names that end like a password's but name something else: sudoers' and
/// doas' tags (`NOPASSWD:`, `nopass`), English words (`BYPASS=1`), pytest's
/// `XPASS`, the shell's last directory (`OLDPWD`), the program that asks for
/// one (`GIT_ASKPASS`). Lower case; each counts as
/// the whole name or after a separator.
const NOT_NAMES: &[&[u8]] = &[
    b"nopasswd",
    b"nopass",
    b"bypass",
    b"compass",
    b"encompass",
    b"surpass",
    b"trespass",
    b"overpass",
    b"underpass",
    b"xpass",
    b"oldpwd",
    b"askpass",
];

/// The kind of a name by its ending, case and separators aside.
fn kind_of_name(name: &[u8]) -> Option<Kind> {
    // Most names end in none of the endings: the exceptions are looked at
    // only for one that does.
    let kind = ending_kind(name)?;
    (!NOT_NAMES.iter().any(|w| ends_as(name, w))).then_some(kind)
}

/// The last two bytes of the endings of [`NAMES`]: for each last byte, a
/// bit per byte before it (`pin` sets `n`'s `i`).
const LAST_PAIRS: [u128; 128] = last_pairs();

// Evaluated at compile time, where an index out of range is a build error.
#[allow(clippy::indexing_slicing)]
const fn last_pairs() -> [u128; 128] {
    let mut pairs = [0u128; 128];
    let mut i = 0;
    while i < NAMES.len() {
        let ending = NAMES[i].0;
        let (last, before) = (ending[ending.len() - 1], ending[ending.len() - 2]);
        pairs[(last & 0x7F) as usize] |= 1 << (before & 0x7F);
        i += 1;
    }
    pairs
}

/// The kind [`NAMES`] give a name by its ending.
fn ending_kind(name: &[u8]) -> Option<Kind> {
    // Most words end in two bytes no name ends in (`public`, `value`): they
    // are told at once.
    let mut letters = name
        .iter()
        .rev()
        .filter(|&&b| !is_separator(b))
        .map(u8::to_ascii_lowercase);
    let (last, before) = (letters.next()?, letters.next()?);
    let pairs = LAST_PAIRS
        .get(usize::from(last))
        .copied()
        .unwrap_or_default();
    if before > 0x7F || pairs & 1 << before == 0 {
        return None;
    }
    NAMES.iter().find_map(|&(ending, kind, stands)| {
        let mut rest = name;
        for &want in ending.iter().rev() {
            while let [head @ .., last] = rest {
                if !is_separator(*last) {
                    break;
                }
                rest = head;
            }
            match rest {
                [head @ .., last] if last.to_ascii_lowercase() == want => rest = head,
                _ => return None,
            }
        }
        let after_separator = rest.last().is_some_and(|&b| is_separator(b));
        let fits = match stands {
            Ending::Anywhere => true,
            // `db_pass`, not `--pass` (a flag) or `bypass`; in capitals, an
            // environment variable's name, no separator is needed
            // (`DBPASS`, `MYSQLPWD`).
            Ending::AfterSeparator => {
                (after_separator || in_capitals(name)) && rest.iter().any(u8::is_ascii_alphanumeric)
            }
            Ending::Word => rest.is_empty() || after_separator,
        };
        fits.then_some(kind)
    })
}

/// Whether a name of five bytes or more is written in capitals (digits and
/// separators aside).
fn in_capitals(name: &[u8]) -> bool {
    name.len() > 4
        && name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || is_separator(*b))
}

/// Whether `name` ends with the word `word` (lower case), case aside: the
/// whole name, or after a separator (`SUDO_NOPASSWD`, not `MAXPASS`).
fn ends_as(name: &[u8], word: &[u8]) -> bool {
    let Some(start) = name.len().checked_sub(word.len()) else {
        return false;
    };
    name.get(start..)
        .is_some_and(|tail| tail.eq_ignore_ascii_case(word))
        && (start == 0 || name.get(start - 1).copied().is_some_and(is_separator))
}

/// Whether only spaces, tabs or a list's `-` stand between the line's start
/// and `start`.
fn starts_line(t: &[u8], start: usize) -> bool {
    let mut i = start;
    while start - i < MAX_NAME {
        match before(t, i) {
            b' ' | b'\t' | b'-' => i -= 1,
            b'\n' | b'\r' => return true,
            _ => return i == 0,
        }
    }
    false
}

/// The value from `v`: quoted (up to its closing quote on the same line) or
/// a run of bytes up to a space, quote, separator or bracket, read no further
/// than [`MAX_QUOTED`] or [`MAX_RUN`] bytes. `None` when a quote is not closed, the value is
/// empty, or a call, an index or a type's parameters follow it.
fn value(t: &[u8], v: usize) -> Option<(usize, usize, Cut)> {
    let quote = at(t, v);
    if matches!(quote, b'"' | b'\'' | b'`') {
        let start = v + 1;
        let rest = t.get(start..t.len().min(start + MAX_QUOTED))?;
        let len = rest.iter().position(|&b| b == quote || b == b'\n')?;
        return (at(t, start + len) == quote && len > 0).then_some((
            start,
            start + len,
            Cut::Quoted,
        ));
    }
    let mut end = v;
    while end < t.len() && end - v < MAX_RUN && is_value_byte(at(t, end)) {
        end += 1;
    }
    // A call, an index or a generic type follows a name, not a value.
    if matches!(at(t, end), b'(' | b'[' | b'<') || end == v {
        return None;
    }
    if end - v == MAX_RUN {
        return Some((v, end, Cut::AtBound));
    }
    Some((v, without_full_stop(t, v, end), Cut::Unquoted))
}

/// A sentence's full stop is not the value's (`Token: ghp_....`), and neither
/// is a question mark or colon there.
fn without_full_stop(t: &[u8], start: usize, mut end: usize) -> usize {
    while end > start + 1 && matches!(before(t, end), b'.' | b'?' | b':') {
        end -= 1;
    }
    end
}

/// How [`value`] ended a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// At its closing quote.
    Quoted,
    /// At a space, a quote, a separator or a bracket.
    Unquoted,
    /// At [`MAX_RUN`] bytes, with more of the run to come: judged on what
    /// was read, and read to its end only once taken, so that a run refused
    /// is never read past the bound, and one taken is read once.
    AtBound,
}

/// Where the run of value bytes that goes on at `end` ends.
fn rest_of_run(t: &[u8], mut end: usize) -> usize {
    while end < t.len() && is_value_byte(at(t, end)) {
        end += 1;
    }
    end
}

fn is_value_byte(b: u8) -> bool {
    b.is_ascii_graphic()
        && !matches!(
            b,
            b'"' | b'\''
                | b'`'
                | b','
                | b';'
                | b'&'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'<'
                | b'>'
        )
}

/// Whether `value` refers to a credential kept elsewhere, or stands for none.
fn looked_up(value: &[u8], quoted: bool) -> bool {
    let Some(&first) = value.first() else {
        return true;
    };
    if matches!(first, b'$' | b'{' | b'<' | b'[' | b'(' | b'*') {
        return true;
    }
    // `windows_sys::core::PWSTR`: a path to a type or value.
    if value.windows(2).any(|w| w == b"::") {
        return true;
    }
    // `%(pw)s`, `%s`, `%DB_PASSWORD%`; not a URL's escaped `%40dm1n`.
    if first == b'%' && (matches!(value.get(1), Some(b'(' | b's')) || value.ends_with(b"%")) {
        return true;
    }
    let masked = value
        .iter()
        .all(|b| matches!(b, b'x' | b'X' | b'.' | b'-' | b'_' | b'#'));
    if masked || value.windows(3).any(|w| w == b"***") {
        return true;
    }
    // `password`, `API_KEY`, `user_password`: a name standing for a value,
    // as in `http://username:password@host` or `api_key = API_KEY`.
    if names_a_credential(value) {
        return true;
    }
    if NOT_VALUES.iter().any(|w| value.eq_ignore_ascii_case(w)) {
        return true;
    }
    // `settings.db.password`, `process.env.PW`: a path to the value.
    !quoted && member_path(value)
}

/// Whether `value` is an identifier that is itself a credential's name.
fn names_a_credential(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'_')
        && kind_of_name(value).is_some()
}

/// `a.b` or `a.b.c`, each part an identifier.
fn member_path(value: &[u8]) -> bool {
    let mut parts = 0;
    for part in value.split(|&b| b == b'.') {
        let identifier = part
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && part.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if !identifier {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

/// Whether a value has a digit, or capitals and small letters both.
/// Eight characters or more, random-looking, without a space: a secret, key
/// or token as machines make them.
fn machine_made(value: &[u8]) -> bool {
    value.len() >= 8 && random_looking(value) && !value.iter().any(u8::is_ascii_whitespace)
}

/// Letters only, they must be sixteen or more and not a type's name
/// (`TokenTree`: a capital, then small letters up to the next capital).
fn random_looking(value: &[u8]) -> bool {
    let has = |mask: u8| value.iter().any(|&b| class(b) & mask != 0);
    let mixed = has(UPPER) && value.iter().any(u8::is_ascii_lowercase);
    has(DIGIT) || (mixed && value.len() >= 16 && !type_name(value))
}

/// A type's name as code writes it: letters only, a capital first, no two
/// capitals together (`TokenTree`, `SecretString`).
fn type_name(value: &[u8]) -> bool {
    value.first().is_some_and(u8::is_ascii_uppercase)
        && value.iter().all(u8::is_ascii_alphabetic)
        && !value
            .windows(2)
            .any(|w| w.iter().all(u8::is_ascii_uppercase))
}

/// Whether a value has what a plain word lacks: a digit, a symbol, or a
/// capital past its first letter.
fn marked(value: &[u8]) -> bool {
    value.iter().enumerate().any(|(i, &b)| {
        class(b) & DIGIT != 0 || !b.is_ascii_alphabetic() || (i > 0 && class(b) & UPPER != 0)
    })
}

/// The credentials of an `Authorization` value from `v`: after a scheme word
/// and one space (`Bearer ...`, `Basic ...`), or the whole value.
fn authorization(t: &[u8], v: usize) -> Option<(usize, usize)> {
    let v = if matches!(at(t, v), b'"' | b'\'') {
        v + 1
    } else {
        v
    };
    let mut scheme_end = v;
    while scheme_end - v < 24 && at(t, scheme_end).is_ascii_alphanumeric() {
        scheme_end += 1;
    }
    let start = if at(t, scheme_end) == b' ' && scheme_end > v {
        scheme_end + 1
    } else {
        v
    };
    let mut end = start;
    while end < t.len()
        && (is(t, end, ALNUM)
            || matches!(at(t, end), b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'='))
    {
        end += 1;
    }
    let credentials = t.get(start..end)?;
    let long_enough = if start > v { 8 } else { 16 };
    (credentials.len() >= long_enough && !looked_up(credentials, false) && marked(credentials))
        .then_some((start, end))
}

#[cfg(test)]
mod tests;
