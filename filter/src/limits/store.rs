//! Where budgets live: a key-value store with a compare-and-swap version per key.
//!
//! In the filter this is Envoy's shared data, one map per `vm_id` shared by every
//! worker's VM. [`MemoryStore`] reproduces its semantics exactly, for tests:
//!
//! - every write gives the key a new version from one global counter (which skips
//!   0 when it wraps);
//! - `set` on an existing key with `cas` 0 writes unconditionally; any other `cas`
//!   must equal the key's current version, else [`StoreError::CasMismatch`];
//! - `set` on a key that does not exist yet ignores `cas` and creates it, so two
//!   workers creating the same key can both "succeed" (see `budget.rs` for how the
//!   budgets avoid that race);
//! - nothing is ever deleted: keys must be few and reused.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// The key changed since it was read.
    CasMismatch,
    /// The store failed, or stayed contended past the retry bound.
    Unavailable,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::CasMismatch => f.write_str("store value changed since it was read"),
            StoreError::Unavailable => f.write_str("store unavailable"),
        }
    }
}

impl std::error::Error for StoreError {}

pub trait Store {
    /// The value of `key` and its version, or `None` if the key was never written.
    fn get(&self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError>;
    /// Write `value` if `cas` matches (see the module documentation).
    fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError>;
}

impl<T: Store + ?Sized> Store for &T {
    fn get(&self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
        (**self).get(key)
    }

    fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
        (**self).set(key, value, cas)
    }
}

/// An in-memory [`Store`] with Envoy's shared-data semantics, for tests and for
/// native tools. Single-threaded, like one Envoy worker's view of the map.
#[derive(Debug)]
pub struct MemoryStore {
    entries: RefCell<HashMap<String, (Vec<u8>, u32)>>,
    next_version: Cell<u32>,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore::new()
    }
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::starting_at_version(1)
    }

    /// A store whose next write gets `version` (to test the counter wrapping).
    pub fn starting_at_version(version: u32) -> MemoryStore {
        MemoryStore {
            entries: RefCell::new(HashMap::new()),
            next_version: Cell::new(version.max(1)),
        }
    }

    /// Number of keys ever written.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All keys, sorted (for tests that check the key set stays bounded).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.entries.borrow().keys().cloned().collect();
        keys.sort();
        keys
    }

    fn bump_version(&self) -> u32 {
        let version = self.next_version.get();
        let next = match version.wrapping_add(1) {
            0 => 1,
            n => n,
        };
        self.next_version.set(next);
        version
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
        Ok(self.entries.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
        let mut entries = self.entries.borrow_mut();
        if let Some(entry) = entries.get_mut(key) {
            if cas != 0 && cas != entry.1 {
                return Err(StoreError::CasMismatch);
            }
            *entry = (value.to_vec(), self.bump_version());
        } else {
            // Envoy ignores `cas` when the key does not exist yet.
            let version = self.bump_version();
            entries.insert(key.to_string(), (value.to_vec(), version));
        }
        Ok(())
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

    #[test]
    fn creation_ignores_cas() {
        let store = MemoryStore::new();
        store.set("k", b"a", 12345).unwrap();
        assert_eq!(store.get("k").unwrap(), Some((b"a".to_vec(), 1)));
    }

    #[test]
    fn existing_key_needs_matching_cas_or_zero() {
        let store = MemoryStore::new();
        store.set("k", b"a", 0).unwrap();
        let cases: &[(u32, Result<(), StoreError>)] = &[
            (7, Err(StoreError::CasMismatch)),
            (1, Ok(())),
            (1, Err(StoreError::CasMismatch)),
            (0, Ok(())),
        ];
        for (cas, want) in cases {
            assert_eq!(store.set("k", b"b", *cas), *want, "cas {cas}");
        }
        assert_eq!(store.get("k").unwrap().unwrap().1, 3);
    }

    #[test]
    fn versions_are_global_and_skip_zero_on_wrap() {
        let store = MemoryStore::starting_at_version(u32::MAX);
        store.set("a", b"1", 0).unwrap();
        store.set("b", b"2", 0).unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().1, u32::MAX);
        assert_eq!(store.get("b").unwrap().unwrap().1, 1);
        assert_eq!(store.keys(), vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn missing_key_reads_none() {
        assert_eq!(MemoryStore::new().get("nope").unwrap(), None);
    }
}
