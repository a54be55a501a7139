#!/usr/bin/env bash
# customs' whole test suite, as CI runs it: formatting, lints for the host and
# the wasm target, the release .wasm, unit and harness tests, and the
# end-to-end tests through a real Envoy (installed into .venv on first use).
# Everything it starts binds 127.0.0.1 and is stopped before it returns.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }

step "wasm32-wasip1 target"
if command -v rustup >/dev/null; then
    rustup target add wasm32-wasip1
fi

step "Envoy, and wrk for the load test"
envoy/install.sh
if ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

step "format"
cargo fmt --all -- --check

step "clippy, host"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy, wasm32-wasip1"
cargo clippy -p customs-filter --target wasm32-wasip1 -- -D warnings

step "release .wasm"
cargo build -p customs-filter --target wasm32-wasip1 --release
export CUSTOMS_WASM="${CUSTOMS_WASM:-${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-wasip1/release/customs_filter.wasm}"
ls -l "$CUSTOMS_WASM"

step "unit and harness tests"
cargo test --workspace

step "end to end through Envoy"
cargo test -p customs-host --test envoy_e2e -- --ignored
cargo test -p customs-host --test envoy_failure -- --ignored

step "budgets under concurrent load through Envoy (wrk)"
python3 envoy/tests/load_budget.py

step "the labelled corpus through Envoy: nothing crosses, pseudonyms come back"
python3 envoy/tests/corpus_through_envoy.py

step "metrics, access log, audit line and attestation through Envoy"
python3 envoy/tests/observability.py
