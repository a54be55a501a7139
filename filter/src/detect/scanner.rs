//! The scanner: the one pass over a string that runs every detector, and the
//! resolution of overlapping candidates.

use super::bytes::{at, before, class, is, run_end, ALNUM, ALPHA, DIGIT, HEX, TRIGGER_BYTES};
use super::category::{Category, Enabled};
use super::custom::{Dictionaries, Pattern};
use super::named::Named;
use super::named_values::NamedValues;
use super::normalize::Normalized;
use super::{credentials, email, ids, ipv6, national_ids, numbers, secrets};
use crate::chunks::{self, ByteSet, Lanes, Mask};
use crate::policy::PolicyError;

pub use super::config::{CustomPattern, Dictionary, ScannerConfig};

/// A piece of sensitive data: byte offsets into the original string (on
/// character boundaries), covering the whole original span, including any
/// zero-width characters, full-width forms and separators inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub start: usize,
    pub end: usize,
    pub category: Category,
}

/// Finds sensitive data in strings. Built once per policy; scanning takes
/// `&self`, keeps no state between calls and allocates little: the normalised
/// copy and its offset map (only when the string has something to fold) and the
/// list of candidates.
#[derive(Debug, Clone)]
pub struct Scanner {
    enabled: Enabled,
    dictionaries: Option<Dictionaries>,
    patterns: Vec<Pattern>,
}

/// A candidate finding in the normalised text.
pub(crate) type Candidate = (usize, usize, Category);

