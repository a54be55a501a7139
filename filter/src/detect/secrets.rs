//! Credentials: API keys and tokens recognised by their published prefixes,
//! PEM private-key blocks and JWTs.
//!
//! The scanner calls [`secret`] with the start of a word when it meets the `-` or
//! `_` that ends the word (`sk-`, `ghp_`, `xoxb-`), an `A` that starts one
//! (`AKIA`, `AIza`) or the `J` of `eyJ`; the first byte then picks the few
//! prefixes worth comparing. It calls [`private_key`] at each `-`. A token glued
//! to a preceding letter or digit (`task-...`) never starts a secret.

use super::bytes::{
    at, before, class, is, run_end, starts_with, ALNUM, ALPHA, DIGIT, TOKEN, UPPER,
};
use super::category::{Category, Enabled};

/// How far each family of long tokens has been read without a match.
///
/// A token body is a run of base64url characters. When a body fails its family's
/// rules (too short, no digit, no `.` after a JWT segment), a later start of the
/// same family inside that run fails too, its body being a suffix of the same
/// run; such starts are skipped. That keeps `sk-sk-sk-...` or `eyJ-eyJ-...`
/// linear instead of reading the rest of the run from every start.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    openai: usize,
    slack: usize,
    github: usize,
    jwt: usize,
}

/// Runs `scan` unless `start` lies inside a run already read without a match;
/// on failure records how far `scan` read.
fn remembered(
    memo: &mut usize,
    start: usize,
    scan: impl FnOnce() -> Result<(usize, Category), usize>,
) -> Option<(usize, Category)> {
    if start < *memo {
        return None;
    }
    match scan() {
        Ok(found) => Some(found),
        Err(read_to) => {
            *memo = read_to;
            None
        }
    }
}

/// The end and category of the secret that starts at `start`, the beginning of
/// a word.
pub(crate) fn secret(
    t: &[u8],
    start: usize,
    on: Enabled,
    scanned: &mut Scanned,
) -> Option<(usize, Category)> {
    let found = match at(t, start) {
        b's' if starts_with(t, start, b"sk-") => {
            remembered(&mut scanned.openai, start, || openai_or_anthropic(t, start))
        }
        b's' | b'r' => stripe(t, start),
        b'A' => aws(t, start).or_else(|| google(t, start)),
        b'g' if starts_with(t, start, b"github_pat_") => {
            remembered(&mut scanned.github, start, || github_fine_grained(t, start))
        }
        b'g' => github_classic(t, start),
        b'x' => remembered(&mut scanned.slack, start, || slack(t, start)),
        b'e' => remembered(&mut scanned.jwt, start, || {
            jwt(t, start).map(|end| (end, Category::Jwt))
        }),
        _ => None,
    };
    found.filter(|(_, c)| on.has(c))
}

/// The body after a prefix: its end, and whether it mixes letters and digits.
fn body(t: &[u8], from: usize, mask: u8) -> (usize, bool) {
    let end = run_end(t, from, mask);
    let part = t.get(from..end).unwrap_or_default();
    let has = |m: u8| part.iter().any(|&b| class(b) & m != 0);
    (end, has(ALPHA) && has(DIGIT))
}

/// `sk-ant-...` (Anthropic) and `sk-...`, `sk-proj-...` (OpenAI): at least 20
/// base64url characters that mix letters and digits.
fn openai_or_anthropic(t: &[u8], start: usize) -> Result<(usize, Category), usize> {
    let (from, category) = if starts_with(t, start, b"sk-ant-") {
        (start + 7, Category::AnthropicKey)
    } else {
        (start + 3, Category::OpenaiKey)
    };
    let (end, mixed) = body(t, from, TOKEN);
    if end - from >= 20 && mixed {
        Ok((end, category))
    } else {
        Err(end)
    }
}

/// Stripe secret and restricted keys, live or test (the body stops at `_`).
/// The prefix is distinctive enough that the body need not mix letters and
/// digits: one older 24-character key in about 70 has no digit.
fn stripe(t: &[u8], start: usize) -> Option<(usize, Category)> {
    let prefixed = [&b"sk_live_"[..], b"sk_test_", b"rk_live_", b"rk_test_"]
        .iter()
        .any(|p| starts_with(t, start, p));
    if !prefixed {
        return None;
    }
    let from = start + 8;
    let end = run_end(t, from, ALNUM);
    (end - from >= 16 && !is(t, end, TOKEN)).then_some((end, Category::StripeKey))
}

