//! Removing configured JSON fields by path: `user`, `metadata.session`,
//! `messages[*].name`, `input[0].id`.

use crate::json::Json;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Each,
    Index(usize),
}

/// A parsed field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    steps: Vec<Step>,
}

impl FieldPath {
    /// Parses `a.b[*].c[2]`. The message names what is wrong.
    pub fn parse(path: &str) -> Result<FieldPath, String> {
        let mut steps = Vec::new();
        for part in path.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (
                    part.get(..i).unwrap_or_default(),
                    part.get(i..).unwrap_or_default(),
                ),
                None => (part, ""),
            };
            if key.is_empty() {
                return Err(format!("`{path}` has an empty field name"));
            }
            steps.push(Step::Key(key.to_string()));
            while !rest.is_empty() {
                let close = rest
                    .find(']')
                    .ok_or_else(|| format!("`{path}` has an unclosed `[`"))?;
                let inner = rest.get(1..close).unwrap_or_default();
                steps.push(match inner {
                    "*" => Step::Each,
                    n => {
                        Step::Index(n.parse().map_err(|_| {
                            format!("`{path}`: `[{n}]` is neither `[*]` nor an index")
                        })?)
                    }
                });
                rest = rest.get(close + 1..).unwrap_or_default();
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(format!("`{path}`: unexpected text after `]`"));
                }
            }
        }
        Ok(FieldPath { steps })
    }

    /// Removes every field the path names; returns how many were removed.
    pub fn remove_from(&self, body: &mut Json) -> usize {
        remove(&self.steps, body)
    }
}

fn remove(steps: &[Step], value: &mut Json) -> usize {
    let Some((step, rest)) = steps.split_first() else {
        return 0;
    };
    match (step, value) {
        (Step::Key(k), v @ Json::Object(_)) if rest.is_empty() => usize::from(v.remove(k)),
        (Step::Key(k), v @ Json::Object(_)) => v.get_mut(k).map_or(0, |child| remove(rest, child)),
        (Step::Each, Json::Array(items)) => items.iter_mut().map(|item| remove(rest, item)).sum(),
        (Step::Index(i), Json::Array(items)) => {
            items.get_mut(*i).map_or(0, |item| remove(rest, item))
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::expect_used,
        clippy::panic
    )]
    use super::*;
    use crate::json;

    #[test]
    fn removes_what_the_path_names() {
        let doc = r#"{"user":"u","metadata":{"a":1,"b":2},"messages":[{"name":"n1","content":"c"},{"content":"d"},{"name":"n3"}]}"#;
        let cases: &[(&str, usize, &str)] = &[
            (
                "user",
                1,
                r#"{"metadata":{"a":1,"b":2},"messages":[{"name":"n1","content":"c"},{"content":"d"},{"name":"n3"}]}"#,
            ),
            (
                "metadata.b",
                1,
                r#"{"user":"u","metadata":{"a":1},"messages":[{"name":"n1","content":"c"},{"content":"d"},{"name":"n3"}]}"#,
            ),
            (
                "messages[*].name",
                2,
                r#"{"user":"u","metadata":{"a":1,"b":2},"messages":[{"content":"c"},{"content":"d"},{}]}"#,
            ),
            (
                "messages[2].name",
                1,
                r#"{"user":"u","metadata":{"a":1,"b":2},"messages":[{"name":"n1","content":"c"},{"content":"d"},{}]}"#,
            ),
            ("absent", 0, doc),
            ("user.deeper", 0, doc),
        ];
        for (path, n, want) in cases {
            let mut body = json::parse(doc.as_bytes(), 64).unwrap();
            assert_eq!(
                FieldPath::parse(path).unwrap().remove_from(&mut body),
                *n,
                "{path}"
            );
            assert_eq!(body.to_string_compact(), *want, "{path}");
        }
    }

    #[test]
    fn bad_paths_are_named() {
        for bad in ["", "a..b", "a[", "a[x]", "a[1]b", "[1]"] {
            let err = FieldPath::parse(bad).unwrap_err();
            assert!(err.contains(&format!("`{bad}`")), "{bad}: {err}");
        }
    }
}
