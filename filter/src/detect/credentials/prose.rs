//! A password stated in a sentence, as people write one into a prompt: `the
//! password is Summer2024!`, `I changed my password to Tr0ub4dor&3`, `the
//! password for the service account is Xk29#pLq`, `login alice password
//! s3cr3tpw` (a `.netrc` line), `密码是abc12345`, `口令改为 Passw0rd`.
//!
//! No byte of such a sentence starts a detector but the password's own
//! digits, so the scanner asks at a word's first digit: is the word (a run
//! of value bytes) at least [`MIN_STATED`] long, and does a password's name
//! stand before it, right before or before a linking word (`is`, `was`,
//! `to`, `be`; `是`, `为`, `成`)? Between the name and the linking word
//! a few words may stand (`for the service account`). A password without a
//! digit is not read this way: `my password is expired` is prose, and a
//! plain word cannot be told from it.
//!
//! Each word is judged once: the scanner keeps where the last judged word
//! ends, so a word with many digits costs one look. A look reads back at
//! most [`MAX_LEAD`] bytes to the word's start and [`MAX_STATEMENT`] bytes
//! to its name, and forward at most [`MAX_RUN`] bytes.

use super::{chinese_name_ending, looked_up, without_full_stop, Kind, MAX_RUN};
use crate::detect::bytes::{at, before, class, ALPHA, DIGIT};

/// The shortest password read from a sentence: shorter words with a digit
/// are counts and sizes (`a password of 8 characters`, `v2.1`).
const MIN_STATED: usize = 6;
/// How far before its first digit a password's word may start.
const MAX_LEAD: usize = 24;
/// How far back from a linking word its password's name is looked for.
const MAX_STATEMENT: usize = 48;
/// How many words may stand between the name and the linking word.
const MAX_BETWEEN: usize = 4;

/// The longest name in [`NAMES`], read back at most.
const MAX_NAME_WORD: usize = 12;

/// Words that name a password in prose.
const NAMES: &[&[u8]] = &[
    b"password",
    b"passwd",
    b"passphrase",
    b"passcode",
    b"pwd",
    b"pw",
];

/// Words that link a password's name to its value: `is`, `changed ... to`.
const LINKS: &[&[u8]] = &[b"is", b"was", b"to", b"be", b"remains"];

/// Words that may stand between a linking word and the value.
const ADVERBS: &[&[u8]] = &[
    b"now",
    b"still",
    b"currently",
    b"just",
    b"simply",
    b"temporarily",
];

/// Chinese linking characters: `是`, `为`, `成`.
const CHINESE_LINKS: &[&str] = &["是", "为", "成"];
/// Chinese characters that may stand between the name and the link:
/// `改为`, `设置为`, `已改成`, `现在是`, `都是`.
const CHINESE_BETWEEN: &[&str] = &[
    "改", "设", "置", "修", "更", "换", "已", "都", "也", "就", "还", "仍", "现", "在", "的",
];

/// Where the scanner has judged words up to: a digit before this is in a
/// word already judged.
#[derive(Debug, Default)]
pub(crate) struct Judged {
    until: usize,
}

/// The password stated in a sentence whose word holds the digit at `digit`:
/// its span.
pub(crate) fn stated_password(
    t: &[u8],
    digit: usize,
    judged: &mut Judged,
) -> Option<(usize, usize)> {
    if digit < judged.until {
        return None;
    }
    let mut start = digit;
    while is_stated_byte(before(t, start)) {
        if digit - start == MAX_LEAD {
            judged.until = run_end(t, digit);
            return None;
        }
        start -= 1;
    }
    let run_end = run_end(t, digit);
    judged.until = run_end;
    if run_end - start >= MAX_RUN || run_end - start < MIN_STATED {
        return None;
    }
    let end = without_full_stop(t, start, run_end);
    let value = t.get(start..end)?;
    let quoted = matches!(before(t, start), b'"' | b'\'');
    if end - start < MIN_STATED
        || looked_up(value, quoted)
        || value.windows(3).any(|w| w == b"://")
        || version(value)
        || setting(value)
        || e_mail_like(value)
    {
        return None;
    }
    let lead = if quoted { start - 1 } else { start };
    (named_before(t, lead) || named_before_in_chinese(t, lead)).then_some((start, end))
}

/// `1:4.13+dfsg1-1`, `v2.3.1-rc1`: a package's or a release's version
/// (`apt list` writes the `passwd` package so), not a password.
fn version(value: &[u8]) -> bool {
    let digits = value.strip_prefix(b"v").unwrap_or(value);
    digits.first().is_some_and(u8::is_ascii_digit)
        && digits
            .windows(3)
            .any(|w| matches!(w, [a, b'.', c] if a.is_ascii_digit() && c.is_ascii_digit()))
}

/// `retries=3`: the next setting after a name (`key: password retries=3`),
/// not a password.
fn setting(value: &[u8]) -> bool {
    value.iter().position(|&b| b == b'=').is_some_and(|eq| {
        eq >= 2
            && value
                .iter()
                .take(eq)
                .all(|b| b.is_ascii_alphabetic() || *b == b'_')
    })
}

