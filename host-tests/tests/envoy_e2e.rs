//! customs in a real Envoy: every scenario of `scenarios/*.json` through Envoy
//! 1.40 with the release .wasm, against the mock provider (`envoy/mock_provider.py`).
//!
//! Needs Envoy (`envoy/install.sh`), python3 and the release .wasm
//! (`cargo build -p customs-filter --target wasm32-wasip1 --release`), so the
//! tests are ignored by default:
//!
//! ```text
//! cargo test -p customs-host --test envoy_e2e -- --ignored
//! ```
//!
//! `CUSTOMS_ENVOY` overrides the Envoy binary (default `.venv/bin/envoy`),
//! `CUSTOMS_WASM` the module (default `target/wasm32-wasip1/release/customs_filter.wasm`);
//! `CUSTOMS_SCENARIO=text` runs only the scenarios whose name contains `text`.
//! Everything binds 127.0.0.1 on ports picked by the OS, and every process
//! started here is killed when its guard drops, also when a test panics.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

#[path = "common/envoy.rs"]
mod envoy;

use envoy::{free_port, http, root, tail, HttpResponse as Response, TempDir};

use customs_host::scenario::{self, AnswerBody, AnswerSpec, Crossed, Outcome, Scenario};
use serde_json::{json, Value};

#[test]
#[ignore = "needs Envoy: envoy/install.sh"]
fn every_scenario_passes_through_real_envoy() {
    let tools = Tools::find();
    let files = scenario::load_all(&scenario::scenarios_dir()).expect("loading the scenario files");

    // One Envoy per distinct policy; scenarios keep their file order within it.
    // CUSTOMS_SCENARIO=text runs only the scenarios whose name contains it.
    let only = std::env::var("CUSTOMS_SCENARIO").unwrap_or_default();
    let mut groups: BTreeMap<String, (Option<Value>, Vec<&Scenario>)> = BTreeMap::new();
    for file in &files {
        for s in file.scenarios.iter().filter(|s| s.name.contains(&only)) {
            let policy = s.policy_json(file).cloned();
            let key = policy
                .as_ref()
                .map_or_else(|| "(none)".to_string(), Value::to_string);
            groups
                .entry(key)
                .or_insert_with(|| (policy, Vec::new()))
                .1
                .push(s);
        }
    }

    let dir = TempDir::new("customs-e2e");
    let mock = Mock::start(&dir);
    let mut failures = Vec::new();
    let mut passed = Vec::new();
    for (key, (policy, scenarios)) in &groups {
        let envoy =
            match Envoy::start(&tools, &dir, policy.as_ref(), mock.port).and_then(|e| e.ready()) {
                Ok(envoy) => envoy,
                Err(err) => {
                    for s in scenarios {
                        failures.push(format!(
                            "{} [policy {key}]:\n  envoy did not start: {err}",
                            s.name
                        ));
                    }
                    continue;
                }
            };
        let before = failures.len();
        for s in scenarios {
            match run(&mock, &envoy, s).and_then(|o| scenario::check(s, &o)) {
                Ok(()) => passed.push(s.name.clone()),
                Err(err) => failures.push(format!(
                    "{} [policy {key}]:\n  {}",
                    s.name,
                    err.replace('\n', "\n  ")
                )),
            }
        }
        if failures.len() > before {
            failures.push(format!("filter log of policy {key}:\n{}", envoy.wasm_log()));
        }
    }

    for name in &passed {
        println!("ok    {name}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios passed through Envoy; failures:\n\n{}",
        passed.len(),
        groups.values().map(|(_, s)| s.len()).sum::<usize>(),
        failures.join("\n\n")
    );
}

#[test]
#[ignore = "needs Envoy: envoy/install.sh"]
fn a_policy_the_filter_refuses_keeps_envoy_from_starting() {
    let tools = Tools::find();
    let dir = TempDir::new("customs-e2e");
    let mut envoy = Envoy::start(&tools, &dir, Some(&json!({"nonsense": 1})), free_port()).unwrap();
    let status = envoy.wait_for_exit(Duration::from_secs(60));
    let log = envoy.log();
    assert!(
        status.is_some_and(|code| code != 0),
        "envoy should refuse the policy and exit non-zero, got {status:?}; log:\n{}",
        tail(&log, 30)
    );
    let named = log
        .lines()
        .any(|l| l.contains("invalid policy") && l.contains("nonsense"));
    assert!(
        named,
        "no log line says `invalid policy` naming `nonsense`; log:\n{}",
        tail(&log, 30)
    );
}

#[test]
#[ignore = "needs Envoy: envoy/install.sh"]
fn every_shipped_envoy_config_validates() {
    let tools = Tools::find();
    let dir = TempDir::new("customs-e2e");
    let mut templates: Vec<PathBuf> = fs::read_dir(root().join("envoy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    templates.sort();
    assert!(
        templates.len() >= 2,
        "expected edge.yaml and demo.yaml, found {templates:?}"
    );
    let mut failures = Vec::new();
    for template in &templates {
        let out = dir.path.join(template.file_name().unwrap());
        tools.render(template, &out, None, &[]);
        let run = Command::new(&tools.envoy)
            .args(["--mode", "validate", "-l", "warning", "-c"])
            .arg(&out)
            .output()
            .unwrap();
        if !run.status.success() {
            let text = String::from_utf8_lossy(&run.stdout).to_string()
                + &String::from_utf8_lossy(&run.stderr);
            failures.push(format!(
                "{}: {}\n{}",
                template.display(),
                run.status,
                tail(&text, 15)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "configs Envoy refuses:\n{}",
        failures.join("\n")
    );
}

/// The mock provider's canned answers, without Envoy: each API's shape, usage
/// numbers, streaming, the record and the control API.
#[test]
#[ignore = "needs python3; runs with the Envoy tests"]
fn the_mock_provider_answers_like_each_provider() {
    let dir = TempDir::new("customs-e2e");
    let mock = Mock::start(&dir);
    let json_type = [("content-type".to_string(), "application/json".to_string())];
    let post = |path: &str, body: Value| {
        let res = http(
            mock.port,
            "POST",
            path,
            &json_type,
            body.to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(
            res.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&res.body)
        );
        res
    };
    let parse = |res: &Response| -> Value { serde_json::from_slice(&res.body).unwrap() };
    let chat = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "ping me"}]});

    let res = parse(&post("/v1/chat/completions", chat.clone()));
    assert_eq!(res["choices"][0]["message"]["content"], "You said: ping me");
    let usage = &res["usage"];
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
        )
    );

    let mut streamed = chat.clone();
    streamed["stream"] = json!(true);
    streamed["stream_options"] = json!({"include_usage": true});
    let res = post("/v1/chat/completions", streamed);
    assert!(res
        .headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("content-type") && v == "text/event-stream"));
    let text = String::from_utf8(res.body).unwrap();
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.last(), Some(&"data: [DONE]"));
    let last: Value =
        serde_json::from_str(events[events.len() - 2].trim_start_matches("data: ")).unwrap();
    assert_eq!(last["choices"], json!([]));
    assert!(last["usage"]["completion_tokens"].as_u64().unwrap() > 0);

    let claude = json!({"model": "claude", "max_tokens": 9, "stream": true,
                        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]});
    let text = String::from_utf8(post("/v1/messages", claude).body).unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert!(names.contains(&"content_block_delta") && names.contains(&"message_delta"));
    assert_eq!(names.last(), Some(&"message_stop"));

    let azure = "/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21";
    assert_eq!(parse(&post(azure, chat.clone()))["model"], "gpt4o");
    let res = parse(&post("/v1/responses", json!({"model": "m", "input": "yo"})));
    assert!(res["usage"]["input_tokens"].as_u64().unwrap() > 0);
    let res = parse(&post(
        "/v1/embeddings",
        json!({"model": "m", "input": ["a", "b"]}),
    ));
    assert_eq!(res["data"].as_array().unwrap().len(), 2);
    let res = parse(&post(
        "/v1/completions",
        json!({"model": "m", "prompt": "p"}),
    ));
    assert_eq!(res["choices"][0]["text"], "You said: p");

    // A chunked request body is recorded whole.
    mock.reset().unwrap();
    let chunked = [("transfer-encoding".to_string(), "chunked".to_string())];
    http(
        mock.port,
        "POST",
        "/v1/chat/completions",
        &chunked,
        b"3\r\n{}x\r\n0\r\n\r\n",
    )
    .unwrap();
    let record = mock.requests().unwrap();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].body, b"{}x");

    // A queued answer replaces the canned one, once.
    let queued = AnswerSpec {
        status: 429,
        headers: vec![("retry-after".into(), "7".into())],
        body: AnswerBody::Json(json!({"error": {"type": "rate_limit_error"}})),
    };
    mock.enqueue(&queued).unwrap();
    let res = http(
        mock.port,
        "POST",
        "/v1/chat/completions",
        &json_type,
        chat.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(res.status, 429);
    assert!(res
        .headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("retry-after") && v == "7"));
    assert_eq!(post("/v1/chat/completions", chat).status, 200);
    assert_eq!(mock.requests().unwrap().len(), 3);
}

