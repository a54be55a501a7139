//! A strict JSON tree for request and answer bodies.
//!
//! serde_json's own `Value` quietly keeps the last of duplicate keys and reorders
//! nothing only with an extra feature. A compliance filter must not guess: a body
//! with duplicate keys could be read one way by customs and another way by the
//! provider, so it is refused. Objects keep their key order so that a re-serialised
//! body differs from the original only where customs edited it.
//!
//! Numbers keep the digits the client sent (serde_json's `arbitrary_precision`;
//! only an exponent gains its sign, `1E5` crossing as `1e+5`):
//! parsed into a float and printed again, `111111111111111111111111` or
//! `1000089102450895.85` would cross as a different number. serde_json hands
//! such a number to a visitor as a one-entry map under a private key; [`Seed`]
//! tells that map from a client's object with the same key by where the key
//! lives: the private key is a static string, a client's key is in the input.

mod write;

pub use write::{push_decimal, ObjectWriter};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::collections::HashSet;
use std::fmt;

/// A parsed JSON value. Objects are ordered lists of (key, value) with unique keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Why a body could not be parsed. The message never quotes the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    message: String,
}

impl JsonError {
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses `bytes` as one JSON value, refusing duplicate keys, lone surrogates,
/// invalid UTF-8 and nesting deeper than `max_depth`.
pub fn parse(bytes: &[u8], max_depth: usize) -> Result<Json, JsonError> {
    // One check of the whole body, vector-wide where the build has SIMD, in
    // place of serde_json's check of each string one by one with std's
    // validator (most of a Chinese body's parse time).
    let text = simdutf8::basic::from_utf8(bytes).map_err(|_| JsonError {
        message: "the body is not valid UTF-8".to_string(),
    })?;
    parse_str(text, max_depth)
}

/// Parses a string (a tool call's `arguments`, say) the same way.
pub fn parse_str(text: &str, max_depth: usize) -> Result<Json, JsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let bytes = text.as_bytes();
    let start = bytes.as_ptr() as usize;
    let value = Seed {
        depth_left: max_depth,
        input: (start, start.saturating_add(bytes.len())),
    }
    .deserialize(&mut de)
    .map_err(describe)?;
    de.end().map_err(describe)?;
    Ok(value)
}

fn describe(e: serde_json::Error) -> JsonError {
    // serde_json's messages name positions and kinds, never the content.
    JsonError {
        message: e.to_string(),
    }
}

impl Json {
    /// The value under `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets `key` in an object, replacing an existing value in place (keeping its
    /// position) or appending. Does nothing on a non-object.
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Object(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => entries.push((key.to_string(), value)),
            }
        }
    }

    /// Removes `key` from an object; true when it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        if let Json::Object(entries) = self {
            let before = entries.len();
            entries.retain(|(k, _)| k != key);
            return entries.len() != before;
        }
        false
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    /// Compact serialisation, as serde_json writes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string_compact().into_bytes()
    }

    /// The same for a body parsed from `original` and edited: written into a
    /// buffer sized like the original from the start (placeholders are about
    /// as long as what they replace; a little room for more), since growing it
    /// from nothing would copy it a dozen times.
    pub fn to_bytes_like(&self, original: &[u8]) -> Vec<u8> {
        let mut out = String::with_capacity(original.len().saturating_add(256));
        write::write(self, &mut out);
        out.into_bytes()
    }

    pub fn to_string_compact(&self) -> String {
        let mut out = String::new();
        write::write(self, &mut out);
        out
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::String(s.to_string())
    }
}

