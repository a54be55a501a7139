//! `customs verify`: does an attestation header match the body that arrived,
//! under one of the keys the receiving side holds?

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use customs_filter::tags::attest;
use customs_host::scenario::decode_base64;
use serde_json::Value;

use super::{header_pairs, read_json, Args};

/// Where keys come from when not on the command line: `kid=secret,kid2=secret2`.
const KEYS_ENV: &str = "CUSTOMS_ATTESTATION_KEYS";

/// The tag prefix of the default policy.
const DEFAULT_TAG_PREFIX: &str = "x-customs-";

pub fn main(args: &[String]) -> anyhow::Result<ExitCode> {
    let args = Args::parse(
        args,
        &[
            ("--key", "KID=SECRET"),
            ("--header", "an attestation header value"),
            ("--body", "a file"),
            ("--body-text", "a text"),
            ("--request-record", "a file"),
            ("--tag-prefix", "a header prefix"),
        ],
    )?;
    args.no_positional()?;
    let keys = keys(&args)?;
    let (header, body) = header_and_body(&args)?;
    match attest::verify(&header, &body, &keys) {
        Ok(claims) => {
            println!(
                "ok: tenant={} request_id={} policy={} ts={}",
                claims.tenant, claims.request_id, claims.policy, claims.timestamp_ms
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Keys from `--key` flags, then from the environment. Errors never echo a
/// secret.
fn keys(args: &Args) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut keys = Vec::new();
    for (n, entry) in args.all("--key").into_iter().enumerate() {
        keys.push(key(entry).with_context(|| format!("--key number {}", n + 1))?);
    }
    if let Some(list) = std::env::var_os(KEYS_ENV) {
        let list = list
            .into_string()
            .map_err(|_| anyhow::anyhow!("{KEYS_ENV} is not UTF-8"))?;
        for (n, entry) in list.split(',').filter(|e| !e.trim().is_empty()).enumerate() {
            keys.push(key(entry.trim()).with_context(|| format!("{KEYS_ENV} entry {}", n + 1))?);
        }
    }
    if keys.is_empty() {
        bail!("no keys: give --key KID=SECRET or set {KEYS_ENV}");
    }
    Ok(keys)
}

fn key(entry: &str) -> anyhow::Result<(String, Vec<u8>)> {
    match entry.split_once('=') {
        Some((kid, secret)) if !kid.is_empty() && !secret.is_empty() => {
            Ok((kid.to_string(), secret.as_bytes().to_vec()))
        }
        _ => bail!("expected KID=SECRET with neither empty"),
    }
}

fn header_and_body(args: &Args) -> anyhow::Result<(String, Vec<u8>)> {
    let header = args.one("--header")?;
    let body_file = args.one("--body")?;
    let body_text = args.one("--body-text")?;
    if let Some(record) = args.one("--request-record")? {
        if header.is_some() || body_file.is_some() || body_text.is_some() {
            bail!("--request-record gives the header and the body: drop --header, --body and --body-text");
        }
        let prefix = args.one("--tag-prefix")?.unwrap_or(DEFAULT_TAG_PREFIX);
        return from_record(
            &read_json(Path::new(record))?,
            &format!("{prefix}attestation"),
        )
        .with_context(|| format!("request record {record}"));
    }
    if args.one("--tag-prefix")?.is_some() {
        bail!("--tag-prefix only applies to --request-record");
    }
    let header = header.context("missing --header (or --request-record); see customs --help")?;
    let body = match (body_file, body_text) {
        (Some(file), None) => std::fs::read(file).with_context(|| format!("reading {file}"))?,
        (None, Some(text)) => text.as_bytes().to_vec(),
        (None, None) => bail!("missing --body FILE or --body-text TEXT"),
        (Some(_), Some(_)) => bail!("give --body or --body-text, not both"),
    };
    Ok((header.to_string(), body))
}

/// The attestation header and the raw body of a request the mock provider
/// recorded.
fn from_record(record: &Value, header_name: &str) -> anyhow::Result<(String, Vec<u8>)> {
    if let Some(list) = record.as_array() {
        bail!(
            "expected one request (an object), got a list of {}: pick one, e.g. with jq '.[-1]'",
            list.len()
        );
    }
    let headers = header_pairs(record.get("headers"))?;
    let mut found = headers
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(header_name))
        .map(|(_, value)| value);
    let header = found
        .next()
        .with_context(|| format!("no {header_name} header"))?;
    if found.next().is_some() {
        bail!("more than one {header_name} header");
    }
    let body = match record.get("body_base64") {
        Some(Value::String(b64)) => {
            decode_base64(b64).map_err(|e| anyhow::anyhow!("body_base64: {e}"))?
        }
        Some(other) => bail!("body_base64 must be a string, got {other}"),
        None => bail!("no \"body_base64\""),
    };
    Ok((header, body))
}
