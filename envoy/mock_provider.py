#!/usr/bin/env python3
"""A mock model provider for customs' demo and end-to-end tests.

It answers like OpenAI (chat completions, completions, responses, embeddings,
Azure deployment paths) and Anthropic (/v1/messages), in JSON or, when the
request body has "stream": true, in server-sent events. Usage numbers are
derived from the request, so accounting can be checked. The canned chat answer
echoes the last user message, so a demo shows what the model actually saw.

Every provider request is recorded (method, path, headers, raw body in base64).
A control API on the same port, under /__mock/:

    GET  /__mock/requests   the recorded requests, oldest first (JSON list)
    POST /__mock/reset      forget the record and any queued answers
    POST /__mock/enqueue    {"status": 200, "headers": [["k", "v"]],
                             "body": <JSON> | "body_base64": "..." | "sse": ["data: ...\\n\\n"]}
                            answer the next provider request with this instead

Standard library only. Binds 127.0.0.1; `--port 0` picks a free port. The first
line on stdout is always `listening on 127.0.0.1:PORT`.
"""

import argparse
import base64
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTROL_PREFIX = "/__mock/"
AZURE_PATH = re.compile(r"^/openai/deployments/([^/]+)/(chat/completions|completions|embeddings)$")


class State:
    """What the mock remembers between requests; shared by all handler threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.queue = []

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)

    def next_answer(self):
        with self.lock:
            return self.queue.pop(0) if self.queue else None


STATE = State()


# ---------------------------------------------------------------- request text


def estimate_tokens(text):
    """About four characters a token, at least one for any text."""
    return max(1, (len(text) + 3) // 4) if text else 0


def content_text(content):
    """The text of a message content: a string, or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return " ".join(parts)
    return ""


def all_text(value):
    """Every string inside a JSON value, joined: the prompt the model would read."""
    out = []

    def walk(v):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            for item in v:
                walk(item)
        elif isinstance(v, dict):
            for key, item in v.items():
                if key not in ("model", "stream", "role", "type"):
                    walk(item)

    walk(value)
    return " ".join(out)


def last_user_text(messages):
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def echo(text):
    return f"You said: {text}" if text else "Hello from the mock provider."


def prompt_of(body):
    """The text a provider would count as input for this request body."""
    parts = [all_text(body.get(key)) for key in ("system", "messages", "prompt", "input", "instructions")]
    return " ".join(p for p in parts if p)


# ---------------------------------------------------------------- canned answers


def now():
    return int(time.time())


def openai_error(status, message, code=None, err_type="invalid_request_error"):
    return status, {"error": {"message": message, "type": err_type, "param": None, "code": code}}


