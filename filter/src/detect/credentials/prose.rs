//! A password stated in a sentence, as people write one into a prompt: `the
//! password is Summer2024!`, `I changed my password to Tr0ub4dor&3`, `the
//! password for the service account is Xk29#pLq`, `login alice password
//! s3cr3tpw` (a `.netrc` line), `密码是abc12345`, `口令改为 Passw0rd`; and a
//! key or token so stated (`my API key is 3f9a1c77e0b24d5f`, `令牌是...`),
//! which must look made by a machine: eight characters or more, letters and
//! digits; and a PIN (`my PIN is 4829`, `PIN: 0000`): four to twelve digits;
//! and a card's security code (`CVV 847`, `cvc2: 0417`, `security code
//! 847`, `安全码是847`): three or four.
//!
//! No byte of such a sentence starts a detector but the password's own
//! digits or `@`, so the scanner asks at a word's first digit, and at an `@`
//! that starts no e-mail address (`the password is P@ssword`): is the word (a run
//! of value bytes) at least [`MIN_PIN`] long, and does a credential's name
//! stand before it, right before or before a linking word (`is`, `was`,
//! `to`, `be`; `是`, `为`, `成`)? Between the name and the linking word
//! a few words may stand, the first a preposition (`for the service
//! account`) or a relative clause's (`we gave you`); not `password manager
//! is`. After a sending verb, `to` names a recipient (`send the password to
//! bob123`), not a value. A password without a
//! digit is not read this way: `my password is expired` is prose, and a
//! plain word cannot be told from it.
//!
//! Each word is judged once: the scanner keeps where the last judged word
//! ends, so a word with many digits costs one look. A look reads back at
//! most [`MAX_LEAD`] bytes to the word's start and [`MAX_STATEMENT`] bytes
//! to its name, and forward at most [`MAX_RUN`] bytes.

use super::{
    chinese_name_ending, is_card_code, is_pin, kind_of_name, looked_up, machine_made,
    without_full_stop, Kind, MAX_RUN, MIN_CARD_CODE, MIN_PIN,
};
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

/// Words that make `key` a credential's name: `API key`, `access key`.
const KEY_QUALIFIERS: &[&[u8]] = &[
    b"api",
    b"access",
    b"secret",
    b"private",
    b"license",
    b"subscription",
    b"encryption",
];

/// Words that may follow a name on the way to its linking word: `the
/// password for the service account is`.
const PREPOSITIONS: &[&[u8]] = &[b"for", b"of", b"on", b"to", b"at", b"in", b"from"];

/// Words that may start a relative clause after a name on the way to its
/// linking word: `the password we gave you is`, `the key that I sent is`.
const RELATIVES: &[&[u8]] = &[
    b"that", b"which", b"i", b"we", b"you", b"they", b"he", b"she",
];

/// Words that link a password's name to its value: `is`, `changed ... to`.
const LINKS: &[&[u8]] = &[b"is", b"was", b"to", b"be", b"remains"];

/// Verbs after which `the password to` names a recipient, not a value:
/// `send the password to bob123`, `I emailed my password to ops2024`. Not
/// the forms that are nouns too: `my mail password to ...` names a value.
const SENDING: &[&[u8]] = &[
    b"send",
    b"sends",
    b"sent",
    b"sending",
    b"give",
    b"gives",
    b"gave",
    b"given",
    b"giving",
    b"emailed",
    b"mailed",
    b"forward",
    b"forwarded",
    b"share",
    b"shared",
    b"texted",
    b"handed",
    b"showed",
    b"shown",
    b"tell",
    b"told",
    b"passed",
    b"provide",
    b"provided",
    b"reveal",
    b"revealed",
    b"leaked",
    b"disclose",
    b"disclosed",
    b"deliver",
    b"delivered",
    b"messaged",
];

/// Words that may stand between a sending verb and the name: `send the
/// new password to`, `gave my own password to`.
const DETERMINERS: &[&[u8]] = &[
    b"the", b"a", b"my", b"your", b"our", b"his", b"her", b"their", b"its", b"new", b"old", b"own",
    b"this", b"that", b"same",
];

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

/// What a sentence states, by the name before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stated {
    /// Six characters or more with a digit.
    Password,
    /// A key or token: letters and digits, eight or more.
    Secret,
    /// A card's or an account's PIN: four to twelve digits (`my PIN is 4829`).
    Pin,
    /// A card's security code: three or four digits (`CVV 847`).
    CardCode,
}

impl Stated {
    fn of(kind: Kind) -> Option<Stated> {
        match kind {
            Kind::Password => Some(Stated::Password),
            Kind::Secret => Some(Stated::Secret),
            Kind::Pin => Some(Stated::Pin),
            Kind::CardCode => Some(Stated::CardCode),
            Kind::Authorization => None,
        }
    }
}