impl From<u64> for Json {
    fn from(n: u64) -> Json {
        Json::Number(n.into())
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Deserialises one value with a depth budget.
#[derive(Clone, Copy)]
struct Seed {
    depth_left: usize,
    /// The address range of the input, to tell serde_json's private number key
    /// from a client's key (see the module documentation).
    input: (usize, usize),
}

/// The key serde_json gives an `arbitrary_precision` number under.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl Seed {
    fn deeper<E: de::Error>(&self) -> Result<Seed, E> {
        match self.depth_left.checked_sub(1) {
            Some(depth_left) => Ok(Seed {
                depth_left,
                ..*self
            }),
            None => Err(E::custom("nesting deeper than the policy's limit")),
        }
    }
}

/// An object key, or serde_json's marker that a number follows.
enum Key {
    Client(String),
    Number,
}

struct KeySeed {
    input: (usize, usize),
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key, E> {
        let at = v.as_ptr() as usize;
        let in_input = self.input.0 <= at && at < self.input.1;
        if v == NUMBER_TOKEN && !in_input {
            Ok(Key::Number)
        } else {
            Ok(Key::Client(v.to_string()))
        }
    }

    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(Key::Client(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Key, E> {
        Ok(Key::Client(v))
    }
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Objects up to this size check duplicates by a linear scan; larger ones use a set,
/// so a crafted object with many keys stays linear.
const LINEAR_DUPLICATE_CHECK: usize = 16;

impl<'de> Visitor<'de> for Seed {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.deeper()?)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        let mut seen: Option<HashSet<String>> = None;
        let input = self.input;
        while let Some(key) = map.next_key_seed(KeySeed { input })? {
            let key = match key {
                Key::Client(key) => key,
                Key::Number if entries.is_empty() => {
                    let text: String = map.next_value()?;
                    let number = text
                        .parse::<serde_json::Number>()
                        .map_err(de::Error::custom)?;
                    return Ok(Json::Number(number));
                }
                Key::Number => return Err(de::Error::custom("malformed number")),
            };
            let duplicate = match seen.as_mut() {
                Some(set) => !set.insert(key.clone()),
                None => {
                    let dup = entries.iter().any(|(k, _)| *k == key);
                    if entries.len() >= LINEAR_DUPLICATE_CHECK {
                        seen = Some(entries.iter().map(|(k, _)| k.clone()).collect());
                        if let Some(set) = seen.as_mut() {
                            set.insert(key.clone());
                        }
                    }
                    dup
                }
            };
            if duplicate {
                return Err(de::Error::custom("duplicate key in object"));
            }
            let value = map.next_value_seed(self.deeper()?)?;
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
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

    /// The fuzzers' finds: a float parser is not exact, so numbers must
    /// cross as the text the client sent.
    #[test]
    fn numbers_cross_as_written() {
        // (sent, crossed): serde_json writes an exponent with its sign, else
        // the text is kept digit for digit.
        for (number, crossed) in [
            ("111111111111111111111111", "111111111111111111111111"),
            (
                "44444444444444444444444444344444444444044444444444444",
                "44444444444444444444444444344444444444044444444444444",
            ),
            ("1000089102450895.85", "1000089102450895.85"),
            ("48e88", "48e+88"),
            ("1E5", "1e+5"),
            ("2.5e-3", "2.5e-3"),
            (
                "-88888888888888888888888888888888888888888888",
                "-88888888888888888888888888888888888888888888",
            ),
            ("1.0", "1.0"),
            ("-0", "-0"),
            (
                "0.1000000000000000055511151231257827",
                "0.1000000000000000055511151231257827",
            ),
            ("18446744073709551616", "18446744073709551616"),
            ("-9223372036854775809", "-9223372036854775809"),
        ] {
            let body = format!(r#"{{"n":{number},"a":[{number}]}}"#);
            let want = format!(r#"{{"n":{crossed},"a":[{crossed}]}}"#);
            let parsed = parse(body.as_bytes(), 64).unwrap();
            assert_eq!(parsed.to_string_compact(), want, "{number}");
        }
        assert_eq!(parse(b"12", 64).unwrap().as_u64(), Some(12));
    }

    #[test]
    fn a_clients_key_like_serde_jsons_number_marker_stays_a_key() {
        for body in [
            r#"{"$serde_json::private::Number":"5"}"#,
            r#"{"\u0024serde_json::private::Number":"5"}"#,
            r#"{"$serde_json::private::Number":"5","b":1}"#,
        ] {
            let parsed = parse(body.as_bytes(), 64).unwrap();
            let Json::Object(entries) = &parsed else {
                panic!("{body} parsed as {parsed:?}");
            };
            assert_eq!(entries[0].0, NUMBER_TOKEN, "{body}");
            assert_eq!(entries[0].1, Json::String("5".into()));
        }
    }

    #[test]
    fn round_trips_keeping_key_order() {
        let text = r#"{"z":1,"a":[true,null,"x\u00e9"],"m":{"k":-2.5}}"#;
        let v = parse(text.as_bytes(), 64).unwrap();
        assert_eq!(
            v.to_string_compact(),
            r#"{"z":1,"a":[true,null,"xé"],"m":{"k":-2.5}}"#
        );
    }

    #[test]
    fn refuses_what_must_not_be_guessed() {
        let cases: &[(&str, &str)] = &[
            (r#"{"a":1,"a":2}"#, "duplicate key"),
            (r#"{"s":"\ud800"}"#, "escape"),
            (r#"{"s":"\udc00x"}"#, "surrogate"),
            (r#"{"a":1"#, "EOF"),
            (r#"{"a":1} x"#, "trailing"),
        ];
        for (text, needle) in cases {
            let err = parse(text.as_bytes(), 64).unwrap_err();
            assert!(err.message().contains(needle), "{text}: {}", err.message());
        }
    }

    #[test]
    fn duplicate_keys_found_in_large_objects_too() {
        let mut text = String::from("{");
        for i in 0..100 {
            text.push_str(&format!("\"k{i}\":{i},"));
        }
        text.push_str("\"k7\":0}");
        assert!(parse(text.as_bytes(), 64).is_err());
    }

    #[test]
    fn depth_limit_holds() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(10).as_bytes(), 10).is_ok());
        let err = parse(deep(11).as_bytes(), 10).unwrap_err();
        assert!(err.message().contains("nesting"), "{}", err.message());
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert!(parse(b"{\"a\":\"\xff\"}", 64).is_err());
    }
}
