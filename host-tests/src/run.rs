//! The harness side of the shared scenario list: one scenario through a
//! fresh host, as the real-Envoy test sends it.

use std::path::Path;

use anyhow::{bail, Context as _};

use crate::handles::Stream;
use crate::host::Host;
use crate::plugin::Plugin;
use crate::records::Response;
use crate::scenario::{self, AnswerSpec, Crossed, Outcome, Scenario, ScenarioFile};

/// Runs `s` in a fresh host with the module at `wasm` (see [`run_scenario_in`]).
pub fn run_scenario(wasm: &Path, file: &ScenarioFile, s: &Scenario) -> anyhow::Result<Outcome> {
    let host = Host::new();
    host.echo_logs(false);
    run_scenario_in(&host, wasm, file, s)
}

/// Loads the scenario's policy (none: no configuration), sends the request
/// with its body cut into 3 chunks, answers with the scenario's upstream
/// answer (or the default one) if the request crossed, and reports what the
/// client and the provider saw. Fails when the policy is refused, or when a
/// `content-length` disagrees with the body it went with (which breaks the
/// exchange in Envoy).
pub fn run_scenario_in(
    host: &Host,
    wasm: &Path,
    file: &ScenarioFile,
    s: &Scenario,
) -> anyhow::Result<Outcome> {
    let mut plugin = Plugin::from_file(wasm)?;
    if let Some(policy) = s.policy_json(file) {
        plugin = plugin.config(policy);
    }
    let worker = host
        .plugin(plugin)
        .start_vm()
        .context("loading the policy")?;
    let mut stream = worker.stream();
    let body = s.request.body_bytes();
    let mut headers = vec![
        (":method".to_string(), s.request.method.clone()),
        (":path".to_string(), s.request.path.clone()),
    ];
    headers.extend(s.request.headers.iter().cloned());
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
    if let Some((declared, actual)) = stream.upstream().and_then(|u| u.content_length_mismatch()) {
        bail!("content-length {declared} crossed with a body of {actual} bytes: the provider would wait or misread");
    }
    if stream.crossed() {
        let answer = s
            .upstream
            .clone()
            .unwrap_or_else(|| scenario::default_answer(&s.request));
        answer_with(&mut stream, &answer);
    }
    if let Some((declared, actual)) = stream.client().content_length_mismatch() {
        bail!("the client got content-length {declared} with a body of {actual} bytes");
    }
    Ok(outcome(&stream))
}

/// The provider answers: a JSON body in one write, or one write per event.
pub fn answer_with(stream: &mut Stream, answer: &AnswerSpec) {
    let mut response = Response::new(answer.status);
    for (k, v) in &answer.headers {
        response = response.header(k, v);
    }
    if answer.is_sse() {
        let events: Vec<&[u8]> = answer.sse_events().iter().map(|e| e.as_bytes()).collect();
        stream.respond_chunks(&response, &events);
    } else {
        stream.respond(&response.body(answer.body_bytes()));
    }
}

fn without_pseudo(headers: &crate::headers::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| !k.starts_with(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What the client and the provider saw, in the scenario's terms.
pub fn outcome(stream: &Stream) -> Outcome {
    let client = stream.client();
    let crossed = stream.upstream().map(|u| Crossed {
        method: u.method().to_string(),
        path: u.path().to_string(),
        headers: without_pseudo(&u.headers),
        body: u.body.clone(),
    });
    Outcome {
        status: client.status(),
        client_headers: without_pseudo(&client.headers),
        client_body: client.body,
        crossed,
    }
}
