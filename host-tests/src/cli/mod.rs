//! The subcommands of `customs`, one module each, and what they share: a small
//! hand-written argument parser and file readers.

pub mod bench_detect;
mod bench_hostile;
pub mod check;
pub mod corpus;
pub mod estimate;
pub mod run;
pub mod schema;
pub mod tenant_of;
pub mod verify;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use customs_host::{try_wasm_path, Plugin};
use serde_json::Value;

/// A subcommand's arguments: flags that take a value, in the order given, and
/// positional arguments.
pub struct Args {
    values: Vec<(&'static str, String)>,
    pub positional: Vec<String>,
}

impl Args {
    /// Parses `args` against `flags`, each a flag name and what its value is (for
    /// the error when the value is missing). `--help` prints the usage and exits.
    pub fn parse(args: &[String], flags: &[(&'static str, &str)]) -> anyhow::Result<Args> {
        let mut parsed = Args {
            values: Vec::new(),
            positional: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if let Some(&(name, what)) = flags.iter().find(|(name, _)| name == arg) {
                let value = args
                    .next()
                    .with_context(|| format!("{name} needs {what}"))?;
                parsed.values.push((name, value.clone()));
            } else if arg == "--help" || arg == "-h" {
                print!("{}", crate::HELP);
                std::process::exit(0);
            } else if arg.starts_with("--") {
                bail!("unknown flag {arg:?}; see customs --help");
            } else {
                parsed.positional.push(arg.clone());
            }
        }
        Ok(parsed)
    }

    /// Every value given to `flag`, in order.
    pub fn all(&self, flag: &str) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(name, _)| *name == flag)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The value of a flag that may be given at most once.
    pub fn one(&self, flag: &str) -> anyhow::Result<Option<&str>> {
        match self.all(flag).as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => bail!("{flag} given more than once"),
        }
    }

    /// The one positional argument, `what` naming it in errors.
    pub fn one_positional(&self, what: &str) -> anyhow::Result<&str> {
        match self.positional.as_slice() {
            [one] => Ok(one),
            [] => bail!("missing {what}; see customs --help"),
            _ => bail!("expected one {what}, got {}", self.positional.len()),
        }
    }

    /// Fails when positional arguments were given to a command that takes none.
    pub fn no_positional(&self) -> anyhow::Result<()> {
        match self.positional.first() {
            None => Ok(()),
            Some(extra) => bail!("unexpected argument {extra:?}; see customs --help"),
        }
    }
}

pub fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

pub fn read_json(path: &Path) -> anyhow::Result<Value> {
    serde_json::from_str(&read(path)?).with_context(|| format!("{} is not JSON", path.display()))
}

/// The filter's module (`--wasm`, else the default) loaded with `policy`.
pub fn plugin(wasm: Option<&str>, policy: Option<&str>) -> anyhow::Result<Plugin> {
    let wasm = match wasm {
        Some(path) => PathBuf::from(path),
        None => try_wasm_path()?,
    };
    let mut plugin = Plugin::from_file(&wasm)?;
    if let Some(policy) = policy {
        plugin = plugin.config(read(Path::new(policy))?);
    }
    Ok(plugin)
}

/// Headers written as `{"name": "value"}` or `[["name", "value"], ...]`.
pub fn header_pairs(value: Option<&Value>) -> anyhow::Result<Vec<(String, String)>> {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => Ok(map.iter().map(|(k, v)| (k.clone(), text(v))).collect()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([k, v]) => Ok((text(k), text(v))),
                _ => bail!("a header pair must be [name, value], got {pair}"),
            })
            .collect(),
        Some(other) => bail!("headers must be an object or a list of pairs, got {other}"),
    }
}
