//! `customs tenant-of`: the keyed hash under which the policy's
//! `tenants.api_keys` map lists an API key, so that the map never holds a key.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use customs_filter::engine::key_hash;

use super::Args;

/// Where the secret comes from when not on the command line.
const SECRET_ENV: &str = "CUSTOMS_API_KEY_HMAC_SECRET";

pub fn main(args: &[String]) -> anyhow::Result<ExitCode> {
    let args = Args::parse(args, &[("--secret", "the policy's api_key_hmac_secret")])?;
    let secret = match args.one("--secret")? {
        Some(secret) => secret.to_string(),
        None => std::env::var(SECRET_ENV)
            .ok()
            .with_context(|| format!("missing --secret SECRET (or set {SECRET_ENV})"))?,
    };
    if secret.is_empty() {
        bail!("the secret is empty");
    }
    let key = match args.one_positional("API_KEY")? {
        "-" => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the API key from standard input")?;
            line
        }
        key => key.to_string(),
    };
    println!("{}", key_hash(&secret, api_key(&key)?));
    Ok(ExitCode::SUCCESS)
}

/// The key as the filter hashes it: an `Authorization` value's `Bearer `
/// prefix and surrounding spaces removed.
fn api_key(given: &str) -> anyhow::Result<&str> {
    let trimmed = given.trim();
    let key = trimmed
        .strip_prefix("Bearer ")
        .or_else(|| trimmed.strip_prefix("bearer "))
        .unwrap_or(trimmed)
        .trim();
    if key.is_empty() {
        bail!("the API key is empty");
    }
    Ok(key)
}