/// Runs one scenario against a running Envoy: what the client got, and what the
/// mock provider received.
fn run(mock: &Mock, envoy: &Envoy, s: &Scenario) -> Result<Outcome, String> {
    mock.reset()?;
    let answer = s
        .upstream
        .clone()
        .unwrap_or_else(|| scenario::default_answer(&s.request));
    mock.enqueue(&answer)?;
    let req = &s.request;
    let res = http(
        envoy.listen_port,
        &req.method,
        &req.path,
        &req.headers,
        &req.body_bytes(),
    )
    .map_err(|e| format!("request to envoy failed: {e}"))?;
    let mut crossed = mock.requests()?;
    if crossed.len() > 1 {
        return Err(format!(
            "the provider got {} requests, want at most one",
            crossed.len()
        ));
    }
    Ok(Outcome {
        status: res.status,
        client_headers: res.headers,
        client_body: res.body,
        crossed: crossed.pop(),
    })
}

/// The binaries and files the tests need; a clear failure when one is missing.
struct Tools {
    envoy: PathBuf,
    wasm: PathBuf,
}

impl Tools {
    fn find() -> Tools {
        let envoy = std::env::var_os("CUSTOMS_ENVOY")
            .map_or_else(|| root().join(".venv/bin/envoy"), PathBuf::from);
        assert!(
            envoy.is_file(),
            "envoy not found at {}: run envoy/install.sh or set CUSTOMS_ENVOY",
            envoy.display()
        );
        let wasm = std::env::var_os("CUSTOMS_WASM").map_or_else(
            || root().join("target/wasm32-wasip1/release/customs_filter.wasm"),
            PathBuf::from,
        );
        assert!(
            wasm.is_file(),
            "customs .wasm not found at {}: run `cargo build -p customs-filter --target wasm32-wasip1 --release` \
             or set CUSTOMS_WASM",
            wasm.display()
        );
        Tools { envoy, wasm }
    }

