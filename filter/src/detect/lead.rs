//! The words written before a value that only its name makes sensitive (a
//! passport number, a date of birth): read back from the value over
//! separators, filler words and marks, and a person's name after `of`, to the
//! name of what the value is.

use super::bytes::{before, is, ALPHA};

/// What a word read back says, as the detector's tables tell it.
pub(crate) enum Read<K> {
    /// The value's name: the value is a `K`.
    Name(K),
    /// A filler word or mark of this many bytes: read on before it.
    Filler(usize),
    /// Anything else: no name stands before the value.
    Other,
}

/// What the name that ends before `start` says the value is, perhaps after
/// separators, fillers and a person's name, within `max_lead` bytes. `ascii`
/// reads an ASCII word of letters (its span), `cjk` the non-ASCII text that
/// ends where reading stands (its bytes up to there), `key` an XML or HTML
/// element's name as a JSON key is read (`<DateOfBirth>`, `<passportNo>`).
/// Most values have a digit, a mark or a plain word right before them and
/// are refused at once.
pub(crate) fn name_before<K>(
    t: &[u8],
    start: usize,
    max_lead: usize,
    ascii: impl Fn(usize, usize) -> Read<K>,
    cjk: impl Fn(&[u8]) -> Read<K>,
    key: impl Fn(&str) -> Option<K>,
) -> Option<K> {
    let floor = start.saturating_sub(max_lead);
    let mut end = start;
    while end > floor {
        let b = before(t, end);
        let read = if b == b'>' {
            // An element that names its text; an end tag (`<b>Passport</b>:
            // E1...`) read over; else (`<td class="dob">`) the tag's end is
            // a separator, read on before it.
            match tag_before(t, end - 1) {
                Some(Tag::Start(name)) if let Some(k) = key(name) => Read::Name(k),
                Some(Tag::End(len)) => Read::Filler(len),
                _ => Read::Filler(1),
            }
        } else if is_separator(b) {
            Read::Filler(1)
        } else if !b.is_ascii() {
            cjk(t.get(..end).unwrap_or_default())
        } else if b.is_ascii_alphabetic() {
            let word_start = word_before(t, end)?;
            match ascii(word_start, end) {
                Read::Other => match person_after_of(t, word_start, end) {
                    Some(of) => Read::Filler(end - of),
                    None => Read::Other,
                },
                read => read,
            }
        } else {
            Read::Other
        };
        match read {
            Read::Name(k) => return Some(k),
            Read::Filler(n) if n > 0 => end -= n,
            _ => return None,
        }
    }
    None
}

/// The words around one kind of value's name (a date of birth's, a phone's,
/// an account's): the filler words and CJK marks that may follow it, the
/// CJK names (asked before the marks, since some end in one: `番号`), and
/// how far before the value the name may end.
pub(crate) struct Lead {
    pub(crate) fillers: &'static [&'static [u8]],
    pub(crate) cjk_names: &'static [&'static str],
    pub(crate) marks: &'static [&'static str],
    pub(crate) max_lead: usize,
}

impl Lead {
    /// Whether a name ends before `start`, perhaps followed by fillers,
    /// marks, separators and a person's name ([`name_before`]): an ASCII
    /// word `is_name` takes (its start and bytes), one of the CJK names, or
    /// an element whose name `key` takes.
    pub(crate) fn named_before(
        &self,
        t: &[u8],
        start: usize,
        is_name: impl Fn(usize, &[u8]) -> bool,
        key: impl Fn(&str) -> bool,
    ) -> bool {
        let ascii = |word_start: usize, end: usize| {
            let word = t.get(word_start..end).unwrap_or_default();
            if is_name(word_start, word) {
                Read::Name(())
            } else if one_of(word, self.fillers) {
                Read::Filler(word.len())
            } else {
                Read::Other
            }
        };
        let cjk = |head: &[u8]| {
            if ends_with_one_of(head, self.cjk_names) {
                return Read::Name(());
            }
            match self.marks.iter().find(|m| head.ends_with(m.as_bytes())) {
                Some(mark) => Read::Filler(mark.len()),
                None => Read::Other,
            }
        };
        let key = |name: &str| key(name).then_some(());
        name_before(t, start, self.max_lead, ascii, cjk, key).is_some()
    }
}

