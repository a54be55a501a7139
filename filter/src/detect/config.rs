//! The policy's `detect` section and its validation.

use serde::Deserialize;

use super::category::Category;
use super::custom::{normalized_term, Pattern};
use crate::policy::PolicyError;

/// The `detect` section of the policy. The default switches every built-in
/// detector on and defines no customer categories.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScannerConfig {
    /// Built-in categories switched off, by name.
    #[serde(default)]
    pub disabled: Vec<String>,
    #[serde(default)]
    pub dictionaries: Vec<Dictionary>,
    #[serde(default)]
    pub patterns: Vec<CustomPattern>,
}

/// Terms that make up a customer category, matched ASCII case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Dictionary {
    pub category: String,
    pub terms: Vec<String>,
    /// Whether a Latin-script term must stand as a whole word; CJK terms match
    /// anywhere either way.
    #[serde(default = "whole_words_default")]
    pub whole_words: bool,
}

fn whole_words_default() -> bool {
    true
}

/// A regular expression (regex-lite syntax) that makes up a customer category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomPattern {
    pub category: String,
    pub regex: String,
}

/// Longest accepted dictionary term, in bytes.
const MAX_TERM: usize = 256;

impl ScannerConfig {
    /// Checks the section; errors name the field relative to it
    /// (`dictionaries[2].terms[0]`), and never echo a term, which may itself be
    /// confidential.
    pub fn validate(&self) -> Result<(), PolicyError> {
        for (i, name) in self.disabled.iter().enumerate() {
            if Category::from_name(name).is_none() {
                return Err(PolicyError::new(
                    format!("disabled[{i}]"),
                    format!("unknown category `{name}`"),
                ));
            }
        }
        for (i, d) in self.dictionaries.iter().enumerate() {
            let at = format!("dictionaries[{i}]");
            check_category_name(&d.category)
                .map_err(|e| PolicyError::new(format!("{at}.category"), e))?;
            if d.terms.is_empty() {
                return Err(PolicyError::new(format!("{at}.terms"), "no terms"));
            }
            for (j, term) in d.terms.iter().enumerate() {
                let field = || format!("{at}.terms[{j}]");
                let term = normalized_term(term);
                if term.is_empty() {
                    return Err(PolicyError::new(field(), "empty term"));
                }
                if term.len() > MAX_TERM {
                    return Err(PolicyError::new(
                        field(),
                        format!("term longer than {MAX_TERM} bytes"),
                    ));
                }
            }
        }
        for (i, p) in self.patterns.iter().enumerate() {
            let at = format!("patterns[{i}]");
            check_category_name(&p.category)
                .map_err(|e| PolicyError::new(format!("{at}.category"), e))?;
            Pattern::new(p).map_err(|e| PolicyError::new(format!("{at}.regex"), e))?;
        }
        Ok(())
    }
}

fn check_category_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty category name".to_string());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(format!(
            "invalid category name `{name}`: use a-z, 0-9 and _"
        ));
    }
    if Category::from_name(name).is_some() {
        return Err(format!(
            "category `{name}` is built in; choose another name"
        ));
    }
    Ok(())
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
    use crate::detect::Scanner;

    fn config(json: &str) -> ScannerConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn config_parses_with_defaults() {
        let cfg = config(
            r#"{"disabled":["ipv4"],"dictionaries":[{"category":"codenames","terms":["falcon"]}],"patterns":[{"category":"emp","regex":"EMP-\\d+"}]}"#,
        );
        assert!(cfg.dictionaries[0].whole_words);
        assert!(cfg.validate().is_ok());
        assert_eq!(config("{}"), ScannerConfig::default());
        assert!(serde_json::from_str::<ScannerConfig>(r#"{"disable":[]}"#).is_err());
        assert!(serde_json::from_str::<ScannerConfig>(
            r#"{"dictionaries":[{"category":"a","terms":[],"wholewords":true}]}"#
        )
        .is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let cases = [
            (
                r#"{"disabled":["email","emial"]}"#,
                "disabled[1]",
                "unknown category `emial`",
            ),
            (
                r#"{"dictionaries":[{"category":"a","terms":["x"]},{"category":"b","terms":["x"]},{"category":"c","terms":["  "]}]}"#,
                "dictionaries[2].terms[0]",
                "empty term",
            ),
            (
                r#"{"dictionaries":[{"category":"c","terms":["\u200b"]}]}"#,
                "dictionaries[0].terms[0]",
                "empty term",
            ),
            (
                r#"{"dictionaries":[{"category":"c","terms":[]}]}"#,
                "dictionaries[0].terms",
                "no terms",
            ),
            (
                r#"{"dictionaries":[{"category":"","terms":["x"]}]}"#,
                "dictionaries[0].category",
                "empty category name",
            ),
            (
                r#"{"dictionaries":[{"category":"Code-Names","terms":["x"]}]}"#,
                "dictionaries[0].category",
                "invalid category name `Code-Names`: use a-z, 0-9 and _",
            ),
            (
                r#"{"patterns":[{"category":"email","regex":"x"}]}"#,
                "patterns[0].category",
                "category `email` is built in; choose another name",
            ),
            (
                r#"{"patterns":[{"category":"p","regex":"a*"}]}"#,
                "patterns[0].regex",
                "regex matches the empty string",
            ),
        ];
        for (json, field, message) in cases {
            let err = config(json).validate().unwrap_err();
            assert_eq!((err.field(), err.message()), (field, message), "{json}");
            assert!(Scanner::new(&config(json)).is_err());
        }
        let err = config(r#"{"patterns":[{"category":"p","regex":"(unclosed"}]}"#)
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), "patterns[0].regex");
        assert!(
            err.message().starts_with("invalid regex: "),
            "{}",
            err.message()
        );
        let long = format!(
            r#"{{"dictionaries":[{{"category":"c","terms":["{}"]}}]}}"#,
            "a".repeat(300)
        );
        assert_eq!(
            config(&long).validate().unwrap_err().message(),
            "term longer than 256 bytes"
        );
    }

    #[test]
    fn errors_never_echo_terms() {
        let err = config(r#"{"dictionaries":[{"category":"c","terms":["secret-term", ""]}]}"#)
            .validate()
            .unwrap_err();
        assert!(!err.to_string().contains("secret-term"));
    }
}
