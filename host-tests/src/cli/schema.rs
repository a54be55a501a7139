//! `customs schema`: the JSON Schema of the policy, derived from the Rust types
//! the filter parses it into, so that editors can check a policy as it is typed.

use std::io::Write as _;
use std::process::ExitCode;

use customs_filter::policy::Policy;

use super::Args;

pub fn main(args: &[String]) -> anyhow::Result<ExitCode> {
    Args::parse(args, &[])?.no_positional()?;
    let schema = serde_json::to_string_pretty(&schemars::schema_for!(Policy))?;
    // A closed pipe (`customs schema | head`) is not an error.
    let _ = writeln!(std::io::stdout().lock(), "{schema}");
    Ok(ExitCode::SUCCESS)
}
