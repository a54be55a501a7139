//! Redaction: what happens to a finding, removed fields and headers, and putting
//! pseudonyms back in answers.

pub mod fields;
pub mod restore;
pub mod rules;
pub mod walk;

pub use rules::{Action, RedactRules};
