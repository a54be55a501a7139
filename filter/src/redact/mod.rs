//! Redaction: what happens to a finding, removed fields and headers, findings in
//! header values and the query string, and putting pseudonyms back in answers.

pub mod apply;
pub mod fields;
pub mod head;
pub mod headers;
mod literals;
pub mod restore;
pub mod rules;
pub mod stream_scan;
pub mod walk;

pub use rules::{Action, RedactRules};
