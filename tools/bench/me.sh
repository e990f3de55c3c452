#!/usr/bin/env bash
# GET /api/v1/me only, two binaries alternated (docs/benchmarks.md): me.sh BEFORE AFTER ROUNDS
set -euo pipefail
base=http://127.0.0.1:18081
one() {
  local bin=$1 dir; dir=$(mktemp -d /tmp/kensa-me.XXXXXX)
  (cd "$dir" && KENSA_BIND=127.0.0.1:18081 KENSA_DATA_DIR="$dir/data" KENSA_LOG=warn exec "$bin" > "$dir/log" 2>&1) &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "$base/healthz" > /dev/null && break; sleep 0.1; done
  local token; token=$(curl -sf -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
    -d "{\"organization_name\":\"Me Bench\",\"name\":\"Me\",\"email\":\"me-$RANDOM@bench.example\",\"password\":\"correct-Horse-battery-9\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  wrk -t2 -c8 -d10s --latency -H "Authorization: Bearer $token" "$base/api/v1/me" | awk '/Requests\/sec/ {r=$2} $1=="99%" {p=$2} END {printf "%s req/s p99 %s", r, p}'
  kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$dir"
}
for r in $(seq 1 "$3"); do echo "before: $(one "$1")"; echo "after:  $(one "$2")"; done
