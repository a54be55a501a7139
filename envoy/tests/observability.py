#!/usr/bin/env python3
"""What the customer's team and the far side see, through real Envoy: Prometheus
counters move, the access log holds customs' fields, the audit line is written and
holds no raw value, and `customs verify` accepts the attestation the mock provider
recorded (and refuses it for a tampered body).

    envoy/tests/observability.py [--wasm PATH] [--envoy PATH]

Binds 127.0.0.1 only; stops every process it starts. Prints `N passed, N failed`.
"""

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

from rig import DEFAULT_ENVOY, DEFAULT_WASM, ROOT, Edge, report
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


def series(key, name, **labels):
    """Whether a Prometheus series key (`name{a="x",b="y"}`) is `name` with these
    labels: the shipped configs' stats_tags turn the parts of customs' metric
    names into labels."""
    metric, _, rest = key.partition("{")
    return metric.endswith(name) and all(f'{k}="{v}"' in rest for k, v in labels.items())


def requests_redacted(key):
    return series(key, "customs_requests", customs_decision="redacted", customs_route="chat_completions")



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--wasm", default=os.environ.get("CUSTOMS_WASM", str(DEFAULT_WASM)))
    parser.add_argument("--envoy", default=os.environ.get("CUSTOMS_ENVOY", str(DEFAULT_ENVOY)))
    args = parser.parse_args()
    # Envoy at warning with only its wasm logger at info: customs asks the host
    # whether info lines are written (and skips the audit line when not), so
    # this shows it asks about the logger that writes them.
    with Edge(POLICY, args.wasm, args.envoy, log_level="warning", component_log_level="wasm:info") as edge:
        work = edge.work
        def counters():
            text = urllib.request.urlopen(f"http://127.0.0.1:{edge.admin}/stats/prometheus").read().decode()
            return {m.group(1): float(m.group(2)) for m in
                    re.finditer(r"^(\S*customs\S*)\s+(\S+)$", text, re.M)}

        before = counters()
        for _ in range(3):
            req = urllib.request.Request(edge.url("/v1/chat/completions"), data=BODY.encode(),
                                         headers={"content-type": "application/json", "x-team": "payments"})
            urllib.request.urlopen(req, timeout=10).read()
        # customs hands its counters to Envoy once a second, on its tick.
        for _ in range(50):
            time.sleep(0.1)
            after = counters()
            moved = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
            if any(requests_redacted(k) and v >= 3 for k, v in moved.items()):
                break

        dotted = urllib.request.urlopen(f"http://127.0.0.1:{edge.admin}/stats?filter=customs").read().decode()
        records = edge.crossed()
        record = work / "record.json"
        record.write_text(json.dumps(records[-1]))
        customs = [str(ROOT / "target/debug/customs")] if (ROOT / "target/debug/customs").exists() else \
            ["cargo", "run", "-q", "-p", "customs-host", "--bin", "customs", "--"]
        env = dict(os.environ, CUSTOMS_ATTESTATION_KEYS=f"{KEY_ID}={SECRET}")
        verify = subprocess.run(customs + ["verify", "--request-record", str(record)],
                                capture_output=True, text=True, env=env, cwd=ROOT)
        tampered = dict(records[-1])
        tampered["body_base64"] = base64.b64encode(base64.b64decode(tampered["body_base64"]) + b" ").decode()
        (work / "tampered.json").write_text(json.dumps(tampered))
        refuse = subprocess.run(customs + ["verify", "--request-record", str(work / "tampered.json")],
                                capture_output=True, text=True, env=env, cwd=ROOT)

        # Envoy flushes its access log on a timer: wait for the three lines.
        for _ in range(100):
            access_text = edge.access_log.read_text()
            if access_text.count(" audit={") >= 3:
                break
            time.sleep(0.1)
        log_text = edge.envoy_log.read_text()
        audit = [l for l in log_text.splitlines() if "customs_audit" in l]
        # The access log carries the same audit line, from filter state.
        access_audit = [json.loads(l.split(" audit=", 1)[1]) for l in access_text.splitlines()
                        if " audit={" in l]
        everything = access_text + log_text + json.dumps(after)
        checks = [
            (f"/stats/prometheus: requests counter moved by 3, decision and route as labels ({sorted(moved)[:6]})",
             any(requests_redacted(k) and v == 3 for k, v in moved.items())),
            ("/stats/prometheus: findings per category moved, the category a label",
             any(series(k, "customs_findings", customs_category="email") for k in moved)
             and any(series(k, "customs_findings", customs_category="payment_card") for k in moved)),
            ("/stats/prometheus: no customs series keeps a label's value in its name",
             not any(re.search(r"customs_(requests|findings)_", k) for k in after)),
            ("/stats/prometheus: filter time histogram present", any("filter_time_us" in k for k in after)),
            ("/stats keeps the dotted names", "wasmcustom.customs.findings.email: 3" in dotted),
            ("access log holds tenant and decision from customs",
             "tenant=payments" in access_text and "decision=redacted" in access_text),
            (f"one audit line per request ({len(audit)})", len(audit) >= 3 and '"tenant":"payments"' in audit[-1]),
            (f"the access log carries the audit line ({len(access_audit)})",
             len(access_audit) >= 3 and access_audit[-1]["customs_audit"] == 1
             and access_audit[-1]["tenant"] == "payments" and access_audit[-1]["decision"] == "redacted"),
            ("no raw value in access log, Envoy log (audit lines) or metrics",
             EMAIL not in everything and CARD not in everything and CARD.replace(" ", "") not in everything),
            (f"customs verify accepts the recorded attestation ({verify.stdout.strip() or verify.stderr.strip()})",
             verify.returncode == 0 and "tenant=payments" in verify.stdout),
            ("customs verify refuses a tampered body", refuse.returncode == 1),
        ]
        return report(checks)


if __name__ == "__main__":
    sys.exit(main())