    /// Fills a config template with envoy/render.py.
    fn render(&self, template: &Path, out: &Path, policy: Option<&Path>, set: &[(&str, u16)]) {
        let mut cmd = Command::new("python3");
        cmd.arg(root().join("envoy/render.py"))
            .arg(template)
            .arg("--wasm")
            .arg(&self.wasm)
            .arg("--out")
            .arg(out);
        if let Some(policy) = policy {
            cmd.arg("--policy").arg(policy);
        }
        for (name, port) in set {
            cmd.arg("--set").arg(format!("{name}={port}"));
        }
        let run = cmd.output().expect("running python3 envoy/render.py");
        assert!(
            run.status.success(),
            "render.py failed on {}: {}",
            template.display(),
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

/// An Envoy process running envoy/demo.yaml with one policy.
struct Envoy {
    proc: Guard,
    listen_port: u16,
    admin_port: u16,
    log_path: PathBuf,
}

impl Envoy {
    fn start(
        tools: &Tools,
        dir: &TempDir,
        policy: Option<&Value>,
        upstream_port: u16,
    ) -> Result<Envoy, String> {
        let n = dir.next();
        let policy_path = policy.map(|p| {
            let path = dir.path.join(format!("policy-{n}.json"));
            fs::write(&path, p.to_string()).unwrap();
            path
        });
        let (listen_port, admin_port) = (free_port(), free_port());
        let config = dir.path.join(format!("envoy-{n}.yaml"));
        let ports = [
            ("LISTEN_PORT", listen_port),
            ("ADMIN_PORT", admin_port),
            ("UPSTREAM_PORT", upstream_port),
        ];
        tools.render(
            &root().join("envoy/demo.yaml"),
            &config,
            policy_path.as_deref(),
            &ports,
        );
        let log_path = dir.path.join(format!("envoy-{n}.log"));
        let child = Command::new(&tools.envoy)
            .arg("-c")
            .arg(&config)
            .args(["--concurrency", "2", "--use-dynamic-base-id", "-l", "info"])
            .stdin(Stdio::null())
            .stdout(File::create(dir.path.join(format!("access-{n}.log"))).unwrap())
            .stderr(File::create(&log_path).unwrap())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", tools.envoy.display()))?;
        Ok(Envoy {
            proc: Guard {
                child,
                name: "envoy",
            },
            listen_port,
            admin_port,
            log_path,
        })
    }

    /// Waits until the admin interface says the server is live.
    fn ready(mut self) -> Result<Envoy, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.proc.child.try_wait() {
                return Err(format!(
                    "envoy exited with {status}; log:\n{}",
                    tail(&self.log(), 20)
                ));
            }
            if http(self.admin_port, "GET", "/ready", &[], b"").is_ok_and(|r| r.status == 200) {
                return Ok(self);
            }
            thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "envoy not ready after 60s; log:\n{}",
            tail(&self.log(), 20)
        ))
    }

