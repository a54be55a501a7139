//! Detection of sensitive data in the texts a request sends to a model.
//!
//! One [`Scanner`], built once from the policy's `detect` section, finds every
//! [`Finding`] in a string: e-mail addresses, phone numbers, national and company
//! identifiers, payment cards, IBANs, IP addresses, API keys and other secrets, plus
//! the customer's own dictionaries and patterns.
//!
//! How it works, and why:
//! - The string is normalised once ([`normalize`]): full-width forms fold to ASCII,
//!   zero-width characters vanish, odd spaces and dashes become plain ones. An offset
//!   map leads every finding back to its span in the original string. Pure ASCII, or
//!   text with nothing to fold, skips the map.
//! - The built-in detectors are hand-written byte scanners driven from one pass over
//!   the normalised text ([`scanner`]): a word that starts with a digit goes to the
//!   number parser ([`numbers`]), `@` to the e-mail scanner, known prefixes to the
//!   secret scanners. There is no regular expression per category, and no scanner
//!   looks at a byte more than a small constant number of times.
//! - Numbers are found by looking at their neighbours, not by `\b`: a digit run next
//!   to CJK text is a candidate, a digit run inside a longer run of ASCII letters or
//!   digits never is.
//! - Checksums decide where one exists (Luhn, MOD 11-2, MOD 31, MOD 97); look-alikes
//!   (order numbers, timestamps, UUIDs, versions, dates) fail the shapes or the sums.
//! - Overlapping candidates are resolved to one: a secret beats anything, otherwise
//!   the longer span wins, and on equal spans a checksummed identifier beats the rest.

mod bytes;
mod category;
mod checks;
mod custom;
mod email;
mod ids;
mod ipv6;
mod normalize;
mod numbers;
mod scanner;
mod secrets;

#[cfg(test)]
mod testing;

pub use category::{Category, BUILTIN_CATEGORIES};
pub use scanner::{CustomPattern, Dictionary, Finding, Scanner, ScannerConfig};