def chat_completion(body, model):
    reply = echo(last_user_text(body.get("messages")))
    prompt_tokens = estimate_tokens(prompt_of(body))
    completion_tokens = estimate_tokens(reply)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    if body.get("stream") is True:
        return 200, chat_sse(reply, model, usage, body)
    return 200, {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": now(),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def words(text):
    """Split a reply into stream deltas that join back to the same text."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


def sse(data):
    return f"data: {json.dumps(data, separators=(',', ':'))}\n\n"


def chat_sse(reply, model, usage, body):
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": now(), "model": model}
    include_usage = isinstance(body.get("stream_options"), dict) and body["stream_options"].get("include_usage") is True

    def chunk(delta, finish=None):
        data = dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish}])
        if include_usage:
            data["usage"] = None
        return sse(data)

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": w}) for w in words(reply)]
    events.append(chunk({}, "stop"))
    if include_usage:
        events.append(sse(dict(base, choices=[], usage=usage)))
    events.append("data: [DONE]\n\n")
    return events


def text_completion(body, model):
    prompt = all_text(body.get("prompt"))
    reply = echo(prompt)
    prompt_tokens = estimate_tokens(prompt)
    completion_tokens = estimate_tokens(reply)
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}
    if body.get("stream") is True:
        base = {"id": "cmpl-mock", "object": "text_completion", "created": now(), "model": model}
        events = [sse(dict(base, choices=[{"index": 0, "text": w, "finish_reason": None}])) for w in words(reply)]
        events.append(sse(dict(base, choices=[{"index": 0, "text": "", "finish_reason": "stop"}], usage=usage)))
        events.append("data: [DONE]\n\n")
        return 200, events
    return 200, {
        "id": "cmpl-mock",
        "object": "text_completion",
        "created": now(),
        "model": model,
        "choices": [{"index": 0, "text": reply, "finish_reason": "stop", "logprobs": None}],
        "usage": usage,
    }


def responses(body, model):
    source = body.get("input")
    text = source if isinstance(source, str) else last_user_text(source)
    reply = echo(text)
    input_tokens = estimate_tokens(prompt_of(body))
    output_tokens = estimate_tokens(reply)
    usage = {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens}
    message = {
        "id": "msg-mock",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": reply, "annotations": []}],
    }
    done = {
        "id": "resp-mock",
        "object": "response",
        "created_at": now(),
        "model": model,
        "status": "completed",
        "output": [message],
        "usage": usage,
    }
    if body.get("stream") is not True:
        return 200, done

    def event(name, data):
        data = dict(data, type=name)
        return f"event: {name}\n{sse(data)}"

    started = dict(done, status="in_progress", output=[], usage=None)
    events = [event("response.created", {"response": started})]
    events += [event("response.output_text.delta", {"item_id": "msg-mock", "output_index": 0, "content_index": 0, "delta": w}) for w in words(reply)]
    events.append(event("response.completed", {"response": done}))
    return 200, events


def embeddings(body, model):
    source = body.get("input")
    inputs = source if isinstance(source, list) else [source]
    data = [{"object": "embedding", "index": i, "embedding": [0.0, 0.1, 0.2, 0.3]} for i in range(len(inputs))]
    tokens = sum(estimate_tokens(all_text(item)) for item in inputs)
    return 200, {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def anthropic_message(body):
    model = body.get("model") if isinstance(body.get("model"), str) else "claude-mock"
    reply = echo(last_user_text(body.get("messages")))
    input_tokens = estimate_tokens(prompt_of(body))
    output_tokens = estimate_tokens(reply)
    message = {
        "id": "msg_mock",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": reply}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }
    if body.get("stream") is not True:
        return 200, message

    def event(name, data):
        return f"event: {name}\n{sse(dict(data, type=name))}"

    start = dict(message, content=[], stop_reason=None, usage=dict(message["usage"], output_tokens=1))
    events = [
        event("message_start", {"message": start}),
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
    ]
    events += [event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": w}}) for w in words(reply)]
    events.append(event("content_block_stop", {"index": 0}))
    events.append(event("message_delta", {"delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": output_tokens}}))
    events.append(event("message_stop", {}))
    return 200, events


def canned_answer(method, path, raw):
    """The provider's answer for a request: (status, JSON value or list of SSE events)."""
    route = path.split("?", 1)[0]
    anthropic = route == "/v1/messages"
    if method != "POST":
        return openai_error(404, f"unknown route {method} {route}", "unknown_url")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        if anthropic:
            return 400, {"type": "error", "error": {"type": "invalid_request_error", "message": "the body is not a JSON object"}}
        return openai_error(400, "the body is not a JSON object")
    if anthropic:
        return anthropic_message(body)
    model = body.get("model") if isinstance(body.get("model"), str) else "gpt-mock"
    azure = AZURE_PATH.match(route)
    kind = azure.group(2) if azure else route.removeprefix("/v1/")
    if kind == "chat/completions":
        return chat_completion(body, azure.group(1) if azure else model)
    if kind == "completions":
        return text_completion(body, model)
    if kind == "responses":
        return responses(body, model)
    if kind == "embeddings":
        return embeddings(body, model)
    return openai_error(404, f"unknown route {method} {route}", "unknown_url")


# ---------------------------------------------------------------- HTTP


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def version_string(self):
        return "customs-mock-provider"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        if self.server.verbose:
            sys.stderr.write("mock: " + (format % args) + "\n")

    def read_body(self):
        """The request body, by Content-Length or chunked transfer coding."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline().split(b";", 1)[0].strip()
                size = int(size_line or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status, value, headers=()):
        payload = json.dumps(value, separators=(",", ":")).encode()
        self.send_bytes(status, payload, headers, "application/json")

    def send_bytes(self, status, payload, headers, default_type):
        self.send_response(status)
        names = {k.lower() for k, _ in headers}
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(name, value)
        if "content-type" not in names:
            self.send_header("Content-Type", default_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def send_sse(self, status, events, headers=()):
        """Server-sent events, one HTTP chunk per event, flushed as they go."""
        self.send_response(status)
        names = {k.lower() for k, _ in headers}
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(name, value)
        if "content-type" not in names:
            self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events:
            data = event.encode()
            if data:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def handle_any(self):
        raw = self.read_body()
        if self.path.startswith(CONTROL_PREFIX):
            return self.control(raw)
        STATE.record(
            {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_base64": base64.b64encode(raw).decode(),
                "time": time.time(),
            }
        )
        queued = STATE.next_answer()
        if queued is not None:
            return self.send_queued(queued)
        status, answer = canned_answer(self.command, self.path, raw)
        if isinstance(answer, list):
            return self.send_sse(status, answer)
        return self.send_json(status, answer)

    def send_queued(self, answer):
        status = int(answer.get("status", 200))
        headers = [(str(k), str(v)) for k, v in answer.get("headers", [])]
        if "sse" in answer:
            return self.send_sse(status, answer["sse"], headers)
        if "body_base64" in answer:
            return self.send_bytes(status, base64.b64decode(answer["body_base64"]), headers, "application/json")
        return self.send_json(status, answer.get("body", {}), headers)

    def control(self, raw):
        route = self.path.split("?", 1)[0].removeprefix(CONTROL_PREFIX)
        if self.command == "GET" and route == "requests":
            with STATE.lock:
                return self.send_json(200, list(STATE.requests))
        if self.command == "POST" and route == "reset":
            with STATE.lock:
                STATE.requests.clear()
                STATE.queue.clear()
            return self.send_json(200, {"ok": True})
        if self.command == "POST" and route == "enqueue":
            try:
                answer = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as err:
                return self.send_json(400, {"error": f"enqueue body is not JSON: {err}"})
            if not isinstance(answer, dict):
                return self.send_json(400, {"error": "enqueue body must be a JSON object"})
            with STATE.lock:
                STATE.queue.append(answer)
            return self.send_json(200, {"ok": True})
        return self.send_json(404, {"error": f"unknown control route {self.command} {self.path}"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--port", type=int, default=18081, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.verbose = args.verbose
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
