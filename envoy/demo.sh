#!/usr/bin/env bash
# customs in one command: installs Envoy, builds the filter, starts a mock
# model provider and Envoy with customs in front of it (all on 127.0.0.1), sends
# a chat request holding personal data, and shows what the client got back and
# what crossed the border to the provider. Stops everything on exit.
#
#   envoy/demo.sh [POLICY.json]     # default: no policy, customs' secure defaults
#
# Ports: Envoy 10000, Envoy admin 9901, mock provider 18081.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/envoy/.run"
POLICY=""
if [ $# -gt 0 ]; then
    [ -f "$1" ] || { echo "demo: no policy file $1" >&2; exit 1; }
    POLICY="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
fi
LISTEN_PORT=10000
ADMIN_PORT=9901
UPSTREAM_PORT=18081

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD="" PLAIN=""; fi
say() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

cd "$ROOT"
mkdir -p "$RUN"
command -v curl >/dev/null || fail "curl is needed"
command -v python3 >/dev/null || fail "python3 is needed"

say "installing Envoy (envoy/install.sh)"
envoy/install.sh

say "building customs (wasm32-wasip1, release)"
if command -v rustup >/dev/null; then
    rustup target add wasm32-wasip1 >/dev/null
fi
cargo build -p customs-filter --target wasm32-wasip1 --release
WASM="${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-wasip1/release/customs_filter.wasm"
[ -f "$WASM" ] || fail "the build left no $WASM"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

for port in $LISTEN_PORT $ADMIN_PORT $UPSTREAM_PORT; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        fail "port $port on 127.0.0.1 is taken; stop whatever listens there (another demo?)"
    fi
done

policy_args=()
[ -n "$POLICY" ] && policy_args=(--policy "$POLICY")
CONFIG="$(python3 envoy/render.py envoy/demo.yaml --wasm "$WASM" ${policy_args[@]+"${policy_args[@]}"} \
    --set LISTEN_PORT=$LISTEN_PORT --set ADMIN_PORT=$ADMIN_PORT --set UPSTREAM_PORT=$UPSTREAM_PORT)"

say "starting the mock provider on 127.0.0.1:$UPSTREAM_PORT"
rm -f "$RUN/mock.out"
python3 envoy/mock_provider.py --port "$UPSTREAM_PORT" >"$RUN/mock.out" 2>"$RUN/mock.log" &
pids+=($!)
for _ in $(seq 50); do
    grep -q '^listening on' "$RUN/mock.out" 2>/dev/null && break
    kill -0 "${pids[0]}" 2>/dev/null || fail "the mock provider did not start: $(cat "$RUN/mock.log")"
    sleep 0.1
done
grep -q '^listening on' "$RUN/mock.out" || fail "the mock provider did not start in 5s"

say "starting Envoy with customs on 127.0.0.1:$LISTEN_PORT (log: envoy/.run/envoy.log)"
.venv/bin/envoy -c "$CONFIG" --concurrency 2 --use-dynamic-base-id -l info \
    >"$RUN/access.log" 2>"$RUN/envoy.log" &
pids+=($!)
ready=""
for _ in $(seq 300); do
    if curl -sf "http://127.0.0.1:$ADMIN_PORT/ready" >/dev/null 2>&1; then ready=yes; break; fi
    kill -0 "${pids[1]}" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$ready" ]; then
    tail -n 20 "$RUN/envoy.log" >&2
    fail "Envoy did not become ready (see envoy/.run/envoy.log)"
fi

REQUEST='{
  "model": "gpt-4o-mini",
  "messages": [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Please email a receipt to zhang.wei@example.com, text me at +86 138 0013 8000, and charge card 4111 1111 1111 1111."}
  ]
}'

say "the client sends (POST /v1/chat/completions)"
printf '%s\n' "$REQUEST"

curl -sS -o "$RUN/answer.json" -w '%{http_code}' \
    -H 'content-type: application/json' -H 'authorization: Bearer sk-demo-key' \
    --data-binary "$REQUEST" "http://127.0.0.1:$LISTEN_PORT/v1/chat/completions" >"$RUN/status" \
    || fail "the request to Envoy failed"

say "the client gets back: HTTP $(cat "$RUN/status")"
python3 -m json.tool "$RUN/answer.json" 2>/dev/null || cat "$RUN/answer.json"

say "what crossed the border (as the provider received it)"
curl -sS "http://127.0.0.1:$UPSTREAM_PORT/__mock/requests" | python3 -c '
import base64, json, sys
requests = json.load(sys.stdin)
if not requests:
    print("nothing: customs kept the request inside")
for r in requests:
    print(r["method"], r["path"])
    for name, value in r["headers"]:
        if name.lower().startswith("x-customs-"):
            print(f"  {name}: {value}")
    body = base64.b64decode(r["body_base64"])
    try:
        print(json.dumps(json.loads(body), indent=2, ensure_ascii=False))
    except ValueError:
        print(body.decode("utf-8", "replace"))
'

say "Envoy's access log"
sleep 0.2
cat "$RUN/access.log"
