#!/usr/bin/env bash
# Before/after comparison of three request paths on two kensa-api binaries, alternated
# round by round in the same minutes (see docs/benchmarks.md):
#   GET /api/v1/me, one answer saved (PUT …/answers/1), a full 153-answer bulk save,
#   8 connections each, embedded mode (SQLite, worker in-process), KENSA_LOG=warn.
# Usage: tools/bench/compare.sh BEFORE_BINARY AFTER_BINARY [ROUNDS] [SUPPLIERS]
set -euo pipefail
before=$1 after=$2 rounds=${3:-2} suppliers=${4:-1000}
port=18081 base="http://127.0.0.1:18081"
here=$(cd "$(dirname "$0")" && pwd)

rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '$1 == "99%" {print $2}'; }

run_one() {
  local label=$1 bin=$2 dir
  dir=$(mktemp -d /tmp/kensa-compare.XXXXXX)
  (cd "$dir" && KENSA_BIND=127.0.0.1:$port KENSA_DATA_DIR="$dir/data" KENSA_LOG=warn "$bin" > "$dir/server.log" 2>&1) &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "$base/healthz" > /dev/null && break; sleep 0.1; done
  python3 "$here/workflow.py" --base "$base" --data-dir "$dir/data" --suppliers "$suppliers" --out "$dir/wrk" > "$dir/setup.log"
  local token
  token=$(curl -sf -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
    -d "{\"organization_name\":\"Me Bench\",\"name\":\"Me\",\"email\":\"me-$RANDOM@bench.example\",\"password\":\"correct-Horse-battery-9\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  local me single bulk
  me=$(wrk -t2 -c8 -d10s --latency -H "Authorization: Bearer $token" "$base/api/v1/me")
  single=$(wrk -t8 -c8 -d20s --latency -s "$dir/wrk/single.lua" "$base")
  bulk=$(wrk -t8 -c8 -d20s --latency -s "$dir/wrk/bulk.lua" "$base")
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" \
    "$(rps <<<"$me")" "$(p99 <<<"$me")" "$(rps <<<"$single")" "$(p99 <<<"$single")" "$(rps <<<"$bulk")" "$(p99 <<<"$bulk")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

echo "| binary | /me req/s | /me p99 | one answer req/s | p99 | bulk 153 req/s | p99 |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  run_one "before ($round)" "$before"
  run_one "after ($round)" "$after"
done