/// AWS access key IDs: `AKIA` or `ASIA` and 16 upper-case letters or digits.
fn aws(t: &[u8], start: usize) -> Option<(usize, Category)> {
    if !starts_with(t, start, b"AKIA") && !starts_with(t, start, b"ASIA") {
        return None;
    }
    let end = run_end(t, start + 4, UPPER | DIGIT);
    (end - start == 20 && !is(t, end, ALNUM)).then_some((end, Category::AwsAccessKey))
}

/// How far from its key ID an AWS secret access key is looked for.
const AWS_WINDOW: usize = 80;
/// An AWS secret access key's length.
const AWS_SECRET_LEN: usize = 40;

/// The characters of an AWS secret access key: base64 without padding.
fn aws_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'/' || b == b'+'
}

/// Whether the whole run `start..end` of [`aws_base64`] characters is shaped
/// like a secret access key: forty of them, not followed by base64 padding,
/// upper- and lower-case letters and a digit, `/` or `+` among them.
fn aws_secret_shaped(t: &[u8], start: usize, end: usize) -> bool {
    let run = t.get(start..end).unwrap_or_default();
    let has = |hit: fn(&u8) -> bool| run.iter().any(hit);
    run.len() == AWS_SECRET_LEN
        && at(t, end) != b'='
        && has(u8::is_ascii_uppercase)
        && has(u8::is_ascii_lowercase)
        && has(|&b| b.is_ascii_digit() || b == b'/' || b == b'+')
}

/// The secret access key that comes with an AWS access key ID, in the few bytes
/// after it (`AKIA... wJalr...`, `AKIA...:wJalr...`, `access key: AKIA...,
/// secret key: wJalr...`): the first run there of exactly forty base64
/// characters that mixes upper- and lower-case letters and holds a digit, `/`
/// or `+`. Alone, such a run is any long word; next to its key ID it is the
/// half of the pair that signs requests. Reads at most `AWS_WINDOW` bytes and one
/// key's length past them.
pub(crate) fn aws_secret_after(t: &[u8], key_end: usize) -> Option<(usize, usize)> {
    let limit = key_end.saturating_add(AWS_WINDOW).min(t.len());
    let mut i = key_end;
    while i < limit {
        if !aws_base64(at(t, i)) {
            i += 1;
            continue;
        }
        let start = i;
        while aws_base64(at(t, i)) && i - start <= AWS_SECRET_LEN {
            i += 1;
        }
        if aws_secret_shaped(t, start, i) {
            return Some((start, i));
        }
        // A longer run is no key: step over what of it lies in the window
        // (only that: key IDs joined by `/` would otherwise each read the
        // rest of the same run).
        while i < limit && aws_base64(at(t, i)) {
            i += 1;
        }
    }
    None
}

/// The secret access key written before its key ID (`secret wJalr..., key
/// id AKIA...`), for a key ID with none after it: the nearest run before it
/// in `AWS_WINDOW` bytes shaped as in [`aws_secret_after`]. Reads at most the
/// window and one key's length before it.
pub(crate) fn aws_secret_before(t: &[u8], key_start: usize) -> Option<(usize, usize)> {
    let floor = key_start.saturating_sub(AWS_WINDOW);
    let mut i = key_start;
    while i > floor {
        if !aws_base64(before(t, i)) {
            i -= 1;
            continue;
        }
        let end = i;
        while i > 0 && aws_base64(before(t, i)) && end - i <= AWS_SECRET_LEN {
            i -= 1;
        }
        if aws_secret_shaped(t, i, end) {
            return Some((i, end));
        }
        while i > floor && aws_base64(before(t, i)) {
            i -= 1;
        }
    }
    None
}

/// Google API keys: `AIza` and 35 base64url characters.
fn google(t: &[u8], start: usize) -> Option<(usize, Category)> {
    const LEN: usize = 39;
    if !starts_with(t, start, b"AIza") {
        return None;
    }
    // Read no further than one character past a key.
    let mut end = start + 4;
    while end - start <= LEN && is(t, end, TOKEN) {
        end += 1;
    }
    (end - start == LEN).then_some((end, Category::GoogleApiKey))
}

