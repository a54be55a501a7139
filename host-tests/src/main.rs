//! `customs`: try a policy on a request without deploying it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use customs_host::scenario::{default_answer, RequestBody, RequestSpec};
use customs_host::{
    answer_with, try_wasm_path, HeaderMap, Host, LogLevel, Plugin, Response, Stream,
};
use serde_json::{json, Map, Value};

const HELP: &str = "\
customs: run customs' filter on a request, as Envoy would, without deploying it

usage:
  customs run [--policy POLICY.json] [--wasm PATH] REQUEST.json [--response RESPONSE.json]
  customs check [--wasm PATH] POLICY.json
  customs --help

run     prints, as JSON, what would cross the border (method, path, headers,
        body) or the local response the filter sent instead, and what the
        client would receive. Without --policy the secure defaults apply; without
        --response the provider answers with a typical chat completion (an
        Anthropic message for /v1/messages).
check   loads the filter with POLICY.json: prints `ok`, or the error the filter
        logged and exits with status 1.

REQUEST.json   {\"method\": \"POST\", \"path\": \"/v1/chat/completions\",
                \"headers\": {\"name\": \"value\"} or [[\"name\", \"value\"], ...],
                \"body\": a JSON value, or a string sent as it is}
RESPONSE.json  {\"status\": 200, \"headers\": ..., \"body\": JSON or string}
               or {\"status\": 200, \"headers\": ..., \"sse\": [\"data: ...\\n\\n\", ...]}

The module: --wasm, else $CUSTOMS_WASM, else
target/wasm32-wasip1/release/customs_filter.wasm (built with cargo if stale).
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("--help" | "-h" | "help") => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        Some("run") => Options::parse(&args[1..]).and_then(|o| run(&o)),
        Some("check") => Options::parse(&args[1..]).and_then(|o| check(&o)),
        Some(other) => Err(anyhow::anyhow!(
            "unknown command {other:?}; see customs --help"
        )),
    };
    result.unwrap_or_else(|e| {
        eprintln!("customs: {e:#}");
        ExitCode::from(2)
    })
}

/// Flags and positional arguments, parsed by hand.
#[derive(Default)]
struct Options {
    policy: Option<PathBuf>,
    wasm: Option<PathBuf>,
    response: Option<PathBuf>,
    positional: Vec<PathBuf>,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Options> {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |flag: &str| {
                args.next()
                    .map(PathBuf::from)
                    .with_context(|| format!("{flag} needs a file"))
            };
            match arg.as_str() {
                "--policy" => options.policy = Some(value("--policy")?),
                "--wasm" => options.wasm = Some(value("--wasm")?),
                "--response" => options.response = Some(value("--response")?),
                "--help" | "-h" => {
                    print!("{HELP}");
                    std::process::exit(0);
                }
                flag if flag.starts_with("--") => {
                    bail!("unknown flag {flag:?}; see customs --help")
                }
                file => options.positional.push(PathBuf::from(file)),
            }
        }
        Ok(options)
    }

    fn one_file(&self, what: &str) -> anyhow::Result<&Path> {
        match self.positional.as_slice() {
            [file] => Ok(file),
            [] => bail!("missing {what}; see customs --help"),
            _ => bail!("expected one {what}, got {}", self.positional.len()),
        }
    }

    fn plugin(&self, policy: Option<&Path>) -> anyhow::Result<Plugin> {
        let wasm = match &self.wasm {
            Some(path) => path.clone(),
            None => try_wasm_path()?,
        };
        let mut plugin = Plugin::from_file(&wasm)?;
        if let Some(policy) = policy {
            plugin = plugin.config(read(policy)?);
        }
        Ok(plugin)
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    serde_json::from_str(&read(path)?).with_context(|| format!("{} is not JSON", path.display()))
}

fn check(options: &Options) -> anyhow::Result<ExitCode> {
    let policy = options.one_file("POLICY.json")?;
    let host = Host::new();
    host.echo_logs(false);
    match host.plugin(options.plugin(Some(policy))?).start_vm() {
        Ok(_) => {
            println!("ok");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!(
                "{}",
                e.filter_message()
                    .map_or_else(|| e.to_string(), str::to_string)
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

fn run(options: &Options) -> anyhow::Result<ExitCode> {
    let request = parse_request(&read_json(options.one_file("REQUEST.json")?)?)?;
    let host = Host::new();
    host.echo_logs(false);
    let worker = host
        .plugin(options.plugin(options.policy.as_deref())?)
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
    if stream.upstream().is_some_and(|u| u.complete) {
        match &options.response {
            Some(path) => answer_from_file(&mut stream, &read_json(path)?)?,
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

fn pairs(value: Option<&Value>) -> anyhow::Result<Vec<(String, String)>> {
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
        headers: pairs(file.get("headers"))?,
        body,
    })
}

fn answer_from_file(stream: &mut Stream, file: &Value) -> anyhow::Result<()> {
    let status = file.get("status").and_then(Value::as_u64).unwrap_or(200);
    let mut response = Response::new(u16::try_from(status).context("status out of range")?);
    for (k, v) in pairs(file.get("headers"))? {
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
