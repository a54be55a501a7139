#!/usr/bin/env python3
"""Render one of customs' Envoy config templates into envoy/.run/.

The templates (edge.yaml, demo.yaml) hold placeholders written as a dollar
sign and a name in braces (Python's string.Template; write two dollar signs for a
literal one). This fills them and writes envoy/.run/<template name>,
printing the path written. Standard library only.

    envoy/render.py envoy/demo.yaml --policy my-policy.json --set LISTEN_PORT=10001

Placeholders and their defaults:
    CUSTOMS_WASM    <repo>/target/wasm32-wasip1/release/customs_filter.wasm
    CUSTOMS_POLICY  from --policy FILE (JSON, re-serialised compactly and
                    quoted for YAML); without it, "" (no configuration)
    LISTEN_PORT     10000
    ADMIN_PORT      9901
    UPSTREAM_PORT   18081
"""

import argparse
import json
import pathlib
import string
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_WASM = ROOT / "target" / "wasm32-wasip1" / "release" / "customs_filter.wasm"
RUN_DIR = ROOT / "envoy" / ".run"


def policy_value(path):
    """The policy as a YAML double-quoted scalar (a JSON string literal is one)."""
    if path is None:
        return '""'
    try:
        policy = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        sys.exit(f"render: cannot read policy {path}: {err}")
    return json.dumps(json.dumps(policy, separators=(",", ":"), ensure_ascii=False), ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("template", help="an Envoy config template, e.g. envoy/demo.yaml")
    parser.add_argument("--wasm", default=str(DEFAULT_WASM), help="path of customs_filter.wasm")
    parser.add_argument("--policy", help="a policy JSON file; default: no configuration")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="fill another placeholder")
    parser.add_argument("--out", help=f"output file; default: {RUN_DIR.relative_to(ROOT)}/<template name>")
    args = parser.parse_args()

    values = {
        "CUSTOMS_WASM": str(pathlib.Path(args.wasm).resolve()),
        "CUSTOMS_POLICY": policy_value(args.policy),
        "LISTEN_PORT": "10000",
        "ADMIN_PORT": "9901",
        "UPSTREAM_PORT": "18081",
    }
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            sys.exit(f"render: --set wants NAME=VALUE, got {item!r}")
        values[name] = value

    template = pathlib.Path(args.template)
    try:
        text = string.Template(template.read_text(encoding="utf-8")).substitute(values)
    except KeyError as err:
        sys.exit(f"render: {template} has placeholder {err} with no value")
    except (OSError, ValueError) as err:
        sys.exit(f"render: cannot render {template}: {err}")

    out = pathlib.Path(args.out) if args.out else RUN_DIR / template.name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()
