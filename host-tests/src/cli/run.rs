//! `customs run`: what a request would look like once past customs, and what
//! the client would get back.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use customs_host::scenario::{default_answer, RequestBody, RequestSpec};
use customs_host::{answer_with, HeaderMap, Host, LogLevel, Response, Stream};
use serde_json::{json, Map, Value};

use super::{header_pairs, plugin, read_json, Args};

pub fn main(args: &[String]) -> anyhow::Result<ExitCode> {
    let args = Args::parse(
        args,
        &[
            ("--policy", "a file"),
            ("--wasm", "a file"),
            ("--response", "a file"),
        ],
    )?;
    let request = parse_request(&read_json(Path::new(args.one_positional("REQUEST.json")?))?)?;
    let host = Host::new();
    host.echo_logs(false);
    let worker = host
        .plugin(plugin(args.one("--wasm")?, args.one("--policy")?)?)
        .start_vm()?;
    let mut stream = worker.stream();
    let body = request.body_bytes();
    let mut headers = vec![
        (":method".to_string(), request.method.clone()),
        (":path".to_string(), request.path.clone()),
    ];
    headers.extend(request.headers.iter().cloned());
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        headers.push(("content-length".into(), body.len().to_string()));
    }
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    stream.send_request(&pairs, &body, 3);
    if stream.crossed() {
        match args.one("--response")? {
            Some(path) => answer_from_file(&mut stream, &read_json(Path::new(path))?)?,
            None => answer_with(&mut stream, &default_answer(&request)),
        }
    }
    let logs: Vec<String> = host
        .logs()
        .iter()
        .filter(|l| l.level >= LogLevel::Info)
        .map(|l| format!("{}: {}", l.level.name(), l.message))
        .collect();
    // A closed pipe (`customs run ... | head`) is not an error worth a panic.
    let _ = writeln!(
        std::io::stdout().lock(),
        "{}",
        print_node(&report(&stream, logs), 0)
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_request(file: &Value) -> anyhow::Result<RequestSpec> {
    let path = file
        .get("path")
        .and_then(Value::as_str)
        .context("the request needs a \"path\"")?;
    let method = file.get("method").and_then(Value::as_str).unwrap_or("POST");
    let body = match file.get("body") {
        None | Some(Value::Null) => RequestBody::Empty,
        Some(Value::String(text)) => RequestBody::Text(text.clone()),
        Some(json) => RequestBody::Json(json.clone()),
    };
    Ok(RequestSpec {
        method: method.to_string(),
        path: path.to_string(),
        headers: header_pairs(file.get("headers"))?,
        body,
    })
}

fn answer_from_file(stream: &mut Stream, file: &Value) -> anyhow::Result<()> {
    let status = file.get("status").and_then(Value::as_u64).unwrap_or(200);
    let mut response = Response::new(u16::try_from(status).context("status out of range")?);
    for (k, v) in header_pairs(file.get("headers"))? {
        response = response.header(&k, &v);
    }
    if let Some(events) = file.get("sse") {
        let events: Vec<String> =
            serde_json::from_value(events.clone()).context("\"sse\" must be a list of strings")?;
        if !response.headers.iter().any(|(k, _)| k == "content-type") {
            response = response.header("content-type", "text/event-stream");
        }
        let chunks: Vec<&[u8]> = events.iter().map(|e| e.as_bytes()).collect();
        stream.respond_chunks(&response, &chunks);
        return Ok(());
    }
    let body = match file.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => text.clone().into_bytes(),
        Some(json) => {
            if !response.headers.iter().any(|(k, _)| k == "content-type") {
                response = response.header("content-type", "application/json");
            }
            json.to_string().into_bytes()
        }
    };
    stream.respond(&response.body(body));
    Ok(())
}

/// Headers as an object; a name given several times maps to a list.
fn headers_json(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for (k, v) in headers.iter().filter(|(k, _)| !k.starts_with(':')) {
        match out.get_mut(k) {
            Some(Value::Array(list)) => list.push(json!(v)),
            Some(first) => *first = json!([first.clone(), v]),
            None => {
                out.insert(k.to_string(), json!(v));
            }
        }
    }
    Value::Object(out)
}

/// A body as JSON when it parses, else as text.
fn body_json(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// A JSON object whose keys print in the order given (serde_json's maps
/// sort theirs).
enum Node {
    Value(Value),
    Object(Vec<(&'static str, Node)>),
}

fn print_node(node: &Node, indent: usize) -> String {
    let pad = "  ".repeat(indent);
    match node {
        Node::Value(value) => serde_json::to_string_pretty(value)
            .unwrap_or_default()
            .replace('\n', &format!("\n{pad}")),
        Node::Object(fields) => {
            let lines: Vec<String> = fields
                .iter()
                .map(|(key, value)| {
                    format!("{pad}  {}: {}", json!(key), print_node(value, indent + 1))
                })
                .collect();
            format!("{{\n{}\n{pad}}}", lines.join(",\n"))
        }
    }
}

fn report(stream: &Stream, logs: Vec<String>) -> Node {
    let mut out = Vec::new();
    if let Some(up) = stream.upstream() {
        out.push((
            "crossed",
            Node::Object(vec![
                ("method", Node::Value(json!(up.method()))),
                ("path", Node::Value(json!(up.path()))),
                ("headers", Node::Value(headers_json(&up.headers))),
                ("body", Node::Value(body_json(&up.body))),
            ]),
        ));
    }
    let client = stream.client();
    if let Some(local) = &client.local_reply {
        let by = if local.by_filter { "filter" } else { "envoy" };
        out.push((
            "local_response",
            Node::Object(vec![
                ("by", Node::Value(json!(by))),
                ("status", Node::Value(json!(local.status))),
                ("details", Node::Value(json!(local.details))),
            ]),
        ));
    }
    let mut got = vec![
        ("status", Node::Value(json!(client.status))),
        ("headers", Node::Value(headers_json(&client.headers))),
        ("body", Node::Value(body_json(&client.body))),
    ];
    if client.chunks.len() > 1 {
        got.push(("chunks", Node::Value(json!(client.chunks.len()))));
    }
    if client.reset {
        got.push(("reset", Node::Value(json!(true))));
    }
    out.push(("client", Node::Object(got)));
    if let Some(trap) = stream.trap() {
        out.push(("trap", Node::Value(json!(trap.to_string()))));
    }
    if !logs.is_empty() {
        out.push(("log", Node::Value(json!(logs))));
    }
    Node::Object(out)
}
