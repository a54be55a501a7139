//! The request's head crosses the border with its body: header values and the
//! query string are scanned like the body's texts, and what is found in them
//! is replaced the same way (same placeholders, same counts, same actions).

use super::apply::{Redactor, RequestRedaction};
use crate::engine::HeaderEdit;

/// Headers whose values are not scanned: the body's own headers and the
/// connection's, credentials (the provider's key must cross, and the secrets
/// detector would take it), the providers' version and account headers, and
/// what describes the client software and the trace rather than a person (a
/// browser's `Chrome/120.0.0.0` reads as an IPv4 address).
const NOT_SCANNED: &[&str] = &[
    "user-agent",
    "accept",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "connection",
    "traceparent",
    "tracestate",
    "x-forwarded-proto",
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "host",
    "te",
    "anthropic-version",
    "anthropic-beta",
    "openai-organization",
    "openai-project",
];

/// Edits that replace what `redactor` finds in the values of `headers`
/// (lower-case names). Pseudo-headers, names with `tag_prefix` and headers
/// `removed` (they do not cross) are passed over. A repeated header with a
/// finding crosses as one value, its values joined by `, `.
pub fn header_edits(
    redactor: &Redactor<'_>,
    headers: &[(String, String)],
    removed: &[HeaderEdit],
    tag_prefix: &str,
    state: &mut RequestRedaction,
) -> Vec<HeaderEdit> {
    let mut findings = Vec::new();
    // Each header's new value, where a finding changed it.
    let mut redacted: Vec<Option<String>> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let skip = name.starts_with(':')
            || name.starts_with(tag_prefix)
            // The OpenAI SDKs' description of the client (OS, runtime versions).
            || name.starts_with("x-stainless-")
            || NOT_SCANNED.contains(&name.as_str())
            || removed.contains(&HeaderEdit::Remove(name.clone()));
        redacted.push(if skip {
            None
        } else {
            redactor.redact_text(value, state, &mut findings)
        });
    }
    let mut edits: Vec<HeaderEdit> = Vec::new();
    for ((name, _), new) in headers.iter().zip(&redacted) {
        let done = edits
            .iter()
            .any(|e| matches!(e, HeaderEdit::Set(n, _) if n == name));
        if new.is_none() || done {
            continue;
        }
        let values: Vec<&str> = headers
            .iter()
            .zip(&redacted)
            .filter(|((n, _), _)| n == name)
            .map(|((_, value), new)| new.as_deref().unwrap_or(value))
            .collect();
        edits.push(HeaderEdit::Set(name.clone(), values.join(", ")));
    }
    edits
}

/// `path` with what `redactor` finds in its query string replaced, or `None`
/// when nothing is. Each name and value is percent-decoded before the scan;
/// a changed one is percent-encoded again, the others keep their bytes.
pub fn redact_query(
    redactor: &Redactor<'_>,
    path: &str,
    state: &mut RequestRedaction,
) -> Option<String> {
    let (route, query) = path.split_once('?')?;
    let mut findings = Vec::new();
    let mut out = String::with_capacity(path.len() + 16);
    out.push_str(route);
    out.push('?');
    let mut changed = false;
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, part) in pair.splitn(2, '=').enumerate() {
            if j > 0 {
                out.push('=');
            }
            let decoded = percent_decode(part);
            match redactor.redact_text(&decoded, state, &mut findings) {
                Some(new) => {
                    percent_encode(&new, &mut out);
                    changed = true;
                }
                None => out.push_str(part),
            }
        }
    }
    changed.then_some(out)
}

/// `%XX` decoded and `+` read as a space (forms); a malformed escape stays as
/// written. Invalid UTF-8 after decoding is replaced, for the scan only.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|h| char::from(*h).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn percent_encode(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 15] {
                out.push(char::from(*HEX.get(usize::from(nibble)).unwrap_or(&b'0')));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::detect::{Scanner, ScannerConfig};
    use crate::redact::rules::RedactRules;

    fn with_redactor<T>(
        f: impl FnOnce(&Redactor<'_>, &mut RequestRedaction) -> T,
    ) -> (T, RequestRedaction) {
        let scanner = Scanner::new(&ScannerConfig::default()).unwrap();
        let rules = RedactRules::default();
        let redactor = Redactor {
            scanner: &scanner,
            rules: &rules,
            tenant: "t",
            max_depth: 64,
            answer_side: false,
            restored: None,
        };
        let mut state = RequestRedaction::default();
        let out = f(&redactor, &mut state);
        (out, state)
    }

    #[test]
    fn query_values_and_names_are_decoded_scanned_and_encoded_again() {
        let cases: &[(&str, Option<&str>)] = &[
            ("/v1/chat/completions", None),
            ("/v1/chat/completions?api-version=2024-10-21", None),
            (
                "/v1/models?user=ann%40example.com&x=1",
                Some("/v1/models?user=%5BEMAIL_1%5D&x=1"),
            ),
            (
                "/v1/models?note=call+13812345678+now&ok=a%2Fb",
                Some("/v1/models?note=call%20%5BPHONE_1%5D%20now&ok=a%2Fb"),
            ),
            ("/v1/models?13812345678", Some("/v1/models?%5BPHONE_1%5D")),
            ("/v1/models?a=%zz&b=%", None),
        ];
        for (path, want) in cases {
            let (got, _) = with_redactor(|r, state| redact_query(r, path, state));
            assert_eq!(got.as_deref(), *want, "{path}");
        }
    }

    #[test]
    fn header_values_are_scanned_but_credentials_client_software_removed_headers_and_tags_are_not()
    {
        let headers: Vec<(String, String)> = [
            (
                "authorization",
                "Bearer sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
            ),
            ("x-customer", "ann@example.com"),
            ("x-note", "plain"),
            ("x-customer", "13812345678"),
            ("x-customs-tenant", "bob@example.org"),
            (
                "user-agent",
                "Mozilla/5.0 AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36",
            ),
            ("x-stainless-runtime-version", "10.0.12.7"),
            ("cookie", "mail=bob@example.org"),
            (":path", "/v1/chat/completions"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let removed = [HeaderEdit::Remove("cookie".to_string())];
        let (edits, state) =
            with_redactor(|r, state| header_edits(r, &headers, &removed, "x-customs-", state));
        assert_eq!(
            edits,
            vec![HeaderEdit::Set(
                "x-customer".to_string(),
                "[EMAIL_1], [PHONE_1]".to_string()
            )]
        );
        assert_eq!(state.total(), 2);
    }

    #[test]
    fn percent_coding_round_trips_what_it_changes() {
        let mut out = String::new();
        percent_encode("a b/[é]~", &mut out);
        assert_eq!(out, "a%20b%2F%5B%C3%A9%5D~");
        assert_eq!(percent_decode(&out), "a b/[é]~");
        assert_eq!(percent_decode("100%+sure%4"), "100% sure%4");
    }
}
