#!/usr/bin/env python3
"""The labelled detection corpus through real Envoy: every positive request of
corpus/labelled/ goes through customs (every category pseudonymised) to the mock
provider. Checks that no labelled value crossed in any form (as written, NFKC-folded
without invisible characters, or as its digits), and that where the mock echoes the
value back (chat, plain), the client received the original value restored.

    envoy/tests/corpus_through_envoy.py [--wasm PATH] [--envoy PATH] [--limit N]

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
import unicodedata
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
POLICY = {"redact": {"actions": {"*": "pseudonymize"}}}
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fold(text):
    return unicodedata.normalize("NFKC", text).translate(INVISIBLE)


def crossed_forms(body):
    """The raw body, and every string in it, folded, as one haystack each."""
    texts = [body.decode("utf-8", "replace")]
    try:
        def walk(v):
            if isinstance(v, str):
                texts.append(v)
                try:
                    walk(json.loads(v))  # tool-call arguments
                except ValueError:
                    pass
            elif isinstance(v, list):
                for x in v:
                    walk(x)
            elif isinstance(v, dict):
                for x in v.values():
                    walk(x)
        walk(json.loads(body))
    except ValueError:
        pass
    joined = "\n".join(texts)
    folded = fold(joined)
    return folded, re.sub(r"[\s\-.]", "", folded)


def crossed(value, forms):
    folded, squeezed = forms
    v = fold(value)
    if v in folded:
        return True
    digits = re.sub(r"[\s\-.]", "", v)
    return len(digits) >= 8 and digits in squeezed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--wasm", default=os.environ.get("CUSTOMS_WASM", str(ROOT / "target/wasm32-wasip1/release/customs_filter.wasm")))
    parser.add_argument("--envoy", default=os.environ.get("CUSTOMS_ENVOY", str(ROOT / ".venv/bin/envoy")))
    parser.add_argument("--limit", type=int, default=0, help="only the first N requests")
    args = parser.parse_args()
    lines = [json.loads(l) for l in open(ROOT / "corpus/labelled/positives.jsonl", encoding="utf-8")]
    if args.limit:
        lines = lines[: args.limit]

    procs = []
    work = pathlib.Path(tempfile.mkdtemp(prefix="customs-corpus-"))
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
        envoy = subprocess.Popen([args.envoy, "-c", str(config), "--concurrency", "2",
                                  "--use-dynamic-base-id", "-l", "warning"],
                                 stdout=subprocess.DEVNULL, stderr=open(work / "envoy.log", "w"))
        procs.append(envoy)
        deadline = time.monotonic() + 30
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=1).status == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                sys.exit("corpus_through_envoy: Envoy did not become ready")
            time.sleep(0.1)

        statuses, answers = {}, {}
        for line in lines:
            req = urllib.request.Request(f"http://127.0.0.1:{listen}{line['path']}", data=line["body"].encode(),
                                         headers={"content-type": "application/json", "x-corpus-id": line["id"]})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    statuses[line["id"]], answers[line["id"]] = r.status, r.read()
            except urllib.error.HTTPError as e:
                statuses[line["id"]], answers[line["id"]] = e.code, e.read()
        records = json.load(urllib.request.urlopen(f"http://127.0.0.1:{upstream}/__mock/requests"))
        import base64
        bodies = {}
        for r in records:
            headers = {k.lower(): v for k, v in r["headers"]}
            bodies[headers.get("x-corpus-id")] = base64.b64decode(r.get("body_base64", ""))

        leaks, not_forwarded, not_restored, echo_checked = [], [], [], 0
        for line in lines:
            body = bodies.get(line["id"])
            if statuses[line["id"]] != 200 or body is None:
                not_forwarded.append(f"{line['id']} ({statuses[line['id']]})")
                continue
            forms = crossed_forms(body)
            for label in line["labels"]:
                if crossed(label["value"], forms):
                    leaks.append(f"{line['id']} {label['category']} {line['evasion']} {line['shape']}/{line['placement']}")
            if line["shape"] == "openai_chat" and line["placement"] == "content" and line["evasion"] == "plain":
                echo_checked += 1
                reply = json.loads(answers[line["id"]])["choices"][0]["message"]["content"]
                # Labels hold values normalised (digits only, upper case); the
                # text may write them with separators or in lower case.
                squeezed = re.sub(r"[\s\-.]", "", fold(reply)).upper()
                for label in line["labels"]:
                    if re.sub(r"[\s\-.]", "", fold(label["value"])).upper() not in squeezed:
                        not_restored.append(f"{line['id']} {label['category']}")

        values = sum(len(l["labels"]) for l in lines)
        checks = [
            (f"every corpus request was forwarded ({len(lines) - len(not_forwarded)} of {len(lines)})", not not_forwarded),
            (f"no labelled value crossed ({len(leaks)} of {values} did)", not leaks),
            (f"echoed values came back restored to the client ({echo_checked - len(not_restored)} of {echo_checked})",
             echo_checked > 0 and not not_restored),
        ]
        failed = 0
        for what, ok in checks:
            print(("ok    " if ok else "FAIL  ") + what)
            failed += 0 if ok else 1
        for what in (not_forwarded + leaks + not_restored)[:20]:
            print("      " + what)
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