    fn wait_for_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.proc.child.try_wait() {
                return Some(status.code().unwrap_or(-1));
            }
            thread::sleep(Duration::from_millis(100));
        }
        None
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The lines the filter itself logged.
    fn wasm_log(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("wasm log")).collect();
        tail(&lines.join("\n"), 20)
    }
}

/// The mock provider, on a port the OS picked.
struct Mock {
    _proc: Guard,
    _stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Mock {
    fn start(dir: &TempDir) -> Mock {
        let mut child = Command::new("python3")
            .arg(root().join("envoy/mock_provider.py"))
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(dir.path.join("mock.log")).unwrap())
            .spawn()
            .expect("starting python3 envoy/mock_provider.py");
        let stdout = child.stdout.take().unwrap();
        let proc = Guard {
            child,
            name: "mock provider",
        };
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on 127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("mock provider said {line:?}, want `listening on 127.0.0.1:PORT`")
            });
        Mock {
            _proc: proc,
            _stdout: stdout,
            port,
        }
    }

    fn control(&self, method: &str, path: &str, body: &[u8]) -> Result<Vec<u8>, String> {
        let headers = [("content-type".to_string(), "application/json".to_string())];
        let res = http(self.port, method, path, &headers, body)
            .map_err(|e| format!("mock {path}: {e}"))?;
        if res.status != 200 {
            return Err(format!(
                "mock {path}: status {}: {}",
                res.status,
                String::from_utf8_lossy(&res.body)
            ));
        }
        Ok(res.body)
    }

    fn reset(&self) -> Result<(), String> {
        self.control("POST", "/__mock/reset", b"").map(drop)
    }

    fn enqueue(&self, answer: &AnswerSpec) -> Result<(), String> {
        let mut queued = json!({"status": answer.status, "headers": answer.headers});
        match &answer.body {
            AnswerBody::Json(body) => queued["body"] = body.clone(),
            AnswerBody::Sse(events) => queued["sse"] = json!(events),
        }
        self.control("POST", "/__mock/enqueue", queued.to_string().as_bytes())
            .map(drop)
    }

    fn requests(&self) -> Result<Vec<Crossed>, String> {
        let body = self.control("GET", "/__mock/requests", b"")?;
        let list: Vec<Value> =
            serde_json::from_slice(&body).map_err(|e| format!("mock record: {e}"))?;
        list.iter()
            .map(|r| {
                let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
                let headers = r["headers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|h| {
                        (
                            h[0].as_str().unwrap_or_default().into(),
                            h[1].as_str().unwrap_or_default().into(),
                        )
                    })
                    .collect();
                let body = scenario::decode_base64(&text("body_base64"))?;
                Ok(Crossed {
                    method: text("method"),
                    path: text("path"),
                    headers,
                    body,
                })
            })
            .collect()
    }
}

/// Kills its process when dropped.
struct Guard {
    child: Child,
    name: &'static str,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Err(err) = self.child.kill() {
            if err.kind() != io::ErrorKind::InvalidInput {
                eprintln!("cannot stop {}: {err}", self.name);
            }
        }
        let _ = self.child.wait();
    }
}