/// `user1234@example.com`: an address, left to the e-mail detector (`the
/// password will be sent to ...`); `Pa55@w0rd.x1` ends in no domain's name.
fn e_mail_like(value: &[u8]) -> bool {
    let Some(at_sign) = value.iter().position(|&b| b == b'@') else {
        return false;
    };
    let domain = value.get(at_sign + 1..).unwrap_or_default();
    let top = domain.rsplit(|&b| b == b'.').next().unwrap_or_default();
    domain.contains(&b'.') && top.len() >= 2 && top.iter().all(u8::is_ascii_alphabetic)
}

/// Where the run of value bytes that holds `i` ends, read at most
/// [`MAX_RUN`] bytes on.
fn run_end(t: &[u8], i: usize) -> usize {
    let mut end = i;
    while end - i < MAX_RUN && is_stated_byte(at(t, end)) {
        end += 1;
    }
    end
}

/// Whether a password's name, with a linking word or alone, ends a space
/// before `lead`: `password s3cr3t`, `password is s3cr3t`, `password for the
/// VPN is now s3cr3t`.
fn named_before(t: &[u8], lead: usize) -> bool {
    if colon_after_name(t, lead) {
        return true;
    }
    let Some((start, word)) = word_before(t, lead) else {
        return false;
    };
    if is_one_of(word, NAMES) {
        return true;
    }
    let (mut start, mut word) = (start, word);
    if is_one_of(word, ADVERBS) {
        let Some(found) = word_before(t, start) else {
            return false;
        };
        (start, word) = found;
    }
    if !is_one_of(word, LINKS) {
        return false;
    }
    let link = start;
    for _ in 0..=MAX_BETWEEN {
        let Some((before_start, word)) = token_before(t, start) else {
            return false;
        };
        if link - before_start > MAX_STATEMENT {
            return false;
        }
        if is_one_of(word, NAMES) {
            return true;
        }
        start = before_start;
    }
    false
}

/// `pw: hunter2x`: a name the assignment rules do not know alone (`pw`,
/// `pwd`, `passcode`), then a colon and a space, before `lead`.
fn colon_after_name(t: &[u8], lead: usize) -> bool {
    let mut colon_end = lead;
    while matches!(before(t, colon_end), b' ' | b'\t') && lead - colon_end < 2 {
        colon_end -= 1;
    }
    if colon_end == lead || before(t, colon_end) != b':' {
        return false;
    }
    let name_end = colon_end - 1;
    let mut start = name_end;
    while class(before(t, start)) & ALPHA != 0 && name_end - start < MAX_NAME_WORD {
        start -= 1;
    }
    t.get(start..name_end)
        .is_some_and(|name| is_one_of(name, NAMES) && !is_alnum_before(t, start))
}

fn is_alnum_before(t: &[u8], i: usize) -> bool {
    class(before(t, i)) & (ALPHA | DIGIT) != 0 || before(t, i) == b'_'
}

/// The word of letters that ends a space (or two) before `end`, and where it
/// starts: never past a line's end.
fn word_before(t: &[u8], end: usize) -> Option<(usize, &[u8])> {
    span_before(t, end, |b| class(b) & ALPHA != 0)
}

/// The run of visible bytes that ends a space (or two) before `end`
/// (`svc_orders`, `db.example.cn`), and where it starts.
fn token_before(t: &[u8], end: usize) -> Option<(usize, &[u8])> {
    span_before(t, end, |b| b.is_ascii_graphic())
}

fn span_before(t: &[u8], end: usize, within: impl Fn(u8) -> bool) -> Option<(usize, &[u8])> {
    let mut word_end = end;
    while before(t, word_end) == b' ' && end - word_end < 2 {
        word_end -= 1;
    }
    if word_end == end {
        return None;
    }
    let mut start = word_end;
    while within(before(t, start)) && word_end - start < MAX_STATEMENT {
        start -= 1;
    }
    let word = t.get(start..word_end)?;
    (!word.is_empty()).then_some((start, word))
}

/// A byte of a stated password: what a value may hold in an assignment,
/// and `&` (a query's separator there, a symbol in a sentence).
fn is_stated_byte(b: u8) -> bool {
    b == b'&' || super::is_value_byte(b)
}

fn is_one_of(word: &[u8], list: &[&[u8]]) -> bool {
    list.iter().any(|w| word.eq_ignore_ascii_case(w))
}

/// Whether `密码` or `口令`, then a few verbs, then `是`, `为` or `成`, end
/// just before `lead` (a space may stand between).
fn named_before_in_chinese(t: &[u8], lead: usize) -> bool {
    let mut end = lead;
    if before(t, end) == b' ' {
        end -= 1;
    }
    let Some(mut head) = t.get(..end) else {
        return false;
    };
    let Some(link) = CHINESE_LINKS.iter().find(|l| head.ends_with(l.as_bytes())) else {
        return false;
    };
    head = head.get(..head.len() - link.len()).unwrap_or_default();
    for _ in 0..3 {
        match CHINESE_BETWEEN
            .iter()
            .find(|c| head.ends_with(c.as_bytes()))
        {
            Some(c) => head = head.get(..head.len() - c.len()).unwrap_or_default(),
            None => break,
        }
    }
    chinese_name_ending(head).is_some_and(|(_, kind)| kind == Kind::Password)
}