/// Fine-grained GitHub tokens: `github_pat_` and a long body (82 characters).
fn github_fine_grained(t: &[u8], start: usize) -> Result<(usize, Category), usize> {
    let from = start + 11;
    let end = run_end(t, from, TOKEN);
    if end - from >= 40 {
        Ok((end, Category::GithubToken))
    } else {
        Err(end)
    }
}

/// Classic GitHub tokens: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and 36 letters
/// or digits.
fn github_classic(t: &[u8], start: usize) -> Option<(usize, Category)> {
    let classic = [&b"ghp_"[..], b"gho_", b"ghu_", b"ghs_", b"ghr_"]
        .iter()
        .any(|p| starts_with(t, start, p));
    if !classic {
        return None;
    }
    let end = run_end(t, start + 4, ALNUM);
    (end - start >= 40 && !is(t, end, TOKEN)).then_some((end, Category::GithubToken))
}

/// Slack tokens: `xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-` and app tokens
/// `xapp-`, with a body of letters, digits and dashes that holds a digit.
fn slack(t: &[u8], start: usize) -> Result<(usize, Category), usize> {
    let prefixed = starts_with(t, start, b"xapp-")
        || (starts_with(t, start, b"xox")
            && matches!(at(t, start + 3), b'b' | b'a' | b'p' | b'r' | b's')
            && at(t, start + 4) == b'-');
    let from = start + 5;
    if !prefixed {
        return Err(start);
    }
    let end = run_end(t, from, TOKEN);
    let has_digit = t
        .get(from..end)
        .unwrap_or_default()
        .iter()
        .any(u8::is_ascii_digit);
    if end - from >= 10 && has_digit {
        Ok((end, Category::SlackToken))
    } else {
        Err(end)
    }
}

/// A JWT: base64url header that decodes to a JSON object (so begins `eyJ`), a
/// payload and a signature, dot-separated; a JWE's two extra segments are taken
/// along. The signature may be empty (an unsigned token still carries claims).
/// On failure, returns how far it read.
fn jwt(t: &[u8], start: usize) -> Result<usize, usize> {
    if !starts_with(t, start, b"eyJ") {
        return Err(start);
    }
    let header = run_end(t, start, TOKEN);
    if header - start < 10 || at(t, header) != b'.' {
        return Err(header);
    }
    let payload = run_end(t, header + 1, TOKEN);
    if payload - header - 1 < 4 || at(t, payload) != b'.' {
        return Err(payload);
    }
    let mut end = run_end(t, payload + 1, TOKEN);
    for _ in 0..2 {
        if at(t, end) == b'.' && is(t, end + 1, TOKEN) {
            end = run_end(t, end + 1, TOKEN);
        }
    }
    Ok(end)
}

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const DASHES: &[u8] = b"-----";
const MAX_LABEL: usize = 64;

/// A PEM private-key block (`-----BEGIN ... PRIVATE KEY-----` through its END
/// line) starting at `start`. A block cut off before its END line still covers
/// the key material seen. The body may hold header lines (`Proc-Type:`,
/// `DEK-Info:`) and literal `\n` escapes; the scan stops at the next `-----`, so
/// many BEGIN lines without an END stay linear.
pub(crate) fn private_key(t: &[u8], start: usize) -> Option<usize> {
    if !starts_with(t, start, BEGIN) {
        return None;
    }
    let label_start = start + BEGIN.len();
    let label_end = label(t, label_start)?;
    let name = t.get(label_start..label_end)?;
    if !name.windows(11).any(|w| w == b"PRIVATE KEY") {
        return None;
    }
    let mut pos = label_end + DASHES.len();
    let mut last = pos;
    loop {
        let b = at(t, pos);
        if b == b'-' && starts_with(t, pos, END) {
            if let Some(end) = label(t, pos + END.len()) {
                return Some(end + DASHES.len());
            }
            break;
        }
        if b == b'-' && starts_with(t, pos, DASHES) {
            break;
        }
        let body = is(t, pos, ALNUM)
            || matches!(
                b,
                b'+' | b'/' | b'=' | b':' | b',' | b'-' | b'\\' | b' ' | b'\t' | b'\r' | b'\n'
            );
        if !body {
            break;
        }
        if !b.is_ascii_whitespace() {
            last = pos + 1;
        }
        pos += 1;
    }
    Some(last)
}

