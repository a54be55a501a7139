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
import base64
import json
import os
import re
import sys
import unicodedata
import urllib.error
import urllib.request

from rig import DEFAULT_ENVOY, DEFAULT_WASM, ROOT, Edge, report
POLICY = {"redact": {"actions": {"*": "pseudonymize"}}}
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def fold(text):
    text = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    # Every script's decimal digits read as ASCII ones (١٣٨ is 138), and so
    # are Chinese numerals, even alone (一三八, 壹叁捌).
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd"
                   else str(int(unicodedata.numeric(c))) if chinese_digit(c)
                   else c
                   for c in text)


def chinese_digit(c):
    """An ideograph (or 〇) whose numeric value is one digit."""
    if not (c == "\u3007" or "\u3400" <= c <= "\u9fff"):
        return False
    value = unicodedata.numeric(c, None)
    return value is not None and value in range(10)


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
    parser.add_argument("--wasm", default=os.environ.get("CUSTOMS_WASM", str(DEFAULT_WASM)))
    parser.add_argument("--envoy", default=os.environ.get("CUSTOMS_ENVOY", str(DEFAULT_ENVOY)))
    parser.add_argument("--limit", type=int, default=0, help="only the first N requests")
    args = parser.parse_args()
    lines = [json.loads(l) for l in open(ROOT / "corpus/labelled/positives.jsonl", encoding="utf-8")]
    if args.limit:
        lines = lines[: args.limit]

    with Edge(POLICY, args.wasm, args.envoy) as edge:
        statuses, answers = {}, {}
        for line in lines:
            req = urllib.request.Request(edge.url(line["path"]), data=line["body"].encode(),
                                         headers={"content-type": "application/json", "x-corpus-id": line["id"]})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    statuses[line["id"]], answers[line["id"]] = r.status, r.read()
            except urllib.error.HTTPError as e:
                statuses[line["id"]], answers[line["id"]] = e.code, e.read()
        records = edge.crossed()
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
        return report(checks, (not_forwarded + leaks + not_restored)[:20])


if __name__ == "__main__":
    sys.exit(main())