impl Scanner {
    pub fn new(cfg: &ScannerConfig) -> Result<Scanner, PolicyError> {
        cfg.validate()?;
        let enabled = cfg
            .disabled
            .iter()
            .filter_map(|name| Category::from_name(name))
            .fold(Enabled::ALL, |e, c| e.without(&c));
        let patterns = cfg
            .patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Pattern::new(p).map_err(|e| PolicyError::new(format!("patterns[{i}].regex"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scanner {
            enabled,
            dictionaries: Dictionaries::new(&cfg.dictionaries)?,
            patterns,
        })
    }

    /// False when every built-in category is off and there is no dictionary
    /// or pattern: then not even the normalised copy is made.
    fn detects_anything(&self) -> bool {
        self.enabled.any_builtin() || self.dictionaries.is_some() || !self.patterns.is_empty()
    }

    /// Whether anything in `text` would be found.
    pub fn finds_anything(&self, text: &str) -> bool {
        let mut findings = Vec::new();
        self.scan(text, &mut findings);
        !findings.is_empty()
    }

    /// Appends the findings in `text` (an already JSON-decoded string) to `out`,
    /// sorted by start and without overlaps.
    pub fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        if !self.detects_anything() {
            return;
        }
        self.scan_normalized(&Normalized::new(text), out);
    }

    /// [`Scanner::scan`] on text already normalised.
    fn scan_normalized(&self, normalized: &Normalized<'_>, out: &mut Vec<Finding>) {
        let t = normalized.as_str();
        let mut found = Vec::new();
        self.scan_builtins(t.as_bytes(), self.enabled, &mut found);
        pair_aws_secrets(t.as_bytes(), &mut found);
        if let Some(d) = &self.dictionaries {
            d.scan(t, &mut found);
        }
        for p in &self.patterns {
            p.scan(t, &mut found);
        }
        for (start, end, category) in resolve(found) {
            let (start, end) = normalized.original_span(start, end);
            out.push(Finding {
                start,
                end,
                category,
            });
        }
    }

    /// Appends the findings in `text`, the whole string held by a JSON key
    /// that names a credential or a document's number: that, unless the
    /// string is a secret of a known shape (`{"api_key": "sk-..."}`), a
    /// reference, or not shaped like a document's number.
    pub fn scan_named(&self, named: Named, text: &str, out: &mut Vec<Finding>) {
        let category = named.category();
        if !self.enabled.has(&category) {
            return self.scan(text, out);
        }
        let from = out.len();
        let normalized = Normalized::new(text);
        self.scan_normalized(&normalized, out);
        let Some((start, end)) = named.value_span(normalized.as_str().as_bytes()) else {
            return;
        };
        let (start, end) = normalized.original_span(start, end);
        let known_shape = out
            .iter()
            .skip(from)
            .any(|f| f.category.is_secret() && f.start <= start && f.end >= end);
        if !known_shape {
            out.truncate(from);
            out.push(Finding {
                start,
                end,
                category,
            });
        }
    }

    /// One pass over the normalised bytes. A quick loop skips to the next byte
    /// that can start something (a digit or a `TRIGGER` byte); plain words
    /// cost nothing more. Words with letters and digits (IBANs, credit codes) are
    /// found from their first digit, secrets from the `-` or `_` after their
    /// first word or from their `A` or `J`. After a finding the pass resumes at
    /// its end.
    fn scan_builtins(&self, t: &[u8], on: Enabled, out: &mut Vec<Candidate>) {
        let mut scanned = secrets::Scanned::default();
        let mut judged = credentials::Judged::default();
        let mut named_state = NamedValues::new(on);
        let mut i = 0;
        while let Some(next) = next_start(t, i) {
            i = next;
            let b = at(t, i);
            let word_start = !is(t, i.wrapping_sub(1), ALNUM);
            if class(b) & DIGIT != 0 {
                let named = named_state.at_digit(t, i, &mut judged);
                if let Some(candidate) = named {
                    i = candidate.1.max(i + 1);
                    out.push(candidate);
                    continue;
                }
                i = if word_start {
                    self.digit_word(t, i, out)
                } else {
                    self.inner_digit(t, i, out)
                };
                continue;
            }
            let mut secret_at = |start: Option<usize>| {
                let start = start?;
                secrets::secret(t, start, on, &mut scanned).map(|(e, c)| (start, e, c))
            };
            let found = match b {
                // `scott/tiger@orcl`: an Oracle connect string's password,
                // not an e-mail address's local part (none ends in `@`).
                b'@' => (before(t, i).is_ascii_graphic() && before(t, i) != b'@')
                    .then(|| self.credential(t, i, on, out))
                    .flatten()
                    // `the password is P@ssword`: a password with no digit
                    // found from an `@` inside its word (an address's is
                    // refused there; a mention's `@` starts its word).
                    .or_else(|| {
                        (on.has(&Category::Credential) && !word_start)
                            .then(|| credentials::stated_credential(t, i, &mut judged))
                            .flatten()
                            .map(|(s, e)| (s, e, Category::Credential))
                    })
                    .or_else(|| {
                        on.has(&Category::Email)
                            .then(|| email::email(t, i).map(|(s, e)| (s, e, Category::Email)))
                            .flatten()
                    }),
                b'+' if on.has(&Category::Phone) => {
                    numbers::international_phone(t, i).map(|e| (i, e, Category::Phone))
                }
                b':' | b'=' | b'>' => self.credential(t, i, on, out).or_else(|| {
                    (b == b':' && on.has(&Category::Ipv6))
                        .then(|| self.ipv6_around_colon(t, i))
                        .flatten()
                }),
                b'-' => on
                    .has(&Category::PrivateKey)
                    .then(|| secrets::private_key(t, i).map(|e| (i, e, Category::PrivateKey)))
                    .flatten()
                    .or_else(|| self.credential(t, i, on, out))
                    .or_else(|| secret_at(word_before(t, i))),
                b'_' => secret_at(word_before(t, i)),
                b'A' if word_start => secret_at(Some(i)),
                b'J' => secret_at(i.checked_sub(2).filter(|&s| word_before(t, i) == Some(s))),
                _ => None,
            };
            match found {
                Some(candidate) => {
                    i = candidate.1.max(i + 1);
                    // A URL's password ends at the `@` before its host: go on
                    // past it, so that the host is read as itself, not as the
                    // domain of an e-mail address.
                    if candidate.2 == Category::Credential && at(t, i) == b'@' {
                        i += 1;
                    }
                    out.push(candidate);
                }
                None => i += 1,
            }
        }
    }

    /// A credential whose name, URL, XML tag, connect string's password or
    /// flag ends at the `:`, `=`, `>`, `@` or `-` at `op`. Its value is
    /// scanned on its own too: a secret of a known shape there
    /// (`OPENAI_API_KEY=sk-...`) names the finding, and the pass, which goes
    /// on after the value, reads each byte of it at most twice.
    fn credential(
        &self,
        t: &[u8],
        op: usize,
        on: Enabled,
        out: &mut Vec<Candidate>,
    ) -> Option<Candidate> {
        if !on.has(&Category::Credential) {
            return None;
        }
        let (start, end) = credentials::credential(t, op)?;
        let from = out.len();
        let value = t.get(start..end).unwrap_or_default();
        self.scan_builtins(value, on.without(&Category::Credential), out);
        for inner in out.iter_mut().skip(from) {
            (inner.0, inner.1) = (inner.0 + start, inner.1 + start);
        }
        Some((start, end, Category::Credential))
    }

    /// A word that starts with a digit: a number run, an IPv6 address, or a
    /// credit code. Returns where the pass goes on.
    fn digit_word(&self, t: &[u8], start: usize, out: &mut Vec<Candidate>) -> usize {
        let on = self.enabled;
        let end = run_end(t, start, ALNUM);
        if end - start <= 4 && at(t, end) == b':' && on.has(&Category::Ipv6) {
            if let Some(e) = ipv6::ipv6(t, start) {
                out.push((start, e, Category::Ipv6));
                return e;
            }
        }
        let digits_end = run_end(t, start, DIGIT);
        let x_tail = digits_end + 1 == end && (at(t, digits_end) | 0x20) == b'x';
        if digits_end == end || x_tail {
            return numbers::scan_run(t, start, on, out).map_or(end, |e| e.max(end));
        }
        self.mixed_word(t, start, end, out)
    }

    /// A digit inside a word. Words of letters and digits that matter have their
    /// first digit near the start (`DE89...`, `Y1...`); the rest of the word is
    /// skipped either way. Returns where the pass goes on.
    fn inner_digit(&self, t: &[u8], digit: usize, out: &mut Vec<Candidate>) -> usize {
        let end = run_end(t, digit, ALNUM);
        let start = (1..=2)
            .map(|k| digit.wrapping_sub(k))
            .find(|&s| !is(t, s.wrapping_sub(1), ALNUM));
        match start {
            Some(start)
                if t.get(start..digit)
                    .is_some_and(|w| w.iter().all(|&b| class(b) & ALPHA != 0)) =>
            {
                self.mixed_word(t, start, end, out)
            }
            _ => end,
        }
    }

    /// A word of letters and digits from `start` to `end`: an IBAN (which may go
    /// on past spaces), a credit code or a national identity number (which may
    /// go on to its bracketed check character).
    fn mixed_word(&self, t: &[u8], start: usize, end: usize, out: &mut Vec<Candidate>) -> usize {
        let on = self.enabled;
        if on.has(&Category::Iban) {
            if let Some(e) = ids::iban(t, start) {
                out.push((start, e, Category::Iban));
                return e.max(end);
            }
        }
        if on.has(&Category::CnCreditCode) && ids::credit_code(t, start, end) {
            out.push((start, end, Category::CnCreditCode));
            return end;
        }
        if on.has(&Category::NationalId) {
            if let Some(e) = national_ids::national_id(t, start, end) {
                out.push((start, e, Category::NationalId));
                return e;
            }
        }
        end
    }

    /// An IPv6 address at a `::` that starts a word, or whose first group is a
    /// word of up to four hex digits starting with a letter just before this
    /// colon (groups starting with a digit are tried from their digit).
    fn ipv6_around_colon(&self, t: &[u8], colon: usize) -> Option<Candidate> {
        let start = if at(t, colon + 1) == b':' && !is(t, colon.wrapping_sub(1), ALNUM) {
            colon
        } else {
            let start = (1..=4)
                .map(|k| colon.wrapping_sub(k))
                .find(|&s| !is(t, s.wrapping_sub(1), ALNUM))?;
            let group = t.get(start..colon)?;
            if !(is(t, start, ALPHA) && group.iter().all(|&b| class(b) & HEX != 0)) {
                return None;
            }
            start
        };
        ipv6::ipv6(t, start).map(|e| (start, e, Category::Ipv6))
    }
}

/// Adds the secret access key next to each AWS access key ID found
/// ([`secrets::aws_secret_after`], or [`secrets::aws_secret_before`] for an ID
/// with none after it), wherever the ID was found: in the text or
/// inside a credential's value (`AWS key: AKIA... / wJalr...`), whose own scan
/// sees no further than the value. The pass does not skip to the secret's
/// end, so whatever stands between the two is read as usual.
/// A credential read from within the pair (`密钥是AKIA...:wJalr...`, the
/// two as one value) gives way to them: the pair is an AWS key, reported as
/// one.
fn pair_aws_secrets(t: &[u8], found: &mut Vec<Candidate>) {
    let ids = found.len();
    let mut pairs = Vec::new();
    for k in 0..ids {
        if let Some(&(id_start, id_end, Category::AwsAccessKey)) = found.get(k) {
            if let Some((start, end)) = secrets::aws_secret_after(t, id_end) {
                pairs.push((id_start, end));
                found.push((start, end, Category::AwsAccessKey));
            } else if let Some((start, end)) = secrets::aws_secret_before(t, id_start) {
                pairs.push((start, id_end));
                found.push((start, end, Category::AwsAccessKey));
            }
        }
    }
    if pairs.is_empty() {
        return;
    }
    // Whether some pair holds a span: among the pairs that start at or
    // before it, the furthest end reaches its end. Sorted once and searched,
    // so that a text of many pairs and credentials stays linear-logarithmic.
    pairs.sort_unstable();
    let mut furthest = 0;
    for pair in &mut pairs {
        furthest = furthest.max(pair.1);
        pair.1 = furthest;
    }
    found.retain(|&(start, end, ref category)| {
        if *category != Category::Credential {
            return true;
        }
        let before = pairs.partition_point(|&(s, _)| s <= start);
        before
            .checked_sub(1)
            .and_then(|k| pairs.get(k))
            .is_none_or(|&(_, reach)| reach < end)
    });
}

/// The next position from `i` on where a detector may start. Most text has
/// none for many bytes, so sixteen bytes are tested at once.
fn next_start(t: &[u8], i: usize) -> Option<usize> {
    chunks::find(t, i, may_start)
}

/// The bytes a detector may start at: digits and [`TRIGGER_BYTES`].
const STARTS: ByteSet = ByteSet::new(&start_bytes());

// Evaluated at compile time, where an out-of-range index is a build error.
#[allow(clippy::indexing_slicing)]
const fn start_bytes() -> [u8; 10 + TRIGGER_BYTES.len()] {
    let mut bytes = [0u8; 10 + TRIGGER_BYTES.len()];
    let mut i = 0;
    while i < bytes.len() {
        bytes[i] = if i < 10 {
            b'0' + i as u8
        } else {
            TRIGGER_BYTES[i - 10]
        };
        i += 1;
    }
    bytes
}

/// `class(b) & (DIGIT | TRIGGER) != 0`, sixteen bytes at once (a test holds
/// the two equal).
#[inline(always)]
fn may_start(x: Lanes) -> Mask {
    x.among(&STARTS)
}

/// Where the word that ends at `end` starts, if it is a word of two to ten
/// letters and digits (the first word of a secret prefix, `sk` to `github`).
fn word_before(t: &[u8], end: usize) -> Option<usize> {
    let start = (2..=10)
        .map(|k| end.wrapping_sub(k))
        .take_while(|&s| s < end)
        .find(|&s| !is(t, s.wrapping_sub(1), ALNUM))?;
    t.get(start..end)?
        .iter()
        .all(|&b| class(b) & ALNUM != 0)
        .then_some(start)
}

/// Sorted, non-overlapping findings from the candidates of every detector. Of
/// two that overlap, a secret beats anything else (its category decides what the
/// policy does); otherwise the longer span wins, and on equal length the
/// stronger category (checksummed identifiers over the rest), then the earlier.
fn resolve(mut found: Vec<Candidate>) -> Vec<Candidate> {
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut kept: Vec<Candidate> = Vec::with_capacity(found.len());
    for candidate in found {
        match kept.last_mut() {
            Some(last) if candidate.0 < last.1 => {
                if better(&candidate, last) {
                    *last = candidate;
                }
            }
            _ => kept.push(candidate),
        }
    }
    kept
}

fn better(a: &Candidate, b: &Candidate) -> bool {
    let rank = |c: &Candidate| (c.2.is_secret(), c.1 - c.0, c.2.strength());
    rank(a) > rank(b)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use super::*;
    use crate::detect::bytes::TRIGGER;
    use crate::detect::testing::{card, find, find_with, resident_id};

    fn config(json: &str) -> ScannerConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn may_start_is_the_class_test() {
        let all: Vec<u8> = (0..=255).collect();
        for (k, chunk) in all.chunks_exact(16).enumerate() {
            let mask = may_start(Lanes::load(chunk.try_into().unwrap())).bits();
            for (i, &b) in chunk.iter().enumerate() {
                let starts = class(b) & (DIGIT | TRIGGER) != 0;
                assert_eq!(mask >> i & 1 == 1, starts, "{:#x}", k * 16 + i);
            }
        }
    }

    #[test]
    fn disabled_categories_are_not_reported() {
        let cfg = config(r#"{"disabled":["email","phone"]}"#);
        assert!(find_with(&cfg, "alice@example.com 13812345678").is_empty());
        let cfg = config(r#"{"disabled":["payment_card"]}"#);
        assert!(find_with(&cfg, &card("4", 16)).is_empty());
        assert_eq!(find_with(&cfg, "10.0.0.1").len(), 1);
    }

    #[test]
    fn original_offsets_through_cjk_full_width_and_zero_width() {
        let id = resident_id("440305", "19851120", "041");
        let full_width: String = id[..6]
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        let text = format!(
            "客户张三，电话：１３８\u{200B}１２３４－５６７８，身份证{full_width}\u{200C}{}，邮箱ｚｓ＠ｅｘａｍｐｌｅ．ｃｎ。",
            &id[6..]
        );
        let scanner = Scanner::new(&ScannerConfig::default()).unwrap();
        let mut out = Vec::new();
        scanner.scan(&text, &mut out);
        let spans: Vec<(&str, &str)> = out
            .iter()
            .map(|f| (f.category.name(), &text[f.start..f.end]))
            .collect();
        assert_eq!(
            spans,
            vec![
                ("phone", "１３８\u{200B}１２３４－５６７８"),
                (
                    "cn_resident_id",
                    &*format!("{full_width}\u{200C}{}", &id[6..])
                ),
                ("email", "ｚｓ＠ｅｘａｍｐｌｅ．ｃｎ"),
            ]
        );
        let phone_start = text.find('１').unwrap();
        assert_eq!(out[0].start, phone_start);
        assert!(text.is_char_boundary(out[0].end));
    }

    #[test]
    fn appends_after_existing_findings() {
        let scanner = Scanner::new(&ScannerConfig::default()).unwrap();
        let earlier = Finding {
            start: 0,
            end: 1,
            category: Category::Email,
        };
        let mut out = vec![earlier.clone()];
        scanner.scan("x 10.0.0.1", &mut out);
        assert_eq!(
            out,
            vec![
                earlier,
                Finding {
                    start: 2,
                    end: 10,
                    category: Category::Ipv4
                }
            ]
        );
    }

    #[test]
    fn overlaps_resolve_to_one() {
        let cases: Vec<(String, Vec<(&str, String)>)> = vec![
            // The address wins over the phone inside it: longer.
            (
                "13812345678@qq.com".into(),
                vec![("email", "13812345678@qq.com".into())],
            ),
            // IPv6 with an IPv4 tail: one finding.
            (
                "::ffff:10.0.0.1".into(),
                vec![("ipv6", "::ffff:10.0.0.1".into())],
            ),
        ];
        for (text, want) in cases {
            let want: Vec<(String, String)> =
                want.into_iter().map(|(c, s)| (c.to_string(), s)).collect();
            assert_eq!(find(&text), want, "{text}");
        }
        let c = |s, e, cat: Category| (s, e, cat);
        // A secret beats a longer overlapping span; equal spans go to the stronger.
        let kept = resolve(vec![
            c(0, 30, Category::Email),
            c(5, 20, Category::OpenaiKey),
            c(40, 58, Category::CnCreditCode),
            c(40, 58, Category::custom("ids")),
            c(40, 58, Category::CnResidentId),
            c(60, 70, Category::Phone),
            c(65, 80, Category::Phone),
        ]);
        assert_eq!(
            kept,
            vec![
                c(5, 20, Category::OpenaiKey),
                c(40, 58, Category::CnCreditCode),
                c(65, 80, Category::Phone)
            ]
        );
    }

    #[test]
    fn a_document_with_everything() {
        let visa = card("4", 16);
        let text = format!(
            "Dear team, reach alice@example.com or +44 20 7946 0958 (mobile 13812345678). \
             Card {visa}, server 10.0.0.1 / 2001:db8::1, key AKIAIOSFODNN7EXAMPLE. \
             Version 1.2.3.4.5, order 20240115123456, ts 1732600000."
        );
        let got: Vec<String> = find(&text).into_iter().map(|(c, _)| c).collect();
        assert_eq!(
            got,
            [
                "email",
                "phone",
                "phone",
                "payment_card",
                "ipv4",
                "ipv6",
                "aws_access_key"
            ]
        );
    }

    #[test]
    fn linear_on_hostile_input() {
        let digits = "7".repeat(1 << 20);
        assert!(find(&digits).is_empty());
        let phones = "13812345678 ".repeat(80_000);
        assert_eq!(find(&phones).len(), 80_000);
        let dashed = "1-".repeat(1 << 19);
        assert!(find(&dashed).is_empty());
        let spaced = "1 ".repeat(1 << 19);
        assert!(find(&spaced).is_empty());
        let plus = "+1".repeat(1 << 19);
        assert!(find(&plus).is_empty());
        let words = "sk-".repeat(1 << 18);
        assert!(find(&words).is_empty());
        let cjk_digits = "号1".repeat(1 << 18);
        assert!(find(&cjk_digits).is_empty());
        // Every trigger, repeated: each must stay a bounded amount of work.
        let units = [
            ("123 ", 0),
            ("1.", 0),
            ("eyJ-", 0),
            ("xoxb-", 0),
            ("AIza-", 0),
            ("DE89 ", 0),
            ("::", 0),
            ("fe80:", 0),
            ("@a.", 0),
            ("-", 0),
            ("A", 0),
            ("１\u{200B}", 0),
            // One long run that does have a token's shape.
            ("github_pat_", 1),
        ];
        for (unit, count) in units {
            let text = unit.repeat((1 << 18) / unit.len());
            assert_eq!(find(&text).len(), count, "{unit}");
        }
        let open_key = format!("-----BEGIN RSA PRIVATE KEY-----\n{}", "A".repeat(1 << 20));
        assert_eq!(find(&open_key).len(), 1);
    }
}
