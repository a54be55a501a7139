//! Settings whose name is not right before their value: in the lists and
//! markup that carry them, and in connection strings.
//!
//! - A `value` next to a `name` or `key` that names a credential, as
//!   Kubernetes, ECS task definitions, Terraform and .NET's `appSettings`
//!   write a setting: `- name: DB_PASSWORD` then `value: ...` on the next
//!   line, `{"name": "API_KEY", "value": "..."}`, `<add key="DbPassword"
//!   value="..."/>`.
//! - An XML element named for a credential, or one whose `key` or `name`
//!   attribute is: `<password>...</password>`, `<wsse:Password
//!   Type="...">...</wsse:Password>`, `<entry key="db.password">...</entry>`.
//! - `pwd` and `pass` on their own in a connection string or a query
//!   (`Uid=sa;Pwd=...`, `?user=ops&pass=...`), where elsewhere they are a
//!   shell's variable or a compiler's pass.
//!
//! Every look is bounded as the rest of the detector's are: back over at most
//! [`MAX_TAG`] bytes to a tag's `<` (never past a `>` or a line's end, so no
//! byte is read back twice), back over one line break and [`MAX_NAME`] bytes
//! to a `value`'s setting, forward over at most [`MAX_QUOTED`] bytes of an
//! element's text.

use super::{
    authorization, is_name_byte, kind_of_name, looked_up, marked, Kind, MAX_NAME, MAX_QUOTED,
};
use crate::detect::bytes::{at, before};

/// How far back a tag's `<` is looked for from its `>`.
const MAX_TAG: usize = 256;

/// `pwd` or `pass` as a whole name, after the `;` of a connection string or
/// the `?` or `&` of a query.
pub(super) fn bare_in_pairs(t: &[u8], start: usize, name: &[u8], op: usize) -> Option<Kind> {
    let bare = name.eq_ignore_ascii_case(b"pwd") || name.eq_ignore_ascii_case(b"pass");
    (bare && at(t, op) == b'=' && matches!(before(t, start), b';' | b'&' | b'?'))
        .then_some(Kind::Password)
}

/// The kind of credential a `value` holds when the setting's name stands
/// just before it: `name: DB_PASSWORD` (on the line before, in a YAML
/// list), `"name": "API_KEY",` or `key="DbPassword"`.
pub(super) fn paired(t: &[u8], value_start: usize, name: &[u8]) -> Option<Kind> {
    if !name.eq_ignore_ascii_case(b"value") {
        return None;
    }
    let mut i = value_start;
    if matches!(before(t, i), b'"' | b'\'') {
        i -= 1;
    }
    // Between the two: spaces, a comma, one line break and its indent.
    let mut line_breaks = 0;
    while value_start - i < MAX_NAME {
        match before(t, i) {
            b' ' | b'\t' | b',' | b'\r' => i -= 1,
            b'\n' if line_breaks == 0 => {
                line_breaks += 1;
                i -= 1;
            }
            _ => break,
        }
    }
    // The setting's name, quoted or not.
    let quote = before(t, i);
    let quoted = matches!(quote, b'"' | b'\'');
    let held_end = if quoted { i - 1 } else { i };
    let mut held_start = held_end;
    while held_end - held_start < MAX_NAME && is_name_byte(before(t, held_start)) {
        held_start -= 1;
    }
    let kind = kind_of_name(t.get(held_start..held_end)?)?;
    let mut j = held_start;
    if quoted {
        if before(t, j) != quote {
            return None;
        }
        j -= 1;
    }
    j = skip_back_spaces(t, j);
    if !matches!(before(t, j), b':' | b'=') {
        return None;
    }
    j = skip_back_spaces(t, j - 1);
    if matches!(before(t, j), b'"' | b'\'') {
        j -= 1;
    }
    // The key that holds the name: `name` or `key`, a whole word.
    let key_end = j;
    while key_end - j < 4 && before(t, j).is_ascii_alphabetic() {
        j -= 1;
    }
    let key = t.get(j..key_end)?;
    let whole = !is_name_byte(before(t, j));
    (whole && (key.eq_ignore_ascii_case(b"name") || key.eq_ignore_ascii_case(b"key")))
        .then_some(kind)
}

fn skip_back_spaces(t: &[u8], mut i: usize) -> usize {
    let from = i;
    while from - i < 4 && matches!(before(t, i), b' ' | b'\t') {
        i -= 1;
    }
    i
}

/// The text of an XML element named for a credential, at the `>` that ends
/// its start tag.
pub(super) fn element(t: &[u8], gt: usize) -> Option<(usize, usize)> {
    // A name or an attribute's closing quote ends a start tag; `=>`, `->`
    // and `<br/>` end no element with text.
    if !(is_name_byte(before(t, gt)) || matches!(before(t, gt), b'"' | b'\'')) {
        return None;
    }
    let mut lt = gt;
    loop {
        if gt - lt >= MAX_TAG {
            return None;
        }
        match before(t, lt) {
            b'<' => break,
            b'>' | b'\n' | 0 => return None,
            _ => lt -= 1,
        }
    }
    let tag = t.get(lt..gt)?;
    let element_len = tag
        .iter()
        .take_while(|&&b| is_name_byte(b) || b == b':')
        .count();
    let element = tag.get(..element_len)?;
    let local = element.rsplit(|&b| b == b':').next()?;
    let (kind, by_attribute) = match kind_of_name(local) {
        Some(kind) => (kind, false),
        None => (named_by_attribute(tag.get(element_len..)?)?, true),
    };
    // The text, up to this element's end tag.
    let from = gt + 1;
    let rest = t.get(from..t.len().min(from + MAX_QUOTED))?;
    let len = rest.iter().position(|&b| b == b'<')?;
    let closing = t.get(from + len + 1..)?;
    let closes = closing.strip_prefix(b"/")?.strip_prefix(element)?;
    if closes.first() != Some(&b'>') {
        return None;
    }
    let text = rest.get(..len)?;
    let lead = text.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let trail = text
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    let (start, end) = (from + lead, (from + len).checked_sub(trail)?);
    let value = t.get(start..end).filter(|v| !v.is_empty())?;
    let taken = match kind {
        Kind::Authorization => return authorization(t, start),
        // `<string name="error_password">Too short</string>`: an app's
        // words for a credential, not one; a keyed password is one word,
        // marked as passwords are.
        Kind::Password if by_attribute => {
            marked(value) && !value.iter().any(u8::is_ascii_whitespace)
        }
        _ => kind.holds(value),
    };
    (taken && !looked_up(value, true)).then_some((start, end))
}

/// The kind named by a tag's `key` or `name` attribute (`<entry
/// key="db.password">`).
fn named_by_attribute(attributes: &[u8]) -> Option<Kind> {
    let mut rest = attributes;
    while let Some(eq) = rest.iter().position(|&b| b == b'=') {
        let (name, after) = (rest.get(..eq)?, rest.get(eq + 1..)?);
        let attribute = name.rsplit(|&b| b == b' ').next()?;
        let quote = *after.first()?;
        let holds_name =
            attribute.eq_ignore_ascii_case(b"key") || attribute.eq_ignore_ascii_case(b"name");
        if holds_name && matches!(quote, b'"' | b'\'') {
            let value = after.get(1..)?;
            let len = value.iter().position(|&b| b == quote)?;
            return kind_of_name(value.get(..len)?);
        }
        rest = after;
    }
    None
}
