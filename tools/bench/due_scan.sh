#!/usr/bin/env bash
# The worker's due-scan at scale (issue 11; see docs/benchmarks.md): one buyer with N
# suppliers (default 100,000), each with one open assessment, written in bulk by
# tools/bench/due_scan{,.sqlite}.sql. SPREAD (default 365) spreads their next reminder
# dates over that many days (a normal day: about N/SPREAD are due); SPREAD=1 makes every
# one due at once (the worst day). Times `kensa-worker run-once --now <today 09:00>`: the
# scan alone (it prints its own time) and the whole run (the scan, the fan-out of every
# event, and every reminder mail into the file outbox), then a second run on the same day
# (nothing left to decide: the steady-state cost of a scan). With SCAN_ONLY=1 the first
# run is stopped once the scan has decided (read from its log): delivering 100,000 mails
# is the mail benchmark's subject (tools/bench/mail.sh), not this one's.
#
#   tools/bench/due_scan.sh postgres [N]    # needs psql and PostgreSQL at $PGURL
#   tools/bench/due_scan.sh sqlite [N]      # needs sqlite3
#
# Binaries: $BIN_DIR (default target/release: cargo build --release).
set -euo pipefail
backend=${1:-postgres} n=${2:-100000} spread=${SPREAD:-365}
here=$(cd "$(dirname "$0")" && pwd)
bin_dir=${BIN_DIR:-$here/../../target/release}
pgurl=${PGURL:-postgres://postgres@127.0.0.1:5432}
port=18094 base="http://127.0.0.1:18094"
dir=$(mktemp -d /tmp/kensa-scan.XXXXXX)
export KENSA_DATA_DIR="$dir/data" KENSA_BIND="127.0.0.1:$port" KENSA_LOG=warn KENSA_EMBEDDED_WORKER=false
if [[ $backend == postgres ]]; then
  psql "$pgurl/postgres" -qc "DROP DATABASE IF EXISTS kensa_bench_scan" -c "CREATE DATABASE kensa_bench_scan"
  export DATABASE_URL="$pgurl/kensa_bench_scan"
fi
json() { python3 -c "import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split('.'): v = v[int(k)] if k.isdigit() else v[k]
print(v)" "$1"; }

echo "== $backend, $n open assessments, reminder dates spread over $spread day(s) ($(date -u +%F), $(git -C "$here" rev-parse --short HEAD))"
"$bin_dir/kensa-api" > "$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -sf "$base/healthz" > /dev/null && break; sleep 0.05; done
curl -sf -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"organization_name":"Bench Buyer","name":"Bench","email":"bench@example.com","password":"correct-Horse-battery-9"}' > "$dir/signup.json"
org=$(json organization.id < "$dir/signup.json")
kill "$pid"; wait "$pid" 2>/dev/null || true
t0=$(date +%s.%N)
if [[ $backend == postgres ]]; then
  psql "$DATABASE_URL" -q -v org="$org" -v n="$n" -v spread="$spread" -f "$here/due_scan.sql"
else
  sqlite3 "$dir/data/kensa.db" ".parameter set :n $n" ".parameter set :spread $spread" ".read $here/due_scan.sqlite.sql"
fi
echo "seeded in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s"
at="$(date -u +%Y-%m-%d)T09:00:00Z"
if [[ ${SCAN_ONLY:-0} == 1 ]]; then
  KENSA_LOG=info "$bin_dir/kensa-worker" run-once --now "$at" > "$dir/worker.log" 2>&1 &
  wpid=$!
  for _ in $(seq 1 12000); do grep -q "due work decided" "$dir/worker.log" && break; sleep 0.05; done
  kill "$wpid"; wait "$wpid" 2>/dev/null || true
  echo "first run, stopped after the scan:"
  grep "due work decided" "$dir/worker.log" | sed 's/\x1b\[[0-9;]*m//g; s/^/  /'
  rm -rf "$dir"
  exit 0
fi
for run in "first run" "second run, same day"; do
  t0=$(date +%s.%N)
  out=$("$bin_dir/kensa-worker" run-once --now "$at")
  echo "$run: $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s in all"
  echo "$out" | sed 's/^/  /'
done
echo "mails in the outbox: $(find "$dir/data/outbox" -name '*.eml' | wc -l)"
rm -rf "$dir"