/// Where the scanner has judged words up to: a digit before this is in a
/// word already judged.
#[derive(Debug, Default)]
pub(crate) struct Judged {
    until: usize,
}

/// The password, key or token stated in a sentence whose word holds the
/// digit or `@` at `anchor` (`Summer2024!`, `P@ssword`): its span.
pub(crate) fn stated_credential(
    t: &[u8],
    anchor: usize,
    judged: &mut Judged,
) -> Option<(usize, usize)> {
    if anchor < judged.until {
        return None;
    }
    let mut start = anchor;
    while is_stated_byte(before(t, start)) {
        if anchor - start == MAX_LEAD {
            judged.until = run_end(t, anchor);
            return None;
        }
        start -= 1;
    }
    let run_end = run_end(t, anchor);
    judged.until = run_end;
    if run_end - start >= MAX_RUN || run_end - start < MIN_CARD_CODE {
        return None;
    }
    let end = without_full_stop(t, start, run_end);
    let value = t.get(start..end)?;
    let quoted = matches!(before(t, start), b'"' | b'\'');
    // Three characters are only ever a card's code: most such words (`404`,
    // `2.5`) have no such name near, told before the name is read.
    let card_code_only = end - start < MIN_PIN;
    if end - start < MIN_CARD_CODE
        || (card_code_only && !(value.iter().all(u8::is_ascii_digit) && card_code_near(t, start)))
    {
        return None;
    }
    // The name first: in prose most words with a digit have none before
    // them, told in a few bytes, while the value's own tests read it whole.
    let lead = if quoted { start - 1 } else { start };
    let stated = named_before(t, lead).or_else(|| named_before_in_chinese(t, lead))?;
    if looked_up(value, quoted)
        || value.windows(3).any(|w| w == b"://")
        || version(value)
        || setting(value)
        || e_mail_like(value)
    {
        return None;
    }
    let fits = match stated {
        Stated::Password => value.len() >= MIN_STATED,
        // A key or token is made by a machine: letters and digits, eight or more.
        Stated::Secret => machine_made(value) && value.iter().any(u8::is_ascii_alphabetic),
        Stated::Pin => is_pin(value),
        Stated::CardCode => is_card_code(value),
    };
    fits.then_some((start, end))
}

/// Whether a card code's name may stand right before `start`, perhaps
/// then `:` and `is` or `是`: a word starting `cv` (`CVV`, `cvc2`), `code`
/// (`security code`), or `安全码`. Told in a few bytes, so that a short
/// number in prose (`404`, `256`) costs no reading of names.
fn card_code_near(t: &[u8], start: usize) -> bool {
    let mut end = start;
    while matches!(before(t, end), b' ' | b':') && start - end < 3 {
        end -= 1;
    }
    let mut word = word_back(t, end);
    if let Some((word_start, w)) = word {
        if w.eq_ignore_ascii_case(b"is") || w.eq_ignore_ascii_case(b"was") {
            word = word_back(t, word_start.saturating_sub(1));
        }
    }
    if let Some((_, w)) = word {
        return w.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"cv"))
            || w.eq_ignore_ascii_case(b"code");
    }
    let head = t.get(..end).unwrap_or_default();
    let head = ["是", "为", "為"]
        .iter()
        .find_map(|link| head.strip_suffix(link.as_bytes()))
        .unwrap_or(head);
    head.ends_with("安全码".as_bytes()) || head.ends_with("安全碼".as_bytes())
}