/// Separators between a name and its value: spaces, `:`, `#`, `.`, `_`
/// (`passport_no`), quotes and brackets (`"passport": "E1..."`), and the `>`
/// that ends an XML or HTML tag (`<passport>E1...`, `<td class="dob">`).
fn is_separator(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b':'
            | b'#'
            | b'.'
            | b'_'
            | b'-'
            | b'='
            | b'"'
            | b'\''
            | b'('
            | b')'
            | b','
            | b'>'
    )
}

/// An XML or HTML tag read back from its `>`.
pub(crate) enum Tag<'t> {
    /// A start tag, and its element's local name (`<ns:DateOfBirth id="1">`).
    Start(&'t str),
    /// An end tag (`</b>`), and its length.
    End(usize),
}

/// The tag that ends with the `>` at `gt`, when it is within [`MAX_TAG`]
/// bytes, has no `<` or `>` inside and its name starts with a letter.
pub(crate) fn tag_before(t: &[u8], gt: usize) -> Option<Tag<'_>> {
    let floor = gt.saturating_sub(MAX_TAG);
    let inside = t.get(floor..gt)?;
    let lt =
        floor + memchr::memrchr2(b'<', b'>', inside).filter(|&i| inside.get(i) == Some(&b'<'))?;
    let (end_tag, from) = match t.get(lt + 1) {
        Some(b'/') => (true, lt + 2),
        _ => (false, lt + 1),
    };
    let name = t.get(from..gt)?;
    let len = name
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':' | b'.')))
        .unwrap_or(name.len());
    let name = name.get(..len)?;
    // A local name after its namespace's prefix.
    let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    if !local.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    if end_tag {
        return Some(Tag::End(gt + 1 - lt));
    }
    std::str::from_utf8(local).ok().map(Tag::Start)
}

/// The longest start tag read back: an element's name and a few attributes.
const MAX_TAG: usize = 96;

/// Whether `word` is one of `list` (any case).
pub(crate) fn one_of(word: &[u8], list: &[&[u8]]) -> bool {
    list.iter().any(|w| word.eq_ignore_ascii_case(w))
}

/// Whether `key` (a JSON key) holds one of `names` (any case) as a word of
/// its own: not inside a longer word of lower-case letters (`nric` is no word
/// of `enriched`, nor `dob` of `adobe`), but `userNric`, `hkid_no`, `NINO`,
/// `patient_dob` hold theirs. Only where a word may start are the names
/// compared, so most keys cost a few byte comparisons.
pub(crate) fn has_word_of(key: &[u8], names: &[&[u8]]) -> bool {
    word_starts(key).any(|i| {
        names
            .iter()
            .any(|name| key_word_at(key, i, name).is_some_and(|end| !lower_at(key, end)))
    })
}

/// Whether `key` holds one of `phrases`, two words, as a word of its own
/// ([`has_word_of`]'s rule): run together, or joined by `_`, a space or a
/// dash (`idCard`, `id_card`, `ID Card No.`, `National-Insurance`).
pub(crate) fn has_phrase_of(key: &[u8], phrases: &[(&[u8], &[u8])]) -> bool {
    word_starts(key).any(|i| {
        phrases.iter().any(|(first, second)| {
            let Some(mut at) = key_word_at(key, i, first) else {
                return false;
            };
            if matches!(key.get(at), Some(b'_' | b' ' | b'-')) {
                at += 1;
            }
            key_word_at(key, at, second).is_some_and(|end| !lower_at(key, end))
        })
    })
}

/// Words a key or a column's name may end in after the name of what its
/// value is: `phone_number`, `acctNo`, `tel_nr`.
const NUMBER_WORDS: &[&[u8]] = &[b"number", b"num", b"no", b"nr"];

/// Marks a CJK key may end in after the name: `手机号码`, `電話番号`, `전화번호`.
const NUMBER_MARKS: &[&str] = &["号码", "號碼", "番号", "번호", "号", "號"];

