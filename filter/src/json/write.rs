//! Compact JSON output for [`Json`], byte for byte what `serde_json` writes
//! (a test holds the two equal), with strings copied in runs found eight bytes
//! at a time: serde_json looks each byte up in a table, which was most of the
//! cost of writing a body inside the `.wasm`.

use super::Json;
use crate::chunks::{self, Lanes, Mask};

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

/// One JSON object written field by field straight into a string, for the
/// records customs composes itself (the audit line): no tree is built first.
/// Keys are written as given; the caller keeps them unique.
pub struct ObjectWriter<'a> {
    out: &'a mut String,
    /// Whether the next field is the first of its object (no comma before it).
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Starts an object at the end of `out`.
    pub fn new(out: &'a mut String) -> ObjectWriter<'a> {
        out.push('{');
        ObjectWriter { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(key, self.out);
        self.out.push(':');
    }

    pub fn number(&mut self, key: &str, n: u64) -> &mut Self {
        self.key(key);
        push_decimal(self.out, n);
        self
    }

    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        write_str(value, self.out);
        self
    }

    fn null(&mut self, key: &str) -> &mut Self {
        self.key(key);
        self.out.push_str("null");
        self
    }

    /// A string, or `null`.
    pub fn optional_string(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.string(key, value),
            None => self.null(key),
        }
    }

    /// A number, or `null`.
    pub fn optional_number(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        match value {
            Some(n) => self.number(key, n),
            None => self.null(key),
        }
    }

    /// An array of strings.
    pub fn strings<'s>(
        &mut self,
        key: &str,
        values: impl IntoIterator<Item = &'s str>,
    ) -> &mut Self {
        self.key(key);
        self.out.push('[');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            write_str(value, self.out);
        }
        self.out.push(']');
        self
    }

    /// An object whose fields `fill` writes.
    pub fn key_object(&mut self, key: &str, fill: impl FnOnce(&mut ObjectWriter<'_>)) -> &mut Self {
        self.key(key);
        let mut inner = ObjectWriter::new(self.out);
        fill(&mut inner);
        inner.finish();
        self
    }

    /// An object of numbers.
    pub fn numbers<'s>(
        &mut self,
        key: &str,
        entries: impl IntoIterator<Item = (&'s str, u64)>,
    ) -> &mut Self {
        self.key_object(key, |inner| {
            for (name, n) in entries {
                inner.number(name, n);
            }
        })
    }

    /// Ends the object.
    pub fn finish(self) {
        self.out.push('}');
    }
}

/// Appends `n` in decimal, without the formatting machinery (which costs
/// more than the digits inside the `.wasm`): `itoa`, already in the build
/// through serde_json.
pub fn push_decimal(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// `s` as a JSON string: `"` and `\` escaped, control characters as `\n`,
/// `\t`, ... or `\u00XX`, everything else as it is.
fn write_str(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push('"');
    // Bytes from `clean` on need no escape up to the next one found.
    let mut clean = 0;
    while let Some(i) = chunks::find(bytes, clean, to_escape) {
        // `i` is at an ASCII byte, so both ends are character boundaries.
        out.push_str(s.get(clean..i).unwrap_or_default());
        out.push('\\');
        let b = bytes.get(i).copied().unwrap_or_default();
        match b {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            0x08 => out.push('b'),
            0x0C => out.push('f'),
            b'\n' => out.push('n'),
            b'\r' => out.push('r'),
            b'\t' => out.push('t'),
            _ => {
                out.push_str("u00");
                out.push(char::from(hex_digit(b >> 4)));
                out.push(char::from(hex_digit(b & 0xF)));
            }
        }
        clean = i + 1;
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

/// The bytes a JSON string must escape: `"`, `\` and those below 0x20.
#[inline(always)]
fn to_escape(x: Lanes) -> Mask {
    x.within(0, 0x1F).or(x.eq(b'"')).or(x.eq(b'\\'))
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

    #[test]
    fn decimals_are_what_display_writes() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            1_000_000_007,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = String::from("x");
            push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }

    #[test]
    fn objects_written_field_by_field_are_valid_json() {
        let mut out = String::new();
        let mut o = ObjectWriter::new(&mut out);
        o.number("n", 42)
            .string("s", "a\"b")
            .optional_string("none", None)
            .optional_number("some", Some(7))
            .strings("list", ["x", "y\n"])
            .numbers("counts", [("a", 1), ("b", 2)]);
        o.key_object("inner", |inner| {
            inner.number("k", 1);
        });
        o.key_object("empty", |_| {});
        o.finish();
        assert_eq!(
            out,
            r#"{"n":42,"s":"a\"b","none":null,"some":7,"list":["x","y\n"],"counts":{"a":1,"b":2},"inner":{"k":1},"empty":{}}"#
        );
    }
}
