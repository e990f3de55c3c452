#!/usr/bin/env bash
# The comparison at scale (issue 10; see docs/benchmarks.md): one buyer with N suppliers
# (default 10,000), each with a submitted assessment of all 153 items, written in bulk by
# tools/bench/comparison_seed{,.sqlite}.sql; Kensa's start-up back-fill then stores every
# snapshot and comparison row. Measured with wrk on loopback, 8 connections, 20 s each:
# the first page sorted by overall, a later page, a category filter, the heat map of 200,
# item statistics and the summary; then the CSV and XLSX exports of every row (time, size,
# the server's peak RSS). On PostgreSQL it also times the first-page SQL alone with pgbench.
#
#   tools/bench/comparison.sh postgres [SUPPLIERS]    # needs psql/pgbench and PostgreSQL at $PGURL
#   tools/bench/comparison.sh sqlite [SUPPLIERS]      # needs sqlite3
#
# With SHARED=N (PostgreSQL), N organizations have also shared a submitted assessment with the
# buyer (tools/bench/comparison_shares_seed.sql, after the back-fill): the comparison is
# measured with them present, and so is the shared comparison (`/comparison/shared`).
#
# The binary is $BIN (default target/release/kensa-api: cargo build --release); $DURATION
# sets each wrk run (default 20s). (Not KENSA_*: the server refuses unknown KENSA_ variables.)
set -euo pipefail
backend=${1:-postgres} n=${2:-10000}
here=$(cd "$(dirname "$0")" && pwd)
bin=${BIN:-$here/../../target/release/kensa-api}
pgurl=${PGURL:-postgres://postgres@127.0.0.1:5432}
port=18093 base="http://127.0.0.1:18093"
dir=$(mktemp -d /tmp/kensa-cmp.XXXXXX)
export KENSA_DATA_DIR="$dir/data" KENSA_BIND="127.0.0.1:$port" KENSA_LOG=warn
if [[ $backend == postgres ]]; then
  psql "$pgurl/postgres" -qc "DROP DATABASE IF EXISTS kensa_bench_cmp" -c "CREATE DATABASE kensa_bench_cmp"
  export DATABASE_URL="$pgurl/kensa_bench_cmp"
fi
json() { python3 -c "import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split('.'): v = v[int(k)] if k.isdigit() else v[k]
print(v)" "$1"; }
pid=
start() {
  local t0=$(date +%s.%N)
  "$bin" > "$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 6000); do curl -sf "$base/healthz" > /dev/null && break; sleep 0.05; done
  curl -sf "$base/healthz" > /dev/null || { tail -5 "$dir/server.log"; exit 1; }
  echo "started in $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s"
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
login() {
  curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"bench@example.com","password":"correct-Horse-battery-9"}' | json access_token
}

echo "== $backend, $n suppliers ($(date -u +%F), $(git -C "$here" rev-parse --short HEAD))"
start
curl -sf -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"organization_name":"Bench Buyer","name":"Bench","email":"bench@example.com","password":"correct-Horse-battery-9"}' > /dev/null
org=$(curl -sf "$base/api/v1/me" -H "authorization: Bearer $(login)" | json organization.id)
stop
t0=$(date +%s.%N)
if [[ $backend == postgres ]]; then
  psql "$DATABASE_URL" -q -v org="$org" -v n="$n" -f "$here/comparison_seed.sql"
else
  sqlite3 "$dir/data/kensa.db" ".parameter set :n $n" ".read $here/comparison_seed.sqlite.sql"
fi
echo "seeded $n suppliers and $((n * 153)) answers in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s"
echo -n "first start after seeding (back-fills $n snapshots): "; start
# The planner's statistics, now that the back-fill wrote the snapshots and comparison rows.
if [[ $backend == postgres ]]; then psql "$DATABASE_URL" -qc ANALYZE; else sqlite3 "$dir/data/kensa.db" ANALYZE; fi
if [[ $backend == postgres && ${SHARED:-0} -gt 0 ]]; then
  stop
  t0=$(date +%s.%N)
  psql "$DATABASE_URL" -q -v org="$org" -v shared="$SHARED" -f "$here/comparison_shares_seed.sql"
  echo "seeded $SHARED shares in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s"
  start > /dev/null
fi
token=$(login)
auth="authorization: Bearer $token"
tpl=$(curl -sf "$base/api/v1/templates" -H "$auth" | json data.0.id)

measure() { # label, path
  printf '%-46s ' "$1"
  wrk -t2 -c8 -d"${DURATION:-20s}" -s "$here/percentiles.lua" -H "$auth" "$base$2" | tail -1
}
cursor=
for _ in 1 2 3 4; do
  cursor=$(curl -sf "$base/api/v1/comparison?sort=overall&order=desc&limit=50${cursor:+&cursor=$cursor}" -H "$auth" | json next_cursor)
done
measure "comparison, first page by overall" "/api/v1/comparison?sort=overall&order=desc&limit=50"
measure "comparison, page 5 by overall" "/api/v1/comparison?sort=overall&order=desc&limit=50&cursor=$cursor"
measure "comparison, category 7 below 0.5" "/api/v1/comparison?category=7&below=0.5&sort=overall&order=desc&limit=50"
measure "comparison, by supplier name" "/api/v1/comparison?limit=50"
if [[ $backend == postgres && ${SHARED:-0} -gt 0 ]]; then
  measure "shared comparison, first 50 shares" "/api/v1/comparison/shared?limit=50"
  measure "shared comparison, 200 shares" "/api/v1/comparison/shared?limit=200"
  # Registry rows that all carry a share, then the same rows once every share is revoked:
  # the difference is what reading the shares beside the rows costs.
  measure "comparison, 50 rows each with a share" "/api/v1/comparison?tag=shared&limit=50"
  psql "$DATABASE_URL" -qc "UPDATE shares SET revoked_at = now()"
  measure "the same 50 rows, shares revoked" "/api/v1/comparison?tag=shared&limit=50"
  psql "$DATABASE_URL" -qc "UPDATE shares SET revoked_at = NULL"
fi
if [[ $backend == postgres ]]; then
  measure "heat map, 200 suppliers" "/api/v1/comparison/heatmap?sort=overall&order=desc&limit=200"
  measure "item statistics (153 items)" "/api/v1/comparison/items?template_id=$tpl"
  measure "summary" "/api/v1/comparison/summary"
  for format in csv xlsx; do
    stop; start > /dev/null; token=$(login); auth="authorization: Bearer $token"
    before=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    out=$(curl -sf -o "$dir/export.$format" -w '%{time_total}' "$base/api/v1/comparison/export?format=$format" -H "$auth")
    echo "export $format: ${out} s, $(stat -c %s "$dir/export.$format") bytes, server peak RSS ${before} kB before, $(awk '/VmHWM/ {print $2}' /proc/$pid/status) kB after"
  done
fi
stop
rm -rf "$dir"
