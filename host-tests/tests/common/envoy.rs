//! A real Envoy and the mock provider for end-to-end tests: processes started
//! on 127.0.0.1 ports the OS picked, killed when their guard drops (also when a
//! test panics), configs rendered from `envoy/*.yaml` with `envoy/render.py`,
//! and a small HTTP/1.1 client, shared by the Envoy test files; with a hook to
//! edit the rendered config and a choice of worker count.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use customs_host::scenario::{self, Crossed};
use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The Envoy binary (`CUSTOMS_ENVOY`, default `.venv/bin/envoy`).
pub fn envoy_binary() -> PathBuf {
    let envoy = std::env::var_os("CUSTOMS_ENVOY")
        .map_or_else(|| root().join(".venv/bin/envoy"), PathBuf::from);
    assert!(
        envoy.is_file(),
        "envoy not found at {}: run envoy/install.sh or set CUSTOMS_ENVOY",
        envoy.display()
    );
    envoy
}

/// Fills a config template with envoy/render.py.
pub fn render(
    template: &Path,
    wasm: &Path,
    out: &Path,
    policy: Option<&Path>,
    set: &[(&str, u16)],
) {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("envoy/render.py"))
        .arg(template)
        .arg("--wasm")
        .arg(wasm)
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

/// An Envoy process running a rendered envoy/demo.yaml.
pub struct Envoy {
    proc: Guard,
    pub listen_port: u16,
    pub admin_port: u16,
    log_path: PathBuf,
}

impl Envoy {
    /// Renders envoy/demo.yaml with `wasm` and `policy` (none: no
    /// configuration), passes the text through `edit`, and starts Envoy with
    /// `workers` worker threads.
    pub fn start(
        dir: &TempDir,
        wasm: &Path,
        policy: Option<&Value>,
        upstream_port: u16,
        workers: u32,
        edit: impl Fn(String) -> String,
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
        render(
            &root().join("envoy/demo.yaml"),
            wasm,
            &config,
            policy_path.as_deref(),
            &ports,
        );
        let text = edit(fs::read_to_string(&config).unwrap());
        fs::write(&config, text).unwrap();
        let log_path = dir.path.join(format!("envoy-{n}.log"));
        let envoy = envoy_binary();
        let child = Command::new(&envoy)
            .arg("-c")
            .arg(&config)
            .args(["--concurrency", &workers.to_string()])
            .args(["--use-dynamic-base-id", "-l", "info"])
            .stdin(Stdio::null())
            .stdout(File::create(dir.path.join(format!("access-{n}.log"))).unwrap())
            .stderr(File::create(&log_path).unwrap())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", envoy.display()))?;
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
    pub fn ready(mut self) -> Result<Envoy, String> {
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

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

/// The mock provider, on a port the OS picked.
pub struct Mock {
    _proc: Guard,
    _stdout: BufReader<ChildStdout>,
    pub port: u16,
}

impl Mock {
    pub fn start(dir: &TempDir) -> Mock {
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

    pub fn reset(&self) -> Result<(), String> {
        self.control("POST", "/__mock/reset", b"").map(drop)
    }

    /// Every request the provider received since the last reset.
    pub fn requests(&self) -> Result<Vec<Crossed>, String> {
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

/// A scratch directory for configs and logs, removed when dropped.
pub struct TempDir {
    pub path: PathBuf,
    counter: AtomicU32,
}

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{prefix}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        fs::create_dir_all(&path).unwrap();
        TempDir {
            path,
            counter: AtomicU32::new(0),
        }
    }

    pub fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One HTTP/1.1 exchange on a fresh connection. The request is written from
/// another thread while the answer is read, so an early answer (a refusal
/// before the whole body was sent) is read rather than lost to a broken pipe.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<HttpResponse> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.set_write_timeout(Some(Duration::from_secs(60)))?;
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    if !has("host") {
        head += &format!("host: 127.0.0.1:{port}\r\n");
    }
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    if !has("content-length") && !has("transfer-encoding") && (!body.is_empty() || method != "GET")
    {
        head += &format!("content-length: {}\r\n", body.len());
    }
    head += "connection: close\r\n\r\n";
    let mut request = head.into_bytes();
    request.extend_from_slice(body);

    let mut writer = stream.try_clone()?;
    let sender = thread::spawn(move || writer.write_all(&request).and_then(|()| writer.flush()));
    let response = read_response(&mut BufReader::new(&stream));
    let _ = stream.shutdown(Shutdown::Both);
    let sent = sender
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("writer panicked")));
    match (response, sent) {
        (Ok(response), _) => Ok(response),
        (Err(read), Err(write)) => {
            Err(io::Error::other(format!("{read} (while sending: {write})")))
        }
        (Err(read), Ok(())) => Err(read),
    }
}

fn read_response(r: &mut impl BufRead) -> io::Result<HttpResponse> {
    let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let line = read_line(r)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(r)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header line {line:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let mut body = Vec::new();
    if status == 204 || status == 304 || (100..200).contains(&status) {
        // no body
    } else if get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            let line = read_line(r)?;
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                while !read_line(r)?.is_empty() {}
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            read_line(r)?;
        }
    } else if let Some(length) = get("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| bad(format!("bad content-length {length:?}")))?;
        body.resize(length, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn read_line(r: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed mid-response",
        ));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