/// The end of a PEM label (`RSA PRIVATE KEY`) that a `-----` closes.
fn label(t: &[u8], from: usize) -> Option<usize> {
    let mut end = from;
    while end - from < MAX_LABEL && (is(t, end, UPPER | DIGIT) || at(t, end) == b' ') {
        end += 1;
    }
    starts_with(t, end, DASHES).then_some(end)
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

    /// A deterministic string of base62 characters.
    fn base62(len: usize, seed: usize) -> String {
        let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        (0..len)
            .map(|i| alphabet[(i * 7 + seed * 13 + i * i) % 62] as char)
            .collect()
    }

    #[test]
    fn keys_and_tokens() {
        let openai = format!("sk-{}", base62(48, 1));
        let openai_proj = format!(
            "sk-proj-{}_{}-{}",
            base62(40, 2),
            base62(40, 3),
            base62(20, 4)
        );
        let anthropic = format!("sk-ant-api03-{}-{}AA", base62(60, 5), base62(31, 6));
        let aws = "AKIAIOSFODNN7EXAMPLE".to_string();
        let aws_session = "ASIAY34FZKBOKMUTVV7A".to_string();
        let github = format!("ghp_{}", base62(36, 7));
        let github_fine = format!("github_pat_{}_{}", base62(22, 8), base62(59, 9));
        let slack = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx".to_string();
        let google = format!("AIza{}", base62(35, 10));
        let stripe = format!("sk_live_{}", base62(24, 11));
        let stripe_test = format!("rk_test_{}", base62(99, 12));
        let stripe_letters = "sk_live_ynsRdffEtECbpRoXSIYhGARf".to_string();
        let cases = [
            (openai.clone(), "openai_key", openai.clone()),
            (
                format!("OPENAI_API_KEY={openai_proj}\n"),
                "openai_key",
                openai_proj.clone(),
            ),
            (
                format!("key: \"{anthropic}\""),
                "anthropic_key",
                anthropic.clone(),
            ),
            (
                format!("aws_access_key_id = {aws}"),
                "aws_access_key",
                aws.clone(),
            ),
            (aws_session.clone(), "aws_access_key", aws_session.clone()),
            (format!("token {github}."), "github_token", github.clone()),
            (github_fine.clone(), "github_token", github_fine.clone()),
            (format!("密钥{slack}谢谢"), "slack_token", slack.clone()),
            (
                format!("?key={google}&x=1"),
                "google_api_key",
                google.clone(),
            ),
            (stripe.clone(), "stripe_key", stripe.clone()),
            (stripe_test.clone(), "stripe_key", stripe_test.clone()),
            (stripe_letters.clone(), "stripe_key", stripe_letters.clone()),
        ];
        for (text, category, span) in &cases {
            expect_only(text, category, span);
        }
        // A zero-width character inside a key does not hide it.
        let hidden = format!("{}\u{200B}{}", &openai[..10], &openai[10..]);
        expect_only(&hidden, "openai_key", &hidden);
    }

    #[test]
    fn an_aws_secret_key_next_to_its_key_id() {
        let id = "AKIAIOSFODNN7EXAMPLE";
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        // The two, in the order the text holds them.
        let pair = |text: String, secret: &str| {
            let found = find(&text);
            let mut want = [("aws_access_key", id), ("aws_access_key", secret)];
            want.sort_by_key(|(_, v)| text.find(v));
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(c, v)| (c.to_string(), v.to_string()))
                .collect();
            assert_eq!(found, want, "in {text:?}");
        };
        let other = base62(40, 3);
        let rows = [
            (format!("AWS key {id} secret {secret}"), secret),
            (format!("{id}:{secret}"), secret),
            (format!("{id} {secret}\n"), secret),
            (
                format!("Access key ID: {id}\nand the one that goes with it, {secret}."),
                secret,
            ),
            (format!("{id}\t{other}"), other.as_str()),
            // The secret first, then its key ID.
            (format!("secret {secret} for key ID {id}"), secret),
            (format!("{secret}\n{id}\n"), secret),
            (format!("密钥{secret}，访问密钥ID是{id}"), secret),
            // Read as one credential's value, the pair is still the pair.
            (
                format!("客户说我的AWS访问密钥是{id}:{secret}请帮忙"),
                secret,
            ),
        ];
        // Many pairs, each read as one credential's value: each gives way.
        let many = format!("客户说我的AWS访问密钥是{id}:{secret}请帮忙。").repeat(40);
        let found = find(&many);
        assert_eq!(found.len(), 80, "{found:?}");
        assert!(
            found.iter().all(|(c, _)| c == "aws_access_key"),
            "{found:?}"
        );
        // After a credential's name, whose value is the ID alone; a
        // zero-width character inside the secret does not hide it.
        let found = find(&format!(
            "AWS访问密钥：{id} / {}\u{200B}{}。",
            &secret[..20],
            &secret[20..]
        ));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1].1.replace('\u{200B}', ""), secret);
        for (text, secret) in rows {
            pair(text, secret);
        }
        // Too far, too long, too short, one case only, padded, hex (a SHA-1),
        // or a run of letters: the key ID alone.
        let alone = [
            format!("{id} {} {secret}", "x ".repeat(40)),
            format!("{id} {secret}A"),
            format!("{id} {}", &secret[1..]),
            format!("{id} {}", secret.to_ascii_lowercase()),
            format!("{id} {}", secret.to_ascii_uppercase()),
            format!("{id} {}=", &secret[1..]),
            format!("{id} commit 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"),
            format!("{id} {}", "AbcdefghijKlmnopqrstUvwxyzabcdEfghijklmn"),
            // The same before it: too far, too long, too short, padded.
            format!("{secret} {} {id}", "x ".repeat(40)),
            format!("A{secret} {id}"),
            format!("{} {id}", &secret[1..]),
            format!("{}= {id}", &secret[1..]),
        ];
        for text in &alone {
            assert_eq!(
                find(text),
                vec![("aws_access_key".to_string(), id.to_string())],
                "in {text:?}"
            );
        }
    }

    #[test]
    fn key_lookalikes() {
        expect_none(&[
            "sk-learn is a library",
            "task-1234567890abcdefghijklmnop",
            "sk-short123",
            "sk-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "AKIAIOSFODNN7EXAMPL",
            "AKIAIOSFODNN7EXAMPLEX",
            "XAKIAIOSFODNN7EXAMPLE",
            "AIzaShort",
            "ghp_short",
            "xoxb-notatoken",
            "sk_live_short",
            "pk_live_51H8abcdefghijklmnopqrstuvwx",
            "eyJhbGciOi",
        ]);
    }

    #[test]
    fn jwts() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let cases = [
            (format!("Authorization: Bearer {jwt}"), jwt.to_string()),
            (format!("{jwt}."), jwt.to_string()),
            (
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.".to_string(),
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.".to_string(),
            ),
        ];
        for (text, span) in &cases {
            expect_only(text, "jwt", span);
        }
        expect_none(&[
            "eyJhbGciOiJIUzI1NiJ9",
            "eyJhbGciOiJIUzI1NiJ9.abc",
            "xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        ]);
    }

    #[test]
    fn private_keys() {
        let body = "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\naFDrBz9vFqU4yS2V0Xo6hlf8XQp0kF3lQh4x1uH5yHmL9dEfQ==\n";
        let rsa = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----");
        let pkcs8 = format!("-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----");
        let encrypted = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,5E2B\n\n{body}-----END RSA PRIVATE KEY-----"
        );
        let escaped = format!(
            "-----BEGIN EC PRIVATE KEY-----\\n{}\\n-----END EC PRIVATE KEY-----",
            body.replace('\n', "\\n")
        );
        let cut = format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{}", body.trim_end());
        let cases = [
            (format!("key:\n{rsa}\nthanks"), rsa.clone()),
            (pkcs8.clone(), pkcs8.clone()),
            (encrypted.clone(), encrypted.clone()),
            (escaped.clone(), escaped.clone()),
            (format!("{cut}\n"), cut.clone()),
        ];
        for (text, span) in &cases {
            expect_only(text, "private_key", span);
        }
        expect_none(&[
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
            "-----",
        ]);
        let many = "-----BEGIN RSA PRIVATE KEY-----".repeat(20_000);
        assert_eq!(find(&many).len(), 20_000);
    }
}