/// Whether `key` (a JSON key, a column's or an element's name) ends in one
/// of `names` as a word of its own, perhaps then `number` or `no` (run
/// together or joined by `_`, `-` or a space): `phone`, `contactPhone`,
/// `phone_number`, `mobileNo`, `Tel.`, not `microphone`; in CJK one of
/// `cjk_names`, perhaps then `号码` or `番号` (`手机号`, `银行账号`). `refused`
/// judges what stands before the name (`aws_` of `aws_account`).
pub(crate) fn key_ends_with_name(
    key: &str,
    names: &[&[u8]],
    cjk_names: &[&str],
    refused: impl Fn(&[u8]) -> bool,
) -> bool {
    let bytes = key.trim_end_matches(['.', ':', ' ', '#']).as_bytes();
    if !key.is_ascii() {
        return ends_with_one_of(bytes, cjk_names)
            || NUMBER_MARKS
                .iter()
                .filter_map(|mark| bytes.strip_suffix(mark.as_bytes()))
                .any(|head| ends_with_one_of(head, cjk_names));
    }
    let ends_in_name = |key: &[u8]| {
        names.iter().any(|name| {
            let Some(head) = strip_suffix_ignore_case(key, name) else {
                return false;
            };
            let first = key.get(head.len()).copied().unwrap_or_default();
            let word_start =
                !(head.last().is_some_and(u8::is_ascii_lowercase) && first.is_ascii_lowercase());
            word_start && !refused(without_joint(head))
        })
    };
    ends_in_name(bytes)
        || NUMBER_WORDS.iter().any(|word| {
            strip_suffix_ignore_case(bytes, word)
                .is_some_and(|head| ends_in_name(without_joint(head)))
        })
}

/// `head` without the `_`, `-` or space that joins it to the next word.
fn without_joint(head: &[u8]) -> &[u8] {
    match head.split_last() {
        Some((b'_' | b'-' | b' ', rest)) => rest,
        _ => head,
    }
}

/// `key` without `suffix` (any case) at its end.
pub(crate) fn strip_suffix_ignore_case<'k>(key: &'k [u8], suffix: &[u8]) -> Option<&'k [u8]> {
    let head = key.len().checked_sub(suffix.len())?;
    key.get(head..)
        .filter(|tail| tail.eq_ignore_ascii_case(suffix))
        .and_then(|_| key.get(..head))
}

/// Where a word of a key may start: not inside a run of lower-case letters.
fn word_starts(key: &[u8]) -> impl Iterator<Item = usize> + '_ {
    (0..key.len()).filter(move |&i| i == 0 || !(lower_at(key, i - 1) && lower_at(key, i)))
}

/// Where `word` (any case) ends when it stands at `at` in `key`.
fn key_word_at(key: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    key.get(at..at + word.len())
        .filter(|w| w.eq_ignore_ascii_case(word))
        .map(|_| at + word.len())
}

fn lower_at(key: &[u8], at: usize) -> bool {
    key.get(at).is_some_and(u8::is_ascii_lowercase)
}

/// Whether `head` ends with one of `names`.
pub(crate) fn ends_with_one_of(head: &[u8], names: &[&str]) -> bool {
    names.iter().any(|n| head.ends_with(n.as_bytes()))
}

/// The longest word the reader reads back: the longest name.
const MAX_WORD: usize = 16;

/// The start of the ASCII word of letters that ends at `end`, when it is
/// shorter than [`MAX_WORD`] and no longer word holds it.
pub(crate) fn word_before(t: &[u8], end: usize) -> Option<usize> {
    let mut start = end;
    while is(t, start.wrapping_sub(1), ALPHA) && end - start < MAX_WORD {
        start -= 1;
    }
    (start < end && !is(t, start.wrapping_sub(1), ALPHA)).then_some(start)
}

/// `of Li Wei`, `for ZHANG San`: when the word at `word_start..end` ends a
/// person's name of one to three capitalised (or upper-case) words after
/// `of` or `for`, where that `of` or `for` starts. A document's or a date's
/// name may stand before it (`passport of Li Wei: E12345678`).
fn person_after_of(t: &[u8], word_start: usize, end: usize) -> Option<usize> {
    let name_word = |w: &[u8]| {
        w.len() >= 2
            && w.first().is_some_and(u8::is_ascii_uppercase)
            && (w.iter().skip(1).all(u8::is_ascii_lowercase)
                || w.iter().all(u8::is_ascii_uppercase))
    };
    let (mut start, mut end) = (word_start, end);
    for _ in 0..3 {
        if !name_word(t.get(start..end)?) || before(t, start) != b' ' {
            return None;
        }
        end = start - 1;
        start = word_before(t, end)?;
        let word = t.get(start..end)?;
        if word.eq_ignore_ascii_case(b"of") || word.eq_ignore_ascii_case(b"for") {
            return Some(start);
        }
    }
    None
}
