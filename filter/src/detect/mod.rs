//! Detection of sensitive data in the texts a request sends to a model.
//!
//! One [`Scanner`], built once from the policy's `detect` section, finds every
//! [`Finding`] in a string: e-mail addresses, phone numbers, national and company
//! identifiers, payment cards, IBANs, IP addresses, API keys and other secrets, plus
//! the customer's own dictionaries and patterns.
//!
//! How it works, and why:
//! - The string is normalised once (`normalize`): full-width forms fold to ASCII,
//!   zero-width characters vanish, odd spaces and dashes become plain ones. An offset
//!   map leads every finding back to its span in the original string. Pure ASCII, or
//!   text with nothing to fold, skips the map.
//! - The built-in detectors are hand-written byte scanners driven from one pass
//!   over the normalised text (`scanner`). A quick loop skips to the next byte
//!   that can start something: a digit starts the number parser (`numbers`) or,
//!   inside a word, the IBAN and credit-code checks (`ids`) and the Hong Kong,
//!   Taiwan and Singapore identity numbers (`national_ids`); before either
//!   (tried in turn by `named_values`), a
//!   document's name right before the digit's word makes it a passport or
//!   identity number (`documents`), a date's a date of birth
//!   (`birth_dates`), a phone's a number without its country code
//!   (`phones`), an account's a bank account number (`accounts`), and a
//!   table's header over the digit's cell names it
//!   the same way (`columns`), as does an SQL `INSERT`'s column list over
//!   the values of its rows (`inserts`) and an HTML table's first row over
//!   its cells (`html_tables`); `@` the e-mail
//!   scanner; `+` international phones; `:` IPv6 and, with `=`, a credential's
//!   name or a URL's password (`credentials`); `-`, `_`, `A` and `J` the
//!   secret prefixes (`secrets`). Plain words cost one table lookup per byte.
//!   There is no regular expression per category, and no scanner reads a byte
//!   more than a small constant number of times, whatever the input.
//! - Numbers are found by looking at their neighbours, not by `\b`: a digit run next
//!   to CJK text is a candidate, a digit run inside a longer run of ASCII letters or
//!   digits never is.
//! - Checksums decide where one exists (Luhn, MOD 11-2, MOD 31, MOD 97); look-alikes
//!   (order numbers, timestamps, UUIDs, versions, dates) fail the shapes or the sums.
//! - Overlapping candidates are resolved to one: a secret beats anything, otherwise
//!   the longer span wins, and on equal spans a checksummed identifier beats the rest.
//!
//! Choices worth knowing (each detector's module says more):
//! - An all-digit 18-character string is a resident ID when it passes that check;
//!   otherwise it is a credit code only if it also has a known region and a valid
//!   organisation-code check, since one random number in 31 passes MOD 31 alone.
//! - A bare 9-digit SSN counts only right after "SSN" or "social security".
//! - IBANs count only for countries in the registry table, at their exact length.
//! - A compressed IPv6 address needs a digit and a group of three hex digits or an
//!   IPv4 tail (so `::1` and `a[1::2]` do not count).
//! - Separators inside numbers are one space, dash or dot between groups; card
//!   groups have at least three digits.

mod accounts;
mod birth_dates;
mod bytes;
mod category;
mod checks;
mod columns;
mod config;
mod credentials;
mod custom;
mod documents;
mod email;
mod html_tables;
mod ids;
mod inserts;
mod ipv6;
mod lead;
mod named;
mod named_values;
mod national_ids;
mod normalize;
mod north_american;
mod numbers;
mod numerals;
mod phones;
mod prefilter;
mod scanner;
mod secrets;

#[cfg(test)]
mod testing;

pub use category::{Category, BUILTIN_CATEGORIES};
pub use named::Named;
pub use normalize::{decimal_digit, may_stand_in_value};
pub use numerals::chinese_numeral;
pub use scanner::{CustomPattern, Dictionary, Finding, Scanner, ScannerConfig};
