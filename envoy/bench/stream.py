"""The streaming part of the benchmark, and the check that the bodies carry work.

`streaming` starts the project's mock provider (envoy/mock_provider.py) and an
Envoy per path in front of it, then uses plain HTTP/1.1 from the standard
library:

- `sse_exchange` sends a `stream: true` chat request and reads the answer line by
  line: time to the first `data:` event, time to the end, the number of `data:`
  events, and the text the deltas add up to.
- `forwarded` sends one bench body and returns what the provider received (the
  mock records every request): the status, customs' tags and the body as it
  crossed.
"""

import base64
import http.client
import json
import sys
import time

import bodies
from envoys import (
    MOCK_PORT, ROOT, STREAM_ADMIN_BASE, STREAM_LISTEN_BASE, BENCH, LOAD_CORE, Column, fail, port_taken, refusal,
    render_column, rotated, start_envoy,
)  # fmt: skip

# The reply echoes this message word by word (about a hundred SSE events), with
# an e-mail address that customs pseudonymises and must put back.
STREAM_EMAIL = "li.na@example.com"
_STREAM_TEXT = (
    "Please write a short, friendly note to " + STREAM_EMAIL + " explaining that the "
    "quarterly report will arrive one week late because the data team is "
    "rebuilding the pipeline, that nothing is lost, that the numbers will be "
    "checked twice before they go out, and that we are sorry for the wait. Keep it "
    "under two paragraphs, thank them for their patience, offer a short call if "
    "they want to go through the changes, and sign it from the support team. "
    "Also mention that the next report will come on the usual date and that the "
    "new pipeline should make later reports faster and more reliable."
)
STREAM_BODY = json.dumps(
    {
        "model": "gpt-4o-mini",
        "stream": True,
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": _STREAM_TEXT},
        ],
    }
).encode()


