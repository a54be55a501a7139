//! The error a policy is refused with: it names the field and the problem.

use std::fmt;

/// Why a policy was refused. `field` is a dotted path into the policy document
/// (`tenants.team-a.limits.tokens_per_minute`), `message` says what is wrong with
/// it in lower case, naming the bad value where that value is not a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    field: String,
    message: String,
}

impl PolicyError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> PolicyError {
        PolicyError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The dotted path of the offending field (empty for the document itself).
    pub fn field(&self) -> &str {
        &self.field
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefix the field path with an enclosing section, for errors raised by a
    /// section's own validation.
    pub fn within(mut self, section: &str) -> PolicyError {
        self.field = if self.field.is_empty() {
            section.to_string()
        } else {
            format!("{section}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "invalid policy: {}", self.message)
        } else {
            write!(
                f,
                "invalid policy: field `{}`: {}",
                self.field, self.message
            )
        }
    }
}

impl std::error::Error for PolicyError {}
