#!/usr/bin/env python3
"""What the customer's team and the far side see, through real Envoy: Prometheus
counters move, the access log holds customs' fields, the audit line is written and
holds no raw value, and `customs verify` accepts the attestation the mock provider
recorded (and refuses it for a tampered body).

    envoy/tests/observability.py [--wasm PATH] [--envoy PATH]

Binds 127.0.0.1 only; stops every process it starts. Prints `N passed, N failed`.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEY_ID, SECRET = "k-test", "observability-test-secret-0123456789"
POLICY = {
    "policy_id": "obs",
    "version": "3",
    "tenants": {"header": "x-team"},
    "tags": {"attestation": {"key_id": KEY_ID, "secret": SECRET}},
}
EMAIL, CARD = "wang.fang@example.cn", "6222 0212 3456 7894"
BODY = json.dumps({"model": "gpt-4o-mini", "messages": [
    {"role": "user", "content": f"Refund card {CARD} and mail {EMAIL}."}]})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--wasm", default=os.environ.get("CUSTOMS_WASM", str(ROOT / "target/wasm32-wasip1/release/customs_filter.wasm")))
    parser.add_argument("--envoy", default=os.environ.get("CUSTOMS_ENVOY", str(ROOT / ".venv/bin/envoy")))
    args = parser.parse_args()
    procs = []
    work = pathlib.Path(tempfile.mkdtemp(prefix="customs-obs-"))
    try:
        mock = subprocess.Popen([sys.executable, str(ROOT / "envoy/mock_provider.py"), "--port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(mock)
        upstream = int(re.search(r":(\d+)", mock.stdout.readline()).group(1))
        listen, admin = free_port(), free_port()
        (work / "policy.json").write_text(json.dumps(POLICY))
        config = work / "envoy.yaml"
        subprocess.run([sys.executable, str(ROOT / "envoy/render.py"), str(ROOT / "envoy/demo.yaml"),
                        "--wasm", args.wasm, "--policy", str(work / "policy.json"), "--out", str(config),
                        "--set", f"LISTEN_PORT={listen}", "--set", f"ADMIN_PORT={admin}",
                        "--set", f"UPSTREAM_PORT={upstream}"], check=True, stdout=subprocess.DEVNULL)
        access, log = work / "access.log", work / "envoy.log"
        envoy = subprocess.Popen([args.envoy, "-c", str(config), "--concurrency", "2",
                                  "--use-dynamic-base-id", "-l", "info"],
                                 stdout=open(access, "w"), stderr=open(log, "w"))
        procs.append(envoy)
        deadline = time.monotonic() + 30
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=1).status == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                sys.exit("observability: Envoy did not become ready")
            time.sleep(0.1)

        def counters():
            text = urllib.request.urlopen(f"http://127.0.0.1:{admin}/stats/prometheus").read().decode()
            return {m.group(1): float(m.group(2)) for m in
                    re.finditer(r"^(\S*customs\S*)\s+(\S+)$", text, re.M)}

        before = counters()
        for _ in range(3):
            req = urllib.request.Request(f"http://127.0.0.1:{listen}/v1/chat/completions", data=BODY.encode(),
                                         headers={"content-type": "application/json", "x-team": "payments"})
            urllib.request.urlopen(req, timeout=10).read()
        time.sleep(0.5)  # access log and stats flush
        after = counters()
        moved = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}

        records = json.load(urllib.request.urlopen(f"http://127.0.0.1:{upstream}/__mock/requests"))
        record = work / "record.json"
        record.write_text(json.dumps(records[-1]))
        customs = [str(ROOT / "target/debug/customs")] if (ROOT / "target/debug/customs").exists() else \
            ["cargo", "run", "-q", "-p", "customs-host", "--bin", "customs", "--"]
        env = dict(os.environ, CUSTOMS_ATTESTATION_KEYS=f"{KEY_ID}={SECRET}")
        verify = subprocess.run(customs + ["verify", "--request-record", str(record)],
                                capture_output=True, text=True, env=env, cwd=ROOT)
        tampered = dict(records[-1])
        import base64
        tampered["body_base64"] = base64.b64encode(base64.b64decode(tampered["body_base64"]) + b" ").decode()
        (work / "tampered.json").write_text(json.dumps(tampered))
        refuse = subprocess.run(customs + ["verify", "--request-record", str(work / "tampered.json")],
                                capture_output=True, text=True, env=env, cwd=ROOT)

        access_text, log_text = access.read_text(), log.read_text()
        audit = [l for l in log_text.splitlines() if "customs_audit" in l]
        everything = access_text + log_text + json.dumps(after)
        checks = [
            (f"/stats/prometheus: requests counter moved by 3 ({sorted(moved)[:6]})",
             any("requests_redacted_chat_completions" in k and v == 3 for k, v in moved.items())),
            ("/stats/prometheus: findings per category moved",
             any("findings_email" in k for k in moved) and any("findings_payment_card" in k for k in moved)),
            ("/stats/prometheus: filter time histogram present", any("filter_time_us" in k for k in after)),
            ("access log holds tenant and decision from customs",
             "tenant=payments" in access_text and "decision=redacted" in access_text),
            (f"one audit line per request ({len(audit)})", len(audit) >= 3 and '"tenant":"payments"' in audit[-1]),
            ("no raw value in access log, Envoy log (audit lines) or metrics",
             EMAIL not in everything and CARD not in everything and CARD.replace(" ", "") not in everything),
            (f"customs verify accepts the recorded attestation ({verify.stdout.strip() or verify.stderr.strip()})",
             verify.returncode == 0 and "tenant=payments" in verify.stdout),
            ("customs verify refuses a tampered body", refuse.returncode == 1),
        ]
        failed = 0
        for what, ok in checks:
            print(("ok    " if ok else "FAIL  ") + what)
            failed += 0 if ok else 1
        print(f"{len(checks) - failed} passed, {failed} failed")
        return 1 if failed else 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
