#!/usr/bin/env python3
"""Budgets under real concurrent load: Envoy with two workers, customs in front of the
mock provider, and wrk (a real load generator) driving more requests than the budgets
allow. Checks that what crossed stays within the budgets and that refusals are 429s
in OpenAI's error JSON with retry-after and x-ratelimit-* headers.

    envoy/tests/load_budget.py [--wasm PATH] [--envoy PATH] [--seconds N]

Binds 127.0.0.1 only; stops every process it starts. Prints `N passed, N failed`.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from rig import DEFAULT_ENVOY, DEFAULT_WASM, Edge, report
REQUESTS_PER_MINUTE = 1000
TOKENS_PER_MINUTE = 400
POLICY = {
    "limits": {
        "budgets": {
            "window": "fixed",
            "requests_per_minute": REQUESTS_PER_MINUTE,
            "tokens_per_minute": TOKENS_PER_MINUTE,
        },
        # A tiny output cap, inserted into every request: the reservation is then
        # at most the real usage, so every admitted reservation must fit the budget.
        "caps": {"max_output_tokens": 1, "insert_when_missing": True, "on_excess": "clamp"},
    }
}
BODY = json.dumps({
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Summarise the quarterly report for the board, please."}],
})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--wasm", default=os.environ.get("CUSTOMS_WASM", str(DEFAULT_WASM)))
    parser.add_argument("--envoy", default=os.environ.get("CUSTOMS_ENVOY", str(DEFAULT_ENVOY)))
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("load_budget: wrk is not installed (apt-get install wrk)")

    with Edge(POLICY, args.wasm, args.envoy) as edge:
        work = pathlib.Path(tempfile.mkdtemp(prefix="customs-load-"))
        lua = work / "post.lua"
        lua.write_text('wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\n'
                       f"wrk.body = {json.dumps(BODY)}\n")
        run = subprocess.run([wrk, "-t", "2", "-c", "16", "-d", f"{args.seconds}s", "-s", str(lua),
                              edge.url("/v1/chat/completions")],
                             capture_output=True, text=True, timeout=args.seconds + 30)
        shutil.rmtree(work, ignore_errors=True)
        total = int(re.search(r"(\d+) requests in", run.stdout).group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
        refused = int(non_2xx.group(1)) if non_2xx else 0

        # One more request, to read a refusal's status, body and headers.
        req = urllib.request.Request(edge.url("/v1/chat/completions"),
                                     data=BODY.encode(), headers={"content-type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=5)
            refusal = (200, {}, {})
        except urllib.error.HTTPError as e:
            refusal = (e.code, {k.lower(): v for k, v in e.headers.items()}, json.loads(e.read() or b"{}"))

        crossed = edge.crossed()
        reserved = []
        for r in crossed:
            tags = dict((k.lower(), v) for k, v in r["headers"])
            m = re.search(r"reserved=(\d+)", tags.get("x-customs-tokens", ""))
            reserved.append(int(m.group(1)) if m else None)

        # All of this ran within one fixed minute unless it straddled a boundary:
        # then two windows' worth may legitimately cross.
        windows = 2 if time.time() % 60 < args.seconds + 5 else 1
        checks = [
            (f"wrk sent far more requests ({total}) than the token budget admits",
             total > 10 * max(len(crossed), 1)),
            (f"requests that crossed ({len(crossed)}) <= requests_per_minute x windows ({REQUESTS_PER_MINUTE} x {windows})",
             0 < len(crossed) <= REQUESTS_PER_MINUTE * windows),
            ("every request that crossed carries its reservation", all(v is not None and v > 0 for v in reserved)),
            (f"tokens reserved by what crossed ({sum(v or 0 for v in reserved)}) <= tokens_per_minute x windows ({TOKENS_PER_MINUTE} x {windows})",
             sum(v or 0 for v in reserved) <= TOKENS_PER_MINUTE * windows),
            (f"wrk saw refusals ({refused}) for everything that did not cross ({total - len(crossed)})",
             refused == total - len(crossed)),
            (f"a refusal is 429 (got {refusal[0]})", refusal[0] == 429),
            ("the refusal is OpenAI's error JSON with customs' code",
             refusal[2].get("error", {}).get("code") == "customs_budget_exceeded"),
            ("the refusal has retry-after", refusal[1].get("retry-after", "").isdigit()),
            ("the refusal has x-ratelimit-remaining-requests and -tokens",
             "x-ratelimit-remaining-requests" in refusal[1] and "x-ratelimit-remaining-tokens" in refusal[1]),
        ]
        return report(checks)


if __name__ == "__main__":
    sys.exit(main())