def sse_exchange(port, body=STREAM_BODY, timeout=30):
    """One streamed chat request to 127.0.0.1:`port`. Returns a dict: status,
    ttfb_s (to the end of the first `data:` line), total_s, events (number of
    `data:` lines), usage_events (those that carry only usage) and text (the
    content deltas joined)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        start = time.perf_counter()
        conn.request(
            "POST",
            "/v1/chat/completions",
            body=body,
            headers={"content-type": "application/json", "authorization": "Bearer sk-bench-client-key"},
        )
        resp = conn.getresponse()
        first, events, usage_events, parts = None, 0, 0, []
        for _ in range(100000):  # bounded: one line an iteration
            line = resp.readline()
            if not line:
                break
            if not line.startswith(b"data:"):
                continue
            if first is None:
                first = time.perf_counter() - start
            events += 1
            text, usage_only = _delta(line[5:].strip())
            parts.append(text)
            usage_events += usage_only
        total = time.perf_counter() - start
        return {
            "status": resp.status, "ttfb_s": first, "total_s": total, "events": events,
            "usage_events": usage_events, "text": "".join(parts),
        }  # fmt: skip
    finally:
        conn.close()


def _delta(data):
    """The content an event adds, and whether it is a usage-only chunk."""
    if data == b"[DONE]":
        return "", False
    try:
        chunk = json.loads(data)
    except ValueError:
        return "", False
    if not isinstance(chunk, dict):
        return "", False
    text = []
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict) and isinstance(delta.get("content"), str):
            text.append(delta["content"])
    return "".join(text), chunk.get("choices") == [] and chunk.get("usage") is not None


def _asks_usage(body):
    try:
        options = json.loads(body).get("stream_options")
    except (ValueError, AttributeError):
        return False
    return isinstance(options, dict) and options.get("include_usage") is True


def _call(port, method, path, body=b"", headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()
    finally:
        conn.close()


def mock_reset(mock_port):
    _call(mock_port, "POST", "/__mock/reset")


def mock_requests(mock_port):
    status, _, raw = _call(mock_port, "GET", "/__mock/requests")
    if status != 200:
        raise RuntimeError(f"the mock provider answered {status} to /__mock/requests")
    return json.loads(raw)


def forwarded(port, mock_port, body):
    """Sends `body` through the Envoy on `port`; returns (status, client answer,
    the provider's record of the request or None when nothing crossed)."""
    mock_reset(mock_port)
    status, _, answer = _call(
        port,
        "POST",
        "/v1/chat/completions",
        body=body,
        headers={"content-type": "application/json", "authorization": "Bearer sk-bench-client-key"},
    )
    seen = mock_requests(mock_port)
    if not seen:
        return status, answer, None
    last = seen[-1]
    return status, answer, {
        "headers": {k.lower(): v for k, v in last["headers"]},
        "body": base64.b64decode(last["body_base64"]),
    }


# ----------------------------------------------------------------- streaming

# The mock provider as it is, with two changes for timing. TCP_NODELAY on its
# sockets: it writes each SSE event separately, and without it Nagle's algorithm
# meeting the receiver's delayed ACK holds the first event back for about 40 ms,
# which would swamp the time to first byte being measured. And a pause between
# events, as a model generating tokens makes: a filter that held the stream back
# would then show a time to first byte near the whole answer's.
MOCK_PACED = """
import sys, time
sys.path.insert(0, sys.argv[1])
import mock_provider
pace = float(sys.argv[3]) / 1000
mock_provider.Handler.disable_nagle_algorithm = True
send_sse = mock_provider.Handler.send_sse
def paced(events):
    for i, event in enumerate(events):
        if i:
            time.sleep(pace)
        yield event
mock_provider.Handler.send_sse = lambda self, status, events, headers=(): send_sse(self, status, paced(events), headers)
sys.argv = ["mock_provider.py", "--port", sys.argv[2]]
mock_provider.main()
"""


def streaming(args, envoy, columns, body_paths, procs, results):
    """Through the mock provider: what customs did to each body, and time to
    first byte of a streamed answer."""
    mock_argv = [sys.executable, "-c", MOCK_PACED, str(ROOT / "envoy"), str(MOCK_PORT), str(args.stream_pace_ms)]
    mock = procs.start("mock-provider", mock_argv, LOAD_CORE)
    for _ in range(100):
        if port_taken(MOCK_PORT):
            break
        if mock.poll() is not None:
            fail("the mock provider exited; see envoy/.run/bench/mock-provider.log")
        time.sleep(0.05)
    by_key = {c.key: c for c in columns}
    paths = [by_key["none"]]
    paths += [by_key[k] for k in ("default", "full") if k in by_key and by_key[k].wasm and not by_key[k].skipped]
    customs = next((c for c in columns if c.root_id == "customs"), None)
    if customs:
        paths.append(Column("stream", "customs, e-mail pseudonymised", customs.wasm, BENCH / "stream-policy.json", "customs"))
    running = []
    for i, col in enumerate(paths):
        config = render_column(
            col, i, upstream=MOCK_PORT, listen=STREAM_LISTEN_BASE + i, admin=STREAM_ADMIN_BASE + i,
            name=f"stream-{col.key}.yaml",
        )  # fmt: skip
        refused = refusal(envoy, config) if col.wasm else None
        if refused:
            results["stream_skipped"][col.title] = refused
            print(f"   {col.title}: dropped, {refused}", flush=True)
            continue
        proc, _ = start_envoy(procs, envoy, f"stream-{col.key}", config, STREAM_ADMIN_BASE + i)
        running.append((col, STREAM_LISTEN_BASE + i, proc))

    values = bodies.finding_values()
    for col, port, _ in running:
        if col.key not in ("default", "full"):
            continue
        for key, path in body_paths.items():
            status, _, seen = forwarded(port, MOCK_PORT, path.read_bytes())
            body = seen["body"] if seen else b""
            left = [name for name, v in values.items() if v.encode() in body]
            tags = {k: v for k, v in (seen["headers"] if seen else {}).items() if k.startswith("x-customs-")}
            results["sanity"].append({
                "column": col.key, "body": f"{key[0]}k-{key[1]}", "status": status,
                "crossed": seen is not None, "forwarded_bytes": len(body), "values_left": left,
                "redactions": tags.get("x-customs-redactions", ""), "attested": any("attest" in k for k in tags),
            })  # fmt: skip

    for col, port, _ in running:
        first = sse_exchange(port)
        seen = mock_requests(MOCK_PORT)[-1]
        crossed_body = base64.b64decode(seen["body_base64"])
        direct = sse_exchange(MOCK_PORT, body=crossed_body)
        # customs may ask the provider for usage (stream_options.include_usage)
        # to count tokens; the usage chunk that brings is not the client's.
        added = direct["usage_events"] if _asks_usage(crossed_body) and not _asks_usage(STREAM_BODY) else 0
        results["stream"][col.key] = {
            "title": col.title,
            "status": first["status"],
            "events_sent": direct["events"],
            "usage_events_added": added,
            "events_received": first["events"],
            "email_reached_provider": STREAM_EMAIL.encode() in crossed_body,
            "email_in_answer": STREAM_EMAIL in first["text"],
            "ttfb_s": [],
            "total_s": [],
        }
    for n in range(args.stream_requests):
        for col, port, _ in rotated(running, n):
            r = sse_exchange(port)
            results["stream"][col.key]["ttfb_s"].append(r["ttfb_s"])
            results["stream"][col.key]["total_s"].append(r["total_s"])
    for col, _, proc in running:
        procs.stop(proc)
    procs.stop(mock)
