//! Header maps as Envoy keeps them, and the pair encoding of the ABI.

use std::fmt;

/// An ordered, multi-valued header map with lowercase names. Like Envoy's, it
/// keeps pseudo-headers (`:method`, `:path`, ...) ahead of all others.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HeaderMap {
    entries: Vec<(String, String)>,
}

impl HeaderMap {
    pub fn new() -> HeaderMap {
        HeaderMap::default()
    }

    /// Builds a map from pairs in order, lowercasing names.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.add(k.as_ref(), v.as_ref());
        }
        map
    }

    /// Appends a value, keeping pseudo-headers first (Envoy's `addCopy`).
    pub fn add(&mut self, name: &str, value: &str) {
        let name = name.to_ascii_lowercase();
        if name.starts_with(':') {
            let at = self
                .entries
                .iter()
                .take_while(|(k, _)| k.starts_with(':'))
                .count();
            self.entries.insert(at, (name, value.to_string()));
        } else {
            self.entries.push((name, value.to_string()));
        }
    }

    /// Replaces every value of `name` with one value (Envoy's `setCopy`:
    /// remove, then add).
    pub fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.add(name, value);
    }

    /// Removes every value of `name`.
    pub fn remove(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        self.entries.retain(|(k, _)| *k != name);
    }

    /// The first value of `name` (what `proxy_get_header_map_value` returns).
    pub fn get(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.entries
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.entries
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.entries.clone()
    }

    /// Envoy's `byteSize()`: the sum of name and value lengths.
    pub fn byte_size(&self) -> usize {
        self.entries.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    /// The ABI encoding of the whole map.
    pub fn encode(&self) -> Vec<u8> {
        encode_pairs(
            self.entries
                .iter()
                .map(|(k, v)| (k.as_bytes(), v.as_bytes())),
        )
    }
}

impl fmt::Debug for HeaderMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(k, v)| format!("{k}: {v}")))
            .finish()
    }
}

impl<'a> IntoIterator for &'a HeaderMap {
    type Item = (&'a str, &'a str);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a str)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// Encodes pairs: u32 count, then (u32 key length, u32 value length) for each
/// pair, then each key and value followed by a NUL byte.
pub fn encode_pairs<'a>(pairs: impl Iterator<Item = (&'a [u8], &'a [u8])> + Clone) -> Vec<u8> {
    let count = pairs.clone().count();
    let mut out = Vec::new();
    out.extend_from_slice(&(count as u32).to_le_bytes());
    for (k, v) in pairs.clone() {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k);
        out.push(0);
        out.extend_from_slice(v);
        out.push(0);
    }
    out
}

/// Decodes the pair encoding; `None` when the bytes are malformed. An empty
/// input is an empty list, as the SDKs treat it.
pub fn decode_pairs(bytes: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let read_u32 = |at: usize| -> Option<usize> {
        let raw: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(u32::from_le_bytes(raw) as usize)
    };
    let count = read_u32(0)?;
    let mut data_at = count.checked_mul(8)?.checked_add(4)?;
    let mut pairs = Vec::with_capacity(count.min(1024));
    for i in 0..count {
        let key_len = read_u32(4 + i * 8)?;
        let value_len = read_u32(8 + i * 8)?;
        let key = bytes.get(data_at..data_at.checked_add(key_len)?)?.to_vec();
        data_at = data_at.checked_add(key_len + 1)?;
        let value = bytes
            .get(data_at..data_at.checked_add(value_len)?)?
            .to_vec();
        data_at = data_at.checked_add(value_len + 1)?;
        pairs.push((key, value));
    }
    if data_at > bytes.len() {
        return None;
    }
    Some(pairs)
}

/// Decodes pairs as strings (invalid UTF-8 replaced), names lowercased.
pub fn decode_header_pairs(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    Some(
        decode_pairs(bytes)?
            .into_iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(&k).to_ascii_lowercase(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
            .collect(),
    )
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

    #[test]
    fn pseudo_headers_stay_first_and_names_are_lowercased() {
        let mut map = HeaderMap::from_pairs(&[(":method", "GET"), ("Accept", "*/*")]);
        map.add(":path", "/x");
        assert_eq!(map.to_pairs()[1], (":path".to_string(), "/x".to_string()));
        assert_eq!(map.get("ACCEPT"), Some("*/*"));
    }

    #[test]
    fn set_replaces_all_values_and_moves_to_the_end() {
        let mut map = HeaderMap::from_pairs(&[("a", "1"), ("b", "2"), ("a", "3")]);
        map.set("a", "9");
        assert_eq!(
            map.to_pairs(),
            vec![("b".into(), "2".into()), ("a".into(), "9".into())]
        );
    }

    #[test]
    fn pairs_round_trip_and_match_the_sdk_layout() {
        let map = HeaderMap::from_pairs(&[(":method", "GET"), ("x", "")]);
        let bytes = map.encode();
        assert_eq!(&bytes[..4], &2u32.to_le_bytes());
        assert_eq!(&bytes[4..8], &7u32.to_le_bytes());
        let back = decode_header_pairs(&bytes).unwrap();
        assert_eq!(back, map.to_pairs());
    }

    #[test]
    fn malformed_pairs_are_refused() {
        for bad in [
            &[1u8, 0, 0][..],
            &[1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, b'a'],
            &[255, 255, 255, 255],
        ] {
            assert!(decode_pairs(bad).is_none(), "{bad:?}");
        }
        assert_eq!(decode_pairs(&[]).unwrap().len(), 0);
    }
}