/// The ASCII word of letters and digits that ends at `end`, at most eight
/// bytes, and where it starts.
fn word_back(t: &[u8], end: usize) -> Option<(usize, &[u8])> {
    let mut start = end;
    while class(before(t, start)) & (ALPHA | DIGIT) != 0 && end - start < 8 {
        start -= 1;
    }
    (start < end).then(|| (start, t.get(start..end).unwrap_or_default()))
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

/// The kind of the credential whose name, with a linking word or alone,
/// ends a space before `lead`: `password s3cr3t`, `password is s3cr3t`,
/// `password for the VPN is now s3cr3t`, `API key: 3f9a...`.
fn named_before(t: &[u8], lead: usize) -> Option<Stated> {
    if let Some(kind) = colon_after_name(t, lead) {
        return Some(kind);
    }
    // `CVV2 847`, `CVC2: 0417`: a card code's name with its digit.
    if let Some((_, token)) = token_before(t, lead) {
        let name = token.strip_suffix(b":").unwrap_or(token);
        if name.last().is_some_and(u8::is_ascii_digit) && kind_of_name(name) == Some(Kind::CardCode)
        {
            return Some(Stated::CardCode);
        }
    }
    let (start, word) = word_before(t, lead)?;
    if is_one_of(word, NAMES) {
        return Some(Stated::Password);
    }
    // `PIN 4829`, `CVV 847`: a PIN's or a card code's name, as the name
    // table has it, right before.
    match kind_of_name(word) {
        Some(Kind::Pin) => return Some(Stated::Pin),
        Some(Kind::CardCode) => return Some(Stated::CardCode),
        _ => {}
    }
    // `security code 847`.
    if word.eq_ignore_ascii_case(b"code") {
        return name_kind(t, start, word);
    }
    let (mut start, mut word) = (start, word);
    if is_one_of(word, ADVERBS) {
        (start, word) = word_before(t, start)?;
    }
    if !is_one_of(word, LINKS) {
        return None;
    }
    let link = start;
    let to = word.eq_ignore_ascii_case(b"to");
    // The word after the name: none (`password is`), a preposition
    // (`password for the VPN is`) or a relative clause's first (`password
    // we gave you is`), not `password manager is`.
    let mut after_name: Option<&[u8]> = None;
    for _ in 0..=MAX_BETWEEN {
        let (before_start, word) = token_before(t, start)?;
        if link - before_start > MAX_STATEMENT {
            return None;
        }
        if let Some(kind) = name_kind(t, before_start, word) {
            let linked =
                after_name.is_none_or(|w| is_one_of(w, PREPOSITIONS) || is_one_of(w, RELATIVES));
            return (linked && !(to && sent(t, before_start))).then_some(kind);
        }
        after_name = Some(word);
        start = before_start;
    }
    None
}

/// Whether a sending verb, perhaps then a few determiners, ends before the
/// name at `name_start`: `send the password to ...` names whom it goes to.
fn sent(t: &[u8], name_start: usize) -> bool {
    let mut end = name_start;
    for _ in 0..3 {
        let Some((start, word)) = word_before(t, end) else {
            return false;
        };
        if is_one_of(word, SENDING) {
            return true;
        }
        if !is_one_of(word, DETERMINERS) {
            return false;
        }
        end = start;
    }
    false
}

/// The kind of credential the word `word` at `start` names in a sentence:
/// a password (`password`, `pw`, `DB_PASSWORD`), a key or token
/// (`token`, `api_key`, `API key`, `access key`), or a card's code (`CVV`,
/// `security code`).
fn name_kind(t: &[u8], start: usize, word: &[u8]) -> Option<Stated> {
    if is_one_of(word, NAMES) {
        return Some(Stated::Password);
    }
    if word.eq_ignore_ascii_case(b"key") {
        let (_, qualifier) = word_before(t, start)?;
        return is_one_of(qualifier, KEY_QUALIFIERS).then_some(Stated::Secret);
    }
    // A card's `security code`, not a building's `code`.
    if word.eq_ignore_ascii_case(b"code") {
        let (_, qualifier) = word_before(t, start)?;
        return qualifier
            .eq_ignore_ascii_case(b"security")
            .then_some(Stated::CardCode);
    }
    kind_of_name(word).and_then(Stated::of)
}

/// `pw: hunter2x`, `API key: 3f9a...`: a name the assignment rules do not
/// know (`pw`, `passcode`, a two-word `API key`), then a colon and a space,
/// before `lead`.
fn colon_after_name(t: &[u8], lead: usize) -> Option<Stated> {
    let mut colon_end = lead;
    while matches!(before(t, colon_end), b' ' | b'\t') && lead - colon_end < 2 {
        colon_end -= 1;
    }
    if colon_end == lead || before(t, colon_end) != b':' {
        return None;
    }
    let name_end = colon_end - 1;
    let mut start = name_end;
    while class(before(t, start)) & ALPHA != 0 && name_end - start < MAX_NAME_WORD {
        start -= 1;
    }
    let name = t.get(start..name_end)?;
    // Names the assignment rules know (`token:`, `password:`) are theirs,
    // with their checks for code (`pub Token: D3DKMT_TOKEN_0`).
    if is_alnum_before(t, start) || kind_of_name(name).is_some() {
        return None;
    }
    name_kind(t, start, name)
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

/// The kind of credential when `密码`, `口令`, `密钥` or `令牌`, then a few
/// verbs, then `是`, `为` or `成`, end just before `lead` (a space may
/// stand between).
fn named_before_in_chinese(t: &[u8], lead: usize) -> Option<Stated> {
    let mut end = lead;
    if before(t, end) == b' ' {
        end -= 1;
    }
    let mut head = t.get(..end)?;
    let link = CHINESE_LINKS
        .iter()
        .find(|l| head.ends_with(l.as_bytes()))?;
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
    chinese_name_ending(head).and_then(|(_, kind)| Stated::of(kind))
}
