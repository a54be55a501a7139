//! Compact JSON output for [`Json`], byte for byte what `serde_json` writes
//! (a test holds the two equal), with strings copied in runs found eight bytes
//! at a time: serde_json looks each byte up in a table, which was most of the
//! cost of writing a body inside the `.wasm`.

use super::Json;

pub(super) fn write(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        // With `arbitrary_precision` a number is the text it was read as.
        Json::Number(n) => out.push_str(n.as_str()),
        Json::String(s) => write_str(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Json::Object(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(key, out);
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

/// `s` as a JSON string: `"` and `\` escaped, control characters as `\n`,
/// `\t`, ... or `\u00XX`, everything else as it is.
fn write_str(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push('"');
    // Bytes from `clean` to `i` need no escape and are not copied yet.
    let (mut clean, mut i) = (0, 0);
    while let Some(&b) = bytes.get(i) {
        if let Some(Ok(chunk)) = bytes.get(i..i + 8).map(<[u8; 8]>::try_from) {
            if !any_to_escape(u64::from_le_bytes(chunk)) {
                i += 8;
                continue;
            }
        }
        let short = match b {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            0x08 => Some(b'b'),
            0x0C => Some(b'f'),
            b'\n' => Some(b'n'),
            b'\r' => Some(b'r'),
            b'\t' => Some(b't'),
            0x00..=0x1F => None,
            _ => {
                i += 1;
                continue;
            }
        };
        // `i` is at an ASCII byte, so both ends are character boundaries.
        out.push_str(s.get(clean..i).unwrap_or_default());
        out.push('\\');
        match short {
            Some(letter) => out.push(char::from(letter)),
            None => {
                out.push_str("u00");
                out.push(char::from(hex_digit(b >> 4)));
                out.push(char::from(hex_digit(b & 0xF)));
            }
        }
        i += 1;
        clean = i;
    }
    out.push_str(s.get(clean..).unwrap_or_default());
    out.push('"');
}

/// The lower-case hex digit of a nibble, as serde_json writes it.
fn hex_digit(nibble: u8) -> u8 {
    match nibble & 0xF {
        n @ 0..=9 => b'0' + n,
        n => b'a' + (n - 10),
    }
}

/// Whether any of the eight bytes in `x` is `"`, `\` or below 0x20.
fn any_to_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    // Set in a byte's high bit when that byte is zero (exact for "any").
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
    below_space || has_zero(x ^ (ONES * u64::from(b'"'))) || has_zero(x ^ (ONES * u64::from(b'\\')))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::parse;
    use super::*;

    fn serde(value: &Json) -> Vec<u8> {
        serde_json::to_vec(value).unwrap()
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut texts: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        texts.extend(
            [
                "",
                "plain text longer than eight bytes",
                "a\"b\\c\nd\te\u{1}f\u{1f}g\u{7f}",
                "中文，带\"引号\"和\\反斜杠\\",
                "0123456\"89abcdef\\",
                "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}",
                "emoji 😀 and é",
            ]
            .map(String::from),
        );
        // Every escape at every position of a chunk.
        for at in 0..17 {
            for c in ['"', '\\', '\n', '\u{1}', '\u{1f}', ' ', '~'] {
                let mut t = "abcdefghijklmnopq".to_string();
                t.insert(at, c);
                texts.push(t);
            }
        }
        for text in texts {
            let value = Json::String(text.clone());
            let mut out = String::new();
            write(&value, &mut out);
            assert_eq!(out.as_bytes(), serde(&value), "{text:?}");
        }
    }

    #[test]
    fn documents_are_written_as_serde_json_writes_them() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/json_redact");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let Ok(value) = parse(&bytes, 64) else {
                continue;
            };
            let mut out = String::new();
            write(&value, &mut out);
            assert_eq!(out.as_bytes(), serde(&value));
            seen += 1;
        }
        assert!(seen > 10, "only {seen} corpus documents parsed");
    }
}
